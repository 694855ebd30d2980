#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-mrc.h"
#include "scratch-dir.h"
#include "fuzz-files.h"

/* A scratch folder per test program, removed at the end. */
static char *scratch_dir;

static char *
scratch (const char *name)
{
  return g_build_filename (scratch_dir, name, NULL);
}

/* A hand-made MRC header in the requested byte order. */
typedef struct
{
  gint nx, ny, nz, mode;
  gboolean big_endian;
  gboolean no_machst;   /* leave MACHST zero, as old writers did */
  gint nsymbt;
  gboolean imod_unsigned;
  gfloat cell[3];
  gfloat origin[3];
} RawHeader;

static void
put32 (GByteArray *b, gsize off, guint32 v, gboolean big)
{
  v = big ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  memcpy (b->data + off, &v, 4);
}

static void
putf (GByteArray *b, gsize off, gfloat f, gboolean big)
{
  guint32 u;
  memcpy (&u, &f, 4);
  put32 (b, off, u, big);
}

static GByteArray *
raw_header (const RawHeader *r)
{
  GByteArray *b = g_byte_array_sized_new (1024);
  g_byte_array_set_size (b, 1024);
  memset (b->data, 0, 1024);
  const gint n[3] = { r->nx, r->ny, r->nz };
  for (int a = 0; a < 3; a++)
    {
      put32 (b, 4 * a, (guint32) n[a], r->big_endian);
      put32 (b, 28 + 4 * a, (guint32) n[a], r->big_endian);
      putf (b, 40 + 4 * a, r->cell[a], r->big_endian);
      putf (b, 196 + 4 * a, r->origin[a], r->big_endian);
    }
  put32 (b, 12, (guint32) r->mode, r->big_endian);
  put32 (b, 92, (guint32) r->nsymbt, r->big_endian);
  put32 (b, 108, 20140, r->big_endian);
  if (r->imod_unsigned)
    put32 (b, 152, 1146047817, r->big_endian);
  memcpy (b->data + 208, "MAP ", 4);
  if (!r->no_machst)
    memset (b->data + 212, r->big_endian ? 0x11 : 0x44, 2);
  put32 (b, 220, 2, r->big_endian);
  memcpy (b->data + 224, "first label   ", 14);
  memcpy (b->data + 304, "second", 6);
  for (gint i = 0; i < r->nsymbt; i++)
    {
      guint8 junk = (guint8) (0xa5 ^ i);
      g_byte_array_append (b, &junk, 1);
    }
  if (r->nsymbt >= 8)
    memcpy (b->data + 104, "FEI1", 4);
  return b;
}

static void
append_bytes (GByteArray *b, const void *data, gsize n)
{
  g_byte_array_append (b, data, (guint) n);
}

/* Appends 16- or 32-bit words in the requested byte order. */
static void
append16 (GByteArray *b, const guint16 *words, gsize n, gboolean big)
{
  for (gsize i = 0; i < n; i++)
    {
      guint16 w = big ? GUINT16_TO_BE (words[i]) : GUINT16_TO_LE (words[i]);
      append_bytes (b, &w, 2);
    }
}

static void
append_floats (GByteArray *b, const gfloat *values, gsize n, gboolean big)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 u;
      memcpy (&u, &values[i], 4);
      u = big ? GUINT32_TO_BE (u) : GUINT32_TO_LE (u);
      append_bytes (b, &u, 4);
    }
}

static char *
write_file (const char *name, GByteArray *b)
{
  char *path = scratch (name);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  return path;
}

static void
assert_read_fails (const char *path, gint code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_mrc_read (path, NULL, &error);
  g_assert_null (v);
  g_assert_error (error, AET_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);

  /* the in-memory reader agrees */
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_autoptr (GError) error2 = NULL;
  g_autofree char *name = g_path_get_basename (path);
  g_autoptr (AetVolume) v2 = aet_mrc_read_from_bytes ((const guint8 *) bytes, len, name, NULL,
                                                      &error2);
  g_assert_null (v2);
  g_assert_error (error2, AET_ERROR, code);
  g_assert_cmpstr (error2->message, ==, message);
}

static AetVolume *
patterned_volume (gint nx, gint ny, gint nz, gdouble voxel_size)
{
  AetVolume *v = aet_volume_new (nx, ny, nz, voxel_size);
  GRand *rand = g_rand_new_with_seed (42);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] = (gfloat) g_rand_double_range (rand, -1e3, 1e3);
  g_rand_free (rand);
  return v;
}

static guint32
raw_u32 (const char *bytes, gsize off)
{
  guint32 v;
  memcpy (&v, bytes + off, 4);
  return GUINT32_FROM_LE (v);
}

static void
test_float_round_trip (void)
{
  g_autoptr (AetVolume) v = patterned_volume (7, 5, 3, 0.37);
  v->origin[0] = 1.5;
  v->origin[1] = -2.0;
  v->origin[2] = 3.25;
  g_autofree char *path = scratch ("round.mrc");
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_mrc_write (path, v, FALSE, &error));
  g_assert_no_error (error);

  AetMrcHeader h;
  g_autoptr (AetVolume) back = aet_mrc_read (path, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->nx, ==, 7);
  g_assert_cmpint (back->ny, ==, 5);
  g_assert_cmpint (back->nz, ==, 3);
  g_assert_cmpmem (back->data, aet_volume_n_voxels (back) * 4, v->data,
                   aet_volume_n_voxels (v) * 4);
  g_assert_cmpfloat_with_epsilon (back->voxel_size, 0.37, 1e-6);
  g_assert_cmpfloat (back->origin[0], ==, 1.5);
  g_assert_cmpfloat (back->origin[1], ==, -2.0);
  g_assert_cmpfloat (back->origin[2], ==, 3.25);
  g_assert_cmpint (h.mode, ==, 2);
  g_assert_false (h.swapped);
  g_assert_cmpint (h.nversion, ==, 20140);
  g_assert_cmpint (h.mx, ==, 7);
  g_assert_cmpint (h.mz, ==, 3);
  g_assert_cmpfloat_with_epsilon (h.cell[0], 7 * 0.37, 1e-5);
  g_assert_cmpfloat_with_epsilon (h.voxel_size[2], 0.37, 1e-6);
  g_assert_cmpuint (h.ext_header_bytes, ==, 0);
  AetVolumeStats s;
  aet_volume_get_stats (v, &s);
  g_assert_cmpfloat_with_epsilon (h.dmin, s.min, 1e-3);
  g_assert_cmpfloat_with_epsilon (h.dmax, s.max, 1e-3);
  g_assert_cmpfloat_with_epsilon (h.dmean, s.mean, 1e-3);
  g_assert_cmpfloat_with_epsilon (h.rms, s.std, 1e-3);
  g_assert_cmpint (h.n_labels, ==, 1);
  g_assert_true (g_str_has_prefix (h.labels[0], "Written by AET Studio"));

  /* the raw bytes follow MRC2014 */
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (len, ==, 1024 + 7 * 5 * 3 * 4);
  g_assert_cmpmem (bytes + 208, 4, "MAP ", 4);
  g_assert_cmpint ((guint8) bytes[212], ==, 0x44);
  g_assert_cmpint ((guint8) bytes[213], ==, 0x44);
  g_assert_cmpuint (raw_u32 (bytes, 88), ==, 1);    /* ISPG: a volume */
  g_assert_cmpuint (raw_u32 (bytes, 64), ==, 1);    /* MAPC */
  g_assert_cmpuint (raw_u32 (bytes, 72), ==, 3);    /* MAPS */

  /* a stack is ISPG 0 */
  g_assert_true (aet_mrc_write (path, v, TRUE, &error));
  g_clear_pointer (&bytes, g_free);
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (raw_u32 (bytes, 88), ==, 0);

  /* no temporary file is left beside it */
  g_autoptr (GDir) dir = g_dir_open (scratch_dir, 0, NULL);
  const char *entry;
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (entry, ".tmp"));
}

static void
test_header_only (void)
{
  g_autoptr (AetVolume) v = patterned_volume (6, 4, 2, 1.25);
  g_autofree char *path = scratch ("header.mrc");
  g_assert_true (aet_mrc_write (path, v, FALSE, NULL));
  AetMrcHeader h;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_mrc_read_header (path, &h, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h.nx, ==, 6);
  g_assert_cmpint (h.ny, ==, 4);
  g_assert_cmpint (h.nz, ==, 2);
  g_assert_cmpfloat (h.voxel_size[0], ==, 1.25);
}

typedef struct
{
  gint mode;
  gboolean imod_unsigned;
  gboolean big;
  gboolean no_machst;
} ModeCase;

/* Values chosen so each mode's range and sign handling shows. */
static void
check_mode (const ModeCase *c)
{
  RawHeader r = { 3, 2, 1, c->mode, c->big, c->no_machst, 0, c->imod_unsigned,
                  { 6.0f, 4.0f, 2.0f }, { 0 } };
  g_autoptr (GByteArray) b = raw_header (&r);
  gfloat expect[6];
  switch (c->mode)
    {
    case 0:
      {
        const guint8 bytes[6] = { 0, 1, 127, 128, 200, 255 };
        append_bytes (b, bytes, 6);
        for (int i = 0; i < 6; i++)
          expect[i] = c->imod_unsigned ? (gfloat) bytes[i] : (gfloat) (gint8) bytes[i];
        break;
      }
    case 1:
      {
        const gint16 words[6] = { 0, 1, -1, 32767, -32768, -300 };
        append16 (b, (const guint16 *) words, 6, c->big);
        for (int i = 0; i < 6; i++)
          expect[i] = words[i];
        break;
      }
    case 2:
      {
        const gfloat floats[6] = { 0.0f, -1.5f, 3.0e10f, 1e-30f, -0.0f, 12345.678f };
        append_floats (b, floats, 6, c->big);
        memcpy (expect, floats, sizeof expect);
        break;
      }
    case 6:
      {
        const guint16 words[6] = { 0, 1, 32768, 60000, 65535, 300 };
        append16 (b, words, 6, c->big);
        for (int i = 0; i < 6; i++)
          expect[i] = words[i];
        break;
      }
    case 12:
      {
        /* 1, -2.5, the smallest subnormal, the largest half, -0, 0.333… */
        const guint16 halves[6] = { 0x3c00, 0xc100, 0x0001, 0x7bff, 0x8000, 0x3555 };
        append16 (b, halves, 6, c->big);
        const gfloat values[6] = { 1.0f, -2.5f, 0x1p-24f, 65504.0f, -0.0f,
                                   0.333251953125f };
        memcpy (expect, values, sizeof expect);
        break;
      }
    default:
      g_assert_not_reached ();
    }
  g_autofree char *name = g_strdup_printf ("mode%d-%s%s%s.mrc", c->mode, c->big ? "be" : "le",
                                           c->imod_unsigned ? "-unsigned" : "",
                                           c->no_machst ? "-nostamp" : "");
  g_autofree char *path = write_file (name, b);
  AetMrcHeader h;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_mrc_read (path, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h.mode, ==, c->mode);
  g_assert_cmpint (h.swapped, ==, c->big == (G_BYTE_ORDER == G_LITTLE_ENDIAN));
  g_assert_cmpint (v->nx, ==, 3);
  g_assert_cmpint (v->ny, ==, 2);
  g_assert_cmpint (v->nz, ==, 1);
  g_assert_cmpfloat (v->voxel_size, ==, 2.0);
  g_assert_cmpmem (v->data, 6 * sizeof (gfloat), expect, sizeof expect);
  g_assert_cmpint (h.n_labels, ==, 2);
  g_assert_cmpstr (h.labels[0], ==, "first label");
  g_assert_cmpstr (h.labels[1], ==, "second");

  g_autoptr (AetVolume) from_bytes = aet_mrc_read_from_bytes (b->data, b->len, name, NULL,
                                                              &error);
  g_assert_no_error (error);
  g_assert_cmpmem (from_bytes->data, 6 * sizeof (gfloat), expect, sizeof expect);
}

static void
test_modes (void)
{
  const ModeCase cases[] = {
    { 0, FALSE, FALSE, FALSE }, { 0, TRUE, FALSE, FALSE }, { 1, FALSE, FALSE, FALSE },
    { 2, FALSE, FALSE, FALSE }, { 6, FALSE, FALSE, FALSE }, { 12, FALSE, FALSE, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_mode (&cases[i]);
}

static void
test_big_endian (void)
{
  const ModeCase cases[] = {
    { 0, TRUE, TRUE, FALSE }, { 1, FALSE, TRUE, FALSE }, { 2, FALSE, TRUE, FALSE },
    { 6, FALSE, TRUE, FALSE }, { 12, FALSE, TRUE, FALSE },
    /* no machine stamp: the byte order in which the dimensions make sense */
    { 2, FALSE, TRUE, TRUE }, { 2, FALSE, FALSE, TRUE }, { 1, FALSE, TRUE, TRUE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_mode (&cases[i]);
}

static void
test_extended_header_skipped (void)
{
  RawHeader r = { 2, 2, 2, 2, FALSE, FALSE, 160, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) b = raw_header (&r);
  const gfloat values[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  append_floats (b, values, 8, FALSE);
  g_autofree char *path = write_file ("ext.mrc", b);
  AetMrcHeader h;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) v = aet_mrc_read (path, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (h.ext_header_bytes, ==, 160);
  g_assert_cmpstr (h.exttyp, ==, "FEI1");
  g_assert_cmpmem (v->data, sizeof values, values, sizeof values);
  /* CELLA of zero: no voxel size in the header, 1 Å in the volume */
  g_assert_cmpfloat (h.voxel_size[0], ==, 0.0);
  g_assert_cmpfloat (v->voxel_size, ==, 1.0);
}

static void
test_truncated_and_size_mismatch (void)
{
  /* 144×144×21 float32 = 1.7 MB of data, but only 1.2 MB in the file */
  RawHeader r = { 144, 144, 21, 2, FALSE, FALSE, 0, FALSE, { 144, 144, 21 }, { 0 } };
  g_autoptr (GByteArray) b = raw_header (&r);
  g_byte_array_set_size (b, 1200000);
  g_autofree char *path = write_file ("tilts.mrc", b);
  assert_read_fails (path, AET_ERROR_FORMAT,
                     "tilts.mrc: header says 144×144×21 float32 (1.7 MB) but the file is 1.2 MB");
  AetMrcHeader h;
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_mrc_read_header (path, &h, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);

  /* four bytes too many: sizes this close are given in bytes */
  RawHeader r2 = { 4, 3, 2, 2, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) b2 = raw_header (&r2);
  g_byte_array_set_size (b2, 1024 + 96 + 4);
  memset (b2->data + 1024, 0, 100);
  g_autofree char *path2 = write_file ("long.mrc", b2);
  assert_read_fails (path2, AET_ERROR_FORMAT,
                     "long.mrc: header says 4×3×2 float32 (1120 bytes) but the file is 1124 bytes");

  /* the extended header counts too */
  RawHeader r3 = { 4, 3, 2, 0, FALSE, FALSE, 80, TRUE, { 0 }, { 0 } };
  g_autoptr (GByteArray) b3 = raw_header (&r3);
  g_autofree char *path3 = write_file ("ext-only.mrc", b3);
  assert_read_fails (path3, AET_ERROR_FORMAT,
                     "ext-only.mrc: header says 4×3×2 uint8 (1128 bytes) but the file is "
                     "1104 bytes");
}

static void
test_short_file (void)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_set_size (b, 100);
  memset (b->data, 7, 100);
  g_autofree char *path = write_file ("short.mrc", b);
  assert_read_fails (path, AET_ERROR_FORMAT,
                     "short.mrc: not an MRC file (100 bytes, shorter than the 1024-byte header)");
  g_byte_array_set_size (b, 0);
  g_autofree char *empty = write_file ("empty.mrc", b);
  assert_read_fails (empty, AET_ERROR_FORMAT,
                     "empty.mrc: not an MRC file (0 bytes, shorter than the 1024-byte header)");
}

static void
test_bad_modes (void)
{
  RawHeader r = { 4, 4, 4, 7, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) b = raw_header (&r);
  g_byte_array_set_size (b, 1024 + 64 * 4);
  g_autofree char *path = write_file ("tilts.mrc", b);
  assert_read_fails (path, AET_ERROR_FORMAT, "tilts.mrc: unknown MRC mode 7");

  r.mode = 4;
  g_autoptr (GByteArray) c = raw_header (&r);
  g_byte_array_set_size (c, 1024 + 64 * 8);
  g_autofree char *complex = write_file ("fft.mrc", c);
  assert_read_fails (complex, AET_ERROR_FORMAT,
                     "fft.mrc: MRC mode 4 (complex Fourier data) is not supported");

  r.mode = -1;
  g_autoptr (GByteArray) d = raw_header (&r);
  g_autofree char *negative = write_file ("neg.mrc", d);
  assert_read_fails (negative, AET_ERROR_FORMAT, "neg.mrc: unknown MRC mode -1");
}

static void
test_non_finite_voxels (void)
{
  RawHeader r = { 4, 3, 2, 2, FALSE, FALSE, 0, FALSE, { 4, 3, 2 }, { 0 } };
  gfloat values[24] = { 0 };
  values[3 + 4 * (1 + 3 * 1)] = NAN;
  g_autoptr (GByteArray) b = raw_header (&r);
  append_floats (b, values, 24, FALSE);
  g_autofree char *path = write_file ("v.mrc", b);
  assert_read_fails (path, AET_ERROR_DATA, "v.mrc: voxel (3, 1, 1) is NaN");

  values[3 + 4 * (1 + 3 * 1)] = 0.0f;
  values[2] = -INFINITY;
  g_autoptr (GByteArray) c = raw_header (&r);
  append_floats (c, values, 24, FALSE);
  g_autofree char *inf = write_file ("inf.mrc", c);
  assert_read_fails (inf, AET_ERROR_DATA, "inf.mrc: voxel (2, 0, 0) is infinite");

  /* a float16 infinity is caught too */
  RawHeader h16 = { 2, 1, 1, 12, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) d = raw_header (&h16);
  const guint16 halves[2] = { 0x3c00, 0x7c00 };
  append16 (d, halves, 2, FALSE);
  g_autofree char *half = write_file ("half.mrc", d);
  assert_read_fails (half, AET_ERROR_DATA, "half.mrc: voxel (1, 0, 0) is infinite");
}

static void
test_bad_dimensions (void)
{
  RawHeader r = { 0, 144, 21, 2, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) b = raw_header (&r);
  g_autofree char *path = write_file ("tilts.mrc", b);
  assert_read_fails (path, AET_ERROR_FORMAT,
                     "tilts.mrc: not an MRC file (bad dimensions 0×144×21)");

  RawHeader n = { 8, -3, 2, 2, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) c = raw_header (&n);
  g_autofree char *neg = write_file ("neg.mrc", c);
  assert_read_fails (neg, AET_ERROR_FORMAT, "neg.mrc: not an MRC file (bad dimensions 8×-3×2)");

  RawHeader a = { 5000, 4, 4, 2, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) d = raw_header (&a);
  g_autofree char *absurd = write_file ("absurd.mrc", d);
  assert_read_fails (absurd, AET_ERROR_DATA,
                     "absurd.mrc: dimensions 5000×4×4 are larger than AET Studio handles "
                     "(edge ≤ 4096)");

  /* each edge allowed but the product not */
  RawHeader p = { 4096, 4096, 4096, 0, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) e = raw_header (&p);
  g_autofree char *product = write_file ("product.mrc", e);
  assert_read_fails (product, AET_ERROR_DATA,
                     "product.mrc: dimensions 4096×4096×4096 are larger than AET Studio "
                     "handles (edge ≤ 4096)");

  RawHeader x = { 2, 2, 2, 2, FALSE, FALSE, 0, FALSE, { 0 }, { 0 } };
  g_autoptr (GByteArray) f = raw_header (&x);
  put32 (f, 92, (guint32) -80, FALSE);
  g_autofree char *ext = write_file ("ext.mrc", f);
  assert_read_fails (ext, AET_ERROR_FORMAT,
                     "ext.mrc: not an MRC file (extended header of -80 bytes)");
}

static void
test_missing_file (void)
{
  g_autofree char *path = scratch ("nothing-here.mrc");
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_mrc_read (path, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "nothing-here.mrc: cannot open: No such file or directory");
  g_clear_error (&error);
  g_assert_false (aet_mrc_read_header (scratch_dir, &(AetMrcHeader) { 0 }, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
}

static void
test_write_fails_cleanly (void)
{
  g_autoptr (AetVolume) v = patterned_volume (2, 2, 2, 1.0);
  g_autofree char *path = g_build_filename (scratch_dir, "no-such-dir", "x.mrc", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_mrc_write (path, v, FALSE, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "x.mrc: "));
}

static void
test_read_speed (void)
{
  g_autoptr (AetVolume) v = patterned_volume (144, 144, 144, 0.5);
  g_autofree char *path = scratch ("speed.mrc");
  g_assert_true (aet_mrc_write (path, v, FALSE, NULL));
  gdouble best = G_MAXDOUBLE;
  for (int run = 0; run < 3; run++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (AetVolume) back = aet_mrc_read (path, NULL, NULL);
      gdouble seconds = (g_get_monotonic_time () - t0) / 1e6;
      g_assert_nonnull (back);
      g_assert_cmpmem (back->data, aet_volume_n_voxels (back) * 4, v->data,
                       aet_volume_n_voxels (v) * 4);
      best = MIN (best, seconds);
    }
  g_test_message ("144³ float32 MRC (11.9 MB) read in %.4f s (best of 3)", best);
  /* well under 0.1 s on a quiet machine; the bound leaves room for a
   * shared CPU and a sanitizer build */
  g_assert_cmpfloat (best, <, 1.0);
}

static gboolean
read_mrc (const char *path, GError **error)
{
  g_autoptr (AetVolume) v = aet_mrc_read (path, NULL, error);
  return v != NULL;
}

/* The fuzzer's seed corpus (every mode, both byte orders, extended
 * headers) reads through the file path too, not only from bytes. */
static void
test_fuzz_corpus (void)
{
  aet_test_check_fuzz_folder ("corpus-mrc", ".mrc", read_mrc, AET_TEST_FUZZ_MUST_READ);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  scratch_dir = aet_test_scratch_dir_new ("test-mrc");
  g_test_add_func ("/compute/mrc/float-round-trip", test_float_round_trip);
  g_test_add_func ("/compute/mrc/header-only", test_header_only);
  g_test_add_func ("/compute/mrc/modes", test_modes);
  g_test_add_func ("/compute/mrc/big-endian", test_big_endian);
  g_test_add_func ("/compute/mrc/extended-header-skipped", test_extended_header_skipped);
  g_test_add_func ("/compute/mrc/truncated-and-size-mismatch", test_truncated_and_size_mismatch);
  g_test_add_func ("/compute/mrc/short-file", test_short_file);
  g_test_add_func ("/compute/mrc/bad-modes", test_bad_modes);
  g_test_add_func ("/compute/mrc/non-finite-voxels", test_non_finite_voxels);
  g_test_add_func ("/compute/mrc/bad-dimensions", test_bad_dimensions);
  g_test_add_func ("/compute/mrc/missing-file", test_missing_file);
  g_test_add_func ("/compute/mrc/write-fails-cleanly", test_write_fails_cleanly);
  g_test_add_func ("/compute/mrc/read-speed", test_read_speed);
  g_test_add_func ("/compute/mrc/fuzz-corpus", test_fuzz_corpus);
  int status = g_test_run ();
  aet_test_remove_tree (scratch_dir);
  g_free (scratch_dir);
  return status;
}
