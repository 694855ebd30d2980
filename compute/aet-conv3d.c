#define G_LOG_DOMAIN "aet-conv3d"

#include "aet-conv3d.h"
#include "aet-parallel.h"

#include <cblas.h>
#include <string.h>

/* Each thread's column buffer holds at most this many floats (4 MiB): small
 * enough to stay near the caches, large enough that each sgemm call is
 * worth it. */
#define SCRATCH_BUDGET (1u << 20)

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

/* Output rows (z·oh + y) per chunk: within the budget, and at least four
 * chunks when there are enough rows, so two threads stay balanced. */
static gsize
rows_per_chunk (const AetConvGeom *g)
{
  gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  gsize rows = SCRATCH_BUDGET / (kk * (gsize) g->ow);
  gsize total = (gsize) g->od * g->oh;
  rows = MIN (rows, (total + 3) / 4);
  return CLAMP (rows, 1, total);
}

static gsize
round64 (gsize n)
{
  return (n + 15) & ~(gsize) 15;   /* keep every slice 64-byte aligned */
}

/* Scratch layout: per thread a column buffer and a partial weight gradient,
 * then one transposed, flipped copy of the weights. */
static gsize
col_floats (const AetConvGeom *g)
{
  gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  return round64 (kk * rows_per_chunk (g) * (gsize) g->ow);
}

static gsize
weight_floats (const AetConvGeom *g)
{
  return round64 ((gsize) g->cout * g->cin * g->k * g->k * g->k);
}

/* The stride-1 input gradient runs as a convolution of dy (see
 * aet_conv3d_backward_data); FALSE when g has no such twin. */
static gboolean
flipped_geom (const AetConvGeom *g, AetConvGeom *flip)
{
  if (g->s != 1 || (g->k == 1 && g->p == 0))
    return FALSE;
  aet_conv_geom_init (flip, g->cout, g->od, g->oh, g->ow, g->cin, g->k, 1, g->k - 1 - g->p);
  g_assert (flip->od == g->id && flip->oh == g->ih && flip->ow == g->iw);
  return TRUE;
}

/* Floats of one thread's slice: room for the columns of g and of its
 * flipped twin, and a partial weight gradient. */
static gsize
slice_floats (const AetConvGeom *g)
{
  AetConvGeom flip;
  gsize col = col_floats (g);
  if (flipped_geom (g, &flip))
    col = MAX (col, col_floats (&flip));
  return col + weight_floats (g);
}

static gsize padded_floats (const AetConvGeom *g);
static gboolean s2k2_applies (const AetConvGeom *g, gboolean up);

/* The direct weight gradient's per-thread partial sums: a vector's lanes per
 * weight. */
#if defined(__AVX512F__)
#define DIRECT_LANES 16
#else
#define DIRECT_LANES 8
#endif

/* The weight gradient's tasks fall into at most this many groups, each
 * with its own partial sums (see direct_weights). */
#define DIRECT_W_GROUPS 16

static gsize
lanes_floats (const AetConvGeom *g)
{
  return round64 ((gsize) g->cout * g->cin * g->k * g->k * g->k * DIRECT_LANES);
}

/* Where the flipped weights live: after the per-thread slices or the padded
 * copy of the direct kernel (and its partial sums), whichever is larger. */
static gsize
weights_offset (const AetConvGeom *g, guint n_threads)
{
  AetConvGeom flip;
  gsize n = MAX (n_threads, 1u) * slice_floats (g);
  if (padded_floats (g) > 0 || s2k2_applies (g, FALSE))
    n = MAX (n, padded_floats (g) + MAX (n_threads, 1u) * lanes_floats (g)
               + DIRECT_W_GROUPS * weight_floats (g));
  if (flipped_geom (g, &flip))
    n = MAX (n, padded_floats (&flip));
  return n;
}

gsize
aet_conv_scratch_floats (const AetConvGeom *g, guint n_threads)
{
  return weights_offset (g, n_threads) + weight_floats (g);
}

/* We split the work between threads ourselves: OpenBLAS's own threads would
 * spin while ours unfold, and two layers of threads make timing-dependent
 * sums.  So OpenBLAS runs single-threaded inside each of our threads. */
static void
blas_single_thread (void)
{
  if (openblas_get_num_threads () != 1)
    openblas_set_num_threads (1);
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


/* ---- the direct kernels (AVX-512, or AVX2 + FMA) ----
 *
 * For 3×3×3 stride-1 convolutions with few channels the unfolded matrix is
 * 27 times the input, and unfolding it plus OpenBLAS packing it cost about
 * as much as the product.  The direct kernel reads a zero-padded copy of
 * the input (one times its size) and keeps a block of 8 output channels ×
 * a row segment in registers: 8 × 48 voxels in 24 zmm accumulators with
 * AVX-512 (3 loads and 8 broadcast weights per 24 FMAs), 8 × 16 voxels in
 * 16 ymm ones with AVX2 (10 loads per 16 FMAs; these fit with AVX-512VL's
 * 32 registers, with plain AVX2's 16 the compiler spills).  Work is cut
 * into (channel block, block of output planes) tasks taken from a queue;
 * the planes of a task advance together row by row, so the input rows they
 * share stay in L2.  docs/nn.md has the numbers. */

static AetConvMethod conv_method = AET_CONV_DIRECT;

void
aet_conv3d_set_method (AetConvMethod method)
{
  conv_method = method;
}

AetConvMethod
aet_conv3d_get_method (void)
{
  return conv_method;
}

#define DIRECT_CO 8
#define DIRECT_X 16

static gboolean
direct_applies (const AetConvGeom *g)
{
#if defined(__AVX2__) && defined(__FMA__)
  return conv_method == AET_CONV_DIRECT && g->s == 1 && g->k == 3
         && g->cout % DIRECT_CO == 0;
#else
  return FALSE;
#endif
}

/* The padded copy: each row is Wp = ⌈ow/16⌉·16 + k − 1 floats long, so
 * the last block may read past ow without leaving the row. */
static void
padded_dims (const AetConvGeom *g, gsize *dp, gsize *hp, gsize *wp)
{
  *dp = (gsize) g->id + 2 * g->p;
  *hp = (gsize) g->ih + 2 * g->p;
  *wp = ((gsize) g->ow + DIRECT_X - 1) / DIRECT_X * DIRECT_X + g->k - 1;
}

static gsize
padded_floats (const AetConvGeom *g)
{
  if (!direct_applies (g))
    return 0;
  gsize dp, hp, wp;
  padded_dims (g, &dp, &hp, &wp);
  return round64 ((gsize) g->cin * dp * hp * wp);
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

typedef struct
{
  const AetConvGeom *g;
  const gfloat *w, *x;
  gfloat *y, *pad;
  gboolean accumulate;     /* y += the convolution (no bias, no activation) */
  const gfloat *bias;      /* per output channel, or NULL */
  AetActivation act;
  gfloat slope;
  gsize dp, hp, wp;
  gint zb;                 /* output planes per task */
} Direct;

/* Padded copy, planes [start, end) of the padded input (plane = channel·dp
 * + z), each float written once. */
static void
direct_pad (gsize start, gsize end, guint t, gpointer user_data)
{
  Direct *d = user_data;
  const AetConvGeom *g = d->g;
  const gsize plane = d->hp * d->wp, right = d->wp - g->p - g->iw;
  for (gsize pl = start; pl < end; pl++)
    {
      gsize c = pl / d->dp;
      gint z = (gint) (pl % d->dp) - g->p;
      gfloat *dst = d->pad + pl * plane;
      if (z < 0 || z >= g->id)
        {
          memset (dst, 0, plane * sizeof (gfloat));
          continue;
        }
      memset (dst, 0, g->p * d->wp * sizeof (gfloat));
      for (gint yy = 0; yy < g->ih; yy++)
        {
          gfloat *row = dst + (yy + g->p) * d->wp;
          memset (row, 0, g->p * sizeof (gfloat));
          memcpy (row + g->p, d->x + ((c * g->id + z) * (gsize) g->ih + yy) * g->iw,
                  g->iw * sizeof (gfloat));
          memset (row + g->p + g->iw, 0, right * sizeof (gfloat));
        }
      memset (dst + (g->ih + g->p) * d->wp, 0, (d->hp - g->ih - g->p) * d->wp * sizeof (gfloat));
    }
}

/* The scalar form of the epilogue, for the AVX2 kernel: out = act (v +
 * bias), or out += v; the same operations in the same order as the
 * separate bias and activation passes (aet-nn-layers.c). */
static inline gfloat
epilogue1 (const Direct *d, gfloat v, gfloat bias, gfloat old)
{
  if (d->accumulate)
    return old + v;
  v = v + bias;
  if (d->act == AET_ACT_RELU)
    return v > 0.0f ? v : 0.0f;
  if (d->act == AET_ACT_LEAKY_RELU)
    return v > 0.0f ? v : d->slope * v;
  return v;
}

#if defined(__AVX512F__)
/* ---- AVX-512: 8 output channels × up to 48 voxels of one row ----
 *
 * 24 zmm accumulators (8 channels × three 16-wide vectors) of AVX-512's 32
 * registers; per tap three input loads and eight broadcast weights feed 24
 * FMAs.  Each accumulator adds its taps in the same order (ci, kz, ky, kx)
 * as the AVX2 kernel and im2col's columns do, so the result does not depend
 * on the vector width or on how the work is split. */

#define DIRECT_XB 48

static inline __attribute__ ((always_inline)) __m512
epilogue16 (const Direct *d, __m512 v, gfloat bias, const gfloat *out, __mmask16 m)
{
  if (d->accumulate)
    return _mm512_add_ps (_mm512_maskz_loadu_ps (m, out), v);
  v = _mm512_add_ps (v, _mm512_set1_ps (bias));
  if (d->act == AET_ACT_NONE)
    return v;
  __mmask16 pos = _mm512_cmp_ps_mask (v, _mm512_setzero_ps (), _CMP_GT_OQ);
  if (d->act == AET_ACT_RELU)
    return _mm512_maskz_mov_ps (pos, v);
  return _mm512_mask_blend_ps (pos, _mm512_mul_ps (_mm512_set1_ps (d->slope), v), v);
}

/* One block of 8 channels × nv·16 voxels (n of them stored) at src (the
 * padded input at the block's first tap) into out (channel b at out + b·ovox). */
static inline __attribute__ ((always_inline)) void
direct_block (const Direct *d, const gfloat *src, const gfloat *w0, const gfloat *bias,
              gfloat *out, gsize ovox, gint n, const int nv)
{
  const gsize plane = d->hp * d->wp, chan = d->dp * plane;
  const gsize wstride = (gsize) d->g->cin * 27;
  __m512 acc[DIRECT_CO][3];
#pragma GCC unroll 8
  for (int b = 0; b < DIRECT_CO; b++)
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++)
      acc[b][v] = _mm512_setzero_ps ();
  for (gint ci = 0; ci < d->g->cin; ci++)
    {
      const gfloat *sc = src + ci * chan;
      const gfloat *wc = w0 + ci * 27;
      for (int kz = 0; kz < 3; kz++)
        for (int ky = 0; ky < 3; ky++)
          {
            const gfloat *row = sc + kz * plane + ky * d->wp;
            const gfloat *wt = wc + kz * 9 + ky * 3;
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
              {
                __m512 in[3];
#pragma GCC unroll 3
                for (int v = 0; v < nv; v++)
                  in[v] = _mm512_loadu_ps (row + kx + 16 * v);
#pragma GCC unroll 8
                for (int b = 0; b < DIRECT_CO; b++)
                  {
                    __m512 wb = _mm512_set1_ps (wt[kx + b * wstride]);
#pragma GCC unroll 3
                    for (int v = 0; v < nv; v++)
                      acc[b][v] = _mm512_fmadd_ps (wb, in[v], acc[b][v]);
                  }
              }
          }
    }
#pragma GCC unroll 8
  for (int b = 0; b < DIRECT_CO; b++)
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++)
      {
        gint left = n - 16 * v;
        __mmask16 m = left >= 16 ? 0xffff : (__mmask16) ((1u << MAX (left, 0)) - 1);
        gfloat *o = out + b * ovox + 16 * v;
        _mm512_mask_storeu_ps (o, m, epilogue16 (d, acc[b][v],
                                                 bias != NULL ? bias[b] : 0.0f, o, m));
      }
}

/* Output row (z, yy) of channel block cb. */
static void
direct_row (const Direct *d, gint cb, gint z, gint yy)
{
  const AetConvGeom *g = d->g;
  const gsize plane = d->hp * d->wp;
  const gsize ovox = (gsize) g->od * g->oh * g->ow;
  const gfloat *src = d->pad + (gsize) z * plane + (gsize) yy * d->wp;
  const gfloat *w0 = d->w + (gsize) cb * DIRECT_CO * g->cin * 27;
  const gfloat *bias = d->bias != NULL ? d->bias + cb * DIRECT_CO : NULL;
  gfloat *out = d->y + (gsize) cb * DIRECT_CO * ovox + ((gsize) z * g->oh + yy) * g->ow;
  for (gint x0 = 0; x0 < g->ow; x0 += DIRECT_XB)
    {
      gint n = MIN (DIRECT_XB, g->ow - x0);
      if (n > 32)
        direct_block (d, src + x0, w0, bias, out + x0, ovox, n, 3);
      else if (n > 16)
        direct_block (d, src + x0, w0, bias, out + x0, ovox, n, 2);
      else
        direct_block (d, src + x0, w0, bias, out + x0, ovox, n, 1);
    }
}

#else
/* ---- AVX2: 8 output channels × 16 voxels ----
 *
 * Sixteen accumulators, one broadcast weight times two 8-wide input vectors
 * per tap: 10 loads per 16 FMAs.  They fit with AVX-512VL's 32 ymm
 * registers; with plain AVX2's 16 the compiler spills. */

#define DIRECT_XB 16

static void
direct_row (const Direct *d, gint cb, gint z, gint yy)
{
  const AetConvGeom *g = d->g;
  const gsize plane = d->hp * d->wp, chan = d->dp * plane;
  const gsize k3 = 27, wstride = (gsize) g->cin * k3;
  const gsize ovox = (gsize) g->od * g->oh * g->ow;
  const gfloat *w0 = d->w + (gsize) cb * DIRECT_CO * wstride;
  for (gint x0 = 0; x0 < g->ow; x0 += DIRECT_XB)
    {
      /* sixteen named accumulators (-O2 does not unroll a loop over an
       * array of vectors into registers) */
#define Z _mm256_setzero_ps ()
      __m256 a00 = Z, a01 = Z, a10 = Z, a11 = Z, a20 = Z, a21 = Z, a30 = Z, a31 = Z;
      __m256 a40 = Z, a41 = Z, a50 = Z, a51 = Z, a60 = Z, a61 = Z, a70 = Z, a71 = Z;
#undef Z
      for (gint ci = 0; ci < g->cin; ci++)
        {
          const gfloat *src = d->pad + ci * chan + (gsize) z * plane + (gsize) yy * d->wp + x0;
          const gfloat *wc = w0 + ci * k3;
          for (int kz = 0; kz < 3; kz++)
            for (int ky = 0; ky < 3; ky++)
              {
                const gfloat *row = src + kz * plane + ky * d->wp;
                const gfloat *wt = wc + kz * 9 + ky * 3;
                for (int kx = 0; kx < 3; kx++)
                  {
                    __m256 v0 = _mm256_loadu_ps (row + kx);
                    __m256 v1 = _mm256_loadu_ps (row + kx + 8);
                    __m256 wb;
#define TAP(b, A0, A1) \
                    wb = _mm256_broadcast_ss (wt + kx + b * wstride); \
                    A0 = _mm256_fmadd_ps (wb, v0, A0); \
                    A1 = _mm256_fmadd_ps (wb, v1, A1);
                    TAP (0, a00, a01) TAP (1, a10, a11) TAP (2, a20, a21)
                    TAP (3, a30, a31) TAP (4, a40, a41) TAP (5, a50, a51)
                    TAP (6, a60, a61) TAP (7, a70, a71)
#undef TAP
                  }
              }
        }
      __m256 acc[DIRECT_CO][2] = { { a00, a01 }, { a10, a11 }, { a20, a21 },
                                   { a30, a31 }, { a40, a41 }, { a50, a51 },
                                   { a60, a61 }, { a70, a71 } };
      gint n = MIN (DIRECT_XB, g->ow - x0);
      for (int b = 0; b < DIRECT_CO; b++)
        {
          gsize co = (gsize) cb * DIRECT_CO + b;
          gfloat *out = d->y + co * ovox + ((gsize) z * g->oh + yy) * g->ow + x0;
          gfloat tmp[DIRECT_XB];
          _mm256_storeu_ps (tmp, acc[b][0]);
          _mm256_storeu_ps (tmp + 8, acc[b][1]);
          gfloat bias = d->bias != NULL ? d->bias[co] : 0.0f;
          for (gint i = 0; i < n; i++)
            out[i] = epilogue1 (d, tmp[i], bias, out[i]);
        }
    }
}
#endif

/* Tasks [start, end): task = (channel block)·(plane blocks) + plane block.
 * Within a task the rows go y-major across its zb planes, so the input rows
 * a plane block reads (zb + 2 planes × 3 rows × cin) stay in L2 while each
 * is used by up to 9 output rows, instead of streaming whole planes. */
static void
direct_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  Direct *d = user_data;
  const AetConvGeom *g = d->g;
  gint n_zb = (g->od + d->zb - 1) / d->zb;
  for (gsize task = start; task < end; task++)
    {
      gint cb = task / n_zb, z0 = (task % n_zb) * d->zb, z1 = MIN (z0 + d->zb, g->od);
      for (gint yy = 0; yy < g->oh; yy++)
        for (gint z = z0; z < z1; z++)
          direct_row (d, cb, z, yy);
    }
}

/* Bytes of input rows a plane block keeps in L2 (docs/nn.md), and the
 * fewest tasks a call is cut into, so threads stay balanced. */
#define DIRECT_L2_BUDGET (384 * 1024)
#define DIRECT_MIN_TASKS 16

static void
direct_forward (const AetConvGeom *g, const gfloat *w, const gfloat *x, gfloat *y,
                gboolean accumulate, const gfloat *bias, AetActivation act, gfloat slope,
                gfloat *pad, guint n_threads)
{
  Direct d = { g, w, x, y, pad, accumulate, bias, act, slope, 0, 0, 0, 1 };
  padded_dims (g, &d.dp, &d.hp, &d.wp);
  gsize row_set = 3 * (gsize) g->cin * d.wp * sizeof (gfloat);
  gint n_cb = g->cout / DIRECT_CO;
  gint per_cb = (DIRECT_MIN_TASKS + n_cb - 1) / n_cb;
  gint zb = (gint) CLAMP ((gssize) (DIRECT_L2_BUDGET / row_set) - 2, 1, g->od);
  d.zb = MAX (1, MIN (zb, (g->od + per_cb - 1) / per_cb));
  aet_parallel_for (n_threads, g->cin * d.dp, direct_pad, &d);
  gint n_zb = (g->od + d.zb - 1) / d.zb;
  aet_parallel_for_dynamic (n_threads, (gsize) n_cb * n_zb, direct_tasks, &d);
}

typedef struct
{
  const AetConvGeom *g;
  const gfloat *dy;
  const gfloat *pad;
  gfloat *lanes;       /* per thread: cout × cin × 27 × DIRECT_LANES partial sums */
  gsize dp, hp, wp;
  gint rows;           /* output rows (of one plane) per task */
} DirectW;

#if defined(__AVX512F__)
/* Weight-gradient partial sums over tasks [start, end), task = z·(row blocks
 * per plane) + row block: for each 8 output channels, input channel and
 * (kz, ky), 8 channels × 3 kx taps in 24 zmm accumulators over the block's
 * rows (dy's rows stay in L1 while the input rows stream past), added to
 * this thread's lanes once per block. */
static void
direct_weight_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  DirectW *d = user_data;
  const AetConvGeom *g = d->g;
  const gsize plane = d->hp * d->wp, chan = d->dp * plane;
  const gsize ovox = (gsize) g->od * g->oh * g->ow;
  gfloat *lanes = d->lanes + t * lanes_floats (g);
  const gint ow = g->ow, n_yb = (g->oh + d->rows - 1) / d->rows;
  const gint full = ow / 16 * 16;
  const __mmask16 tail = (__mmask16) ((1u << (ow - full)) - 1);
  for (gsize task = start; task < end; task++)
    {
      gint z = task / n_yb, y0 = (task % n_yb) * d->rows, y1 = MIN (y0 + d->rows, g->oh);
      for (gint cb = 0; cb < g->cout / DIRECT_CO; cb++)
        {
          const gfloat *dr = d->dy + (gsize) cb * DIRECT_CO * ovox
                             + ((gsize) z * g->oh + y0) * ow;
          for (gint ci = 0; ci < g->cin; ci++)
            for (int kz = 0; kz < 3; kz++)
              for (int ky = 0; ky < 3; ky++)
                {
                  const gfloat *in = d->pad + ci * chan + (gsize) (z + kz) * plane
                                     + (gsize) (y0 + ky) * d->wp;
                  __m512 acc[DIRECT_CO][3];
#pragma GCC unroll 8
                  for (int b = 0; b < DIRECT_CO; b++)
#pragma GCC unroll 3
                    for (int kx = 0; kx < 3; kx++)
                      acc[b][kx] = _mm512_setzero_ps ();
                  for (gint r = 0; r < y1 - y0; r++)
                    {
                      const gfloat *ir = in + r * d->wp, *dyr = dr + r * ow;
                      for (gint x0 = 0; x0 < ow; x0 += 16)
                        {
                          /* the input row is padded past ow, dy is not: a
                           * masked load zeroes dy's lanes beyond the row */
                          __mmask16 m = x0 < full ? 0xffff : tail;
                          __m512 i0 = _mm512_loadu_ps (ir + x0);
                          __m512 i1 = _mm512_loadu_ps (ir + x0 + 1);
                          __m512 i2 = _mm512_loadu_ps (ir + x0 + 2);
#pragma GCC unroll 8
                          for (int b = 0; b < DIRECT_CO; b++)
                            {
                              __m512 dv = _mm512_maskz_loadu_ps (m, dyr + b * ovox + x0);
                              acc[b][0] = _mm512_fmadd_ps (dv, i0, acc[b][0]);
                              acc[b][1] = _mm512_fmadd_ps (dv, i1, acc[b][1]);
                              acc[b][2] = _mm512_fmadd_ps (dv, i2, acc[b][2]);
                            }
                        }
                    }
#pragma GCC unroll 8
                  for (int b = 0; b < DIRECT_CO; b++)
#pragma GCC unroll 3
                    for (int kx = 0; kx < 3; kx++)
                      {
                        gsize co = (gsize) cb * DIRECT_CO + b;
                        gfloat *l = lanes + ((co * g->cin + ci) * 27 + kz * 9 + ky * 3 + kx)
                                            * DIRECT_LANES;
                        _mm512_storeu_ps (l, _mm512_add_ps (_mm512_loadu_ps (l), acc[b][kx]));
                      }
                }
        }
    }
}

/* Rows per task: enough 16-wide steps (about 36) to amortise adding the 24
 * accumulators to the lanes, few enough that dy's rows stay in L1. */
static gint
weight_task_rows (const AetConvGeom *g)
{
  gint steps = (g->ow + 15) / 16;
  return CLAMP ((36 + steps - 1) / steps, 1, g->oh);
}
#else
/* Weight-gradient partial sums over output rows [start, end) (row = z·oh +
 * y): for each input channel and (kz, ky), 8 output channels × 3 kx taps in
 * 24 vector accumulators over the row, added to this thread's lanes. */
static void
direct_weight_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  DirectW *d = user_data;
  const AetConvGeom *g = d->g;
  const gsize plane = d->hp * d->wp, chan = d->dp * plane;
  const gsize ovox = (gsize) g->od * g->oh * g->ow;
  gfloat *lanes = d->lanes + t * lanes_floats (g);
  const gint ow = g->ow, tail = ow % 8;
  __m256i mask = _mm256_setr_epi32 (tail > 0, tail > 1, tail > 2, tail > 3, tail > 4,
                                    tail > 5, tail > 6, 0);
  mask = _mm256_sub_epi32 (_mm256_setzero_si256 (), mask);   /* 1 → all bits */
  for (gsize r = start; r < end; r++)
    {
      gint z = r / g->oh, yy = r % g->oh;
      for (gint cb = 0; cb < g->cout / DIRECT_CO; cb++)
        {
          const gfloat *dr = d->dy + (gsize) cb * DIRECT_CO * ovox + r * ow;
          for (gint ci = 0; ci < g->cin; ci++)
            for (int kz = 0; kz < 3; kz++)
              for (int ky = 0; ky < 3; ky++)
                {
                  const gfloat *in = d->pad + ci * chan + (gsize) (z + kz) * plane
                                     + (gsize) (yy + ky) * d->wp;
#define Z _mm256_setzero_ps ()
                  __m256 a00 = Z, a01 = Z, a02 = Z, a10 = Z, a11 = Z, a12 = Z;
                  __m256 a20 = Z, a21 = Z, a22 = Z, a30 = Z, a31 = Z, a32 = Z;
                  __m256 a40 = Z, a41 = Z, a42 = Z, a50 = Z, a51 = Z, a52 = Z;
                  __m256 a60 = Z, a61 = Z, a62 = Z, a70 = Z, a71 = Z, a72 = Z;
#undef Z
                  for (gint x0 = 0; x0 < ow; x0 += 8)
                    {
                      /* the input row is padded past ow, dy is not: a masked
                       * load zeroes dy's lanes beyond the row */
                      gboolean part = x0 + 8 > ow;
                      __m256 i0 = _mm256_loadu_ps (in + x0);
                      __m256 i1 = _mm256_loadu_ps (in + x0 + 1);
                      __m256 i2 = _mm256_loadu_ps (in + x0 + 2);
                      __m256 dv;
#define CH(b, A0, A1, A2) \
                      dv = part ? _mm256_maskload_ps (dr + b * ovox + x0, mask) \
                                : _mm256_loadu_ps (dr + b * ovox + x0); \
                      A0 = _mm256_fmadd_ps (dv, i0, A0); \
                      A1 = _mm256_fmadd_ps (dv, i1, A1); \
                      A2 = _mm256_fmadd_ps (dv, i2, A2);
                      CH (0, a00, a01, a02) CH (1, a10, a11, a12) CH (2, a20, a21, a22)
                      CH (3, a30, a31, a32) CH (4, a40, a41, a42) CH (5, a50, a51, a52)
                      CH (6, a60, a61, a62) CH (7, a70, a71, a72)
#undef CH
                    }
                  __m256 acc[DIRECT_CO][3] = {
                    { a00, a01, a02 }, { a10, a11, a12 }, { a20, a21, a22 }, { a30, a31, a32 },
                    { a40, a41, a42 }, { a50, a51, a52 }, { a60, a61, a62 }, { a70, a71, a72 },
                  };
                  for (int b = 0; b < DIRECT_CO; b++)
                    for (int kx = 0; kx < 3; kx++)
                      {
                        gsize co = (gsize) cb * DIRECT_CO + b;
                        gfloat *l = lanes + (((co * g->cin + ci) * 27) + kz * 9 + ky * 3 + kx)
                                            * DIRECT_LANES;
                        _mm256_storeu_ps (l, _mm256_add_ps (_mm256_loadu_ps (l), acc[b][kx]));
                      }
                }
        }
    }
}

/* One output row per task. */
static gint
weight_task_rows (const AetConvGeom *g)
{
  return 1;
}
#endif

#if defined(__AVX512F__)
/* ---- 2×2×2 stride-2 convolutions (AVX-512) ----
 *
 * Between a big tensor B (Cin × D×H×W) and a small one S (Cout ×
 * D/2×H/2×W/2) the windows do not overlap: every voxel of B belongs to one
 * window, at offset (a, b, c).  The three kernels below work on 16 small x
 * positions at a time, whose 32 big x positions are two vectors that
 * de-interleave into c = 0 and c = 1 (and interleave back).  The up-sampling
 * layers' transposed convolutions are these, with the roles swapped. */

/* The permutations between 32 consecutive big x values and their even (c =
 * 0) and odd (c = 1) halves. */
static inline __m512i
perm_even (void)
{
  return _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}

static inline __m512i
perm_odd (void)
{
  return _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

static inline __m512i
perm_lo (void)
{
  return _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

static inline __m512i
perm_hi (void)
{
  return _mm512_setr_epi32 (8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/* Lanes [0, n) of a 16-wide vector, n clamped to 0…16. */
static inline __mmask16
lanes_mask (gint n)
{
  return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16) ((1u << n) - 1);
}

/* Whether the 2×2×2 stride-2 kernels serve g: channel blocks of 8 over the
 * big tensor's channels (`up`, the transposed direction) or the small one's. */
static gboolean
s2k2_applies (const AetConvGeom *g, gboolean up)
{
  return conv_method == AET_CONV_DIRECT && g->k == 2 && g->s == 2 && g->p == 0
         && (up ? g->cin : g->cout) % DIRECT_CO == 0;
}

typedef struct
{
  const AetConvGeom *g;
  const gfloat *w;
  const gfloat *src;
  gfloat *dst;
  gboolean accumulate;
  const gfloat *bias;
  AetActivation act;
  gfloat slope;
} S2k2;

/* Up: B[ci][2z+a][2y+b][2x+c] (+)= Σ_co w[co][ci][a][b][c] · S[co][z][y][x],
 * tasks [start, end) = (block of 8 big channels)·od + z.  Each big voxel is
 * written once, by one task, with its sum over co in order. */
static void
s2k2_up_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  S2k2 *u = user_data;
  const AetConvGeom *g = u->g;
  const gsize svox = (gsize) g->od * g->oh * g->ow, bvox = (gsize) g->id * g->ih * g->iw;
  const __m512i lo = perm_lo (), hi = perm_hi ();
  for (gsize task = start; task < end; task++)
    {
      gint cb = task / g->od, z = task % g->od;
      for (int a = 0; a < 2; a++)
        for (gint y = 0; y < g->oh; y++)
          for (int b = 0; b < 2; b++)
            {
              const gfloat *srow = u->src + ((gsize) z * g->oh + y) * g->ow;
              gsize brow = ((gsize) (2 * z + a) * g->ih + 2 * y + b) * g->iw;
              for (gint x0 = 0; x0 < g->ow; x0 += 16)
                {
                  gint n = MIN (16, g->ow - x0);
                  __mmask16 m = lanes_mask (n);
                  __m512 acc[DIRECT_CO][2];
#pragma GCC unroll 8
                  for (int i = 0; i < DIRECT_CO; i++)
                    acc[i][0] = acc[i][1] = _mm512_setzero_ps ();
                  for (gint co = 0; co < g->cout; co++)
                    {
                      __m512 s = _mm512_maskz_loadu_ps (m, srow + co * svox + x0);
                      const gfloat *wc = u->w + ((gsize) co * g->cin + cb * DIRECT_CO) * 8
                                         + a * 4 + b * 2;
#pragma GCC unroll 8
                      for (int i = 0; i < DIRECT_CO; i++)
                        {
                          acc[i][0] = _mm512_fmadd_ps (_mm512_set1_ps (wc[i * 8]), s, acc[i][0]);
                          acc[i][1] = _mm512_fmadd_ps (_mm512_set1_ps (wc[i * 8 + 1]), s,
                                                       acc[i][1]);
                        }
                    }
#pragma GCC unroll 8
                  for (int i = 0; i < DIRECT_CO; i++)
                    {
                      gsize ci = (gsize) cb * DIRECT_CO + i;
                      gfloat *o = u->dst + ci * bvox + brow + 2 * x0;
                      __m512 v[2] = { _mm512_permutex2var_ps (acc[i][0], lo, acc[i][1]),
                                      _mm512_permutex2var_ps (acc[i][0], hi, acc[i][1]) };
                      gfloat bias = u->bias != NULL ? u->bias[ci] : 0.0f;
                      for (int h = 0; h < 2; h++)
                        {
                          __mmask16 mh = lanes_mask (2 * n - 16 * h);
                          __m512 r;
                          if (u->accumulate)
                            r = _mm512_add_ps (_mm512_maskz_loadu_ps (mh, o + 16 * h), v[h]);
                          else
                            {
                              r = _mm512_add_ps (v[h], _mm512_set1_ps (bias));
                              __mmask16 pos = _mm512_cmp_ps_mask (r, _mm512_setzero_ps (),
                                                                  _CMP_GT_OQ);
                              if (u->act == AET_ACT_RELU)
                                r = _mm512_maskz_mov_ps (pos, r);
                              else if (u->act == AET_ACT_LEAKY_RELU)
                                r = _mm512_mask_blend_ps (pos, _mm512_mul_ps (
                                                            _mm512_set1_ps (u->slope), r), r);
                            }
                          _mm512_mask_storeu_ps (o + 16 * h, mh, r);
                        }
                    }
                }
            }
    }
}

/* Down: S[co][z][y][x] (+)= Σ_ci,a,b,c w[co][ci][a][b][c] · B[ci][2z+a][2y+b][2x+c]
 * (in that order, as im2col's rows) for one output row and nco (8 or 16)
 * small channels from co0: the big rows are read once for all of them. */
static inline __attribute__ ((always_inline)) void
s2k2_down_row (const S2k2 *u, gint co0, gint z, gint y, const int nco)
{
  const AetConvGeom *g = u->g;
  const gsize svox = (gsize) g->od * g->oh * g->ow, bvox = (gsize) g->id * g->ih * g->iw;
  const __m512i ev = perm_even (), od = perm_odd ();
  for (gint x0 = 0; x0 < g->ow; x0 += 16)
    {
      gint n = MIN (16, g->ow - x0);
      __mmask16 m0 = lanes_mask (2 * n), m1 = lanes_mask (2 * n - 16);
      __m512 acc[16];
#pragma GCC unroll 16
      for (int i = 0; i < nco; i++)
        acc[i] = _mm512_setzero_ps ();
      for (gint ci = 0; ci < g->cin; ci++)
        for (int a = 0; a < 2; a++)
          for (int b = 0; b < 2; b++)
            {
              const gfloat *br = u->src + ci * bvox
                                 + ((gsize) (2 * z + a) * g->ih + 2 * y + b) * g->iw + 2 * x0;
              __m512 v0 = _mm512_maskz_loadu_ps (m0, br);
              __m512 v1 = _mm512_maskz_loadu_ps (m1, br + 16);
              __m512 e = _mm512_permutex2var_ps (v0, ev, v1);
              __m512 o = _mm512_permutex2var_ps (v0, od, v1);
              const gfloat *wc = u->w + ((gsize) co0 * g->cin + ci) * 8 + a * 4 + b * 2;
#pragma GCC unroll 16
              for (int i = 0; i < nco; i++)
                {
                  const gfloat *wi = wc + (gsize) i * g->cin * 8;
                  acc[i] = _mm512_fmadd_ps (_mm512_set1_ps (wi[0]), e, acc[i]);
                  acc[i] = _mm512_fmadd_ps (_mm512_set1_ps (wi[1]), o, acc[i]);
                }
            }
      __mmask16 m = lanes_mask (n);
#pragma GCC unroll 16
      for (int i = 0; i < nco; i++)
        {
          gsize co = (gsize) co0 + i;
          gfloat *out = u->dst + co * svox + ((gsize) z * g->oh + y) * g->ow + x0;
          __m512 r = acc[i];
          if (u->accumulate)
            r = _mm512_add_ps (_mm512_maskz_loadu_ps (m, out), r);
          else
            {
              r = _mm512_add_ps (r, _mm512_set1_ps (u->bias != NULL ? u->bias[co] : 0.0f));
              __mmask16 pos = _mm512_cmp_ps_mask (r, _mm512_setzero_ps (), _CMP_GT_OQ);
              if (u->act == AET_ACT_RELU)
                r = _mm512_maskz_mov_ps (pos, r);
              else if (u->act == AET_ACT_LEAKY_RELU)
                r = _mm512_mask_blend_ps (pos, _mm512_mul_ps (_mm512_set1_ps (u->slope), r), r);
            }
          _mm512_mask_storeu_ps (out, m, r);
        }
    }
}

/* Down, tasks [start, end) = (block of 16, or 8, small channels)·od + z. */
static void
s2k2_down_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  S2k2 *u = user_data;
  const AetConvGeom *g = u->g;
  const gboolean wide = g->cout % 16 == 0;
  for (gsize task = start; task < end; task++)
    {
      gint cb = task / g->od, z = task % g->od;
      for (gint y = 0; y < g->oh; y++)
        if (wide)
          s2k2_down_row (u, cb * 16, z, y, 16);
        else
          s2k2_down_row (u, cb * 8, z, y, 8);
    }
}

/* Weight-gradient partial sums for tasks [start, end), task = z·(row blocks)
 * + row block: for each 8 small channels, big channel and (a, b), 8 × 2 (c)
 * accumulators over the block's rows, added to the thread's lanes. */
static void
s2k2_weight_tasks (gsize start, gsize end, guint t, gpointer user_data)
{
  DirectW *d = user_data;
  const AetConvGeom *g = d->g;
  const gsize svox = (gsize) g->od * g->oh * g->ow, bvox = (gsize) g->id * g->ih * g->iw;
  gfloat *lanes = d->lanes + t * lanes_floats (g);
  const gint n_yb = (g->oh + d->rows - 1) / d->rows;
  const __m512i ev = perm_even (), od = perm_odd ();
  for (gsize task = start; task < end; task++)
    {
      gint z = task / n_yb, y0 = (task % n_yb) * d->rows, y1 = MIN (y0 + d->rows, g->oh);
      for (gint cb = 0; cb < g->cout / DIRECT_CO; cb++)
        for (gint ci = 0; ci < g->cin; ci++)
          for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
              {
                __m512 acc[DIRECT_CO][2];
#pragma GCC unroll 8
                for (int i = 0; i < DIRECT_CO; i++)
                  acc[i][0] = acc[i][1] = _mm512_setzero_ps ();
                for (gint y = y0; y < y1; y++)
                  {
                    const gfloat *br = d->pad + ci * bvox
                                       + ((gsize) (2 * z + a) * g->ih + 2 * y + b) * g->iw;
                    const gfloat *sr = d->dy + (gsize) cb * DIRECT_CO * svox
                                       + ((gsize) z * g->oh + y) * g->ow;
                    for (gint x0 = 0; x0 < g->ow; x0 += 16)
                      {
                        gint n = MIN (16, g->ow - x0);
                        __m512 v0 = _mm512_maskz_loadu_ps (lanes_mask (2 * n), br + 2 * x0);
                        __m512 v1 = _mm512_maskz_loadu_ps (lanes_mask (2 * n - 16),
                                                           br + 2 * x0 + 16);
                        __m512 e = _mm512_permutex2var_ps (v0, ev, v1);
                        __m512 o = _mm512_permutex2var_ps (v0, od, v1);
                        __mmask16 m = lanes_mask (n);
#pragma GCC unroll 8
                        for (int i = 0; i < DIRECT_CO; i++)
                          {
                            __m512 s = _mm512_maskz_loadu_ps (m, sr + i * svox + x0);
                            acc[i][0] = _mm512_fmadd_ps (s, e, acc[i][0]);
                            acc[i][1] = _mm512_fmadd_ps (s, o, acc[i][1]);
                          }
                      }
                  }
#pragma GCC unroll 8
                for (int i = 0; i < DIRECT_CO; i++)
                  for (int c = 0; c < 2; c++)
                    {
                      gsize co = (gsize) cb * DIRECT_CO + i;
                      gfloat *l = lanes + ((co * g->cin + ci) * 8 + a * 4 + b * 2 + c)
                                          * DIRECT_LANES;
                      _mm512_storeu_ps (l, _mm512_add_ps (_mm512_loadu_ps (l), acc[i][c]));
                    }
              }
    }
}
#else
static gboolean
s2k2_applies (const AetConvGeom *g, gboolean up)
{
  return FALSE;
}
#endif

typedef struct
{
  DirectW *w;
  AetRangeFunc tasks_func;
  gsize tasks;
  gint groups;
  gfloat *partial;     /* per group: cout × cin × k³ sums */
} WeightGroups;

/* Group g of the tasks, on whichever thread is free: its tasks' partial sums
 * in the thread's lanes, then summed over the lanes into the group's own
 * slot, so the result does not depend on which thread ran it. */
static void
weight_group (gsize g, gsize g_end, guint t, gpointer user_data)
{
  WeightGroups *wg = user_data;
  const AetConvGeom *geom = wg->w->g;
  gfloat *lanes = wg->w->lanes + t * lanes_floats (geom);
  gsize n = (gsize) geom->cout * geom->cin * geom->k * geom->k * geom->k;
  for (; g < g_end; g++)
    {
      memset (lanes, 0, lanes_floats (geom) * sizeof (gfloat));
      wg->tasks_func (wg->tasks * g / wg->groups, wg->tasks * (g + 1) / wg->groups, t, wg->w);
      gfloat *p = wg->partial + g * weight_floats (geom);
      for (gsize i = 0; i < n; i++)
        {
          gfloat s = 0.0f;
          for (int k = 0; k < DIRECT_LANES; k++)
            s += lanes[i * DIRECT_LANES + k];
          p[i] = s;
        }
    }
}

/* Runs a weight-gradient task function over `tasks` tasks in at most
 * DIRECT_W_GROUPS fixed groups and adds the groups' partial sums to dw in
 * group order, so the result is the same for every thread count. */
static void
weight_groups (DirectW *w, AetRangeFunc func, gsize tasks, gfloat *dw, guint n_threads)
{
  const AetConvGeom *g = w->g;
  guint used = MAX (n_threads, 1u);
  WeightGroups wg = { w, func, tasks, (gint) MIN (tasks, DIRECT_W_GROUPS),
                      w->lanes + used * lanes_floats (g) };
  aet_parallel_for_dynamic (used, wg.groups, weight_group, &wg);
  gsize n = (gsize) g->cout * g->cin * g->k * g->k * g->k;
  for (gint k = 0; k < wg.groups; k++)
    {
      const gfloat *p = wg.partial + k * weight_floats (g);
      for (gsize i = 0; i < n; i++)
        dw[i] += p[i];
    }
}

/* dw += the weight gradient, by the direct kernel. */
static void
direct_weights (const AetConvGeom *g, const gfloat *x, const gfloat *dy, gfloat *dw,
                gfloat *scratch, guint n_threads)
{
  Direct d = { g, NULL, x, NULL, scratch, FALSE, NULL, AET_ACT_NONE, 0.0f, 0, 0, 0, 1 };
  padded_dims (g, &d.dp, &d.hp, &d.wp);
  aet_parallel_for (n_threads, g->cin * d.dp, direct_pad, &d);
  DirectW w = { g, dy, scratch, scratch + padded_floats (g), d.dp, d.hp, d.wp,
                weight_task_rows (g) };
  gsize tasks = (gsize) g->od * ((g->oh + w.rows - 1) / w.rows);
  weight_groups (&w, direct_weight_tasks, tasks, dw, n_threads);
}

/* The three 2×2×2 stride-2 operations: up (B (+)= Wᵀ ⊛ S, with the epilogue
 * when not accumulating), down (S (+)= W ⊛ B, likewise) and the weight
 * gradient. */
static void
s2k2_up (const AetConvGeom *g, const gfloat *w, const gfloat *s, gfloat *b, gboolean accumulate,
         const gfloat *bias, AetActivation act, gfloat slope, guint n_threads)
{
#if defined(__AVX512F__)
  S2k2 u = { g, w, s, b, accumulate, bias, act, slope };
  aet_parallel_for_dynamic (n_threads, (gsize) (g->cin / DIRECT_CO) * g->od, s2k2_up_tasks,
                            &u);
#else
  g_assert_not_reached ();
#endif
}

static void
s2k2_down (const AetConvGeom *g, const gfloat *w, const gfloat *b, gfloat *s,
           gboolean accumulate, const gfloat *bias, AetActivation act, gfloat slope,
           guint n_threads)
{
#if defined(__AVX512F__)
  S2k2 u = { g, w, b, s, accumulate, bias, act, slope };
  gint block = g->cout % 16 == 0 ? 16 : DIRECT_CO;
  aet_parallel_for_dynamic (n_threads, (gsize) (g->cout / block) * g->od, s2k2_down_tasks,
                            &u);
#else
  g_assert_not_reached ();
#endif
}

static void
s2k2_weights (const AetConvGeom *g, const gfloat *x, const gfloat *dy, gfloat *dw,
              gfloat *scratch, guint n_threads)
{
#if defined(__AVX512F__)
  DirectW w = { g, dy, x, scratch, 0, 0, 0, weight_task_rows (g) };
  gsize tasks = (gsize) g->od * ((g->oh + w.rows - 1) / w.rows);
  weight_groups (&w, s2k2_weight_tasks, tasks, dw, n_threads);
#else
  g_assert_not_reached ();
#endif
}
#else
static void
direct_forward (const AetConvGeom *g, const gfloat *w, const gfloat *x, gfloat *y,
                gboolean accumulate, const gfloat *bias, AetActivation act, gfloat slope,
                gfloat *pad, guint n_threads)
{
  g_assert_not_reached ();
}

static void
direct_weights (const AetConvGeom *g, const gfloat *x, const gfloat *dy, gfloat *dw,
                gfloat *scratch, guint n_threads)
{
  g_assert_not_reached ();
}

static gboolean
s2k2_applies (const AetConvGeom *g, gboolean up)
{
  return FALSE;
}

static void
s2k2_up (const AetConvGeom *g, const gfloat *w, const gfloat *s, gfloat *b, gboolean accumulate,
         const gfloat *bias, AetActivation act, gfloat slope, guint n_threads)
{
  g_assert_not_reached ();
}

static void
s2k2_down (const AetConvGeom *g, const gfloat *w, const gfloat *b, gfloat *s,
           gboolean accumulate, const gfloat *bias, AetActivation act, gfloat slope,
           guint n_threads)
{
  g_assert_not_reached ();
}

static void
s2k2_weights (const AetConvGeom *g, const gfloat *x, const gfloat *dy, gfloat *dw,
              gfloat *scratch, guint n_threads)
{
  g_assert_not_reached ();
}
#endif

/* A 1×1×1 convolution with stride 1 needs no unfolding: x is its own column
 * matrix. */
static gboolean
is_pointwise (const AetConvGeom *g)
{
  return g->k == 1 && g->s == 1 && g->p == 0;
}

/* The work of one call, split by output rows: each thread takes a
 * contiguous range of chunks and uses its own slice of the scratch, and
 * OpenBLAS runs single-threaded inside each (see aet_conv3d_set_blas_threads),
 * so nothing is shared and the result does not depend on timing. */
typedef enum
{
  JOB_FORWARD,
  JOB_WEIGHTS,
  JOB_FOLD,       /* W^T·dy folded back; only when windows do not overlap */
} JobKind;

typedef struct
{
  JobKind kind;
  const AetConvGeom *g;
  const gfloat *w, *x, *dy;
  gfloat *y, *dx, *dw;
  gfloat beta;
  gfloat *scratch;
  gsize slice;     /* floats per thread in scratch */
  gsize rows;      /* rows per chunk */
  gsize total;     /* output rows */
} Job;

static gfloat *
thread_col (const Job *j, guint t)
{
  return j->scratch + (gsize) t * j->slice;
}

static gfloat *
thread_dw (const Job *j, guint t)
{
  return thread_col (j, t) + j->slice - weight_floats (j->g);
}

static void
run_chunks (gsize start, gsize end, guint t, gpointer user_data)
{
  Job *j = user_data;
  const AetConvGeom *g = j->g;
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  gfloat *col = thread_col (j, t);
  gboolean first = TRUE;
  for (gsize c = start; c < end; c++)
    {
      gsize r0 = c * j->rows, r1 = MIN (r0 + j->rows, j->total);
      gsize ncols = (r1 - r0) * g->ow;
      Unfold u = { g, (gfloat *) (j->kind == JOB_FOLD ? j->dx : j->x), col, r0, r1 };
      switch (j->kind)
        {
        case JOB_FORWARD:
          im2col_rows (0, kk, t, &u);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, ncols, kk,
                       1.0f, j->w, kk, col, ncols, j->beta, j->y + r0 * g->ow, nout);
          break;
        case JOB_WEIGHTS:
          im2col_rows (0, kk, t, &u);
          /* thread 0 accumulates straight into dw, the others into their own
           * partial sums, added in thread order afterwards */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, kk, ncols,
                       1.0f, j->dy + r0 * g->ow, nout, col, ncols,
                       (t == 0 || !first) ? 1.0f : 0.0f, t == 0 ? j->dw : thread_dw (j, t),
                       kk);
          break;
        case JOB_FOLD:
        default:
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, ncols, g->cout,
                       1.0f, j->w, kk, j->dy + r0 * g->ow, nout, 0.0f, col, ncols);
          col2im_channels (0, g->cin, t, &u);
          break;
        }
      first = FALSE;
    }
}

static guint
run (Job *j, guint n_threads)
{
  j->rows = rows_per_chunk (j->g);
  j->total = (gsize) j->g->od * j->g->oh;
  gsize n_chunks = (j->total + j->rows - 1) / j->rows;
  guint used = (guint) MIN ((gsize) MAX (n_threads, 1u), n_chunks);
  aet_parallel_for (used, n_chunks, run_chunks, j);
  return used;
}

/* The forward pass; with accumulate, y += W ⊛ x (then bias must be NULL and
 * act none); else y = act (W ⊛ x + bias), fused into the direct kernel's
 * stores or applied in a pass after the others. */
static void
forward (const AetConvGeom *g, const gfloat *w, const gfloat *x, gfloat *y, gboolean accumulate,
         const gfloat *bias, AetActivation act, gfloat slope, gfloat *scratch, guint n_threads)
{
  blas_single_thread ();
  g_assert (!accumulate || (bias == NULL && act == AET_ACT_NONE));
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  const gfloat beta = accumulate ? 1.0f : 0.0f;
  if (direct_applies (g))
    {
      direct_forward (g, w, x, y, accumulate, bias, act, slope, scratch, n_threads);
      return;
    }
  if (s2k2_applies (g, FALSE))
    {
      s2k2_down (g, w, x, y, accumulate, bias, act, slope, n_threads);
      return;
    }
  if (is_pointwise (g))
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, nout, kk,
                 1.0f, w, kk, x, nout, beta, y, nout);
  else
    {
      Job j = { JOB_FORWARD, g, w, x, NULL, y, NULL, NULL, beta, scratch, slice_floats (g),
                0, 0 };
      run (&j, n_threads);
    }
  aet_bias_activation_forward (y, bias, act, slope, g->cout, nout, n_threads);
}

void
aet_conv3d_forward (const AetConvGeom *g, const gfloat *w, const gfloat *x, gfloat *y,
                    gboolean accumulate, gfloat *scratch, guint n_threads)
{
  forward (g, w, x, y, accumulate, NULL, AET_ACT_NONE, 0.0f, scratch, n_threads);
}

void
aet_conv3d_forward_act (const AetConvGeom *g, const gfloat *w, const gfloat *x,
                        const gfloat *bias, AetActivation act, gfloat slope, gfloat *y,
                        gfloat *scratch, guint n_threads)
{
  forward (g, w, x, y, FALSE, bias, act, slope, scratch, n_threads);
}

void
aet_conv3d_backward_data (const AetConvGeom *g, const gfloat *w, const gfloat *dy, gfloat *dx,
                          gboolean accumulate, gfloat *scratch, guint n_threads)
{
  blas_single_thread ();
  const gsize nin = (gsize) g->cin * g->id * g->ih * g->iw;
  const gint k = g->k;
  const gsize k3 = (gsize) k * k * k, kk = (gsize) g->cin * k3;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  if (is_pointwise (g))
    {
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, nout, g->cout,
                   1.0f, w, kk, dy, nout, accumulate ? 1.0f : 0.0f, dx, nout);
      return;
    }
  AetConvGeom flip;
  if (flipped_geom (g, &flip))
    {
      /* With stride 1 the gradient is itself a convolution of dy, with the
       * kernel flipped, the channel roles swapped and padding k − 1 − p: a
       * gather, so it runs in parallel chunks like the forward pass, and
       * its product has the long inner dimension Cout·k³. */
      gfloat *wt = scratch + weights_offset (g, n_threads);
      for (gint co = 0; co < g->cout; co++)
        for (gint ci = 0; ci < g->cin; ci++)
          for (gsize t = 0; t < k3; t++)
            wt[((gsize) ci * g->cout + co) * k3 + (k3 - 1 - t)]
              = w[((gsize) co * g->cin + ci) * k3 + t];
      if (direct_applies (&flip))
        {
          direct_forward (&flip, wt, dy, dx, accumulate, NULL, AET_ACT_NONE, 0.0f, scratch,
                          n_threads);
          return;
        }
      Job j = { JOB_FORWARD, &flip, wt, dy, NULL, dx, NULL, NULL, accumulate ? 1.0f : 0.0f,
                scratch, slice_floats (g), 0, 0 };
      run (&j, n_threads);
      return;
    }
  /* the rest add into dx (the 2×2×2 kernel writes every voxel only when
   * the input is exactly twice the output) */
  gboolean covers = g->id == 2 * g->od && g->ih == 2 * g->oh && g->iw == 2 * g->ow;
  if (!accumulate && !(s2k2_applies (g, TRUE) && covers))
    memset (dx, 0, nin * sizeof (gfloat));
  if (s2k2_applies (g, TRUE))
    {
      s2k2_up (g, w, dy, dx, accumulate || !covers, NULL, AET_ACT_NONE, 0.0f, n_threads);
      return;
    }
  if (g->k <= g->s)
    {
      /* windows do not overlap: chunks fold into disjoint parts of dx */
      Job j = { JOB_FOLD, g, w, NULL, dy, NULL, dx, NULL, 0.0f, scratch, slice_floats (g), 0, 0 };
      run (&j, n_threads);
      return;
    }
  /* overlapping strided windows: chunks one after another, the fold
   * split over input channels */
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
  blas_single_thread ();
  const gsize kk = (gsize) g->cin * g->k * g->k * g->k;
  const gsize nout = (gsize) g->od * g->oh * g->ow;
  if (is_pointwise (g))
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, kk, nout,
                   1.0f, dy, nout, x, nout, 1.0f, dw, kk);
      return;
    }
  if (direct_applies (g))
    {
      direct_weights (g, x, dy, dw, scratch, n_threads);
      return;
    }
  if (s2k2_applies (g, FALSE))
    {
      s2k2_weights (g, x, dy, dw, scratch, n_threads);
      return;
    }
  Job j = { JOB_WEIGHTS, g, NULL, x, dy, NULL, NULL, dw, 1.0f, scratch, slice_floats (g), 0, 0 };
  guint used = run (&j, n_threads);
  gsize n = (gsize) g->cout * kk;
  for (guint t = 1; t < used; t++)
    {
      const gfloat *part = thread_dw (&j, t);
      for (gsize i = 0; i < n; i++)
        dw[i] += part[i];
    }
}

void
aet_conv3d_transposed_act (const AetConvGeom *g, const gfloat *w, const gfloat *x,
                           const gfloat *bias, AetActivation act, gfloat slope, gfloat *y,
                           gfloat *scratch, guint n_threads)
{
  /* the 2×2×2 stride-2 kernel writes every output voxel when the big
   * tensor is exactly twice the small one */
  if (s2k2_applies (g, TRUE) && g->id == 2 * g->od && g->ih == 2 * g->oh
      && g->iw == 2 * g->ow)
    {
      s2k2_up (g, w, x, y, FALSE, bias, act, slope, n_threads);
      return;
    }
  aet_conv3d_backward_data (g, w, x, y, FALSE, scratch, n_threads);
  aet_bias_activation_forward (y, bias, act, slope, g->cin, (gsize) g->id * g->ih * g->iw,
                               n_threads);
}

gboolean
aet_conv3d_is_direct (const AetConvGeom *g)
{
  AetConvGeom flip;
  if (direct_applies (g))
    return !flipped_geom (g, &flip) || direct_applies (&flip);
  return s2k2_applies (g, FALSE) && s2k2_applies (g, TRUE);
}
