/* Finite-difference gradient checks of every layer kind and of a small
 * U-Net: the analytic gradient of L = Σ r·y (r fixed random) with respect to
 * sampled weights, biases, normalisation parameters and input voxels must
 * match central differences within a relative error of 1e-3 (norm-wise
 * over the samples of each array). */
#include "aet-conv3d.h"
#include "aet-unet.h"

#include <math.h>
#include <string.h>

#define SAMPLES 10

static gdouble
project (const AetTensor *y, const AetTensor *r)
{
  gdouble s = 0.0;
  for (gsize i = 0; i < y->n; i++)
    s += (gdouble) y->data[i] * r->data[i];
  return s;
}

static gdouble
loss_at (AetUnet *net, const AetTensor *x, const AetTensor *r)
{
  g_autoptr (GError) error = NULL;
  const AetTensor *y = aet_unet_forward (net, x, &error);
  g_assert_no_error (error);
  return project (y, r);
}

/* Norm-wise relative error between analytic gradients and central
 * differences (steps ±eps) of `value` at SAMPLES coordinates picked by
 * rand; *kinks counts samples where the two one-sided differences
 * disagree. */
static gdouble
check_array (AetUnet *net, const AetTensor *x, const AetTensor *r, gfloat *value,
             const gfloat *grad, gsize n, GRand *rand, gdouble eps, guint *kinks)
{
  gdouble num = 0.0, den_a = 0.0, den_f = 0.0;
  /* half the samples where the analytic gradient is non-zero (a max-pool
   * passes gradient to one input in eight), half anywhere */
  g_autoptr (GArray) nonzero = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < n; i++)
    if (grad[i] != 0.0f)
      g_array_append_val (nonzero, i);
  for (gint s = 0; s < SAMPLES; s++)
    {
      gsize i;
      if (n <= SAMPLES)
        i = (gsize) s % n;
      else if (s % 2 == 0 && nonzero->len > 0)
        i = g_array_index (nonzero, gsize, g_rand_int_range (rand, 0, (gint32) nonzero->len));
      else
        i = (gsize) g_rand_int_range (rand, 0, (gint32) n);
      gfloat keep = value[i];
      gdouble l0 = loss_at (net, x, r);
      value[i] = keep + (gfloat) eps;
      gdouble lp = loss_at (net, x, r);
      value[i] = keep - (gfloat) eps;
      gdouble lm = loss_at (net, x, r);
      value[i] = keep;
      /* ReLU, LeakyReLU and max-pooling are piecewise linear: a step that
       * crosses a kink (some voxel changing sign or a pooling winner
       * changing) spoils the central difference, but then the one-sided
       * difference on the other side is still exact.  So the estimate is
       * the central one, or a one-sided one where the two halves disagree,
       * whichever the analytic value is closest to; a wrong gradient is far
       * from all three. */
      gdouble fd = (lp - lm) / (2.0 * eps);
      gdouble fd_hi = (lp - l0) / eps, fd_lo = (l0 - lm) / eps;
      if (fabs (fd_hi - fd_lo) > 1e-3 * (fabs (fd) + 1e-3))
        {
          if (fabs (fd_hi - grad[i]) < fabs (fd - grad[i]))
            fd = fd_hi;
          if (fabs (fd_lo - grad[i]) < fabs (fd - grad[i]))
            fd = fd_lo;
          (*kinks)++;
        }
      num += (fd - grad[i]) * (fd - grad[i]);
      den_a += (gdouble) grad[i] * grad[i];
      den_f += fd * fd;
    }
  gdouble den = MAX (sqrt (den_a), sqrt (den_f));
  g_assert_cmpfloat (den, >, 1e-6);   /* a zero gradient would make the check empty */
  return sqrt (num) / den;
}

static void
fill_random (gfloat *p, gsize n, GRand *rand, gdouble scale)
{
  for (gsize i = 0; i < n; i++)
    p[i] = (gfloat) (scale * g_rand_double_range (rand, -1.0, 1.0));
}

/* Checks every parameter array and the input of net on a c×d×h×w input
 * with steps of ±eps; returns the worst relative error.  The step trades
 * float32 rounding (small steps) against kinks (large ones): 5e-4 for one
 * layer, larger for the linearised U-Net which has no kinks but pooling. */
static gdouble
check_net (AetUnet *net, gint c, gint d, gint h, gint w, gdouble eps, const char *label)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  aet_unet_init_he (net, 99);
  /* non-zero biases and affine parameters, so their gradients are exercised */
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      AetParam *p = aet_unet_get_param (net, k);
      if (g_str_equal (p->name, "bias") || g_str_equal (p->name, "beta"))
        fill_random (p->data, p->n, rand, 0.3);
      else if (g_str_equal (p->name, "gamma"))
        for (gsize i = 0; i < p->n; i++)
          p->data[i] = 1.0f + 0.3f * (gfloat) g_rand_double_range (rand, -1.0, 1.0);
    }
  g_autoptr (AetTensor) x = aet_tensor_new (c, d, h, w);
  fill_random (x->data, x->n, rand, 1.0);
  g_autoptr (GError) error = NULL;
  const AetTensor *y = aet_unet_forward (net, x, &error);
  g_assert_no_error (error);
  g_autoptr (AetTensor) r = aet_tensor_new (y->c, y->d, y->h, y->w);
  fill_random (r->data, r->n, rand, 1.0);

  aet_unet_set_input_grad (net, TRUE);
  aet_unet_zero_param_grads (net);
  aet_unet_backward (net, r);
  const AetTensor *gx = aet_unet_get_input_grad (net);
  g_assert_nonnull (gx);
  /* copies: the finite differences rerun forward passes */
  g_autoptr (AetTensor) gx_copy = aet_tensor_new (gx->c, gx->d, gx->h, gx->w);
  memcpy (gx_copy->data, gx->data, gx->n * sizeof (gfloat));

  guint kinks = 0;
  gdouble worst = check_array (net, x, r, x->data, gx_copy->data, x->n, rand, eps, &kinks);
  g_test_message ("%s: input: relative error %.2e", label, worst);
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      AetParam *p = aet_unet_get_param (net, k);
      g_autofree gfloat *g = g_memdup2 (p->grad, p->n * sizeof (gfloat));
      gdouble e = check_array (net, x, r, p->data, g, p->n, rand, eps, &kinks);
      g_test_message ("%s: layer %u %s: relative error %.2e", label, p->layer, p->name, e);
      worst = MAX (worst, e);
    }
  g_test_message ("%s: worst relative error %.2e (%u samples near a kink)", label, worst,
                  kinks);
  g_assert_cmpfloat (worst, <, 1e-3);
  return worst;
}

static AetLayerSpec
spec (AetLayerKind kind, gint in, gint out, gint k, gint s, gint p, AetActivation act,
      gint from)
{
  AetLayerSpec l = { 0 };
  l.kind = kind;
  l.in_channels = in;
  l.out_channels = out;
  l.kernel = k;
  l.stride = s;
  l.padding = p;
  l.activation = act;
  l.slope = 0.2f;
  l.n_inputs = 1;
  l.inputs[0] = from;
  return l;
}

static AetUnet *
net_of (const AetLayerSpec *specs, guint n, gint in_channels)
{
  g_autoptr (GError) error = NULL;
  AetUnet *net = aet_unet_new (specs, n, in_channels, "test", &error);
  g_assert_no_error (error);
  return net;
}

static void
test_conv (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 2, 3, 3, 1, 1, AET_ACT_NONE, AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 2);
  check_net (net, 2, 5, 6, 7, 5e-4, "conv3d k3 s1 p1");
}

static void
test_conv_direct (void)
{
  /* channel counts in eights: forward and input gradient take the direct
   * kernel (where the build targets AVX2) */
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 8, 8, 3, 1, 1, AET_ACT_LEAKY_RELU,
                         AET_LAYER_INPUT);
  aet_conv3d_set_method (AET_CONV_DIRECT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 8);
  check_net (net, 8, 5, 4, 19, 5e-4, "conv3d 8 to 8 (direct kernel)");
}

/* The direct kernel and im2col + sgemm agree on outputs and gradients. */
static void
test_direct_equals_im2col (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 8, 16, 3, 1, 1, AET_ACT_NONE, AET_LAYER_INPUT);
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  g_autoptr (AetTensor) x = aet_tensor_new (8, 7, 9, 21);
  fill_random (x->data, x->n, rand, 1.0);
  g_autoptr (AetTensor) r = aet_tensor_new (16, 7, 9, 21);
  fill_random (r->data, r->n, rand, 1.0);
  AetTensor *y[2] = { NULL, NULL }, *gx[2] = { NULL, NULL };
  gfloat *gw[2] = { NULL, NULL };
  for (int m = 0; m < 2; m++)
    {
      aet_conv3d_set_method (m == 0 ? AET_CONV_DIRECT : AET_CONV_IM2COL);
      g_autoptr (AetUnet) net = net_of (&s, 1, 8);
      aet_unet_init_he (net, 4);
      aet_unet_set_threads (net, 2);
      aet_unet_set_input_grad (net, TRUE);
      const AetTensor *out = aet_unet_forward (net, x, NULL);
      y[m] = aet_tensor_new (out->c, out->d, out->h, out->w);
      memcpy (y[m]->data, out->data, out->n * sizeof (gfloat));
      aet_unet_zero_param_grads (net);
      aet_unet_backward (net, r);
      const AetTensor *g = aet_unet_get_input_grad (net);
      gx[m] = aet_tensor_new (g->c, g->d, g->h, g->w);
      memcpy (gx[m]->data, g->data, g->n * sizeof (gfloat));
      AetParam *p = aet_unet_get_param (net, 0);
      gw[m] = g_memdup2 (p->grad, p->n * sizeof (gfloat));
    }
  aet_conv3d_set_method (AET_CONV_DIRECT);
  for (gsize i = 0; i < y[0]->n; i++)
    g_assert_cmpfloat_with_epsilon (y[0]->data[i], y[1]->data[i], 1e-5);
  for (gsize i = 0; i < gx[0]->n; i++)
    g_assert_cmpfloat_with_epsilon (gx[0]->data[i], gx[1]->data[i], 1e-5);
  for (gsize i = 0; i < (gsize) 16 * 8 * 27; i++)
    g_assert_cmpfloat_with_epsilon (gw[0][i], gw[1][i], 1e-3);
  for (int m = 0; m < 2; m++)
    {
      aet_tensor_free (y[m]);
      aet_tensor_free (gx[m]);
      g_free (gw[m]);
    }
}

/* Largest |a − b| over n values relative to the largest |a|. */
static gdouble
max_rel_diff (const gfloat *a, const gfloat *b, gsize n)
{
  gdouble diff = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      diff = MAX (diff, fabs ((gdouble) a[i] - b[i]));
      scale = MAX (scale, fabs ((gdouble) a[i]));
    }
  g_assert_cmpfloat (scale, >, 0.0);
  return diff / scale;
}

/* One layer on a c×d×h×w input with non-zero biases, run by the direct
 * kernels and by im2col + sgemm (2 threads): outputs, input gradient and
 * every parameter gradient agree to float rounding.  Returns the worst
 * relative difference. */
static gdouble
compare_methods (const AetLayerSpec *s, gint c, gint d, gint h, gint w)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  g_autoptr (AetTensor) x = aet_tensor_new (c, d, h, w);
  fill_random (x->data, x->n, rand, 1.0);
  AetTensor *y[2] = { NULL, NULL }, *gx[2] = { NULL, NULL };
  GPtrArray *grads[2] = { g_ptr_array_new_with_free_func (g_free),
                          g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (AetTensor) r = NULL;
  gdouble worst = 0.0;
  for (int m = 0; m < 2; m++)
    {
      aet_conv3d_set_method (m == 0 ? AET_CONV_DIRECT : AET_CONV_IM2COL);
      g_autoptr (AetUnet) net = net_of (s, 1, c);
      aet_unet_init_he (net, 4);
      g_autoptr (GRand) brand = g_rand_new_with_seed (9);
      fill_random (aet_unet_get_param (net, 1)->data, aet_unet_get_param (net, 1)->n, brand,
                   0.3);
      aet_unet_set_threads (net, 2);
      aet_unet_set_input_grad (net, TRUE);
      const AetTensor *out = aet_unet_forward (net, x, NULL);
      g_assert_nonnull (out);
      y[m] = aet_tensor_new (out->c, out->d, out->h, out->w);
      memcpy (y[m]->data, out->data, out->n * sizeof (gfloat));
      if (r == NULL)
        {
          r = aet_tensor_new (out->c, out->d, out->h, out->w);
          fill_random (r->data, r->n, rand, 1.0);
        }
      aet_unet_zero_param_grads (net);
      aet_unet_backward (net, r);
      const AetTensor *g = aet_unet_get_input_grad (net);
      gx[m] = aet_tensor_new (g->c, g->d, g->h, g->w);
      memcpy (gx[m]->data, g->data, g->n * sizeof (gfloat));
      for (guint k = 0; k < aet_unet_get_n_params (net); k++)
        {
          AetParam *p = aet_unet_get_param (net, k);
          g_ptr_array_add (grads[m], g_memdup2 (p->grad, p->n * sizeof (gfloat)));
        }
      if (m == 1)
        for (guint k = 0; k < aet_unet_get_n_params (net); k++)
          worst = MAX (worst, max_rel_diff (grads[0]->pdata[k], grads[1]->pdata[k],
                                            aet_unet_get_param (net, k)->n));
    }
  aet_conv3d_set_method (AET_CONV_DIRECT);
  worst = MAX (worst, max_rel_diff (y[0]->data, y[1]->data, y[0]->n));
  worst = MAX (worst, max_rel_diff (gx[0]->data, gx[1]->data, gx[0]->n));
  for (int m = 0; m < 2; m++)
    {
      aet_tensor_free (y[m]);
      aet_tensor_free (gx[m]);
      g_ptr_array_unref (grads[m]);
    }
  return worst;
}

/* The direct kernels' edge cases against im2col: rows of 1–4 vector blocks
 * with ragged tails (widths 5 … 70), one input channel, the fused bias and
 * LeakyReLU, and the 2×2×2 stride-2 kernels both ways, with odd sizes. */
static void
test_direct_widths (void)
{
  static const gint widths[] = { 5, 16, 21, 37, 48, 53, 70 };
  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      AetLayerSpec s = spec (AET_LAYER_CONV3D, 8, 8, 3, 1, 1, AET_ACT_LEAKY_RELU,
                             AET_LAYER_INPUT);
      gdouble e = compare_methods (&s, 8, 4, 3, widths[i]);
      g_test_message ("conv3d 8 → 8, width %d: %.2e", widths[i], e);
      g_assert_cmpfloat (e, <, 1e-5);
    }
  AetLayerSpec one = spec (AET_LAYER_CONV3D, 1, 16, 3, 1, 1, AET_ACT_RELU, AET_LAYER_INPUT);
  gdouble e = compare_methods (&one, 1, 5, 6, 33);
  g_test_message ("conv3d 1 → 16, ReLU: %.2e", e);
  g_assert_cmpfloat (e, <, 1e-5);
  AetLayerSpec up = spec (AET_LAYER_CONVT3D, 16, 8, 2, 2, 0, AET_ACT_LEAKY_RELU,
                          AET_LAYER_INPUT);
  for (gint w = 5; w <= 21; w += 16)
    {
      e = compare_methods (&up, 16, 3, 4, w);
      g_test_message ("convt3d 16 → 8 k2 s2, width %d: %.2e", w, e);
      g_assert_cmpfloat (e, <, 1e-5);
    }
  AetLayerSpec down = spec (AET_LAYER_CONV3D, 8, 16, 2, 2, 0, AET_ACT_NONE, AET_LAYER_INPUT);
  e = compare_methods (&down, 8, 5, 7, 37);
  g_test_message ("conv3d 8 → 16 k2 s2 on 37×7×5: %.2e", e);
  g_assert_cmpfloat (e, <, 1e-5);
}

static void
test_convt_direct (void)
{
  /* channels in eights: the 2×2×2 stride-2 kernels (forward with the
   * fused LeakyReLU, input gradient, weight gradient) */
  AetLayerSpec s = spec (AET_LAYER_CONVT3D, 8, 8, 2, 2, 0, AET_ACT_LEAKY_RELU,
                         AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 8);
  check_net (net, 8, 3, 2, 19, 5e-4, "convt3d 8 to 8 k2 s2 (direct kernel)");
}

static void
test_conv_strided (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 2, 3, 3, 2, 1, AET_ACT_LEAKY_RELU,
                         AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 2);
  check_net (net, 2, 8, 7, 6, 5e-4, "conv3d k3 s2 p1 + LeakyReLU");
}

static void
test_conv_pointwise (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 3, 2, 1, 1, 0, AET_ACT_RELU, AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 3);
  check_net (net, 3, 4, 5, 6, 5e-4, "conv3d k1 + ReLU");
}

static void
test_convt (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONVT3D, 3, 2, 2, 2, 0, AET_ACT_LEAKY_RELU,
                         AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 3);
  check_net (net, 3, 3, 4, 5, 5e-4, "convt3d k2 s2");
}

static void
test_convt_k3 (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONVT3D, 2, 2, 3, 2, 1, AET_ACT_NONE, AET_LAYER_INPUT);
  g_autoptr (AetUnet) net = net_of (&s, 1, 2);
  check_net (net, 2, 3, 4, 3, 5e-4, "convt3d k3 s2 p1");
}

static void
test_maxpool (void)
{
  /* a convolution after the pool so the check has weights to vary too */
  AetLayerSpec s[2] = {
    spec (AET_LAYER_MAXPOOL, 2, 2, 2, 2, 0, AET_ACT_NONE, AET_LAYER_INPUT),
    spec (AET_LAYER_CONV3D, 2, 1, 3, 1, 1, AET_ACT_NONE, 0),
  };
  g_autoptr (AetUnet) net = net_of (s, 2, 2);
  check_net (net, 2, 6, 4, 8, 5e-4, "maxpool k2");
}

/* The 2×2×2 max-pool against a plain loop: values and argmax (the first of
 * equal maxima in z, y, x order), on data with many ties and a ragged row
 * end (37 outputs per row). */
static void
test_maxpool_ties (void)
{
  const gint in[3] = { 6, 10, 74 }, c = 3;
  gsize n_in = (gsize) c * in[0] * in[1] * in[2], n_out = n_in / 8;
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  g_autofree gfloat *x = g_new (gfloat, n_in);
  for (gsize i = 0; i < n_in; i++)
    x[i] = (gfloat) g_rand_int_range (rand, -2, 3);
  g_autofree gfloat *y = g_new (gfloat, n_out);
  g_autofree guint32 *arg = g_new (guint32, n_out);
  aet_maxpool_forward (x, in, c, 2, y, arg, 2);
  gsize o = 0;
  for (gint ch = 0; ch < c; ch++)
    for (gint z = 0; z < in[0] / 2; z++)
      for (gint yy = 0; yy < in[1] / 2; yy++)
        for (gint xx = 0; xx < in[2] / 2; xx++, o++)
          {
            gsize best = 0;
            gboolean first = TRUE;
            for (gint dz = 0; dz < 2; dz++)
              for (gint dy = 0; dy < 2; dy++)
                for (gint dx = 0; dx < 2; dx++)
                  {
                    gsize i = (((gsize) ch * in[0] + 2 * z + dz) * in[1] + 2 * yy + dy) * in[2]
                              + 2 * xx + dx;
                    if (first || x[i] > x[best])
                      best = i;
                    first = FALSE;
                  }
            g_assert_cmpuint (arg[o], ==, best);
            g_assert_cmpfloat (y[o], ==, x[best]);
          }
}

static void
test_concat (void)
{
  /* the input feeds two branches: its gradient sums both */
  AetLayerSpec s[4] = {
    spec (AET_LAYER_CONV3D, 1, 2, 3, 1, 1, AET_ACT_LEAKY_RELU, AET_LAYER_INPUT),
    spec (AET_LAYER_CONV3D, 1, 3, 3, 1, 1, AET_ACT_NONE, AET_LAYER_INPUT),
    spec (AET_LAYER_CONCAT, 5, 5, 0, 0, 0, AET_ACT_NONE, 0),
    spec (AET_LAYER_CONV3D, 5, 1, 1, 1, 0, AET_ACT_NONE, 2),
  };
  s[2].n_inputs = 2;
  s[2].inputs[0] = 1;
  s[2].inputs[1] = 0;
  g_autoptr (AetUnet) net = net_of (s, 4, 1);
  check_net (net, 1, 4, 5, 4, 5e-4, "concat");
}

/* Copies layer `from`'s parameters in src to layer `to` of dst. */
static void
copy_layer_params (AetUnet *dst, guint to, AetUnet *src, guint from)
{
  for (guint k = 0; k < aet_unet_get_n_params (dst); k++)
    {
      AetParam *p = aet_unet_get_param (dst, k);
      for (guint j = 0; p->layer == to && j < aet_unet_get_n_params (src); j++)
        {
          AetParam *q = aet_unet_get_param (src, j);
          if (q->layer == from && g_str_equal (q->name, p->name))
            memcpy (p->data, q->data, p->n * sizeof (gfloat));
        }
    }
}

/* The last layer's output of net on x, copied. */
static AetTensor *
output_copy (AetUnet *net, const AetTensor *x)
{
  const AetTensor *o = aet_unet_forward (net, x, NULL);
  g_assert_nonnull (o);
  AetTensor *t = aet_tensor_new (o->c, o->d, o->h, o->w);
  memcpy (t->data, o->data, o->n * sizeof (gfloat));
  return t;
}

/* Layers read by concatenations write into the concatenation's buffer
 * (aet-unet.c): nested (a concatenation read by another), a repeated input
 * (copied the second time) and a layer read by two concatenations (the
 * later one takes it, the earlier copies it).  The output must be exactly
 * the branches side by side, and the gradients must pass the check, with
 * layer 0 also feeding a convolution directly, a layer nobody reads, and
 * the network input concatenated with the result. */
static void
test_concat_views (void)
{
  AetLayerSpec s[8] = {
    spec (AET_LAYER_CONV3D, 1, 2, 3, 1, 1, AET_ACT_LEAKY_RELU, AET_LAYER_INPUT),
    spec (AET_LAYER_CONV3D, 1, 3, 3, 1, 1, AET_ACT_NONE, AET_LAYER_INPUT),
    spec (AET_LAYER_CONCAT, 5, 5, 0, 0, 0, AET_ACT_NONE, 0),
    spec (AET_LAYER_CONV3D, 2, 2, 1, 1, 0, AET_ACT_NONE, 0),
    spec (AET_LAYER_CONCAT, 14, 14, 0, 0, 0, AET_ACT_NONE, 0),
    spec (AET_LAYER_CONV3D, 14, 1, 1, 1, 0, AET_ACT_NONE, 4),
    /* read by nobody: no gradient reaches it */
    spec (AET_LAYER_MAXPOOL, 2, 2, 2, 2, 0, AET_ACT_NONE, 3),
    /* the network input next to the result: copied, its gradient written
     * first by the copy, then added to by layers 0 and 1 */
    spec (AET_LAYER_CONCAT, 2, 2, 0, 0, 0, AET_ACT_NONE, 5),
  };
  s[2].n_inputs = 2;
  s[2].inputs[0] = 1;
  s[2].inputs[1] = 0;
  s[4].n_inputs = 4;
  s[4].inputs[0] = 2;
  s[4].inputs[1] = 0;
  s[4].inputs[2] = 2;
  s[4].inputs[3] = 3;
  s[7].n_inputs = 2;
  s[7].inputs[1] = AET_LAYER_INPUT;
  g_autoptr (GRand) rand = g_rand_new_with_seed (21);
  g_autoptr (AetTensor) x = aet_tensor_new (1, 4, 5, 6);
  fill_random (x->data, x->n, rand, 1.0);

  /* the network up to the outer concatenation, against each branch alone
   * with the same weights: layer 0, layer 1, and layer 3 after layer 0 */
  g_autoptr (AetUnet) cat = net_of (s, 5, 1);
  aet_unet_init_he (cat, 3);
  g_autoptr (AetTensor) y = output_copy (cat, x);
  g_assert_cmpint (y->c, ==, 14);
  g_autoptr (AetUnet) n0 = net_of (&s[0], 1, 1);
  g_autoptr (AetUnet) n1 = net_of (&s[1], 1, 1);
  AetLayerSpec s03[2] = { s[0], s[3] };
  g_autoptr (AetUnet) n3 = net_of (s03, 2, 1);
  copy_layer_params (n0, 0, cat, 0);
  copy_layer_params (n1, 0, cat, 1);
  copy_layer_params (n3, 0, cat, 0);
  copy_layer_params (n3, 1, cat, 3);
  g_autoptr (AetTensor) b0 = output_copy (n0, x);
  g_autoptr (AetTensor) b1 = output_copy (n1, x);
  g_autoptr (AetTensor) b3 = output_copy (n3, x);
  /* [[1, 0], 0, [1, 0], 3] */
  const AetTensor *parts[6] = { b1, b0, b0, b1, b0, b3 };
  gsize at = 0;
  for (guint k = 0; k < G_N_ELEMENTS (parts); k++)
    {
      g_assert_cmpmem (y->data + at, parts[k]->n * sizeof (gfloat), parts[k]->data,
                       parts[k]->n * sizeof (gfloat));
      at += parts[k]->n;
    }
  g_assert_cmpuint (at, ==, y->n);

  g_autoptr (AetUnet) net = net_of (s, 8, 1);
  check_net (net, 1, 4, 6, 4, 5e-4, "concat views");
}

static void
test_group_norm (void)
{
  AetLayerSpec s = spec (AET_LAYER_CONV3D, 2, 4, 3, 1, 1, AET_ACT_LEAKY_RELU,
                         AET_LAYER_INPUT);
  s.norm = AET_NORM_GROUP;
  s.groups = 2;
  g_autoptr (AetUnet) net = net_of (&s, 1, 2);
  check_net (net, 2, 4, 5, 6, 5e-4, "conv3d + group norm");
}

/* The whole small U-Net by finite differences.  Its kinks are the problem
 * there: a step that float32 resolves through sixteen layers moves
 * thousands of pre-activations, some across zero on both sides of every
 * sample, so ReLU, LeakyReLU and max-pooling (each checked alone above) are
 * replaced by linear stand-ins (identity; a 2×2×2 stride-2 convolution),
 * which lets the step be large.  The graph (strided and transposed
 * convolutions, skips, concatenations, gradient sums over two consumers) is
 * what this test checks; the next one covers the real network. */
static void
test_unet (void)
{
  g_autoptr (AetUnet) ref = aet_unet_new_default (2, 2, 7);
  guint n = aet_unet_get_n_layers (ref);
  g_autofree AetLayerSpec *specs = g_new (AetLayerSpec, n);
  for (guint i = 0; i < n; i++)
    {
      specs[i] = *aet_unet_get_layer (ref, i);
      specs[i].activation = AET_ACT_NONE;
      if (specs[i].kind == AET_LAYER_MAXPOOL)
        specs[i].kind = AET_LAYER_CONV3D;  /* same size, k2 s2, and linear */
    }
  g_autoptr (AetUnet) net = net_of (specs, n, 1);
  check_net (net, 1, 8, 8, 12, 0.1, "U-Net base 2 depth 2, linearised");
}

/* The shipped U-Net with its real activations, by Euler's identity: with
 * zero biases, convolutions, ReLU, LeakyReLU, max-pooling and concatenation
 * are all positively homogeneous of degree one, so Σ x·∂L/∂x = L for the
 * input, and Σ W·∂L/∂W = L for the weights of every layer that all paths
 * cross (0, 1 and the last three).  A layer inside a skip's branch scales
 * only that branch, so its sum is the branch's share of L — the same value
 * for every layer of the branch.  Exact, kinks or not. */
static void
test_unet_euler (void)
{
  g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 11);
  g_assert_cmpuint (aet_unet_get_n_layers (net), ==, 16);
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  g_autoptr (AetTensor) x = aet_tensor_new (1, 12, 8, 16);
  fill_random (x->data, x->n, rand, 1.0);
  g_autoptr (AetTensor) r = aet_tensor_new (1, 12, 8, 16);
  fill_random (r->data, r->n, rand, 1.0);
  gdouble l = loss_at (net, x, r);
  g_assert_cmpfloat (fabs (l), >, 1e-3);
  aet_unet_set_input_grad (net, TRUE);
  aet_unet_zero_param_grads (net);
  aet_unet_backward (net, r);
  const AetTensor *gx = aet_unet_get_input_grad (net);
  gdouble s = 0.0, sums[16] = { 0 };
  for (gsize i = 0; i < x->n; i++)
    s += (gdouble) x->data[i] * gx->data[i];
  gdouble worst = fabs (s - l) / fabs (l);
  g_test_message ("Euler identity, input: relative error %.2e", worst);
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      AetParam *p = aet_unet_get_param (net, k);
      if (g_str_equal (p->name, "weight"))
        for (gsize i = 0; i < p->n; i++)
          sums[p->layer] += (gdouble) p->data[i] * p->grad[i];
    }
  /* layer → the layer whose sum it must equal (-1: L itself) */
  const gint ref[16] = { -1, -1, 0, 3, 3, 5, 5, 5, 0, 3, 3, 3, 0, -1, -1, -1 };
  for (guint i = 0; i < 16; i++)
    {
      if (aet_unet_get_layer (net, i)->kind == AET_LAYER_MAXPOOL
          || aet_unet_get_layer (net, i)->kind == AET_LAYER_CONCAT)
        continue;
      gdouble want = ref[i] < 0 ? l : sums[ref[i]];
      gdouble e = fabs (sums[i] - want) / fabs (want);
      g_test_message ("Euler identity, layer %u weights: %s, relative error %.2e", i,
                      ref[i] < 0 ? "= L" : "= its branch", e);
      worst = MAX (worst, e);
    }
  /* the branch shares are genuinely partial (else the test says nothing) */
  g_assert_cmpfloat (fabs (sums[3] - l), >, 1e-2 * fabs (l));
  g_test_message ("Euler identity: worst relative error %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-4);
}

static void
test_thread_count_invariance (void)
{
  /* the same gradients with one and two threads (deterministic split) */
  g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 3);
  g_autoptr (AetTensor) x = aet_tensor_new (1, 16, 16, 16);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  fill_random (x->data, x->n, rand, 1.0);
  g_autoptr (AetTensor) r = aet_tensor_new (1, 16, 16, 16);
  fill_random (r->data, r->n, rand, 1.0);
  g_autofree gfloat *first = NULL;
  gsize n = 0;
  for (guint threads = 1; threads <= 2; threads++)
    {
      aet_unet_set_threads (net, threads);
      g_assert_nonnull (aet_unet_forward (net, x, NULL));
      aet_unet_zero_param_grads (net);
      aet_unet_backward (net, r);
      AetParam *p = aet_unet_get_param (net, 0);
      if (threads == 1)
        {
          first = g_memdup2 (p->grad, p->n * sizeof (gfloat));
          n = p->n;
        }
      else
        for (gsize i = 0; i < n; i++)
          g_assert_cmpfloat_with_epsilon (first[i], p->grad[i],
                                          1e-5 * (1.0 + fabs (first[i])));
    }
}

/* The direct kernels cut the work into the same tasks and groups for any
 * thread count: outputs and gradients are bitwise the same on 1 and 3
 * threads (where the build has them for both layers). */
static void
test_direct_threads_bitwise (void)
{
  AetLayerSpec s[2] = {
    spec (AET_LAYER_CONV3D, 8, 16, 3, 1, 1, AET_ACT_LEAKY_RELU, AET_LAYER_INPUT),
    spec (AET_LAYER_CONVT3D, 16, 8, 2, 2, 0, AET_ACT_NONE, 0),
  };
  AetConvGeom conv, up;
  aet_conv_geom_init (&conv, 8, 6, 9, 40, 16, 3, 1, 1);
  aet_conv_geom_init (&up, 8, 12, 18, 80, 16, 2, 2, 0);   /* the convolution it undoes */
  if (!aet_conv3d_is_direct (&conv) || !aet_conv3d_is_direct (&up))
    {
      g_test_skip ("this build has no direct kernel for one of the layers");
      return;
    }
  g_autoptr (GRand) rand = g_rand_new_with_seed (31);
  g_autoptr (AetTensor) x = aet_tensor_new (8, 6, 9, 40);
  fill_random (x->data, x->n, rand, 1.0);
  g_autoptr (AetTensor) r = aet_tensor_new (8, 12, 18, 80);
  fill_random (r->data, r->n, rand, 1.0);
  g_autoptr (AetTensor) y1 = NULL;
  g_autoptr (AetTensor) g1 = NULL;
  g_autoptr (GPtrArray) p1 = g_ptr_array_new_with_free_func (g_free);
  for (guint threads = 1; threads <= 3; threads += 2)
    {
      g_autoptr (AetUnet) net = net_of (s, 2, 8);
      aet_unet_init_he (net, 5);
      aet_unet_set_threads (net, threads);
      aet_unet_set_input_grad (net, TRUE);
      g_autoptr (AetTensor) y = output_copy (net, x);
      aet_unet_zero_param_grads (net);
      aet_unet_backward (net, r);
      const AetTensor *g = aet_unet_get_input_grad (net);
      if (threads == 1)
        {
          y1 = g_steal_pointer (&y);
          g1 = aet_tensor_new (g->c, g->d, g->h, g->w);
          memcpy (g1->data, g->data, g->n * sizeof (gfloat));
          for (guint k = 0; k < aet_unet_get_n_params (net); k++)
            {
              AetParam *p = aet_unet_get_param (net, k);
              g_ptr_array_add (p1, g_memdup2 (p->grad, p->n * sizeof (gfloat)));
            }
          continue;
        }
      g_assert_cmpmem (y->data, y->n * sizeof (gfloat), y1->data, y1->n * sizeof (gfloat));
      g_assert_cmpmem (g->data, g->n * sizeof (gfloat), g1->data, g1->n * sizeof (gfloat));
      for (guint k = 0; k < aet_unet_get_n_params (net); k++)
        {
          AetParam *p = aet_unet_get_param (net, k);
          g_assert_cmpmem (p->grad, p->n * sizeof (gfloat), p1->pdata[k],
                           p->n * sizeof (gfloat));
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/nn-grad/conv3d", test_conv);
  g_test_add_func ("/compute/nn-grad/conv3d-direct", test_conv_direct);
  g_test_add_func ("/compute/nn-grad/direct-equals-im2col", test_direct_equals_im2col);
  g_test_add_func ("/compute/nn-grad/direct-widths", test_direct_widths);
  g_test_add_func ("/compute/nn-grad/convt-direct", test_convt_direct);
  g_test_add_func ("/compute/nn-grad/conv3d-strided", test_conv_strided);
  g_test_add_func ("/compute/nn-grad/conv3d-pointwise", test_conv_pointwise);
  g_test_add_func ("/compute/nn-grad/convt3d", test_convt);
  g_test_add_func ("/compute/nn-grad/convt3d-k3", test_convt_k3);
  g_test_add_func ("/compute/nn-grad/maxpool", test_maxpool);
  g_test_add_func ("/compute/nn-grad/maxpool-ties", test_maxpool_ties);
  g_test_add_func ("/compute/nn-grad/concat", test_concat);
  g_test_add_func ("/compute/nn-grad/concat-views", test_concat_views);
  g_test_add_func ("/compute/nn-grad/group-norm", test_group_norm);
  g_test_add_func ("/compute/nn-grad/unet", test_unet);
  g_test_add_func ("/compute/nn-grad/unet-euler", test_unet_euler);
  g_test_add_func ("/compute/nn-grad/threads", test_thread_count_invariance);
  g_test_add_func ("/compute/nn-grad/direct-threads-bitwise", test_direct_threads_bitwise);
  return g_test_run ();
}
