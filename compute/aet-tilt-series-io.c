#define G_LOG_DOMAIN "aet-tilt-series-io"

#include "aet-tilt-series-io.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-mrc.h"
#include "aet-tiff.h"
#include "aet-tlt.h"

#include <math.h>
#include <string.h>

/* The path with its extension (if any) replaced by ".tlt". */
static char *
default_tlt_path (const char *stack_path)
{
  g_autofree char *dir = g_path_get_dirname (stack_path);
  g_autofree char *base = g_path_get_basename (stack_path);
  char *dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  g_autofree char *tlt = g_strconcat (base, ".tlt", NULL);
  return g_build_filename (dir, tlt, NULL);
}

static AetVolume *
load_stack (const char *stack_path, gdouble pixel_size, GError **error)
{
  g_autofree char *ext = aet_path_extension (stack_path);
  const char *mrc_exts[] = { "mrc", "mrcs", "st", "ali", "rec", "map", NULL };
  if (g_strv_contains (mrc_exts, ext))
    {
      AetVolume *images = aet_mrc_read (stack_path, NULL, error);
      if (images != NULL && pixel_size > 0.0)
        images->voxel_size = pixel_size;
      return images;
    }
  if (g_str_equal (ext, "tif") || g_str_equal (ext, "tiff"))
    return aet_tiff_read_stack (stack_path, pixel_size, error);
  g_autofree char *name = aet_display_name (stack_path);
  g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
               "%s: unknown stack format (expected .mrc, .mrcs, .st, .ali, .tif or .tiff)",
               name);
  return NULL;
}

AetTiltSeries *
aet_tilt_series_load (const char *stack_path, const char *tlt_path, gdouble pixel_size,
                      GError **error)
{
  g_return_val_if_fail (stack_path != NULL, NULL);
  g_autofree char *stack_name = aet_display_name (stack_path);
  if (!(pixel_size >= 0.0) || !isfinite (pixel_size))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "pixel size %g Å: must be a positive number", pixel_size);
      return NULL;
    }

  /* the stack first, so a missing or unreadable stack is what gets reported */
  g_autoptr (AetVolume) images = load_stack (stack_path, pixel_size, error);
  if (images == NULL)
    return NULL;

  g_autofree char *guessed = NULL;
  if (tlt_path == NULL)
    {
      guessed = default_tlt_path (stack_path);
      if (!g_file_test (guessed, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH, "%s: no tilt angles (give --tlt)",
                       stack_name);
          return NULL;
        }
      tlt_path = guessed;
    }

  gsize n_angles = 0;
  g_autofree gdouble *angles = aet_tlt_read (tlt_path, &n_angles, error);
  if (angles == NULL)
    return NULL;
  if (n_angles != (gsize) images->nz)
    {
      g_autofree char *tlt_name = aet_display_name (tlt_path);
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH, "%s: %zu angles for a stack of %d images",
                   tlt_name, n_angles, images->nz);
      return NULL;
    }
  return aet_tilt_series_new (images, angles);
}

gboolean
aet_tilt_series_save_mrc (const AetTiltSeries *series, const char *mrc_path,
                          const char *tlt_path, GError **error)
{
  g_return_val_if_fail (series != NULL && mrc_path != NULL, FALSE);
  g_autofree char *guessed = tlt_path == NULL ? default_tlt_path (mrc_path) : NULL;
  if (!aet_mrc_write (mrc_path, series->images, TRUE, error))
    return FALSE;
  return aet_tlt_write (tlt_path != NULL ? tlt_path : guessed, series->angles,
                        (gsize) series->images->nz, error);
}
