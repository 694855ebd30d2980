#define G_LOG_DOMAIN "aet-nn-layers"

#include "aet-nn-layers.h"
#include "aet-parallel.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[] = { "conv3d", "convt3d", "maxpool", "concat" };
static const char *const act_names[] = { "none", "relu", "leaky_relu" };
static const char *const norm_names[] = { "none", "group" };

const char *
aet_layer_kind_name (AetLayerKind kind)
{
  return (guint) kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "unknown";
}

const char *
aet_activation_name (AetActivation act)
{
  return (guint) act < G_N_ELEMENTS (act_names) ? act_names[act] : "unknown";
}

const char *
aet_norm_name (AetNorm norm)
{
  return (guint) norm < G_N_ELEMENTS (norm_names) ? norm_names[norm] : "unknown";
}

static gboolean
lookup (const char *const *names, guint n, const char *name, gint *out)
{
  for (guint i = 0; name != NULL && i < n; i++)
    if (g_str_equal (names[i], name))
      {
        *out = (gint) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
aet_layer_kind_from_name (const char *name, AetLayerKind *kind)
{
  gint v;
  if (!lookup (kind_names, G_N_ELEMENTS (kind_names), name, &v))
    return FALSE;
  *kind = (AetLayerKind) v;
  return TRUE;
}

gboolean
aet_activation_from_name (const char *name, AetActivation *act)
{
  gint v;
  if (!lookup (act_names, G_N_ELEMENTS (act_names), name, &v))
    return FALSE;
  *act = (AetActivation) v;
  return TRUE;
}

gboolean
aet_norm_from_name (const char *name, AetNorm *norm)
{
  gint v;
  if (!lookup (norm_names, G_N_ELEMENTS (norm_names), name, &v))
    return FALSE;
  *norm = (AetNorm) v;
  return TRUE;
}

gsize
aet_layer_n_weights (const AetLayerSpec *s)
{
  gsize k3 = (gsize) s->kernel * s->kernel * s->kernel;
  if (s->kind == AET_LAYER_CONV3D || s->kind == AET_LAYER_CONVT3D)
    return (gsize) s->out_channels * s->in_channels * k3;
  return 0;
}

gsize
aet_layer_n_bias (const AetLayerSpec *s)
{
  if (s->kind == AET_LAYER_CONV3D || s->kind == AET_LAYER_CONVT3D)
    return s->out_channels;
  return 0;
}

gsize
aet_layer_n_norm (const AetLayerSpec *s)
{
  return s->norm == AET_NORM_GROUP ? (gsize) s->out_channels : 0;
}

gboolean
aet_layer_output_size (const AetLayerSpec *s, const gint in[3], gint out[3])
{
  for (int a = 0; a < 3; a++)
    {
      gint n = in[a], k = s->kernel, st = s->stride, p = s->padding;
      switch (s->kind)
        {
        case AET_LAYER_CONV3D:
          if (n + 2 * p < k)
            return FALSE;
          out[a] = (n + 2 * p - k) / st + 1;
          break;
        case AET_LAYER_CONVT3D:
          out[a] = (n - 1) * st - 2 * p + k;
          break;
        case AET_LAYER_MAXPOOL:
          if (n % k != 0)
            return FALSE;
          out[a] = n / k;
          break;
        case AET_LAYER_CONCAT:
        default:
          out[a] = n;
          break;
        }
      if (out[a] < 1)
        return FALSE;
    }
  return TRUE;
}

gboolean
aet_layer_spec_check (const AetLayerSpec *s, char **reason)
{
  if ((guint) s->kind >= G_N_ELEMENTS (kind_names))
    return (*reason = g_strdup ("has an unknown kind")), FALSE;
  if ((guint) s->activation >= G_N_ELEMENTS (act_names))
    return (*reason = g_strdup ("has an unknown activation")), FALSE;
  if ((guint) s->norm >= G_N_ELEMENTS (norm_names))
    return (*reason = g_strdup ("has an unknown normalisation")), FALSE;
  if (s->in_channels < 1 || s->out_channels < 1 || s->in_channels > 4096
      || s->out_channels > 4096)
    return (*reason = g_strdup_printf ("has %d input and %d output channels",
                                       s->in_channels, s->out_channels)), FALSE;
  if (s->n_inputs < 1 || s->n_inputs > AET_LAYER_MAX_INPUTS)
    return (*reason = g_strdup_printf ("has %d inputs", s->n_inputs)), FALSE;
  if (s->kind == AET_LAYER_CONCAT)
    {
      if (s->n_inputs < 2)
        return (*reason = g_strdup ("joins fewer than two inputs")), FALSE;
    }
  else
    {
      if (s->n_inputs != 1)
        return (*reason = g_strdup_printf ("has %d inputs but takes one", s->n_inputs)), FALSE;
      if (s->kernel < 1 || s->kernel > AET_LAYER_MAX_KERNEL || s->stride < 1
          || s->stride > s->kernel + 1 || s->padding < 0 || s->padding >= s->kernel)
        return (*reason = g_strdup_printf ("has kernel %d, stride %d, padding %d",
                                           s->kernel, s->stride, s->padding)), FALSE;
    }
  if (s->kind == AET_LAYER_MAXPOOL && s->in_channels != s->out_channels)
    return (*reason = g_strdup_printf ("pools %d channels into %d", s->in_channels,
                                       s->out_channels)), FALSE;
  if (s->kind == AET_LAYER_MAXPOOL && (s->stride != s->kernel || s->padding != 0))
    return (*reason = g_strdup ("pools with a stride other than its window")), FALSE;
  if (s->activation == AET_ACT_LEAKY_RELU && !(s->slope > 0.0f && s->slope < 1.0f))
    return (*reason = g_strdup_printf ("has LeakyReLU slope %g", s->slope)), FALSE;
  if (s->norm == AET_NORM_GROUP
      && (s->groups < 1 || s->out_channels % s->groups != 0))
    return (*reason = g_strdup_printf ("has %d groups for %d channels", s->groups,
                                       s->out_channels)), FALSE;
  return TRUE;
}

/* The element-wise passes run 16 floats at a time with AVX-512 where the
 * build has it; the scalar loops compute exactly the same values (the same
 * operations, and sums in the same 16 interleaved partial sums). */
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* act (v + bias) for one value: the reference for the vector form. */
static inline gfloat
bias_act1 (gfloat v, gfloat bias, AetActivation act, gfloat slope)
{
  v = v + bias;
  if (act == AET_ACT_RELU)
    return v > 0.0f ? v : 0.0f;
  if (act == AET_ACT_LEAKY_RELU)
    return v > 0.0f ? v : slope * v;
  return v;
}

/* p[v] = act (p[v] + bias) for v < n. */
static void
bias_act_run (gfloat *p, gsize n, gfloat bias, AetActivation act, gfloat slope)
{
  gsize v = 0;
#if defined(__AVX512F__)
  const __m512 b = _mm512_set1_ps (bias), a = _mm512_set1_ps (slope);
  const __m512 zero = _mm512_setzero_ps ();
  for (; v + 16 <= n; v += 16)
    {
      __m512 x = _mm512_add_ps (_mm512_loadu_ps (p + v), b);
      __mmask16 pos = _mm512_cmp_ps_mask (x, zero, _CMP_GT_OQ);
      if (act == AET_ACT_RELU)
        x = _mm512_maskz_mov_ps (pos, x);
      else if (act == AET_ACT_LEAKY_RELU)
        x = _mm512_mask_blend_ps (pos, _mm512_mul_ps (a, x), x);
      _mm512_storeu_ps (p + v, x);
    }
#endif
  for (; v < n; v++)
    p[v] = bias_act1 (p[v], bias, act, slope);
}

/* dy[v] *= act'(out[v]) for v < n; returns Σ dy[v] (after) in double, as 16
 * interleaved partial sums (v mod 16) added in order, when `sum`. */
static gdouble
act_backward_run (const gfloat *out, gfloat *dy, gsize n, AetActivation act, gfloat slope,
                  gboolean sum)
{
  gdouble part[16] = { 0 };
  gsize v = 0;
#if defined(__AVX512F__)
  const __m512 a = _mm512_set1_ps (slope), zero = _mm512_setzero_ps ();
  __m512d lo = _mm512_setzero_pd (), hi = _mm512_setzero_pd ();
  for (; v + 16 <= n; v += 16)
    {
      __m512 g = _mm512_loadu_ps (dy + v);
      if (act != AET_ACT_NONE)
        {
          __mmask16 pos = _mm512_cmp_ps_mask (_mm512_loadu_ps (out + v), zero, _CMP_GT_OQ);
          g = act == AET_ACT_RELU ? _mm512_maskz_mov_ps (pos, g)
                                  : _mm512_mask_blend_ps (pos, _mm512_mul_ps (a, g), g);
          _mm512_storeu_ps (dy + v, g);
        }
      if (sum)
        {
          lo = _mm512_add_pd (lo, _mm512_cvtps_pd (_mm512_castps512_ps256 (g)));
          hi = _mm512_add_pd (hi, _mm512_cvtps_pd (_mm256_castpd_ps (
                                    _mm512_extractf64x4_pd (_mm512_castps_pd (g), 1))));
        }
    }
  _mm512_storeu_pd (part, lo);
  _mm512_storeu_pd (part + 8, hi);
#endif
  for (; v < n; v++)
    {
      if (act == AET_ACT_RELU)
        dy[v] = out[v] > 0.0f ? dy[v] : 0.0f;
      else if (act == AET_ACT_LEAKY_RELU)
        dy[v] = out[v] > 0.0f ? dy[v] : slope * dy[v];
      part[v % 16] += dy[v];
    }
  gdouble s = 0.0;
  for (int k = 0; k < 16; k++)
    s += part[k];
  return s;
}

void
aet_bias_forward (gfloat *y, const gfloat *bias, gint channels, gsize n_vox)
{
  for (gint c = 0; c < channels; c++)
    bias_act_run (y + (gsize) c * n_vox, n_vox, bias[c], AET_ACT_NONE, 0.0f);
}

void
aet_bias_backward (const gfloat *dy, gfloat *dbias, gint channels, gsize n_vox)
{
  for (gint c = 0; c < channels; c++)
    dbias[c] += (gfloat) act_backward_run (NULL, (gfloat *) dy + (gsize) c * n_vox, n_vox,
                                           AET_ACT_NONE, 0.0f, TRUE);
}

void
aet_activation_forward (AetActivation act, gfloat slope, gfloat *x, gsize n)
{
  if (act != AET_ACT_NONE)
    bias_act_run (x, n, 0.0f, act, slope);
}

void
aet_activation_backward (AetActivation act, gfloat slope, const gfloat *out, gfloat *dy,
                         gsize n)
{
  if (act != AET_ACT_NONE)
    act_backward_run (out, dy, n, act, slope, FALSE);
}

typedef struct
{
  AetActivation act;
  gfloat slope;
  const gfloat *out;
  gfloat *y;
  const gfloat *bias;
  gfloat *dbias;
  gsize n_vox;
} Elementwise;

static void
bias_act_channels (gsize start, gsize end, guint t, gpointer user_data)
{
  Elementwise *e = user_data;
  for (gsize c = start; c < end; c++)
    bias_act_run (e->y + c * e->n_vox, e->n_vox, e->bias != NULL ? e->bias[c] : 0.0f, e->act,
                  e->slope);
}

void
aet_bias_activation_forward (gfloat *y, const gfloat *bias, AetActivation act, gfloat slope,
                             gint channels, gsize n_vox, guint n_threads)
{
  if (bias == NULL && act == AET_ACT_NONE)
    return;
  Elementwise e = { act, slope, NULL, y, bias, NULL, n_vox };
  aet_parallel_for (n_threads, channels, bias_act_channels, &e);
}

static void
act_bias_channels (gsize start, gsize end, guint t, gpointer user_data)
{
  Elementwise *e = user_data;
  for (gsize c = start; c < end; c++)
    {
      gdouble s = act_backward_run (e->out + c * e->n_vox, e->y + c * e->n_vox, e->n_vox,
                                    e->act, e->slope, e->dbias != NULL);
      if (e->dbias != NULL)
        e->dbias[c] += (gfloat) s;
    }
}

void
aet_activation_bias_backward (AetActivation act, gfloat slope, const gfloat *out, gfloat *dy,
                              gfloat *dbias, gint channels, gsize n_vox, guint n_threads)
{
  if (act == AET_ACT_NONE && dbias == NULL)
    return;
  Elementwise e = { act, slope, out, dy, NULL, dbias, n_vox };
  aet_parallel_for (n_threads, channels, act_bias_channels, &e);
}

#define GN_EPS 1e-5

void
aet_group_norm_forward (const gfloat *z, gfloat *y, const gfloat *gamma, const gfloat *beta,
                        gint channels, gint groups, gsize n_vox, gfloat *mean, gfloat *rstd)
{
  gint cpg = channels / groups;
  gsize n = (gsize) cpg * n_vox;
  for (gint g = 0; g < groups; g++)
    {
      const gfloat *zg = z + (gsize) g * n;
      gdouble s = 0.0, s2 = 0.0;
      for (gsize i = 0; i < n; i++)
        s += zg[i];
      gdouble m = s / n;
      for (gsize i = 0; i < n; i++)
        s2 += (zg[i] - m) * (zg[i] - m);
      gdouble r = 1.0 / sqrt (s2 / n + GN_EPS);
      mean[g] = (gfloat) m;
      rstd[g] = (gfloat) r;
      for (gint c = g * cpg; c < (g + 1) * cpg; c++)
        {
          const gfloat *zc = z + (gsize) c * n_vox;
          gfloat *yc = y + (gsize) c * n_vox;
          gfloat a = (gfloat) r * gamma[c], b = beta[c] - (gfloat) (m * r) * gamma[c];
          for (gsize v = 0; v < n_vox; v++)
            yc[v] = a * zc[v] + b;
        }
    }
}

void
aet_group_norm_backward (const gfloat *z, gfloat *dy, const gfloat *gamma, gint channels,
                         gint groups, gsize n_vox, const gfloat *mean, const gfloat *rstd,
                         gfloat *dgamma, gfloat *dbeta)
{
  gint cpg = channels / groups;
  gsize n = (gsize) cpg * n_vox;
  for (gint g = 0; g < groups; g++)
    {
      gfloat m = mean[g], r = rstd[g];
      gdouble sum_dxh = 0.0, sum_dxh_xh = 0.0;
      for (gint c = g * cpg; c < (g + 1) * cpg; c++)
        {
          const gfloat *zc = z + (gsize) c * n_vox, *dc = dy + (gsize) c * n_vox;
          gdouble sd = 0.0, sdx = 0.0;
          for (gsize v = 0; v < n_vox; v++)
            {
              gfloat xh = (zc[v] - m) * r;
              sd += dc[v];
              sdx += dc[v] * xh;
            }
          dbeta[c] += (gfloat) sd;
          dgamma[c] += (gfloat) sdx;
          sum_dxh += sd * gamma[c];
          sum_dxh_xh += sdx * gamma[c];
        }
      gfloat mean_d = (gfloat) (sum_dxh / n), mean_dx = (gfloat) (sum_dxh_xh / n);
      for (gint c = g * cpg; c < (g + 1) * cpg; c++)
        {
          const gfloat *zc = z + (gsize) c * n_vox;
          gfloat *dc = dy + (gsize) c * n_vox;
          for (gsize v = 0; v < n_vox; v++)
            {
              gfloat xh = (zc[v] - m) * r;
              dc[v] = r * (dc[v] * gamma[c] - mean_d - xh * mean_dx);
            }
        }
    }
}

typedef struct
{
  const gfloat *x;
  gint d, h, w, k;
  gfloat *y;
  guint32 *argmax;
} Pool;

#if defined(__AVX512F__)
/* Output row (c, oz, oy) of a 2×2×2 pool, 16 outputs at a time: each of the
 * four input rows gives 32 values that de-interleave into dx = 0 and 1, and
 * the eight candidates are compared in the scalar loop's order (dz, dy, dx)
 * with the same strict >, so values and argmax are the same. */
static void
pool_row2 (const Pool *p, gsize c, gint oz, gint oy)
{
  gint ow = p->w / 2, oh = p->h / 2, od = p->d / 2;
  const __m512i ev = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                        30);
  const __m512i odd = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29,
                                         31);
  const __m512i lane2 = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
  gsize o = (((c * od) + oz) * oh + oy) * ow;
  for (gint x0 = 0; x0 < ow; x0 += 16)
    {
      gint n = MIN (16, ow - x0);
      __mmask16 m = n >= 16 ? 0xffff : (__mmask16) ((1u << n) - 1);
      __mmask16 m0 = 2 * n >= 16 ? 0xffff : (__mmask16) ((1u << (2 * n)) - 1);
      __mmask16 m1 = 2 * n - 16 >= 16 ? 0xffff
                     : 2 * n <= 16 ? 0 : (__mmask16) ((1u << (2 * n - 16)) - 1);
      __m512 best = _mm512_setzero_ps ();
      __m512i arg = _mm512_setzero_si512 ();
      gboolean first = TRUE;
      for (int dz = 0; dz < 2; dz++)
        for (int dy = 0; dy < 2; dy++)
          {
            gsize row = ((c * p->d) + oz * 2 + dz) * p->h + oy * 2 + dy;
            gsize base = row * p->w + 2 * (gsize) x0;
            __m512 v0 = _mm512_maskz_loadu_ps (m0, p->x + base);
            __m512 v1 = _mm512_maskz_loadu_ps (m1, p->x + base + 16);
            __m512i idx = _mm512_add_epi32 (_mm512_set1_epi32 ((gint32) (guint32) base), lane2);
            __m512 cand[2] = { _mm512_permutex2var_ps (v0, ev, v1),
                               _mm512_permutex2var_ps (v0, odd, v1) };
            for (int dx = 0; dx < 2; dx++)
              {
                __m512i ci = _mm512_add_epi32 (idx, _mm512_set1_epi32 (dx));
                if (first)
                  {
                    best = cand[dx];
                    arg = ci;
                    first = FALSE;
                    continue;
                  }
                __mmask16 gt = _mm512_cmp_ps_mask (cand[dx], best, _CMP_GT_OQ);
                best = _mm512_mask_blend_ps (gt, best, cand[dx]);
                arg = _mm512_mask_blend_epi32 (gt, arg, ci);
              }
          }
      _mm512_mask_storeu_ps (p->y + o + x0, m, best);
      _mm512_mask_storeu_epi32 (p->argmax + o + x0, m, arg);
    }
}
#endif

/* Output planes [start, end) over all channels (plane = c·od + oz). */
static void
pool_planes (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Pool *p = user_data;
  gint k = p->k, od = p->d / k, oh = p->h / k, ow = p->w / k;
  for (gsize plane = start; plane < end; plane++)
    {
      gsize c = plane / od;
      gint oz = plane % od;
#if defined(__AVX512F__)
      if (k == 2)
        {
          for (gint oy = 0; oy < oh; oy++)
            pool_row2 (p, c, oz, oy);
          continue;
        }
#endif
      for (gint oy = 0; oy < oh; oy++)
        for (gint ox = 0; ox < ow; ox++)
          {
            gsize best = 0;
            gfloat bv = -G_MAXFLOAT;
            gboolean first = TRUE;
            for (gint dz = 0; dz < k; dz++)
              for (gint dy = 0; dy < k; dy++)
                for (gint dx = 0; dx < k; dx++)
                  {
                    gsize idx = (((c * p->d) + oz * k + dz) * p->h + oy * k + dy) * p->w
                                + ox * k + dx;
                    if (first || p->x[idx] > bv)
                      {
                        bv = p->x[idx];
                        best = idx;
                        first = FALSE;
                      }
                  }
            gsize o = (((c * od) + oz) * oh + oy) * ow + ox;
            p->y[o] = bv;
            p->argmax[o] = (guint32) best;
          }
    }
}

void
aet_maxpool_forward (const gfloat *x, const gint in[3], gint channels, gint k, gfloat *y,
                     guint32 *argmax, guint n_threads)
{
  Pool p = { x, in[0], in[1], in[2], k, y, argmax };
  aet_parallel_for (n_threads, (gsize) channels * (in[0] / k), pool_planes, &p);
}

void
aet_maxpool_backward (const gfloat *dy, const guint32 *argmax, gsize n_out, gfloat *dx)
{
  for (gsize i = 0; i < n_out; i++)
    dx[argmax[i]] += dy[i];
}
