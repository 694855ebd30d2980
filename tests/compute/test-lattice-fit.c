/* The FCC lattice fit and the small linear algebra behind it. */
#include "aet-coordination.h"
#include "aet-error.h"
#include "aet-lattice-fit.h"
#include "analysis-test-util.h"

#include <math.h>

/* R_fitᵀ·R_true must be one of the 24 cubic rotations: entries 0 or ±1. */
static gdouble
cubic_mismatch (const gdouble fit[9], const gdouble truth[9])
{
  gdouble worst = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        gdouble m = fit[i] * truth[j] + fit[3 + i] * truth[3 + j] + fit[6 + i] * truth[6 + j];
        worst = MAX (worst, MIN (fabs (m), fabs (fabs (m) - 1)));
      }
  return worst;
}

/* Random rotations, jittered atoms: orientation, constant and origin. */
static void
test_fit_rotation (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  for (int trial = 0; trial < 4; trial++)
    {
      gdouble r[9], offset[3] = { g_rand_double_range (rand, 10, 40),
                                  g_rand_double_range (rand, 10, 40),
                                  g_rand_double_range (rand, 10, 40) };
      test_random_rotation (rand, r);
      g_autoptr (AetAtoms) atoms = test_truncated_octahedron (10, 6, r, offset, NULL);
      const gdouble jitter = 0.08;
      for (gsize i = 0; i < 3 * atoms->n_atoms; i++)
        atoms->positions[i] += g_rand_double_range (rand, -jitter, jitter);
      g_autoptr (AetNeighbors) nb = aet_neighbors_new (atoms->positions, atoms->n_atoms, 3.0);
      AetLatticeFit fit;
      g_autoptr (GError) error = NULL;
      g_assert_true (aet_lattice_fit (atoms->positions, atoms->n_atoms, nb, NULL, 0, &fit,
                                      &error));
      g_assert_no_error (error);
      gdouble mis = cubic_mismatch (fit.rotation, r);
      /* the origin is a lattice site of the true lattice: offset + (a/2)·R·integers */
      gdouble d[3] = { fit.origin[0] - offset[0], fit.origin[1] - offset[1],
                       fit.origin[2] - offset[2] }, f[3];
      for (int c = 0; c < 3; c++)
        f[c] = (r[c] * d[0] + r[3 + c] * d[1] + r[6 + c] * d[2]) / (TEST_A / 2);
      gdouble off_site = 0;
      for (int c = 0; c < 3; c++)
        off_site = MAX (off_site, fabs (f[c] - round (f[c])));
      g_test_message ("trial %d: a %.5f, rotation mismatch %.2e, origin off-site %.2e, "
                      "rms %.1f pm", trial, fit.a, mis, off_site, fit.rms_residual * 100);
      g_assert_cmpfloat (fabs (fit.a - TEST_A), <, 0.002);
      g_assert_cmpfloat (mis, <, 2e-3);
      g_assert_cmpfloat (off_site, <, 0.01);
      /* jitter uniform in ±j per axis: j/√3 per axis, j in 3D */
      g_assert_cmpfloat (fit.rms_residual, <, jitter * 1.1);
      g_assert_cmpfloat (fit.rms_residual, >, jitter * 0.8);
      g_assert_cmpuint (fit.n_fit, ==, atoms->n_atoms);
      g_assert_cmpuint (fit.n_shared_sites, ==, 0);
      /* the chosen cubic equivalent is the one closest to the identity */
      g_assert_cmpfloat (fit.rotation[0] + fit.rotation[4] + fit.rotation[8], >, -1.0);
    }
}

/* 3% expansion plus 5% vacancies, fitted on the interior only. */
static void
test_fit_strained_with_vacancies (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  gdouble r[9], offset[3] = { 0, 0, 0 };
  test_random_rotation (rand, r);
  g_autoptr (AetAtoms) full = test_truncated_octahedron (12, 7, r, offset, NULL);
  g_autofree gboolean *keep = g_new (gboolean, full->n_atoms);
  for (gsize i = 0; i < full->n_atoms; i++)
    keep[i] = g_rand_double (rand) > 0.05;
  g_autoptr (AetAtoms) atoms = aet_atoms_filter (full, keep);
  for (gsize i = 0; i < 3 * atoms->n_atoms; i++)
    atoms->positions[i] *= 1.03;
  gsize n = atoms->n_atoms;
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (atoms->positions, n, 3.0);
  g_autofree guint *coord = g_new (guint, n);
  aet_coordination_count (atoms->positions, n, nb, aet_coordination_cutoff (1.03 * TEST_A),
                          coord);
  g_autofree gboolean *use = g_new (gboolean, n);
  for (gsize i = 0; i < n; i++)
    use[i] = coord[i] >= 10;
  AetLatticeFit fit;
  g_assert_true (aet_lattice_fit (atoms->positions, n, nb, use, 0, &fit, NULL));
  g_test_message ("strained: a %.6f (expected %.6f), %zu atoms fitted", fit.a, 1.03 * TEST_A,
                  fit.n_fit);
  g_assert_cmpfloat (fabs (fit.a - 1.03 * TEST_A), <, 1e-9);
  g_assert_cmpfloat (cubic_mismatch (fit.rotation, r), <, 1e-9);
  g_assert_cmpfloat (fit.rms_residual, <, 1e-9);
}

static void
test_fit_bad_input (void)
{
  gdouble pos[15] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 5, 5, 5 };
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, 5, 3.0);
  AetLatticeFit fit;
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_lattice_fit (pos, 5, nb, NULL, 0, &fit, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_null (strchr (error->message, '\n'));

  /* 20 atoms on a line: enough atoms, but none has 12 neighbours */
  gdouble line[60];
  for (int i = 0; i < 20; i++)
    line[3 * i] = 2.77 * i, line[3 * i + 1] = 0, line[3 * i + 2] = 0;
  g_autoptr (AetNeighbors) nb2 = aet_neighbors_new (line, 20, 3.0);
  g_autoptr (GError) error2 = NULL;
  g_assert_false (aet_lattice_fit (line, 20, nb2, NULL, 0, &fit, &error2));
  g_assert_error (error2, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpfloat_with_epsilon (aet_lattice_nn_distance (line, 20, nb2), 2.77, 1e-9);
}

static void
test_linear_algebra (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  gdouble r[9];
  test_random_rotation (rand, r);
  /* covariance of pairs y = R x recovers R */
  gdouble cov[9] = { 0 };
  for (int k = 0; k < 10; k++)
    {
      gdouble x[3] = { g_rand_double_range (rand, -1, 1), g_rand_double_range (rand, -1, 1),
                       g_rand_double_range (rand, -1, 1) }, y[3];
      test_rotate (r, x, y);
      for (int u = 0; u < 3; u++)
        for (int v = 0; v < 3; v++)
          cov[3 * u + v] += y[u] * x[v];
    }
  gdouble rf[9];
  aet_rotation_from_covariance (cov, rf);
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat (fabs (rf[i] - r[i]), <, 1e-10);

  gdouble m[9] = { 4, 1, 0, 1, 3, 0, 0, 0, 1 }, ev[3], vec[9];
  aet_sym_eigen (m, 3, ev, vec);
  g_assert_cmpfloat_with_epsilon (ev[0], 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (ev[1], 3.5 - sqrt (1.25), 1e-12);
  g_assert_cmpfloat_with_epsilon (ev[2], 3.5 + sqrt (1.25), 1e-12);
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < 3; i++)
      {
        gdouble mv = m[3 * i] * vec[k] + m[3 * i + 1] * vec[3 + k] + m[3 * i + 2] * vec[6 + k];
        g_assert_cmpfloat (fabs (mv - ev[k] * vec[3 * i + k]), <, 1e-12);
      }
  gdouble inv[9];
  g_assert_true (aet_mat3_invert (m, inv));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        gdouble p = m[3 * i] * inv[j] + m[3 * i + 1] * inv[3 + j] + m[3 * i + 2] * inv[6 + j];
        g_assert_cmpfloat (fabs (p - (i == j)), <, 1e-12);
      }
  gdouble singular[9] = { 1, 2, 3, 2, 4, 6, 0, 0, 1 };
  g_assert_false (aet_mat3_invert (singular, inv));
}

static void
test_plane_spacing (void)
{
  gint h111[3] = { 1, 1, 1 }, h100[3] = { 1, 0, 0 }, h200[3] = { 0, 2, 0 };
  gint h110[3] = { 1, -1, 0 }, h311[3] = { 3, 1, 1 }, h000[3] = { 0, 0, 0 };
  g_assert_cmpfloat_with_epsilon (aet_lattice_plane_spacing (4, h111), 4 / sqrt (3.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (aet_lattice_plane_spacing (4, h100), 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (aet_lattice_plane_spacing (4, h200), 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (aet_lattice_plane_spacing (4, h110), 2 / sqrt (2.0), 1e-12);
  g_assert_cmpfloat_with_epsilon (aet_lattice_plane_spacing (4, h311), 4 / sqrt (11.0), 1e-12);
  g_assert_cmpfloat (aet_lattice_plane_spacing (4, h000), ==, 0);
  g_assert_cmpfloat (aet_lattice_fcc_constant (78), ==, 3.9242);
  g_assert_cmpfloat (aet_lattice_fcc_constant (26), ==, 0);

  /* sites round-trip through positions */
  AetLatticeFit fit = { .a = TEST_A, .origin = { 1, 2, 3 } };
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  test_random_rotation (rand, fit.rotation);
  gint site[3] = { 3, -5, 4 }, back[3];
  gdouble p[3];
  aet_lattice_fit_site_position (&fit, site, p);
  p[0] += 0.3;
  aet_lattice_fit_site (&fit, p, back);
  g_assert_cmpint (back[0], ==, 3);
  g_assert_cmpint (back[1], ==, -5);
  g_assert_cmpint (back[2], ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/lattice-fit/rotation", test_fit_rotation);
  g_test_add_func ("/compute/lattice-fit/strained-with-vacancies",
                   test_fit_strained_with_vacancies);
  g_test_add_func ("/compute/lattice-fit/bad-input", test_fit_bad_input);
  g_test_add_func ("/compute/lattice-fit/linear-algebra", test_linear_algebra);
  g_test_add_func ("/compute/lattice-fit/plane-spacing", test_plane_spacing);
  return g_test_run ();
}
