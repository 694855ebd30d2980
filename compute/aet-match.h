/* aet-match.h — one-to-one matching of two atom models and precision figures.
 *
 * Used to score a traced model against the ground truth (or any reference)
 * and to pair the atoms of two traced models of one particle (before and
 * after augmentation) so every atom knows its partner and how far it moved.
 *
 * Matching is one to one and does not depend on atom order: every pair
 * (reference i, model j) closer than max_dist is a candidate; candidates are
 * sorted by distance (ties by i, then j) and accepted from the shortest, an
 * atom taking part in at most one accepted pair.  This is the greedy
 * shortest-edge assignment: not the global optimum of the summed distance,
 * but with 0.9 Å against ≥ 2 Å interatomic spacing the candidate graph is
 * almost always a set of isolated pairs, where the two coincide.
 *
 * Precision follows the published practice: the mean offset of the matched
 * pairs is removed, then RMSD = sqrt(σx² + σy² + σz²) with σ the population
 * standard deviation of the per-axis differences (model − reference).
 *
 * Beside it, the RMSD after the best rigid superposition of the same pairs
 * (translation and rotation, Horn's quaternion method) and the rotation it
 * removes.  With 21 tilts over ±65° a crystal's reconstruction comes out
 * turned about the tilt axis by a fraction of a degree (0.3–0.9° on the
 * bench particles, noise-free data too; 0.1° with 131 tilts or a full
 * range): lattice directions between the sampled ones and in the wedge are
 * drawn towards measured ones.  That turn moves far atoms by tens of pm but
 * changes no distance, strain or facet; the two figures tell it apart from
 * local error.
 */
#pragma once

#include "aet-atoms.h"

G_BEGIN_DECLS

typedef struct
{
  gsize n_reference, n_model, n_matched;
  gdouble rmsd_pm;          /* NaN when nothing matched */
  gdouble sigma_pm[3];      /* per-axis σ after removing the mean offset */
  gdouble mean_offset[3];   /* Å, mean of (model − reference) over matched pairs */
  gdouble rmsd_rigid_pm;    /* RMSD after the best rotation too (NaN below 3 pairs) */
  gdouble rotation_deg;     /* the rotation that superposition removes, degrees */
  gdouble rotation_axis[3]; /* its unit axis (0 when there is no rotation) */
  gdouble recall;           /* n_matched / n_reference (NaN if no reference atom) */
  gdouble precision;        /* n_matched / n_model (NaN if no model atom) */

  /* The same split into surface and interior atoms, from the reference's
   * column "surface" (≥ 0.5 = surface).  The global mean offset is removed
   * before the subset RMSDs.  A model atom belongs to the class of its
   * partner, or, unmatched, of its nearest reference atom (for precision).
   * Without that column all counts below are 0 and all ratios NaN. */
  gsize n_ref_surface, n_matched_surface;
  gdouble rmsd_surface_pm, recall_surface;
  gsize n_ref_interior, n_matched_interior;
  gdouble rmsd_interior_pm, recall_interior;
  gdouble precision_surface, precision_interior;
} AetMatchStats;

/* Matches `model` to `reference` one to one within max_dist Å (0.9 for the
 * published figures) and fills `stats` (nullable).  When add_columns is
 * TRUE, `model` gets the columns "partner" (the reference index, −1 for
 * none) and "moved_pm" (distance to the partner in pm, before any offset
 * is removed; NaN for none).  FALSE with AET_ERROR_INVALID for a max_dist
 * that is not a positive finite number. */
gboolean aet_match_atoms (const AetAtoms *reference, AetAtoms *model, gdouble max_dist,
                          AetMatchStats *stats, gboolean add_columns, GError **error);

/* The same, also writing each model atom's partner (reference index, or −1)
 * into partner_out, which must hold model->n_atoms entries (nullable). */
gboolean aet_match_atoms_with_partners (const AetAtoms *reference, AetAtoms *model,
                                        gdouble max_dist, AetMatchStats *stats,
                                        gssize *partner_out, gboolean add_columns,
                                        GError **error);

G_END_DECLS
