/* test-cli-analyze.c — `aet analyze` with a reference: a project given as
 * --truth is compared through its "truth" atoms, and the report carries
 * the published RMSD beside the one after a rigid superposition. */
#include "aet-project-file.h"
#include "aet-project.h"
#include "../compute/fcc-ball.h"
#include "run-aet.h"
#include "scratch-dir.h"

#include <string.h>

/* The number after "key": in the report (NaN when absent). */
static gdouble
report_number (const char *json, const char *key)
{
  g_autofree char *needle = g_strdup_printf ("\"%s\": ", key);
  const char *at = strstr (json, needle);
  return at != NULL ? g_ascii_strtod (at + strlen (needle), NULL) : NAN;
}

/* A project holding a particle's truth and a model of it turned by 0.5°
 * about y and shifted: analysed against the project itself (--truth), the
 * model is scored against the truth (not against itself, which gives 0).
 * A project without truth atoms serves its "after" atoms, with a note. */
static void
test_truth_from_project (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-cli-analyze");
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  g_autoptr (AetAtoms) truth = fcc_ball_new (rng, 3.924, 12.0, 96, 0.357, 0.0);
  g_autoptr (AetAtoms) model = aet_atoms_new (truth->n_atoms);
  gdouble c[3];
  aet_atoms_centroid (truth, c);
  const gdouble t = 0.5 * G_PI / 180.0;
  for (gsize i = 0; i < truth->n_atoms; i++)
    {
      const gdouble *p = truth->positions + 3 * i;
      gdouble x = p[0] - c[0], z = p[2] - c[2];
      aet_atoms_append (model, 78, c[0] + cos (t) * x + sin (t) * z + 0.1, p[1],
                        c[2] - sin (t) * x + cos (t) * z);
    }
  g_autoptr (AetProject) project = aet_project_new ();
  aet_project_set_atoms (project, "truth", truth);
  aet_project_set_atoms (project, "after", model);
  g_autofree char *path = g_build_filename (dir, "p.h5", NULL);
  g_autofree char *report = g_build_filename (dir, "r.json", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (project, path, &error));
  g_assert_no_error (error);

  const char *args[] = { "analyze", "-i", path, "--dataset", "after", "--truth", path,
                         "-o", report, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_aet_env (args, NULL, &out, &err), ==, 0);
  g_test_message ("%s", out);
  g_autofree char *json = NULL;
  g_assert_true (g_file_get_contents (report, &json, NULL, NULL));
  gdouble rmsd = report_number (json, "rmsd_pm"), rigid = report_number (json, "rmsd_rigid_pm");
  gdouble turn = report_number (json, "rotation_deg");
  g_test_message ("RMSD %.2f pm, rigid %.3f pm, turn %.3f°", rmsd, rigid, turn);
  /* atoms up to 12 Å from the axis move by up to 10 pm; the shift is removed */
  g_assert_cmpfloat (rmsd, >, 3.0);
  g_assert_cmpfloat (rmsd, <, 10.0);
  g_assert_cmpfloat (rigid, <, 0.01);
  g_assert_cmpfloat (fabs (turn - 0.5), <, 1e-3);
  g_assert_cmpfloat (report_number (json, "recall"), ==, 1.0);
  g_assert_nonnull (strstr (out, "after a rigid superposition that turns it by 0.50°"));
  g_assert_null (strstr (err, "note:"));

  /* a project without truth atoms: its "after" atoms are the reference,
   * and the command says so (here: the model against itself) */
  g_autoptr (AetProject) runs = aet_project_new ();
  aet_project_set_atoms (runs, "after", model);
  g_autofree char *runs_path = g_build_filename (dir, "runs.h5", NULL);
  g_assert_true (aet_project_save (runs, runs_path, &error));
  const char *args2[] = { "analyze", "-i", runs_path, "--truth", runs_path, "-o", report, NULL };
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (run_aet_env (args2, NULL, &out2, &err2), ==, 0);
  g_test_message ("%s", err2);
  g_assert_nonnull (strstr (err2, "aet: note: runs.h5 has no truth atoms; its after atoms are "
                                  "the reference"));
  aet_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/analyze/truth-from-project", test_truth_from_project);
  return g_test_run ();
}
