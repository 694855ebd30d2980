/* aet-iso-mesh.h — iso-surfaces of a volume by marching cubes (CPU only).
 *
 * The 3D view draws the reconstruction as a surface at an intensity level.
 * The mesh is computed on the CPU, threaded over z slabs, with no GL, so it
 * can run on a worker thread while the window keeps drawing, and be tested
 * without a display.  Vertices are in Å in the volume frame (voxel (i,j,k)
 * at (i,j,k)·voxel_size + origin), one per crossed grid edge and shared by
 * the triangles around it, so a surface inside the volume is closed.
 * Normals are smooth (central-difference gradients interpolated along the
 * edge) and point out of the high-intensity side.  The output (vertex and
 * triangle order) does not depend on the thread count.
 *
 * Threads: aet_iso_mesh_compute may be called from any thread (it only
 * reads the volume, which is an immutable snapshot); hand the mesh to the
 * main thread (aet_scene_set_iso_mesh) when it is done.
 */
#pragma once

#include <glib.h>

#include "aet-volume.h"
#include "aet-atoms.h"
#include "aet-job.h"

G_BEGIN_DECLS

typedef struct
{
  guint n_vertices;
  gfloat *positions;   /* 3·n_vertices, Å */
  gfloat *normals;     /* 3·n_vertices, unit length */
  gfloat *colors;      /* 3·n_vertices RGB, or NULL (the renderer's colour) */
  guint n_triangles;
  guint32 *indices;    /* 3·n_triangles, counter-clockwise seen from outside */
} AetIsoMesh;

/* The surface {x : volume(x) = level}, the side above `level` being the
 * inside.  n_threads ≥ 1; job may be NULL (progress and cancel).  NULL with
 * AET_ERROR_CANCELLED when the job is cancelled, AET_ERROR_INVALID for a
 * volume smaller than 2 voxels on an edge or a non-finite level.  Caller
 * owns the mesh (possibly empty). */
AetIsoMesh *aet_iso_mesh_compute (const AetVolume *volume, gdouble level, guint n_threads,
                                  AetJob *job, GError **error);

/* An empty mesh with room for the given counts (arrays allocated,
 * uninitialised; colors NULL).  Caller owns. */
AetIsoMesh *aet_iso_mesh_new (guint n_vertices, guint n_triangles);

void aet_iso_mesh_free (AetIsoMesh *mesh);

/* Total triangle area (Å²). */
gdouble aet_iso_mesh_area (const AetIsoMesh *mesh);

/* Colours each vertex by the category found in `column` of its nearest atom
 * (e.g. the facet index): the category's colour from `palette` (n_palette
 * RGB triples, cycling), or `other` (RGB) when the value is negative or the
 * nearest atom is farther than max_distance Å.  FALSE with
 * AET_ERROR_INVALID when the column is missing or there are no atoms. */
gboolean aet_iso_mesh_color_by_nearest_atom (AetIsoMesh *mesh, const AetAtoms *atoms,
                                             const char *column, const gfloat *palette,
                                             guint n_palette, const gfloat other[3],
                                             gdouble max_distance, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetIsoMesh, aet_iso_mesh_free)

G_END_DECLS
