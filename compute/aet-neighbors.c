#define G_LOG_DOMAIN "aet-neighbors"

#include "aet-neighbors.h"

#include <math.h>

struct _AetNeighbors
{
  const gdouble *positions;
  gsize n;
  gdouble cell;          /* cell edge, Å */
  gdouble lo[3];         /* corner of cell (0,0,0) */
  gint dims[3];          /* cells per axis, ≥ 1 */
  guint *cell_start;     /* n_cells + 1 offsets into `order` (counting sort) */
  guint *order;          /* point indices grouped by cell, ascending inside a cell */
};

static inline gboolean
point_finite (const gdouble *q)
{
  return isfinite (q[0]) && isfinite (q[1]) && isfinite (q[2]);
}

static inline gint
cell_coord (const AetNeighbors *nb, gdouble x, int axis)
{
  gdouble c = floor ((x - nb->lo[axis]) / nb->cell);
  /* clamp in double first: a far-away query point must not overflow gint */
  if (c < -1.0)
    c = -1.0;
  if (c > nb->dims[axis])
    c = nb->dims[axis];
  return (gint) c;
}

AetNeighbors *
aet_neighbors_new (const gdouble *positions, gsize n, gdouble cell_size)
{
  g_return_val_if_fail (positions != NULL || n == 0, NULL);
  g_return_val_if_fail (n < G_MAXUINT, NULL);

  AetNeighbors *nb = g_new0 (AetNeighbors, 1);
  nb->positions = positions;
  nb->n = n;
  nb->cell = (cell_size > 0 && isfinite (cell_size)) ? cell_size : 2.5;

  gdouble lo[3] = { 0, 0, 0 }, hi[3] = { 0, 0, 0 };
  gboolean any = FALSE;
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *q = positions + 3 * i;
      if (!point_finite (q))
        continue;
      for (int a = 0; a < 3; a++)
        {
          if (!any || q[a] < lo[a])
            lo[a] = q[a];
          if (!any || q[a] > hi[a])
            hi[a] = q[a];
        }
      any = TRUE;
    }

  /* Keep the grid at most ~16 cells per point (and at least 4096 cells
   * allowed) so a few far-flung points cannot blow up memory. */
  gdouble max_cells = MAX (4096.0, 16.0 * (gdouble) n);
  for (;;)
    {
      gdouble total = 1;
      for (int a = 0; a < 3; a++)
        total *= floor ((hi[a] - lo[a]) / nb->cell) + 1;
      if (total <= max_cells)
        break;
      nb->cell *= 1.5;
    }
  gsize n_cells = 1;
  for (int a = 0; a < 3; a++)
    {
      nb->lo[a] = lo[a];
      nb->dims[a] = (gint) floor ((hi[a] - lo[a]) / nb->cell) + 1;
      n_cells *= (gsize) nb->dims[a];
    }

  nb->cell_start = g_new0 (guint, n_cells + 1);
  nb->order = g_new (guint, MAX (n, 1));
  g_autofree gsize *cell_of = g_new (gsize, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *q = positions + 3 * i;
      if (!point_finite (q))
        {
          cell_of[i] = G_MAXSIZE;
          continue;
        }
      gint c[3];
      for (int a = 0; a < 3; a++)
        c[a] = CLAMP (cell_coord (nb, q[a], a), 0, nb->dims[a] - 1);
      cell_of[i] = (gsize) c[0] + (gsize) nb->dims[0] * ((gsize) c[1] + (gsize) nb->dims[1] * c[2]);
      nb->cell_start[cell_of[i] + 1]++;
    }
  for (gsize c = 0; c < n_cells; c++)
    nb->cell_start[c + 1] += nb->cell_start[c];
  g_autofree guint *fill = g_memdup2 (nb->cell_start, n_cells * sizeof (guint));
  for (gsize i = 0; i < n; i++)
    if (cell_of[i] != G_MAXSIZE)
      nb->order[fill[cell_of[i]]++] = (guint) i;
  return nb;
}

void
aet_neighbors_free (AetNeighbors *nb)
{
  if (nb == NULL)
    return;
  g_free (nb->cell_start);
  g_free (nb->order);
  g_free (nb);
}

static gint
compare_guint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return (x > y) - (x < y);
}

guint
aet_neighbors_within (const AetNeighbors *nb, const gdouble p[3], gdouble radius, GArray *out)
{
  g_return_val_if_fail (nb != NULL && p != NULL && out != NULL, 0);
  if (!(radius >= 0) || !point_finite (p) || nb->n == 0)
    return 0;
  gint c0[3], c1[3];
  for (int a = 0; a < 3; a++)
    {
      c0[a] = MAX (cell_coord (nb, p[a] - radius, a), 0);
      c1[a] = MIN (cell_coord (nb, p[a] + radius, a), nb->dims[a] - 1);
      if (c0[a] > c1[a])
        return 0;
    }
  guint first = out->len;
  gdouble r2 = radius * radius;
  for (gint k = c0[2]; k <= c1[2]; k++)
    for (gint j = c0[1]; j <= c1[1]; j++)
      for (gint i = c0[0]; i <= c1[0]; i++)
        {
          gsize c = (gsize) i + (gsize) nb->dims[0] * ((gsize) j + (gsize) nb->dims[1] * k);
          for (guint s = nb->cell_start[c]; s < nb->cell_start[c + 1]; s++)
            {
              guint idx = nb->order[s];
              const gdouble *q = nb->positions + 3 * idx;
              gdouble dx = q[0] - p[0], dy = q[1] - p[1], dz = q[2] - p[2];
              if (dx * dx + dy * dy + dz * dz <= r2)
                g_array_append_val (out, idx);
            }
        }
  guint count = out->len - first;
  if (count > 1)
    qsort (&g_array_index (out, guint, first), count, sizeof (guint), compare_guint);
  return count;
}

gssize
aet_neighbors_nearest (const AetNeighbors *nb, const gdouble p[3], gdouble max_dist,
                       gdouble *dist)
{
  if (dist != NULL)
    *dist = INFINITY;
  g_return_val_if_fail (nb != NULL && p != NULL, -1);
  if (nb->n == 0 || !point_finite (p) || isnan (max_dist))
    return -1;
  gboolean limited = max_dist >= 0 && isfinite (max_dist);

  /* Visit cells in Chebyshev rings around p's cell; every cell of ring r is
   * at least (r − 1)·cell from p, which bounds when to stop. */
  gint pc[3];
  gint max_ring = 0;
  for (int a = 0; a < 3; a++)
    {
      pc[a] = cell_coord (nb, p[a], a);
      max_ring = MAX (max_ring, MAX (pc[a], nb->dims[a] - 1 - pc[a]));
    }
  if (limited)
    max_ring = MIN (max_ring, (gint) ceil (max_dist / nb->cell) + 1);

  gssize best = -1;
  gdouble best2 = limited ? max_dist * max_dist : INFINITY;
  for (gint r = 0; r <= max_ring; r++)
    {
      if (best >= 0 && r >= 2)
        {
          gdouble bound = (r - 1) * nb->cell;
          if (bound * bound > best2)
            break;
        }
      for (gint dk = -r; dk <= r; dk++)
        {
          gint k = pc[2] + dk;
          if (k < 0 || k >= nb->dims[2])
            continue;
          for (gint dj = -r; dj <= r; dj++)
            {
              gint j = pc[1] + dj;
              if (j < 0 || j >= nb->dims[1])
                continue;
              gboolean face = (ABS (dk) == r || ABS (dj) == r);
              gint step = face ? 1 : 2 * r;
              for (gint di = -r; di <= r; di += MAX (step, 1))
                {
                  gint i = pc[0] + di;
                  if (i < 0 || i >= nb->dims[0])
                    continue;
                  gsize c = (gsize) i + (gsize) nb->dims[0] * ((gsize) j + (gsize) nb->dims[1] * k);
                  for (guint s = nb->cell_start[c]; s < nb->cell_start[c + 1]; s++)
                    {
                      guint idx = nb->order[s];
                      const gdouble *q = nb->positions + 3 * idx;
                      gdouble dx = q[0] - p[0], dy = q[1] - p[1], dz = q[2] - p[2];
                      gdouble d2 = dx * dx + dy * dy + dz * dz;
                      if (d2 < best2 || (d2 == best2 && (best < 0 || (gssize) idx < best)))
                        {
                          best2 = d2;
                          best = idx;
                        }
                    }
                }
            }
        }
    }
  if (best >= 0 && dist != NULL)
    *dist = sqrt (best2);
  return best;
}
