/* bench/simulate.c — times the default simulation stage by stage.
 *
 *   bench-simulate [--seed S] [--threads N] [--size N] [--shape union|to|co] [--seeds K]
 *
 * Runs `aet simulate`'s defaults (144³, 21 tilts, Pt, seed 1) and prints the
 * wall time of each stage and the total; with --seeds K it also builds the
 * particles of seeds S…S+K−1 and prints their atom counts and diameters.
 */
#define G_LOG_DOMAIN "bench-simulate"

#include "aet-simulate.h"

#include <math.h>
#include <stdio.h>

typedef struct
{
  gint64 t0, last;
  char *stage;
} Timer;

static void
on_progress (AetJob *job, const char *stage, gdouble fraction, const char *message,
             gpointer user_data)
{
  Timer *t = user_data;
  if (g_strcmp0 (stage, t->stage) == 0)
    return;
  gint64 now = g_get_monotonic_time ();
  if (t->stage != NULL)
    printf ("  %-12s %8.3f s\n", t->stage, (now - t->last) / 1e6);
  g_free (t->stage);
  t->stage = g_strdup (stage);
  t->last = now;
}

int
main (int argc, char **argv)
{
  gint64 seed = 1;
  gint threads = 2, size = 144, seeds = 0;
  g_autofree char *shape = NULL;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Box edge (voxels)", "N" },
    { "shape", 0, 0, G_OPTION_ARG_STRING, &shape, "union, to or co", "KIND" },
    { "seeds", 0, 0, G_OPTION_ARG_INT, &seeds, "Also list K particles", "K" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— time aet_simulate");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-simulate: %s\n", error->message);
      return 2;
    }

  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.seed = (guint64) seed;
  p.size = size;
  if (shape != NULL && !aet_shape_kind_from_name (shape, &p.shape))
    {
      fprintf (stderr, "bench-simulate: --shape %s: expected union, to or co\n", shape);
      return 2;
    }

  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, (guint) MAX (threads, 1));
  Timer t = { 0 };
  aet_job_set_progress_func (job, on_progress, &t, NULL);
  printf ("aet_simulate: %d³ voxels, 21 tilts, seed %" G_GINT64_FORMAT ", %d threads\n", size,
          seed, threads);
  t.t0 = t.last = g_get_monotonic_time ();
  g_autoptr (AetSimResult) r = aet_simulate (&p, job, &error);
  gint64 end = g_get_monotonic_time ();
  if (r == NULL)
    {
      fprintf (stderr, "bench-simulate: %s\n", error->message);
      return 1;
    }
  printf ("  %-12s %8.3f s\n", t.stage, (end - t.last) / 1e6);
  printf ("  %-12s %8.3f s  (%" G_GSIZE_FORMAT " atoms)\n", "total", (end - t.t0) / 1e6,
          r->truth->n_atoms);
  g_free (t.stage);

  for (gint s = 0; s < seeds; s++)
    {
      p.seed = (guint64) (seed + s);
      g_autoptr (AetAtoms) atoms = aet_simulate_particle (&p, NULL, &error);
      if (atoms == NULL)
        {
          fprintf (stderr, "bench-simulate: seed %" G_GINT64_FORMAT ": %s\n", seed + s,
                   error->message);
          return 1;
        }
      gdouble c[3], far = 0.0;
      aet_atoms_centroid (atoms, c);
      for (gsize i = 0; i < atoms->n_atoms; i++)
        {
          const gdouble *x = atoms->positions + 3 * i;
          far = MAX (far, sqrt ((x[0] - c[0]) * (x[0] - c[0]) + (x[1] - c[1]) * (x[1] - c[1])
                                + (x[2] - c[2]) * (x[2] - c[2])));
        }
      printf ("seed %3" G_GINT64_FORMAT ": %5" G_GSIZE_FORMAT " atoms, largest radius %.1f Å\n",
              seed + s, atoms->n_atoms, far);
    }
  return 0;
}
