/* aet-coordination.h — coordination numbers and surface atoms.
 *
 * An atom's coordination is the number of atoms within the first-shell
 * cutoff, halfway between the first and second FCC shells:
 * (1/√2 + 1)/2 · a.  A surface atom is under-coordinated (fewer than 12)
 * AND on the outside: looking outward from it (against the sum of its bond
 * vectors), a cone of half-angle 35° reaching three bond lengths out holds no
 * atom beyond the first shell.  The neighbours of an interior vacancy are
 * under-coordinated too, but their cone looks through the empty site at the
 * atom behind it, so they are not surface.
 */
#pragma once

#include <glib.h>

#include "aet-neighbors.h"

G_BEGIN_DECLS

/* The first-shell cutoff for FCC lattice constant a (Å). */
gdouble aet_coordination_cutoff (gdouble a);

/* Writes the number of neighbours within cutoff of each atom into
 * coordination[n]. nb indexes the same positions. */
void aet_coordination_count (const gdouble *positions, gsize n, const AetNeighbors *nb,
                             gdouble cutoff, guint *coordination);

/* Marks surface atoms (see above) in surface[n], from the coordination
 * numbers of aet_coordination_count with the same cutoff; returns how many. */
gsize aet_coordination_surface (const gdouble *positions, gsize n, const AetNeighbors *nb,
                                gdouble cutoff, const guint *coordination, gboolean *surface);

/* The outward direction at atom i: minus the normalised sum of its bond
 * vectors within cutoff; FALSE (and a zero vector) when the bonds balance. */
gboolean aet_coordination_outward (const gdouble *positions, const AetNeighbors *nb, gsize i,
                                   gdouble cutoff, gdouble out[3]);

G_END_DECLS
