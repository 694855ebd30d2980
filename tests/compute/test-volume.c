#include <math.h>

#include "aet-error.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"
#include "aet-parallel.h"

static void
test_new_is_zeroed_and_aligned (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (7, 5, 3, 0.357);
  g_assert_cmpint (v->nx, ==, 7);
  g_assert_cmpuint (aet_volume_n_voxels (v), ==, 105);
  g_assert_cmpuint ((guintptr) v->data % 64, ==, 0);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    g_assert_cmpfloat (v->data[i], ==, 0.0f);
  g_assert_cmpuint (aet_volume_index (v, 1, 2, 1), ==, 1 + 7 * (2 + 5 * 1));
}

static void
test_refcount_shares_data (void)
{
  AetVolume *v = aet_volume_new (4, 4, 4, 1.0);
  AetVolume *w = aet_volume_ref (v);
  g_assert_true (v == w);
  v->data[5] = 3.0f;
  aet_volume_unref (v);
  g_assert_cmpfloat (w->data[5], ==, 3.0f);
  g_autoptr (AetVolume) copy = aet_volume_dup (w);
  copy->data[5] = 1.0f;
  g_assert_cmpfloat (w->data[5], ==, 3.0f);
  aet_volume_unref (w);
}

static void
test_rejects_bad_sizes (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_volume_try_new (0, 4, 4, 1.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_clear_error (&error);
  g_assert_null (aet_volume_try_new (100000, 100000, 4, 1.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_clear_error (&error);
  g_assert_null (aet_volume_try_new (4, 4, 4, NAN, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
}

static void
test_stats_and_percentiles (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (101, 1, 1, 1.0);
  for (int i = 0; i < 101; i++)
    v->data[i] = (gfloat) (100 - i);
  AetVolumeStats s;
  aet_volume_get_stats (v, &s);
  g_assert_cmpfloat (s.min, ==, 0.0);
  g_assert_cmpfloat (s.max, ==, 100.0);
  g_assert_cmpfloat_with_epsilon (s.mean, 50.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (s.std, sqrt (850.0), 1e-6);
  g_assert_cmpfloat_with_epsilon (aet_volume_percentile (v, 50), 50.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (aet_volume_percentile (v, 99), 99.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (aet_volume_percentile (v, 12.5), 12.5, 1e-9);
}

static void
test_check_finite (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (3, 3, 3, 1.0);
  g_assert_true (aet_volume_check_finite (v, "v.mrc", NULL));
  v->data[aet_volume_index (v, 2, 1, 0)] = NAN;
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_volume_check_finite (v, "v.mrc", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpstr (error->message, ==, "v.mrc: voxel (2, 1, 0) is NaN");
}

static void
test_crop_pads_with_zero (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (4, 4, 4, 2.0);
  aet_volume_fill (v, 1.0f);
  g_autoptr (AetVolume) c = aet_volume_crop (v, 2, 2, 2, 4, 4, 4);
  g_assert_cmpfloat (c->data[aet_volume_index (c, 0, 0, 0)], ==, 1.0f);
  g_assert_cmpfloat (c->data[aet_volume_index (c, 1, 1, 1)], ==, 1.0f);
  g_assert_cmpfloat (c->data[aet_volume_index (c, 2, 0, 0)], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (c->origin[0], 4.0, 1e-12);
}

static void
test_tilt_range_parsing (void)
{
  gsize n = 0;
  g_autoptr (GError) error = NULL;
  g_autofree gdouble *a = aet_parse_tilt_range ("-65:65:6.5", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 21);
  g_assert_cmpfloat_with_epsilon (a[0], -65.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (a[20], 65.0, 1e-9);
  g_autofree gdouble *b = aet_parse_tilt_range ("-60,0,72", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (b[2], ==, 72.0);
  g_assert_null (aet_parse_tilt_range ("10:-10:1", &n, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (aet_parse_tilt_range ("1,x", &n, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_tilt_series_angle_mismatch (void)
{
  g_autoptr (AetVolume) images = aet_volume_new (8, 8, 3, 0.5);
  gdouble angles[3] = { -10, 0, 10 };
  g_autoptr (AetTiltSeries) s = aet_tilt_series_new (images, angles);
  g_assert_cmpint (aet_tilt_series_n_images (s), ==, 3);
  g_assert_cmpfloat (aet_tilt_series_pixel_size (s), ==, 0.5);
  g_assert_true (aet_tilt_series_image (s, 1) == images->data + 64);
  g_autoptr (GError) error = NULL;
  gdouble four[4] = { 0 };
  g_assert_false (aet_tilt_series_set_angles (s, four, 4, "t.tlt", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_cmpstr (error->message, ==, "t.tlt: 4 angles for a stack of 3 images");
}

typedef struct
{
  gdouble partial[8];
} SumData;

static void
sum_range (gsize start, gsize end, guint t, gpointer user_data)
{
  SumData *d = user_data;
  for (gsize i = start; i < end; i++)
    d->partial[t] += (gdouble) i;
}

static void
test_parallel_for_covers_range (void)
{
  for (guint threads = 1; threads <= 4; threads++)
    {
      SumData d = { { 0 } };
      aet_parallel_for (threads, 1001, sum_range, &d);
      gdouble total = 0;
      for (int i = 0; i < 8; i++)
        total += d.partial[i];
      g_assert_cmpfloat (total, ==, 1000.0 * 1001.0 / 2.0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/volume/new-is-zeroed-and-aligned", test_new_is_zeroed_and_aligned);
  g_test_add_func ("/compute/volume/refcount-shares-data", test_refcount_shares_data);
  g_test_add_func ("/compute/volume/rejects-bad-sizes", test_rejects_bad_sizes);
  g_test_add_func ("/compute/volume/stats-and-percentiles", test_stats_and_percentiles);
  g_test_add_func ("/compute/volume/check-finite", test_check_finite);
  g_test_add_func ("/compute/volume/crop-pads-with-zero", test_crop_pads_with_zero);
  g_test_add_func ("/compute/tilt-series/range-parsing", test_tilt_range_parsing);
  g_test_add_func ("/compute/tilt-series/angle-mismatch", test_tilt_series_angle_mismatch);
  g_test_add_func ("/compute/parallel/covers-range", test_parallel_for_covers_range);
  return g_test_run ();
}
