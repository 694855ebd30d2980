# scripts/lib.sh — shared by scripts/run, scripts/test and .ci/run.
# Installs the Debian 12 packages AET Studio needs (only the missing ones,
# non-interactively) and configures + builds a meson build directory.

AET_PACKAGES="meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libfftw3-dev libhdf5-dev libtiff-dev hdf5-tools libopenblas-dev
  libgtk-4-dev libepoxy-dev libcglm-dev libpng-dev
  xvfb xauth libgl1-mesa-dri libegl-mesa0 libegl-dev mesa-utils imagemagick"

aet_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}

aet_install_deps() {
  local missing=""
  for p in $AET_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $p"
    fi
  done
  if [ -n "$missing" ]; then
    echo "scripts: installing missing packages:$missing"
    if [ "$(id -u)" -ne 0 ]; then
      echo "scripts: error: missing packages and not root; run as root or install:$missing" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
  fi
}

# aet_build DIR [meson options…]
aet_build() {
  local dir="$1"; shift
  local root; root="$(aet_root)"
  if [ ! -f "$root/$dir/build.ninja" ]; then
    meson setup "$root/$dir" "$root" "$@" >/dev/null
  fi
  ninja -C "$root/$dir" >/dev/null 2>"$root/$dir.build-errors.log" || {
    ninja -C "$root/$dir" 2>&1 | tail -40 >&2
    echo "scripts: error: the build in $dir failed" >&2
    return 1
  }
  rm -f "$root/$dir.build-errors.log"
}

# aet_count_results DIR → prints "PASSED FAILED SKIPPED" from meson's test log
aet_count_results() {
  local log="$(aet_root)/$1/meson-logs/testlog.json"
  local ok fail skip
  ok=$(grep -c '"result": "OK"' "$log" 2>/dev/null || true)
  skip=$(grep -c '"result": "SKIP"' "$log" 2>/dev/null || true)
  fail=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" 2>/dev/null || true)
  echo "${ok:-0} ${fail:-0} ${skip:-0}"
}
