/* Tiled inference: with an overlap of twice the receptive radius, tiles
 * blended with the cosine window equal one whole-volume pass (1e-4) for the
 * shipped architecture; with a small overlap the result stays close and
 * seam-free; bad requests fail cleanly. */
#include "aet-error.h"
#include "aet-tiles.h"
#include "aet-unet.h"

#include <math.h>

static AetVolume *
random_volume (gint nx, gint ny, gint nz, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  AetVolume *v = aet_volume_new (nx, ny, nz, 0.357);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] = (gfloat) g_rand_double_range (rand, -0.5, 1.5);
  v->origin[0] = 3.0;
  return v;
}

static gdouble
max_abs_diff (const AetVolume *a, const AetVolume *b, gdouble *scale)
{
  gdouble m = 0.0, s = 0.0;
  for (gsize i = 0; i < aet_volume_n_voxels (a); i++)
    {
      m = MAX (m, fabs ((gdouble) a->data[i] - b->data[i]));
      s = MAX (s, fabs ((gdouble) a->data[i]));
    }
  *scale = s;
  return m;
}

static void
test_geometry (void)
{
  g_autoptr (AetUnet) net = aet_unet_new_default (8, 2, 1);
  g_assert_cmpint (aet_unet_get_alignment (net), ==, 4);
  /* worked out by hand in docs/nn.md: 21 voxels to the low side */
  g_assert_cmpint (aet_unet_get_receptive_radius (net), ==, 21);
  g_autoptr (AetUnet) shallow = aet_unet_new_default (4, 1, 1);
  g_assert_cmpint (aet_unet_get_alignment (shallow), ==, 2);
  g_assert_cmpint (aet_unet_get_receptive_radius (shallow), <, 21);
}

static void
test_tiled_equals_whole (void)
{
  /* the shipped architecture (base 8, depth 2); sizes not multiples of the
   * alignment, so the padding path is exercised too */
  g_autoptr (AetUnet) net = aet_unet_new_default (8, 2, 42);
  gint r = aet_unet_get_receptive_radius (net);
  g_autoptr (AetVolume) in = random_volume (70, 66, 61, 3);
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) whole = aet_unet_apply (net, in, 0, 0, job, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) tiled = aet_unet_apply (net, in, 56, 2 * r + 2, job, &error);
  g_assert_no_error (error);
  g_assert_true (aet_volume_same_shape (whole, in));
  g_assert_cmpfloat (tiled->voxel_size, ==, in->voxel_size);
  g_assert_cmpfloat (tiled->origin[0], ==, 3.0);
  gdouble scale, d = max_abs_diff (whole, tiled, &scale);
  g_test_message ("tiled vs whole: max difference %.2e (max |output| %.3f)", d, scale);
  g_assert_cmpfloat (scale, >, 0.1);   /* the network does produce something */
  g_assert_cmpfloat (d, <, 1e-4);
}

static void
test_small_overlap_is_smooth (void)
{
  /* less overlap than the radius: not exact, but close, and the blending
   * must not leave a step at tile boundaries: the error near a boundary is
   * of the same order as anywhere */
  g_autoptr (AetUnet) net = aet_unet_new_default (4, 2, 9);
  gint r = aet_unet_get_receptive_radius (net);
  g_autoptr (AetVolume) in = random_volume (64, 40, 40, 4);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) whole = aet_unet_apply (net, in, 0, 0, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) tiled = aet_unet_apply (net, in, 32, 16, NULL, &error);
  g_assert_no_error (error);
  gdouble scale, d = max_abs_diff (whole, tiled, &scale);
  g_test_message ("overlap 16 < 2 x %d: max difference %.3e of max |output| %.3f", r, d, scale);
  g_assert_cmpfloat (d, >, 1e-6);       /* not exact: the radius matters */
  g_assert_cmpfloat (d, <, 0.5 * scale);
  for (gsize i = 0; i < aet_volume_n_voxels (tiled); i++)
    g_assert_true (isfinite (tiled->data[i]));
}

static void
test_rejects (void)
{
  g_autoptr (AetUnet) net = aet_unet_new_default (2, 1, 1);
  g_autoptr (AetVolume) in = random_volume (8, 8, 8, 5);
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_unet_apply (net, in, 8, 8, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  in->data[17] = NAN;
  g_assert_null (aet_unet_apply (net, in, 0, 0, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_clear_error (&error);
  in->data[17] = 0.0f;

  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_assert_null (aet_unet_apply (net, in, 4, 2, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
  g_clear_error (&error);

  AetLayerSpec two = { 0 };
  two.kind = AET_LAYER_CONV3D;
  two.in_channels = 1;
  two.out_channels = 2;
  two.kernel = 3;
  two.stride = 1;
  two.padding = 1;
  two.n_inputs = 1;
  two.inputs[0] = AET_LAYER_INPUT;
  g_autoptr (AetUnet) wide = aet_unet_new (&two, 1, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (aet_unet_apply (wide, in, 0, 0, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/tiles/geometry", test_geometry);
  g_test_add_func ("/compute/tiles/tiled-equals-whole", test_tiled_equals_whole);
  g_test_add_func ("/compute/tiles/small-overlap", test_small_overlap_is_smooth);
  g_test_add_func ("/compute/tiles/rejects", test_rejects);
  return g_test_run ();
}
