/* aet-cmd-reconstruct.c — `aet reconstruct`: a tilt series to a volume by
 * GENFIRE (default), SIRT or WBP, with optional alignment. */
#define G_LOG_DOMAIN "aet"

#include <stdio.h>
#include <string.h>

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-reconstruct.h"

int
aet_cmd_reconstruct (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  AetReconParams params;
  aet_recon_params_init (&params);
  g_autofree char *input = NULL, *tlt = NULL, *output = NULL, *method = NULL;
  g_autofree char *support = NULL, *align = NULL, *extension = NULL, *filter = NULL;
  gdouble pixel = 0, oversampling = params.oversampling, cutoff = params.cutoff;
  gint iterations = 0, thickness = 0;
  gboolean refine_angles = FALSE, no_rfree = FALSE;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Tilt series: MRC/TIFF stack or project",
      "FILE" },
    { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &tlt, "Tilt angles (.tlt), default beside the stack",
      "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Volume: .mrc or project .h5", "FILE" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Pixel size in Å (overrides the header)", "A" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "genfire (default), sirt or wbp", "M" },
    { "iterations", 0, 0, G_OPTION_ARG_INT, &iterations, "Iterations (GENFIRE 100, SIRT 50)",
      "N" },
    { "oversampling", 0, 0, G_OPTION_ARG_DOUBLE, &oversampling,
      "GENFIRE Fourier grid oversampling (2)", "R" },
    { "cutoff", 0, 0, G_OPTION_ARG_DOUBLE, &cutoff,
      "GENFIRE interpolation cutoff in grid units (0.3)", "D" },
    { "support", 0, 0, G_OPTION_ARG_STRING, &support, "none or auto (default)", "MODE" },
    { "extension", 0, 0, G_OPTION_ARG_STRING, &extension,
      "GENFIRE resolution extension: off (default), on, suppress", "MODE" },
    { "no-rfree", 0, 0, G_OPTION_ARG_NONE, &no_rfree, "Use all measured points (no R_free)",
      NULL },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter, "WBP filter: shepp-logan (default), ramp",
      "F" },
    { "align", 0, 0, G_OPTION_ARG_STRING, &align, "none (default), com, xcorr or refine", "MODE" },
    { "refine-angles", 0, 0, G_OPTION_ARG_NONE, &refine_angles,
      "With --align refine: refine the angles too", NULL },
    { "thickness", 0, 0, G_OPTION_ARG_INT, &thickness, "Volume depth in voxels (default nx)",
      "NZ" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "reconstruct", NULL, "Reconstructs a volume from a tilt series.", &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "reconstruct", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("reconstruct", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("reconstruct", "give -i tilts.mrc and -o volume.mrc");

  if (method == NULL || strcmp (method, "genfire") == 0)
    params.method = AET_RECON_GENFIRE;
  else if (strcmp (method, "sirt") == 0)
    params.method = AET_RECON_SIRT;
  else if (strcmp (method, "wbp") == 0)
    params.method = AET_RECON_WBP;
  else
    return aet_cli_usage ("reconstruct", "--method %s: use genfire, sirt or wbp", method);
  if (support == NULL || strcmp (support, "auto") == 0)
    params.support = AET_SUPPORT_AUTO;
  else if (strcmp (support, "none") == 0)
    params.support = AET_SUPPORT_NONE;
  else
    return aet_cli_usage ("reconstruct", "--support %s: use none or auto", support);
  if (extension == NULL || strcmp (extension, "off") == 0)
    params.extension = AET_EXTENSION_OFF;
  else if (strcmp (extension, "on") == 0)
    params.extension = AET_EXTENSION_ON;
  else if (strcmp (extension, "suppress") == 0)
    params.extension = AET_EXTENSION_SUPPRESS;
  else
    return aet_cli_usage ("reconstruct", "--extension %s: use off, on or suppress", extension);
  if (filter == NULL || strcmp (filter, "shepp-logan") == 0)
    params.filter = AET_WBP_SHEPP_LOGAN;
  else if (strcmp (filter, "ramp") == 0)
    params.filter = AET_WBP_RAMP;
  else
    return aet_cli_usage ("reconstruct", "--filter %s: use shepp-logan or ramp", filter);
  if (align == NULL || strcmp (align, "none") == 0)
    params.align = AET_ALIGN_NONE;
  else if (strcmp (align, "com") == 0)
    params.align = AET_ALIGN_COM;
  else if (strcmp (align, "xcorr") == 0)
    params.align = AET_ALIGN_XCORR;
  else if (strcmp (align, "refine") == 0)
    params.align = AET_ALIGN_REFINE;
  else
    return aet_cli_usage ("reconstruct", "--align %s: use none, com, xcorr or refine", align);
  if (iterations < 0 || iterations > 100000)
    return aet_cli_usage ("reconstruct", "--iterations %d: give 1 to 100000", iterations);
  if (pixel < 0)
    return aet_cli_usage ("reconstruct", "--pixel %g: must be positive", pixel);
  params.iterations = iterations;
  params.oversampling = oversampling;
  params.cutoff = cutoff;
  params.rfree = !no_rfree;
  params.refine_angles = refine_angles;
  params.nz = thickness;

  g_autoptr (GError) error = NULL;
  g_autoptr (AetTiltSeries) series = aet_cli_load_tilt_series (input, tlt, pixel, &error);
  if (series == NULL)
    return aet_cli_fail (error);
  if (!aet_recon_params_validate (&params, series, &error))
    return aet_cli_usage ("reconstruct", "%s", error->message);

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Reconstruct");
  AetReconStats stats = { 0 };
  g_autoptr (AetVolume) volume = aet_reconstruct (series, &params, &stats, job, &error);
  aet_cli_job_finish (job);
  if (volume == NULL)
    {
      aet_recon_stats_clear (&stats);
      return aet_cli_fail (error);
    }
  gboolean saved = aet_cli_save_volume (output, volume, "reconstruction", &error);
  if (saved && params.align != AET_ALIGN_NONE && aet_cli_is_hdf5 (output))
    {
      /* the refined shifts and angles are kept with the tilt series */
      g_autoptr (AetProject) project = aet_cli_open_or_new_project (output, &error);
      saved = project != NULL;
      if (saved)
        {
          aet_project_set_tilt_series (project, "tilts", series);
          saved = aet_project_save (project, output, &error);
        }
    }
  if (!saved)
    {
      aet_recon_stats_clear (&stats);
      return aet_cli_fail (error);
    }
  static const char *const names[] = { "GENFIRE", "SIRT", "WBP" };
  aet_cli_say (&common, "%s: %d × %d × %d volume in %.1f s", names[params.method], volume->nx,
               volume->ny, volume->nz, stats.total_seconds);
  if (stats.n_iterations > 0)
    {
      gint last = stats.n_iterations - 1;
      aet_cli_say (&common, ", %d iterations, error %.4f", stats.n_iterations,
                   stats.error[stats.best_iteration > 0 ? stats.best_iteration - 1 : last]);
      if (stats.rfree != NULL)
        aet_cli_say (&common, ", R_free %.4f", stats.rfree[last]);
    }
  aet_cli_say (&common, "\n");
  aet_recon_stats_clear (&stats);
  return AET_EXIT_OK;
}
