/* bench/reconstruct — how fast is GENFIRE on the published problem size?
 *
 * 144³ volume, 21 tilts (−65…+65° by 6.5°), oversampling 2, 100 iterations
 * by default.  Prints seconds per iteration, the ratio of an iteration to
 * the two 3D FFTs it needs (timed in the same run with the same plans),
 * the gridding time, the total time and the peak memory; then, for scale,
 * SIRT's time per iteration and WBP's time on the same data.
 *
 *   reconstruct [--size N] [--iterations K] [--threads T] [--measure]
 */
#define G_LOG_DOMAIN "bench-reconstruct"

#include "aet-atom-density.h"
#include "aet-atoms.h"
#include "aet-fft.h"
#include "aet-fourier-grid.h"
#include "aet-genfire.h"
#include "aet-projector.h"
#include "aet-reconstruct.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

static AetTiltSeries *
make_series (gint n, gdouble pixel, guint threads)
{
  /* an FCC Pt ball, 3.2 nm across, as in the paper's training data */
  const gdouble a = 3.912, radius = 16.0, c = (n / 2) * pixel;
  const gdouble basis[4][3] = { { 0, 0, 0 }, { 0.5, 0.5, 0 }, { 0.5, 0, 0.5 }, { 0, 0.5, 0.5 } };
  g_autoptr (AetAtoms) atoms = aet_atoms_new (2048);
  const gint m = (gint) ceil (radius / a) + 1;
  for (gint i = -m; i <= m; i++)
    for (gint j = -m; j <= m; j++)
      for (gint k = -m; k <= m; k++)
        for (gint b = 0; b < 4; b++)
          {
            const gdouble x = (i + basis[b][0]) * a, y = (j + basis[b][1]) * a;
            const gdouble z = (k + basis[b][2]) * a;
            if (x * x + y * y + z * z <= radius * radius)
              aet_atoms_append (atoms, 78, c + x, c + y, c + z);
          }
  g_autoptr (AetVolume) truth = aet_volume_new (n, n, n, pixel);
  aet_render_gaussian_atoms (atoms, truth, 5.0, 10.0, NULL, threads);
  gdouble angles[21];
  for (gint t = 0; t < 21; t++)
    angles[t] = -65.0 + 6.5 * t;
  g_autoptr (AetVolume) images = aet_volume_new (n, n, 21, pixel);
  g_autoptr (AetProjector) proj = aet_projector_new (n, n, n, 21, angles, NULL);
  aet_projector_forward (proj, truth->data, images->data, threads);
  g_print ("phantom: %zu Pt atoms in %d³ voxels of %.3f Å, 21 tilts −65…+65°\n",
           atoms->n_atoms, n, pixel);
  return aet_tilt_series_new (images, angles);
}

int
main (int argc, char **argv)
{
  gint size = 144, iterations = 100, threads = 2;
  gboolean measure = FALSE;
  GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Volume edge (voxels)", "N" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "GENFIRE iterations", "K" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "T" },
    { "measure", 0, 0, G_OPTION_ARG_NONE, &measure, "FFTW_MEASURE plans (wisdom cached)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— GENFIRE benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size < 8 || size > 1024
      || iterations < 1 || threads < 1)
    {
      g_printerr ("reconstruct: %s\n", error ? error->message : "bad size, iterations or threads");
      return 2;
    }
  if (measure)
    aet_fft_set_effort (AET_FFT_MEASURE);

  gint64 t_start = g_get_monotonic_time ();
  g_autoptr (AetTiltSeries) series = make_series (size, 0.357, (guint) threads);
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, (guint) threads);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.iterations = iterations;

  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (AetFourierGrid) grid = aet_fourier_grid_new (series, 0, params.oversampling,
                                                          params.cutoff, (guint) threads, job,
                                                          &error);
  g_assert_no_error (error);
  const gdouble gridding = (g_get_monotonic_time () - t0) / 1e6;

  /* the FFTs one iteration needs, with the plans GENFIRE uses */
  const int dims[3] = { grid->gz, grid->gy, grid->gx };
  gint64 tp = g_get_monotonic_time ();
  fftwf_plan fwd = aet_fft_plan_r2c (3, dims, 1, (guint) threads);
  fftwf_plan inv = aet_fft_plan_c2r (3, dims, 1, (guint) threads);
  const gdouble planning = (g_get_monotonic_time () - tp) / 1e6;
  const gsize n_real = (gsize) grid->gz * grid->gy * grid->gx;
  float *r = fftwf_alloc_real (n_real);
  fftwf_complex *k = fftwf_alloc_complex ((gsize) grid->gz * grid->gy * grid->gh);
  for (gsize i = 0; i < n_real; i++)
    r[i] = (float) ((i * 2654435761u) % 1000) * 1e-3f;
  const gint reps = 5;
  fftwf_execute_dft_r2c (fwd, r, k);  /* warm up */
  gint64 tf = g_get_monotonic_time ();
  for (gint i = 0; i < reps; i++)
    {
      fftwf_execute_dft_r2c (fwd, r, k);
      fftwf_execute_dft_c2r (inv, k, r);
    }
  const gdouble fft_pair = (g_get_monotonic_time () - tf) / 1e6 / reps;
  fftwf_free (r);
  fftwf_free (k);

  AetReconStats stats = { 0 };
  g_autoptr (AetVolume) vol = aet_genfire_from_grid (grid, series->images->voxel_size, &params,
                                                     &stats, job, &error);
  g_assert_no_error (error);
  const gdouble total = (g_get_monotonic_time () - t_start) / 1e6;
  const gdouble per_iter = stats.iteration_seconds / stats.n_iterations;
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);

  g_print ("grid: %d × %d × %d (r2c half %d), %d measured columns, %zu points\n",
           grid->gx, grid->gy, grid->gz, grid->gh, grid->n_columns,
           aet_fourier_grid_n_points (grid));
  g_print ("threads: %d, FFTW planning: %s, %.2f s\n", threads,
           measure ? "measure" : "estimate", planning);
  g_print ("gridding:              %.3f s\n", gridding);
  g_print ("per iteration:         %.4f s (%d iterations, %.2f s)\n", per_iter,
           stats.n_iterations, stats.iteration_seconds);
  g_print ("FFTs of one iteration: %.4f s (r2c + c2r of the grid)\n", fft_pair);
  g_print ("iteration / FFTs:      %.3f (target ≤ 1.5)\n", per_iter / fft_pair);
  g_print ("error: %.4f → %.4f, R_free %.4f → %.4f, best iteration %d\n", stats.error[0],
           stats.error[stats.n_iterations - 1], stats.rfree[0],
           stats.rfree[stats.n_iterations - 1], stats.best_iteration);
  g_print ("total (phantom, gridding, FFT timing, iterations): %.2f s (target < 60 s)\n", total);
  g_print ("peak memory: %.1f MB\n", ru.ru_maxrss / 1024.0);
  aet_recon_stats_clear (&stats);

  /* the baselines on the same data, for scale */
  params.method = AET_RECON_SIRT;
  params.iterations = 10;
  g_autoptr (AetVolume) sirt = aet_reconstruct (series, &params, &stats, job, &error);
  g_assert_no_error (error);
  g_print ("SIRT per iteration:    %.4f s (%d iterations)\n",
           stats.iteration_seconds / stats.n_iterations, stats.n_iterations);
  aet_recon_stats_clear (&stats);
  params.method = AET_RECON_WBP;
  g_autoptr (AetVolume) wbp = aet_reconstruct (series, &params, &stats, job, &error);
  g_assert_no_error (error);
  g_print ("WBP:                   %.4f s\n", stats.total_seconds);
  aet_recon_stats_clear (&stats);
  g_autoptr (GError) werr = NULL;
  if (measure && !aet_fft_save_wisdom (&werr))
    g_printerr ("reconstruct: %s\n", werr->message);
  return 0;
}
