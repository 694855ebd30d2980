#include "aet-atoms.h"
#include "aet-elements.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/atoms/append-and-columns", test_append_and_columns);
  g_test_add_func ("/compute/atoms/dup-filter-centroid", test_dup_filter_centroid);
  g_test_add_func ("/compute/elements/symbols", test_element_symbols);
  return g_test_run ();
}
