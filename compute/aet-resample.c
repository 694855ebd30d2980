/* aet-resample.c — band-limited resampling, one axis at a time (see
 * aet-resample.h). */
#define G_LOG_DOMAIN "aet-resample"

#include "aet-resample.h"

#include "aet-error.h"
#include "aet-fft.h"
#include "aet-parallel.h"

#include <fftw3.h>
#include <string.h>

/* Lines per FFT batch: a fixed number (from the sizes only, so results do
 * not depend on the thread count) bounding each batch's buffers to ~16 MB. */
static gsize
batch_lines (gint n, gint m)
{
  return MAX ((gsize) 1, ((gsize) 1 << 20) / (gsize) MAX (n, m));
}

typedef struct
{
  const gfloat *in;
  gfloat *out;
  gint n, m;
  gsize lines, batch;
} LinePass;

/* The half spectrum of a length-n real line (X, n/2 + 1 bins) mapped to that
 * of its band-limited interpolant on m samples (Y, m/2 + 1 bins). */
static void
map_spectrum (const fftwf_complex *x, gint n, fftwf_complex *y, gint m)
{
  gint k_min = MIN (n, m);
  memset (y, 0, sizeof (fftwf_complex) * (gsize) (m / 2 + 1));
  for (gint k = 0; 2 * k < k_min; k++)
    {
      y[k][0] = x[k][0];
      y[k][1] = x[k][1];
    }
  if (k_min % 2 == 0)
    {
      gint k = k_min / 2;
      if (n == m)
        {
          y[k][0] = x[k][0];
          y[k][1] = x[k][1];
        }
      else if (m < n)
        {
          /* the new Nyquist bin holds both +k and −k = conj(+k) */
          y[k][0] = 2 * x[k][0];
          y[k][1] = 0;
        }
      else
        {
          /* the old Nyquist bin (real) splits evenly between +k and −k; the
           * −k half is the conjugate the inverse transform implies */
          y[k][0] = 0.5f * x[k][0];
          y[k][1] = 0;
        }
    }
}

/* Runs on aet_parallel_for's threads: the batches [start, end). */
static void
line_pass_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  const LinePass *lp = user_data;
  gint n = lp->n, m = lp->m;
  gsize hn = (gsize) n / 2 + 1, hm = (gsize) m / 2 + 1;
  gfloat *in = fftwf_alloc_real (lp->batch * (gsize) n);
  fftwf_complex *x = fftwf_alloc_complex (lp->batch * hn);
  fftwf_complex *y = fftwf_alloc_complex (lp->batch * hm);
  gfloat *out = fftwf_alloc_real (lp->batch * (gsize) m);
  gfloat scale = 1.0f / (gfloat) n;
  for (gsize b = start; b < end; b++)
    {
      gsize first = b * lp->batch, count = MIN (lp->batch, lp->lines - first);
      fftwf_plan fwd = aet_fft_plan_r2c (1, &n, (int) count, 1);
      fftwf_plan inv = aet_fft_plan_c2r (1, &m, (int) count, 1);
      memcpy (in, lp->in + first * (gsize) n, count * (gsize) n * sizeof (gfloat));
      fftwf_execute_dft_r2c (fwd, in, x);
      for (gsize l = 0; l < count; l++)
        map_spectrum (x + l * hn, n, y + l * hm, m);
      fftwf_execute_dft_c2r (inv, y, out);
      gfloat *dst = lp->out + first * (gsize) m;
      for (gsize i = 0; i < count * (gsize) m; i++)
        dst[i] = out[i] * scale;
    }
  fftwf_free (in);
  fftwf_free (x);
  fftwf_free (y);
  fftwf_free (out);
}

/* Resamples every line along the fastest axis of a (n × lines) array from n
 * to m samples: in holds lines·n values, out receives lines·m. */
static void
resample_lines (const gfloat *in, gint n, gint m, gsize lines, gfloat *out, guint n_threads)
{
  if (n == m)
    {
      memcpy (out, in, lines * (gsize) n * sizeof (gfloat));
      return;
    }
  LinePass lp = { in, out, n, m, lines, batch_lines (n, m) };
  gsize n_batches = (lines + lp.batch - 1) / lp.batch;
  aet_parallel_for (n_threads, n_batches, line_pass_range, &lp);
}

typedef struct
{
  const gfloat *in;
  gfloat *out;
  gsize a, b, c;
} Rotate;

/* Runs on aet_parallel_for's threads: planes k in [start, end) of the input. */
static void
rotate_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  const Rotate *r = user_data;
  for (gsize k = start; k < end; k++)
    for (gsize j = 0; j < r->b; j++)
      {
        const gfloat *src = r->in + r->a * (j + r->b * k);
        gfloat *dst = r->out + j + r->b * k;
        gsize stride = r->b * r->c;
        for (gsize i = 0; i < r->a; i++)
          dst[i * stride] = src[i];
      }
}

/* An a × b × c array (a fastest) rewritten as b × c × a (b fastest). */
static void
rotate_axes (const gfloat *in, gsize a, gsize b, gsize c, gfloat *out, guint n_threads)
{
  Rotate r = { in, out, a, b, c };
  aet_parallel_for (n_threads, c, rotate_range, &r);
}

AetVolume *
aet_volume_resample (const AetVolume *volume, gint nx, gint ny, gint nz, guint n_threads,
                     GError **error)
{
  g_return_val_if_fail (volume != NULL, NULL);
  gdouble voxel_size = volume->voxel_size * volume->nx / (gdouble) MAX (nx, 1);
  g_autoptr (AetVolume) result = aet_volume_try_new (nx, ny, nz, voxel_size, error);
  if (result == NULL)
    return NULL;
  memcpy (result->origin, volume->origin, sizeof result->origin);
  n_threads = MAX (n_threads, 1u);

  /* (nx, ny, nz) → x pass (mx, ny, nz) → rotate (ny, nz, mx) → y pass
   * (my, nz, mx) → rotate (nz, mx, my) → z pass (mz, mx, my) → rotate
   * (mx, my, mz).  Two scratch arrays of the largest intermediate size. */
  gsize n_in[3] = { (gsize) volume->nx, (gsize) volume->ny, (gsize) volume->nz };
  gsize n_out[3] = { (gsize) nx, (gsize) ny, (gsize) nz };
  gsize largest = aet_volume_n_voxels (volume);
  largest = MAX (largest, n_out[0] * n_in[1] * n_in[2]);
  largest = MAX (largest, n_out[0] * n_out[1] * n_in[2]);
  largest = MAX (largest, aet_volume_n_voxels (result));
  gfloat *s1 = fftwf_alloc_real (largest), *s2 = fftwf_alloc_real (largest);
  if (s1 == NULL || s2 == NULL)
    {
      fftwf_free (s1);
      fftwf_free (s2);
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "resampling %d×%d×%d to %d×%d×%d: out of memory", volume->nx, volume->ny,
                   volume->nz, nx, ny, nz);
      return NULL;
    }
  /* x */
  resample_lines (volume->data, (gint) n_in[0], nx, n_in[1] * n_in[2], s1, n_threads);
  rotate_axes (s1, n_out[0], n_in[1], n_in[2], s2, n_threads);
  /* y */
  resample_lines (s2, (gint) n_in[1], ny, n_in[2] * n_out[0], s1, n_threads);
  rotate_axes (s1, n_out[1], n_in[2], n_out[0], s2, n_threads);
  /* z */
  resample_lines (s2, (gint) n_in[2], nz, n_out[0] * n_out[1], s1, n_threads);
  rotate_axes (s1, n_out[2], n_out[0], n_out[1], result->data, n_threads);
  fftwf_free (s1);
  fftwf_free (s2);
  return g_steal_pointer (&result);
}
