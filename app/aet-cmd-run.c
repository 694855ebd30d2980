/* aet-cmd-run.c — `aet run`: the whole pipeline (reconstruct → trace before
 * → augment → trace after → analyse) into one project file, with a
 * per-stage summary and, given a truth, the before/after precision table.
 *
 * Running again with the same -o project re-runs only the stages whose
 * inputs or parameters changed (the pipeline's stage signatures). */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "aet-augment-consistent.h"
#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-pipeline.h"
#include "aet-xyz.h"

static AetPipeline *running_pipeline;

static void
on_sigint (int signum)
{
  /* aet_pipeline_cancel only sets an atomic flag under a mutex the worker
   * never holds for long; good enough for an interactive Ctrl+C */
  if (running_pipeline != NULL)
    aet_pipeline_cancel (running_pipeline);
}

typedef struct
{
  AetJob *bar;   /* drives the terminal progress bar, NULL when quiet */
  gboolean quiet;
} RunUi;

/* Runs on the pipeline thread (here: the main thread, aet_pipeline_run). */
static void
on_event (const AetPipelineEvent *e, gpointer user_data)
{
  RunUi *ui = user_data;
  switch (e->kind)
    {
    case AET_PIPELINE_EVENT_PROGRESS:
      if (ui->bar != NULL)
        aet_job_progress (ui->bar, e->fraction, "%s", e->message ? e->message : "");
      break;
    case AET_PIPELINE_EVENT_STAGE:
      if (e->state == AET_STAGE_RUNNING && ui->bar != NULL)
        aet_job_set_stage (ui->bar, aet_stage_label (e->stage));
      break;
    case AET_PIPELINE_EVENT_VOLUME:
    case AET_PIPELINE_EVENT_ATOMS:
    case AET_PIPELINE_EVENT_FINISHED:
      break;
    }
}

static gdouble
result (AetProject *p, const char *model, const char *key)
{
  g_autofree char *k = g_strdup_printf ("result/%s/%s", model, key);
  const char *v = aet_project_get_param (p, k);
  return v != NULL ? g_ascii_strtod (v, NULL) : NAN;
}

static void
print_summary (AetPipeline *pipeline, gboolean have_truth)
{
  static const char *const words[] = {
    [AET_STAGE_WAITING] = "not reached", [AET_STAGE_RUNNING] = "running",
    [AET_STAGE_DONE] = "done",           [AET_STAGE_UP_TO_DATE] = "up to date",
    [AET_STAGE_FAILED] = "failed",       [AET_STAGE_CANCELLED] = "cancelled",
    [AET_STAGE_NOT_NEEDED] = "skipped",
  };
  AetProject *p = aet_pipeline_get_project (pipeline);
  printf ("%-14s %-12s %8s\n", "stage", "state", "seconds");
  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    {
      AetStageState st = aet_pipeline_get_stage_state (pipeline, s);
      if (st == AET_STAGE_DONE)
        printf ("%-14s %-12s %8.2f\n", aet_stage_label (s), words[st],
                aet_pipeline_get_stage_seconds (pipeline, s));
      else
        printf ("%-14s %-12s %8s\n", aet_stage_label (s), words[st], "");
    }
  const char *models[] = { "before", "after", "refined" };
  printf ("\n%-8s %8s", "model", "atoms");
  if (have_truth)
    printf (" %9s %9s %9s %8s %9s %9s", "RMSD pm", "surface", "interior", "recall",
            "precision", "surf. rec");
  printf ("\n");
  for (int m = 0; m < 3; m++)
    {
      char key[64];
      g_snprintf (key, sizeof key, "result/%s/n_atoms", models[m]);
      /* a model that was not analysed (see the note below) has no row */
      if (aet_project_get_atoms (p, models[m]) == NULL || aet_project_get_param (p, key) == NULL)
        continue;
      printf ("%-8s %8.0f", models[m], result (p, models[m], "n_atoms"));
      if (have_truth)
        printf (" %9.1f %9.1f %9.1f %7.2f%% %8.2f%% %8.2f%%", result (p, models[m], "rmsd_pm"),
                result (p, models[m], "rmsd_surface_pm"),
                result (p, models[m], "rmsd_interior_pm"), 100 * result (p, models[m], "recall"),
                100 * result (p, models[m], "precision"),
                100 * result (p, models[m], "recall_surface"));
      printf ("\n");
    }
  for (int m = 0; m < 3; m++)
    {
      g_autofree char *key = g_strdup_printf ("result/%s/error", models[m]);
      const char *why = aet_project_get_param (p, key);
      if (why != NULL)
        printf ("%s: not analysed: %s\n", models[m], why);
    }
}

int
aet_cmd_run (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *tlt = NULL, *output = NULL, *truth_path = NULL;
  g_autofree char *xyz_before = NULL, *xyz_after = NULL, *xyz_refined = NULL, *method = NULL;
  g_autofree char *model = NULL;
  gdouble pixel = 0, min_distance = 0;
  gint iterations = 0, flips = -1, passes = -1;   /* -1: not given */
  gboolean no_augment = FALSE, no_refine = FALSE, realign = FALSE;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input,
      "Tilt series: MRC/TIFF stack, or a project (e.g. from aet simulate)", "FILE" },
    { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &tlt, "Tilt angles (.tlt)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Project to write; an existing one is updated, re-running only what changed", "FILE" },
    { "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth_path,
      "Reference atoms: report the precision before and after augmentation", "FILE" },
    { "xyz-before", 0, 0, G_OPTION_ARG_FILENAME, &xyz_before,
      "Also write the atoms traced before augmentation", "FILE" },
    { "xyz-after", 0, 0, G_OPTION_ARG_FILENAME, &xyz_after,
      "Also write the atoms traced after augmentation", "FILE" },
    { "xyz-refined", 0, 0, G_OPTION_ARG_FILENAME, &xyz_refined,
      "Also write the atoms after augmentation refined against the projections", "FILE" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Pixel size in Å", "A" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "genfire (default), sirt or wbp", "M" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "Reconstruction iterations", "N" },
    { "min-distance", 0, 0, G_OPTION_ARG_DOUBLE, &min_distance,
      "Tracing minimum distance in Å (2.0)", "D" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Network weights (default: shipped)",
      "FILE" },
    { "no-augment", 0, 0, G_OPTION_ARG_NONE, &no_augment, "Skip the augmentation", NULL },
    { "realign", 0, 0, G_OPTION_ARG_NONE, &realign,
      "Then once more from the tilt angles and shifts the refinement found: reconstruct, "
      "augment, trace and refine again (twice the time)", NULL },
    { "no-refine", 0, 0, G_OPTION_ARG_NONE, &no_refine,
      "Keep the traced positions (no refinement against the projections)", NULL },
    { "flips", 0, 0, G_OPTION_ARG_INT, &flips,
      "Augment: average the network over N reflections (1–8; 8× the time at 8)", "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes,
      "Augment: network passes, each after the first on its output made to agree with the "
      "measured planes (1–32; default 4; 1 = the network once)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "run", NULL,
    "Reconstructs, traces, augments with the network, traces again, refines those atoms "
    "against the projections and analyses, into one project.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "run", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("run", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("run", "give -i tilts.mrc and -o project.h5");
  if (method != NULL && strcmp (method, "genfire") != 0 && strcmp (method, "sirt") != 0
      && strcmp (method, "wbp") != 0)
    return aet_cli_usage ("run", "--method %s: use genfire, sirt or wbp", method);
  if (flips != -1 && (flips < 1 || flips > AET_AUGMENT_MAX_FLIPS))
    return aet_cli_usage ("run", "--flips %d: give 1 to %d", flips, AET_AUGMENT_MAX_FLIPS);
  if (passes != -1 && (passes < 1 || passes > AET_AUGMENT_MAX_PASSES))
    return aet_cli_usage ("run", "--passes %d: give 1 to %d", passes, AET_AUGMENT_MAX_PASSES);
  if (iterations < 0 || min_distance < 0 || pixel < 0)
    return aet_cli_usage ("run", "--iterations, --min-distance and --pixel must be positive");

  g_autoptr (GError) error = NULL;
  AetProject *project = aet_cli_open_or_new_project (output, &error);
  if (project == NULL)
    return aet_cli_fail (error);
  AetPipeline *pipeline = aet_pipeline_new (project);

  /* inputs: the tilt series (and a truth, from the input project or --truth) */
  g_autoptr (AetTiltSeries) series = aet_cli_load_tilt_series (input, tlt, pixel, &error);
  g_autoptr (AetAtoms) truth = NULL;
  if (series != NULL && truth_path != NULL)
    truth = aet_cli_load_reference_atoms (truth_path, &error);
  else if (series != NULL && aet_cli_is_hdf5 (input))
    {
      g_autoptr (AetProject) in = aet_project_load (input, NULL);
      if (in != NULL && aet_project_get_atoms (in, "truth") != NULL)
        truth = aet_atoms_ref (aet_project_get_atoms (in, "truth"));
      /* how the data were simulated goes along (the window reads whether
       * the particle sits on a substrate), with the true geometry; the
       * simulate stage stays off */
      g_auto (GStrv) keys = in != NULL ? aet_project_dup_param_keys (in) : NULL;
      for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
        if ((g_str_has_prefix (keys[i], "simulate/") && !g_str_equal (keys[i], "simulate/enabled"))
            || g_str_has_prefix (keys[i], "result/simulate/"))
          aet_project_set_param (project, keys[i], aet_project_get_param (in, keys[i]));
    }
  if (series == NULL || (truth_path != NULL && truth == NULL))
    {
      aet_pipeline_free (pipeline);
      return aet_cli_fail (error);
    }
  aet_project_set_tilt_series (project, "tilts", series);
  if (truth != NULL)
    aet_project_set_atoms (project, "truth", truth);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  aet_pipeline_set_param (pipeline, "reconstruct/method", method);
  aet_pipeline_set_param (pipeline, "reconstruct/iterations",
                          iterations > 0 ? g_ascii_dtostr (buf, sizeof buf, iterations) : NULL);
  aet_pipeline_set_param (pipeline, "trace/min_distance",
                          min_distance > 0 ? g_ascii_dtostr (buf, sizeof buf, min_distance)
                                           : NULL);
  aet_pipeline_set_param (pipeline, "augment/model", model);
  aet_pipeline_set_param (pipeline, "augment/enabled", no_augment ? "false" : NULL);
  aet_pipeline_set_param (pipeline, "refine/enabled", no_refine ? "false" : NULL);
  aet_pipeline_set_param (pipeline, "augment/flips",
                          flips > 1 ? g_ascii_dtostr (buf, sizeof buf, flips) : NULL);
  aet_pipeline_set_param (pipeline, "augment/passes",
                          passes > 0 && passes != AET_AUGMENT_DEFAULT_PASSES
                            ? g_ascii_dtostr (buf, sizeof buf, passes)
                            : NULL);

  g_autoptr (AetJob) bar = aet_cli_job_new (&common);
  RunUi ui = { .bar = bar, .quiet = common.quiet };
  running_pipeline = pipeline;
  signal (SIGINT, on_sigint);
  guint threads = common.threads > 0 ? (guint) common.threads : 2;
  gboolean ok = aet_pipeline_run (pipeline, on_event, &ui, threads, &error);
  /* realignment: a second pass from the refinement's geometry */
  if (ok && realign && !no_refine)
    {
      if (aet_pipeline_take_refined_geometry (pipeline))
        ok = aet_pipeline_run (pipeline, on_event, &ui, threads, &error);
      else
        aet_cli_say (&common, "--realign: nothing was refined (no network), so no second pass\n");
    }
  signal (SIGINT, SIG_DFL);
  running_pipeline = NULL;
  aet_cli_job_finish (bar);

  /* save what finished, even after a failure or a cancel: the project
   * reopens with it */
  g_autoptr (GError) save_error = NULL;
  gboolean saved = aet_project_save (project, output, &save_error);
  if (saved && ok && xyz_before != NULL && aet_project_get_atoms (project, "before") != NULL)
    saved = aet_xyz_write (xyz_before, aet_project_get_atoms (project, "before"),
                           "AET Studio: traced before augmentation", &save_error);
  if (saved && ok && xyz_after != NULL)
    {
      if (aet_project_get_atoms (project, "after") == NULL)
        g_set_error (&save_error, AET_ERROR, AET_ERROR_INVALID,
                     "--xyz-after: nothing was traced after augmentation (no network)");
      else
        aet_xyz_write (xyz_after, aet_project_get_atoms (project, "after"),
                       "AET Studio: traced after augmentation", &save_error);
      saved = save_error == NULL;
    }
  if (saved && ok && xyz_refined != NULL)
    {
      if (aet_project_get_atoms (project, "refined") == NULL)
        g_set_error (&save_error, AET_ERROR, AET_ERROR_INVALID,
                     "--xyz-refined: no atoms were refined (no network, or --no-refine)");
      else
        aet_xyz_write (xyz_refined, aet_project_get_atoms (project, "refined"),
                       "AET Studio: atoms after augmentation, refined against the projections",
                       &save_error);
      saved = save_error == NULL;
    }
  if (!common.quiet)
    print_summary (pipeline, truth != NULL);
  aet_pipeline_free (pipeline);
  if (!ok)
    return aet_cli_fail (error);
  if (!saved)
    return aet_cli_fail (save_error);
  return AET_EXIT_OK;
}
