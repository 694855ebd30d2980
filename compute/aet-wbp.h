/* aet-wbp.h — weighted (filtered) back-projection, the one-pass baseline.
 *
 * Each image row is filtered along x by the ramp filter (built in real
 * space, Ramachandran–Lakshminarayanan, so the DC term is right) or by the
 * ramp times a sinc (Shepp–Logan), zero-padded to twice its length; each
 * image is weighted by the angular interval it covers (so unequal steps and
 * asymmetric ranges are handled) and back-projected with Aᵀ of
 * aet-projector.h.
 */
#pragma once

#include "aet-reconstruct.h"

G_BEGIN_DECLS

/* A new nx × ny × nz volume (nz ≤ 0: nx); caller owns. */
AetVolume *aet_wbp (const AetTiltSeries *series, gint nz, AetWbpFilter filter, guint n_threads);

/* The filtered images (caller owns), exposed for tests and alignment. */
AetVolume *aet_wbp_filter_images (const AetTiltSeries *series, AetWbpFilter filter,
                                  guint n_threads);

G_END_DECLS
