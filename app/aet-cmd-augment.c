/* aet-cmd-augment.c — `aet augment`: the trained network applied to a
 * reconstruction, tile by tile (aet-augment.h).  The input is normalised as
 * the training inputs were (aet_train_normalise: divided by the median of
 * its bright local maxima, so atom peaks are ~1) and, when its voxel size
 * differs from the network's training sampling, resampled to it and back;
 * the output is on the target's scale (atoms of peak ~1). */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <stdio.h>

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-augment.h"
#include "aet-train.h"
#include "aet-weights.h"

int
aet_cmd_augment (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *output = NULL, *model = NULL, *dataset = NULL;
  gint tile = 96, overlap = 44, flips = 1;
  gdouble pixel = 0;

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
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "augment", NULL,
    "Sharpens a reconstruction with the trained network (deep-learning augmentation).\n"
    "The network is found by --model, $AET_MODEL, the installed aet-unet.h5, or the\n"
    "source tree's resources/aet-unet.h5.  A volume sampled otherwise than the network\n"
    "was trained (within 1 %) is resampled to its sampling and back.",
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

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Augment");
  gint64 t0 = g_get_monotonic_time ();
  AetAugmentInfo info;
  g_autoptr (AetVolume) result
    = aet_augment_flips (net, volume, name, tile, overlap, (guint) flips, &info, job, &error);
  aet_cli_job_finish (job);
  if (result == NULL)
    return aet_cli_fail (error);
  if (!aet_cli_save_volume (output, result, "augmented", &error))
    return aet_cli_fail (error);
  aet_cli_say (&common, "augmented %d × %d × %d in %.1f s (input divided by %.4g)\n",
               result->nx, result->ny, result->nz, (g_get_monotonic_time () - t0) / 1e6,
               info.level);
  if (info.resampled)
    aet_cli_say (&common,
                 "resampled from %.4g Å voxels to the network's %.4g Å (%d × %d × %d) and "
                 "back\n",
                 volume->voxel_size, info.net_voxel_size, info.grid[0], info.grid[1],
                 info.grid[2]);
  return AET_EXIT_OK;
}
