#define G_LOG_DOMAIN "aet-trace"

#include "aet-trace.h"
#include "aet-error.h"
#include "aet-neighbors.h"
#include "aet-parallel.h"

#include <math.h>
#include <string.h>

#define N_PARAMS 6  /* A, x, y, z, s, b */

void
aet_trace_params_init_defaults (AetTraceParams *params)
{
  g_return_if_fail (params != NULL);
  params->threshold = -1.0;
  params->min_distance = 2.0;
  params->upsample = 1;
  params->fit_radius = 0;
  params->kmeans = TRUE;
  params->element = 78;
  params->refine_passes = 2;
}

/* A candidate: a voxel maximum, then its fit. */
typedef struct
{
  gint ijk[3];
  gdouble start[3];     /* voxel coordinates */
  gdouble pos[3];       /* fitted centre, voxel coordinates */
  gdouble amp, sigma, bg;
  gdouble intensity;    /* Σ v over the small integration ball */
  gdouble fit_error, uncertainty;  /* uncertainty in voxels */
  gboolean ok;
} Candidate;

static inline gfloat
voxel_at (const AetVolume *v, gint i, gint j, gint k)
{
  return v->data[aet_volume_index (v, i, j, k)];
}

/* ---- local maxima, by z slabs ------------------------------------------ */

typedef struct
{
  const AetVolume *v;
  gfloat threshold;
  GArray **found;   /* one GArray of Candidate per thread */
  AetJob *job;
} MaximaData;

/* A voxel is a maximum when it is above the threshold, strictly above every
 * neighbour that comes earlier in memory order and not below any later one:
 * a flat plateau yields exactly one maximum. */
static void
find_maxima_slab (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  MaximaData *d = user_data;
  const AetVolume *v = d->v;
  GArray *out = d->found[thread_index];
  for (gint k = (gint) start; k < (gint) end; k++)
    {
      if (aet_job_cancelled (d->job))
        return;
      for (gint j = 0; j < v->ny; j++)
        for (gint i = 0; i < v->nx; i++)
          {
            gfloat c = voxel_at (v, i, j, k);
            if (!(c > d->threshold))
              continue;
            gboolean is_max = TRUE;
            for (gint dk = -1; dk <= 1 && is_max; dk++)
              for (gint dj = -1; dj <= 1 && is_max; dj++)
                for (gint di = -1; di <= 1; di++)
                  {
                    gint x = i + di, y = j + dj, z = k + dk;
                    if ((di | dj | dk) == 0 || x < 0 || y < 0 || z < 0 || x >= v->nx
                        || y >= v->ny || z >= v->nz)
                      continue;
                    gfloat n = voxel_at (v, x, y, z);
                    gboolean earlier = dk < 0 || (dk == 0 && (dj < 0 || (dj == 0 && di < 0)));
                    if (n > c || (earlier && n == c))
                      {
                        is_max = FALSE;
                        break;
                      }
                  }
            if (is_max)
              {
                Candidate cand = { .ijk = { i, j, k }, .start = { i, j, k } };
                g_array_append_val (out, cand);
              }
          }
    }
}

/* ---- optional 3× refinement of the start ------------------------------- */

static inline gdouble
catmull_rom (gdouble t, int tap)
{
  /* weights of taps −1, 0, 1, 2 at fraction t */
  switch (tap)
    {
    case 0: return 0.5 * (-t + 2 * t * t - t * t * t);
    case 1: return 0.5 * (2 - 5 * t * t + 3 * t * t * t);
    case 2: return 0.5 * (t + 4 * t * t - 3 * t * t * t);
    default: return 0.5 * (-t * t + t * t * t);
    }
}

static gdouble
interpolate_tricubic (const AetVolume *v, const gdouble p[3])
{
  gint base[3];
  gdouble w[3][4];
  for (int a = 0; a < 3; a++)
    {
      gdouble f = floor (p[a]);
      base[a] = (gint) f - 1;
      for (int t = 0; t < 4; t++)
        w[a][t] = catmull_rom (p[a] - f, t);
    }
  gdouble sum = 0;
  for (int tk = 0; tk < 4; tk++)
    {
      gint z = CLAMP (base[2] + tk, 0, v->nz - 1);
      for (int tj = 0; tj < 4; tj++)
        {
          gint y = CLAMP (base[1] + tj, 0, v->ny - 1);
          gdouble wyz = w[2][tk] * w[1][tj];
          for (int ti = 0; ti < 4; ti++)
            sum += wyz * w[0][ti] * voxel_at (v, CLAMP (base[0] + ti, 0, v->nx - 1), y, z);
        }
    }
  return sum;
}

/* Hill-climbs the interpolant on the 1/3-voxel lattice around the voxel
 * maximum, staying within one voxel of it. */
static void
refine_start_upsampled (const AetVolume *v, Candidate *c)
{
  gdouble best = interpolate_tricubic (v, c->start);
  gint off[3] = { 0, 0, 0 };
  for (int step = 0; step < 9; step++)
    {
      gint best_off[3] = { off[0], off[1], off[2] };
      for (gint dk = -1; dk <= 1; dk++)
        for (gint dj = -1; dj <= 1; dj++)
          for (gint di = -1; di <= 1; di++)
            {
              gint o[3] = { off[0] + di, off[1] + dj, off[2] + dk };
              if (ABS (o[0]) > 3 || ABS (o[1]) > 3 || ABS (o[2]) > 3)
                continue;
              gdouble p[3];
              for (int a = 0; a < 3; a++)
                p[a] = c->ijk[a] + o[a] / 3.0;
              gdouble val = interpolate_tricubic (v, p);
              if (val > best)
                {
                  best = val;
                  memcpy (best_off, o, sizeof best_off);
                }
            }
      if (memcmp (best_off, off, sizeof off) == 0)
        break;
      memcpy (off, best_off, sizeof off);
    }
  for (int a = 0; a < 3; a++)
    c->start[a] = c->ijk[a] + off[a] / 3.0;
}

/* ---- the Gaussian fit --------------------------------------------------- */

/* Solves the symmetric positive-definite system H x = g (Cholesky, in place
 * on copies); FALSE when H is not positive definite. */
static gboolean
solve_spd (const gdouble H[N_PARAMS][N_PARAMS], const gdouble g[N_PARAMS], gdouble x[N_PARAMS])
{
  gdouble L[N_PARAMS][N_PARAMS] = { { 0 } };
  for (int i = 0; i < N_PARAMS; i++)
    for (int j = 0; j <= i; j++)
      {
        gdouble s = H[i][j];
        for (int k = 0; k < j; k++)
          s -= L[i][k] * L[j][k];
        if (i == j)
          {
            if (!(s > 0))
              return FALSE;
            L[i][i] = sqrt (s);
          }
        else
          L[i][j] = s / L[j][j];
      }
  gdouble y[N_PARAMS];
  for (int i = 0; i < N_PARAMS; i++)
    {
      gdouble s = g[i];
      for (int k = 0; k < i; k++)
        s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
  for (int i = N_PARAMS - 1; i >= 0; i--)
    {
      gdouble s = y[i];
      for (int k = i + 1; k < N_PARAMS; k++)
        s -= L[k][i] * x[k];
      x[i] = s / L[i][i];
    }
  return TRUE;
}

typedef struct
{
  gint n;
  gdouble *xyz;   /* 3·n voxel coordinates */
  gdouble *val;   /* n values */
} Window;

static gdouble
residual_ss (const Window *w, const gdouble th[N_PARAMS])
{
  gdouble inv = 1.0 / (2.0 * th[4] * th[4]), rss = 0;
  for (gint m = 0; m < w->n; m++)
    {
      const gdouble *q = w->xyz + 3 * m;
      gdouble r2 = (q[0] - th[1]) * (q[0] - th[1]) + (q[1] - th[2]) * (q[1] - th[2])
                   + (q[2] - th[3]) * (q[2] - th[3]);
      gdouble e = w->val[m] - (th[5] + th[0] * exp (-r2 * inv));
      rss += e * e;
    }
  return rss;
}

/* JᵀJ and Jᵀr at th. */
static void
normal_equations (const Window *w, const gdouble th[N_PARAMS], gdouble H[N_PARAMS][N_PARAMS],
                  gdouble g[N_PARAMS])
{
  memset (H, 0, sizeof (gdouble) * N_PARAMS * N_PARAMS);
  memset (g, 0, sizeof (gdouble) * N_PARAMS);
  gdouble s2 = th[4] * th[4], inv = 1.0 / (2.0 * s2);
  for (gint m = 0; m < w->n; m++)
    {
      const gdouble *q = w->xyz + 3 * m;
      gdouble dx = q[0] - th[1], dy = q[1] - th[2], dz = q[2] - th[3];
      gdouble r2 = dx * dx + dy * dy + dz * dz;
      gdouble e = exp (-r2 * inv), ae = th[0] * e;
      gdouble J[N_PARAMS] = { e, ae * dx / s2, ae * dy / s2, ae * dz / s2, ae * r2 / (s2 * th[4]),
                              1.0 };
      gdouble res = w->val[m] - (th[5] + ae);
      for (int a = 0; a < N_PARAMS; a++)
        {
          g[a] += J[a] * res;
          for (int b = 0; b <= a; b++)
            H[a][b] += J[a] * J[b];
        }
    }
  for (int a = 0; a < N_PARAMS; a++)
    for (int b = a + 1; b < N_PARAMS; b++)
      H[a][b] = H[b][a];
}

/* Fits c in the ball of `radius` voxels around c->ijk.  The fitted
 * Gaussians of `others` (neighbouring atoms from an earlier pass) are first
 * subtracted from the window, so their tails do not pull the centre; with
 * `warm`, the fit starts from c's earlier parameters. */
static void
fit_candidate (const AetVolume *v, gint radius, gdouble sigma0, Window *w, Candidate *c,
               const Candidate *others, guint n_others, gboolean warm)
{
  c->ok = FALSE;
  w->n = 0;
  gdouble vmin = G_MAXDOUBLE, vsum = 0;
  for (gint k = c->ijk[2] - radius; k <= c->ijk[2] + radius; k++)
    for (gint j = c->ijk[1] - radius; j <= c->ijk[1] + radius; j++)
      for (gint i = c->ijk[0] - radius; i <= c->ijk[0] + radius; i++)
        {
          gint di = i - c->ijk[0], dj = j - c->ijk[1], dk = k - c->ijk[2];
          if (i < 0 || j < 0 || k < 0 || i >= v->nx || j >= v->ny || k >= v->nz
              || di * di + dj * dj + dk * dk > radius * radius)
            continue;
          gdouble *q = w->xyz + 3 * w->n;
          q[0] = i;
          q[1] = j;
          q[2] = k;
          gdouble val = voxel_at (v, i, j, k);
          for (guint o = 0; o < n_others; o++)
            {
              const Candidate *on = &others[o];
              gdouble r2 = (i - on->pos[0]) * (i - on->pos[0]) + (j - on->pos[1]) * (j - on->pos[1])
                           + (k - on->pos[2]) * (k - on->pos[2]);
              val -= on->amp * exp (-r2 / (2.0 * on->sigma * on->sigma));
            }
          w->val[w->n] = val;
          vmin = MIN (vmin, w->val[w->n]);
          vsum += w->val[w->n];
          w->n++;
        }
  if (w->n < 4 * N_PARAMS)
    return;

  gdouble peak = interpolate_tricubic (v, c->start);
  gdouble th[N_PARAMS] = { MAX (peak - vmin, 1e-12), c->start[0], c->start[1], c->start[2],
                           sigma0, vmin };
  if (warm)
    {
      th[0] = c->amp;
      th[1] = c->pos[0];
      th[2] = c->pos[1];
      th[3] = c->pos[2];
      th[4] = c->sigma;
      th[5] = c->bg;
    }
  gdouble rss = residual_ss (w, th), lambda = 1e-3;
  gdouble H[N_PARAMS][N_PARAMS], g[N_PARAMS];
  gboolean converged = FALSE;
  for (int it = 0; it < 60 && !converged; it++)
    {
      normal_equations (w, th, H, g);
      gboolean accepted = FALSE;
      gdouble step[N_PARAMS];
      while (lambda < 1e10)
        {
          gdouble Hd[N_PARAMS][N_PARAMS];
          memcpy (Hd, H, sizeof Hd);
          for (int a = 0; a < N_PARAMS; a++)
            Hd[a][a] += lambda * H[a][a] + 1e-30;
          gdouble trial[N_PARAMS];
          if (solve_spd (Hd, g, step))
            {
              for (int a = 0; a < N_PARAMS; a++)
                trial[a] = th[a] + step[a];
              if (trial[4] > 0.05)
                {
                  gdouble r = residual_ss (w, trial);
                  if (r <= rss)
                    {
                      gdouble drop = rss - r;
                      memcpy (th, trial, sizeof th);
                      rss = r;
                      lambda = MAX (lambda / 5, 1e-9);
                      accepted = TRUE;
                      converged = drop <= 1e-12 * (rss + 1e-300);
                      break;
                    }
                }
            }
          lambda *= 8;
        }
      if (!accepted)
        break;
      gdouble move = fabs (step[1]) + fabs (step[2]) + fabs (step[3]);
      converged |= move < 1e-7;
    }

  /* plausibility: an atom is a positive bump centred inside its window */
  for (int a = 0; a < 3; a++)
    if (fabs (th[1 + a] - c->ijk[a]) > radius)
      return;
  if (!(th[0] > 0) || th[4] < 0.2 || th[4] > radius || !isfinite (rss))
    return;

  normal_equations (w, th, H, g);
  gdouble var_pos = 0;
  for (int a = 1; a <= 3; a++)
    {
      /* column a of H⁻¹ */
      gdouble e[N_PARAMS] = { 0 }, col[N_PARAMS];
      e[a] = 1.0;
      if (!solve_spd (H, e, col))
        return;
      var_pos += col[a];
    }
  gdouble s2_res = rss / (w->n - N_PARAMS);
  gdouble mean = vsum / w->n, tss = 0;
  for (gint m = 0; m < w->n; m++)
    tss += (w->val[m] - mean) * (w->val[m] - mean);

  for (int a = 0; a < 3; a++)
    c->pos[a] = th[1 + a];
  c->amp = th[0];
  c->sigma = th[4];
  c->bg = th[5];
  c->fit_error = tss > 0 ? sqrt (rss / tss) : 1.0;
  c->uncertainty = sqrt (MAX (var_pos * s2_res, 0.0));
  c->ok = TRUE;
}

/* Σ of the voxels within `r` voxels of the voxel nearest the fitted centre:
 * the published practice integrates a small box of raw density; a ball a
 * little over an atom's σ keeps the noise of the sum low and the tails of
 * the neighbours out. */
static gdouble
integrate_ball (const AetVolume *v, const gdouble pos[3], gdouble r)
{
  gint c[3], ir = (gint) floor (r);
  for (int a = 0; a < 3; a++)
    c[a] = (gint) lround (pos[a]);
  gdouble sum = 0;
  for (gint dk = -ir; dk <= ir; dk++)
    for (gint dj = -ir; dj <= ir; dj++)
      for (gint di = -ir; di <= ir; di++)
        {
          gint i = c[0] + di, j = c[1] + dj, k = c[2] + dk;
          if (di * di + dj * dj + dk * dk > r * r || i < 0 || j < 0 || k < 0 || i >= v->nx
              || j >= v->ny || k >= v->nz)
            continue;
          sum += voxel_at (v, i, j, k);
        }
  return sum;
}

typedef struct
{
  const AetVolume *v;
  Candidate *cands;
  gint radius, upsample;
  gdouble int_radius;
  gdouble sigma0;
  AetJob *job;
} FitData;

static void
fit_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  FitData *d = user_data;
  gint edge = 2 * d->radius + 1;
  gsize nw = (gsize) edge * edge * edge;
  g_autofree gdouble *xyz = g_new (gdouble, 3 * nw);
  g_autofree gdouble *val = g_new (gdouble, nw);
  Window w = { 0, xyz, val };
  for (gsize c = start; c < end; c++)
    {
      if ((c & 63) == 0 && aet_job_cancelled (d->job))
        return;
      if (d->upsample == 3)
        refine_start_upsampled (d->v, &d->cands[c]);
      fit_candidate (d->v, d->radius, d->sigma0, &w, &d->cands[c], NULL, 0, FALSE);
      if (d->cands[c].ok)
        d->cands[c].intensity = integrate_ball (d->v, d->cands[c].pos, d->int_radius);
      if (thread_index == 0 && (c & 127) == 0)
        aet_job_progress (d->job, 0.2 + 0.7 * (gdouble) (c - start) / (gdouble) (end - start),
                          "fitting peaks");
    }
}

/* ---- refinement with the neighbours subtracted --------------------------- */

typedef struct
{
  const AetVolume *v;
  const Candidate *prev;   /* the atoms after the last pass (read only) */
  Candidate *next;         /* this pass's result */
  const gdouble *pos_a;    /* prev positions in Å, for the index */
  const AetNeighbors *nb;
  gint radius;
  gdouble reach, int_radius;  /* Å: neighbours closer than reach are subtracted */
  AetJob *job;
} RefineData;

/* Each atom is refitted from the previous pass's parameters of every atom,
 * never this pass's, so the result does not depend on the thread count. */
static void
refine_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  RefineData *d = user_data;
  gint edge = 2 * d->radius + 1;
  gsize nw = (gsize) edge * edge * edge;
  g_autofree gdouble *xyz = g_new (gdouble, 3 * nw);
  g_autofree gdouble *val = g_new (gdouble, nw);
  Window w = { 0, xyz, val };
  g_autoptr (GArray) near = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) others = g_array_new (FALSE, FALSE, sizeof (Candidate));
  for (gsize a = start; a < end; a++)
    {
      if ((a & 63) == 0 && aet_job_cancelled (d->job))
        return;
      g_array_set_size (near, 0);
      g_array_set_size (others, 0);
      aet_neighbors_within (d->nb, d->pos_a + 3 * a, d->reach, near);
      for (guint m = 0; m < near->len; m++)
        {
          guint o = g_array_index (near, guint, m);
          if (o != a)
            g_array_append_val (others, d->prev[o]);
        }
      Candidate c = d->prev[a];
      for (int x = 0; x < 3; x++)
        c.ijk[x] = (gint) lround (c.pos[x]);
      fit_candidate (d->v, d->radius, c.sigma, &w, &c, (const Candidate *) others->data,
                     others->len, TRUE);
      if (c.ok)
        {
          c.intensity = integrate_ball (d->v, c.pos, d->int_radius);
          d->next[a] = c;
        }
      else
        d->next[a] = d->prev[a];
    }
}

/* ---- selection ----------------------------------------------------------- */

static gdouble
intensity_of (const Candidate *c)
{
  return c->intensity;
}

static gint
compare_desc (gconstpointer pa, gconstpointer pb)
{
  gdouble a = *(const gdouble *) pa, b = *(const gdouble *) pb;
  return (a < b) - (a > b);
}

static gint
compare_by_intensity (gconstpointer pa, gconstpointer pb)
{
  const Candidate *a = pa, *b = pb;
  gdouble ia = intensity_of (a), ib = intensity_of (b);
  if (ia != ib)
    return ia > ib ? -1 : 1;
  /* two maxima whose fits converged on one atom integrate the same ball:
   * the better-determined fit goes first, then memory order of the voxel,
   * so the result is deterministic */
  if (a->uncertainty != b->uncertainty)
    return a->uncertainty < b->uncertainty ? -1 : 1;
  for (int x = 2; x >= 0; x--)
    if (a->ijk[x] != b->ijk[x])
      return a->ijk[x] < b->ijk[x] ? -1 : 1;
  return 0;
}

/* Two-class k-means on values sorted in decreasing order: returns how many
 * of the leading values form the upper class when the split is real, or n. */
static gsize
kmeans_keep (const gdouble *values, gsize n)
{
  if (n < 4)
    return n;
  gdouble hi = values[0], lo = values[n - 1];
  if (!(hi > lo))
    return n;
  gsize split = n;
  for (int it = 0; it < 100; it++)
    {
      gdouble cut = 0.5 * (hi + lo);
      gsize s = 0;
      while (s < n && values[s] >= cut)
        s++;
      if (s == 0 || s == n)
        return n;
      gdouble sh = 0, sl = 0;
      for (gsize i = 0; i < s; i++)
        sh += values[i];
      for (gsize i = s; i < n; i++)
        sl += values[i];
      hi = sh / s;
      lo = sl / (n - s);
      if (s == split)
        break;
      split = s;
    }
  gdouble vh = 0, vl = 0;
  for (gsize i = 0; i < split; i++)
    vh += (values[i] - hi) * (values[i] - hi);
  for (gsize i = split; i < n; i++)
    vl += (values[i] - lo) * (values[i] - lo);
  vh /= split;
  vl /= (n - split);
  gdouble ashman_d = G_SQRT2 * (hi - lo) / sqrt (vh + vl + 1e-300);
  if (ashman_d > 2.0 && lo < 0.5 * hi)
    return split;
  return n;
}

/* The p-th percentile (as aet_volume_percentile: linear between order
 * statistics) by quickselect on a copy: O(n), where sorting 3 M voxels
 * would take most of a trace. */
static gdouble
percentile_select (const AetVolume *v, gdouble pct)
{
  gsize n = aet_volume_n_voxels (v);
  g_autofree gfloat *a = g_memdup2 (v->data, n * sizeof (gfloat));
  gdouble pos = CLAMP (pct, 0.0, 100.0) / 100.0 * (gdouble) (n - 1);
  gsize k = (gsize) floor (pos);
  gsize lo = 0, hi = n - 1;
  while (lo < hi)
    {
      /* median of three as the pivot, Hoare partition */
      gsize mid = lo + (hi - lo) / 2;
      gfloat x = a[lo], y = a[mid], z = a[hi];
      gfloat pivot = MAX (MIN (x, y), MIN (MAX (x, y), z));
      gsize i = lo, j = hi;
      while (i <= j)
        {
          while (a[i] < pivot)
            i++;
          while (a[j] > pivot)
            j--;
          if (i <= j)
            {
              gfloat t = a[i];
              a[i] = a[j];
              a[j] = t;
              i++;
              if (j == 0)
                break;
              j--;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        break;
    }
  gdouble below = a[k];
  if (k + 1 >= n)
    return below;
  gfloat above = a[k + 1];
  for (gsize m = k + 2; m < n; m++)
    above = MIN (above, a[m]);
  return below + (pos - (gdouble) k) * ((gdouble) above - below);
}

AetAtoms *
aet_trace (const AetVolume *volume, const AetTraceParams *params, AetJob *job, GError **error)
{
  g_return_val_if_fail (volume != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  AetTraceParams defaults;
  aet_trace_params_init_defaults (&defaults);
  const AetTraceParams *p = params != NULL ? params : &defaults;

  if (!(p->min_distance >= 0) || !isfinite (p->min_distance))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "trace: minimum distance %g Å is not a non-negative number", p->min_distance);
      return NULL;
    }
  if (p->upsample != 1 && p->upsample != 3)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "trace: upsampling must be 1 or 3, not %d", p->upsample);
      return NULL;
    }
  if (p->fit_radius > 12 || isnan (p->threshold) || p->refine_passes < 0 || p->refine_passes > 20)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "trace: fit radius %d (at most 12), refinement passes %d (0 to 20) or a NaN "
                   "threshold is out of range", p->fit_radius, p->refine_passes);
      return NULL;
    }
  if (!(volume->voxel_size > 0) || !isfinite (volume->voxel_size))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA, "trace: voxel size %g Å is not positive",
                   volume->voxel_size);
      return NULL;
    }
  if (!aet_volume_check_finite (volume, "trace", error))
    return NULL;

  guint threads = aet_job_get_threads (job);
  const gdouble vs = volume->voxel_size;
  gint radius = p->fit_radius > 0 ? p->fit_radius : CLAMP ((gint) ceil (1.0 / vs - 1e-9), 2, 6);

  aet_job_progress (job, 0.0, "threshold");
  gdouble threshold = p->threshold;
  if (threshold < 0)
    {
      gdouble q = percentile_select (volume, 99.9);
      if (q <= 0)
        {
          AetVolumeStats st;
          aet_volume_get_stats (volume, &st);
          q = st.max;
        }
      threshold = 0.25 * q;
    }

  /* local maxima */
  g_autofree GArray **found = g_new0 (GArray *, threads);
  for (guint t = 0; t < threads; t++)
    found[t] = g_array_new (FALSE, FALSE, sizeof (Candidate));
  MaximaData md = { volume, (gfloat) threshold, found, job };
  aet_parallel_for (threads, (gsize) volume->nz, find_maxima_slab, &md);
  g_autoptr (GArray) cands = g_array_new (FALSE, FALSE, sizeof (Candidate));
  for (guint t = 0; t < threads; t++)
    {
      g_array_append_vals (cands, found[t]->data, found[t]->len);
      g_array_unref (found[t]);
    }
  if (aet_job_check_cancelled (job, "trace", error))
    return NULL;
  aet_job_progress (job, 0.2, "%u peaks above %.4g", cands->len, threshold);

  /* Screen: in a noisy volume most maxima are noise, far weaker than atoms
   * when integrated; the same k-means that rejects non-atoms at the end,
   * run here on the unfitted ball sums, spares fitting them all. */
  gdouble int_radius = MAX (1.5, 0.55 / vs);
  if (p->kmeans && cands->len > 0)
    {
      g_autofree gdouble *sums = g_new (gdouble, cands->len);
      for (guint c = 0; c < cands->len; c++)
        {
          Candidate *cd = &g_array_index (cands, Candidate, c);
          cd->intensity = integrate_ball (volume, cd->start, int_radius);
          sums[c] = cd->intensity;
        }
      qsort (sums, cands->len, sizeof (gdouble), compare_desc);
      gsize n_keep = kmeans_keep (sums, cands->len);
      if (n_keep < cands->len)
        {
          /* with a margin: the unfitted sum is centred on the voxel maximum,
           * not on the atom, so keep down to half the weakest upper one */
          gdouble cut = 0.5 * sums[n_keep - 1];
          guint n = 0;
          for (guint c = 0; c < cands->len; c++)
            if (g_array_index (cands, Candidate, c).intensity >= cut)
              g_array_index (cands, Candidate, n++) = g_array_index (cands, Candidate, c);
          g_array_set_size (cands, n);
        }
    }

  /* sub-voxel fits; the starting width is that of a B = 4 Å² atom */
  FitData fd = { volume, (Candidate *) cands->data, radius, p->upsample,
                 int_radius, MAX (0.45 / vs, 0.6), job };
  aet_parallel_for (threads, cands->len, fit_range, &fd);
  if (aet_job_check_cancelled (job, "trace", error))
    return NULL;

  guint n_ok = 0;
  for (guint c = 0; c < cands->len; c++)
    if (g_array_index (cands, Candidate, c).ok)
      g_array_index (cands, Candidate, n_ok++) = g_array_index (cands, Candidate, c);
  g_array_set_size (cands, n_ok);
  g_array_sort (cands, compare_by_intensity);

  /* minimum distance: strongest first, a candidate survives when no
   * stronger survivor lies within min_distance */
  g_autofree gdouble *pos = g_new (gdouble, 3 * MAX (n_ok, 1u));
  for (guint c = 0; c < n_ok; c++)
    for (int a = 0; a < 3; a++)
      pos[3 * c + a] = volume->origin[a] + g_array_index (cands, Candidate, c).pos[a] * vs;
  g_autofree gboolean *keep = g_new0 (gboolean, MAX (n_ok, 1u));
  {
    g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, n_ok, MAX (p->min_distance, 0.5));
    g_autoptr (GArray) near = g_array_new (FALSE, FALSE, sizeof (guint));
    for (guint c = 0; c < n_ok; c++)
      {
        keep[c] = TRUE;
        if (p->min_distance <= 0)
          continue;
        g_array_set_size (near, 0);
        aet_neighbors_within (nb, pos + 3 * c, p->min_distance, near);
        for (guint m = 0; m < near->len; m++)
          {
            guint o = g_array_index (near, guint, m);
            if (o < c && keep[o])
              {
                keep[c] = FALSE;
                break;
              }
          }
      }
  }

  /* k-means on the survivors' intensities (already in decreasing order) */
  g_autofree gdouble *inten = g_new (gdouble, MAX (n_ok, 1u));
  gsize n_keep = 0;
  for (guint c = 0; c < n_ok; c++)
    if (keep[c])
      inten[n_keep++] = intensity_of (&g_array_index (cands, Candidate, c));
  gsize n_atoms = p->kmeans ? kmeans_keep (inten, n_keep) : n_keep;

  g_autofree Candidate *final = g_new (Candidate, MAX (n_atoms, 1));
  gsize rank = 0;
  for (guint c = 0; c < n_ok && rank < n_atoms; c++)
    if (keep[c])
      final[rank++] = g_array_index (cands, Candidate, c);

  /* Refit every atom with its neighbours' fitted Gaussians subtracted:
   * neighbouring tails (long along z in a missing-wedge reconstruction)
   * otherwise pull each centre towards its neighbours. */
  if (p->refine_passes > 0 && n_atoms > 1)
    {
      g_autofree Candidate *next = g_new (Candidate, n_atoms);
      g_autofree gdouble *pos_a = g_new (gdouble, 3 * n_atoms);
      gdouble max_sigma = 0;
      for (gsize a = 0; a < n_atoms; a++)
        max_sigma = MAX (max_sigma, final[a].sigma);
      RefineData rd = { volume, final, next, pos_a, NULL, radius,
                        (radius + 4.0 * max_sigma) * vs, int_radius, job };
      for (gint pass = 0; pass < p->refine_passes; pass++)
        {
          for (gsize a = 0; a < n_atoms; a++)
            for (int x = 0; x < 3; x++)
              pos_a[3 * a + x] = volume->origin[x] + final[a].pos[x] * vs;
          g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos_a, n_atoms, rd.reach);
          rd.nb = nb;
          aet_parallel_for (threads, n_atoms, refine_range, &rd);
          if (aet_job_check_cancelled (job, "trace", error))
            return NULL;
          memcpy (final, next, n_atoms * sizeof (Candidate));
          aet_job_progress (job, 0.9 + 0.1 * (pass + 1) / p->refine_passes, "refining");
        }
      qsort (final, n_atoms, sizeof (Candidate), compare_by_intensity);
    }

  AetAtoms *atoms = aet_atoms_new (n_atoms);
  gfloat *col_int = aet_atoms_ensure_column (atoms, "intensity");
  gfloat *col_peak = aet_atoms_ensure_column (atoms, "peak");
  gfloat *col_err = aet_atoms_ensure_column (atoms, "fit_error");
  gfloat *col_unc = aet_atoms_ensure_column (atoms, "uncertainty_pm");
  for (gsize a = 0; a < n_atoms; a++)
    {
      const Candidate *cd = &final[a];
      aet_atoms_append (atoms, p->element, volume->origin[0] + cd->pos[0] * vs,
                        volume->origin[1] + cd->pos[1] * vs, volume->origin[2] + cd->pos[2] * vs);
      col_int[a] = (gfloat) intensity_of (cd);
      col_peak[a] = (gfloat) cd->amp;
      col_err[a] = (gfloat) cd->fit_error;
      col_unc[a] = (gfloat) (cd->uncertainty * vs * 100.0);
    }
  aet_job_progress (job, 1.0, "%zu atoms", atoms->n_atoms);
  return atoms;
}
