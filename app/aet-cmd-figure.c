/* aet-cmd-figure.c — `aet figure`: a figure for a paper from a project,
 * with no display (the window's rendering code in a surfaceless EGL
 * context), as PNG with its DPI, SVG or PDF; the iso-surface as STL or
 * OBJ; turntable frames. */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aet-analysis.h"
#include "aet-atom-density.h"
#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-figure.h"
#include "aet-file-util.h"
#include "aet-iso-mesh.h"
#include "aet-mesh-export.h"
#include "aet-plot.h"
#include "aet-project-file.h"
#include "aet-report-plots.h"

/* What the figure's panels show, with the analyses they need. */
typedef struct
{
  AetVolume *volume;
  AetAtoms *atoms;
  const char *caption;
  AetAnalysis *analysis;
} Source;

static void
source_clear (Source *s)
{
  g_clear_pointer (&s->volume, aet_volume_unref);
  g_clear_pointer (&s->atoms, aet_atoms_unref);
  g_clear_pointer (&s->analysis, aet_analysis_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Source, source_clear)

static const char *
first_of (AetProject *p, gboolean atoms, const char *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (atoms ? aet_project_get_atoms (p, names[i]) != NULL
              : aet_project_get_volume (p, names[i]) != NULL)
      return names[i];
  return NULL;
}

/* The model `which` (before, after, truth) of a project. */
static gboolean
source_from_project (AetProject *p, const char *which, Source *s, GError **error)
{
  static const char *const recon[] = { "reconstruction", "recon", NULL };
  static const char *const before[] = { "before", "traced", "model", NULL };
  static const char *const aug[] = { "augmented", NULL }, *const after[] = { "refined", "after", NULL };
  static const char *const target[] = { "target", NULL }, *const truth[] = { "truth", NULL };
  const char *const *vn, *const *an;
  if (g_str_equal (which, "before"))
    vn = recon, an = before, s->caption = "Before augmentation";
  else if (g_str_equal (which, "after"))
    vn = aug, an = after, s->caption = "After augmentation";
  else
    vn = target, an = truth, s->caption = "Ground truth";
  const char *v = first_of (p, FALSE, vn), *a = first_of (p, TRUE, an);
  if (v == NULL && a == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "the project has no %s model (run `aet run` on it first)", which);
      return FALSE;
    }
  if (v != NULL)
    s->volume = aet_volume_ref (aet_project_get_volume (p, v));
  if (a != NULL)
    s->atoms = aet_atoms_dup (aet_project_get_atoms (p, a));
  return TRUE;
}

static gboolean
parse_ints (const char *text, gint *v, guint n)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  if (g_strv_length (parts) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;
      gint64 x = g_ascii_strtoll (g_strstrip (parts[i]), &end, 10);
      if (end == parts[i] || *end != '\0' || x < -99 || x > 99)
        return FALSE;
      v[i] = (gint) x;
    }
  return TRUE;
}

static gboolean
parse_doubles (const char *text, gdouble *v, guint n)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  if (g_strv_length (parts) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;
      v[i] = g_ascii_strtod (g_strstrip (parts[i]), &end);
      if (end == parts[i] || *end != '\0' || !isfinite (v[i]))
        return FALSE;
    }
  return TRUE;
}

/* "out.png", 7 → "out-007.png" */
static char *
frame_path (const char *path, gint index)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, G_DIR_SEPARATOR);
  if (dot == NULL || (slash != NULL && dot < slash))
    return g_strdup_printf ("%s-%03d", path, index);
  return g_strdup_printf ("%.*s-%03d%s", (int) (dot - path), path, index, dot);
}

/* `--plot`: one of the report's plots of a project as SVG, PDF or PNG,
 * width × height pixels at dpi (the vector page has the same size). */
static int
make_plot (const AetCliCommon *common, const char *input, const char *which,
           const char *output, gint width, gint height, gdouble dpi)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = aet_display_name (input);
  if (!aet_project_file_is_project (input))
    return aet_cli_usage ("figure", "--plot needs a project (.h5): %s is not one", name);
  g_autoptr (AetProject) project = aet_project_load (input, &error);
  if (project == NULL)
    return aet_cli_fail (error);
  g_autoptr (AetPlot) plot = NULL;
  if (g_str_equal (which, "error"))
    {
      const char *text = aet_project_get_param (project, "result/reconstruct/error");
      g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", ",", -1);
      g_autoptr (GArray) e = g_array_new (FALSE, FALSE, sizeof (gdouble));
      for (guint i = 0; parts[i] != NULL; i++)
        if (*g_strstrip (parts[i]) != '\0')
          {
            gdouble v = g_ascii_strtod (parts[i], NULL);
            g_array_append_val (e, v);
          }
      plot = aet_report_plot_error ((const gdouble *) e->data, e->len);
      if (plot == NULL)
        g_set_error (&error, AET_ERROR, AET_ERROR_DATA,
                     "%s: no reconstruction error recorded (reconstruct it with aet run)", name);
    }
  else if (g_str_equal (which, "fsc"))
    {
      static const char *const recon[] = { "reconstruction", "recon", NULL };
      const char *rn = first_of (project, FALSE, recon);
      g_autoptr (AetVolume) truth = NULL;
      AetAtoms *truth_atoms = aet_project_get_atoms (project, "truth");
      if (aet_project_get_volume (project, "target") != NULL)
        truth = aet_volume_ref (aet_project_get_volume (project, "target"));
      else if (truth_atoms != NULL && rn != NULL)
        {
          /* the target as the simulator makes it: Gaussian atoms, B = 4 Å²,
           * on the reconstruction's grid */
          const AetVolume *r = aet_project_get_volume (project, rn);
          truth = aet_volume_new (r->nx, r->ny, r->nz, r->voxel_size);
          memcpy (truth->origin, r->origin, sizeof truth->origin);
          aet_render_gaussian_atoms (truth_atoms, truth, 4.0, 1.0, NULL, 2);
        }
      if (truth == NULL || rn == NULL)
        g_set_error (&error, AET_ERROR, AET_ERROR_DATA,
                     "%s: the FSC needs the simulated truth (target) and a reconstruction",
                     name);
      else
        plot = aet_report_plot_fsc (truth, aet_project_get_volume (project, rn),
                                    aet_project_get_volume (project, "augmented"), &error);
    }
  else
    {
      Source models[2] = { { 0 }, { 0 } };
      gboolean ok = source_from_project (project, "before", &models[0], &error);
      if (ok && aet_project_get_atoms (project, "after") != NULL)
        ok = source_from_project (project, "after", &models[1], &error);
      for (guint i = 0; ok && i < 2; i++)
        if (models[i].atoms != NULL && aet_atoms_get_column (models[i].atoms, "strain_vol") == NULL)
          {
            AetAnalysisOptions ao;
            aet_analysis_options_init (&ao);
            models[i].analysis = aet_analysis_run (models[i].atoms, &ao, NULL, &error);
            ok = models[i].analysis != NULL;
          }
      if (ok)
        {
          plot = aet_report_plot_strain (models[0].atoms, models[1].atoms);
          if (plot == NULL)
            g_set_error (&error, AET_ERROR, AET_ERROR_DATA, "%s: no strain to plot", name);
        }
      source_clear (&models[0]);
      source_clear (&models[1]);
    }
  if (plot == NULL)
    return aet_cli_fail (error);
  if (!aet_plot_save (plot, output, width * 72.0 / dpi, height * 72.0 / dpi, dpi, &error))
    return aet_cli_fail (error);
  aet_cli_say (common, "wrote %s: the %s plot, %d × %d px at %g DPI\n", output, which, width,
               height, dpi);
  return AET_EXIT_OK;
}

int
aet_cmd_figure (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *output = NULL, *view = NULL, *hkl_text = NULL;
  g_autofree char *model = NULL, *atoms_path = NULL, *color = NULL, *title = NULL;
  g_autofree char *along = NULL, *rotate = NULL, *dataset = NULL, *plot = NULL;
  gboolean compare = FALSE, transparent = FALSE, no_scale_bar = FALSE, no_labels = FALSE;
  gboolean perspective = FALSE;
  gint layer = 0, width = 0, height = 0, turntable = 0, samples = 4;
  gdouble dpi = 300, width_mm = 0, height_mm = 0, level = 0.4, pixel = 0;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input,
      "Project (.h5), or a volume (.mrc) with --atoms", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Figure: .png, .svg, .pdf; iso-surface: .stl, .obj", "FILE" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &view, "iso, atoms, layers or facets (atoms)", "V" },
    { "compare", 0, 0, G_OPTION_ARG_NONE, &compare,
      "Before | after augmentation side by side (or reconstruction | truth)", NULL },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model,
      "The model of a single panel: before, after or truth (before)", "M" },
    { "hkl", 0, 0, G_OPTION_ARG_STRING, &hkl_text, "Layer direction [hkl] (1,1,1)", "H,K,L" },
    { "layer", 0, 0, G_OPTION_ARG_INT, &layer, "Layer index from the centre (0)", "K" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Width in pixels (2400)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Height in pixels (1800, 1 panel: 2400)", "H" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, "Resolution recorded in the file (300)", "D" },
    { "width-mm", 0, 0, G_OPTION_ARG_DOUBLE, &width_mm, "Width in mm (with --dpi)", "MM" },
    { "height-mm", 0, 0, G_OPTION_ARG_DOUBLE, &height_mm, "Height in mm (with --dpi)", "MM" },
    { "transparent", 0, 0, G_OPTION_ARG_NONE, &transparent, "Transparent background", NULL },
    { "no-scale-bar", 0, 0, G_OPTION_ARG_NONE, &no_scale_bar, "No scale bar", NULL },
    { "no-labels", 0, 0, G_OPTION_ARG_NONE, &no_labels, "No panel labels (a, b)", NULL },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "A title above the panels", "TEXT" },
    { "color-by", 0, 0, G_OPTION_ARG_STRING, &color,
      "Atom colouring: element, coordination, displacement_pm, strain_vol, … (element)", "COL" },
    { "level", 0, 0, G_OPTION_ARG_DOUBLE, &level,
      "Iso level as a fraction of each volume's range (0.4)", "F" },
    { "along", 0, 0, G_OPTION_ARG_STRING, &along,
      "View along: beam, or h,k,l of the fitted lattice (beam)", "DIR" },
    { "rotate", 0, 0, G_OPTION_ARG_STRING, &rotate,
      "Then turn by X,Y degrees about the screen's horizontal and vertical axes", "X,Y" },
    { "perspective", 0, 0, G_OPTION_ARG_NONE, &perspective,
      "Perspective projection (no scale bar; default orthographic)", NULL },
    { "turntable", 0, 0, G_OPTION_ARG_INT, &turntable,
      "N frames of a full turn, written as FILE-000.png …", "N" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &samples, "Antialiasing samples (4)", "N" },
    { "plot", 0, 0, G_OPTION_ARG_STRING, &plot,
      "A plot instead of a view: strain (histogram), error (per iteration) or fsc", "P" },
    { "atoms", 0, 0, G_OPTION_ARG_FILENAME, &atoms_path, "Atoms (.xyz) to show with a volume",
      "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "Volume in a non-project HDF5 file",
      "NAME" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Voxel size in Å (overrides the file)", "A" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "figure", NULL,
    "Renders a figure with no display: the 3D views (iso, atoms, facets) in an offscreen\n"
    "OpenGL context, the layers view as vector circles over the layer's intensity.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "figure", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("figure", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("figure", "give -i project.h5 and -o figure.png");

  g_autofree char *ext = aet_path_extension (output);
  gboolean mesh_out = g_str_equal (ext, "stl") || g_str_equal (ext, "obj");
  if (!mesh_out && !g_str_equal (ext, "png") && !g_str_equal (ext, "svg")
      && !g_str_equal (ext, "pdf"))
    return aet_cli_usage ("figure", "%s: write .png, .svg, .pdf, .stl or .obj", output);

  if (plot != NULL)
    {
      if (!g_str_equal (plot, "strain") && !g_str_equal (plot, "error")
          && !g_str_equal (plot, "fsc"))
        return aet_cli_usage ("figure", "--plot %s: use strain, error or fsc", plot);
      if (mesh_out)
        return aet_cli_usage ("figure", "--plot: write .svg, .pdf or .png");
      if (width < 0 || height < 0 || !(dpi >= 10 && dpi <= 10000))
        return aet_cli_usage ("figure", "--width, --height and --dpi must be positive");
      return make_plot (&common, input, plot, output, width > 0 ? width : 1200,
                        height > 0 ? height : 800, dpi);
    }

  AetViewSetup setup;
  aet_view_setup_init (&setup);
  setup.mode = AET_VIEW_ATOMS;
  if (view != NULL)
    {
      gint m = aet_view_mode_from_string (view);
      if (m < 0)
        return aet_cli_usage ("figure", "--view %s: use iso, atoms, layers or facets", view);
      setup.mode = (AetViewMode) m;
    }
  if (mesh_out)
    setup.mode = AET_VIEW_ISO;
  if (hkl_text != NULL && (!parse_ints (hkl_text, setup.hkl, 3)
                           || (setup.hkl[0] == 0 && setup.hkl[1] == 0 && setup.hkl[2] == 0)))
    return aet_cli_usage ("figure", "--hkl %s: give three integers such as 1,1,1", hkl_text);
  setup.layer_index = layer;
  if (!(level > 0 && level < 1))
    return aet_cli_usage ("figure", "--level %g: give a fraction between 0 and 1", level);
  setup.iso_fraction = level;
  aet_view_setup_set_color_column (&setup, color);
  gint along_hkl[3] = { 0, 0, 0 };
  if (along != NULL && !g_str_equal (along, "beam")
      && (!parse_ints (along, along_hkl, 3)
          || (along_hkl[0] == 0 && along_hkl[1] == 0 && along_hkl[2] == 0)))
    return aet_cli_usage ("figure", "--along %s: give beam or h,k,l", along);
  gdouble turn[2] = { 0, 0 };
  if (rotate != NULL && !parse_doubles (rotate, turn, 2))
    return aet_cli_usage ("figure", "--rotate %s: give two angles in degrees, X,Y", rotate);
  if (model != NULL && !g_str_equal (model, "before") && !g_str_equal (model, "after")
      && !g_str_equal (model, "truth"))
    return aet_cli_usage ("figure", "--model %s: use before, after or truth", model);
  if (turntable < 0 || turntable > 3600)
    return aet_cli_usage ("figure", "--turntable %d: give 1–3600 frames", turntable);
  if (turntable > 0 && (!g_str_equal (ext, "png") || setup.mode == AET_VIEW_LAYERS))
    return aet_cli_usage ("figure", "--turntable: PNG frames of a 3D view (iso, atoms, facets)");
  if (samples < 0 || samples > 64)
    return aet_cli_usage ("figure", "--samples %d: give 0–64", samples);

  AetFigureOptions options;
  aet_figure_options_init (&options);
  options.dpi = dpi;
  if (!(dpi >= 10 && dpi <= 10000))
    return aet_cli_usage ("figure", "--dpi %g: give 10–10000", dpi);
  if (width_mm > 0 || height_mm > 0)
    {
      if (!(width_mm > 0 && height_mm > 0))
        return aet_cli_usage ("figure", "give both --width-mm and --height-mm");
      aet_figure_options_set_size_mm (&options, width_mm, height_mm);
    }
  else
    {
      if (!compare && setup.mode != AET_VIEW_LAYERS)
        options.height = 2400 * 3 / 4;
      if (width > 0)
        options.width = width;
      if (height > 0)
        options.height = height;
      if (width < 0 || height < 0)
        return aet_cli_usage ("figure", "--width and --height must be positive");
    }
  options.transparent = transparent;
  options.scale_bar = !no_scale_bar;
  options.panel_labels = !no_labels;
  options.samples = samples;
  options.orthographic = !perspective;
  if (title != NULL)
    g_strlcpy (options.title, title, sizeof options.title);

  /* the data */
  g_autoptr (GError) error = NULL;
  g_auto (Source) first = { 0 };
  g_auto (Source) second = { 0 };
  Source *src[2] = { &first, &second };
  guint n = compare ? 2 : 1;
  gboolean ok = TRUE;
  g_autofree char *in_ext = aet_path_extension (input);
  gboolean project_ext = g_str_equal (in_ext, "h5") || g_str_equal (in_ext, "hdf5")
                         || g_str_equal (in_ext, "emd");
  if (aet_project_file_is_project (input) || (project_ext && dataset == NULL))
    {
      g_autoptr (AetProject) project = aet_project_load (input, &error);
      if (project == NULL)
        return aet_cli_fail (error);
      if (compare)
        {
          gboolean have_after = aet_project_get_volume (project, "augmented") != NULL
                                || aet_project_get_atoms (project, "after") != NULL;
          ok = source_from_project (project, "before", src[0], &error)
               && source_from_project (project, have_after ? "after" : "truth", src[1],
                                       &error);
          if (ok && !have_after)
            src[0]->caption = "Reconstruction";
        }
      else
        {
          ok = source_from_project (project, model != NULL ? model : "before", src[0], &error);
          src[0]->caption = NULL;
        }
    }
  else
    {
      if (compare)
        return aet_cli_usage ("figure", "--compare needs a project (.h5) with two models");
      src[0]->volume = aet_cli_load_volume (input, dataset, NULL, pixel, &error);
      ok = src[0]->volume != NULL;
      if (ok && atoms_path != NULL)
        ok = (src[0]->atoms = aet_cli_load_atoms (atoms_path, NULL, &error)) != NULL;
    }
  if (!ok)
    {
      g_autofree char *name = aet_display_name (input);
      if (!g_str_has_prefix (error->message, name))
        g_prefix_error (&error, "%s: ", name);
      return aet_cli_fail (error);
    }

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Figure");
  gint64 t0 = g_get_monotonic_time ();

  if (mesh_out)
    {
      if (src[0]->volume == NULL)
        {
          g_set_error (&error, AET_ERROR, AET_ERROR_DATA, "%s: no volume to make a surface of",
                       input);
          return aet_cli_fail (error);
        }
      g_autoptr (AetIsoMesh) mesh
        = aet_iso_mesh_compute (src[0]->volume, aet_view_iso_level (&setup, src[0]->volume),
                                aet_job_get_threads (job), job, &error);
      aet_cli_job_finish (job);
      if (mesh == NULL || !aet_iso_mesh_save (mesh, output, &error))
        {
          return aet_cli_fail (error);
        }
      aet_cli_say (&common, "wrote %s: %u triangles, %.0f Å² (%.2f s)\n", output,
                   mesh->n_triangles, aet_iso_mesh_area (mesh),
                   (g_get_monotonic_time () - t0) / 1e6);
      return AET_EXIT_OK;
    }

  /* the lattice (layers and views along [hkl]) and the facets come from
   * the analysis of each model's atoms */
  gboolean need_analysis = setup.mode == AET_VIEW_FACETS || setup.mode == AET_VIEW_LAYERS
                           || along_hkl[0] != 0 || along_hkl[1] != 0 || along_hkl[2] != 0;
  for (guint i = 0; i < n; i++)
    {
      const char *col = setup.color_column;
      gboolean missing_column = !g_str_equal (col, "element") && src[i]->atoms != NULL
                                && aet_atoms_get_column (src[i]->atoms, col) == NULL;
      if (src[i]->atoms == NULL || (!need_analysis && !missing_column))
        continue;
      AetAnalysisOptions ao;
      aet_analysis_options_init (&ao);
      g_autoptr (GError) aerr = NULL;
      src[i]->analysis = aet_analysis_run (src[i]->atoms, &ao, NULL, &aerr);
      if (src[i]->analysis == NULL && (setup.mode == AET_VIEW_FACETS || missing_column))
        {
          g_set_error (&error, AET_ERROR, AET_ERROR_DATA, "%s: %s: %s", input,
                       src[i]->caption != NULL ? src[i]->caption : "model", aerr->message);
          return aet_cli_fail (error);
        }
      if (!g_str_equal (col, "element") && aet_atoms_get_column (src[i]->atoms, col) == NULL)
        {
          g_set_error (&error, AET_ERROR, AET_ERROR_DATA,
                       "--color-by %s: the atoms have no such column", col);
          return aet_cli_fail (error);
        }
    }
  if (src[0]->analysis != NULL)
    aet_view_setup_set_lattice (&setup, src[0]->analysis->lattice.rotation,
                                src[0]->analysis->lattice.a);

  g_autoptr (AetCamera) camera = aet_camera_new ();
  aet_camera_set_projection (camera, perspective ? AET_PROJECTION_PERSPECTIVE
                                                 : AET_PROJECTION_ORTHOGRAPHIC);
  aet_view_frame_camera (camera, src[0]->atoms, src[0]->volume);
  aet_camera_reset (camera);
  if (along_hkl[0] != 0 || along_hkl[1] != 0 || along_hkl[2] != 0)
    {
      gdouble d[3];
      aet_view_direction (&setup, along_hkl, d);
      aet_camera_view_along (camera, d, NULL);
    }
  const gdouble x_axis[3] = { 1, 0, 0 }, y_axis[3] = { 0, 1, 0 };
  if (turn[0] != 0)
    aet_camera_rotate_eye (camera, x_axis, turn[0] * G_PI / 180);
  if (turn[1] != 0)
    aet_camera_rotate_eye (camera, y_axis, turn[1] * G_PI / 180);

  AetFigurePanel panels[2];
  for (guint i = 0; i < n; i++)
    {
      panels[i] = (AetFigurePanel) { .volume = src[i]->volume,
                                     .atoms = src[i]->atoms,
                                     .caption = compare ? src[i]->caption : NULL };
      if (src[i]->analysis != NULL && src[i]->analysis->facets != NULL)
        {
          panels[i].facets = (const AetFacet *) src[i]->analysis->facets->data;
          panels[i].n_facets = src[i]->analysis->facets->len;
        }
    }
  g_autoptr (AetFigure) figure = aet_figure_new (&setup, camera, panels, n, &options, &error);
  if (figure == NULL || !aet_figure_prepare (figure, aet_job_get_threads (job), job, &error))
    {
      aet_cli_job_finish (job);
      return aet_cli_fail (error);
    }
  if (turntable > 0)
    {
      for (gint f = 0; f < turntable; f++)
        {
          g_autofree char *path = frame_path (output, f);
          if (!aet_figure_save (figure, path, &error))
            break;
          aet_job_progress (job, (f + 1.0) / turntable, "frame %d of %d", f + 1, turntable);
          if (aet_job_check_cancelled (job, "turntable", &error))
            break;
          aet_camera_rotate_eye (camera, y_axis, 2 * G_PI / turntable);
          aet_figure_set_camera (figure, camera);
        }
      aet_cli_job_finish (job);
      if (error != NULL)
        {
          return aet_cli_fail (error);
        }
      g_autofree char *frame0 = frame_path (output, 0);
      aet_cli_say (&common, "wrote %d frames %s … (%d × %d px, %.2f s)\n", turntable, frame0,
                   options.width, options.height, (g_get_monotonic_time () - t0) / 1e6);
      return AET_EXIT_OK;
    }
  ok = aet_figure_save (figure, output, &error);
  aet_cli_job_finish (job);
  if (!ok)
    {
      return aet_cli_fail (error);
    }
  gdouble bar_a, bar_px;
  const char *bar_label;
  if (aet_figure_get_scale_bar (figure, 0, &bar_a, &bar_px, &bar_label))
    aet_cli_say (&common, "wrote %s: %d × %d px at %g DPI, scale bar %s = %.1f px (%.2f s)\n",
                 output, options.width, options.height, options.dpi, bar_label, bar_px,
                 (g_get_monotonic_time () - t0) / 1e6);
  else
    aet_cli_say (&common, "wrote %s: %d × %d px at %g DPI (%.2f s)\n", output, options.width,
                 options.height, options.dpi, (g_get_monotonic_time () - t0) / 1e6);
  return AET_EXIT_OK;
}
