/* aet-augment-consistent.h — augmentation that keeps to the measurements:
 * the network and the data take turns.
 *
 * The network sees a patch of the reconstruction and cannot undo what a few
 * measured directions do to a crystal as a whole: from 21 tilts a particle
 * reconstructs turned by ~0.5° about the tilt axis and stretched by ~1 %
 * along the beam, before and after the network alike (docs/accuracy.md).
 * Nor can it check its output against the data.  So after the first pass,
 * each pass blurs the network's output back to the reconstruction's scale
 * (a radial transfer function fitted where both are known), gives it the
 * reconstruction's Fourier values on a band around each measured central
 * plane — everything else, the missing wedge and the gaps between the
 * tilts, stays the network's — and augments that again.  The turn and the
 * stretch shrink pass by pass; pass 1 is aet_augment_flips.
 *
 * The measured planes are those of the tilt angles (single tilt axis y,
 * CLI.md): the plane of tilt θ holds q_y and (cos θ, sin θ) in (q_x, q_z).
 */
#pragma once

#include "aet-augment.h"

G_BEGIN_DECLS

/* The default band half-width, in Fourier grid steps (1 / the larger of the
 * volume's x and z edges, in cycles per voxel).  Narrower keeps less of the
 * reconstruction's interpolated values, wider more (docs/accuracy.md). */
#define AET_AUGMENT_CONSISTENT_BAND 0.5
/* At most this many passes. */
#define AET_AUGMENT_MAX_PASSES 32

/* Called after each pass with its output (borrowed; take a reference to
 * keep it), on the thread that runs the augmentation. */
typedef void (*AetAugmentPassFunc) (AetVolume *augmented, gint pass, gint n_passes,
                                    gpointer user_data);

/* The voxels of the half-complex transform of an nx × ny × nz volume
 * (nz · ny · (nx/2 + 1), x fastest) that lie within `band` grid steps of the
 * central plane of any of the n_angles tilt angles (degrees).  Caller owns
 * (g_free). */
guint8 *aet_augment_measured_mask (gint nx, gint ny, gint nz, const gdouble *angles, gint n_angles,
                                   gdouble band);

/* One step between passes: `augmented` (the network's output, the
 * target's scale) blurred by the radial transfer function H(|q|) that
 * best maps it onto `recon` (least squares over the measured voxels, in
 * shells of one grid step), with the measured voxels (within `band` grid
 * steps of a plane of `angles`; ≤ 0: the default) taking recon's Fourier
 * values; back in real space, clipped at 0.  Same dims as recon, whose
 * voxel size and origin it keeps.  Caller owns. */
AetVolume *aet_augment_keep_measured (const AetVolume *augmented, const AetVolume *recon,
                                      const gdouble *angles, gint n_angles, gdouble band,
                                      guint threads);

/* `passes` (1 … AET_AUGMENT_MAX_PASSES) passes of aet_augment_flips over
 * `recon`, each after the first on the previous output made consistent
 * with the measured planes of `angles`, as above.  `band` ≤ 0 is the
 * default.  pass_func (nullable) sees every pass's output; progress fills
 * one bar across the passes; cancelled between and within passes.  info
 * (nullable) describes the first pass.  Caller owns; NULL with an error. */
AetVolume *aet_augment_consistent (AetUnet *net, const AetVolume *recon, const char *what,
                                   const gdouble *angles, gint n_angles, gint passes, gdouble band,
                                   gint tile, gint overlap, guint n_flips, AetAugmentInfo *info,
                                   AetAugmentPassFunc pass_func, gpointer pass_data, AetJob *job,
                                   GError **error);

G_END_DECLS
