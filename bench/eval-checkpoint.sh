#!/bin/sh
# bench/eval-checkpoint.sh CHECKPOINT NAME [N] — issue #5's accuracy table for
# a training checkpoint: exports its weights to _acc/NAME.h5 (aet train
# --export) and runs bench-accuracy on N particles (6) into _acc/NAME.md,
# printing the mean row and the criteria.  Run from the repository root
# after building (_build).
set -e
ck=$1; name=$2; n=${3:-6}
if [ -z "$ck" ] || [ -z "$name" ]; then
  echo "usage: bench/eval-checkpoint.sh CHECKPOINT NAME [N]" >&2
  exit 2
fi
mkdir -p _acc
./_build/app/aet train --resume "$ck" --export "_acc/$name.h5"
./_build/bench/bench-accuracy --model "_acc/$name.h5" --n "$n" -q > "_acc/$name.md" 2>&1
grep -E "^\| mean|^\| (RMSD|recall|precision|surface)" "_acc/$name.md"
