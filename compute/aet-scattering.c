#define G_LOG_DOMAIN "aet-scattering"

#include "aet-scattering.h"

#include <math.h>

gboolean
aet_scattering_has_element (guint z)
{
  return z >= 1 && z <= AET_SCATTERING_MAX_Z;
}

static inline gdouble
fe_q2 (const gdouble *p, gdouble q2)
{
  gdouble f = 0.0;
  for (int i = 0; i < 3; i++)
    f += p[i] / (q2 + p[3 + i]) + p[6 + i] * exp (-p[9 + i] * q2);
  return f;
}

gdouble
aet_scattering_fe (guint z, gdouble q)
{
  if (!aet_scattering_has_element (z))
    return 0.0;
  return fe_q2 (aet_kirkland_params[z - 1], q * q);
}

void
aet_scattering_fe_q2 (guint z, const gdouble *q2, gsize n, gdouble *out)
{
  if (!aet_scattering_has_element (z))
    {
      for (gsize i = 0; i < n; i++)
        out[i] = 0.0;
      return;
    }
  const gdouble *p = aet_kirkland_params[z - 1];
  for (gsize i = 0; i < n; i++)
    out[i] = fe_q2 (p, q2[i]);
}
