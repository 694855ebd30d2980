/* aet-projector.h — the linear projector A and its exact adjoint Aᵀ.
 *
 * One geometry for SIRT, WBP and alignment reprojection (CLI.md): a volume
 * of nx × ny × nz voxels (x fastest) is projected about the y axis; voxel
 * (i, j, k) sits at offset (i − ⌊nx/2⌋, j − ⌊ny/2⌋, k − ⌊nz/2⌋) from the
 * rotation centre and lands in image i at pixel
 *   u = ⌊nx/2⌋ + (i − ⌊nx/2⌋)·cos θ + (k − ⌊nz/2⌋)·sin θ + dx,   v = j + dy
 * of an nx × ny image, (dx, dy) being the tilt series' shift of that image.
 *
 * Along u each voxel is a box of width max(|cos θ|, |sin θ|) (its footprint
 * along the denser of the two lattice directions: the distance-driven
 * scheme), so a uniform slab projects without moiré and every voxel's weight
 * sums to 1; along v a fractional dy is linear interpolation.  The back
 * projector uses exactly the same weights, so ⟨Ax, y⟩ = ⟨x, Aᵀy⟩.  Both are
 * split over threads so that results do not depend on the thread count.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetProjector AetProjector;

/* A projector for the given geometry; angles in degrees (n_images), shifts
 * 2·n_images pixels or NULL for none (both copied).  Caller owns. */
AetProjector *aet_projector_new (gint nx, gint ny, gint nz, gint n_images,
                                 const gdouble *angles_deg, const gdouble *shifts);
void aet_projector_free (AetProjector *projector);

/* images (nx × ny × n_images) = A · volume (nx × ny × nz); overwrites images. */
void aet_projector_forward (const AetProjector *projector, const gfloat *volume,
                            gfloat *images, guint n_threads);

/* The same for one image only: image (nx × ny) = A_k · volume. */
void aet_projector_forward_one (const AetProjector *projector, gint k, const gfloat *volume,
                                gfloat *image);

/* volume = Aᵀ · images; overwrites volume. */
void aet_projector_back (const AetProjector *projector, const gfloat *images,
                         gfloat *volume, guint n_threads);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetProjector, aet_projector_free)

G_END_DECLS
