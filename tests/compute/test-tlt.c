#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-mrc.h"
#include "aet-tilt-series-io.h"
#include "aet-tlt.h"
#include "scratch-dir.h"

static char *scratch_dir;

static char *
scratch (const char *name)
{
  return g_build_filename (scratch_dir, name, NULL);
}

static char *
write_text (const char *name, const char *text)
{
  char *path = scratch (name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_round_trip (void)
{
  const gdouble angles[] = { -60.0, -0.1, 0.0, 1.0 / 3.0, 12.345678901234567, 59.99, 1e-7 };
  g_autofree char *path = scratch ("round.tlt");
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_tlt_write (path, angles, G_N_ELEMENTS (angles), &error));
  g_assert_no_error (error);
  gsize n = 0;
  g_autofree gdouble *back = aet_tlt_read (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (angles));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (back[i], ==, angles[i]);

  /* simple angles are written simply */
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "-60\n-0.1\n0\n"));
}

static void
test_read_imod_style (void)
{
  /* IMOD writes a leading blank and two decimals; blank lines, CRLF and
   * trailing spaces are fine */
  g_autofree char *path = write_text ("imod.tlt", "  -60.00\r\n\n  -57.00  \n\t0.5\n\n");
  gsize n = 0;
  g_autoptr (GError) error = NULL;
  g_autofree gdouble *angles = aet_tlt_read (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (angles[0], ==, -60.0);
  g_assert_cmpfloat (angles[1], ==, -57.0);
  g_assert_cmpfloat (angles[2], ==, 0.5);
}

static void
assert_tlt_fails (const char *name, const char *text, gint code, const char *message)
{
  g_autofree char *path = write_text (name, text);
  gsize n = 99;
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_tlt_read (path, &n, &error));
  g_assert_error (error, AET_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_cmpuint (n, ==, 0);
}

static void
test_malformed (void)
{
  assert_tlt_fails ("bad.tlt", "-60\n-57\n\nabc\n", AET_ERROR_FORMAT,
                    "bad.tlt: line 4: expected one angle in degrees, found \"abc\"");
  assert_tlt_fails ("two.tlt", "1.5\n2.5 3.5\n", AET_ERROR_FORMAT,
                    "two.tlt: line 2: expected one angle in degrees, found \"2.5 3.5\"");
  assert_tlt_fails ("nan.tlt", "nan\n", AET_ERROR_FORMAT,
                    "nan.tlt: line 1: expected one angle in degrees, found \"nan\"");
  assert_tlt_fails ("long.tlt",
                    "1\n0123456789012345678901234567890123456789012345678901234567890x\n",
                    AET_ERROR_FORMAT, "long.tlt: line 2: expected one angle in degrees");
  assert_tlt_fails ("empty.tlt", "\n \n", AET_ERROR_FORMAT,
                    "empty.tlt: no tilt angles in the file");

  g_autofree char *missing = scratch ("missing.tlt");
  gsize n = 0;
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_tlt_read (missing, &n, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "missing.tlt: cannot read: No such file or directory");

  const gdouble bad[] = { 1.0, NAN };
  g_clear_error (&error);
  g_assert_false (aet_tlt_write (missing, bad, 2, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpstr (error->message, ==, "missing.tlt: angle 2 is not a number");
}

static AetVolume *
ramp_stack (gint nx, gint ny, gint n)
{
  AetVolume *v = aet_volume_new (nx, ny, n, 0.8);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] = (gfloat) i * 0.25f;
  return v;
}

static void
test_series_load_and_save (void)
{
  g_autoptr (AetVolume) images = ramp_stack (6, 5, 4);
  const gdouble angles[4] = { -45, -15, 15, 45 };
  g_autoptr (AetTiltSeries) series = aet_tilt_series_new (images, angles);
  g_autofree char *mrc = scratch ("series.mrc");
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_tilt_series_save_mrc (series, mrc, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *tlt = scratch ("series.tlt");
  g_assert_true (g_file_test (tlt, G_FILE_TEST_IS_REGULAR));

  /* the .tlt beside the stack is found by itself */
  g_autoptr (AetTiltSeries) back = aet_tilt_series_load (mrc, NULL, 0.0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (aet_tilt_series_n_images (back), ==, 4);
  g_assert_cmpmem (back->angles, 4 * sizeof (gdouble), angles, sizeof angles);
  g_assert_cmpmem (back->images->data, aet_volume_n_voxels (images) * 4, images->data,
                   aet_volume_n_voxels (images) * 4);
  g_assert_cmpfloat_with_epsilon (aet_tilt_series_pixel_size (back), 0.8, 1e-6);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (back->shifts[i], ==, 0.0);

  /* ISPG 0: written as a stack */
  AetMrcHeader h;
  g_assert_true (aet_mrc_read_header (mrc, &h, NULL));
  g_autofree char *bytes = NULL;
  g_assert_true (g_file_get_contents (mrc, &bytes, NULL, NULL));
  guint32 ispg;
  memcpy (&ispg, bytes + 88, 4);
  g_assert_cmpuint (GUINT32_FROM_LE (ispg), ==, 0);

  /* an explicit .tlt and a pixel-size override */
  g_autofree char *other = write_text ("other.tlt", "1\n2\n3\n4\n");
  g_autoptr (AetTiltSeries) again = aet_tilt_series_load (mrc, other, 2.5, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (again->angles[3], ==, 4.0);
  g_assert_cmpfloat (aet_tilt_series_pixel_size (again), ==, 2.5);
}

static void
test_series_errors (void)
{
  g_autoptr (AetVolume) images = ramp_stack (4, 4, 21);
  g_autofree char *mrc = scratch ("tilts.mrc");
  g_assert_true (aet_mrc_write (mrc, images, TRUE, NULL));

  g_autoptr (GError) error = NULL;
  g_assert_null (aet_tilt_series_load (mrc, NULL, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_cmpstr (error->message, ==, "tilts.mrc: no tilt angles (give --tlt)");
  g_clear_error (&error);

  GString *text = g_string_new (NULL);
  for (int i = 0; i < 20; i++)
    g_string_append_printf (text, "%d\n", -60 + 6 * i);
  g_autofree char *tlt = write_text ("tilts.tlt", text->str);
  g_string_free (text, TRUE);
  g_assert_null (aet_tilt_series_load (mrc, NULL, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_cmpstr (error->message, ==, "tilts.tlt: 20 angles for a stack of 21 images");
  g_clear_error (&error);

  g_autofree char *odd = write_text ("tilts.xyz", "not a stack");
  g_assert_null (aet_tilt_series_load (odd, tlt, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==,
                   "tilts.xyz: unknown stack format (expected .mrc, .mrcs, .st, .ali, .tif or "
                   ".tiff)");
  g_clear_error (&error);

  g_assert_null (aet_tilt_series_load (mrc, tlt, -1.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  /* a missing stack is reported as such, not as missing angles */
  g_autofree char *absent = scratch ("absent.mrc");
  g_assert_null (aet_tilt_series_load (absent, NULL, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "absent.mrc: cannot open: No such file or directory");
  g_clear_error (&error);

  /* a stack error comes through unchanged */
  g_autofree char *st = write_text ("broken.st", "short");
  g_assert_null (aet_tilt_series_load (st, tlt, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==,
                   "broken.st: not an MRC file (5 bytes, shorter than the 1024-byte header)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  scratch_dir = aet_test_scratch_dir_new ("test-tlt");
  g_test_add_func ("/compute/tlt/round-trip", test_round_trip);
  g_test_add_func ("/compute/tlt/read-imod-style", test_read_imod_style);
  g_test_add_func ("/compute/tlt/malformed", test_malformed);
  g_test_add_func ("/compute/tilt-series-io/load-and-save", test_series_load_and_save);
  g_test_add_func ("/compute/tilt-series-io/errors", test_series_errors);
  int status = g_test_run ();
  aet_test_remove_tree (scratch_dir);
  g_free (scratch_dir);
  return status;
}
