/* aet-slice-renderer.h — draws an atomic layer slice in the 3D view.
 *
 * The slice image (aet-slice) becomes a float texture on a quad placed at
 * the plane's position in the volume frame, shown with a grey map (or
 * another colour map, e.g. the diverging one for a difference volume)
 * between a low and a high value; the atoms of the layer are drawn on it as
 * round 2D markers of a fixed pixel size.  Needs a current GL context.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

#include "aet-colormap.h"
#include "aet-slice.h"

G_BEGIN_DECLS

typedef struct _AetSliceRenderer AetSliceRenderer;

/* NULL with an error (shader log).  Caller owns; free with the context
 * current. */
AetSliceRenderer *aet_slice_renderer_new (GError **error);
void aet_slice_renderer_free (AetSliceRenderer *renderer);

/* Uploads the image and its placement (slice may be NULL: draw nothing). */
void aet_slice_renderer_upload (AetSliceRenderer *renderer, const AetSlice *slice);

/* Uploads the marker positions: n points, 3 floats each (Å, on the plane). */
void aet_slice_renderer_upload_markers (AetSliceRenderer *renderer, guint n,
                                        const gfloat *positions);

/* The colour map of the slice (default AET_COLORMAP_GREY, computed in the
 * shader; any other map goes through a 256-entry lookup texture of
 * aet_colormap_map, so the slice and a legend drawn from the same map
 * agree). */
void aet_slice_renderer_set_colormap (AetSliceRenderer *renderer, AetColormap map);

/* Draws the slice (its colour map between vmin and vmax) and then its markers
 * (marker_size pixels wide, colour RGB). */
void aet_slice_renderer_draw (AetSliceRenderer *renderer, mat4 view, mat4 projection,
                              gfloat vmin, gfloat vmax, const gfloat marker_color[3],
                              gfloat marker_size);

G_END_DECLS
