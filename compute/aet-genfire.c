#define G_LOG_DOMAIN "aet-genfire"

#include "aet-genfire.h"
#include "aet-error.h"
#include "aet-fft.h"
#include "aet-parallel.h"

#include <math.h>
#include <string.h>

#define N_SHELLS 35
#define FREE_FRACTION 0.05

enum { POINT_FREE = 1 };

typedef struct
{
  const AetFourierGrid *grid;
  fftwf_complex *k;
  float *r;
  const guint8 *flags;
  const guint8 *support;     /* nx × ny × nz, or NULL */
  gfloat radius_limit;       /* enforce measured points with |q| ≤ this */
  gboolean enforce;
  gfloat scale;
  gdouble *partial;          /* 4 per thread: Σ|F−M|, Σ|M| enforced-set; the same, free set */
} IterWork;

static guint32
hash_point (gint kx, gint ky, gint kz)
{
  guint32 h = (guint32) kx * 73856093u ^ (guint32) ky * 19349663u ^ (guint32) kz * 83492791u;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

/* k folded into [−g/2, g/2) */
static inline gint
wrap_index (gint k, gint g)
{
  return ((k + g / 2) % g + g) % g - g / 2;
}

static int
compare_u32 (const void *a, const void *b)
{
  const guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

/* Marks ~5% of each of 35 shells as free (see the header).  A point on the
 * kx = 0 or Nyquist plane shares its hash with its conjugate partner. */
static guint8 *
choose_free_points (const AetFourierGrid *g)
{
  const gsize n = aet_fourier_grid_n_points (g);
  guint8 *flags = g_new0 (guint8, n);
  g_autofree guint32 *hashes = g_new (guint32, n);
  g_autofree gint *shell = g_new (gint, n);
  gsize count[N_SHELLS] = { 0 };
  for (gint c = 0; c < g->n_columns; c++)
    for (gint j = 0; j < g->gy; j++)
      {
        const gsize i = (gsize) c * g->gy + j;
        gint kx = g->col_kx[c], kz = g->col_kz[c];
        gint ky = j < g->gy / 2 ? j : j - g->gy;
        if (kx == 0 || kx == g->gx / 2)
          {
            /* canonical member of the pair (ky, kz) ~ (−ky, −kz), wrapped */
            const gint pz = wrap_index (-kz, g->gz), py = wrap_index (-ky, g->gy);
            if (pz > kz || (pz == kz && py > ky))
              {
                kz = pz;
                ky = py;
              }
          }
        hashes[i] = hash_point (kx, ky, kz);
        gint s = (gint) (N_SHELLS * g->radius[i] / (g->max_radius * 1.000001f));
        shell[i] = CLAMP (s, 0, N_SHELLS - 1);
        if (kx == 0 && ky == 0 && kz == 0)
          shell[i] = -1;  /* the origin is never withheld */
        else
          count[shell[i]]++;
      }
  /* per shell, the hash value below which 5% of its points fall */
  guint32 limit[N_SHELLS] = { 0 };
  for (gint s = 0; s < N_SHELLS; s++)
    {
      if (count[s] == 0)
        continue;
      g_autofree guint32 *h = g_new (guint32, count[s]);
      gsize m = 0;
      for (gsize i = 0; i < n; i++)
        if (shell[i] == s)
          h[m++] = hashes[i];
      gsize want = (gsize) floor (FREE_FRACTION * m + 0.5);
      if (want == 0)
        continue;
      qsort (h, m, sizeof (guint32), compare_u32);
      limit[s] = h[want - 1];
    }
  for (gsize i = 0; i < n; i++)
    if (shell[i] >= 0 && limit[shell[i]] != 0 && hashes[i] <= limit[shell[i]])
      flags[i] |= POINT_FREE;
  return flags;
}

/* Running-sum box blur of radius r along one axis (stride, length n) of
 * every line; zero outside. */
static void
box_blur_axis (gfloat *v, gint nx, gint ny, gint nz, gint axis, gint r, gfloat *line)
{
  const gint dims[3] = { nx, ny, nz };
  const gsize strides[3] = { 1, (gsize) nx, (gsize) nx * ny };
  const gint n = dims[axis];
  const gsize stride = strides[axis];
  const gint a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2;
  for (gint p2 = 0; p2 < dims[a2]; p2++)
    for (gint p1 = 0; p1 < dims[a1]; p1++)
      {
        gfloat *base = v + (gsize) p1 * strides[a1] + (gsize) p2 * strides[a2];
        for (gint i = 0; i < n; i++)
          line[i] = base[(gsize) i * stride];
        gdouble acc = 0.0;
        for (gint i = 0; i < MIN (r, n); i++)
          acc += line[i];
        for (gint i = 0; i < n; i++)
          {
            if (i + r < n)
              acc += line[i + r];
            if (i - r - 1 >= 0)
              acc -= line[i - r - 1];
            base[(gsize) i * stride] = (gfloat) (acc / (2 * r + 1));
          }
      }
}

/* The automatic support from the first iterate `box` (nx × ny × nz). */
static guint8 *
auto_support (const gfloat *box, gint nx, gint ny, gint nz)
{
  const gsize n = (gsize) nx * ny * nz;
  g_autofree gfloat *s = g_new (gfloat, n);
  g_autofree gfloat *line = g_new (gfloat, MAX (nx, MAX (ny, nz)));
  for (gsize i = 0; i < n; i++)
    s[i] = box[i] > 0.0f ? box[i] : 0.0f;
  for (gint pass = 0; pass < 3; pass++)
    for (gint axis = 0; axis < 3; axis++)
      box_blur_axis (s, nx, ny, nz, axis, 2, line);
  gfloat max = 0.0f;
  for (gsize i = 0; i < n; i++)
    max = MAX (max, s[i]);
  for (gsize i = 0; i < n; i++)
    s[i] = (max > 0.0f && s[i] >= 0.1f * max) ? 1.0f : 0.0f;
  /* dilation by 2 voxels: a box blur of radius 2 in each axis, any > 0 */
  for (gint axis = 0; axis < 3; axis++)
    box_blur_axis (s, nx, ny, nz, axis, 2, line);
  guint8 *support = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    support[i] = s[i] > 1e-6f;
  return support;
}

static void
columns_range (gsize start, gsize end, guint t, gpointer user_data)
{
  IterWork *w = user_data;
  const AetFourierGrid *g = w->grid;
  const gint gy = g->gy;
  const gsize gh = (gsize) g->gh;
  gdouble e_num = 0.0, e_den = 0.0, f_num = 0.0, f_den = 0.0;
  for (gsize c = start; c < end; c++)
    {
      const gfloat *m = g->values + c * 2 * gy;
      const gfloat *rad = g->radius + c * gy;
      const guint8 *flags = w->flags + c * gy;
      fftwf_complex *k = w->k + g->col_base[c];
      for (gint j = 0; j < gy; j++)
        {
          fftwf_complex *f = k + (gsize) j * gh;
          const gfloat dr = (*f)[0] - m[2 * j], di = (*f)[1] - m[2 * j + 1];
          const gdouble diff = sqrt ((gdouble) dr * dr + (gdouble) di * di);
          const gdouble mag = sqrt ((gdouble) m[2 * j] * m[2 * j]
                                    + (gdouble) m[2 * j + 1] * m[2 * j + 1]);
          if (flags[j] & POINT_FREE)
            {
              f_num += diff;
              f_den += mag;
              continue;
            }
          e_num += diff;
          e_den += mag;
          if (w->enforce && rad[j] <= w->radius_limit)
            {
              (*f)[0] = m[2 * j];
              (*f)[1] = m[2 * j + 1];
            }
        }
    }
  w->partial[4 * t] = e_num;
  w->partial[4 * t + 1] = e_den;
  w->partial[4 * t + 2] = f_num;
  w->partial[4 * t + 3] = f_den;
}

/* Zeroes every grid point beyond radius_limit (suppression mode). */
static void
suppress_range (gsize start, gsize end, guint t, gpointer user_data)
{
  IterWork *w = user_data;
  const AetFourierGrid *g = w->grid;
  const gdouble lim2 = (gdouble) w->radius_limit * w->radius_limit;
  for (gsize kz_i = start; kz_i < end; kz_i++)
    {
      const gint kz = (gint) kz_i < g->gz / 2 ? (gint) kz_i : (gint) kz_i - g->gz;
      const gdouble qz = (gdouble) kz / g->gz;
      for (gint j = 0; j < g->gy; j++)
        {
          const gint ky = j < g->gy / 2 ? j : j - g->gy;
          const gdouble qy = (gdouble) ky / g->gy;
          fftwf_complex *row = w->k + (kz_i * g->gy + (gsize) j) * g->gh;
          for (gint kx = 0; kx < g->gh; kx++)
            {
              const gdouble qx = (gdouble) kx / g->gx;
              if (qx * qx + qy * qy + qz * qz > lim2)
                row[kx][0] = row[kx][1] = 0.0f;
            }
        }
    }
}

/* Scales the inverse transform and enforces box, support and positivity. */
static void
real_range (gsize start, gsize end, guint t, gpointer user_data)
{
  IterWork *w = user_data;
  const AetFourierGrid *g = w->grid;
  const gsize gx = (gsize) g->gx, gy = (gsize) g->gy;
  for (gsize z = start; z < end; z++)
    {
      float *plane = w->r + z * gy * gx;
      if (z >= (gsize) g->nz)
        {
          memset (plane, 0, sizeof (float) * gx * gy);
          continue;
        }
      for (gsize y = 0; y < gy; y++)
        {
          float *row = plane + y * gx;
          if (y >= (gsize) g->ny)
            {
              memset (row, 0, sizeof (float) * gx);
              continue;
            }
          const guint8 *sup = w->support
            ? w->support + (z * (gsize) g->ny + y) * (gsize) g->nx : NULL;
          for (gint x = 0; x < g->nx; x++)
            {
              const float v = row[x] * w->scale;
              row[x] = (v > 0.0f && (sup == NULL || sup[x])) ? v : 0.0f;
            }
          memset (row + g->nx, 0, sizeof (float) * (gx - (gsize) g->nx));
        }
    }
}

static void
copy_box (const AetFourierGrid *g, const float *r, gfloat *box)
{
  for (gint z = 0; z < g->nz; z++)
    for (gint y = 0; y < g->ny; y++)
      memcpy (box + ((gsize) z * g->ny + y) * g->nx,
              r + ((gsize) z * g->gy + y) * g->gx, sizeof (gfloat) * g->nx);
}

AetVolume *
aet_genfire_from_grid (const AetFourierGrid *g, gdouble voxel_size,
                       const AetReconParams *params, AetReconStats *stats, AetJob *job,
                       GError **error)
{
  g_return_val_if_fail (g != NULL && params != NULL, NULL);
  const gint n_iter = params->iterations > 0 ? params->iterations : 100;
  const guint threads = aet_job_get_threads (job);
  const gsize n_real = (gsize) g->gz * g->gy * g->gx;
  const gsize n_half = (gsize) g->gz * g->gy * g->gh;
  const gsize n_box = (gsize) g->nx * g->ny * g->nz;
  const int dims[3] = { g->gz, g->gy, g->gx };
  fftwf_plan fwd = aet_fft_plan_r2c (3, dims, 1, threads);
  fftwf_plan inv = aet_fft_plan_c2r (3, dims, 1, threads);

  float *r = fftwf_alloc_real (n_real);
  fftwf_complex *k = fftwf_alloc_complex (n_half);
  g_autofree gfloat *best = g_new (gfloat, n_box);
  g_autofree guint8 *flags = NULL;
  g_autofree guint8 *support = NULL;
  g_autofree gdouble *partial = g_new0 (gdouble, 4 * threads);
  const gsize n_points = aet_fourier_grid_n_points (g);
  if (params->rfree)
    flags = choose_free_points (g);
  else
    flags = g_new0 (guint8, n_points);

  IterWork w = { 0 };
  w.grid = g;
  w.k = k;
  w.r = r;
  w.flags = flags;
  w.scale = (gfloat) (1.0 / (gdouble) n_real);
  w.partial = partial;
  const gboolean extend = params->extension != AET_EXTENSION_OFF;
  const gfloat rmax = g->max_radius * 1.0001f;

  /* the first iterate: the measurements alone */
  memset (k, 0, sizeof (fftwf_complex) * n_half);
  w.enforce = TRUE;
  w.radius_limit = extend ? rmax / n_iter : rmax;
  aet_parallel_for (threads, (gsize) g->n_columns, columns_range, &w);
  fftwf_execute_dft_c2r (inv, k, r);
  if (params->support == AET_SUPPORT_AUTO)
    {
      copy_box (g, r, best);
      support = auto_support (best, g->nx, g->ny, g->nz);
    }
  w.support = support;
  aet_parallel_for (threads, (gsize) g->gz, real_range, &w);
  copy_box (g, r, best);

  if (stats != NULL)
    {
      stats->error = g_new0 (gdouble, n_iter);
      stats->rfree = params->rfree ? g_new0 (gdouble, n_iter) : NULL;
      stats->n_iterations = 0;
    }
  aet_job_set_stage (job, "GENFIRE");
  gdouble best_error = G_MAXDOUBLE;
  gint best_iter = 0;
  gint64 t_loop = g_get_monotonic_time ();
  gboolean cancelled = FALSE;
  for (gint it = 1; it <= n_iter; it++)
    {
      if (aet_job_check_cancelled (job, "GENFIRE reconstruction", error))
        {
          cancelled = TRUE;
          break;
        }
      fftwf_execute_dft_r2c (fwd, r, k);
      w.radius_limit = extend ? rmax * (gfloat) it / (gfloat) n_iter : rmax;
      if (params->extension == AET_EXTENSION_SUPPRESS && it < n_iter)
        aet_parallel_for (threads, (gsize) g->gz, suppress_range, &w);
      memset (partial, 0, sizeof (gdouble) * 4 * threads);
      aet_parallel_for (threads, (gsize) g->n_columns, columns_range, &w);
      gdouble e_num = 0, e_den = 0, f_num = 0, f_den = 0;
      for (guint t = 0; t < threads; t++)
        {
          e_num += partial[4 * t];
          e_den += partial[4 * t + 1];
          f_num += partial[4 * t + 2];
          f_den += partial[4 * t + 3];
        }
      const gdouble err = e_den > 0 ? e_num / e_den : 0.0;
      const gdouble rf = f_den > 0 ? f_num / f_den : 0.0;
      /* r still holds the iterate this error belongs to (r2c keeps its input) */
      if (err < best_error)
        {
          best_error = err;
          best_iter = it;
          copy_box (g, r, best);
        }
      if (stats != NULL)
        {
          stats->error[it - 1] = err;
          if (stats->rfree != NULL)
            stats->rfree[it - 1] = rf;
          stats->n_iterations = it;
          stats->best_iteration = best_iter;
        }
      fftwf_execute_dft_c2r (inv, k, r);
      aet_parallel_for (threads, (gsize) g->gz, real_range, &w);
      if (params->rfree)
        aet_job_progress (job, (gdouble) it / n_iter,
                          "iteration %d of %d, error %.4f, R_free %.4f", it, n_iter, err, rf);
      else
        aet_job_progress (job, (gdouble) it / n_iter, "iteration %d of %d, error %.4f", it,
                          n_iter, err);
      if (params->snapshot_func != NULL && params->snapshot_every > 0
          && it % params->snapshot_every == 0)
        {
          g_autoptr (AetVolume) snap = aet_volume_new (g->nx, g->ny, g->nz, voxel_size);
          copy_box (g, r, snap->data);
          params->snapshot_func (snap, it, params->snapshot_data);
        }
    }
  if (stats != NULL)
    stats->iteration_seconds = (g_get_monotonic_time () - t_loop) / 1e6;
  fftwf_free (r);
  fftwf_free (k);
  if (cancelled)
    return NULL;
  return aet_recon_volume_from_box (best, g->nx, g->ny, g->nz, voxel_size);
}

AetVolume *
aet_genfire (const AetTiltSeries *series, const AetReconParams *params, AetReconStats *stats,
             AetJob *job, GError **error)
{
  g_return_val_if_fail (series != NULL && params != NULL, NULL);
  aet_job_set_stage (job, "gridding");
  g_autoptr (AetFourierGrid) grid
    = aet_fourier_grid_new (series, params->nz, params->oversampling, params->cutoff,
                            aet_job_get_threads (job), job, error);
  if (grid == NULL)
    return NULL;
  if (stats != NULL)
    stats->gridding_seconds = grid->seconds;
  return aet_genfire_from_grid (grid, series->images->voxel_size, params, stats, job, error);
}
