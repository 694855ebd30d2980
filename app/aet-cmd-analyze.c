/* aet-cmd-analyze.c — `aet analyze`: structure analysis of a traced model
 * (coordination, surface, lattice fit, displacements, strain, facets,
 * layers, interface) and, with --truth, its precision against a reference. */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <stdio.h>

#include "aet-analysis.h"
#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-match.h"
#include "aet-report.h"
#include "aet-volume-metrics.h"
#include "aet-xyz.h"

/* Marks the reference's surface atoms (the analysis of the reference itself)
 * so the precision splits into surface and interior. */
static gboolean
mark_reference_surface (AetAtoms *truth, GError **error)
{
  if (aet_atoms_get_column (truth, "surface") != NULL)
    return TRUE;
  AetAnalysisOptions options;
  aet_analysis_options_init (&options);
  g_autoptr (AetAnalysis) a = aet_analysis_run (truth, &options, NULL, error);
  return a != NULL;
}

int
aet_cmd_analyze (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autofree char *input = NULL, *truth_path = NULL, *volume_path = NULL, *output = NULL;
  g_autofree char *per_atom = NULL, *xyz_out = NULL, *dataset = NULL, *hkl = NULL;
  gdouble reference_a = 0, match_distance = 0.9;

  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Atoms: .xyz or project .h5", "FILE" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "Atom set in a project", "NAME" },
    { "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth_path,
      "Reference atoms for precision (RMSD, recall, precision)", "FILE" },
    { "volume", 0, 0, G_OPTION_ARG_FILENAME, &volume_path,
      "The traced volume (its intensity at each atom is reported)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Report (JSON)", "FILE" },
    { "per-atom", 0, 0, G_OPTION_ARG_FILENAME, &per_atom, "Per-atom table (CSV)", "FILE" },
    { "xyz", 0, 0, G_OPTION_ARG_FILENAME, &xyz_out,
      "The atoms with every analysis column (extended XYZ)", "FILE" },
    { "reference-a", 0, 0, G_OPTION_ARG_DOUBLE, &reference_a,
      "Lattice constant for strain in Å (default: the element's bulk value)", "A" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &hkl, "Layer direction h,k,l (default: interface)",
      "HKL" },
    { "match-distance", 0, 0, G_OPTION_ARG_DOUBLE, &match_distance,
      "Largest distance of a matched pair in Å (0.9)", "D" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "analyze", NULL, "Analyses the structure of traced atoms and their precision.", &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "analyze", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("analyze", "unexpected argument “%s”", argv[1]);
  if (input == NULL || output == NULL)
    return aet_cli_usage ("analyze", "give -i atoms.xyz and -o report.json");
  if (!(match_distance > 0 && match_distance < 5))
    return aet_cli_usage ("analyze", "--match-distance %g: give 0 to 5 Å", match_distance);

  AetAnalysisOptions options;
  aet_analysis_options_init (&options);
  options.reference_a = reference_a;
  if (hkl != NULL)
    {
      if (sscanf (hkl, "%d,%d,%d", &options.layer_hkl[0], &options.layer_hkl[1],
                  &options.layer_hkl[2])
            != 3
          || (options.layer_hkl[0] == 0 && options.layer_hkl[1] == 0
              && options.layer_hkl[2] == 0))
        return aet_cli_usage ("analyze", "--layers %s: give three integers like 1,1,1", hkl);
      options.layer_hkl_set = TRUE;
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) atoms = aet_cli_load_atoms (input, dataset, &error);
  if (atoms == NULL)
    return aet_cli_fail (error);

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  aet_job_set_stage (job, "Analyse");
  g_autoptr (AetAnalysis) analysis = aet_analysis_run (atoms, &options, job, &error);
  aet_cli_job_finish (job);
  if (analysis == NULL)
    return aet_cli_fail (error);

  GArray *extra = g_array_new (FALSE, FALSE, sizeof (AetReportValue));
  AetMatchStats stats = { 0 };
  g_autoptr (AetAtoms) truth = NULL;
  if (truth_path != NULL)
    {
      truth = aet_cli_load_reference_atoms (truth_path, &error);
      if (truth == NULL || !mark_reference_surface (truth, &error)
          || !aet_match_atoms (truth, atoms, match_distance, &stats, TRUE, &error))
        {
          g_array_unref (extra);
          return aet_cli_fail (error);
        }
      AetReportValue values[] = {
        { "n_reference", stats.n_reference },
        { "n_model", stats.n_model },
        { "n_matched", stats.n_matched },
        { "rmsd_pm", stats.rmsd_pm },
        { "rmsd_rigid_pm", stats.rmsd_rigid_pm },
        { "rotation_deg", stats.rotation_deg },
        { "rotation_axis_x", stats.rotation_axis[0] },
        { "rotation_axis_y", stats.rotation_axis[1] },
        { "rotation_axis_z", stats.rotation_axis[2] },
        { "sigma_x_pm", stats.sigma_pm[0] },
        { "sigma_y_pm", stats.sigma_pm[1] },
        { "sigma_z_pm", stats.sigma_pm[2] },
        { "mean_offset_x", stats.mean_offset[0] },
        { "mean_offset_y", stats.mean_offset[1] },
        { "mean_offset_z", stats.mean_offset[2] },
        { "recall", stats.recall },
        { "precision", stats.precision },
        { "rmsd_surface_pm", stats.rmsd_surface_pm },
        { "recall_surface", stats.recall_surface },
        { "precision_surface", stats.precision_surface },
        { "rmsd_interior_pm", stats.rmsd_interior_pm },
        { "recall_interior", stats.recall_interior },
        { "precision_interior", stats.precision_interior },
        { "match_distance", match_distance },
      };
      g_array_append_vals (extra, values, G_N_ELEMENTS (values));
    }
  if (volume_path != NULL)
    {
      g_autoptr (AetVolume) volume = aet_cli_load_volume (volume_path, NULL, NULL, 0, &error);
      if (volume == NULL)
        {
          g_array_unref (extra);
          return aet_cli_fail (error);
        }
      AetVolumeStats vs;
      aet_volume_get_stats (volume, &vs);
      AetReportValue values[] = {
        { "volume_min", vs.min },
        { "volume_max", vs.max },
        { "volume_mean", vs.mean },
      };
      g_array_append_vals (extra, values, G_N_ELEMENTS (values));
    }

  gboolean ok = aet_report_save (output, analysis, truth_path != NULL ? "precision" : "volume",
                                 (AetReportValue *) extra->data, extra->len, &error);
  g_array_unref (extra);
  if (ok && per_atom != NULL)
    ok = aet_report_save_csv (per_atom, atoms, &error);
  if (ok && xyz_out != NULL)
    ok = aet_xyz_write (xyz_out, atoms, "AET Studio: analysed atoms", &error);
  if (!ok)
    return aet_cli_fail (error);

  aet_cli_say (&common, "%zu atoms, %zu on the surface, %u facets, a = %.4f Å\n", atoms->n_atoms,
               analysis->n_surface, analysis->facets ? analysis->facets->len : 0,
               analysis->lattice.a);
  if (truth != NULL)
    aet_cli_say (&common,
                 "against %s: RMSD %.1f pm (surface %.1f, interior %.1f), recall %.2f%%, "
                 "precision %.2f%%; %.1f pm after a rigid superposition that turns it "
                 "by %.2f°\n",
                 truth_path, stats.rmsd_pm, stats.rmsd_surface_pm, stats.rmsd_interior_pm,
                 100 * stats.recall, 100 * stats.precision, stats.rmsd_rigid_pm,
                 stats.rotation_deg);
  return AET_EXIT_OK;
}
