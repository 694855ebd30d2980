#define G_LOG_DOMAIN "aet-tiff"

#include "aet-tiff.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

/* libtiff reports through callbacks; we keep the first error message so it
 * can end up in our GError, and drop warnings (unknown tags and the like). */
typedef struct
{
  const char *path;
  char *first_error;
} TiffErrors;

static int
on_tiff_error (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  TiffErrors *errors = user_data;
  if (errors->first_error == NULL)
    errors->first_error = g_strdup_vprintf (fmt, ap);
  return 1;
}

static int
on_tiff_warning (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  return 1;
}

static TIFF *
tiff_open (const char *path, const char *mode, TiffErrors *errors)
{
  TIFFOpenOptions *opts = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, on_tiff_error, errors);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, on_tiff_warning, errors);
  /* Bounds any single allocation a hostile header could ask for; our
   * largest legitimate one is a strip of a 4096-wide float64 image. */
  TIFFOpenOptionsSetMaxSingleMemAlloc (opts, (tmsize_t) 256 << 20);
  TIFF *tif = TIFFOpenExt (path, mode, opts);
  TIFFOpenOptionsFree (opts);
  return tif;
}

/* libtiff's messages may span lines and name the full path: make them one
 * line that names the file by its basename, like ours. */
static char *
clean_tiff_message (const char *message, const char *path, const char *name)
{
  g_autofree char *text = g_strdup (message);
  if (path != NULL && *path != '\0' && !g_str_equal (path, name))
    {
      g_auto (GStrv) parts = g_strsplit (text, path, -1);
      g_free (text);
      text = g_strjoinv (name, parts);
    }
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;
  for (const char *c = text; *c != '\0'; c++)
    {
      gboolean blank = g_ascii_isspace (*c) || g_ascii_iscntrl (*c);
      if (blank)
        space = out->len > 0;
      else
        {
          if (space)
            g_string_append_c (out, ' ');
          g_string_append_c (out, *c);
          space = FALSE;
        }
    }
  return g_string_free (out, FALSE);
}

static void
set_tiff_error (GError **error, gint code, const char *name, const char *what,
                TiffErrors *errors)
{
  if (errors->first_error != NULL)
    {
      g_autofree char *clean = clean_tiff_message (errors->first_error, errors->path, name);
      g_set_error (error, AET_ERROR, code, "%s: %s: %s", name, what, clean);
    }
  else
    g_set_error (error, AET_ERROR, code, "%s: %s", name, what);
}

static gboolean
looks_like_tiff (const char *path, const char *name, GError **error)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot open: %s", name,
                   g_strerror (saved));
      return FALSE;
    }
  guint8 magic[4] = { 0 };
  gsize got = fread (magic, 1, 4, f);
  fclose (f);
  gboolean ok = got == 4
                && ((magic[0] == 'I' && magic[1] == 'I' && magic[3] == 0
                     && (magic[2] == 42 || magic[2] == 43))
                    || (magic[0] == 'M' && magic[1] == 'M' && magic[2] == 0
                        && (magic[3] == 42 || magic[3] == 43)));
  if (!ok)
    g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: not a TIFF file", name);
  return ok;
}

typedef struct
{
  guint32 width, height;
  guint16 bits, format;
} PageLayout;

/* Checks that the current page is a grayscale strip image of a sample type
 * we read. `page` is 1-based for messages. */
static gboolean
get_page_layout (TIFF *tif, const char *name, guint page, PageLayout *layout, GError **error)
{
  guint16 spp = 1, photometric = PHOTOMETRIC_MINISBLACK;
  if (!TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &layout->width)
      || !TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &layout->height))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: page %u has no image size", name,
                   page);
      return FALSE;
    }
  TIFFGetFieldDefaulted (tif, TIFFTAG_BITSPERSAMPLE, &layout->bits);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLEFORMAT, &layout->format);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetField (tif, TIFFTAG_PHOTOMETRIC, &photometric);
  if (layout->width == 0 || layout->height == 0 || layout->width > AET_VOLUME_MAX_EDGE
      || layout->height > AET_VOLUME_MAX_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "%s: page %u is %u×%u (each edge must be 1 to %d)", name, page,
                   layout->width, layout->height, AET_VOLUME_MAX_EDGE);
      return FALSE;
    }
  if (spp != 1 || (photometric != PHOTOMETRIC_MINISBLACK
                   && photometric != PHOTOMETRIC_MINISWHITE))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: page %u is not a grayscale image (only one-channel images are read)",
                   name, page);
      return FALSE;
    }
  gboolean known = (layout->format == SAMPLEFORMAT_UINT || layout->format == SAMPLEFORMAT_INT)
                   ? (layout->bits == 8 || layout->bits == 16 || layout->bits == 32)
                   : layout->format == SAMPLEFORMAT_IEEEFP
                       ? (layout->bits == 32 || layout->bits == 64)
                       : FALSE;
  if (!known)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: page %u has %u-bit %s samples (8/16/32-bit integers or 32/64-bit "
                   "floats are read)", name, page, layout->bits,
                   layout->format == SAMPLEFORMAT_IEEEFP ? "float"
                   : layout->format == SAMPLEFORMAT_INT  ? "signed"
                   : layout->format == SAMPLEFORMAT_UINT ? "unsigned"
                                                         : "unknown");
      return FALSE;
    }
  if (TIFFIsTiled (tif))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: page %u is tiled (only strip TIFFs are read)", name, page);
      return FALSE;
    }
  return TRUE;
}

static void
convert_row (const guint8 *row, gfloat *out, guint32 width, const PageLayout *l)
{
  for (guint32 i = 0; i < width; i++)
    {
      const guint8 *p = row + (gsize) i * (l->bits / 8);
      gfloat v;
      if (l->bits == 8)
        v = l->format == SAMPLEFORMAT_INT ? (gfloat) (gint8) p[0] : (gfloat) p[0];
      else if (l->bits == 16)
        {
          guint16 u;
          memcpy (&u, p, 2);
          v = l->format == SAMPLEFORMAT_INT ? (gfloat) (gint16) u : (gfloat) u;
        }
      else if (l->bits == 32)
        {
          guint32 u;
          memcpy (&u, p, 4);
          if (l->format == SAMPLEFORMAT_IEEEFP)
            memcpy (&v, &u, 4);
          else
            v = l->format == SAMPLEFORMAT_INT ? (gfloat) (gint32) u : (gfloat) u;
        }
      else
        {
          gdouble d;
          memcpy (&d, p, 8);
          v = (gfloat) d;
        }
      out[i] = v;
    }
}

static gboolean
read_page (TIFF *tif, const char *name, guint page, const PageLayout *l, gfloat *out,
           TiffErrors *errors, GError **error)
{
  tmsize_t line = TIFFScanlineSize (tif);
  if (line < (tmsize_t) l->width * (l->bits / 8))
    {
      set_tiff_error (error, AET_ERROR_FORMAT, name, "cannot read the TIFF rows", errors);
      return FALSE;
    }
  g_autofree guint8 *row = g_try_malloc ((gsize) line);
  if (row == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA, "%s: out of memory", name);
      return FALSE;
    }
  for (guint32 y = 0; y < l->height; y++)
    {
      if (TIFFReadScanline (tif, row, y, 0) < 0)
        {
          g_autofree char *what = g_strdup_printf ("page %u, row %u is unreadable", page, y);
          set_tiff_error (error, AET_ERROR_FORMAT, name, what, errors);
          return FALSE;
        }
      convert_row (row, out + (gsize) y * l->width, l->width, l);
    }
  return TRUE;
}

AetVolume *
aet_tiff_read_stack (const char *path, gdouble pixel_size, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *name = aet_display_name (path);
  if (!(pixel_size >= 0.0) || !isfinite (pixel_size))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: pixel size %g Å: must be a positive number", name, pixel_size);
      return NULL;
    }
  if (!looks_like_tiff (path, name, error))
    return NULL;

  TiffErrors errors = { path, NULL };
  TIFF *tif = tiff_open (path, "r", &errors);
  AetVolume *volume = NULL;
  if (tif == NULL)
    {
      set_tiff_error (error, AET_ERROR_FORMAT, name, "cannot read the TIFF", &errors);
      goto out;
    }
  tdir_t n_pages = TIFFNumberOfDirectories (tif);
  if (n_pages == 0 || n_pages > AET_VOLUME_MAX_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "%s: %u pages (a stack must have 1 to %d)", name, (guint) n_pages,
                   AET_VOLUME_MAX_EDGE);
      goto out;
    }
  if (!TIFFSetDirectory (tif, 0))
    {
      set_tiff_error (error, AET_ERROR_FORMAT, name, "cannot read page 1", &errors);
      goto out;
    }
  PageLayout first;
  if (!get_page_layout (tif, name, 1, &first, error))
    goto out;
  volume = aet_volume_try_new ((gint) first.width, (gint) first.height, (gint) n_pages,
                               pixel_size > 0.0 ? pixel_size : 1.0, error);
  if (volume == NULL)
    goto out;
  gsize page_voxels = (gsize) first.width * first.height;
  for (tdir_t k = 0; k < n_pages; k++)
    {
      guint page = (guint) k + 1;
      PageLayout layout = first;
      if (k > 0)
        {
          if (!TIFFReadDirectory (tif))
            {
              g_autofree char *what = g_strdup_printf ("cannot read page %u", page);
              set_tiff_error (error, AET_ERROR_FORMAT, name, what, &errors);
              g_clear_pointer (&volume, aet_volume_unref);
              goto out;
            }
          if (!get_page_layout (tif, name, page, &layout, error))
            {
              g_clear_pointer (&volume, aet_volume_unref);
              goto out;
            }
          if (layout.width != first.width || layout.height != first.height)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: page %u is %u×%u but page 1 is %u×%u (a stack needs pages of "
                           "one size)", name, page, layout.width, layout.height, first.width,
                           first.height);
              g_clear_pointer (&volume, aet_volume_unref);
              goto out;
            }
        }
      if (!read_page (tif, name, page, &layout, volume->data + (gsize) k * page_voxels,
                      &errors, error))
        {
          g_clear_pointer (&volume, aet_volume_unref);
          goto out;
        }
    }
  if (!aet_volume_check_finite (volume, name, error))
    g_clear_pointer (&volume, aet_volume_unref);

out:
  if (tif != NULL)
    TIFFClose (tif);
  g_free (errors.first_error);
  return volume;
}

static void
pack_row (const gfloat *in, guint8 *row, gint width, guint bits)
{
  for (gint i = 0; i < width; i++)
    {
      gfloat v = in[i];
      if (bits == 32)
        memcpy (row + 4 * (gsize) i, &v, 4);
      else
        {
          gfloat top = bits == 8 ? 255.0f : 65535.0f;
          gfloat r = isnan (v) ? 0.0f : CLAMP (rintf (v), 0.0f, top);
          if (bits == 8)
            row[i] = (guint8) r;
          else
            {
              guint16 u = (guint16) r;
              memcpy (row + 2 * (gsize) i, &u, 2);
            }
        }
    }
}

gboolean
aet_tiff_write_stack (const char *path, const AetVolume *stack, guint bits, GError **error)
{
  g_return_val_if_fail (path != NULL && stack != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  if (bits != 8 && bits != 16 && bits != 32)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: %u bits per pixel: TIFF stacks are written with 8, 16 or 32", name, bits);
      return FALSE;
    }
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;

  /* Classic TIFF addresses 4 GiB; larger stacks need BigTIFF. */
  guint64 total = (guint64) aet_volume_n_voxels (stack) * (bits / 8);
  TiffErrors errors = { tmp, NULL };
  TIFF *tif = tiff_open (tmp, total > (G_GUINT64_CONSTANT (3) << 30) ? "w8" : "w", &errors);
  gboolean ok = tif != NULL;
  g_autofree guint8 *row = g_malloc ((gsize) stack->nx * (bits / 8));
  for (gint k = 0; ok && k < stack->nz; k++)
    {
      TIFFSetField (tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, (guint32) stack->nx);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, (guint32) stack->ny);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, (guint16) bits);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, (guint16) 1);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT,
                    (guint16) (bits == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, (guint16) PHOTOMETRIC_MINISBLACK);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, (guint16) PLANARCONFIG_CONTIG);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, (guint16) COMPRESSION_NONE);
      TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize (tif, 0));
      TIFFSetField (tif, TIFFTAG_PAGENUMBER, (guint16) k, (guint16) stack->nz);
      for (gint y = 0; ok && y < stack->ny; y++)
        {
          const gfloat *in = stack->data + aet_volume_index (stack, 0, y, k);
          pack_row (in, row, stack->nx, bits);
          ok = TIFFWriteScanline (tif, row, (guint32) y, 0) >= 0;
        }
      ok = ok && TIFFWriteDirectory (tif);
    }
  if (tif != NULL)
    {
      TIFFClose (tif);
      ok = ok && errors.first_error == NULL;
    }
  if (!ok)
    {
      set_tiff_error (error, AET_ERROR_IO, name, "cannot write", &errors);
      g_free (errors.first_error);
      aet_temp_discard (tmp);
      return FALSE;
    }
  g_free (errors.first_error);
  return aet_temp_commit (tmp, path, error);
}
