/* The JSON writer, and the report and CSV built on it. */
#include "aet-analysis.h"
#include "aet-error.h"
#include "aet-json.h"
#include "aet-report.h"
#include "analysis-test-util.h"
#include "scratch-dir.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static void
test_structure (void)
{
  g_autoptr (AetJsonWriter) w = aet_json_writer_new (FALSE);
  aet_json_begin_object (w);
  aet_json_member_int (w, "n", 3);
  aet_json_key (w, "list");
  aet_json_begin_array (w);
  aet_json_number (w, 0.5);
  aet_json_bool (w, TRUE);
  aet_json_null (w);
  aet_json_begin_object (w);
  aet_json_end_object (w);
  aet_json_begin_array (w);
  aet_json_end_array (w);
  aet_json_end_array (w);
  aet_json_member_string (w, "s", "x");
  gdouble v[2] = { 1, NAN };
  aet_json_key (w, "v");
  aet_json_number_array (w, v, 2);
  g_assert_false (aet_json_writer_is_complete (w));
  aet_json_end_object (w);
  g_assert_true (aet_json_writer_is_complete (w));
  g_assert_cmpstr (aet_json_writer_get_text (w), ==,
                   "{\"n\":3,\"list\":[0.5,true,null,{},[]],\"s\":\"x\",\"v\":[1,null]}");

  g_autoptr (AetJsonWriter) p = aet_json_writer_new (TRUE);
  aet_json_begin_object (p);
  aet_json_member_number (p, "a", 1.5);
  aet_json_key (p, "b");
  aet_json_begin_array (p);
  aet_json_int (p, -2);
  aet_json_end_array (p);
  aet_json_end_object (p);
  g_assert_cmpstr (aet_json_writer_get_text (p), ==,
                   "{\n  \"a\": 1.5,\n  \"b\": [\n    -2\n  ]\n}");
}

static void
test_numbers (void)
{
  char buf[32];
  aet_json_format_number (0.1, buf);
  g_assert_cmpstr (buf, ==, "0.1");
  aet_json_format_number (-3, buf);
  g_assert_cmpstr (buf, ==, "-3");
  aet_json_format_number (1e300, buf);
  g_assert_cmpstr (buf, ==, "1e+300");
  aet_json_format_number (NAN, buf);
  g_assert_cmpstr (buf, ==, "null");
  aet_json_format_number (-INFINITY, buf);
  g_assert_cmpstr (buf, ==, "null");
  aet_json_format_number (-0.0, buf);
  g_assert_cmpstr (buf, ==, "-0");
  /* every double reads back exactly */
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  for (int k = 0; k < 20000; k++)
    {
      gdouble x = g_rand_double_range (rand, -1, 1)
                  * pow (10, g_rand_int_range (rand, -30, 30));
      aet_json_format_number (x, buf);
      g_assert_cmpfloat (g_ascii_strtod (buf, NULL), ==, x);
      g_assert_null (strchr (buf, ','));
    }
  aet_json_format_number (1.0 / 3.0, buf);
  g_assert_cmpuint (strlen (buf), <=, 19);
}

static void
test_escape (void)
{
  g_autoptr (AetJsonWriter) w = aet_json_writer_new (FALSE);
  aet_json_begin_array (w);
  aet_json_string (w, "a\"b\\c\nd\te\001f Å");
  aet_json_string (w, NULL);
  aet_json_end_array (w);
  g_assert_cmpstr (aet_json_writer_get_text (w), ==,
                   "[\"a\\\"b\\\\c\\nd\\te\\u0001f Å\",null]");
  char *text = aet_json_writer_free_to_text (g_steal_pointer (&w));
  g_assert_true (g_str_has_suffix (text, "]\n"));
  g_free (text);
}

/* Every key in the report (a quoted string followed by a colon) is named in
 * docs/report.md as `key`; brackets balance outside strings. */
static void
check_keys_documented (const char *json)
{
  g_autofree char *doc_path = g_test_build_filename (G_TEST_DIST, "..", "docs", "report.md",
                                                     NULL);
  g_autofree char *doc = NULL;
  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, NULL));
  gint depth = 0;
  guint keys = 0;
  for (const char *p = json; *p; p++)
    {
      if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']')
        depth--;
      g_assert_cmpint (depth, >=, 0);
      if (*p != '"')
        continue;
      const char *start = ++p;
      while (*p && *p != '"')
        p += *p == '\\' ? 2 : 1;
      g_autofree char *word = g_strndup (start, p - start);
      /* facet_families is keyed by family names such as {111} */
      if (p[1] == ':' && word[0] != '{')
        {
          g_autofree char *quoted = g_strdup_printf ("`%s`", word);
          if (strstr (doc, quoted) == NULL)
            g_error ("report key \"%s\" is not documented in docs/report.md", word);
          keys++;
        }
    }
  g_assert_cmpint (depth, ==, 0);
  g_test_message ("%u report keys, all documented", keys);
}

static void
test_report_and_csv (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (31);
  gdouble r[9], offset[3] = { 20, 20, 20 };
  test_random_rotation (rand, r);
  g_autoptr (AetAtoms) atoms = test_truncated_octahedron (8, 5, r, offset, NULL);
  g_autoptr (AetAnalysis) an = aet_analysis_run (atoms, NULL, NULL, NULL);
  g_assert_nonnull (an);
  AetReportValue match[2] = { { "rmsd_pm", 12.5 }, { "recall", NAN } };
  g_autofree char *json = aet_report_to_json (an, "match", match, 2);
  check_keys_documented (json);
  g_assert_nonnull (strstr (json, "\"rmsd_pm\": 12.5"));
  g_assert_nonnull (strstr (json, "\"recall\": null"));
  g_assert_nonnull (strstr (json, "\"family\": \"{111}\""));

  g_autofree char *dir = aet_test_scratch_dir_new ("aet-report");
  g_autofree char *path = g_build_filename (dir, "report.json", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "atoms.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_report_save (path, an, NULL, NULL, 0, &error));
  g_assert_no_error (error);
  g_assert_true (aet_report_save_csv (csv_path, atoms, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL, *csv = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "{\n  \"format\": \"aet-report\""));
  g_assert_null (strstr (text, "\"match\""));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, atoms->n_atoms + 2); /* + header, final "" */
  g_assert_true (g_str_has_prefix (lines[0], "index,element,x,y,z,"));
  static const char *const cols[] = { "coordination", "surface", "facet", "layer",
                                      "displacement_pm", "strain_xx", "strain_yz",
                                      "strain_vol", "strain_radial" };
  g_auto (GStrv) header = g_strsplit (lines[0], ",", -1);
  guint ncols = g_strv_length (header);
  for (guint k = 0; k < G_N_ELEMENTS (cols); k++)
    g_assert_true (g_strv_contains ((const char *const *) header, cols[k]));
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i + 1], ",", -1);
      g_assert_cmpuint (g_strv_length (f), ==, ncols);
      g_assert_cmpstr (f[1], ==, "Pt");
      g_assert_cmpfloat (g_ascii_strtod (f[2], NULL), ==, atoms->positions[3 * i]);
    }
  aet_test_remove_tree (dir);

  /* a folder that does not exist: a clear error, no crash */
  g_autoptr (GError) bad = NULL;
  g_assert_false (aet_report_save ("/nonexistent-aet/report.json", an, NULL, NULL, 0, &bad));
  g_assert_error (bad, AET_ERROR, AET_ERROR_IO);
  g_assert_nonnull (strstr (bad->message, "report.json"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/json/structure", test_structure);
  g_test_add_func ("/compute/json/numbers", test_numbers);
  g_test_add_func ("/compute/json/escape", test_escape);
  g_test_add_func ("/compute/json/report-and-csv", test_report_and_csv);
  return g_test_run ();
}
