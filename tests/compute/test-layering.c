/* The dependency rule of DEVELOPERS.md, checked on the source tree:
 * nothing in compute/ includes GTK, GDK or GL, and nothing in render/ knows
 * a widget. */
#include <glib.h>
#include <string.h>

static void
check_dir (const char *dir, const char *const *forbidden)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", dir, NULL);
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  if (d == NULL)
    return; /* the folder does not exist yet */
  const char *name;
  guint checked = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (name, ".c") && !g_str_has_suffix (name, ".h"))
        continue;
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *text = NULL;
      g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
      for (const char *const *f = forbidden; *f != NULL; f++)
        if (strstr (text, *f) != NULL)
          g_error ("%s/%s includes %s", dir, name, *f);
      checked++;
    }
  g_test_message ("%s: %u files checked", dir, checked);
}

static void
test_compute_has_no_gui (void)
{
  const char *const forbidden[] = { "<gtk/", "<gdk/", "<epoxy/", "<GL/", "<cglm/", NULL };
  check_dir ("compute", forbidden);
}

static void
test_render_knows_no_widget (void)
{
  const char *const forbidden[] = { "<gtk/", "GtkWidget", NULL };
  check_dir ("render", forbidden);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layering/compute-has-no-gui", test_compute_has_no_gui);
  g_test_add_func ("/layering/render-knows-no-widget", test_render_knows_no_widget);
  return g_test_run ();
}
