/* aet-canvas.h — a 2D drawing recorded once and written as PNG, SVG or PDF.
 *
 * Figures for papers are composed of a few kinds of marks: embedded images
 * (a rendered 3D view, a slice's intensity), circles (traced atoms), lines
 * and rectangles (axes, scale bars, frames) and text (labels, ticks,
 * titles).  A canvas records these marks as a display list in points
 * (1/72 inch, y down, origin at the top-left) and replays them into any
 * output:
 *   - cairo (the window's drawing areas, the PNG rasteriser, PDF pages);
 *   - our own SVG writer, so that a circle stays a <circle>, text stays
 *     <text> (cairo's SVG surface turns both into paths) and an image is an
 *     embedded PNG;
 *   - PNG at a chosen DPI, with the DPI recorded in the file (pHYs).
 * No GL and no widget here: `aet figure`, the export dialog's preview and
 * the inspector's plots draw through the same calls.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetCanvas AetCanvas;

typedef enum
{
  AET_TEXT_START,  /* x is the left end of the text */
  AET_TEXT_MIDDLE, /* x is its centre */
  AET_TEXT_END,    /* x is its right end */
} AetTextAnchor;

typedef enum
{
  AET_TEXT_BASELINE, /* y is the baseline */
  AET_TEXT_CENTRAL,  /* y is the middle of the capital height */
  AET_TEXT_HANGING,  /* y is the top of the capitals */
} AetTextBaseline;

/* An empty canvas of width × height points.  Caller owns. */
AetCanvas *aet_canvas_new (gdouble width, gdouble height);
void aet_canvas_free (AetCanvas *canvas);

gdouble aet_canvas_get_width (const AetCanvas *canvas);
gdouble aet_canvas_get_height (const AetCanvas *canvas);

/* The colour (RGBA in [0, 1], straight alpha) used by the marks that follow
 * for strokes, fills and text.  Default opaque black. */
void aet_canvas_set_color (AetCanvas *canvas, gdouble r, gdouble g, gdouble b, gdouble a);
/* Stroke width in points for the marks that follow (default 1). */
void aet_canvas_set_line_width (AetCanvas *canvas, gdouble width);
/* Dashes (on, off, points) for the strokes that follow; on ≤ 0: solid. */
void aet_canvas_set_dash (AetCanvas *canvas, gdouble on, gdouble off);

/* Groups: marks between begin and end form one SVG <g id="…"> (ids must
 * be XML names), one cairo group is not implied.  Groups nest. */
void aet_canvas_begin_group (AetCanvas *canvas, const char *id);
void aet_canvas_end_group (AetCanvas *canvas);

/* Clips the marks that follow to a rectangle until the matching pop. */
void aet_canvas_push_clip (AetCanvas *canvas, gdouble x, gdouble y, gdouble width,
                           gdouble height);
void aet_canvas_pop_clip (AetCanvas *canvas);

/* A filled background over the whole canvas in the current colour. */
void aet_canvas_fill_background (AetCanvas *canvas);

void aet_canvas_line (AetCanvas *canvas, gdouble x0, gdouble y0, gdouble x1, gdouble y1);
/* An open polyline through n points (xy holds 2·n values, copied);
 * non-finite points break it into pieces. */
void aet_canvas_polyline (AetCanvas *canvas, const gdouble *xy, gsize n);
void aet_canvas_rect (AetCanvas *canvas, gdouble x, gdouble y, gdouble width, gdouble height,
                      gboolean fill);
/* A circle filled with `fill` and outlined with `stroke` (RGBA, straight
 * alpha; either may be NULL for none) at the current line width. */
void aet_canvas_circle (AetCanvas *canvas, gdouble cx, gdouble cy, gdouble r,
                        const gdouble fill[4], const gdouble stroke[4]);
/* Text (UTF-8) in the sans-serif font at `size` points, in the current
 * colour, rotated by `angle_deg` counter-clockwise about (x, y) (90 for a
 * y-axis label).  It stays text in SVG and PDF. */
void aet_canvas_text (AetCanvas *canvas, gdouble x, gdouble y, const char *text, gdouble size,
                      gboolean bold, AetTextAnchor anchor, AetTextBaseline baseline,
                      gdouble angle_deg);
/* An image (width × height RGBA bytes, straight alpha, row 0 at the top;
 * copied) drawn into the rectangle (x, y, w, h); `smooth` FALSE keeps
 * pixels sharp when scaled up (a slice), TRUE filters (a render). */
void aet_canvas_image (AetCanvas *canvas, const guint8 *rgba, gint width, gint height,
                       gdouble x, gdouble y, gdouble w, gdouble h, gboolean smooth);

/* The advance width and the height above the baseline (capital height) of
 * text at `size` points, as the outputs will draw it. */
void aet_canvas_text_extents (const char *text, gdouble size, gboolean bold, gdouble *width,
                              gdouble *ascent);

/* Replays the marks into cr (its current transformation maps points to
 * the device; the caller scales for pixels). */
void aet_canvas_draw (const AetCanvas *canvas, cairo_t *cr);

/* The whole canvas as width·height·4 RGBA bytes (straight alpha, row 0 at
 * the top) at `dpi` (72: one pixel per point): pixels = ceil(points·dpi/72)
 * unless width_px/height_px > 0 fix them.  Transparent where nothing was
 * drawn.  Caller owns (g_free).  NULL with an error past 32767 pixels a side. */
guint8 *aet_canvas_rasterize (const AetCanvas *canvas, gdouble dpi, gint width_px,
                              gint height_px, gint *out_width, gint *out_height, GError **error);

/* Writes the canvas by the extension of path: .svg (our writer: <circle>,
 * <text>, <image> with an embedded PNG), .pdf (one page of the canvas size
 * in points, through cairo) or .png (rasterized at dpi, the DPI recorded).
 * For PNG, width_px/height_px > 0 fix the pixel size (the page is scaled to
 * it; one of them alone keeps the page's proportions; with dpi ≤ 0 the DPI
 * recorded is the one the pixel size amounts to).  Atomic (temporary file
 * + rename).  FALSE with AET_ERROR_IO naming the file, or
 * AET_ERROR_INVALID for an unknown extension or a size out of range. */
gboolean aet_canvas_save (const AetCanvas *canvas, const char *path, gdouble dpi, gint width_px,
                          gint height_px, GError **error);

/* Writes RGBA pixels (straight alpha, row 0 at the top) as an 8-bit RGBA
 * PNG with the DPI in its pHYs chunk (dpi ≤ 0: none) through libpng,
 * row by row (no 32767-pixel limit).  Atomic.  FALSE with AET_ERROR_IO,
 * or AET_ERROR_INVALID for a size ≤ 0 or too large to address. */
gboolean aet_png_write (const char *path, const guint8 *rgba, gint width, gint height,
                        gdouble dpi, GError **error);

/* Reads a PNG's size and its DPI from pHYs (0 when absent) — for tests
 * and `aet info`.  FALSE with AET_ERROR_FORMAT for a file that is not PNG. */
gboolean aet_png_read_info (const char *path, gint *width, gint *height, gdouble *dpi,
                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetCanvas, aet_canvas_free)

G_END_DECLS
