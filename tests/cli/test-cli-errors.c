/* The `aet` binary end to end on bad input: every case gets one line
 * "aet: error: <file or flag>: <reason>" on stderr and exit status 1
 * (runtime) or 2 (usage), never a crash. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "scratch-dir.h"

static char *tmpdir;

typedef struct
{
  int status;
  char *out, *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Runs `aet` with the NULL-terminated arguments in tmpdir. */
static Run
run_aet (const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("AET_BIN"));
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  Run r = { 0 };
  int wait_status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (tmpdir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status)); /* never a crash */
  r.status = WEXITSTATUS (wait_status);
  g_ptr_array_unref (argv);
  return r;
}

static void
assert_error (Run *r, int status, const char *message)
{
  g_autofree char *expect = g_strdup_printf ("aet: error: %s\n", message);
  if (g_strcmp0 (r->err, expect) != 0)
    g_error ("expected stderr «%s», got «%s»", expect, r->err);
  g_assert_cmpint (r->status, ==, status);
  run_clear (r);
}

static char *
path_in_tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_bytes (const char *name, const void *data, gsize n)
{
  g_autofree char *p = path_in_tmp (name);
  g_assert_true (g_file_set_contents (p, data, (gssize) n, NULL));
}

static guint8 *
read_bytes (const char *name, gsize *n)
{
  g_autofree char *p = path_in_tmp (name);
  char *data = NULL;
  g_assert_true (g_file_get_contents (p, &data, n, NULL));
  return (guint8 *) data;
}

/* A small simulated stack (64² × 21) to corrupt. */
static void
make_inputs (void)
{
  Run r = run_aet ("simulate", "--quiet", "--size", "64", "--radius", "6", "--seed", "3", "-o",
                   "s.h5", "--mrc", "t.mrc", "--tlt", "t.tlt", "--xyz", "truth.xyz", NULL);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
}

static void
test_usage_errors (void)
{
  Run r = run_aet ("frob", NULL);
  assert_error (&r, 2, "frob: no such command (see `aet --help`)");
  r = run_aet ("info", NULL);
  assert_error (&r, 2, "info: give at least one file");
  r = run_aet ("trace", "--threads", "-1", "-i", "a.mrc", "-o", "b.xyz", NULL);
  assert_error (&r, 2, "trace: --threads -1: give a number from 1 to 64");
  r = run_aet ("reconstruct", "-i", "t.mrc", "-o", "x.mrc", "--method", "foo", NULL);
  assert_error (&r, 2, "reconstruct: --method foo: use genfire, sirt or wbp");
  r = run_aet ("simulate", "-o", "a.h5", "--radius", "40", NULL);
  assert_error (&r, 2,
                "simulate: --radius 40: the particle does not fit in a 144-voxel box of 0.357 Å "
                "(51.4 Å)");
  r = run_aet ("simulate", "-o", "a.h5", "--tilt", "10:-10:1", NULL);
  assert_error (&r, 2, "simulate: --tilt 10:-10:1: need start ≤ stop and a positive step");
  r = run_aet ("refine", "-i", "truth.xyz", "--tilts", "t.mrc", "-o", "r.xyz", "--prior", "-3",
               NULL);
  assert_error (&r, 2, "refine: --prior -3: give 0–1000 pm");
  r = run_aet ("refine", "-i", "truth.xyz", "-o", "r.xyz", NULL);
  assert_error (&r, 2, "refine: give the tilt series with --tilts");
  r = run_aet ("reconstruct", "--no-such-flag", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_true (g_str_has_prefix (r.err, "aet: error: reconstruct: "));
  run_clear (&r);
}

static void
test_missing_and_wrong_files (void)
{
  Run r = run_aet ("info", "nope.mrc", NULL);
  assert_error (&r, 1, "nope.mrc: no such file");
  write_bytes ("notproj.h5", "hello\n", 6);
  r = run_aet ("info", "notproj.h5", NULL);
  assert_error (&r, 1, "notproj.h5: not an HDF5 file");
  write_bytes ("bad.xyz", "2\nc\nPt 0 0 0\nPt 1 2\n", 20);
  r = run_aet ("info", "bad.xyz", NULL);
  assert_error (&r, 1, "bad.xyz: line 4: expected 'El x y z', got 'Pt 1 2'");
  r = run_aet ("trace", "-i", "bad.xyz", "-o", "x.xyz", NULL);
  g_assert_cmpint (r.status, ==, 1);
  run_clear (&r);
}

/* `aet refine` on the fixture's truth: the atoms go out with how far each
 * moved, and a wrong atoms file is a runtime error naming it. */
static void
test_refine_writes_moved_atoms (void)
{
  Run r = run_aet ("refine", "-i", "truth.xyz", "--tilts", "t.mrc", "--tlt", "t.tlt", "-o",
                   "refined.xyz", "--iterations", "3", "--global-iterations", "3", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_true (g_str_has_prefix (r.out, "refined "));
  g_assert_nonnull (strstr (r.out, " R "));
  run_clear (&r);
  gsize n = 0;
  g_autofree guint8 *text = read_bytes ("refined.xyz", &n);
  g_assert_nonnull (strstr ((const char *) text, "refine_move_pm"));
  write_bytes ("bad.xyz", "2\nc\nPt 0 0 0\nPt 1 2\n", 20);
  r = run_aet ("refine", "-i", "bad.xyz", "--tilts", "t.mrc", "-o", "x.xyz", NULL);
  assert_error (&r, 1, "bad.xyz: line 4: expected 'El x y z', got 'Pt 1 2'");
}

static void
test_bad_mrc_files (void)
{
  gsize n = 0;
  g_autofree guint8 *good = read_bytes ("t.mrc", &n);
  g_assert_cmpuint (n, ==, 1024 + 64 * 64 * 21 * 4);

  write_bytes ("trunc.mrc", good, 100000);
  Run r = run_aet ("info", "trunc.mrc", NULL);
  assert_error (&r, 1,
                "trunc.mrc: header says 64×64×21 float32 (345.1 kB) but the file is 100.0 kB");

  g_autofree guint8 *bad = g_memdup2 (good, n);
  gint32 mode = 7;
  memcpy (bad + 12, &mode, 4);
  write_bytes ("mode7.mrc", bad, n);
  r = run_aet ("info", "mode7.mrc", NULL);
  assert_error (&r, 1, "mode7.mrc: unknown MRC mode 7");

  memcpy (bad, good, n);
  gint32 zero = 0;
  memcpy (bad, &zero, 4);
  write_bytes ("zero.mrc", bad, n);
  r = run_aet ("info", "zero.mrc", NULL);
  assert_error (&r, 1, "zero.mrc: not an MRC file (bad dimensions 0×64×21)");

  memcpy (bad, good, n);
  gint32 huge = 100000;
  memcpy (bad, &huge, 4);
  write_bytes ("huge.mrc", bad, n);
  r = run_aet ("info", "huge.mrc", NULL);
  assert_error (&r, 1,
                "huge.mrc: dimensions 100000×64×21 are larger than AET Studio handles (edge ≤ 4096)");

  memcpy (bad, good, n);
  gfloat nan = g_strtod ("nan", NULL);
  memcpy (bad + 1024 + 4 * (5 + 64 * 2), &nan, 4);
  write_bytes ("nan.mrc", bad, n);
  r = run_aet ("info", "nan.mrc", NULL);
  assert_error (&r, 1, "nan.mrc: voxel (5, 2, 0) is NaN");
  r = run_aet ("reconstruct", "-i", "nan.mrc", "--tlt", "t.tlt", "-o", "x.mrc", NULL);
  assert_error (&r, 1, "nan.mrc: voxel (5, 2, 0) is NaN");

  gfloat inf = g_strtod ("inf", NULL);
  memcpy (bad + 1024 + 4 * (5 + 64 * 2), &inf, 4);
  write_bytes ("inf.mrc", bad, n);
  r = run_aet ("info", "inf.mrc", NULL);
  assert_error (&r, 1, "inf.mrc: voxel (5, 2, 0) is infinite");
}

static void
test_tlt_count_mismatch (void)
{
  gsize n = 0;
  g_autofree char *tlt = (char *) read_bytes ("t.tlt", &n);
  /* drop the last line */
  char *last = g_strrstr (g_strchomp (tlt), "\n");
  g_assert_nonnull (last);
  *last = '\0';
  write_bytes ("short.tlt", tlt, strlen (tlt));
  Run r = run_aet ("reconstruct", "-i", "t.mrc", "--tlt", "short.tlt", "-o", "x.mrc", NULL);
  assert_error (&r, 1, "short.tlt: 20 angles for a stack of 21 images");
  write_bytes ("junk.tlt", "-65\n0\nbanana\n", 13);
  r = run_aet ("info", "junk.tlt", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "aet: error: junk.tlt: line 3"));
  g_assert_true (strchr (r.err, '\n') == r.err + strlen (r.err) - 1); /* one line */
  run_clear (&r);
}

static void
test_truncated_project (void)
{
  gsize n = 0;
  g_autofree guint8 *good = read_bytes ("s.h5", &n);
  write_bytes ("half.h5", good, n / 2);
  Run r = run_aet ("info", "half.h5", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "aet: error: half.h5: "));
  g_assert_true (strchr (r.err, '\n') == r.err + strlen (r.err) - 1);
  run_clear (&r);
}

static void
test_good_files_described (void)
{
  Run r = run_aet ("info", "s.h5", "t.mrc", "t.tlt", "truth.xyz", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_assert_nonnull (strstr (r.out, "s.h5: AET Studio project"));
  g_assert_nonnull (strstr (r.out, "tilt series tilts: 21 images of 64 × 64, pixel 0.357 Å"));
  g_assert_nonnull (strstr (r.out, "t.mrc: MRC, mode 2 (float32)"));
  g_assert_nonnull (strstr (r.out, "21 angles from -65.00° to 65.00°"));
  g_assert_nonnull (strstr (r.out, "truth.xyz: XYZ"));
  run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = aet_test_scratch_dir_new ("aet-cli");
  make_inputs ();
  g_test_add_func ("/cli/errors/usage", test_usage_errors);
  g_test_add_func ("/cli/errors/missing-and-wrong-files", test_missing_and_wrong_files);
  g_test_add_func ("/cli/errors/bad-mrc", test_bad_mrc_files);
  g_test_add_func ("/cli/refine/writes-moved-atoms", test_refine_writes_moved_atoms);
  g_test_add_func ("/cli/errors/tlt-count-mismatch", test_tlt_count_mismatch);
  g_test_add_func ("/cli/errors/truncated-project", test_truncated_project);
  g_test_add_func ("/cli/info/describes-good-files", test_good_files_described);
  int status = g_test_run ();
  aet_test_remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
