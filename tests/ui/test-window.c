/* test-window.c — the real AET Studio window under Xvfb, driven through its
 * actions: a small simulated project is opened, the view modes, the compare
 * layouts (side by side, split with its divider, difference) and the layer
 * step are exercised, and the GL frames of the viewers are read back and
 * checked pixel by pixel.  A reconstruction runs in the background while a
 * 10 ms timer measures the longest main-loop stall and the error plot is
 * watched growing.  A particle on a substrate shows its substrate disk, and
 * the keyboard shortcuts window lists every key.  Screenshots of each view
 * go to the build directory. */
#define G_LOG_DOMAIN "test-window"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>

#include "aet-augment-consistent.h"
#include "aet-canvas.h"
#include "aet-compare-view.h"
#include "aet-export-dialog.h"
#include "aet-project-file.h"
#include "aet-reconstruct.h"
#include "aet-simulate.h"
#include "aet-trace.h"
#include "aet-window.h"
#include "scratch-dir.h"
#include "small-project.h"

static char *tmpdir;
static char *project_path;
static AetWindow *window;

/* Iterates the main loop until cond() holds or `seconds` pass. */
static gboolean
wait_until (gboolean (*cond) (void), gdouble seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (!cond ())
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static void
spin (gdouble seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static AetViewer *
pane (guint i)
{
  return aet_compare_view_get_viewer (aet_window_get_compare_view (window), i);
}

static gboolean
idle_cond (void)
{
  AetCompareView *cv = aet_window_get_compare_view (window);
  return !aet_window_is_busy (window) && !aet_compare_view_is_busy (cv)
         && !aet_viewer_is_busy (pane (0)) && !aet_viewer_is_busy (pane (1))
         && !aet_viewer_is_busy (pane (AET_COMPARE_PANE_DIFFERENCE));
}

static gboolean
realized_cond (void)
{
  return gtk_widget_get_realized (GTK_WIDGET (pane (0)))
         && gtk_widget_get_width (GTK_WIDGET (pane (0))) > 100;
}

/* The frame a viewer shows, drawn through the window's GSK renderer. */
static GdkTexture *
grab (AetViewer *viewer)
{
  GtkWidget *w = GTK_WIDGET (viewer);
  gtk_gl_area_queue_render (GTK_GL_AREA (viewer));
  spin (0.15);
  gint width = gtk_widget_get_width (w), height = gtk_widget_get_height (w);
  g_assert_cmpint (width, >, 0);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (w);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static guint8 *
download (GdkTexture *texture, gint *w, gint *h)
{
  *w = gdk_texture_get_width (texture);
  *h = gdk_texture_get_height (texture);
  guint8 *px = g_malloc ((gsize) *w * *h * 4);
  gdk_texture_download (texture, px, (gsize) *w * 4);
  return px;
}

/* The fraction of pixels that differ from the corner pixel (the
 * background) by more than a few levels. */
static gdouble
coverage (GdkTexture *texture)
{
  gint w, h;
  g_autofree guint8 *px = download (texture, &w, &h);
  gsize n = 0;
  for (gint i = 0; i < w * h; i++)
    {
      gint d = 0;
      for (int c = 0; c < 3; c++)
        d = MAX (d, abs ((gint) px[4 * i + c] - (gint) px[c]));
      n += d > 12;
    }
  return (gdouble) n / (w * h);
}

/* Mean absolute difference per channel of two frames (0…255). */
static gdouble
difference (GdkTexture *a, GdkTexture *b)
{
  gint wa, ha, wb, hb;
  g_autofree guint8 *pa = download (a, &wa, &ha);
  g_autofree guint8 *pb = download (b, &wb, &hb);
  gint w = MIN (wa, wb), h = MIN (ha, hb);
  gdouble sum = 0;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        sum += abs ((gint) pa[4 * (y * wa + x) + c] - (gint) pb[4 * (y * wb + x) + c]);
  return sum / (3.0 * w * h);
}

/* The same over the columns [x0, x1) only. */
static gdouble
region_difference (GdkTexture *a, GdkTexture *b, gint x0, gint x1)
{
  gint wa, ha, wb, hb;
  g_autofree guint8 *pa = download (a, &wa, &ha);
  g_autofree guint8 *pb = download (b, &wb, &hb);
  g_assert_cmpint (wa, ==, wb);
  g_assert_cmpint (ha, ==, hb);
  g_assert_cmpint (x1, >, x0);
  gdouble sum = 0;
  for (gint y = 0; y < ha; y++)
    for (gint x = x0; x < x1; x++)
      for (int c = 0; c < 3; c++)
        sum += abs ((gint) pa[4 * (y * wa + x) + c] - (gint) pb[4 * (y * wb + x) + c]);
  return sum / (3.0 * (x1 - x0) * ha);
}

/* The fraction of pixels that are clearly red (r > b + 40) and clearly
 * blue (b > r + 40): the two ends of the diverging map. */
static void
red_blue (GdkTexture *t, gdouble *red, gdouble *blue)
{
  gint w, h;
  g_autofree guint8 *px = download (t, &w, &h);
  gsize r = 0, b = 0;
  for (gint i = 0; i < w * h; i++)
    {
      gint d = (gint) px[4 * i] - (gint) px[4 * i + 2];
      r += d > 40;
      b += d < -40;
    }
  *red = (gdouble) r / (w * h);
  *blue = (gdouble) b / (w * h);
}

static void
save_shot (GdkTexture *texture, const char *name)
{
  g_autofree char *file = g_strdup_printf ("ui-%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot %s", path);
}

static void
activate (const char *action, GVariant *param)
{
  g_action_group_activate_action (G_ACTION_GROUP (window), action, param);
  spin (0.05);
}

static void
test_open_and_views (void)
{
  g_autoptr (GFile) file = g_file_new_for_path (project_path);
  aet_window_open_file (window, file);
  g_assert_true (wait_until (idle_cond, 20));
  g_assert_null (aet_window_get_error (window));
  AetInspector *inspector = aet_window_get_inspector (window);
  const char *atoms = aet_inspector_get_value (inspector, "atoms");
  g_assert_nonnull (atoms);
  g_assert_cmpint (atoi (atoms), >, 50);
  /* a free particle: no substrate disk unless asked for */
  g_autoptr (GVariant) substrate = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                    "show-substrate");
  g_assert_false (g_variant_get_boolean (substrate));
  /* the project holds the simulated target: the FSC with it is plotted */
  g_assert_true (aet_inspector_has_fsc (inspector));
  /* a truth is known: recall is shown and is a percentage */
  const char *recall = aet_inspector_get_value (inspector, "recall");
  g_assert_nonnull (recall);
  g_assert_cmpfloat (g_ascii_strtod (recall, NULL), >, 50.0);
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_ANALYSE), ==, AET_STAGE_DONE);
  /* its tilt series was simulated (the truth is there): Simulate is done, not waiting */
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_SIMULATE), ==, AET_STAGE_DONE);

  static const char *const modes[] = { "iso", "atoms", "layers", "facets" };
  GdkTexture *shots[4] = { NULL };
  for (int i = 0; i < 4; i++)
    {
      activate ("view-mode", g_variant_new_string (modes[i]));
      g_assert_cmpint (aet_viewer_get_view_mode (pane (0)), ==, i);
      g_assert_true (wait_until (idle_cond, 20));
      shots[i] = grab (pane (0));
      gdouble cov = coverage (shots[i]);
      g_test_message ("%s: %.1f %% of pixels drawn", modes[i], 100 * cov);
      g_assert_cmpfloat (cov, >, 0.01);
      g_assert_cmpfloat (cov, <, 0.95);
      save_shot (shots[i], modes[i]);
    }
  /* the modes draw different things */
  g_assert_cmpfloat (difference (shots[0], shots[1]), >, 1.0);
  g_assert_cmpfloat (difference (shots[1], shots[2]), >, 1.0);
  for (int i = 0; i < 4; i++)
    g_object_unref (shots[i]);

  /* the export path: the current view drawn offscreen at another size */
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *rgba = aet_viewer_render_image (pane (0), 320, 200, &error);
  g_assert_no_error (error);
  gsize drawn = 0;
  for (gsize i = 0; i < 320 * 200; i++)
    drawn += abs ((gint) rgba[4 * i] - (gint) rgba[0]) > 12
             || abs ((gint) rgba[4 * i + 2] - (gint) rgba[2]) > 12;
  g_assert_cmpuint (drawn, >, 320 * 200 / 100);

  /* the viewer's own key path: "viewer.mode" as the 2 key triggers it, and
   * the window's action state follows */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "viewer.mode", "s", "atoms");
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "view-mode");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "atoms");
}

static void
test_layers (void)
{
  activate ("view-mode", g_variant_new_string ("layers"));
  g_assert_true (wait_until (idle_cond, 20));
  g_autoptr (GdkTexture) before = grab (pane (0));
  gint index = aet_viewer_get_layer_index (pane (0));
  activate ("layer", g_variant_new_int32 (2));
  g_assert_cmpint (aet_viewer_get_layer_index (pane (0)), ==, index + 2);
  g_assert_cmpint (aet_viewer_get_layer_index (pane (1)), ==, index + 2);
  g_autoptr (GdkTexture) after = grab (pane (0));
  g_assert_cmpfloat (difference (before, after), >, 0.5);
  /* PageDown on the viewer goes back one */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "viewer.layer-down", NULL);
  g_assert_cmpint (aet_viewer_get_layer_index (pane (0)), ==, index + 1);
}

static void
test_compare (void)
{
  activate ("view-mode", g_variant_new_string ("iso"));
  /* the viewer's C key goes to win.compare */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "win.compare", NULL);
  g_assert_true (aet_compare_view_get_comparing (aet_window_get_compare_view (window)));
  g_assert_true (wait_until (idle_cond, 20));
  spin (0.3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (pane (1))));
  /* pane 1 holds the simulated truth, pane 0 the reconstruction */
  g_assert_true (aet_viewer_get_volume (pane (0)) != aet_viewer_get_volume (pane (1)));
  g_autoptr (GdkTexture) a = grab (pane (0));
  g_autoptr (GdkTexture) b = grab (pane (1));
  save_shot (a, "compare-before");
  save_shot (b, "compare-after");
  g_assert_cmpfloat (coverage (b), >, 0.01);
  gdouble diff = difference (a, b);
  g_test_message ("compare panes differ by %.2f levels on average", diff);
  g_assert_cmpfloat (diff, >, 1.0);

  /* linked cameras: turning pane 0 turns pane 1 */
  g_assert_true (aet_viewer_view_along_hkl (pane (0), 1, 1, 0));
  CGLM_ALIGN_MAT mat4 va;
  CGLM_ALIGN_MAT mat4 vb;
  aet_camera_get_view ((AetCamera *) aet_viewer_get_camera (pane (0)), va);
  aet_camera_get_view ((AetCamera *) aet_viewer_get_camera (pane (1)), vb);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      g_assert_cmpfloat_with_epsilon (va[i][j], vb[i][j], 1e-5);
  /* linked iso level */
  aet_compare_view_set_iso_level (aet_window_get_compare_view (window), 0.6);
  g_assert_cmpfloat (aet_viewer_get_iso_level (pane (1)), ==, 0.6);
  activate ("compare", NULL);
  g_assert_false (aet_compare_view_get_comparing (aet_window_get_compare_view (window)));
}

static gint64 frame_start, frame_sum;
static guint frame_count;

static void
frame_begin (GdkFrameClock *clock, gpointer data)
{
  frame_start = g_get_monotonic_time ();
}

static void
frame_end (GdkFrameClock *clock, gpointer data)
{
  if (frame_start == 0)
    return;
  frame_sum += g_get_monotonic_time () - frame_start;
  frame_count++;
  frame_start = 0;
}

/* The mean time of n frames (before-paint to after-paint) that redraw
 * every shown viewer, in ms. */
static gdouble
mean_frame_ms (guint n)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gulong h1 = g_signal_connect (clock, "before-paint", G_CALLBACK (frame_begin), NULL);
  gulong h2 = g_signal_connect_after (clock, "after-paint", G_CALLBACK (frame_end), NULL);
  frame_sum = 0;
  frame_count = 0;
  frame_start = 0;
  for (guint i = 0; i < n; i++)
    {
      guint before = frame_count;
      for (guint p = 0; p < 3; p++)
        if (gtk_widget_get_mapped (GTK_WIDGET (pane (p))))
          gtk_gl_area_queue_render (GTK_GL_AREA (pane (p)));
      gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC;
      while (frame_count == before && g_get_monotonic_time () < end)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
    }
  g_signal_handler_disconnect (clock, h1);
  g_signal_handler_disconnect (clock, h2);
  return frame_count > 0 ? frame_sum / 1e3 / frame_count : 0.0;
}

static GdkTexture *plain_before; /* pane 0 alone, full width (atoms) */
static GdkTexture *whole_after;  /* the split view with its divider at the left edge */

/* The split view draws "before" left of the divider and "after" right of
 * it, into one frame through one camera: left of the divider its pixels
 * are those of the plain view of "before", right of it those of "after"
 * drawn through the same camera, and moving the divider moves the border. */
static void
test_split (void)
{
  AetCompareView *cv = aet_window_get_compare_view (window);
  activate ("view-mode", g_variant_new_string ("atoms"));
  activate ("compare-layout", g_variant_new_string ("single"));
  g_assert_false (aet_compare_view_get_comparing (cv));
  aet_viewer_reset_view (pane (0));
  g_assert_true (wait_until (idle_cond, 20));
  spin (0.2);
  plain_before = grab (pane (0));
  gint w = gdk_texture_get_width (plain_before);
  gdouble ms_single = mean_frame_ms (8);
  activate ("compare-layout", g_variant_new_string ("side"));
  spin (0.2);
  gdouble ms_side = mean_frame_ms (8);

  activate ("compare-layout", g_variant_new_string ("split"));
  g_assert_true (aet_compare_view_get_comparing (cv));
  g_assert_cmpint (aet_compare_view_get_layout (cv), ==, AET_COMPARE_SPLIT);
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "compare-layout");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "split");
  spin (0.3);
  /* one pane, as wide as the single view; the after viewer is hidden but
   * its scene is drawn by pane 0 */
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (pane (0))));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (pane (1))));
  g_assert_true (aet_viewer_get_split (pane (0)) == pane (1));

  aet_compare_view_set_divider (cv, 1.0);
  g_autoptr (GdkTexture) whole_before = grab (pane (0));
  g_assert_cmpint (gdk_texture_get_width (whole_before), ==, w);
  gdouble same = difference (whole_before, plain_before);
  aet_compare_view_set_divider (cv, 0.0);
  whole_after = grab (pane (0));
  gdouble other = difference (whole_after, plain_before);
  g_test_message ("divider at the right edge vs the plain view: %.3f levels; at the left edge: "
                  "%.2f", same, other);
  g_assert_cmpfloat (same, <, 0.05);
  g_assert_cmpfloat (other, >, 1.0);
  /* the right side really is the after model: pane 1's own scene drawn
   * offscreen through the same camera at the same size */
  gint h = gdk_texture_get_height (whole_after);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *rgba = aet_viewer_render_image (pane (1), w, h, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&rgba), (gsize) w * h * 4);
  g_autoptr (GdkTexture) offscreen = gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8A8, bytes,
                                                             (gsize) w * 4);
  gdouble ref = difference (whole_after, offscreen);
  g_test_message ("after side vs the after scene drawn offscreen: %.2f levels", ref);
  g_assert_cmpfloat (ref, <, other / 3);

  /* the divider in the middle: before on the left, after on the right */
  aet_compare_view_set_divider (cv, 0.5);
  gdouble ms_split = mean_frame_ms (8);
  g_test_message ("frames of the whole window: one view %.1f ms, side by side %.1f ms, split "
                  "%.1f ms", ms_single, ms_side, ms_split);
  g_autoptr (GdkTexture) half = grab (pane (0));
  save_shot (half, "split");
  g_assert_cmpfloat (region_difference (half, plain_before, 0, w / 2 - 2), <, 0.05);
  g_assert_cmpfloat (region_difference (half, whole_after, w / 2 + 2, w), <, 0.05);
  g_assert_cmpfloat (region_difference (half, whole_after, 0, w / 2 - 2), >, 0.5);
  g_assert_cmpfloat (region_difference (half, plain_before, w / 2 + 2, w), >, 0.5);

  /* moving it moves the border: the band between 0.3 and 0.7 of the width
   * comes from "before" with the divider at 0.7, from "after" at 0.3 */
  gint b0 = (gint) (0.3 * w) + 2, b1 = (gint) (0.7 * w) - 2;
  aet_compare_view_set_divider (cv, 0.7);
  g_autoptr (GdkTexture) at70 = grab (pane (0));
  aet_compare_view_set_divider (cv, 0.3);
  g_autoptr (GdkTexture) at30 = grab (pane (0));
  g_assert_cmpfloat (region_difference (at70, plain_before, b0, b1), <, 0.05);
  g_assert_cmpfloat (region_difference (at30, whole_after, b0, b1), <, 0.05);
  g_assert_cmpfloat (region_difference (at70, at30, b0, b1), >, 0.5);

  /* ] and [ (the compare view's bindings) move it by a twentieth */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "compare.move-divider", "d", 0.05);
  g_assert_cmpfloat (fabs (aet_compare_view_get_divider (cv) - 0.35), <, 1e-9);
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "compare.move-divider", "d", -0.05);
  g_assert_cmpfloat (fabs (aet_compare_view_get_divider (cv) - 0.30), <, 1e-9);
  /* S again goes back to side by side */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "compare.toggle-layout", "s", "split");
  g_assert_cmpint (aet_compare_view_get_layout (cv), ==, AET_COMPARE_SIDE_BY_SIDE);
  g_assert_null (aet_viewer_get_split (pane (0)));
  aet_compare_view_set_divider (cv, 0.5);
}

/* The difference layout: the before atoms coloured by how far their
 * matched after atom is, the layer of after − before in the diverging
 * map, and the surface of |after − before| coloured by its sign; a caption
 * says which. */
static void
test_difference (void)
{
  AetCompareView *cv = aet_window_get_compare_view (window);
  AetViewer *d = pane (AET_COMPARE_PANE_DIFFERENCE);
  /* D (a key reaching the compare view) */
  gtk_widget_activate_action (GTK_WIDGET (pane (0)), "compare.toggle-layout", "s",
                              "difference");
  g_assert_cmpint (aet_compare_view_get_layout (cv), ==, AET_COMPARE_DIFFERENCE);
  g_assert_true (wait_until (idle_cond, 20));
  spin (0.3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (d)));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (pane (0))));
  g_assert_cmpint (aet_viewer_get_view_mode (d), ==, AET_VIEW_ATOMS);
  const char *caption = aet_compare_view_get_caption (cv);
  g_test_message ("%s", caption);
  g_assert_nonnull (strstr (caption, "distance to their matched"));
  AetAtoms *moved = aet_viewer_get_atoms (d);
  g_assert_nonnull (moved);
  g_assert_cmpuint (moved->n_atoms, ==, aet_viewer_get_atoms (pane (0))->n_atoms);
  const gfloat *dist = aet_atoms_get_column (moved, "moved_pm");
  g_assert_nonnull (dist);
  gsize finite = 0;
  for (gsize i = 0; i < moved->n_atoms; i++)
    if (isfinite (dist[i]))
      {
        g_assert_cmpfloat (dist[i], >=, 0);
        g_assert_cmpfloat (dist[i], <=, 90.0 + 1e-3);
        finite++;
      }
  g_assert_cmpuint (finite, >, moved->n_atoms / 2);
  AetColormap map;
  gdouble lo, hi;
  g_assert_true (aet_viewer_get_legend (d, &map, &lo, &hi));
  g_assert_cmpint (map, ==, AET_COLORMAP_SEQUENTIAL);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, >, 0);

  /* it draws something, and neither of the two models it compares */
  g_autoptr (GdkTexture) atoms_diff = grab (d);
  save_shot (atoms_diff, "difference-atoms");
  g_assert_cmpint (gdk_texture_get_width (atoms_diff), ==, gdk_texture_get_width (plain_before));
  g_assert_cmpfloat (coverage (atoms_diff), >, 0.01);
  gdouble vs_before = difference (atoms_diff, plain_before);
  gdouble vs_after = difference (atoms_diff, whole_after);
  g_test_message ("difference view vs before %.2f, vs after %.2f levels", vs_before, vs_after);
  g_assert_cmpfloat (vs_before, >, 1.0);
  g_assert_cmpfloat (vs_after, >, 1.0);

  /* the layer of after − before: both ends of the diverging map, a
   * symmetric legend */
  activate ("view-mode", g_variant_new_string ("layers"));
  g_assert_true (wait_until (idle_cond, 20));
  g_assert_cmpfloat (aet_viewer_get_signed_bound (d), >, 0);
  g_assert_true (aet_viewer_get_legend (d, &map, &lo, &hi));
  g_assert_cmpint (map, ==, AET_COLORMAP_DIVERGING);
  g_assert_cmpfloat (lo, ==, -hi);
  g_assert_nonnull (strstr (aet_compare_view_get_caption (cv), "Layer"));
  g_autoptr (GdkTexture) layer = grab (d);
  save_shot (layer, "difference-layer");
  gdouble red, blue;
  red_blue (layer, &red, &blue);
  g_test_message ("difference layer: %.1f %% red, %.1f %% blue pixels", 100 * red, 100 * blue);
  g_assert_cmpfloat (red, >, 0.002);
  g_assert_cmpfloat (blue, >, 0.002);

  /* the surface of |after − before|, coloured by the sign */
  activate ("view-mode", g_variant_new_string ("iso"));
  g_assert_true (wait_until (idle_cond, 20));
  g_autoptr (GdkTexture) surface = grab (d);
  save_shot (surface, "difference-iso");
  red_blue (surface, &red, &blue);
  g_test_message ("difference surface: %.1f %% red, %.1f %% blue pixels", 100 * red,
                  100 * blue);
  g_assert_cmpfloat (red + blue, >, 0.01);
  g_assert_nonnull (strstr (aet_compare_view_get_caption (cv), "red where"));

  /* facets are no difference: the pane keeps showing atoms */
  activate ("view-mode", g_variant_new_string ("facets"));
  g_assert_cmpint (aet_viewer_get_view_mode (d), ==, AET_VIEW_ATOMS);
  /* one view; C would come back to the last layout, side by side */
  activate ("compare-layout", g_variant_new_string ("side"));
  activate ("compare-layout", g_variant_new_string ("single"));
  g_assert_false (aet_compare_view_get_comparing (cv));
  spin (0.1);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (pane (0))));
  g_clear_object (&plain_before);
  g_clear_object (&whole_after);
}

static gint64 last_tick;
static gint64 max_gap;         /* longest time between two ticks */
static gint64 max_gap_compute; /* the same less the time spent drawing frames in it */
static gint64 paint_in_gap;

/* Main thread, every 10 ms: the longest time between two ticks.  Drawing
 * a frame with Mesa's software rasteriser on a shared CPU takes tens of
 * milliseconds by itself; the figure that says whether the main thread
 * ever waits for compute is the gap less the frames drawn in it. */
static gboolean
tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  if (last_tick != 0)
    {
      max_gap = MAX (max_gap, now - last_tick);
      max_gap_compute = MAX (max_gap_compute, now - last_tick - paint_in_gap);
    }
  paint_in_gap = 0;
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static gint64 paint_start, max_paint, sum_paint;
static guint n_paint;

/* Main thread: how long each frame takes to lay out and draw. */
static void
before_paint (GdkFrameClock *clock, gpointer data)
{
  paint_start = g_get_monotonic_time ();
}

static void
after_paint (GdkFrameClock *clock, gpointer data)
{
  if (paint_start == 0)
    return;
  gint64 d = g_get_monotonic_time () - paint_start;
  max_paint = MAX (max_paint, d);
  sum_paint += d;
  paint_in_gap += d;
  n_paint++;
}

static gboolean
busy_cond (void)
{
  return aet_window_is_busy (window);
}

static void
test_run_keeps_ui_responsive (void)
{
  activate ("view-mode", g_variant_new_string ("iso"));
  spin (0.3);
  last_tick = 0;
  max_gap = max_gap_compute = paint_in_gap = 0;
  guint id = g_timeout_add (10, tick, NULL);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gulong h1 = g_signal_connect (clock, "layout", G_CALLBACK (before_paint), NULL);
  gulong h2 = g_signal_connect_after (clock, "after-paint", G_CALLBACK (after_paint), NULL);
  AetInspector *inspector = aet_window_get_inspector (window);
  AetStageList *stages = aet_window_get_stage_list (window);
  g_assert_cmpuint (aet_inspector_get_recon_error_length (inspector), ==, 0);
  /* a sanitizer build runs several times slower, so .ci/run scales the
   * time budgets there (AET_TEST_TIME_SCALE) */
  const char *scale_env = g_getenv ("AET_TEST_TIME_SCALE");
  gdouble scale = scale_env != NULL ? CLAMP (g_ascii_strtod (scale_env, NULL), 1.0, 10.0) : 1.0;
  /* one network pass: the passes are measured elsewhere (test-augment,
   * test-pipeline), and four of the shipped network under a sanitizer
   * outlast the budget */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "augment-passes",
                                      g_variant_new_int32 (1));
  gint64 t0 = g_get_monotonic_time ();
  activate ("run", NULL);
  g_assert_true (aet_window_is_busy (window));
  /* the loop runs freely while reconstruction and tracing go on; the error
   * plot grows while GENFIRE iterates */
  gsize last_n = 0;
  guint plot_changes = 0;
  gint64 recon_start = 0, recon_end = 0;
  while (aet_window_is_busy (window)
         && g_get_monotonic_time () - t0 < (gint64) (60 * scale * G_USEC_PER_SEC))
    {
      g_main_context_iteration (NULL, TRUE);
      if (aet_stage_list_get_state (stages, AET_STAGE_RECONSTRUCT) != AET_STAGE_RUNNING)
        continue;
      gint64 now = g_get_monotonic_time ();
      recon_start = recon_start != 0 ? recon_start : now;
      recon_end = now;
      gsize n = aet_inspector_get_recon_error_length (inspector);
      g_assert_cmpuint (n, >=, last_n);
      plot_changes += n != last_n;
      last_n = n;
    }
  gdouble recon_s = (recon_end - recon_start) / 1e6;
  g_test_message ("error plot redrawn %u times during %.2f s of GENFIRE, last with %zu "
                  "iterations", plot_changes, recon_s, last_n);
  g_assert_cmpuint (plot_changes, >=, 2);
  g_assert_cmpuint (last_n, >, 0);
  /* at most ~4 redraws a second (one more for the first curve) */
  g_assert_cmpfloat (plot_changes, <=, 4 * recon_s + 2);
  g_assert_cmpuint (aet_inspector_get_recon_error_length (inspector), ==, 100);
  g_assert_false (aet_window_is_busy (window));
  g_assert_true (wait_until (idle_cond, 20));
  g_source_remove (id);
  g_signal_handler_disconnect (clock, h1);
  g_signal_handler_disconnect (clock, h2);
  g_test_message ("run took %.1f s; longest main-loop gap %.1f ms, %.1f ms less frame drawing; "
                  "%u frames, mean %.1f ms, longest %.1f ms",
                  (g_get_monotonic_time () - t0) / 1e6, max_gap / 1e3, max_gap_compute / 1e3,
                  n_paint, n_paint > 0 ? sum_paint / 1e3 / n_paint : 0.0, max_paint / 1e3);
  g_assert_null (aet_window_get_error (window));
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_RECONSTRUCT), ==, AET_STAGE_DONE);
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_ANALYSE), ==, AET_STAGE_DONE);
  /* the 50 ms, scaled as above */
  gint64 budget = (gint64) (50000 * scale);
  g_assert_cmpint (max_gap_compute, <, budget);
  g_assert_cmpint (max_gap, <, budget + max_paint);

  /* the shipped network ran: the inspector puts the model after augmentation
   * beside the one before */
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_AUGMENT), ==, AET_STAGE_DONE);
  /* and the refinement against the projections, whose model the rows show */
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_REFINE), ==, AET_STAGE_DONE);
  g_assert_true (wait_until (idle_cond, 20));
  const char *rmsd_after = aet_inspector_get_value (aet_window_get_inspector (window),
                                                    "rmsd_after");
  g_assert_nonnull (rmsd_after);
  g_assert_true (g_str_has_suffix (rmsd_after, " pm"));
  g_test_message ("RMSD before %s, after %s",
                  aet_inspector_get_value (aet_window_get_inspector (window), "rmsd"),
                  rmsd_after);

  /* nothing changed: a second run skips reconstruction ("up to date") */
  activate ("run", NULL);
  g_assert_true (wait_until (idle_cond, 30));
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_RECONSTRUCT), ==, AET_STAGE_UP_TO_DATE);

  /* a cancelled run ends quietly */
  activate ("run", NULL);
  spin (0.2);
  activate ("cancel", NULL);
  g_assert_true (wait_until (idle_cond, 30));
  g_assert_false (busy_cond ());
  g_assert_null (aet_window_get_error (window));
}

/* A particle simulated on a substrate: the analysis finds the interface,
 * the disk shows, and turning the toggle off removes it from the view.
 * (A free particle starts without it: test_open_and_views.) */
static void
test_substrate (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.radius = 7;
  p.seed = 5;
  p.substrate = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) particle = aet_simulate_particle (&p, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetProject) project = aet_project_new ();
  aet_project_set_atoms (project, "before", particle);
  aet_project_set_param (project, "simulate/substrate", "true");
  g_autofree char *path = g_build_filename (tmpdir, "substrate.h5", NULL);
  g_assert_true (aet_project_save (project, path, &error));
  g_assert_no_error (error);

  g_autoptr (GFile) file = g_file_new_for_path (path);
  aet_window_open_file (window, file);
  g_assert_true (wait_until (idle_cond, 20));
  g_assert_null (aet_window_get_error (window));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-substrate"));
  activate ("compare-layout", g_variant_new_string ("single"));
  activate ("view-mode", g_variant_new_string ("atoms"));
  /* from above at a slant, so the disk (normal −y) is seen as a disk */
  g_autoptr (AetCamera) camera = aet_camera_new ();
  aet_camera_copy_from (camera, aet_viewer_get_camera (pane (0)));
  const gdouble slant[3] = { 0, -0.6, -0.8 };
  g_assert_true (aet_camera_view_along (camera, slant, NULL));
  aet_viewer_copy_camera (pane (0), camera);
  g_assert_true (wait_until (idle_cond, 20));
  g_autoptr (GVariant) on = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                             "show-substrate");
  g_assert_true (g_variant_get_boolean (on));
  g_autoptr (GdkTexture) with = grab (pane (0));
  save_shot (with, "substrate");
  activate ("show-substrate", NULL);
  g_autoptr (GVariant) off = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                              "show-substrate");
  g_assert_false (g_variant_get_boolean (off));
  g_autoptr (GdkTexture) without = grab (pane (0));
  gdouble d = difference (with, without);
  g_test_message ("the substrate disk changes the view by %.2f levels", d);
  g_assert_cmpfloat (d, >, 2.0);
  activate ("show-substrate", NULL);
  g_autoptr (GdkTexture) again = grab (pane (0));
  g_assert_cmpfloat (difference (with, again), <, 0.05);
  g_remove (path);
}

/* Ctrl+? (win.show-help-overlay, also in the main menu) opens the
 * shortcuts window, which lists every key the window answers to. */
static void
test_shortcuts_window (void)
{
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));
  activate ("show-help-overlay", NULL);
  spin (0.2);
  GtkShortcutsWindow *help = NULL;
  GListModel *tops = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (GTK_IS_SHORTCUTS_WINDOW (w))
        help = GTK_SHORTCUTS_WINDOW (w);
    }
  g_assert_nonnull (help);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (help)));
  /* every shortcut of the window, its 3D views and the compare view */
  static const char *const expected[]
    = { "<Control>o", "<Control>s", "<Control><Shift>s", "<Control>n", "<Control>e",
        "<Control>r", "Escape", "F11", "<Control>question", "<Control>q", "1", "2", "3", "4",
        "Up", "Down", "r", "c", "s", "d", "bracketleft", "bracketright" };
  /* (the window's search page holds a second copy of each) */
  g_autoptr (GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();
  g_ptr_array_add (stack, help);
  while (stack->len > 0)
    {
      GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);
      if (GTK_IS_SHORTCUTS_SHORTCUT (w))
        {
          char *accel = NULL;
          g_object_get (w, "accelerator", &accel, NULL);
          g_hash_table_add (found, accel);
        }
      for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
        g_ptr_array_add (stack, c);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    if (!g_hash_table_contains (found, expected[i]))
      g_error ("the shortcuts window does not list %s", expected[i]);
  g_assert_cmpuint (g_hash_table_size (found), ==, G_N_ELEMENTS (expected));
  gtk_window_close (GTK_WINDOW (help));
  spin (0.1);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (help)));
}

static void
test_bad_file (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "broken.h5", NULL);
  g_assert_true (g_file_set_contents (path, "not hdf5 at all", -1, NULL));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  aet_window_open_file (window, file);
  g_assert_true (wait_until (idle_cond, 10));
  const char *msg = aet_window_get_error (window);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "broken.h5"));
  activate ("dismiss-error", NULL);
  g_assert_null (aet_window_get_error (window));
}

static gboolean
opened_cond (void)
{
  return idle_cond () && aet_viewer_get_atoms (pane (0)) != NULL;
}

/* A project dropped on the window opens as with Ctrl+O: the drop target's
 * "drop" signal is emitted with a file list, as GTK does for a real drop. */
static void
test_drop_file (void)
{
  GtkDropTarget *target = NULL;
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr (GObject) c = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (c))
        target = GTK_DROP_TARGET (c);
    }
  g_assert_nonnull (target);
  aet_viewer_set_atoms (pane (0), NULL);
  g_autoptr (GFile) file = g_file_new_for_path (project_path);
  GFile *files[] = { file };
  GdkFileList *list = gdk_file_list_new_from_array (files, 1);
  GValue value = G_VALUE_INIT;
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, list);
  gboolean accepted = FALSE;
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_assert_true (accepted);
  g_assert_true (wait_until (opened_cond, 20));
  g_assert_null (aet_window_get_error (window));
  g_assert_nonnull (aet_viewer_get_atoms (pane (0)));
}

/* Opens `path` in the window and waits for it. */
static void
open_and_wait (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  aet_window_open_file (window, file);
  g_assert_true (wait_until (idle_cond, 20));
  g_assert_null (aet_window_get_error (window));
}

static gboolean
flips_state (void)
{
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "average-flips");
  return g_variant_get_boolean (state);
}

/* The first spin button under `w` showing `value` (NULL if none). */
static GtkWidget *
find_spin_with_value (GtkWidget *w, gint value)
{
  if (GTK_IS_SPIN_BUTTON (w)
      && gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (w)) == value
      && gtk_spin_button_get_digits (GTK_SPIN_BUTTON (w)) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_spin_with_value (c, value);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gint
passes_state (void)
{
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "augment-passes");
  return g_variant_get_int32 (state);
}

/* The network passes follow the project opened (its augment/passes, else
 * the default), and the sidebar's spin button shows them. */
static void
test_passes_setting (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (project_path, &error);
  g_assert_no_error (error);
  aet_project_set_param (p, "augment/passes", "2");
  g_autofree char *passes_path = g_build_filename (tmpdir, "passes.h5", NULL);
  g_assert_true (aet_project_save (p, passes_path, &error));
  open_and_wait (passes_path);
  g_assert_cmpint (passes_state (), ==, 2);
  GtkWidget *spin_button = find_spin_with_value (GTK_WIDGET (window), 2);
  g_assert_nonnull (spin_button);
  open_and_wait (project_path);
  g_assert_cmpint (passes_state (), ==, AET_AUGMENT_DEFAULT_PASSES);
  g_assert_true (find_spin_with_value (GTK_WIDGET (window), 2) == NULL);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin_button)), ==,
                   AET_AUGMENT_DEFAULT_PASSES);
}

static gboolean
refine_state (void)
{
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "refine-atoms");
  return g_variant_get_boolean (state);
}

/* The "Refine against the projections" toggle follows the project it opens
 * (refine/enabled), on by default. */
static void
test_refine_setting (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (project_path, &error);
  g_assert_no_error (error);
  aet_project_set_param (p, "refine/enabled", "false");
  g_autofree char *off_path = g_build_filename (tmpdir, "no-refine.h5", NULL);
  g_assert_true (aet_project_save (p, off_path, &error));
  open_and_wait (off_path);
  g_assert_false (refine_state ());
  open_and_wait (project_path);
  g_assert_true (refine_state ());
}

/* The "Average 8 reflections" toggle follows the project it opens
 * (augment/flips), so Run keeps the augmentation the project was made with. */
static void
test_flips_setting (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (project_path, &error);
  g_assert_no_error (error);
  aet_project_set_param (p, "augment/flips", "8");
  g_autofree char *flips_path = g_build_filename (tmpdir, "flips.h5", NULL);
  g_assert_true (aet_project_save (p, flips_path, &error));
  open_and_wait (flips_path);
  g_assert_true (flips_state ());
  open_and_wait (project_path);
  g_assert_false (flips_state ());
}

/* Mean absolute difference per channel of two RGBA images (0–255), and
 * the fraction of pixels that differ by more than 24 in some channel. */
static void
compare_rgba (const guint8 *a, const guint8 *b, gsize n_pixels, gdouble *mean, gdouble *frac)
{
  guint64 sum = 0;
  gsize big = 0;
  for (gsize i = 0; i < n_pixels; i++)
    {
      gint worst = 0;
      for (int c = 0; c < 4; c++)
        {
          gint d = abs ((gint) a[4 * i + c] - (gint) b[4 * i + c]);
          sum += (guint64) d;
          worst = MAX (worst, d);
        }
      big += worst > 24;
    }
  *mean = (gdouble) sum / (4.0 * n_pixels);
  *frac = (gdouble) big / n_pixels;
}

static guint8 *
read_png_rgba (const char *path, gint *w, gint *h)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  *w = cairo_image_surface_get_width (s);
  *h = cairo_image_surface_get_height (s);
  gint stride = cairo_image_surface_get_stride (s);
  const guint8 *d = cairo_image_surface_get_data (s);
  guint8 *out = g_malloc ((gsize) *w * *h * 4);
  for (gint y = 0; y < *h; y++)
    for (gint x = 0; x < *w; x++)
      {
        guint32 px;
        memcpy (&px, d + (gsize) y * stride + 4 * x, 4);
        guint8 *o = out + 4 * ((gsize) y * *w + x);
        o[0] = (px >> 16) & 0xff;
        o[1] = (px >> 8) & 0xff;
        o[2] = px & 0xff;
        o[3] = px >> 24;
      }
  cairo_surface_destroy (s);
  return out;
}

typedef struct
{
  AetFigure *figure;
  const char *path;
  GError *error;
} SaveJob;

static gpointer
save_thread (gpointer data)
{
  SaveJob *j = data;
  if (aet_figure_prepare (j->figure, 2, NULL, &j->error))
    aet_figure_save (j->figure, j->path, &j->error);
  return NULL;
}

/* The window's figure of a view and `aet figure` of the same view give
 * the same pixels: they share the figure code. */
static void
test_export_matches_cli (void)
{
  activate ("view-mode", g_variant_new_string ("atoms"));
  aet_compare_view_set_comparing (aet_window_get_compare_view (window), TRUE);
  aet_viewer_reset_view (pane (0));
  g_assert_true (wait_until (idle_cond, 20));
  AetFigureOptions o;
  aet_figure_options_init (&o);
  o.width = 800;
  o.height = 400;
  o.dpi = 150;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetFigure) fig = aet_window_build_figure (window, TRUE, &o, &error);
  g_assert_no_error (error);
  g_autofree char *win_png = g_build_filename (tmpdir, "window-figure.png", NULL);
  /* as the export dialog does: on a worker thread with its own context
   * (the main thread has GTK's GL context current) */
  SaveJob job = { fig, win_png, NULL };
  g_thread_join (g_thread_new ("figure", save_thread, &job));
  g_assert_no_error (job.error);

  g_autofree char *cli_png = g_build_filename (tmpdir, "cli-figure.png", NULL);
  const char *argv[] = { g_getenv ("AET_BIN"), "figure", "-i", project_path, "-o", cli_png,
                         "--view", "atoms", "--compare", "--width", "800", "--height", "400",
                         "--dpi", "150", "--quiet", NULL };
  g_assert_nonnull (argv[0]);
  gint status = 0;
  g_autofree char *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (status != 0)
    g_error ("aet figure failed: %s", err);

  gint w1, h1, w2, h2;
  g_autofree guint8 *a = read_png_rgba (win_png, &w1, &h1);
  g_autofree guint8 *b = read_png_rgba (cli_png, &w2, &h2);
  g_assert_cmpint (w1, ==, 800);
  g_assert_cmpint (h1, ==, 400);
  g_assert_cmpint (w2, ==, w1);
  g_assert_cmpint (h2, ==, h1);
  gdouble mean, frac;
  compare_rgba (a, b, (gsize) w1 * h1, &mean, &frac);
  g_test_message ("window vs aet figure: mean |Δ| %.4f, %.4f %% of pixels off by > 24", mean,
                  100 * frac);
  g_assert_cmpfloat (mean, <, 0.5);
  g_assert_cmpfloat (frac, <, 0.002);
  /* and the figure is not blank: the panels differ from the background */
  gsize drawn = 0;
  for (gsize i = 0; i < (gsize) w1 * h1; i++)
    drawn += a[4 * i] < 200;
  g_assert_cmpuint (drawn, >, (gsize) w1 * h1 / 50);
  g_remove (win_png);
  g_remove (cli_png);
}

static AetExportDialog *
find_export_dialog (void)
{
  GListModel *tops = gtk_window_get_toplevels (); /* transfer none */
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (AET_IS_EXPORT_DIALOG (w))
        return AET_EXPORT_DIALOG (w);
    }
  return NULL;
}

static AetExportDialog *dialog;

static gboolean
dialog_idle (void)
{
  return !aet_export_dialog_is_busy (dialog) && aet_export_dialog_get_preview (dialog) != NULL;
}

static gboolean export_ok;
static char *export_message;

static void
on_finished (AetExportDialog *d, gboolean ok, const char *message, gpointer data)
{
  export_ok = ok;
  g_free (export_message);
  export_message = g_strdup (message);
}

/* Ctrl+E's dialog draws a preview on a worker thread and exports with its
 * settings; the window's status shows the result. */
static void
test_export_dialog (void)
{
  activate ("export", NULL);
  dialog = find_export_dialog ();
  g_assert_nonnull (dialog);
  g_signal_connect (dialog, "finished", G_CALLBACK (on_finished), NULL);
  g_assert_true (wait_until (dialog_idle, 60));
  GdkTexture *preview = aet_export_dialog_get_preview (dialog);
  gint pw = gdk_texture_get_width (preview), ph = gdk_texture_get_height (preview);
  g_test_message ("preview %d × %d", pw, ph);
  g_assert_cmpint (MAX (pw, ph), ==, 560);
  save_shot (preview, "export-preview");
  g_autofree guint8 *px = g_malloc ((gsize) pw * ph * 4);
  gdk_texture_download (preview, px, (gsize) pw * 4);
  gsize drawn = 0;
  for (gsize i = 0; i < (gsize) pw * ph; i++)
    drawn += px[4 * i] < 200 || px[4 * i + 2] < 200;
  g_assert_cmpuint (drawn, >, (gsize) pw * ph / 50);

  aet_export_dialog_set_size (dialog, 600, 450, 150);
  g_autofree char *path = g_build_filename (tmpdir, "dialog-figure.png", NULL);
  aet_export_dialog_export_to (dialog, path);
  g_assert_true (wait_until (dialog_idle, 60));
  g_assert_true (export_ok);
  g_assert_nonnull (strstr (export_message, "dialog-figure.png"));
  gint w, h;
  gdouble dpi;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_png_read_info (path, &w, &h, &dpi, &error));
  g_assert_cmpint (w, ==, 600);
  g_assert_cmpint (h, ==, 450);
  g_assert_cmpfloat (fabs (dpi - 150), <, 0.02);
  g_remove (path);

  /* a file that cannot be written: the message names it, nothing crashes */
  aet_export_dialog_export_to (dialog, "/nonexistent-folder/figure.svg");
  g_assert_true (wait_until (dialog_idle, 60));
  g_assert_false (export_ok);
  g_assert_nonnull (strstr (export_message, "figure.svg"));

  gtk_window_close (GTK_WINDOW (dialog));
  spin (0.1);
  g_clear_pointer (&export_message, g_free);
  /* the settings are remembered */
  g_autofree char *settings_file = g_build_filename (tmpdir, "aet-studio", "settings.ini", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (settings_file, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "[export]"));
  g_assert_nonnull (strstr (text, "width=600"));
}

/* Xvfb has no D-Bus session: GTK's warning about it is not a failure of
 * ours; every other warning still is. */
static gboolean
fatal_filter (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  return strstr (message, "session bus") == NULL;
}

int
main (int argc, char **argv)
{
  g_setenv ("AET_STUDIO_NO_DEMO", "1", TRUE);
  /* no accessibility bus under Xvfb (GTK would warn at every widget) */
  g_setenv ("GTK_A11Y", "none", TRUE);
  tmpdir = aet_test_scratch_dir_new ("aet-ui");
  g_setenv ("XDG_CONFIG_HOME", tmpdir, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_log_set_fatal_handler (fatal_filter, NULL);
  if (!gtk_init_check ())
    {
      g_test_skip ("no display (run under xvfb-run)");
      return g_test_run ();
    }
  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/aetstudio/AetStudio/style.css");
  project_path = small_project_write (tmpdir, "small.h5");
  window = aet_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_window_present (GTK_WINDOW (window));
  if (!wait_until (realized_cond, 10))
    g_error ("the window's GL view was not realized");

  g_test_add_func ("/ui/window/open-and-views", test_open_and_views);
  g_test_add_func ("/ui/window/layers", test_layers);
  g_test_add_func ("/ui/window/compare", test_compare);
  g_test_add_func ("/ui/window/split", test_split);
  g_test_add_func ("/ui/window/difference", test_difference);
  g_test_add_func ("/ui/window/export-matches-aet-figure", test_export_matches_cli);
  g_test_add_func ("/ui/window/export-dialog", test_export_dialog);
  g_test_add_func ("/ui/window/run-responsive", test_run_keeps_ui_responsive);
  g_test_add_func ("/ui/window/substrate", test_substrate);
  g_test_add_func ("/ui/window/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/ui/window/bad-file", test_bad_file);
  g_test_add_func ("/ui/window/drop-file", test_drop_file);
  g_test_add_func ("/ui/window/flips-setting", test_flips_setting);
  g_test_add_func ("/ui/window/refine-setting", test_refine_setting);
  g_test_add_func ("/ui/window/passes-setting", test_passes_setting);
  int status = g_test_run ();
  /* closing the window remembers its size in the settings */
  gtk_window_close (GTK_WINDOW (window));
  spin (0.1);
  g_autofree char *settings_text = NULL;
  g_autofree char *settings_file = g_build_filename (tmpdir, "aet-studio", "settings.ini", NULL);
  g_assert_true (g_file_get_contents (settings_file, &settings_text, NULL, NULL));
  g_assert_nonnull (strstr (settings_text, "width="));
  g_assert_nonnull (strstr (settings_text, "last-folder="));
  aet_test_remove_tree (tmpdir);
  return status;
}
