#define G_LOG_DOMAIN "aet-sirt"

#include "aet-sirt.h"
#include "aet-error.h"
#include "aet-parallel.h"
#include "aet-projector.h"

#include <math.h>
#include <string.h>

typedef struct
{
  const gfloat *b, *ax, *row_inv;
  gfloat *r;
  gdouble *partial;   /* per thread: Σ(b − Ax)², Σb² */
} ResidualWork;

static void
residual_range (gsize start, gsize end, guint t, gpointer user_data)
{
  ResidualWork *w = user_data;
  gdouble rr = 0.0, bb = 0.0;
  for (gsize i = start; i < end; i++)
    {
      const gfloat d = w->b[i] - w->ax[i];
      rr += (gdouble) d * d;
      bb += (gdouble) w->b[i] * w->b[i];
      w->r[i] = d * w->row_inv[i];
    }
  w->partial[2 * t] = rr;
  w->partial[2 * t + 1] = bb;
}

typedef struct
{
  gfloat *x;
  const gfloat *bp, *col_inv;
  gfloat step;
} UpdateWork;

static void
update_range (gsize start, gsize end, guint t, gpointer user_data)
{
  UpdateWork *w = user_data;
  for (gsize i = start; i < end; i++)
    {
      const gfloat v = w->x[i] + w->step * w->col_inv[i] * w->bp[i];
      w->x[i] = v > 0.0f ? v : 0.0f;
    }
}

static void
invert_sums (gfloat *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    v[i] = v[i] > 1e-6f ? 1.0f / v[i] : 0.0f;
}

/* n_iter steps from x (updated in place); snapshots and stats from params
 * and stats when given.  FALSE when cancelled. */
static gboolean
sirt_run (const AetTiltSeries *series, AetVolume *x, gint n_iter, gfloat step, const char *label,
          const AetReconParams *params, AetReconStats *stats, AetJob *job, GError **error)
{
  const gint nx = x->nx, ny = x->ny, nz = x->nz;
  const gint n_img = aet_tilt_series_n_images (series);
  const guint threads = aet_job_get_threads (job);
  const gsize n_vox = (gsize) nx * ny * nz, n_pix = (gsize) nx * ny * n_img;

  g_autoptr (AetProjector) proj = aet_projector_new (nx, ny, nz, n_img, series->angles,
                                                     series->shifts);
  g_autofree gfloat *ax = g_new (gfloat, n_pix);
  g_autofree gfloat *r = g_new (gfloat, n_pix);
  g_autofree gfloat *row_inv = g_new (gfloat, n_pix);
  g_autofree gfloat *col_inv = g_new (gfloat, n_vox);
  g_autofree gfloat *bp = g_new (gfloat, n_vox);
  g_autofree gdouble *partial = g_new0 (gdouble, 2 * threads);

  /* R = 1 / (A·1), C = 1 / (Aᵀ·1) */
  for (gsize i = 0; i < n_vox; i++)
    bp[i] = 1.0f;
  aet_projector_forward (proj, bp, row_inv, threads);
  invert_sums (row_inv, n_pix);
  for (gsize i = 0; i < n_pix; i++)
    r[i] = 1.0f;
  aet_projector_back (proj, r, col_inv, threads);
  invert_sums (col_inv, n_vox);

  if (stats != NULL)
    {
      stats->n_iterations = 0;
      stats->error = g_new0 (gdouble, n_iter);
    }
  for (gint it = 0; it < n_iter; it++)
    {
      if (aet_job_check_cancelled (job, "SIRT reconstruction", error))
        return FALSE;
      aet_projector_forward (proj, x->data, ax, threads);
      ResidualWork rw = { series->images->data, ax, row_inv, r, partial };
      memset (partial, 0, sizeof (gdouble) * 2 * threads);
      aet_parallel_for (threads, n_pix, residual_range, &rw);
      gdouble rr = 0.0, bb = 0.0;
      for (guint t = 0; t < threads; t++)
        {
          rr += partial[2 * t];
          bb += partial[2 * t + 1];
        }
      const gdouble err = bb > 0 ? sqrt (rr / bb) : 0.0;
      aet_projector_back (proj, r, bp, threads);
      UpdateWork uw = { x->data, bp, col_inv, step };
      aet_parallel_for (threads, n_vox, update_range, &uw);
      if (stats != NULL)
        {
          stats->error[it] = err;
          stats->n_iterations = it + 1;
        }
      aet_job_progress (job, (it + 1.0) / n_iter, "%s %d of %d, error %.4f", label, it + 1,
                        n_iter, err);
      if (params != NULL && params->snapshot_func != NULL && params->snapshot_every > 0
          && (it + 1) % params->snapshot_every == 0)
        {
          g_autoptr (AetVolume) snap = aet_volume_dup (x);
          params->snapshot_func (snap, it + 1, params->snapshot_data);
        }
    }
  return TRUE;
}

AetVolume *
aet_sirt (const AetTiltSeries *series, const AetReconParams *params, AetReconStats *stats,
          AetJob *job, GError **error)
{
  g_return_val_if_fail (series != NULL && params != NULL, NULL);
  const gint nx = series->images->nx, ny = series->images->ny;
  const gint nz = params->nz > 0 ? params->nz : nx;
  const gint n_iter = params->iterations > 0 ? params->iterations : 50;
  const gfloat step = (gfloat) (params->relaxation > 0 ? params->relaxation : 1.0);
  g_autoptr (AetVolume) x = aet_volume_new (nx, ny, nz, series->images->voxel_size);
  aet_job_set_stage (job, "SIRT");
  if (!sirt_run (series, x, n_iter, step, "iteration", params, stats, job, error))
    return NULL;
  return g_steal_pointer (&x);
}

gboolean
aet_sirt_iterate (const AetTiltSeries *series, AetVolume *x, gint n_iter, gdouble relaxation,
                  AetJob *job, GError **error)
{
  g_return_val_if_fail (series != NULL && x != NULL, FALSE);
  g_return_val_if_fail (n_iter >= 0 && relaxation > 0 && relaxation < 2, FALSE);
  if (x->nx != series->images->nx || x->ny != series->images->ny)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "SIRT: a %d × %d × %d volume for %d × %d images", x->nx, x->ny, x->nz,
                   series->images->nx, series->images->ny);
      return FALSE;
    }
  return sirt_run (series, x, n_iter, (gfloat) relaxation, "SIRT step", NULL, NULL, job, error);
}
