/* test-window.c — the real AET Studio window under Xvfb, driven through its
 * actions: a small simulated project is opened, the view modes, the compare
 * view and the layer step are exercised, and the GL frames of the viewers
 * are read back and checked pixel by pixel.  A reconstruction runs in the
 * background while a 10 ms timer measures the longest main-loop stall.
 * Screenshots of each view mode go to the build directory. */
#define G_LOG_DOMAIN "test-window"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>

#include "aet-canvas.h"
#include "aet-compare-view.h"
#include "aet-export-dialog.h"
#include "aet-project-file.h"
#include "aet-reconstruct.h"
#include "aet-simulate.h"
#include "aet-trace.h"
#include "aet-window.h"
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
  return !aet_window_is_busy (window) && !aet_viewer_is_busy (pane (0))
         && !aet_viewer_is_busy (pane (1));
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
  /* a truth is known: recall is shown and is a percentage */
  const char *recall = aet_inspector_get_value (inspector, "recall");
  g_assert_nonnull (recall);
  g_assert_cmpfloat (g_ascii_strtod (recall, NULL), >, 50.0);
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_ANALYSE), ==, AET_STAGE_DONE);

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
  gint64 t0 = g_get_monotonic_time ();
  activate ("run", NULL);
  g_assert_true (aet_window_is_busy (window));
  /* the loop runs freely while reconstruction and tracing go on */
  while (aet_window_is_busy (window) && g_get_monotonic_time () - t0 < 60 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
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
  g_assert_cmpint (max_gap_compute, <, 50000);
  g_assert_cmpint (max_gap, <, 50000 + max_paint);

  /* the shipped network ran: the inspector puts the model after augmentation
   * beside the one before */
  g_assert_cmpint (aet_stage_list_get_state (aet_window_get_stage_list (window),
                                             AET_STAGE_AUGMENT), ==, AET_STAGE_DONE);
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
  tmpdir = g_dir_make_tmp ("aet-ui-XXXXXX", NULL);
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
  g_test_add_func ("/ui/window/export-matches-aet-figure", test_export_matches_cli);
  g_test_add_func ("/ui/window/export-dialog", test_export_dialog);
  g_test_add_func ("/ui/window/run-responsive", test_run_keeps_ui_responsive);
  g_test_add_func ("/ui/window/bad-file", test_bad_file);
  int status = g_test_run ();
  /* closing the window remembers its size in the settings */
  gtk_window_close (GTK_WINDOW (window));
  spin (0.1);
  g_autofree char *settings_text = NULL;
  g_autofree char *settings_file = g_build_filename (tmpdir, "aet-studio", "settings.ini", NULL);
  g_assert_true (g_file_get_contents (settings_file, &settings_text, NULL, NULL));
  g_assert_nonnull (strstr (settings_text, "width="));
  g_assert_nonnull (strstr (settings_text, "last-folder="));
  g_remove (project_path);
  g_autofree char *settings = g_build_filename (tmpdir, "aet-studio", "settings.ini", NULL);
  g_remove (settings);
  g_autofree char *sdir = g_build_filename (tmpdir, "aet-studio", NULL);
  g_rmdir (sdir);
  g_autofree char *broken = g_build_filename (tmpdir, "broken.h5", NULL);
  g_remove (broken);
  g_rmdir (tmpdir);
  return status;
}
