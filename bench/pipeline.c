/* bench-pipeline — the whole pipeline on the default simulated Pt particle
 * (144³, 21 tilts): time per stage, total, and peak memory.  Usage:
 *   bench-pipeline [--threads N] [--model weights.h5] */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "aet-pipeline.h"

int
main (int argc, char **argv)
{
  guint threads = 2;
  const char *model = NULL;
  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--threads") == 0)
        threads = (guint) atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--model") == 0)
        model = argv[i + 1];
    }
  AetPipeline *p = aet_pipeline_new (aet_project_new ());
  aet_pipeline_set_param (p, "simulate/enabled", "true");
  aet_pipeline_set_param (p, "simulate/seed", "1");
  if (model != NULL)
    aet_pipeline_set_param (p, "augment/model", model);
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = aet_pipeline_run (p, NULL, NULL, threads, &error);
  gdouble total = (g_get_monotonic_time () - t0) / 1e6;
  if (!ok)
    {
      fprintf (stderr, "bench-pipeline: %s\n", error->message);
      return 1;
    }
  printf ("threads %u\n", threads);
  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    printf ("%-14s %8.2f s%s\n", aet_stage_label (s), aet_pipeline_get_stage_seconds (p, s),
            aet_pipeline_get_stage_state (p, s) == AET_STAGE_NOT_NEEDED ? "  (skipped)" : "");
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  printf ("total          %8.2f s\npeak memory    %8.0f MB\n", total, ru.ru_maxrss / 1024.0);
  aet_pipeline_free (p);
  return 0;
}
