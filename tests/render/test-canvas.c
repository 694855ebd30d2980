/* Tests of aet-canvas: PNG size and DPI (through libpng, past cairo's
 * limit), pixels of the cairo replay (anchors, rotation, clips, images),
 * the SVG writer's structure (parsed back), the PDF page, errors, and the
 * plots drawn through a canvas. */
#include "aet-canvas.h"
#include "aet-error.h"
#include "aet-plot.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "scratch-dir.h"

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in dir, sorted and joined by spaces. */
static char *
list_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;
  while ((entry = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* Pixel (x, y) of straight-alpha RGBA of the given width. */
static const guint8 *
pixel (const guint8 *rgba, gint width, gint x, gint y)
{
  return rgba + ((gsize) y * width + x) * 4;
}

static void
test_png_size_dpi (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "figure.png", NULL);
  g_autoptr (AetCanvas) canvas = aet_canvas_new (240, 180);
  aet_canvas_line (canvas, 10, 10, 200, 150);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_canvas_save (canvas, path, 300, 0, 0, &error));
  g_assert_no_error (error);
  gint w = 0, h = 0;
  gdouble dpi = 0;
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 1000);
  g_assert_cmpint (h, ==, 750);
  /* 300 dpi is stored as 11811 pixels per metre */
  g_assert_cmpfloat_with_epsilon (dpi, 300, 0.01);

  /* an A4 page at 150 dpi rounds up: ceil (595.28 · 150 / 72) */
  g_autoptr (AetCanvas) a4 = aet_canvas_new (595.28, 841.89);
  g_assert_true (aet_canvas_save (a4, path, 150, 0, 0, &error));
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 1241);
  g_assert_cmpint (h, ==, 1754);
  /* whole pixels per metre: within 0.5 · 0.0254 dpi */
  g_assert_cmpfloat_with_epsilon (dpi, 150, 0.0127);

  /* the Software text chunk */
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  /* tEXt: keyword, NUL, text */
  g_assert_nonnull (memmem (bytes, len, "tEXtSoftware\0AET Studio", 23));
  aet_test_remove_tree (dir);
}

static void
test_png_pixels (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "red.png", NULL);
  g_autoptr (AetCanvas) canvas = aet_canvas_new (100, 50);
  aet_canvas_set_color (canvas, 1, 0, 0, 1);
  aet_canvas_rect (canvas, 10, 10, 30, 30, TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_canvas_save (canvas, path, 144, 0, 0, &error));
  g_assert_no_error (error);

  cairo_surface_t *surface = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, 200);
  g_assert_cmpint (cairo_image_surface_get_height (surface), ==, 100);
  const guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  guint32 inside = *(const guint32 *) (data + 50 * stride + 50 * 4);
  guint32 outside = *(const guint32 *) (data + 90 * stride + 150 * 4);
  g_assert_cmphex (inside, ==, 0xffff0000);
  g_assert_cmphex (outside >> 24, ==, 0);
  cairo_surface_destroy (surface);

  /* fixed pixel sizes: both exact, or one with the page's proportions */
  gint w, h;
  gdouble dpi;
  g_assert_true (aet_canvas_save (canvas, path, 300, 333, 111, &error));
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 333);
  g_assert_cmpint (h, ==, 111);
  g_assert_cmpfloat_with_epsilon (dpi, 300, 0.01);
  g_assert_true (aet_canvas_save (canvas, path, 0, 400, 0, &error));
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 400);
  g_assert_cmpint (h, ==, 200);
  /* no DPI given: the one the pixel size amounts to (400 px on 100 pt) */
  g_assert_cmpfloat_with_epsilon (dpi, 288, 0.0127);
  g_assert_no_error (error);
  aet_test_remove_tree (dir);
}

static void
test_rasterize (void)
{
  g_autoptr (AetCanvas) canvas = aet_canvas_new (100, 100);
  /* half-transparent blue comes back straight, not premultiplied */
  aet_canvas_set_color (canvas, 0, 0, 1, 0.5);
  aet_canvas_rect (canvas, 0, 0, 100, 20, TRUE);
  /* a clip: only the left half of this band is drawn */
  aet_canvas_push_clip (canvas, 0, 0, 50, 100);
  aet_canvas_set_color (canvas, 0, 1, 0, 1);
  aet_canvas_rect (canvas, 0, 30, 100, 20, TRUE);
  aet_canvas_pop_clip (canvas);
  /* a polyline broken by NaN: no ink in the gap */
  const gdouble xy[] = { 5, 60, 40, 60, NAN, NAN, 60, 60, 95, 60 };
  aet_canvas_set_color (canvas, 0, 0, 0, 1);
  aet_canvas_set_line_width (canvas, 4);
  aet_canvas_polyline (canvas, xy, 5);
  /* a 2 × 2 image kept sharp when scaled to 20 × 20 */
  const guint8 checker[] = { 255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 255, 255, 0, 128 };
  aet_canvas_image (canvas, checker, 2, 2, 0, 70, 20, 20, FALSE);

  gint w = 0, h = 0;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *rgba = aet_canvas_rasterize (canvas, 72, 0, 0, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 100);
  g_assert_cmpint (h, ==, 100);
  const guint8 *p = pixel (rgba, w, 50, 10);
  g_assert_cmpint (p[0], ==, 0);
  g_assert_cmpint (p[2], ==, 255);
  g_assert_cmpint (abs (p[3] - 128), <=, 1);
  g_assert_cmpint (pixel (rgba, w, 25, 40)[1], ==, 255);
  g_assert_cmpint (pixel (rgba, w, 25, 40)[3], ==, 255);
  g_assert_cmpint (pixel (rgba, w, 75, 40)[3], ==, 0);
  g_assert_cmpint (pixel (rgba, w, 20, 60)[3], ==, 255);
  g_assert_cmpint (pixel (rgba, w, 80, 60)[3], ==, 255);
  g_assert_cmpint (pixel (rgba, w, 50, 60)[3], ==, 0);
  /* nearest neighbour: each texel fills a 10 × 10 block exactly */
  const guint8 *tl = pixel (rgba, w, 9, 79), *tr = pixel (rgba, w, 10, 79);
  const guint8 *br = pixel (rgba, w, 15, 85);
  g_assert_cmpint (tl[0], ==, 255);
  g_assert_cmpint (tl[2], ==, 0);
  g_assert_cmpint (tr[0], ==, 0);
  g_assert_cmpint (tr[2], ==, 255);
  g_assert_cmpint (br[0], ==, 255);
  g_assert_cmpint (br[1], ==, 255);
  g_assert_cmpint (abs (br[3] - 128), <=, 1);

  /* too large for cairo */
  g_autoptr (AetCanvas) big = aet_canvas_new (1000, 10);
  g_autofree guint8 *none = aet_canvas_rasterize (big, 72 * 40, 0, 0, &w, &h, &error);
  g_assert_null (none);
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

/* The bounding box of the pixels with alpha > 127. */
static void
ink_box (const guint8 *rgba, gint w, gint h, gint box[4])
{
  box[0] = w;
  box[1] = h;
  box[2] = -1;
  box[3] = -1;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      if (pixel (rgba, w, x, y)[3] > 127)
        {
          box[0] = MIN (box[0], x);
          box[1] = MIN (box[1], y);
          box[2] = MAX (box[2], x);
          box[3] = MAX (box[3], y);
        }
}

static void
test_text_placement (void)
{
  const gdouble size = 40;
  gdouble width, ascent;
  aet_canvas_text_extents ("HHH", size, FALSE, &width, &ascent);

  /* middle/central: the capitals are centred on the anchor */
  g_autoptr (AetCanvas) canvas = aet_canvas_new (200, 200);
  aet_canvas_text (canvas, 100, 100, "HHH", size, FALSE, AET_TEXT_MIDDLE, AET_TEXT_CENTRAL, 0);
  gint w, h, box[4];
  g_autofree guint8 *rgba = aet_canvas_rasterize (canvas, 72, 0, 0, &w, &h, NULL);
  ink_box (rgba, w, h, box);
  g_assert_cmpfloat (fabs ((box[0] + box[2] + 1) / 2.0 - 100), <, 2.0);
  g_assert_cmpfloat (fabs ((box[1] + box[3] + 1) / 2.0 - 100), <, 1.0);
  g_assert_cmpfloat (fabs ((box[3] + 1 - box[1]) - ascent), <, 1.5);

  /* start/hanging: the capitals hang from y, right of x */
  g_autoptr (AetCanvas) hanging = aet_canvas_new (200, 200);
  aet_canvas_text (hanging, 20, 50, "HHH", size, FALSE, AET_TEXT_START, AET_TEXT_HANGING, 0);
  g_autofree guint8 *rgba2 = aet_canvas_rasterize (hanging, 72, 0, 0, &w, &h, NULL);
  ink_box (rgba2, w, h, box);
  g_assert_cmpint (abs (box[1] - 50), <=, 1);
  g_assert_cmpint (box[0], >=, 20);
  g_assert_cmpint (box[0], <, 26);

  /* start/baseline, rotated 90° counter-clockwise: the text runs upwards
   * from the anchor, its capitals left of x */
  g_autoptr (AetCanvas) rotated = aet_canvas_new (200, 200);
  aet_canvas_text (rotated, 100, 180, "HHH", size, FALSE, AET_TEXT_START, AET_TEXT_BASELINE, 90);
  g_autofree guint8 *rgba3 = aet_canvas_rasterize (rotated, 72, 0, 0, &w, &h, NULL);
  ink_box (rgba3, w, h, box);
  g_assert_cmpint (box[2], <=, 100);
  g_assert_cmpfloat (fabs (box[0] - (100 - ascent)), <, 1.5);
  g_assert_cmpint (box[3], <, 180);
  g_assert_cmpint (box[3], >, 170);
  g_assert_cmpfloat (box[1], >, 180 - width - 1);
  g_assert_cmpfloat (box[1], <, 180 - width + 8);

  /* end anchor, rotated: it ends (at the top) at the anchor */
  g_autoptr (AetCanvas) ending = aet_canvas_new (200, 200);
  aet_canvas_text (ending, 100, 20, "HHH", size, FALSE, AET_TEXT_END, AET_TEXT_BASELINE, 90);
  g_autofree guint8 *rgba4 = aet_canvas_rasterize (ending, 72, 0, 0, &w, &h, NULL);
  ink_box (rgba4, w, h, box);
  g_assert_cmpint (box[1], >=, 20);
  g_assert_cmpint (box[1], <, 28);
  g_assert_cmpfloat (box[3], <, 20 + width + 1);
}

static void
test_text_extents (void)
{
  gdouble narrow, wide, bold, twice, ascent, ascent2;
  aet_canvas_text_extents ("iiii", 12, FALSE, &narrow, &ascent);
  aet_canvas_text_extents ("WWWW", 12, FALSE, &wide, NULL);
  g_assert_cmpfloat (narrow, >, 0);
  g_assert_cmpfloat (wide, >, 2 * narrow);
  aet_canvas_text_extents ("WWWW", 12, TRUE, &bold, NULL);
  g_assert_cmpfloat (bold, >, wide);
  /* unhinted: metrics scale with the size */
  aet_canvas_text_extents ("WWWW", 24, FALSE, &twice, &ascent2);
  g_assert_cmpfloat (fabs (twice - 2 * wide), <, 1e-6 * twice);
  g_assert_cmpfloat (fabs (ascent2 - 2 * ascent), <, 1e-3);
  g_assert_cmpfloat (ascent, >, 0.55 * 12);
  g_assert_cmpfloat (ascent, <, 0.85 * 12);
  /* non-ASCII: "Å" measures like a letter, "5 Å" wider than "5" */
  gdouble a_ring, five, five_a;
  aet_canvas_text_extents ("Å", 12, FALSE, &a_ring, NULL);
  aet_canvas_text_extents ("5", 12, FALSE, &five, NULL);
  aet_canvas_text_extents ("5 Å", 12, FALSE, &five_a, NULL);
  g_assert_cmpfloat (a_ring, >, 0.4 * 12);
  g_assert_cmpfloat (five_a, >, five + a_ring);
  gdouble empty;
  aet_canvas_text_extents ("", 12, FALSE, &empty, NULL);
  g_assert_cmpfloat (empty, ==, 0);
}

/* ---- SVG parsed back ---- */

typedef struct
{
  GPtrArray *stack;  /* element names */
  gint atoms_depth;  /* stack depth of <g id="atoms">, -1 outside */
  guint circles_in_atoms, circles;
  GString *text;     /* content of the open <text>, NULL outside */
  GPtrArray *texts;
  GPtrArray *transforms;  /* of the <text> elements ("" for none) */
  GPtrArray *hrefs, *xlink_hrefs;
  guint clip_paths, clipped_groups;
  gboolean image_pixelated;
} SvgScan;

static const char *
attr (const char **names, const char **values, const char *name)
{
  for (guint i = 0; names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return values[i];
  return NULL;
}

static void
scan_start (GMarkupParseContext *context, const char *element, const char **names,
            const char **values, gpointer user, GError **error)
{
  SvgScan *scan = user;
  if (strcmp (element, "g") == 0 && g_strcmp0 (attr (names, values, "id"), "atoms") == 0)
    scan->atoms_depth = (gint) scan->stack->len;
  if (strcmp (element, "g") == 0 && attr (names, values, "clip-path"))
    scan->clipped_groups++;
  if (strcmp (element, "clipPath") == 0)
    scan->clip_paths++;
  if (strcmp (element, "circle") == 0)
    {
      scan->circles++;
      if (scan->atoms_depth >= 0)
        scan->circles_in_atoms++;
    }
  if (strcmp (element, "text") == 0)
    {
      scan->text = g_string_new (NULL);
      const char *t = attr (names, values, "transform");
      g_ptr_array_add (scan->transforms, g_strdup (t ? t : ""));
    }
  if (strcmp (element, "image") == 0)
    {
      g_ptr_array_add (scan->hrefs, g_strdup (attr (names, values, "href")));
      g_ptr_array_add (scan->xlink_hrefs, g_strdup (attr (names, values, "xlink:href")));
      scan->image_pixelated = attr (names, values, "image-rendering") != NULL;
    }
  g_ptr_array_add (scan->stack, g_strdup (element));
}

static void
scan_end (GMarkupParseContext *context, const char *element, gpointer user, GError **error)
{
  SvgScan *scan = user;
  g_ptr_array_set_size (scan->stack, scan->stack->len - 1);
  if (scan->atoms_depth == (gint) scan->stack->len)
    scan->atoms_depth = -1;
  if (strcmp (element, "text") == 0)
    g_ptr_array_add (scan->texts, g_string_free (g_steal_pointer (&scan->text), FALSE));
}

static void
scan_text (GMarkupParseContext *context, const char *text, gsize len, gpointer user,
           GError **error)
{
  SvgScan *scan = user;
  if (scan->text)
    g_string_append_len (scan->text, text, (gssize) len);
}

static void
svg_scan (const char *path, SvgScan *scan)
{
  g_autofree char *doc = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &doc, &len, NULL));
  *scan = (SvgScan){ .stack = g_ptr_array_new_with_free_func (g_free),
                     .atoms_depth = -1,
                     .texts = g_ptr_array_new_with_free_func (g_free),
                     .transforms = g_ptr_array_new_with_free_func (g_free),
                     .hrefs = g_ptr_array_new_with_free_func (g_free),
                     .xlink_hrefs = g_ptr_array_new_with_free_func (g_free) };
  const GMarkupParser parser = { scan_start, scan_end, scan_text, NULL, NULL };
  GMarkupParseContext *context = g_markup_parse_context_new (&parser, 0, scan, NULL);
  g_autoptr (GError) error = NULL;
  g_markup_parse_context_parse (context, doc, (gssize) len, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  g_markup_parse_context_free (context);
  g_assert_cmpuint (scan->stack->len, ==, 0);
}

static void
svg_scan_clear (SvgScan *scan)
{
  g_ptr_array_unref (scan->stack);
  g_ptr_array_unref (scan->texts);
  g_ptr_array_unref (scan->transforms);
  g_ptr_array_unref (scan->hrefs);
  g_ptr_array_unref (scan->xlink_hrefs);
}

static gint
find_text (const SvgScan *scan, const char *text)
{
  for (guint i = 0; i < scan->texts->len; i++)
    if (strcmp (scan->texts->pdata[i], text) == 0)
      return (gint) i;
  return -1;
}

static void
test_svg (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "atoms.svg", NULL);
  g_autoptr (AetCanvas) canvas = aet_canvas_new (300, 200);
  aet_canvas_set_color (canvas, 1, 1, 1, 1);
  aet_canvas_fill_background (canvas);
  guint8 image[16 * 8 * 4];
  for (guint i = 0; i < sizeof image; i++)
    image[i] = i % 4 == 3 ? 255 : (guint8) (i * 7);
  aet_canvas_image (canvas, image, 16, 8, 10, 10, 160, 80, FALSE);
  aet_canvas_push_clip (canvas, 0, 0, 200, 200);
  aet_canvas_begin_group (canvas, "atoms");
  const gdouble gold[4] = { 0.9, 0.7, 0.1, 0.8 }, edge[4] = { 0, 0, 0, 1 };
  for (guint i = 0; i < 37; i++)
    aet_canvas_circle (canvas, 10 + 7 * i, 100 + 3 * (i % 5), 3, gold, i % 2 ? edge : NULL);
  aet_canvas_end_group (canvas);
  aet_canvas_pop_clip (canvas);
  /* a circle outside the group */
  aet_canvas_circle (canvas, 250, 20, 5, NULL, edge);
  aet_canvas_set_color (canvas, 0, 0, 0, 1);
  aet_canvas_text (canvas, 150, 150, "5 nm", 10, TRUE, AET_TEXT_MIDDLE, AET_TEXT_BASELINE, 0);
  aet_canvas_text (canvas, 20, 170, "a <&> \"b\" 'c'", 9, FALSE, AET_TEXT_START,
                   AET_TEXT_HANGING, 0);
  aet_canvas_text (canvas, 290, 190, "Au–Pt 2.3 Å", 9, FALSE, AET_TEXT_END,
                   AET_TEXT_CENTRAL, 0);
  aet_canvas_text (canvas, 12, 100, "z (Å)", 9, FALSE, AET_TEXT_MIDDLE, AET_TEXT_HANGING, 90);
  aet_canvas_set_dash (canvas, 3, 2);
  aet_canvas_line (canvas, 0, 195, 300, 195);
  const gdouble xy[] = { 0, 0, 10, 10, NAN, 0, 20, 20, 30, 10 };
  aet_canvas_polyline (canvas, xy, 5);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_canvas_save (canvas, path, 0, 0, 0, &error));
  g_assert_no_error (error);

  SvgScan scan;
  svg_scan (path, &scan);
  g_assert_cmpuint (scan.circles_in_atoms, ==, 37);
  g_assert_cmpuint (scan.circles, ==, 38);
  g_assert_cmpuint (scan.clip_paths, ==, 1);
  g_assert_cmpuint (scan.clipped_groups, ==, 1);
  g_assert_cmpuint (scan.texts->len, ==, 4);
  g_assert_cmpint (find_text (&scan, "5 nm"), >=, 0);
  g_assert_cmpint (find_text (&scan, "a <&> \"b\" 'c'"), >=, 0);
  g_assert_cmpint (find_text (&scan, "Au–Pt 2.3 Å"), >=, 0);
  gint rotated = find_text (&scan, "z (Å)");
  g_assert_cmpint (rotated, >=, 0);
  /* counter-clockwise on the page is a negative SVG rotation about the anchor */
  g_assert_cmpstr (scan.transforms->pdata[rotated], ==, "rotate(-90 12 100)");
  g_assert_cmpstr (scan.transforms->pdata[find_text (&scan, "5 nm")], ==, "");

  g_assert_cmpuint (scan.hrefs->len, ==, 1);
  const char *href = scan.hrefs->pdata[0];
  const char *prefix = "data:image/png;base64,";
  g_assert_true (g_str_has_prefix (href, prefix));
  g_assert_cmpstr (scan.xlink_hrefs->pdata[0], ==, href);
  g_assert_true (scan.image_pixelated);
  gsize n = 0;
  g_autofree guchar *png = g_base64_decode (href + strlen (prefix), &n);
  const guchar signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_assert_cmpuint (n, >, sizeof signature);
  g_assert_cmpmem (png, sizeof signature, signature, sizeof signature);
  /* the embedded PNG: a sharp image enlarged by whole pixels to at least
   * 300 dpi (160 pt for 16 pixels: 42 times, at most 16) */
  g_autofree char *png_path = g_build_filename (dir, "embedded.png", NULL);
  g_assert_true (g_file_set_contents (png_path, (const char *) png, (gssize) n, NULL));
  gint w, h;
  gdouble dpi;
  g_assert_true (aet_png_read_info (png_path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 16 * 16);
  g_assert_cmpint (h, ==, 8 * 16);
  cairo_surface_t *embedded = cairo_image_surface_create_from_png (png_path);
  g_assert_cmpint (cairo_surface_status (embedded), ==, CAIRO_STATUS_SUCCESS);
  const guint8 *data = cairo_image_surface_get_data (embedded);
  gint stride = cairo_image_surface_get_stride (embedded);
  for (gint y = 0; y < h; y += 5)
    for (gint x = 0; x < w; x += 3)
      {
        /* opaque: cairo's premultiplied pixel is the straight one */
        const guint8 *src = image + ((y / 16) * 16 + x / 16) * 4;
        guint32 px = *(const guint32 *) (data + y * stride + x * 4);
        guint32 want = 0xff000000u | (guint32) src[0] << 16 | (guint32) src[1] << 8 | src[2];
        g_assert_cmphex (px, ==, want);
      }
  cairo_surface_destroy (embedded);
  svg_scan_clear (&scan);

  /* the header, the escaping and the NaN break as two subpaths */
  g_autofree char *doc = NULL;
  g_assert_true (g_file_get_contents (path, &doc, NULL, NULL));
  g_assert_true (g_str_has_prefix (doc, "<?xml"));
  g_assert_nonnull (strstr (doc, "width=\"300pt\" height=\"200pt\" viewBox=\"0 0 300 200\""));
  g_assert_nonnull (strstr (doc, "a &lt;&amp;&gt; &quot;b&quot; &apos;c&apos;"));
  g_assert_nonnull (strstr (doc, "d=\"M0,0 L10,10 M20,20 L30,10\""));
  g_assert_nonnull (strstr (doc, "stroke-dasharray=\"3,2\""));
  g_assert_nonnull (strstr (doc, "fill-opacity=\"0.8\""));
  g_assert_nonnull (strstr (doc, "font-weight=\"bold\""));
  g_assert_nonnull (strstr (doc, "text-anchor=\"end\""));
  aet_test_remove_tree (dir);
}

static void
test_unbalanced (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "open.svg", NULL);
  g_autoptr (AetCanvas) canvas = aet_canvas_new (100, 100);
  /* not an XML name: made into one */
  aet_canvas_begin_group (canvas, "1 bad<id>");
  aet_canvas_push_clip (canvas, 0, 0, 50, 50);
  /* a group cannot end inside a clip it holds: refused */
  g_test_expect_message ("aet-canvas", G_LOG_LEVEL_CRITICAL, "*close_open*");
  aet_canvas_end_group (canvas);
  g_test_assert_expected_messages ();
  const gdouble black[4] = { 0, 0, 0, 1 };
  aet_canvas_circle (canvas, 25, 25, 10, black, NULL);
  /* left open: the outputs close them */
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_canvas_save (canvas, path, 0, 0, 0, &error));
  g_assert_no_error (error);
  SvgScan scan;
  svg_scan (path, &scan);
  g_assert_cmpuint (scan.circles, ==, 1);
  g_assert_cmpuint (scan.clipped_groups, ==, 1);
  svg_scan_clear (&scan);
  g_autofree char *doc = NULL;
  g_assert_true (g_file_get_contents (path, &doc, NULL, NULL));
  g_assert_nonnull (strstr (doc, "<g id=\"_1_bad_id_\">"));

  /* the caller's cairo state is restored: no clip left behind */
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 100, 100);
  cairo_t *cr = cairo_create (surface);
  aet_canvas_draw (canvas, cr);
  cairo_set_source_rgb (cr, 1, 0, 0);
  cairo_rectangle (cr, 80, 80, 10, 10);
  cairo_fill (cr);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  g_assert_cmphex (*(const guint32 *) (data + 85 * stride + 85 * 4), ==, 0xffff0000);
  g_assert_cmphex (*(const guint32 *) (data + 25 * stride + 25 * 4), ==, 0xff000000);
  cairo_surface_destroy (surface);

  /* non-finite coordinates are dropped, not written as "nan" */
  g_autoptr (AetCanvas) odd = aet_canvas_new (100, 100);
  aet_canvas_line (odd, NAN, 0, 10, 10);
  aet_canvas_circle (odd, 10, INFINITY, 3, black, NULL);
  aet_canvas_text (odd, 10, 10, "x", NAN, FALSE, AET_TEXT_START, AET_TEXT_BASELINE, 0);
  aet_canvas_rect (odd, 90, 90, -20, -20, TRUE);
  g_assert_true (aet_canvas_save (odd, path, 0, 0, 0, &error));
  g_clear_pointer (&doc, g_free);
  g_assert_true (g_file_get_contents (path, &doc, NULL, NULL));
  g_assert_null (strstr (doc, "nan"));
  g_assert_null (strstr (doc, "<line"));
  g_assert_null (strstr (doc, "<circle"));
  g_assert_null (strstr (doc, "<text"));
  /* a negative size is flipped to the same area */
  g_assert_nonnull (strstr (doc, "<rect x=\"70\" y=\"70\" width=\"20\" height=\"20\""));
  aet_test_remove_tree (dir);
}

static void
test_pdf (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "page.PDF", NULL);
  g_autoptr (AetCanvas) canvas = aet_canvas_new (595.28, 841.89);
  aet_canvas_set_color (canvas, 0.2, 0.3, 0.8, 1);
  aet_canvas_rect (canvas, 50, 50, 100, 100, TRUE);
  aet_canvas_text (canvas, 100, 300, "Figure 1", 12, TRUE, AET_TEXT_START, AET_TEXT_BASELINE, 0);
  const guint8 rgba[] = { 255, 0, 0, 255, 0, 255, 0, 255 };
  aet_canvas_image (canvas, rgba, 2, 1, 50, 400, 200, 100, TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_canvas_save (canvas, path, 300, 0, 0, &error));
  g_assert_no_error (error);
  g_autofree char *doc = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &doc, &len, NULL));
  g_assert_cmpuint (len, >, 4);
  g_assert_cmpmem (doc, 4, "%PDF", 4);
  const char *box = memmem (doc, len, "/MediaBox", 9);
  g_assert_nonnull (box);
  const char *p = strchr (box, '[');
  g_assert_nonnull (p);
  p++;
  gdouble v[4];
  for (guint i = 0; i < 4; i++)
    {
      char *end;
      v[i] = g_ascii_strtod (p, &end);
      g_assert_true (end != p);
      p = end;
    }
  g_assert_cmpfloat_with_epsilon (v[0], 0, 0.01);
  g_assert_cmpfloat_with_epsilon (v[1], 0, 0.01);
  g_assert_cmpfloat_with_epsilon (v[2], 595.28, 0.01);
  g_assert_cmpfloat_with_epsilon (v[3], 841.89, 0.01);
  /* the text is a font, not paths */
  g_assert_nonnull (memmem (doc, len, "/FontFile", 9));
  aet_test_remove_tree (dir);
}

static void
test_png_write_wide (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autofree char *path = g_build_filename (dir, "wide.png", NULL);
  const gint w = 40000, h = 8;
  g_autofree guint8 *rgba = g_malloc ((gsize) w * h * 4);
  for (gsize i = 0; i < (gsize) w * h * 4; i++)
    rgba[i] = (guint8) (i % 251);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_png_write (path, rgba, w, h, 0, &error));
  g_assert_no_error (error);
  gint rw = 0, rh = 0;
  gdouble dpi = -1;
  g_assert_true (aet_png_read_info (path, &rw, &rh, &dpi, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw, ==, w);
  g_assert_cmpint (rh, ==, h);
  g_assert_cmpfloat (dpi, ==, 0);
  g_assert_true (aet_png_write (path, rgba, 100, 3, 96, &error));
  g_assert_true (aet_png_read_info (path, &rw, &rh, &dpi, &error));
  g_assert_cmpint (rw, ==, 100);
  g_assert_cmpfloat_with_epsilon (dpi, 96, 0.0127);

  /* an image past cairo's limit: SVG takes it, PDF and PNG say why not */
  g_autoptr (AetCanvas) canvas = aet_canvas_new (400, 20);
  aet_canvas_image (canvas, rgba, w, h, 0, 0, 400, 20, FALSE);
  g_autofree char *svg = g_build_filename (dir, "wide.svg", NULL);
  g_assert_true (aet_canvas_save (canvas, svg, 0, 0, 0, &error));
  g_assert_no_error (error);
  g_unlink (svg);
  g_autofree char *pdf = g_build_filename (dir, "wide.pdf", NULL);
  g_assert_false (aet_canvas_save (canvas, pdf, 0, 0, 0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "wide.pdf: an image of 40000 × 8 pixels"));
  g_clear_error (&error);
  g_assert_false (aet_canvas_save (canvas, path, 72, 0, 0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  /* absurd sizes */
  g_assert_false (aet_png_write (path, rgba, 0, 8, 0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (aet_png_write (path, rgba, G_MAXINT, G_MAXINT, 0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_autofree char *names = list_dir (dir);
  g_assert_cmpstr (names, ==, "wide.png");
  aet_test_remove_tree (dir);
}

static void
test_errors (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autoptr (AetCanvas) canvas = aet_canvas_new (100, 100);
  aet_canvas_rect (canvas, 10, 10, 50, 50, FALSE);
  g_autoptr (GError) error = NULL;

  g_autofree char *tiff = g_build_filename (dir, "figure.tiff", NULL);
  g_assert_false (aet_canvas_save (canvas, tiff, 300, 0, 0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "figure.tiff: "));
  g_clear_error (&error);

  const char *exts[] = { "svg", "pdf", "png" };
  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      g_autofree char *missing = g_strdup_printf ("%s/no-such-dir/fig.%s", dir, exts[i]);
      g_assert_false (aet_canvas_save (canvas, missing, 300, 0, 0, &error));
      g_assert_error (error, AET_ERROR, AET_ERROR_IO);
      g_autofree char *base = g_strdup_printf ("fig.%s", exts[i]);
      g_assert_nonnull (strstr (error->message, base));
      g_assert_null (strchr (error->message, '\n'));
      g_clear_error (&error);
    }

  /* successful saves leave only the files (no temporaries) */
  for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/fig.%s", dir, exts[i]);
      g_assert_true (aet_canvas_save (canvas, out, 72, 0, 0, &error));
      g_assert_no_error (error);
      /* again, over the existing file */
      g_assert_true (aet_canvas_save (canvas, out, 72, 0, 0, &error));
    }
  g_autofree char *names = list_dir (dir);
  g_assert_cmpstr (names, ==, "fig.pdf fig.png fig.svg");

  /* reading: not a PNG, a missing file, a truncated PNG */
  g_autofree char *svg = g_build_filename (dir, "fig.svg", NULL);
  gint w, h;
  gdouble dpi;
  g_assert_false (aet_png_read_info (svg, &w, &h, &dpi, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==, "fig.svg: not a PNG file");
  g_clear_error (&error);
  g_autofree char *nothing = g_build_filename (dir, "nothing.png", NULL);
  g_assert_false (aet_png_read_info (nothing, &w, &h, &dpi, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "nothing.png: "));
  g_clear_error (&error);
  g_autofree char *png = g_build_filename (dir, "fig.png", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
  g_autofree char *cut = g_build_filename (dir, "cut.png", NULL);
  g_assert_true (g_file_set_contents (cut, bytes, 20, NULL));
  g_assert_false (aet_png_read_info (cut, &w, &h, &dpi, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "cut.png: "));
  g_clear_error (&error);
  aet_test_remove_tree (dir);
}

static AetPlot *
sample_plot (void)
{
  AetPlot *plot = aet_plot_new ("Convergence", "iteration", "R-factor");
  gdouble x[40], y[40];
  for (guint i = 0; i < 40; i++)
    {
      x[i] = i;
      y[i] = 0.5 * exp (-i / 10.0) + 0.05;
    }
  const gdouble red[3] = { 0.8, 0.1, 0.1 };
  aet_plot_add_line (plot, "error", x, y, 40, red);
  aet_plot_add_hline (plot, 0.143, "FSC = 0.143");
  return plot;
}

static void
test_plot (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-canvas");
  g_autoptr (AetPlot) plot = sample_plot ();
  g_autoptr (GError) error = NULL;

  g_autofree char *svg = g_build_filename (dir, "plot.svg", NULL);
  g_assert_true (aet_plot_save (plot, svg, 300, 200, 0, &error));
  g_assert_no_error (error);
  SvgScan scan;
  svg_scan (svg, &scan);
  g_assert_cmpint (find_text (&scan, "iteration"), >=, 0);
  g_assert_cmpint (find_text (&scan, "Convergence"), >=, 0);
  g_assert_cmpint (find_text (&scan, "FSC = 0.143"), >=, 0);
  gint ylabel = find_text (&scan, "R-factor");
  g_assert_cmpint (ylabel, >=, 0);
  g_assert_true (g_str_has_prefix (scan.transforms->pdata[ylabel], "rotate(-90 "));
  g_assert_cmpuint (scan.clip_paths, ==, 1);
  svg_scan_clear (&scan);

  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_assert_true (aet_plot_save (plot, png, 300, 200, 150, &error));
  g_assert_no_error (error);
  gint w, h;
  gdouble dpi;
  g_assert_true (aet_png_read_info (png, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 625);
  g_assert_cmpint (h, ==, 417);
  g_assert_cmpfloat_with_epsilon (dpi, 150, 0.0127);

  /* drawn into a panel of a larger canvas: ink only inside the panel,
   * the same as the plot on its own shifted by the panel's corner */
  g_autoptr (AetCanvas) alone = aet_canvas_new (300, 200);
  aet_plot_draw_canvas (plot, alone, 0, 0, 300, 200, 9);
  g_autoptr (AetCanvas) panel = aet_canvas_new (400, 300);
  aet_plot_draw_canvas (plot, panel, 100, 100, 300, 200, 9);
  gint aw, ah, pw, ph;
  g_autofree guint8 *a = aet_canvas_rasterize (alone, 72, 0, 0, &aw, &ah, &error);
  g_autofree guint8 *p = aet_canvas_rasterize (panel, 72, 0, 0, &pw, &ph, &error);
  g_assert_no_error (error);
  gint box[4];
  ink_box (p, pw, ph, box);
  g_assert_cmpint (box[0], >=, 100);
  g_assert_cmpint (box[1], >=, 100);
  guint differ = 0;
  for (gint y = 0; y < ah; y++)
    for (gint x = 0; x < aw; x++)
      differ += memcmp (pixel (a, aw, x, y), pixel (p, pw, x + 100, y + 100), 4) != 0;
  g_assert_cmpuint (differ, ==, 0);

  /* aet_plot_draw into cairo matches the canvas rasterized */
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 300, 200);
  cairo_t *cr = cairo_create (surface);
  aet_plot_draw (plot, cr, 300, 200, 9);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  guint inked = 0;
  differ = 0;
  for (gint y = 0; y < 200; y++)
    for (gint x = 0; x < 300; x++)
      {
        guint32 px = *(const guint32 *) (data + y * stride + x * 4);
        inked += (px >> 24) > 0;
        differ += (px >> 24) != pixel (a, aw, x, y)[3];
      }
  cairo_surface_destroy (surface);
  g_assert_cmpuint (inked, >, 2000);
  g_assert_cmpuint (differ, ==, 0);

  g_autofree char *bad = g_build_filename (dir, "plot.gif", NULL);
  g_assert_false (aet_plot_save (plot, bad, 300, 200, 150, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_autofree char *names = list_dir (dir);
  g_assert_cmpstr (names, ==, "plot.png plot.svg");
  aet_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/canvas/png-size-dpi", test_png_size_dpi);
  g_test_add_func ("/render/canvas/png-pixels", test_png_pixels);
  g_test_add_func ("/render/canvas/rasterize", test_rasterize);
  g_test_add_func ("/render/canvas/text-placement", test_text_placement);
  g_test_add_func ("/render/canvas/text-extents", test_text_extents);
  g_test_add_func ("/render/canvas/svg", test_svg);
  g_test_add_func ("/render/canvas/unbalanced", test_unbalanced);
  g_test_add_func ("/render/canvas/pdf", test_pdf);
  g_test_add_func ("/render/canvas/png-write-wide", test_png_write_wide);
  g_test_add_func ("/render/canvas/errors", test_errors);
  g_test_add_func ("/render/canvas/plot", test_plot);
  return g_test_run ();
}
