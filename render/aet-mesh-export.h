/* aet-mesh-export.h — iso-surfaces as STL or OBJ files.
 *
 * A surface shown in the window can be taken to a 3D printer, Blender or
 * ParaView.  STL is written binary (one facet normal per triangle from its
 * vertices), OBJ as text with the smooth vertex normals; coordinates are in
 * Å in the volume frame, as the window shows them.  Saves are atomic.
 * CPU only.
 */
#pragma once

#include <glib.h>

#include "aet-iso-mesh.h"

G_BEGIN_DECLS

/* Writes `mesh` by the extension of path (.stl or .obj).  FALSE with
 * AET_ERROR_INVALID for another extension or an empty mesh, AET_ERROR_IO
 * naming the file when it cannot be written. */
gboolean aet_iso_mesh_save (const AetIsoMesh *mesh, const char *path, GError **error);

G_END_DECLS
