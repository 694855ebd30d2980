/* aet-viewer.h — the 3D view: a GtkGLArea (OpenGL 3.3 core) that owns an
 * AetScene and an AetCamera (render/) and lets a person turn, zoom and pan
 * the particle, switch between an iso-surface, the atom model, an atomic
 * layer and the facets, and pick atoms.
 *
 * Threads.  Everything here runs on the GTK main thread, except the
 * iso-surface of a new volume or level, which is computed on a worker
 * thread and handed back with g_idle_add_full; a mesh that arrives for an
 * older volume or level is dropped by the scene's generation check, so the
 * main thread never waits for marching cubes.  Volumes and atom sets passed
 * in are snapshots: the viewer keeps a reference and never writes them.
 */
#pragma once

#include <gtk/gtk.h>

#include "aet-atoms.h"
#include "aet-camera.h"
#include "aet-scene.h"
#include "aet-view.h"
#include "aet-volume.h"

G_BEGIN_DECLS



#define AET_TYPE_VIEWER (aet_viewer_get_type ())
G_DECLARE_FINAL_TYPE (AetViewer, aet_viewer, AET, VIEWER, GtkGLArea)

GtkWidget *aet_viewer_new (void);

/* The volume whose iso-surface (and layers) are shown; a reference is
 * kept, NULL clears.  The mesh follows on a worker thread. */
void aet_viewer_set_volume (AetViewer *self, AetVolume *volume);
/* Borrowed, may be NULL. */
AetVolume *aet_viewer_get_volume (AetViewer *self);

/* The atom model (a reference is kept; NULL clears). */
void aet_viewer_set_atoms (AetViewer *self, AetAtoms *atoms);
/* Borrowed, may be NULL. */
AetAtoms *aet_viewer_get_atoms (AetViewer *self);

/* Colours atoms by `column` ("element" or NULL: by element; "facet": by
 * category; "displacement_pm", "strain_vol", "strain_radial": diverging;
 * any other column: sequential). */
void aet_viewer_set_color_column (AetViewer *self, const char *column);
/* Borrowed. */
const char *aet_viewer_get_color_column (AetViewer *self);

/* The iso level as a fraction of the volume's [min, max] (clamped to
 * [0.02, 0.98]); the default is 0.4. */
void aet_viewer_set_iso_level (AetViewer *self, gdouble fraction);
gdouble aet_viewer_get_iso_level (AetViewer *self);

void aet_viewer_set_view_mode (AetViewer *self, AetViewMode mode);
AetViewMode aet_viewer_get_view_mode (AetViewer *self);

/* The crystal orientation (row-major R: sample = R · crystal, as
 * AetLatticeFit) and lattice constant, for views and layers along [hkl];
 * NULL forgets it (the volume axes are used instead). */
void aet_viewer_set_lattice (AetViewer *self, const gdouble rotation[9], gdouble a);

/* The direction of the layers, [hkl] (crystal frame when a lattice is
 * set, else volume axes); resets the layer to the middle one. */
void aet_viewer_set_layer_hkl (AetViewer *self, gint h, gint k, gint l);
/* Moves the layer by `steps` lattice planes (negative: down). */
void aet_viewer_step_layer (AetViewer *self, gint steps);
void aet_viewer_set_layer_index (AetViewer *self, gint index);
gint aet_viewer_get_layer_index (AetViewer *self);

/* Standard views: along [hkl] of the lattice (or volume axes), and along
 * the beam (volume z).  FALSE for [000]. */
gboolean aet_viewer_view_along_hkl (AetViewer *self, gint h, gint k, gint l);
void aet_viewer_view_along_beam (AetViewer *self);
/* Frames what is shown and looks down the beam again. */
void aet_viewer_reset_view (AetViewer *self);

/* What the viewer shows: mode, level, colouring, layer, lattice
 * (borrowed; main thread) — the settings a figure of this view uses. */
const AetViewSetup *aet_viewer_get_setup (AetViewer *self);
/* The camera (borrowed; main thread).  Copying into it from a linked
 * viewer goes through aet_viewer_copy_camera, which emits no
 * "camera-changed". */
const AetCamera *aet_viewer_get_camera (AetViewer *self);
void aet_viewer_copy_camera (AetViewer *self, const AetCamera *camera);

/* The scene (borrowed), e.g. to render it offscreen in this viewer's GL
 * context. */
AetScene *aet_viewer_get_scene (AetViewer *self);

/* The colour map and range of the atom colouring for a legend; FALSE when
 * there is none (element colours, or no atoms shown). */
gboolean aet_viewer_get_legend (AetViewer *self, AetColormap *map, gdouble *vmin,
                                gdouble *vmax);

/* TRUE while a mesh is being computed for the current volume and level. */
gboolean aet_viewer_is_busy (AetViewer *self);

/* Renders the current view into RGBA bytes (width·height·4, row 0 at the
 * top, caller owns) in this viewer's GL context, for figure export.  NULL
 * with an error when the viewer is not realized. */
guint8 *aet_viewer_render_image (AetViewer *self, gint width, gint height, GError **error);

G_END_DECLS
