/* aet-mesh-renderer.h — draws a triangle mesh (an iso-surface, the
 * substrate disk) with two-sided lighting, a uniform colour or per-vertex
 * colours, opaque or translucent.
 *
 * Translucent meshes are drawn back faces first, then front faces, without
 * writing depth, which is right for one closed convex-ish surface and good
 * enough for a particle's envelope.  Needs a current GL context.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

#include "aet-iso-mesh.h"

G_BEGIN_DECLS

typedef struct _AetMeshRenderer AetMeshRenderer;

/* NULL with an error (shader log).  Caller owns; free with the context
 * current. */
AetMeshRenderer *aet_mesh_renderer_new (GError **error);
void aet_mesh_renderer_free (AetMeshRenderer *renderer);

/* Copies the mesh to the GPU (mesh may be NULL: draw nothing).  The
 * per-vertex colours are used when the mesh has them. */
void aet_mesh_renderer_upload (AetMeshRenderer *renderer, const AetIsoMesh *mesh);

guint aet_mesh_renderer_get_n_triangles (AetMeshRenderer *renderer);

/* Draws with `color` (RGB) unless the mesh had vertex colours and
 * use_vertex_colors is set; alpha < 1 draws translucent. */
void aet_mesh_renderer_draw (AetMeshRenderer *renderer, mat4 view, mat4 projection,
                             const gfloat color[3], gboolean use_vertex_colors, gfloat alpha);

G_END_DECLS
