#define G_LOG_DOMAIN "aet-inspector"

#include "aet-inspector.h"

#include "aet-report-plots.h"

#include <math.h>

#include "aet-colormap.h"
#include "aet-plot-view.h"

struct _AetInspector
{
  GtkWidget parent_instance;
  GtkWidget *box;
  GtkWidget *summary;     /* GtkGrid of key / value rows */
  GtkWidget *facet_grid;  /* the facet table */
  GtkWidget *strain_grid;
  GtkWidget *error_plot;
  GtkWidget *strain_plot;
  GtkWidget *fsc_plot;
  GHashTable *values;     /* key → GtkLabel (borrowed from the grid) */
  gint summary_rows;
  gsize n_recon_error;    /* points in the error plot */
};

G_DEFINE_FINAL_TYPE (AetInspector, aet_inspector, GTK_TYPE_WIDGET)

static GtkWidget *
heading (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  gtk_widget_set_margin_top (l, 10);
  return l;
}

static GtkWidget *
cell (const char *text, gboolean value)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), value ? 1.0f : 0.0f);
  gtk_widget_set_hexpand (l, !value);
  if (value)
    gtk_widget_add_css_class (l, "value");
  else
    gtk_widget_add_css_class (l, "dim-label");
  return l;
}

static void
clear_grid (GtkWidget *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (grid)) != NULL)
    gtk_grid_remove (GTK_GRID (grid), child);
}

static void
add_row (AetInspector *self, const char *key, const char *name, const char *value)
{
  GtkWidget *v = cell (value, TRUE);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_grid_attach (GTK_GRID (self->summary), cell (name, FALSE), 0, self->summary_rows, 1, 1);
  gtk_grid_attach (GTK_GRID (self->summary), v, 1, self->summary_rows, 1, 1);
  self->summary_rows++;
  if (key != NULL)
    g_hash_table_insert (self->values, g_strdup (key), v);
}

static void
aet_inspector_dispose (GObject *object)
{
  AetInspector *self = AET_INSPECTOR (object);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->values, g_hash_table_unref);
  G_OBJECT_CLASS (aet_inspector_parent_class)->dispose (object);
}

static void
aet_inspector_class_init (AetInspectorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = aet_inspector_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "aetinspector");
}

static GtkWidget *
new_grid (void)
{
  GtkWidget *g = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (g), 10);
  gtk_grid_set_row_spacing (GTK_GRID (g), 3);
  return g;
}

static void
aet_inspector_init (AetInspector *self)
{
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_start (self->box, 12);
  gtk_widget_set_margin_end (self->box, 12);
  gtk_widget_set_margin_bottom (self->box, 12);
  gtk_widget_add_css_class (self->box, "aet-inspector");
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->summary = new_grid ();
  self->facet_grid = new_grid ();
  self->strain_grid = new_grid ();
  self->error_plot = aet_plot_view_new ();
  gtk_widget_set_size_request (self->error_plot, -1, 170);
  self->strain_plot = aet_plot_view_new ();
  gtk_widget_set_size_request (self->strain_plot, -1, 170);
  self->fsc_plot = aet_plot_view_new ();
  gtk_widget_set_size_request (self->fsc_plot, -1, 170);
  gtk_widget_set_visible (self->fsc_plot, FALSE);

  gtk_box_append (GTK_BOX (self->box), heading ("Model"));
  gtk_box_append (GTK_BOX (self->box), self->summary);
  gtk_box_append (GTK_BOX (self->box), heading ("Facets"));
  gtk_box_append (GTK_BOX (self->box), self->facet_grid);
  gtk_box_append (GTK_BOX (self->box), heading ("Strain"));
  gtk_box_append (GTK_BOX (self->box), self->strain_grid);
  gtk_box_append (GTK_BOX (self->box), self->strain_plot);
  gtk_box_append (GTK_BOX (self->box), heading ("Reconstruction"));
  gtk_box_append (GTK_BOX (self->box), self->error_plot);
  gtk_box_append (GTK_BOX (self->box), self->fsc_plot);
  aet_inspector_clear (self);
}

GtkWidget *
aet_inspector_new (void)
{
  return g_object_new (AET_TYPE_INSPECTOR, NULL);
}

void
aet_inspector_clear (AetInspector *self)
{
  g_return_if_fail (AET_IS_INSPECTOR (self));
  aet_inspector_set_analysis (self, NULL, NULL, NULL, NULL, NULL);
  aet_inspector_set_recon_error (self, NULL, 0);
  if (self->fsc_plot != NULL)
    aet_inspector_set_fsc (self, NULL);
}

static void
fmt (char *buf, gsize size, const char *format, gdouble v)
{
  if (isfinite (v))
    g_snprintf (buf, size, format, v);
  else
    g_strlcpy (buf, "—", size);
}

/* The tooltip of an RMSD row: how it is computed, and how much of it one
 * turn of the whole model explains (aet-match.h). */
static void
rmsd_tooltip (AetInspector *self, const char *key, const AetMatchStats *m)
{
  GtkWidget *v = g_hash_table_lookup (self->values, key);
  if (v == NULL || !isfinite (m->rmsd_rigid_pm))
    return;
  g_autofree char *text = g_strdup_printf (
    "Matched atoms within 0.9 Å, mean offset removed (the published practice).\n"
    "After the best rigid superposition: %.1f pm, the model turned by %.2f° "
    "about (%.2f, %.2f, %.2f).",
    m->rmsd_rigid_pm, m->rotation_deg, m->rotation_axis[0], m->rotation_axis[1],
    m->rotation_axis[2]);
  gtk_widget_set_tooltip_text (v, text);
}

void
aet_inspector_set_analysis (AetInspector *self, const AetAtoms *atoms,
                            const AetAnalysis *analysis, const AetMatchStats *match,
                            const AetAtoms *after, const AetMatchStats *match_after)
{
  g_return_if_fail (AET_IS_INSPECTOR (self));
  char buf[64];
  clear_grid (self->summary);
  clear_grid (self->facet_grid);
  clear_grid (self->strain_grid);
  g_hash_table_remove_all (self->values);
  self->summary_rows = 0;

  if (atoms == NULL)
    add_row (self, "atoms", "Atoms", "no model yet");
  else
    {
      g_snprintf (buf, sizeof buf, "%zu", atoms->n_atoms);
      add_row (self, "atoms", "Atoms", buf);
    }
  if (match != NULL)
    {
      fmt (buf, sizeof buf, "%.1f pm", match->rmsd_pm);
      add_row (self, "rmsd", "RMSD to truth", buf);
      rmsd_tooltip (self, "rmsd", match);
      fmt (buf, sizeof buf, "%.1f %%", 100 * match->recall);
      add_row (self, "recall", "Recall", buf);
      fmt (buf, sizeof buf, "%.1f %%", 100 * match->precision);
      add_row (self, "precision", "Precision", buf);
    }
  /* the model after augmentation is shown refined against the projections
   * when that stage ran (it carries the column "refine_move_pm") */
  gboolean refined = after != NULL && aet_atoms_get_column (after, "refine_move_pm") != NULL;
  if (after != NULL)
    {
      g_snprintf (buf, sizeof buf, "%zu", after->n_atoms);
      add_row (self, "atoms_after", "Atoms after augmentation", buf);
    }
  if (after != NULL && match_after != NULL)
    {
      fmt (buf, sizeof buf, "%.1f pm", match_after->rmsd_pm);
      add_row (self, "rmsd_after", refined ? "RMSD after, refined" : "RMSD after", buf);
      rmsd_tooltip (self, "rmsd_after", match_after);
      fmt (buf, sizeof buf, "%.1f %%", 100 * match_after->recall);
      add_row (self, "recall_after", refined ? "Recall after, refined" : "Recall after", buf);
      fmt (buf, sizeof buf, "%.1f %%", 100 * match_after->precision);
      add_row (self, "precision_after", refined ? "Precision after, refined" : "Precision after",
               buf);
    }
  if (analysis != NULL)
    {
      g_snprintf (buf, sizeof buf, "%zu", analysis->n_surface);
      add_row (self, "surface", "Surface atoms", buf);
      fmt (buf, sizeof buf, "%.2f", analysis->mean_coordination);
      add_row (self, "coordination", "Mean coordination", buf);
      fmt (buf, sizeof buf, "%.4f Å", analysis->lattice.a);
      add_row (self, "lattice", "Lattice constant", buf);
      fmt (buf, sizeof buf, "%.2f %%", 100 * analysis->lattice_strain);
      add_row (self, "lattice_strain", "Lattice strain", buf);
      g_snprintf (buf, sizeof buf, "%u", analysis->facets != NULL ? analysis->facets->len : 0);
      add_row (self, "facets", "Facets", buf);

      static const char *const head[] = { "", "(hkl)", "area Å²", "atoms", "strain %" };
      for (int c = 0; c < 5; c++)
        gtk_grid_attach (GTK_GRID (self->facet_grid), cell (head[c], c != 1), c, 0, 1, 1);
      guint n = analysis->facets != NULL ? MIN (analysis->facets->len, 12u) : 0;
      for (guint i = 0; i < n; i++)
        {
          const AetFacet *f = &g_array_index (analysis->facets, AetFacet, i);
          gfloat rgb[3];
          aet_colormap_category (f->id, rgb);
          GtkWidget *sw = gtk_drawing_area_new ();
          gtk_widget_add_css_class (sw, "aet-facet-swatch");
          gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
          g_autofree char *css = g_strdup_printf ("* { background-color: rgb(%d,%d,%d); }",
                                                  (int) (255 * rgb[0]), (int) (255 * rgb[1]),
                                                  (int) (255 * rgb[2]));
          g_autoptr (GtkCssProvider) prov = gtk_css_provider_new ();
          gtk_css_provider_load_from_data (prov, css, -1);
          gtk_style_context_add_provider (gtk_widget_get_style_context (sw),
                                          GTK_STYLE_PROVIDER (prov),
                                          GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
          gtk_grid_attach (GTK_GRID (self->facet_grid), sw, 0, i + 1, 1, 1);
          g_snprintf (buf, sizeof buf, "(%d %d %d)", f->miller[0], f->miller[1], f->miller[2]);
          /* negative indices with a real minus sign, as in the figures */
          g_auto (GStrv) parts = g_strsplit (buf, "-", -1);
          g_autofree char *miller = g_strjoinv ("−", parts);
          gtk_grid_attach (GTK_GRID (self->facet_grid), cell (miller, FALSE), 1, i + 1, 1, 1);
          fmt (buf, sizeof buf, "%.0f", f->area);
          gtk_grid_attach (GTK_GRID (self->facet_grid), cell (buf, TRUE), 2, i + 1, 1, 1);
          g_snprintf (buf, sizeof buf, "%zu", f->n_atoms);
          gtk_grid_attach (GTK_GRID (self->facet_grid), cell (buf, TRUE), 3, i + 1, 1, 1);
          fmt (buf, sizeof buf, "%+.2f", 100 * f->mean_strain_vol);
          gtk_grid_attach (GTK_GRID (self->facet_grid), cell (buf, TRUE), 4, i + 1, 1, 1);
        }

      static const char *const part[3] = { "all", "surface", "interior" };
      gtk_grid_attach (GTK_GRID (self->strain_grid), cell ("vol. strain %", FALSE), 0, 0, 1, 1);
      gtk_grid_attach (GTK_GRID (self->strain_grid), cell ("mean", TRUE), 1, 0, 1, 1);
      gtk_grid_attach (GTK_GRID (self->strain_grid), cell ("σ", TRUE), 2, 0, 1, 1);
      for (int r = 0; r < 3; r++)
        {
          gtk_grid_attach (GTK_GRID (self->strain_grid), cell (part[r], FALSE), 0, r + 1, 1, 1);
          fmt (buf, sizeof buf, "%+.2f", 100 * analysis->strain_vol[r].mean);
          gtk_grid_attach (GTK_GRID (self->strain_grid), cell (buf, TRUE), 1, r + 1, 1, 1);
          fmt (buf, sizeof buf, "%.2f", 100 * analysis->strain_vol[r].std);
          gtk_grid_attach (GTK_GRID (self->strain_grid), cell (buf, TRUE), 2, r + 1, 1, 1);
        }
    }
  else
    gtk_grid_attach (GTK_GRID (self->facet_grid), cell ("not analysed yet", FALSE), 0, 0, 1, 1);

  AetPlot *plot = analysis != NULL ? aet_report_plot_strain (atoms, after) : NULL;
  aet_plot_view_set_plot (AET_PLOT_VIEW (self->strain_plot), plot);
  gtk_widget_set_visible (self->strain_plot, plot != NULL);
}

void
aet_inspector_set_recon_error (AetInspector *self, const gdouble *error, gsize n)
{
  g_return_if_fail (AET_IS_INSPECTOR (self));
  self->n_recon_error = error != NULL ? n : 0;
  if (n == 0 || error == NULL)
    {
      aet_plot_view_set_plot (AET_PLOT_VIEW (self->error_plot), NULL);
      gtk_widget_set_visible (self->error_plot, FALSE);
      return;
    }
  AetPlot *plot = aet_report_plot_error (error, n);
  aet_plot_view_set_plot (AET_PLOT_VIEW (self->error_plot), plot);
  gtk_widget_set_visible (self->error_plot, TRUE);
}

gsize
aet_inspector_get_recon_error_length (AetInspector *self)
{
  g_return_val_if_fail (AET_IS_INSPECTOR (self), 0);
  return self->n_recon_error;
}

void
aet_inspector_set_fsc (AetInspector *self, AetPlot *plot)
{
  g_return_if_fail (AET_IS_INSPECTOR (self));
  aet_plot_view_set_plot (AET_PLOT_VIEW (self->fsc_plot), plot);
  gtk_widget_set_visible (self->fsc_plot, plot != NULL);
}

gboolean
aet_inspector_has_fsc (AetInspector *self)
{
  g_return_val_if_fail (AET_IS_INSPECTOR (self), FALSE);
  return gtk_widget_get_visible (self->fsc_plot);
}

const char *
aet_inspector_get_value (AetInspector *self, const char *key)
{
  g_return_val_if_fail (AET_IS_INSPECTOR (self), NULL);
  GtkWidget *l = g_hash_table_lookup (self->values, key);
  return l != NULL ? gtk_label_get_text (GTK_LABEL (l)) : NULL;
}
