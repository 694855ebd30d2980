#define G_LOG_DOMAIN "aet-weights"

#include "aet-weights.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <hdf5.h>
#include <math.h>
#include <string.h>

#define FORMAT_NAME "aet-unet"
#define FORMAT_VERSION 1

/* HDF5 prints its error stack by default; our messages say what failed. */
typedef struct
{
  H5E_auto2_t func;
  void *data;
} Quiet;

static void
quiet_begin (Quiet *q)
{
  H5Eget_auto2 (H5E_DEFAULT, &q->func, &q->data);
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
}

static void
quiet_end (Quiet *q)
{
  H5Eset_auto2 (H5E_DEFAULT, q->func, q->data);
}

/* ---- writing ---- */

static gboolean
write_string_attr (hid_t obj, const char *name, const char *value)
{
  hid_t type = H5Tcopy (H5T_C_S1);
  H5Tset_size (type, strlen (value) + 1);
  H5Tset_strpad (type, H5T_STR_NULLTERM);
  hid_t space = H5Screate (H5S_SCALAR);
  hid_t attr = H5Acreate2 (obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = attr < 0 ? -1 : H5Awrite (attr, type, value);
  if (attr >= 0)
    H5Aclose (attr);
  H5Sclose (space);
  H5Tclose (type);
  return st >= 0;
}

static gboolean
write_attr (hid_t obj, const char *name, hid_t mem_type, hid_t file_type, gsize n,
            const void *value)
{
  hsize_t dims = n;
  hid_t space = n == 1 ? H5Screate (H5S_SCALAR) : H5Screate_simple (1, &dims, NULL);
  hid_t attr = H5Acreate2 (obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = attr < 0 ? -1 : H5Awrite (attr, mem_type, value);
  if (attr >= 0)
    H5Aclose (attr);
  H5Sclose (space);
  return st >= 0;
}

static gboolean
write_int (hid_t obj, const char *name, gint value)
{
  return write_attr (obj, name, H5T_NATIVE_INT, H5T_STD_I32LE, 1, &value);
}

static gboolean
write_double (hid_t obj, const char *name, gdouble value)
{
  return write_attr (obj, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, &value);
}

/* IEEE 754 binary16, little-endian: HDF5 has no predefined half type, but
 * converts between float types it is told the layout of, so any reader
 * asking for H5T_NATIVE_FLOAT gets the values back.  Caller closes. */
static hid_t
half_type (void)
{
  hid_t t = H5Tcopy (H5T_IEEE_F32LE);
  if (t < 0)
    return -1;
  if (H5Tset_fields (t, 15, 10, 5, 0, 10) < 0 || H5Tset_precision (t, 16) < 0
      || H5Tset_size (t, 2) < 0 || H5Tset_ebias (t, 15) < 0)
    {
      H5Tclose (t);
      return -1;
    }
  return t;
}

/* data[0 … n) as a 1-D dataset: float32, or binary16 when half (each value
 * rounded to the nearest half first, so HDF5's conversion is exact). */
static gboolean
write_floats (hid_t loc, const char *name, const gfloat *data, gsize n, gboolean half)
{
  hsize_t dims = n;
  g_autofree gfloat *rounded = NULL;
  hid_t type = H5T_IEEE_F32LE;
  if (half)
    {
      rounded = g_new (gfloat, MAX (n, 1));
      for (gsize i = 0; i < n; i++)
        rounded[i] = (gfloat) (_Float16) data[i];
      data = rounded;
      type = half_type ();
      if (type < 0)
        return FALSE;
    }
  hid_t space = H5Screate_simple (1, &dims, NULL);
  hid_t ds = H5Dcreate2 (loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = ds < 0 ? -1 : H5Dwrite (ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                       data);
  if (ds >= 0)
    H5Dclose (ds);
  H5Sclose (space);
  if (half)
    H5Tclose (type);
  return st >= 0;
}

static gboolean
write_file (hid_t file, AetUnet *net, const AetAdam *adam, gboolean half)
{
  gboolean ok = write_string_attr (file, "format", FORMAT_NAME)
                && write_int (file, "version", FORMAT_VERSION)
                && write_int (file, "in_channels", aet_unet_get_in_channels (net))
                && write_int (file, "n_layers", (gint) aet_unet_get_n_layers (net))
                && write_double (file, "voxel_size", aet_unet_get_voxel_size (net));
  hid_t layers = ok ? H5Gcreate2 (file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
  if (layers < 0)
    return FALSE;
  guint param = 0, n_params = aet_unet_get_n_params (net);
  for (guint i = 0; ok && i < aet_unet_get_n_layers (net); i++)
    {
      const AetLayerSpec *s = aet_unet_get_layer (net, i);
      char name[16];
      g_snprintf (name, sizeof name, "%03u", i);
      hid_t g = H5Gcreate2 (layers, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (g < 0)
        {
          ok = FALSE;
          break;
        }
      gint inputs[AET_LAYER_MAX_INPUTS];
      memcpy (inputs, s->inputs, sizeof inputs);
      ok = write_string_attr (g, "kind", aet_layer_kind_name (s->kind))
           && write_string_attr (g, "activation", aet_activation_name (s->activation))
           && write_string_attr (g, "norm", aet_norm_name (s->norm))
           && write_int (g, "in_channels", s->in_channels)
           && write_int (g, "out_channels", s->out_channels)
           && write_int (g, "kernel", s->kernel)
           && write_int (g, "stride", s->stride)
           && write_int (g, "padding", s->padding)
           && write_int (g, "groups", s->groups)
           && write_double (g, "slope", s->slope);
      /* inputs is always written as an array, even with one element */
      if (ok)
        {
          hsize_t dims = s->n_inputs;
          hid_t space = H5Screate_simple (1, &dims, NULL);
          hid_t attr = H5Acreate2 (g, "inputs", H5T_STD_I32LE, space, H5P_DEFAULT,
                                   H5P_DEFAULT);
          ok = attr >= 0 && H5Awrite (attr, H5T_NATIVE_INT, inputs) >= 0;
          if (attr >= 0)
            H5Aclose (attr);
          H5Sclose (space);
        }
      while (ok && param < n_params && aet_unet_get_param (net, param)->layer == i)
        {
          AetParam *p = aet_unet_get_param (net, param++);
          ok = write_floats (g, p->name, p->data, p->n, half);
        }
      H5Gclose (g);
    }
  H5Gclose (layers);
  if (!ok || adam == NULL)
    return ok;
  hid_t ag = H5Gcreate2 (file, "adam", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (ag < 0)
    return FALSE;
  gint64 step = adam->step;
  ok = write_attr (ag, "step", H5T_NATIVE_INT64, H5T_STD_I64LE, 1, &step)
       && write_double (ag, "lr", adam->lr) && write_double (ag, "beta1", adam->beta1)
       && write_double (ag, "beta2", adam->beta2) && write_double (ag, "eps", adam->eps)
       && (adam->grad_norm_avg <= 0 || write_double (ag, "grad_norm_avg", adam->grad_norm_avg))
       && (adam->ema == NULL || write_double (ag, "ema_decay", adam->ema_decay));
  for (guint k = 0; ok && k < adam->n_params; k++)
    {
      char name[32];
      g_snprintf (name, sizeof name, "m_%u", k);
      ok = write_floats (ag, name, adam->m[k], adam->sizes[k], FALSE);
      g_snprintf (name, sizeof name, "v_%u", k);
      ok = ok && write_floats (ag, name, adam->v[k], adam->sizes[k], FALSE);
      g_snprintf (name, sizeof name, "ema_%u", k);
      ok = ok && (adam->ema == NULL || write_floats (ag, name, adam->ema[k], adam->sizes[k], FALSE));
    }
  H5Gclose (ag);
  return ok;
}

static gboolean save (AetUnet *net, const AetAdam *adam, gboolean half, const char *path,
                      GError **error);

gboolean
aet_weights_save (AetUnet *net, const AetAdam *adam, const char *path, GError **error)
{
  return save (net, adam, FALSE, path, error);
}

gboolean
aet_weights_save_half (AetUnet *net, const char *path, GError **error)
{
  g_return_val_if_fail (net != NULL && path != NULL, FALSE);
  for (guint i = 0; i < aet_unet_get_n_params (net); i++)
    {
      const AetParam *p = aet_unet_get_param (net, i);
      for (gsize k = 0; k < p->n; k++)
        if (!isfinite ((gfloat) (_Float16) p->data[k]))
          {
            g_autofree char *display = aet_display_name (path);
            g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                         "%s: the weight %g (layer %u, %s) does not fit a 16-bit float",
                         display, p->data[k], p->layer, p->name);
            return FALSE;
          }
    }
  return save (net, NULL, TRUE, path, error);
}

static gboolean
save (AetUnet *net, const AetAdam *adam, gboolean half, const char *path, GError **error)
{
  g_return_val_if_fail (net != NULL && path != NULL, FALSE);
  g_autofree char *display = aet_display_name (path);
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  Quiet q;
  quiet_begin (&q);
  hid_t file = H5Fcreate (tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  gboolean ok = file >= 0 && write_file (file, net, adam, half);
  if (file >= 0 && H5Fclose (file) < 0)
    ok = FALSE;
  quiet_end (&q);
  if (!ok)
    {
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: could not write the weights file",
                   display);
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

/* ---- reading ---- */

typedef struct
{
  const char *file;     /* display name */
  GError **error;
} Ctx;

static gboolean
read_string_attr (hid_t obj, const char *name, char **out)
{
  if (H5Aexists (obj, name) <= 0)
    return FALSE;
  hid_t attr = H5Aopen (obj, name, H5P_DEFAULT);
  hid_t type = H5Aget_type (attr);
  gboolean ok = FALSE;
  if (H5Tget_class (type) == H5T_STRING)
    {
      if (H5Tis_variable_str (type) > 0)
        {
          char *s = NULL;
          hid_t mem = H5Tcopy (H5T_C_S1);
          H5Tset_size (mem, H5T_VARIABLE);
          if (H5Aread (attr, mem, &s) >= 0 && s != NULL)
            {
              *out = g_strdup (s);
              H5free_memory (s);
              ok = TRUE;
            }
          H5Tclose (mem);
        }
      else
        {
          gsize size = H5Tget_size (type);
          if (size > 0 && size < 256)
            {
              g_autofree char *buf = g_malloc0 (size + 1);
              hid_t mem = H5Tcopy (H5T_C_S1);
              H5Tset_size (mem, size);
              if (H5Aread (attr, mem, buf) >= 0)
                {
                  *out = g_strndup (buf, size);
                  ok = TRUE;
                }
              H5Tclose (mem);
            }
        }
    }
  H5Tclose (type);
  H5Aclose (attr);
  return ok;
}

/* Reads a numeric attribute of up to max elements; *n gets the count. */
static gboolean
read_num_attr (hid_t obj, const char *name, hid_t mem_type, void *out, gsize max, gsize *n)
{
  if (H5Aexists (obj, name) <= 0)
    return FALSE;
  hid_t attr = H5Aopen (obj, name, H5P_DEFAULT);
  hid_t space = H5Aget_space (attr);
  hssize_t count = H5Sget_simple_extent_npoints (space);
  hid_t type = H5Aget_type (attr);
  H5T_class_t cls = H5Tget_class (type);
  gboolean ok = count >= 1 && (gsize) count <= max
                && (cls == H5T_INTEGER || cls == H5T_FLOAT)
                && H5Aread (attr, mem_type, out) >= 0;
  if (n != NULL)
    *n = count > 0 ? (gsize) count : 0;
  H5Tclose (type);
  H5Sclose (space);
  H5Aclose (attr);
  return ok;
}

static gboolean
need_int (Ctx *c, hid_t obj, const char *where, const char *name, gint *out)
{
  if (read_num_attr (obj, name, H5T_NATIVE_INT, out, 1, NULL))
    return TRUE;
  g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s has no integer '%s' attribute",
               c->file, where, name);
  return FALSE;
}

static gboolean
need_string (Ctx *c, hid_t obj, const char *where, const char *name, char **out)
{
  if (read_string_attr (obj, name, out))
    return TRUE;
  g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s has no string '%s' attribute",
               c->file, where, name);
  return FALSE;
}

/* Reads a 1-D float dataset of exactly n values into out. */
static gboolean
read_floats (Ctx *c, hid_t loc, const char *where, const char *name, gfloat *out, gsize n)
{
  if (H5Lexists (loc, name, H5P_DEFAULT) <= 0)
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s has no '%s' dataset",
                   c->file, where, name);
      return FALSE;
    }
  hid_t ds = H5Dopen2 (loc, name, H5P_DEFAULT);
  if (ds < 0)
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s '%s' is not a dataset",
                   c->file, where, name);
      return FALSE;
    }
  hid_t space = H5Dget_space (ds);
  hssize_t count = H5Sget_simple_extent_npoints (space);
  gboolean ok = FALSE;
  if (count != (hssize_t) n)
    g_set_error (c->error, AET_ERROR, AET_ERROR_MISMATCH,
                 "%s: %s %s has %" G_GINT64_FORMAT " values but %" G_GSIZE_FORMAT
                 " are expected", c->file, where, name, (gint64) count, n);
  else if (H5Dread (ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: %s %s could not be read",
                 c->file, where, name);
  else
    {
      ok = TRUE;
      for (gsize i = 0; i < n; i++)
        if (!isfinite (out[i]))
          {
            g_set_error (c->error, AET_ERROR, AET_ERROR_DATA,
                         "%s: %s %s holds a non-finite value at %" G_GSIZE_FORMAT, c->file,
                         where, name, i);
            ok = FALSE;
            break;
          }
    }
  H5Sclose (space);
  H5Dclose (ds);
  return ok;
}

static gboolean
read_spec (Ctx *c, hid_t g, guint index, AetLayerSpec *s)
{
  g_autofree char *where = g_strdup_printf ("layer %u", index);
  g_autofree char *kind = NULL, *act = NULL, *norm = NULL;
  memset (s, 0, sizeof *s);
  if (!need_string (c, g, where, "kind", &kind))
    return FALSE;
  if (!aet_layer_kind_from_name (kind, &s->kind))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: layer %u has unknown kind '%s'",
                   c->file, index, kind);
      return FALSE;
    }
  if (!need_string (c, g, where, "activation", &act) || !need_string (c, g, where, "norm", &norm))
    return FALSE;
  if (!aet_activation_from_name (act, &s->activation))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: layer %u has unknown activation '%s'", c->file, index, act);
      return FALSE;
    }
  if (!aet_norm_from_name (norm, &s->norm))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: layer %u has unknown normalisation '%s'", c->file, index, norm);
      return FALSE;
    }
  if (!need_int (c, g, where, "in_channels", &s->in_channels)
      || !need_int (c, g, where, "out_channels", &s->out_channels)
      || !need_int (c, g, where, "kernel", &s->kernel)
      || !need_int (c, g, where, "stride", &s->stride)
      || !need_int (c, g, where, "padding", &s->padding)
      || !need_int (c, g, where, "groups", &s->groups))
    return FALSE;
  gdouble slope = 0.0;
  if (!read_num_attr (g, "slope", H5T_NATIVE_DOUBLE, &slope, 1, NULL))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: layer %u has no 'slope' "
                   "attribute", c->file, index);
      return FALSE;
    }
  s->slope = (gfloat) slope;
  gsize n = 0;
  if (!read_num_attr (g, "inputs", H5T_NATIVE_INT, s->inputs, AET_LAYER_MAX_INPUTS, &n))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: layer %u has no 'inputs' attribute of 1 to %d layer numbers", c->file,
                   index, AET_LAYER_MAX_INPUTS);
      return FALSE;
    }
  s->n_inputs = (gint) n;
  return TRUE;
}

/* The weight averaging's decay (/adam attribute ema_decay), 0 < d < 1. */
static gboolean
read_ema_decay (Ctx *c, hid_t adam_group, gdouble *decay)
{
  if (read_num_attr (adam_group, "ema_decay", H5T_NATIVE_DOUBLE, decay, 1, NULL)
      && *decay > 0 && *decay < 1)
    return TRUE;
  g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
               "%s: the optimiser's ema_decay is not a number between 0 and 1", c->file);
  return FALSE;
}

static AetUnet *
read_file (Ctx *c, hid_t file, AetAdam **adam_out)
{
  g_autofree char *format = NULL;
  gint version = 0, in_channels = 0, n_layers = 0;
  if (!read_string_attr (file, "format", &format) || !g_str_equal (format, FORMAT_NAME))
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: not an AET Studio network (no format = \"" FORMAT_NAME "\")", c->file);
      return NULL;
    }
  if (!need_int (c, file, "the file", "version", &version))
    return NULL;
  if (version != FORMAT_VERSION)
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: network format version %d is not supported (this build reads %d)",
                   c->file, version, FORMAT_VERSION);
      return NULL;
    }
  if (!need_int (c, file, "the file", "in_channels", &in_channels)
      || !need_int (c, file, "the file", "n_layers", &n_layers))
    return NULL;
  if (n_layers < 1 || n_layers > 1000)
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: says it has %d layers",
                   c->file, n_layers);
      return NULL;
    }
  if (H5Lexists (file, "layers", H5P_DEFAULT) <= 0)
    {
      g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: has no /layers group", c->file);
      return NULL;
    }
  hid_t layers = H5Gopen2 (file, "layers", H5P_DEFAULT);
  g_autofree AetLayerSpec *specs = g_new0 (AetLayerSpec, n_layers);
  for (gint i = 0; i < n_layers; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "%03d", i);
      if (H5Lexists (layers, name, H5P_DEFAULT) <= 0)
        {
          g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: layer %d is missing (the file says it has %d layers)", c->file, i,
                       n_layers);
          H5Gclose (layers);
          return NULL;
        }
      hid_t g = H5Gopen2 (layers, name, H5P_DEFAULT);
      gboolean ok = g >= 0 && read_spec (c, g, i, &specs[i]);
      if (g >= 0)
        H5Gclose (g);
      if (!ok)
        {
          if (g < 0)
            g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT, "%s: layer %d is not a group",
                         c->file, i);
          H5Gclose (layers);
          return NULL;
        }
    }
  /* files written before the attribute existed hold networks trained at
   * the default sampling */
  gdouble voxel_size = AET_UNET_DEFAULT_VOXEL_SIZE;
  if (H5Aexists (file, "voxel_size") > 0)
    {
      if (!read_num_attr (file, "voxel_size", H5T_NATIVE_DOUBLE, &voxel_size, 1, NULL))
        {
          g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: the voxel_size attribute is not one number", c->file);
          H5Gclose (layers);
          return NULL;
        }
      if (!(voxel_size >= AET_WEIGHTS_MIN_VOXEL_SIZE && voxel_size <= AET_WEIGHTS_MAX_VOXEL_SIZE))
        {
          g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: voxel_size %g Å is not a training sampling (expected %g to %g)",
                       c->file, voxel_size, AET_WEIGHTS_MIN_VOXEL_SIZE,
                       AET_WEIGHTS_MAX_VOXEL_SIZE);
          H5Gclose (layers);
          return NULL;
        }
    }
  g_autoptr (AetUnet) net = aet_unet_new (specs, n_layers, in_channels, c->file, c->error);
  if (net == NULL)
    {
      H5Gclose (layers);
      return NULL;
    }
  aet_unet_set_voxel_size (net, voxel_size);
  gboolean ok = TRUE;
  for (guint k = 0; ok && k < aet_unet_get_n_params (net); k++)
    {
      AetParam *p = aet_unet_get_param (net, k);
      char name[16];
      g_snprintf (name, sizeof name, "%03u", p->layer);
      g_autofree char *where = g_strdup_printf ("layer %u (%s)", p->layer,
                                                aet_layer_kind_name (specs[p->layer].kind));
      hid_t g = H5Gopen2 (layers, name, H5P_DEFAULT);
      ok = read_floats (c, g, where, p->name, p->data, p->n);
      H5Gclose (g);
    }
  H5Gclose (layers);
  if (!ok)
    return NULL;

  /* A checkpoint that averages its weights (aet_adam_set_ema) holds the
   * raw ones in /layers, to resume from, and the average in /adam/ema_*:
   * loaded for use rather than for training, it gives the average. */
  if (adam_out == NULL && H5Lexists (file, "adam", H5P_DEFAULT) > 0)
    {
      hid_t ag = H5Gopen2 (file, "adam", H5P_DEFAULT);
      gdouble decay = 0;
      if (H5Aexists (ag, "ema_decay") > 0 && (ok = read_ema_decay (c, ag, &decay)))
        for (guint k = 0; ok && k < aet_unet_get_n_params (net); k++)
          {
            AetParam *p = aet_unet_get_param (net, k);
            char name[32];
            g_snprintf (name, sizeof name, "ema_%u", k);
            ok = read_floats (c, ag, "averaged weights", name, p->data, p->n);
          }
      H5Gclose (ag);
      if (!ok)
        return NULL;
    }

  if (adam_out != NULL)
    {
      *adam_out = NULL;
      if (H5Lexists (file, "adam", H5P_DEFAULT) > 0)
        {
          hid_t ag = H5Gopen2 (file, "adam", H5P_DEFAULT);
          g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
          gint64 step = 0;
          ok = read_num_attr (ag, "step", H5T_NATIVE_INT64, &step, 1, NULL)
               && read_num_attr (ag, "lr", H5T_NATIVE_DOUBLE, &adam->lr, 1, NULL)
               && read_num_attr (ag, "beta1", H5T_NATIVE_DOUBLE, &adam->beta1, 1, NULL)
               && read_num_attr (ag, "beta2", H5T_NATIVE_DOUBLE, &adam->beta2, 1, NULL)
               && read_num_attr (ag, "eps", H5T_NATIVE_DOUBLE, &adam->eps, 1, NULL);
          if (!ok || step < 0 || !(adam->lr > 0.0))
            {
              g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: the optimiser state (/adam) lacks step, lr, beta1, beta2 or "
                           "eps", c->file);
              ok = FALSE;
            }
          adam->step = step;
          /* optional: written once gradient clipping has run */
          if (ok && H5Aexists (ag, "grad_norm_avg") > 0
              && (!read_num_attr (ag, "grad_norm_avg", H5T_NATIVE_DOUBLE, &adam->grad_norm_avg,
                                  1, NULL)
                  || !isfinite (adam->grad_norm_avg) || adam->grad_norm_avg < 0))
            {
              g_set_error (c->error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: the optimiser's grad_norm_avg is not a number ≥ 0", c->file);
              ok = FALSE;
            }
          /* optional: written when the weights are averaged */
          gdouble ema_decay = 0;
          if (ok && H5Aexists (ag, "ema_decay") > 0)
            {
              ok = read_ema_decay (c, ag, &ema_decay);
              if (ok)
                aet_adam_set_ema (adam, net, ema_decay);
            }
          for (guint k = 0; ok && k < adam->n_params; k++)
            {
              char name[32];
              g_snprintf (name, sizeof name, "m_%u", k);
              ok = read_floats (c, ag, "optimiser", name, adam->m[k], adam->sizes[k]);
              g_snprintf (name, sizeof name, "v_%u", k);
              ok = ok && read_floats (c, ag, "optimiser", name, adam->v[k], adam->sizes[k]);
              g_snprintf (name, sizeof name, "ema_%u", k);
              ok = ok && (adam->ema == NULL
                          || read_floats (c, ag, "averaged weights", name, adam->ema[k],
                                          adam->sizes[k]));
            }
          H5Gclose (ag);
          if (!ok)
            return NULL;
          *adam_out = g_steal_pointer (&adam);
        }
    }
  return g_steal_pointer (&net);
}

AetUnet *
aet_weights_load (const char *path, AetAdam **adam_out, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *display = aet_display_name (path);
  if (adam_out != NULL)
    *adam_out = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: no such file", display);
      return NULL;
    }
  Quiet q;
  quiet_begin (&q);
  hid_t file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    {
      quiet_end (&q);
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: not an HDF5 file", display);
      return NULL;
    }
  Ctx c = { display, error };
  AetUnet *net = read_file (&c, file, adam_out);
  H5Fclose (file);
  quiet_end (&q);
  return net;
}
