#define G_LOG_DOMAIN "aet-scene"

#include "aet-scene.h"

#include <math.h>
#include <stdlib.h>

#include "aet-atom-renderer.h"
#include "aet-error.h"
#include "aet-gl.h"
#include "aet-mesh-renderer.h"
#include "aet-slice-renderer.h"
#include "aet-substrate.h"

struct _AetScene
{
  /* data (main thread) */
  AetAtoms *atoms;
  gfloat *atom_centers, *atom_radii, *atom_colors;
  AetAtomColoring coloring;
  char *column;
  gboolean auto_range;
  gdouble vmin, vmax;
  gdouble atom_radius;
  gboolean show_atoms, show_mesh;

  AetVolume *volume;
  gdouble level;
  guint generation;
  AetIsoMesh *mesh;
  gfloat mesh_rgb[3];
  gfloat mesh_alpha;
  gboolean mesh_vertex_colors;

  AetSlice *slice;
  gdouble layer_half_thickness;
  AetColormap slice_map;
  gboolean slice_auto_range;
  gdouble slice_min, slice_max;

  AetIsoMesh *substrate;

  gfloat background[4];

  /* GL side */
  gboolean realized;
  AetAtomRenderer *atom_renderer;
  AetMeshRenderer *mesh_renderer;
  AetMeshRenderer *substrate_renderer;
  AetSliceRenderer *slice_renderer;
  gboolean atoms_dirty, mesh_dirty, slice_dirty, substrate_dirty, slice_map_dirty;
};

AetScene *
aet_scene_new (void)
{
  AetScene *s = g_new0 (AetScene, 1);
  s->coloring = AET_ATOM_COLORING_ELEMENT;
  s->auto_range = TRUE;
  s->atom_radius = 1.0;
  s->show_atoms = TRUE;
  s->show_mesh = TRUE;
  s->mesh_rgb[0] = 0.80f;
  s->mesh_rgb[1] = 0.72f;
  s->mesh_rgb[2] = 0.45f;
  s->mesh_alpha = 1.0f;
  s->mesh_vertex_colors = TRUE;
  s->layer_half_thickness = 1.0;
  s->slice_map = AET_COLORMAP_GREY;
  s->slice_auto_range = TRUE;
  for (guint i = 0; i < 4; i++)
    s->background[i] = 1.0f;
  return s;
}

void
aet_scene_free (AetScene *s)
{
  if (s == NULL)
    return;
  if (s->realized)
    g_warning ("aet_scene_free: the scene is still realized; its GL objects leak");
  g_clear_pointer (&s->atoms, aet_atoms_unref);
  g_free (s->atom_centers);
  g_free (s->atom_radii);
  g_free (s->atom_colors);
  g_free (s->column);
  g_clear_pointer (&s->volume, aet_volume_unref);
  aet_iso_mesh_free (s->mesh);
  aet_slice_free (s->slice);
  aet_iso_mesh_free (s->substrate);
  g_free (s);
}

gboolean
aet_scene_realize (AetScene *s, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->realized)
    return TRUE;
  s->atom_renderer = aet_atom_renderer_new (error);
  if (s->atom_renderer != NULL)
    s->mesh_renderer = aet_mesh_renderer_new (error);
  if (s->mesh_renderer != NULL)
    s->substrate_renderer = aet_mesh_renderer_new (error);
  if (s->substrate_renderer != NULL)
    s->slice_renderer = aet_slice_renderer_new (error);
  if (s->slice_renderer == NULL)
    {
      g_clear_pointer (&s->atom_renderer, aet_atom_renderer_free);
      g_clear_pointer (&s->mesh_renderer, aet_mesh_renderer_free);
      g_clear_pointer (&s->substrate_renderer, aet_mesh_renderer_free);
      return FALSE;
    }
  s->realized = TRUE;
  s->atoms_dirty = s->mesh_dirty = s->slice_dirty = s->substrate_dirty = TRUE;
  s->slice_map_dirty = TRUE;
  return TRUE;
}

void
aet_scene_unrealize (AetScene *s)
{
  g_return_if_fail (s != NULL);
  if (!s->realized)
    return;
  g_clear_pointer (&s->atom_renderer, aet_atom_renderer_free);
  g_clear_pointer (&s->mesh_renderer, aet_mesh_renderer_free);
  g_clear_pointer (&s->substrate_renderer, aet_mesh_renderer_free);
  g_clear_pointer (&s->slice_renderer, aet_slice_renderer_free);
  s->realized = FALSE;
}

gboolean
aet_scene_is_realized (AetScene *s)
{
  return s->realized;
}

static AetColormap
coloring_map (AetAtomColoring c)
{
  switch (c)
    {
    case AET_ATOM_COLORING_CATEGORY:
      return AET_COLORMAP_QUALITATIVE;
    case AET_ATOM_COLORING_DIVERGING:
      return AET_COLORMAP_DIVERGING;
    case AET_ATOM_COLORING_SEQUENTIAL:
    case AET_ATOM_COLORING_ELEMENT:
    default:
      return AET_COLORMAP_SEQUENTIAL;
    }
}

static int
compare_floats (const void *a, const void *b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;
  return (x > y) - (x < y);
}

static void
update_range (AetScene *s)
{
  if (!s->auto_range)
    return;
  s->vmin = 0;
  s->vmax = 1;
  if (s->atoms == NULL || s->column == NULL)
    return;
  const gfloat *values = aet_atoms_get_column (s->atoms, s->column);
  if (values == NULL)
    return;
  /* a robust range: a few stray atoms (noisy surface fits) must not wash
   * out the colours of all the others; values beyond it take the end colours */
  g_autofree gfloat *v = g_new (gfloat, MAX (s->atoms->n_atoms, 1));
  gsize n = 0;
  gboolean diverging = s->coloring == AET_ATOM_COLORING_DIVERGING;
  for (gsize i = 0; i < s->atoms->n_atoms; i++)
    if (isfinite (values[i]))
      v[n++] = diverging ? fabsf (values[i]) : values[i];
  if (n == 0)
    return;
  qsort (v, n, sizeof (gfloat), compare_floats);
  if (diverging)
    {
      gdouble m = v[(gsize) floor (0.98 * (n - 1))];
      if (!(m > 0))
        m = v[n - 1] > 0 ? v[n - 1] : 1;
      s->vmin = -m;
      s->vmax = m;
    }
  else
    {
      gdouble lo = v[(gsize) floor (0.01 * (n - 1))], hi = v[(gsize) ceil (0.99 * (n - 1))];
      if (!(hi > lo))
        {
          lo = v[0];
          hi = v[n - 1] > v[0] ? v[n - 1] : v[0] + 1;
        }
      s->vmin = lo;
      s->vmax = hi;
    }
}

static void
update_atom_arrays (AetScene *s)
{
  g_clear_pointer (&s->atom_centers, g_free);
  g_clear_pointer (&s->atom_radii, g_free);
  g_clear_pointer (&s->atom_colors, g_free);
  s->atoms_dirty = TRUE;
  if (s->atoms == NULL)
    return;
  gsize n = s->atoms->n_atoms;
  s->atom_centers = g_new (gfloat, 3 * MAX (n, 1));
  s->atom_radii = g_new (gfloat, MAX (n, 1));
  s->atom_colors = g_new (gfloat, 3 * MAX (n, 1));
  update_range (s);
  const gfloat *values = s->column != NULL ? aet_atoms_get_column (s->atoms, s->column) : NULL;
  AetColormap map = coloring_map (s->coloring);
  for (gsize i = 0; i < n; i++)
    {
      for (guint a = 0; a < 3; a++)
        s->atom_centers[3 * i + a] = (gfloat) s->atoms->positions[3 * i + a];
      s->atom_radii[i] = (gfloat) s->atom_radius;
      gfloat *rgb = s->atom_colors + 3 * i;
      if (s->coloring == AET_ATOM_COLORING_ELEMENT)
        aet_colormap_element (s->atoms->elements[i], rgb);
      else if (values == NULL)
        rgb[0] = rgb[1] = rgb[2] = 0.6f;
      else
        aet_colormap_map (map, values[i], s->vmin, s->vmax, rgb);
    }
}

static void
update_slice_markers (AetScene *s);

void
aet_scene_set_atoms (AetScene *s, AetAtoms *atoms)
{
  g_return_if_fail (s != NULL);
  if (atoms != NULL)
    aet_atoms_ref (atoms);
  g_clear_pointer (&s->atoms, aet_atoms_unref);
  s->atoms = atoms;
  update_atom_arrays (s);
  s->slice_dirty = TRUE;
}

void
aet_scene_set_atom_coloring (AetScene *s, AetAtomColoring coloring, const char *column)
{
  g_return_if_fail (s != NULL);
  s->coloring = coloring;
  g_free (s->column);
  s->column = g_strdup (column);
  update_atom_arrays (s);
}

void
aet_scene_set_color_range (AetScene *s, gboolean automatic, gdouble vmin, gdouble vmax)
{
  g_return_if_fail (s != NULL);
  s->auto_range = automatic;
  if (!automatic)
    {
      s->vmin = vmin;
      s->vmax = vmax;
    }
  update_atom_arrays (s);
}

gboolean
aet_scene_get_legend (AetScene *s, AetColormap *map, gdouble *vmin, gdouble *vmax)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->coloring == AET_ATOM_COLORING_ELEMENT)
    return FALSE;
  if (map != NULL)
    *map = coloring_map (s->coloring);
  if (vmin != NULL)
    *vmin = s->vmin;
  if (vmax != NULL)
    *vmax = s->vmax;
  return TRUE;
}

void
aet_scene_set_atom_radius (AetScene *s, gdouble radius)
{
  g_return_if_fail (s != NULL);
  if (!(radius > 0) || !isfinite (radius))
    return;
  s->atom_radius = radius;
  update_atom_arrays (s);
}

void
aet_scene_set_show_atoms (AetScene *s, gboolean show)
{
  s->show_atoms = show;
}

void
aet_scene_set_show_mesh (AetScene *s, gboolean show)
{
  s->show_mesh = show;
}

guint
aet_scene_set_volume (AetScene *s, AetVolume *volume, gdouble level)
{
  g_return_val_if_fail (s != NULL, 0);
  if (volume != NULL)
    aet_volume_ref (volume);
  g_clear_pointer (&s->volume, aet_volume_unref);
  s->volume = volume;
  s->level = level;
  return ++s->generation;
}

gboolean
aet_scene_take_iso_mesh (AetScene *s, AetIsoMesh *mesh, guint generation)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (generation != s->generation)
    {
      aet_iso_mesh_free (mesh);
      return FALSE;
    }
  aet_iso_mesh_free (s->mesh);
  s->mesh = mesh;
  s->mesh_dirty = TRUE;
  return TRUE;
}

gboolean
aet_scene_update_iso_mesh (AetScene *s, guint n_threads, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->volume == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "iso-surface: the scene has no volume");
      return FALSE;
    }
  AetIsoMesh *mesh = aet_iso_mesh_compute (s->volume, s->level, n_threads, NULL, error);
  if (mesh == NULL)
    return FALSE;
  return aet_scene_take_iso_mesh (s, mesh, s->generation);
}

void
aet_scene_set_mesh_appearance (AetScene *s, const gfloat rgb[3], gfloat alpha,
                               gboolean use_vertex_colors)
{
  g_return_if_fail (s != NULL && rgb != NULL);
  for (guint i = 0; i < 3; i++)
    s->mesh_rgb[i] = rgb[i];
  s->mesh_alpha = CLAMP (alpha, 0.0f, 1.0f);
  s->mesh_vertex_colors = use_vertex_colors;
}

void
aet_scene_set_slice (AetScene *s, AetSlice *slice, gdouble layer_half_thickness)
{
  g_return_if_fail (s != NULL);
  aet_slice_free (s->slice);
  s->slice = slice;
  s->layer_half_thickness = layer_half_thickness;
  s->slice_dirty = TRUE;
}

void
aet_scene_set_slice_colormap (AetScene *s, AetColormap map, gboolean automatic, gdouble vmin,
                              gdouble vmax)
{
  g_return_if_fail (s != NULL);
  if (map != s->slice_map)
    s->slice_map_dirty = TRUE;
  s->slice_map = map;
  s->slice_auto_range = automatic || !(vmax > vmin);
  s->slice_min = vmin;
  s->slice_max = vmax;
}

static void
slice_range (AetScene *s, gdouble *lo, gdouble *hi)
{
  *lo = s->slice_auto_range ? s->slice->min : s->slice_min;
  *hi = s->slice_auto_range ? s->slice->max : s->slice_max;
}

gboolean
aet_scene_get_slice_legend (AetScene *s, AetColormap *map, gdouble *vmin, gdouble *vmax)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->slice == NULL || s->slice_map == AET_COLORMAP_GREY)
    return FALSE;
  gdouble lo, hi;
  slice_range (s, &lo, &hi);
  if (map != NULL)
    *map = s->slice_map;
  if (vmin != NULL)
    *vmin = lo;
  if (vmax != NULL)
    *vmax = hi;
  return TRUE;
}

void
aet_scene_set_substrate (AetScene *s, gboolean show, const gdouble point[3],
                         const gdouble normal[3], gdouble radius)
{
  g_return_if_fail (s != NULL);
  g_clear_pointer (&s->substrate, aet_iso_mesh_free);
  if (show && point != NULL && normal != NULL)
    s->substrate = aet_substrate_mesh_new (point, normal, radius, 96);
  s->substrate_dirty = TRUE;
}

void
aet_scene_set_background (AetScene *s, const gfloat rgba[4])
{
  g_return_if_fail (s != NULL && rgba != NULL);
  for (guint i = 0; i < 4; i++)
    s->background[i] = rgba[i];
}

void
aet_scene_get_background (AetScene *s, gfloat rgba[4])
{
  g_return_if_fail (s != NULL && rgba != NULL);
  for (guint i = 0; i < 4; i++)
    rgba[i] = s->background[i];
}

void
aet_scene_get_bounds (AetScene *s, gdouble center[3], gdouble *radius)
{
  g_return_if_fail (s != NULL && center != NULL && radius != NULL);
  gdouble lo[3] = { 0, 0, 0 }, hi[3] = { 0, 0, 0 };
  gboolean any = FALSE;
  if (s->atoms != NULL && s->atoms->n_atoms > 0)
    {
      for (guint a = 0; a < 3; a++)
        lo[a] = hi[a] = s->atoms->positions[a];
      for (gsize i = 0; i < s->atoms->n_atoms; i++)
        for (guint a = 0; a < 3; a++)
          {
            lo[a] = MIN (lo[a], s->atoms->positions[3 * i + a] - s->atom_radius);
            hi[a] = MAX (hi[a], s->atoms->positions[3 * i + a] + s->atom_radius);
          }
      any = TRUE;
    }
  else if (s->volume != NULL)
    {
      gint n[3] = { s->volume->nx, s->volume->ny, s->volume->nz };
      for (guint a = 0; a < 3; a++)
        {
          lo[a] = s->volume->origin[a];
          hi[a] = lo[a] + (n[a] - 1) * s->volume->voxel_size;
        }
      any = TRUE;
    }
  gdouble r2 = 0;
  for (guint a = 0; a < 3; a++)
    {
      center[a] = 0.5 * (lo[a] + hi[a]);
      r2 += 0.25 * (hi[a] - lo[a]) * (hi[a] - lo[a]);
    }
  *radius = any && r2 > 0 ? sqrt (r2) : 10.0;
}

static void
update_slice_markers (AetScene *s)
{
  if (s->slice == NULL || s->atoms == NULL)
    {
      aet_slice_renderer_upload_markers (s->slice_renderer, 0, NULL);
      return;
    }
  g_autoptr (GArray) uv = aet_slice_layer_atoms (s->slice, s->atoms, s->layer_half_thickness,
                                                 NULL);
  guint n = uv->len / 2;
  g_autofree gfloat *pos = g_new (gfloat, 3 * (gsize) MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      gdouble a = g_array_index (uv, gdouble, 2 * i), b = g_array_index (uv, gdouble, 2 * i + 1);
      for (guint k = 0; k < 3; k++)
        pos[3 * i + k] = (gfloat) (s->slice->origin[k]
                                   + s->slice->pixel_size * (a * s->slice->u[k]
                                                             + b * s->slice->v[k]));
    }
  aet_slice_renderer_upload_markers (s->slice_renderer, n, pos);
}

static void
upload_dirty (AetScene *s)
{
  if (s->atoms_dirty)
    {
      guint n = s->atoms != NULL ? (guint) s->atoms->n_atoms : 0;
      aet_atom_renderer_upload (s->atom_renderer, n, s->atom_centers, s->atom_radii,
                                s->atom_colors);
      s->atoms_dirty = FALSE;
    }
  if (s->mesh_dirty)
    {
      aet_mesh_renderer_upload (s->mesh_renderer, s->mesh);
      s->mesh_dirty = FALSE;
    }
  if (s->substrate_dirty)
    {
      aet_mesh_renderer_upload (s->substrate_renderer, s->substrate);
      s->substrate_dirty = FALSE;
    }
  if (s->slice_map_dirty)
    {
      aet_slice_renderer_set_colormap (s->slice_renderer, s->slice_map);
      s->slice_map_dirty = FALSE;
    }
  if (s->slice_dirty)
    {
      aet_slice_renderer_upload (s->slice_renderer, s->slice);
      update_slice_markers (s);
      s->slice_dirty = FALSE;
    }
}

void
aet_scene_render_matrices (AetScene *s, mat4 view, mat4 projection, gint width, gint height,
                           guint framebuffer)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (s->realized);

  glBindFramebuffer (GL_FRAMEBUFFER, framebuffer);
  glViewport (0, 0, width, height);
  upload_dirty (s);

  /* the background is cleared premultiplied, as blending produces */
  gfloat a = s->background[3];
  glClearColor (s->background[0] * a, s->background[1] * a, s->background[2] * a, a);
  glDepthMask (GL_TRUE);
  glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  glEnable (GL_DEPTH_TEST);
  glDepthFunc (GL_LEQUAL);
  glDisable (GL_BLEND);
  glDisable (GL_CULL_FACE);

  if (s->show_atoms)
    aet_atom_renderer_draw (s->atom_renderer, view, projection, 1.0f);
  if (s->show_mesh && s->mesh_alpha >= 1.0f)
    aet_mesh_renderer_draw (s->mesh_renderer, view, projection, s->mesh_rgb,
                            s->mesh_vertex_colors, 1.0f);
  if (s->slice != NULL)
    {
      gfloat marker[3] = { 0.95f, 0.35f, 0.1f };
      gdouble lo, hi;
      slice_range (s, &lo, &hi);
      aet_slice_renderer_draw (s->slice_renderer, view, projection, (gfloat) lo, (gfloat) hi,
                               marker, 8.0f);
    }
  /* translucent things last, without writing depth */
  if (s->substrate != NULL)
    {
      gfloat grey[3] = { 0.55f, 0.6f, 0.68f };
      aet_mesh_renderer_draw (s->substrate_renderer, view, projection, grey, FALSE, 0.35f);
    }
  if (s->show_mesh && s->mesh_alpha < 1.0f)
    aet_mesh_renderer_draw (s->mesh_renderer, view, projection, s->mesh_rgb,
                            s->mesh_vertex_colors, s->mesh_alpha);
  glDisable (GL_DEPTH_TEST);
}

void
aet_scene_render (AetScene *s, const AetCamera *camera, gint width, gint height,
                  guint framebuffer)
{
  g_return_if_fail (s != NULL && camera != NULL);
  mat4 view, proj;
  aet_camera_get_view (camera, view);
  aet_camera_get_projection_matrix (camera, width, height, proj);
  aet_scene_render_matrices (s, view, proj, width, height, framebuffer);
}

gssize
aet_scene_pick_atom (AetScene *s, const AetCamera *camera, gdouble x, gdouble y, gint width,
                     gint height)
{
  g_return_val_if_fail (s != NULL && camera != NULL, -1);
  if (s->atoms == NULL || !s->show_atoms)
    return -1;
  gdouble origin[3], dir[3];
  aet_camera_pixel_ray (camera, x, y, width, height, origin, dir);
  return aet_atom_pick ((guint) s->atoms->n_atoms, s->atom_centers, s->atom_radii, 1.0f, origin,
                        dir);
}
