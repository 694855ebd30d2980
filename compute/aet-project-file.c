#define G_LOG_DOMAIN "aet-project-file"

#include "aet-project-file.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_VERSION 1u
/* Datasets are stored contiguous and uncompressed: for a project of two
 * 144³ reconstructions (Gaussian atoms plus noise) and a 144×144×21 stack,
 * shuffle + deflate level 1 made the file 14 % smaller (22.0 vs 25.7 MB)
 * but the save ten times slower (0.40 s vs 0.04 s).  Chunked, compressed
 * files from other tools still load: HDF5 decodes them. */
/* A dataset may need at most this many bytes per byte of file: deflate
 * cannot do much better than 1:1000, so more means a damaged or hostile
 * header and we refuse rather than allocate. */
#define MAX_EXPANSION 1100
/* Most items of one kind, parameters, and longest strings we read. */
#define MAX_ITEMS 100000
#define MAX_STRING (64u << 20)
#define MAX_ATOMS (G_GUINT64_CONSTANT (1) << 31)

static const guint8 hdf5_signature[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };

/* HDF5 is one library-wide state machine: one caller at a time. */
static GMutex h5_lock;

static void
h5_enter (void)
{
  g_mutex_lock (&h5_lock);
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
}

static void
h5_leave (void)
{
  H5Eclear2 (H5E_DEFAULT);
  g_mutex_unlock (&h5_lock);
}

static void
h5_close (hid_t *id)
{
  if (*id < 0)
    return;
  switch (H5Iget_type (*id))
    {
    case H5I_FILE: H5Fclose (*id); break;
    case H5I_GROUP: H5Gclose (*id); break;
    case H5I_DATASET: H5Dclose (*id); break;
    case H5I_DATASPACE: H5Sclose (*id); break;
    case H5I_DATATYPE: H5Tclose (*id); break;
    case H5I_ATTR: H5Aclose (*id); break;
    case H5I_GENPROP_LST: H5Pclose (*id); break;
    default: break;
    }
  *id = H5I_INVALID_HID;
}

/* An hid_t closed at the end of its scope. */
#define H5_AUTO __attribute__ ((cleanup (h5_close))) hid_t

static herr_t
innermost_error (unsigned n, const H5E_error2_t *e, void *data)
{
  char **out = data;
  if (e->desc != NULL && *e->desc != '\0')
    {
      g_free (*out);
      *out = g_strdup (e->desc);
    }
  return 0;
}

/* HDF5's description of its latest failure, for messages. Caller owns. */
static char *
h5_reason (void)
{
  char *reason = NULL;
  H5Ewalk2 (H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &reason);
  if (reason == NULL)
    return g_strdup ("HDF5 error");
  if (g_utf8_strlen (reason, -1) > 100)
    {
      char *cut = g_utf8_offset_to_pointer (reason, 100);
      *cut = '\0';
    }
  return reason;
}

/* ---------------------------------------------------------------- saving */

typedef struct
{
  const char *name;  /* basename for messages */
  GError **error;
} Saver;

static gboolean
write_failed (Saver *s, const char *what)
{
  g_autofree char *reason = h5_reason ();
  g_set_error (s->error, AET_ERROR, AET_ERROR_IO, "%s: cannot write %s: %s", s->name, what,
               reason);
  return FALSE;
}

static gboolean
put_attr (Saver *s, hid_t loc, const char *attr, hid_t file_type, hid_t mem_type,
          hsize_t n, const void *value, const char *where)
{
  H5_AUTO space = n == 0 ? H5Screate (H5S_SCALAR) : H5Screate_simple (1, &n, NULL);
  H5_AUTO a = H5Acreate2 (loc, attr, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (space < 0 || a < 0 || H5Awrite (a, mem_type, value) < 0)
    {
      g_autofree char *what = g_strdup_printf ("%s attribute %s", where, attr);
      return write_failed (s, what);
    }
  return TRUE;
}

static gboolean
put_u32 (Saver *s, hid_t loc, const char *attr, guint32 v, const char *where)
{
  return put_attr (s, loc, attr, H5T_STD_U32LE, H5T_NATIVE_UINT32, 0, &v, where);
}

static gboolean
put_doubles (Saver *s, hid_t loc, const char *attr, const gdouble *v, hsize_t n,
             const char *where)
{
  return put_attr (s, loc, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, v, where);
}

/* A fixed-length UTF-8 string type of `len` bytes (at least 1).  We write
 * no variable-length strings: those live in HDF5's global heap, which has no
 * checksum (see the loader). */
static hid_t
string_type (gsize len)
{
  hid_t t = H5Tcopy (H5T_C_S1);
  H5Tset_size (t, MAX (len, 1));
  H5Tset_strpad (t, H5T_STR_NULLPAD);
  H5Tset_cset (t, H5T_CSET_UTF8);
  return t;
}

static gboolean
put_string_attr (Saver *s, hid_t loc, const char *attr, const char *value, const char *where)
{
  gsize len = strlen (value);
  H5_AUTO type = string_type (len);
  g_autofree char *padded = g_malloc0 (MAX (len, 1));
  memcpy (padded, value, len);
  return put_attr (s, loc, attr, type, type, 0, padded, where);
}

/* Writes a dataset of `rank` dims.  Returns the open dataset or -1 (error
 * set). */
static hid_t
put_dataset (Saver *s, hid_t loc, const char *dname, int rank, const hsize_t *dims,
             hid_t file_type, hid_t mem_type, const void *data, const char *where)
{
  H5_AUTO space = H5Screate_simple (rank, dims, NULL);
  gboolean empty = FALSE;
  for (int d = 0; d < rank; d++)
    empty |= dims[d] == 0;
  hid_t did = H5Dcreate2 (loc, dname, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (did < 0 || (!empty && H5Dwrite (did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
    {
      if (did >= 0)
        H5Dclose (did);
      g_autofree char *what = g_strdup_printf ("%s/%s", where, dname);
      write_failed (s, what);
      return -1;
    }
  return did;
}

static gboolean
put_simple (Saver *s, hid_t loc, const char *dname, int rank, const hsize_t *dims,
            hid_t file_type, hid_t mem_type, const void *data, const char *where)
{
  H5_AUTO did = put_dataset (s, loc, dname, rank, dims, file_type, mem_type, data, where);
  return did >= 0;
}

/* An EMD dim vector: float32 values with name and units. */
static gboolean
put_dim (Saver *s, hid_t group, const char *dname, const gfloat *values, hsize_t n,
         const char *label, const char *units, const char *where)
{
  H5_AUTO did = put_dataset (s, group, dname, 1, &n, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values,
                             where);
  if (did < 0)
    return FALSE;
  g_autofree char *dwhere = g_strdup_printf ("%s/%s", where, dname);
  return put_string_attr (s, did, "name", label, dwhere)
         && put_string_attr (s, did, "units", units, dwhere);
}

/* Positions origin + i·p along one axis in nm, as EMD and Tomviz want. */
static gfloat *
axis_nm (gint n, gdouble origin, gdouble p)
{
  gfloat *v = g_new (gfloat, n);
  for (gint i = 0; i < n; i++)
    v[i] = (gfloat) ((origin + i * p) / 10.0);
  return v;
}

static hid_t
emd_group (Saver *s, hid_t data_group, const char *name, const AetVolume *v, const char *where)
{
  hid_t g = H5Gcreate2 (data_group, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0)
    {
      write_failed (s, where);
      return -1;
    }
  if (!put_u32 (s, g, "emd_group_type", 1, where)
      || !put_doubles (s, g, "voxel_size", &v->voxel_size, 0, where)
      || !put_doubles (s, g, "origin", v->origin, 3, where))
    {
      H5Gclose (g);
      return -1;
    }
  return g;
}

static gboolean
save_volume (Saver *s, hid_t data_group, const char *name, const AetVolume *v)
{
  g_autofree char *where = g_strdup_printf ("/data/%s", name);
  H5_AUTO g = emd_group (s, data_group, name, v, where);
  if (g < 0)
    return FALSE;
  hsize_t dims[3] = { (hsize_t) v->nx, (hsize_t) v->ny, (hsize_t) v->nz };
  H5_AUTO did = put_dataset (s, g, "data", 3, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v->data,
                             where);
  if (did < 0 || !put_string_attr (s, did, "name", name, where))
    return FALSE;
  g_autofree gfloat *x = axis_nm (v->nx, v->origin[0], v->voxel_size);
  g_autofree gfloat *y = axis_nm (v->ny, v->origin[1], v->voxel_size);
  g_autofree gfloat *z = axis_nm (v->nz, v->origin[2], v->voxel_size);
  return put_dim (s, g, "dim1", x, dims[0], "x", "[n_m]", where)
         && put_dim (s, g, "dim2", y, dims[1], "y", "[n_m]", where)
         && put_dim (s, g, "dim3", z, dims[2], "z", "[n_m]", where);
}

static gboolean
save_tilt_series (Saver *s, hid_t data_group, hid_t tilt_group, const char *name,
                  const AetTiltSeries *ts)
{
  const AetVolume *im = ts->images;
  gsize nx = (gsize) im->nx, ny = (gsize) im->ny, n = (gsize) im->nz;
  g_autofree char *where = g_strdup_printf ("/data/%s", name);
  H5_AUTO g = emd_group (s, data_group, name, im, where);
  if (g < 0)
    return FALSE;

  /* angle index fastest, then y, then x: Tomviz's tilt-series order */
  g_autofree gfloat *t = g_try_new (gfloat, nx * ny * n);
  if (t == NULL)
    {
      g_set_error (s->error, AET_ERROR, AET_ERROR_IO, "%s: out of memory writing %s", s->name,
                   where);
      return FALSE;
    }
  for (gsize k = 0; k < n; k++)
    for (gsize j = 0; j < ny; j++)
      {
        const gfloat *row = im->data + nx * (j + ny * k);
        for (gsize i = 0; i < nx; i++)
          t[k + n * (j + ny * i)] = row[i];
      }
  hsize_t dims[3] = { n, ny, nx };
  H5_AUTO did = put_dataset (s, g, "data", 3, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t, where);
  if (did < 0 || !put_string_attr (s, did, "name", name, where))
    return FALSE;
  g_autofree gfloat *angles = g_new (gfloat, n);
  for (gsize k = 0; k < n; k++)
    angles[k] = (gfloat) ts->angles[k];
  g_autofree gfloat *y = axis_nm (im->ny, im->origin[1], im->voxel_size);
  g_autofree gfloat *x = axis_nm (im->nx, im->origin[0], im->voxel_size);
  if (!put_dim (s, g, "dim1", angles, dims[0], "angles", "[deg]", where)
      || !put_dim (s, g, "dim2", y, dims[1], "y", "[n_m]", where)
      || !put_dim (s, g, "dim3", x, dims[2], "x", "[n_m]", where))
    return FALSE;

  g_autofree char *awhere = g_strdup_printf ("/aet/tilt_series/%s", name);
  H5_AUTO a = H5Gcreate2 (tilt_group, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0)
    return write_failed (s, awhere);
  hsize_t n1 = n, n2[2] = { n, 2 };
  return put_string_attr (s, a, "data", where, awhere)
         && put_simple (s, a, "angles", 1, &n1, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ts->angles,
                        awhere)
         && put_simple (s, a, "shifts", 2, n2, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ts->shifts,
                        awhere);
}

static gboolean
save_atoms (Saver *s, hid_t atoms_group, const char *name, const AetAtoms *atoms)
{
  g_autofree char *where = g_strdup_printf ("/aet/atoms/%s", name);
  H5_AUTO g = H5Gcreate2 (atoms_group, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0)
    return write_failed (s, where);
  hsize_t n = atoms->n_atoms, n3[2] = { atoms->n_atoms, 3 };
  if (!put_simple (s, g, "positions", 2, n3, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                   atoms->positions, where)
      || !put_simple (s, g, "elements", 1, &n, H5T_STD_U8LE, H5T_NATIVE_UINT8, atoms->elements,
                      where))
    return FALSE;
  H5_AUTO gcpl = H5Pcreate (H5P_GROUP_CREATE);
  H5Pset_link_creation_order (gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5_AUTO cols = H5Gcreate2 (g, "columns", H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (cols < 0)
    return write_failed (s, where);
  g_autofree char *cwhere = g_strdup_printf ("%s/columns", where);
  for (guint c = 0; c < aet_atoms_n_columns (atoms); c++)
    if (!put_simple (s, cols, aet_atoms_column_name (atoms, c), 1, &n, H5T_IEEE_F32LE,
                     H5T_NATIVE_FLOAT, aet_atoms_column_values (atoms, c), cwhere))
      return FALSE;
  return TRUE;
}

/* A 1-D dataset of n fixed-length strings, padded to the longest. */
static gboolean
save_strings (Saver *s, hid_t loc, const char *dname, const char *const *values, hsize_t n,
              const char *where)
{
  gsize width = 1;
  for (hsize_t i = 0; i < n; i++)
    width = MAX (width, strlen (values[i]));
  g_autofree char *buf = g_malloc0 (width * n);
  for (hsize_t i = 0; i < n; i++)
    memcpy (buf + i * width, values[i], strlen (values[i]));
  H5_AUTO type = string_type (width);
  H5_AUTO did = put_dataset (s, loc, dname, 1, &n, type, type, buf, where);
  return did >= 0;
}

/* Checks what HDF5 or a reader would choke on, before any file exists. */
static gboolean
validate (const AetProject *p, const char *name, GError **error)
{
  g_auto (GStrv) volumes = aet_project_dup_volume_names (p);
  g_auto (GStrv) series = aet_project_dup_tilt_series_names (p);
  g_auto (GStrv) atom_sets = aet_project_dup_atoms_names (p);
  for (guint i = 0; volumes[i] != NULL; i++)
    {
      g_autofree char *what = g_strdup_printf ("%s: volume '%s'", name, volumes[i]);
      if (!aet_volume_check_finite (aet_project_get_volume (p, volumes[i]), what, error))
        return FALSE;
      if (aet_project_get_tilt_series (p, volumes[i]) != NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "%s: a volume and a tilt series are both called '%s'", name, volumes[i]);
          return FALSE;
        }
    }
  for (guint i = 0; series[i] != NULL; i++)
    {
      const AetTiltSeries *ts = aet_project_get_tilt_series (p, series[i]);
      g_autofree char *what = g_strdup_printf ("%s: tilt series '%s'", name, series[i]);
      if (!aet_volume_check_finite (ts->images, what, error))
        return FALSE;
      for (gint k = 0; k < ts->images->nz; k++)
        if (!isfinite (ts->angles[k]) || !isfinite (ts->shifts[2 * k])
            || !isfinite (ts->shifts[2 * k + 1]))
          {
            g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                         "%s: image %d has an angle or shift that is not a finite number", what,
                         k);
            return FALSE;
          }
    }
  for (guint i = 0; atom_sets[i] != NULL; i++)
    {
      const AetAtoms *a = aet_project_get_atoms (p, atom_sets[i]);
      for (gsize k = 0; k < 3 * a->n_atoms; k++)
        if (!isfinite (a->positions[k]))
          {
            g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                         "%s: atoms '%s': atom %zu has a coordinate that is not a finite number",
                         name, atom_sets[i], k / 3);
            return FALSE;
          }
      for (guint c = 0; c < aet_atoms_n_columns (a); c++)
        if (!aet_project_name_is_valid (aet_atoms_column_name (a, c)))
          {
            g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                         "%s: atoms '%s': the column name '%s' cannot be stored (no '/', no "
                         "leading '.')", name, atom_sets[i], aet_atoms_column_name (a, c));
            return FALSE;
          }
    }
  return TRUE;
}

static gboolean
write_project (const AetProject *p, hid_t file, Saver *s)
{
  if (!put_u32 (s, file, "version_major", 0, "/") || !put_u32 (s, file, "version_minor", 2, "/"))
    return FALSE;
  H5_AUTO data = H5Gcreate2 (file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5_AUTO aet = H5Gcreate2 (file, "aet", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5_AUTO tilt = aet < 0 ? -1 : H5Gcreate2 (aet, "tilt_series", H5P_DEFAULT, H5P_DEFAULT,
                                            H5P_DEFAULT);
  H5_AUTO atoms = aet < 0 ? -1 : H5Gcreate2 (aet, "atoms", H5P_DEFAULT, H5P_DEFAULT,
                                             H5P_DEFAULT);
  if (data < 0 || aet < 0 || tilt < 0 || atoms < 0)
    return write_failed (s, "the groups");
  if (!put_u32 (s, aet, "format_version", FORMAT_VERSION, "/aet"))
    return FALSE;

  g_auto (GStrv) volumes = aet_project_dup_volume_names (p);
  for (guint i = 0; volumes[i] != NULL; i++)
    if (!save_volume (s, data, volumes[i], aet_project_get_volume (p, volumes[i])))
      return FALSE;
  g_auto (GStrv) series = aet_project_dup_tilt_series_names (p);
  for (guint i = 0; series[i] != NULL; i++)
    if (!save_tilt_series (s, data, tilt, series[i], aet_project_get_tilt_series (p, series[i])))
      return FALSE;
  g_auto (GStrv) atom_sets = aet_project_dup_atoms_names (p);
  for (guint i = 0; atom_sets[i] != NULL; i++)
    if (!save_atoms (s, atoms, atom_sets[i], aet_project_get_atoms (p, atom_sets[i])))
      return FALSE;

  g_auto (GStrv) keys = aet_project_dup_param_keys (p);
  guint n_keys = g_strv_length (keys);
  if (n_keys > 0)
    {
      g_autofree const char **values = g_new (const char *, n_keys);
      for (guint i = 0; i < n_keys; i++)
        values[i] = aet_project_get_param (p, keys[i]);
      H5_AUTO params = H5Gcreate2 (aet, "parameters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (params < 0)
        return write_failed (s, "/aet/parameters");
      if (!save_strings (s, params, "keys", (const char *const *) keys, n_keys, "/aet/parameters")
          || !save_strings (s, params, "values", values, n_keys, "/aet/parameters"))
        return FALSE;
    }
  const char *report = aet_project_get_report (p);
  if (report != NULL)
    {
      gsize len = strlen (report);
      H5_AUTO type = string_type (len);
      H5_AUTO space = H5Screate (H5S_SCALAR);
      H5_AUTO did = H5Dcreate2 (aet, "report", type, space, H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT);
      const char *value = len > 0 ? report : "";
      if (did < 0 || H5Dwrite (did, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
        return write_failed (s, "/aet/report");
    }
  return TRUE;
}

gboolean
aet_project_save (const AetProject *p, const char *path, GError **error)
{
  g_return_val_if_fail (p != NULL && path != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  if (!validate (p, name, error))
    return FALSE;
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;

  Saver s = { .name = name, .error = error };
  h5_enter ();
  gboolean ok = FALSE;
  /* The HDF5 1.8 file format: superblock 2 and checksummed object headers
   * and B-trees, which the loader relies on (HDF5 ≥ 1.8 reads it). */
  hid_t fapl = H5Pcreate (H5P_FILE_ACCESS);
  H5Pset_libver_bounds (fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
  hid_t file = H5Fcreate (tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose (fapl);
  if (file < 0)
    write_failed (&s, "the file");
  else
    {
      ok = write_project (p, file, &s);
      if (H5Fclose (file) < 0 && ok)
        ok = write_failed (&s, "the file");
    }
  h5_leave ();

  if (!ok)
    {
      aet_temp_discard (tmp);
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

/* --------------------------------------------------------------- loading */

typedef struct
{
  const char *name;   /* basename for messages */
  guint64 file_size;
  GError **error;
} Loader;

static gboolean
format_error (Loader *l, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
format_error (Loader *l, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (l->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s", l->name, msg);
  return FALSE;
}

/* TRUE when `path` (absolute) names an object of the given type through
 * hard links only: a soft or external link in a project file is refused, so
 * a hostile file cannot make us open other files. */
static gboolean
has_object (hid_t loc, const char *path, H5O_type_t type)
{
  g_autofree char *prefix = g_strdup (path);
  for (char *slash = strchr (prefix + 1, '/');; slash = strchr (slash + 1, '/'))
    {
      if (slash != NULL)
        *slash = '\0';
      H5L_info_t link;
      if (H5Lexists (loc, prefix, H5P_DEFAULT) <= 0
          || H5Lget_info (loc, prefix, &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
        return FALSE;
      if (slash == NULL)
        break;
      *slash = '/';
    }
  H5O_info_t info;
  if (H5Oget_info_by_name2 (loc, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return FALSE;
  return info.type == type;
}

/* The names of the links in a group, sorted, at most MAX_ITEMS. */
typedef struct
{
  GPtrArray *names;
  gboolean too_many;
} Names;

static herr_t
collect_name (hid_t group, const char *name, const H5L_info_t *info, void *data)
{
  Names *n = data;
  if (n->names->len >= MAX_ITEMS)
    {
      n->too_many = TRUE;
      return 1;
    }
  g_ptr_array_add (n->names, g_strdup (name));
  return 0;
}

static GPtrArray *
list_group (Loader *l, hid_t loc, const char *path, gboolean creation_order)
{
  Names n = { g_ptr_array_new_with_free_func (g_free), FALSE };
  H5_AUTO g = H5Gopen2 (loc, path, H5P_DEFAULT);
  hsize_t idx = 0;
  herr_t r = -1;
  if (g >= 0 && creation_order)
    r = H5Literate (g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_name, &n);
  if (g >= 0 && r < 0)
    {
      g_ptr_array_set_size (n.names, 0);
      idx = 0;
      r = H5Literate (g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &n);
    }
  if (g < 0 || r < 0 || n.too_many)
    {
      format_error (l, "cannot list %s%s", path, n.too_many ? " (too many entries)" : "");
      g_ptr_array_unref (n.names);
      return NULL;
    }
  return n.names;
}

/* Opens a dataset and checks it is a simple array of `rank` dims of a
 * numeric type, at most `max_bytes` once read as `elem` bytes per value. */
static hid_t
open_array (Loader *l, hid_t loc, const char *path, int rank, hsize_t *dims, gsize elem,
            const char *shown)
{
  if (!has_object (loc, path, H5O_TYPE_DATASET))
    {
      format_error (l, "%s is missing", shown);
      return -1;
    }
  hid_t did = H5Dopen2 (loc, path, H5P_DEFAULT);
  H5_AUTO space = did < 0 ? -1 : H5Dget_space (did);
  H5_AUTO type = did < 0 ? -1 : H5Dget_type (did);
  if (did < 0 || space < 0 || type < 0)
    {
      if (did >= 0)
        H5Dclose (did);
      g_autofree char *reason = h5_reason ();
      format_error (l, "cannot open %s: %s", shown, reason);
      return -1;
    }
  H5T_class_t cls = H5Tget_class (type);
  int actual = H5Sget_simple_extent_ndims (space);
  gboolean ok = FALSE;
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    format_error (l, "%s is not numeric", shown);
  else if (H5Sget_simple_extent_type (space) != H5S_SIMPLE || actual != rank)
    format_error (l, "%s has %d dimensions, expected %d", shown, MAX (actual, 0), rank);
  else if (H5Sget_simple_extent_dims (space, dims, NULL) != rank)
    format_error (l, "%s: cannot read its dimensions", shown);
  else
    {
      guint64 bytes = elem;
      gboolean overflow = FALSE;
      for (int d = 0; d < rank; d++)
        {
          if (dims[d] > G_MAXUINT32 || (dims[d] > 0 && bytes > G_MAXUINT64 / dims[d]))
            overflow = TRUE;
          else
            bytes *= dims[d];
        }
      if (overflow || bytes / MAX_EXPANSION > l->file_size)
        format_error (l, "%s claims more data than the file can hold", shown);
      else
        ok = TRUE;
    }
  if (!ok)
    {
      H5Dclose (did);
      return -1;
    }
  return did;
}

static gboolean
read_array (Loader *l, hid_t did, hid_t mem_type, void *out, const char *shown)
{
  if (H5Dread (did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    {
      g_autofree char *reason = h5_reason ();
      return format_error (l, "cannot read %s (damaged or truncated file?): %s", shown, reason);
    }
  return TRUE;
}

/* Reads a numeric attribute of exactly n values as doubles. */
static gboolean
get_doubles (Loader *l, hid_t loc, const char *attr, gdouble *out, hssize_t n,
             const char *shown)
{
  if (H5Aexists (loc, attr) <= 0)
    return format_error (l, "%s has no attribute %s", shown, attr);
  H5_AUTO a = H5Aopen (loc, attr, H5P_DEFAULT);
  H5_AUTO space = a < 0 ? -1 : H5Aget_space (a);
  H5_AUTO type = a < 0 ? -1 : H5Aget_type (a);
  if (a < 0 || space < 0 || type < 0
      || (H5Tget_class (type) != H5T_FLOAT && H5Tget_class (type) != H5T_INTEGER)
      || H5Sget_simple_extent_npoints (space) != n
      || H5Aread (a, H5T_NATIVE_DOUBLE, out) < 0)
    return format_error (l, "%s: attribute %s is not %d number%s", shown, attr, (int) n,
                         n == 1 ? "" : "s");
  for (hssize_t i = 0; i < n; i++)
    if (!isfinite (out[i]))
      return format_error (l, "%s: attribute %s is not a finite number", shown, attr);
  return TRUE;
}

/* Checks that `type` is a fixed-length string type; its size in *size. */
static gboolean
fixed_string_type (hid_t type, gsize *size)
{
  if (type < 0 || H5Tget_class (type) != H5T_STRING || H5Tis_variable_str (type) != 0)
    return FALSE;
  *size = H5Tget_size (type);
  return *size > 0 && *size <= MAX_STRING;
}

/* A memory type for reading fixed-length strings of `size` bytes stored
 * with the character set of `type`. */
static hid_t
string_memory_type (hid_t type, gsize size)
{
  hid_t mem = H5Tcopy (H5T_C_S1);
  H5Tset_size (mem, size);
  H5Tset_strpad (mem, H5T_STR_NULLPAD);
  H5Tset_cset (mem, H5Tget_cset (type));
  return mem;
}

/* A scalar fixed-length string dataset's value. Caller owns. */
static char *
get_string (Loader *l, hid_t did, const char *shown)
{
  H5_AUTO type = H5Dget_type (did);
  H5_AUTO space = H5Dget_space (did);
  gsize size = 0;
  if (!fixed_string_type (type, &size) || space < 0
      || H5Sget_simple_extent_npoints (space) != 1 || size / MAX_EXPANSION > l->file_size)
    {
      format_error (l, "%s is not one fixed-length string", shown);
      return NULL;
    }
  H5_AUTO mem = string_memory_type (type, size);
  g_autofree char *buf = g_malloc0 (size + 1);
  if (H5Dread (did, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    {
      format_error (l, "cannot read %s (damaged or truncated file?)", shown);
      return NULL;
    }
  if (!g_utf8_validate (buf, -1, NULL))
    {
      format_error (l, "%s is not UTF-8 text", shown);
      return NULL;
    }
  return g_steal_pointer (&buf);
}

/* A 1-D dataset of fixed-length strings. Caller owns. */
static GStrv
get_string_array (Loader *l, hid_t loc, const char *path, hsize_t *n, const char *shown)
{
  if (!has_object (loc, path, H5O_TYPE_DATASET))
    {
      format_error (l, "%s is missing", shown);
      return NULL;
    }
  H5_AUTO did = H5Dopen2 (loc, path, H5P_DEFAULT);
  H5_AUTO type = did < 0 ? -1 : H5Dget_type (did);
  H5_AUTO space = did < 0 ? -1 : H5Dget_space (did);
  gsize size = 0;
  if (did < 0 || !fixed_string_type (type, &size) || space < 0
      || H5Sget_simple_extent_type (space) != H5S_SIMPLE
      || H5Sget_simple_extent_ndims (space) != 1 || H5Sget_simple_extent_dims (space, n, NULL) != 1
      || *n > MAX_ITEMS || (guint64) size * *n / MAX_EXPANSION > l->file_size)
    {
      format_error (l, "%s is not a list of fixed-length strings", shown);
      return NULL;
    }
  H5_AUTO mem = string_memory_type (type, size);
  g_autofree char *buf = g_malloc0 (size * *n + 1);
  if (*n > 0 && H5Dread (did, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    {
      format_error (l, "cannot read %s (damaged or truncated file?)", shown);
      return NULL;
    }
  g_auto (GStrv) out = g_new0 (char *, *n + 1);
  for (hsize_t i = 0; i < *n; i++)
    {
      out[i] = g_strndup (buf + i * size, size);
      if (!g_utf8_validate (out[i], -1, NULL))
        {
          format_error (l, "%s holds a value that is not UTF-8 text", shown);
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

/* Opens /data/<name>, checks the EMD group and reads voxel size and origin
 * into a new volume of the given size (checked). */
static AetVolume *
open_emd (Loader *l, hid_t file, const char *name, hid_t *did_out, hsize_t dims[3])
{
  g_autofree char *group = g_strdup_printf ("/data/%s", name);
  g_autofree char *data = g_strdup_printf ("/data/%s/data", name);
  if (!has_object (file, group, H5O_TYPE_GROUP))
    {
      format_error (l, "%s is missing", group);
      return NULL;
    }
  H5_AUTO g = H5Gopen2 (file, group, H5P_DEFAULT);
  gdouble voxel_size, origin[3];
  if (g < 0 || !get_doubles (l, g, "voxel_size", &voxel_size, 1, group)
      || !get_doubles (l, g, "origin", origin, 3, group))
    return NULL;
  hid_t did = open_array (l, file, data, 3, dims, sizeof (gfloat), data);
  if (did < 0)
    return NULL;
  g_autoptr (GError) local = NULL;
  AetVolume *v = NULL;
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[0] > AET_VOLUME_MAX_EDGE
      || dims[1] > AET_VOLUME_MAX_EDGE || dims[2] > AET_VOLUME_MAX_EDGE)
    format_error (l, "%s has size %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT "×%"
                  G_GUINT64_FORMAT ", expected 1 to %d per edge", data, (guint64) dims[0],
                  (guint64) dims[1], (guint64) dims[2], AET_VOLUME_MAX_EDGE);
  else if ((v = aet_volume_try_new ((gint) dims[0], (gint) dims[1], (gint) dims[2], voxel_size,
                                    &local)) == NULL)
    format_error (l, "%s: %s", group, local->message);
  if (v == NULL)
    {
      H5Dclose (did);
      return NULL;
    }
  memcpy (v->origin, origin, sizeof origin);
  *did_out = did;
  return v;
}

static AetVolume *
load_volume (Loader *l, hid_t file, const char *name)
{
  hsize_t dims[3];
  H5_AUTO did = -1;
  g_autofree char *data = g_strdup_printf ("/data/%s/data", name);
  g_autoptr (AetVolume) v = open_emd (l, file, name, &did, dims);
  if (v == NULL || !read_array (l, did, H5T_NATIVE_FLOAT, v->data, data))
    return NULL;
  g_autofree char *what = g_strdup_printf ("%s: %s", l->name, data);
  if (!aet_volume_check_finite (v, what, l->error))
    return NULL;
  return g_steal_pointer (&v);
}

static AetTiltSeries *
load_tilt_series (Loader *l, hid_t file, const char *name)
{
  hsize_t dims[3];
  H5_AUTO did = -1;
  g_autofree char *data = g_strdup_printf ("/data/%s/data", name);
  g_autoptr (AetVolume) stored = open_emd (l, file, name, &did, dims);
  if (stored == NULL || !read_array (l, did, H5T_NATIVE_FLOAT, stored->data, data))
    return NULL;
  g_autofree char *what = g_strdup_printf ("%s: %s", l->name, data);
  if (!aet_volume_check_finite (stored, what, l->error))
    return NULL;
  /* stored is (n, ny, nx) with the angle index fastest: back to images */
  gsize n = dims[0], ny = dims[1], nx = dims[2];
  g_autoptr (AetVolume) im = aet_volume_new ((gint) nx, (gint) ny, (gint) n, stored->voxel_size);
  memcpy (im->origin, stored->origin, sizeof im->origin);
  for (gsize k = 0; k < n; k++)
    for (gsize j = 0; j < ny; j++)
      {
        gfloat *row = im->data + nx * (j + ny * k);
        for (gsize i = 0; i < nx; i++)
          row[i] = stored->data[k + n * (j + ny * i)];
      }

  g_autofree char *base = g_strdup_printf ("/aet/tilt_series/%s", name);
  g_autofree char *apath = g_strconcat (base, "/angles", NULL);
  g_autofree char *spath = g_strconcat (base, "/shifts", NULL);
  hsize_t an, sdims[2];
  H5_AUTO adid = open_array (l, file, apath, 1, &an, sizeof (gdouble), apath);
  if (adid < 0)
    return NULL;
  if (an != n)
    {
      g_set_error (l->error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: %s has %" G_GUINT64_FORMAT " angles but %s has %zu images", l->name,
                   apath, (guint64) an, data, n);
      return NULL;
    }
  g_autofree gdouble *angles = g_new (gdouble, n);
  if (!read_array (l, adid, H5T_NATIVE_DOUBLE, angles, apath))
    return NULL;
  for (gsize k = 0; k < n; k++)
    if (!isfinite (angles[k]))
      {
        g_set_error (l->error, AET_ERROR, AET_ERROR_DATA, "%s: %s: angle %zu is not a number",
                     l->name, apath, k);
        return NULL;
      }
  g_autoptr (AetTiltSeries) ts = aet_tilt_series_new (im, angles);
  H5_AUTO sdid = open_array (l, file, spath, 2, sdims, sizeof (gdouble), spath);
  if (sdid < 0)
    return NULL;
  if (sdims[0] != n || sdims[1] != 2)
    {
      g_set_error (l->error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: %s is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ", expected %zu×2",
                   l->name, spath, (guint64) sdims[0], (guint64) sdims[1], n);
      return NULL;
    }
  if (!read_array (l, sdid, H5T_NATIVE_DOUBLE, ts->shifts, spath))
    return NULL;
  for (gsize k = 0; k < 2 * n; k++)
    if (!isfinite (ts->shifts[k]))
      {
        g_set_error (l->error, AET_ERROR, AET_ERROR_DATA, "%s: %s: shift %zu is not a number",
                     l->name, spath, k / 2);
        return NULL;
      }
  return g_steal_pointer (&ts);
}

static AetAtoms *
load_atoms (Loader *l, hid_t file, const char *name)
{
  g_autofree char *base = g_strdup_printf ("/aet/atoms/%s", name);
  g_autofree char *ppath = g_strconcat (base, "/positions", NULL);
  g_autofree char *epath = g_strconcat (base, "/elements", NULL);
  g_autofree char *cpath = g_strconcat (base, "/columns", NULL);
  hsize_t pdims[2], en;
  H5_AUTO pdid = open_array (l, file, ppath, 2, pdims, sizeof (gdouble), ppath);
  if (pdid < 0)
    return NULL;
  if (pdims[1] != 3 || pdims[0] > MAX_ATOMS)
    {
      format_error (l, "%s is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ", expected N×3", ppath,
                    (guint64) pdims[0], (guint64) pdims[1]);
      return NULL;
    }
  gsize n = pdims[0];
  H5_AUTO edid = open_array (l, file, epath, 1, &en, 1, epath);
  if (edid < 0)
    return NULL;
  if (en != n)
    {
      g_set_error (l->error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: %s: positions has %zu atoms but elements has %" G_GUINT64_FORMAT,
                   l->name, base, n, (guint64) en);
      return NULL;
    }
  g_autoptr (AetAtoms) atoms = aet_atoms_new (n);
  if (n > 0 && (!read_array (l, pdid, H5T_NATIVE_DOUBLE, atoms->positions, ppath)
                || !read_array (l, edid, H5T_NATIVE_UINT8, atoms->elements, epath)))
    return NULL;
  atoms->n_atoms = n;
  for (gsize k = 0; k < 3 * n; k++)
    if (!isfinite (atoms->positions[k]))
      {
        g_set_error (l->error, AET_ERROR, AET_ERROR_DATA,
                     "%s: %s: atom %zu has a coordinate that is not a number", l->name, ppath,
                     k / 3);
        return NULL;
      }

  if (!has_object (file, cpath, H5O_TYPE_GROUP))
    return g_steal_pointer (&atoms);
  g_autoptr (GPtrArray) columns = list_group (l, file, cpath, TRUE);
  if (columns == NULL)
    return NULL;
  for (guint c = 0; c < columns->len; c++)
    {
      const char *cname = columns->pdata[c];
      g_autofree char *path = g_strdup_printf ("%s/%s", cpath, cname);
      hsize_t cn;
      if (!aet_project_name_is_valid (cname) || aet_atoms_get_column (atoms, cname) != NULL)
        {
          format_error (l, "%s: bad column name", path);
          return NULL;
        }
      H5_AUTO cdid = open_array (l, file, path, 1, &cn, sizeof (gfloat), path);
      if (cdid < 0)
        return NULL;
      if (cn != n)
        {
          g_set_error (l->error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: %s has %" G_GUINT64_FORMAT " values but there are %zu atoms",
                       l->name, path, (guint64) cn, n);
          return NULL;
        }
      gfloat *values = aet_atoms_ensure_column (atoms, cname);
      if (n > 0 && !read_array (l, cdid, H5T_NATIVE_FLOAT, values, path))
        return NULL;
    }
  return g_steal_pointer (&atoms);
}

static gboolean
load_into (Loader *l, hid_t file, AetProject *p)
{
  if (!has_object (file, "/aet", H5O_TYPE_GROUP))
    return format_error (l, "HDF5 file but not an AET Studio project (no /aet group)");
  H5_AUTO aet = H5Gopen2 (file, "/aet", H5P_DEFAULT);
  gdouble version = 0;
  if (aet < 0 || !get_doubles (l, aet, "format_version", &version, 1, "/aet"))
    return FALSE;
  if (version != FORMAT_VERSION)
    return format_error (l, "project format %g is not one this AET Studio reads (%u)", version,
                         FORMAT_VERSION);

  g_autoptr (GHashTable) tilt_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) series = NULL;
  if (has_object (file, "/aet/tilt_series", H5O_TYPE_GROUP))
    {
      series = list_group (l, file, "/aet/tilt_series", FALSE);
      if (series == NULL)
        return FALSE;
      for (guint i = 0; i < series->len; i++)
        {
          const char *name = series->pdata[i];
          if (!aet_project_name_is_valid (name))
            return format_error (l, "/aet/tilt_series: bad name");
          g_autoptr (AetTiltSeries) ts = load_tilt_series (l, file, name);
          if (ts == NULL)
            return FALSE;
          aet_project_set_tilt_series (p, name, ts);
          g_hash_table_add (tilt_names, (gpointer) name);
        }
    }
  if (has_object (file, "/data", H5O_TYPE_GROUP))
    {
      g_autoptr (GPtrArray) volumes = list_group (l, file, "/data", FALSE);
      if (volumes == NULL)
        return FALSE;
      for (guint i = 0; i < volumes->len; i++)
        {
          const char *name = volumes->pdata[i];
          if (g_hash_table_contains (tilt_names, name))
            continue;
          if (!aet_project_name_is_valid (name))
            return format_error (l, "/data: bad name");
          g_autoptr (AetVolume) v = load_volume (l, file, name);
          if (v == NULL)
            return FALSE;
          aet_project_set_volume (p, name, v);
        }
    }
  if (has_object (file, "/aet/atoms", H5O_TYPE_GROUP))
    {
      g_autoptr (GPtrArray) sets = list_group (l, file, "/aet/atoms", FALSE);
      if (sets == NULL)
        return FALSE;
      for (guint i = 0; i < sets->len; i++)
        {
          const char *name = sets->pdata[i];
          if (!aet_project_name_is_valid (name))
            return format_error (l, "/aet/atoms: bad name");
          g_autoptr (AetAtoms) a = load_atoms (l, file, name);
          if (a == NULL)
            return FALSE;
          aet_project_set_atoms (p, name, a);
        }
    }
  if (has_object (file, "/aet/parameters", H5O_TYPE_GROUP))
    {
      hsize_t nk = 0, nv = 0;
      g_auto (GStrv) keys = get_string_array (l, file, "/aet/parameters/keys", &nk,
                                              "/aet/parameters/keys");
      if (keys == NULL)
        return FALSE;
      g_auto (GStrv) values = get_string_array (l, file, "/aet/parameters/values", &nv,
                                                "/aet/parameters/values");
      if (values == NULL)
        return FALSE;
      if (nk != nv)
        {
          g_set_error (l->error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: /aet/parameters has %" G_GUINT64_FORMAT " keys but %"
                       G_GUINT64_FORMAT " values", l->name, (guint64) nk, (guint64) nv);
          return FALSE;
        }
      for (hsize_t i = 0; i < nk; i++)
        if (*keys[i] != '\0')
          aet_project_set_param (p, keys[i], values[i]);
    }
  if (has_object (file, "/aet/report", H5O_TYPE_DATASET))
    {
      H5_AUTO did = H5Dopen2 (file, "/aet/report", H5P_DEFAULT);
      g_autofree char *report = did < 0 ? NULL : get_string (l, did, "/aet/report");
      if (report == NULL)
        return did < 0 ? format_error (l, "cannot open /aet/report") : FALSE;
      aet_project_set_report (p, report);
    }
  return TRUE;
}

/* Opens `path` and checks its signature, superblock version and size
 * before HDF5 sees it.  *checksummed tells whether the superblock is
 * version 2 or later, where HDF5 verifies a checksum on the superblock and
 * every object header and B-tree before it parses them. */
static gboolean
check_signature (const char *path, const char *name, guint64 *size, gboolean *checksummed,
                 GError **error)
{
  int fd = g_open (path, O_RDONLY, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot open the file: %s", name,
                   g_strerror (saved));
      return FALSE;
    }
  struct stat st;
  guint8 head[9];
  ssize_t got = -1;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    got = read (fd, head, sizeof head);
  close (fd);
  if (got < (ssize_t) sizeof hdf5_signature
      || memcmp (head, hdf5_signature, sizeof hdf5_signature) != 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: not an HDF5 file", name);
      return FALSE;
    }
  if (got < (ssize_t) sizeof head)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: HDF5 file is truncated or damaged (no superblock)", name);
      return FALSE;
    }
  *size = (guint64) st.st_size;
  *checksummed = head[8] >= 2;
  return TRUE;
}

static hid_t
open_file (const char *path)
{
  H5_AUTO fapl = H5Pcreate (H5P_FILE_ACCESS);
  /* closing the file closes everything still open in it */
  H5Pset_fclose_degree (fapl, H5F_CLOSE_STRONG);
  return H5Fopen (path, H5F_ACC_RDONLY, fapl);
}

AetProject *
aet_project_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *name = aet_display_name (path);
  guint64 size = 0;
  gboolean checksummed = FALSE;
  if (!check_signature (path, name, &size, &checksummed, error))
    return NULL;
  /* libhdf5 trusts the metadata it parses and can crash on a damaged file
   * (fuzzing 1.10.8 found a use-after-free in its attribute iteration and
   * unbounded allocations); without checksums we would hand it unverified
   * metadata, and AET Studio never writes such files. */
  if (!checksummed)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: HDF5 file but not an AET Studio project (old HDF5 format, no "
                   "checksums)", name);
      return NULL;
    }

  Loader l = { .name = name, .file_size = size, .error = error };
  g_autoptr (AetProject) p = aet_project_new ();
  h5_enter ();
  hid_t file = open_file (path);
  gboolean ok;
  if (file < 0)
    {
      g_autofree char *reason = h5_reason ();
      ok = format_error (&l, "HDF5 file is truncated or damaged (%s)", reason);
    }
  else
    {
      ok = load_into (&l, file, p);
      H5Fclose (file);
    }
  h5_leave ();
  return ok ? g_steal_pointer (&p) : NULL;
}

gboolean
aet_project_file_is_project (const char *path)
{
  g_return_val_if_fail (path != NULL, FALSE);
  guint64 size = 0;
  gboolean checksummed = FALSE;
  if (!check_signature (path, "", &size, &checksummed, NULL) || !checksummed)
    return FALSE;
  h5_enter ();
  hid_t file = open_file (path);
  gboolean ok = file >= 0 && has_object (file, "/aet", H5O_TYPE_GROUP);
  if (file >= 0)
    H5Fclose (file);
  h5_leave ();
  return ok;
}
