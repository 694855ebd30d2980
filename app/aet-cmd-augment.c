/* aet-cmd-augment.c — `aet augment`: the trained network applied to a
 * reconstruction, tile by tile.  The input is normalised as the training
 * inputs were (aet_train_normalise: divided by the median of its bright
 * local maxima, so atom peaks are ~1); the output is on the target's scale
 * (atoms of peak ~1). */
#define G_LOG_DOMAIN "aet"

#include <stdio.h>

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-tiles.h"
#include "aet-train.h"
#include "aet-weights.h"

int
aet_cmd_augment (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *output = NULL, *model = NULL, *dataset = NULL;
  gint tile = 96, overlap = 44;

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
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "augment", NULL,
    "Sharpens a reconstruction with the trained network (deep-learning augmentation).\n"
    "The network is found by --model, $AET_MODEL, the installed aet-unet.h5, or the\n"
    "source tree's resources/aet-unet.h5.",
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
  g_autoptr (AetVolume) volume = aet_cli_load_volume (input, dataset, 0, &error);
  if (volume == NULL)
    return aet_cli_fail (error);
  g_autofree char *name = aet_display_name (input);
  gdouble level = 0;
  g_autoptr (AetVolume) normalised = aet_train_normalise (volume, name, &level, &error);
  if (normalised == NULL)
    return aet_cli_fail (error);

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Augment");
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (AetVolume) result = aet_unet_apply (net, normalised, tile, overlap, job, &error);
  aet_cli_job_finish (job);
  if (result == NULL)
    return aet_cli_fail (error);
  if (!aet_cli_save_volume (output, result, "augmented", &error))
    return aet_cli_fail (error);
  aet_cli_say (&common, "augmented %d × %d × %d in %.1f s (input divided by %.4g)\n",
               result->nx, result->ny, result->nz, (g_get_monotonic_time () - t0) / 1e6, level);
  return AET_EXIT_OK;
}
