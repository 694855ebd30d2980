/* aet-augment.c — normalise, resample to the network's sampling, run the
 * network in tiles, resample back (see aet-augment.h). */
#define G_LOG_DOMAIN "aet-augment"

#include "aet-augment.h"

#include "aet-error.h"
#include "aet-resample.h"
#include "aet-tiles.h"
#include "aet-train.h"

#include <math.h>
#include <string.h>

gboolean
aet_augment_grid (const AetVolume *volume, gdouble net_voxel_size, const char *what,
                  gint grid[3], gboolean *resample, GError **error)
{
  g_return_val_if_fail (volume != NULL && net_voxel_size > 0, FALSE);
  gdouble ratio = volume->voxel_size / net_voxel_size;
  gint dims[3] = { volume->nx, volume->ny, volume->nz };
  gboolean differs = FALSE;
  if (!(ratio >= AET_AUGMENT_MIN_RATIO && ratio <= AET_AUGMENT_MAX_RATIO))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: its %.3g Å voxels are %.2f× the network's %.3g Å, outside the %g–%g× "
                   "it resamples (is the voxel size right?)",
                   what, volume->voxel_size, ratio, net_voxel_size, AET_AUGMENT_MIN_RATIO,
                   AET_AUGMENT_MAX_RATIO);
      return FALSE;
    }
  for (int d = 0; d < 3; d++)
    {
      grid[d] = dims[d];
      if (fabs (ratio - 1) > AET_AUGMENT_SAMPLING_TOLERANCE)
        grid[d] = MAX (1, (gint) lround (dims[d] * ratio));
      differs = differs || grid[d] != dims[d];
    }
  if (resample != NULL)
    *resample = differs;
  return TRUE;
}

/* v reflected in place along x (mask bit 1), y (2) and z (4). */
static void
flip_volume (AetVolume *v, guint mask)
{
  gint nx = v->nx, ny = v->ny, nz = v->nz;
  if (mask & 1)
    for (gint z = 0; z < nz; z++)
      for (gint y = 0; y < ny; y++)
        {
          gfloat *row = v->data + ((gsize) z * ny + y) * nx;
          for (gint x = 0; x < nx / 2; x++)
            {
              gfloat t = row[x];
              row[x] = row[nx - 1 - x];
              row[nx - 1 - x] = t;
            }
        }
  if (mask & 2)
    for (gint z = 0; z < nz; z++)
      for (gint y = 0; y < ny / 2; y++)
        {
          gfloat *a = v->data + ((gsize) z * ny + y) * nx;
          gfloat *b = v->data + ((gsize) z * ny + (ny - 1 - y)) * nx;
          for (gint x = 0; x < nx; x++)
            {
              gfloat t = a[x];
              a[x] = b[x];
              b[x] = t;
            }
        }
  if (mask & 4)
    for (gint z = 0; z < nz / 2; z++)
      {
        gfloat *a = v->data + (gsize) z * ny * nx;
        gfloat *b = v->data + (gsize) (nz - 1 - z) * ny * nx;
        for (gsize i = 0; i < (gsize) ny * nx; i++)
          {
            gfloat t = a[i];
            a[i] = b[i];
            b[i] = t;
          }
      }
}

/* The network applied to `input` n_flips times, reflected by the masks
 * 0, 1, …, n_flips − 1 (x, y, z bits) and reflected back, averaged. */
static AetVolume *
apply_flipped (AetUnet *net, const AetVolume *input, gint tile, gint overlap, guint n_flips,
               AetJob *job, GError **error)
{
  if (n_flips <= 1)
    return aet_unet_apply (net, input, tile, overlap, job, error);
  g_autoptr (AetVolume) sum = NULL;
  for (guint k = 0; k < n_flips; k++)
    {
      aet_job_push_range (job, (gdouble) k / n_flips, (gdouble) (k + 1) / n_flips);
      g_autoptr (AetVolume) flipped = aet_volume_dup (input);
      flip_volume (flipped, k);
      g_autoptr (AetVolume) out = aet_unet_apply (net, flipped, tile, overlap, job, error);
      aet_job_pop_range (job);
      if (out == NULL)
        return NULL;
      flip_volume (out, k);
      if (sum == NULL)
        sum = g_steal_pointer (&out);
      else
        for (gsize i = 0; i < aet_volume_n_voxels (sum); i++)
          sum->data[i] += out->data[i];
    }
  aet_volume_scale (sum, 1.0f / (gfloat) n_flips);
  return g_steal_pointer (&sum);
}

AetVolume *
aet_augment (AetUnet *net, const AetVolume *volume, const char *what, gint tile, gint overlap,
             AetAugmentInfo *info, AetJob *job, GError **error)
{
  return aet_augment_flips (net, volume, what, tile, overlap, 1, info, job, error);
}

AetVolume *
aet_augment_flips (AetUnet *net, const AetVolume *volume, const char *what, gint tile,
                   gint overlap, guint n_flips, AetAugmentInfo *info, AetJob *job,
                   GError **error)
{
  g_return_val_if_fail (n_flips >= 1 && n_flips <= AET_AUGMENT_MAX_FLIPS, NULL);
  g_return_val_if_fail (net != NULL && volume != NULL, NULL);
  if (what == NULL)
    what = "volume";
  gdouble net_voxel = aet_unet_get_voxel_size (net);
  gint grid[3];
  gboolean resample = FALSE;
  if (!aet_volume_check_finite (volume, what, error)
      || !aet_augment_grid (volume, net_voxel, what, grid, &resample, error))
    return NULL;
  guint threads = aet_job_get_threads (job);

  /* the network's input is normalised on the grid it sees, as in training
   * (where pairs were made at its sampling) */
  g_autoptr (AetVolume) on_grid = NULL;
  if (resample)
    {
      on_grid = aet_volume_resample (volume, grid[0], grid[1], grid[2], threads, error);
      if (on_grid == NULL)
        {
          g_prefix_error (error, "%s: ", what);
          return NULL;
        }
      on_grid->voxel_size = net_voxel;
    }
  else
    on_grid = aet_volume_ref ((AetVolume *) volume);
  gdouble level = 0;
  g_autoptr (AetVolume) input = aet_train_normalise (on_grid, what, &level, error);
  if (input == NULL)
    return NULL;
  g_clear_pointer (&on_grid, aet_volume_unref);
  g_autoptr (AetVolume) out = apply_flipped (net, input, tile, overlap, n_flips, job, error);
  if (out == NULL)
    return NULL;

  if (resample)
    {
      g_autoptr (AetVolume) back
        = aet_volume_resample (out, volume->nx, volume->ny, volume->nz, threads, error);
      if (back == NULL)
        {
          g_prefix_error (error, "%s: ", what);
          return NULL;
        }
      g_clear_pointer (&out, aet_volume_unref);
      out = g_steal_pointer (&back);
    }
  /* The target is a density ≥ 0: values below 0 are the resampling's
   * ringing or a linear output layer's undershoot, not signal. */
  gsize n_out = aet_volume_n_voxels (out);
  for (gsize i = 0; i < n_out; i++)
    out->data[i] = MAX (out->data[i], 0.0f);
  out->voxel_size = volume->voxel_size;
  memcpy (out->origin, volume->origin, sizeof out->origin);
  if (info != NULL)
    {
      info->level = level;
      info->net_voxel_size = net_voxel;
      info->resampled = resample;
      memcpy (info->grid, grid, sizeof grid);
    }
  return g_steal_pointer (&out);
}
