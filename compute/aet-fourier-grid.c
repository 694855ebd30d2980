#define G_LOG_DOMAIN "aet-fourier-grid"

#include "aet-fourier-grid.h"
#include "aet-error.h"
#include "aet-fft.h"
#include "aet-parallel.h"

#include <math.h>
#include <string.h>

/* One (image, column) pair within the cutoff. */
typedef struct
{
  gint image, kx, kz;
  gfloat weight;
  gdouble a;              /* in-plane frequency along u, cycles per pixel */
} Task;

typedef struct
{
  const AetTiltSeries *series;
  const AetFourierGrid *grid;
  gfloat *g_re, *g_im;    /* per image: gy × nx, the y-transformed columns */
  const Task *tasks;
  gfloat *out;            /* per task: gy complex */
  gint cx, cz;
} GridWork;

static gint
round_up_even (gdouble v)
{
  gint n = (gint) ceil (v - 1e-9);
  return n + (n & 1);
}

/* Column FFTs along y (zero-padded to gy) of each image, times the phase of
 * its dy shift, transposed to ky-major for the dot products. */
static void
y_transform_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  GridWork *w = user_data;
  const AetFourierGrid *g = w->grid;
  const gint nx = g->nx, ny = g->ny, gy = g->gy;
  fftwf_complex *buf = fftwf_alloc_complex ((gsize) nx * gy);
  fftwf_complex *out = fftwf_alloc_complex ((gsize) nx * gy);
  fftwf_plan plan = aet_fft_plan_c2c (1, &gy, nx, FFTW_FORWARD, 1);
  for (gsize t = start; t < end; t++)
    {
      const gfloat *image = aet_tilt_series_image (w->series, (gint) t);
      const gdouble dy = w->series->shifts[2 * t + 1];
      memset (buf, 0, sizeof (fftwf_complex) * (gsize) nx * gy);
      for (gint q = 0; q < ny; q++)
        for (gint p = 0; p < nx; p++)
          buf[(gsize) p * gy + q][0] = image[(gsize) q * nx + p];
      fftwf_execute_dft (plan, buf, out);
      gfloat *re = w->g_re + t * (gsize) gy * nx;
      gfloat *im = w->g_im + t * (gsize) gy * nx;
      for (gint j = 0; j < gy; j++)
        {
          const gint ky = j < gy / 2 ? j : j - gy;
          const gdouble ph = 2.0 * G_PI * ky * dy / gy;
          const gfloat c = (gfloat) cos (ph), s = (gfloat) sin (ph);
          for (gint p = 0; p < nx; p++)
            {
              const fftwf_complex *v = &out[(gsize) p * gy + j];
              re[(gsize) j * nx + p] = (*v)[0] * c - (*v)[1] * s;
              im[(gsize) j * nx + p] = (*v)[0] * s + (*v)[1] * c;
            }
        }
    }
  fftwf_free (buf);
  fftwf_free (out);
}

/* The exact DFT along x at each task's frequency a, for every ky. */
static void
dft_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  GridWork *w = user_data;
  const AetFourierGrid *g = w->grid;
  const gint nx = g->nx, gy = g->gy, gx = g->gx;
  g_autofree gfloat *ph_re = g_new (gfloat, nx);
  g_autofree gfloat *ph_im = g_new (gfloat, nx);
  for (gsize ti = start; ti < end; ti++)
    {
      const Task *task = &w->tasks[ti];
      const gdouble dx = w->series->shifts[2 * task->image];
      /* e^{−2πi a (p − cx − dx)} · e^{−2πi (kx cx + kz cz)/gx} */
      const gdouble centre = 2.0 * G_PI * ((gdouble) task->kx * w->cx
                                           + (gdouble) task->kz * w->cz) / gx;
      for (gint p = 0; p < nx; p++)
        {
          const gdouble ph = -2.0 * G_PI * task->a * (p - w->cx - dx) - centre;
          ph_re[p] = (gfloat) cos (ph);
          ph_im[p] = (gfloat) sin (ph);
        }
      const gfloat *re = w->g_re + (gsize) task->image * gy * nx;
      const gfloat *im = w->g_im + (gsize) task->image * gy * nx;
      gfloat *out = w->out + ti * 2 * (gsize) gy;
      for (gint j = 0; j < gy; j++)
        {
          const gfloat *r = re + (gsize) j * nx, *i = im + (gsize) j * nx;
          gfloat sr = 0.0f, si = 0.0f;
          for (gint p = 0; p < nx; p++)
            {
              sr += ph_re[p] * r[p] - ph_im[p] * i[p];
              si += ph_re[p] * i[p] + ph_im[p] * r[p];
            }
          out[2 * j] = sr;
          out[2 * j + 1] = si;
        }
    }
}

void
aet_fourier_grid_free (AetFourierGrid *grid)
{
  if (grid == NULL)
    return;
  g_free (grid->col_kx);
  g_free (grid->col_kz);
  g_free (grid->col_base);
  g_free (grid->values);
  g_free (grid->radius);
  g_free (grid);
}

/* Makes the kx = 0 (and kx = gx/2) columns Hermitian: F(0, −ky, −kz) =
 * conj F(0, ky, kz), by averaging each point with its partner. */
static void
enforce_hermitian (AetFourierGrid *g, const gint *colmap)
{
  const gint gy = g->gy, gz = g->gz;
  for (gint c = 0; c < g->n_columns; c++)
    {
      const gint kx = g->col_kx[c];
      if (kx != 0 && !(kx == g->gx / 2 && g->gx % 2 == 0))
        continue;
      const gint kz = g->col_kz[c];
      const gint kz_i = ((-kz) % gz + gz) % gz;
      const gint partner = colmap[(gsize) kz_i * g->gh + kx];
      gfloat *a = g->values + (gsize) c * 2 * gy;
      if (partner < 0)  /* cannot happen: the cutoff band is symmetric */
        continue;
      gfloat *b = g->values + (gsize) partner * 2 * gy;
      for (gint j = 0; j < gy; j++)
        {
          const gint jn = (gy - j) % gy;
          if (partner == c && jn < j)
            continue;
          gfloat re = 0.5f * (a[2 * j] + b[2 * jn]);
          gfloat im = 0.5f * (a[2 * j + 1] - b[2 * jn + 1]);
          if (partner == c && jn == j)
            im = 0.0f;
          a[2 * j] = re;
          a[2 * j + 1] = im;
          b[2 * jn] = re;
          b[2 * jn + 1] = -im;
        }
    }
}

AetFourierGrid *
aet_fourier_grid_new (const AetTiltSeries *series, gint nz, gdouble oversampling,
                      gdouble cutoff, guint n_threads, AetJob *job, GError **error)
{
  g_return_val_if_fail (series != NULL, NULL);
  if (!(oversampling >= 1.0 && oversampling <= 8.0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "oversampling %g: must be between 1 and 8", oversampling);
      return NULL;
    }
  if (!(cutoff > 0.0 && cutoff <= 2.0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "interpolation cutoff %g: must be in (0, 2] grid units", cutoff);
      return NULL;
    }
  gint64 t0 = g_get_monotonic_time ();
  const gint nx = series->images->nx, ny = series->images->ny;
  const gint n_img = aet_tilt_series_n_images (series);
  if (nz <= 0)
    nz = nx;
  g_autoptr (AetFourierGrid) g = g_new0 (AetFourierGrid, 1);
  g->nx = nx;
  g->ny = ny;
  g->nz = nz;
  g->gx = g->gz = round_up_even (oversampling * MAX (nx, nz));
  g->gy = round_up_even (oversampling * ny);
  g->gh = g->gx / 2 + 1;
  const gint gx = g->gx, gy = g->gy, gz = g->gz, gh = g->gh;

  /* which (image, column) pairs lie within the cutoff, in a fixed order */
  g_autoptr (GArray) tasks = g_array_new (FALSE, FALSE, sizeof (Task));
  for (gint t = 0; t < n_img; t++)
    {
      const gdouble th = series->angles[t] * G_PI / 180.0;
      const gdouble c = cos (th), s = sin (th);
      for (gint kz = -gz / 2; kz < gz - gz / 2; kz++)
        for (gint kx = 0; kx < gh; kx++)
          {
            const gdouble dist = fabs (-kx * s + kz * c);
            if (dist > cutoff)
              continue;
            const gdouble a = (kx * c + kz * s) / gx;
            if (fabs (a) > 0.5 + 1e-9)
              continue;
            Task task = { t, kx, kz, (gfloat) (1.0 / MAX (dist, 1e-3)), a };
            g_array_append_val (tasks, task);
          }
    }
  const gsize n_tasks = tasks->len;
  if (n_tasks == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "gridding: no Fourier grid point lies within the cutoff %g of any image",
                   cutoff);
      return NULL;
    }

  GridWork w = { 0 };
  w.series = series;
  w.grid = g;
  w.cx = nx / 2;
  w.cz = nz / 2;
  w.tasks = (const Task *) tasks->data;
  w.g_re = g_new (gfloat, (gsize) n_img * gy * nx);
  w.g_im = g_new (gfloat, (gsize) n_img * gy * nx);
  w.out = g_new (gfloat, n_tasks * 2 * (gsize) gy);
  {
    /* plan on this thread, before the workers execute it */
    aet_fft_plan_c2c (1, &gy, nx, FFTW_FORWARD, 1);
  }
  aet_parallel_for (n_threads, (gsize) n_img, y_transform_range, &w);
  if (aet_job_check_cancelled (job, "gridding", error))
    {
      g_free (w.g_re);
      g_free (w.g_im);
      g_free (w.out);
      return NULL;
    }
  aet_parallel_for (n_threads, n_tasks, dft_range, &w);
  g_free (w.g_re);
  g_free (w.g_im);

  /* columns: a map over the (kz, kx) half plane */
  g_autofree gint *colmap = g_new (gint, (gsize) gz * gh);
  for (gsize i = 0; i < (gsize) gz * gh; i++)
    colmap[i] = -1;
  gint n_cols = 0;
  for (gsize i = 0; i < n_tasks; i++)
    {
      const Task *task = &g_array_index (tasks, Task, i);
      const gsize key = (gsize) ((task->kz + gz) % gz) * gh + task->kx;
      if (colmap[key] < 0)
        colmap[key] = n_cols++;
    }
  g->n_columns = n_cols;
  g->col_kx = g_new (gint, n_cols);
  g->col_kz = g_new (gint, n_cols);
  g->col_base = g_new (gsize, n_cols);
  g->values = g_new0 (gfloat, (gsize) n_cols * 2 * gy);
  g->radius = g_new (gfloat, (gsize) n_cols * gy);
  g_autofree gdouble *wsum = g_new0 (gdouble, n_cols);
  for (gsize i = 0; i < n_tasks; i++)
    {
      const Task *task = &g_array_index (tasks, Task, i);
      const gint kz_i = (task->kz + gz) % gz;
      const gint c = colmap[(gsize) kz_i * gh + task->kx];
      g->col_kx[c] = task->kx;
      g->col_kz[c] = task->kz;
      g->col_base[c] = (gsize) kz_i * gy * gh + (gsize) task->kx;
      wsum[c] += task->weight;
      gfloat *dst = g->values + (gsize) c * 2 * gy;
      const gfloat *src = w.out + i * 2 * (gsize) gy;
      for (gint j = 0; j < 2 * gy; j++)
        dst[j] += task->weight * src[j];
    }
  g_free (w.out);
  g->max_radius = 0.0f;
  for (gint c = 0; c < n_cols; c++)
    {
      const gfloat inv = (gfloat) (1.0 / wsum[c]);
      gfloat *v = g->values + (gsize) c * 2 * gy;
      for (gint j = 0; j < 2 * gy; j++)
        v[j] *= inv;
      const gdouble qx = (gdouble) g->col_kx[c] / gx, qz = (gdouble) g->col_kz[c] / gz;
      for (gint j = 0; j < gy; j++)
        {
          const gint ky = j < gy / 2 ? j : j - gy;
          const gdouble qy = (gdouble) ky / gy;
          const gfloat r = (gfloat) sqrt (qx * qx + qy * qy + qz * qz);
          g->radius[(gsize) c * gy + j] = r;
          g->max_radius = MAX (g->max_radius, r);
        }
    }
  enforce_hermitian (g, colmap);
  g->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&g);
}
