#include "aet-atom-density.h"
#include "aet-error.h"
#include "aet-match.h"
#include "aet-trace.h"
#include "fcc-ball.h"

#include <fftw3.h>
#include <math.h>

#define N_BOX 80
#define VOXEL 0.357

static AetVolume *
render_truth (const AetAtoms *truth)
{
  AetVolume *v = aet_volume_new (N_BOX, N_BOX, N_BOX, VOXEL);
  aet_render_gaussian_atoms (truth, v, 4.0, 1.0, NULL, 2);
  return v;
}

static void
add_noise (AetVolume *v, gdouble sigma, guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  gsize n = aet_volume_n_voxels (v);
  for (gsize i = 0; i < n; i += 2)
    {
      /* Box–Muller */
      gdouble u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
      gdouble r = sigma * sqrt (-2.0 * log (u1));
      v->data[i] += (gfloat) (r * cos (2 * G_PI * u2));
      if (i + 1 < n)
        v->data[i + 1] += (gfloat) (r * sin (2 * G_PI * u2));
    }
}

static AetAtoms *
make_truth (guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  return fcc_ball_new (rng, 3.924, 10.0, N_BOX, VOXEL, 0.15);
}

static void
test_clean_volume_exact (void)
{
  g_autoptr (AetAtoms) truth = make_truth (1);
  g_autoptr (AetVolume) v = render_truth (truth);
  for (gint up = 1; up <= 3; up += 2)
    {
      AetTraceParams p;
      aet_trace_params_init_defaults (&p);
      p.upsample = up;
      g_autoptr (GError) error = NULL;
      g_autoptr (AetAtoms) traced = aet_trace (v, &p, NULL, &error);
      g_assert_no_error (error);
      AetMatchStats s;
      g_assert_true (aet_match_atoms (truth, traced, 0.9, &s, FALSE, &error));
      g_test_message ("clean, upsample %d: %zu truth, %zu traced, recall %.4f precision %.4f "
                      "RMSD %.2f pm", up, s.n_reference, s.n_model, s.recall, s.precision,
                      s.rmsd_pm);
      g_assert_cmpuint (truth->n_atoms, >, 250);
      g_assert_cmpfloat (s.recall, ==, 1.0);
      g_assert_cmpfloat (s.precision, ==, 1.0);
      g_assert_cmpfloat (s.rmsd_pm, <, 5.0);
      /* the columns are there and say the fits are good */
      const gfloat *fe = aet_atoms_get_column (traced, "fit_error");
      const gfloat *un = aet_atoms_get_column (traced, "uncertainty_pm");
      const gfloat *in = aet_atoms_get_column (traced, "intensity");
      const gfloat *pk = aet_atoms_get_column (traced, "peak");
      g_assert_nonnull (fe);
      g_assert_nonnull (un);
      g_assert_nonnull (pk);
      /* 19 voxels within 1.5 voxels of the centre; the atom is off-grid */
      gdouble sg2 = 2 * pow (aet_b_to_sigma (4.0) / VOXEL, 2);
      gdouble expect = 1 + 6 * exp (-1 / sg2) + 12 * exp (-2 / sg2);
      for (gsize i = 0; i < traced->n_atoms; i++)
        {
          g_assert_cmpfloat (fe[i], <, 0.1);
          g_assert_cmpfloat (un[i], <, 5.0);
          g_assert_cmpfloat (fabs (pk[i] - 1.0), <, 0.05);
          /* on-grid that ball sums to `expect`; off-grid a little less, and
           * neighbours' tails add a little */
          g_assert_cmpfloat (in[i] / expect, >, 0.75);
          g_assert_cmpfloat (in[i] / expect, <, 1.05);
          if (i > 0)
            g_assert_cmpfloat (in[i], <=, in[i - 1]);
        }
    }
}

typedef struct
{
  gdouble noise, rmsd, recall, precision, mean_unc;
} NoiseRow;

static void
test_noise_rmsd_grows_smoothly (void)
{
  g_autoptr (AetAtoms) truth = make_truth (2);
  g_autoptr (AetVolume) clean = render_truth (truth);
  /* noise σ as a fraction of the atom peak (1.0) */
  const gdouble levels[] = { 0.0, 0.025, 0.05, 0.1, 0.15, 0.2 };
  NoiseRow rows[G_N_ELEMENTS (levels)];
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      g_autoptr (AetVolume) v = aet_volume_dup (clean);
      add_noise (v, levels[l], 100 + l);
      g_autoptr (GError) error = NULL;
      g_autoptr (AetAtoms) traced = aet_trace (v, NULL, NULL, &error);
      g_assert_no_error (error);
      AetMatchStats s;
      g_assert_true (aet_match_atoms (truth, traced, 0.9, &s, FALSE, &error));
      const gfloat *un = aet_atoms_get_column (traced, "uncertainty_pm");
      gdouble mu = 0;
      for (gsize i = 0; i < traced->n_atoms; i++)
        mu += un[i];
      mu /= MAX (traced->n_atoms, 1u);
      rows[l] = (NoiseRow) { levels[l], s.rmsd_pm, s.recall, s.precision, mu };
      g_test_message ("noise %.3f: recall %.4f precision %.4f RMSD %.2f pm "
                      "(σ %.2f %.2f %.2f) mean uncertainty %.2f pm; surface RMSD %.2f, "
                      "interior %.2f", levels[l], s.recall, s.precision, s.rmsd_pm,
                      s.sigma_pm[0], s.sigma_pm[1], s.sigma_pm[2], mu, s.rmsd_surface_pm,
                      s.rmsd_interior_pm);
    }
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      /* all atoms found, no false ones, at every level up to 20 % noise */
      g_assert_cmpfloat (rows[l].recall, ==, 1.0);
      g_assert_cmpfloat (rows[l].precision, ==, 1.0);
      /* RMSD bounded: measured ≈ 35–38 pm per unit of relative noise */
      g_assert_cmpfloat (rows[l].rmsd, <, 1.0 + 50.0 * rows[l].noise);
      if (l > 0)
        {
          /* smooth: never drops by more than 10 %, never jumps by more than
           * 3× the step of noise it was given */
          g_assert_cmpfloat (rows[l].rmsd, >, 0.9 * rows[l - 1].rmsd);
          g_assert_cmpfloat (rows[l].rmsd - rows[l - 1].rmsd, <,
                             3.0 * 60.0 * (rows[l].noise - rows[l - 1].noise) + 1.0);
          /* the reported uncertainty tracks the measured error */
          g_assert_cmpfloat (rows[l].mean_unc, >, rows[l].rmsd / 2.0);
          g_assert_cmpfloat (rows[l].mean_unc, <, rows[l].rmsd * 2.0);
        }
    }
}

static void
test_thread_count_invariant (void)
{
  g_autoptr (AetAtoms) truth = make_truth (3);
  g_autoptr (AetVolume) v = render_truth (truth);
  add_noise (v, 0.05, 9);
  g_autoptr (AetAtoms) one = NULL;
  for (guint t = 1; t <= 3; t++)
    {
      g_autoptr (AetJob) job = aet_job_new ();
      aet_job_set_threads (job, t);
      g_autoptr (AetAtoms) traced = aet_trace (v, NULL, job, NULL);
      g_assert_nonnull (traced);
      if (one == NULL)
        {
          one = g_steal_pointer (&traced);
          continue;
        }
      g_assert_cmpuint (traced->n_atoms, ==, one->n_atoms);
      for (gsize i = 0; i < 3 * one->n_atoms; i++)
        g_assert_cmpfloat (traced->positions[i], ==, one->positions[i]);
    }
  /* the automatic threshold is documented as 0.25 × the 99.9th percentile:
   * giving that value explicitly must trace exactly the same atoms, and a
   * threshold just above an atom's peak must lose atoms */
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.threshold = 0.25 * aet_volume_percentile (v, 99.9);
  g_autoptr (AetAtoms) explicit = aet_trace (v, &p, NULL, NULL);
  g_assert_cmpuint (explicit->n_atoms, ==, one->n_atoms);
  for (gsize i = 0; i < 3 * one->n_atoms; i++)
    g_assert_cmpfloat (explicit->positions[i], ==, one->positions[i]);
  p.threshold = 1.0;
  g_autoptr (AetAtoms) high = aet_trace (v, &p, NULL, NULL);
  g_assert_cmpuint (high->n_atoms, <, one->n_atoms);
}

static void
test_kmeans_rejects_false_peaks (void)
{
  /* weak blobs (15 % of an atom's integrated intensity) placed in the empty
   * corners of the box are peaks above the threshold but not atoms */
  g_autoptr (AetAtoms) truth = make_truth (4);
  g_autoptr (AetVolume) v = render_truth (truth);
  g_autoptr (AetAtoms) junk = aet_atoms_new (8);
  for (int c = 0; c < 8; c++)
    aet_atoms_append (junk, 1, (c & 1 ? 25.0 : 3.5), (c & 2 ? 25.0 : 3.5), (c & 4 ? 25.0 : 3.5));
  aet_render_gaussian_atoms (junk, v, 4.0, 0.15, NULL, 1);
  /* explicit low threshold so they are candidates */
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.threshold = 0.1;
  g_autoptr (AetAtoms) with = aet_trace (v, &p, NULL, NULL);
  p.kmeans = FALSE;
  g_autoptr (AetAtoms) without = aet_trace (v, &p, NULL, NULL);
  g_assert_cmpuint (without->n_atoms, ==, truth->n_atoms + 8);
  g_assert_cmpuint (with->n_atoms, ==, truth->n_atoms);
  AetMatchStats s;
  g_assert_true (aet_match_atoms (truth, with, 0.9, &s, FALSE, NULL));
  g_assert_cmpfloat (s.precision, ==, 1.0);
  g_assert_cmpfloat (s.recall, ==, 1.0);
}

static void
test_min_distance_keeps_stronger (void)
{
  /* two atoms 1.5 Å apart, one twice as strong: with the default 2 Å only the
   * strong one stays; with 1 Å both do */
  g_autoptr (AetVolume) v = aet_volume_new (48, 48, 48, VOXEL);
  g_autoptr (AetAtoms) a = aet_atoms_new (1);
  aet_atoms_append (a, 78, 7.0, 8.5, 8.5);
  g_autoptr (AetAtoms) b = aet_atoms_new (1);
  aet_atoms_append (b, 78, 8.5, 8.5, 8.5);
  aet_render_gaussian_atoms (a, v, 1.0, 2.0, NULL, 1);
  aet_render_gaussian_atoms (b, v, 1.0, 1.0, NULL, 1);
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.fit_radius = 2;
  g_autoptr (AetAtoms) t2 = aet_trace (v, &p, NULL, NULL);
  g_assert_cmpuint (t2->n_atoms, ==, 1);
  g_assert_cmpfloat (fabs (t2->positions[0] - 7.0), <, 0.1);
  p.min_distance = 1.0;
  g_autoptr (AetAtoms) t1 = aet_trace (v, &p, NULL, NULL);
  g_assert_cmpuint (t1->n_atoms, ==, 2);
}

static void
test_refinement_removes_neighbour_pull (void)
{
  /* a row of broad (B = 8 Å²) atoms 2.3 Å apart: each window holds a good
   * part of its neighbours, which pull the centres of the end atoms inward;
   * refitting with the neighbours subtracted removes most of that */
  g_autoptr (AetAtoms) truth = aet_atoms_new (4);
  for (int i = 0; i < 4; i++)
    aet_atoms_append (truth, 78, 5.0 + 2.3 * i, 8.0, 8.1);
  g_autoptr (AetVolume) v = aet_volume_new (64, 48, 48, VOXEL);
  aet_render_gaussian_atoms (truth, v, 8.0, 1.0, NULL, 1);
  gdouble err[2];
  for (int r = 0; r < 2; r++)
    {
      AetTraceParams p;
      aet_trace_params_init_defaults (&p);
      p.refine_passes = r == 0 ? 0 : 3;
      p.kmeans = FALSE;
      g_autoptr (AetAtoms) t = aet_trace (v, &p, NULL, NULL);
      g_assert_cmpuint (t->n_atoms, ==, 4);
      AetMatchStats s;
      g_assert_true (aet_match_atoms (truth, t, 0.9, &s, FALSE, NULL));
      g_assert_cmpuint (s.n_matched, ==, 4);
      /* raw error, offset included: the pull is symmetric */
      err[r] = 0;
      for (gsize i = 0; i < t->n_atoms; i++)
        for (gsize j = 0; j < truth->n_atoms; j++)
          if (fabs (t->positions[3 * i] - truth->positions[3 * j]) < 0.9)
            err[r] = MAX (err[r], fabs (t->positions[3 * i] - truth->positions[3 * j]));
      g_test_message ("refine passes %d: largest x error %.2f pm", p.refine_passes,
                      100 * err[r]);
    }
  g_assert_cmpfloat (err[0], >, 0.02);
  g_assert_cmpfloat (err[1], <, 0.25 * err[0]);
}

/* Removes the Fourier coefficients a ±65° single-axis (y) tilt series
 * never measures, |kz| > |kx|·tan 65°: atoms become elongated along z with
 * side lobes, as in a raw reconstruction. */
static void
apply_missing_wedge (AetVolume *v)
{
  const gint n = v->nx, nh = n / 2 + 1;
  fftwf_complex *f = fftwf_alloc_complex ((gsize) n * n * nh);
  fftwf_plan fwd = fftwf_plan_dft_r2c_3d (n, n, n, v->data, f, FFTW_ESTIMATE);
  fftwf_plan inv = fftwf_plan_dft_c2r_3d (n, n, n, f, v->data, FFTW_ESTIMATE);
  fftwf_execute (fwd);
  gdouble t65 = tan (65.0 * G_PI / 180.0), scale = 1.0 / ((gdouble) n * n * n);
  for (gint k = 0; k < n; k++)
    for (gint j = 0; j < n; j++)
      for (gint i = 0; i < nh; i++)
        {
          gint kz = k <= n / 2 ? k : k - n;
          gsize idx = (gsize) i + (gsize) nh * ((gsize) j + (gsize) n * k);
          gdouble w = fabs ((gdouble) kz) > i * t65 + 0.5 ? 0.0 : scale;
          f[idx][0] *= w;
          f[idx][1] *= w;
        }
  fftwf_execute (inv);
  fftwf_destroy_plan (fwd);
  fftwf_destroy_plan (inv);
  fftwf_free (f);
}

static void
test_missing_wedge_volume (void)
{
  g_autoptr (AetAtoms) truth = make_truth (5);
  g_autoptr (AetVolume) v = render_truth (truth);
  apply_missing_wedge (v);
  add_noise (v, 0.05, 55);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) traced = aet_trace (v, NULL, NULL, &error);
  g_assert_no_error (error);
  AetMatchStats s;
  g_assert_true (aet_match_atoms (truth, traced, 0.9, &s, FALSE, NULL));
  g_test_message ("missing wedge + 5 %% noise: recall %.4f precision %.4f RMSD %.2f pm "
                  "(σ %.2f %.2f %.2f)", s.recall, s.precision, s.rmsd_pm, s.sigma_pm[0],
                  s.sigma_pm[1], s.sigma_pm[2]);
  g_assert_cmpfloat (s.recall, >=, 0.99);
  g_assert_cmpfloat (s.precision, >=, 0.99);
  g_assert_cmpfloat (s.rmsd_pm, <, 12.0);
  /* the elongation is along z: that axis is the least precise */
  g_assert_cmpfloat (s.sigma_pm[2], >, s.sigma_pm[0]);
}

static void
test_bad_input (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (16, 16, 16, VOXEL);
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.upsample = 2;
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_trace (v, &p, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  aet_trace_params_init_defaults (&p);
  p.min_distance = NAN;
  g_assert_null (aet_trace (v, &p, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  aet_trace_params_init_defaults (&p);
  p.refine_passes = -1;
  g_assert_null (aet_trace (v, &p, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  v->data[100] = NAN;
  g_assert_null (aet_trace (v, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_clear_error (&error);
  /* an all-zero volume has no atoms, and no error */
  v->data[100] = 0;
  g_autoptr (AetAtoms) none = aet_trace (v, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->n_atoms, ==, 0);
  /* a cancelled job stops with AET_ERROR_CANCELLED */
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_assert_null (aet_trace (v, NULL, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/trace/clean-volume-exact", test_clean_volume_exact);
  g_test_add_func ("/compute/trace/noise-rmsd-grows-smoothly", test_noise_rmsd_grows_smoothly);
  g_test_add_func ("/compute/trace/thread-count-invariant", test_thread_count_invariant);
  g_test_add_func ("/compute/trace/kmeans-rejects-false-peaks", test_kmeans_rejects_false_peaks);
  g_test_add_func ("/compute/trace/min-distance-keeps-stronger", test_min_distance_keeps_stronger);
  g_test_add_func ("/compute/trace/refinement-removes-neighbour-pull",
                   test_refinement_removes_neighbour_pull);
  g_test_add_func ("/compute/trace/missing-wedge-volume", test_missing_wedge_volume);
  g_test_add_func ("/compute/trace/bad-input", test_bad_input);
  return g_test_run ();
}
