#define G_LOG_DOMAIN "aet-project"

#include "aet-project.h"

#include <stdlib.h>
#include <string.h>

struct _AetProject
{
  GHashTable *volumes;      /* name → AetVolume* */
  GHashTable *tilt_series;  /* name → AetTiltSeries* */
  GHashTable *atoms;        /* name → AetAtoms* */
  GHashTable *params;       /* key → value */
  char *report;
};

AetProject *
aet_project_new (void)
{
  AetProject *p = g_new0 (AetProject, 1);
  p->volumes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) aet_volume_unref);
  p->tilt_series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) aet_tilt_series_unref);
  p->atoms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) aet_atoms_unref);
  p->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return p;
}

void
aet_project_free (AetProject *p)
{
  if (p == NULL)
    return;
  g_hash_table_unref (p->volumes);
  g_hash_table_unref (p->tilt_series);
  g_hash_table_unref (p->atoms);
  g_hash_table_unref (p->params);
  g_free (p->report);
  g_free (p);
}

gboolean
aet_project_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.')
    return FALSE;
  gsize len = strlen (name);
  return len <= 255 && strchr (name, '/') == NULL && g_utf8_validate (name, (gssize) len, NULL);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static GStrv
sorted_keys (GHashTable *table)
{
  guint n = 0;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (table, &n);
  GStrv out = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (keys[i]);
  qsort (out, n, sizeof (char *), compare_strings);
  return out;
}

static void
set_item (GHashTable *table, const char *name, gpointer item, gpointer (*ref) (gpointer))
{
  if (item == NULL)
    g_hash_table_remove (table, name);
  else
    g_hash_table_replace (table, g_strdup (name), ref (item));
}

void
aet_project_set_volume (AetProject *p, const char *name, AetVolume *v)
{
  g_return_if_fail (p != NULL && aet_project_name_is_valid (name));
  set_item (p->volumes, name, v, (gpointer (*) (gpointer)) aet_volume_ref);
}

AetVolume *
aet_project_get_volume (const AetProject *p, const char *name)
{
  g_return_val_if_fail (p != NULL && name != NULL, NULL);
  return g_hash_table_lookup (p->volumes, name);
}

GStrv
aet_project_dup_volume_names (const AetProject *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  return sorted_keys (p->volumes);
}

void
aet_project_set_tilt_series (AetProject *p, const char *name, AetTiltSeries *s)
{
  g_return_if_fail (p != NULL && aet_project_name_is_valid (name));
  set_item (p->tilt_series, name, s, (gpointer (*) (gpointer)) aet_tilt_series_ref);
}

AetTiltSeries *
aet_project_get_tilt_series (const AetProject *p, const char *name)
{
  g_return_val_if_fail (p != NULL && name != NULL, NULL);
  return g_hash_table_lookup (p->tilt_series, name);
}

GStrv
aet_project_dup_tilt_series_names (const AetProject *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  return sorted_keys (p->tilt_series);
}

void
aet_project_set_atoms (AetProject *p, const char *name, AetAtoms *a)
{
  g_return_if_fail (p != NULL && aet_project_name_is_valid (name));
  set_item (p->atoms, name, a, (gpointer (*) (gpointer)) aet_atoms_ref);
}

AetAtoms *
aet_project_get_atoms (const AetProject *p, const char *name)
{
  g_return_val_if_fail (p != NULL && name != NULL, NULL);
  return g_hash_table_lookup (p->atoms, name);
}

GStrv
aet_project_dup_atoms_names (const AetProject *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  return sorted_keys (p->atoms);
}

void
aet_project_set_param (AetProject *p, const char *key, const char *value)
{
  g_return_if_fail (p != NULL && key != NULL && *key != '\0');
  if (value == NULL)
    g_hash_table_remove (p->params, key);
  else
    g_hash_table_replace (p->params, g_strdup (key), g_strdup (value));
}

const char *
aet_project_get_param (const AetProject *p, const char *key)
{
  g_return_val_if_fail (p != NULL && key != NULL, NULL);
  return g_hash_table_lookup (p->params, key);
}

GStrv
aet_project_dup_param_keys (const AetProject *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  return sorted_keys (p->params);
}

void
aet_project_set_report (AetProject *p, const char *json)
{
  g_return_if_fail (p != NULL);
  g_free (p->report);
  p->report = g_strdup (json);
}

const char *
aet_project_get_report (const AetProject *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  return p->report;
}
