/* aet-plot-view.h — a widget that shows an AetPlot (render/aet-plot.h), so
 * the inspector's plots are drawn by the same code as exported ones. */
#pragma once

#include <gtk/gtk.h>

#include "aet-plot.h"

G_BEGIN_DECLS

#define AET_TYPE_PLOT_VIEW (aet_plot_view_get_type ())
G_DECLARE_FINAL_TYPE (AetPlotView, aet_plot_view, AET, PLOT_VIEW, GtkWidget)

GtkWidget *aet_plot_view_new (void);
/* Takes ownership of plot (NULL clears). */
void aet_plot_view_set_plot (AetPlotView *self, AetPlot *plot);
/* Borrowed, may be NULL. */
const AetPlot *aet_plot_view_get_plot (AetPlotView *self);

G_END_DECLS
