/* aet-plot.h — small scientific plots: line series (reconstruction error
 * per iteration, FSC curves) and histograms (strain).
 *
 * A plot draws itself into an AetCanvas, so the same drawing serves the
 * window (a GtkDrawingArea calls aet_plot_draw, which replays the canvas
 * into cairo), a panel of a composed figure (aet_plot_draw_canvas) and
 * export (aet_plot_save to SVG, PDF or PNG: text stays text in the vector
 * formats, the PNG records its DPI), so a plot looks the same on screen
 * and in a paper.  No widget here.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "aet-canvas.h"

G_BEGIN_DECLS

typedef struct _AetPlot AetPlot;

/* Caller owns. Labels may be NULL. */
AetPlot *aet_plot_new (const char *title, const char *x_label, const char *y_label);
void aet_plot_free (AetPlot *plot);

/* Adds a line series (copied). rgb in [0, 1]. */
void aet_plot_add_line (AetPlot *plot, const char *label, const gdouble *x, const gdouble *y,
                        gsize n, const gdouble rgb[3]);
/* Adds a histogram of `values` in n_bins over the values' range, or over
 * [lo, hi] when lo < hi; several histograms share the first one's bins. */
void aet_plot_add_histogram (AetPlot *plot, const char *label, const gdouble *values, gsize n,
                             guint n_bins, gdouble lo, gdouble hi, const gdouble rgb[3]);
/* A horizontal reference line (e.g. FSC = 0.143). */
void aet_plot_add_hline (AetPlot *plot, gdouble y, const char *label);
void aet_plot_set_log_y (AetPlot *plot, gboolean log_y);
void aet_plot_set_y_range (AetPlot *plot, gdouble lo, gdouble hi);

/* Draws into the rectangle (x, y, width, height) of canvas (points), text
 * at font_size points.  Nothing when the rectangle is too small to hold a
 * frame. */
void aet_plot_draw_canvas (const AetPlot *plot, AetCanvas *canvas, gdouble x, gdouble y,
                           gdouble width, gdouble height, gdouble font_size);
/* Draws into the rectangle (0, 0, width, height) of cr (through a canvas
 * replayed into it); font_size in the surface's units (points for vector
 * output). */
void aet_plot_draw (const AetPlot *plot, cairo_t *cr, gdouble width, gdouble height,
                    gdouble font_size);
/* Saves as .svg, .pdf or .png (by extension); width and height in points
 * (1/72 in); PNG at `dpi`. Atomic. */
gboolean aet_plot_save (const AetPlot *plot, const char *path, gdouble width_pt,
                        gdouble height_pt, gdouble dpi, GError **error);

/* "Nice" tick positions covering [lo, hi]: about `target` ticks at 1, 2 or 5
 * × 10^k. Returns the count written to ticks (at most max). */
guint aet_nice_ticks (gdouble lo, gdouble hi, guint target, gdouble *ticks, guint max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetPlot, aet_plot_free)

G_END_DECLS
