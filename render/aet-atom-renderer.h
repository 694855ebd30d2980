/* aet-atom-renderer.h — atoms as ray-cast sphere impostors.
 *
 * One instanced draw call for all atoms: each atom is a quad whose fragment
 * shader intersects the view ray with the sphere, writing the true depth
 * (so spheres intersect correctly with each other and with meshes) and the
 * lit colour.  Centres, radii and colours come from the caller (the scene
 * computes colours with aet-colormap).  Picking is done on the CPU with the
 * same spheres (aet_atom_pick), no read-back needed.
 *
 * Threads: everything but aet_atom_pick needs the GL context current, i.e.
 * the main thread of the window, or the thread owning an offscreen context.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

G_BEGIN_DECLS

typedef struct _AetAtomRenderer AetAtomRenderer;

/* Builds the program and buffers.  NULL with an error (shader log).
 * Caller owns; free with the same context current. */
AetAtomRenderer *aet_atom_renderer_new (GError **error);
void aet_atom_renderer_free (AetAtomRenderer *renderer);

/* Replaces the atoms: n centres (3 floats, Å), radii (n, Å) and colours
 * (3 floats RGB in [0,1]); the data is copied to the GPU. */
void aet_atom_renderer_upload (AetAtomRenderer *renderer, guint n, const gfloat *centers,
                               const gfloat *radii, const gfloat *colors);

guint aet_atom_renderer_get_n_atoms (AetAtomRenderer *renderer);

/* Draws into the bound framebuffer with depth testing. */
void aet_atom_renderer_draw (AetAtomRenderer *renderer, mat4 view, mat4 projection,
                             gfloat radius_scale);

/* The index of the first sphere hit by the ray (origin, unit direction),
 * or -1.  CPU only; no context needed. */
gssize aet_atom_pick (guint n, const gfloat *centers, const gfloat *radii,
                      gfloat radius_scale, const gdouble origin[3], const gdouble direction[3]);

G_END_DECLS
