/* aet-strain.h — per-atom strain from a local affine fit, and statistics.
 *
 * For each atom the bonds to its first-shell neighbours are compared with
 * the same bonds in the ideal lattice: the ideal bond is the difference of
 * the two atoms' lattice sites (both from the fitted lattice, so only true
 * nearest-neighbour pairs count) scaled by the reference lattice constant and
 * turned into the sample frame by the fitted orientation.  The deformation
 * gradient F minimising Σ |b − F·d|² is (Σ b dᵀ)(Σ d dᵀ)⁻¹, and the strain is
 * its symmetric part minus the identity (small-strain tensor), in the sample
 * frame.  Against the element's bulk lattice constant a uniformly expanded
 * particle shows its expansion as strain; against the fitted constant it
 * shows none.  Volumetric strain is the trace; radial strain is r̂ᵀ ε r̂ with
 * r̂ pointing from the particle centre to the atom.
 *
 * An atom with fewer than 3 nearest-neighbour bonds, or with bonds that
 * (nearly) lie in a plane, has no strain: its values are NaN.
 */
#pragma once

#include <glib.h>

#include "aet-lattice-fit.h"
#include "aet-neighbors.h"

G_BEGIN_DECLS

typedef struct
{
  gsize n;        /* finite values counted */
  gdouble mean;
  gdouble std;    /* population standard deviation */
  gdouble rms;
  gdouble min;
  gdouble max;
} AetStats;

/* Statistics of the finite values[i] with mask[i] TRUE (all when mask is
 * NULL); all zero when none counts. */
void aet_stats_compute (const gfloat *values, const gboolean *mask, gsize n, AetStats *stats);

/* Computes the strain of every atom.  sites holds each atom's lattice site
 * (3·n, from aet_lattice_fit_site); a_reference is the unstrained lattice
 * constant (Å); centre is the particle centre for the radial strain.
 * Outputs (each n long, NaN where undefined): tensor 6·n in the order
 * xx, yy, zz, xy, xz, yz; volumetric; radial.  Any output may be NULL. */
void aet_strain_compute (const gdouble *positions, gsize n, const AetNeighbors *nb,
                         const AetLatticeFit *fit, const gint *sites, gdouble a_reference,
                         gdouble cutoff, const gdouble centre[3], gfloat *tensor,
                         gfloat *volumetric, gfloat *radial);

/* The normal strain nᵀ ε n along a unit vector n, from a tensor in the
 * order above. */
gdouble aet_strain_along (const gfloat tensor[6], const gdouble n[3]);

G_END_DECLS
