#define G_LOG_DOMAIN "aet-strain"

#include "aet-strain.h"

#include <math.h>

void
aet_stats_compute (const gfloat *values, const gboolean *mask, gsize n, AetStats *stats)
{
  gdouble sum = 0, sum2 = 0, lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  gsize count = 0;
  for (gsize i = 0; i < n; i++)
    {
      if ((mask != NULL && !mask[i]) || !isfinite (values[i]))
        continue;
      gdouble v = values[i];
      sum += v;
      sum2 += v * v;
      lo = MIN (lo, v);
      hi = MAX (hi, v);
      count++;
    }
  stats->n = count;
  if (count == 0)
    {
      stats->mean = stats->std = stats->rms = stats->min = stats->max = 0;
      return;
    }
  stats->mean = sum / count;
  stats->rms = sqrt (sum2 / count);
  stats->std = sqrt (MAX (0, sum2 / count - stats->mean * stats->mean));
  stats->min = lo;
  stats->max = hi;
}

gdouble
aet_strain_along (const gfloat t[6], const gdouble n[3])
{
  return t[0] * n[0] * n[0] + t[1] * n[1] * n[1] + t[2] * n[2] * n[2]
         + 2 * (t[3] * n[0] * n[1] + t[4] * n[0] * n[2] + t[5] * n[1] * n[2]);
}

void
aet_strain_compute (const gdouble *positions, gsize n, const AetNeighbors *nb,
                    const AetLatticeFit *fit, const gint *sites, gdouble a_reference,
                    gdouble cutoff, const gdouble centre[3], gfloat *tensor,
                    gfloat *volumetric, gfloat *radial)
{
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  const gdouble *r = fit->rotation;
  gdouble h = a_reference / 2;
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *p = positions + 3 * i;
      g_array_set_size (idx, 0);
      aet_neighbors_within (nb, p, cutoff, idx);
      gdouble bd[9] = { 0 }, dd[9] = { 0 };
      guint nbonds = 0;
      for (guint k = 0; k < idx->len; k++)
        {
          guint j = g_array_index (idx, guint, k);
          if (j == i)
            continue;
          gint ds[3] = { sites[3 * j] - sites[3 * i], sites[3 * j + 1] - sites[3 * i + 1],
                         sites[3 * j + 2] - sites[3 * i + 2] };
          if (ds[0] * ds[0] + ds[1] * ds[1] + ds[2] * ds[2] != 2)
            continue;
          gdouble d[3], b[3];
          for (int c = 0; c < 3; c++)
            {
              d[c] = h * (r[3 * c] * ds[0] + r[3 * c + 1] * ds[1] + r[3 * c + 2] * ds[2]);
              b[c] = positions[3 * j + c] - p[c];
            }
          for (int u = 0; u < 3; u++)
            for (int v = 0; v < 3; v++)
              {
                bd[3 * u + v] += b[u] * d[v];
                dd[3 * u + v] += d[u] * d[v];
              }
          nbonds++;
        }
      gdouble eps[6];
      gboolean ok = nbonds >= 3;
      if (ok)
        {
          gdouble ev[3], evec[9];
          aet_sym_eigen (dd, 3, ev, evec);
          ok = ev[0] > 0.05 * ev[2];
        }
      gdouble inv[9], f[9];
      if (ok)
        ok = aet_mat3_invert (dd, inv);
      if (ok)
        {
          for (int u = 0; u < 3; u++)
            for (int v = 0; v < 3; v++)
              f[3 * u + v] = bd[3 * u] * inv[v] + bd[3 * u + 1] * inv[3 + v]
                             + bd[3 * u + 2] * inv[6 + v];
          eps[0] = f[0] - 1;
          eps[1] = f[4] - 1;
          eps[2] = f[8] - 1;
          eps[3] = 0.5 * (f[1] + f[3]);
          eps[4] = 0.5 * (f[2] + f[6]);
          eps[5] = 0.5 * (f[5] + f[7]);
        }
      else
        for (int c = 0; c < 6; c++)
          eps[c] = NAN;
      if (tensor != NULL)
        for (int c = 0; c < 6; c++)
          tensor[6 * i + c] = (gfloat) eps[c];
      if (volumetric != NULL)
        volumetric[i] = (gfloat) (eps[0] + eps[1] + eps[2]);
      if (radial != NULL)
        {
          gdouble rv[3] = { p[0] - centre[0], p[1] - centre[1], p[2] - centre[2] };
          gdouble rn = sqrt (rv[0] * rv[0] + rv[1] * rv[1] + rv[2] * rv[2]);
          if (rn < 1e-6 || !ok)
            radial[i] = NAN;
          else
            {
              gfloat t[6];
              for (int c = 0; c < 6; c++)
                t[c] = (gfloat) eps[c];
              for (int c = 0; c < 3; c++)
                rv[c] /= rn;
              radial[i] = (gfloat) aet_strain_along (t, rv);
            }
        }
    }
}
