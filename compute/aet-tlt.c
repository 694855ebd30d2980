#define G_LOG_DOMAIN "aet-tlt"

#include "aet-tlt.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <errno.h>
#include <math.h>
#include <string.h>

gdouble *
aet_tlt_read (const char *path, gsize *n_angles, GError **error)
{
  g_return_val_if_fail (path != NULL && n_angles != NULL, NULL);
  *n_angles = 0;
  g_autofree char *name = aet_display_name (path);
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, &length, &local))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot read: %s", name,
                   g_strerror (local->code == G_FILE_ERROR_NOENT   ? ENOENT
                               : local->code == G_FILE_ERROR_ACCES ? EACCES
                               : local->code == G_FILE_ERROR_ISDIR ? EISDIR
                                                                   : EIO));
      return NULL;
    }
  if (memchr (text, '\0', length) != NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: not a tilt-angle file (binary data)", name);
      return NULL;
    }

  g_autoptr (GArray) angles = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line == '\0')
        continue;
      char *end = NULL;
      gdouble a = g_ascii_strtod (line, &end);
      if (end == line || *end != '\0' || !isfinite (a))
        {
          if (g_utf8_strlen (line, -1) > 40 || !g_utf8_validate (line, -1, NULL))
            {
              g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: line %zu: expected one angle in degrees", name, i + 1);
              return NULL;
            }
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: line %zu: expected one angle in degrees, found \"%s\"", name, i + 1,
                       line);
          return NULL;
        }
      g_array_append_val (angles, a);
    }
  if (angles->len == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: no tilt angles in the file", name);
      return NULL;
    }
  *n_angles = angles->len;
  return (gdouble *) g_array_free (g_steal_pointer (&angles), FALSE);
}

/* The shortest of %.15g / %.17g that reads back as the same double. */
static void
format_angle (char *buf, gsize size, gdouble a)
{
  g_ascii_formatd (buf, size, "%.15g", a);
  if (g_ascii_strtod (buf, NULL) != a)
    g_ascii_formatd (buf, size, "%.17g", a);
}

gboolean
aet_tlt_write (const char *path, const gdouble *angles, gsize n, GError **error)
{
  g_return_val_if_fail (path != NULL && (angles != NULL || n == 0), FALSE);
  g_autofree char *name = aet_display_name (path);
  g_autoptr (GString) text = g_string_new (NULL);
  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (angles[i]))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_DATA, "%s: angle %zu is not a number", name,
                       i + 1);
          return FALSE;
        }
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      format_angle (buf, sizeof buf, angles[i]);
      g_string_append_printf (text, "%s\n", buf);
    }
  return aet_write_text_atomic (path, text->str, (gssize) text->len, error);
}
