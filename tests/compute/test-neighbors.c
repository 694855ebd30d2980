#include "aet-neighbors.h"

#include <math.h>

/* Random points in a box, with a few duplicates and one non-finite point. */
static gdouble *
make_points (GRand *rng, gsize n, gdouble box)
{
  gdouble *pos = g_new (gdouble, 3 * n);
  for (gsize i = 0; i < 3 * n; i++)
    pos[i] = g_rand_double_range (rng, -box / 2, box / 2);
  for (gsize i = 10; i < 15 && i < n; i++)
    for (int a = 0; a < 3; a++)
      pos[3 * i + a] = pos[3 * (i - 10) + a];
  if (n > 20)
    pos[3 * 20 + 1] = NAN;
  return pos;
}

static gdouble
dist (const gdouble *a, const gdouble *b)
{
  return sqrt ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1])
               + (a[2] - b[2]) * (a[2] - b[2]));
}

static void
test_within_matches_brute_force (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  const gsize n = 800;
  g_autofree gdouble *pos = make_points (rng, n, 30.0);
  const gdouble cells[] = { 0.7, 2.5, 9.0, 0.0 };
  for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
    {
      g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, n, cells[c]);
      g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (guint));
      for (int q = 0; q < 200; q++)
        {
          gdouble p[3];
          for (int a = 0; a < 3; a++)
            p[a] = g_rand_double_range (rng, -20, 20);
          gdouble radius = g_rand_double_range (rng, 0, 6);
          g_array_set_size (got, 0);
          g_array_append_val (got, (guint) { 99999 });  /* appends keep what was there */
          guint count = aet_neighbors_within (nb, p, radius, got);
          g_assert_cmpuint (got->len, ==, count + 1);
          g_assert_cmpuint (g_array_index (got, guint, 0), ==, 99999);
          guint k = 1;
          for (gsize i = 0; i < n; i++)
            {
              const gdouble *x = pos + 3 * i;
              if (isfinite (x[1]) && dist (x, p) <= radius)
                {
                  g_assert_cmpuint (k, <, got->len);
                  g_assert_cmpuint (g_array_index (got, guint, k), ==, i);
                  k++;
                }
            }
          g_assert_cmpuint (k, ==, got->len);
        }
    }
}

static void
test_nearest_matches_brute_force (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  const gsize n = 500;
  g_autofree gdouble *pos = make_points (rng, n, 25.0);
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, n, 2.0);
  for (int q = 0; q < 400; q++)
    {
      gdouble p[3];
      /* some queries far outside the points' bounding box */
      gdouble span = q < 300 ? 15 : 200;
      for (int a = 0; a < 3; a++)
        p[a] = g_rand_double_range (rng, -span, span);
      gdouble max_dist = q % 3 == 0 ? -1.0 : g_rand_double_range (rng, 0.5, 4.0);
      gssize want = -1;
      gdouble want_d = INFINITY;
      for (gsize i = 0; i < n; i++)
        {
          gdouble d = dist (pos + 3 * i, p);
          if (isfinite (d) && d < want_d && (max_dist < 0 || d <= max_dist))
            {
              want = (gssize) i;
              want_d = d;
            }
        }
      gdouble got_d = -1;
      gssize got = aet_neighbors_nearest (nb, p, max_dist, &got_d);
      g_assert_cmpint (got, ==, want);
      if (want >= 0)
        g_assert_cmpfloat_with_epsilon (got_d, want_d, 1e-12);
      else
        g_assert_true (isinf (got_d));
    }
  /* a duplicated point: the lower index wins, at distance 0 */
  gdouble d;
  g_assert_cmpint (aet_neighbors_nearest (nb, pos + 3 * 12, 1.0, &d), ==, 2);
  g_assert_cmpfloat (d, ==, 0.0);
}

static void
test_degenerate_inputs (void)
{
  /* empty set */
  g_autoptr (AetNeighbors) empty = aet_neighbors_new (NULL, 0, 2.0);
  gdouble p[3] = { 0, 0, 0 };
  g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));
  g_assert_cmpuint (aet_neighbors_within (empty, p, 5.0, out), ==, 0);
  g_assert_cmpint (aet_neighbors_nearest (empty, p, -1, NULL), ==, -1);

  /* two points very far apart with a tiny cell: the grid must not explode */
  gdouble far[6] = { 0, 0, 0, 1e6, 1e6, 1e6 };
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (far, 2, 0.01);
  gdouble q[3] = { 1e6, 1e6, 1e6 - 0.5 };
  gdouble d;
  g_assert_cmpint (aet_neighbors_nearest (nb, q, 1.0, &d), ==, 1);
  g_assert_cmpfloat_with_epsilon (d, 0.5, 1e-9);
  g_assert_cmpint (aet_neighbors_nearest (nb, q, 0.4, NULL), ==, -1);
  g_assert_cmpuint (aet_neighbors_within (nb, p, 2e6, out), ==, 2);

  /* non-finite queries find nothing */
  gdouble bad[3] = { NAN, 0, 0 };
  g_assert_cmpint (aet_neighbors_nearest (nb, bad, -1, NULL), ==, -1);
  g_array_set_size (out, 0);
  g_assert_cmpuint (aet_neighbors_within (nb, bad, 10, out), ==, 0);
  g_assert_cmpuint (aet_neighbors_within (nb, p, -1, out), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/neighbors/within-matches-brute-force",
                   test_within_matches_brute_force);
  g_test_add_func ("/compute/neighbors/nearest-matches-brute-force",
                   test_nearest_matches_brute_force);
  g_test_add_func ("/compute/neighbors/degenerate-inputs", test_degenerate_inputs);
  return g_test_run ();
}
