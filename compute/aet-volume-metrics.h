/* aet-volume-metrics.h — comparing two volumes of the same grid.
 *
 * How close an augmented or reconstructed volume is to another (the truth,
 * or the volume before augmentation): normalised cross-correlation for one
 * number, Fourier shell correlation for how the agreement falls with
 * resolution, and the difference volume to look at where they disagree.
 * All three need volumes of the same nx, ny, nz; the voxel size is taken
 * from the first.
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

/* Pearson correlation of the voxel values, in [−1, 1]; NaN when the shapes
 * differ or either volume is constant. */
gdouble aet_volume_ncc (const AetVolume *a, const AetVolume *b);

/* Fourier shell correlation:
 *   FSC(s) = Σ Re(A·B*) / sqrt(Σ|A|² · Σ|B|²)
 * over the Fourier coefficients whose spatial frequency |q| (1/Å) rounds to
 * shell s in steps of Δq = 1 / (n_min · voxel_size), n_min the smallest
 * edge; shells 0 … n_min/2 (shell 0 is the mean), coefficients beyond the
 * last shell (the corners of the cube) are left out.  A shell with no power
 * in either volume is NaN.  Returns n_shells values (caller frees with
 * g_free); *n_shells gets the count; *freq_out (nullable) gets a new array
 * (caller frees) of each shell's frequency s·Δq in 1/Å.  NULL (and
 * *n_shells = 0) when the shapes differ. */
gdouble *aet_volume_fsc (const AetVolume *a, const AetVolume *b, guint *n_shells,
                         gdouble **freq_out);

/* The first frequency (1/Å, linearly interpolated) at which the FSC curve
 * falls below `threshold` (0.5 or 0.143 by custom), skipping shell 0; the
 * last frequency when it never does, NaN for an empty curve. */
gdouble aet_volume_fsc_crossing (const gdouble *fsc, const gdouble *freq, guint n_shells,
                                 gdouble threshold);

/* a − b voxel by voxel, with a's voxel size and origin.  Caller owns; NULL
 * when the shapes differ. */
AetVolume *aet_volume_difference (const AetVolume *a, const AetVolume *b);

G_END_DECLS
