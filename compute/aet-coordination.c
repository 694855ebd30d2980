#define G_LOG_DOMAIN "aet-coordination"

#include "aet-coordination.h"

#include <math.h>

#define CONE_COS 0.8191520442889918  /* cos 35° */

gdouble
aet_coordination_cutoff (gdouble a)
{
  return 0.5 * (G_SQRT2 / 2 + 1) * a;
}

void
aet_coordination_count (const gdouble *positions, gsize n, const AetNeighbors *nb,
                        gdouble cutoff, guint *coordination)
{
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize i = 0; i < n; i++)
    {
      g_array_set_size (idx, 0);
      aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
      guint c = 0;
      for (guint k = 0; k < idx->len; k++)
        c += g_array_index (idx, guint, k) != i;
      coordination[i] = c;
    }
}

static gboolean
outward_with (const gdouble *positions, const AetNeighbors *nb, gsize i, gdouble cutoff,
              GArray *idx, gdouble out[3])
{
  const gdouble *p = positions + 3 * i;
  g_array_set_size (idx, 0);
  aet_neighbors_within (nb, p, cutoff, idx);
  gdouble s[3] = { 0 };
  for (guint k = 0; k < idx->len; k++)
    {
      guint j = g_array_index (idx, guint, k);
      if (j == i)
        continue;
      for (int c = 0; c < 3; c++)
        s[c] += positions[3 * j + c] - p[c];
    }
  gdouble norm = sqrt (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
  /* a bond is ~0.83·cutoff; less than a third of one means the bonds balance */
  if (norm < 0.25 * cutoff)
    {
      out[0] = out[1] = out[2] = 0;
      return FALSE;
    }
  for (int c = 0; c < 3; c++)
    out[c] = -s[c] / norm;
  return TRUE;
}

gboolean
aet_coordination_outward (const gdouble *positions, const AetNeighbors *nb, gsize i,
                          gdouble cutoff, gdouble out[3])
{
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  return outward_with (positions, nb, i, cutoff, idx, out);
}

/* TRUE when no atom lies in the cone along dir between 1.25 and 3.2 bond
 * lengths from atom i. */
static gboolean
cone_empty (const gdouble *positions, const AetNeighbors *nb, gsize i, gdouble bond,
            const gdouble dir[3], GArray *idx)
{
  const gdouble *p = positions + 3 * i;
  gdouble reach = 3.2 * bond, near = 1.25 * bond;
  /* search a ball centred halfway along the cone that contains it */
  gdouble mid[3], half = reach / 2;
  for (int c = 0; c < 3; c++)
    mid[c] = p[c] + dir[c] * half;
  g_array_set_size (idx, 0);
  aet_neighbors_within (nb, mid, half + 1e-6, idx);
  for (guint k = 0; k < idx->len; k++)
    {
      guint j = g_array_index (idx, guint, k);
      if (j == i)
        continue;
      gdouble d[3] = { positions[3 * j] - p[0], positions[3 * j + 1] - p[1],
                       positions[3 * j + 2] - p[2] };
      gdouble r = sqrt (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      if (r < near || r > reach)
        continue;
      if ((d[0] * dir[0] + d[1] * dir[1] + d[2] * dir[2]) >= CONE_COS * r)
        return FALSE;
    }
  return TRUE;
}

gsize
aet_coordination_surface (const gdouble *positions, gsize n, const AetNeighbors *nb,
                          gdouble cutoff, const guint *coordination, gboolean *surface)
{
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  gdouble bond = cutoff * 2 / (1 + G_SQRT2);
  gsize count = 0;
  for (gsize i = 0; i < n; i++)
    {
      surface[i] = FALSE;
      if (coordination[i] >= 12)
        continue;
      gdouble dir[3];
      if (outward_with (positions, nb, i, cutoff, idx, dir))
        surface[i] = cone_empty (positions, nb, i, bond, dir, idx);
      else
        {
          /* balanced bonds (or none): outside if any of the 26 directions of
           * a cube's faces, edges and corners is open */
          for (int x = -1; x <= 1 && !surface[i]; x++)
            for (int y = -1; y <= 1 && !surface[i]; y++)
              for (int z = -1; z <= 1 && !surface[i]; z++)
                {
                  if (x == 0 && y == 0 && z == 0)
                    continue;
                  gdouble norm = sqrt ((gdouble) (x * x + y * y + z * z));
                  gdouble d[3] = { x / norm, y / norm, z / norm };
                  surface[i] = cone_empty (positions, nb, i, bond, d, idx);
                }
        }
      count += surface[i];
    }
  return count;
}
