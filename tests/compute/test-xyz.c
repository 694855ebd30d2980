/* Tests of aet-xyz (XYZ and extended XYZ) and aet-pdb. */
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-pdb.h"
#include "aet-xyz.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "scratch-dir.h"
#include "fuzz-files.h"

static char *
write_text (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* Reading `text` as truth.xyz fails with exactly `message` and `code`. */
static void
assert_read_error (const char *text, gint code, const char *message)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = write_text (dir, "truth.xyz", text);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) atoms = aet_xyz_read (path, &error);
  g_assert_null (atoms);
  g_assert_error (error, AET_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
  aet_test_remove_tree (dir);
}

static AetAtoms *
random_atoms (guint n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  AetAtoms *a = aet_atoms_new (n);
  for (guint i = 0; i < n; i++)
    {
      /* positions exactly as %.6f text reads back, so they compare bit for bit */
      gdouble p[3];
      for (int d = 0; d < 3; d++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_ascii_formatd (buf, sizeof buf, "%.6f", g_rand_double_range (rand, -60, 60));
          p[d] = g_ascii_strtod (buf, NULL);
        }
      aet_atoms_append (a, i % 3 == 0 ? 78 : (i % 3 == 1 ? 46 : 8), p[0], p[1], p[2]);
    }
  gfloat *intensity = aet_atoms_ensure_column (a, "intensity");
  gfloat *strain = aet_atoms_ensure_column (a, "strain");
  gfloat *facet = aet_atoms_ensure_column (a, "facet");
  for (guint i = 0; i < n; i++)
    {
      /* random bit patterns of finite floats, tiny and huge included */
      intensity[i] = (gfloat) g_rand_double_range (rand, -1e6, 1e6);
      strain[i] = (gfloat) (g_rand_double_range (rand, -1, 1)
                            * pow (10, g_rand_int_range (rand, -30, 30)));
      facet[i] = (gfloat) g_rand_int_range (rand, 0, 14);
    }
  strain[0] = 1.17549435e-38f;   /* smallest normal */
  strain[1] = 3.40282347e+38f;   /* largest */
  strain[2] = -0.0f;
  return a;
}

static void
test_round_trip (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = g_build_filename (dir, "atoms.xyz", NULL);
  g_autoptr (AetAtoms) a = random_atoms (500, 7);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_xyz_write (path, a, "a \"quoted\" comment\nwith a newline", &error));
  g_assert_no_error (error);
  g_autoptr (AetAtoms) b = aet_xyz_read (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);
  g_assert_cmpuint (b->n_atoms, ==, a->n_atoms);
  g_assert_cmpmem (b->positions, 3 * b->n_atoms * sizeof (gdouble), a->positions,
                   3 * a->n_atoms * sizeof (gdouble));
  g_assert_cmpmem (b->elements, b->n_atoms, a->elements, a->n_atoms);
  g_assert_cmpuint (aet_atoms_n_columns (b), ==, 3);
  for (guint c = 0; c < 3; c++)
    {
      g_assert_cmpstr (aet_atoms_column_name (b, c), ==, aet_atoms_column_name (a, c));
      g_assert_cmpmem (aet_atoms_column_values (b, c), b->n_atoms * sizeof (gfloat),
                       aet_atoms_column_values (a, c), a->n_atoms * sizeof (gfloat));
    }
  /* the header is what OVITO expects */
  g_autofree char *text = NULL;
  g_file_get_contents (path, &text, NULL, NULL);
  g_assert_true (g_str_has_prefix (text, "500\nProperties=species:S:1:pos:R:3:intensity:R:1:"
                                         "strain:R:1:facet:R:1 comment=\"a 'quoted' comment "
                                         "with a newline\"\nPt "));
  /* no temporary file is left beside it */
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (d), ==, "atoms.xyz");
  g_assert_null (g_dir_read_name (d));
  aet_test_remove_tree (dir);
}

static void
test_empty_set_round_trip (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = g_build_filename (dir, "none.xyz", NULL);
  g_autoptr (AetAtoms) a = aet_atoms_new (0);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_xyz_write (path, a, NULL, &error));
  g_autoptr (AetAtoms) b = aet_xyz_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b->n_atoms, ==, 0);
  aet_test_remove_tree (dir);
}

static void
test_plain_xyz (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = write_text (dir, "plain.xyz",
                                      "3\r\n"
                                      "a plain file, with = signs and \"odd quotes\r\n"
                                      "Pt 1.5 -2.25 3e1 extra columns 7\r\n"
                                      "  79\t0 0 0\r\n"
                                      "pd 1 2 3\r\n"
                                      "\r\n\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) a = aet_xyz_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_atoms, ==, 3);
  g_assert_cmpuint (a->elements[0], ==, 78);
  g_assert_cmpuint (a->elements[1], ==, 79);
  g_assert_cmpuint (a->elements[2], ==, 46);
  g_assert_cmpfloat (a->positions[0], ==, 1.5);
  g_assert_cmpfloat (a->positions[1], ==, -2.25);
  g_assert_cmpfloat (a->positions[2], ==, 30.0);
  g_assert_cmpfloat (a->positions[8], ==, 3.0);
  g_assert_cmpuint (aet_atoms_n_columns (a), ==, 0);
  aet_test_remove_tree (dir);
}

static void
test_ase_ovito_extended (void)
{
  /* As ASE writes it: Lattice first, a string column, an integer column,
   * a 3-component vector and a logical column. */
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = write_text (
    dir, "ase.xyz",
    "2\n"
    "Lattice=\"10.0 0.0 0.0 0.0 10.0 0.0 0.0 0.0 10.0\" "
    "Properties=species:S:1:pos:R:3:tag:S:1:Z:I:1:forces:R:3:fixed:L:1:energy:R:1 "
    "pbc=\"T T T\" energy=-12.5\n"
    "Pt  0.10000000  0.20000000  0.30000000 surf 78  1.0 -2.0 3.5 T -4.25\n"
    "Au 10.00000000 20.00000000 30.00000000 core 79  0.0  0.0 0.0 F  1e-3\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) a = aet_xyz_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_atoms, ==, 2);
  g_assert_cmpuint (a->elements[0], ==, 78);
  g_assert_cmpuint (a->elements[1], ==, 79);
  g_assert_cmpfloat (a->positions[3], ==, 10.0);
  g_assert_cmpfloat (a->positions[5], ==, 30.0);
  /* Z (with species present) is skipped; forces splits into three columns */
  g_assert_cmpuint (aet_atoms_n_columns (a), ==, 4);
  g_assert_cmpstr (aet_atoms_column_name (a, 0), ==, "forces_0");
  g_assert_cmpstr (aet_atoms_column_name (a, 3), ==, "energy");
  g_assert_cmpfloat (aet_atoms_get_column (a, "forces_1")[0], ==, -2.0f);
  g_assert_cmpfloat (aet_atoms_get_column (a, "forces_2")[0], ==, 3.5f);
  g_assert_cmpfloat (aet_atoms_get_column (a, "energy")[0], ==, -4.25f);
  g_assert_cmpfloat (aet_atoms_get_column (a, "energy")[1], ==, 1e-3f);

  /* OVITO style: element as atomic number via Z, no species, lowercase key */
  g_autofree char *path2 = write_text (dir, "ovito.xyz",
                                       "1\n"
                                       "properties=Z:I:1:pos:R:3:c_cna:I:1\n"
                                       "46 1 2 3 5\n");
  g_autoptr (AetAtoms) b = aet_xyz_read (path2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b->elements[0], ==, 46);
  g_assert_cmpfloat (aet_atoms_get_column (b, "c_cna")[0], ==, 5.0f);
  aet_test_remove_tree (dir);
}

static void
test_bad_inputs (void)
{
  assert_read_error ("", AET_ERROR_FORMAT, "truth.xyz: empty file");
  assert_read_error ("  \n\n", AET_ERROR_FORMAT, "truth.xyz: empty file");
  assert_read_error ("three\nc\nPt 0 0 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 1: expected the number of atoms, got 'three'");
  assert_read_error ("2\nc\nPt 0 0 0\nPt 1 1\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 4: expected 'El x y z', got 'Pt 1 1'");
  assert_read_error ("1\nc\nPt 0 zero 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 3: expected 'El x y z', got 'Pt 0 zero 0'");
  /* long lines are cut in the message */
  assert_read_error ("1\nc\nPt 0 0 0,00000000000000000000000000000000000000000000000\n",
                     AET_ERROR_FORMAT,
                     "truth.xyz: line 3: expected 'El x y z', got "
                     "'Pt 0 0 0,0000000000000000000000000000000…'");
  assert_read_error ("2\nc\nPt 0 0 0\nQq 1 1 1\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 4: unknown element 'Qq'");
  assert_read_error ("1\nc\n119 1 1 1\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 3: unknown element '119'");
  assert_read_error ("1\nc\nPt nan 0 0\n", AET_ERROR_DATA,
                     "truth.xyz: line 3: coordinate 'nan' is not a finite number");
  assert_read_error ("1\nc\nPt 0 0 inf\n", AET_ERROR_DATA,
                     "truth.xyz: line 3: coordinate 'inf' is not a finite number");
  assert_read_error ("4\nc\nPt 0 0 0\nPt 1 1 1\n", AET_ERROR_FORMAT,
                     "truth.xyz: the count line says 4 atoms but only 2 follow (truncated?)");
  assert_read_error ("5\n", AET_ERROR_FORMAT,
                     "truth.xyz: the count line says 5 atoms but only 0 follow (truncated?)");
  assert_read_error ("1\nc\nPt 0 0 0\nPt 1 1 1\n", AET_ERROR_FORMAT,
                     "truth.xyz: the count line says 1 atoms but more lines follow "
                     "(line 4: 'Pt 1 1 1')");
  assert_read_error ("1\nProperties=species:S:1:pos:R:3:q:R:1\nPt 0 0 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 3: expected 5 columns as Properties says, got 'Pt 0 0 0'");
  assert_read_error ("1\nProperties=species:S:1:pos:R:3:q:R:1\nPt 0 0 0 x\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 3: column 'q' is not a number: 'x'");
  assert_read_error ("1\nProperties=species:S:1:q:R:1\nPt 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 2: Properties has no pos:R:3 column");
  assert_read_error ("1\nProperties=pos:R:3\n0 0 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 2: Properties has no species:S:1 column");
  assert_read_error ("1\nProperties=species:S:1:pos:R\nPt 0 0 0\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 2: cannot read Properties=species:S:1:pos:R "
                     "(expected name:type:count triples)");
  assert_read_error ("1\nProperties=species:S:1:pos:R:3:a:R:1:a:R:1\nPt 0 0 0 1 2\n",
                     AET_ERROR_FORMAT, "truth.xyz: line 2: Properties names the column 'a' twice");
  assert_read_error ("1\nc\nPt 0 0 0\x80\n", AET_ERROR_FORMAT,
                     "truth.xyz: line 3: expected 'El x y z', got 'Pt 0 0 0\xef\xbf\xbd'");

  g_autoptr (GError) error = NULL;
  g_assert_null (aet_xyz_read ("/nonexistent/dir/truth.xyz", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "truth.xyz: cannot read the file: "));
}

static void
test_write_refuses_bad_atoms (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = g_build_filename (dir, "bad.xyz", NULL);
  g_autoptr (AetAtoms) a = aet_atoms_new (2);
  aet_atoms_append (a, 78, 0, 0, 0);
  aet_atoms_append (a, 78, NAN, 0, 0);
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_xyz_write (path, a, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpstr (error->message, ==,
                   "bad.xyz: atom 1 has a coordinate that is not a finite number");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  aet_test_remove_tree (dir);
}

/* Splits text into lines in place (linear: g_strsplit is quadratic under
 * AddressSanitizer's strstr check).  The array borrows from text. */
static GPtrArray *
split_lines (char *text)
{
  GPtrArray *lines = g_ptr_array_new ();
  char *start = text;
  for (char *c = text; *c != '\0'; c++)
    if (*c == '\n')
      {
        *c = '\0';
        g_ptr_array_add (lines, start);
        start = c + 1;
      }
  g_ptr_array_add (lines, start);
  return lines;
}

/* The text of columns [from, to] (1-based, inclusive) of a record. */
static char *
field (const char *line, int from, int to)
{
  return g_strndup (line + from - 1, (gsize) (to - from + 1));
}

static void
test_pdb_columns (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = g_build_filename (dir, "atoms.pdb", NULL);
  g_autoptr (AetAtoms) a = aet_atoms_new (3);
  aet_atoms_append (a, 78, 1.2345, -20.5, 300.25);
  aet_atoms_append (a, 8, -999.0, 9999.9994, 0.0);
  aet_atoms_append (a, 46, 0.0, 0.0, 0.0);
  gfloat *strain = aet_atoms_ensure_column (a, "strain");
  strain[0] = 12.5f;
  strain[1] = 5000.0f;  /* clamped */
  strain[2] = -1234.0f; /* clamped */
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_pdb_write (path, a, "strain", &error));
  g_assert_no_error (error);

  g_autofree char *text = NULL;
  g_file_get_contents (path, &text, NULL, NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n_atoms = 0;
  const char *expect_name[3] = { "PT  ", " O  ", "PD  " };
  const char *expect_el[3] = { "PT", " O", "PD" };
  gdouble expect_b[3] = { 12.5, 999.99, -99.99 };
  for (guint l = 0; lines[l] != NULL; l++)
    {
      if (!g_str_has_prefix (lines[l], "HETATM"))
        continue;
      const char *line = lines[l];
      guint i = n_atoms++;
      g_assert_cmpuint (strlen (line), ==, 80);
      g_autofree char *serial = field (line, 7, 11);
      g_autofree char *name = field (line, 13, 16);
      g_autofree char *res = field (line, 18, 20);
      g_autofree char *x = field (line, 31, 38);
      g_autofree char *y = field (line, 39, 46);
      g_autofree char *z = field (line, 47, 54);
      g_autofree char *occ = field (line, 55, 60);
      g_autofree char *b = field (line, 61, 66);
      g_autofree char *el = field (line, 77, 78);
      g_assert_cmpint (atoi (serial), ==, (int) i + 1);
      g_assert_cmpstr (name, ==, expect_name[i]);
      g_assert_cmpstr (res, ==, " NP");
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (x, NULL), a->positions[3 * i], 5e-4);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (y, NULL), a->positions[3 * i + 1], 5e-4);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (z, NULL), a->positions[3 * i + 2], 5e-4);
      g_assert_cmpfloat (g_ascii_strtod (occ, NULL), ==, 1.0);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (b, NULL), expect_b[i], 1e-9);
      g_assert_cmpstr (el, ==, expect_el[i]);
      /* the blanks between fields are blank */
      g_assert_cmpint (line[11], ==, ' ');
      g_assert_cmpint (line[16], ==, ' ');
      g_assert_cmpint (line[20], ==, ' ');
    }
  g_assert_cmpuint (n_atoms, ==, 3);
  g_assert_true (g_str_has_suffix (text, "END\n"));

  /* no column: B = 0; unknown column: error; coordinates PDB cannot hold: error */
  g_assert_true (aet_pdb_write (path, a, NULL, &error));
  g_clear_pointer (&text, g_free);
  g_file_get_contents (path, &text, NULL, NULL);
  const char *first = strstr (text, "HETATM");
  g_autofree char *b0 = field (first, 61, 66);
  g_assert_cmpstr (b0, ==, "  0.00");
  g_assert_false (aet_pdb_write (path, a, "nope", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "atoms.pdb: the atoms have no column 'nope' for the B-factor");
  g_clear_error (&error);
  aet_atoms_append (a, 78, 10000.0, 0, 0);
  g_assert_false (aet_pdb_write (path, a, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpstr (error->message, ==,
                   "atoms.pdb: atom 3 has coordinate 10000 Å, outside what PDB holds "
                   "(-999.999 to 9999.999)");
  aet_test_remove_tree (dir);
}

static void
test_pdb_serial_wraps (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-xyz");
  g_autofree char *path = g_build_filename (dir, "big.pdb", NULL);
  g_autoptr (AetAtoms) a = aet_atoms_new (100001);
  for (guint i = 0; i < 100001; i++)
    aet_atoms_append (a, 78, i % 100, i % 7, 0);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_pdb_write (path, a, NULL, &error));
  g_autofree char *text = NULL;
  g_file_get_contents (path, &text, NULL, NULL);
  g_autoptr (GPtrArray) lines = split_lines (text);
  g_assert_cmpuint (lines->len, ==, 100004);  /* REMARK, atoms, END, "" */
  /* line 0 is the REMARK; atom i is line i + 1 */
  g_autofree char *s99999 = field (lines->pdata[99999], 7, 11);
  g_autofree char *s100000 = field (lines->pdata[100000], 7, 11);
  g_autofree char *r100000 = field (lines->pdata[100000], 23, 26);
  g_assert_cmpstr (s99999, ==, "99999");
  g_assert_cmpstr (s100000, ==, "    1");
  g_assert_cmpstr (r100000, ==, "   2");
  g_assert_cmpuint (strlen (lines->pdata[100001]), ==, 80);
  aet_test_remove_tree (dir);
}

static gboolean
read_xyz (const char *path, GError **error)
{
  g_autoptr (AetAtoms) atoms = aet_xyz_read (path, error);
  return atoms != NULL;
}

/* The seed corpus reads; every other input either reads or fails with a
 * one-line message naming the file (tests/common/fuzz-files.h). */
static void
test_fuzz_regressions (void)
{
  aet_test_check_fuzz_folder ("corpus-xyz", NULL, read_xyz, AET_TEST_FUZZ_MUST_READ);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/xyz/round-trip", test_round_trip);
  g_test_add_func ("/compute/xyz/empty-set", test_empty_set_round_trip);
  g_test_add_func ("/compute/xyz/plain", test_plain_xyz);
  g_test_add_func ("/compute/xyz/extended-ase-ovito", test_ase_ovito_extended);
  g_test_add_func ("/compute/xyz/bad-inputs", test_bad_inputs);
  g_test_add_func ("/compute/xyz/write-refuses-bad-atoms", test_write_refuses_bad_atoms);
  g_test_add_func ("/compute/pdb/columns", test_pdb_columns);
  g_test_add_func ("/compute/pdb/serial-wraps", test_pdb_serial_wraps);
  g_test_add_func ("/compute/xyz/fuzz-regressions", test_fuzz_regressions);
  return g_test_run ();
}
