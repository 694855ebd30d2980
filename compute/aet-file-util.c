#define G_LOG_DOMAIN "aet-file-util"

#include "aet-file-util.h"
#include "aet-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

char *
aet_temp_path_for (const char *target, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (target);
  g_autofree char *base = g_path_get_basename (target);
  g_autofree char *templ = g_strdup_printf ("%s/.%s.XXXXXX.tmp", dir, base);
  int fd = g_mkstemp_full (templ, O_RDWR, 0644);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write in %s: %s", base, dir,
                   g_strerror (saved));
      return NULL;
    }
  close (fd);
  return g_steal_pointer (&templ);
}

gboolean
aet_temp_commit (const char *tmp, const char *target, GError **error)
{
  int fd = open (tmp, O_RDONLY);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
  if (g_rename (tmp, target) != 0)
    {
      int saved = errno;
      g_autofree char *name = aet_display_name (target);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot replace the file: %s", name,
                   g_strerror (saved));
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

void
aet_temp_discard (const char *tmp)
{
  if (tmp != NULL)
    g_unlink (tmp);
}

gboolean
aet_temp_finish (FILE *f, gboolean ok, const char *tmp, const char *path, GError **error)
{
  int saved = errno;
  if (f != NULL && fclose (f) != 0 && ok)
    {
      saved = errno;
      ok = FALSE;
    }
  if (!ok)
    {
      g_autofree char *name = aet_display_name (path);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write: %s", name,
                   g_strerror (saved));
      aet_temp_discard (tmp);
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

gboolean
aet_write_text_atomic (const char *path, const char *text, gssize length, GError **error)
{
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents_full (tmp, text, length, G_FILE_SET_CONTENTS_NONE, 0644, &local))
    {
      g_autofree char *name = aet_display_name (path);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write the file: %s", name,
                   local->message);
      aet_temp_discard (tmp);
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

char *
aet_display_name (const char *path)
{
  return g_path_get_basename (path);
}

char *
aet_path_extension (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  if (dot == NULL || dot == base)
    return g_strdup ("");
  return g_ascii_strdown (dot + 1, -1);
}
