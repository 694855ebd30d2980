/* aet-lattice-fit.h — the best FCC lattice through a set of atoms.
 *
 * Strain, facets and layers are all measured against an ideal lattice, so
 * the lattice is found first: its orientation from the nearest-neighbour
 * bonds of interior atoms (matched to the 12 FCC bond directions, a Kabsch
 * fit done with Horn's quaternion method), then every atom is assigned to
 * its nearest ideal site and the lattice constant, orientation and origin are
 * refined together by least squares (a similarity Procrustes fit) over the
 * chosen atoms, a few times until the assignment no longer changes.  Strain
 * of a few per cent and vacancies do not disturb it: a site is assigned only
 * by rounding, and missing atoms simply contribute nothing.
 *
 * Sites are integer triples in units of a/2 in the crystal frame (FCC sites
 * have an even coordinate sum).  The rotation maps crystal to sample frame:
 * position = origin + (a/2) · R · site.  Of the 24 cubic choices of R the one
 * closest to the identity is kept, so indices are reproducible.
 *
 * The file also holds the small dense linear algebra the analyses share.
 */
#pragma once

#include <glib.h>

#include "aet-neighbors.h"

G_BEGIN_DECLS

typedef struct
{
  gdouble a;            /* lattice constant (Å) */
  gdouble rotation[9];  /* row-major R: sample = R · crystal */
  gdouble origin[3];    /* position of site (0,0,0) (Å) */
  gdouble rms_residual; /* RMS distance of the fitted atoms from their sites (Å) */
  gsize n_fit;          /* atoms the final fit used */
  gsize n_shared_sites; /* atoms whose site another atom also claims */
} AetLatticeFit;

/* Fits the FCC lattice to the atoms with use[i] TRUE (all atoms when use is
 * NULL).  a_guess is the expected lattice constant, or ≤ 0 to take it from
 * the median nearest-neighbour distance.  nb indexes the same positions.
 * Fails (AET_ERROR_DATA) when fewer than 13 atoms are usable or no atom has
 * a full first shell to orient the lattice by. */
gboolean aet_lattice_fit (const gdouble *positions, gsize n, const AetNeighbors *nb,
                          const gboolean *use, gdouble a_guess, AetLatticeFit *fit,
                          GError **error);

/* The nearest-neighbour distance (Å): the median of the pair distances in
 * the first shell, robust to noise; 0 when no atom has a neighbour within
 * 5 Å. */
gdouble aet_lattice_nn_distance (const gdouble *positions, gsize n, const AetNeighbors *nb);

/* The nearest FCC site of a position (a/2 units, even sum). */
void aet_lattice_fit_site (const AetLatticeFit *fit, const gdouble p[3], gint site[3]);
/* The position of a site (Å). */
void aet_lattice_fit_site_position (const AetLatticeFit *fit, const gint site[3],
                                    gdouble out[3]);
/* A crystal-frame direction (e.g. Miller indices) as a unit vector in the
 * sample frame, and back. */
void aet_lattice_fit_to_sample (const AetLatticeFit *fit, const gdouble crystal[3],
                                gdouble sample[3]);
void aet_lattice_fit_to_crystal (const AetLatticeFit *fit, const gdouble sample[3],
                                 gdouble crystal[3]);
/* The spacing of the atomic planes (hkl) of an FCC lattice with constant a:
 * a/√N when h, k, l are all odd, else a/(2√N), after dividing out common
 * factors; 0 for (0,0,0). */
gdouble aet_lattice_plane_spacing (gdouble a, const gint hkl[3]);

/* The bulk FCC lattice constant (Å, room temperature) of element Z, 0 when
 * the element is not a common FCC metal. */
gdouble aet_lattice_fcc_constant (guint z);

/* Eigen-decomposition of a symmetric n×n matrix (n ≤ 4, row-major) by
 * Jacobi rotations: eigenvalues ascending in evals, eigenvector k in column
 * k of evecs (row-major n×n). */
void aet_sym_eigen (const gdouble *m, guint n, gdouble *evals, gdouble *evecs);
/* The proper rotation R maximising Σ w·yᵀ R x over pairs, from the
 * cross-covariance C = Σ w·y xᵀ (row-major 3×3), by Horn's method. */
void aet_rotation_from_covariance (const gdouble c[9], gdouble r[9]);
/* Inverts a 3×3 matrix; FALSE when it is (nearly) singular. */
gboolean aet_mat3_invert (const gdouble m[9], gdouble inv[9]);

G_END_DECLS
