/* aet-figure.h — figures for papers: one view, or several panels side by
 * side, with scale bars, panel labels, colour bars and a title, written as
 * PNG (any size, DPI recorded), SVG or PDF.
 *
 * The window's export and `aet figure` build the same AetFigure from the
 * same view settings (aet-view.h) and camera, so they give the same
 * pixels.  A figure is made in three steps, so a window never waits:
 *   1. aet_figure_new: lays the figure out and sets up one scene per panel
 *      (plain data, any thread);
 *   2. aet_figure_prepare: the CPU work — iso-surfaces, layer slices (any
 *      thread, cancellable through the job);
 *   3. aet_figure_render with a GL context current (the thread that owns
 *      it), or aet_figure_render_offscreen, which makes its own surfaceless
 *      EGL context on the calling thread, so a worker thread can do it;
 * then aet_figure_save writes the file (any thread).
 *
 * 3D views (iso, atoms, facets) are rendered offscreen, tiled and
 * multisampled, at exactly the panel's pixel size and embedded as images;
 * every panel shares the camera, so before/after panels share one scale.
 * The layers view is drawn in 2D: the layer's intensity as an embedded
 * image and each traced atom of the layer as a vector circle, so SVG and
 * PDF keep them as marks.  Scale bars are only drawn where the scale is
 * exact: layer slices and orthographic 3D views.
 */
#pragma once

#include <glib.h>

#include "aet-atoms.h"
#include "aet-camera.h"
#include "aet-canvas.h"
#include "aet-facets.h"
#include "aet-job.h"
#include "aet-view.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef struct
{
  AetVolume *volume;      /* borrowed for the call; may be NULL */
  AetAtoms *atoms;        /* borrowed for the call; may be NULL */
  const char *caption;    /* above the panel, e.g. "Before augmentation"; may be NULL */
  const AetFacet *facets; /* facet table for the legend (facets view); may be NULL */
  guint n_facets;
} AetFigurePanel;

typedef struct
{
  gint width, height;     /* the whole figure in pixels at `dpi` */
  gdouble dpi;            /* recorded in PNGs; sets the point size of vector pages */
  gboolean transparent;   /* no background */
  gboolean scale_bar;     /* where the scale is exact */
  gboolean panel_labels;  /* a, b, … when there is more than one panel */
  gboolean color_bar;     /* for continuous atom colourings */
  gboolean legend;        /* facet legend in the facets view */
  char title[256];        /* empty: none */
  gint samples;           /* multisampling of 3D panels */
  gboolean orthographic;  /* show 3D panels in an orthographic projection
                           * (exact scale bars) whatever the camera's */
} AetFigureOptions;

/* 2400 × 1800 pixels at 300 DPI (8 × 6 in), white, scale bar, labels,
 * colour bar and legend on, no title, 4 samples, orthographic. */
void aet_figure_options_init (AetFigureOptions *options);

/* Sets width/height from a physical size (mm) at options->dpi. */
void aet_figure_options_set_size_mm (AetFigureOptions *options, gdouble width_mm,
                                     gdouble height_mm);

typedef struct _AetFigure AetFigure;

/* A figure of n_panels (1–4) panels in a row, seen through `camera`
 * (copied; ignored by the layers view, which looks at the layer face-on).
 * Takes references to the panels' data.  NULL with AET_ERROR_INVALID for
 * absurd sizes (each side 16–65536 pixels, DPI 10–10000), no panels, or a
 * panel with nothing to show in this view.  Caller owns. */
AetFigure *aet_figure_new (const AetViewSetup *setup, const AetCamera *camera,
                           const AetFigurePanel *panels, guint n_panels,
                           const AetFigureOptions *options, GError **error);
void aet_figure_free (AetFigure *figure);

/* Replaces the camera (turntable frames); the meshes stay. */
void aet_figure_set_camera (AetFigure *figure, const AetCamera *camera);

/* The CPU work: iso-surfaces of the 3D panels, the layer slices.  Any
 * thread; FALSE with AET_ERROR_CANCELLED when the job is cancelled. */
gboolean aet_figure_prepare (AetFigure *figure, guint n_threads, AetJob *job, GError **error);

/* Renders the 3D panels with the current GL context (made current by the
 * caller on this thread); nothing to do for the layers view. */
gboolean aet_figure_render (AetFigure *figure, GError **error);

/* aet_figure_render in a surfaceless EGL context of its own, created and
 * destroyed on the calling thread (a worker thread may call it). */
gboolean aet_figure_render_offscreen (AetFigure *figure, GError **error);

/* Writes .png (width × height pixels, the DPI recorded), .svg or .pdf
 * (a page of width·72/dpi × height·72/dpi points).  Atomic. */
gboolean aet_figure_save (AetFigure *figure, const char *path, GError **error);

/* The figure as RGBA pixels at its size (preview, tests).  Caller owns. */
guint8 *aet_figure_rasterize (AetFigure *figure, gint *width, gint *height, GError **error);

/* The scale bar of panel `index` after composing: its length (Å), its
 * length in pixels of the figure and its label ("2 nm").  FALSE when that
 * panel has none. */
gboolean aet_figure_get_scale_bar (AetFigure *figure, guint index, gdouble *length_angstrom,
                                   gdouble *length_pixels, const char **label);

/* A "nice" scale-bar length (1, 2 or 5 × 10^k Å) no longer than
 * max_angstrom, and its label in Å below 1 nm, else in nm. */
gdouble aet_figure_nice_length (gdouble max_angstrom, char *label, gsize label_size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetFigure, aet_figure_free)

G_END_DECLS
