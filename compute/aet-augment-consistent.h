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
 * tilts, stays the network's — then, when the tilt series is at hand, takes
 * a few SIRT steps from there against the projections themselves (which
 * corrects it only along measured directions, exactly, with no gridding),
 * and augments that again.  The turn and the stretch shrink pass by pass;
 * pass 1 is aet_augment_flips.
 *
 * The measured planes are those of the tilt angles (single tilt axis y,
 * CLI.md): the plane of tilt θ holds q_y and (cos θ, sin θ) in (q_x, q_z).
 */
#pragma once

#include "aet-augment.h"
#include "aet-tilt-series.h"

G_BEGIN_DECLS

/* The default band half-width, in Fourier grid steps (1 / the larger of the
 * volume's x and z edges, in cycles per voxel).  Narrower keeps less of the
 * reconstruction's interpolated values, wider more (docs/accuracy.md). */
#define AET_AUGMENT_CONSISTENT_BAND 0.5
/* At most this many passes. */
#define AET_AUGMENT_MAX_PASSES 32
/* The passes `aet run`, the window and `aet augment` (given the angles) make. */
#define AET_AUGMENT_DEFAULT_PASSES 4
/* SIRT steps per pass, and their relaxation, when the projections are at hand. */
#define AET_AUGMENT_DEFAULT_SIRT 60
#define AET_AUGMENT_DEFAULT_RELAXATION 1.5

typedef struct
{
  gint passes;          /* network passes, 1 … AET_AUGMENT_MAX_PASSES */
  gdouble band;         /* grid steps */
  gint sirt_iterations; /* SIRT steps against the projections per pass (0: none) */
  gdouble relaxation;   /* their step, (0, 2) */
  gint tile, overlap;   /* aet_augment's tiles; default 96, 44 */
  guint n_flips;        /* reflections averaged per pass; default 1 */
} AetAugmentPasses;

/* Sets the defaults: AET_AUGMENT_DEFAULT_PASSES, AET_AUGMENT_CONSISTENT_BAND,
 * AET_AUGMENT_DEFAULT_SIRT, AET_AUGMENT_DEFAULT_RELAXATION, tiles of 96
 * overlapping by 44, one reflection. */
void aet_augment_passes_init (AetAugmentPasses *params);

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

/* params->passes passes of aet_augment_flips over `recon`, each after the
 * first on the previous output made consistent with the measurements, as
 * above: with `series` (nullable; the tilt series `recon` was reconstructed
 * from, in the geometry it used) its angles and projections, else the
 * n_angles `angles` alone (no SIRT).  pass_func (nullable) sees every
 * pass's output; progress fills one bar across the passes; cancelled
 * between and within passes.  info (nullable) describes the first pass.
 * Caller owns; NULL with an error. */
AetVolume *aet_augment_consistent (AetUnet *net, const AetVolume *recon, const char *what,
                                   const AetTiltSeries *series, const gdouble *angles,
                                   gint n_angles, const AetAugmentPasses *params,
                                   AetAugmentInfo *info, AetAugmentPassFunc pass_func,
                                   gpointer pass_data, AetJob *job, GError **error);

G_END_DECLS
