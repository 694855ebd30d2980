/* aet-sirt.h — SIRT with positivity, the iterative baseline.
 *
 * x ← max(0, x + λ·C·Aᵀ·R·(b − A·x)) with R and C the inverse row and
 * column sums of the projector (aet-projector.h), starting from zero (or,
 * aet_sirt_iterate, from a given volume).  The
 * tilt series' shifts are honoured.  Every iteration allocates nothing.
 */
#pragma once

#include "aet-reconstruct.h"

G_BEGIN_DECLS

/* Reconstructs with params->iterations (default 50), params->relaxation,
 * params->nz and the snapshot callback; per-iteration residuals into stats
 * (may be NULL).  Caller owns the result; NULL with AET_ERROR_CANCELLED if
 * the job was cancelled. */
AetVolume *aet_sirt (const AetTiltSeries *series, const AetReconParams *params,
                     AetReconStats *stats, AetJob *job, GError **error);

/* n_iter SIRT steps (with positivity) from `x`, updated in place: a volume
 * of the series' image size × any depth, e.g. a model to be made
 * consistent with the projections.  relaxation in (0, 2).  FALSE with
 * AET_ERROR_MISMATCH for a volume of another size, AET_ERROR_CANCELLED when
 * cancelled (x then holds the last finished step). */
gboolean aet_sirt_iterate (const AetTiltSeries *series, AetVolume *x, gint n_iter,
                           gdouble relaxation, AetJob *job, GError **error);

G_END_DECLS
