#define G_LOG_DOMAIN "aet-wbp"

#include "aet-wbp.h"
#include "aet-fft.h"
#include "aet-projector.h"

#include <math.h>
#include <string.h>

/* Angular interval (radians) each image stands for: half the gap to each
 * neighbour in sorted order; the end images take their inner half-gap
 * twice. */
static void
angular_weights (const gdouble *angles, gint n, gdouble *weights)
{
  if (n == 1)
    {
      weights[0] = G_PI;
      return;
    }
  g_autofree gint *order = g_new (gint, n);
  for (gint i = 0; i < n; i++)
    order[i] = i;
  for (gint i = 1; i < n; i++)  /* insertion sort: n is small */
    for (gint j = i; j > 0 && angles[order[j - 1]] > angles[order[j]]; j--)
      {
        gint t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  for (gint r = 0; r < n; r++)
    {
      gdouble lo = r > 0 ? angles[order[r]] - angles[order[r - 1]] : -1.0;
      gdouble hi = r < n - 1 ? angles[order[r + 1]] - angles[order[r]] : -1.0;
      if (lo < 0)
        lo = hi;
      if (hi < 0)
        hi = lo;
      weights[order[r]] = 0.5 * (lo + hi) * G_PI / 180.0;
    }
}

AetVolume *
aet_wbp_filter_images (const AetTiltSeries *series, AetWbpFilter filter, guint n_threads)
{
  const gint nx = series->images->nx, ny = series->images->ny;
  const gint n_img = aet_tilt_series_n_images (series);
  const gint len = 2 * nx;
  const gint nh = len / 2 + 1;
  const gint n_rows = ny * n_img;

  /* the filter's transfer function: FFT of the real-space ramp kernel */
  float *kernel = fftwf_alloc_real (len);
  fftwf_complex *kernel_hat = fftwf_alloc_complex (nh);
  for (gint i = 0; i < len; i++)
    {
      gint d = i <= len / 2 ? i : i - len;
      if (d == 0)
        kernel[i] = 0.25f;
      else if (d % 2 != 0)
        kernel[i] = (float) (-1.0 / (G_PI * G_PI * (gdouble) d * (gdouble) d));
      else
        kernel[i] = 0.0f;
    }
  fftwf_execute_dft_r2c (aet_fft_plan_r2c (1, &len, 1, 1), kernel, kernel_hat);
  g_autofree gfloat *h = g_new (gfloat, nh);
  for (gint k = 0; k < nh; k++)
    {
      gdouble v = kernel_hat[k][0];
      if (filter == AET_WBP_SHEPP_LOGAN && k > 0)
        {
          gdouble x = G_PI * (gdouble) k / (gdouble) len;  /* π·f, f in cycles/pixel */
          v *= sin (x) / x;
        }
      h[k] = (gfloat) (v / len);  /* the c2r below is unnormalised */
    }
  fftwf_free (kernel);
  fftwf_free (kernel_hat);

  g_autofree gdouble *weights = g_new (gdouble, n_img);
  angular_weights (series->angles, n_img, weights);

  float *rows = fftwf_alloc_real ((gsize) n_rows * len);
  fftwf_complex *spec = fftwf_alloc_complex ((gsize) n_rows * nh);
  memset (rows, 0, sizeof (float) * (gsize) n_rows * len);
  for (gint r = 0; r < n_rows; r++)
    memcpy (rows + (gsize) r * len, series->images->data + (gsize) r * nx, sizeof (float) * nx);
  fftwf_execute_dft_r2c (aet_fft_plan_r2c (1, &len, n_rows, n_threads), rows, spec);
  for (gint r = 0; r < n_rows; r++)
    {
      const gfloat w = (gfloat) weights[r / ny];
      fftwf_complex *s = spec + (gsize) r * nh;
      for (gint k = 0; k < nh; k++)
        {
          s[k][0] *= h[k] * w;
          s[k][1] *= h[k] * w;
        }
    }
  fftwf_execute_dft_c2r (aet_fft_plan_c2r (1, &len, n_rows, n_threads), spec, rows);
  AetVolume *out = aet_volume_new (nx, ny, n_img, series->images->voxel_size);
  for (gint r = 0; r < n_rows; r++)
    memcpy (out->data + (gsize) r * nx, rows + (gsize) r * len, sizeof (float) * nx);
  fftwf_free (rows);
  fftwf_free (spec);
  return out;
}

AetVolume *
aet_wbp (const AetTiltSeries *series, gint nz, AetWbpFilter filter, guint n_threads)
{
  g_return_val_if_fail (series != NULL, NULL);
  const gint nx = series->images->nx, ny = series->images->ny;
  if (nz <= 0)
    nz = nx;
  g_autoptr (AetVolume) filtered = aet_wbp_filter_images (series, filter, n_threads);
  g_autoptr (AetProjector) proj = aet_projector_new (nx, ny, nz,
                                                     aet_tilt_series_n_images (series),
                                                     series->angles, series->shifts);
  AetVolume *vol = aet_volume_new (nx, ny, nz, series->images->voxel_size);
  aet_projector_back (proj, filtered->data, vol->data, n_threads);
  return vol;
}
