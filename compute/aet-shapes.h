/* aet-shapes.h — particle shapes for simulated nanoparticles.
 *
 * A shape is a region of space in the crystal frame of an FCC lattice (cube
 * axes along x, y, z), given by a function that is ≤ 0 inside and roughly
 * the distance to the surface outside.  Three kinds:
 *  - a smoothed union of random spheres (the published training recipe:
 *    blobby, irregular particles with no preferred facets);
 *  - truncated octahedra and cuboctahedra: intersections of the eight
 *    {111} and six {100} half-spaces at random distances around a
 *    Wulff-like ratio, the shapes real Pt particles take.
 * Shapes are centred at the origin; the simulator places them.
 */
#pragma once

#include "aet-rng.h"

G_BEGIN_DECLS

typedef enum
{
  AET_SHAPE_SPHERE_UNION,
  AET_SHAPE_TRUNCATED_OCTAHEDRON,
  AET_SHAPE_CUBOCTAHEDRON,
} AetShapeKind;

typedef struct _AetShape AetShape;

/* The kind called `name`: "sphere-union", "truncated-octahedron",
 * "cuboctahedron" (or "union", "to", "co"), case-insensitive; FALSE when
 * unknown. */
gboolean aet_shape_kind_from_name (const char *name, AetShapeKind *kind);

/* The canonical name of `kind` (static string). */
const char *aet_shape_kind_name (AetShapeKind kind);

/* The 14 facet normals of the polyhedra (unit vectors, crystal frame):
 * rows 0–7 the {111} family, rows 8–13 the {100} family.  Static. */
const gdouble (*aet_shape_facet_normals (void))[3];

/* A random shape of `kind` with size `radius` (Å): for the polyhedra the
 * mean {111} facet distance; for the sphere union the radius of its central
 * sphere (lobes of 0.6–0.85 of it sit 0.25–0.55 of it away).  Draws from
 * rng.  Caller owns. */
AetShape *aet_shape_new_random (AetShapeKind kind, gdouble radius, AetRng *rng);

/* The polyhedron with {111} facets at distances d111[8] and {100} facets at
 * d100[6] (Å, in the order of aet_shape_facet_normals()).  Caller owns. */
AetShape *aet_shape_new_polyhedron (const gdouble d111[8], const gdouble d100[6]);

void aet_shape_free (AetShape *shape);

AetShapeKind aet_shape_get_kind (const AetShape *shape);

/* Scales the shape about the origin (all lengths × scale, from the
 * shape as created). */
void aet_shape_set_scale (AetShape *shape, gdouble scale);

/* ≤ 0 inside, > 0 outside (Å; a distance bound, exact for spheres and on
 * facets). */
gdouble aet_shape_value (const AetShape *shape, const gdouble r[3]);

/* A radius about the origin that encloses the shape at its current scale. */
gdouble aet_shape_bounding_radius (const AetShape *shape);

/* The facet distances at the current scale (d[14] in normal order); FALSE
 * for a sphere union. */
gboolean aet_shape_get_facet_distances (const AetShape *shape, gdouble d[14]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetShape, aet_shape_free)

G_END_DECLS
