/* bench/trace.c — how long tracing takes on a published-size volume.
 *
 * A 144³ volume of 0.357 Å holding an FCC Pt ball of radius 17.5 Å (~1,490
 * atoms), rendered as B = 4 Å² Gaussians with 5 % noise, traced with
 * 1 and 2 threads (and upsample 3), then matched to the truth.
 * Usage: bench-trace [--threads N] [--radius R] [--noise S]
 */
#define G_LOG_DOMAIN "bench-trace"

#include "aet-atom-density.h"
#include "aet-match.h"
#include "aet-trace.h"
#include "fcc-ball.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void
run (const AetVolume *v, const AetAtoms *truth, guint threads, gint upsample)
{
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, threads);
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.upsample = upsample;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (AetAtoms) traced = aet_trace (v, &p, job, &error);
  gdouble secs = (g_get_monotonic_time () - t0) / 1e6;
  if (traced == NULL)
    {
      fprintf (stderr, "bench-trace: %s\n", error->message);
      exit (1);
    }
  AetMatchStats s;
  aet_match_atoms (truth, traced, 0.9, &s, FALSE, NULL);
  printf ("threads %u upsample %d: %.2f s, %zu atoms traced, recall %.4f precision %.4f "
          "RMSD %.2f pm\n", threads, upsample, secs, traced->n_atoms, s.recall, s.precision,
          s.rmsd_pm);
}

int
main (int argc, char **argv)
{
  gint threads = 2;
  gdouble radius = 17.5, noise = 0.05;
  GOptionEntry entries[] = {
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Most threads to try", "N" },
    { "radius", 0, 0, G_OPTION_ARG_DOUBLE, &radius, "Particle radius (Å)", "R" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, "Gaussian noise σ (atom peak = 1)", "S" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— time atom tracing");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-trace: %s\n", error->message);
      return 2;
    }

  g_autoptr (GRand) rng = g_rand_new_with_seed (42);
  g_autoptr (AetAtoms) truth = fcc_ball_new (rng, 3.924, radius, 144, 0.357, 0.1);
  g_autoptr (AetVolume) v = aet_volume_new (144, 144, 144, 0.357);
  aet_render_gaussian_atoms (truth, v, 4.0, 1.0, NULL, 2);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i += 2)
    {
      gdouble u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
      gdouble r = noise * sqrt (-2.0 * log (u1));
      v->data[i] += (gfloat) (r * cos (2 * G_PI * u2));
      v->data[i + 1] += (gfloat) (r * sin (2 * G_PI * u2));
    }
  printf ("144³ volume, %zu atoms, noise σ %.3f\n", truth->n_atoms, noise);
  for (gint t = 1; t <= threads; t++)
    run (v, truth, (guint) t, 1);
  run (v, truth, (guint) threads, 3);
  return 0;
}
