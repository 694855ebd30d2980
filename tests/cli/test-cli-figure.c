/* `aet figure` end to end with no display: PNG at a physical size with its
 * DPI, an SVG layer figure, turntable frames, the surface as STL, the
 * report's plots, and one-line errors for bad requests. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "aet-canvas.h"
#include "run-aet.h"
#include "scratch-dir.h"
#include "small-project.h"

static char *dir;
static char *project;

/* Runs the aet binary with args; returns the exit status, stderr in *err. */
static int
run_aet (const char *const *args, char **err)
{
  return run_aet_env (args, NULL, NULL, err);
}

static char *
path_in (const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
test_png_physical_size (void)
{
  g_autofree char *out = path_in ("atoms.png");
  const char *args[] = { "figure", "-i", project, "-o", out, "--view", "atoms", "--compare",
                         "--width-mm", "120", "--height-mm", "60", "--dpi", "200", "--title",
                         "Pt", "--quiet", NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_aet (args, &err), ==, 0);
  gint w, h;
  gdouble dpi;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_png_read_info (out, &w, &h, &dpi, &error));
  g_assert_no_error (error);
  /* 120 mm at 200 DPI = 944.9 → 945 px; 60 mm → 472 px */
  g_assert_cmpint (w, ==, 945);
  g_assert_cmpint (h, ==, 472);
  g_assert_cmpfloat (fabs (dpi - 200), <, 0.02);
}

static void
test_layer_svg (void)
{
  g_autofree char *out = path_in ("layer.svg");
  const char *args[] = { "figure", "-i", project, "-o", out, "--view", "layers", "--hkl",
                         "1,0,0", "--layer", "1", NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_aet (args, &err), ==, 0);
  g_autofree char *svg = NULL;
  g_assert_true (g_file_get_contents (out, &svg, NULL, NULL));
  g_assert_true (g_str_has_prefix (svg, "<?xml"));
  g_assert_nonnull (strstr (svg, "<g id=\"atoms-a\""));
  g_assert_nonnull (strstr (svg, "<circle"));
  g_assert_nonnull (strstr (svg, "data:image/png;base64,"));
  /* the scale bar's label is text */
  g_assert_true (strstr (svg, ">1 nm</text>") != NULL || strstr (svg, "Å</text>") != NULL);
}

static void
test_turntable_and_surface (void)
{
  g_autofree char *out = path_in ("turn.png");
  const char *args[] = { "figure", "-i", project, "-o", out, "--view", "atoms", "--turntable",
                         "4", "--width", "160", "--height", "120", "--quiet", NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_aet (args, &err), ==, 0);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("turn-%03d.png", i);
      g_autofree char *frame = path_in (name);
      gint w, h;
      gdouble dpi;
      g_assert_true (aet_png_read_info (frame, &w, &h, &dpi, NULL));
      g_assert_cmpint (w, ==, 160);
    }
  /* the frames differ: the particle turns */
  g_autofree char *f0 = path_in ("turn-000.png"), *f1 = path_in ("turn-001.png");
  g_autofree char *d0 = NULL, *d1 = NULL;
  gsize n0, n1;
  g_assert_true (g_file_get_contents (f0, &d0, &n0, NULL));
  g_assert_true (g_file_get_contents (f1, &d1, &n1, NULL));
  g_assert_true (n0 != n1 || memcmp (d0, d1, n0) != 0);
  g_autofree char *f4 = path_in ("turn-004.png");
  g_assert_false (g_file_test (f4, G_FILE_TEST_EXISTS));

  g_autofree char *stl = path_in ("surface.stl");
  const char *sargs[] = { "figure", "-i", project, "-o", stl, "--level", "0.3", NULL };
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_aet (sargs, &err), ==, 0);
  g_autofree char *data = NULL;
  gsize length;
  g_assert_true (g_file_get_contents (stl, &data, &length, NULL));
  g_assert_cmpuint (length, >, 84);
  guint32 n;
  memcpy (&n, data + 80, 4);
  g_assert_cmpuint (length, ==, 84 + 50 * (gsize) GUINT32_FROM_LE (n));
}

static void
test_plots (void)
{
  static const char *const plots[] = { "strain", "error", "fsc" };
  for (guint i = 0; i < G_N_ELEMENTS (plots); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.svg", plots[i]);
      g_autofree char *out = path_in (name);
      const char *args[] = { "figure", "-i", project, "--plot", plots[i], "-o", out, "--quiet",
                             NULL };
      g_autofree char *err = NULL;
      int status = run_aet (args, &err);
      if (g_str_equal (plots[i], "error"))
        {
          /* the small project was reconstructed outside the pipeline: no
           * error curve was recorded, and the message says so */
          g_assert_cmpint (status, ==, 1);
          g_assert_nonnull (strstr (err, "no reconstruction error recorded"));
          continue;
        }
      g_assert_cmpint (status, ==, 0);
      g_autofree char *svg = NULL;
      g_assert_true (g_file_get_contents (out, &svg, NULL, NULL));
      g_assert_nonnull (strstr (svg, "<text"));
    }
}

typedef struct
{
  const char *args[16];
  int status;
  const char *message; /* a part of the one-line error */
} BadCase;

static void
test_errors (void)
{
  g_autofree char *out = path_in ("x.png");
  g_autofree char *missing = path_in ("missing.h5");
  g_autofree char *text = path_in ("text.h5");
  g_assert_true (g_file_set_contents (text, "not a project", -1, NULL));
  BadCase cases[] = {
    { { "figure", "-i", project, "-o", out, "--view", "cubes", NULL }, 2, "--view cubes" },
    { { "figure", "-i", project, "-o", out, "--hkl", "1,1", NULL }, 2, "--hkl 1,1" },
    { { "figure", "-i", project, "-o", out, "--dpi", "0", NULL }, 2, "--dpi" },
    { { "figure", "-i", project, "-o", "fig.gif", NULL }, 2, "fig.gif" },
    { { "figure", "-i", project, "-o", out, "--level", "2", NULL }, 2, "--level" },
    { { "figure", "-i", project, "-o", out, "--plot", "pie", NULL }, 2, "--plot pie" },
    { { "figure", "-i", project, "-o", out, "--width", "8", NULL }, 1, "pixels" },
    { { "figure", "-i", project, "-o", out, "--model", "after", NULL }, 1, "no after model" },
    { { "figure", "-i", missing, "-o", out, NULL }, 1, "missing.h5" },
    { { "figure", "-i", text, "-o", out, NULL }, 1, "text.h5" },
    { { "figure", "-i", project, NULL }, 2, "give -i" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      int status = run_aet (cases[i].args, &err);
      g_test_message ("case %u: status %d: %s", i, status, err);
      g_assert_cmpint (status, ==, cases[i].status);
      g_assert_true (g_str_has_prefix (err, "aet: error: "));
      g_assert_nonnull (strstr (err, cases[i].message));
      /* one line */
      g_assert_cmpint (strchr (err, '\n') - err, ==, (gssize) strlen (err) - 1);
    }
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = aet_test_scratch_dir_new ("aet-cli-figure");
  project = small_project_write (dir, "small.h5");
  g_test_add_func ("/cli/figure/png-physical-size-and-dpi", test_png_physical_size);
  g_test_add_func ("/cli/figure/layer-svg", test_layer_svg);
  g_test_add_func ("/cli/figure/turntable-and-surface", test_turntable_and_surface);
  g_test_add_func ("/cli/figure/plots", test_plots);
  g_test_add_func ("/cli/figure/errors", test_errors);
  int status = g_test_run ();
  aet_test_remove_tree (dir);
  g_free (project);
  g_free (dir);
  return status;
}
