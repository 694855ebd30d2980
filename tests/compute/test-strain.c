/* Strain and displacement recovered from known deformations of a particle. */
#include "aet-analysis.h"
#include "aet-error.h"
#include "aet-strain.h"
#include "analysis-test-util.h"

#include <math.h>

/* Scaling every position by 1.01 about the centre is a uniform 1% strain:
 * against the reference constant each atom's tensor is 0.01·I within 0.1%
 * (absolute 0.001), and the fitted constant is 1.01·a. */
static void
test_uniform_strain (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  gdouble r[9], offset[3] = { 25, 26, 27 };
  test_random_rotation (rand, r);
  g_autoptr (AetAtoms) atoms = test_truncated_octahedron (12, 7, r, offset, NULL);
  gdouble c[3];
  aet_atoms_centroid (atoms, c);
  for (gsize i = 0; i < atoms->n_atoms; i++)
    for (int k = 0; k < 3; k++)
      atoms->positions[3 * i + k] = c[k] + 1.01 * (atoms->positions[3 * i + k] - c[k]);

  AetAnalysisOptions opt;
  aet_analysis_options_init (&opt);
  opt.reference_a = TEST_A;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAnalysis) an = aet_analysis_run (atoms, &opt, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (an->lattice.a - 1.01 * TEST_A), <, 1e-9);
  g_assert_cmpfloat (fabs (an->lattice_strain - 0.01), <, 1e-9);
  g_assert_cmpint (an->a_reference_source, ==, AET_REFERENCE_OPTION);
  static const char *const names[6] = { "strain_xx", "strain_yy", "strain_zz",
                                         "strain_xy", "strain_xz", "strain_yz" };
  gdouble worst = 0;
  gsize counted = 0;
  const gfloat *vol = aet_atoms_get_column (atoms, "strain_vol");
  const gfloat *rad = aet_atoms_get_column (atoms, "strain_radial");
  const gfloat *disp = aet_atoms_get_column (atoms, "displacement_pm");
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      if (!isfinite (vol[i]))
        continue;
      counted++;
      for (int k = 0; k < 6; k++)
        {
          gdouble e = aet_atoms_get_column (atoms, names[k])[i];
          worst = MAX (worst, fabs (e - (k < 3 ? 0.01 : 0)));
        }
      g_assert_cmpfloat (fabs (vol[i] - 0.03), <, 0.003);
      if (isfinite (rad[i]))
        g_assert_cmpfloat (fabs (rad[i] - 0.01), <, 0.001);
      /* displacement is against the fitted lattice: none */
      g_assert_cmpfloat (disp[i], <, 0.01);
    }
  g_test_message ("uniform 1%%: %zu of %zu atoms with strain, worst component error %.2e",
                  counted, atoms->n_atoms, worst);
  g_assert_cmpuint (counted, ==, atoms->n_atoms);
  g_assert_cmpfloat (worst, <, 0.001);
  g_assert_cmpfloat (fabs (an->strain_vol[0].mean - 0.03), <, 1e-6);
  g_assert_cmpfloat (an->strain_vol[0].std, <, 1e-6);
}

/* u(r) = u0·((r − r0)/(R − r0))³·r̂ beyond r0, zero inside; the lattice is fitted
 * to the undisturbed core, so every atom's displacement is u within 2 pm, and
 * the radial strain of atoms with a full shell is du/dr (within 2·10⁻³, 5% of
 * the largest gradient: the affine fit over one shell misses the field's
 * third-order terms). */
static void
test_radial_field (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  gdouble r[9], offset[3] = { 30, 30, 30 };
  test_random_rotation (rand, r);
  g_autoptr (AetAtoms) atoms = test_truncated_octahedron (12, 7, r, offset, NULL);
  gsize n = atoms->n_atoms;
  gdouble c[3];
  aet_atoms_centroid (atoms, c);
  const gdouble r0 = 6.5, u0 = 0.15;
  gdouble rmax = 0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble d2 = 0;
      for (int k = 0; k < 3; k++)
        d2 += (atoms->positions[3 * i + k] - c[k]) * (atoms->positions[3 * i + k] - c[k]);
      rmax = MAX (rmax, sqrt (d2));
    }
  g_autofree gdouble *u = g_new0 (gdouble, 3 * n);
  g_autofree gdouble *dudr = g_new0 (gdouble, n);
  g_autofree gboolean *core = g_new0 (gboolean, n);
  for (gsize i = 0; i < n; i++)
    {
      gdouble d[3], rr = 0;
      for (int k = 0; k < 3; k++)
        {
          d[k] = atoms->positions[3 * i + k] - c[k];
          rr += d[k] * d[k];
        }
      rr = sqrt (rr);
      core[i] = rr < r0;
      if (rr <= r0)
        continue;
      gdouble x = (rr - r0) / (rmax - r0);
      for (int k = 0; k < 3; k++)
        u[3 * i + k] = u0 * x * x * x * d[k] / rr;
      dudr[i] = 3 * u0 * x * x / (rmax - r0);
    }
  for (gsize i = 0; i < 3 * n; i++)
    atoms->positions[i] += u[i];

  AetAnalysisOptions opt;
  aet_analysis_options_init (&opt);
  opt.reference_a = TEST_A;
  opt.fit_mask = core;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAnalysis) an = aet_analysis_run (atoms, &opt, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (an->lattice.a - TEST_A), <, 1e-9);
  const gfloat *dx = aet_atoms_get_column (atoms, "displacement_x_pm");
  const gfloat *dy = aet_atoms_get_column (atoms, "displacement_y_pm");
  const gfloat *dz = aet_atoms_get_column (atoms, "displacement_z_pm");
  const gfloat *dm = aet_atoms_get_column (atoms, "displacement_pm");
  const gfloat *rad = aet_atoms_get_column (atoms, "strain_radial");
  const gfloat *coord = aet_atoms_get_column (atoms, "coordination");
  gdouble worst = 0, worst_strain = 0, max_u = 0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble e[3] = { dx[i] - 100 * u[3 * i], dy[i] - 100 * u[3 * i + 1],
                       dz[i] - 100 * u[3 * i + 2] };
      worst = MAX (worst, sqrt (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]));
      max_u = MAX (max_u, dm[i]);
      if (coord[i] == 12 && isfinite (rad[i]))
        worst_strain = MAX (worst_strain, fabs (rad[i] - dudr[i]));
    }
  g_test_message ("radial field up to %.1f pm: worst displacement error %.3g pm, "
                  "worst radial strain error %.2e", max_u, worst, worst_strain);
  g_assert_cmpfloat (max_u, >, 10);
  g_assert_cmpfloat (worst, <, 2.0);
  g_assert_cmpfloat (worst_strain, <, 2e-3);
  /* surface atoms move out more than interior ones */
  g_assert_cmpfloat (an->displacement_pm[1].mean, >, an->displacement_pm[2].mean);
  g_assert_cmpfloat (an->strain_radial[1].mean, >, an->strain_radial[2].mean);
}

static void
test_stats (void)
{
  gfloat v[6] = { 1, 2, 3, NAN, 4, 100 };
  gboolean mask[6] = { TRUE, TRUE, TRUE, TRUE, TRUE, FALSE };
  AetStats s;
  aet_stats_compute (v, mask, 6, &s);
  g_assert_cmpuint (s.n, ==, 4);
  g_assert_cmpfloat_with_epsilon (s.mean, 2.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.std, sqrt (1.25), 1e-12);
  g_assert_cmpfloat_with_epsilon (s.rms, sqrt (7.5), 1e-12);
  g_assert_cmpfloat (s.min, ==, 1);
  g_assert_cmpfloat (s.max, ==, 4);
  aet_stats_compute (v, NULL, 6, &s);
  g_assert_cmpuint (s.n, ==, 5);
  g_assert_cmpfloat (s.max, ==, 100);
  gfloat t[6] = { 0.01f, 0.02f, 0.03f, 0, 0, 0 };
  gdouble ny[3] = { 0, 1, 0 };
  g_assert_cmpfloat_with_epsilon (aet_strain_along (t, ny), 0.02, 1e-7);
}

/* Two atoms per bond cannot define a 3D strain: NaN, not a wrong number. */
static void
test_undefined_strain (void)
{
  AetLatticeFit fit = { .a = TEST_A, .rotation = { 1, 0, 0, 0, 1, 0, 0, 0, 1 } };
  gdouble pos[9] = { 0, 0, 0, TEST_A / 2, TEST_A / 2, 0, -TEST_A / 2, -TEST_A / 2, 0 };
  gint sites[9] = { 0, 0, 0, 1, 1, 0, -1, -1, 0 };
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, 3, 3.0);
  gfloat tensor[18], vol[3], rad[3];
  gdouble centre[3] = { 0 };
  aet_strain_compute (pos, 3, nb, &fit, sites, TEST_A, 3.4, centre, tensor, vol, rad);
  for (int i = 0; i < 3; i++)
    g_assert_true (isnan (vol[i]));
}

/* Bad input gives one-line errors, never a crash. */
static void
test_analysis_bad_input (void)
{
  g_autoptr (AetAtoms) few = aet_atoms_new (4);
  for (int i = 0; i < 5; i++)
    aet_atoms_append (few, 78, 2.8 * i, 0, 0);
  g_autoptr (GError) e1 = NULL;
  g_assert_null (aet_analysis_run (few, NULL, NULL, &e1));
  g_assert_error (e1, AET_ERROR, AET_ERROR_DATA);

  gdouble r[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, offset[3] = { 0 };
  g_autoptr (AetAtoms) atoms = test_truncated_octahedron (6, 4, r, offset, NULL);
  g_autoptr (AetAtoms) bad = aet_atoms_dup (atoms);
  bad->positions[7] = NAN;
  g_autoptr (GError) e2 = NULL;
  g_assert_null (aet_analysis_run (bad, NULL, NULL, &e2));
  g_assert_error (e2, AET_ERROR, AET_ERROR_DATA);
  g_assert_nonnull (strstr (e2->message, "atom 3"));

  /* atoms far apart: no neighbours, no lattice */
  g_autoptr (AetAtoms) sparse = aet_atoms_new (20);
  for (int i = 0; i < 20; i++)
    aet_atoms_append (sparse, 78, 10.0 * i, 0, 0);
  g_autoptr (GError) e3 = NULL;
  g_assert_null (aet_analysis_run (sparse, NULL, NULL, &e3));
  g_assert_error (e3, AET_ERROR, AET_ERROR_DATA);

  AetAnalysisOptions opt;
  aet_analysis_options_init (&opt);
  opt.layer_hkl_set = TRUE;
  g_autoptr (GError) e4 = NULL;
  g_assert_null (aet_analysis_run (atoms, &opt, NULL, &e4));
  g_assert_error (e4, AET_ERROR, AET_ERROR_INVALID);

  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_autoptr (GError) e5 = NULL;
  g_assert_null (aet_analysis_run (atoms, NULL, job, &e5));
  g_assert_error (e5, AET_ERROR, AET_ERROR_CANCELLED);
  const GError *all[5] = { e1, e2, e3, e4, e5 };
  for (int k = 0; k < 5; k++)
    g_assert_null (strchr (all[k]->message, '\n'));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/strain/uniform", test_uniform_strain);
  g_test_add_func ("/compute/strain/radial-field", test_radial_field);
  g_test_add_func ("/compute/strain/stats", test_stats);
  g_test_add_func ("/compute/strain/undefined", test_undefined_strain);
  g_test_add_func ("/compute/strain/analysis-bad-input", test_analysis_bad_input);
  return g_test_run ();
}
