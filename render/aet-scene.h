/* aet-scene.h — what the 3D view draws, and how.
 *
 * A scene holds the data to show (an atom model with a colouring, an
 * iso-surface of the current volume, an atomic layer slice, the substrate
 * disk) and owns the renderers that draw it.  Setting data only stores it
 * and marks it dirty; GL uploads happen at the next render, with the
 * context current, so data may arrive at any time between frames.
 *
 * Threads.  All aet_scene_* functions run on the thread that owns the GL
 * context (the window's main thread, or the thread of an offscreen
 * context).  The one heavy step, the iso-surface of a new volume, is meant
 * for a worker thread:
 *   main:    gen = aet_scene_set_volume (scene, volume, level);
 *   worker:  mesh = aet_iso_mesh_compute (volume, level, threads, job, &error);
 *            (optionally aet_iso_mesh_color_by_nearest_atom), then hand
 *            mesh + gen to the main thread (g_idle_add_full);
 *   main:    aet_scene_take_iso_mesh (scene, mesh, gen); queue a render.
 * A mesh computed for an older volume or level is dropped by the
 * generation check.  Command-line figures use aet_scene_update_iso_mesh.
 * The framebuffer to draw into is always passed in: the window's GL area
 * binds its own, offscreen rendering binds another.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

#include "aet-atoms.h"
#include "aet-volume.h"
#include "aet-camera.h"
#include "aet-colormap.h"
#include "aet-iso-mesh.h"
#include "aet-slice.h"

G_BEGIN_DECLS

typedef enum
{
  AET_ATOM_COLORING_ELEMENT,    /* aet_colormap_element */
  AET_ATOM_COLORING_CATEGORY,   /* qualitative palette of a column (facet) */
  AET_ATOM_COLORING_SEQUENTIAL, /* a column through the sequential map
                                 * (coordination, uncertainty) */
  AET_ATOM_COLORING_DIVERGING,  /* a column through the diverging map, range
                                 * symmetric about 0 (strain, displacement) */
} AetAtomColoring;

typedef struct _AetScene AetScene;

/* An empty scene with a white background.  Caller owns. */
AetScene *aet_scene_new (void);

/* Frees the scene; unrealize it first (with its context current). */
void aet_scene_free (AetScene *scene);

/* Creates the GL objects; the context must be current.  FALSE with the
 * shader log on failure.  All data is uploaded again at the next render. */
gboolean aet_scene_realize (AetScene *scene, GError **error);

/* Deletes the GL objects; the context must be current. */
void aet_scene_unrealize (AetScene *scene);

gboolean aet_scene_is_realized (AetScene *scene);

/* The atoms to draw (a reference is kept; NULL removes them).  Colours
 * are recomputed from the current colouring. */
void aet_scene_set_atoms (AetScene *scene, AetAtoms *atoms);

/* How atoms are coloured; `column` names the per-atom column for the
 * column-based modes (ignored for ELEMENT).  A missing column colours
 * every atom grey. */
void aet_scene_set_atom_coloring (AetScene *scene, AetAtomColoring coloring,
                                  const char *column);

/* The value range of the colour map; automatic (the default) takes the
 * 1st–99th percentiles of the column's finite values, or ± the 98th
 * percentile of |value| for DIVERGING, so a few outliers do not wash out
 * the others (they take the end colours). */
void aet_scene_set_color_range (AetScene *scene, gboolean automatic, gdouble vmin,
                                gdouble vmax);

/* The colour map and range in use, for a legend (aet_colormap_bar_image).
 * FALSE when atoms are coloured by element (no continuous legend). */
gboolean aet_scene_get_legend (AetScene *scene, AetColormap *map, gdouble *vmin,
                               gdouble *vmax);

/* The drawn radius of every atom, Å (default 1.0). */
void aet_scene_set_atom_radius (AetScene *scene, gdouble radius);

void aet_scene_set_show_atoms (AetScene *scene, gboolean show);
void aet_scene_set_show_mesh (AetScene *scene, gboolean show);

/* The volume whose iso-surface is shown and the level.  Keeps a reference
 * and returns a generation number that a mesh computed for it must carry
 * (see the thread notes above); the current mesh stays until replaced. */
guint aet_scene_set_volume (AetScene *scene, AetVolume *volume, gdouble level);

/* Hands a mesh computed for `generation` to the scene (takes ownership).
 * FALSE (and the mesh freed) when it is stale. */
gboolean aet_scene_take_iso_mesh (AetScene *scene, AetIsoMesh *mesh, guint generation);

/* Computes the iso-surface of the current volume now, on this thread
 * (for figures and tests).  FALSE with an error when there is no volume or
 * the computation fails. */
gboolean aet_scene_update_iso_mesh (AetScene *scene, guint n_threads, GError **error);

/* Colour and opacity of the iso-surface; per-vertex colours (facets) are
 * used when the mesh has them and use_vertex_colors is set. */
void aet_scene_set_mesh_appearance (AetScene *scene, const gfloat rgb[3], gfloat alpha,
                                    gboolean use_vertex_colors);

/* The slice to show (takes ownership; NULL hides it) and the half
 * thickness (Å) of the layer whose atoms are marked on it. */
void aet_scene_set_slice (AetScene *scene, AetSlice *slice, gdouble layer_half_thickness);

/* How the slice is coloured: `map` (default AET_COLORMAP_GREY) between
 * the slice's own min and max when `automatic`, else between vmin and vmax
 * (e.g. ± the same bound for every layer of a difference volume, with the
 * diverging map). */
void aet_scene_set_slice_colormap (AetScene *scene, AetColormap map, gboolean automatic,
                                   gdouble vmin, gdouble vmax);

/* The slice's colour map and range, for a legend; FALSE when there is no
 * slice or it is grey (intensities need no colour bar). */
gboolean aet_scene_get_slice_legend (AetScene *scene, AetColormap *map, gdouble *vmin,
                                     gdouble *vmax);

/* The substrate disk (a point on the interface, its normal, a radius, Å). */
void aet_scene_set_substrate (AetScene *scene, gboolean show, const gdouble point[3],
                              const gdouble normal[3], gdouble radius);

/* Background RGBA (straight alpha); alpha 0 gives a transparent figure. */
void aet_scene_set_background (AetScene *scene, const gfloat rgba[4]);
void aet_scene_get_background (AetScene *scene, gfloat rgba[4]);

/* A sphere that holds what is shown (atoms, else the volume box), to frame
 * a camera with aet_camera_frame. */
void aet_scene_get_bounds (AetScene *scene, gdouble center[3], gdouble *radius);

/* Draws into framebuffer `framebuffer` (the one the caller has bound, e.g.
 * read from GL_FRAMEBUFFER_BINDING) over a width × height viewport.
 * Uploads dirty data first.  The scene must be realized. */
void aet_scene_render (AetScene *scene, const AetCamera *camera, gint width, gint height,
                       guint framebuffer);

/* The same with explicit matrices and viewport (offscreen tiles). */
void aet_scene_render_matrices (AetScene *scene, mat4 view, mat4 projection, gint width,
                                gint height, guint framebuffer);

/* The index of the atom under pixel (x, y) (top-left origin) of a
 * width × height view, or -1.  CPU only. */
gssize aet_scene_pick_atom (AetScene *scene, const AetCamera *camera, gdouble x, gdouble y,
                            gint width, gint height);

G_END_DECLS
