/* aet-facets.h — surface atoms grouped into planar facets, indexed in the
 * fitted lattice.
 *
 * Each surface atom's outward normal is minus the sum of its bond vectors: on
 * a flat facet this is exactly the facet normal ({111} atoms have 3 bonds
 * below, {100} atoms 4), while edge and corner atoms get a normal in
 * between.  Each normal is averaged with those of its surface neighbours
 * that agree within 20° (which keeps edge normals out and averages noise).
 * Regions grow from the flattest atoms first (most neighbours with the same
 * normal): a surface neighbour joins when its normal is within 12° of both
 * the atom that reaches it and the region's mean, so a region cannot creep
 * round an edge in small steps.  Each region's plane is fitted by least
 * squares (principal axes) and members farther than 0.45 Å from it are
 * dropped; a region of 6 or more atoms spanning a plane is a facet.  A second
 * pass grows regions among the atoms left over with 20° (10 atoms needed),
 * which recovers noisy facets that fell apart.  Coplanar regions (normals
 * within 8°, the smaller's centroid within 0.45 Å of the larger's plane) are
 * merged.  Edge and corner atoms, and atoms of regions too small to be
 * facets, then join the adjacent facet whose plane they lie on (within
 * 0.45 Å).
 *
 * Miller indices: the plane normal in the crystal frame of the fitted lattice
 * is matched to integer (hkl) with |h|, |k|, |l| ≤ 3: the lowest-index
 * direction within 5° wins, else the nearest one.
 *
 * Area: the area of the convex hull, projected on the fitted plane, of the
 * facet's atoms together with the edge and corner atoms it shares with its
 * neighbours (every surface atom within 0.45 Å of the plane connected to the
 * facet through first-shell bonds).  For a polyhedron whose vertices are
 * lattice sites this is exactly the polyhedron's face area; otherwise it is
 * the face of the atoms' own polyhedron, smaller by up to half a row spacing
 * along each edge.
 */
#pragma once

#include <glib.h>

#include "aet-lattice-fit.h"
#include "aet-neighbors.h"

G_BEGIN_DECLS

typedef struct
{
  gint id;               /* index in the facet table */
  gint miller[3];        /* (hkl) in the fitted lattice's crystal frame */
  gdouble normal[3];     /* outward unit normal of the fitted plane (sample frame) */
  gdouble centroid[3];   /* centroid of the facet's atoms (Å) */
  gdouble distance;      /* distance of the plane from the particle centre (Å) */
  gdouble angle_deg;     /* angle between the normal and the (hkl) direction */
  gsize n_atoms;         /* atoms carrying this facet id */
  gsize n_area_atoms;    /* atoms on the plane used for the area (shared edges too) */
  gdouble area;          /* Å², see above */
  gdouble rms_plane;     /* RMS distance of the facet's atoms from the plane (Å) */
  gdouble mean_strain_vol;    /* mean volumetric strain of the facet's atoms (NaN if none) */
  gdouble mean_strain_normal; /* mean strain along the facet normal (NaN if none) */
} AetFacet;

/* Finds the facets among the atoms with surface[i] TRUE.  centre is the
 * particle centre (for the plane distances).  facet_of_atom[n] receives each
 * atom's facet id, −1 for atoms on no facet.  Returns a GArray of AetFacet
 * ordered by decreasing area (ids follow that order). Caller owns. */
GArray *aet_facets_find (const gdouble *positions, gsize n, const AetNeighbors *nb,
                         gdouble cutoff, const gboolean *surface, const AetLatticeFit *fit,
                         const gdouble centre[3], gint *facet_of_atom);

/* Fills each facet's mean strains from per-atom strain (tensor 6·n in the
 * order xx, yy, zz, xy, xz, yz, and volumetric; NaN values are skipped). */
void aet_facets_add_strain (GArray *facets, const gint *facet_of_atom, gsize n,
                            const gfloat *tensor, const gfloat *volumetric);

/* The Miller index of a sample-frame normal in the fitted lattice (rule
 * above); returns the angle between them in degrees. */
gdouble aet_facets_miller_index (const AetLatticeFit *fit, const gdouble normal[3],
                                 gint hkl[3]);

/* The family of an index, "{hkl}" with |h| ≥ |k| ≥ |l|, into buf. */
void aet_facets_family (const gint hkl[3], char buf[16]);

/* The area of the convex hull of n points projected on the plane with unit
 * normal `normal` (Å²). */
gdouble aet_facets_hull_area (const gdouble *points, gsize n, const gdouble normal[3]);

G_END_DECLS
