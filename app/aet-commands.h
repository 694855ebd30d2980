/* aet-commands.h — the `aet` subcommands, one file each (aet-cmd-*.c).
 * Each takes the arguments after `aet` (argv[0] is the subcommand name) and
 * returns the process exit status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int aet_cmd_version (int argc, char **argv);
int aet_cmd_info (int argc, char **argv);
int aet_cmd_simulate (int argc, char **argv);
int aet_cmd_reconstruct (int argc, char **argv);
int aet_cmd_trace (int argc, char **argv);
int aet_cmd_refine (int argc, char **argv);
int aet_cmd_analyze (int argc, char **argv);
int aet_cmd_run (int argc, char **argv);
int aet_cmd_train (int argc, char **argv);
int aet_cmd_augment (int argc, char **argv);
int aet_cmd_figure (int argc, char **argv);

G_END_DECLS
