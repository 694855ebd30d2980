/* aet-genfire.h — GENFIRE: generalized Fourier iterative reconstruction.
 *
 * The measured Fourier values come from aet-fourier-grid.h.  Each iteration
 * transforms the real-space iterate (r2c, the box at the corner of the
 * oversampled grid), measures the error Σ|F − M| / Σ|M| over the enforced
 * measured points (and R_free over the withheld ones), keeps the iterate if
 * its error is the lowest so far, replaces the measured values (all of them
 * every iteration, or with resolution extension: points up to a radius that
 * grows linearly from 1/N to all of them over the N iterations; with
 * suppression, every grid point beyond that radius is also zeroed), inverse
 * transforms, and enforces support and positivity (and zero outside the
 * box).
 *
 * R_free: the measured points are split into 35 shells of equal width in
 * |q|; in each shell the 5% with the lowest value of a fixed hash of their
 * (Hermitian-canonical) index are withheld from every constraint and only
 * compared with.  The returned volume thus uses 95% of the data; switch
 * rfree off for the final reconstruction if that matters.
 *
 * Support AET_SUPPORT_AUTO: the first iterate (the inverse transform of the
 * gridded measurements alone), positive part, smoothed by three passes of a
 * box filter of radius 2 voxels (≈ a Gaussian of σ 2 voxels), thresholded
 * at 10% of its maximum and dilated by 2 voxels.  Loose on purpose: it only
 * cuts away the empty corners of the box.
 *
 * Buffers (grid, its transform, best iterate, support) are allocated once
 * before the loop; FFTW plans come from aet-fft.h.
 */
#pragma once

#include "aet-fourier-grid.h"
#include "aet-reconstruct.h"

G_BEGIN_DECLS

/* Reconstructs with params (iterations default 100, oversampling, cutoff,
 * support, extension, rfree, nz, snapshots).  Fills stats (may be NULL).
 * Caller owns the result; NULL with an error when cancelled or invalid. */
AetVolume *aet_genfire (const AetTiltSeries *series, const AetReconParams *params,
                        AetReconStats *stats, AetJob *job, GError **error);

/* The same on an already gridded set of measurements (the bench times the
 * gridding separately). */
AetVolume *aet_genfire_from_grid (const AetFourierGrid *grid, gdouble voxel_size,
                                  const AetReconParams *params, AetReconStats *stats,
                                  AetJob *job, GError **error);

G_END_DECLS
