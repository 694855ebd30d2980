#define G_LOG_DOMAIN "aet-tiles"

#include "aet-tiles.h"
#include "aet-error.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gint n, padded, tile, n_tiles;
  gint *starts;
} Axis;

static void
axis_clear (Axis *a)
{
  g_clear_pointer (&a->starts, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Axis, axis_clear)

static void
axis_init (Axis *a, gint n, gint align, gint tile, gint overlap)
{
  a->n = n;
  a->padded = (n + align - 1) / align * align;
  a->tile = tile <= 0 ? a->padded : MIN (tile, a->padded);
  gint step = MAX (align, (a->tile - overlap) / align * align);
  a->n_tiles = 1;
  while ((a->n_tiles - 1) * step + a->tile < a->padded)
    a->n_tiles++;
  a->starts = g_new (gint, a->n_tiles);
  for (gint t = 0; t < a->n_tiles; t++)
    a->starts[t] = MIN (t * step, a->padded - a->tile);
}

/* The blending weight along one axis at local index x of a tile starting at
 * `start`: zero within `margin` of an inner face, a cosine ramp of length
 * `ramp` after it, one elsewhere; faces on the volume's border are not
 * tapered. */
static gfloat
axis_weight (const Axis *a, gint start, gint x, gint margin, gint ramp)
{
  gdouble w = 1.0;
  gint from_lo = x, from_hi = a->tile - 1 - x;
  if (start > 0)
    w *= from_lo < margin ? 0.0
         : from_lo >= margin + ramp ? 1.0
         : 0.5 - 0.5 * cos (G_PI * (from_lo - margin + 0.5) / ramp);
  if (start + a->tile < a->padded)
    w *= from_hi < margin ? 0.0
         : from_hi >= margin + ramp ? 1.0
         : 0.5 - 0.5 * cos (G_PI * (from_hi - margin + 0.5) / ramp);
  return (gfloat) w;
}

AetVolume *
aet_unet_apply (AetUnet *net, const AetVolume *input, gint tile, gint overlap, AetJob *job,
                GError **error)
{
  g_return_val_if_fail (net != NULL && input != NULL, NULL);
  if (aet_unet_get_in_channels (net) != 1 || aet_unet_get_out_channels (net) != 1)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "network: maps %d channels to %d but a volume needs 1 to 1",
                   aet_unet_get_in_channels (net), aet_unet_get_out_channels (net));
      return NULL;
    }
  if (!aet_volume_check_finite (input, "network input", error))
    return NULL;
  gint align = aet_unet_get_alignment (net);
  gint radius = aet_unet_get_receptive_radius (net);
  if (tile > 0)
    tile = MAX (align, (tile + align - 1) / align * align);
  if (overlap < 0)
    overlap = 0;
  if (tile > 0 && overlap >= tile)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "tiles: overlap %d must be smaller than the tile %d", overlap, tile);
      return NULL;
    }
  /* exact when the overlap allows a margin of the full radius */
  gint margin = overlap >= 2 * radius ? radius : overlap / 4;
  gint ramp = MAX (1, overlap - 2 * margin);

  g_auto (Axis) ax_x = { 0 };
  g_auto (Axis) ax_y = { 0 };
  g_auto (Axis) ax_z = { 0 };
  axis_init (&ax_x, input->nx, align, tile, overlap);
  axis_init (&ax_y, input->ny, align, tile, overlap);
  axis_init (&ax_z, input->nz, align, tile, overlap);
  const Axis *ax[3] = { &ax_x, &ax_y, &ax_z };
  g_autoptr (AetVolume) out = aet_volume_new (input->nx, input->ny, input->nz,
                                              input->voxel_size);
  memcpy (out->origin, input->origin, sizeof out->origin);
  g_autofree gfloat *wsum = g_new0 (gfloat, aet_volume_n_voxels (input));
  g_autofree gfloat *wx = g_new (gfloat, ax[0]->tile);
  g_autofree gfloat *wy = g_new (gfloat, ax[1]->tile);
  g_autofree gfloat *wz = g_new (gfloat, ax[2]->tile);
  g_autoptr (AetTensor) t = aet_tensor_new (1, ax[2]->tile, ax[1]->tile, ax[0]->tile);
  aet_unet_set_threads (net, aet_job_get_threads (job));

  gint n_tiles = ax[0]->n_tiles * ax[1]->n_tiles * ax[2]->n_tiles, done = 0;
  for (gint tz = 0; tz < ax[2]->n_tiles; tz++)
    for (gint ty = 0; ty < ax[1]->n_tiles; ty++)
      for (gint tx = 0; tx < ax[0]->n_tiles; tx++)
        {
          if (aet_job_check_cancelled (job, "network inference", error))
            return NULL;
          gint x0 = ax[0]->starts[tx], y0 = ax[1]->starts[ty], z0 = ax[2]->starts[tz];
          g_autoptr (AetVolume) crop = aet_volume_crop (input, x0, y0, z0, ax[0]->tile,
                                                        ax[1]->tile, ax[2]->tile);
          memcpy (t->data, crop->data, t->n * sizeof (gfloat));
          const AetTensor *y = aet_unet_forward (net, t, error);
          if (y == NULL)
            return NULL;
          for (gint i = 0; i < ax[0]->tile; i++)
            wx[i] = axis_weight (ax[0], x0, i, margin, ramp);
          for (gint j = 0; j < ax[1]->tile; j++)
            wy[j] = axis_weight (ax[1], y0, j, margin, ramp);
          for (gint k = 0; k < ax[2]->tile; k++)
            wz[k] = axis_weight (ax[2], z0, k, margin, ramp);
          gint nk = MIN (ax[2]->tile, input->nz - z0), nj = MIN (ax[1]->tile, input->ny - y0);
          gint ni = MIN (ax[0]->tile, input->nx - x0);
          for (gint k = 0; k < nk; k++)
            for (gint j = 0; j < nj; j++)
              {
                gfloat wjk = wz[k] * wy[j];
                if (wjk == 0.0f)
                  continue;
                const gfloat *src = y->data + ((gsize) k * ax[1]->tile + j) * ax[0]->tile;
                gsize o = aet_volume_index (out, x0, y0 + j, z0 + k);
                for (gint i = 0; i < ni; i++)
                  {
                    gfloat w = wjk * wx[i];
                    out->data[o + i] += w * src[i];
                    wsum[o + i] += w;
                  }
              }
          done++;
          aet_job_progress (job, (gdouble) done / n_tiles, "tile %d of %d", done, n_tiles);
        }
  gsize n = aet_volume_n_voxels (out);
  for (gsize i = 0; i < n; i++)
    out->data[i] = wsum[i] > 0.0f ? out->data[i] / wsum[i] : 0.0f;
  return g_steal_pointer (&out);
}
