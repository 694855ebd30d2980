#define G_LOG_DOMAIN "aet-tilt-series"

#include "aet-tilt-series.h"
#include "aet-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

AetTiltSeries *
aet_tilt_series_new (AetVolume *images, const gdouble *angles)
{
  g_return_val_if_fail (images != NULL, NULL);
  AetTiltSeries *s = g_new0 (AetTiltSeries, 1);
  s->images = aet_volume_ref (images);
  s->angles = g_new0 (gdouble, images->nz);
  if (angles != NULL)
    memcpy (s->angles, angles, images->nz * sizeof (gdouble));
  s->shifts = g_new0 (gdouble, 2 * (gsize) images->nz);
  s->ref_count = 1;
  return s;
}

AetTiltSeries *
aet_tilt_series_ref (AetTiltSeries *series)
{
  g_return_val_if_fail (series != NULL, NULL);
  g_atomic_int_inc (&series->ref_count);
  return series;
}

void
aet_tilt_series_unref (AetTiltSeries *series)
{
  if (series == NULL)
    return;
  if (g_atomic_int_dec_and_test (&series->ref_count))
    {
      aet_volume_unref (series->images);
      g_free (series->angles);
      g_free (series->shifts);
      g_free (series);
    }
}

char *
aet_geometry_text (const gdouble *angles, const gdouble *shifts, gsize n_images)
{
  GString *text = g_string_new (NULL);
  for (gsize k = 0; k < n_images; k++)
    g_string_append_printf (text, "%s%.9g,%.9g,%.9g", k ? "," : "", angles[k], shifts[2 * k],
                            shifts[2 * k + 1]);
  return g_string_free (text, FALSE);
}

gboolean
aet_geometry_parse (const char *text, gdouble *angles, gdouble *shifts, gsize n_images)
{
  if (text == NULL)
    return FALSE;
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  if (g_strv_length (parts) != 3 * n_images)
    return FALSE;
  g_autofree gdouble *v = g_new (gdouble, 3 * MAX (n_images, 1));
  for (gsize i = 0; i < 3 * n_images; i++)
    {
      char *end = NULL;
      v[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || !isfinite (v[i]))
        return FALSE;
    }
  for (gsize k = 0; k < n_images; k++)
    {
      angles[k] = v[3 * k];
      shifts[2 * k] = v[3 * k + 1];
      shifts[2 * k + 1] = v[3 * k + 2];
    }
  return TRUE;
}

AetTiltSeries *
aet_tilt_series_dup (const AetTiltSeries *series)
{
  g_autoptr (AetVolume) images = aet_volume_dup (series->images);
  AetTiltSeries *copy = aet_tilt_series_new (images, series->angles);
  memcpy (copy->shifts, series->shifts, 2 * (gsize) images->nz * sizeof (gdouble));
  return copy;
}

gboolean
aet_tilt_series_set_angles (AetTiltSeries *series, const gdouble *angles, gsize n,
                            const char *source, GError **error)
{
  if (n != (gsize) series->images->nz)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: %zu angles for a stack of %d images", source, n, series->images->nz);
      return FALSE;
    }
  memcpy (series->angles, angles, n * sizeof (gdouble));
  return TRUE;
}

static gboolean
parse_double (const char *text, gdouble *out)
{
  char *end = NULL;
  g_autofree char *t = g_strstrip (g_strdup (text));
  if (*t == '\0')
    return FALSE;
  *out = g_ascii_strtod (t, &end);
  return end != NULL && *end == '\0' && isfinite (*out);
}

gdouble *
aet_parse_tilt_range (const char *text, gsize *n_out, GError **error)
{
  *n_out = 0;
  if (strchr (text, ':') != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (text, ":", -1);
      gdouble a, b, step;
      if (g_strv_length (parts) != 3 || !parse_double (parts[0], &a)
          || !parse_double (parts[1], &b) || !parse_double (parts[2], &step))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "--tilt %s: expected start:stop:step in degrees", text);
          return NULL;
        }
      if (step <= 0 || b < a || (b - a) / step > 10000)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "--tilt %s: need start ≤ stop and a positive step", text);
          return NULL;
        }
      gsize n = (gsize) floor ((b - a) / step + 1e-3) + 1;
      gdouble *angles = g_new (gdouble, n);
      for (gsize i = 0; i < n; i++)
        angles[i] = a + (gdouble) i * step;
      *n_out = n;
      return angles;
    }

  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  gsize n = g_strv_length (parts);
  gdouble *angles = g_new (gdouble, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    if (!parse_double (parts[i], &angles[i]) || fabs (angles[i]) > 90.0)
      {
        g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                     "--tilt %s: “%s” is not an angle between -90 and 90", text, parts[i]);
        g_free (angles);
        return NULL;
      }
  if (n == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "--tilt: no angles given");
      g_free (angles);
      return NULL;
    }
  *n_out = n;
  return angles;
}
