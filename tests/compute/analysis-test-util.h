/* analysis-test-util.h — test particles for the structure-analysis tests.
 *
 * FCC sites are integer triples in units of a/2 with an even sum.  A
 * truncated octahedron keeps the sites with |x|+|y|+|z| ≤ s (the eight {111}
 * faces) and max(|x|,|y|,|z|) ≤ m (the six {100} faces); with s even every
 * vertex of that polyhedron is a lattice site.  The particle is turned by a
 * rotation drawn uniformly on SO(3) and moved to `offset`.
 */
#pragma once

#include <glib.h>
#include <math.h>
#include <string.h>

#include "aet-atoms.h"

#define TEST_A 3.924

/* A rotation uniform on SO(3): a unit quaternion of four normal deviates. */
static inline void
test_random_rotation (GRand *rand, gdouble r[9])
{
  gdouble q[4], norm = 0;
  for (int k = 0; k < 4; k++)
    {
      gdouble u1 = g_rand_double_range (rand, 1e-12, 1), u2 = g_rand_double (rand);
      q[k] = sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
      norm += q[k] * q[k];
    }
  norm = sqrt (norm);
  gdouble w = q[0] / norm, x = q[1] / norm, y = q[2] / norm, z = q[3] / norm;
  gdouble m[9] = { 1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                   2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                   2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y) };
  memcpy (r, m, sizeof m);
}

static inline void
test_rotate (const gdouble r[9], const gdouble v[3], gdouble out[3])
{
  gdouble t[3];
  for (int i = 0; i < 3; i++)
    t[i] = r[3 * i] * v[0] + r[3 * i + 1] * v[1] + r[3 * i + 2] * v[2];
  memcpy (out, t, sizeof t);
}

/* The truncated octahedron (s, m) of Pt atoms, rotated by r and centred at
 * offset; sites (3 per atom, a/2 units) are returned in *sites when not NULL
 * (caller frees). */
static inline AetAtoms *
test_truncated_octahedron (gint s, gint m, const gdouble r[9], const gdouble offset[3],
                           gint **sites)
{
  AetAtoms *atoms = aet_atoms_new (4096);
  GArray *list = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gint x = -m; x <= m; x++)
    for (gint y = -m; y <= m; y++)
      for (gint z = -m; z <= m; z++)
        {
          if ((x + y + z) & 1)
            continue;
          if (ABS (x) + ABS (y) + ABS (z) > s)
            continue;
          gdouble c[3] = { x * TEST_A / 2, y * TEST_A / 2, z * TEST_A / 2 }, p[3];
          test_rotate (r, c, p);
          aet_atoms_append (atoms, 78, p[0] + offset[0], p[1] + offset[1], p[2] + offset[2]);
          gint v[3] = { x, y, z };
          g_array_append_vals (list, v, 3);
        }
  if (sites != NULL)
    *sites = (gint *) g_array_free (list, FALSE);
  else
    g_array_free (list, TRUE);
  return atoms;
}

/* The area of the face of the polyhedron {c : nᵀc ≤ d for every plane} on
 * plane k (planes: unit normals n[3·j], distances d[j]), by clipping a large
 * square in the plane against every other half-space. */
static inline gdouble
test_face_area (const gdouble *normals, const gdouble *dist, guint n_planes, guint k)
{
  const gdouble *nk = normals + 3 * k;
  gdouble u[3], v[3], h[3] = { 1, 0, 0 };
  if (fabs (nk[0]) > 0.9)
    h[0] = 0, h[1] = 1;
  u[0] = h[1] * nk[2] - h[2] * nk[1];
  u[1] = h[2] * nk[0] - h[0] * nk[2];
  u[2] = h[0] * nk[1] - h[1] * nk[0];
  gdouble nu = sqrt (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
  for (int c = 0; c < 3; c++)
    u[c] /= nu;
  v[0] = nk[1] * u[2] - nk[2] * u[1];
  v[1] = nk[2] * u[0] - nk[0] * u[2];
  v[2] = nk[0] * u[1] - nk[1] * u[0];
  /* polygon in 2D (u, v) around the foot point dist·n */
  gdouble poly[64][2], next[64][2];
  guint np = 4;
  gdouble big = 1000;
  gdouble sq[4][2] = { { -big, -big }, { big, -big }, { big, big }, { -big, big } };
  memcpy (poly, sq, sizeof sq);
  for (guint j = 0; j < n_planes; j++)
    {
      if (j == k)
        continue;
      const gdouble *nj = normals + 3 * j;
      /* nj·(d_k n_k + a u + b v) ≤ d_j  ⇔  a·(nj·u) + b·(nj·v) ≤ d_j − d_k nj·n_k */
      gdouble cu = nj[0] * u[0] + nj[1] * u[1] + nj[2] * u[2];
      gdouble cv = nj[0] * v[0] + nj[1] * v[1] + nj[2] * v[2];
      gdouble rhs = dist[j] - dist[k] * (nj[0] * nk[0] + nj[1] * nk[1] + nj[2] * nk[2]);
      guint nn = 0;
      for (guint i = 0; i < np; i++)
        {
          const gdouble *p = poly[i], *q = poly[(i + 1) % np];
          gdouble fp = cu * p[0] + cv * p[1] - rhs, fq = cu * q[0] + cv * q[1] - rhs;
          if (fp <= 0)
            {
              next[nn][0] = p[0], next[nn][1] = p[1];
              nn++;
            }
          if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0))
            {
              gdouble t = fp / (fp - fq);
              next[nn][0] = p[0] + t * (q[0] - p[0]);
              next[nn][1] = p[1] + t * (q[1] - p[1]);
              nn++;
            }
        }
      np = nn;
      memcpy (poly, next, np * sizeof poly[0]);
      if (np < 3)
        return 0;
    }
  gdouble area = 0;
  for (guint i = 0; i < np; i++)
    area += poly[i][0] * poly[(i + 1) % np][1] - poly[(i + 1) % np][0] * poly[i][1];
  return fabs (area) / 2;
}

/* The 14 faces of the truncated octahedron (s, m) in the crystal frame:
 * normals (3 each), distances (Å), Miller indices (3 each). */
static inline void
test_truncated_octahedron_faces (gint s, gint m, gdouble normals[14 * 3], gdouble dist[14],
                                 gint miller[14 * 3])
{
  guint k = 0;
  for (int sx = -1; sx <= 1; sx += 2)
    for (int sy = -1; sy <= 1; sy += 2)
      for (int sz = -1; sz <= 1; sz += 2)
        {
          gint hkl[3] = { sx, sy, sz };
          for (int c = 0; c < 3; c++)
            {
              normals[3 * k + c] = hkl[c] / sqrt (3.0);
              miller[3 * k + c] = hkl[c];
            }
          dist[k] = s * (TEST_A / 2) / sqrt (3.0);
          k++;
        }
  for (int axis = 0; axis < 3; axis++)
    for (int sg = -1; sg <= 1; sg += 2)
      {
        for (int c = 0; c < 3; c++)
          {
            normals[3 * k + c] = c == axis ? sg : 0;
            miller[3 * k + c] = c == axis ? sg : 0;
          }
        dist[k] = m * TEST_A / 2;
        k++;
      }
}
