/* aet-cmd-refine.c — `aet refine`: traced atoms moved to fit the measured
 * projections (aet-refine.h). */
#define G_LOG_DOMAIN "aet"

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-file-util.h"
#include "aet-error.h"
#include "aet-pdb.h"
#include "aet-pipeline.h"
#include "aet-refine.h"
#include "aet-xyz.h"

#include <string.h>

int
aet_cmd_refine (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  AetRefineParams params;
  aet_refine_params_init_defaults (&params);
  g_autofree char *input = NULL, *dataset = NULL, *tilts = NULL, *tlt = NULL, *output = NULL;
  gdouble pixel = 0, b = 0, prior_pm = -1, cut_pm = -1, max_move_pm = 100 * params.max_move;
  gint iterations = params.iterations, global_iterations = params.global_iterations;
  gint global_degree = params.global_degree;
  gboolean no_geometry = FALSE, uniform = FALSE, no_add = FALSE, no_snap = FALSE;
  gboolean fixed_prior = FALSE;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Atoms: .xyz or project .h5", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset,
      "Atoms in a project (default after, else before)", "NAME" },
    { "tilts", 't', 0, G_OPTION_ARG_FILENAME, &tilts,
      "Tilt series: stack (.mrc, .tif) or project .h5 (default: the input project's)", "FILE" },
    { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &tlt, "Tilt angles (.tlt), default beside the stack",
      "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Refined atoms: .xyz, .pdb or project .h5 (as \"refined\")", "FILE" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "Position steps (30)", "N" },
    { "global-iterations", 0, 0, G_OPTION_ARG_INT, &global_iterations,
      "Steps of one smooth motion of the whole model, before the atoms' own, at most (200)", "N" },
    { "global-degree", 0, 0, G_OPTION_ARG_INT, &global_degree,
      "That motion: 1 affine, 2–5 a polynomial field of that degree (3)", "N" },
    { "b-factor", 0, 0, G_OPTION_ARG_DOUBLE, &b,
      "Atom width B in Å², held fixed (default: fitted)", "B" },
    { "no-geometry", 0, 0, G_OPTION_ARG_NONE, &no_geometry,
      "Keep the series' tilt angles and shifts (default: refine them too)", NULL },
    { "max-move", 0, 0, G_OPTION_ARG_DOUBLE, &max_move_pm,
      "No atom moves farther than this from where it started (pm, 100)", "PM" },
    { "prior-cut", 0, 0, G_OPTION_ARG_DOUBLE, &cut_pm,
      "Beyond this distance (pm) the prior stops growing; 0 = Gaussian (20)", "PM" },
    { "no-add", 0, 0, G_OPTION_ARG_NONE, &no_add,
      "Do not look for atoms the trace missed", NULL },
    { "no-snap", 0, 0, G_OPTION_ARG_NONE, &no_snap,
      "Do not move groups of atoms that sit between the crystal's sites onto free sites",
      NULL },
    { "fixed-prior", 0, 0, G_OPTION_ARG_NONE, &fixed_prior,
      "Hold the prior's centres where the smooth phase left them (default: they follow the "
      "model's smooth motion)", NULL },
    { "uniform", 0, 0, G_OPTION_ARG_NONE, &uniform,
      "Weigh every pixel alike (default: by 1/expected, for Poisson noise in counts)", NULL },
    { "prior", 0, 0, G_OPTION_ARG_DOUBLE, &prior_pm,
      "How far (pm, σ per axis) the input positions are trusted; 0 = the data alone (8)",
      "PM" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Pixel size in Å (overrides the file)", "A" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "refine", NULL,
    "Moves traced atoms until their projections match the tilt series: a Gaussian of "
    "one fitted width per atom, filtered by the element's scattering factor, as the "
    "simulator projects; per image a scale, an offset and (unless --no-geometry) the "
    "tilt angle and shift are fitted too.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "refine", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("refine", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("refine", "give -i atoms.xyz, --tilts tilts.mrc and -o refined.xyz");
  if (iterations < 0 || iterations > 10000)
    return aet_cli_usage ("refine", "--iterations %d: give 0–10000", iterations);
  if (b != 0 && !(b >= 0.5 && b <= 30))
    return aet_cli_usage ("refine", "--b-factor %g: give a width between 0.5 and 30 Å²", b);
  if (pixel != 0 && !(pixel > 0.01 && pixel < 100))
    return aet_cli_usage ("refine", "--pixel %g: give a pixel size in Å", pixel);
  if (tilts == NULL)
    {
      if (!aet_cli_is_hdf5 (input))
        return aet_cli_usage ("refine", "give the tilt series with --tilts");
      tilts = g_strdup (input);
    }
  if (prior_pm != -1 && !(prior_pm >= 0 && prior_pm <= 1000))
    return aet_cli_usage ("refine", "--prior %g: give 0–1000 pm", prior_pm);
  if (prior_pm >= 0)
    params.prior = prior_pm / 100;
  if (global_iterations < 0 || global_iterations > 10000)
    return aet_cli_usage ("refine", "--global-iterations %d: give 0–10000", global_iterations);
  if (cut_pm != -1 && !(cut_pm >= 0 && cut_pm <= 1000))
    return aet_cli_usage ("refine", "--prior-cut %g: give 0–1000 pm", cut_pm);
  if (cut_pm >= 0)
    params.prior_cut = cut_pm / 100;
  if (!(max_move_pm >= 1 && max_move_pm <= 1000))
    return aet_cli_usage ("refine", "--max-move %g: give 1–1000 pm", max_move_pm);
  params.max_move = max_move_pm / 100;
  if (global_degree < 1 || global_degree > 5)
    return aet_cli_usage ("refine", "--global-degree %d: give 1 to 5", global_degree);
  params.iterations = iterations;
  params.global_iterations = global_iterations;
  params.global_degree = global_degree;
  params.fit_geometry = !no_geometry;
  params.poisson = !uniform;
  params.add_atoms = !no_add;
  params.snap = !no_snap;
  params.prior_follows = !fixed_prior;
  if (b != 0)
    {
      params.b = b;
      params.fit_b = FALSE;
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) atoms = aet_cli_load_atoms (input, dataset, &error);
  if (atoms == NULL)
    return aet_cli_fail (error);
  /* from a project, the series as its reconstruction used it (aligned) */
  g_autoptr (AetTiltSeries) series = NULL;
  if (aet_cli_is_hdf5 (tilts))
    {
      g_autoptr (AetProject) project = aet_project_load (tilts, &error);
      if (project == NULL)
        return aet_cli_fail (error);
      series = aet_pipeline_dup_aligned_tilts (project);
      if (series == NULL)
        {
          g_set_error (&error, AET_ERROR, AET_ERROR_DATA, "%s: the project has no tilt series",
                       tilts);
          return aet_cli_fail (error);
        }
      if (pixel > 0)
        series->images->voxel_size = pixel;
    }
  else
    series = aet_cli_load_tilt_series (tilts, tlt, pixel, &error);
  if (series == NULL)
    return aet_cli_fail (error);
  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Refine");
  AetRefineReport report;
  g_autoptr (AetAtoms) refined
    = aet_refine_atoms (atoms, series, &params, job, &report, NULL, &error);
  aet_cli_job_finish (job);
  if (refined == NULL)
    return aet_cli_fail (error);

  g_autofree char *ext = aet_path_extension (output);
  gboolean ok;
  if (strcmp (ext, "pdb") == 0)
    ok = aet_pdb_write (output, refined, NULL, &error);
  else if (aet_cli_is_hdf5 (output) || strcmp (ext, "h5") == 0)
    {
      g_autoptr (AetProject) project = aet_cli_open_or_new_project (output, &error);
      ok = project != NULL;
      if (ok)
        {
          aet_project_set_atoms (project, "refined", refined);
          ok = aet_project_save (project, output, &error);
        }
    }
  else
    ok = aet_xyz_write (output, refined, "AET Studio: atoms refined against the projections",
                        &error);
  if (!ok)
    return aet_cli_fail (error);
  aet_cli_say (&common,
               "refined %zu atoms in %.2f s (%zu added, %zu snapped to sites): R %.4f → %.4f, "
               "B %.2f Å², moved %.1f pm rms (at most %.1f), angles changed %.3f° rms, "
               "shifts %.3f px rms\n",
               refined->n_atoms, report.seconds, report.n_added, report.n_snapped, report.r_before,
               report.r_after, report.b, 100 * report.rms_move, 100 * report.max_move,
               report.rms_angle_change, report.rms_shift_change);
  return AET_EXIT_OK;
}
