#define G_LOG_DOMAIN "aet-cli"

#include "aet-cli.h"

#include <stdio.h>
#include <unistd.h>

GOptionContext *
aet_cli_context_new (const char *name, const char *parameter_string, const char *summary,
                     AetCliCommon *common)
{
  g_autofree char *title = g_strdup_printf ("%s%s", parameter_string ? "" : "",
                                            parameter_string ? parameter_string : "");
  GOptionContext *context = g_option_context_new (title);
  g_autofree char *prg = g_strdup_printf ("aet %s", name);
  g_set_prgname (prg);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  GOptionEntry common_entries[] = {
    { "threads", 0, 0, G_OPTION_ARG_INT, &common->threads, "Worker threads (default 2)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &common->quiet, "No progress bar or summary", NULL },
    { NULL },
  };
  g_option_context_add_main_entries (context, common_entries, NULL);
  return context;
}

gboolean
aet_cli_parse (GOptionContext *context, const char *name, const AetCliCommon *common,
               int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "aet: error: %s: %s\n", name, error->message);
      return FALSE;
    }
  if (common->threads < 0 || common->threads > 64)
    {
      fprintf (stderr, "aet: error: %s: --threads %d: give a number from 1 to 64\n", name,
               common->threads);
      return FALSE;
    }
  return TRUE;
}

int
aet_cli_fail (const GError *error)
{
  fprintf (stderr, "aet: error: %s\n", error->message);
  return AET_EXIT_RUNTIME;
}

int
aet_cli_usage (const char *name, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "aet: error: %s: %s\n", name, message);
  return AET_EXIT_USAGE;
}

void
aet_cli_say (const AetCliCommon *common, const char *format, ...)
{
  if (common != NULL && common->quiet)
    return;
  va_list args;
  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
  fflush (stdout);
}

typedef struct
{
  gint64 last_draw;
  gboolean drawn;
  char *last_stage;
} Bar;

static void
bar_free (gpointer data)
{
  Bar *bar = data;
  g_free (bar->last_stage);
  g_free (bar);
}

/* Runs on the worker thread; stderr writes are atomic enough per line. */
static void
draw_bar (AetJob *job, const char *stage, gdouble fraction, const char *message,
          gpointer user_data)
{
  Bar *bar = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean new_stage = g_strcmp0 (stage, bar->last_stage) != 0;
  if (!new_stage && fraction < 1.0 && now - bar->last_draw < 100000)
    return;
  if (new_stage && bar->drawn)
    fputc ('\n', stderr);
  g_free (bar->last_stage);
  bar->last_stage = g_strdup (stage);
  bar->last_draw = now;
  bar->drawn = TRUE;

  const int width = 30;
  int filled = (int) (fraction * width + 0.5);
  char cells[64];
  for (int i = 0; i < width; i++)
    cells[i] = i < filled ? '#' : '-';
  cells[width] = '\0';
  fprintf (stderr, "\r\033[K%-12s [%s] %3d%%  %s", stage ? stage : "", cells,
           (int) (fraction * 100 + 0.5), message ? message : "");
  fflush (stderr);
}

AetJob *
aet_cli_job_new (const AetCliCommon *common)
{
  AetJob *job = aet_job_new ();
  if (common->threads > 0)
    aet_job_set_threads (job, (guint) common->threads);
  if (!common->quiet && isatty (STDERR_FILENO))
    aet_job_set_progress_func (job, draw_bar, g_new0 (Bar, 1), bar_free);
  return job;
}

void
aet_cli_job_finish (AetJob *job)
{
  if (job != NULL && isatty (STDERR_FILENO))
    {
      /* A bar was drawn only when a progress func is installed; a newline
       * after it keeps the shell prompt on its own line. */
      fputc ('\r', stderr);
      fprintf (stderr, "\033[K");
      fflush (stderr);
    }
}
