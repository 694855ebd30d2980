#define G_LOG_DOMAIN "test-genfire"

#include "aet-error.h"
#include "aet-fft.h"
#include "aet-fourier-grid.h"
#include "aet-genfire.h"
#include "aet-reconstruct.h"
#include "recon-fixtures.h"

#include <math.h>
#include <string.h>

#define PIXEL 0.5
#define B_WIDTH 7.0   /* σ = 0.6 Å = 1.2 voxels */

static AetVolume *
reconstruct (AetTiltSeries *series, AetReconMethod method, gint iterations, guint threads,
             AetReconStats *stats)
{
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = method;
  params.iterations = iterations;
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, threads);
  g_autoptr (GError) error = NULL;
  AetVolume *v = aet_reconstruct (series, &params, stats, job, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v);
  return v;
}

/* A noise-free particle over the full ±90° range is recovered. */
static void
test_full_range (void)
{
  const gint n = 40;
  const gdouble off[3] = { 0.3, -0.4, 0.2 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 6.0, off);
  g_autoptr (AetVolume) truth = fix_truth (atoms, n, n, PIXEL, B_WIDTH);
  g_autofree gdouble *angles = fix_angles (-90.0, 3.0, 60);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, 60, NULL);
  AetReconStats stats = { 0 };
  g_autoptr (AetVolume) rec = reconstruct (series, AET_RECON_GENFIRE, 50, 2, &stats);
  const gdouble ncc = fix_ncc (rec, truth);
  g_test_message ("full range: %zu atoms, GENFIRE NCC %.4f, error %.4f → %.4f, "
                  "R_free %.4f → %.4f, best iteration %d, gridding %.3f s",
                  atoms->n_atoms, ncc, stats.error[0], stats.error[49], stats.rfree[0],
                  stats.rfree[49], stats.best_iteration, stats.gridding_seconds);
  g_assert_cmpfloat (ncc, >=, 0.95);
  g_assert_cmpint (stats.n_iterations, ==, 50);
  g_assert_cmpfloat (stats.error[49], <, stats.error[0]);
  g_assert_cmpfloat (stats.rfree[49], <, stats.rfree[0]);
  g_assert_cmpfloat (stats.rfree[49], >, 0.0);
  aet_recon_stats_clear (&stats);
}

/* ±65° in 21 steps: GENFIRE beats SIRT, which beats WBP. */
static void
test_compare_methods (void)
{
  const gint n = 48;
  const gdouble off[3] = { 0.0, 0.0, 0.0 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 8.0, off);
  g_autoptr (AetVolume) truth = fix_truth (atoms, n, n, PIXEL, B_WIDTH);
  g_autofree gdouble *angles = fix_angles (-65.0, 6.5, 21);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, 21, NULL);
  g_autoptr (AetVolume) g = reconstruct (series, AET_RECON_GENFIRE, 100, 2, NULL);
  g_autoptr (AetVolume) s = reconstruct (series, AET_RECON_SIRT, 50, 2, NULL);
  g_autoptr (AetVolume) w = reconstruct (series, AET_RECON_WBP, 0, 2, NULL);
  const gdouble ng = fix_ncc (g, truth), ns = fix_ncc (s, truth), nw = fix_ncc (w, truth);
  g_test_message ("±65°/21 tilts, %zu atoms: NCC GENFIRE %.4f, SIRT %.4f, WBP %.4f",
                  atoms->n_atoms, ng, ns, nw);
  g_assert_cmpfloat (ng, >, ns);
  g_assert_cmpfloat (ns, >, nw);
  g_assert_cmpfloat (nw, >, 0.3);  /* WBP is a real reconstruction, not noise */
}

/* Sub-voxel peak of a volume near voxel (i, j, k): the maximum within 2
 * voxels, then a parabola through the logarithms (exact for a Gaussian). */
static void
find_peak (const AetVolume *v, const gdouble guess[3], gdouble out[3])
{
  gint best[3] = { 0, 0, 0 };
  gfloat bv = -G_MAXFLOAT;
  for (gint k = (gint) guess[2] - 2; k <= (gint) guess[2] + 3; k++)
    for (gint j = (gint) guess[1] - 2; j <= (gint) guess[1] + 3; j++)
      for (gint i = (gint) guess[0] - 2; i <= (gint) guess[0] + 3; i++)
        {
          gfloat x = v->data[aet_volume_index (v, i, j, k)];
          if (x > bv)
            {
              bv = x;
              best[0] = i;
              best[1] = j;
              best[2] = k;
            }
        }
  for (gint a = 0; a < 3; a++)
    {
      gint lo[3] = { best[0], best[1], best[2] }, hi[3] = { best[0], best[1], best[2] };
      lo[a]--;
      hi[a]++;
      const gdouble l = log (MAX (v->data[aet_volume_index (v, lo[0], lo[1], lo[2])], 1e-6f));
      const gdouble c = log (MAX (bv, 1e-6f));
      const gdouble h = log (MAX (v->data[aet_volume_index (v, hi[0], hi[1], hi[2])], 1e-6f));
      const gdouble den = l - 2 * c + h;
      out[a] = best[a] + (den < 0 ? 0.5 * (l - h) / den : 0.0);
    }
}

/* An independent analytic tilt series (uneven steps, −60…+72°, per-image
 * shifts) reconstructs with every atom where it belongs, for even and odd
 * sizes and every method: no flips, no half-voxel shifts. */
static void
check_geometry (gint n, gint m)
{
  const gdouble angles[] = { -60, -52, -45.5, -38, -30, -21, -14, -6, 0, 5, 13, 22, 30, 37.5,
                             46, 53, 61, 66, 72 };
  const gint n_img = G_N_ELEMENTS (angles);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7 + n);
  g_autofree gdouble *shifts = g_new (gdouble, 2 * n_img);
  for (gint i = 0; i < 2 * n_img; i++)
    shifts[i] = g_rand_double_range (rand, -1.5, 1.5);
  /* atoms in an asymmetric pattern, ≥ 7 voxels apart, off-grid */
  const gdouble offsets[][3] = { { -9.3, -6.2, 8.4 }, { 7.6, -8.1, -3.3 }, { 0.4, 0.45, 0.2 },
                                 { -2.7, 8.9, -8.6 }, { 9.1, 6.3, 6.6 }, { -10.2, 3.4, -1.7 },
                                 { 3.2, -1.6, -10.4 } };
  g_autoptr (AetAtoms) atoms = aet_atoms_new (8);
  for (guint a = 0; a < G_N_ELEMENTS (offsets); a++)
    aet_atoms_append (atoms, 78, (n / 2 + offsets[a][0]) * PIXEL, (m / 2 + offsets[a][1]) * PIXEL,
                      (n / 2 + offsets[a][2]) * PIXEL);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, m, PIXEL, B_WIDTH, angles, n_img,
                                                  shifts);
  const AetReconMethod methods[] = { AET_RECON_GENFIRE, AET_RECON_SIRT, AET_RECON_WBP };
  const char *names[] = { "GENFIRE", "SIRT", "WBP" };
  for (guint mi = 0; mi < G_N_ELEMENTS (methods); mi++)
    {
      g_autoptr (AetVolume) rec = reconstruct (series, methods[mi], 60, 2, NULL);
      g_assert_cmpint (rec->nx, ==, n);
      g_assert_cmpint (rec->ny, ==, m);
      g_assert_cmpint (rec->nz, ==, n);
      g_assert_cmpfloat (rec->voxel_size, ==, PIXEL);
      gdouble worst = 0.0;
      for (gsize a = 0; a < atoms->n_atoms; a++)
        {
          gdouble truth[3], peak[3];
          for (gint d = 0; d < 3; d++)
            truth[d] = atoms->positions[3 * a + d] / PIXEL;
          find_peak (rec, truth, peak);
          for (gint d = 0; d < 3; d++)
            {
              worst = MAX (worst, fabs (peak[d] - truth[d]));
              if (fabs (peak[d] - truth[d]) > 0.25)
                g_error ("%s %d×%d: atom %zu axis %d at %.3f, truth %.3f", names[mi], n, m, a,
                         d, peak[d], truth[d]);
            }
        }
      g_test_message ("%s %d×%d×%d: worst peak offset %.3f voxel", names[mi], n, m, n, worst);
    }
}

static void
test_geometry_even (void)
{
  check_geometry (40, 36);
}

static void
test_geometry_odd (void)
{
  check_geometry (41, 37);
}

/* The gridded values are the exact DFT of the image at the grid point. */
static void
test_grid_exact (void)
{
  const gint n = 16, m = 12;
  const gdouble angles[] = { 0.0, 30.0 };
  const gdouble shifts[] = { 0.4, -0.7, -1.1, 0.3 };
  g_autoptr (AetVolume) images = aet_volume_new (n, m, 2, 1.0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  for (gsize i = 0; i < aet_volume_n_voxels (images); i++)
    images->data[i] = (gfloat) g_rand_double (rand);
  g_autoptr (AetTiltSeries) series = aet_tilt_series_new (images, angles);
  memcpy (series->shifts, shifts, sizeof shifts);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFourierGrid) g = aet_fourier_grid_new (series, 0, 2.0, 0.3, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g->gx, ==, 32);
  g_assert_cmpint (g->gy, ==, 24);
  /* (kx, kz) = (3, 0) lies on the 0° plane only; (7, 4) on the 30° one only */
  const gint probes[2][3] = { { 3, 0, 0 }, { 7, 4, 1 } };
  for (gint pr = 0; pr < 2; pr++)
    {
      const gint kx = probes[pr][0], kz = probes[pr][1], t = probes[pr][2];
      gint col = -1;
      for (gint c = 0; c < g->n_columns; c++)
        if (g->col_kx[c] == kx && g->col_kz[c] == kz)
          col = c;
      g_assert_cmpint (col, >=, 0);
      const gdouble th = angles[t] * G_PI / 180;
      const gdouble a = (kx * cos (th) + kz * sin (th)) / g->gx;
      const gfloat *img = images->data + (gsize) t * n * m;
      for (gint j = 0; j < g->gy; j++)
        {
          const gint ky = j < g->gy / 2 ? j : j - g->gy;
          gdouble re = 0, im = 0;
          for (gint q = 0; q < m; q++)
            for (gint p = 0; p < n; p++)
              {
                const gdouble ph = -2 * G_PI * (a * (p - n / 2 - shifts[2 * t])
                                                + (gdouble) (kx * (n / 2) + kz * (n / 2)) / g->gx
                                                + (gdouble) ky * (q - shifts[2 * t + 1]) / g->gy);
                re += img[q * n + p] * cos (ph);
                im += img[q * n + p] * sin (ph);
              }
          const gfloat *v = g->values + ((gsize) col * g->gy + j) * 2;
          g_assert_cmpfloat_with_epsilon (v[0], re, 1e-4 * n * m);
          g_assert_cmpfloat_with_epsilon (v[1], im, 1e-4 * n * m);
        }
    }
  /* Hermitian on the kx = 0 plane */
  for (gint c = 0; c < g->n_columns; c++)
    {
      if (g->col_kx[c] != 0)
        continue;
      for (gint c2 = 0; c2 < g->n_columns; c2++)
        if (g->col_kx[c2] == 0 && (g->col_kz[c2] + g->col_kz[c] + g->gz) % g->gz == 0)
          for (gint j = 0; j < g->gy; j++)
            {
              const gfloat *v = g->values + ((gsize) c * g->gy + j) * 2;
              const gfloat *w = g->values + ((gsize) c2 * g->gy + (g->gy - j) % g->gy) * 2;
              g_assert_cmpfloat (v[0], ==, w[0]);
              g_assert_cmpfloat (v[1], ==, -w[1]);
            }
    }
}

/* 1 and 2 threads agree to float round-off. */
static void
test_threads (void)
{
  const gint n = 32;
  const gdouble off[3] = { 0.2, 0.1, -0.3 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 5.0, off);
  g_autofree gdouble *angles = fix_angles (-65.0, 6.5, 21);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, 21, NULL);
  g_autoptr (AetVolume) a = reconstruct (series, AET_RECON_GENFIRE, 20, 1, NULL);
  g_autoptr (AetVolume) b = reconstruct (series, AET_RECON_GENFIRE, 20, 2, NULL);
  AetVolumeStats st;
  aet_volume_get_stats (a, &st);
  gdouble diff = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (a); i++)
    diff = MAX (diff, fabs (a->data[i] - b->data[i]));
  g_test_message ("1 vs 2 threads: max difference %.3g of max %.3g", diff, st.max);
  g_assert_cmpfloat (diff, <=, 1e-4 * st.max);
  g_assert_cmpfloat (st.max, >, 0.1);
}

typedef struct
{
  AetJob *job;
  gint cancel_at;
  GPtrArray *snapshots;
  GArray *iterations;
} SnapData;

static void
on_snapshot (AetVolume *snap, gint iteration, gpointer user_data)
{
  SnapData *d = user_data;
  g_ptr_array_add (d->snapshots, aet_volume_ref (snap));
  g_array_append_val (d->iterations, iteration);
  if (iteration == d->cancel_at)
    aet_job_cancel (d->job);
}

static void
run_with_snapshots (gint every, gint cancel_at, gint iterations, SnapData *d,
                    AetReconStats *stats, GError **error, AetVolume **out)
{
  const gint n = 24;
  const gdouble off[3] = { 0, 0, 0 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 4.0, off);
  g_autofree gdouble *angles = fix_angles (-60.0, 10.0, 13);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, 13, NULL);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.iterations = iterations;
  params.snapshot_every = every;
  params.snapshot_func = on_snapshot;
  params.snapshot_data = d;
  d->job = aet_job_new ();
  d->cancel_at = cancel_at;
  d->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) aet_volume_unref);
  d->iterations = g_array_new (FALSE, FALSE, sizeof (gint));
  *out = aet_reconstruct (series, &params, stats, d->job, error);
}

static void
snap_data_clear (SnapData *d)
{
  g_clear_pointer (&d->job, aet_job_unref);
  g_clear_pointer (&d->snapshots, g_ptr_array_unref);
  g_clear_pointer (&d->iterations, g_array_unref);
}

static void
test_snapshots (void)
{
  SnapData d = { 0 };
  AetReconStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) vol = NULL;
  run_with_snapshots (3, -1, 10, &d, &stats, &error, &vol);
  g_assert_no_error (error);
  g_assert_nonnull (vol);
  g_assert_cmpuint (d.snapshots->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      AetVolume *s = g_ptr_array_index (d.snapshots, i);
      g_assert_cmpint (g_array_index (d.iterations, gint, i), ==, 3 * (gint) (i + 1));
      g_assert_true (s != vol);
      g_assert_cmpint (s->nx, ==, 24);
      g_assert_cmpint (s->nz, ==, 24);
      if (i > 0)
        g_assert_true (s != g_ptr_array_index (d.snapshots, i - 1));
    }
  /* published snapshots are distinct iterates, not one buffer rewritten */
  AetVolume *s0 = g_ptr_array_index (d.snapshots, 0), *s2 = g_ptr_array_index (d.snapshots, 2);
  g_assert_cmpint (memcmp (s0->data, s2->data, sizeof (gfloat) * aet_volume_n_voxels (s0)), !=,
                   0);
  aet_recon_stats_clear (&stats);
  snap_data_clear (&d);
}

static void
test_cancel (void)
{
  SnapData d = { 0 };
  AetReconStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) vol = NULL;
  run_with_snapshots (1, 4, 50, &d, &stats, &error, &vol);
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
  g_assert_null (vol);
  /* cancelled during iteration 4: iteration 5 never runs */
  g_assert_cmpint (stats.n_iterations, ==, 4);
  g_assert_cmpuint (d.snapshots->len, ==, 4);
  aet_recon_stats_clear (&stats);
  snap_data_clear (&d);
}

static void
test_extension (void)
{
  const gint n = 32;
  const gdouble off[3] = { 0, 0, 0 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 5.0, off);
  g_autoptr (AetVolume) truth = fix_truth (atoms, n, n, PIXEL, B_WIDTH);
  g_autofree gdouble *angles = fix_angles (-65.0, 6.5, 21);
  g_autoptr (AetTiltSeries) series = fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, 21, NULL);
  const AetExtensionMode modes[] = { AET_EXTENSION_OFF, AET_EXTENSION_ON,
                                     AET_EXTENSION_SUPPRESS };
  gdouble ncc[3];
  for (gint i = 0; i < 3; i++)
    {
      AetReconParams params;
      aet_recon_params_init (&params);
      params.iterations = 60;
      params.extension = modes[i];
      AetReconStats stats = { 0 };
      g_autoptr (GError) error = NULL;
      g_autoptr (AetVolume) v = aet_reconstruct (series, &params, &stats, NULL, &error);
      g_assert_no_error (error);
      ncc[i] = fix_ncc (v, truth);
      /* with extension the best iterate comes late, once all points are enforced */
      if (modes[i] != AET_EXTENSION_OFF)
        g_assert_cmpint (stats.best_iteration, >, 30);
      aet_recon_stats_clear (&stats);
    }
  g_test_message ("NCC: all points %.4f, extension %.4f, extension+suppression %.4f", ncc[0],
                  ncc[1], ncc[2]);
  for (gint i = 0; i < 3; i++)
    g_assert_cmpfloat (ncc[i], >, 0.8);
}

static void
test_invalid (void)
{
  g_autoptr (AetVolume) images = aet_volume_new (8, 8, 3, 1.0);
  const gdouble angles[] = { -10, 0, 10 };
  g_autoptr (AetTiltSeries) series = aet_tilt_series_new (images, angles);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.oversampling = 0.5;
  g_autoptr (GError) e1 = NULL;
  g_assert_null (aet_reconstruct (series, &params, NULL, NULL, &e1));
  g_assert_error (e1, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (e1->message, "oversampling"));
  aet_recon_params_init (&params);
  images->data[5] = NAN;
  g_autoptr (GError) e2 = NULL;
  g_assert_null (aet_reconstruct (series, &params, NULL, NULL, &e2));
  g_assert_error (e2, AET_ERROR, AET_ERROR_DATA);
  images->data[5] = 0;
  series->angles[1] = 120;
  g_autoptr (GError) e3 = NULL;
  g_assert_null (aet_reconstruct (series, &params, NULL, NULL, &e3));
  g_assert_error (e3, AET_ERROR, AET_ERROR_INVALID);
}

/* Plans are cached: the same request gives the same plan, and r2c then
 * c2r returns the input times the size. */
static void
test_fft_cache (void)
{
  const int dims[3] = { 6, 10, 12 };
  fftwf_plan a = aet_fft_plan_r2c (3, dims, 1, 2);
  g_assert_true (a == aet_fft_plan_r2c (3, dims, 1, 2));
  g_assert_true (a != aet_fft_plan_r2c (3, dims, 1, 1));
  float *x = fftwf_alloc_real (720), *y = fftwf_alloc_real (720);
  fftwf_complex *k = fftwf_alloc_complex (6 * 10 * 7);
  for (int i = 0; i < 720; i++)
    x[i] = (float) sin (i * 0.37);
  fftwf_execute_dft_r2c (a, x, k);
  fftwf_execute_dft_c2r (aet_fft_plan_c2r (3, dims, 1, 2), k, y);
  for (int i = 0; i < 720; i++)
    g_assert_cmpfloat_with_epsilon (y[i] / 720.0f, x[i], 1e-5);
  fftwf_free (x);
  fftwf_free (y);
  fftwf_free (k);
  g_autofree char *path = aet_fft_wisdom_path ();
  g_assert_true (g_str_has_suffix (path, "aet-studio/fftw-wisdom"));
}

int
main (int argc, char **argv)
{
  /* keep the tests from writing wisdom into the user's cache */
  g_setenv ("XDG_CACHE_HOME", g_get_tmp_dir (), TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/genfire/full-range", test_full_range);
  g_test_add_func ("/compute/genfire/compare-methods", test_compare_methods);
  g_test_add_func ("/compute/genfire/geometry-even", test_geometry_even);
  g_test_add_func ("/compute/genfire/geometry-odd", test_geometry_odd);
  g_test_add_func ("/compute/genfire/grid-exact", test_grid_exact);
  g_test_add_func ("/compute/genfire/threads", test_threads);
  g_test_add_func ("/compute/genfire/snapshots", test_snapshots);
  g_test_add_func ("/compute/genfire/cancel", test_cancel);
  g_test_add_func ("/compute/genfire/extension", test_extension);
  g_test_add_func ("/compute/genfire/invalid", test_invalid);
  g_test_add_func ("/compute/fft/plan-cache", test_fft_cache);
  return g_test_run ();
}
