#define G_LOG_DOMAIN "aet-substrate"

#include "aet-substrate.h"

#include <math.h>

AetIsoMesh *
aet_substrate_mesh_new (const gdouble point[3], const gdouble normal[3], gdouble radius,
                        guint segments)
{
  g_return_val_if_fail (point != NULL && normal != NULL, NULL);

  gdouble n[3] = { normal[0], normal[1], normal[2] };
  gdouble len = sqrt (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  if (!(len > 1e-12) || !(radius > 0) || !isfinite (radius))
    return NULL;
  for (guint a = 0; a < 3; a++)
    n[a] /= len;
  segments = MAX (segments, 8u);

  /* an in-plane basis: e1 ⟂ n from the axis least aligned with n */
  gdouble ref[3] = { 0, 0, 0 };
  guint pick = fabs (n[0]) <= fabs (n[1]) && fabs (n[0]) <= fabs (n[2]) ? 0
               : fabs (n[1]) <= fabs (n[2]) ? 1 : 2;
  ref[pick] = 1;
  gdouble e1[3], e2[3], d = ref[0] * n[0] + ref[1] * n[1] + ref[2] * n[2];
  for (guint a = 0; a < 3; a++)
    e1[a] = ref[a] - d * n[a];
  len = sqrt (e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (guint a = 0; a < 3; a++)
    e1[a] /= len;
  e2[0] = n[1] * e1[2] - n[2] * e1[1];
  e2[1] = n[2] * e1[0] - n[0] * e1[2];
  e2[2] = n[0] * e1[1] - n[1] * e1[0];

  AetIsoMesh *mesh = aet_iso_mesh_new (segments + 1, segments);
  for (guint a = 0; a < 3; a++)
    {
      mesh->positions[a] = (gfloat) point[a];
      mesh->normals[a] = (gfloat) n[a];
    }
  for (guint s = 0; s < segments; s++)
    {
      gdouble t = 2 * G_PI * s / segments;
      for (guint a = 0; a < 3; a++)
        {
          mesh->positions[3 * (s + 1) + a] =
            (gfloat) (point[a] + radius * (cos (t) * e1[a] + sin (t) * e2[a]));
          mesh->normals[3 * (s + 1) + a] = (gfloat) n[a];
        }
      mesh->indices[3 * s] = 0;
      mesh->indices[3 * s + 1] = s + 1;
      mesh->indices[3 * s + 2] = (s + 1) % segments + 1;
    }
  return mesh;
}
