/* aet-cmd-trace.c — `aet trace`: atoms from a volume (sub-voxel Gaussian
 * fits, minimum distance, k-means rejection of non-atoms). */
#define G_LOG_DOMAIN "aet"

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-elements.h"
#include "aet-file-util.h"
#include "aet-pdb.h"
#include "aet-trace.h"
#include "aet-xyz.h"

#include <string.h>

int
aet_cmd_trace (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  AetTraceParams params;
  aet_trace_params_init_defaults (&params);
  g_autofree char *input = NULL, *output = NULL, *dataset = NULL, *element = NULL;
  gdouble min_distance = params.min_distance, threshold = params.threshold, pixel = 0;
  gint upsample = params.upsample;
  gboolean no_kmeans = FALSE;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Volume: .mrc or project .h5", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset,
      "Volume in a project (default augmented, else reconstruction)", "NAME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Atoms: .xyz, .pdb or project .h5",
      "FILE" },
    { "min-distance", 0, 0, G_OPTION_ARG_DOUBLE, &min_distance,
      "Of two peaks closer than this (Å), the weaker goes (2.0)", "D" },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
      "Peak threshold in volume units (default: automatic)", "T" },
    { "upsample", 0, 0, G_OPTION_ARG_INT, &upsample, "Peak search grid: 1 or 3 (1)", "N" },
    { "no-kmeans", 0, 0, G_OPTION_ARG_NONE, &no_kmeans, "Keep every peak (no k-means)", NULL },
    { "element", 0, 0, G_OPTION_ARG_STRING, &element, "Element of the traced atoms (Pt)", "EL" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Voxel size in Å (overrides the file)", "A" },
    { NULL },
  };
  g_autoptr (GOptionContext) context
    = aet_cli_context_new ("trace", NULL, "Traces atoms in a volume.", &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "trace", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("trace", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("trace", "give -i volume.mrc and -o atoms.xyz");
  if (!(min_distance > 0 && min_distance < 20))
    return aet_cli_usage ("trace", "--min-distance %g: give a distance in Å between 0 and 20",
                          min_distance);
  if (upsample != 1 && upsample != 3)
    return aet_cli_usage ("trace", "--upsample %d: use 1 or 3", upsample);
  if (element != NULL && (params.element = aet_element_from_symbol (element)) == 0)
    return aet_cli_usage ("trace", "--element %s: unknown element", element);
  params.min_distance = min_distance;
  params.threshold = threshold;
  params.upsample = upsample;
  params.kmeans = !no_kmeans;

  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) volume = aet_cli_load_volume (input, dataset, NULL, pixel, &error);
  if (volume == NULL)
    return aet_cli_fail (error);
  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Trace");
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (AetAtoms) atoms = aet_trace (volume, &params, job, &error);
  aet_cli_job_finish (job);
  if (atoms == NULL)
    return aet_cli_fail (error);
  gdouble seconds = (g_get_monotonic_time () - t0) / 1e6;

  g_autofree char *ext = aet_path_extension (output);
  gboolean ok;
  if (strcmp (ext, "pdb") == 0)
    ok = aet_pdb_write (output, atoms, "uncertainty_pm", &error);
  else if (aet_cli_is_hdf5 (output) || strcmp (ext, "h5") == 0)
    {
      g_autoptr (AetProject) project = aet_cli_open_or_new_project (output, &error);
      ok = project != NULL;
      if (ok)
        {
          aet_project_set_atoms (project, "traced", atoms);
          ok = aet_project_save (project, output, &error);
        }
    }
  else
    ok = aet_xyz_write (output, atoms, "AET Studio: traced atoms", &error);
  if (!ok)
    return aet_cli_fail (error);
  aet_cli_say (&common, "traced %zu atoms in %.2f s\n", atoms->n_atoms, seconds);
  return AET_EXIT_OK;
}
