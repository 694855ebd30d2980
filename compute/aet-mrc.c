#define G_LOG_DOMAIN "aet-mrc"

#include "aet-mrc.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* IMOD marks its files with this stamp at byte 152; bit 0 of the flags at
 * byte 156 then says whether mode-0 bytes are signed (set) or unsigned. */
#define IMOD_STAMP 1146047817
#define IMOD_FLAG_SIGNED_BYTES 1

/* Byte offsets of the fields we use (MRC2014). */
enum
{
  OFF_NX = 0, OFF_NY = 4, OFF_NZ = 8, OFF_MODE = 12,
  OFF_MX = 28, OFF_MY = 32, OFF_MZ = 36,
  OFF_CELLA = 40, OFF_CELLB = 52,
  OFF_MAPC = 64,
  OFF_DMIN = 76, OFF_DMAX = 80, OFF_DMEAN = 84,
  OFF_ISPG = 88, OFF_NSYMBT = 92,
  OFF_EXTTYP = 104, OFF_NVERSION = 108,
  OFF_IMOD_STAMP = 152, OFF_IMOD_FLAGS = 156,
  OFF_ORIGIN = 196, OFF_MAP = 208, OFF_MACHST = 212, OFF_RMS = 216,
  OFF_NLABL = 220, OFF_LABELS = 224,
};

static guint32
get_u32 (const guint8 *raw, gsize off, gboolean swapped)
{
  guint32 v;
  memcpy (&v, raw + off, 4);
  return swapped ? GUINT32_SWAP_LE_BE (v) : v;
}

static gint32
get_i32 (const guint8 *raw, gsize off, gboolean swapped)
{
  return (gint32) get_u32 (raw, off, swapped);
}

static gfloat
get_f32 (const guint8 *raw, gsize off, gboolean swapped)
{
  guint32 u = get_u32 (raw, off, swapped);
  gfloat f;
  memcpy (&f, &u, 4);
  return f;
}

/* A header float as a double, with non-finite values read as 0. */
static gdouble
get_finite (const guint8 *raw, gsize off, gboolean swapped)
{
  gfloat f = get_f32 (raw, off, swapped);
  return isfinite (f) ? (gdouble) f : 0.0;
}

static gboolean
plausible_order (const guint8 *raw, gboolean swapped)
{
  for (gsize off = OFF_NX; off <= OFF_MODE; off += 4)
    {
      gint32 v = get_i32 (raw, off, swapped);
      if (v < 0 || v > 65536)
        return FALSE;
    }
  return TRUE;
}

static gsize
mode_bytes (gint mode)
{
  switch (mode)
    {
    case 0: return 1;
    case 1: case 6: case 12: return 2;
    case 2: return 4;
    default: return 0;
    }
}

static const char *
mode_name (gint mode, gboolean unsigned_bytes)
{
  switch (mode)
    {
    case 0: return unsigned_bytes ? "uint8" : "int8";
    case 1: return "int16";
    case 2: return "float32";
    case 6: return "uint16";
    case 12: return "float16";
    default: return "?";
    }
}

static void
copy_text (char *dest, const guint8 *src, gsize n)
{
  gsize len = 0;
  for (gsize i = 0; i < n && src[i] != 0; i++)
    dest[len++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char) src[i] : '?';
  while (len > 0 && dest[len - 1] == ' ')
    len--;
  dest[len] = '\0';
}

static char *
describe_size (guint64 bytes, gboolean exact)
{
  /* decimal units with a plain space, so messages stay ASCII-friendly */
  if (exact || bytes < 1000)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
  const char *units[] = { "kB", "MB", "GB", "TB" };
  gdouble value = (gdouble) bytes / 1000.0;
  guint u = 0;
  while (value >= 999.95 && u + 1 < G_N_ELEMENTS (units))
    {
      value /= 1000.0;
      u++;
    }
  return g_strdup_printf ("%.1f %s", value, units[u]);
}

/* Parses and validates the 1024-byte header of a file of `file_size` bytes.
 * Sets *unsigned_bytes for IMOD's unsigned mode-0 convention. */
static gboolean
parse_header (const guint8 *raw, guint64 file_size, const char *name, AetMrcHeader *h,
              gboolean *unsigned_bytes, GError **error)
{
  memset (h, 0, sizeof *h);
  if (file_size < AET_MRC_HEADER_BYTES)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: not an MRC file (%" G_GUINT64_FORMAT " bytes, shorter than the "
                   "1024-byte header)", name, file_size);
      return FALSE;
    }

  /* MACHST: 0x44 0x44 (or 0x44 0x41) little-endian, 0x11 0x11 big-endian.
   * Old writers leave it zero: then the order in which the dimensions and
   * mode make sense decides. */
  gboolean file_le;
  if (raw[OFF_MACHST] == 0x44 || raw[OFF_MACHST] == 0x41)
    file_le = TRUE;
  else if (raw[OFF_MACHST] == 0x11)
    file_le = FALSE;
  else
    {
      gboolean host_le = G_BYTE_ORDER == G_LITTLE_ENDIAN;
      file_le = plausible_order (raw, FALSE) || !plausible_order (raw, TRUE) ? host_le : !host_le;
    }
  gboolean swapped = file_le != (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  h->swapped = swapped;

  h->nx = get_i32 (raw, OFF_NX, swapped);
  h->ny = get_i32 (raw, OFF_NY, swapped);
  h->nz = get_i32 (raw, OFF_NZ, swapped);
  h->mode = get_i32 (raw, OFF_MODE, swapped);
  if (h->nx <= 0 || h->ny <= 0 || h->nz <= 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: not an MRC file (bad dimensions %d×%d×%d)", name, h->nx, h->ny, h->nz);
      return FALSE;
    }
  if (h->nx > AET_VOLUME_MAX_EDGE || h->ny > AET_VOLUME_MAX_EDGE || h->nz > AET_VOLUME_MAX_EDGE
      || (guint64) h->nx * (guint64) h->ny * (guint64) h->nz > AET_VOLUME_MAX_VOXELS)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "%s: dimensions %d×%d×%d are larger than AET Studio handles (edge ≤ %d)",
                   name, h->nx, h->ny, h->nz, AET_VOLUME_MAX_EDGE);
      return FALSE;
    }
  if (h->mode == 3 || h->mode == 4)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: MRC mode %d (complex Fourier data) is not supported", name, h->mode);
      return FALSE;
    }
  if (h->mode == 16)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: MRC mode 16 (RGB colour) is not supported", name);
      return FALSE;
    }
  gsize bytes_per_voxel = mode_bytes (h->mode);
  if (bytes_per_voxel == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: unknown MRC mode %d", name, h->mode);
      return FALSE;
    }

  gint32 nsymbt = get_i32 (raw, OFF_NSYMBT, swapped);
  if (nsymbt < 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: not an MRC file (extended header of %d bytes)", name, nsymbt);
      return FALSE;
    }
  h->ext_header_bytes = (gsize) nsymbt;

  *unsigned_bytes = h->mode == 0 && get_i32 (raw, OFF_IMOD_STAMP, swapped) == IMOD_STAMP
                    && (get_i32 (raw, OFF_IMOD_FLAGS, swapped) & IMOD_FLAG_SIGNED_BYTES) == 0;

  guint64 data_bytes = (guint64) h->nx * (guint64) h->ny * (guint64) h->nz * bytes_per_voxel;
  guint64 expected = AET_MRC_HEADER_BYTES + (guint64) nsymbt + data_bytes;
  if (file_size != expected)
    {
      g_autofree char *want = describe_size (expected, FALSE);
      g_autofree char *have = describe_size (file_size, FALSE);
      if (g_strcmp0 (want, have) == 0)
        {
          g_free (want);
          g_free (have);
          want = describe_size (expected, TRUE);
          have = describe_size (file_size, TRUE);
        }
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: header says %d×%d×%d %s (%s) but the file is %s", name, h->nx, h->ny,
                   h->nz, mode_name (h->mode, *unsigned_bytes), want, have);
      return FALSE;
    }

  h->mx = get_i32 (raw, OFF_MX, swapped);
  h->my = get_i32 (raw, OFF_MY, swapped);
  h->mz = get_i32 (raw, OFF_MZ, swapped);
  const gint m[3] = { h->mx, h->my, h->mz };
  for (int a = 0; a < 3; a++)
    {
      h->cell[a] = get_finite (raw, OFF_CELLA + 4 * a, swapped);
      h->origin[a] = get_finite (raw, OFF_ORIGIN + 4 * a, swapped);
      gdouble vs = m[a] > 0 ? h->cell[a] / m[a] : 0.0;
      h->voxel_size[a] = (vs > 0.0 && isfinite (vs)) ? vs : 0.0;
    }
  copy_text (h->exttyp, raw + OFF_EXTTYP, 4);
  h->nversion = get_i32 (raw, OFF_NVERSION, swapped);
  h->dmin = get_finite (raw, OFF_DMIN, swapped);
  h->dmax = get_finite (raw, OFF_DMAX, swapped);
  h->dmean = get_finite (raw, OFF_DMEAN, swapped);
  h->rms = get_finite (raw, OFF_RMS, swapped);
  h->n_labels = CLAMP (get_i32 (raw, OFF_NLABL, swapped), 0, 10);
  for (int i = 0; i < h->n_labels; i++)
    copy_text (h->labels[i], raw + OFF_LABELS + 80 * i, 80);
  return TRUE;
}

static gfloat
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;
  guint32 bits;
  if (exponent == 0x1f)
    bits = sign | 0x7f800000u | (mantissa << 13);   /* Inf or NaN */
  else if (exponent != 0)
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  else if (mantissa == 0)
    bits = sign;
  else
    {
      /* subnormal: value = mantissa · 2^-24, exact in float */
      gfloat f = (gfloat) mantissa * 0x1p-24f;
      return sign ? -f : f;
    }
  gfloat f;
  memcpy (&f, &bits, 4);
  return f;
}

/* Converts n voxels of `mode` at src into floats at dst (dst may alias src
 * only for mode 2). */
static void
convert_voxels (const guint8 *src, gfloat *dst, gsize n, gint mode, gboolean swapped,
                gboolean unsigned_bytes)
{
  switch (mode)
    {
    case 0:
      if (unsigned_bytes)
        for (gsize i = 0; i < n; i++)
          dst[i] = (gfloat) src[i];
      else
        for (gsize i = 0; i < n; i++)
          dst[i] = (gfloat) (gint8) src[i];
      break;
    case 1:
    case 6:
    case 12:
      for (gsize i = 0; i < n; i++)
        {
          guint16 u;
          memcpy (&u, src + 2 * i, 2);
          if (swapped)
            u = GUINT16_SWAP_LE_BE (u);
          dst[i] = mode == 1 ? (gfloat) (gint16) u : mode == 6 ? (gfloat) u : half_to_float (u);
        }
      break;
    case 2:
      if (swapped)
        {
          guint32 *w = (guint32 *) dst;
          if ((const void *) src != (const void *) dst)
            memcpy (dst, src, n * 4);
          for (gsize i = 0; i < n; i++)
            w[i] = GUINT32_SWAP_LE_BE (w[i]);
        }
      else if ((const void *) src != (const void *) dst)
        memcpy (dst, src, n * 4);
      break;
    default:
      g_assert_not_reached ();
    }
}

static AetVolume *
volume_for_header (const AetMrcHeader *h, GError **error)
{
  gdouble vs = h->voxel_size[0] > 0.0 ? h->voxel_size[0] : 1.0;
  AetVolume *v = aet_volume_try_new (h->nx, h->ny, h->nz, vs, error);
  if (v == NULL)
    return NULL;
  memcpy (v->origin, h->origin, sizeof v->origin);
  return v;
}

AetVolume *
aet_mrc_read_from_bytes (const guint8 *bytes, gsize n_bytes, const char *name,
                         AetMrcHeader *header_out, GError **error)
{
  g_return_val_if_fail (bytes != NULL || n_bytes == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  AetMrcHeader h;
  gboolean unsigned_bytes = FALSE;
  if (!parse_header (bytes, n_bytes, name, &h, &unsigned_bytes, error))
    return NULL;
  g_autoptr (AetVolume) v = volume_for_header (&h, error);
  if (v == NULL)
    return NULL;
  convert_voxels (bytes + AET_MRC_HEADER_BYTES + h.ext_header_bytes, v->data,
                  aet_volume_n_voxels (v), h.mode, h.swapped, unsigned_bytes);
  if (!aet_volume_check_finite (v, name, error))
    return NULL;
  if (header_out != NULL)
    *header_out = h;
  return g_steal_pointer (&v);
}

static FILE *
open_and_parse (const char *path, const char *name, AetMrcHeader *h, gboolean *unsigned_bytes,
                GError **error)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot open: %s", name,
                   g_strerror (saved));
      return NULL;
    }
  struct stat st;
  if (fstat (fileno (f), &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: not a regular file", name);
      fclose (f);
      return NULL;
    }
  guint8 raw[AET_MRC_HEADER_BYTES] = { 0 };
  gsize got = fread (raw, 1, sizeof raw, f);
  if (got < sizeof raw && ferror (f))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot read the header", name);
      fclose (f);
      return NULL;
    }
  if (!parse_header (raw, (guint64) st.st_size, name, h, unsigned_bytes, error))
    {
      fclose (f);
      return NULL;
    }
  return f;
}

gboolean
aet_mrc_read_header (const char *path, AetMrcHeader *header, GError **error)
{
  g_return_val_if_fail (path != NULL && header != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  gboolean unsigned_bytes;
  FILE *f = open_and_parse (path, name, header, &unsigned_bytes, error);
  if (f == NULL)
    return FALSE;
  fclose (f);
  return TRUE;
}

AetVolume *
aet_mrc_read (const char *path, AetMrcHeader *header_out, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *name = aet_display_name (path);
  AetMrcHeader h;
  gboolean unsigned_bytes = FALSE;
  FILE *f = open_and_parse (path, name, &h, &unsigned_bytes, error);
  if (f == NULL)
    return NULL;
  g_autoptr (AetVolume) v = volume_for_header (&h, error);
  if (v == NULL)
    {
      fclose (f);
      return NULL;
    }

  /* One fread of the whole data block: straight into the volume for
   * float32, into a scratch buffer for the narrower modes. */
  gsize n = aet_volume_n_voxels (v);
  gsize data_bytes = n * mode_bytes (h.mode);
  g_autofree guint8 *scratch = NULL;
  guint8 *dest = (guint8 *) v->data;
  if (h.mode != 2)
    {
      scratch = g_try_malloc (data_bytes);
      if (scratch == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_DATA, "%s: out of memory reading %d×%d×%d",
                       name, h.nx, h.ny, h.nz);
          fclose (f);
          return NULL;
        }
      dest = scratch;
    }
  gboolean ok = fseeko (f, (off_t) (AET_MRC_HEADER_BYTES + h.ext_header_bytes), SEEK_SET) == 0
                && fread (dest, 1, data_bytes, f) == data_bytes;
  int saved = errno;
  fclose (f);
  if (!ok)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot read the data: %s", name,
                   g_strerror (saved));
      return NULL;
    }
  convert_voxels (dest, v->data, n, h.mode, h.swapped, unsigned_bytes);
  if (!aet_volume_check_finite (v, name, error))
    return NULL;
  if (header_out != NULL)
    *header_out = h;
  return g_steal_pointer (&v);
}

static void
put_u32 (guint8 *raw, gsize off, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (raw + off, &v, 4);
}

static void
put_f32 (guint8 *raw, gsize off, gfloat f)
{
  guint32 u;
  memcpy (&u, &f, 4);
  put_u32 (raw, off, u);
}

gboolean
aet_mrc_write (const char *path, const AetVolume *volume, gboolean is_stack, GError **error)
{
  g_return_val_if_fail (path != NULL && volume != NULL, FALSE);

  guint8 raw[AET_MRC_HEADER_BYTES] = { 0 };
  const gint n[3] = { volume->nx, volume->ny, volume->nz };
  for (int a = 0; a < 3; a++)
    {
      put_u32 (raw, OFF_NX + 4 * a, (guint32) n[a]);
      put_u32 (raw, OFF_MX + 4 * a, (guint32) n[a]);
      put_f32 (raw, OFF_CELLA + 4 * a, (gfloat) (n[a] * volume->voxel_size));
      put_f32 (raw, OFF_CELLB + 4 * a, 90.0f);
      put_u32 (raw, OFF_MAPC + 4 * a, (guint32) (a + 1));
      put_f32 (raw, OFF_ORIGIN + 4 * a, (gfloat) volume->origin[a]);
    }
  put_u32 (raw, OFF_MODE, 2);
  AetVolumeStats stats;
  aet_volume_get_stats (volume, &stats);
  put_f32 (raw, OFF_DMIN, (gfloat) stats.min);
  put_f32 (raw, OFF_DMAX, (gfloat) stats.max);
  put_f32 (raw, OFF_DMEAN, (gfloat) stats.mean);
  put_f32 (raw, OFF_RMS, (gfloat) stats.std);
  put_u32 (raw, OFF_ISPG, (!is_stack && volume->nz > 1) ? 1 : 0);
  put_u32 (raw, OFF_NVERSION, 20140);
  memcpy (raw + OFF_MAP, "MAP ", 4);
  raw[OFF_MACHST] = 0x44;
  raw[OFF_MACHST + 1] = 0x44;
  put_u32 (raw, OFF_NLABL, 1);
  char label[81];
  g_snprintf (label, sizeof label, "%-80s", "Written by AET Studio " AET_VERSION);
  memcpy (raw + OFF_LABELS, label, 80);

  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  FILE *f = fopen (tmp, "wb");
  gboolean ok = f != NULL && fwrite (raw, 1, sizeof raw, f) == sizeof raw;
  gsize count = aet_volume_n_voxels (volume);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  ok = ok && fwrite (volume->data, sizeof (gfloat), count, f) == count;
#else
  for (gsize i = 0; ok && i < count; i++)
    {
      guint8 le[4];
      put_f32 (le, 0, volume->data[i]);
      ok = fwrite (le, 1, 4, f) == 4;
    }
#endif
  return aet_temp_finish (f, ok, tmp, path, error);
}
