#define G_LOG_DOMAIN "aet-report-plots"

#include "aet-report-plots.h"

#include <math.h>

#include "aet-error.h"
#include "aet-volume-metrics.h"

static const gdouble before_rgb[3] = { 0.20, 0.40, 0.75 };
static const gdouble after_rgb[3] = { 0.85, 0.37, 0.10 };

static GArray *
strain_percent (const AetAtoms *atoms)
{
  GArray *v = g_array_new (FALSE, FALSE, sizeof (gdouble));
  const gfloat *s = atoms != NULL ? aet_atoms_get_column (atoms, "strain_vol") : NULL;
  for (gsize i = 0; s != NULL && i < atoms->n_atoms; i++)
    if (isfinite (s[i]))
      {
        gdouble pct = 100.0 * s[i];
        g_array_append_val (v, pct);
      }
  return v;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

AetPlot *
aet_report_plot_strain (const AetAtoms *before, const AetAtoms *after)
{
  g_autoptr (GArray) b = strain_percent (before);
  g_autoptr (GArray) a = strain_percent (after);
  if (b->len == 0 && a->len == 0)
    return NULL;
  /* shared bins over the central 98 % of both models, so a few wild
   * surface fits do not squeeze the histogram into one bar */
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_array_append_vals (all, b->data, b->len);
  g_array_append_vals (all, a->data, a->len);
  g_array_sort (all, compare_doubles);
  const gdouble *v = (const gdouble *) all->data;
  gdouble lo = v[(gsize) floor (0.01 * (all->len - 1))];
  gdouble hi = v[(gsize) ceil (0.99 * (all->len - 1))];
  if (!(hi > lo))
    {
      lo = v[0] - 1;
      hi = v[all->len - 1] + 1;
    }
  AetPlot *plot = aet_plot_new (NULL, "volumetric strain (%)", "atoms");
  if (b->len > 0)
    aet_plot_add_histogram (plot, after != NULL ? "before" : NULL, (const gdouble *) b->data,
                            b->len, 30, lo, hi, before_rgb);
  if (a->len > 0)
    aet_plot_add_histogram (plot, "after", (const gdouble *) a->data, a->len, 30, lo, hi,
                            after_rgb);
  return plot;
}

AetPlot *
aet_report_plot_error (const gdouble *error, gsize n)
{
  if (n == 0)
    return NULL;
  g_autofree gdouble *x = g_new (gdouble, n);
  for (gsize i = 0; i < n; i++)
    x[i] = (gdouble) (i + 1);
  AetPlot *plot = aet_plot_new (NULL, "iteration", "Fourier error");
  const gdouble red[3] = { 0.80, 0.25, 0.20 };
  aet_plot_add_line (plot, "error", x, error, n, red);
  return plot;
}

AetPlot *
aet_report_plot_fsc (const AetVolume *truth, const AetVolume *before, const AetVolume *after,
                     GError **error)
{
  const AetVolume *models[2] = { before, after };
  const char *names[2] = { "before", "after" };
  const gdouble *colors[2] = { before_rgb, after_rgb };
  AetPlot *plot = aet_plot_new (NULL, "spatial frequency (1/Å)", "FSC with the truth");
  for (int m = 0; m < 2; m++)
    {
      if (models[m] == NULL)
        continue;
      guint n = 0;
      g_autofree gdouble *freq = NULL;
      g_autofree gdouble *fsc = aet_volume_fsc (truth, models[m], &n, &freq);
      if (fsc == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "FSC: the %s volume is %d×%d×%d, the truth %d×%d×%d", names[m],
                       models[m]->nx, models[m]->ny, models[m]->nz, truth->nx, truth->ny,
                       truth->nz);
          aet_plot_free (plot);
          return NULL;
        }
      /* shell 0 is the mean: leave it out */
      aet_plot_add_line (plot, names[m], freq + 1, fsc + 1, n - 1, colors[m]);
    }
  aet_plot_add_hline (plot, 0.5, "0.5");
  aet_plot_add_hline (plot, 0.143, "0.143");
  aet_plot_set_y_range (plot, -0.1, 1.05);
  return plot;
}
