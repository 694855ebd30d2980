#define G_LOG_DOMAIN "test-sirt-wbp"

#include "aet-error.h"
#include "aet-reconstruct.h"
#include "aet-sirt.h"
#include "aet-wbp.h"
#include "recon-fixtures.h"

#include <math.h>
#include <string.h>

#define PIXEL 0.5
#define B_WIDTH 7.0

static AetTiltSeries *
make_series (gint n, const gdouble *angles, gint n_img, AetVolume **truth_out)
{
  const gdouble off[3] = { 0.25, -0.15, 0.35 };
  g_autoptr (AetAtoms) atoms = fix_fcc_ball (n, PIXEL, 5.5, off);
  if (truth_out != NULL)
    *truth_out = fix_truth (atoms, n, n, PIXEL, B_WIDTH);
  return fix_project (atoms, n, n, PIXEL, B_WIDTH, angles, n_img, NULL);
}

/* SIRT's residual falls, the volume stays positive and approaches the truth. */
static void
test_sirt_converges (void)
{
  g_autofree gdouble *angles = fix_angles (-70.0, 7.0, 21);
  g_autoptr (AetVolume) truth = NULL;
  g_autoptr (AetTiltSeries) series = make_series (32, angles, 21, &truth);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_SIRT;
  params.iterations = 40;
  AetReconStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_reconstruct (series, &params, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stats.n_iterations, ==, 40);
  g_assert_null (stats.rfree);
  for (gint i = 1; i < 40; i++)
    g_assert_cmpfloat (stats.error[i], <=, stats.error[i - 1] * 1.0001);
  g_assert_cmpfloat (stats.error[39], <, 0.5 * stats.error[0]);
  AetVolumeStats st;
  aet_volume_get_stats (v, &st);
  g_assert_cmpfloat (st.min, >=, 0.0);
  const gdouble ncc = fix_ncc (v, truth);
  g_test_message ("SIRT: residual %.4f → %.4f, NCC %.4f", stats.error[0], stats.error[39], ncc);
  g_assert_cmpfloat (ncc, >, 0.9);
  aet_recon_stats_clear (&stats);
}

/* SIRT from a given volume: from zero it is aet_sirt step for step; from
 * the truth (whose projections the series are, up to the fixture's
 * rendering) it stays near the truth while SIRT from zero is still far;
 * a volume of another size is refused. */
static void
test_sirt_iterate (void)
{
  g_autofree gdouble *angles = fix_angles (-70.0, 7.0, 21);
  g_autoptr (AetVolume) truth = NULL;
  g_autoptr (AetTiltSeries) series = make_series (32, angles, 21, &truth);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_SIRT;
  params.iterations = 6;
  params.relaxation = 1.5;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) ref = aet_reconstruct (series, &params, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) zero = aet_volume_new (32, 32, 32, PIXEL);
  g_assert_true (aet_sirt_iterate (series, zero, 6, 1.5, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ref->data, aet_volume_n_voxels (ref) * sizeof (gfloat), zero->data,
                   aet_volume_n_voxels (zero) * sizeof (gfloat));

  g_autoptr (AetVolume) from_truth = aet_volume_dup (truth);
  g_assert_true (aet_sirt_iterate (series, from_truth, 6, 1.5, NULL, &error));
  gdouble ncc_truth = fix_ncc (from_truth, truth), ncc_zero = fix_ncc (zero, truth);
  g_test_message ("6 steps: from the truth NCC %.4f, from zero %.4f", ncc_truth, ncc_zero);
  g_assert_cmpfloat (ncc_truth, >, 0.99);
  g_assert_cmpfloat (ncc_truth, >, ncc_zero + 0.02);

  g_autoptr (AetVolume) wrong = aet_volume_new (30, 32, 32, PIXEL);
  g_assert_false (aet_sirt_iterate (series, wrong, 2, 1.0, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
}

static void
test_sirt_threads (void)
{
  g_autofree gdouble *angles = fix_angles (-60.0, 10.0, 13);
  g_autoptr (AetTiltSeries) series = make_series (24, angles, 13, NULL);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_SIRT;
  params.iterations = 10;
  g_autoptr (AetJob) j1 = aet_job_new ();
  g_autoptr (AetJob) j2 = aet_job_new ();
  aet_job_set_threads (j1, 1);
  aet_job_set_threads (j2, 2);
  g_autoptr (AetVolume) a = aet_sirt (series, &params, NULL, j1, NULL);
  g_autoptr (AetVolume) b = aet_sirt (series, &params, NULL, j2, NULL);
  /* each voxel and pixel is computed by one thread in a fixed order */
  g_assert_cmpmem (a->data, aet_volume_n_voxels (a) * sizeof (gfloat), b->data,
                   aet_volume_n_voxels (b) * sizeof (gfloat));
}

/* WBP over the full range with either filter gives the particle back; the
 * ramp and Shepp–Logan filters differ only at high frequency. */
static void
test_wbp_filters (void)
{
  g_autofree gdouble *angles = fix_angles (-90.0, 3.0, 60);
  g_autoptr (AetVolume) truth = NULL;
  g_autoptr (AetTiltSeries) series = make_series (32, angles, 60, &truth);
  g_autoptr (AetVolume) ramp = aet_wbp (series, 0, AET_WBP_RAMP, 2);
  g_autoptr (AetVolume) sl = aet_wbp (series, 0, AET_WBP_SHEPP_LOGAN, 2);
  const gdouble nr = fix_ncc (ramp, truth), ns = fix_ncc (sl, truth);
  g_test_message ("WBP full range: NCC ramp %.4f, Shepp–Logan %.4f", nr, ns);
  g_assert_cmpfloat (nr, >, 0.9);
  g_assert_cmpfloat (ns, >, 0.9);
  g_assert_cmpint (memcmp (ramp->data, sl->data, sizeof (gfloat) * aet_volume_n_voxels (sl)),
                   !=, 0);
  /* the scale is right: the total density matches the truth's within 10% */
  AetVolumeStats a, b;
  aet_volume_get_stats (ramp, &a);
  aet_volume_get_stats (truth, &b);
  g_assert_cmpfloat (fabs (a.mean - b.mean), <, 0.1 * b.mean);
}

/* Unequal steps: the angular weights make WBP of a half-sampled range
 * (dense on one side, sparse on the other) as good as an even sampling. */
static void
test_wbp_uneven (void)
{
  gdouble angles[45];
  gint n = 0;
  for (gdouble a = -90; a < 0; a += 2.5)
    angles[n++] = a;
  for (gdouble a = 0; a < 90; a += 10)
    angles[n++] = a;
  g_assert_cmpint (n, <=, 45);
  g_autoptr (AetVolume) truth = NULL;
  g_autoptr (AetTiltSeries) series = make_series (32, angles, n, &truth);
  g_autoptr (AetVolume) v = aet_wbp (series, 0, AET_WBP_SHEPP_LOGAN, 2);
  AetVolumeStats a, b;
  aet_volume_get_stats (v, &a);
  aet_volume_get_stats (truth, &b);
  const gdouble ncc = fix_ncc (v, truth);
  g_test_message ("WBP uneven steps: NCC %.4f, mean %.4g vs truth %.4g", ncc, a.mean, b.mean);
  g_assert_cmpfloat (ncc, >, 0.8);
  g_assert_cmpfloat (fabs (a.mean - b.mean), <, 0.1 * b.mean);
}

/* The thickness can differ from the width; SIRT's relaxation is checked. */
static void
test_thickness_and_params (void)
{
  g_autofree gdouble *angles = fix_angles (-60.0, 10.0, 13);
  g_autoptr (AetTiltSeries) series = make_series (24, angles, 13, NULL);
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_WBP;
  params.nz = 17;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_reconstruct (series, &params, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v->nz, ==, 17);
  params.method = AET_RECON_SIRT;
  params.relaxation = 2.5;
  g_assert_null (aet_reconstruct (series, &params, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "relaxation"));
}

/* A thicker volume holds the same reconstruction, centred on voxel
 * ⌊nz/2⌋: the z centre is honoured by every method. */
static void
test_thick_volume (void)
{
  const gint n = 24, nz = 31;
  g_autofree gdouble *angles = fix_angles (-60.0, 10.0, 13);
  g_autoptr (AetTiltSeries) series = make_series (n, angles, 13, NULL);
  const AetReconMethod methods[] = { AET_RECON_GENFIRE, AET_RECON_SIRT, AET_RECON_WBP };
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      AetReconParams params;
      aet_recon_params_init (&params);
      params.method = methods[m];
      params.iterations = 30;
      params.support = AET_SUPPORT_NONE;
      g_autoptr (AetVolume) a = aet_reconstruct (series, &params, NULL, NULL, NULL);
      params.nz = nz;
      g_autoptr (AetVolume) b = aet_reconstruct (series, &params, NULL, NULL, NULL);
      g_assert_cmpint (b->nz, ==, nz);
      /* compare the central 16 slices of both */
      const gint dz = nz / 2 - n / 2;
      g_autoptr (AetVolume) ca = aet_volume_crop (a, 0, 0, n / 2 - 8, n, n, 16);
      g_autoptr (AetVolume) cb = aet_volume_crop (b, 0, 0, n / 2 - 8 + dz, n, n, 16);
      g_autoptr (AetVolume) off = aet_volume_crop (b, 0, 0, n / 2 - 8 + dz + 1, n, n, 16);
      const gdouble same = fix_ncc (ca, cb), shifted = fix_ncc (ca, off);
      g_test_message ("method %u: thick vs default NCC %.4f (one slice off: %.4f)", m, same,
                      shifted);
      g_assert_cmpfloat (same, >, 0.97);
      g_assert_cmpfloat (same, >, shifted + 0.02);
    }
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_CACHE_HOME", g_get_tmp_dir (), TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/sirt/converges", test_sirt_converges);
  g_test_add_func ("/compute/sirt/threads", test_sirt_threads);
  g_test_add_func ("/compute/sirt/iterate-from-a-volume", test_sirt_iterate);
  g_test_add_func ("/compute/wbp/filters", test_wbp_filters);
  g_test_add_func ("/compute/wbp/uneven-steps", test_wbp_uneven);
  g_test_add_func ("/compute/recon/thickness-and-params", test_thickness_and_params);
  g_test_add_func ("/compute/recon/thick-volume", test_thick_volume);
  return g_test_run ();
}
