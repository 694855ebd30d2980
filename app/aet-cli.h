/* aet-cli.h — what every `aet` subcommand shares: common flags, option
 * parsing with the exit codes of CLI.md, the one-line error format, and a
 * progress bar on stderr when stderr is a terminal.
 */
#pragma once

#include <glib.h>

#include "aet-job.h"

G_BEGIN_DECLS

/* Exit statuses (CLI.md). */
#define AET_EXIT_OK 0
#define AET_EXIT_RUNTIME 1
#define AET_EXIT_USAGE 2

typedef struct
{
  gint threads;     /* --threads N, 0 = default */
  gboolean quiet;   /* --quiet: no progress, no summary */
} AetCliCommon;

/* A context for `aet <name>` with --threads and --quiet already added.
 * Caller owns. */
GOptionContext *aet_cli_context_new (const char *name, const char *parameter_string,
                                     const char *summary, AetCliCommon *common);
/* Parses; on a usage error prints "aet: error: <name>: <why>" and returns
 * FALSE (the caller exits with AET_EXIT_USAGE). */
gboolean aet_cli_parse (GOptionContext *context, const char *name, const AetCliCommon *common,
                        int *argc, char ***argv);

/* Prints "aet: error: <message>" and returns AET_EXIT_RUNTIME. */
int aet_cli_fail (const GError *error);
/* Prints "aet: error: <name>: <formatted>" and returns AET_EXIT_USAGE. */
int aet_cli_usage (const char *name, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* A job with the thread count from --threads and, when stderr is a
 * terminal and not --quiet, a progress bar. Caller owns. */
AetJob *aet_cli_job_new (const AetCliCommon *common);
/* Ends the progress line, if one is showing. */
void aet_cli_job_finish (AetJob *job);

/* Prints to stdout unless quiet. */
void aet_cli_say (const AetCliCommon *common, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
