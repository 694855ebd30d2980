#define G_LOG_DOMAIN "aet-figure"

#include "aet-figure.h"

#include <math.h>
#include <string.h>

#include "aet-analysis.h"
#include "aet-colormap.h"
#include "aet-error.h"
#include "aet-iso-mesh.h"
#include "aet-offscreen.h"
#include "aet-plot.h"
#include "aet-scene.h"
#include "aet-slice.h"

#define MAX_PANELS 4

/* Radius of a traced atom's dot in a layer figure (Å). */
#define LAYER_DOT_RADIUS 0.26
/* Margin around the layer's atoms in a layer figure (Å). */
#define LAYER_MARGIN 3.0

typedef struct
{
  AetVolume *volume;
  AetAtoms *atoms;
  char *caption;
  AetFacet *facets;
  guint n_facets;

  gint x, y, w, h;  /* the panel's rectangle in figure pixels */
  AetScene *scene;  /* 3D views */
  guint generation; /* of the scene's volume, for its mesh */
  guint8 *rgba;     /* the rendered 3D view, w × h */

  AetSlice *slice;  /* layers view */
  GArray *layer_uv; /* the layer's atoms, slice pixels (u, v) pairs */

  gboolean has_bar;
  gdouble bar_angstrom, bar_pixels;
  char bar_label[32];
} Panel;

struct _AetFigure
{
  AetViewSetup setup;
  AetCamera *camera;
  AetFigureOptions options;
  guint n;
  Panel panels[MAX_PANELS];

  gdouble pt;      /* points per figure pixel: 72/dpi */
  gdouble font_px; /* body text size in pixels */
  gint right_band; /* pixels kept at the right for a colour bar or a legend */

  gboolean colorbar;
  AetColormap cmap;
  gdouble vmin, vmax;

  gboolean legend;
  GArray *facet_keys; /* gint[3] Miller triples: legend entry k has category colour k */

  gboolean prepared, rendered;
  gdouble region[4]; /* layers: the shown rectangle (u0, v0, u1, v1) in slice Å */
  AetCanvas *canvas;
};

/* ---- options ------------------------------------------------------------ */

void
aet_figure_options_init (AetFigureOptions *o)
{
  memset (o, 0, sizeof *o);
  o->width = 2400;
  o->height = 1800;
  o->dpi = 300;
  o->scale_bar = TRUE;
  o->panel_labels = TRUE;
  o->color_bar = TRUE;
  o->legend = TRUE;
  o->samples = 4;
  o->orthographic = TRUE;
}

void
aet_figure_options_set_size_mm (AetFigureOptions *o, gdouble width_mm, gdouble height_mm)
{
  o->width = (gint) lround (width_mm / 25.4 * o->dpi);
  o->height = (gint) lround (height_mm / 25.4 * o->dpi);
}

gdouble
aet_figure_nice_length (gdouble max_angstrom, char *label, gsize label_size)
{
  if (!(max_angstrom > 0) || !isfinite (max_angstrom))
    max_angstrom = 1;
  gdouble p = pow (10, floor (log10 (max_angstrom)));
  gdouble len = p;
  static const gdouble steps[] = { 5, 2, 1 };
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * p <= max_angstrom * (1 + 1e-9))
      {
        len = steps[i] * p;
        break;
      }
  if (label != NULL)
    {
      if (len >= 10)
        g_snprintf (label, label_size, "%g nm", len / 10);
      else
        g_snprintf (label, label_size, "%g Å", len);
    }
  return len;
}

/* ---- what a colour column means ---------------------------------------- */

typedef struct
{
  const char *prefix, *name, *unit;
  gdouble scale;
} ColumnInfo;

static const ColumnInfo column_info[] = {
  { "strain_vol", "Volumetric strain", "%", 100 },
  { "strain_radial", "Radial strain", "%", 100 },
  { "strain_", "Strain", "%", 100 },
  { "displacement_pm", "Displacement", "pm", 1 },
  { "displacement_", "Displacement", "pm", 1 },
  { "uncertainty_pm", "Position uncertainty", "pm", 1 },
  { "moved_pm", "Moved by refinement", "pm", 1 },
  { "coordination", "Coordination number", NULL, 1 },
  { "b_factor", "B factor", "Å²", 1 },
  { "fit_error", "Fit error", NULL, 1 },
  { "intensity", "Intensity", NULL, 1 },
  { "peak", "Peak height", NULL, 1 },
};

static const ColumnInfo *
find_column_info (const char *column)
{
  for (guint i = 0; i < G_N_ELEMENTS (column_info); i++)
    if (g_str_has_prefix (column, column_info[i].prefix))
      return &column_info[i];
  return NULL;
}

/* "-1" → "−1": a real minus sign, as typeset.  Caller owns. */
static char *
typeset_minus (const char *text)
{
  GString *s = g_string_new (NULL);
  for (const char *q = text; *q; q++)
    if (*q == '-')
      g_string_append (s, "−");
    else
      g_string_append_c (s, *q);
  return g_string_free (s, FALSE);
}

/* "{1 1 1}" for a family. Caller owns. */
static char *
miller_label (const gint m[3])
{
  return g_strdup_printf ("{%d %d %d}", m[0], m[1], m[2]);
}

/* ---- set-up ------------------------------------------------------------- */

static gboolean
is_3d (const AetFigure *f)
{
  return f->setup.mode != AET_VIEW_LAYERS;
}

/* Facet colours by family with a legend: the facets view (the surface in
 * facet colours), and the atoms view coloured by facet (the atoms). */
static gboolean
wants_facets (const AetFigure *f)
{
  return f->setup.mode == AET_VIEW_FACETS
         || (f->setup.mode == AET_VIEW_ATOMS && g_str_equal (f->setup.color_column, "facet"));
}

static void
panel_clear (Panel *p)
{
  g_clear_pointer (&p->volume, aet_volume_unref);
  g_clear_pointer (&p->atoms, aet_atoms_unref);
  g_clear_pointer (&p->caption, g_free);
  g_clear_pointer (&p->facets, g_free);
  g_clear_pointer (&p->scene, aet_scene_free);
  g_clear_pointer (&p->rgba, g_free);
  g_clear_pointer (&p->slice, aet_slice_free);
  if (p->layer_uv != NULL)
    g_array_unref (g_steal_pointer (&p->layer_uv));
}

void
aet_figure_free (AetFigure *f)
{
  if (f == NULL)
    return;
  for (guint i = 0; i < f->n; i++)
    panel_clear (&f->panels[i]);
  g_clear_pointer (&f->camera, aet_camera_free);
  g_clear_pointer (&f->canvas, aet_canvas_free);
  if (f->facet_keys != NULL)
    g_array_unref (f->facet_keys);
  g_free (f);
}

static gint
px (gdouble v)
{
  return (gint) lround (v);
}

/* Places the panels (figure pixels) and the bands around them. */
static gboolean
layout (AetFigure *f, GError **error)
{
  const AetFigureOptions *o = &f->options;
  gdouble font_pt = CLAMP (MIN (o->width, o->height) * f->pt / 40.0, 6.0, 28.0);
  f->font_px = font_pt / f->pt;
  gint margin = px (0.8 * f->font_px);
  gboolean captions = FALSE;
  for (guint i = 0; i < f->n; i++)
    captions |= f->panels[i].caption != NULL;
  gboolean labels = o->panel_labels && f->n > 1;
  gint top = margin + (o->title[0] != '\0' ? px (1.9 * f->font_px) : 0)
             + (captions || labels ? px (1.6 * f->font_px) : 0);
  f->right_band = 0;
  if (f->colorbar)
    f->right_band = px (6.5 * f->font_px);
  else if (f->legend)
    {
      /* wide enough for "Facets" and a family such as {10 3 1} beside its
       * colour, whatever the analysis finds later */
      gdouble w1, w2, a;
      aet_canvas_text_extents ("Facets", font_pt, TRUE, &w1, &a);
      aet_canvas_text_extents ("{10 3 1}", 0.85 * font_pt, FALSE, &w2, &a);
      f->right_band = px (MAX (w1, w2 + 1.35 * font_pt) / f->pt + 1.4 * f->font_px);
    }
  gint x0 = margin, x1 = o->width - margin - f->right_band;
  gint y0 = top, y1 = o->height - margin;
  gint pw = (x1 - x0 - (gint) (f->n - 1) * margin) / (gint) f->n;
  gint ph = y1 - y0;
  if (pw < 16 || ph < 16)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "figure: %d × %d pixels is too small for %u panel%s and their labels",
                   o->width, o->height, f->n, f->n > 1 ? "s" : "");
      return FALSE;
    }
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      p->x = x0 + (gint) i * (pw + margin);
      p->y = y0;
      p->w = pw;
      p->h = ph;
    }
  return TRUE;
}

/* One colour range for every panel, so equal colours mean equal values. */
static void
share_color_range (AetFigure *f)
{
  f->colorbar = FALSE;
  const char *col = f->setup.color_column;
  if (f->setup.mode != AET_VIEW_ATOMS || g_str_equal (col, "element")
      || g_str_equal (col, "facet") || g_str_equal (col, "layer") || !f->options.color_bar)
    return;
  gdouble lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  for (guint i = 0; i < f->n; i++)
    {
      gdouble a, b;
      if (f->panels[i].scene == NULL || f->panels[i].atoms == NULL
          || !aet_scene_get_legend (f->panels[i].scene, &f->cmap, &a, &b))
        continue;
      lo = MIN (lo, a);
      hi = MAX (hi, b);
    }
  if (!(hi >= lo))
    return;
  if (f->cmap == AET_COLORMAP_DIVERGING)
    {
      gdouble m = MAX (fabs (lo), fabs (hi));
      lo = -m;
      hi = m;
    }
  if (hi == lo)
    hi = lo + 1;
  for (guint i = 0; i < f->n; i++)
    if (f->panels[i].scene != NULL)
      aet_scene_set_color_range (f->panels[i].scene, FALSE, lo, hi);
  f->vmin = lo;
  f->vmax = hi;
  f->colorbar = TRUE;
}

/* {hkl}: the family of (hkl), as |h| ≥ |k| ≥ |l|. */
static void
miller_family (const gint m[3], gint family[3])
{
  for (int i = 0; i < 3; i++)
    family[i] = ABS (m[i]);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2 - i; j++)
      if (family[j] < family[j + 1])
        {
          gint t = family[j];
          family[j] = family[j + 1];
          family[j + 1] = t;
        }
}

/* Facets are numbered per model, so the same face of the particle has
 * different ids before and after augmentation, and a particle has a dozen
 * or more facets.  Colours follow the facet's family {hkl} instead, as in
 * the literature ({111} one colour, {100} another): the same in every
 * panel and in the legend (column "figure_facet" on a copy of each panel's
 * atoms).  Panels without a facet table keep their own ids. */
static void
share_facet_colors (AetFigure *f)
{
  f->facet_keys = g_array_new (FALSE, FALSE, sizeof (gint));
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      if (p->facets == NULL || p->atoms == NULL)
        continue;
      gint max_id = -1;
      for (guint k = 0; k < p->n_facets; k++)
        max_id = MAX (max_id, p->facets[k].id);
      g_autofree gint *key_of_id = g_new (gint, max_id + 1);
      for (gint id = 0; id <= max_id; id++)
        key_of_id[id] = -1;
      for (guint k = 0; k < p->n_facets; k++)
        {
          const AetFacet *fa = &p->facets[k];
          if (fa->n_atoms == 0 || fa->id < 0)
            continue;
          gint family[3];
          miller_family (fa->miller, family);
          guint key = 0, n_keys = f->facet_keys->len / 3;
          const gint *keys = (const gint *) f->facet_keys->data;
          while (key < n_keys && memcmp (keys + 3 * key, family, sizeof family) != 0)
            key++;
          if (key == n_keys)
            g_array_append_vals (f->facet_keys, family, 3);
          key_of_id[fa->id] = (gint) key;
        }
      AetAtoms *copy = aet_atoms_dup (p->atoms);
      gfloat *keys = aet_atoms_ensure_column (copy, "figure_facet");
      const gfloat *ids = aet_atoms_get_column (copy, "facet");
      for (gsize a = 0; a < copy->n_atoms; a++)
        {
          gint id = isfinite (ids[a]) ? (gint) lround (ids[a]) : -1;
          keys[a] = id >= 0 && id <= max_id ? key_of_id[id] : -1;
        }
      aet_atoms_unref (p->atoms);
      p->atoms = copy;
      aet_scene_set_atoms (p->scene, copy);
      aet_scene_set_atom_coloring (p->scene, AET_ATOM_COLORING_CATEGORY, "figure_facet");
    }
  /* the array holds triples; its length counts entries from here on */
  GArray *triples = f->facet_keys;
  f->facet_keys = g_array_sized_new (FALSE, FALSE, 3 * sizeof (gint), triples->len / 3);
  g_array_append_vals (f->facet_keys, triples->data, triples->len / 3);
  g_array_unref (triples);
}

AetFigure *
aet_figure_new (const AetViewSetup *setup, const AetCamera *camera,
                const AetFigurePanel *panels, guint n_panels, const AetFigureOptions *options,
                GError **error)
{
  g_return_val_if_fail (setup != NULL && camera != NULL && options != NULL, NULL);
  const AetFigureOptions *o = options;
  if (n_panels < 1 || n_panels > MAX_PANELS)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "figure: %u panels (1–%d)", n_panels,
                   MAX_PANELS);
      return NULL;
    }
  if (o->width < 16 || o->height < 16 || o->width > 65536 || o->height > 65536)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "figure: %d × %d pixels (each side 16–65536)", o->width, o->height);
      return NULL;
    }
  if (!(o->dpi >= 1 && o->dpi <= 10000))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "figure: %g DPI (1–10000)", o->dpi);
      return NULL;
    }
  for (guint i = 0; i < n_panels; i++)
    {
      gboolean needs_atoms = setup->mode == AET_VIEW_ATOMS || setup->mode == AET_VIEW_FACETS;
      if (panels[i].volume == NULL && panels[i].atoms == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "figure: panel %u has neither a volume nor atoms", i + 1);
          return NULL;
        }
      if (setup->mode == AET_VIEW_LAYERS && panels[i].volume == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "figure: the layers view needs a volume (panel %u has none)", i + 1);
          return NULL;
        }
      if (needs_atoms && panels[i].atoms == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "figure: the %s view needs traced atoms (panel %u has none)",
                       aet_view_mode_to_string (setup->mode), i + 1);
          return NULL;
        }
    }

  g_autoptr (AetFigure) f = g_new0 (AetFigure, 1);
  f->setup = *setup;
  f->camera = aet_camera_new ();
  aet_camera_copy_from (f->camera, camera);
  if (o->orthographic)
    aet_camera_set_projection (f->camera, AET_PROJECTION_ORTHOGRAPHIC);
  f->options = *o;
  f->options.title[sizeof f->options.title - 1] = '\0';
  f->pt = 72.0 / o->dpi;
  f->n = n_panels;
  for (guint i = 0; i < n_panels; i++)
    {
      Panel *p = &f->panels[i];
      const AetFigurePanel *in = &panels[i];
      p->volume = in->volume != NULL ? aet_volume_ref (in->volume) : NULL;
      p->atoms = in->atoms != NULL ? aet_atoms_ref (in->atoms) : NULL;
      p->caption = g_strdup (in->caption);
      if (in->facets != NULL && in->n_facets > 0)
        {
          p->facets = g_memdup2 (in->facets, sizeof (AetFacet) * in->n_facets);
          p->n_facets = in->n_facets;
        }
      if (is_3d (f))
        {
          p->scene = aet_scene_new ();
          aet_view_style_scene (p->scene);
          aet_scene_set_atoms (p->scene, p->atoms);
          aet_view_apply (&f->setup, p->scene, p->atoms != NULL, p->volume != NULL);
          if (p->volume != NULL)
            p->generation = aet_scene_set_volume (p->scene, p->volume,
                                                  aet_view_iso_level (&f->setup, p->volume));
        }
    }
  share_color_range (f);
  f->legend = o->legend && wants_facets (f);
  if (!layout (f, error))
    return NULL;
  return g_steal_pointer (&f);
}

void
aet_figure_set_camera (AetFigure *f, const AetCamera *camera)
{
  aet_camera_copy_from (f->camera, camera);
  if (f->options.orthographic)
    aet_camera_set_projection (f->camera, AET_PROJECTION_ORTHOGRAPHIC);
  f->rendered = FALSE;
}

/* ---- CPU work ----------------------------------------------------------- */

/* The rectangle of the layer shown (slice Å): the atoms of every panel's
 * layer with a margin, so before/after panels frame the same region; the
 * whole slice when the layer has no atoms. */
static void
layer_region (AetFigure *f)
{
  gdouble r[4] = { G_MAXDOUBLE, G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE };
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      if (p->layer_uv == NULL)
        continue;
      const gdouble *uv = (const gdouble *) p->layer_uv->data;
      for (guint k = 0; k < p->layer_uv->len / 2; k++)
        {
          gdouble u = uv[2 * k] * p->slice->pixel_size, v = uv[2 * k + 1] * p->slice->pixel_size;
          r[0] = MIN (r[0], u);
          r[1] = MIN (r[1], v);
          r[2] = MAX (r[2], u);
          r[3] = MAX (r[3], v);
        }
    }
  const AetSlice *s = f->panels[0].slice;
  if (r[2] < r[0])
    {
      r[0] = 0;
      r[1] = 0;
      r[2] = (s->width - 1) * s->pixel_size;
      r[3] = (s->height - 1) * s->pixel_size;
    }
  else
    {
      r[0] -= LAYER_MARGIN;
      r[1] -= LAYER_MARGIN;
      r[2] += LAYER_MARGIN;
      r[3] += LAYER_MARGIN;
    }
  memcpy (f->region, r, sizeof r);
}

/* The facets view needs each model's facet table: analyse the models that
 * come without one (on a copy: the caller's atoms are never written). */
static gboolean
ensure_facets (AetFigure *f, AetJob *job, GError **error)
{
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      if (p->facets != NULL && aet_atoms_get_column (p->atoms, "facet") != NULL)
        continue;
      g_autoptr (AetAtoms) copy = aet_atoms_dup (p->atoms);
      AetAnalysisOptions ao;
      aet_analysis_options_init (&ao);
      g_autoptr (GError) local = NULL;
      g_autoptr (AetAnalysis) an = aet_analysis_run (copy, &ao, job, &local);
      if (an == NULL)
        {
          if (g_error_matches (local, AET_ERROR, AET_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local));
          else
            g_set_error (error, AET_ERROR, AET_ERROR_DATA, "facets of %s: %s",
                         p->caption != NULL ? p->caption : "the model", local->message);
          return FALSE;
        }
      g_clear_pointer (&p->facets, g_free);
      p->n_facets = an->facets->len;
      p->facets = p->n_facets > 0 ? g_memdup2 (an->facets->data, sizeof (AetFacet) * p->n_facets)
                                  : g_new0 (AetFacet, 1);
      aet_atoms_unref (p->atoms);
      p->atoms = g_steal_pointer (&copy);
    }
  share_facet_colors (f);
  return TRUE;
}

gboolean
aet_figure_prepare (AetFigure *f, guint n_threads, AetJob *job, GError **error)
{
  n_threads = MAX (n_threads, 1);
  if (wants_facets (f) && f->facet_keys == NULL && !ensure_facets (f, job, error))
    return FALSE;
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      if (job != NULL && aet_job_check_cancelled (job, "figure", error))
        return FALSE;
      if (is_3d (f))
        {
          gboolean facets = f->setup.mode == AET_VIEW_FACETS && p->atoms != NULL;
          gboolean mesh = f->setup.mode == AET_VIEW_ISO || p->atoms == NULL || facets;
          if (!mesh || p->volume == NULL)
            continue;
          AetIsoMesh *m = aet_iso_mesh_compute (p->volume, aet_view_iso_level (&f->setup, p->volume),
                                                n_threads, job, error);
          if (m == NULL)
            return FALSE;
          /* the surface near each facet in the facet's (family's) colour */
          if (facets
              && !aet_view_color_mesh_by_facet (
                m, p->atoms,
                aet_atoms_get_column (p->atoms, "figure_facet") != NULL ? "figure_facet" : "facet",
                error))
            {
              aet_iso_mesh_free (m);
              return FALSE;
            }
          aet_scene_take_iso_mesh (p->scene, m, p->generation);
        }
      else
        {
          g_clear_pointer (&p->slice, aet_slice_free);
          p->slice = aet_view_sample_layer (&f->setup, p->volume, error);
          if (p->slice == NULL)
            return FALSE;
          if (p->layer_uv != NULL)
            g_array_unref (g_steal_pointer (&p->layer_uv));
          if (p->atoms != NULL)
            p->layer_uv = aet_slice_layer_atoms (p->slice, p->atoms,
                                                 aet_view_layer_spacing (&f->setup) / 2, NULL);
        }
    }
  if (!is_3d (f))
    layer_region (f);
  f->prepared = TRUE;
  return TRUE;
}

/* ---- GL ----------------------------------------------------------------- */

static void compose (AetFigure *f);

gboolean
aet_figure_render (AetFigure *f, GError **error)
{
  if (!f->prepared && !aet_figure_prepare (f, 1, NULL, error))
    return FALSE;
  if (is_3d (f))
    for (guint i = 0; i < f->n; i++)
      {
        Panel *p = &f->panels[i];
        if (!aet_scene_realize (p->scene, error))
          return FALSE;
        const AetCamera *cam = f->camera; /* fits the framed sphere in any panel shape */
        AetOffscreenOptions oo = { .samples = f->options.samples,
                                   .transparent = f->options.transparent };
        g_clear_pointer (&p->rgba, g_free);
        p->rgba = aet_offscreen_render (p->scene, cam, p->w, p->h, &oo, error);
        aet_scene_unrealize (p->scene);
        if (p->rgba == NULL)
          return FALSE;
      }
  compose (f);
  f->rendered = TRUE;
  return TRUE;
}

gboolean
aet_figure_render_offscreen (AetFigure *f, GError **error)
{
  if (!is_3d (f))
    return aet_figure_render (f, error);
  g_autoptr (AetOffscreenContext) ctx = aet_offscreen_context_new (error);
  if (ctx == NULL)
    return FALSE;
  return aet_figure_render (f, error);
}

/* ---- composing ---------------------------------------------------------- */

/* Pixels → points. */
#define P(v) ((v) * f->pt)

static void
text_color (AetFigure *f, AetCanvas *c)
{
  (void) f;
  aet_canvas_set_color (c, 0.1, 0.1, 0.12, 1);
}

/* A scale bar at the bottom left of panel p for `angstrom_per_px`. */
static void
draw_scale_bar (AetFigure *f, AetCanvas *c, Panel *p, gdouble angstrom_per_px, gboolean light)
{
  p->has_bar = FALSE;
  if (!f->options.scale_bar || !(angstrom_per_px > 0) || !isfinite (angstrom_per_px))
    return;
  p->bar_angstrom = aet_figure_nice_length (0.25 * p->w * angstrom_per_px, p->bar_label,
                                            sizeof p->bar_label);
  p->bar_pixels = p->bar_angstrom / angstrom_per_px;
  p->has_bar = TRUE;
  gdouble inset = 1.0 * f->font_px, thick = 0.32 * f->font_px;
  gdouble x = p->x + inset, y = p->y + p->h - inset - thick;
  g_autofree char *id = g_strdup_printf ("scale-bar-%c", 'a' + (gint) (p - f->panels));
  aet_canvas_begin_group (c, id);
  if (light)
    aet_canvas_set_color (c, 1, 1, 1, 1);
  else
    text_color (f, c);
  aet_canvas_rect (c, P (x), P (y), P (p->bar_pixels), P (thick), TRUE);
  aet_canvas_text (c, P (x + p->bar_pixels / 2), P (y - 0.35 * f->font_px), p->bar_label,
                   P (f->font_px), TRUE, AET_TEXT_MIDDLE, AET_TEXT_BASELINE, 0);
  aet_canvas_end_group (c);
}

static void
draw_3d_panel (AetFigure *f, AetCanvas *c, Panel *p)
{
  aet_canvas_image (c, p->rgba, p->w, p->h, P (p->x), P (p->y), P (p->w), P (p->h), TRUE);
  const AetCamera *cam = f->camera;
  if (aet_camera_get_projection (cam) == AET_PROJECTION_ORTHOGRAPHIC)
    draw_scale_bar (f, c, p, aet_camera_get_pixel_size (cam, p->w, p->h), FALSE);
  else
    p->has_bar = FALSE;
}

/* The layer's intensity over the shown region (grey, NaN transparent),
 * normalised to its own range so each volume is shown at full contrast. */
static guint8 *
layer_image (const AetSlice *s, gint a0, gint b0, gint w, gint h)
{
  gfloat lo = G_MAXFLOAT, hi = -G_MAXFLOAT;
  for (gint b = 0; b < h; b++)
    for (gint a = 0; a < w; a++)
      {
        gint sa = a0 + a, sb = b0 + b;
        if (sa < 0 || sb < 0 || sa >= s->width || sb >= s->height)
          continue;
        gfloat v = s->data[(gsize) sb * s->width + sa];
        if (isfinite (v))
          {
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
      }
  if (!(hi > lo))
    hi = lo + 1;
  guint8 *rgba = g_malloc0 ((gsize) w * h * 4);
  for (gint b = 0; b < h; b++)
    for (gint a = 0; a < w; a++)
      {
        gint sa = a0 + a, sb = b0 + b;
        if (sa < 0 || sb < 0 || sa >= s->width || sb >= s->height)
          continue;
        gfloat v = s->data[(gsize) sb * s->width + sa];
        if (!isfinite (v))
          continue;
        guint8 g = (guint8) lround (255.0 * (v - lo) / (hi - lo));
        guint8 *d = rgba + 4 * ((gsize) b * w + a);
        d[0] = d[1] = d[2] = g;
        d[3] = 255;
      }
  return rgba;
}

static void
draw_layer_panel (AetFigure *f, AetCanvas *c, Panel *p)
{
  const AetSlice *s = p->slice;
  const gdouble *r = f->region;
  gdouble ps = s->pixel_size;
  /* pixels of the figure per Å, shared by every panel */
  gdouble k = MIN (p->w / (r[2] - r[0]), p->h / (r[3] - r[1]));
  gdouble cx = p->x + p->w / 2.0, cy = p->y + p->h / 2.0;
  gdouble uc = (r[0] + r[2]) / 2, vc = (r[1] + r[3]) / 2;
#define FX(u) (cx + ((u) - uc) * k)
#define FY(v) (cy + ((v) - vc) * k)
  gint a0 = (gint) floor (r[0] / ps), b0 = (gint) floor (r[1] / ps);
  gint a1 = (gint) ceil (r[2] / ps), b1 = (gint) ceil (r[3] / ps);
  gint w = a1 - a0 + 1, h = b1 - b0 + 1;
  g_autofree guint8 *img = layer_image (s, a0, b0, w, h);
  aet_canvas_push_clip (c, P (p->x), P (p->y), P (p->w), P (p->h));
  aet_canvas_set_color (c, 0, 0, 0, 1);
  aet_canvas_rect (c, P (p->x), P (p->y), P (p->w), P (p->h), TRUE);
  /* pixel (a, b) covers [a − ½, a + ½]·ps */
  aet_canvas_image (c, img, w, h, P (FX ((a0 - 0.5) * ps)), P (FY ((b0 - 0.5) * ps)),
                    P (w * ps * k), P (h * ps * k), TRUE);
  g_autofree char *id = g_strdup_printf ("atoms-%c", 'a' + (gint) (p - f->panels));
  aet_canvas_begin_group (c, id);
  if (p->layer_uv != NULL)
    {
      const gdouble fill[4] = { 0.96, 0.36, 0.14, 1 }, stroke[4] = { 1, 1, 1, 0.9 };
      gdouble rad = MAX (LAYER_DOT_RADIUS * k, 1.5);
      aet_canvas_set_line_width (c, P (MAX (0.18 * rad, 0.5)));
      const gdouble *uv = (const gdouble *) p->layer_uv->data;
      for (guint i = 0; i < p->layer_uv->len / 2; i++)
        aet_canvas_circle (c, P (FX (uv[2 * i] * ps)), P (FY (uv[2 * i + 1] * ps)), P (rad), fill,
                           stroke);
    }
  aet_canvas_end_group (c);
  /* which layer this is, for the record: "[1 1 1] layer +2" */
  char which[64];
  const gint *hkl = f->setup.hkl;
  gint index = aet_view_clamp_layer (&f->setup, p->volume, f->setup.layer_index);
  g_snprintf (which, sizeof which, "[%d %d %d] layer %+d%s", hkl[0], hkl[1], hkl[2], index,
              f->setup.have_lattice ? "" : " (volume axes)");
  g_autofree char *typeset = typeset_minus (which);
  aet_canvas_set_color (c, 1, 1, 1, 0.9);
  aet_canvas_text (c, P (p->x + p->w - 0.8 * f->font_px), P (p->y + p->h - 0.8 * f->font_px),
                   typeset, P (0.8 * f->font_px), FALSE, AET_TEXT_END, AET_TEXT_BASELINE, 0);
  aet_canvas_pop_clip (c);
  draw_scale_bar (f, c, p, 1.0 / k, TRUE);
#undef FX
#undef FY
}

static void
draw_color_bar (AetFigure *f, AetCanvas *c)
{
  const ColumnInfo *info = find_column_info (f->setup.color_column);
  gdouble scale = info != NULL ? info->scale : 1;
  const Panel *p0 = &f->panels[0];
  gdouble bw = 0.9 * f->font_px, bh = 0.6 * p0->h;
  gdouble x = f->options.width - f->right_band + 0.6 * f->font_px;
  gdouble y = p0->y + (p0->h - bh) / 2;
  aet_canvas_begin_group (c, "color-bar");
  g_autofree guint8 *bar = aet_colormap_bar_image (f->cmap, 16, 256, FALSE);
  aet_canvas_image (c, bar, 16, 256, P (x), P (y), P (bw), P (bh), TRUE);
  text_color (f, c);
  aet_canvas_set_line_width (c, P (MAX (1.0, 0.06 * f->font_px)));
  aet_canvas_rect (c, P (x), P (y), P (bw), P (bh), FALSE);
  gdouble ticks[16];
  guint nt = aet_nice_ticks (f->vmin * scale, f->vmax * scale, 5, ticks, G_N_ELEMENTS (ticks));
  gdouble max_w = 0;
  for (guint i = 0; i < nt; i++)
    {
      gdouble t = ticks[i] / scale;
      if (t < f->vmin - 1e-12 || t > f->vmax + 1e-12)
        continue;
      gdouble ty = y + bh * (1 - (t - f->vmin) / (f->vmax - f->vmin));
      aet_canvas_line (c, P (x + bw), P (ty), P (x + bw + 0.35 * f->font_px), P (ty));
      char plain[32];
      g_snprintf (plain, sizeof plain, "%g", fabs (ticks[i]) < 1e-12 ? 0.0 : ticks[i]);
      g_autofree char *label = typeset_minus (plain);
      gdouble tw, ta;
      aet_canvas_text_extents (label, P (0.85 * f->font_px), FALSE, &tw, &ta);
      max_w = MAX (max_w, tw / f->pt);
      aet_canvas_text (c, P (x + bw + 0.5 * f->font_px), P (ty), label, P (0.85 * f->font_px),
                       FALSE, AET_TEXT_START, AET_TEXT_CENTRAL, 0);
    }
  g_autofree char *title = NULL;
  if (info != NULL && info->unit != NULL)
    title = g_strdup_printf ("%s (%s)", info->name, info->unit);
  else
    title = g_strdup (info != NULL ? info->name : f->setup.color_column);
  aet_canvas_text (c, P (x + bw + 0.9 * f->font_px + max_w + 0.2 * f->font_px), P (y + bh / 2),
                   title, P (0.9 * f->font_px), FALSE, AET_TEXT_MIDDLE, AET_TEXT_HANGING, 90);
  aet_canvas_end_group (c);
}

static void
draw_facet_legend (AetFigure *f, AetCanvas *c)
{
  const Panel *p0 = &f->panels[0];
  gdouble x = f->options.width - f->right_band + 0.6 * f->font_px;
  gdouble y = p0->y + 0.5 * f->font_px, step = 1.45 * f->font_px, sq = 0.9 * f->font_px;
  aet_canvas_begin_group (c, "facet-legend");
  text_color (f, c);
  aet_canvas_text (c, P (x), P (y), "Facets", P (f->font_px), TRUE, AET_TEXT_START,
                   AET_TEXT_HANGING, 0);
  y += step;
  guint n = f->facet_keys->len, max_rows = (guint) MAX (1.0, (p0->h - 2 * step) / step);
  for (guint k = 0; k < n; k++)
    {
      if (k + 1 >= max_rows && k + 1 < n)
        {
          char more[32];
          g_snprintf (more, sizeof more, "+%u more", n - k);
          text_color (f, c);
          aet_canvas_text (c, P (x), P (y), more, P (0.85 * f->font_px), FALSE, AET_TEXT_START,
                           AET_TEXT_HANGING, 0);
          break;
        }
      gfloat rgb[3];
      aet_colormap_category ((gint) k, rgb);
      aet_canvas_set_color (c, rgb[0], rgb[1], rgb[2], 1);
      aet_canvas_rect (c, P (x), P (y), P (sq), P (sq), TRUE);
      g_autofree char *label = miller_label (&g_array_index (f->facet_keys, gint, 3 * k));
      text_color (f, c);
      aet_canvas_text (c, P (x + sq + 0.45 * f->font_px), P (y + sq / 2), label,
                       P (0.85 * f->font_px), FALSE, AET_TEXT_START, AET_TEXT_CENTRAL, 0);
      y += step;
    }
  aet_canvas_end_group (c);
}

static void
compose (AetFigure *f)
{
  g_clear_pointer (&f->canvas, aet_canvas_free);
  const AetFigureOptions *o = &f->options;
  AetCanvas *c = f->canvas = aet_canvas_new (P (o->width), P (o->height));
  if (!o->transparent)
    {
      aet_canvas_set_color (c, 1, 1, 1, 1);
      aet_canvas_fill_background (c);
    }
  gint margin = px (0.8 * f->font_px);
  gdouble y = margin;
  if (o->title[0] != '\0')
    {
      text_color (f, c);
      aet_canvas_text (c, P ((o->width - f->right_band) / 2.0), P (y), o->title,
                       P (1.2 * f->font_px), TRUE, AET_TEXT_MIDDLE, AET_TEXT_HANGING, 0);
    }
  gboolean labels = o->panel_labels && f->n > 1;
  for (guint i = 0; i < f->n; i++)
    {
      Panel *p = &f->panels[i];
      g_autofree char *id = g_strdup_printf ("panel-%c", 'a' + i);
      aet_canvas_begin_group (c, id);
      gdouble ty = p->y - 0.45 * f->font_px;
      text_color (f, c);
      if (labels)
        {
          char letter[2] = { (char) ('a' + i), 0 };
          aet_canvas_text (c, P (p->x), P (ty), letter, P (1.15 * f->font_px), TRUE,
                           AET_TEXT_START, AET_TEXT_BASELINE, 0);
        }
      if (p->caption != NULL)
        aet_canvas_text (c, P (p->x + p->w / 2.0), P (ty), p->caption, P (f->font_px), FALSE,
                         AET_TEXT_MIDDLE, AET_TEXT_BASELINE, 0);
      if (is_3d (f))
        draw_3d_panel (f, c, p);
      else
        draw_layer_panel (f, c, p);
      aet_canvas_end_group (c);
    }
  if (f->colorbar)
    draw_color_bar (f, c);
  else if (f->legend && f->facet_keys != NULL && f->facet_keys->len > 0)
    draw_facet_legend (f, c);
}

#undef P

static gboolean
ensure_rendered (AetFigure *f, GError **error)
{
  if (f->rendered)
    return TRUE;
  return aet_figure_render_offscreen (f, error);
}

gboolean
aet_figure_save (AetFigure *f, const char *path, GError **error)
{
  if (!ensure_rendered (f, error))
    return FALSE;
  return aet_canvas_save (f->canvas, path, f->options.dpi, f->options.width, f->options.height,
                          error);
}

guint8 *
aet_figure_rasterize (AetFigure *f, gint *width, gint *height, GError **error)
{
  if (!ensure_rendered (f, error))
    return NULL;
  return aet_canvas_rasterize (f->canvas, f->options.dpi, f->options.width, f->options.height,
                               width, height, error);
}

gboolean
aet_figure_get_scale_bar (AetFigure *f, guint index, gdouble *length_angstrom,
                          gdouble *length_pixels, const char **label)
{
  if (index >= f->n || !f->rendered || !f->panels[index].has_bar)
    return FALSE;
  const Panel *p = &f->panels[index];
  if (length_angstrom != NULL)
    *length_angstrom = p->bar_angstrom;
  if (length_pixels != NULL)
    *length_pixels = p->bar_pixels;
  if (label != NULL)
    *label = p->bar_label;
  return TRUE;
}
