#define G_LOG_DOMAIN "aet-lattice-fit"

#include "aet-lattice-fit.h"
#include "aet-error.h"

#include <math.h>
#include <string.h>

/* how far to look for nearest neighbours (Å): past the first shell of Pb */
#define NN_SEARCH 5.0

/* ---- small dense linear algebra ---------------------------------------- */

void
aet_sym_eigen (const gdouble *m, guint n, gdouble *evals, gdouble *evecs)
{
  g_assert (n >= 1 && n <= 4);
  gdouble a[16], v[16];
  for (guint i = 0; i < n * n; i++)
    a[i] = m[i];
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      v[i * n + j] = i == j;
  for (int sweep = 0; sweep < 60; sweep++)
    {
      gdouble off = 0, scale = 0;
      for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
          {
            if (i != j)
              off += a[i * n + j] * a[i * n + j];
            scale += a[i * n + j] * a[i * n + j];
          }
      if (off <= 1e-30 * scale || off == 0)
        break;
      for (guint p = 0; p < n; p++)
        for (guint q = p + 1; q < n; q++)
          {
            gdouble apq = a[p * n + q];
            if (apq == 0)
              continue;
            gdouble theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
            gdouble t = (theta >= 0 ? 1 : -1) / (fabs (theta) + sqrt (theta * theta + 1));
            gdouble c = 1 / sqrt (t * t + 1), s = t * c;
            for (guint k = 0; k < n; k++)
              {
                gdouble akp = a[k * n + p], akq = a[k * n + q];
                a[k * n + p] = c * akp - s * akq;
                a[k * n + q] = s * akp + c * akq;
              }
            for (guint k = 0; k < n; k++)
              {
                gdouble apk = a[p * n + k], aqk = a[q * n + k];
                a[p * n + k] = c * apk - s * aqk;
                a[q * n + k] = s * apk + c * aqk;
              }
            for (guint k = 0; k < n; k++)
              {
                gdouble vkp = v[k * n + p], vkq = v[k * n + q];
                v[k * n + p] = c * vkp - s * vkq;
                v[k * n + q] = s * vkp + c * vkq;
              }
          }
    }
  /* sort ascending */
  guint order[4] = { 0, 1, 2, 3 };
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      if (a[order[j] * n + order[j]] < a[order[i] * n + order[i]])
        {
          guint t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
  for (guint k = 0; k < n; k++)
    {
      evals[k] = a[order[k] * n + order[k]];
      for (guint i = 0; i < n; i++)
        evecs[i * n + k] = v[i * n + order[k]];
    }
}

void
aet_rotation_from_covariance (const gdouble c[9], gdouble r[9])
{
  /* Horn (1987): S_ab = Σ x_a y_b = C_ba; the rotation is the quaternion
   * of the largest eigenvalue of N(S). */
  gdouble sxx = c[0], syx = c[1], szx = c[2];
  gdouble sxy = c[3], syy = c[4], szy = c[5];
  gdouble sxz = c[6], syz = c[7], szz = c[8];
  gdouble nm[16] = {
    sxx + syy + szz, syz - szy, szx - sxz, sxy - syx,
    syz - szy, sxx - syy - szz, sxy + syx, szx + sxz,
    szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy,
    sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz,
  };
  gdouble ev[4], vec[16];
  aet_sym_eigen (nm, 4, ev, vec);
  gdouble w = vec[0 * 4 + 3], x = vec[1 * 4 + 3], y = vec[2 * 4 + 3], z = vec[3 * 4 + 3];
  gdouble norm = sqrt (w * w + x * x + y * y + z * z);
  w /= norm, x /= norm, y /= norm, z /= norm;
  r[0] = 1 - 2 * (y * y + z * z);
  r[1] = 2 * (x * y - w * z);
  r[2] = 2 * (x * z + w * y);
  r[3] = 2 * (x * y + w * z);
  r[4] = 1 - 2 * (x * x + z * z);
  r[5] = 2 * (y * z - w * x);
  r[6] = 2 * (x * z - w * y);
  r[7] = 2 * (y * z + w * x);
  r[8] = 1 - 2 * (x * x + y * y);
}

gboolean
aet_mat3_invert (const gdouble m[9], gdouble inv[9])
{
  gdouble c00 = m[4] * m[8] - m[5] * m[7];
  gdouble c01 = m[5] * m[6] - m[3] * m[8];
  gdouble c02 = m[3] * m[7] - m[4] * m[6];
  gdouble det = m[0] * c00 + m[1] * c01 + m[2] * c02;
  gdouble norm = 0;
  for (int i = 0; i < 9; i++)
    norm = MAX (norm, fabs (m[i]));
  if (!isfinite (det) || fabs (det) <= 1e-9 * norm * norm * norm || norm == 0)
    return FALSE;
  inv[0] = c00 / det;
  inv[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  inv[3] = c01 / det;
  inv[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  inv[6] = c02 / det;
  inv[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return TRUE;
}

/* ---- lattice helpers -------------------------------------------------- */

gdouble
aet_lattice_fcc_constant (guint z)
{
  switch (z)
    {
    case 13: return 4.0495;  /* Al */
    case 20: return 5.5884;  /* Ca */
    case 28: return 3.5240;  /* Ni */
    case 29: return 3.6149;  /* Cu */
    case 45: return 3.8034;  /* Rh */
    case 46: return 3.8907;  /* Pd */
    case 47: return 4.0853;  /* Ag */
    case 77: return 3.8390;  /* Ir */
    case 78: return 3.9242;  /* Pt */
    case 79: return 4.0782;  /* Au */
    case 82: return 4.9508;  /* Pb */
    default: return 0;
    }
}

static guint
gcd (guint a, guint b)
{
  while (b)
    {
      guint t = a % b;
      a = b;
      b = t;
    }
  return a;
}

gdouble
aet_lattice_plane_spacing (gdouble a, const gint hkl[3])
{
  guint g = gcd (gcd (ABS (hkl[0]), ABS (hkl[1])), ABS (hkl[2]));
  if (g == 0)
    return 0;
  gint h = hkl[0] / (gint) g, k = hkl[1] / (gint) g, l = hkl[2] / (gint) g;
  gdouble norm = sqrt ((gdouble) (h * h + k * k + l * l));
  gboolean all_odd = (h & 1) && (k & 1) && (l & 1);
  return all_odd ? a / norm : a / (2 * norm);
}

void
aet_lattice_fit_to_sample (const AetLatticeFit *fit, const gdouble c[3], gdouble s[3])
{
  const gdouble *r = fit->rotation;
  gdouble v[3];
  for (int i = 0; i < 3; i++)
    v[i] = r[3 * i] * c[0] + r[3 * i + 1] * c[1] + r[3 * i + 2] * c[2];
  gdouble norm = sqrt (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  for (int i = 0; i < 3; i++)
    s[i] = norm > 0 ? v[i] / norm : 0;
}

void
aet_lattice_fit_to_crystal (const AetLatticeFit *fit, const gdouble s[3], gdouble c[3])
{
  const gdouble *r = fit->rotation;
  gdouble v[3];
  for (int i = 0; i < 3; i++)
    v[i] = r[i] * s[0] + r[3 + i] * s[1] + r[6 + i] * s[2];
  gdouble norm = sqrt (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  for (int i = 0; i < 3; i++)
    c[i] = norm > 0 ? v[i] / norm : 0;
}

static void
nearest_site (const gdouble r[9], const gdouble origin[3], gdouble a, const gdouble p[3],
              gint site[3])
{
  gdouble d[3] = { p[0] - origin[0], p[1] - origin[1], p[2] - origin[2] };
  gdouble f[3];
  for (int i = 0; i < 3; i++)
    f[i] = (r[i] * d[0] + r[3 + i] * d[1] + r[6 + i] * d[2]) / (a / 2);
  gint m[3];
  for (int i = 0; i < 3; i++)
    m[i] = (gint) lround (f[i]);
  if ((m[0] + m[1] + m[2]) & 1)
    {
      int worst = 0;
      for (int i = 1; i < 3; i++)
        if (fabs (f[i] - m[i]) > fabs (f[worst] - m[worst]))
          worst = i;
      m[worst] += f[worst] > m[worst] ? 1 : -1;
    }
  for (int i = 0; i < 3; i++)
    site[i] = m[i];
}

void
aet_lattice_fit_site (const AetLatticeFit *fit, const gdouble p[3], gint site[3])
{
  nearest_site (fit->rotation, fit->origin, fit->a, p, site);
}

void
aet_lattice_fit_site_position (const AetLatticeFit *fit, const gint site[3], gdouble out[3])
{
  const gdouble *r = fit->rotation;
  gdouble h = fit->a / 2;
  for (int i = 0; i < 3; i++)
    out[i] = fit->origin[i]
             + h * (r[3 * i] * site[0] + r[3 * i + 1] * site[1] + r[3 * i + 2] * site[2]);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

gdouble
aet_lattice_nn_distance (const gdouble *positions, gsize n, const AetNeighbors *nb)
{
  /* The median nearest distance is biased low by noise (it is the smallest
   * of about twelve); it only starts the estimate.  Then, repeatedly, the
   * median of all pair distances below the midpoint of the first and second
   * shells, (1 + √2)/2 · d, which settles on the first shell's middle. */
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) nearest = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) pairs = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *p = positions + 3 * i;
      g_array_set_size (idx, 0);
      aet_neighbors_within (nb, p, NN_SEARCH, idx);
      gdouble best = G_MAXDOUBLE;
      for (guint k = 0; k < idx->len; k++)
        {
          guint j = g_array_index (idx, guint, k);
          if (j == i)
            continue;
          const gdouble *q = positions + 3 * j;
          gdouble d = sqrt ((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1])
                            + (p[2] - q[2]) * (p[2] - q[2]));
          if (d <= 1e-6)
            continue;
          best = MIN (best, d);
          g_array_append_val (pairs, d);
        }
      if (best < G_MAXDOUBLE)
        g_array_append_val (nearest, best);
    }
  if (nearest->len == 0)
    return 0;
  g_array_sort (nearest, cmp_double);
  g_array_sort (pairs, cmp_double);
  gdouble d = g_array_index (nearest, gdouble, nearest->len / 2);
  for (int iter = 0; iter < 20; iter++)
    {
      gdouble limit = d * (1 + G_SQRT2) / 2;
      guint lo = 0, hi = pairs->len;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (g_array_index (pairs, gdouble, mid) < limit)
            lo = mid + 1;
          else
            hi = mid;
        }
      if (lo == 0)
        break;
      gdouble next = g_array_index (pairs, gdouble, lo / 2);
      if (fabs (next - d) < 1e-9)
        break;
      d = next;
    }
  return d;
}

/* The 12 nearest-neighbour directions of FCC, unit length. */
static void
fcc_bond_directions (gdouble d[12][3])
{
  int k = 0;
  for (int axis = 0; axis < 3; axis++)
    for (int s1 = -1; s1 <= 1; s1 += 2)
      for (int s2 = -1; s2 <= 1; s2 += 2)
        {
          gdouble v[3] = { 0, 0, 0 };
          v[(axis + 1) % 3] = s1 * G_SQRT2 / 2;
          v[(axis + 2) % 3] = s2 * G_SQRT2 / 2;
          memcpy (d[k++], v, sizeof v);
        }
}

/* An orthonormal frame (columns) from two non-parallel vectors. */
static void
frame (const gdouble a[3], const gdouble b[3], gdouble f[9])
{
  gdouble e1[3], e2[3], e3[3];
  gdouble na = sqrt (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
  for (int i = 0; i < 3; i++)
    e1[i] = a[i] / na;
  gdouble dot = e1[0] * b[0] + e1[1] * b[1] + e1[2] * b[2];
  for (int i = 0; i < 3; i++)
    e2[i] = b[i] - dot * e1[i];
  gdouble n2 = sqrt (e2[0] * e2[0] + e2[1] * e2[1] + e2[2] * e2[2]);
  for (int i = 0; i < 3; i++)
    e2[i] /= n2;
  e3[0] = e1[1] * e2[2] - e1[2] * e2[1];
  e3[1] = e1[2] * e2[0] - e1[0] * e2[2];
  e3[2] = e1[0] * e2[1] - e1[1] * e2[0];
  for (int i = 0; i < 3; i++)
    {
      f[3 * i] = e1[i];
      f[3 * i + 1] = e2[i];
      f[3 * i + 2] = e3[i];
    }
}

static void
mat3_mul (const gdouble a[9], const gdouble b[9], gdouble out[9])
{
  gdouble t[9];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      t[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  memcpy (out, t, sizeof t);
}

/* Of the 24 cubic equivalents R·G, the one with the largest trace. */
static void
canonical_rotation (gdouble r[9])
{
  static const int perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                   { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
  static const int perm_sign[6] = { 1, -1, -1, 1, 1, -1 };
  gdouble best[9], best_trace = -G_MAXDOUBLE;
  for (int p = 0; p < 6; p++)
    for (int s = 0; s < 8; s++)
      {
        int sg[3] = { s & 1 ? -1 : 1, s & 2 ? -1 : 1, s & 4 ? -1 : 1 };
        if (perm_sign[p] * sg[0] * sg[1] * sg[2] != 1)
          continue;
        gdouble g[9] = { 0 };
        for (int i = 0; i < 3; i++)
          g[3 * i + perms[p][i]] = sg[i];
        gdouble rg[9];
        mat3_mul (r, g, rg);
        gdouble tr = rg[0] + rg[4] + rg[8];
        if (tr > best_trace + 1e-12)
          {
            best_trace = tr;
            memcpy (best, rg, sizeof best);
          }
      }
  memcpy (r, best, sizeof best);
}

static guint
bonds_of (const gdouble *positions, const AetNeighbors *nb, gsize i, gdouble cutoff,
          GArray *idx, gdouble bonds[][3], guint max_bonds)
{
  const gdouble *p = positions + 3 * i;
  g_array_set_size (idx, 0);
  aet_neighbors_within (nb, p, cutoff, idx);
  guint nbonds = 0;
  for (guint k = 0; k < idx->len; k++)
    {
      guint j = g_array_index (idx, guint, k);
      if (j == i)
        continue;
      const gdouble *q = positions + 3 * j;
      gdouble b[3] = { q[0] - p[0], q[1] - p[1], q[2] - p[2] };
      if (b[0] * b[0] + b[1] * b[1] + b[2] * b[2] < 1e-12)
        continue;
      if (nbonds < max_bonds)
        memcpy (bonds[nbonds], b, sizeof b);
      nbonds++;
    }
  return nbonds;
}

gboolean
aet_lattice_fit (const gdouble *positions, gsize n, const AetNeighbors *nb,
                 const gboolean *use, gdouble a_guess, AetLatticeFit *fit, GError **error)
{
  g_return_val_if_fail (fit != NULL, FALSE);
  memset (fit, 0, sizeof *fit);
  gsize n_use = 0;
  for (gsize i = 0; i < n; i++)
    n_use += use == NULL || use[i];
  if (n_use < 13)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "lattice fit: %" G_GSIZE_FORMAT " atoms are too few to fit a lattice "
                   "(13 needed)", n_use);
      return FALSE;
    }
  gdouble a = a_guess;
  if (!(a > 0))
    a = aet_lattice_nn_distance (positions, n, nb) * G_SQRT2;
  if (!(a > 0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "lattice fit: no two atoms are closer than 5 Å");
      return FALSE;
    }
  gdouble cutoff = 0.5 * (G_SQRT2 / 2 + 1) * a;
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));

  /* the atom with a full first shell nearest the centroid seeds the orientation */
  gdouble centre[3] = { 0 };
  for (gsize i = 0; i < n; i++)
    if (use == NULL || use[i])
      for (int c = 0; c < 3; c++)
        centre[c] += positions[3 * i + c] / n_use;
  gssize seed = -1;
  gdouble seed_d2 = G_MAXDOUBLE;
  gdouble bonds[16][3];
  for (gsize i = 0; i < n; i++)
    {
      if (use != NULL && !use[i])
        continue;
      const gdouble *p = positions + 3 * i;
      gdouble d2 = (p[0] - centre[0]) * (p[0] - centre[0])
                   + (p[1] - centre[1]) * (p[1] - centre[1])
                   + (p[2] - centre[2]) * (p[2] - centre[2]);
      if (d2 >= seed_d2)
        continue;
      if (bonds_of (positions, nb, i, cutoff, idx, bonds, 16) == 12)
        {
          seed = i;
          seed_d2 = d2;
        }
    }
  if (seed < 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "lattice fit: no atom has the 12 nearest neighbours of an FCC lattice "
                   "within %.2f Å", cutoff);
      return FALSE;
    }
  bonds_of (positions, nb, seed, cutoff, idx, bonds, 16);
  gdouble dirs[12][3];
  fcc_bond_directions (dirs);

  /* the seed's bonds: one bond and another at 60° fix the frame up to the
   * choice of the ideal pair; of the four pairs take the best match */
  guint second = 1;
  gdouble best_cos = G_MAXDOUBLE;
  gdouble nb0 = sqrt (bonds[0][0] * bonds[0][0] + bonds[0][1] * bonds[0][1]
                      + bonds[0][2] * bonds[0][2]);
  for (guint k = 1; k < 12; k++)
    {
      gdouble nk = sqrt (bonds[k][0] * bonds[k][0] + bonds[k][1] * bonds[k][1]
                         + bonds[k][2] * bonds[k][2]);
      gdouble c = (bonds[0][0] * bonds[k][0] + bonds[0][1] * bonds[k][1]
                   + bonds[0][2] * bonds[k][2]) / (nb0 * nk);
      if (fabs (c - 0.5) < best_cos)
        {
          best_cos = fabs (c - 0.5);
          second = k;
        }
    }
  gdouble fv[9];
  frame (bonds[0], bonds[second], fv);
  static const gdouble u1[3] = { G_SQRT2 / 2, G_SQRT2 / 2, 0 };
  static const gdouble partners[4][3] = { { G_SQRT2 / 2, 0, G_SQRT2 / 2 },
                                          { G_SQRT2 / 2, 0, -G_SQRT2 / 2 },
                                          { 0, G_SQRT2 / 2, G_SQRT2 / 2 },
                                          { 0, G_SQRT2 / 2, -G_SQRT2 / 2 } };
  gdouble r[9], best_score = -G_MAXDOUBLE;
  for (int p = 0; p < 4; p++)
    {
      gdouble fu[9], fut[9], rc[9];
      frame (u1, partners[p], fu);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          fut[3 * i + j] = fu[3 * j + i];
      mat3_mul (fv, fut, rc);
      gdouble score = 0;
      for (guint k = 0; k < 12; k++)
        {
          gdouble nk = sqrt (bonds[k][0] * bonds[k][0] + bonds[k][1] * bonds[k][1]
                             + bonds[k][2] * bonds[k][2]);
          gdouble best = -2;
          for (int j = 0; j < 12; j++)
            {
              gdouble rd[3];
              for (int c = 0; c < 3; c++)
                rd[c] = rc[3 * c] * dirs[j][0] + rc[3 * c + 1] * dirs[j][1]
                        + rc[3 * c + 2] * dirs[j][2];
              best = MAX (best, (rd[0] * bonds[k][0] + rd[1] * bonds[k][1]
                                 + rd[2] * bonds[k][2]) / nk);
            }
          score += best;
        }
      if (score > best_score)
        {
          best_score = score;
          memcpy (r, rc, sizeof r);
        }
    }

  /* refine the orientation over every bond of the chosen atoms */
  for (int pass = 0; pass < 2; pass++)
    {
      gdouble cov[9] = { 0 };
      for (gsize i = 0; i < n; i++)
        {
          if (use != NULL && !use[i])
            continue;
          guint nbnd = MIN (bonds_of (positions, nb, i, cutoff, idx, bonds, 16), 16);
          for (guint k = 0; k < nbnd; k++)
            {
              gdouble bc[3];
              for (int c = 0; c < 3; c++)
                bc[c] = r[c] * bonds[k][0] + r[3 + c] * bonds[k][1] + r[6 + c] * bonds[k][2];
              int bj = 0;
              gdouble bd = -G_MAXDOUBLE;
              for (int j = 0; j < 12; j++)
                {
                  gdouble d = bc[0] * dirs[j][0] + bc[1] * dirs[j][1] + bc[2] * dirs[j][2];
                  if (d > bd)
                    {
                      bd = d;
                      bj = j;
                    }
                }
              for (int x = 0; x < 3; x++)
                for (int y = 0; y < 3; y++)
                  cov[3 * x + y] += bonds[k][x] * dirs[bj][y];
            }
        }
      aet_rotation_from_covariance (cov, r);
    }
  canonical_rotation (r);

  /* sites and the similarity fit over a ball around the seed that grows
   * each round, so that a rough first constant or orientation cannot
   * mis-assign distant atoms; then until the assignment settles */
  gdouble origin[3] = { positions[3 * seed], positions[3 * seed + 1], positions[3 * seed + 2] };
  g_autofree gdouble *dist = g_new (gdouble, n);
  gdouble reach_all = 0;
  for (gsize i = 0; i < n; i++)
    {
      const gdouble *p = positions + 3 * i;
      dist[i] = sqrt ((p[0] - origin[0]) * (p[0] - origin[0])
                      + (p[1] - origin[1]) * (p[1] - origin[1])
                      + (p[2] - origin[2]) * (p[2] - origin[2]));
      if (use == NULL || use[i])
        reach_all = MAX (reach_all, dist[i]);
    }
  g_autofree gint *sites = g_new0 (gint, 3 * n);
  g_autofree gboolean *in = g_new0 (gboolean, n);
  gdouble radius = 2.5 * a;
  for (int iter = 0; iter < 40; iter++)
    {
      gboolean all_in = radius >= reach_all;
      gsize changed = 0, count = 0;
      for (gsize i = 0; i < n; i++)
        {
          if ((use != NULL && !use[i]) || dist[i] > radius)
            continue;
          gint s[3];
          nearest_site (r, origin, a, positions + 3 * i, s);
          if (!in[i] || memcmp (s, sites + 3 * i, sizeof s) != 0)
            changed++;
          memcpy (sites + 3 * i, s, sizeof s);
          in[i] = TRUE;
          count++;
        }
      if (all_in && changed == 0)
        break;
      radius = all_in ? radius : radius * 1.5;
      if (count < 13)
        continue;
      gdouble xm[3] = { 0 }, ym[3] = { 0 };
      for (gsize i = 0; i < n; i++)
        if (in[i])
          for (int c = 0; c < 3; c++)
            {
              xm[c] += sites[3 * i + c] / (gdouble) count;
              ym[c] += positions[3 * i + c] / count;
            }
      gdouble cov[9] = { 0 }, sxx = 0;
      for (gsize i = 0; i < n; i++)
        {
          if (!in[i])
            continue;
          gdouble x[3], y[3];
          for (int c = 0; c < 3; c++)
            {
              x[c] = sites[3 * i + c] - xm[c];
              y[c] = positions[3 * i + c] - ym[c];
            }
          for (int u = 0; u < 3; u++)
            for (int v = 0; v < 3; v++)
              cov[3 * u + v] += y[u] * x[v];
          sxx += x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
        }
      aet_rotation_from_covariance (cov, r);
      gdouble syrx = 0;
      for (int u = 0; u < 3; u++)
        for (int v = 0; v < 3; v++)
          syrx += cov[3 * u + v] * r[3 * u + v];
      gdouble scale = syrx / sxx;
      a = 2 * scale;
      for (int c = 0; c < 3; c++)
        origin[c] = ym[c] - scale * (r[3 * c] * xm[0] + r[3 * c + 1] * xm[1]
                                     + r[3 * c + 2] * xm[2]);
    }

  fit->a = a;
  memcpy (fit->rotation, r, sizeof r);
  memcpy (fit->origin, origin, sizeof origin);
  gdouble ss = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (use != NULL && !use[i])
        continue;
      gint s[3];
      gdouble q[3];
      aet_lattice_fit_site (fit, positions + 3 * i, s);
      aet_lattice_fit_site_position (fit, s, q);
      for (int c = 0; c < 3; c++)
        ss += (positions[3 * i + c] - q[c]) * (positions[3 * i + c] - q[c]);
    }
  fit->rms_residual = sqrt (ss / n_use);
  fit->n_fit = n_use;

  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                       (GDestroyNotify) g_bytes_unref, NULL);
  for (gsize i = 0; i < n; i++)
    {
      gint s[3];
      aet_lattice_fit_site (fit, positions + 3 * i, s);
      GBytes *key = g_bytes_new (s, sizeof s);
      if (!g_hash_table_add (seen, key))
        fit->n_shared_sites++;
    }
  return TRUE;
}
