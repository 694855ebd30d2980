/* libFuzzer harness for aet_project_load, in two modes.
 *
 * Input starting with the HDF5 signature: the bytes are written to a
 * temporary .h5 file, which is then checked and loaded as a project.  Most
 * mutations of such a file only hit HDF5's metadata checksums.
 *
 * Any other input is a recipe: its bytes choose groups, datasets (type,
 * rank, dims, contents) and attributes at the paths of our layout, written
 * with the HDF5 API into a valid, checksummed file, which is then loaded.
 * That reaches our own validation of ranks, dims, types and lengths. */
#include "aet-project-file.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  const uint8_t *p;
  size_t n;
} Bytes;

static guint
take (Bytes *b)
{
  if (b->n == 0)
    return 0;
  b->n--;
  return *b->p++;
}

static const char *const paths[] = {
  "/aet", "/data", "/aet/tilt_series", "/aet/atoms", "/aet/parameters",
  "/data/recon", "/data/recon/data", "/data/tilts", "/data/tilts/data",
  "/aet/tilt_series/tilts", "/aet/tilt_series/tilts/angles", "/aet/tilt_series/tilts/shifts",
  "/aet/atoms/truth", "/aet/atoms/truth/positions", "/aet/atoms/truth/elements",
  "/aet/atoms/truth/columns", "/aet/atoms/truth/columns/q", "/aet/parameters/keys",
  "/aet/parameters/values", "/aet/report", "/data/.x", "/aet/atoms/a b",
};
static const char *const attrs[] = { "format_version", "voxel_size", "origin", "emd_group_type" };

/* One of the types a recipe may use; caller closes. */
static hid_t
recipe_type (guint which, guint len)
{
  hid_t t;
  switch (which % 6)
    {
    case 0: return H5Tcopy (H5T_IEEE_F32LE);
    case 1: return H5Tcopy (H5T_IEEE_F64LE);
    case 2: return H5Tcopy (H5T_STD_U8LE);
    case 3: return H5Tcopy (H5T_STD_I32LE);
    case 4:
      t = H5Tcopy (H5T_C_S1);
      H5Tset_size (t, 1 + len % 8);
      return t;
    default:
      t = H5Tcopy (H5T_C_S1);
      H5Tset_size (t, H5T_VARIABLE);
      return t;
    }
}

/* Data for n values of `type` from the recipe (zeros once it runs out). */
static guint8 *
recipe_values (Bytes *b, hid_t type, hsize_t n)
{
  gsize size = H5Tget_size (type) * n;
  guint8 *buf = g_malloc0 (MAX (size, 1));
  if (H5Tis_variable_str (type) > 0)
    {
      /* pointers to static strings */
      static const char *const words[] = { "", "Pt", "simulate/element", "\xff\xfe" };
      for (hsize_t i = 0; i < n; i++)
        ((const char **) buf)[i] = words[take (b) % 4];
      return buf;
    }
  for (gsize i = 0; i < size; i++)
    buf[i] = (guint8) take (b);
  return buf;
}

static void
build_file (const char *path, Bytes *b)
{
  hid_t fapl = H5Pcreate (H5P_FILE_ACCESS);
  H5Pset_libver_bounds (fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose (fapl);
  if (file < 0)
    return;
  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  H5Pset_create_intermediate_group (lcpl, 1);
  if (take (b) % 8 != 0)
    {
      hid_t g = H5Gcreate2 (file, "/aet", lcpl, H5P_DEFAULT, H5P_DEFAULT);
      hid_t s = H5Screate (H5S_SCALAR);
      hid_t a = H5Acreate2 (g, "format_version", H5T_STD_U32LE, s, H5P_DEFAULT, H5P_DEFAULT);
      guint32 one = 1;
      H5Awrite (a, H5T_NATIVE_UINT32, &one);
      H5Aclose (a);
      H5Sclose (s);
      H5Gclose (g);
    }
  for (guint op = 0; op < 48 && b->n > 0; op++)
    {
      guint kind = take (b) % 3;
      const char *where = paths[take (b) % G_N_ELEMENTS (paths)];
      if (kind == 0)
        H5Gclose (H5Gcreate2 (file, where, lcpl, H5P_DEFAULT, H5P_DEFAULT));
      else if (kind == 1)
        {
          guint tsel = take (b);
          hid_t type = recipe_type (tsel, take (b));
          int rank = (int) (take (b) % 4);
          hsize_t dims[3], n = 1;
          for (int d = 0; d < rank; d++)
            {
              dims[d] = take (b) % 6;
              n *= dims[d];
            }
          hid_t s = rank == 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (rank, dims, NULL);
          hid_t d = H5Dcreate2 (file, where, type, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
          if (d >= 0 && n > 0)
            {
              g_autofree guint8 *values = recipe_values (b, type, n);
              H5Dwrite (d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
            }
          if (d >= 0)
            H5Dclose (d);
          H5Sclose (s);
          H5Tclose (type);
        }
      else if (H5Lexists (file, "/aet", H5P_DEFAULT) >= 0
               && H5Oexists_by_name (file, where, H5P_DEFAULT) > 0)
        {
          hid_t obj = H5Oopen (file, where, H5P_DEFAULT);
          const char *name = attrs[take (b) % G_N_ELEMENTS (attrs)];
          guint tsel = take (b);
          hid_t type = recipe_type (tsel, take (b));
          hsize_t n = take (b) % 4;
          hid_t s = n == 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (1, &n, NULL);
          if (H5Aexists (obj, name) > 0)
            H5Adelete (obj, name);
          hid_t a = H5Acreate2 (obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
          if (a >= 0)
            {
              g_autofree guint8 *values = recipe_values (b, type, MAX (n, 1));
              H5Awrite (a, type, values);
              H5Aclose (a);
            }
          H5Sclose (s);
          H5Tclose (type);
          H5Oclose (obj);
        }
    }
  H5Pclose (lcpl);
  H5Fclose (file);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path = NULL;
  if (path == NULL)
    {
      path = g_strdup_printf ("%s/aet-fuzz-project-%d.h5", g_get_tmp_dir (), (int) getpid ());
      H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
    }
  if (size >= 4 && memcmp (data, "\x89HDF", 4) == 0)
    {
      if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
        return 0;
    }
  else
    {
      Bytes b = { data, size };
      build_file (path, &b);
    }
  aet_project_file_is_project (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (path, &error);
  if ((p == NULL) == (error == NULL))
    __builtin_trap ();
  if (error != NULL && !g_str_has_prefix (error->message, "aet-fuzz-project-"))
    __builtin_trap ();
  g_unlink (path);
  return 0;
}
