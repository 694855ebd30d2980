#define G_LOG_DOMAIN "aet-slice"

#include "aet-slice.h"

#include <math.h>

#include "aet-error.h"

#define MAX_SLICE_EDGE 8192

static gfloat
trilinear (const AetVolume *vol, const gdouble p[3])
{
  gdouble f[3];
  gint i0[3];
  gint n[3] = { vol->nx, vol->ny, vol->nz };
  for (guint a = 0; a < 3; a++)
    {
      gdouble x = (p[a] - vol->origin[a]) / vol->voxel_size;
      if (x < 0 || x > n[a] - 1 || !isfinite (x))
        return NAN;
      i0[a] = MIN ((gint) x, MAX (n[a] - 2, 0));
      f[a] = x - i0[a];
    }
  gdouble sum = 0;
  for (guint c = 0; c < 8; c++)
    {
      gint d[3] = { c & 1, (c >> 1) & 1, (c >> 2) & 1 };
      gdouble w = 1;
      gint idx[3];
      for (guint a = 0; a < 3; a++)
        {
          w *= d[a] ? f[a] : 1 - f[a];
          idx[a] = MIN (i0[a] + d[a], n[a] - 1);
        }
      if (w != 0)
        sum += w * vol->data[aet_volume_index (vol, idx[0], idx[1], idx[2])];
    }
  return (gfloat) sum;
}

static void
cross (const gdouble a[3], const gdouble b[3], gdouble out[3])
{
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

static gdouble
dot (const gdouble a[3], const gdouble b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static gboolean
normalize (gdouble a[3])
{
  gdouble l = sqrt (dot (a, a));
  if (!(l > 1e-12))
    return FALSE;
  for (guint i = 0; i < 3; i++)
    a[i] /= l;
  return TRUE;
}

AetSlice *
aet_slice_sample (const AetVolume *volume, const gdouble normal[3], gdouble offset,
                  gdouble pixel_size, GError **error)
{
  g_return_val_if_fail (volume != NULL && normal != NULL, NULL);

  gdouble n[3] = { normal[0], normal[1], normal[2] };
  if (!normalize (n) || !isfinite (offset))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "slice: the plane normal is zero or not finite");
      return NULL;
    }
  if (!(pixel_size > 0))
    pixel_size = volume->voxel_size;

  /* u is the volume axis least aligned with n, made orthogonal to it, so
   * that a plane along [001] has u = x and v = y. */
  gdouble axes[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
  guint pick = 0;
  for (guint a = 1; a < 3; a++)
    if (fabs (n[a]) < fabs (n[pick]))
      pick = a;
  gdouble u[3], v[3];
  gdouble along = dot (axes[pick], n);
  for (guint a = 0; a < 3; a++)
    u[a] = axes[pick][a] - along * n[a];
  normalize (u);
  cross (n, u, v);

  gdouble centre[3], p0[3];
  gint dims[3] = { volume->nx, volume->ny, volume->nz };
  for (guint a = 0; a < 3; a++)
    {
      centre[a] = volume->origin[a] + 0.5 * (dims[a] - 1) * volume->voxel_size;
      p0[a] = centre[a] + offset * n[a];
    }

  /* the box corners projected on the plane bound the sampled rectangle */
  gdouble umin = G_MAXDOUBLE, umax = -G_MAXDOUBLE, vmin = G_MAXDOUBLE, vmax = -G_MAXDOUBLE;
  for (guint c = 0; c < 8; c++)
    {
      gdouble q[3];
      for (guint a = 0; a < 3; a++)
        q[a] = volume->origin[a] + (((c >> a) & 1u) ? (dims[a] - 1) * volume->voxel_size : 0)
               - p0[a];
      umin = MIN (umin, dot (q, u));
      umax = MAX (umax, dot (q, u));
      vmin = MIN (vmin, dot (q, v));
      vmax = MAX (vmax, dot (q, v));
    }
  gdouble w = floor ((umax - umin) / pixel_size) + 1;
  gdouble h = floor ((vmax - vmin) / pixel_size) + 1;
  if (w > MAX_SLICE_EDGE || h > MAX_SLICE_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "slice: %.0f×%.0f pixels is too large, use a larger pixel size", w, h);
      return NULL;
    }

  AetSlice *s = g_new0 (AetSlice, 1);
  s->width = (gint) w;
  s->height = (gint) h;
  s->pixel_size = pixel_size;
  for (guint a = 0; a < 3; a++)
    {
      s->u[a] = u[a];
      s->v[a] = v[a];
      s->normal[a] = n[a];
      s->origin[a] = p0[a] + umin * u[a] + vmin * v[a];
    }
  s->data = g_new (gfloat, (gsize) s->width * s->height);
  gboolean any = FALSE;
  for (gint b = 0; b < s->height; b++)
    for (gint a = 0; a < s->width; a++)
      {
        gdouble p[3];
        for (guint c = 0; c < 3; c++)
          p[c] = s->origin[c] + pixel_size * (a * u[c] + b * v[c]);
        gfloat val = trilinear (volume, p);
        s->data[(gsize) b * s->width + a] = val;
        if (isfinite (val))
          {
            if (!any)
              s->min = s->max = val;
            s->min = MIN (s->min, val);
            s->max = MAX (s->max, val);
            any = TRUE;
          }
      }
  return s;
}

void
aet_slice_free (AetSlice *slice)
{
  if (slice == NULL)
    return;
  g_free (slice->data);
  g_free (slice);
}

gdouble
aet_slice_distance (const AetSlice *slice, const gdouble p[3])
{
  gdouble d[3];
  for (guint a = 0; a < 3; a++)
    d[a] = p[a] - slice->origin[a];
  return dot (d, slice->normal);
}

GArray *
aet_slice_layer_atoms (const AetSlice *slice, const AetAtoms *atoms, gdouble half_thickness,
                       GArray **indices)
{
  g_return_val_if_fail (slice != NULL && atoms != NULL, NULL);

  GArray *uv = g_array_new (FALSE, FALSE, sizeof (gdouble));
  if (indices != NULL)
    *indices = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      const gdouble *p = atoms->positions + 3 * i;
      if (fabs (aet_slice_distance (slice, p)) > half_thickness)
        continue;
      gdouble d[3];
      for (guint a = 0; a < 3; a++)
        d[a] = p[a] - slice->origin[a];
      gdouble pu = dot (d, slice->u) / slice->pixel_size;
      gdouble pv = dot (d, slice->v) / slice->pixel_size;
      g_array_append_val (uv, pu);
      g_array_append_val (uv, pv);
      if (indices != NULL)
        {
          guint idx = (guint) i;
          g_array_append_val (*indices, idx);
        }
    }
  return uv;
}
