#define G_LOG_DOMAIN "aet-layers"

#include "aet-layers.h"
#include "aet-strain.h"

#include <math.h>

void
aet_layers_free (AetLayers *layers)
{
  if (layers == NULL)
    return;
  g_clear_pointer (&layers->layers, g_array_unref);
  g_free (layers);
}

AetLayers *
aet_layers_find (const gdouble *positions, gsize n, const gdouble direction[3],
                 gdouble expected_spacing, gint *layer_of_atom)
{
  AetLayers *out = g_new0 (AetLayers, 1);
  out->layers = g_array_new (FALSE, TRUE, sizeof (AetLayer));
  gdouble norm = sqrt (direction[0] * direction[0] + direction[1] * direction[1]
                       + direction[2] * direction[2]);
  if (!(norm > 0) || n == 0)
    {
      if (layer_of_atom != NULL)
        for (gsize i = 0; i < n; i++)
          layer_of_atom[i] = -1;
      return out;
    }
  for (int c = 0; c < 3; c++)
    out->direction[c] = direction[c] / norm;
  out->expected_spacing = MAX (0, expected_spacing);
  gdouble h = expected_spacing > 0 ? expected_spacing / 6 : 0.3;
  gdouble min_sep = expected_spacing > 0 ? expected_spacing / 2 : 0.8;

  g_autofree gdouble *t = g_new (gdouble, n);
  gdouble lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *p = positions + 3 * i;
      t[i] = p[0] * out->direction[0] + p[1] * out->direction[1] + p[2] * out->direction[2];
      lo = MIN (lo, t[i]);
      hi = MAX (hi, t[i]);
    }
  gdouble step = h / 5, start = lo - 4 * h;
  gsize ng = (gsize) ceil ((hi - lo + 8 * h) / step) + 1;
  g_autofree gdouble *kde = g_new0 (gdouble, ng);
  gint reach = (gint) ceil (4 * h / step);
  for (gsize i = 0; i < n; i++)
    {
      gint centre = (gint) lround ((t[i] - start) / step);
      for (gint g = MAX (0, centre - reach); g <= MIN ((gint) ng - 1, centre + reach); g++)
        {
          gdouble x = (start + g * step - t[i]) / h;
          kde[g] += exp (-0.5 * x * x);
        }
    }
  /* peaks, then merge the ones too close (keeping the higher) */
  g_autoptr (GArray) peaks = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize g = 1; g + 1 < ng; g++)
    if (kde[g] > kde[g - 1] && kde[g] >= kde[g + 1] && kde[g] >= 0.5)
      g_array_append_val (peaks, g);
  gboolean merged = TRUE;
  while (merged && peaks->len > 1)
    {
      merged = FALSE;
      for (guint k = 0; k + 1 < peaks->len; k++)
        {
          gsize a = g_array_index (peaks, gsize, k), b = g_array_index (peaks, gsize, k + 1);
          if ((b - a) * step < min_sep)
            {
              g_array_remove_index (peaks, kde[a] >= kde[b] ? k + 1 : k);
              merged = TRUE;
              break;
            }
        }
    }
  guint np = peaks->len;
  if (np == 0)
    {
      gsize g = 0;
      for (gsize k = 1; k < ng; k++)
        if (kde[k] > kde[g])
          g = k;
      g_array_append_val (peaks, g);
      np = 1;
    }
  /* boundaries at the density minimum between consecutive peaks */
  g_autofree gdouble *bound = g_new (gdouble, np);
  for (guint k = 0; k + 1 < np; k++)
    {
      gsize a = g_array_index (peaks, gsize, k), b = g_array_index (peaks, gsize, k + 1);
      gsize m = a;
      for (gsize g = a; g <= b; g++)
        if (kde[g] < kde[m])
          m = g;
      bound[k] = start + m * step;
    }
  g_autofree gint *which = g_new (gint, n);
  g_autofree gdouble *sum = g_new0 (gdouble, np);
  g_autofree gsize *count = g_new0 (gsize, np);
  for (gsize i = 0; i < n; i++)
    {
      guint lo_k = 0, hi_k = np - 1;
      while (lo_k < hi_k)
        {
          guint mid = (lo_k + hi_k) / 2;
          if (t[i] < bound[mid])
            hi_k = mid;
          else
            lo_k = mid + 1;
        }
      which[i] = lo_k;
      sum[lo_k] += t[i];
      count[lo_k]++;
    }
  /* drop empty layers, number the rest */
  g_autofree gint *renum = g_new (gint, np);
  for (guint k = 0; k < np; k++)
    {
      renum[k] = -1;
      if (count[k] == 0)
        continue;
      AetLayer layer = { 0 };
      layer.index = out->layers->len;
      layer.position = sum[k] / count[k];
      layer.n_atoms = count[k];
      layer.mean_strain_vol = NAN;
      layer.mean_strain_normal = NAN;
      renum[k] = layer.index;
      g_array_append_val (out->layers, layer);
    }
  if (layer_of_atom != NULL)
    for (gsize i = 0; i < n; i++)
      layer_of_atom[i] = renum[which[i]];

  guint nl = out->layers->len;
  if (nl >= 2)
    {
      gdouble mi = (nl - 1) / 2.0, mp = 0;
      for (guint k = 0; k < nl; k++)
        mp += g_array_index (out->layers, AetLayer, k).position / nl;
      gdouble sxy = 0, sxx = 0, sd = 0, sd2 = 0;
      for (guint k = 0; k < nl; k++)
        {
          gdouble p = g_array_index (out->layers, AetLayer, k).position;
          sxy += (k - mi) * (p - mp);
          sxx += (k - mi) * (k - mi);
          if (k > 0)
            {
              gdouble d = p - g_array_index (out->layers, AetLayer, k - 1).position;
              sd += d;
              sd2 += d * d;
            }
        }
      out->spacing = sxy / sxx;
      gdouble md = sd / (nl - 1);
      out->spacing_std = sqrt (MAX (0, sd2 / (nl - 1) - md * md));
    }
  return out;
}

void
aet_layers_add_strain (AetLayers *layers, const gint *layer_of_atom, gsize n,
                       const gfloat *tensor, const gfloat *volumetric)
{
  guint nl = layers->layers->len;
  g_autofree gdouble *sv = g_new0 (gdouble, nl + 1);
  g_autofree gdouble *sn = g_new0 (gdouble, nl + 1);
  g_autofree gsize *cv = g_new0 (gsize, nl + 1);
  g_autofree gsize *cn = g_new0 (gsize, nl + 1);
  for (gsize i = 0; i < n; i++)
    {
      gint l = layer_of_atom[i];
      if (l < 0 || (guint) l >= nl)
        continue;
      if (volumetric != NULL && isfinite (volumetric[i]))
        {
          sv[l] += volumetric[i];
          cv[l]++;
        }
      if (tensor != NULL && isfinite (tensor[6 * i]))
        {
          sn[l] += aet_strain_along (tensor + 6 * i, layers->direction);
          cn[l]++;
        }
    }
  for (guint l = 0; l < nl; l++)
    {
      AetLayer *layer = &g_array_index (layers->layers, AetLayer, l);
      layer->mean_strain_vol = cv[l] ? sv[l] / cv[l] : NAN;
      layer->mean_strain_normal = cn[l] ? sn[l] / cn[l] : NAN;
    }
}
