#define G_LOG_DOMAIN "aet-atom-density"

#include "aet-atom-density.h"
#include "aet-parallel.h"

#include <math.h>

gdouble
aet_b_to_sigma (gdouble b)
{
  return sqrt (MAX (b, 1e-6) / (2.0 * G_PI * G_PI));
}

typedef struct
{
  const AetAtoms *atoms;
  AetVolume *volume;
  const gfloat *b_values;
  gdouble b, amplitude;
} RenderData;

/* Each worker owns the z-slices [start, end): it draws the part of every
 * atom that falls inside them, so no two threads write one voxel and the sum
 * order per voxel is the atom order whatever the thread count. */
static void
render_slab (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  RenderData *d = user_data;
  AetVolume *v = d->volume;
  const gdouble p = v->voxel_size;
  g_autofree gfloat *gx = g_new (gfloat, v->nx);
  g_autofree gfloat *gy = g_new (gfloat, v->ny);

  for (gsize a = 0; a < d->atoms->n_atoms; a++)
    {
      gdouble b = d->b_values != NULL ? d->b_values[a] : d->b;
      gdouble sigma = aet_b_to_sigma (b) / p;  /* voxels */
      gdouble cut = 4.0 * sigma;
      gdouble cx = (d->atoms->positions[3 * a] - v->origin[0]) / p;
      gdouble cy = (d->atoms->positions[3 * a + 1] - v->origin[1]) / p;
      gdouble cz = (d->atoms->positions[3 * a + 2] - v->origin[2]) / p;
      gint k0 = MAX ((gint) start, (gint) ceil (cz - cut));
      gint k1 = MIN ((gint) end - 1, (gint) floor (cz + cut));
      if (k0 > k1)
        continue;
      gint i0 = MAX (0, (gint) ceil (cx - cut)), i1 = MIN (v->nx - 1, (gint) floor (cx + cut));
      gint j0 = MAX (0, (gint) ceil (cy - cut)), j1 = MIN (v->ny - 1, (gint) floor (cy + cut));
      if (i0 > i1 || j0 > j1)
        continue;
      gdouble inv = 1.0 / (2.0 * sigma * sigma);
      for (gint i = i0; i <= i1; i++)
        gx[i] = (gfloat) exp (-(i - cx) * (i - cx) * inv);
      for (gint j = j0; j <= j1; j++)
        gy[j] = (gfloat) exp (-(j - cy) * (j - cy) * inv);
      for (gint k = k0; k <= k1; k++)
        {
          gfloat gz = (gfloat) (d->amplitude * exp (-(k - cz) * (k - cz) * inv));
          for (gint j = j0; j <= j1; j++)
            {
              gfloat gyz = gz * gy[j];
              gfloat *row = v->data + aet_volume_index (v, 0, j, k);
              for (gint i = i0; i <= i1; i++)
                row[i] += gyz * gx[i];
            }
        }
    }
}

void
aet_render_gaussian_atoms (const AetAtoms *atoms, AetVolume *volume, gdouble b,
                           gdouble amplitude, const char *b_column, guint n_threads)
{
  g_return_if_fail (atoms != NULL && volume != NULL);
  RenderData d = {
    .atoms = atoms,
    .volume = volume,
    .b_values = b_column != NULL ? aet_atoms_get_column (atoms, b_column) : NULL,
    .b = b,
    .amplitude = amplitude,
  };
  aet_parallel_for (n_threads, (gsize) volume->nz, render_slab, &d);
}
