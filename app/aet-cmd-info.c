/* aet-cmd-info.c — `aet info FILE…`: what each file holds.
 *
 * This is where bad input is usually met first, so every file is read in
 * full and checked (sizes, NaN/Inf, counts), not only its header. */
#define G_LOG_DOMAIN "aet"

#include <stdio.h>
#include <string.h>

#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-mrc.h"
#include "aet-project-file.h"
#include "aet-tiff.h"
#include "aet-tlt.h"
#include "aet-xyz.h"

typedef enum
{
  KIND_UNKNOWN,
  KIND_HDF5,
  KIND_MRC,
  KIND_TIFF,
  KIND_TLT,
  KIND_XYZ,
} FileKind;

static FileKind
sniff (const char *path)
{
  g_autofree char *ext = aet_path_extension (path);
  guchar head[8] = { 0 };
  FILE *f = fopen (path, "rb");
  gsize got = 0;
  if (f != NULL)
    {
      got = fread (head, 1, sizeof head, f);
      fclose (f);
    }
  if (got == 8 && memcmp (head, "\x89HDF\r\n\x1a\n", 8) == 0)
    return KIND_HDF5;
  if (got >= 4 && (memcmp (head, "II*\0", 4) == 0 || memcmp (head, "MM\0*", 4) == 0))
    return KIND_TIFF;
  const char *mrc_ext[] = { "mrc", "mrcs", "st", "ali", "rec", "map", "preali", NULL };
  for (int i = 0; mrc_ext[i]; i++)
    if (strcmp (ext, mrc_ext[i]) == 0)
      return KIND_MRC;
  if (strcmp (ext, "tif") == 0 || strcmp (ext, "tiff") == 0)
    return KIND_TIFF;
  if (strcmp (ext, "tlt") == 0 || strcmp (ext, "rawtlt") == 0)
    return KIND_TLT;
  if (strcmp (ext, "xyz") == 0 || strcmp (ext, "extxyz") == 0)
    return KIND_XYZ;
  if (strcmp (ext, "h5") == 0 || strcmp (ext, "hdf5") == 0 || strcmp (ext, "emd") == 0)
    return KIND_HDF5;
  return KIND_UNKNOWN;
}

static void
print_volume_line (const char *indent, const char *what, const AetVolume *v)
{
  AetVolumeStats s;
  aet_volume_get_stats (v, &s);
  printf ("%s%s: %d × %d × %d, voxel %.4g Å (%.4g × %.4g × %.4g Å), values %.4g … %.4g, "
          "mean %.4g\n",
          indent, what, v->nx, v->ny, v->nz, v->voxel_size, v->nx * v->voxel_size,
          v->ny * v->voxel_size, v->nz * v->voxel_size, s.min, s.max, s.mean);
}

static void
print_angles (const char *indent, const gdouble *angles, gsize n)
{
  if (n == 0)
    return;
  gdouble lo = angles[0], hi = angles[0];
  for (gsize i = 1; i < n; i++)
    {
      lo = MIN (lo, angles[i]);
      hi = MAX (hi, angles[i]);
    }
  printf ("%s%zu angles from %.2f° to %.2f°", indent, n, lo, hi);
  if (n > 1)
    printf (" (mean step %.2f°)", (hi - lo) / (gdouble) (n - 1));
  printf ("\n");
}

static void
print_atoms (const char *indent, const char *what, const AetAtoms *a)
{
  guint counts[AET_MAX_Z + 1] = { 0 };
  for (gsize i = 0; i < a->n_atoms; i++)
    counts[MIN (a->elements[i], AET_MAX_Z)]++;
  g_autoptr (GString) el = g_string_new (NULL);
  for (guint z = 0; z <= AET_MAX_Z; z++)
    if (counts[z] > 0)
      g_string_append_printf (el, "%s%s %u", el->len ? ", " : "", aet_element_symbol (z),
                              counts[z]);
  printf ("%s%s: %zu atoms (%s)", indent, what, a->n_atoms, el->str);
  if (aet_atoms_n_columns (a) > 0)
    {
      printf ("; columns:");
      for (guint c = 0; c < aet_atoms_n_columns (a); c++)
        printf (" %s", aet_atoms_column_name (a, c));
    }
  printf ("\n");
}

static gboolean
info_mrc (const char *path, GError **error)
{
  AetMrcHeader h;
  g_autoptr (AetVolume) v = aet_mrc_read (path, &h, error);
  if (v == NULL)
    return FALSE;
  static const char *const modes[] = { [0] = "int8", [1] = "int16", [2] = "float32",
                                       [6] = "uint16", [12] = "float16" };
  const char *mode = h.mode >= 0 && h.mode <= 12 && modes[h.mode] ? modes[h.mode] : "?";
  printf ("%s: MRC, mode %d (%s), %s-endian, %d-byte extended header\n", path, h.mode, mode,
          h.swapped ? "big" : "little", (int) h.ext_header_bytes);
  print_volume_line ("  ", "data", v);
  if (h.origin[0] != 0 || h.origin[1] != 0 || h.origin[2] != 0)
    printf ("  origin: (%.4g, %.4g, %.4g) Å\n", h.origin[0], h.origin[1], h.origin[2]);
  for (int i = 0; i < h.n_labels && i < 10; i++)
    printf ("  label: %s\n", h.labels[i]);
  return TRUE;
}

static gboolean
info_tiff (const char *path, GError **error)
{
  g_autoptr (AetVolume) v = aet_tiff_read_stack (path, 0.0, error);
  if (v == NULL)
    return FALSE;
  printf ("%s: TIFF stack of %d images\n", path, v->nz);
  print_volume_line ("  ", "data", v);
  return TRUE;
}

static gboolean
info_tlt (const char *path, GError **error)
{
  gsize n = 0;
  g_autofree gdouble *angles = aet_tlt_read (path, &n, error);
  if (angles == NULL)
    return FALSE;
  printf ("%s: tilt angles\n", path);
  print_angles ("  ", angles, n);
  return TRUE;
}

static gboolean
info_xyz (const char *path, GError **error)
{
  g_autoptr (AetAtoms) a = aet_xyz_read (path, error);
  if (a == NULL)
    return FALSE;
  printf ("%s: XYZ\n", path);
  print_atoms ("  ", "atoms", a);
  return TRUE;
}

static gboolean
info_project (const char *path, GError **error)
{
  g_autoptr (AetProject) p = aet_project_load (path, error);
  if (p == NULL)
    return FALSE;
  printf ("%s: AET Studio project (HDF5, EMD 0.2 layout)\n", path);
  g_auto (GStrv) vols = aet_project_dup_volume_names (p);
  for (guint i = 0; vols[i]; i++)
    {
      g_autofree char *what = g_strdup_printf ("volume %s", vols[i]);
      print_volume_line ("  ", what, aet_project_get_volume (p, vols[i]));
    }
  g_auto (GStrv) series = aet_project_dup_tilt_series_names (p);
  for (guint i = 0; series[i]; i++)
    {
      AetTiltSeries *s = aet_project_get_tilt_series (p, series[i]);
      printf ("  tilt series %s: %d images of %d × %d, pixel %.4g Å\n", series[i],
              aet_tilt_series_n_images (s), s->images->nx, s->images->ny,
              aet_tilt_series_pixel_size (s));
      print_angles ("    ", s->angles, aet_tilt_series_n_images (s));
    }
  g_auto (GStrv) atoms = aet_project_dup_atoms_names (p);
  for (guint i = 0; atoms[i]; i++)
    {
      g_autofree char *what = g_strdup_printf ("atoms %s", atoms[i]);
      print_atoms ("  ", what, aet_project_get_atoms (p, atoms[i]));
    }
  g_auto (GStrv) keys = aet_project_dup_param_keys (p);
  if (keys[0] != NULL)
    {
      printf ("  parameters:");
      for (guint i = 0; keys[i]; i++)
        printf (" %s=%s", keys[i], aet_project_get_param (p, keys[i]));
      printf ("\n");
    }
  const char *report = aet_project_get_report (p);
  if (report != NULL && *report)
    printf ("  report: %zu bytes of JSON\n", strlen (report));
  return TRUE;
}

int
aet_cmd_info (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "info", "FILE…",
    "Describes MRC volumes and stacks, TIFF stacks, .tlt angle files, XYZ atom files and "
    "AET Studio projects, reading each in full so that damaged files are found.",
    &common);
  if (!aet_cli_parse (context, "info", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc < 2)
    return aet_cli_usage ("info", "give at least one file");

  int status = AET_EXIT_OK;
  for (int i = 1; i < argc; i++)
    {
      const char *path = argv[i];
      g_autoptr (GError) error = NULL;
      gboolean ok = FALSE;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *name = aet_display_name (path);
          g_set_error (&error, AET_ERROR, AET_ERROR_IO, "%s: no such file", name);
        }
      else
        switch (sniff (path))
          {
          case KIND_HDF5:
            ok = info_project (path, &error);
            break;
          case KIND_MRC:
            ok = info_mrc (path, &error);
            break;
          case KIND_TIFF:
            ok = info_tiff (path, &error);
            break;
          case KIND_TLT:
            ok = info_tlt (path, &error);
            break;
          case KIND_XYZ:
            ok = info_xyz (path, &error);
            break;
          case KIND_UNKNOWN:
            {
              g_autofree char *name = aet_display_name (path);
              g_set_error (&error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: unknown file type (expected .mrc, .tif, .tlt, .xyz or .h5)",
                           name);
            }
            break;
          }
      if (!ok)
        status = aet_cli_fail (error);
    }
  return status;
}
