#include "aet-error.h"
#include "aet-match.h"
#include "fcc-ball.h"

#include <math.h>

static gdouble
gauss (GRand *rng)
{
  gdouble u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
  return sqrt (-2.0 * log (u1)) * cos (2 * G_PI * u2);
}

/* The reference displaced by a constant offset plus Gaussian error σ (Å)
 * per axis, in a shuffled order; perm[j] is the reference of model atom j. */
static AetAtoms *
perturbed_copy (const AetAtoms *ref, const gdouble offset[3], gdouble sigma, GRand *rng,
                gsize *perm)
{
  for (gsize i = 0; i < ref->n_atoms; i++)
    perm[i] = i;
  for (gsize i = ref->n_atoms; i > 1; i--)
    {
      gsize j = (gsize) g_rand_int_range (rng, 0, (gint32) i);
      gsize t = perm[i - 1];
      perm[i - 1] = perm[j];
      perm[j] = t;
    }
  AetAtoms *m = aet_atoms_new (ref->n_atoms);
  for (gsize j = 0; j < ref->n_atoms; j++)
    {
      const gdouble *r = ref->positions + 3 * perm[j];
      aet_atoms_append (m, 78, r[0] + offset[0] + sigma * gauss (rng),
                        r[1] + offset[1] + sigma * gauss (rng),
                        r[2] + offset[2] + sigma * gauss (rng));
    }
  return m;
}

static void
test_offset_removed_and_rmsd (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  g_autoptr (AetAtoms) ref = fcc_ball_new (rng, 3.924, 14.0, 100, 0.357, 0.1);
  g_autofree gsize *perm = g_new (gsize, ref->n_atoms);
  const gdouble offset[3] = { 0.2, -0.1, 0.05 };
  const gdouble sigma = 0.1;  /* 10 pm per axis → RMSD 17.3 pm */
  g_autoptr (AetAtoms) model = perturbed_copy (ref, offset, sigma, rng, perm);
  AetMatchStats s;
  g_autofree gssize *partner = g_new (gssize, model->n_atoms);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_match_atoms_with_partners (ref, model, 0.9, &s, partner, TRUE, &error));
  g_assert_no_error (error);
  g_test_message ("%zu atoms: RMSD %.2f pm, σ %.2f %.2f %.2f, offset %.3f %.3f %.3f",
                  s.n_reference, s.rmsd_pm, s.sigma_pm[0], s.sigma_pm[1], s.sigma_pm[2],
                  s.mean_offset[0], s.mean_offset[1], s.mean_offset[2]);
  g_assert_cmpuint (s.n_matched, ==, ref->n_atoms);
  g_assert_cmpfloat (s.recall, ==, 1.0);
  g_assert_cmpfloat (s.precision, ==, 1.0);
  for (gsize j = 0; j < model->n_atoms; j++)
    g_assert_cmpint (partner[j], ==, (gssize) perm[j]);
  gdouble tol = 4 * sigma / sqrt ((gdouble) ref->n_atoms);
  for (int a = 0; a < 3; a++)
    {
      g_assert_cmpfloat (fabs (s.mean_offset[a] - offset[a]), <, tol);
      g_assert_cmpfloat (fabs (s.sigma_pm[a] - 100 * sigma), <, 100 * sigma * 0.1);
    }
  g_assert_cmpfloat (fabs (s.rmsd_pm - 100 * sigma * sqrt (3.0)), <, 100 * sigma * 0.15);
  g_assert_cmpfloat_with_epsilon (s.rmsd_pm * s.rmsd_pm,
                                  s.sigma_pm[0] * s.sigma_pm[0] + s.sigma_pm[1] * s.sigma_pm[1]
                                  + s.sigma_pm[2] * s.sigma_pm[2], 1e-9);

  /* columns: partner and how far each moved (offset included) */
  const gfloat *pc = aet_atoms_get_column (model, "partner");
  const gfloat *mv = aet_atoms_get_column (model, "moved_pm");
  g_assert_nonnull (pc);
  g_assert_nonnull (mv);
  for (gsize j = 0; j < model->n_atoms; j++)
    {
      g_assert_cmpfloat (pc[j], ==, (gfloat) perm[j]);
      const gdouble *r = ref->positions + 3 * perm[j], *q = model->positions + 3 * j;
      gdouble d = sqrt ((q[0] - r[0]) * (q[0] - r[0]) + (q[1] - r[1]) * (q[1] - r[1])
                        + (q[2] - r[2]) * (q[2] - r[2]));
      g_assert_cmpfloat (fabs (mv[j] - 100 * d), <, 1e-3);
    }

  /* swapping the roles: same RMSD, opposite offset */
  AetMatchStats back;
  g_assert_true (aet_match_atoms (model, ref, 0.9, &back, FALSE, NULL));
  g_assert_cmpfloat_with_epsilon (back.rmsd_pm, s.rmsd_pm, 1e-9);
  g_assert_cmpfloat_with_epsilon (back.mean_offset[0], -s.mean_offset[0], 1e-12);
}

static void
test_one_to_one_by_shortest_pair (void)
{
  /* reference A at 0 and B at 1.2 Å on x; model X at 0.7 (A 0.7, B 0.5).
   * Matching reference atoms in order to their nearest would give X to A
   * and leave B alone; shortest-pair-first gives X to B. */
  g_autoptr (AetAtoms) ref = aet_atoms_new (2);
  aet_atoms_append (ref, 78, 0, 0, 0);
  aet_atoms_append (ref, 78, 1.2, 0, 0);
  g_autoptr (AetAtoms) model = aet_atoms_new (1);
  aet_atoms_append (model, 78, 0.7, 0, 0);
  gssize partner[1];
  AetMatchStats s;
  g_assert_true (aet_match_atoms_with_partners (ref, model, 0.9, &s, partner, FALSE, NULL));
  g_assert_cmpint (partner[0], ==, 1);
  g_assert_cmpuint (s.n_matched, ==, 1);
  g_assert_cmpfloat (s.recall, ==, 0.5);
  g_assert_cmpfloat (s.precision, ==, 1.0);

  /* two model atoms near one reference atom: the closer is the match, the
   * other a false atom, whatever the model order */
  g_autoptr (AetAtoms) one = aet_atoms_new (1);
  aet_atoms_append (one, 78, 5, 5, 5);
  for (int order = 0; order < 2; order++)
    {
      g_autoptr (AetAtoms) two = aet_atoms_new (2);
      gdouble xs[2] = { 5.3, 5.1 };
      aet_atoms_append (two, 78, xs[order], 5, 5);
      aet_atoms_append (two, 78, xs[1 - order], 5, 5);
      gssize p2[2];
      g_assert_true (aet_match_atoms_with_partners (one, two, 0.9, &s, p2, TRUE, NULL));
      g_assert_cmpint (p2[order == 0 ? 1 : 0], ==, 0);
      g_assert_cmpint (p2[order == 0 ? 0 : 1], ==, -1);
      g_assert_cmpfloat (s.precision, ==, 0.5);
      g_assert_true (isnan (aet_atoms_get_column (two, "moved_pm")[order == 0 ? 0 : 1]));
      g_assert_cmpfloat (aet_atoms_get_column (two, "partner")[order == 0 ? 0 : 1], ==, -1.0f);
    }

  /* beyond max_dist: no match */
  g_autoptr (AetAtoms) far = aet_atoms_new (1);
  aet_atoms_append (far, 78, 5.95, 5, 5);
  g_assert_true (aet_match_atoms (one, far, 0.9, &s, FALSE, NULL));
  g_assert_cmpuint (s.n_matched, ==, 0);
  g_assert_true (isnan (s.rmsd_pm));
  g_assert_true (aet_match_atoms (one, far, 1.0, &s, FALSE, NULL));
  g_assert_cmpuint (s.n_matched, ==, 1);
}

static void
test_surface_split (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (2);
  g_autoptr (AetAtoms) ref = fcc_ball_new (rng, 3.924, 12.0, 100, 0.357, 0.0);
  const gfloat *surface = aet_atoms_get_column (ref, "surface");
  /* surface atoms off by 20 pm per axis, interior by 5; every 5th surface
   * atom missing; one false atom just outside the surface */
  g_autoptr (AetAtoms) model = aet_atoms_new (ref->n_atoms);
  gsize n_surf = 0, n_missing = 0;
  for (gsize i = 0; i < ref->n_atoms; i++)
    {
      gdouble sg = surface[i] > 0.5 ? 0.2 : 0.05;
      if (surface[i] > 0.5 && n_surf++ % 5 == 0)
        {
          n_missing++;
          continue;
        }
      const gdouble *r = ref->positions + 3 * i;
      aet_atoms_append (model, 78, r[0] + sg * gauss (rng), r[1] + sg * gauss (rng),
                        r[2] + sg * gauss (rng));
    }
  gdouble c[3];
  aet_atoms_centroid (ref, c);
  aet_atoms_append (model, 78, c[0] + 14.0, c[1], c[2]);

  AetMatchStats s;
  g_assert_true (aet_match_atoms (ref, model, 0.9, &s, FALSE, NULL));
  g_test_message ("surface %zu/%zu RMSD %.1f pm precision %.3f; interior %zu/%zu RMSD %.1f pm",
                  s.n_matched_surface, s.n_ref_surface, s.rmsd_surface_pm, s.precision_surface,
                  s.n_matched_interior, s.n_ref_interior, s.rmsd_interior_pm);
  g_assert_cmpuint (s.n_ref_surface, ==, n_surf);
  g_assert_cmpuint (s.n_ref_surface + s.n_ref_interior, ==, ref->n_atoms);
  g_assert_cmpuint (s.n_matched_surface, ==, n_surf - n_missing);
  g_assert_cmpuint (s.n_matched_interior, ==, s.n_ref_interior);
  g_assert_cmpfloat (s.recall_interior, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (s.recall_surface, 1.0 - (gdouble) n_missing / n_surf, 1e-12);
  g_assert_cmpfloat (fabs (s.rmsd_surface_pm - 20 * sqrt (3.0)), <, 6.0);
  g_assert_cmpfloat (fabs (s.rmsd_interior_pm - 5 * sqrt (3.0)), <, 2.0);
  g_assert_cmpfloat (s.precision_interior, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (s.precision_surface,
                                  (gdouble) (n_surf - n_missing) / (n_surf - n_missing + 1),
                                  1e-12);

  /* without the column, the split is empty */
  aet_atoms_remove_column (ref, "surface");
  g_assert_true (aet_match_atoms (ref, model, 0.9, &s, FALSE, NULL));
  g_assert_cmpuint (s.n_ref_surface, ==, 0);
  g_assert_cmpuint (s.n_ref_interior, ==, 0);
  g_assert_true (isnan (s.rmsd_surface_pm));
  g_assert_true (isnan (s.recall_interior));
  g_assert_true (isnan (s.precision_surface));
  g_assert_cmpfloat (s.recall, <, 1.0);
}

static void
test_bad_and_empty_input (void)
{
  g_autoptr (AetAtoms) a = aet_atoms_new (1);
  g_autoptr (AetAtoms) b = aet_atoms_new (1);
  AetMatchStats s;
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_match_atoms (a, b, 0.0, &s, FALSE, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (aet_match_atoms (a, b, NAN, &s, FALSE, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (aet_match_atoms (a, b, 0.9, &s, TRUE, &error));
  g_assert_cmpuint (s.n_matched, ==, 0);
  g_assert_true (isnan (s.recall));
  g_assert_true (isnan (s.precision));
  aet_atoms_append (a, 78, 1, 2, 3);
  g_assert_true (aet_match_atoms (a, b, 0.9, &s, TRUE, &error));
  g_assert_cmpfloat (s.recall, ==, 0.0);
  g_assert_true (isnan (s.precision));
  /* a non-finite model position matches nothing and does not crash */
  aet_atoms_append (b, 78, NAN, 2, 3);
  g_assert_true (aet_match_atoms (a, b, 0.9, &s, TRUE, &error));
  g_assert_cmpfloat (s.precision, ==, 0.0);
}

/* A model turned by 1° about the tilt axis (y) around a point 5 Å off
 * the particle's centre, plus 10 pm of error per axis: the published RMSD keeps the
 * turn (far atoms move ~20 pm more), the rigid superposition removes it and
 * finds the angle and axis; a model that is only shifted needs no turn. */
static void
test_rigid_superposition (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  g_autoptr (AetAtoms) ref = fcc_ball_new (rng, 3.924, 14.0, 100, 0.357, 0.1);
  g_autofree gsize *perm = g_new (gsize, ref->n_atoms);
  const gdouble offset[3] = { 0.3, -0.2, 0.1 }, sigma = 0.1;
  g_autoptr (AetAtoms) model = perturbed_copy (ref, offset, sigma, rng, perm);
  AetMatchStats plain;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_match_atoms (ref, model, 0.9, &plain, FALSE, &error));
  g_test_message ("shifted only: RMSD %.2f pm, rigid %.2f pm, turn %.3f°", plain.rmsd_pm,
                  plain.rmsd_rigid_pm, plain.rotation_deg);
  g_assert_cmpfloat (plain.rotation_deg, <, 0.1);
  g_assert_cmpfloat (plain.rmsd_rigid_pm, <=, plain.rmsd_pm);
  g_assert_cmpfloat (plain.rmsd_pm - plain.rmsd_rigid_pm, <, 0.2);

  const gdouble angle = 1.0 * G_PI / 180.0;
  gdouble pivot[3];
  aet_atoms_centroid (ref, pivot);
  pivot[0] += 3.0;
  pivot[2] -= 4.0;
  for (gsize j = 0; j < model->n_atoms; j++)
    {
      gdouble *p = model->positions + 3 * j;
      gdouble x = p[0] - pivot[0], z = p[2] - pivot[2];
      p[0] = pivot[0] + cos (angle) * x + sin (angle) * z;
      p[2] = pivot[2] - sin (angle) * x + cos (angle) * z;
    }
  AetMatchStats s;
  g_assert_true (aet_match_atoms (ref, model, 0.9, &s, FALSE, &error));
  g_test_message ("turned by 1°: RMSD %.2f pm, rigid %.2f pm, turn %.3f° about (%.3f %.3f %.3f)",
                  s.rmsd_pm, s.rmsd_rigid_pm, s.rotation_deg, s.rotation_axis[0],
                  s.rotation_axis[1], s.rotation_axis[2]);
  g_assert_cmpuint (s.n_matched, ==, ref->n_atoms);
  g_assert_cmpfloat (fabs (s.rotation_deg - 1.0), <, 0.02);
  /* x' = x cos + z sin, z' = −x sin + z cos: a turn about +y */
  g_assert_cmpfloat (s.rotation_axis[1], >, 0.999);
  g_assert_cmpfloat (fabs (s.rmsd_rigid_pm - plain.rmsd_rigid_pm), <, 0.2);
  g_assert_cmpfloat (s.rmsd_pm, >, plain.rmsd_pm + 3.0);

  /* fewer than 3 pairs: no superposition */
  g_autoptr (AetAtoms) two = aet_atoms_new (2);
  aet_atoms_append (two, 78, ref->positions[0], ref->positions[1], ref->positions[2]);
  aet_atoms_append (two, 78, ref->positions[3], ref->positions[4], ref->positions[5]);
  g_assert_true (aet_match_atoms (ref, two, 0.9, &s, FALSE, &error));
  g_assert_true (isnan (s.rmsd_rigid_pm) && isnan (s.rotation_deg));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/match/offset-removed-and-rmsd", test_offset_removed_and_rmsd);
  g_test_add_func ("/compute/match/one-to-one-by-shortest-pair", test_one_to_one_by_shortest_pair);
  g_test_add_func ("/compute/match/surface-split", test_surface_split);
  g_test_add_func ("/compute/match/rigid-superposition", test_rigid_superposition);
  g_test_add_func ("/compute/match/bad-and-empty-input", test_bad_and_empty_input);
  return g_test_run ();
}
