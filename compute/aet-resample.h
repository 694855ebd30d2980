/* aet-resample.h — a volume moved onto another grid over the same box by
 * band-limited (Fourier) interpolation.
 *
 * The network that augments reconstructions learned atoms as so many voxels
 * wide (aet-unet.h: its voxel size); a reconstruction sampled otherwise is
 * resampled to that sampling, augmented, and resampled back (aet-augment.h).
 *
 * Why Fourier and not trilinear: a reconstruction is band-limited by
 * construction (GENFIRE fills a Fourier grid up to its Nyquist frequency),
 * and for such a volume band-limited interpolation is exact: a round trip
 * through a finer grid returns the input to float rounding, and one through
 * a coarser grid loses only the frequencies the coarser grid cannot hold.
 * Trilinear interpolation at a fractional offset u blurs by a variance of
 * u(1 − u)·a² per axis, a²/6 on average: for a = 0.357 Å that adds
 * 0.021 Å² to σ² per pass, a tenth of the σ² = 0.20 Å² of a B = 4 Å² atom
 * (aet_b_to_sigma), twice in a round trip, and the width of its input
 * atoms is exactly what the network is sensitive to.  (Band-limited
 * interpolation costs an FFT per line, about as much as one GENFIRE
 * iteration: well under the network's time.)
 *
 * The volume is one period of a periodic function: content at one face
 * wraps to the other, so a volume should fall to ~0 at its faces (a
 * reconstruction with a support does).  Separable: one axis at a time,
 * batched 1-D real FFTs (aet-fft.h), so the result depends only on the
 * sizes, not on the thread count.
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

/* The samples of `volume`'s band-limited interpolant on an nx × ny × nz grid
 * spanning the same box: along each axis, n voxels of size a become m
 * voxels of size n·a/m, the first voxel staying at the origin.  Frequencies
 * above the smaller grid's Nyquist are dropped (an even Nyquist bin is
 * folded when shrinking and split evenly when growing, which makes
 * shrinking the adjoint of growing up to scale).  The result has the
 * volume's origin and the x axis's new voxel size (the axes agree when all
 * sizes change in one ratio).  Caller owns; NULL with aet_volume_try_new's
 * error for sizes it refuses. */
AetVolume *aet_volume_resample (const AetVolume *volume, gint nx, gint ny, gint nz,
                                guint n_threads, GError **error);

G_END_DECLS
