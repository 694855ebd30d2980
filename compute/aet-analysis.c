#define G_LOG_DOMAIN "aet-analysis"

#include "aet-analysis.h"
#include "aet-coordination.h"
#include "aet-error.h"
#include "aet-neighbors.h"

#include <math.h>
#include <string.h>

void
aet_analysis_options_init (AetAnalysisOptions *options)
{
  memset (options, 0, sizeof *options);
  options->substrate_direction[1] = -1;
}

void
aet_analysis_free (AetAnalysis *analysis)
{
  if (analysis == NULL)
    return;
  g_clear_pointer (&analysis->facets, g_array_unref);
  g_clear_pointer (&analysis->interface_profile, g_array_unref);
  g_clear_pointer (&analysis->layers, aet_layers_free);
  g_free (analysis);
}

const char *
aet_reference_source_name (AetReferenceSource source)
{
  switch (source)
    {
    case AET_REFERENCE_OPTION: return "option";
    case AET_REFERENCE_ELEMENT: return "element";
    case AET_REFERENCE_FIT: return "fit";
    default: return "unknown";
    }
}

static gdouble
dot3 (const gdouble a[3], const gdouble b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static guint
majority_element (const AetAtoms *atoms)
{
  gsize count[256] = { 0 };
  for (gsize i = 0; i < atoms->n_atoms; i++)
    count[atoms->elements[i]]++;
  guint best = 0;
  for (guint z = 1; z < 256; z++)
    if (count[z] > count[best])
      best = z;
  return best;
}

/* The interface plane and the strain profile away from it. */
static void
interface_profile (AetAnalysis *an, const AetAtoms *atoms, const AetAnalysisOptions *options,
                   const gfloat *tensor, const gfloat *vol, const gfloat *disp)
{
  const gdouble *pos = atoms->positions;
  gsize n = atoms->n_atoms;
  gdouble dir[3];
  memcpy (dir, options->substrate_direction, sizeof dir);
  gdouble norm = sqrt (dot3 (dir, dir));
  if (!(norm > 0))
    dir[0] = 0, dir[1] = -1, dir[2] = 0, norm = 1;
  for (int c = 0; c < 3; c++)
    dir[c] /= norm;

  an->interface_facet = -1;
  gdouble best = cos (30 * G_PI / 180);
  for (guint f = 0; f < an->facets->len; f++)
    {
      AetFacet *facet = &g_array_index (an->facets, AetFacet, f);
      gdouble c = dot3 (facet->normal, dir);
      if (c > best)
        {
          best = c;
          an->interface_facet = f;
        }
    }
  if (an->interface_facet >= 0)
    {
      AetFacet *facet = &g_array_index (an->facets, AetFacet, an->interface_facet);
      memcpy (an->interface_normal, facet->normal, sizeof an->interface_normal);
      an->interface_offset = dot3 (facet->normal, facet->centroid);
      an->interface_bin = aet_lattice_plane_spacing (an->lattice.a, facet->miller);
    }
  else
    {
      /* no facet faces the substrate: the plane normal to it touching the
       * outermost atom */
      memcpy (an->interface_normal, dir, sizeof dir);
      an->interface_offset = -G_MAXDOUBLE;
      for (gsize i = 0; i < n; i++)
        an->interface_offset = MAX (an->interface_offset, dot3 (dir, pos + 3 * i));
      an->interface_bin = 0;
    }
  if (!(an->interface_bin > 0.5))
    an->interface_bin = an->lattice.a / 2;

  gdouble w = an->interface_bin;
  gdouble *nrm = an->interface_normal;
  gint max_bin = 0;
  g_autofree gint *bin = g_new (gint, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      gdouble h = an->interface_offset - dot3 (nrm, pos + 3 * i);
      bin[i] = MAX (0, (gint) floor (h / w + 0.5));
      max_bin = MAX (max_bin, bin[i]);
    }
  guint nb = n ? max_bin + 1 : 0;
  g_autofree gdouble *acc = g_new0 (gdouble, 4 * (nb + 1));
  g_autofree gsize *cnt = g_new0 (gsize, 3 * (nb + 1));
  an->interface_profile = g_array_new (FALSE, TRUE, sizeof (AetProfileBin));
  g_array_set_size (an->interface_profile, nb);
  for (gsize i = 0; i < n; i++)
    {
      gint b = bin[i];
      g_array_index (an->interface_profile, AetProfileBin, b).n_atoms++;
      if (isfinite (vol[i]))
        {
          acc[4 * b] += vol[i];
          gdouble en = aet_strain_along (tensor + 6 * i, nrm);
          acc[4 * b + 1] += en;
          acc[4 * b + 2] += (vol[i] - en) / 2;
          cnt[3 * b]++;
        }
      if (isfinite (disp[i]))
        {
          acc[4 * b + 3] += disp[i];
          cnt[3 * b + 1]++;
        }
    }
  for (guint b = 0; b < nb; b++)
    {
      AetProfileBin *pb = &g_array_index (an->interface_profile, AetProfileBin, b);
      pb->distance = b * w;
      pb->mean_strain_vol = cnt[3 * b] ? acc[4 * b] / cnt[3 * b] : NAN;
      pb->mean_strain_normal = cnt[3 * b] ? acc[4 * b + 1] / cnt[3 * b] : NAN;
      pb->mean_strain_inplane = cnt[3 * b] ? acc[4 * b + 2] / cnt[3 * b] : NAN;
      pb->mean_displacement_pm = cnt[3 * b + 1] ? acc[4 * b + 3] / cnt[3 * b + 1] : NAN;
    }
}

AetAnalysis *
aet_analysis_run (AetAtoms *atoms, const AetAnalysisOptions *options, AetJob *job,
                  GError **error)
{
  g_return_val_if_fail (atoms != NULL, NULL);
  AetAnalysisOptions defaults;
  if (options == NULL)
    {
      aet_analysis_options_init (&defaults);
      options = &defaults;
    }
  gsize n = atoms->n_atoms;
  if (n < 13)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "analysis: %" G_GSIZE_FORMAT " atoms are too few (13 needed)", n);
      return NULL;
    }
  for (gsize i = 0; i < 3 * n; i++)
    if (!isfinite (atoms->positions[i]))
      {
        g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                     "analysis: atom %" G_GSIZE_FORMAT " has a position that is not a number",
                     i / 3 + 1);
        return NULL;
      }
  if (options->layer_hkl_set && options->layer_hkl[0] == 0 && options->layer_hkl[1] == 0
      && options->layer_hkl[2] == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "analysis: the layer direction [0 0 0] has no length");
      return NULL;
    }
  const gdouble *pos = atoms->positions;
  g_autoptr (AetAnalysis) an = g_new0 (AetAnalysis, 1);
  an->n_atoms = n;
  an->element = majority_element (atoms);
  aet_atoms_centroid (atoms, an->centre);

  aet_job_set_stage (job, "analysis");
  aet_job_progress (job, 0.0, "coordination");
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, n, 3.0);
  gdouble nn = aet_lattice_nn_distance (pos, n, nb);
  if (!(nn > 0.5))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "analysis: the atoms have no neighbours within 5 Å");
      return NULL;
    }

  /* coordination and surface with the estimated constant pick the core */
  gdouble cutoff = aet_coordination_cutoff (nn * G_SQRT2);
  g_autofree guint *coord = g_new (guint, n);
  g_autofree gboolean *surface = g_new (gboolean, n);
  aet_coordination_count (pos, n, nb, cutoff, coord);
  aet_coordination_surface (pos, n, nb, cutoff, coord, surface);
  g_autofree gboolean *core = NULL;
  const gboolean *fit_mask = options->fit_mask;
  if (fit_mask == NULL)
    {
      core = g_new0 (gboolean, n);
      g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
      gsize n_core = 0, n_full = 0;
      for (gsize i = 0; i < n; i++)
        {
          if (coord[i] < 12)
            continue;
          n_full++;
          g_array_set_size (idx, 0);
          aet_neighbors_within (nb, pos + 3 * i, cutoff, idx);
          gboolean ok = TRUE;
          for (guint k = 0; k < idx->len && ok; k++)
            ok = !surface[g_array_index (idx, guint, k)];
          core[i] = ok;
          n_core += ok;
        }
      if (n_core < 13)
        for (gsize i = 0; i < n; i++)
          core[i] = n_full >= 13 ? coord[i] >= 12 : TRUE;
      fit_mask = core;
    }
  if (aet_job_check_cancelled (job, "analysis", error))
    return NULL;

  aet_job_progress (job, 0.15, "lattice fit");
  if (!aet_lattice_fit (pos, n, nb, fit_mask, nn * G_SQRT2, &an->lattice, error))
    return NULL;
  if (options->reference_a > 0)
    {
      an->a_reference = options->reference_a;
      an->a_reference_source = AET_REFERENCE_OPTION;
    }
  else if (aet_lattice_fcc_constant (an->element) > 0)
    {
      an->a_reference = aet_lattice_fcc_constant (an->element);
      an->a_reference_source = AET_REFERENCE_ELEMENT;
    }
  else
    {
      an->a_reference = an->lattice.a;
      an->a_reference_source = AET_REFERENCE_FIT;
    }
  an->lattice_strain = an->lattice.a / an->a_reference - 1;

  /* final coordination and surface with the fitted constant */
  an->cutoff = cutoff = aet_coordination_cutoff (an->lattice.a);
  aet_coordination_count (pos, n, nb, cutoff, coord);
  an->n_surface = aet_coordination_surface (pos, n, nb, cutoff, coord, surface);
  gdouble csum = 0;
  for (gsize i = 0; i < n; i++)
    {
      an->coordination_histogram[MIN (coord[i], 12)]++;
      csum += coord[i];
    }
  an->mean_coordination = csum / n;
  g_autofree gboolean *interior = g_new (gboolean, n);
  for (gsize i = 0; i < n; i++)
    interior[i] = !surface[i];

  /* displacements from the ideal sites */
  aet_job_progress (job, 0.3, "displacements");
  g_autofree gint *sites = g_new (gint, 3 * n);
  g_autofree gfloat *disp = g_new (gfloat, n);
  g_autofree gfloat *dxyz = g_new (gfloat, 3 * n);
  for (gsize i = 0; i < n; i++)
    {
      gdouble q[3];
      aet_lattice_fit_site (&an->lattice, pos + 3 * i, sites + 3 * i);
      aet_lattice_fit_site_position (&an->lattice, sites + 3 * i, q);
      gdouble d2 = 0;
      for (int c = 0; c < 3; c++)
        {
          gdouble d = (pos[3 * i + c] - q[c]) * 100;
          dxyz[3 * i + c] = (gfloat) d;
          d2 += d * d;
        }
      disp[i] = (gfloat) sqrt (d2);
    }
  aet_stats_compute (disp, NULL, n, &an->displacement_pm[0]);
  aet_stats_compute (disp, surface, n, &an->displacement_pm[1]);
  aet_stats_compute (disp, interior, n, &an->displacement_pm[2]);
  if (aet_job_check_cancelled (job, "analysis", error))
    return NULL;

  /* strain */
  aet_job_progress (job, 0.45, "strain");
  g_autofree gfloat *tensor = g_new (gfloat, 6 * n);
  g_autofree gfloat *vol = g_new (gfloat, n);
  g_autofree gfloat *radial = g_new (gfloat, n);
  aet_strain_compute (pos, n, nb, &an->lattice, sites, an->a_reference, cutoff, an->centre,
                      tensor, vol, radial);
  aet_stats_compute (vol, NULL, n, &an->strain_vol[0]);
  aet_stats_compute (vol, surface, n, &an->strain_vol[1]);
  aet_stats_compute (vol, interior, n, &an->strain_vol[2]);
  aet_stats_compute (radial, NULL, n, &an->strain_radial[0]);
  aet_stats_compute (radial, surface, n, &an->strain_radial[1]);
  aet_stats_compute (radial, interior, n, &an->strain_radial[2]);
  {
    g_autofree gfloat *comp = g_new (gfloat, n);
    for (int c = 0; c < 6; c++)
      {
        for (gsize i = 0; i < n; i++)
          comp[i] = tensor[6 * i + c];
        aet_stats_compute (comp, NULL, n, &an->strain_tensor[c]);
      }
  }
  if (aet_job_check_cancelled (job, "analysis", error))
    return NULL;

  /* facets and the interface */
  aet_job_progress (job, 0.6, "facets");
  g_autofree gint *facet_of = g_new (gint, n);
  an->facets = aet_facets_find (pos, n, nb, cutoff, surface, &an->lattice, an->centre,
                                facet_of);
  aet_facets_add_strain (an->facets, facet_of, n, tensor, vol);
  interface_profile (an, atoms, options, tensor, vol, disp);
  if (aet_job_check_cancelled (job, "analysis", error))
    return NULL;

  /* layers */
  aet_job_progress (job, 0.85, "layers");
  gdouble ldir[3];
  gint hkl[3];
  gboolean has_hkl = FALSE;
  if (options->layer_hkl_set)
    {
      memcpy (hkl, options->layer_hkl, sizeof hkl);
      has_hkl = TRUE;
    }
  else
    {
      /* into the particle from the interface: along the interface facet's
       * index when it is {100}, {110} or {111} (denser planes, clear
       * layers), else along the one of those closest to the interface normal */
      const AetFacet *f = an->interface_facet >= 0
                          ? &g_array_index (an->facets, AetFacet, an->interface_facet)
                          : NULL;
      if (f != NULL && f->miller[0] * f->miller[0] + f->miller[1] * f->miller[1]
                       + f->miller[2] * f->miller[2] <= 3)
        for (int c = 0; c < 3; c++)
          hkl[c] = -f->miller[c];
      else
        {
          gdouble inward[3], best = -2;
          for (int c = 0; c < 3; c++)
            inward[c] = -an->interface_normal[c];
          for (gint h = -1; h <= 1; h++)
            for (gint k = -1; k <= 1; k++)
              for (gint l = -1; l <= 1; l++)
                {
                  if (h == 0 && k == 0 && l == 0)
                    continue;
                  gdouble hc[3] = { h, k, l }, hs[3];
                  aet_lattice_fit_to_sample (&an->lattice, hc, hs);
                  if (dot3 (hs, inward) > best)
                    {
                      best = dot3 (hs, inward);
                      hkl[0] = h, hkl[1] = k, hkl[2] = l;
                    }
                }
        }
      has_hkl = TRUE;
    }
  gdouble hc[3] = { hkl[0], hkl[1], hkl[2] };
  aet_lattice_fit_to_sample (&an->lattice, hc, ldir);
  gdouble expected = aet_lattice_plane_spacing (an->lattice.a, hkl);
  g_autofree gint *layer_of = g_new (gint, n);
  an->layers = aet_layers_find (pos, n, ldir, expected, layer_of);
  an->layers->has_hkl = has_hkl;
  if (has_hkl)
    memcpy (an->layers->hkl, hkl, sizeof hkl);
  aet_layers_add_strain (an->layers, layer_of, n, tensor, vol);

  /* per-atom columns */
  static const char *const tensor_names[6] = { "strain_xx", "strain_yy", "strain_zz",
                                                "strain_xy", "strain_xz", "strain_yz" };
  static const char *const disp_names[3] = { "displacement_x_pm", "displacement_y_pm",
                                             "displacement_z_pm" };
  gfloat *col;
  col = aet_atoms_ensure_column (atoms, "coordination");
  for (gsize i = 0; i < n; i++)
    col[i] = coord[i];
  col = aet_atoms_ensure_column (atoms, "surface");
  for (gsize i = 0; i < n; i++)
    col[i] = surface[i] ? 1 : 0;
  col = aet_atoms_ensure_column (atoms, "facet");
  for (gsize i = 0; i < n; i++)
    col[i] = facet_of[i];
  col = aet_atoms_ensure_column (atoms, "layer");
  for (gsize i = 0; i < n; i++)
    col[i] = layer_of[i];
  col = aet_atoms_ensure_column (atoms, "displacement_pm");
  memcpy (col, disp, n * sizeof (gfloat));
  for (int c = 0; c < 3; c++)
    {
      col = aet_atoms_ensure_column (atoms, disp_names[c]);
      for (gsize i = 0; i < n; i++)
        col[i] = dxyz[3 * i + c];
    }
  for (int c = 0; c < 6; c++)
    {
      col = aet_atoms_ensure_column (atoms, tensor_names[c]);
      for (gsize i = 0; i < n; i++)
        col[i] = tensor[6 * i + c];
    }
  col = aet_atoms_ensure_column (atoms, "strain_vol");
  memcpy (col, vol, n * sizeof (gfloat));
  col = aet_atoms_ensure_column (atoms, "strain_radial");
  memcpy (col, radial, n * sizeof (gfloat));
  aet_job_progress (job, 1.0, "analysis done");
  return g_steal_pointer (&an);
}
