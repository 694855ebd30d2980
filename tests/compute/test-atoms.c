#include "aet-atoms.h"
#include "aet-elements.h"
#include "aet-atom-density.h"

#include <math.h>

static void
test_append_and_columns (void)
{
  g_autoptr (AetAtoms) a = aet_atoms_new (1);
  for (int i = 0; i < 100; i++)
    aet_atoms_append (a, 78, i, 2.0 * i, -i);
  gfloat *intensity = aet_atoms_ensure_column (a, "intensity");
  for (int i = 0; i < 100; i++)
    intensity[i] = (gfloat) i;
  /* growing after a column exists keeps old values and zero-fills new ones */
  for (int i = 0; i < 100; i++)
    aet_atoms_append (a, 79, 0, 0, 0);
  intensity = aet_atoms_get_column (a, "intensity");
  g_assert_cmpuint (a->n_atoms, ==, 200);
  g_assert_cmpfloat (intensity[99], ==, 99.0f);
  g_assert_cmpfloat (intensity[150], ==, 0.0f);
  g_assert_cmpuint (a->elements[150], ==, 79);
  g_assert_cmpfloat (a->positions[3 * 10 + 1], ==, 20.0);
  g_assert_null (aet_atoms_get_column (a, "strain"));
  g_assert_cmpuint (aet_atoms_n_columns (a), ==, 1);
  g_assert_cmpstr (aet_atoms_column_name (a, 0), ==, "intensity");
}

static void
test_dup_filter_centroid (void)
{
  g_autoptr (AetAtoms) a = aet_atoms_new (4);
  aet_atoms_append (a, 78, 0, 0, 0);
  aet_atoms_append (a, 78, 2, 0, 0);
  aet_atoms_append (a, 78, 0, 4, 0);
  aet_atoms_ensure_column (a, "facet")[2] = 7.0f;
  g_autoptr (AetAtoms) b = aet_atoms_dup (a);
  aet_atoms_ensure_column (b, "facet")[2] = 1.0f;
  g_assert_cmpfloat (aet_atoms_get_column (a, "facet")[2], ==, 7.0f);
  gboolean keep[3] = { FALSE, TRUE, TRUE };
  g_autoptr (AetAtoms) c = aet_atoms_filter (a, keep);
  g_assert_cmpuint (c->n_atoms, ==, 2);
  g_assert_cmpfloat (aet_atoms_get_column (c, "facet")[1], ==, 7.0f);
  gdouble centroid[3];
  aet_atoms_centroid (a, centroid);
  g_assert_cmpfloat_with_epsilon (centroid[0], 2.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (centroid[1], 4.0 / 3.0, 1e-12);
}

static void
test_element_symbols (void)
{
  g_assert_cmpuint (aet_element_from_symbol ("Pt"), ==, 78);
  g_assert_cmpuint (aet_element_from_symbol ("au"), ==, 79);
  g_assert_cmpuint (aet_element_from_symbol ("Xx"), ==, 0);
  g_assert_cmpstr (aet_element_symbol (46), ==, "Pd");
  g_assert_cmpstr (aet_element_symbol (103), ==, "Lr");
  g_assert_cmpstr (aet_element_symbol (500), ==, "X");
}

static void
test_gaussian_density_centre_and_mass (void)
{
  /* One atom at an off-grid position: the density's centroid is the atom's
   * position and its integral is amplitude·(2π)^{3/2}σ³, for 1 and 3 threads. */
  for (guint threads = 1; threads <= 3; threads += 2)
    {
      g_autoptr (AetAtoms) a = aet_atoms_new (1);
      aet_atoms_append (a, 78, 5.13, 4.02, 6.77);
      g_autoptr (AetVolume) v = aet_volume_new (32, 30, 36, 0.357);
      aet_render_gaussian_atoms (a, v, 4.0, 2.0, NULL, threads);
      gdouble m = 0, c[3] = { 0 };
      for (gint k = 0; k < v->nz; k++)
        for (gint j = 0; j < v->ny; j++)
          for (gint i = 0; i < v->nx; i++)
            {
              gdouble x = v->data[aet_volume_index (v, i, j, k)];
              m += x;
              c[0] += x * i * v->voxel_size;
              c[1] += x * j * v->voxel_size;
              c[2] += x * k * v->voxel_size;
            }
      gdouble sigma = aet_b_to_sigma (4.0);
      g_assert_cmpfloat_with_epsilon (sigma, 0.450, 0.001);
      gdouble expect = 2.0 * pow (2 * G_PI, 1.5) * pow (sigma / v->voxel_size, 3);
      g_assert_cmpfloat_with_epsilon (m / expect, 1.0, 1e-3);
      g_assert_cmpfloat_with_epsilon (c[0] / m, 5.13, 1e-4);
      g_assert_cmpfloat_with_epsilon (c[1] / m, 4.02, 1e-4);
      g_assert_cmpfloat_with_epsilon (c[2] / m, 6.77, 1e-4);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/atoms/append-and-columns", test_append_and_columns);
  g_test_add_func ("/compute/atoms/dup-filter-centroid", test_dup_filter_centroid);
  g_test_add_func ("/compute/elements/symbols", test_element_symbols);
  g_test_add_func ("/compute/atom-density/centre-and-mass", test_gaussian_density_centre_and_mass);
  return g_test_run ();
}
