/* aet-atom-density.h — atoms drawn as 3D Gaussians into a volume.
 *
 * Used for the network's targets, for truth volumes in tests and metrics,
 * and as the first step of the simulated potential.
 *
 * Width convention (docs/conventions.md): an atom of width parameter B (Å²)
 * has the Fourier profile exp(−B·|q|²) with |q| = 1/d, as in the published
 * data generator, so its real-space σ = sqrt(B / (2π²)): B = 4 Å² gives
 * σ ≈ 0.45 Å, 1.26 voxels of 0.357 Å.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-volume.h"

G_BEGIN_DECLS

/* σ in Å for a width parameter B in Å². */
gdouble aet_b_to_sigma (gdouble b);

/* Adds amplitude·exp(−|r − rᵢ|² / 2σᵢ²) for every atom into `volume`
 * (positions in Å in the volume frame: voxel (i,j,k) at (i,j,k)·voxel_size
 * + origin). σᵢ comes from the per-atom column `b_column` (Å²) when given
 * and present, else from `b`.  Cut off at 4σ.  Split over z slabs on
 * n_threads threads; the result does not depend on the thread count. */
void aet_render_gaussian_atoms (const AetAtoms *atoms, AetVolume *volume, gdouble b,
                                gdouble amplitude, const char *b_column, guint n_threads);

G_END_DECLS
