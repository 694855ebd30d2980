/* aet-slice.h — an atomic layer: the volume sampled on a plane (CPU only).
 *
 * A plane through the volume with a unit normal (a lattice direction [hkl]
 * expressed in the volume frame) at an offset from the volume centre is
 * sampled with trilinear interpolation into a 2D float image.  The image
 * keeps its mapping to 3D (the position of pixel (0,0) and the in-plane
 * axes u, v in Å), so the 3D view can place it and a vector export (cairo)
 * can draw it with the layer's atoms.  No GL here.
 */
#pragma once

#include <glib.h>

#include "aet-volume.h"
#include "aet-atoms.h"

G_BEGIN_DECLS

typedef struct
{
  gint width, height;     /* pixels */
  gfloat *data;           /* width·height, row 0 first; NaN outside the volume */
  gdouble pixel_size;     /* Å */
  gdouble origin[3];      /* Å, centre of pixel (0,0) */
  gdouble u[3], v[3];     /* unit in-plane axes: pixel (a,b) at origin + p·(a·u + b·v) */
  gdouble normal[3];      /* unit, u × v */
  gdouble min, max;       /* range of the finite samples (0, 0 when none) */
} AetSlice;

/* Samples `volume` on the plane with unit normal `normal` (volume frame)
 * through centre + offset·normal, where centre is the middle of the volume,
 * over the plane's intersection with the volume box, at pixel_size Å
 * (≤ 0: the voxel size).  NULL with AET_ERROR_INVALID for a zero normal or
 * an image that would exceed 8192 pixels on a side.  Caller owns. */
AetSlice *aet_slice_sample (const AetVolume *volume, const gdouble normal[3], gdouble offset,
                            gdouble pixel_size, GError **error);

void aet_slice_free (AetSlice *slice);

/* Signed distance (Å) of point p from the slice plane along its normal. */
gdouble aet_slice_distance (const AetSlice *slice, const gdouble p[3]);

/* The atoms within half_thickness Å of the plane: their in-plane
 * coordinates (u, v) in pixels of the slice image, 2 per atom, and their
 * indices in `atoms` (optional out, caller owns).  Caller owns the array
 * of gdouble pairs. */
GArray *aet_slice_layer_atoms (const AetSlice *slice, const AetAtoms *atoms,
                               gdouble half_thickness, GArray **indices);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetSlice, aet_slice_free)

G_END_DECLS
