/* aet-cmd-simulate.c — `aet simulate`: a nanoparticle, its volumes and a
 * missing-wedge tilt series, into a project (and optionally MRC/.tlt/XYZ). */
#define G_LOG_DOMAIN "aet"

#include <math.h>
#include <stdio.h>

#include "aet-cli-io.h"
#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-elements.h"
#include "aet-mrc.h"
#include "aet-project-file.h"
#include "aet-simulate.h"
#include "aet-tilt-series-io.h"
#include "aet-tlt.h"
#include "aet-xyz.h"

/* Records the simulation's parameters in the project, so a reopened project
 * says how it was made (keys "simulate/…"). */
static void
record_params (AetProject *project, const AetSimParams *p, const char *tilt_text,
               const char *shape)
{
  struct
  {
    const char *key;
    char *value;
  } kv[] = {
    { "simulate/element", g_strdup (aet_element_symbol (p->element)) },
    { "simulate/shape", g_strdup (shape) },
    { "simulate/radius", g_strdup_printf ("%g", p->radius) },
    { "simulate/substrate", g_strdup (p->substrate ? "true" : "false") },
    { "simulate/size", g_strdup_printf ("%d", p->size) },
    { "simulate/pixel", g_strdup_printf ("%g", p->pixel) },
    { "simulate/tilt", g_strdup (tilt_text) },
    { "simulate/seed", g_strdup_printf ("%" G_GUINT64_FORMAT, p->seed) },
    { "simulate/counts", g_strdup_printf ("%g", p->counts) },
    { "simulate/angle_error", g_strdup_printf ("%g", p->angle_error) },
    { "simulate/shift_error", g_strdup_printf ("%g", p->shift_error) },
    { "simulate/b_factor", g_strdup_printf ("%g", p->b_input) },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (kv); i++)
    {
      aet_project_set_param (project, kv[i].key, kv[i].value);
      g_free (kv[i].value);
    }
}

int
aet_cmd_simulate (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  g_autofree char *output = NULL, *element = NULL, *tilt = NULL, *shape = NULL;
  g_autofree char *mrc = NULL, *tlt = NULL, *xyz = NULL, *target_mrc = NULL;
  gdouble radius = p.radius, pixel = p.pixel, counts = -1, angle_error = p.angle_error;
  gdouble shift_error = p.shift_error, b_factor = p.b_input, vacancies = 0, strain = 0;
  gdouble wobble = p.axis_wobble, read_noise = 0;
  gint size = p.size;
  gint64 seed = 1;
  gboolean no_noise = FALSE, substrate = FALSE;

  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Project file to write (.h5)", "FILE" },
    { "element", 0, 0, G_OPTION_ARG_STRING, &element, "Element (Pt, Au, Pd, Ag, Cu, Ni, Ir, Rh)",
      "EL" },
    { "shape", 0, 0, G_OPTION_ARG_STRING, &shape,
      "sphere-union (default), truncated-octahedron or cuboctahedron", "SHAPE" },
    { "radius", 0, 0, G_OPTION_ARG_DOUBLE, &radius, "Particle size scale in Å (12)", "R" },
    { "substrate", 0, 0, G_OPTION_ARG_NONE, &substrate,
      "Cut the particle flat where it sits on a substrate (facing −y)", NULL },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Voxels per edge (144)", "N" },
    { "pixel", 0, 0, G_OPTION_ARG_DOUBLE, &pixel, "Voxel size in Å (0.357)", "A" },
    { "tilt", 0, 0, G_OPTION_ARG_STRING, &tilt, "Tilt angles: start:stop:step or a,b,c (-65:65:6.5)",
      "LIST" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (1)", "S" },
    { "counts", 0, 0, G_OPTION_ARG_DOUBLE, &counts,
      "Expected electrons at the brightest pixel (Poisson noise; 50)", "C" },
    { "no-noise", 0, 0, G_OPTION_ARG_NONE, &no_noise, "No shot noise", NULL },
    { "read-noise", 0, 0, G_OPTION_ARG_DOUBLE, &read_noise, "Gaussian read noise σ in counts",
      "σ" },
    { "angle-error", 0, 0, G_OPTION_ARG_DOUBLE, &angle_error,
      "Largest error of the true tilt angles, degrees (0.3)", "DEG" },
    { "axis-wobble", 0, 0, G_OPTION_ARG_DOUBLE, &wobble,
      "Largest in-plane wobble of the tilt axis, degrees (0)", "DEG" },
    { "shift-error", 0, 0, G_OPTION_ARG_DOUBLE, &shift_error,
      "Largest residual image shift, pixels (0.3)", "PX" },
    { "b-factor", 0, 0, G_OPTION_ARG_DOUBLE, &b_factor,
      "Mean atom width B of the input potential in Å² (5)", "B" },
    { "vacancies", 0, 0, G_OPTION_ARG_DOUBLE, &vacancies, "Fraction of sites left empty", "F" },
    { "strain", 0, 0, G_OPTION_ARG_DOUBLE, &strain,
      "Compression at the substrate interface, fraction (e.g. 0.02)", "F" },
    { "mrc", 0, 0, G_OPTION_ARG_FILENAME, &mrc, "Also write the tilt series as MRC", "FILE" },
    { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &tlt, "Also write the angles as IMOD .tlt", "FILE" },
    { "xyz", 0, 0, G_OPTION_ARG_FILENAME, &xyz, "Also write the true atoms as extended XYZ",
      "FILE" },
    { "target-mrc", 0, 0, G_OPTION_ARG_FILENAME, &target_mrc,
      "Also write the ground-truth volume (B = 4 Å² atoms) as MRC", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "simulate", NULL,
    "Simulates an FCC nanoparticle, its ground-truth volume, its potential and a tilt series "
    "with the errors real data has.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "simulate", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("simulate", "unexpected argument “%s”", argv[1]);
  if (output == NULL && mrc == NULL && xyz == NULL)
    return aet_cli_usage ("simulate", "give -o project.h5 (or --mrc/--xyz)");

  if (element != NULL)
    {
      p.element = aet_element_from_symbol (element);
      if (p.element == 0)
        return aet_cli_usage ("simulate", "--element %s: unknown element", element);
    }
  if (shape != NULL && !aet_shape_kind_from_name (shape, &p.shape))
    return aet_cli_usage ("simulate",
                          "--shape %s: use sphere-union, truncated-octahedron or cuboctahedron",
                          shape);
  g_autofree gdouble *angles = NULL;
  if (tilt != NULL)
    {
      g_autoptr (GError) error = NULL;
      angles = aet_parse_tilt_range (tilt, &p.n_angles, &error);
      if (angles == NULL)
        return aet_cli_usage ("simulate", "%s", error->message);
      p.angles = angles;
    }
  if (seed < 0)
    return aet_cli_usage ("simulate", "--seed %" G_GINT64_FORMAT ": must be ≥ 0", seed);
  p.radius = radius;
  p.substrate = substrate;
  p.size = size;
  p.pixel = pixel;
  p.seed = (guint64) seed;
  if (no_noise)
    p.counts = 0;
  else if (counts >= 0)
    p.counts = counts;
  p.read_noise = read_noise;
  p.angle_error = angle_error;
  p.axis_wobble = wobble;
  p.shift_error = shift_error;
  p.b_input = b_factor;
  p.vacancy_fraction = vacancies;
  p.strain = strain;

  g_autoptr (GError) error = NULL;
  if (!aet_sim_params_validate (&p, &error))
    return aet_cli_usage ("simulate", "%s", error->message);

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  gint64 t0 = g_get_monotonic_time ();
  aet_job_set_stage (job, "Simulate");
  g_autoptr (AetSimResult) result = aet_simulate (&p, job, &error);
  aet_cli_job_finish (job);
  if (result == NULL)
    return aet_cli_fail (error);
  gdouble sim_seconds = (g_get_monotonic_time () - t0) / 1e6;

  if (output != NULL)
    {
      g_autoptr (AetProject) project = aet_project_new ();
      aet_project_set_tilt_series (project, "tilts", result->tilts);
      aet_project_set_atoms (project, "truth", result->truth);
      aet_project_set_volume (project, "target", result->target);
      aet_project_set_volume (project, "potential", result->potential);
      g_autofree char *shape_name = g_strdup (shape ? shape : "sphere-union");
      g_autofree char *tilt_text = g_strdup (tilt ? tilt : "-65:65:6.5");
      record_params (project, &p, tilt_text, shape_name);
      g_autofree char *geometry = aet_sim_result_geometry_text (result);
      aet_project_set_param (project, "result/simulate/true_geometry", geometry);
      if (!aet_project_save (project, output, &error))
        return aet_cli_fail (error);
    }
  if (mrc != NULL && !aet_mrc_write (mrc, result->tilts->images, TRUE, &error))
    return aet_cli_fail (error);
  if (tlt != NULL
      && !aet_tlt_write (tlt, result->tilts->angles, aet_tilt_series_n_images (result->tilts),
                         &error))
    return aet_cli_fail (error);
  if (xyz != NULL)
    {
      g_autofree char *comment = g_strdup_printf (
        "AET Studio simulation: %s, seed %" G_GUINT64_FORMAT, aet_element_symbol (p.element),
        p.seed);
      if (!aet_xyz_write (xyz, result->truth, comment, &error))
        return aet_cli_fail (error);
    }
  if (target_mrc != NULL && !aet_mrc_write (target_mrc, result->target, FALSE, &error))
    return aet_cli_fail (error);

  g_autofree char *noise = p.counts > 0
                             ? g_strdup_printf ("%.0f counts at the brightest pixel", p.counts)
                             : g_strdup ("no noise");
  aet_cli_say (&common,
               "simulated %zu %s atoms, %d tilts from %.1f° to %.1f°, %d³ voxels of %.3f Å, "
               "%s in %.2f s\n",
               result->truth->n_atoms, aet_element_symbol (p.element),
               aet_tilt_series_n_images (result->tilts), result->tilts->angles[0],
               result->tilts->angles[aet_tilt_series_n_images (result->tilts) - 1], p.size,
               p.pixel, noise, sim_seconds);
  return AET_EXIT_OK;
}
