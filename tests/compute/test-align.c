#define G_LOG_DOMAIN "test-align"

#include "aet-align.h"
#include "aet-reconstruct.h"
#include "recon-fixtures.h"

#include <math.h>
#include <string.h>

#define PIXEL 0.5
#define B_WIDTH 7.0
#define N 40
#define N_IMG 21

typedef struct
{
  AetVolume *truth;
  AetTiltSeries *series;     /* images drawn with `shifts`; series->shifts zeroed */
  gdouble shifts[2 * N_IMG];
  gdouble angles[N_IMG];
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const gdouble off[3] = { 1.3, -0.8, 0.6 };  /* off-centre: the gauge is tested too */
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (N, PIXEL, 6.0, off);
  f->truth = fix_truth (atoms, N, N, PIXEL, B_WIDTH);
  g_autoptr (GRand) rand = g_rand_new_with_seed (GPOINTER_TO_UINT (data));
  for (gint i = 0; i < N_IMG; i++)
    f->angles[i] = -65.0 + 6.5 * i;
  for (gint i = 0; i < 2 * N_IMG; i++)
    f->shifts[i] = g_rand_double_range (rand, -2.0, 2.0);
  f->series = fix_project (atoms, N, N, PIXEL, B_WIDTH, f->angles, N_IMG, f->shifts);
  memset (f->series->shifts, 0, sizeof (gdouble) * 2 * N_IMG);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  aet_volume_unref (f->truth);
  aet_tilt_series_unref (f->series);
}

/* The largest difference between found and true shifts once the
 * unobservable object motion is taken out of both. */
static gdouble
shift_error (const Fixture *f)
{
  g_autoptr (AetTiltSeries) truth = aet_tilt_series_dup (f->series);
  memcpy (truth->shifts, f->shifts, sizeof f->shifts);
  aet_align_remove_gauge (truth);
  g_autoptr (AetTiltSeries) found = aet_tilt_series_dup (f->series);
  aet_align_remove_gauge (found);
  gdouble worst = 0;
  for (gint i = 0; i < 2 * N_IMG; i++)
    worst = MAX (worst, fabs (found->shifts[i] - truth->shifts[i]));
  return worst;
}

static gdouble
sirt_ncc (const Fixture *f)
{
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_SIRT;
  params.iterations = 30;
  g_autoptr (AetTiltSeries) copy = aet_tilt_series_dup (f->series);
  g_autoptr (AetVolume) v = aet_reconstruct (copy, &params, NULL, NULL, NULL);
  return fix_ncc (v, f->truth);
}

static void
test_com (Fixture *f, gconstpointer data)
{
  const gdouble before = shift_error (f);
  aet_align_com (f->series);
  const gdouble after = shift_error (f);
  g_test_message ("centre of mass: worst shift error %.3f → %.4f px", before, after);
  g_assert_cmpfloat (before, >, 1.0);
  g_assert_cmpfloat (after, <=, 0.1);
}

static void
test_xcorr (Fixture *f, gconstpointer data)
{
  aet_align_xcorr (f->series, 2);
  const gdouble after = shift_error (f);
  g_test_message ("cross-correlation: worst shift error %.4f px", after);
  /* neighbouring projections differ, so the chain drifts a little */
  g_assert_cmpfloat (after, <=, 0.25);
}

/* Projection matching from no correction at all: shifts within 0.1 px,
 * and the reconstruction is measurably better than uncorrected. */
static void
test_refine (Fixture *f, gconstpointer data)
{
  const gdouble ncc_raw = sirt_ncc (f);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_align_refine (f->series, 8, FALSE, NULL, &error));
  g_assert_no_error (error);
  const gdouble after = shift_error (f);
  const gdouble ncc_aligned = sirt_ncc (f);
  g_test_message ("projection matching: worst shift error %.4f px; SIRT NCC %.4f "
                  "uncorrected, %.4f aligned", after, ncc_raw, ncc_aligned);
  g_assert_cmpfloat (after, <=, 0.1);
  g_assert_cmpfloat (ncc_aligned, >, ncc_raw + 0.05);
}

/* Through aet_reconstruct: --align refine writes shifts into the series. */
static void
test_reconstruct_refine (Fixture *f, gconstpointer data)
{
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_GENFIRE;
  params.iterations = 30;
  params.align = AET_ALIGN_REFINE;
  AetReconStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_reconstruct (f->series, &params, &stats, NULL, &error);
  g_assert_no_error (error);
  const gdouble err = shift_error (f);
  g_test_message ("GENFIRE after COM + projection matching: shift error %.4f px, NCC %.4f, "
                  "alignment %.2f s", err, fix_ncc (v, f->truth), stats.align_seconds);
  g_assert_cmpfloat (err, <=, 0.1);
  g_assert_cmpfloat (fix_ncc (v, f->truth), >, 0.9);
  aet_recon_stats_clear (&stats);
}

/* Angle refinement: images drawn at angles off by up to ±0.6° from the
 * nominal list are brought closer to the truth.  The particle is an
 * amorphous cluster: with a crystal seen near a zone axis the blurred
 * reconstruction's reprojections favour the zone axis (see aet-align.h). */
static void
test_refine_angles (void)
{
  g_autoptr (AetAtoms) atoms = aet_atoms_new (128);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  while (atoms->n_atoms < 90)
    {
      gdouble p[3], r2 = 0;
      for (gint d = 0; d < 3; d++)
        {
          p[d] = g_rand_double_range (rand, -7.5, 7.5);
          r2 += p[d] * p[d];
        }
      gboolean ok = r2 < 7.5 * 7.5;
      for (gsize a = 0; ok && a < atoms->n_atoms; a++)
        {
          gdouble d2 = 0;
          for (gint d = 0; d < 3; d++)
            d2 += pow (atoms->positions[3 * a + d] - (N / 2) * PIXEL - p[d], 2);
          ok = d2 > 2.4 * 2.4;
        }
      if (ok)
        aet_atoms_append (atoms, 78, (N / 2) * PIXEL + p[0], (N / 2) * PIXEL + p[1],
                          (N / 2) * PIXEL + p[2]);
    }
  gdouble true_angles[N_IMG], nominal[N_IMG];
  gdouble mean_err = 0;
  for (gint i = 0; i < N_IMG; i++)
    {
      nominal[i] = -65.0 + 6.5 * i;
      true_angles[i] = nominal[i] + g_rand_double_range (rand, -0.6, 0.6);
      mean_err += (true_angles[i] - nominal[i]) / N_IMG;
    }
  g_autoptr (AetTiltSeries) series = fix_project (atoms, N, N, PIXEL, B_WIDTH, true_angles,
                                                  N_IMG, NULL);
  memcpy (series->angles, nominal, sizeof nominal);
  gdouble before = 0, after = 0;
  for (gint i = 0; i < N_IMG; i++)
    before += fabs (true_angles[i] - mean_err - nominal[i]) / N_IMG;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_align_refine (series, 4, TRUE, NULL, &error));
  for (gint i = 0; i < N_IMG; i++)
    after += fabs (true_angles[i] - mean_err - series->angles[i]) / N_IMG;
  g_test_message ("angle refinement: mean angle error %.3f° → %.3f°", before, after);
  g_assert_cmpfloat (after, <, 0.7 * before);
}

/* Sub-pixel cross-correlation of two analytic images. */
static void
test_cross_correlate (void)
{
  const gdouble off[3] = { 0, 0, 0 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (N, PIXEL, 6.0, off);
  const gdouble angle = 20.0;
  const gdouble sa[2] = { 0.37, -1.62 }, sb[2] = { -0.41, 0.23 };
  g_autoptr (AetTiltSeries) a = fix_project (atoms, N, N, PIXEL, B_WIDTH, &angle, 1, sa);
  g_autoptr (AetTiltSeries) b = fix_project (atoms, N, N, PIXEL, B_WIDTH, &angle, 1, sb);
  gdouble d[2];
  const gdouble peak = aet_align_cross_correlate (a->images->data, b->images->data, N, N, d);
  g_test_message ("cross-correlation: (%.4f, %.4f), expected (%.2f, %.2f), peak %.4f", d[0],
                  d[1], sa[0] - sb[0], sa[1] - sb[1], peak);
  g_assert_cmpfloat_with_epsilon (d[0], sa[0] - sb[0], 0.02);
  g_assert_cmpfloat_with_epsilon (d[1], sa[1] - sb[1], 0.02);
  g_assert_cmpfloat (peak, >, 0.95);
  g_assert_cmpfloat (peak, <=, 1.0 + 1e-6);
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_CACHE_HOME", g_get_tmp_dir (), TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/compute/align/com", Fixture, GUINT_TO_POINTER (1), fixture_set_up, test_com,
              fixture_tear_down);
  g_test_add ("/compute/align/xcorr", Fixture, GUINT_TO_POINTER (2), fixture_set_up, test_xcorr,
              fixture_tear_down);
  g_test_add ("/compute/align/refine", Fixture, GUINT_TO_POINTER (3), fixture_set_up,
              test_refine, fixture_tear_down);
  g_test_add ("/compute/align/reconstruct-refine", Fixture, GUINT_TO_POINTER (4), fixture_set_up,
              test_reconstruct_refine, fixture_tear_down);
  g_test_add_func ("/compute/align/refine-angles", test_refine_angles);
  g_test_add_func ("/compute/align/cross-correlate", test_cross_correlate);
  return g_test_run ();
}
