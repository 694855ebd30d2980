/* aet-view.h — what a view shows, as plain data shared by the window and
 * figures.
 *
 * The window's viewer, the export dialog and `aet figure` must show the
 * same thing for the same settings, so the rules that turn settings into a
 * scene live here, once: which parts are drawn in each view mode, how atoms
 * are coloured for a column, the plane and spacing of an atomic layer along
 * [hkl] of the fitted lattice, the iso level from its fraction of the
 * volume's range and how the camera frames a particle.  Plain data and CPU
 * code; the scene calls need the thread that owns the GL context only when
 * they render (see aet-scene.h).
 */
#pragma once

#include <glib.h>

#include "aet-atoms.h"
#include "aet-camera.h"
#include "aet-iso-mesh.h"
#include "aet-scene.h"
#include "aet-slice.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef enum
{
  AET_VIEW_ISO,    /* the iso-surface of the volume */
  AET_VIEW_ATOMS,  /* the traced atoms, coloured by the chosen column */
  AET_VIEW_LAYERS, /* one atomic layer of the volume along [hkl], its atoms marked */
  AET_VIEW_FACETS, /* the atoms coloured by facet */
  AET_N_VIEWS
} AetViewMode;

/* "iso", "atoms", "layers", "facets" and back; -1 for an unknown name. */
const char *aet_view_mode_to_string (AetViewMode mode);
gint aet_view_mode_from_string (const char *name);

typedef struct
{
  AetViewMode mode;
  gdouble iso_fraction;   /* iso level as a fraction of the volume's [min, max] */
  char color_column[64];  /* "element", "facet", or a per-atom column */
  gint hkl[3];            /* direction of the layers (crystal frame with a lattice) */
  gint layer_index;       /* layer k: the plane k·spacing from the volume centre */
  gboolean have_lattice;  /* rotation and lattice_a are set */
  gdouble rotation[9];    /* row-major R: sample = R · crystal (AetLatticeFit) */
  gdouble lattice_a;      /* Å */
} AetViewSetup;

/* Iso-surface, level 0.4, atoms by element, layers along [111], layer 0,
 * no lattice. */
void aet_view_setup_init (AetViewSetup *setup);

/* Sets the colour column (NULL: "element"). */
void aet_view_setup_set_color_column (AetViewSetup *setup, const char *column);

/* The lattice for [hkl] directions; rotation NULL or a ≤ 0 forgets it. */
void aet_view_setup_set_lattice (AetViewSetup *setup, const gdouble rotation[9], gdouble a);

/* The unit normal of the layers in the volume frame: R·[hkl] with a
 * lattice, else [hkl] along the volume axes. */
void aet_view_direction (const AetViewSetup *setup, const gint hkl[3], gdouble n[3]);

/* The spacing of the lattice planes along hkl (Å): a/√N when h, k, l are
 * all odd, else a/(2√N) (FCC); 2 Å without a lattice. */
gdouble aet_view_layer_spacing (const AetViewSetup *setup);

/* `index` clamped so the plane stays inside `volume` (unchanged if NULL). */
gint aet_view_clamp_layer (const AetViewSetup *setup, const AetVolume *volume, gint index);

/* The iso level of `volume` for setup->iso_fraction (clamped to
 * [0.02, 0.98]) of its [min, max]. */
gdouble aet_view_iso_level (const AetViewSetup *setup, const AetVolume *volume);

/* The current layer of `volume` sampled at its voxel size.  Caller owns;
 * NULL with an error (see aet_slice_sample). */
AetSlice *aet_view_sample_layer (const AetViewSetup *setup, const AetVolume *volume,
                                 GError **error);

/* Sets what the scene shows and how atoms are coloured for setup's mode
 * and column (with no atoms, every mode but layers shows the surface).  In
 * the facets view with `facet_surface` (a volume whose surface carries the
 * facet colours: aet_view_color_mesh_by_facet) the surface is shown in
 * those colours instead of the atoms.  Does not touch the slice, the
 * volume or the camera. */
void aet_view_apply (const AetViewSetup *setup, AetScene *scene, gboolean have_atoms,
                     gboolean facet_surface);

/* Frames the camera on the atoms (their centroid and the 98th percentile
 * of their distances from it, so a stray false atom does not shrink the
 * particle), else on the middle of the volume (the particle fills about
 * half of the box).  Keeps the orientation.  FALSE when there is neither. */
gboolean aet_view_frame_camera (AetCamera *camera, const AetAtoms *atoms,
                                const AetVolume *volume);

/* Colours each vertex of `mesh` with the category colour of the `column`
 * value ("facet") of the nearest atom within 2 Å, else light grey — the
 * facets view's surface.  Any thread.  FALSE when the column is missing. */
gboolean aet_view_color_mesh_by_facet (AetIsoMesh *mesh, const AetAtoms *atoms,
                                       const char *column, GError **error);

/* The look of the window's 3D view: light grey background, gold surface. */
void aet_view_style_scene (AetScene *scene);

G_END_DECLS
