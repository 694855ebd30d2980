/* Figures for papers (render/aet-figure): PNG size and DPI, one SVG circle
 * per traced atom of the layer, PDF page size, scale bars that measure what
 * the pixels show, STL/OBJ surfaces, and bad requests refused. */
#include <glib/gstdio.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aet-atom-density.h"
#include "aet-canvas.h"
#include "aet-error.h"
#include "aet-figure.h"
#include "aet-iso-mesh.h"
#include "aet-mesh-export.h"
#include "scratch-dir.h"

#define A_PT 3.924 /* Pt lattice constant, Å */
#define N 64
#define VOXEL 0.4

static char *scratch;

/* An unrotated FCC ball of radius r centred on the middle of the N³ box,
 * with an atom on the centre, so the lattice planes along [100] pass
 * through atoms and every atom is 0 or ≥ a/2 from a plane. */
static AetAtoms *
fcc_ball (gdouble r)
{
  gdouble c = 0.5 * (N - 1) * VOXEL;
  AetAtoms *atoms = aet_atoms_new (1024);
  gint m = (gint) ceil (r / (A_PT / 2)) + 1;
  for (gint i = -m; i <= m; i++)
    for (gint j = -m; j <= m; j++)
      for (gint k = -m; k <= m; k++)
        {
          if (((i + j + k) & 1) != 0)
            continue;
          gdouble p[3] = { i * A_PT / 2, j * A_PT / 2, k * A_PT / 2 };
          if (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > r * r)
            continue;
          aet_atoms_append (atoms, 78, c + p[0], c + p[1], c + p[2]);
        }
  return atoms;
}

static AetVolume *
volume_of (const AetAtoms *atoms)
{
  AetVolume *v = aet_volume_new (N, N, N, VOXEL);
  aet_render_gaussian_atoms (atoms, v, 4.0, 1.0, NULL, 2);
  return v;
}

static void
layers_setup (AetViewSetup *setup, gint layer)
{
  aet_view_setup_init (setup);
  setup->mode = AET_VIEW_LAYERS;
  setup->hkl[0] = 1;
  setup->hkl[1] = 0;
  setup->hkl[2] = 0;
  setup->layer_index = layer;
  const gdouble identity[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
  aet_view_setup_set_lattice (setup, identity, A_PT);
}

/* Atoms of layer k along x, counted directly from the geometry. */
static guint
count_layer (const AetAtoms *atoms, gint k)
{
  gdouble c = 0.5 * (N - 1) * VOXEL, d = A_PT / 2;
  guint n = 0;
  for (gsize i = 0; i < atoms->n_atoms; i++)
    if (fabs (atoms->positions[3 * i] - c - k * d) < d / 2)
      n++;
  return n;
}

/* ---- SVG parsing ---------------------------------------------------------- */

typedef struct
{
  GPtrArray *groups; /* ids of the open <g> elements ("" for none) */
  guint circles_a, circles_b, texts, images;
  gdouble cx[4096], cy[4096];
  guint n_cx;
  gboolean in_text;
  GString *text;
  gboolean saw_label_a;
} SvgCount;

static gboolean
inside (SvgCount *s, const char *id)
{
  for (guint i = 0; i < s->groups->len; i++)
    if (g_str_equal (g_ptr_array_index (s->groups, i), id))
      return TRUE;
  return FALSE;
}

static void
svg_start (GMarkupParseContext *ctx, const char *name, const char **attr_names,
           const char **attr_values, gpointer data, GError **error)
{
  SvgCount *s = data;
  if (g_str_equal (name, "g"))
    {
      const char *id = "";
      for (guint i = 0; attr_names[i] != NULL; i++)
        if (g_str_equal (attr_names[i], "id"))
          id = attr_values[i];
      g_ptr_array_add (s->groups, g_strdup (id));
    }
  else if (g_str_equal (name, "circle"))
    {
      if (inside (s, "atoms-a"))
        {
          s->circles_a++;
          for (guint i = 0; attr_names[i] != NULL && s->n_cx < G_N_ELEMENTS (s->cx); i++)
            if (g_str_equal (attr_names[i], "cx"))
              s->cx[s->n_cx] = g_ascii_strtod (attr_values[i], NULL);
            else if (g_str_equal (attr_names[i], "cy"))
              s->cy[s->n_cx] = g_ascii_strtod (attr_values[i], NULL);
          s->n_cx++;
        }
      if (inside (s, "atoms-b"))
        s->circles_b++;
    }
  else if (g_str_equal (name, "text"))
    {
      s->texts++;
      s->in_text = TRUE;
      g_string_truncate (s->text, 0);
    }
  else if (g_str_equal (name, "image"))
    s->images++;
}

static void
svg_end (GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  SvgCount *s = data;
  if (g_str_equal (name, "g"))
    g_ptr_array_remove_index (s->groups, s->groups->len - 1);
  else if (g_str_equal (name, "text"))
    {
      s->in_text = FALSE;
      if (g_str_equal (s->text->str, "a"))
        s->saw_label_a = TRUE;
    }
}

static void
svg_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  SvgCount *s = data;
  if (s->in_text)
    g_string_append_len (s->text, text, (gssize) len);
}

static void
parse_svg (const char *path, SvgCount *s)
{
  g_autofree char *contents = NULL;
  gsize length;
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  memset (s, 0, sizeof *s);
  s->groups = g_ptr_array_new_with_free_func (g_free);
  s->text = g_string_new (NULL);
  GMarkupParser parser = { svg_start, svg_end, svg_text, NULL, NULL };
  g_autoptr (GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, s, NULL);
  g_autoptr (GError) error = NULL;
  gboolean ok = g_markup_parse_context_parse (ctx, contents, (gssize) length, &error)
                && g_markup_parse_context_end_parse (ctx, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_ptr_array_unref (s->groups);
  g_string_free (s->text, TRUE);
}

/* ---- tests ------------------------------------------------------------------ */

static void
test_png_size_and_dpi (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (8);
  AetViewSetup setup;
  aet_view_setup_init (&setup);
  setup.mode = AET_VIEW_ATOMS;
  g_autoptr (AetCamera) camera = aet_camera_new ();
  aet_view_frame_camera (camera, atoms, NULL);
  AetFigurePanel panels[2] = { { .atoms = atoms, .caption = "Before" },
                               { .atoms = atoms, .caption = "After" } };
  AetFigureOptions o;
  aet_figure_options_init (&o);
  o.width = 900;
  o.height = 500;
  o.dpi = 600;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFigure) fig = aet_figure_new (&setup, camera, panels, 2, &o, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (scratch, "atoms.png", NULL);
  g_assert_true (aet_figure_save (fig, path, &error));
  g_assert_no_error (error);
  gint w, h;
  gdouble dpi;
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 900);
  g_assert_cmpint (h, ==, 500);
  g_assert_cmpfloat_with_epsilon (dpi, 600, 0.01);

  /* both panels show atoms: non-background pixels in each half */
  cairo_surface_t *img = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  const guint8 *d = cairo_image_surface_get_data (img);
  gint stride = cairo_image_surface_get_stride (img);
  guint dark[2] = { 0, 0 };
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        const guint8 *p = d + (gsize) y * stride + 4 * x;
        if (p[0] < 200 && p[1] < 200)
          dark[x < w / 2 ? 0 : 1]++;
      }
  cairo_surface_destroy (img);
  g_test_message ("atom pixels: %u | %u", dark[0], dark[1]);
  g_assert_cmpuint (dark[0], >, 5000);
  g_assert_cmpuint (dark[1], >, 5000);

  /* at a physical size: 180 × 120 mm at 300 DPI */
  AetFigureOptions mm = o;
  mm.dpi = 300;
  aet_figure_options_set_size_mm (&mm, 180, 120);
  g_assert_cmpint (mm.width, ==, 2126);
  g_assert_cmpint (mm.height, ==, 1417);
}

static void
test_layer_svg_circles (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (9);
  g_autoptr (AetVolume) volume = volume_of (atoms);
  /* the second panel: the same volume with one atom of the layer missing */
  gdouble c = 0.5 * (N - 1) * VOXEL;
  gboolean removed = FALSE;
  g_autofree gboolean *keep = g_new (gboolean, atoms->n_atoms);
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      keep[i] = TRUE;
      if (!removed && fabs (atoms->positions[3 * i] - c - A_PT / 2) < 0.1)
        {
          keep[i] = FALSE;
          removed = TRUE;
        }
    }
  g_autoptr (AetAtoms) second = aet_atoms_filter (atoms, keep);
  g_assert_true (removed);

  AetViewSetup setup;
  layers_setup (&setup, 1);
  g_autoptr (AetCamera) camera = aet_camera_new ();
  AetFigurePanel panels[2] = { { .volume = volume, .atoms = atoms, .caption = "Before" },
                               { .volume = volume, .atoms = second, .caption = "After" } };
  AetFigureOptions o;
  aet_figure_options_init (&o);
  o.width = 1200;
  o.height = 600;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFigure) fig = aet_figure_new (&setup, camera, panels, 2, &o, &error);
  g_assert_no_error (error);
  g_assert_true (aet_figure_prepare (fig, 2, NULL, &error));
  g_autofree char *path = g_build_filename (scratch, "layer.svg", NULL);
  g_assert_true (aet_figure_save (fig, path, &error));
  g_assert_no_error (error);

  SvgCount s;
  parse_svg (path, &s);
  guint expected = count_layer (atoms, 1);
  g_test_message ("layer 1: %u atoms; SVG circles %u | %u, %u texts, %u images", expected,
                  s.circles_a, s.circles_b, s.texts, s.images);
  g_assert_cmpuint (expected, >, 20);
  g_assert_cmpuint (s.circles_a, ==, expected);
  g_assert_cmpuint (s.circles_b, ==, expected - 1);
  g_assert_cmpuint (s.images, ==, 2);
  g_assert_true (s.saw_label_a);

  /* the scale bar: two neighbouring atoms of the layer are a/√2 apart in
   * the (y, z) plane; their circles' distance in points, converted to
   * figure pixels, gives the figure's Å per pixel */
  gdouble best = G_MAXDOUBLE;
  for (guint i = 0; i < s.n_cx; i++)
    for (guint j = i + 1; j < s.n_cx; j++)
      {
        gdouble dd = hypot (s.cx[i] - s.cx[j], s.cy[i] - s.cy[j]);
        if (dd > 1e-6)
          best = MIN (best, dd);
      }
  gdouble px_per_pt = o.dpi / 72.0;
  gdouble angstrom_per_px = (A_PT / sqrt (2)) / (best * px_per_pt);
  gdouble bar_a, bar_px;
  const char *label;
  g_assert_true (aet_figure_get_scale_bar (fig, 0, &bar_a, &bar_px, &label));
  g_test_message ("scale bar %s = %.2f px; measured %.5f Å/px, bar %.5f Å/px", label, bar_px,
                  angstrom_per_px, bar_a / bar_px);
  g_assert_cmpfloat (fabs (bar_a / bar_px / angstrom_per_px - 1), <, 0.005);
  /* the label says the length */
  char expected_label[32];
  aet_figure_nice_length (bar_a, expected_label, sizeof expected_label);
  g_assert_cmpstr (label, ==, expected_label);
  /* a round length of about a quarter of the panel */
  g_assert_cmpfloat (bar_px, >, 0.1 * 1200 / 2);
  g_assert_cmpfloat (bar_px, <=, 0.25 * 1200 / 2);
}

static void
test_pdf_page_size (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (9);
  g_autoptr (AetVolume) volume = volume_of (atoms);
  AetViewSetup setup;
  layers_setup (&setup, 0);
  g_autoptr (AetCamera) camera = aet_camera_new ();
  AetFigurePanel panel = { .volume = volume, .atoms = atoms };
  AetFigureOptions o;
  aet_figure_options_init (&o); /* 2400 × 1800 px at 300 DPI: 576 × 432 pt */
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFigure) fig = aet_figure_new (&setup, camera, &panel, 1, &o, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (scratch, "layer.pdf", NULL);
  g_assert_true (aet_figure_save (fig, path, &error));
  g_assert_no_error (error);
  g_autofree char *contents = NULL;
  gsize length;
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_str_has_prefix (contents, "%PDF"));
  /* binary streams hold NUL bytes: search the whole length */
  const char *box = memmem (contents, length, "/MediaBox", 9);
  g_assert_nonnull (box);
  gdouble x0, y0, x1, y1;
  g_assert_cmpint (sscanf (box, "/MediaBox [ %lf %lf %lf %lf", &x0, &y0, &x1, &y1), ==, 4);
  g_test_message ("MediaBox %g %g %g %g", x0, y0, x1, y1);
  g_assert_cmpfloat_with_epsilon (x1 - x0, 576, 0.01);
  g_assert_cmpfloat_with_epsilon (y1 - y0, 432, 0.01);
}

/* Two atoms 20 Å apart seen along the beam in an orthographic view: the
 * distance of their images in pixels gives Å per pixel; the scale bar
 * must agree, and the bar drawn in the PNG must be as long as it says. */
static void
test_scale_bar_3d (void)
{
  g_autoptr (AetAtoms) atoms = aet_atoms_new (4);
  aet_atoms_append (atoms, 78, -10, 0, 0);
  aet_atoms_append (atoms, 78, 10, 0, 0);
  aet_atoms_append (atoms, 78, 0, 14, 0);
  aet_atoms_append (atoms, 78, 0, -14, 0);
  AetViewSetup setup;
  aet_view_setup_init (&setup);
  setup.mode = AET_VIEW_ATOMS;
  g_autoptr (AetCamera) camera = aet_camera_new ();
  const gdouble centre[3] = { 0, 0, 0 };
  aet_camera_frame (camera, centre, 20);
  aet_camera_set_projection (camera, AET_PROJECTION_ORTHOGRAPHIC);
  AetFigurePanel panel = { .atoms = atoms };
  AetFigureOptions o;
  aet_figure_options_init (&o);
  o.width = 1000;
  o.height = 800;
  o.dpi = 200;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFigure) fig = aet_figure_new (&setup, camera, &panel, 1, &o, &error);
  g_assert_no_error (error);
  gint w, h;
  g_autofree guint8 *rgba = aet_figure_rasterize (fig, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 1000);
  g_assert_cmpint (h, ==, 800);

  /* centroids of the atom discs left and right of the middle, on the
   * band of rows around the middle of all atom pixels (the atoms at ±14 Å
   * in y are outside it) */
  gdouble sx[2] = { 0, 0 }, sn[2] = { 0, 0 }, sy = 0, syn = 0;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        const guint8 *p = rgba + 4 * ((gsize) y * w + x);
        gboolean atom = p[2] > p[0] + 25; /* the element colour is bluish grey */
        if (!atom)
          continue;
        sy += y;
        syn++;
      }
  gdouble mid_y = sy / syn;
  for (gint y = (gint) mid_y - 40; y <= (gint) mid_y + 40; y++)
    for (gint x = 0; x < w; x++)
      {
        const guint8 *p = rgba + 4 * ((gsize) y * w + x);
        if (p[2] > p[0] + 25)
          {
            gint side = x < w / 2 ? 0 : 1;
            sx[side] += x;
            sn[side]++;
          }
      }
  g_assert_cmpfloat (sn[0], >, 100);
  g_assert_cmpfloat (sn[1], >, 100);
  gdouble dist_px = sx[1] / sn[1] - sx[0] / sn[0];
  gdouble measured = 20.0 / dist_px;
  gdouble bar_a, bar_px;
  const char *label;
  g_assert_true (aet_figure_get_scale_bar (fig, 0, &bar_a, &bar_px, &label));
  g_test_message ("atoms %.2f px apart: %.5f Å/px; scale bar %s = %.2f px (%.5f Å/px)",
                  dist_px, measured, label, bar_px, bar_a / bar_px);
  g_assert_cmpfloat (fabs (bar_a / bar_px / measured - 1), <, 0.01);

  /* the bar as drawn: the longest run of near-black pixels in the lower
   * left quarter */
  gint longest = 0;
  for (gint y = h * 3 / 4; y < h; y++)
    {
      gint run = 0;
      for (gint x = 0; x < w / 2; x++)
        {
          const guint8 *p = rgba + 4 * ((gsize) y * w + x);
          run = (p[0] < 60 && p[1] < 60 && p[2] < 60) ? run + 1 : 0;
          longest = MAX (longest, run);
        }
    }
  g_test_message ("drawn bar: %d px", longest);
  g_assert_cmpint (abs (longest - (gint) lround (bar_px)), <=, 2);

  /* a perspective view has no exact scale: no bar */
  aet_camera_set_projection (camera, AET_PROJECTION_PERSPECTIVE);
  o.orthographic = FALSE;
  g_autoptr (AetFigure) persp = aet_figure_new (&setup, camera, &panel, 1, &o, &error);
  g_autofree guint8 *rgba2 = aet_figure_rasterize (persp, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_false (aet_figure_get_scale_bar (persp, 0, NULL, NULL, NULL));
}

static void
test_nice_length (void)
{
  char label[32];
  g_assert_cmpfloat (aet_figure_nice_length (13, label, sizeof label), ==, 10);
  g_assert_cmpstr (label, ==, "1 nm");
  g_assert_cmpfloat (aet_figure_nice_length (4.9, label, sizeof label), ==, 2);
  g_assert_cmpstr (label, ==, "2 Å");
  g_assert_cmpfloat (aet_figure_nice_length (7, label, sizeof label), ==, 5);
  g_assert_cmpstr (label, ==, "5 Å");
  g_assert_cmpfloat (aet_figure_nice_length (250, label, sizeof label), ==, 200);
  g_assert_cmpstr (label, ==, "20 nm");
  g_assert_cmpfloat (aet_figure_nice_length (0.7, label, sizeof label), ==, 0.5);
  g_assert_cmpstr (label, ==, "0.5 Å");
}

static void
test_bad_requests (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (6);
  g_autoptr (AetCamera) camera = aet_camera_new ();
  AetViewSetup setup;
  aet_view_setup_init (&setup);
  AetFigureOptions o;
  aet_figure_options_init (&o);
  AetFigurePanel panel = { .atoms = atoms };
  g_autoptr (GError) error = NULL;

  o.width = 8;
  g_assert_null (aet_figure_new (&setup, camera, &panel, 1, &o, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  aet_figure_options_init (&o);

  o.dpi = 0;
  g_assert_null (aet_figure_new (&setup, camera, &panel, 1, &o, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  aet_figure_options_init (&o);

  g_assert_null (aet_figure_new (&setup, camera, &panel, 0, &o, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  setup.mode = AET_VIEW_LAYERS; /* no volume */
  g_assert_null (aet_figure_new (&setup, camera, &panel, 1, &o, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "volume"));
  g_clear_error (&error);

  /* facets of atoms that are no crystal: the analysis refuses them when
   * the figure is prepared */
  setup.mode = AET_VIEW_FACETS;
  g_autoptr (AetAtoms) few = aet_atoms_new (3);
  aet_atoms_append (few, 78, 0, 0, 0);
  aet_atoms_append (few, 78, 7, 0, 0);
  aet_atoms_append (few, 78, 0, 9, 0);
  AetFigurePanel bad = { .atoms = few };
  g_autoptr (AetFigure) fig = aet_figure_new (&setup, camera, &bad, 1, &o, &error);
  g_assert_no_error (error);
  g_assert_false (aet_figure_prepare (fig, 1, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "facets"));
  g_clear_error (&error);

  /* too small for two panels and their labels */
  setup.mode = AET_VIEW_ATOMS;
  AetFigurePanel two[2] = { panel, panel };
  o.width = 40;
  o.height = 30;
  g_assert_null (aet_figure_new (&setup, camera, two, 2, &o, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_surface_files (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (6);
  g_autoptr (AetVolume) volume = volume_of (atoms);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetIsoMesh) mesh = aet_iso_mesh_compute (volume, 0.3, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mesh->n_triangles, >, 1000);

  g_autofree char *stl = g_build_filename (scratch, "surface.stl", NULL);
  g_assert_true (aet_iso_mesh_save (mesh, stl, &error));
  g_assert_no_error (error);
  g_autofree char *data = NULL;
  gsize length;
  g_assert_true (g_file_get_contents (stl, &data, &length, NULL));
  g_assert_cmpuint (length, ==, 84 + 50 * (gsize) mesh->n_triangles);
  guint32 count;
  memcpy (&count, data + 80, 4);
  g_assert_cmpuint (GUINT32_FROM_LE (count), ==, mesh->n_triangles);
  /* the triangles read back give the mesh's area; each facet normal is a
   * unit vector on the side of the stored winding */
  gdouble area = 0;
  for (guint t = 0; t < mesh->n_triangles; t++)
    {
      gfloat v[12];
      memcpy (v, data + 84 + 50 * (gsize) t, sizeof v);
      gdouble e1[3], e2[3];
      for (int a = 0; a < 3; a++)
        {
          e1[a] = v[6 + a] - v[3 + a];
          e2[a] = v[9 + a] - v[3 + a];
        }
      gdouble cr[3] = { e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                        e1[0] * e2[1] - e1[1] * e2[0] };
      gdouble len = sqrt (cr[0] * cr[0] + cr[1] * cr[1] + cr[2] * cr[2]);
      area += len / 2;
      if (len > 1e-6)
        g_assert_cmpfloat (fabs (v[0] * cr[0] + v[1] * cr[1] + v[2] * cr[2] - len), <,
                           1e-3 * len + 1e-6);
    }
  g_assert_cmpfloat (fabs (area / aet_iso_mesh_area (mesh) - 1), <, 1e-5);

  g_autofree char *obj = g_build_filename (scratch, "surface.obj", NULL);
  g_assert_true (aet_iso_mesh_save (mesh, obj, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (obj, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint nv = 0, nn = 0, nf = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      nv += g_str_has_prefix (lines[i], "v ");
      nn += g_str_has_prefix (lines[i], "vn ");
      nf += g_str_has_prefix (lines[i], "f ");
    }
  g_assert_cmpuint (nv, ==, mesh->n_vertices);
  g_assert_cmpuint (nn, ==, mesh->n_vertices);
  g_assert_cmpuint (nf, ==, mesh->n_triangles);

  g_autofree char *bad = g_build_filename (scratch, "surface.ply", NULL);
  g_assert_false (aet_iso_mesh_save (mesh, bad, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
}

/* The facets view's surface: each vertex takes the colour of the facet of
 * its nearest atom. */
static void
test_facet_surface_colours (void)
{
  g_autoptr (AetAtoms) atoms = fcc_ball (6);
  g_autoptr (AetVolume) volume = volume_of (atoms);
  gdouble c = 0.5 * (N - 1) * VOXEL;
  gfloat *facet = aet_atoms_ensure_column (atoms, "facet");
  for (gsize i = 0; i < atoms->n_atoms; i++)
    facet[i] = atoms->positions[3 * i] < c ? 0 : 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetIsoMesh) mesh = aet_iso_mesh_compute (volume, 0.3, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (aet_view_color_mesh_by_facet (mesh, atoms, "facet", &error));
  g_assert_nonnull (mesh->colors);
  gfloat c0[3], c1[3];
  aet_colormap_category (0, c0);
  aet_colormap_category (1, c1);
  guint left = 0, right = 0;
  for (guint v = 0; v < mesh->n_vertices; v++)
    {
      gdouble x = mesh->positions[3 * v];
      const gfloat *rgb = mesh->colors + 3 * v;
      if (x < c - 1.5)
        {
          g_assert_cmpfloat (fabsf (rgb[0] - c0[0]) + fabsf (rgb[2] - c0[2]), <, 1e-6);
          left++;
        }
      else if (x > c + 1.5)
        {
          g_assert_cmpfloat (fabsf (rgb[0] - c1[0]) + fabsf (rgb[2] - c1[2]), <, 1e-6);
          right++;
        }
    }
  g_assert_cmpuint (left, >, 100);
  g_assert_cmpuint (right, >, 100);
  aet_atoms_remove_column (atoms, "facet");
  g_assert_false (aet_view_color_mesh_by_facet (mesh, atoms, "facet", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  scratch = aet_test_scratch_dir_new ("aet-test-figure");
  g_test_add_func ("/render/figure/png-size-and-dpi", test_png_size_and_dpi);
  g_test_add_func ("/render/figure/layer-svg-one-circle-per-atom", test_layer_svg_circles);
  g_test_add_func ("/render/figure/pdf-page-size", test_pdf_page_size);
  g_test_add_func ("/render/figure/scale-bar-matches-pixels", test_scale_bar_3d);
  g_test_add_func ("/render/figure/nice-lengths", test_nice_length);
  g_test_add_func ("/render/figure/bad-requests", test_bad_requests);
  g_test_add_func ("/render/figure/stl-obj-surfaces", test_surface_files);
  g_test_add_func ("/render/figure/facet-surface-colours", test_facet_surface_colours);
  int status = g_test_run ();
  aet_test_remove_tree (scratch);
  g_free (scratch);
  return status;
}
