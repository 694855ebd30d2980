/* aet-lattice.h — face-centred cubic lattices for simulated particles.
 *
 * A table of room-temperature lattice constants of the FCC metals AET looks
 * at, and the lattice sites inside a sphere, in the crystal frame (cube
 * axes along x, y, z; a site at the origin).  Shapes (aet-shapes.h) then
 * keep the sites inside a particle.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The FCC lattice constant in Å of element Z (Pt 3.924, Au 4.078,
 * Pd 3.891, Ag 4.086, Cu 3.615, Ni 3.524, Ir 3.839, Rh 3.803, Al 4.050),
 * or 0 when the element is not in the table. */
gdouble aet_fcc_lattice_constant (guint z);

/* The FCC sites r with |r − centre| ≤ radius (Å, crystal frame, lattice
 * constant a): a new array of 3·n doubles (x, y, z, …) that the caller frees
 * with g_free; n is stored in *n_sites.  The order is deterministic. */
gdouble *aet_fcc_sites (gdouble a, const gdouble centre[3], gdouble radius, gsize *n_sites);

/* Nearest-neighbour distance a/√2 of an FCC lattice. */
static inline gdouble
aet_fcc_nearest_neighbour (gdouble a)
{
  return a * G_SQRT2 / 2.0;
}

G_END_DECLS
