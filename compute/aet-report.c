#define G_LOG_DOMAIN "aet-report"

#include "aet-report.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-json.h"

#include <math.h>

static void
write_stats (AetJsonWriter *w, const char *key, const AetStats *s)
{
  aet_json_key (w, key);
  aet_json_begin_object (w);
  aet_json_member_int (w, "n", s->n);
  aet_json_member_number (w, "mean", s->mean);
  aet_json_member_number (w, "std", s->std);
  aet_json_member_number (w, "rms", s->rms);
  aet_json_member_number (w, "min", s->min);
  aet_json_member_number (w, "max", s->max);
  aet_json_end_object (w);
}

static void
write_stats3 (AetJsonWriter *w, const char *key, const AetStats s[3])
{
  aet_json_key (w, key);
  aet_json_begin_object (w);
  write_stats (w, "all", &s[0]);
  write_stats (w, "surface", &s[1]);
  write_stats (w, "interior", &s[2]);
  aet_json_end_object (w);
}

static void
write_hkl (AetJsonWriter *w, const char *key, const gint hkl[3])
{
  gdouble v[3] = { hkl[0], hkl[1], hkl[2] };
  aet_json_key (w, key);
  aet_json_number_array (w, v, 3);
}

static void
write_lattice (AetJsonWriter *w, const AetAnalysis *an)
{
  aet_json_key (w, "lattice");
  aet_json_begin_object (w);
  aet_json_member_string (w, "structure", "fcc");
  aet_json_member_number (w, "a", an->lattice.a);
  aet_json_member_number (w, "a_reference", an->a_reference);
  aet_json_member_string (w, "a_reference_source",
                          aet_reference_source_name (an->a_reference_source));
  aet_json_member_number (w, "lattice_strain", an->lattice_strain);
  aet_json_key (w, "rotation");
  aet_json_begin_array (w);
  for (int r = 0; r < 3; r++)
    aet_json_number_array (w, an->lattice.rotation + 3 * r, 3);
  aet_json_end_array (w);
  aet_json_key (w, "origin");
  aet_json_number_array (w, an->lattice.origin, 3);
  aet_json_member_number (w, "rms_residual_pm", an->lattice.rms_residual * 100);
  aet_json_member_int (w, "n_fit", an->lattice.n_fit);
  aet_json_member_int (w, "n_shared_sites", an->lattice.n_shared_sites);
  aet_json_end_object (w);
}

static void
write_facets (AetJsonWriter *w, const AetAnalysis *an)
{
  aet_json_key (w, "facets");
  aet_json_begin_array (w);
  for (guint f = 0; f < an->facets->len; f++)
    {
      const AetFacet *facet = &g_array_index (an->facets, AetFacet, f);
      char family[16];
      aet_facets_family (facet->miller, family);
      aet_json_begin_object (w);
      aet_json_member_int (w, "id", facet->id);
      write_hkl (w, "miller", facet->miller);
      aet_json_member_string (w, "family", family);
      aet_json_member_number (w, "angle_deg", facet->angle_deg);
      aet_json_key (w, "normal");
      aet_json_number_array (w, facet->normal, 3);
      aet_json_key (w, "centroid");
      aet_json_number_array (w, facet->centroid, 3);
      aet_json_member_number (w, "distance", facet->distance);
      aet_json_member_int (w, "n_atoms", facet->n_atoms);
      aet_json_member_int (w, "n_area_atoms", facet->n_area_atoms);
      aet_json_member_number (w, "area", facet->area);
      aet_json_member_number (w, "rms_plane_pm", facet->rms_plane * 100);
      aet_json_member_number (w, "mean_strain_vol", facet->mean_strain_vol);
      aet_json_member_number (w, "mean_strain_normal", facet->mean_strain_normal);
      aet_json_end_object (w);
    }
  aet_json_end_array (w);

  /* totals per family, in order of first appearance (largest facet first) */
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (guint f = 0; f < an->facets->len; f++)
    {
      char family[16];
      aet_facets_family (g_array_index (an->facets, AetFacet, f).miller, family);
      gboolean seen = FALSE;
      for (guint k = 0; k < names->len && !seen; k++)
        seen = g_str_equal (g_ptr_array_index (names, k), family);
      if (!seen)
        g_ptr_array_add (names, g_strdup (family));
    }
  aet_json_key (w, "facet_families");
  aet_json_begin_object (w);
  for (guint k = 0; k < names->len; k++)
    {
      const char *name = g_ptr_array_index (names, k);
      gsize count = 0, atoms = 0, nv = 0, nn = 0;
      gdouble area = 0, sv = 0, sn = 0;
      for (guint f = 0; f < an->facets->len; f++)
        {
          const AetFacet *facet = &g_array_index (an->facets, AetFacet, f);
          char family[16];
          aet_facets_family (facet->miller, family);
          if (!g_str_equal (family, name))
            continue;
          count++;
          atoms += facet->n_atoms;
          area += facet->area;
          if (isfinite (facet->mean_strain_vol))
            {
              sv += facet->mean_strain_vol * facet->n_atoms;
              nv += facet->n_atoms;
            }
          if (isfinite (facet->mean_strain_normal))
            {
              sn += facet->mean_strain_normal * facet->n_atoms;
              nn += facet->n_atoms;
            }
        }
      aet_json_key (w, name);
      aet_json_begin_object (w);
      aet_json_member_int (w, "count", count);
      aet_json_member_int (w, "n_atoms", atoms);
      aet_json_member_number (w, "area", area);
      aet_json_member_number (w, "mean_strain_vol", nv ? sv / nv : NAN);
      aet_json_member_number (w, "mean_strain_normal", nn ? sn / nn : NAN);
      aet_json_end_object (w);
    }
  aet_json_end_object (w);
}

static void
write_interface (AetJsonWriter *w, const AetAnalysis *an)
{
  aet_json_key (w, "interface");
  aet_json_begin_object (w);
  if (an->interface_facet >= 0)
    aet_json_member_int (w, "facet", an->interface_facet);
  else
    {
      aet_json_key (w, "facet");
      aet_json_null (w);
    }
  aet_json_key (w, "normal");
  aet_json_number_array (w, an->interface_normal, 3);
  aet_json_member_number (w, "offset", an->interface_offset);
  aet_json_member_number (w, "bin", an->interface_bin);
  aet_json_key (w, "profile");
  aet_json_begin_array (w);
  for (guint b = 0; b < an->interface_profile->len; b++)
    {
      const AetProfileBin *pb = &g_array_index (an->interface_profile, AetProfileBin, b);
      aet_json_begin_object (w);
      aet_json_member_number (w, "distance", pb->distance);
      aet_json_member_int (w, "n_atoms", pb->n_atoms);
      aet_json_member_number (w, "mean_strain_vol", pb->mean_strain_vol);
      aet_json_member_number (w, "mean_strain_normal", pb->mean_strain_normal);
      aet_json_member_number (w, "mean_strain_inplane", pb->mean_strain_inplane);
      aet_json_member_number (w, "mean_displacement_pm", pb->mean_displacement_pm);
      aet_json_end_object (w);
    }
  aet_json_end_array (w);
  aet_json_end_object (w);
}

static void
write_layers (AetJsonWriter *w, const AetAnalysis *an)
{
  const AetLayers *l = an->layers;
  aet_json_key (w, "layers");
  aet_json_begin_object (w);
  aet_json_key (w, "direction");
  aet_json_number_array (w, l->direction, 3);
  if (l->has_hkl)
    write_hkl (w, "hkl", l->hkl);
  else
    {
      aet_json_key (w, "hkl");
      aet_json_null (w);
    }
  aet_json_member_number (w, "expected_spacing", l->expected_spacing > 0 ? l->expected_spacing
                                                                         : NAN);
  aet_json_member_number (w, "spacing", l->spacing);
  aet_json_member_number (w, "spacing_std", l->spacing_std);
  aet_json_member_int (w, "count", l->layers->len);
  aet_json_key (w, "list");
  aet_json_begin_array (w);
  for (guint k = 0; k < l->layers->len; k++)
    {
      const AetLayer *layer = &g_array_index (l->layers, AetLayer, k);
      aet_json_begin_object (w);
      aet_json_member_int (w, "index", layer->index);
      aet_json_member_number (w, "position", layer->position);
      aet_json_member_int (w, "n_atoms", layer->n_atoms);
      aet_json_member_number (w, "mean_strain_vol", layer->mean_strain_vol);
      aet_json_member_number (w, "mean_strain_normal", layer->mean_strain_normal);
      aet_json_end_object (w);
    }
  aet_json_end_array (w);
  aet_json_end_object (w);
}

char *
aet_report_to_json (const AetAnalysis *an, const char *extra_section,
                    const AetReportValue *extra, gsize n_extra)
{
  g_return_val_if_fail (an != NULL, NULL);
  AetJsonWriter *w = aet_json_writer_new (TRUE);
  aet_json_begin_object (w);
  aet_json_member_string (w, "format", "aet-report");
  aet_json_member_int (w, "version", 1);
  aet_json_member_int (w, "n_atoms", an->n_atoms);
  aet_json_member_string (w, "element", aet_element_symbol (an->element));
  aet_json_key (w, "centre");
  aet_json_number_array (w, an->centre, 3);
  write_lattice (w, an);

  aet_json_key (w, "coordination");
  aet_json_begin_object (w);
  aet_json_member_number (w, "cutoff", an->cutoff);
  aet_json_member_number (w, "mean", an->mean_coordination);
  aet_json_key (w, "histogram");
  aet_json_begin_array (w);
  for (int c = 0; c <= 12; c++)
    aet_json_int (w, an->coordination_histogram[c]);
  aet_json_end_array (w);
  aet_json_member_int (w, "n_surface", an->n_surface);
  aet_json_member_int (w, "n_interior", an->n_atoms - an->n_surface);
  aet_json_end_object (w);

  write_stats3 (w, "displacement_pm", an->displacement_pm);

  aet_json_key (w, "strain");
  aet_json_begin_object (w);
  write_stats3 (w, "volumetric", an->strain_vol);
  write_stats3 (w, "radial", an->strain_radial);
  static const char *const comp[6] = { "xx", "yy", "zz", "xy", "xz", "yz" };
  aet_json_key (w, "tensor");
  aet_json_begin_object (w);
  for (int c = 0; c < 6; c++)
    write_stats (w, comp[c], &an->strain_tensor[c]);
  aet_json_end_object (w);
  aet_json_end_object (w);

  write_facets (w, an);
  write_interface (w, an);
  write_layers (w, an);

  if (extra_section != NULL && n_extra > 0)
    {
      aet_json_key (w, extra_section);
      aet_json_begin_object (w);
      for (gsize k = 0; k < n_extra; k++)
        aet_json_member_number (w, extra[k].key, extra[k].value);
      aet_json_end_object (w);
    }
  aet_json_end_object (w);
  g_assert (aet_json_writer_is_complete (w));
  return aet_json_writer_free_to_text (w);
}

static gboolean
save_text (const char *path, const char *text, GError **error)
{
  return aet_write_text_atomic (path, text, -1, error);
}

gboolean
aet_report_save (const char *path, const AetAnalysis *analysis, const char *extra_section,
                 const AetReportValue *extra, gsize n_extra, GError **error)
{
  g_autofree char *text = aet_report_to_json (analysis, extra_section, extra, n_extra);
  return save_text (path, text, error);
}

/* The shortest spelling that reads back as the same float; "" for NaN/Inf. */
static void
append_float (GString *out, gfloat v)
{
  if (!isfinite (v))
    return;
  char buf[32];
  for (int digits = 6; digits <= 9; digits++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if ((gfloat) g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
}

char *
aet_report_atoms_csv (const AetAtoms *atoms)
{
  GString *out = g_string_sized_new (64 * (atoms->n_atoms + 1));
  guint nc = aet_atoms_n_columns (atoms);
  g_string_append (out, "index,element,x,y,z");
  for (guint c = 0; c < nc; c++)
    g_string_append_printf (out, ",%s", aet_atoms_column_name (atoms, c));
  g_string_append_c (out, '\n');
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      g_string_append_printf (out, "%" G_GSIZE_FORMAT ",%s", i,
                              aet_element_symbol (atoms->elements[i]));
      for (int c = 0; c < 3; c++)
        {
          char buf[32];
          aet_json_format_number (atoms->positions[3 * i + c], buf);
          g_string_append_printf (out, ",%s", buf);
        }
      for (guint c = 0; c < nc; c++)
        {
          g_string_append_c (out, ',');
          append_float (out, aet_atoms_column_values (atoms, c)[i]);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

gboolean
aet_report_save_csv (const char *path, const AetAtoms *atoms, GError **error)
{
  g_autofree char *text = aet_report_atoms_csv (atoms);
  return save_text (path, text, error);
}
