#define G_LOG_DOMAIN "aet-view"

#include "aet-view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[AET_N_VIEWS] = { "iso", "atoms", "layers", "facets" };

const char *
aet_view_mode_to_string (AetViewMode mode)
{
  g_return_val_if_fail (mode < AET_N_VIEWS, "iso");
  return mode_names[mode];
}

gint
aet_view_mode_from_string (const char *name)
{
  for (gint i = 0; i < AET_N_VIEWS; i++)
    if (g_strcmp0 (name, mode_names[i]) == 0)
      return i;
  return -1;
}

void
aet_view_setup_init (AetViewSetup *setup)
{
  memset (setup, 0, sizeof *setup);
  setup->mode = AET_VIEW_ISO;
  setup->iso_fraction = 0.4;
  g_strlcpy (setup->color_column, "element", sizeof setup->color_column);
  setup->hkl[0] = setup->hkl[1] = setup->hkl[2] = 1;
}

void
aet_view_setup_set_color_column (AetViewSetup *setup, const char *column)
{
  g_strlcpy (setup->color_column, column != NULL ? column : "element",
             sizeof setup->color_column);
}

void
aet_view_setup_set_lattice (AetViewSetup *setup, const gdouble rotation[9], gdouble a)
{
  setup->have_lattice = rotation != NULL && a > 0;
  if (setup->have_lattice)
    {
      memcpy (setup->rotation, rotation, sizeof setup->rotation);
      setup->lattice_a = a;
    }
}

void
aet_view_direction (const AetViewSetup *setup, const gint hkl[3], gdouble n[3])
{
  gdouble c[3] = { hkl[0], hkl[1], hkl[2] };
  if (setup->have_lattice)
    for (int i = 0; i < 3; i++)
      n[i] = setup->rotation[3 * i] * c[0] + setup->rotation[3 * i + 1] * c[1]
             + setup->rotation[3 * i + 2] * c[2];
  else
    memcpy (n, c, sizeof c);
  gdouble len = sqrt (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  if (len > 0)
    for (int i = 0; i < 3; i++)
      n[i] /= len;
}

gdouble
aet_view_layer_spacing (const AetViewSetup *setup)
{
  if (!setup->have_lattice)
    return 2.0;
  gint h = setup->hkl[0], k = setup->hkl[1], l = setup->hkl[2];
  gint n2 = h * h + k * k + l * l;
  if (n2 == 0)
    return 2.0;
  gdouble d = setup->lattice_a / sqrt ((gdouble) n2);
  gboolean all_odd = (h & 1) && (k & 1) && (l & 1);
  return all_odd ? d : d / 2.0;
}

gint
aet_view_clamp_layer (const AetViewSetup *setup, const AetVolume *volume, gint index)
{
  if (volume == NULL)
    return index;
  gdouble half = 0.5 * volume->voxel_size * MIN (volume->nx, MIN (volume->ny, volume->nz));
  gint max_index = (gint) floor (half / aet_view_layer_spacing (setup));
  return CLAMP (index, -max_index, max_index);
}

gdouble
aet_view_iso_level (const AetViewSetup *setup, const AetVolume *volume)
{
  AetVolumeStats st;
  aet_volume_get_stats (volume, &st);
  gdouble vmax = st.max > st.min ? st.max : st.min + 1.0;
  gdouble f = CLAMP (setup->iso_fraction, 0.02, 0.98);
  return st.min + f * (vmax - st.min);
}

AetSlice *
aet_view_sample_layer (const AetViewSetup *setup, const AetVolume *volume, GError **error)
{
  gdouble n[3];
  aet_view_direction (setup, setup->hkl, n);
  gint index = aet_view_clamp_layer (setup, volume, setup->layer_index);
  return aet_slice_sample (volume, n, index * aet_view_layer_spacing (setup), 0, error);
}

void
aet_view_apply (const AetViewSetup *setup, AetScene *scene, gboolean have_atoms,
                gboolean facet_surface)
{
  AetViewMode mode = setup->mode;
  /* facets: the surface in the colour of the nearest atom's facet when
   * there is a volume to draw it from (the atoms would hide it), else the
   * atoms in their facet's colour */
  gboolean facets_as_surface = mode == AET_VIEW_FACETS && facet_surface && have_atoms;
  aet_scene_set_show_mesh (scene, mode == AET_VIEW_ISO || facets_as_surface
                                    || (!have_atoms && mode != AET_VIEW_LAYERS));
  aet_scene_set_show_atoms (scene, mode == AET_VIEW_ATOMS
                                     || (mode == AET_VIEW_FACETS && !facets_as_surface));
  const gfloat gold[3] = { 0.85f, 0.70f, 0.35f };
  aet_scene_set_mesh_appearance (scene, gold, 1.0f, facets_as_surface);

  const char *col = setup->color_column;
  if (mode == AET_VIEW_FACETS)
    aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_CATEGORY, "facet");
  else if (col[0] == '\0' || g_str_equal (col, "element"))
    aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_ELEMENT, NULL);
  else if (g_str_equal (col, "facet") || g_str_equal (col, "layer"))
    aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_CATEGORY, col);
  else if (g_str_has_prefix (col, "strain") || g_str_has_prefix (col, "displacement_"))
    aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_DIVERGING, col);
  else
    aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_SEQUENTIAL, col);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

gboolean
aet_view_frame_camera (AetCamera *camera, const AetAtoms *atoms, const AetVolume *volume)
{
  gdouble c[3] = { 0, 0, 0 }, r;
  if (atoms != NULL && atoms->n_atoms >= 4)
    {
      gsize n = atoms->n_atoms;
      const gdouble *p = atoms->positions;
      for (gsize i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
          c[k] += p[3 * i + k] / n;
      g_autofree gdouble *d = g_new (gdouble, n);
      for (gsize i = 0; i < n; i++)
        d[i] = sqrt ((p[3 * i] - c[0]) * (p[3 * i] - c[0])
                     + (p[3 * i + 1] - c[1]) * (p[3 * i + 1] - c[1])
                     + (p[3 * i + 2] - c[2]) * (p[3 * i + 2] - c[2]));
      qsort (d, n, sizeof (gdouble), compare_doubles);
      r = (d[(gsize) (0.98 * (n - 1))] + 2.0) * 1.05;
    }
  else if (volume != NULL)
    {
      gdouble dims[3] = { volume->nx, volume->ny, volume->nz };
      for (int i = 0; i < 3; i++)
        c[i] = volume->origin[i] + 0.5 * (dims[i] - 1) * volume->voxel_size;
      r = 0.42 * volume->voxel_size * MAX (dims[0], dims[1]);
    }
  else
    return FALSE;
  aet_camera_frame (camera, c, r);
  return TRUE;
}

gboolean
aet_view_color_mesh_by_facet (AetIsoMesh *mesh, const AetAtoms *atoms, const char *column,
                              GError **error)
{
  guint n = aet_colormap_n_categories ();
  g_autofree gfloat *palette = g_new (gfloat, 3 * n);
  for (guint i = 0; i < n; i++)
    aet_colormap_category ((gint) i, palette + 3 * i);
  const gfloat other[3] = { 0.75f, 0.75f, 0.75f };
  return aet_iso_mesh_color_by_nearest_atom (mesh, atoms, column, palette, n, other, 2.0, error);
}

void
aet_view_style_scene (AetScene *scene)
{
  const gfloat bg[4] = { 0.97f, 0.97f, 0.98f, 1.0f };
  aet_scene_set_background (scene, bg);
  const gfloat gold[3] = { 0.85f, 0.70f, 0.35f };
  aet_scene_set_mesh_appearance (scene, gold, 1.0f, FALSE);
}
