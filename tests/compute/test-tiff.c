#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <tiffio.h>

#include "aet-error.h"
#include "aet-tiff.h"
#include "aet-tilt-series-io.h"
#include "scratch-dir.h"
#include "fuzz-files.h"

static char *scratch_dir;

static char *
scratch (const char *name)
{
  return g_build_filename (scratch_dir, name, NULL);
}

/* Values every sample type holds exactly. */
static AetVolume *
stack_for_bits (guint bits)
{
  AetVolume *v = aet_volume_new (9, 7, 3, 1.0);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] = bits == 8 ? (gfloat) ((i * 37) % 256)
                 : bits == 16 ? (gfloat) ((i * 7919) % 65536)
                              : (gfloat) ((gdouble) i * 0.123 - 20.0);
  return v;
}

static void
test_round_trip (void)
{
  const guint bits[] = { 8, 16, 32 };
  for (gsize b = 0; b < G_N_ELEMENTS (bits); b++)
    {
      g_autoptr (AetVolume) v = stack_for_bits (bits[b]);
      g_autofree char *name = g_strdup_printf ("round%u.tif", bits[b]);
      g_autofree char *path = scratch (name);
      g_autoptr (GError) error = NULL;
      g_assert_true (aet_tiff_write_stack (path, v, bits[b], &error));
      g_assert_no_error (error);
      g_autoptr (AetVolume) back = aet_tiff_read_stack (path, 0.0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->nx, ==, 9);
      g_assert_cmpint (back->ny, ==, 7);
      g_assert_cmpint (back->nz, ==, 3);
      g_assert_cmpfloat (back->voxel_size, ==, 1.0);
      g_assert_cmpmem (back->data, aet_volume_n_voxels (back) * 4, v->data,
                       aet_volume_n_voxels (v) * 4);

      g_autoptr (AetVolume) sized = aet_tiff_read_stack (path, 0.71, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (sized->voxel_size, ==, 0.71);

      /* a real multi-page TIFF as libtiff sees it */
      TIFF *tif = TIFFOpen (path, "r");
      g_assert_nonnull (tif);
      g_assert_cmpint (TIFFNumberOfDirectories (tif), ==, 3);
      guint16 bps = 0;
      TIFFGetField (tif, TIFFTAG_BITSPERSAMPLE, &bps);
      g_assert_cmpint (bps, ==, bits[b]);
      TIFFClose (tif);
    }
}

static void
test_integer_writes_round_and_clamp (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (5, 1, 1, 1.0);
  const gfloat in[5] = { -5.0f, 300.0f, 2.6f, NAN, 254.4f };
  memcpy (v->data, in, sizeof in);
  g_autofree char *path = scratch ("clamp.tif");
  g_assert_true (aet_tiff_write_stack (path, v, 8, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) back = aet_tiff_read_stack (path, 0.0, &error);
  g_assert_no_error (error);
  const gfloat expect[5] = { 0.0f, 255.0f, 3.0f, 0.0f, 254.0f };
  g_assert_cmpmem (back->data, sizeof expect, expect, sizeof expect);

  g_assert_false (aet_tiff_write_stack (path, v, 12, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "clamp.tif: 12 bits per pixel: TIFF stacks are written with 8, 16 or 32");
}

typedef struct
{
  guint32 width, height;
  guint16 bits, format, spp;
  gboolean tiled;
} PageSpec;

/* Writes pages with libtiff directly, for layouts our writer does not make.
 * Sample i of a page holds (i - 3) in its type. */
static char *
write_pages (const char *name, const PageSpec *pages, guint n)
{
  char *path = scratch (name);
  TIFF *tif = TIFFOpen (path, "w");
  g_assert_nonnull (tif);
  for (guint p = 0; p < n; p++)
    {
      const PageSpec *s = &pages[p];
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, s->width);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, s->height);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, s->bits);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, s->format);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, s->spp);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC,
                    s->spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      gsize sample = s->bits / 8;
      gsize row_bytes = (gsize) s->width * s->spp * sample;
      g_autofree guint8 *buf = g_malloc0 (row_bytes * s->height + 16 * 16 * 8 * 3);
      for (gsize i = 0; i < (gsize) s->width * s->height * s->spp; i++)
        {
          gint64 value = (gint64) i - 3;
          guint8 *q = buf + i * sample;
          if (s->format == SAMPLEFORMAT_IEEEFP && s->bits == 64)
            {
              gdouble d = (gdouble) value / 4.0;
              memcpy (q, &d, 8);
            }
          else if (s->format == SAMPLEFORMAT_IEEEFP)
            {
              gfloat f = (gfloat) value / 4.0f;
              memcpy (q, &f, 4);
            }
          else if (s->bits == 16)
            {
              gint16 w = (gint16) value;
              memcpy (q, &w, 2);
            }
          else if (s->bits == 32)
            {
              gint32 w = (gint32) value;
              memcpy (q, &w, 4);
            }
          else
            *q = (guint8) value;
        }
      if (s->tiled)
        {
          TIFFSetField (tif, TIFFTAG_TILEWIDTH, 16);
          TIFFSetField (tif, TIFFTAG_TILELENGTH, 16);
          g_assert_cmpint (TIFFWriteTile (tif, buf, 0, 0, 0, 0), >, 0);
        }
      else
        for (guint32 y = 0; y < s->height; y++)
          g_assert_cmpint (TIFFWriteScanline (tif, buf + y * row_bytes, y, 0), >=, 0);
      g_assert_true (TIFFWriteDirectory (tif));
    }
  TIFFClose (tif);
  return path;
}

static void
test_sample_types (void)
{
  const PageSpec specs[] = {
    { 4, 3, 16, SAMPLEFORMAT_INT, 1, FALSE },
    { 4, 3, 32, SAMPLEFORMAT_INT, 1, FALSE },
    { 4, 3, 32, SAMPLEFORMAT_UINT, 1, FALSE },
    { 4, 3, 64, SAMPLEFORMAT_IEEEFP, 1, FALSE },
    { 4, 3, 8, SAMPLEFORMAT_INT, 1, FALSE },
  };
  for (gsize s = 0; s < G_N_ELEMENTS (specs); s++)
    {
      g_autofree char *name = g_strdup_printf ("type%zu.tif", s);
      g_autofree char *path = write_pages (name, &specs[s], 1);
      g_autoptr (GError) error = NULL;
      g_autoptr (AetVolume) v = aet_tiff_read_stack (path, 0.0, &error);
      g_assert_no_error (error);
      for (gsize i = 0; i < 12; i++)
        {
          gdouble value = (gdouble) i - 3;
          if (specs[s].format == SAMPLEFORMAT_IEEEFP)
            value /= 4.0;
          else if (specs[s].format == SAMPLEFORMAT_UINT && value < 0)
            value += 4294967296.0;
          g_assert_cmpfloat (v->data[i], ==, (gfloat) value);
        }
    }
}

static void
assert_read_fails (const char *path, gint code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_tiff_read_stack (path, 0.0, &error);
  g_assert_null (v);
  g_assert_error (error, AET_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_bad_stacks (void)
{
  const PageSpec mixed[] = {
    { 4, 3, 16, SAMPLEFORMAT_UINT, 1, FALSE },
    { 4, 3, 16, SAMPLEFORMAT_UINT, 1, FALSE },
    { 3, 3, 16, SAMPLEFORMAT_UINT, 1, FALSE },
  };
  g_autofree char *path = write_pages ("stack.tif", mixed, 3);
  assert_read_fails (path, AET_ERROR_FORMAT,
                     "stack.tif: page 3 is 3×3 but page 1 is 4×3 (a stack needs pages of one "
                     "size)");

  const PageSpec rgb = { 4, 3, 8, SAMPLEFORMAT_UINT, 3, FALSE };
  g_autofree char *rgb_path = write_pages ("rgb.tif", &rgb, 1);
  assert_read_fails (rgb_path, AET_ERROR_FORMAT,
                     "rgb.tif: page 1 is not a grayscale image (only one-channel images are "
                     "read)");

  const PageSpec tiled = { 16, 16, 8, SAMPLEFORMAT_UINT, 1, TRUE };
  g_autofree char *tiled_path = write_pages ("tiled.tif", &tiled, 1);
  assert_read_fails (tiled_path, AET_ERROR_FORMAT,
                     "tiled.tif: page 1 is tiled (only strip TIFFs are read)");

  const PageSpec half = { 4, 3, 16, SAMPLEFORMAT_IEEEFP, 1, FALSE };
  g_autofree char *half_path = write_pages ("half.tif", &half, 1);
  assert_read_fails (half_path, AET_ERROR_FORMAT,
                     "half.tif: page 1 has 16-bit float samples (8/16/32-bit integers or "
                     "32/64-bit floats are read)");

  g_autofree char *fake = scratch ("fake.tif");
  g_assert_true (g_file_set_contents (fake, "P5\n4 3\n255\n0123456789ab", -1, NULL));
  assert_read_fails (fake, AET_ERROR_FORMAT, "fake.tif: not a TIFF file");

  g_autofree char *tiny = scratch ("tiny.tif");
  g_assert_true (g_file_set_contents (tiny, "II", -1, NULL));
  assert_read_fails (tiny, AET_ERROR_FORMAT, "tiny.tif: not a TIFF file");

  g_autofree char *missing = scratch ("missing.tif");
  assert_read_fails (missing, AET_ERROR_IO, "missing.tif: cannot open: No such file or directory");

  /* a NaN pixel in a float page */
  g_autoptr (AetVolume) v = aet_volume_new (3, 2, 2, 1.0);
  v->data[aet_volume_index (v, 2, 1, 1)] = NAN;
  g_autofree char *nan_path = scratch ("nan.tif");
  g_assert_true (aet_tiff_write_stack (nan_path, v, 32, NULL));
  assert_read_fails (nan_path, AET_ERROR_DATA, "nan.tif: voxel (2, 1, 1) is NaN");

  g_autoptr (GError) error = NULL;
  g_assert_null (aet_tiff_read_stack (nan_path, -2.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_dangling_directory (void)
{
  /* A file cut short before its first directory: the header points past
   * the end. */
  g_autoptr (AetVolume) v = stack_for_bits (16);
  g_autofree char *path = scratch ("cut.tif");
  g_assert_true (aet_tiff_write_stack (path, v, 16, NULL));
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  guint32 ifd0;
  memcpy (&ifd0, bytes + 4, 4);
  gsize cut = GUINT32_FROM_LE (ifd0);
  g_assert_cmpuint (cut, >, 64);
  g_assert_cmpuint (cut, <, len);
  g_assert_true (g_file_set_contents (path, bytes, (gssize) cut, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_tiff_read_stack (path, 0.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "cut.tif: "));
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_tilt_series_from_tiff (void)
{
  g_autoptr (AetVolume) v = stack_for_bits (16);
  g_autofree char *path = scratch ("series.tiff");
  g_assert_true (aet_tiff_write_stack (path, v, 16, NULL));
  g_autofree char *tlt = scratch ("series.tlt");
  g_assert_true (g_file_set_contents (tlt, "-30\n0\n30\n", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (AetTiltSeries) s = aet_tilt_series_load (path, NULL, 0.4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (aet_tilt_series_n_images (s), ==, 3);
  g_assert_cmpfloat (aet_tilt_series_pixel_size (s), ==, 0.4);
  g_assert_cmpfloat (s->angles[2], ==, 30.0);
  g_assert_cmpmem (s->images->data, aet_volume_n_voxels (v) * 4, v->data,
                   aet_volume_n_voxels (v) * 4);
}

static gboolean
read_tiff (const char *path, GError **error)
{
  g_autoptr (AetVolume) v = aet_tiff_read_stack (path, 0.0, error);
  return v != NULL;
}

/* The seed corpus reads; the inputs the fuzzer once crashed on (the .tif
 * files in tests/fuzz/regressions) fail with a one-line message naming the
 * file by basename (tests/common/fuzz-files.h). */
static void
test_fuzz_regressions (void)
{
  aet_test_check_fuzz_folder ("corpus-tiff", ".tif", read_tiff, AET_TEST_FUZZ_MUST_READ);
  aet_test_check_fuzz_folder ("regressions", ".tif", read_tiff, AET_TEST_FUZZ_MUST_FAIL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  scratch_dir = aet_test_scratch_dir_new ("test-tiff");
  g_test_add_func ("/compute/tiff/round-trip", test_round_trip);
  g_test_add_func ("/compute/tiff/integer-writes-round-and-clamp",
                   test_integer_writes_round_and_clamp);
  g_test_add_func ("/compute/tiff/sample-types", test_sample_types);
  g_test_add_func ("/compute/tiff/bad-stacks", test_bad_stacks);
  g_test_add_func ("/compute/tiff/dangling-directory", test_dangling_directory);
  g_test_add_func ("/compute/tiff/tilt-series", test_tilt_series_from_tiff);
  g_test_add_func ("/compute/tiff/fuzz-regressions", test_fuzz_regressions);
  int status = g_test_run ();
  aet_test_remove_tree (scratch_dir);
  g_free (scratch_dir);
  return status;
}
