#define G_LOG_DOMAIN "aet-cli"

#include "aet-cli-io.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-mrc.h"
#include "aet-tilt-series-io.h"
#include "aet-xyz.h"

#include <stdio.h>
#include <string.h>

gboolean
aet_cli_is_hdf5 (const char *path)
{
  guchar head[8] = { 0 };
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  gsize got = fread (head, 1, sizeof head, f);
  fclose (f);
  return got == 8 && memcmp (head, "\x89HDF\r\n\x1a\n", 8) == 0;
}

static gboolean
wants_project (const char *path)
{
  g_autofree char *ext = aet_path_extension (path);
  return strcmp (ext, "h5") == 0 || strcmp (ext, "hdf5") == 0 || strcmp (ext, "emd") == 0;
}

AetProject *
aet_cli_open_or_new_project (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS) && aet_project_file_is_project (path))
    return aet_project_load (path, error);
  return aet_project_new ();
}

AetVolume *
aet_cli_load_volume (const char *path, const char *dataset, const char *prefer, gdouble pixel,
                     GError **error)
{
  g_autofree char *name = aet_display_name (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: no such file", name);
      return NULL;
    }
  AetVolume *volume = NULL;
  if (aet_cli_is_hdf5 (path))
    {
      g_autoptr (AetProject) project = aet_project_load (path, error);
      if (project == NULL)
        return NULL;
      const char *order[] = { "augmented", "reconstruction", "target", NULL };
      AetVolume *found = NULL;
      if (dataset != NULL)
        found = aet_project_get_volume (project, dataset);
      else
        {
          if (prefer != NULL)
            found = aet_project_get_volume (project, prefer);
          for (int i = 0; order[i] && found == NULL; i++)
            found = aet_project_get_volume (project, order[i]);
          g_auto (GStrv) names = aet_project_dup_volume_names (project);
          if (found == NULL && names[0] != NULL && names[1] == NULL)
            found = aet_project_get_volume (project, names[0]);
        }
      if (found == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: no volume %s%s%s in the project",
                       name, dataset ? "“" : "", dataset ? dataset : "to use (give --dataset)",
                       dataset ? "”" : "");
          return NULL;
        }
      volume = aet_volume_ref (found);
    }
  else
    {
      volume = aet_mrc_read (path, NULL, error);
      if (volume == NULL)
        return NULL;
    }
  if (pixel > 0)
    volume->voxel_size = pixel;
  return volume;
}

gboolean
aet_cli_save_volume (const char *path, AetVolume *volume, const char *dataset, GError **error)
{
  if (!wants_project (path))
    return aet_mrc_write (path, volume, FALSE, error);
  g_autoptr (AetProject) project = aet_cli_open_or_new_project (path, error);
  if (project == NULL)
    return FALSE;
  aet_project_set_volume (project, dataset, volume);
  return aet_project_save (project, path, error);
}

AetTiltSeries *
aet_cli_load_tilt_series (const char *path, const char *tlt, gdouble pixel, GError **error)
{
  g_autofree char *name = aet_display_name (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: no such file", name);
      return NULL;
    }
  if (!aet_cli_is_hdf5 (path))
    return aet_tilt_series_load (path, tlt, pixel, error);

  g_autoptr (AetProject) project = aet_project_load (path, error);
  if (project == NULL)
    return NULL;
  AetTiltSeries *series = aet_project_get_tilt_series (project, "tilts");
  if (series == NULL)
    {
      g_auto (GStrv) names = aet_project_dup_tilt_series_names (project);
      if (names[0] != NULL)
        series = aet_project_get_tilt_series (project, names[0]);
    }
  if (series == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: the project holds no tilt series",
                   name);
      return NULL;
    }
  AetTiltSeries *copy = aet_tilt_series_dup (series);
  if (pixel > 0)
    copy->images->voxel_size = pixel;
  return copy;
}

static AetAtoms *load_atoms (const char *path, const char *dataset, const char *const *order,
                             const char **used, GError **error);

AetAtoms *
aet_cli_load_atoms (const char *path, const char *dataset, GError **error)
{
  static const char *const order[] = { "after", "before", "truth", NULL };
  return load_atoms (path, dataset, order, NULL, error);
}

AetAtoms *
aet_cli_load_reference_atoms (const char *path, GError **error)
{
  static const char *const order[] = { "truth", "after", "before", NULL };
  const char *used = NULL;
  AetAtoms *atoms = load_atoms (path, NULL, order, &used, error);
  if (atoms != NULL && used != NULL && strcmp (used, "truth") != 0)
    {
      g_autofree char *name = aet_display_name (path);
      fprintf (stderr, "aet: note: %s has no truth atoms; its %s atoms are the reference\n", name,
               used);
    }
  return atoms;
}

/* *used (nullable) gets the project dataset the atoms came from, NULL for
 * an .xyz file (a static string: one of order, or dataset). */
static AetAtoms *
load_atoms (const char *path, const char *dataset, const char *const *order, const char **used,
            GError **error)
{
  g_autofree char *name = aet_display_name (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: no such file", name);
      return NULL;
    }
  if (!aet_cli_is_hdf5 (path))
    return aet_xyz_read (path, error);
  g_autoptr (AetProject) project = aet_project_load (path, error);
  if (project == NULL)
    return NULL;
  AetAtoms *found = NULL;
  if (dataset != NULL)
    found = aet_project_get_atoms (project, dataset);
  else
    {
      for (int i = 0; order[i] && found == NULL; i++)
        {
          found = aet_project_get_atoms (project, order[i]);
          if (found != NULL && used != NULL)
            *used = order[i];
        }
    }
  if (found == NULL && dataset != NULL)
    g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: no atoms %s in the project", name,
                 dataset);
  else if (found == NULL)
    {
      g_autofree char *names = g_strjoinv (", ", (char **) order);
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: the project holds no atoms (%s)",
                   name, names);
    }
  if (found == NULL)
    return NULL;
  return aet_atoms_ref (found);
}
