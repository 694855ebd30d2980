/* aet-substrate.h — the support under a particle, drawn as a thin disk.
 *
 * The interface plane (a point, a normal and a radius, from the analysis)
 * becomes a disk mesh that the scene draws translucent with the mesh
 * renderer, so the particle's contact with its support reads at a glance.
 * Pure CPU geometry.
 */
#pragma once

#include <glib.h>

#include "aet-iso-mesh.h"

G_BEGIN_DECLS

/* A flat disk of `radius` Å centred on `point` with unit normal `normal`
 * (normalised here), as `segments` triangles (≥ 8) sharing the centre
 * vertex.  NULL for a zero normal or non-positive radius.  Caller owns. */
AetIsoMesh *aet_substrate_mesh_new (const gdouble point[3], const gdouble normal[3],
                                    gdouble radius, guint segments);

G_END_DECLS
