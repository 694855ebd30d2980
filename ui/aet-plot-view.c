#define G_LOG_DOMAIN "aet-plot-view"

#include "aet-plot-view.h"

struct _AetPlotView
{
  GtkWidget parent_instance;
  AetPlot *plot;
};

G_DEFINE_FINAL_TYPE (AetPlotView, aet_plot_view, GTK_TYPE_WIDGET)

static void
aet_plot_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AetPlotView *self = AET_PLOT_VIEW (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  if (self->plot == NULL || w <= 0 || h <= 0)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  aet_plot_draw (self->plot, cr, w, h, 11.0);
  cairo_destroy (cr);
}

static void
aet_plot_view_finalize (GObject *object)
{
  g_clear_pointer (&AET_PLOT_VIEW (object)->plot, aet_plot_free);
  G_OBJECT_CLASS (aet_plot_view_parent_class)->finalize (object);
}

static void
aet_plot_view_class_init (AetPlotViewClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = aet_plot_view_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = aet_plot_view_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "aetplot");
}

static void
aet_plot_view_init (AetPlotView *self)
{
  gtk_widget_set_size_request (GTK_WIDGET (self), 240, 170);
}

GtkWidget *
aet_plot_view_new (void)
{
  return g_object_new (AET_TYPE_PLOT_VIEW, NULL);
}

void
aet_plot_view_set_plot (AetPlotView *self, AetPlot *plot)
{
  g_return_if_fail (AET_IS_PLOT_VIEW (self));
  g_clear_pointer (&self->plot, aet_plot_free);
  self->plot = plot;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const AetPlot *
aet_plot_view_get_plot (AetPlotView *self)
{
  return self->plot;
}
