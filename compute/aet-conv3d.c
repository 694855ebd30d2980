#define G_LOG_DOMAIN "aet-conv3d"

#include "aet-conv3d.h"
#include "aet-parallel.h"

#include <cblas.h>
#include <string.h>

/* The column buffer holds at most this many floats (16 MiB): small enough to
 * stay near the caches, large enough that each sgemm call is worth it. */
#define SCRATCH_BUDGET (4u << 20)

gboolean
aet_conv_geom_init (AetConvGeom *g, gint cin, gint id, gint ih, gint iw,
                    gint cout, gint k, gint s, gint p)
{
  memset (g, 0, sizeof *g);
  if (cin < 1 || cout < 1 || k < 1 || s < 1 || p < 0 || id < 1 || ih < 1 || iw < 1)
    return FALSE;
  g->cin = cin;
  g->id = id;
  g->ih = ih;
  g->iw = iw;
  g->cout = cout;
  g->k = k;
  g->s = s;
  g->p = p;
  if (id + 2 * p < k || ih + 2 * p < k || iw + 2 * p < k)
    return FALSE;
  g->od = (id + 2 * p - k) / s + 1;
  g->oh = (ih + 2 * p - k) / s + 1;
  g->ow = (iw + 2 * p - k) / s + 1;
  return TRUE;
}

static gsize
rows_per_chunk (const AetConvGeom *g)
{
  gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  gsize rows = SCRATCH_BUDGET / (kk * (gsize) g->ow);
  gsize total = (gsize) g->od * g->oh;
  return CLAMP (rows, 1, total);
}

gsize
aet_conv_scratch_floats (const AetConvGeom *g)
{
  gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  return kk * rows_per_chunk (g) * (gsize) g->ow;
}

typedef struct
{
  const AetConvGeom *g;
  gfloat *x;          /* input (read by im2col, accumulated by col2im) */
  gfloat *col;
  gsize r0, r1;       /* output rows (z·oh + y) of this chunk */
} Unfold;

/* The x range [lo, hi) of output columns whose input index ox·s − p + kx
 * falls inside [0, iw). */
static inline void
valid_x (const AetConvGeom *g, gint kx, gint *lo, gint *hi)
{
  gint a = g->p - kx;                       /* need ox·s ≥ a */
  gint l = a <= 0 ? 0 : (a + g->s - 1) / g->s;
  gint b = g->iw - 1 + g->p - kx;           /* need ox·s ≤ b */
  gint h = b < 0 ? 0 : b / g->s + 1;
  *lo = MIN (l, g->ow);
  *hi = CLAMP (h, *lo, g->ow);
}

/* Rows of the column matrix [start, end) (index ci·k³ + kz·k² + ky·k + kx). */
static void
im2col_rows (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Unfold *u = user_data;
  const AetConvGeom *g = u->g;
  const gint k = g->k, s = g->s;
  const gsize ncols = (u->r1 - u->r0) * (gsize) g->ow;
  const gsize ivox = (gsize) g->id * g->ih * g->iw;

  for (gsize row = start; row < end; row++)
    {
      gint kx = row % k, ky = (row / k) % k, kz = (row / (k * k)) % k;
      gsize ci = row / ((gsize) k * k * k);
      gint lo, hi;
      valid_x (g, kx, &lo, &hi);
      gfloat *dst = u->col + row * ncols;
      for (gsize r = u->r0; r < u->r1; r++, dst += g->ow)
        {
          gint oz = r / g->oh, oy = r % g->oh;
          gint iz = oz * s - g->p + kz, iy = oy * s - g->p + ky;
          if (iz < 0 || iz >= g->id || iy < 0 || iy >= g->ih)
            {
              memset (dst, 0, g->ow * sizeof (gfloat));
              continue;
            }
          const gfloat *src = u->x + ci * ivox + ((gsize) iz * g->ih + iy) * g->iw
                              - g->p + kx;
          for (gint ox = 0; ox < lo; ox++)
            dst[ox] = 0.0f;
          if (s == 1)
            memcpy (dst + lo, src + lo, (hi - lo) * sizeof (gfloat));
          else
            for (gint ox = lo; ox < hi; ox++)
              dst[ox] = src[ox * s];
          for (gint ox = hi; ox < g->ow; ox++)
            dst[ox] = 0.0f;
        }
    }
}

/* Folds the column matrix back, adding into x, for input channels
 * [start, end): each channel owns its k³ rows, so threads never share a
 * voxel and the sum order is fixed. */
static void
col2im_channels (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Unfold *u = user_data;
  const AetConvGeom *g = u->g;
  const gint k = g->k, s = g->s;
  const gsize k3 = (gsize) k * k * k;
  const gsize ncols = (u->r1 - u->r0) * (gsize) g->ow;
  const gsize ivox = (gsize) g->id * g->ih * g->iw;

  for (gsize ci = start; ci < end; ci++)
    for (gsize row = ci * k3; row < (ci + 1) * k3; row++)
      {
        gint kx = row % k, ky = (row / k) % k, kz = (row / (k * k)) % k;
        gint lo, hi;
        valid_x (g, kx, &lo, &hi);
        const gfloat *src = u->col + row * ncols;
        for (gsize r = u->r0; r < u->r1; r++, src += g->ow)
          {
            gint oz = r / g->oh, oy = r % g->oh;
            gint iz = oz * s - g->p + kz, iy = oy * s - g->p + ky;
            if (iz < 0 || iz >= g->id || iy < 0 || iy >= g->ih)
              continue;
            gfloat *dst = u->x + ci * ivox + ((gsize) iz * g->ih + iy) * g->iw - g->p + kx;
            if (s == 1)
              for (gint ox = lo; ox < hi; ox++)
                dst[ox] += src[ox];
            else
              for (gint ox = lo; ox < hi; ox++)
                dst[ox * s] += src[ox];
          }
      }
}

/* A 1×1×1 convolution with stride 1 needs no unfolding: x is its own column
 * matrix. */
static gboolean
is_pointwise (const AetConvGeom *g)
{
  return g->k == 1 && g->s == 1 && g->p == 0;
}

void
aet_conv3d_forward (const AetConvGeom *g, const gfloat *w, const gfloat *x, gfloat *y,
                    gboolean accumulate, gfloat *scratch, guint n_threads)
{
  const gfloat beta = accumulate ? 1.0f : 0.0f;
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  if (is_pointwise (g))
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, nout, kk,
                   1.0f, w, kk, x, nout, beta, y, nout);
      return;
    }
  const gsize rows = rows_per_chunk (g), total = (gsize) g->od * g->oh;
  for (gsize r0 = 0; r0 < total; r0 += rows)
    {
      Unfold u = { g, (gfloat *) x, scratch, r0, MIN (r0 + rows, total) };
      gsize ncols = (u.r1 - u.r0) * g->ow;
      aet_parallel_for (n_threads, kk, im2col_rows, &u);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, ncols, kk,
                   1.0f, w, kk, scratch, ncols, beta, y + r0 * g->ow, nout);
    }
}

void
aet_conv3d_backward_data (const AetConvGeom *g, const gfloat *w, const gfloat *dy, gfloat *dx,
                          gfloat *scratch, guint n_threads)
{
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  if (is_pointwise (g))
    {
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, nout, g->cout,
                   1.0f, w, kk, dy, nout, 1.0f, dx, nout);
      return;
    }
  const gsize rows = rows_per_chunk (g), total = (gsize) g->od * g->oh;
  for (gsize r0 = 0; r0 < total; r0 += rows)
    {
      Unfold u = { g, dx, scratch, r0, MIN (r0 + rows, total) };
      gsize ncols = (u.r1 - u.r0) * g->ow;
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, ncols, g->cout,
                   1.0f, w, kk, dy + r0 * g->ow, nout, 0.0f, scratch, ncols);
      aet_parallel_for (n_threads, g->cin, col2im_channels, &u);
    }
}

void
aet_conv3d_backward_weights (const AetConvGeom *g, const gfloat *x, const gfloat *dy,
                             gfloat *dw, gfloat *scratch, guint n_threads)
{
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  if (is_pointwise (g))
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, kk, nout,
                   1.0f, dy, nout, x, nout, 1.0f, dw, kk);
      return;
    }
  const gsize rows = rows_per_chunk (g), total = (gsize) g->od * g->oh;
  for (gsize r0 = 0; r0 < total; r0 += rows)
    {
      Unfold u = { g, (gfloat *) x, scratch, r0, MIN (r0 + rows, total) };
      gsize ncols = (u.r1 - u.r0) * g->ow;
      aet_parallel_for (n_threads, kk, im2col_rows, &u);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, kk, ncols,
                   1.0f, dy + r0 * g->ow, nout, scratch, ncols, 1.0f, dw, kk);
    }
}

void
aet_conv3d_set_blas_threads (guint n_threads)
{
  openblas_set_num_threads ((int) MAX (n_threads, 1u));
}
