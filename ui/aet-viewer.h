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
/* Shows a signed volume, such as a difference: the iso-surface is that of
 * |v| at the iso fraction of `bound`, and layers are drawn with the
 * diverging colour map over ±bound (with a legend).  A bound ≤ 0 shows it
 * as a plain volume; aet_viewer_set_volume always does. */
void aet_viewer_set_signed_volume (AetViewer *self, AetVolume *volume, gdouble bound);
/* The bound of a signed volume, 0 for a plain one. */
gdouble aet_viewer_get_signed_bound (AetViewer *self);

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

/* The colour map and range for a legend: of the atom colouring, or in the
 * layers mode of a coloured slice (a signed volume); FALSE when there is
 * none (element colours, grey slices, the iso-surface). */
gboolean aet_viewer_get_legend (AetViewer *self, AetColormap *map, gdouble *vmin,
                                gdouble *vmax);

/* The substrate as a translucent disk (aet_scene_set_substrate); show
 * FALSE hides it. */
void aet_viewer_set_substrate (AetViewer *self, gboolean show, const gdouble point[3],
                               const gdouble normal[3], gdouble radius);

/* Split view, the before/after slider: this viewer draws its own scene
 * left of a vertical divider and `other`'s scene right of it, both through
 * this viewer's camera, into its one framebuffer (a scissor rectangle per
 * side, so every pixel is shaded once).  `other` keeps its data, meshes
 * and slices up to date as usual, need not be shown, and must draw with
 * the same GL context as this viewer (AetCompareView makes its viewers
 * share one); otherwise only this viewer's scene is drawn.  A click right
 * of the divider picks in `other` and emits its "atom-picked".  NULL ends
 * the split.  A reference to `other` is held while split. */
void aet_viewer_set_split (AetViewer *self, AetViewer *other);
/* Borrowed, NULL when not split. */
AetViewer *aet_viewer_get_split (AetViewer *self);
/* The divider's position as a fraction of the width from the left edge,
 * clamped to [0, 1]; default 0.5. */
void aet_viewer_set_divider (AetViewer *self, gdouble position);
gdouble aet_viewer_get_divider (AetViewer *self);

/* TRUE while a mesh is being computed for the current volume and level. */
gboolean aet_viewer_is_busy (AetViewer *self);

/* Renders the current view into RGBA bytes (width·height·4, row 0 at the
 * top, caller owns) in this viewer's GL context, for figure export.  NULL
 * with an error when the viewer is not realized. */
guint8 *aet_viewer_render_image (AetViewer *self, gint width, gint height, GError **error);

G_END_DECLS
