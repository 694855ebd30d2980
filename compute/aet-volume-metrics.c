#define G_LOG_DOMAIN "aet-volume-metrics"

#include "aet-volume-metrics.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

gdouble
aet_volume_ncc (const AetVolume *a, const AetVolume *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, NAN);
  if (!aet_volume_same_shape (a, b))
    return NAN;
  gsize n = aet_volume_n_voxels (a);
  gdouble ma = 0, mb = 0;
  for (gsize i = 0; i < n; i++)
    {
      ma += a->data[i];
      mb += b->data[i];
    }
  ma /= n;
  mb /= n;
  gdouble sab = 0, saa = 0, sbb = 0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble x = a->data[i] - ma, y = b->data[i] - mb;
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
  if (!(saa > 0) || !(sbb > 0))
    return NAN;
  return CLAMP (sab / sqrt (saa * sbb), -1.0, 1.0);
}

/* FFTW's planner is not reentrant; other modules may plan on other threads,
 * so make it thread-safe once for the process. */
static void
ensure_planner_thread_safe (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      fftwf_make_planner_thread_safe ();
      g_once_init_leave (&done, 1);
    }
}

/* Forward r2c transform of v (nz·ny·(nx/2+1) complex values, caller frees
 * with fftwf_free). */
static fftwf_complex *
forward (const AetVolume *v)
{
  gsize n = aet_volume_n_voxels (v);
  gsize nh = (gsize) v->nz * v->ny * (v->nx / 2 + 1);
  gfloat *in = fftwf_alloc_real (n);
  fftwf_complex *out = fftwf_alloc_complex (nh);
  fftwf_plan plan = fftwf_plan_dft_r2c_3d (v->nz, v->ny, v->nx, in, out, FFTW_ESTIMATE);
  memcpy (in, v->data, n * sizeof (gfloat));
  fftwf_execute (plan);
  fftwf_destroy_plan (plan);
  fftwf_free (in);
  return out;
}

static inline gdouble
signed_freq (gint k, gint n)
{
  return (gdouble) (k <= n / 2 ? k : k - n) / n;
}

gdouble *
aet_volume_fsc (const AetVolume *a, const AetVolume *b, guint *n_shells, gdouble **freq_out)
{
  g_return_val_if_fail (a != NULL && b != NULL && n_shells != NULL, NULL);
  *n_shells = 0;
  if (freq_out != NULL)
    *freq_out = NULL;
  if (!aet_volume_same_shape (a, b))
    return NULL;
  ensure_planner_thread_safe ();

  const gint nx = a->nx, ny = a->ny, nz = a->nz, nxh = nx / 2 + 1;
  const gint n_min = MIN (nx, MIN (ny, nz));
  const guint ns = (guint) (n_min / 2 + 1);
  const gdouble p = a->voxel_size > 0 ? a->voxel_size : 1.0;
  fftwf_complex *fa = forward (a);
  fftwf_complex *fb = forward (b);
  g_autofree gdouble *num = g_new0 (gdouble, ns);
  g_autofree gdouble *paa = g_new0 (gdouble, ns);
  g_autofree gdouble *pbb = g_new0 (gdouble, ns);
  for (gint k = 0; k < nz; k++)
    {
      gdouble fz = signed_freq (k, nz) * n_min;
      for (gint j = 0; j < ny; j++)
        {
          gdouble fy = signed_freq (j, ny) * n_min;
          for (gint i = 0; i < nxh; i++)
            {
              /* in units of the shell step */
              gdouble fx = (gdouble) i / nx * n_min;
              gdouble r = sqrt (fx * fx + fy * fy + fz * fz);
              guint s = (guint) lround (r);
              if (s >= ns)
                continue;
              /* the half spectrum stands for its Hermitian mirror too, except
               * the planes that are their own mirror */
              gdouble w = (i == 0 || (nx % 2 == 0 && i == nx / 2)) ? 1.0 : 2.0;
              gsize idx = (gsize) i + (gsize) nxh * ((gsize) j + (gsize) ny * k);
              gdouble ar = fa[idx][0], ai = fa[idx][1], br = fb[idx][0], bi = fb[idx][1];
              num[s] += w * (ar * br + ai * bi);
              paa[s] += w * (ar * ar + ai * ai);
              pbb[s] += w * (br * br + bi * bi);
            }
        }
    }
  fftwf_free (fa);
  fftwf_free (fb);

  gdouble *fsc = g_new (gdouble, ns);
  for (guint s = 0; s < ns; s++)
    {
      gdouble den = sqrt (paa[s] * pbb[s]);
      fsc[s] = den > 0 ? CLAMP (num[s] / den, -1.0, 1.0) : NAN;
    }
  if (freq_out != NULL)
    {
      *freq_out = g_new (gdouble, ns);
      for (guint s = 0; s < ns; s++)
        (*freq_out)[s] = s / (n_min * p);
    }
  *n_shells = ns;
  return fsc;
}

gdouble
aet_volume_fsc_crossing (const gdouble *fsc, const gdouble *freq, guint n_shells,
                         gdouble threshold)
{
  if (fsc == NULL || freq == NULL || n_shells == 0)
    return NAN;
  for (guint s = 1; s < n_shells; s++)
    if (fsc[s] < threshold)
      {
        gdouble f0 = fsc[s - 1];
        if (s == 1 || !isfinite (f0) || f0 <= fsc[s])
          return freq[s];
        gdouble t = (f0 - threshold) / (f0 - fsc[s]);
        return freq[s - 1] + t * (freq[s] - freq[s - 1]);
      }
  return freq[n_shells - 1];
}

AetVolume *
aet_volume_difference (const AetVolume *a, const AetVolume *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, NULL);
  if (!aet_volume_same_shape (a, b))
    return NULL;
  AetVolume *d = aet_volume_new (a->nx, a->ny, a->nz, a->voxel_size);
  memcpy (d->origin, a->origin, sizeof d->origin);
  gsize n = aet_volume_n_voxels (a);
  for (gsize i = 0; i < n; i++)
    d->data[i] = a->data[i] - b->data[i];
  return d;
}
