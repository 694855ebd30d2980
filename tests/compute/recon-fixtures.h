/* recon-fixtures.h — small phantoms for the reconstruction tests.
 *
 * An FCC ball of Gaussian atoms, its truth volume (aet_render_gaussian_atoms)
 * and an analytic tilt series drawn independently of the library's
 * projector: each atom is a 2D Gaussian at (x·cos θ + z·sin θ, y) from the
 * rotation centre, displaced by the image's shift.  Header-only so each test
 * program stays one file.
 */
#pragma once

#include "aet-atom-density.h"
#include "aet-atoms.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

#include <math.h>

#define FIX_A_PT 3.912

/* FCC atoms (Z = 78) within `radius` Å of the box centre plus `offset` Å. */
static inline AetAtoms *
fix_fcc_ball (gint n, gdouble pixel, gdouble radius, const gdouble offset[3])
{
  AetAtoms *atoms = aet_atoms_new (64);
  const gdouble c = (n / 2) * pixel;
  const gdouble basis[4][3] = { { 0, 0, 0 }, { 0.5, 0.5, 0 }, { 0.5, 0, 0.5 }, { 0, 0.5, 0.5 } };
  const gint m = (gint) ceil (radius / FIX_A_PT) + 1;
  for (gint i = -m; i <= m; i++)
    for (gint j = -m; j <= m; j++)
      for (gint k = -m; k <= m; k++)
        for (gint b = 0; b < 4; b++)
          {
            const gdouble x = (i + basis[b][0]) * FIX_A_PT + 0.37;
            const gdouble y = (j + basis[b][1]) * FIX_A_PT - 0.21;
            const gdouble z = (k + basis[b][2]) * FIX_A_PT + 0.13;
            if (x * x + y * y + z * z <= radius * radius)
              aet_atoms_append (atoms, 78, c + x + offset[0], c + y + offset[1],
                                c + z + offset[2]);
          }
  return atoms;
}

/* The truth volume n × m × n (pixel Å) of atoms of width B. */
static inline AetVolume *
fix_truth (const AetAtoms *atoms, gint n, gint m, gdouble pixel, gdouble b)
{
  AetVolume *v = aet_volume_new (n, m, n, pixel);
  aet_render_gaussian_atoms (atoms, v, b, 1.0, NULL, 2);
  return v;
}

/* An analytic tilt series of n × m images: atom projections are 2D
 * Gaussians of σ = aet_b_to_sigma(B), height √(2π)·σ (σ in pixels) so
 * they are the line integrals of the unit-height 3D Gaussians of
 * fix_truth; shifts (2 per image, may be NULL) displace each image's
 * content and are stored in the series. */
static inline AetTiltSeries *
fix_project (const AetAtoms *atoms, gint n, gint m, gdouble pixel, gdouble b,
             const gdouble *angles, gint n_img, const gdouble *shifts)
{
  g_autoptr (AetVolume) images = aet_volume_new (n, m, n_img, pixel);
  const gdouble sigma = aet_b_to_sigma (b) / pixel;
  const gdouble height = sqrt (2.0 * G_PI) * sigma;
  const gdouble cx = n / 2, cy = m / 2, cz = n / 2;
  for (gint t = 0; t < n_img; t++)
    {
      const gdouble th = angles[t] * G_PI / 180.0;
      const gdouble dx = shifts ? shifts[2 * t] : 0.0, dy = shifts ? shifts[2 * t + 1] : 0.0;
      gfloat *img = images->data + (gsize) t * n * m;
      for (gsize a = 0; a < atoms->n_atoms; a++)
        {
          const gdouble ox = atoms->positions[3 * a] / pixel - cx;
          const gdouble oy = atoms->positions[3 * a + 1] / pixel - cy;
          const gdouble oz = atoms->positions[3 * a + 2] / pixel - cz;
          const gdouble u = cx + ox * cos (th) + oz * sin (th) + dx;
          const gdouble v = cy + oy + dy;
          const gint r = (gint) ceil (5 * sigma);
          for (gint q = (gint) floor (v) - r; q <= (gint) floor (v) + r + 1; q++)
            for (gint p = (gint) floor (u) - r; p <= (gint) floor (u) + r + 1; p++)
              {
                if (p < 0 || q < 0 || p >= n || q >= m)
                  continue;
                const gdouble d2 = (p - u) * (p - u) + (q - v) * (q - v);
                img[(gsize) q * n + p] += (gfloat) (height * exp (-d2 / (2 * sigma * sigma)));
              }
        }
    }
  AetTiltSeries *s = aet_tilt_series_new (images, angles);
  if (shifts != NULL)
    for (gint t = 0; t < 2 * n_img; t++)
      s->shifts[t] = shifts[t];
  return s;
}

/* Pearson correlation of two volumes of the same shape. */
static inline gdouble
fix_ncc (const AetVolume *a, const AetVolume *b)
{
  const gsize n = aet_volume_n_voxels (a);
  gdouble ma = 0, mb = 0;
  for (gsize i = 0; i < n; i++)
    {
      ma += a->data[i];
      mb += b->data[i];
    }
  ma /= n;
  mb /= n;
  gdouble sab = 0, saa = 0, sbb = 0;
  for (gsize i = 0; i < n; i++)
    {
      const gdouble x = a->data[i] - ma, y = b->data[i] - mb;
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
  return sab / sqrt (saa * sbb);
}

/* Evenly spaced angles start, start+step, … (n of them); caller frees. */
static inline gdouble *
fix_angles (gdouble start, gdouble step, gint n)
{
  gdouble *a = g_new (gdouble, n);
  for (gint i = 0; i < n; i++)
    a[i] = start + step * i;
  return a;
}
