/* Tests of aet-project and aet-project-file: round trips, the EMD layout as
 * other readers see it, atomic saves and damaged files. */
#include "aet-error.h"
#include "aet-project-file.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "scratch-dir.h"
#include "fuzz-files.h"

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static AetVolume *
random_volume (gint nx, gint ny, gint nz, gdouble p, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  AetVolume *v = aet_volume_new (nx, ny, nz, p);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] = (gfloat) g_rand_double_range (rand, -3, 10);
  v->origin[0] = -1.25;
  v->origin[1] = 2.5;
  v->origin[2] = 1.0 / 3.0;
  return v;
}

static AetTiltSeries *
random_series (gint nx, gint ny, gint n, guint32 seed)
{
  g_autoptr (AetVolume) images = random_volume (nx, ny, n, 0.357, seed);
  g_autofree gdouble *angles = g_new (gdouble, n);
  for (gint k = 0; k < n; k++)
    angles[k] = -65.0 + k * (130.0 / MAX (n - 1, 1)) + 1e-9 * k;
  AetTiltSeries *ts = aet_tilt_series_new (images, angles);
  for (gint k = 0; k < 2 * n; k++)
    ts->shifts[k] = 0.1 * k - 1.0 / 7.0;
  return ts;
}

static AetAtoms *
some_atoms (guint n)
{
  AetAtoms *a = aet_atoms_new (n);
  for (guint i = 0; i < n; i++)
    aet_atoms_append (a, 78 - i % 2, i * 0.1 + 1.0 / 3.0, -(gdouble) i, i * 1e-7);
  /* created in an order that is not alphabetical */
  gfloat *z = aet_atoms_ensure_column (a, "zeta");
  gfloat *b = aet_atoms_ensure_column (a, "b factor");
  for (guint i = 0; i < n; i++)
    {
      z[i] = (gfloat) i / 3.0f;
      b[i] = -(gfloat) i * 1e-20f;
    }
  return a;
}

static AetProject *
sample_project (void)
{
  AetProject *p = aet_project_new ();
  g_autoptr (AetVolume) recon = random_volume (12, 9, 7, 0.357, 1);
  g_autoptr (AetVolume) aug = random_volume (5, 6, 4, 0.5, 2);
  g_autoptr (AetTiltSeries) ts = random_series (11, 8, 5, 3);
  g_autoptr (AetAtoms) truth = some_atoms (10);
  g_autoptr (AetAtoms) none = aet_atoms_new (0);
  aet_atoms_ensure_column (none, "intensity");
  aet_project_set_volume (p, "recon", recon);
  aet_project_set_volume (p, "augmented", aug);
  aet_project_set_tilt_series (p, "tilts", ts);
  aet_project_set_atoms (p, "truth", truth);
  aet_project_set_atoms (p, "empty", none);
  aet_project_set_param (p, "simulate/element", "Pt");
  aet_project_set_param (p, "simulate/radius", "12");
  aet_project_set_param (p, "note", "µ, Å and \"quotes\"\nand a newline");
  aet_project_set_report (p, "{\"rmsd\": 0.123, \"atoms\": [1, 2, 3]}");
  return p;
}

static void
assert_same_volume (const AetVolume *a, const AetVolume *b)
{
  g_assert_cmpint (a->nx, ==, b->nx);
  g_assert_cmpint (a->ny, ==, b->ny);
  g_assert_cmpint (a->nz, ==, b->nz);
  g_assert_cmpfloat (a->voxel_size, ==, b->voxel_size);
  g_assert_cmpmem (a->origin, sizeof a->origin, b->origin, sizeof b->origin);
  g_assert_cmpmem (a->data, aet_volume_n_voxels (a) * sizeof (gfloat), b->data,
                   aet_volume_n_voxels (b) * sizeof (gfloat));
}

static void
assert_same_atoms (const AetAtoms *a, const AetAtoms *b)
{
  g_assert_cmpuint (a->n_atoms, ==, b->n_atoms);
  g_assert_cmpmem (a->positions, 3 * a->n_atoms * sizeof (gdouble), b->positions,
                   3 * b->n_atoms * sizeof (gdouble));
  g_assert_cmpmem (a->elements, a->n_atoms, b->elements, b->n_atoms);
  g_assert_cmpuint (aet_atoms_n_columns (a), ==, aet_atoms_n_columns (b));
  for (guint c = 0; c < aet_atoms_n_columns (a); c++)
    {
      g_assert_cmpstr (aet_atoms_column_name (a, c), ==, aet_atoms_column_name (b, c));
      g_assert_cmpmem (aet_atoms_column_values (a, c), a->n_atoms * sizeof (gfloat),
                       aet_atoms_column_values (b, c), b->n_atoms * sizeof (gfloat));
    }
}

static void
test_in_memory (void)
{
  g_autoptr (AetProject) p = sample_project ();
  g_auto (GStrv) names = aet_project_dup_volume_names (p);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "augmented");
  g_assert_cmpstr (names[1], ==, "recon");
  g_auto (GStrv) keys = aet_project_dup_param_keys (p);
  g_assert_cmpstr (keys[0], ==, "note");
  g_assert_cmpstr (keys[2], ==, "simulate/radius");
  aet_project_set_volume (p, "recon", NULL);
  g_assert_null (aet_project_get_volume (p, "recon"));
  aet_project_set_param (p, "note", NULL);
  g_assert_null (aet_project_get_param (p, "note"));
  g_assert_false (aet_project_name_is_valid ("a/b"));
  g_assert_false (aet_project_name_is_valid (".hidden"));
  g_assert_false (aet_project_name_is_valid (""));
  g_assert_true (aet_project_name_is_valid ("recon 2 (Å)"));
}

static void
test_round_trip (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-project");
  g_autofree char *path = g_build_filename (dir, "sample.h5", NULL);
  g_autoptr (AetProject) p = sample_project ();
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (p, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_assert_true (aet_project_file_is_project (path));

  g_autoptr (AetProject) q = aet_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (q);
  g_auto (GStrv) volumes = aet_project_dup_volume_names (q);
  g_assert_cmpuint (g_strv_length (volumes), ==, 2);
  assert_same_volume (aet_project_get_volume (p, "recon"), aet_project_get_volume (q, "recon"));
  assert_same_volume (aet_project_get_volume (p, "augmented"),
                      aet_project_get_volume (q, "augmented"));
  g_auto (GStrv) series = aet_project_dup_tilt_series_names (q);
  g_assert_cmpuint (g_strv_length (series), ==, 1);
  const AetTiltSeries *a = aet_project_get_tilt_series (p, "tilts");
  const AetTiltSeries *b = aet_project_get_tilt_series (q, "tilts");
  assert_same_volume (a->images, b->images);
  g_assert_cmpmem (a->angles, 5 * sizeof (gdouble), b->angles, 5 * sizeof (gdouble));
  g_assert_cmpmem (a->shifts, 10 * sizeof (gdouble), b->shifts, 10 * sizeof (gdouble));
  assert_same_atoms (aet_project_get_atoms (p, "truth"), aet_project_get_atoms (q, "truth"));
  assert_same_atoms (aet_project_get_atoms (p, "empty"), aet_project_get_atoms (q, "empty"));
  g_auto (GStrv) keys = aet_project_dup_param_keys (q);
  g_assert_cmpuint (g_strv_length (keys), ==, 3);
  for (guint i = 0; keys[i] != NULL; i++)
    g_assert_cmpstr (aet_project_get_param (q, keys[i]), ==, aet_project_get_param (p, keys[i]));
  g_assert_cmpstr (aet_project_get_report (q), ==, aet_project_get_report (p));

  /* an empty project round-trips too */
  g_autoptr (AetProject) e = aet_project_new ();
  g_assert_true (aet_project_save (e, path, &error));
  g_autoptr (AetProject) f = aet_project_load (path, &error);
  g_assert_no_error (error);
  g_auto (GStrv) none = aet_project_dup_volume_names (f);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  g_assert_null (aet_project_get_report (f));
  aet_test_remove_tree (dir);
}

static guint32
read_u32_attr (hid_t loc, const char *name)
{
  hid_t a = H5Aopen (loc, name, H5P_DEFAULT);
  g_assert_cmpint (a, >=, 0);
  hid_t t = H5Aget_type (a);
  /* Tomviz insists on exactly this type */
  g_assert_cmpint (H5Tequal (t, H5T_STD_U32LE), >, 0);
  guint32 v = 0;
  g_assert_cmpint (H5Aread (a, H5T_NATIVE_UINT32, &v), >=, 0);
  H5Tclose (t);
  H5Aclose (a);
  return v;
}

static char *
read_string_attr (hid_t loc, const char *name)
{
  hid_t a = H5Aopen (loc, name, H5P_DEFAULT);
  g_assert_cmpint (a, >=, 0);
  hid_t t = H5Aget_type (a);
  g_assert_cmpint (H5Tget_class (t), ==, H5T_STRING);
  g_assert_cmpint (H5Tis_variable_str (t), ==, 0);
  gsize size = H5Tget_size (t);
  char *v = g_malloc0 (size + 1);
  g_assert_cmpint (H5Aread (a, t, v), >=, 0);
  H5Tclose (t);
  H5Aclose (a);
  return v;
}

/* Reads a whole dataset as floats; checks its rank and dims. */
static gfloat *
read_floats (hid_t file, const char *path, int rank, const hsize_t *expect)
{
  hid_t d = H5Dopen2 (file, path, H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  hid_t s = H5Dget_space (d);
  hsize_t dims[3];
  g_assert_cmpint (H5Sget_simple_extent_ndims (s), ==, rank);
  H5Sget_simple_extent_dims (s, dims, NULL);
  gsize n = 1;
  for (int i = 0; i < rank; i++)
    {
      g_assert_cmpuint (dims[i], ==, expect[i]);
      n *= dims[i];
    }
  hid_t t = H5Dget_type (d);
  g_assert_cmpint (H5Tequal (t, H5T_IEEE_F32LE), >, 0);  /* Tomviz reads dims as float */
  gfloat *v = g_new (gfloat, n);
  g_assert_cmpint (H5Dread (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), >=, 0);
  H5Tclose (t);
  H5Sclose (s);
  H5Dclose (d);
  return v;
}

static void
check_dim (hid_t file, const char *path, const char *name, const char *units, gsize n,
           gdouble first, gdouble step)
{
  hsize_t dims[1] = { n };
  g_autofree gfloat *v = read_floats (file, path, 1, dims);
  hid_t d = H5Dopen2 (file, path, H5P_DEFAULT);
  g_autofree char *dname = read_string_attr (d, "name");
  g_autofree char *dunits = read_string_attr (d, "units");
  H5Dclose (d);
  g_assert_cmpstr (dname, ==, name);
  g_assert_cmpstr (dunits, ==, units);
  for (gsize i = 0; i < n; i++)
    {
      gdouble expect = first + i * step;
      g_assert_cmpfloat_with_epsilon (v[i], expect, 1e-5 * MAX (1.0, fabs (expect)));
    }
}

static void
test_emd_layout (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-project");
  g_autofree char *path = g_build_filename (dir, "sample.h5", NULL);
  g_autoptr (AetProject) p = sample_project ();
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (p, path, &error));

  /* superblock version 2: checksummed metadata */
  g_autofree char *bytes = NULL;
  g_file_get_contents (path, &bytes, NULL, NULL);
  g_assert_cmpint (bytes[8], ==, 2);

  hid_t file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  g_assert_cmpuint (read_u32_attr (file, "version_major"), ==, 0);
  g_assert_cmpuint (read_u32_attr (file, "version_minor"), ==, 2);
  hid_t aet = H5Gopen2 (file, "/aet", H5P_DEFAULT);
  g_assert_cmpuint (read_u32_attr (aet, "format_version"), ==, 1);
  H5Gclose (aet);

  /* a volume: shape (nx, ny, nz), x fastest in the bytes, dims in nm */
  const AetVolume *v = aet_project_get_volume (p, "recon");
  hid_t g = H5Gopen2 (file, "/data/recon", H5P_DEFAULT);
  g_assert_cmpuint (read_u32_attr (g, "emd_group_type"), ==, 1);
  H5Gclose (g);
  hsize_t vdims[3] = { 12, 9, 7 };
  g_autofree gfloat *data = read_floats (file, "/data/recon/data", 3, vdims);
  for (gint k = 0; k < 7; k++)
    for (gint j = 0; j < 9; j++)
      for (gint i = 0; i < 12; i++)
        g_assert_cmpfloat (data[i + 12 * (j + 9 * k)], ==, v->data[aet_volume_index (v, i, j, k)]);
  check_dim (file, "/data/recon/dim1", "x", "[n_m]", 12, -0.125, 0.0357);
  check_dim (file, "/data/recon/dim2", "y", "[n_m]", 9, 0.25, 0.0357);
  check_dim (file, "/data/recon/dim3", "z", "[n_m]", 7, 1.0 / 30.0, 0.0357);

  /* a tilt series: shape (n, ny, nx), angle index fastest, dim1 = angles */
  const AetTiltSeries *ts = aet_project_get_tilt_series (p, "tilts");
  hsize_t tdims[3] = { 5, 8, 11 };
  g_autofree gfloat *stack = read_floats (file, "/data/tilts/data", 3, tdims);
  for (gint k = 0; k < 5; k++)
    for (gint j = 0; j < 8; j++)
      for (gint i = 0; i < 11; i++)
        g_assert_cmpfloat (stack[k + 5 * (j + 8 * i)], ==,
                           aet_tilt_series_image (ts, k)[i + 11 * j]);
  check_dim (file, "/data/tilts/dim1", "angles", "[deg]", 5, -65.0, 32.5);
  check_dim (file, "/data/tilts/dim2", "y", "[n_m]", 8, 0.25, 0.0357);
  check_dim (file, "/data/tilts/dim3", "x", "[n_m]", 11, -0.125, 0.0357);
  g = H5Gopen2 (file, "/aet/tilt_series/tilts", H5P_DEFAULT);
  g_autofree char *ref = read_string_attr (g, "data");
  g_assert_cmpstr (ref, ==, "/data/tilts");
  H5Gclose (g);
  H5Fclose (file);
  aet_test_remove_tree (dir);
}

static void
test_save_timing (void)
{
  /* Two 144³ volumes and a 144×144×21 stack, as a full run produces. */
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-project");
  g_autofree char *path = g_build_filename (dir, "big.h5", NULL);
  g_autoptr (AetProject) p = aet_project_new ();
  g_autoptr (AetVolume) a = random_volume (144, 144, 144, 0.357, 4);
  g_autoptr (AetVolume) b = random_volume (144, 144, 144, 0.357, 5);
  g_autoptr (AetTiltSeries) ts = random_series (144, 144, 21, 6);
  aet_project_set_volume (p, "recon", a);
  aet_project_set_volume (p, "augmented", b);
  aet_project_set_tilt_series (p, "tilts", ts);
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (aet_project_save (p, path, &error));
  gint64 t1 = g_get_monotonic_time ();
  g_autoptr (AetProject) q = aet_project_load (path, &error);
  gint64 t2 = g_get_monotonic_time ();
  g_assert_no_error (error);
  assert_same_volume (aet_project_get_volume (q, "recon"), a);
  GStatBuf st;
  g_stat (path, &st);
  g_test_message ("save %.3f s, load %.3f s, file %.1f MB", (t1 - t0) * 1e-6, (t2 - t1) * 1e-6,
                  st.st_size / 1e6);
  /* the budget is 1 s; sanitizer builds run several times slower */
  g_assert_cmpint (t1 - t0, <, 5 * G_USEC_PER_SEC);
  aet_test_remove_tree (dir);
}

static void
test_failed_save_keeps_old_file (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-project");
  g_autofree char *path = g_build_filename (dir, "sample.h5", NULL);
  g_autoptr (AetProject) p = sample_project ();
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (p, path, &error));
  g_autofree char *before = NULL;
  gsize before_len = 0;
  g_file_get_contents (path, &before, &before_len, NULL);

  /* NaN in a volume */
  g_autoptr (AetVolume) bad = random_volume (4, 4, 4, 1.0, 9);
  bad->data[aet_volume_index (bad, 1, 2, 3)] = NAN;
  aet_project_set_volume (p, "recon", bad);
  g_assert_false (aet_project_save (p, path, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_cmpstr (error->message, ==, "sample.h5: volume 'recon': voxel (1, 2, 3) is NaN");
  g_clear_error (&error);

  /* a volume and a tilt series of one name */
  aet_project_set_volume (p, "recon", NULL);
  aet_project_set_volume (p, "tilts", aet_project_get_volume (p, "augmented"));
  g_assert_false (aet_project_save (p, path, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "sample.h5: a volume and a tilt series are both called 'tilts'");
  g_clear_error (&error);
  aet_project_set_volume (p, "tilts", NULL);

  /* a target that cannot be replaced: the whole file is written, the rename fails */
  g_autofree char *blocked = g_build_filename (dir, "blocked.h5", NULL);
  g_assert_cmpint (g_mkdir (blocked, 0755), ==, 0);
  g_assert_false (aet_project_save (p, blocked, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "blocked.h5: cannot replace the file: "));
  g_clear_error (&error);

  /* a folder that does not exist */
  g_assert_false (aet_project_save (p, "/nonexistent/dir/sample.h5", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_clear_error (&error);

  g_autofree char *after = NULL;
  gsize after_len = 0;
  g_file_get_contents (path, &after, &after_len, NULL);
  g_assert_cmpmem (after, after_len, before, before_len);
  /* sample.h5 and the blocked folder, no temporary file */
  g_assert_cmpuint (count_entries (dir), ==, 2);
  aet_test_remove_tree (dir);
}

static void
assert_load_error (const char *path, gint code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (path, &error);
  g_assert_null (p);
  g_assert_error (error, AET_ERROR, code);
  if (g_str_has_suffix (message, "*"))
    {
      g_autofree char *prefix = g_strndup (message, strlen (message) - 1);
      g_assert_true (g_str_has_prefix (error->message, prefix));
    }
  else
    g_assert_cmpstr (error->message, ==, message);
}

/* Saves the sample project to path, then lets `edit` change it with HDF5. */
static void
make_edited (const char *path, void (*edit) (hid_t file))
{
  g_autoptr (AetProject) p = sample_project ();
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (p, path, &error));
  hid_t file = H5Fopen (path, H5F_ACC_RDWR, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  edit (file);
  H5Fclose (file);
}

static void
put_floats (hid_t file, const char *path, int rank, const hsize_t *dims, const gfloat *v)
{
  if (H5Lexists (file, path, H5P_DEFAULT) > 0)
    H5Ldelete (file, path, H5P_DEFAULT);
  hid_t s = H5Screate_simple (rank, dims, NULL);
  hid_t d = H5Dcreate2 (file, path, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  if (v != NULL)
    g_assert_cmpint (H5Dwrite (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), >=, 0);
  H5Dclose (d);
  H5Sclose (s);
}

static void
edit_rank (hid_t file)
{
  hsize_t dims[2] = { 4, 4 };
  gfloat v[16] = { 0 };
  put_floats (file, "/data/recon/data", 2, dims, v);
}

static void
edit_nan (hid_t file)
{
  hsize_t dims[3] = { 2, 2, 2 };
  gfloat v[8] = { 1, 2, 3, 4, 5, 6, NAN, 8 };
  put_floats (file, "/data/recon/data", 3, dims, v);
}

static void
edit_elements (hid_t file)
{
  hsize_t n = 9;
  H5Ldelete (file, "/aet/atoms/truth/elements", H5P_DEFAULT);
  hid_t s = H5Screate_simple (1, &n, NULL);
  hid_t d = H5Dcreate2 (file, "/aet/atoms/truth/elements", H5T_STD_U8LE, s, H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT);
  guint8 z[9] = { 78, 78, 78, 78, 78, 78, 78, 78, 78 };
  H5Dwrite (d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, z);
  H5Dclose (d);
  H5Sclose (s);
}

static void
edit_column (hid_t file)
{
  hsize_t n = 11;
  gfloat v[11] = { 0 };
  put_floats (file, "/aet/atoms/truth/columns/zeta", 1, &n, v);
}

static void
edit_huge (hid_t file)
{
  /* a header that claims 64 GiB of voxels (never written) */
  hsize_t dims[3] = { 4096, 4096, 1024 };
  hsize_t chunk[3] = { 1, 64, 64 };
  H5Ldelete (file, "/data/recon/data", H5P_DEFAULT);
  hid_t s = H5Screate_simple (3, dims, NULL);
  hid_t dcpl = H5Pcreate (H5P_DATASET_CREATE);
  H5Pset_chunk (dcpl, 3, chunk);
  hid_t d = H5Dcreate2 (file, "/data/recon/data", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  H5Dclose (d);
  H5Pclose (dcpl);
  H5Sclose (s);
}

static void
edit_angles (hid_t file)
{
  hsize_t n = 4;
  hid_t s = H5Screate_simple (1, &n, NULL);
  H5Ldelete (file, "/aet/tilt_series/tilts/angles", H5P_DEFAULT);
  hid_t d = H5Dcreate2 (file, "/aet/tilt_series/tilts/angles", H5T_IEEE_F64LE, s, H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT);
  gdouble a[4] = { 0, 1, 2, 3 };
  H5Dwrite (d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a);
  H5Dclose (d);
  H5Sclose (s);
}

static void
edit_links (hid_t file)
{
  /* a soft link and an external link where datasets belong */
  H5Ldelete (file, "/data/recon/data", H5P_DEFAULT);
  H5Lcreate_soft ("/data/augmented/data", file, "/data/recon/data", H5P_DEFAULT, H5P_DEFAULT);
}

static void
edit_external (hid_t file)
{
  H5Ldelete (file, "/aet/atoms/truth", H5P_DEFAULT);
  H5Lcreate_external ("/etc/passwd", "/x", file, "/aet/atoms/truth", H5P_DEFAULT, H5P_DEFAULT);
}

static void
edit_drop_aet (hid_t file)
{
  H5Ldelete (file, "/aet", H5P_DEFAULT);
}

static void
test_bad_files (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-test-project");
  g_autofree char *path = g_build_filename (dir, "sample.h5", NULL);

  g_file_set_contents (path, "just some text, not HDF5\n", -1, NULL);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: not an HDF5 file");
  g_assert_false (aet_project_file_is_project (path));
  g_file_set_contents (path, "", 0, NULL);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: not an HDF5 file");
  g_file_set_contents (path, "\x89HDF\r\n\x1a\n", 8, NULL);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: HDF5 file is truncated or damaged*");
  assert_load_error ("/nonexistent/sample.h5", AET_ERROR_IO,
                     "sample.h5: cannot open the file: No such file or directory");
  g_assert_false (aet_project_file_is_project ("/nonexistent/sample.h5"));

  /* an HDF5 file in the old format (no checksums), even with an /aet group */
  hid_t old = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose (H5Gcreate2 (old, "/aet", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose (old);
  assert_load_error (path, AET_ERROR_FORMAT,
                     "sample.h5: HDF5 file but not an AET Studio project (old HDF5 format, no "
                     "checksums)");
  g_assert_false (aet_project_file_is_project (path));

  /* an EMD file of someone else's: no /aet */
  make_edited (path, edit_drop_aet);
  assert_load_error (path, AET_ERROR_FORMAT,
                     "sample.h5: HDF5 file but not an AET Studio project (no /aet group)");
  g_assert_false (aet_project_file_is_project (path));

  /* a valid project cut in half */
  g_autoptr (AetProject) p = sample_project ();
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_project_save (p, path, &error));
  g_autofree char *whole = NULL;
  gsize len = 0;
  g_file_get_contents (path, &whole, &len, NULL);
  g_file_set_contents (path, whole, (gssize) (len / 2), NULL);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: HDF5 file is truncated or damaged*");

  make_edited (path, edit_rank);
  assert_load_error (path, AET_ERROR_FORMAT,
                     "sample.h5: /data/recon/data has 2 dimensions, expected 3");
  make_edited (path, edit_nan);
  assert_load_error (path, AET_ERROR_DATA, "sample.h5: /data/recon/data: voxel (0, 1, 1) is NaN");
  make_edited (path, edit_elements);
  assert_load_error (path, AET_ERROR_MISMATCH,
                     "sample.h5: /aet/atoms/truth: positions has 10 atoms but elements has 9");
  make_edited (path, edit_column);
  assert_load_error (path, AET_ERROR_MISMATCH,
                     "sample.h5: /aet/atoms/truth/columns/zeta has 11 values but there are 10 "
                     "atoms");
  make_edited (path, edit_huge);
  assert_load_error (path, AET_ERROR_FORMAT,
                     "sample.h5: /data/recon/data claims more data than the file can hold");
  make_edited (path, edit_links);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: /data/recon/data is missing");
  make_edited (path, edit_external);
  assert_load_error (path, AET_ERROR_FORMAT, "sample.h5: /aet/atoms/truth/positions is missing");
  make_edited (path, edit_angles);
  assert_load_error (path, AET_ERROR_MISMATCH,
                     "sample.h5: /aet/tilt_series/tilts/angles has 4 angles but "
                     "/data/tilts/data has 5 images");
  aet_test_remove_tree (dir);
}

static gboolean
read_project (const char *path, GError **error)
{
  g_autoptr (AetProject) p = aet_project_load (path, error);
  return p != NULL;
}

/* The fuzz seeds load or fail cleanly (the corpus holds a recipe that is
 * not a project file); the inputs that once crashed the reader fail with a
 * one-line message naming the file (tests/common/fuzz-files.h). */
static void
test_fuzz_regressions (void)
{
  aet_test_check_fuzz_folder ("corpus-project", NULL, read_project, AET_TEST_FUZZ_MAY_FAIL);
  aet_test_check_fuzz_folder ("regressions-project", ".h5", read_project,
                              AET_TEST_FUZZ_MUST_FAIL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
  g_test_add_func ("/compute/project/in-memory", test_in_memory);
  g_test_add_func ("/compute/project/round-trip", test_round_trip);
  g_test_add_func ("/compute/project/emd-layout", test_emd_layout);
  g_test_add_func ("/compute/project/save-timing", test_save_timing);
  g_test_add_func ("/compute/project/failed-save-keeps-old-file", test_failed_save_keeps_old_file);
  g_test_add_func ("/compute/project/bad-files", test_bad_files);
  g_test_add_func ("/compute/project/fuzz-regressions", test_fuzz_regressions);
  return g_test_run ();
}
