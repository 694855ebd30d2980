/* aet-compare-view.h — two views of one particle compared (before | after
 * augmentation, or the reconstruction and the truth), in three layouts:
 *
 *  - side by side: two 3D viewers whose cameras move together;
 *  - split: ONE view, "before" left of a vertical divider and "after"
 *    right of it, through the same camera; the divider is dragged with the
 *    mouse or moved with [ and ];
 *  - difference: one view of what differs — for volumes the difference
 *    after − before (each scaled to its 99.9th percentile) as layers in a
 *    diverging colour map or as the iso-surface of its magnitude, for atom
 *    models the "before" atoms coloured by the distance to their matched
 *    "after" atom — with a caption saying what is shown.
 *
 * The iso level, view mode, colouring and layer are shared by all views.
 * Each pane carries a label and a colour-bar legend.
 *
 * Why the split view draws both scenes into one GL area.  The other way, a
 * second viewer stacked over the first in a GtkOverlay and clipped at the
 * divider, shades every pixel of the clipped part twice (both GL areas
 * render their whole frame) and hands GSK two full-size textures to
 * composite; with Mesa's software rasteriser (llvmpipe) fill and
 * compositing are what a frame costs.  Drawn into one framebuffer with a
 * scissor rectangle per side (aet_viewer_set_split), each pixel is shaded
 * once, llvmpipe bins each scene only into the tiles of its own rectangle,
 * one texture reaches GSK, and the two halves use the very same camera and
 * projection, so they line up to the pixel.  Moving the divider costs one
 * ordinary frame.  The price is that both scenes' GL objects must live in
 * one context: the compare view makes its viewers share one GdkGLContext
 * (GtkGLArea::create-context), so the viewer on the left can draw the
 * right viewer's scene while that viewer is hidden but keeps its data,
 * meshes and slices up to date.
 *
 * Threads: main thread only, except the difference (volume difference,
 * robust ranges and atom matching), computed on a worker thread from
 * snapshots and handed back with g_idle_add_full; a result for older
 * inputs is dropped by a generation check. */
#pragma once

#include <gtk/gtk.h>

#include "aet-viewer.h"

G_BEGIN_DECLS

typedef enum
{
  AET_COMPARE_SIDE_BY_SIDE,
  AET_COMPARE_SPLIT,
  AET_COMPARE_DIFFERENCE,
  AET_N_COMPARE_LAYOUTS
} AetCompareLayout;

/* "side", "split", "difference" and back; -1 for an unknown name. */
const char *aet_compare_layout_to_string (AetCompareLayout layout);
gint aet_compare_layout_from_string (const char *name);

/* The pane of the difference, for aet_compare_view_get_viewer. */
#define AET_COMPARE_PANE_DIFFERENCE 2

#define AET_TYPE_COMPARE_VIEW (aet_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (AetCompareView, aet_compare_view, AET, COMPARE_VIEW, GtkWidget)

GtkWidget *aet_compare_view_new (void);

/* Pane 0 (before: left, always shown unless the difference is), 1 (after:
 * right when side by side, right of the divider when split) or
 * AET_COMPARE_PANE_DIFFERENCE.  Borrowed. */
AetViewer *aet_compare_view_get_viewer (AetCompareView *self, guint pane);

/* Whether the two are compared ("comparing" property); off shows pane 0
 * alone. */
void aet_compare_view_set_comparing (AetCompareView *self, gboolean comparing);
gboolean aet_compare_view_get_comparing (AetCompareView *self);

/* How they are compared ("layout" property); default side by side. */
void aet_compare_view_set_layout (AetCompareView *self, AetCompareLayout layout);
AetCompareLayout aet_compare_view_get_layout (AetCompareView *self);

/* The split view's divider as a fraction of the width from the left,
 * clamped to [0, 1]; default 0.5.  Kept while in other layouts. */
void aet_compare_view_set_divider (AetCompareView *self, gdouble position);
gdouble aet_compare_view_get_divider (AetCompareView *self);

/* The label shown on pane 0 or 1 ("Before", "After", …); the difference
 * pane is labelled "<1> − <0>". */
void aet_compare_view_set_label (AetCompareView *self, guint pane, const char *label);

/* What the difference pane says it shows (borrowed), for tests. */
const char *aet_compare_view_get_caption (AetCompareView *self);

/* TRUE while the difference is being computed. */
gboolean aet_compare_view_is_busy (AetCompareView *self);

/* Applied to every viewer (the difference pane keeps its own colouring, by
 * displacement, and shows atoms where the others show facets). */
void aet_compare_view_set_view_mode (AetCompareView *self, AetViewMode mode);
void aet_compare_view_set_iso_level (AetCompareView *self, gdouble fraction);
void aet_compare_view_set_color_column (AetCompareView *self, const char *column);
void aet_compare_view_step_layer (AetCompareView *self, gint steps);
void aet_compare_view_set_lattice (AetCompareView *self, const gdouble rotation[9], gdouble a);
/* The substrate disk in every pane (aet_viewer_set_substrate). */
void aet_compare_view_set_substrate (AetCompareView *self, gboolean show, const gdouble point[3],
                                     const gdouble normal[3], gdouble radius);

G_END_DECLS
