/* Atomic layers of generated particles. */
#include "aet-analysis.h"
#include "aet-layers.h"
#include "analysis-test-util.h"

#include <math.h>

/* Layers along [111] of a perfect particle under a random rotation: the
 * spacing is a/√3 within 1 pm, one layer per occupied (111) plane, each with
 * the right atom count. */
static void
test_layers_111 (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (21);
  for (int trial = 0; trial < 3; trial++)
    {
      gdouble r[9], offset[3] = { 22, 23, 24 };
      test_random_rotation (rand, r);
      g_autofree gint *sites = NULL;
      g_autoptr (AetAtoms) atoms = test_truncated_octahedron (12, 7, r, offset, &sites);
      AetAnalysisOptions opt;
      aet_analysis_options_init (&opt);
      opt.layer_hkl_set = TRUE;
      opt.layer_hkl[0] = opt.layer_hkl[1] = opt.layer_hkl[2] = 1;
      g_autoptr (AetAnalysis) an = aet_analysis_run (atoms, &opt, NULL, NULL);
      g_assert_nonnull (an);
      const AetLayers *l = an->layers;
      gdouble expected = TEST_A / sqrt (3.0);
      g_test_message ("trial %d: %u layers, spacing %.6f Å (expected %.6f), error %.3g pm",
                      trial, l->layers->len, l->spacing, expected,
                      100 * fabs (l->spacing - expected));
      g_assert_cmpfloat (fabs (l->spacing - expected) * 100, <, 1.0);
      g_assert_cmpfloat_with_epsilon (l->expected_spacing, expected, 1e-6);
      g_assert_true (l->has_hkl);

      /* the fitted lattice may name the same planes by another member of
       * {111}: count atoms per plane along the true direction R·[hkl] */
      gdouble hc[3] = { l->hkl[0], l->hkl[1], l->hkl[2] }, hs[3];
      aet_lattice_fit_to_sample (&an->lattice, hc, hs);
      gint best[3] = { 1, 1, 1 };
      gdouble best_dot = -2;
      for (int sx = -1; sx <= 1; sx += 2)
        for (int sy = -1; sy <= 1; sy += 2)
          for (int sz = -1; sz <= 1; sz += 2)
            {
              gdouble v[3] = { sx / sqrt (3.0), sy / sqrt (3.0), sz / sqrt (3.0) }, w[3];
              test_rotate (r, v, w);
              gdouble d = w[0] * hs[0] + w[1] * hs[1] + w[2] * hs[2];
              if (d > best_dot)
                {
                  best_dot = d;
                  best[0] = sx, best[1] = sy, best[2] = sz;
                }
            }
      g_assert_cmpfloat (best_dot, >, 0.999999);
      gint lo = G_MAXINT, hi = G_MININT;
      for (gsize i = 0; i < atoms->n_atoms; i++)
        {
          gint p = best[0] * sites[3 * i] + best[1] * sites[3 * i + 1] + best[2] * sites[3 * i + 2];
          lo = MIN (lo, p);
          hi = MAX (hi, p);
        }
      /* planes x+y+z = p exist for even p only */
      g_assert_cmpuint (l->layers->len, ==, (hi - lo) / 2 + 1);
      const gfloat *col = aet_atoms_get_column (atoms, "layer");
      for (gsize i = 0; i < atoms->n_atoms; i++)
        {
          gint p = best[0] * sites[3 * i] + best[1] * sites[3 * i + 1] + best[2] * sites[3 * i + 2];
          g_assert_cmpint ((gint) col[i], ==, (p - lo) / 2);
        }
    }
}

/* Synthetic planes with in-plane scatter and a little jitter along the
 * direction: every atom lands in its plane, spacing recovered. */
static void
test_layers_direct (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  const gdouble spacing = 1.96, dir[3] = { 0, 0, 2 };
  const guint nl = 9, per = 40;
  g_autofree gdouble *pos = g_new (gdouble, 3 * nl * per);
  for (guint l = 0; l < nl; l++)
    for (guint k = 0; k < per; k++)
      {
        gdouble *p = pos + 3 * (l * per + k);
        p[0] = g_rand_double_range (rand, -10, 10);
        p[1] = g_rand_double_range (rand, -10, 10);
        p[2] = 5 + l * spacing + g_rand_double_range (rand, -0.15, 0.15);
      }
  g_autofree gint *which = g_new (gint, nl * per);
  for (int known = 0; known < 2; known++)
    {
      g_autoptr (AetLayers) layers = aet_layers_find (pos, nl * per, dir,
                                                      known ? spacing : 0, which);
      g_assert_cmpuint (layers->layers->len, ==, nl);
      g_assert_cmpfloat (fabs (layers->spacing - spacing), <, 0.02);
      g_assert_cmpfloat (layers->direction[2], ==, 1.0);
      for (guint i = 0; i < nl * per; i++)
        g_assert_cmpint (which[i], ==, (gint) (i / per));
      for (guint l = 0; l < nl; l++)
        g_assert_cmpuint (g_array_index (layers->layers, AetLayer, l).n_atoms, ==, per);
    }
  /* a zero direction gives no layers and no assignment */
  gdouble zero[3] = { 0 };
  g_autoptr (AetLayers) none = aet_layers_find (pos, nl * per, zero, 0, which);
  g_assert_cmpuint (none->layers->len, ==, 0);
  g_assert_cmpint (which[0], ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/layers/fcc-111", test_layers_111);
  g_test_add_func ("/compute/layers/direct", test_layers_direct);
  return g_test_run ();
}
