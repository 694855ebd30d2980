/* aet-noise.h — detector noise for simulated tilt series.
 *
 * Shot noise at a chosen dose: the noise-free stack is scaled so that its
 * brightest pixel expects `counts` electrons, each pixel gets a Poisson
 * count (plus Gaussian read noise of `read_noise` counts if asked), and the
 * result is divided by the same scale, so noisy and noise-free stacks share
 * units and only their noise differs.  Each image draws from its own
 * random stream of `seed`, so results do not depend on the thread count.
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

/* Applies the noise in place to the nx × ny × n_images stack `images` and
 * returns the scale used (counts per unit of the input), or 0 when counts
 * is 0 (no noise; images unchanged) or the stack has no positive pixel.
 * Negative input pixels count as 0 electrons. */
gdouble aet_noise_apply (AetVolume *images, gdouble counts, gdouble read_noise, guint64 seed,
                         guint n_threads);

G_END_DECLS
