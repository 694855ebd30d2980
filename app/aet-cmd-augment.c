/* aet-cmd-augment.c — `aet augment`: the trained network applied to a
 * reconstruction, tile by tile (aet-augment.h).  The input is normalised as
 * the training inputs were (aet_train_normalise: divided by the median of
 * its bright local maxima, so atom peaks are ~1) and, when its voxel size
 * differs from the network's training sampling, resampled to it and back;
 * the output is on the target's scale (atoms of peak ~1).  When the tilt
 * angles are known (the project's tilt series, or --tlt) the network runs
 * in passes kept to the measured planes (aet-augment-consistent.h). */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <stdio.h>

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-augment-consistent.h"
#include "aet-pipeline.h"
#include "aet-tlt.h"
#include "aet-train.h"
#include "aet-weights.h"

int
aet_cmd_augment (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *output = NULL, *model = NULL, *dataset = NULL, *tlt = NULL;
  gint tile = 96, overlap = 44, flips = 1, passes = -1;   /* -1: not given */
  gint sirt = AET_AUGMENT_DEFAULT_SIRT;
  gdouble pixel = 0, band = AET_AUGMENT_CONSISTENT_BAND;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Reconstruction: .mrc or project .h5",
      "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Result: .mrc or project .h5", "FILE" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "Network weights (.h5; default the shipped network)", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "Volume in a project (reconstruction)",
      "NAME" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &tile, "Tile edge in voxels (96)", "N" },
    { "overlap", 0, 0, G_OPTION_ARG_INT, &overlap, "Tile overlap in voxels (44)", "N" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel,
      "Voxel size in Å, when the file's is missing or wrong", "A" },
    { "flips", 0, 0, G_OPTION_ARG_INT, &flips,
      "Average the network over N reflections of the input (1–8; 8 = all, 8× the time)", "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes,
      "Network passes, each after the first on its output made to agree with the measured "
      "planes (1–32; default 4 when the tilt angles are known, else 1)", "N" },
    { "band", 0, 0, G_OPTION_ARG_DOUBLE, &band,
      "With passes: half-width in Fourier grid steps of the band kept around each measured "
      "plane (0.5)", "B" },
    { "sirt", 0, 0, G_OPTION_ARG_INT, &sirt,
      "With passes on a project: SIRT steps against its projections in each (60; 0 = none)",
      "N" },
    { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &tlt,
      "Tilt angles (.tlt) of an MRC reconstruction, for --passes (a project has its own)",
      "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "augment", NULL,
    "Sharpens a reconstruction with the trained network (deep-learning augmentation).\n"
    "The network is found by --model, $AET_MODEL, the installed aet-unet.h5, or the\n"
    "source tree's resources/aet-unet.h5.  A volume sampled otherwise than the network\n"
    "was trained (within 1 %) is resampled to its sampling and back.  With the tilt\n"
    "angles (a project's tilt series, or --tlt), the network runs in passes: each after\n"
    "the first on its output given the reconstruction's values on the measured planes.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "augment", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("augment", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("augment", "give -i recon.mrc and -o augmented.mrc");
  if (tile < 8 || tile > 1024)
    return aet_cli_usage ("augment", "--tile %d: give 8 to 1024", tile);
  if (overlap < 0 || overlap >= tile)
    return aet_cli_usage ("augment", "--overlap %d: give 0 to less than the tile", overlap);
  if (flips < 1 || flips > AET_AUGMENT_MAX_FLIPS)
    return aet_cli_usage ("augment", "--flips %d: give 1 to %d", flips, AET_AUGMENT_MAX_FLIPS);
  if (passes != -1 && (passes < 1 || passes > AET_AUGMENT_MAX_PASSES))
    return aet_cli_usage ("augment", "--passes %d: give 1 to %d", passes,
                          AET_AUGMENT_MAX_PASSES);
  if (sirt < 0 || sirt > 10000)
    return aet_cli_usage ("augment", "--sirt %d: give 0 to 10000", sirt);
  if (!(band > 0 && band <= 8))
    return aet_cli_usage ("augment", "--band: give 0 to 8 grid steps");
  if (pixel < 0 || !isfinite (pixel))
    return aet_cli_usage ("augment", "--pixel: give a voxel size in Å");

  g_autoptr (GError) error = NULL;
  if (model == NULL)
    model = aet_train_find_default_model ();
  if (model == NULL)
    {
      g_set_error (&error, AET_ERROR, AET_ERROR_IO,
                   "augment: no trained network found (give --model or train one with aet "
                   "train)");
      return aet_cli_fail (error);
    }
  g_autoptr (AetUnet) net = aet_weights_load (model, NULL, &error);
  if (net == NULL)
    return aet_cli_fail (error);
  if (aet_unet_get_in_channels (net) != 1 || aet_unet_get_out_channels (net) != 1)
    {
      g_autofree char *name = aet_display_name (model);
      g_set_error (&error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: the network must map one channel to one", name);
      return aet_cli_fail (error);
    }
  g_autoptr (AetVolume) volume
      = aet_cli_load_volume (input, dataset, "reconstruction", pixel, &error);
  if (volume == NULL)
    return aet_cli_fail (error);
  g_autofree char *name = aet_display_name (input);

  /* the measured planes: --tlt, else the project's tilt series as its
   * reconstruction used it */
  g_autofree gdouble *angles = NULL;
  gsize n_angles = 0;
  g_autoptr (AetTiltSeries) series = NULL;
  if (tlt != NULL)
    {
      angles = aet_tlt_read (tlt, &n_angles, &error);
      if (angles == NULL)
        return aet_cli_fail (error);
    }
  else if (aet_cli_is_hdf5 (input))
    {
      g_autoptr (AetProject) project = aet_project_load (input, NULL);
      series = project != NULL ? aet_pipeline_dup_aligned_tilts (project) : NULL;
      if (series != NULL)
        {
          n_angles = (gsize) aet_tilt_series_n_images (series);
          angles = g_memdup2 (series->angles, sizeof (gdouble) * n_angles);
        }
      /* its projections too, for the SIRT steps, when they fit the volume */
      if (series != NULL
          && (series->images->nx != volume->nx || series->images->ny != volume->ny))
        g_clear_pointer (&series, aet_tilt_series_unref);
    }
  if (passes > 1 && angles == NULL)
    return aet_cli_usage ("augment", "--passes %d needs the tilt angles: give --tlt, or a "
                          "project with its tilt series", passes);
  if (passes == -1)
    passes = angles != NULL ? AET_AUGMENT_DEFAULT_PASSES : 1;

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Augment");
  gint64 t0 = g_get_monotonic_time ();
  AetAugmentInfo info;
  AetAugmentPasses ap;
  aet_augment_passes_init (&ap);
  ap.passes = passes;
  ap.band = band;
  ap.sirt_iterations = sirt;
  ap.tile = tile;
  ap.overlap = overlap;
  ap.n_flips = (guint) flips;
  g_autoptr (AetVolume) result = aet_augment_consistent (
    net, volume, name, series, angles, (gint) n_angles, &ap, &info, NULL, NULL, job, &error);
  aet_cli_job_finish (job);
  if (result == NULL)
    return aet_cli_fail (error);
  if (!aet_cli_save_volume (output, result, "augmented", &error))
    return aet_cli_fail (error);
  aet_cli_say (&common, "augmented %d × %d × %d in %.1f s, %d pass%s (input divided by %.4g)\n",
               result->nx, result->ny, result->nz, (g_get_monotonic_time () - t0) / 1e6, passes,
               passes == 1 ? "" : "es", info.level);
  if (info.resampled)
    aet_cli_say (&common,
                 "resampled from %.4g Å voxels to the network's %.4g Å (%d × %d × %d) and "
                 "back\n",
                 volume->voxel_size, info.net_voxel_size, info.grid[0], info.grid[1],
                 info.grid[2]);
  return AET_EXIT_OK;
}
