#define G_LOG_DOMAIN "aet-reconstruct"

#include "aet-reconstruct.h"
#include "aet-align.h"
#include "aet-error.h"
#include "aet-fft.h"
#include "aet-genfire.h"
#include "aet-sirt.h"
#include "aet-wbp.h"

#include <math.h>
#include <string.h>

void
aet_recon_params_init (AetReconParams *p)
{
  memset (p, 0, sizeof (*p));
  p->method = AET_RECON_GENFIRE;
  p->iterations = 0;
  p->oversampling = 2.0;
  p->cutoff = 0.3;
  p->support = AET_SUPPORT_AUTO;
  p->extension = AET_EXTENSION_OFF;
  p->rfree = TRUE;
  p->filter = AET_WBP_SHEPP_LOGAN;
  p->relaxation = 1.0;
  p->align = AET_ALIGN_NONE;
  p->refine_angles = FALSE;
  p->nz = 0;
}

void
aet_recon_stats_clear (AetReconStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->error);
  g_free (stats->rfree);
  memset (stats, 0, sizeof (*stats));
}

gboolean
aet_recon_params_validate (const AetReconParams *p, const AetTiltSeries *series,
                           GError **error)
{
  const gint nx = series->images->nx;
  if (p->method > AET_RECON_WBP)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "method %d: unknown", (int) p->method);
      return FALSE;
    }
  if (p->iterations > 100000)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "iterations %d: at most 100000",
                   p->iterations);
      return FALSE;
    }
  if (p->method == AET_RECON_GENFIRE && !(p->oversampling >= 1.0 && p->oversampling <= 8.0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "oversampling %g: must be between 1 and 8", p->oversampling);
      return FALSE;
    }
  if (p->method == AET_RECON_GENFIRE && !(p->cutoff > 0.0 && p->cutoff <= 2.0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "interpolation cutoff %g: must be in (0, 2] grid units", p->cutoff);
      return FALSE;
    }
  if (p->method == AET_RECON_SIRT && !(p->relaxation > 0.0 && p->relaxation < 2.0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "SIRT relaxation %g: must be in (0, 2)", p->relaxation);
      return FALSE;
    }
  if (p->nz > 4 * nx || p->nz > AET_VOLUME_MAX_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "thickness %d: at most 4 × the image width %d", p->nz, nx);
      return FALSE;
    }
  const gint n = aet_tilt_series_n_images (series);
  for (gint i = 0; i < n; i++)
    {
      if (!isfinite (series->angles[i]) || fabs (series->angles[i]) > 90.0 + 1e-9)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "tilt angle %g of image %d: must be within ±90°", series->angles[i],
                       i + 1);
          return FALSE;
        }
      if (!isfinite (series->shifts[2 * i]) || !isfinite (series->shifts[2 * i + 1])
          || fabs (series->shifts[2 * i]) > nx
          || fabs (series->shifts[2 * i + 1]) > series->images->ny)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "shift of image %d: (%g, %g) pixels is not usable", i + 1,
                       series->shifts[2 * i], series->shifts[2 * i + 1]);
          return FALSE;
        }
    }
  return TRUE;
}

AetVolume *
aet_recon_volume_from_box (const gfloat *box, gint nx, gint ny, gint nz, gdouble voxel_size)
{
  AetVolume *v = aet_volume_new (nx, ny, nz, voxel_size);
  memcpy (v->data, box, sizeof (gfloat) * aet_volume_n_voxels (v));
  return v;
}

AetVolume *
aet_reconstruct (AetTiltSeries *series, const AetReconParams *params,
                 AetReconStats *stats_out, AetJob *job, GError **error)
{
  g_return_val_if_fail (series != NULL && params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  gint64 t0 = g_get_monotonic_time ();
  if (!aet_recon_params_validate (params, series, error))
    return NULL;
  if (!aet_volume_check_finite (series->images, "tilt series", error))
    return NULL;
  AetReconStats local = { 0 };
  AetReconStats *stats = stats_out != NULL ? stats_out : &local;
  aet_recon_stats_clear (stats);

  gint64 ta = g_get_monotonic_time ();
  if (!aet_align (series, params->align, params->refine_angles, job, error))
    return NULL;
  stats->align_seconds = (g_get_monotonic_time () - ta) / 1e6;

  AetVolume *vol = NULL;
  switch (params->method)
    {
    case AET_RECON_GENFIRE:
      vol = aet_genfire (series, params, stats, job, error);
      break;
    case AET_RECON_SIRT:
      {
        gint64 ti = g_get_monotonic_time ();
        vol = aet_sirt (series, params, stats, job, error);
        stats->iteration_seconds = (g_get_monotonic_time () - ti) / 1e6;
      }
      break;
    case AET_RECON_WBP:
    default:
      aet_job_set_stage (job, "WBP");
      vol = aet_wbp (series, params->nz, params->filter, aet_job_get_threads (job));
      aet_job_progress (job, 1.0, "weighted back-projection done");
      break;
    }
  stats->total_seconds = (g_get_monotonic_time () - t0) / 1e6;
  /* only writes when measured plans were made (AET_FFTW_EFFORT=measure) */
  g_autoptr (GError) wisdom_error = NULL;
  if (!aet_fft_save_wisdom (&wisdom_error))
    g_debug ("%s", wisdom_error->message);
  aet_recon_stats_clear (&local);
  return vol;
}
