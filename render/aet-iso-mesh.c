#define G_LOG_DOMAIN "aet-iso-mesh"

#include "aet-iso-mesh.h"

#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-parallel.h"

/* Cube corners are numbered by their bits (x = bit 0, y = bit 1, z = bit 2).
 * Edge e = 4·axis + s joins the corner `base` (bit `axis` clear) to
 * base | (1 << axis); s packs the two other bits of base in axis order.
 *
 * The triangle table is derived at start-up rather than typed in: on each
 * cube face the crossed edges are joined by segments (on a face with two
 * diagonal inside corners each inside corner is cut off on its own, a rule
 * that depends on the face's corners only, so the two cubes sharing a face
 * agree and the surface has no holes); segments are oriented so that the
 * inside lies on a fixed side, chained into loops and fanned into
 * triangles. */
#define MAX_TRIANGLES 12

static gint8 tri_table[256][3 * MAX_TRIANGLES + 1];

static guint
edge_id (guint c0, guint c1)
{
  guint diff = c0 ^ c1;
  guint axis = diff == 1 ? 0 : diff == 2 ? 1 : 2;
  guint base = MIN (c0, c1);
  guint s = 0, bit = 0;
  for (guint a = 0; a < 3; a++)
    if (a != axis)
      s |= ((base >> a) & 1u) << bit++;
  return 4 * axis + s;
}

static void
edge_corners (guint e, guint *c0, guint *c1)
{
  guint axis = e / 4, s = e % 4, base = 0, bit = 0;
  for (guint a = 0; a < 3; a++)
    if (a != axis)
      base |= ((s >> bit++) & 1u) << a;
  *c0 = base;
  *c1 = base | (1u << axis);
}

static void
corner_pos (guint c, gdouble p[3])
{
  for (guint a = 0; a < 3; a++)
    p[a] = (c >> a) & 1u;
}

static void
edge_mid (guint e, gdouble p[3])
{
  guint c0, c1;
  gdouble p0[3], p1[3];
  edge_corners (e, &c0, &c1);
  corner_pos (c0, p0);
  corner_pos (c1, p1);
  for (guint a = 0; a < 3; a++)
    p[a] = 0.5 * (p0[a] + p1[a]);
}

/* Adds the segment between edges ea and eb of a face with outward normal
 * `n`, oriented so that n × direction points away from inside corner ref. */
static void
add_segment (gint next[12], guint ea, guint eb, const gdouble n[3], guint ref)
{
  gdouble pa[3], pb[3], pr[3], d[3], m[3], x[3];
  edge_mid (ea, pa);
  edge_mid (eb, pb);
  corner_pos (ref, pr);
  for (guint a = 0; a < 3; a++)
    {
      d[a] = pb[a] - pa[a];
      m[a] = 0.5 * (pa[a] + pb[a]);
    }
  x[0] = n[1] * d[2] - n[2] * d[1];
  x[1] = n[2] * d[0] - n[0] * d[2];
  x[2] = n[0] * d[1] - n[1] * d[0];
  gdouble s = 0;
  for (guint a = 0; a < 3; a++)
    s += x[a] * (pr[a] - m[a]);
  if (s > 0)
    next[eb] = (gint) ea;
  else
    next[ea] = (gint) eb;
}

/* TRUE when both edges lie on one face of the cube. */
static gboolean
edges_share_face (guint e1, guint e2)
{
  guint a0, a1, b0, b1;
  edge_corners (e1, &a0, &a1);
  edge_corners (e2, &b0, &b1);
  for (guint axis = 0; axis < 3; axis++)
    {
      guint bit = 1u << axis;
      if ((a0 & bit) == (a1 & bit) && (b0 & bit) == (b1 & bit) && (a0 & bit) == (b0 & bit))
        return TRUE;
    }
  return FALSE;
}

static void
build_config (guint config, gint8 *out)
{
  gint next[12];
  for (guint e = 0; e < 12; e++)
    next[e] = -1;

  for (guint axis = 0; axis < 3; axis++)
    for (guint side = 0; side < 2; side++)
      {
        guint b = (axis + 1) % 3, c = (axis + 2) % 3;
        guint cyc[4];
        const guint pattern[4][2] = { { 0, 0 }, { 1, 0 }, { 1, 1 }, { 0, 1 } };
        for (guint k = 0; k < 4; k++)
          cyc[k] = (side << axis) | (pattern[k][0] << b) | (pattern[k][1] << c);
        gdouble n[3] = { 0, 0, 0 };
        n[axis] = side ? 1.0 : -1.0;

        gboolean in[4];
        guint n_in = 0, crossed[4], n_crossed = 0;
        for (guint k = 0; k < 4; k++)
          {
            in[k] = (config >> cyc[k]) & 1u;
            n_in += in[k];
          }
        for (guint k = 0; k < 4; k++)
          if (in[k] != in[(k + 1) % 4])
            crossed[n_crossed++] = edge_id (cyc[k], cyc[(k + 1) % 4]);
        if (n_crossed == 2)
          {
            guint ref = 0;
            for (guint k = 0; k < 4; k++)
              if (in[k])
                ref = cyc[k];
            add_segment (next, crossed[0], crossed[1], n, ref);
          }
        else if (n_crossed == 4)
          {
            g_assert (n_in == 2);
            for (guint k = 0; k < 4; k++)
              if (in[k])
                add_segment (next, edge_id (cyc[(k + 3) % 4], cyc[k]),
                             edge_id (cyc[k], cyc[(k + 1) % 4]), n, cyc[k]);
          }
      }

  gboolean seen[12] = { FALSE };
  guint n_out = 0;
  for (guint start = 0; start < 12; start++)
    {
      if (next[start] < 0 || seen[start])
        continue;
      guint loop[12], len = 0;
      guint e = start;
      while (!seen[e])
        {
          seen[e] = TRUE;
          loop[len++] = e;
          g_assert (next[e] >= 0);
          e = (guint) next[e];
        }
      g_assert (e == start && len >= 3);
      /* fan from a point whose diagonals never join two points of one cube
       * face: the neighbouring cube could make the same edge */
      guint s0 = 0;
      for (; s0 < len; s0++)
        {
          gboolean ok = TRUE;
          for (guint i = 2; i + 1 < len && ok; i++)
            ok = !edges_share_face (loop[s0], loop[(s0 + i) % len]);
          if (ok)
            break;
        }
      g_assert (s0 < len);
      for (guint i = 1; i + 1 < len; i++)
        {
          g_assert (n_out + 3 <= 3 * MAX_TRIANGLES);
          out[n_out++] = (gint8) loop[s0];
          out[n_out++] = (gint8) loop[(s0 + i) % len];
          out[n_out++] = (gint8) loop[(s0 + i + 1) % len];
        }
    }
  out[n_out] = -1;
}

static void
build_tables (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      for (guint config = 0; config < 256; config++)
        build_config (config, tri_table[config]);
      g_once_init_leave (&done, 1);
    }
}

/* ---- the threaded sweep ---- */

typedef struct
{
  const AetVolume *volume;
  gfloat level;
  AetJob *job;
  guint n_threads;
  gsize *plane_base;        /* nz + 1 prefix sums of crossings per plane */
  AetIsoMesh *mesh;
  GArray **triangles;       /* one per thread */
  gint cancelled;            /* atomic: set by any slab's thread */
} Sweep;

static inline gboolean
is_inside (gfloat v, gfloat level)
{
  return v > level;
}

static gsize
count_plane (const Sweep *s, gint k)
{
  const AetVolume *v = s->volume;
  const gfloat *d = v->data;
  gsize count = 0;
  for (gint j = 0; j < v->ny; j++)
    for (gint i = 0; i < v->nx; i++)
      {
        gsize idx = aet_volume_index (v, i, j, k);
        gboolean in = is_inside (d[idx], s->level);
        if (i + 1 < v->nx && in != is_inside (d[idx + 1], s->level))
          count++;
        if (j + 1 < v->ny && in != is_inside (d[idx + v->nx], s->level))
          count++;
        if (k + 1 < v->nz && in != is_inside (d[idx + (gsize) v->nx * v->ny], s->level))
          count++;
      }
  return count;
}

static void
count_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Sweep *s = user_data;
  for (gsize k = start; k < end; k++)
    s->plane_base[k + 1] = count_plane (s, (gint) k);
}

static void
gradient (const AetVolume *v, gint i, gint j, gint k, gdouble g[3])
{
  const gfloat *d = v->data;
  gint p[3] = { i, j, k };
  gint n[3] = { v->nx, v->ny, v->nz };
  gsize stride[3] = { 1, (gsize) v->nx, (gsize) v->nx * v->ny };
  gsize idx = aet_volume_index (v, i, j, k);
  for (guint a = 0; a < 3; a++)
    {
      if (n[a] < 2)
        g[a] = 0;
      else if (p[a] == 0)
        g[a] = d[idx + stride[a]] - d[idx];
      else if (p[a] == n[a] - 1)
        g[a] = d[idx] - d[idx - stride[a]];
      else
        g[a] = 0.5 * (d[idx + stride[a]] - d[idx - stride[a]]);
    }
}

static void
emit_vertex (const Sweep *s, gsize out, gint i, gint j, gint k, guint axis)
{
  const AetVolume *v = s->volume;
  gint i1 = i + (axis == 0), j1 = j + (axis == 1), k1 = k + (axis == 2);
  gfloat a = v->data[aet_volume_index (v, i, j, k)];
  gfloat b = v->data[aet_volume_index (v, i1, j1, k1)];
  gdouble t = (s->level - a) / ((gdouble) b - a);
  t = CLAMP (t, 0.0, 1.0);
  gdouble p[3] = { i, j, k };
  p[axis] += t;
  gdouble g0[3], g1[3], g[3], len = 0;
  gradient (v, i, j, k, g0);
  gradient (v, i1, j1, k1, g1);
  for (guint c = 0; c < 3; c++)
    {
      g[c] = (1 - t) * g0[c] + t * g1[c];
      len += g[c] * g[c];
    }
  len = sqrt (len);
  for (guint c = 0; c < 3; c++)
    {
      s->mesh->positions[3 * out + c] = (gfloat) (p[c] * v->voxel_size + v->origin[c]);
      s->mesh->normals[3 * out + c] = len > 0 ? (gfloat) (-g[c] / len) : (c == 2 ? 1.0f : 0.0f);
    }
}

/* Fills map (3 per (i,j): x, y, z edges of plane k) with global vertex
 * indices or -1, and writes the vertices when `write` is set. */
static void
scan_plane (const Sweep *s, gint k, gint32 *map, gboolean write)
{
  const AetVolume *v = s->volume;
  const gfloat *d = v->data;
  gsize next = s->plane_base[k];
  for (gint j = 0; j < v->ny; j++)
    for (gint i = 0; i < v->nx; i++)
      {
        gsize idx = aet_volume_index (v, i, j, k);
        gint32 *m = map + 3 * ((gsize) j * v->nx + i);
        gboolean in = is_inside (d[idx], s->level);
        m[0] = m[1] = m[2] = -1;
        if (i + 1 < v->nx && in != is_inside (d[idx + 1], s->level))
          {
            if (write)
              emit_vertex (s, next, i, j, k, 0);
            m[0] = (gint32) next++;
          }
        if (j + 1 < v->ny && in != is_inside (d[idx + v->nx], s->level))
          {
            if (write)
              emit_vertex (s, next, i, j, k, 1);
            m[1] = (gint32) next++;
          }
        if (k + 1 < v->nz && in != is_inside (d[idx + (gsize) v->nx * v->ny], s->level))
          {
            if (write)
              emit_vertex (s, next, i, j, k, 2);
            m[2] = (gint32) next++;
          }
      }
  g_assert (next == s->plane_base[k + 1]);
}

static void
march_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Sweep *s = user_data;
  const AetVolume *v = s->volume;
  const gfloat *d = v->data;
  gsize plane = (gsize) v->nx * v->ny;
  gint nz_cells = v->nz - 1;
  g_autofree gint32 *map_lo = g_new (gint32, 3 * plane);
  g_autofree gint32 *map_hi = g_new (gint32, 3 * plane);
  GArray *tris = s->triangles[thread_index];

  scan_plane (s, (gint) start, map_lo, TRUE);
  for (gsize kk = start; kk < end; kk++)
    {
      gint k = (gint) kk;
      if (aet_job_cancelled (s->job))
        {
          g_atomic_int_set (&s->cancelled, 1);
          return;
        }
      /* plane k+1 belongs to the next slab unless it is the last plane */
      gboolean own_next = (gsize) (k + 1) < end || k + 1 == nz_cells;
      scan_plane (s, k + 1, map_hi, own_next);

      for (gint j = 0; j + 1 < v->ny; j++)
        for (gint i = 0; i + 1 < v->nx; i++)
          {
            gsize idx = aet_volume_index (v, i, j, k);
            guint config = 0;
            for (guint c = 0; c < 8; c++)
              {
                gsize o = idx + (c & 1u) + ((c >> 1) & 1u) * (gsize) v->nx
                          + ((c >> 2) & 1u) * plane;
                if (is_inside (d[o], s->level))
                  config |= 1u << c;
              }
            if (config == 0 || config == 255)
              continue;
            const gint8 *t = tri_table[config];
            for (; *t >= 0; t++)
              {
                guint e = (guint) *t, c0, c1;
                edge_corners (e, &c0, &c1);
                guint axis = e / 4;
                gint ci = i + (gint) (c0 & 1u), cj = j + (gint) ((c0 >> 1) & 1u);
                const gint32 *map = (c0 >> 2) & 1u ? map_hi : map_lo;
                gint32 vi = map[3 * ((gsize) cj * v->nx + ci) + axis];
                g_assert (vi >= 0);
                guint32 u = (guint32) vi;
                g_array_append_val (tris, u);
              }
          }

      gint32 *tmp = map_lo;
      map_lo = map_hi;
      map_hi = tmp;
      if (thread_index == 0)
        aet_job_progress (s->job, (gdouble) (kk - start + 1) / (gdouble) (end - start),
                          "iso-surface");
    }
}

AetIsoMesh *
aet_iso_mesh_new (guint n_vertices, guint n_triangles)
{
  AetIsoMesh *mesh = g_new0 (AetIsoMesh, 1);
  mesh->n_vertices = n_vertices;
  mesh->n_triangles = n_triangles;
  mesh->positions = g_new (gfloat, 3 * (gsize) MAX (n_vertices, 1));
  mesh->normals = g_new (gfloat, 3 * (gsize) MAX (n_vertices, 1));
  mesh->indices = g_new (guint32, 3 * (gsize) MAX (n_triangles, 1));
  return mesh;
}

void
aet_iso_mesh_free (AetIsoMesh *mesh)
{
  if (mesh == NULL)
    return;
  g_free (mesh->positions);
  g_free (mesh->normals);
  g_free (mesh->colors);
  g_free (mesh->indices);
  g_free (mesh);
}

AetIsoMesh *
aet_iso_mesh_compute (const AetVolume *volume, gdouble level, guint n_threads, AetJob *job,
                      GError **error)
{
  g_return_val_if_fail (volume != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (volume->nx < 2 || volume->ny < 2 || volume->nz < 2)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "iso-surface: the volume is %d×%d×%d, it needs at least 2 voxels per edge",
                   volume->nx, volume->ny, volume->nz);
      return NULL;
    }
  if (!isfinite (level))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "iso-surface: the level is not finite");
      return NULL;
    }
  build_tables ();

  Sweep s = { 0 };
  s.volume = volume;
  s.level = (gfloat) level;
  s.job = job;
  s.n_threads = MAX (n_threads, 1u);
  s.plane_base = g_new0 (gsize, volume->nz + 1);
  aet_parallel_for (s.n_threads, (gsize) volume->nz, count_range, &s);
  for (gint k = 0; k < volume->nz; k++)
    s.plane_base[k + 1] += s.plane_base[k];
  gsize n_vertices = s.plane_base[volume->nz];
  if (n_vertices > G_MAXINT32)
    {
      g_free (s.plane_base);
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "iso-surface: %" G_GSIZE_FORMAT " vertices is too many, raise the level",
                   n_vertices);
      return NULL;
    }

  s.mesh = aet_iso_mesh_new ((guint) n_vertices, 0);
  guint n_slabs = MIN (s.n_threads, (guint) (volume->nz - 1));
  s.triangles = g_new0 (GArray *, n_slabs);
  for (guint t = 0; t < n_slabs; t++)
    s.triangles[t] = g_array_new (FALSE, FALSE, sizeof (guint32));
  aet_parallel_for (n_slabs, (gsize) volume->nz - 1, march_range, &s);

  gsize n_indices = 0;
  for (guint t = 0; t < n_slabs; t++)
    n_indices += s.triangles[t]->len;
  gboolean cancelled = g_atomic_int_get (&s.cancelled) != 0;
  if (!cancelled)
    {
      g_free (s.mesh->indices);
      s.mesh->indices = g_new (guint32, MAX (n_indices, 1));
      s.mesh->n_triangles = (guint) (n_indices / 3);
      gsize at = 0;
      for (guint t = 0; t < n_slabs; t++)
        {
          if (s.triangles[t]->len > 0)
            memcpy (s.mesh->indices + at, s.triangles[t]->data,
                    s.triangles[t]->len * sizeof (guint32));
          at += s.triangles[t]->len;
        }
    }
  for (guint t = 0; t < n_slabs; t++)
    g_array_unref (s.triangles[t]);
  g_free (s.triangles);
  g_free (s.plane_base);

  if (cancelled)
    {
      aet_iso_mesh_free (s.mesh);
      g_set_error (error, AET_ERROR, AET_ERROR_CANCELLED, "iso-surface: cancelled");
      return NULL;
    }
  return s.mesh;
}

gdouble
aet_iso_mesh_area (const AetIsoMesh *mesh)
{
  g_return_val_if_fail (mesh != NULL, 0.0);
  gdouble area = 0;
  for (guint t = 0; t < mesh->n_triangles; t++)
    {
      const gfloat *a = mesh->positions + 3 * mesh->indices[3 * t];
      const gfloat *b = mesh->positions + 3 * mesh->indices[3 * t + 1];
      const gfloat *c = mesh->positions + 3 * mesh->indices[3 * t + 2];
      gdouble u[3], w[3];
      for (guint i = 0; i < 3; i++)
        {
          u[i] = (gdouble) b[i] - a[i];
          w[i] = (gdouble) c[i] - a[i];
        }
      gdouble x = u[1] * w[2] - u[2] * w[1];
      gdouble y = u[2] * w[0] - u[0] * w[2];
      gdouble z = u[0] * w[1] - u[1] * w[0];
      area += 0.5 * sqrt (x * x + y * y + z * z);
    }
  return area;
}

/* ---- colouring by the nearest atom ---- */

gboolean
aet_iso_mesh_color_by_nearest_atom (AetIsoMesh *mesh, const AetAtoms *atoms, const char *column,
                                    const gfloat *palette, guint n_palette, const gfloat other[3],
                                    gdouble max_distance, GError **error)
{
  g_return_val_if_fail (mesh != NULL && atoms != NULL && column != NULL, FALSE);
  g_return_val_if_fail (palette != NULL && n_palette > 0 && other != NULL, FALSE);

  const gfloat *values = aet_atoms_get_column (atoms, column);
  if (values == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "surface colouring: the atoms have no “%s” column", column);
      return FALSE;
    }
  if (atoms->n_atoms == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "surface colouring: there are no atoms");
      return FALSE;
    }

  /* A uniform grid of cells max_distance wide: the nearest atom within
   * max_distance is in the 27 cells around the vertex's cell. */
  gdouble cell = MAX (max_distance, 0.5);
  gdouble lo[3] = { G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE }, hi[3] = { -G_MAXDOUBLE, -G_MAXDOUBLE,
                                                                     -G_MAXDOUBLE };
  for (gsize a = 0; a < atoms->n_atoms; a++)
    for (guint c = 0; c < 3; c++)
      {
        lo[c] = MIN (lo[c], atoms->positions[3 * a + c]);
        hi[c] = MAX (hi[c], atoms->positions[3 * a + c]);
      }
  for (guint c = 0; c < 3; c++)
    cell = MAX (cell, (hi[c] - lo[c]) / 200.0);
  gint dims[3];
  for (guint c = 0; c < 3; c++)
    dims[c] = (gint) ((hi[c] - lo[c]) / cell) + 1;
  gsize n_cells = (gsize) dims[0] * dims[1] * dims[2];
  g_autofree guint *start = g_new0 (guint, n_cells + 1);
  g_autofree guint *order = g_new (guint, atoms->n_atoms);
  g_autofree gsize *cell_of = g_new (gsize, atoms->n_atoms);
  for (gsize a = 0; a < atoms->n_atoms; a++)
    {
      gint ci[3];
      for (guint c = 0; c < 3; c++)
        ci[c] = CLAMP ((gint) ((atoms->positions[3 * a + c] - lo[c]) / cell), 0, dims[c] - 1);
      cell_of[a] = (gsize) ci[0] + (gsize) dims[0] * ((gsize) ci[1] + (gsize) dims[1] * ci[2]);
      start[cell_of[a] + 1]++;
    }
  for (gsize i = 0; i < n_cells; i++)
    start[i + 1] += start[i];
  g_autofree guint *fill = g_memdup2 (start, n_cells * sizeof (guint));
  for (gsize a = 0; a < atoms->n_atoms; a++)
    order[fill[cell_of[a]]++] = (guint) a;

  g_free (mesh->colors);
  mesh->colors = g_new (gfloat, 3 * (gsize) MAX (mesh->n_vertices, 1));
  gdouble max_d2 = max_distance * max_distance;
  for (guint vtx = 0; vtx < mesh->n_vertices; vtx++)
    {
      const gfloat *p = mesh->positions + 3 * vtx;
      gint ci[3];
      for (guint c = 0; c < 3; c++)
        ci[c] = (gint) floor ((p[c] - lo[c]) / cell);
      gdouble best = G_MAXDOUBLE;
      gssize best_atom = -1;
      for (gint dz = -1; dz <= 1; dz++)
        for (gint dy = -1; dy <= 1; dy++)
          for (gint dx = -1; dx <= 1; dx++)
            {
              gint x = ci[0] + dx, y = ci[1] + dy, z = ci[2] + dz;
              if (x < 0 || y < 0 || z < 0 || x >= dims[0] || y >= dims[1] || z >= dims[2])
                continue;
              gsize cidx = (gsize) x + (gsize) dims[0] * ((gsize) y + (gsize) dims[1] * z);
              for (guint o = start[cidx]; o < start[cidx + 1]; o++)
                {
                  const gdouble *q = atoms->positions + 3 * order[o];
                  gdouble d2 = 0;
                  for (guint c = 0; c < 3; c++)
                    d2 += (p[c] - q[c]) * (p[c] - q[c]);
                  if (d2 < best)
                    {
                      best = d2;
                      best_atom = order[o];
                    }
                }
            }
      const gfloat *rgb = other;
      if (best_atom >= 0 && best <= max_d2 && isfinite (values[best_atom])
          && values[best_atom] >= 0)
        rgb = palette + 3 * ((guint) lrintf (values[best_atom]) % n_palette);
      memcpy (mesh->colors + 3 * vtx, rgb, 3 * sizeof (gfloat));
    }
  return TRUE;
}
