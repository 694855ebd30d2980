#define G_LOG_DOMAIN "aet-facets"

#include "aet-facets.h"
#include "aet-coordination.h"
#include "aet-strain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GROW_COS 0.97814760073380568 /* cos 12° */
#define FLAT_COS 0.99619469809174555   /* cos 5° */
#define SMOOTH_COS 0.93969262078590838 /* cos 20° */
#define SECOND_COS 0.93969262078590838 /* cos 20° */
#define MERGE_COS 0.99026806874157032 /* cos 8° */
#define MIN_FACET_ATOMS 6
#define MIN_SECOND_ATOMS 10
#define PLANE_TOL 0.45                /* Å */
#define MILLER_MAX 3
#define MILLER_TOL_DEG 5.0

static gdouble
dot3 (const gdouble a[3], const gdouble b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
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
aet_facets_miller_index (const AetLatticeFit *fit, const gdouble normal[3], gint hkl[3])
{
  gdouble nc[3];
  aet_lattice_fit_to_crystal (fit, normal, nc);
  gdouble best_angle = G_MAXDOUBLE, low_angle = G_MAXDOUBLE;
  gint best[3] = { 0, 0, 1 }, low[3] = { 0, 0, 1 };
  gint low_norm = G_MAXINT;
  for (gint h = -MILLER_MAX; h <= MILLER_MAX; h++)
    for (gint k = -MILLER_MAX; k <= MILLER_MAX; k++)
      for (gint l = -MILLER_MAX; l <= MILLER_MAX; l++)
        {
          if (gcd (gcd (ABS (h), ABS (k)), ABS (l)) != 1)
            continue;
          gint nn = h * h + k * k + l * l;
          gdouble c = (h * nc[0] + k * nc[1] + l * nc[2]) / sqrt ((gdouble) nn);
          gdouble angle = acos (CLAMP (c, -1.0, 1.0)) * 180 / G_PI;
          if (angle < best_angle)
            {
              best_angle = angle;
              best[0] = h, best[1] = k, best[2] = l;
            }
          if (angle <= MILLER_TOL_DEG && (nn < low_norm || (nn == low_norm && angle < low_angle)))
            {
              low_norm = nn;
              low_angle = angle;
              low[0] = h, low[1] = k, low[2] = l;
            }
        }
  if (low_norm < G_MAXINT)
    {
      memcpy (hkl, low, sizeof low);
      return low_angle;
    }
  memcpy (hkl, best, sizeof best);
  return best_angle;
}

void
aet_facets_family (const gint hkl[3], char buf[16])
{
  gint v[3] = { ABS (hkl[0]), ABS (hkl[1]), ABS (hkl[2]) };
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (v[j] > v[i])
        {
          gint t = v[i];
          v[i] = v[j];
          v[j] = t;
        }
  g_snprintf (buf, 16, "{%d%d%d}", v[0], v[1], v[2]);
}

static int
cmp_point (const void *a, const void *b)
{
  const gdouble *p = a, *q = b;
  if (p[0] != q[0])
    return p[0] < q[0] ? -1 : 1;
  return (p[1] > q[1]) - (p[1] < q[1]);
}

static gdouble
cross2 (const gdouble o[2], const gdouble a[2], const gdouble b[2])
{
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

gdouble
aet_facets_hull_area (const gdouble *points, gsize n, const gdouble normal[3])
{
  if (n < 3)
    return 0;
  /* an in-plane basis */
  gdouble u[3], v[3];
  gdouble helper[3] = { 1, 0, 0 };
  if (fabs (normal[0]) > 0.9)
    helper[0] = 0, helper[1] = 1;
  u[0] = helper[1] * normal[2] - helper[2] * normal[1];
  u[1] = helper[2] * normal[0] - helper[0] * normal[2];
  u[2] = helper[0] * normal[1] - helper[1] * normal[0];
  gdouble nu = sqrt (dot3 (u, u));
  for (int c = 0; c < 3; c++)
    u[c] /= nu;
  v[0] = normal[1] * u[2] - normal[2] * u[1];
  v[1] = normal[2] * u[0] - normal[0] * u[2];
  v[2] = normal[0] * u[1] - normal[1] * u[0];
  g_autofree gdouble *pts = g_new (gdouble, 2 * n);
  for (gsize i = 0; i < n; i++)
    {
      pts[2 * i] = dot3 (points + 3 * i, u);
      pts[2 * i + 1] = dot3 (points + 3 * i, v);
    }
  qsort (pts, n, 2 * sizeof (gdouble), cmp_point);
  /* Andrew's monotone chain */
  g_autofree gdouble *hull = g_new (gdouble, 2 * (2 * n + 1));
  gsize k = 0;
  for (gsize i = 0; i < n; i++)
    {
      while (k >= 2 && cross2 (hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i) <= 0)
        k--;
      hull[2 * k] = pts[2 * i], hull[2 * k + 1] = pts[2 * i + 1];
      k++;
    }
  gsize lower = k + 1;
  for (gssize i = (gssize) n - 2; i >= 0; i--)
    {
      while (k >= lower && cross2 (hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i) <= 0)
        k--;
      hull[2 * k] = pts[2 * i], hull[2 * k + 1] = pts[2 * i + 1];
      k++;
    }
  gdouble area = 0;
  for (gsize i = 0; i + 1 < k; i++)
    area += hull[2 * i] * hull[2 * i + 3] - hull[2 * i + 2] * hull[2 * i + 1];
  return fabs (area) / 2;
}

/* Plane through the atoms in members: centroid, unit normal (smallest
 * principal axis, oriented along `towards`), and the middle eigenvalue
 * (how far the atoms spread in the second direction). */
static void
fit_plane (const gdouble *positions, const GArray *members, const gdouble towards[3],
           gdouble centroid[3], gdouble normal[3], gdouble *spread)
{
  gdouble c[3] = { 0 };
  for (guint k = 0; k < members->len; k++)
    for (int d = 0; d < 3; d++)
      c[d] += positions[3 * g_array_index (members, guint, k) + d] / members->len;
  gdouble cov[9] = { 0 };
  for (guint k = 0; k < members->len; k++)
    {
      const gdouble *p = positions + 3 * g_array_index (members, guint, k);
      for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++)
          cov[3 * x + y] += (p[x] - c[x]) * (p[y] - c[y]) / members->len;
    }
  gdouble ev[3], evec[9];
  aet_sym_eigen (cov, 3, ev, evec);
  for (int d = 0; d < 3; d++)
    normal[d] = evec[3 * d];
  if (dot3 (normal, towards) < 0)
    for (int d = 0; d < 3; d++)
      normal[d] = -normal[d];
  memcpy (centroid, c, sizeof c);
  *spread = ev[1];
}

typedef struct
{
  GArray *members;   /* guint atom indices */
  gdouble normal[3];
  gdouble centroid[3];
  gdouble mean_dir[3];
  gboolean alive;
} Region;

static void
region_free (gpointer data)
{
  Region *r = data;
  g_array_unref (r->members);
  g_free (r);
}

/* Fits the region's plane; with prune, members farther than PLANE_TOL from
 * it are dropped and the plane refitted (twice), so a region that crept over
 * an edge keeps only its own plane.  ok: enough atoms spanning a plane (not a
 * line: 0.1 Å² ≈ 0.3 Å across) and at least min_atoms. */
static void
region_refit (const gdouble *positions, Region *r, gboolean prune, guint min_atoms,
              gboolean *ok)
{
  gdouble spread = 0;
  for (int round = 0; round < (prune ? 3 : 1); round++)
    {
      if (r->members->len < 3)
        break;
      fit_plane (positions, r->members, r->mean_dir, r->centroid, r->normal, &spread);
      if (!prune || round == 2)
        break;
      gdouble offset = dot3 (r->normal, r->centroid);
      guint kept = 0;
      for (guint m = 0; m < r->members->len; m++)
        {
          guint i = g_array_index (r->members, guint, m);
          if (fabs (dot3 (r->normal, positions + 3 * i) - offset) <= PLANE_TOL)
            g_array_index (r->members, guint, kept++) = i;
        }
      if (kept == r->members->len)
        break;
      g_array_set_size (r->members, kept);
    }
  *ok = r->members->len >= min_atoms && spread > 0.1;
}

GArray *
aet_facets_find (const gdouble *positions, gsize n, const AetNeighbors *nb, gdouble cutoff,
                 const gboolean *surface, const AetLatticeFit *fit, const gdouble centre[3],
                 gint *facet_of_atom)
{
  GArray *facets = g_array_new (FALSE, TRUE, sizeof (AetFacet));
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree gdouble *dirs = g_new0 (gdouble, 3 * n);
  g_autofree gboolean *has_dir = g_new0 (gboolean, n);
  for (gsize i = 0; i < n; i++)
    {
      facet_of_atom[i] = -1;
      if (surface[i])
        has_dir[i] = aet_coordination_outward (positions, nb, i, cutoff, dirs + 3 * i);
    }

  /* smooth each normal over the surface neighbours that agree within 20°
   * (noise averages out; edge normals, 27° or more away, stay out) */
  {
    g_autofree gdouble *smooth = g_new0 (gdouble, 3 * n);
    for (gsize i = 0; i < n; i++)
      {
        if (!surface[i] || !has_dir[i])
          continue;
        g_array_set_size (idx, 0);
        aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
        gdouble s[3] = { 0 };
        for (guint k = 0; k < idx->len; k++)
          {
            guint j = g_array_index (idx, guint, k);
            if (!surface[j] || !has_dir[j] || dot3 (dirs + 3 * i, dirs + 3 * j) < SMOOTH_COS)
              continue;
            for (int d = 0; d < 3; d++)
              s[d] += dirs[3 * j + d];
          }
        gdouble norm = sqrt (dot3 (s, s));
        for (int d = 0; d < 3; d++)
          smooth[3 * i + d] = s[d] / norm;
      }
    memcpy (dirs, smooth, 3 * n * sizeof (gdouble));
  }

  /* grow regions of like normals from the flattest atoms first (most
   * surface neighbours with the same normal); an atom joins when its normal
   * agrees with the neighbour that reaches it and with the region's mean, so
   * a region cannot creep around an edge in small steps */
  g_autofree guint *flat = g_new0 (guint, n);
  g_autoptr (GArray) seeds = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize i = 0; i < n; i++)
    {
      if (!surface[i] || !has_dir[i])
        continue;
      g_array_set_size (idx, 0);
      aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
      for (guint k = 0; k < idx->len; k++)
        {
          guint j = g_array_index (idx, guint, k);
          if (j != i && surface[j] && has_dir[j]
              && dot3 (dirs + 3 * i, dirs + 3 * j) >= FLAT_COS)
            flat[i]++;
        }
      guint ui = i;
      g_array_append_val (seeds, ui);
    }
  for (guint a = 1; a < seeds->len; a++)
    for (guint b = a; b > 0; b--)
      {
        guint *o = (guint *) seeds->data;
        if (flat[o[b]] <= flat[o[b - 1]])
          break;
        guint t = o[b];
        o[b] = o[b - 1];
        o[b - 1] = t;
      }
  /* two passes: the second, with a wider angle, grows regions among the
   * atoms that no facet took in the first (noisy facets that fell apart) */
  g_autofree gint *label = g_new (gint, n);
  g_autoptr (GPtrArray) regions = g_ptr_array_new_with_free_func (region_free);
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (guint));
  for (int pass = 0; pass < 2; pass++)
    {
      gdouble grow_cos = pass == 0 ? GROW_COS : SECOND_COS;
      for (gsize i = 0; i < n; i++)
        label[i] = -1;
      for (guint k = 0; k < regions->len; k++)
        {
          Region *r = g_ptr_array_index (regions, k);
          if (r->alive)
            for (guint m = 0; m < r->members->len; m++)
              label[g_array_index (r->members, guint, m)] = k;
        }
      guint first_new = regions->len;
      for (guint o = 0; o < seeds->len; o++)
        {
          guint seed = g_array_index (seeds, guint, o);
          if (label[seed] >= 0)
            continue;
          Region *r = g_new0 (Region, 1);
          r->members = g_array_new (FALSE, FALSE, sizeof (guint));
          gint id = regions->len;
          g_ptr_array_add (regions, r);
          g_array_set_size (queue, 0);
          g_array_append_val (queue, seed);
          label[seed] = id;
          for (guint q = 0; q < queue->len; q++)
            {
              guint i = g_array_index (queue, guint, q);
              g_array_append_val (r->members, i);
              for (int d = 0; d < 3; d++)
                r->mean_dir[d] += dirs[3 * i + d];
              gdouble mn = sqrt (dot3 (r->mean_dir, r->mean_dir));
              g_array_set_size (idx, 0);
              aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
              for (guint k = 0; k < idx->len; k++)
                {
                  guint j = g_array_index (idx, guint, k);
                  if (label[j] >= 0 || !surface[j] || !has_dir[j])
                    continue;
                  if (dot3 (dirs + 3 * i, dirs + 3 * j) < grow_cos
                      || dot3 (r->mean_dir, dirs + 3 * j) < grow_cos * mn)
                    continue;
                  label[j] = id;
                  g_array_append_val (queue, j);
                }
            }
        }
      for (guint k = first_new; k < regions->len; k++)
        {
          Region *r = g_ptr_array_index (regions, k);
          region_refit (positions, r, TRUE, pass == 0 ? MIN_FACET_ATOMS : MIN_SECOND_ATOMS,
                        &r->alive);
        }
    }

  /* merge coplanar regions */
  for (guint a = 0; a < regions->len; a++)
    {
      Region *ra = g_ptr_array_index (regions, a);
      if (!ra->alive)
        continue;
      for (guint b = a + 1; b < regions->len; b++)
        {
          Region *rb = g_ptr_array_index (regions, b);
          if (!rb->alive || dot3 (ra->normal, rb->normal) < MERGE_COS)
            continue;
          /* the smaller region's centroid must lie on the larger one's plane */
          const Region *big = ra->members->len >= rb->members->len ? ra : rb;
          const Region *small = big == ra ? rb : ra;
          if (fabs (dot3 (big->normal, small->centroid) - dot3 (big->normal, big->centroid))
              > PLANE_TOL)
            continue;
          g_array_append_vals (ra->members, rb->members->data, rb->members->len);
          for (int d = 0; d < 3; d++)
            ra->mean_dir[d] += rb->mean_dir[d];
          rb->alive = FALSE;
          region_refit (positions, ra, TRUE, MIN_FACET_ATOMS, &ra->alive);
          b = a; /* the merged plane may now meet earlier regions */
        }
    }

  /* the surviving regions become facets, largest first once areas are known */
  g_autoptr (GPtrArray) live = g_ptr_array_new ();
  for (guint k = 0; k < regions->len; k++)
    {
      Region *r = g_ptr_array_index (regions, k);
      if (r->alive)
        {
          for (guint m = 0; m < r->members->len; m++)
            facet_of_atom[g_array_index (r->members, guint, m)] = live->len;
          g_ptr_array_add (live, r);
        }
    }

  /* edge and corner atoms join the adjacent facet whose plane they lie on */
  for (int pass = 0; pass < 4; pass++)
    {
      gsize joined = 0;
      for (gsize i = 0; i < n; i++)
        {
          if (!surface[i] || facet_of_atom[i] >= 0)
            continue;
          g_array_set_size (idx, 0);
          aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
          gint best = -1;
          gdouble best_d = PLANE_TOL;
          for (guint k = 0; k < idx->len; k++)
            {
              guint j = g_array_index (idx, guint, k);
              gint f = facet_of_atom[j];
              if (j == i || f < 0)
                continue;
              Region *r = g_ptr_array_index (live, f);
              gdouble d = fabs (dot3 (r->normal, positions + 3 * i)
                                - dot3 (r->normal, r->centroid));
              if (d < best_d || (d == best_d && f < best))
                {
                  best_d = d;
                  best = f;
                }
            }
          if (best >= 0)
            {
              /* decided from the previous pass's state only: mark, apply below */
              facet_of_atom[i] = -2 - best;
              joined++;
            }
        }
      for (gsize i = 0; i < n; i++)
        if (facet_of_atom[i] <= -2)
          facet_of_atom[i] = -2 - facet_of_atom[i];
      if (joined == 0)
        break;
    }

  /* facet table: plane refit over all members, area over the plane's atoms */
  g_autofree gint *mark = g_new (gint, n);
  for (gsize i = 0; i < n; i++)
    mark[i] = -1;
  g_autoptr (GArray) area_set = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) pts = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (guint f = 0; f < live->len; f++)
    {
      Region *r = g_ptr_array_index (live, f);
      g_array_set_size (r->members, 0);
      for (gsize i = 0; i < n; i++)
        if (facet_of_atom[i] == (gint) f)
          {
            guint ui = i;
            g_array_append_val (r->members, ui);
          }
      gboolean ok;
      region_refit (positions, r, FALSE, 3, &ok);
      AetFacet facet = { 0 };
      memcpy (facet.normal, r->normal, sizeof facet.normal);
      memcpy (facet.centroid, r->centroid, sizeof facet.centroid);
      gdouble offset = dot3 (r->normal, r->centroid);
      facet.distance = offset - dot3 (r->normal, centre);
      facet.n_atoms = r->members->len;
      gdouble ss = 0;
      for (guint m = 0; m < r->members->len; m++)
        {
          gdouble d = dot3 (r->normal, positions + 3 * g_array_index (r->members, guint, m))
                      - offset;
          ss += d * d;
        }
      facet.rms_plane = sqrt (ss / MAX (1, r->members->len));
      facet.angle_deg = aet_facets_miller_index (fit, facet.normal, facet.miller);

      /* the atoms on this plane reachable from the facet through surface bonds */
      g_array_set_size (area_set, 0);
      g_array_set_size (queue, 0);
      for (guint m = 0; m < r->members->len; m++)
        {
          guint i = g_array_index (r->members, guint, m);
          mark[i] = f;
          g_array_append_val (queue, i);
          g_array_append_val (area_set, i);
        }
      for (guint q = 0; q < queue->len; q++)
        {
          guint i = g_array_index (queue, guint, q);
          g_array_set_size (idx, 0);
          aet_neighbors_within (nb, positions + 3 * i, cutoff, idx);
          for (guint k = 0; k < idx->len; k++)
            {
              guint j = g_array_index (idx, guint, k);
              if (!surface[j] || mark[j] == (gint) f)
                continue;
              if (fabs (dot3 (r->normal, positions + 3 * j) - offset) > PLANE_TOL)
                continue;
              mark[j] = f;
              g_array_append_val (queue, j);
              g_array_append_val (area_set, j);
            }
        }
      g_array_set_size (pts, 3 * area_set->len);
      for (guint m = 0; m < area_set->len; m++)
        memcpy (&g_array_index (pts, gdouble, 3 * m),
                positions + 3 * g_array_index (area_set, guint, m), 3 * sizeof (gdouble));
      facet.n_area_atoms = area_set->len;
      facet.area = aet_facets_hull_area ((gdouble *) pts->data, area_set->len, facet.normal);
      facet.mean_strain_vol = NAN;
      facet.mean_strain_normal = NAN;
      g_array_append_val (facets, facet);
    }

  /* largest first; ids follow */
  guint nf = facets->len;
  g_autofree guint *order = g_new (guint, nf);
  for (guint f = 0; f < nf; f++)
    order[f] = f;
  for (guint a = 1; a < nf; a++)
    for (guint b = a; b > 0; b--)
      {
        AetFacet *x = &g_array_index (facets, AetFacet, order[b - 1]);
        AetFacet *y = &g_array_index (facets, AetFacet, order[b]);
        if (y->area > x->area || (y->area == x->area && y->n_atoms > x->n_atoms))
          {
            guint t = order[b - 1];
            order[b - 1] = order[b];
            order[b] = t;
          }
        else
          break;
      }
  g_autofree gint *new_id = g_new (gint, MAX (nf, 1));
  GArray *sorted = g_array_sized_new (FALSE, TRUE, sizeof (AetFacet), nf);
  for (guint k = 0; k < nf; k++)
    {
      AetFacet facet = g_array_index (facets, AetFacet, order[k]);
      facet.id = k;
      new_id[order[k]] = k;
      g_array_append_val (sorted, facet);
    }
  for (gsize i = 0; i < n; i++)
    if (facet_of_atom[i] >= 0)
      facet_of_atom[i] = new_id[facet_of_atom[i]];
  g_array_unref (facets);
  return sorted;
}

void
aet_facets_add_strain (GArray *facets, const gint *facet_of_atom, gsize n,
                       const gfloat *tensor, const gfloat *volumetric)
{
  guint nf = facets->len;
  g_autofree gdouble *sv = g_new0 (gdouble, nf + 1);
  g_autofree gdouble *sn = g_new0 (gdouble, nf + 1);
  g_autofree gsize *cv = g_new0 (gsize, nf + 1);
  g_autofree gsize *cn = g_new0 (gsize, nf + 1);
  for (gsize i = 0; i < n; i++)
    {
      gint f = facet_of_atom[i];
      if (f < 0 || (guint) f >= nf)
        continue;
      AetFacet *facet = &g_array_index (facets, AetFacet, f);
      if (volumetric != NULL && isfinite (volumetric[i]))
        {
          sv[f] += volumetric[i];
          cv[f]++;
        }
      if (tensor != NULL && isfinite (tensor[6 * i]))
        {
          sn[f] += aet_strain_along (tensor + 6 * i, facet->normal);
          cn[f]++;
        }
    }
  for (guint f = 0; f < nf; f++)
    {
      AetFacet *facet = &g_array_index (facets, AetFacet, f);
      facet->mean_strain_vol = cv[f] ? sv[f] / cv[f] : NAN;
      facet->mean_strain_normal = cn[f] ? sn[f] / cn[f] : NAN;
    }
}
