#define G_LOG_DOMAIN "aet-volume"

#include "aet-volume.h"
#include "aet-error.h"

#include <math.h>
#include <string.h>

#define AET_ALIGNMENT 64

AetVolume *
aet_volume_try_new (gint nx, gint ny, gint nz, gdouble voxel_size, GError **error)
{
  if (nx <= 0 || ny <= 0 || nz <= 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "volume size %d×%d×%d: every edge must be at least 1", nx, ny, nz);
      return NULL;
    }
  if (nx > AET_VOLUME_MAX_EDGE || ny > AET_VOLUME_MAX_EDGE || nz > AET_VOLUME_MAX_EDGE
      || (guint64) nx * (guint64) ny * (guint64) nz > AET_VOLUME_MAX_VOXELS)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "volume size %d×%d×%d is larger than AET Studio handles (edge ≤ %d)",
                   nx, ny, nz, AET_VOLUME_MAX_EDGE);
      return NULL;
    }
  if (!(voxel_size > 0.0) || !isfinite (voxel_size))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "voxel size %g Å: must be a positive number", voxel_size);
      return NULL;
    }

  gsize n = (gsize) nx * (gsize) ny * (gsize) nz;
  gfloat *data = g_aligned_alloc0 (n, sizeof (gfloat), AET_ALIGNMENT);
  if (data == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "volume size %d×%d×%d: out of memory", nx, ny, nz);
      return NULL;
    }

  AetVolume *v = g_new0 (AetVolume, 1);
  v->nx = nx;
  v->ny = ny;
  v->nz = nz;
  v->voxel_size = voxel_size;
  v->data = data;
  v->ref_count = 1;
  return v;
}

AetVolume *
aet_volume_new (gint nx, gint ny, gint nz, gdouble voxel_size)
{
  g_autoptr (GError) error = NULL;
  AetVolume *v = aet_volume_try_new (nx, ny, nz, voxel_size, &error);
  if (v == NULL)
    g_error ("%s", error->message);
  return v;
}

AetVolume *
aet_volume_dup (const AetVolume *volume)
{
  g_return_val_if_fail (volume != NULL, NULL);
  AetVolume *copy = aet_volume_new (volume->nx, volume->ny, volume->nz, volume->voxel_size);
  memcpy (copy->data, volume->data, aet_volume_n_voxels (volume) * sizeof (gfloat));
  memcpy (copy->origin, volume->origin, sizeof copy->origin);
  return copy;
}

AetVolume *
aet_volume_ref (AetVolume *volume)
{
  g_return_val_if_fail (volume != NULL, NULL);
  g_atomic_int_inc (&volume->ref_count);
  return volume;
}

void
aet_volume_unref (AetVolume *volume)
{
  if (volume == NULL)
    return;
  if (g_atomic_int_dec_and_test (&volume->ref_count))
    {
      g_aligned_free (volume->data);
      g_free (volume);
    }
}

gboolean
aet_volume_same_shape (const AetVolume *a, const AetVolume *b)
{
  return a->nx == b->nx && a->ny == b->ny && a->nz == b->nz;
}

void
aet_volume_fill (AetVolume *volume, gfloat value)
{
  gsize n = aet_volume_n_voxels (volume);
  for (gsize i = 0; i < n; i++)
    volume->data[i] = value;
}

void
aet_volume_scale (AetVolume *volume, gfloat factor)
{
  gsize n = aet_volume_n_voxels (volume);
  for (gsize i = 0; i < n; i++)
    volume->data[i] *= factor;
}

void
aet_volume_get_stats (const AetVolume *volume, AetVolumeStats *stats)
{
  gsize n = aet_volume_n_voxels (volume);
  gdouble lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, sum = 0.0, sum2 = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble x = volume->data[i];
      lo = MIN (lo, x);
      hi = MAX (hi, x);
      sum += x;
      sum2 += x * x;
    }
  stats->min = lo;
  stats->max = hi;
  stats->mean = sum / (gdouble) n;
  gdouble var = sum2 / (gdouble) n - stats->mean * stats->mean;
  stats->std = var > 0.0 ? sqrt (var) : 0.0;
}

static int
compare_floats (const void *a, const void *b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;
  return (x > y) - (x < y);
}

void
aet_volume_percentiles (const AetVolume *volume, const gdouble *ps, gdouble *out, guint n)
{
  gsize nv = aet_volume_n_voxels (volume);
  g_autofree gfloat *copy = g_memdup2 (volume->data, nv * sizeof (gfloat));
  qsort (copy, nv, sizeof (gfloat), compare_floats);
  for (guint i = 0; i < n; i++)
    {
      gdouble p = CLAMP (ps[i], 0.0, 100.0) / 100.0 * (gdouble) (nv - 1);
      gsize lo = (gsize) floor (p);
      gsize hi = MIN (lo + 1, nv - 1);
      gdouble t = p - (gdouble) lo;
      out[i] = (1.0 - t) * copy[lo] + t * copy[hi];
    }
}

gdouble
aet_volume_percentile (const AetVolume *volume, gdouble p)
{
  gdouble out;
  aet_volume_percentiles (volume, &p, &out, 1);
  return out;
}

gboolean
aet_volume_check_finite (const AetVolume *volume, const char *what, GError **error)
{
  gsize n = aet_volume_n_voxels (volume);
  for (gsize i = 0; i < n; i++)
    if (!isfinite (volume->data[i]))
      {
        gsize k = i / ((gsize) volume->nx * volume->ny);
        gsize j = (i / volume->nx) % volume->ny;
        gsize x = i % volume->nx;
        g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                     "%s: voxel (%zu, %zu, %zu) is %s", what, x, j, k,
                     isnan (volume->data[i]) ? "NaN" : "infinite");
        return FALSE;
      }
  return TRUE;
}

AetVolume *
aet_volume_crop (const AetVolume *volume, gint x0, gint y0, gint z0, gint nx, gint ny, gint nz)
{
  AetVolume *out = aet_volume_new (nx, ny, nz, volume->voxel_size);
  out->origin[0] = volume->origin[0] + x0 * volume->voxel_size;
  out->origin[1] = volume->origin[1] + y0 * volume->voxel_size;
  out->origin[2] = volume->origin[2] + z0 * volume->voxel_size;
  for (gint k = 0; k < nz; k++)
    {
      gint sk = z0 + k;
      if (sk < 0 || sk >= volume->nz)
        continue;
      for (gint j = 0; j < ny; j++)
        {
          gint sj = y0 + j;
          if (sj < 0 || sj >= volume->ny)
            continue;
          for (gint i = 0; i < nx; i++)
            {
              gint si = x0 + i;
              if (si < 0 || si >= volume->nx)
                continue;
              out->data[aet_volume_index (out, i, j, k)]
                = volume->data[aet_volume_index (volume, si, sj, sk)];
            }
        }
    }
  return out;
}
