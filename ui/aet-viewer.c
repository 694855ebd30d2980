#define G_LOG_DOMAIN "aet-viewer"

#include "aet-viewer.h"

#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-offscreen.h"

struct _AetViewer
{
  GtkGLArea parent_instance;

  AetScene *scene;
  AetCamera *camera;
  AetVolume *volume;
  AetAtoms *atoms;
  gdouble vmin, vmax; /* the volume's value range */
  gdouble signed_bound; /* > 0: a signed volume (a difference) shown over ±bound */
  AetViewSetup setup; /* mode, level, colouring, layer, lattice (render/aet-view.h) */

  /* mesh worker state (main thread only) */
  gboolean mesh_busy;
  gboolean mesh_facets; /* the last mesh asked for carries facet colours */
  gboolean mesh_pending;
  gboolean framed;       /* the camera has been framed on data once */
  gboolean atoms_framed; /* … and on atoms once */

  /* split view: `split_other`'s scene drawn right of the divider (a
   * reference is held); `split_host` is the viewer drawing this one's scene */
  AetViewer *split_other;
  AetViewer *split_host;
  gdouble divider;

  /* gestures */
  guint drag_button;
  gdouble drag_x, drag_y, last_dx, last_dy;
};

G_DEFINE_FINAL_TYPE (AetViewer, aet_viewer, GTK_TYPE_GL_AREA)

enum
{
  PROP_0,
  PROP_VIEW_MODE,
  PROP_LAYER_INDEX,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_CAMERA_CHANGED,
  SIGNAL_ATOM_PICKED,
  SIGNAL_LEGEND_CHANGED,
  SIGNAL_MESH_READY,
  SIGNAL_DATA_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---- iso-surface on a worker thread ------------------------------------ */

typedef struct
{
  GWeakRef viewer;
  AetVolume *volume;
  gdouble level;
  gboolean absolute; /* the surface of |v| (a signed volume) */
  AetAtoms *facets;  /* facets view: colour the surface by these atoms' facets */
  guint generation;
  AetIsoMesh *mesh;
} MeshRequest;

static void
mesh_request_free (gpointer data)
{
  MeshRequest *req = data;
  g_weak_ref_clear (&req->viewer);
  g_clear_pointer (&req->volume, aet_volume_unref);
  g_clear_pointer (&req->facets, aet_atoms_unref);
  g_clear_pointer (&req->mesh, aet_iso_mesh_free);
  g_free (req);
}

static void start_mesh (AetViewer *self);

/* Main thread: redraws this viewer, and the one that shows its scene
 * beside its own in a split view. */
static void
queue_render (AetViewer *self)
{
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  if (self->split_host != NULL)
    gtk_gl_area_queue_render (GTK_GL_AREA (self->split_host));
}

/* Main thread (idle): the mesh is done; the scene drops it if stale. */
static gboolean
mesh_ready_idle (gpointer data)
{
  MeshRequest *req = data;
  g_autoptr (AetViewer) self = g_weak_ref_get (&req->viewer);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  self->mesh_busy = FALSE;
  if (req->mesh != NULL)
    aet_scene_take_iso_mesh (self->scene, g_steal_pointer (&req->mesh), req->generation);
  if (self->mesh_pending)
    start_mesh (self);
  queue_render (self);
  g_signal_emit (self, signals[SIGNAL_MESH_READY], 0);
  return G_SOURCE_REMOVE;
}

/* Trilinear value of `v` at a point (Å), clamped to the grid. */
static gdouble
sample (const AetVolume *v, const gfloat p[3])
{
  const gint n[3] = { v->nx, v->ny, v->nz };
  gint i0[3];
  gdouble f[3];
  for (int k = 0; k < 3; k++)
    {
      gdouble x = CLAMP ((p[k] - v->origin[k]) / v->voxel_size, 0.0, n[k] - 1.0);
      i0[k] = MIN ((gint) x, MAX (n[k] - 2, 0));
      f[k] = n[k] > 1 ? x - i0[k] : 0.0;
    }
  gdouble sum = 0;
  for (int c = 0; c < 8; c++)
    {
      gint i = MIN (i0[0] + (c & 1), n[0] - 1), j = MIN (i0[1] + ((c >> 1) & 1), n[1] - 1);
      gint k = MIN (i0[2] + ((c >> 2) & 1), n[2] - 1);
      gdouble w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1])
                  * (((c >> 2) & 1) ? f[2] : 1 - f[2]);
      sum += w * v->data[aet_volume_index (v, i, j, k)];
    }
  return sum;
}

/* Worker thread: marching cubes over an immutable snapshot, no GTK, no GL.
 * For a signed volume the surface is that of |v|, each vertex coloured by
 * the sign of v there (the ends of the diverging map, as the layers). */
static gpointer
mesh_thread (gpointer data)
{
  MeshRequest *req = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) magnitude = NULL;
  if (req->absolute)
    {
      magnitude = aet_volume_dup (req->volume);
      gsize n = aet_volume_n_voxels (magnitude);
      for (gsize i = 0; i < n; i++)
        magnitude->data[i] = fabsf (magnitude->data[i]);
    }
  req->mesh = aet_iso_mesh_compute (magnitude != NULL ? magnitude : req->volume, req->level, 2,
                                    NULL, &error);
  if (req->mesh == NULL)
    g_debug ("iso-surface: %s", error->message);
  else if (req->facets != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!aet_view_color_mesh_by_facet (req->mesh, req->facets, "facet", &local))
        g_debug ("facet colours: %s", local->message);
    }
  else if (req->absolute)
    {
      AetIsoMesh *m = req->mesh;
      gfloat plus[3], minus[3];
      aet_colormap_map (AET_COLORMAP_DIVERGING, 0.8, -1, 1, plus);
      aet_colormap_map (AET_COLORMAP_DIVERGING, -0.8, -1, 1, minus);
      g_free (m->colors);
      m->colors = g_new (gfloat, 3 * (gsize) MAX (m->n_vertices, 1));
      for (guint i = 0; i < m->n_vertices; i++)
        memcpy (m->colors + 3 * i, sample (req->volume, m->positions + 3 * i) >= 0 ? plus : minus,
                3 * sizeof (gfloat));
    }
  g_idle_add_full (G_PRIORITY_DEFAULT, mesh_ready_idle, req, mesh_request_free);
  return NULL;
}

/* Main thread.  At most one mesh is computed at a time per viewer; a
 * request made meanwhile is remembered and started when it ends, with the
 * newest volume and level. */
static void
start_mesh (AetViewer *self)
{
  if (self->mesh_busy)
    {
      self->mesh_pending = TRUE;
      return;
    }
  self->mesh_pending = FALSE;
  gdouble level = self->signed_bound > 0
                    ? self->setup.iso_fraction * self->signed_bound
                    : self->vmin + self->setup.iso_fraction * (self->vmax - self->vmin);
  guint gen = aet_scene_set_volume (self->scene, self->volume, level);
  if (self->volume == NULL)
    {
      aet_scene_take_iso_mesh (self->scene, aet_iso_mesh_new (0, 0), gen);
      return;
    }
  MeshRequest *req = g_new0 (MeshRequest, 1);
  g_weak_ref_init (&req->viewer, self);
  req->volume = aet_volume_ref (self->volume);
  req->level = level;
  req->absolute = self->signed_bound > 0;
  if (self->setup.mode == AET_VIEW_FACETS && self->atoms != NULL
      && aet_atoms_get_column (self->atoms, "facet") != NULL && !req->absolute)
    req->facets = aet_atoms_ref (self->atoms);
  self->mesh_facets = req->facets != NULL;
  req->generation = gen;
  self->mesh_busy = TRUE;
  g_thread_unref (g_thread_new ("aet-iso-mesh", mesh_thread, req));
}

gboolean
aet_viewer_is_busy (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), FALSE);
  return self->mesh_busy || self->mesh_pending;
}

/* ---- what is shown ----------------------------------------------------- */

static void
update_slice (AetViewer *self)
{
  if (self->setup.mode != AET_VIEW_LAYERS || self->volume == NULL)
    {
      aet_scene_set_slice (self->scene, NULL, 0);
      return;
    }
  g_autoptr (GError) error = NULL;
  AetSlice *slice = aet_view_sample_layer (&self->setup, self->volume, &error);
  if (slice == NULL)
    g_warning ("layer: %s", error->message);
  aet_scene_set_slice (self->scene, slice, aet_view_layer_spacing (&self->setup) / 2.0);
  if (self->signed_bound > 0)
    aet_scene_set_slice_colormap (self->scene, AET_COLORMAP_DIVERGING, FALSE,
                                  -self->signed_bound, self->signed_bound);
  else
    aet_scene_set_slice_colormap (self->scene, AET_COLORMAP_GREY, TRUE, 0, 0);
}

static void
apply_coloring (AetViewer *self)
{
  aet_view_apply (&self->setup, self->scene, self->atoms != NULL,
                  self->volume != NULL && self->signed_bound <= 0);
  g_signal_emit (self, signals[SIGNAL_LEGEND_CHANGED], 0);
}

static void
apply_mode (AetViewer *self)
{
  update_slice (self);
  apply_coloring (self);
  queue_render (self);
}

static void
frame_camera (AetViewer *self)
{
  if (!aet_view_frame_camera (self->camera, self->atoms, self->volume))
    {
      gdouble c[3], r;
      aet_scene_get_bounds (self->scene, c, &r);
      aet_camera_frame (self->camera, c, r * 1.05);
    }
}

/* Looks at the layer face-on. */
static void
view_layer_face_on (AetViewer *self)
{
  gdouble n[3];
  aet_view_direction (&self->setup, self->setup.hkl, n);
  aet_camera_view_along (self->camera, n, NULL);
}

static void
camera_changed (AetViewer *self)
{
  queue_render (self);
  g_signal_emit (self, signals[SIGNAL_CAMERA_CHANGED], 0);
}

static void
set_volume (AetViewer *self, AetVolume *volume, gdouble signed_bound)
{
  if (volume != NULL)
    aet_volume_ref (volume);
  g_clear_pointer (&self->volume, aet_volume_unref);
  self->volume = volume;
  self->signed_bound = volume != NULL && signed_bound > 0 && isfinite (signed_bound)
                         ? signed_bound : 0;
  if (volume != NULL)
    {
      AetVolumeStats st;
      aet_volume_get_stats (volume, &st);
      self->vmin = st.min;
      self->vmax = st.max > st.min ? st.max : st.min + 1.0;
    }
  start_mesh (self);
  if (!self->framed && volume != NULL)
    {
      /* the particle fills about half of the box */
      gdouble c[3], n[3] = { volume->nx, volume->ny, volume->nz };
      for (int i = 0; i < 3; i++)
        c[i] = volume->origin[i] + 0.5 * (n[i] - 1) * volume->voxel_size;
      aet_camera_frame (self->camera, c, 0.42 * volume->voxel_size * MAX (n[0], n[1]));
      self->framed = TRUE;
      camera_changed (self);
    }
  apply_mode (self);
  g_signal_emit (self, signals[SIGNAL_DATA_CHANGED], 0);
}

void
aet_viewer_set_volume (AetViewer *self, AetVolume *volume)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  set_volume (self, volume, 0);
}

void
aet_viewer_set_signed_volume (AetViewer *self, AetVolume *volume, gdouble bound)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  set_volume (self, volume, bound);
}

gdouble
aet_viewer_get_signed_bound (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), 0);
  return self->signed_bound;
}

AetVolume *
aet_viewer_get_volume (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->volume;
}

void
aet_viewer_set_atoms (AetViewer *self, AetAtoms *atoms)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  if (atoms != NULL)
    aet_atoms_ref (atoms);
  g_clear_pointer (&self->atoms, aet_atoms_unref);
  self->atoms = atoms;
  gboolean had_atoms = self->atoms_framed;
  aet_scene_set_atoms (self->scene, atoms);
  if ((!self->framed || !had_atoms) && atoms != NULL && atoms->n_atoms > 0)
    {
      self->atoms_framed = TRUE;
      frame_camera (self);
      self->framed = TRUE;
      camera_changed (self);
    }
  apply_mode (self);
  if (self->setup.mode == AET_VIEW_FACETS && self->volume != NULL)
    start_mesh (self);
  g_signal_emit (self, signals[SIGNAL_DATA_CHANGED], 0);
}

AetAtoms *
aet_viewer_get_atoms (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->atoms;
}

void
aet_viewer_set_color_column (AetViewer *self, const char *column)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  aet_view_setup_set_color_column (&self->setup, column);
  apply_coloring (self);
  queue_render (self);
}

const char *
aet_viewer_get_color_column (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->setup.color_column;
}

void
aet_viewer_set_iso_level (AetViewer *self, gdouble fraction)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  fraction = CLAMP (fraction, 0.02, 0.98);
  if (fraction == self->setup.iso_fraction)
    return;
  self->setup.iso_fraction = fraction;
  start_mesh (self);
}

gdouble
aet_viewer_get_iso_level (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), 0);
  return self->setup.iso_fraction;
}

void
aet_viewer_set_view_mode (AetViewer *self, AetViewMode mode)
{
  g_return_if_fail (AET_IS_VIEWER (self) && mode < AET_N_VIEWS);
  if (mode == self->setup.mode)
    return;
  self->setup.mode = mode;
  apply_mode (self);
  if ((mode == AET_VIEW_FACETS) != self->mesh_facets && self->volume != NULL)
    start_mesh (self);
  if (mode == AET_VIEW_LAYERS)
    {
      view_layer_face_on (self);
      camera_changed (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_MODE]);
}

AetViewMode
aet_viewer_get_view_mode (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), AET_VIEW_ISO);
  return self->setup.mode;
}

void
aet_viewer_set_lattice (AetViewer *self, const gdouble rotation[9], gdouble a)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  aet_view_setup_set_lattice (&self->setup, rotation, a);
  update_slice (self);
  queue_render (self);
}

void
aet_viewer_set_layer_hkl (AetViewer *self, gint h, gint k, gint l)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  if (h == 0 && k == 0 && l == 0)
    return;
  self->setup.hkl[0] = h;
  self->setup.hkl[1] = k;
  self->setup.hkl[2] = l;
  aet_viewer_set_layer_index (self, 0);
}

void
aet_viewer_set_layer_index (AetViewer *self, gint index)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  /* keep the plane inside the volume */
  index = aet_view_clamp_layer (&self->setup, self->volume, index);
  if (index == self->setup.layer_index)
    {
      update_slice (self);
      queue_render (self);
      return;
    }
  self->setup.layer_index = index;
  update_slice (self);
  queue_render (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYER_INDEX]);
}

void
aet_viewer_step_layer (AetViewer *self, gint steps)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  aet_viewer_set_layer_index (self, self->setup.layer_index + steps);
}

gint
aet_viewer_get_layer_index (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), 0);
  return self->setup.layer_index;
}

gboolean
aet_viewer_view_along_hkl (AetViewer *self, gint h, gint k, gint l)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), FALSE);
  if (h == 0 && k == 0 && l == 0)
    return FALSE;
  const gint hkl[3] = { h, k, l };
  gdouble n[3];
  aet_view_direction (&self->setup, hkl, n);
  if (!aet_camera_view_along (self->camera, n, NULL))
    return FALSE;
  camera_changed (self);
  return TRUE;
}

void
aet_viewer_view_along_beam (AetViewer *self)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  const gdouble z[3] = { 0, 0, 1 };
  aet_camera_view_along (self->camera, z, NULL);
  camera_changed (self);
}

void
aet_viewer_reset_view (AetViewer *self)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  frame_camera (self);
  aet_camera_reset (self->camera);
  camera_changed (self);
}

const AetViewSetup *
aet_viewer_get_setup (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return &self->setup;
}

const AetCamera *
aet_viewer_get_camera (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->camera;
}

void
aet_viewer_copy_camera (AetViewer *self, const AetCamera *camera)
{
  g_return_if_fail (AET_IS_VIEWER (self) && camera != NULL);
  aet_camera_copy_from (self->camera, camera);
  self->framed = TRUE;
  queue_render (self);
}

AetScene *
aet_viewer_get_scene (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->scene;
}

gboolean
aet_viewer_get_legend (AetViewer *self, AetColormap *map, gdouble *vmin, gdouble *vmax)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), FALSE);
  if (self->setup.mode == AET_VIEW_LAYERS)
    return aet_scene_get_slice_legend (self->scene, map, vmin, vmax);
  if (self->atoms == NULL || self->setup.mode == AET_VIEW_ISO)
    return FALSE;
  return aet_scene_get_legend (self->scene, map, vmin, vmax);
}

void
aet_viewer_set_substrate (AetViewer *self, gboolean show, const gdouble point[3],
                          const gdouble normal[3], gdouble radius)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  aet_scene_set_substrate (self->scene, show && point != NULL && normal != NULL, point, normal,
                           radius);
  queue_render (self);
}

/* ---- split view -------------------------------------------------------- */

void
aet_viewer_set_split (AetViewer *self, AetViewer *other)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  g_return_if_fail (other == NULL || (AET_IS_VIEWER (other) && other != self));
  if (other == self->split_other)
    return;
  if (self->split_other != NULL)
    {
      self->split_other->split_host = NULL;
      g_clear_object (&self->split_other);
    }
  if (other != NULL)
    {
      g_return_if_fail (other->split_host == NULL);
      self->split_other = g_object_ref (other);
      other->split_host = self;
      /* its scene needs GL objects even while it is not shown itself */
      if (gtk_widget_get_realized (GTK_WIDGET (self)))
        gtk_widget_realize (GTK_WIDGET (other));
    }
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

AetViewer *
aet_viewer_get_split (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  return self->split_other;
}

void
aet_viewer_set_divider (AetViewer *self, gdouble position)
{
  g_return_if_fail (AET_IS_VIEWER (self));
  if (!isfinite (position))
    return;
  position = CLAMP (position, 0.0, 1.0);
  if (position == self->divider)
    return;
  self->divider = position;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

gdouble
aet_viewer_get_divider (AetViewer *self)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), 0.5);
  return self->divider;
}

/* The divider's column in framebuffer pixels of a width-wide view. */
static gint
divider_column (AetViewer *self, gint width)
{
  return (gint) lround (self->divider * width);
}

guint8 *
aet_viewer_render_image (AetViewer *self, gint width, gint height, GError **error)
{
  g_return_val_if_fail (AET_IS_VIEWER (self), NULL);
  if (!gtk_widget_get_realized (GTK_WIDGET (self)) || !aet_scene_is_realized (self->scene))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "export: the 3D view is not shown, so there is no GL context to draw with");
      return NULL;
    }
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  guint8 *rgba = aet_offscreen_render (self->scene, self->camera, width, height, NULL, error);
  queue_render (self);
  return rgba;
}

/* ---- GL lifecycle (main thread) ---------------------------------------- */

static void
aet_viewer_realize (GtkWidget *widget)
{
  AetViewer *self = AET_VIEWER (widget);
  GTK_WIDGET_CLASS (aet_viewer_parent_class)->realize (widget);
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!aet_scene_realize (self->scene, &error))
    gtk_gl_area_set_error (GTK_GL_AREA (self), error);
  if (self->split_other != NULL)
    gtk_widget_realize (GTK_WIDGET (self->split_other));
}

static void
aet_viewer_unrealize (GtkWidget *widget)
{
  AetViewer *self = AET_VIEWER (widget);
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) == NULL)
    aet_scene_unrealize (self->scene);
  GTK_WIDGET_CLASS (aet_viewer_parent_class)->unrealize (widget);
}

static gboolean
aet_viewer_render (GtkGLArea *area, GdkGLContext *context)
{
  AetViewer *self = AET_VIEWER (area);
  if (!aet_scene_is_realized (self->scene))
    return FALSE;
  GLint fb = 0;
  glGetIntegerv (GL_FRAMEBUFFER_BINDING, &fb);
  gint scale = gtk_widget_get_scale_factor (GTK_WIDGET (area));
  gint w = gtk_widget_get_width (GTK_WIDGET (area)) * scale;
  gint h = gtk_widget_get_height (GTK_WIDGET (area)) * scale;
  if (w <= 0 || h <= 0)
    return TRUE;
  AetViewer *other = self->split_other;
  /* The other scene's GL objects are usable here only when both areas
   * draw with one context (the compare view makes them share it). */
  if (other == NULL || gtk_gl_area_get_context (GTK_GL_AREA (other)) != context
      || !aet_scene_is_realized (other->scene))
    {
      if (other != NULL)
        g_debug ("split view: the second viewer has no GL objects in this context");
      aet_scene_render (self->scene, self->camera, w, h, (guint) fb);
      return TRUE;
    }
  /* Split view: each scene is drawn (and cleared) inside its own scissor
   * rectangle, through this viewer's camera, into this one framebuffer. */
  gint x = divider_column (self, w);
  glEnable (GL_SCISSOR_TEST);
  if (x > 0)
    {
      glScissor (0, 0, x, h);
      aet_scene_render (self->scene, self->camera, w, h, (guint) fb);
    }
  if (x < w)
    {
      glScissor (x, 0, w - x, h);
      aet_scene_render (other->scene, self->camera, w, h, (guint) fb);
    }
  glDisable (GL_SCISSOR_TEST);
  return TRUE;
}

/* ---- input (main thread) ----------------------------------------------- */

static void
drag_begin (GtkGestureDrag *gesture, gdouble x, gdouble y, AetViewer *self)
{
  self->drag_button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  self->drag_x = x;
  self->drag_y = y;
  self->last_dx = self->last_dy = 0;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->drag_button == GDK_BUTTON_PRIMARY)
    aet_camera_arcball_begin (self->camera, x, y, gtk_widget_get_width (GTK_WIDGET (self)),
                              gtk_widget_get_height (GTK_WIDGET (self)));
}

static void
drag_update (GtkGestureDrag *gesture, gdouble dx, gdouble dy, AetViewer *self)
{
  if (self->drag_button == GDK_BUTTON_PRIMARY)
    aet_camera_arcball_drag (self->camera, self->drag_x + dx, self->drag_y + dy);
  else
    aet_camera_pan (self->camera, dx - self->last_dx, dy - self->last_dy,
                    gtk_widget_get_width (GTK_WIDGET (self)),
                    gtk_widget_get_height (GTK_WIDGET (self)));
  self->last_dx = dx;
  self->last_dy = dy;
  camera_changed (self);
}

static void
drag_end (GtkGestureDrag *gesture, gdouble dx, gdouble dy, AetViewer *self)
{
  /* a press without motion is a click: pick the atom under it */
  if (self->drag_button != GDK_BUTTON_PRIMARY || fabs (dx) > 3 || fabs (dy) > 3)
    return;
  gint width = gtk_widget_get_width (GTK_WIDGET (self));
  /* right of a split view's divider the other viewer's atoms are shown */
  AetViewer *owner = self;
  if (self->split_other != NULL && self->drag_x >= self->divider * width)
    owner = self->split_other;
  if (owner->atoms == NULL || self->setup.mode == AET_VIEW_ISO
      || self->setup.mode == AET_VIEW_LAYERS)
    return;
  gssize index = aet_scene_pick_atom (owner->scene, self->camera, self->drag_x, self->drag_y,
                                      width, gtk_widget_get_height (GTK_WIDGET (self)));
  if (index >= 0)
    g_signal_emit (owner, signals[SIGNAL_ATOM_PICKED], 0, (gint) index);
}

static gboolean
scroll (GtkEventControllerScroll *controller, gdouble dx, gdouble dy, AetViewer *self)
{
  aet_camera_zoom (self->camera, pow (1.1, dy));
  camera_changed (self);
  return TRUE;
}

static void
action_mode (GtkWidget *widget, const char *name, GVariant *param)
{
  gint mode = aet_view_mode_from_string (g_variant_get_string (param, NULL));
  if (mode >= 0)
    aet_viewer_set_view_mode (AET_VIEWER (widget), mode);
}

static void
action_layer (GtkWidget *widget, const char *name, GVariant *param)
{
  aet_viewer_step_layer (AET_VIEWER (widget), g_str_equal (name, "viewer.layer-up") ? 1 : -1);
}

static void
action_reset (GtkWidget *widget, const char *name, GVariant *param)
{
  aet_viewer_reset_view (AET_VIEWER (widget));
}

/* ---- GObject ----------------------------------------------------------- */

static void
aet_viewer_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AetViewer *self = AET_VIEWER (object);
  switch (id)
    {
    case PROP_VIEW_MODE:
      g_value_set_int (value, self->setup.mode);
      break;
    case PROP_LAYER_INDEX:
      g_value_set_int (value, self->setup.layer_index);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
aet_viewer_dispose (GObject *object)
{
  AetViewer *self = AET_VIEWER (object);
  aet_viewer_set_split (self, NULL);
  if (self->split_host != NULL)
    aet_viewer_set_split (self->split_host, NULL);
  G_OBJECT_CLASS (aet_viewer_parent_class)->dispose (object);
}

static void
aet_viewer_finalize (GObject *object)
{
  AetViewer *self = AET_VIEWER (object);
  aet_scene_free (self->scene);
  aet_camera_free (self->camera);
  g_clear_pointer (&self->volume, aet_volume_unref);
  g_clear_pointer (&self->atoms, aet_atoms_unref);
  G_OBJECT_CLASS (aet_viewer_parent_class)->finalize (object);
}

static void
aet_viewer_class_init (AetViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = aet_viewer_dispose;
  object_class->finalize = aet_viewer_finalize;
  object_class->get_property = aet_viewer_get_property;
  widget_class->realize = aet_viewer_realize;
  widget_class->unrealize = aet_viewer_unrealize;
  GTK_GL_AREA_CLASS (klass)->render = aet_viewer_render;

  properties[PROP_VIEW_MODE] = g_param_spec_int ("view-mode", NULL, NULL, 0, AET_N_VIEWS - 1,
                                                 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                      | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAYER_INDEX] = g_param_spec_int (
    "layer-index", NULL, NULL, G_MININT, G_MAXINT, 0,
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Main thread: the user turned, zoomed or panned the view. */
  signals[SIGNAL_CAMERA_CHANGED] = g_signal_new ("camera-changed", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 0);
  /* Main thread: a click on an atom, with its index in the atom set. */
  signals[SIGNAL_ATOM_PICKED] = g_signal_new ("atom-picked", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_INT);
  /* Main thread: the colouring (and so the legend) changed. */
  signals[SIGNAL_LEGEND_CHANGED] = g_signal_new ("legend-changed", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 0);
  /* Main thread: a mesh came back from the worker (current or stale). */
  signals[SIGNAL_MESH_READY] = g_signal_new ("mesh-ready", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
  /* Main thread: a new volume or atom set was given to the viewer. */
  signals[SIGNAL_DATA_CHANGED] = g_signal_new ("data-changed", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "viewer.mode", "s", action_mode);
  gtk_widget_class_install_action (widget_class, "viewer.layer-up", NULL, action_layer);
  gtk_widget_class_install_action (widget_class, "viewer.layer-down", NULL, action_layer);
  gtk_widget_class_install_action (widget_class, "viewer.reset", NULL, action_reset);
  /* the viewer's own shortcuts (active while it has the focus) */
  for (int i = 0; i < AET_N_VIEWS; i++)
    {
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, 0, "viewer.mode", "s",
                                           aet_view_mode_to_string (i));
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_1 + i, 0, "viewer.mode",
                                           "s", aet_view_mode_to_string (i));
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, 0, "win.compare", NULL);
  /* layers: the arrow keys (the shortcuts window shows them as ↑ ↓; GTK
   * labels Page Up as "Page_Up" in English) and Page Up / Page Down */
  const guint up_keys[] = { GDK_KEY_Up, GDK_KEY_KP_Up, GDK_KEY_Page_Up, GDK_KEY_KP_Page_Up };
  const guint down_keys[] = { GDK_KEY_Down, GDK_KEY_KP_Down, GDK_KEY_Page_Down,
                              GDK_KEY_KP_Page_Down };
  for (gsize i = 0; i < G_N_ELEMENTS (up_keys); i++)
    {
      gtk_widget_class_add_binding_action (widget_class, up_keys[i], 0, "viewer.layer-up",
                                           NULL);
      gtk_widget_class_add_binding_action (widget_class, down_keys[i], 0, "viewer.layer-down",
                                           NULL);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, 0, "viewer.reset", NULL);
  gtk_widget_class_set_css_name (widget_class, "aetviewer");
}

static void
aet_viewer_init (AetViewer *self)
{
  self->scene = aet_scene_new ();
  self->camera = aet_camera_new ();
  aet_view_setup_init (&self->setup);
  self->vmax = 1.0;
  self->divider = 0.5;
  aet_view_style_scene (self->scene);

  gtk_gl_area_set_required_version (GTK_GL_AREA (self), 3, 3);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), TRUE);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);

  GtkGesture *drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  GtkEventController *sc = gtk_event_controller_scroll_new (
    GTK_EVENT_CONTROLLER_SCROLL_VERTICAL | GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  g_signal_connect (sc, "scroll", G_CALLBACK (scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), sc);
}

GtkWidget *
aet_viewer_new (void)
{
  return g_object_new (AET_TYPE_VIEWER, NULL);
}
