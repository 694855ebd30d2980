/* aet-slice-renderer.h — draws an atomic layer slice in the 3D view.
 *
 * The slice image (aet-slice) becomes a float texture on a quad placed at
 * the plane's position in the volume frame, shown with a grey map between a
 * low and a high value; the atoms of the layer are drawn on it as round 2D
 * markers of a fixed pixel size.  Needs a current GL context.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

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

/* Draws the slice (grey between vmin and vmax) and then its markers
 * (marker_size pixels wide, colour RGB). */
void aet_slice_renderer_draw (AetSliceRenderer *renderer, mat4 view, mat4 projection,
                              gfloat vmin, gfloat vmax, const gfloat marker_color[3],
                              gfloat marker_size);

G_END_DECLS
