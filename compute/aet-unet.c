#define G_LOG_DOMAIN "aet-unet"

#include "aet-unet.h"
#include "aet-adam.h"
#include "aet-conv3d.h"
#include "aet-error.h"
#include "aet-parallel.h"
#include "aet-volume.h"

#include <math.h>
#include <string.h>

typedef struct
{
  AetLayerSpec spec;
  gint p_weight, p_bias, p_gamma, p_beta;   /* indices into params, or -1 */
  /* plan */
  gint in_size[3], out_size[3];
  AetConvGeom geom;
  AetTensor *out, *grad, *pre;              /* pre: before normalisation */
  guint32 *argmax;
  gfloat *mean, *rstd;
  gdouble seconds[2];                       /* profiling: forward, backward */
  gint alias;                               /* out and grad are channels of this
                                             * concatenation's, or -1 */
  gint alias_c0;                            /* from this channel on */
  gboolean grad_set;                        /* backward: grad holds a value yet */
} Layer;

struct _AetUnet
{
  char *what;
  Layer *layers;
  guint n_layers;
  gint in_channels;
  gdouble voxel_size;                       /* Å: the sampling it was trained at */
  GArray *params;                           /* AetParam */
  guint n_threads;
  guint plan_threads;                       /* the scratch is sized per thread */
  AetConvMethod plan_method;                /* and per convolution method */
  gboolean want_input_grad;
  gboolean input_grad_set;
  gboolean profiling;
  /* plan */
  gint size[3];
  gboolean grads_ready;
  AetTensor *input, *input_grad, *loss_grad;
  gfloat *scratch;
};

/* A guard against absurd files: 256 Mi floats (1 GiB) in one layer. */
#define AET_UNET_MAX_LAYER_WEIGHTS ((gsize) 1 << 28)

static gint
channels_of (const AetUnet *net, gint index)
{
  return index == AET_LAYER_INPUT ? net->in_channels : net->layers[index].spec.out_channels;
}

static char *
source_name (gint index)
{
  return index == AET_LAYER_INPUT ? g_strdup ("the input") : g_strdup_printf ("layer %d", index);
}

static void
add_param (AetUnet *net, guint layer, const char *name, gsize n, gint *slot)
{
  if (n == 0)
    {
      *slot = -1;
      return;
    }
  AetParam p = { name, layer, n, aet_floats_new (n), aet_floats_new (n) };
  *slot = (gint) net->params->len;
  g_array_append_val (net->params, p);
}

static gboolean
check_graph (AetUnet *net, GError **error)
{
  for (guint i = 0; i < net->n_layers; i++)
    {
      const AetLayerSpec *s = &net->layers[i].spec;
      const char *kind = aet_layer_kind_name (s->kind);
      g_autofree char *reason = NULL;
      if (!aet_layer_spec_check (s, &reason))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: layer %u (%s) %s", net->what,
                       i, kind, reason);
          return FALSE;
        }
      if (aet_layer_n_weights (s) > AET_UNET_MAX_LAYER_WEIGHTS)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: layer %u (%s) would have %" G_GSIZE_FORMAT " weights, too many",
                       net->what, i, kind, aet_layer_n_weights (s));
          return FALSE;
        }
      gint total = 0;
      for (gint j = 0; j < s->n_inputs; j++)
        {
          gint src = s->inputs[j];
          if (src < AET_LAYER_INPUT || src >= (gint) i)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: layer %u (%s) reads layer %d, which does not come before it",
                           net->what, i, kind, src);
              return FALSE;
            }
          total += channels_of (net, src);
        }
      if (total != s->in_channels)
        {
          if (s->n_inputs == 1)
            {
              g_autofree char *src = source_name (s->inputs[0]);
              g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                           "%s: layer %u (%s) expects %d input channels but %s gives %d",
                           net->what, i, kind, s->in_channels, src, total);
            }
          else
            g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                         "%s: layer %u (%s) expects %d input channels but its %d inputs "
                         "give %d", net->what, i, kind, s->in_channels, s->n_inputs, total);
          return FALSE;
        }
      if (s->kind == AET_LAYER_CONCAT && s->out_channels != s->in_channels)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: layer %u (concat) joins %d channels but says it gives %d",
                       net->what, i, s->in_channels, s->out_channels);
          return FALSE;
        }
    }
  return TRUE;
}

AetUnet *
aet_unet_new (const AetLayerSpec *specs, guint n_layers, gint in_channels, const char *what,
              GError **error)
{
  g_return_val_if_fail (specs != NULL || n_layers == 0, NULL);
  g_autofree char *name = g_strdup (what != NULL ? what : "network");
  if (n_layers == 0 || n_layers > 1000)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: has %u layers", name, n_layers);
      return NULL;
    }
  if (in_channels < 1 || in_channels > 4096)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: has %d input channels", name,
                   in_channels);
      return NULL;
    }
  AetUnet *net = g_new0 (AetUnet, 1);
  net->what = g_steal_pointer (&name);
  net->n_layers = n_layers;
  net->in_channels = in_channels;
  net->voxel_size = AET_UNET_DEFAULT_VOXEL_SIZE;
  net->n_threads = 1;
  net->layers = g_new0 (Layer, n_layers);
  net->params = g_array_new (FALSE, TRUE, sizeof (AetParam));
  for (guint i = 0; i < n_layers; i++)
    {
      net->layers[i].spec = specs[i];
      net->layers[i].p_weight = net->layers[i].p_bias = -1;
      net->layers[i].p_gamma = net->layers[i].p_beta = -1;
    }
  if (!check_graph (net, error))
    {
      aet_unet_free (net);
      return NULL;
    }
  for (guint i = 0; i < n_layers; i++)
    {
      Layer *l = &net->layers[i];
      add_param (net, i, "weight", aet_layer_n_weights (&l->spec), &l->p_weight);
      add_param (net, i, "bias", aet_layer_n_bias (&l->spec), &l->p_bias);
      add_param (net, i, "gamma", aet_layer_n_norm (&l->spec), &l->p_gamma);
      add_param (net, i, "beta", aet_layer_n_norm (&l->spec), &l->p_beta);
      if (l->p_gamma >= 0)
        for (gint k = 0; k < l->spec.out_channels; k++)
          g_array_index (net->params, AetParam, l->p_gamma).data[k] = 1.0f;
    }
  return net;
}

static void
free_plan (AetUnet *net)
{
  for (guint i = 0; i < net->n_layers; i++)
    {
      Layer *l = &net->layers[i];
      g_clear_pointer (&l->out, aet_tensor_free);
      g_clear_pointer (&l->grad, aet_tensor_free);
      g_clear_pointer (&l->pre, aet_tensor_free);
      g_clear_pointer (&l->argmax, g_free);
      g_clear_pointer (&l->mean, g_free);
      g_clear_pointer (&l->rstd, g_free);
    }
  g_clear_pointer (&net->input, aet_tensor_free);
  g_clear_pointer (&net->input_grad, aet_tensor_free);
  g_clear_pointer (&net->loss_grad, aet_tensor_free);
  g_clear_pointer (&net->scratch, aet_floats_free);
  memset (net->size, 0, sizeof net->size);
  net->grads_ready = FALSE;
}

void
aet_unet_free (AetUnet *net)
{
  if (net == NULL)
    return;
  free_plan (net);
  for (guint i = 0; i < net->params->len; i++)
    {
      AetParam *p = &g_array_index (net->params, AetParam, i);
      aet_floats_free (p->data);
      aet_floats_free (p->grad);
    }
  g_array_unref (net->params);
  g_free (net->layers);
  g_free (net->what);
  g_free (net);
}

/* ---- the default architecture ---- */

typedef struct
{
  GArray *specs;
} Builder;

static gint
add_layer (Builder *b, AetLayerKind kind, gint in, gint out, gint k, gint s, gint p,
           AetActivation act, gint n_inputs, const gint *inputs)
{
  AetLayerSpec spec = { 0 };
  spec.kind = kind;
  spec.in_channels = in;
  spec.out_channels = out;
  spec.kernel = k;
  spec.stride = s;
  spec.padding = p;
  spec.activation = act;
  spec.slope = act == AET_ACT_LEAKY_RELU ? 0.2f : 0.0f;
  spec.norm = AET_NORM_NONE;
  spec.n_inputs = n_inputs;
  for (gint i = 0; i < n_inputs; i++)
    spec.inputs[i] = inputs[i];
  g_array_append_val (b->specs, spec);
  return (gint) b->specs->len - 1;
}

/* A 3×3×3 convolution with LeakyReLU reading layer `from`. */
static gint
conv3 (Builder *b, gint from, gint in, gint out, gint stride)
{
  return add_layer (b, AET_LAYER_CONV3D, in, out, 3, stride, 1, AET_ACT_LEAKY_RELU, 1, &from);
}

AetUnet *
aet_unet_new_default (gint base_channels, gint depth, guint64 seed)
{
  return aet_unet_new_default_full (base_channels, depth, AET_ACT_RELU, seed);
}

AetUnet *
aet_unet_new_default_full (gint base_channels, gint depth, AetActivation output_activation,
                           guint64 seed)
{
  g_return_val_if_fail (base_channels >= 1 && base_channels <= 256, NULL);
  g_return_val_if_fail (depth >= 1 && depth <= 5, NULL);
  g_return_val_if_fail (2 * (base_channels << depth) <= 4096, NULL);
  g_autoptr (GArray) specs = g_array_new (FALSE, TRUE, sizeof (AetLayerSpec));
  Builder b = { specs };
  gint skip[6], ch[6];
  for (gint l = 0; l <= depth; l++)
    ch[l] = base_channels << l;

  gint x = conv3 (&b, AET_LAYER_INPUT, 1, ch[0], 1);
  x = skip[0] = conv3 (&b, x, ch[0], ch[0], 1);
  for (gint l = 1; l <= depth; l++)
    {
      if (l % 2 == 1)
        {
          x = add_layer (&b, AET_LAYER_MAXPOOL, ch[l - 1], ch[l - 1], 2, 2, 0, AET_ACT_NONE,
                         1, &x);
          x = conv3 (&b, x, ch[l - 1], ch[l], 1);
        }
      else
        x = conv3 (&b, x, ch[l - 1], ch[l], 2);
      x = skip[l] = conv3 (&b, x, ch[l], ch[l], 1);
    }
  for (gint l = depth; l >= 1; l--)
    {
      x = add_layer (&b, AET_LAYER_CONVT3D, ch[l], ch[l - 1], 2, 2, 0, AET_ACT_LEAKY_RELU,
                     1, &x);
      gint both[2] = { x, skip[l - 1] };
      x = add_layer (&b, AET_LAYER_CONCAT, 2 * ch[l - 1], 2 * ch[l - 1], 0, 0, 0,
                     AET_ACT_NONE, 2, both);
      x = conv3 (&b, x, 2 * ch[l - 1], ch[l - 1], 1);
      x = conv3 (&b, x, ch[l - 1], ch[l - 1], 1);
    }
  add_layer (&b, AET_LAYER_CONV3D, ch[0], 1, 1, 1, 0, output_activation, 1, &x);

  g_autoptr (GError) error = NULL;
  AetUnet *net = aet_unet_new ((AetLayerSpec *) specs->data, specs->len, 1, "default U-Net",
                               &error);
  g_assert_no_error (error);
  aet_unet_init_he (net, seed);
  return net;
}

void
aet_unet_init_he (AetUnet *net, guint64 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed_array ((const guint32 *) &seed, 2);
  for (guint i = 0; i < net->n_layers; i++)
    {
      Layer *l = &net->layers[i];
      const AetLayerSpec *s = &l->spec;
      if (l->p_weight < 0)
        continue;
      gdouble k3 = (gdouble) s->kernel * s->kernel * s->kernel;
      gdouble fan_in = s->in_channels * k3;
      if (s->kind == AET_LAYER_CONVT3D)
        fan_in /= (gdouble) s->stride * s->stride * s->stride;
      gdouble a = s->activation == AET_ACT_LEAKY_RELU ? s->slope
                  : s->activation == AET_ACT_RELU ? 0.0 : 1.0;
      gdouble std = sqrt (2.0 / ((1.0 + a * a) * MAX (fan_in, 1.0)));
      AetParam *w = &g_array_index (net->params, AetParam, l->p_weight);
      for (gsize k = 0; k < w->n; k += 2)
        {
          /* Box–Muller: two normals from two uniforms */
          gdouble u1 = g_rand_double (rand), u2 = g_rand_double (rand);
          gdouble r = sqrt (-2.0 * log (1.0 - u1));
          w->data[k] = (gfloat) (std * r * cos (2.0 * G_PI * u2));
          if (k + 1 < w->n)
            w->data[k + 1] = (gfloat) (std * r * sin (2.0 * G_PI * u2));
        }
      if (l->p_bias >= 0)
        {
          AetParam *bias = &g_array_index (net->params, AetParam, l->p_bias);
          memset (bias->data, 0, bias->n * sizeof (gfloat));
        }
      if (l->p_gamma >= 0)
        {
          AetParam *g = &g_array_index (net->params, AetParam, l->p_gamma);
          AetParam *be = &g_array_index (net->params, AetParam, l->p_beta);
          for (gsize k = 0; k < g->n; k++)
            {
              g->data[k] = 1.0f;
              be->data[k] = 0.0f;
            }
        }
    }
}

guint
aet_unet_get_n_layers (const AetUnet *net)
{
  return net->n_layers;
}

const AetLayerSpec *
aet_unet_get_layer (const AetUnet *net, guint index)
{
  g_return_val_if_fail (index < net->n_layers, NULL);
  return &net->layers[index].spec;
}

gint
aet_unet_get_in_channels (const AetUnet *net)
{
  return net->in_channels;
}

gint
aet_unet_get_out_channels (const AetUnet *net)
{
  return net->layers[net->n_layers - 1].spec.out_channels;
}

guint
aet_unet_get_n_params (const AetUnet *net)
{
  return net->params->len;
}

AetParam *
aet_unet_get_param (AetUnet *net, guint index)
{
  g_return_val_if_fail (index < net->params->len, NULL);
  return &g_array_index (net->params, AetParam, index);
}

gsize
aet_unet_count_parameters (const AetUnet *net)
{
  gsize n = 0;
  for (guint i = 0; i < net->params->len; i++)
    n += g_array_index (net->params, AetParam, i).n;
  return n;
}

gdouble
aet_unet_get_voxel_size (const AetUnet *net)
{
  return net->voxel_size;
}

void
aet_unet_set_voxel_size (AetUnet *net, gdouble voxel_size)
{
  g_return_if_fail (voxel_size > 0 && isfinite (voxel_size));
  net->voxel_size = voxel_size;
}

void
aet_unet_set_threads (AetUnet *net, guint n_threads)
{
  net->n_threads = MAX (n_threads, 1u);
}

void
aet_unet_set_profiling (AetUnet *net, gboolean enable)
{
  net->profiling = enable;
  for (guint i = 0; i < net->n_layers; i++)
    net->layers[i].seconds[0] = net->layers[i].seconds[1] = 0.0;
}

void
aet_unet_get_layer_seconds (const AetUnet *net, guint index, gdouble *forward,
                            gdouble *backward)
{
  g_return_if_fail (index < net->n_layers);
  if (forward != NULL)
    *forward = net->layers[index].seconds[0];
  if (backward != NULL)
    *backward = net->layers[index].seconds[1];
}

/* Per layer: the grid step J (input voxels per output voxel) and the input
 * interval [o·J + lo, o·J + hi] output voxel o depends on.  A convolution
 * reads inputs o·s − p … o·s − p + k − 1; a transposed one inputs i with
 * i·s − p + t = o, t < k. */
static void
receptive_fields (const AetUnet *net, gdouble *jump, gdouble *lo, gdouble *hi)
{
  for (guint i = 0; i < net->n_layers; i++)
    {
      const AetLayerSpec *s = &net->layers[i].spec;
      gdouble j_in = 1.0, l_in = 0.0, h_in = 0.0;
      for (gint k = 0; k < s->n_inputs; k++)
        {
          gint src = s->inputs[k];
          gdouble js = src < 0 ? 1.0 : jump[src];
          gdouble ls = src < 0 ? 0.0 : lo[src];
          gdouble hs = src < 0 ? 0.0 : hi[src];
          j_in = k == 0 ? js : MAX (j_in, js);
          l_in = k == 0 ? ls : MIN (l_in, ls);
          h_in = k == 0 ? hs : MAX (h_in, hs);
        }
      switch (s->kind)
        {
        case AET_LAYER_CONV3D:
        case AET_LAYER_MAXPOOL:
          jump[i] = j_in * s->stride;
          lo[i] = l_in - s->padding * j_in;
          hi[i] = h_in + (s->kernel - 1 - s->padding) * j_in;
          break;
        case AET_LAYER_CONVT3D:
          jump[i] = j_in / s->stride;
          lo[i] = l_in + (s->padding - s->kernel + 1) * jump[i];
          hi[i] = h_in + s->padding * jump[i];
          break;
        case AET_LAYER_CONCAT:
        default:
          jump[i] = j_in;
          lo[i] = l_in;
          hi[i] = h_in;
          break;
        }
    }
}

gint
aet_unet_get_alignment (const AetUnet *net)
{
  g_autofree gdouble *jump = g_new (gdouble, net->n_layers);
  g_autofree gdouble *lo = g_new (gdouble, net->n_layers);
  g_autofree gdouble *hi = g_new (gdouble, net->n_layers);
  receptive_fields (net, jump, lo, hi);
  gdouble m = 1.0;
  for (guint i = 0; i < net->n_layers; i++)
    m = MAX (m, jump[i]);
  return (gint) ceil (m - 1e-9);
}

gint
aet_unet_get_receptive_radius (const AetUnet *net)
{
  g_autofree gdouble *jump = g_new (gdouble, net->n_layers);
  g_autofree gdouble *lo = g_new (gdouble, net->n_layers);
  g_autofree gdouble *hi = g_new (gdouble, net->n_layers);
  receptive_fields (net, jump, lo, hi);
  guint last = net->n_layers - 1;
  return (gint) ceil (MAX (-lo[last], hi[last]) - 1e-9);
}

/* ---- planning ---- */

static const gint *
size_of (const AetUnet *net, gint index)
{
  return index == AET_LAYER_INPUT ? net->size : net->layers[index].out_size;
}

/* A layer read by a concatenation writes straight into the concatenation's
 * buffer: its output (and later its gradient) becomes a view of the
 * channels it fills, so the concatenation copies nothing forward and adds
 * nothing backward for it (the gradient its other readers add lands in the
 * same memory).  Only when the concatenation's output is a plain copy (no
 * activation or normalisation), for a layer (not the network input) that no
 * other concatenation took and that the concatenation reads once.  From
 * the last layer down, so a concatenation that itself became a view of a
 * later one hands out views of that. */
static void
alias_into_concats (AetUnet *net)
{
  for (guint i = 0; i < net->n_layers; i++)
    net->layers[i].alias = -1;
  for (guint i = net->n_layers; i-- > 0;)
    {
      Layer *l = &net->layers[i];
      const AetLayerSpec *s = &l->spec;
      if (s->kind != AET_LAYER_CONCAT || s->activation != AET_ACT_NONE || l->pre != NULL)
        continue;
      gint c0 = 0;
      for (gint j = 0; j < s->n_inputs; c0 += channels_of (net, s->inputs[j]), j++)
        {
          gint src = s->inputs[j];
          gboolean repeated = FALSE;
          for (gint k = 0; k < j; k++)
            repeated |= s->inputs[k] == src;
          if (src == AET_LAYER_INPUT || repeated || net->layers[src].alias >= 0)
            continue;
          Layer *from = &net->layers[src];
          aet_tensor_free (from->out);
          from->out = aet_tensor_new_view (l->out, c0, from->spec.out_channels);
          from->alias = (gint) i;
          from->alias_c0 = c0;
        }
    }
}

gboolean
aet_unet_plan (AetUnet *net, gint d, gint h, gint w, GError **error)
{
  if (net->size[0] == d && net->size[1] == h && net->size[2] == w && net->input != NULL
      && net->plan_threads == net->n_threads && net->plan_method == aet_conv3d_get_method ())
    return TRUE;
  free_plan (net);
  if (d < 1 || h < 1 || w < 1 || d > AET_VOLUME_MAX_EDGE || h > AET_VOLUME_MAX_EDGE
      || w > AET_VOLUME_MAX_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: input size %d×%d×%d is out of "
                   "range", net->what, w, h, d);
      return FALSE;
    }
  net->size[0] = d;
  net->size[1] = h;
  net->size[2] = w;
  gsize scratch = 1;
  gint align = aet_unet_get_alignment (net);
  for (guint i = 0; i < net->n_layers; i++)
    {
      Layer *l = &net->layers[i];
      const AetLayerSpec *s = &l->spec;
      const gint *in = size_of (net, s->inputs[0]);
      for (gint j = 1; j < s->n_inputs; j++)
        {
          const gint *other = size_of (net, s->inputs[j]);
          if (memcmp (in, other, 3 * sizeof (gint)) != 0)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                           "%s: input %d×%d×%d does not fit: layer %u (concat) joins "
                           "%d×%d×%d and %d×%d×%d (sizes must be multiples of %d)", net->what,
                           w, h, d, i, in[2], in[1], in[0], other[2], other[1], other[0],
                           align);
              memset (net->size, 0, sizeof net->size);
              return FALSE;
            }
        }
      memcpy (l->in_size, in, sizeof l->in_size);
      if (!aet_layer_output_size (s, l->in_size, l->out_size))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "%s: input %d×%d×%d does not fit: layer %u (%s) cannot take "
                       "%d×%d×%d (sizes must be multiples of %d)", net->what, w, h, d, i,
                       aet_layer_kind_name (s->kind), in[2], in[1], in[0], align);
          memset (net->size, 0, sizeof net->size);
          return FALSE;
        }
      if (s->kind == AET_LAYER_CONV3D)
        aet_conv_geom_init (&l->geom, s->in_channels, in[0], in[1], in[2], s->out_channels,
                            s->kernel, s->stride, s->padding);
      else if (s->kind == AET_LAYER_CONVT3D)
        {
          /* the convolution this one is the adjoint of: from our output to our input */
          aet_conv_geom_init (&l->geom, s->out_channels, l->out_size[0], l->out_size[1],
                              l->out_size[2], s->in_channels, s->kernel, s->stride,
                              s->padding);
          g_assert (l->geom.od == in[0] && l->geom.oh == in[1] && l->geom.ow == in[2]);
        }
      if (s->kind == AET_LAYER_CONV3D || s->kind == AET_LAYER_CONVT3D)
        scratch = MAX (scratch, aet_conv_scratch_floats (&l->geom, net->n_threads));
      l->out = aet_tensor_new (s->out_channels, l->out_size[0], l->out_size[1], l->out_size[2]);
      if (s->norm != AET_NORM_NONE)
        {
          l->pre = aet_tensor_new (s->out_channels, l->out_size[0], l->out_size[1],
                                   l->out_size[2]);
          l->mean = g_new0 (gfloat, s->groups);
          l->rstd = g_new0 (gfloat, s->groups);
        }
      if (s->kind == AET_LAYER_MAXPOOL)
        {
          gsize n_in = (gsize) s->in_channels * in[0] * in[1] * in[2];
          if (n_in >= G_MAXUINT32)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                           "%s: input %d×%d×%d is too large", net->what, w, h, d);
              free_plan (net);
              return FALSE;
            }
          l->argmax = g_new0 (guint32, l->out->n);
        }
    }
  alias_into_concats (net);
  net->input = aet_tensor_new (net->in_channels, d, h, w);
  net->scratch = aet_floats_new (scratch);
  net->plan_threads = net->n_threads;
  net->plan_method = aet_conv3d_get_method ();
  return TRUE;
}

/* Gradients are only needed for training: allocated at the first backward
 * pass of a plan. */
static void
plan_grads (AetUnet *net)
{
  if (net->grads_ready)
    return;
  for (guint i = 0; i < net->n_layers; i++)
    {
      AetTensor *o = net->layers[i].out;
      if (net->layers[i].alias < 0)
        net->layers[i].grad = aet_tensor_new (o->c, o->d, o->h, o->w);
    }
  /* views from the last layer down: a concatenation's gradient may itself be
   * a view into a later one's */
  for (guint i = net->n_layers; i-- > 0;)
    {
      Layer *l = &net->layers[i];
      if (l->alias >= 0)
        l->grad = aet_tensor_new_view (net->layers[l->alias].grad, l->alias_c0,
                                       l->spec.out_channels);
    }
  net->input_grad = aet_tensor_new (net->input->c, net->input->d, net->input->h,
                                    net->input->w);
  AetTensor *o = net->layers[net->n_layers - 1].out;
  net->loss_grad = aet_tensor_new (o->c, o->d, o->h, o->w);
  net->grads_ready = TRUE;
}

/* ---- passes ---- */

static AetTensor *
output_of (AetUnet *net, gint index)
{
  return index == AET_LAYER_INPUT ? net->input : net->layers[index].out;
}

static AetTensor *
grad_of (AetUnet *net, gint index)
{
  return index == AET_LAYER_INPUT ? net->input_grad : net->layers[index].grad;
}

/* Backward passes write a gradient on first use and add to it after, so
 * no gradient is zeroed beforehand: whether layer `index`'s (or the
 * input's) already holds a value.  A view's is its concatenation's. */
static gboolean
grad_is_set (AetUnet *net, gint index)
{
  if (index == AET_LAYER_INPUT)
    return net->input_grad_set;
  Layer *l = &net->layers[index];
  return l->alias >= 0 ? grad_is_set (net, l->alias) : l->grad_set;
}

static void
grad_mark_set (AetUnet *net, gint index)
{
  if (index == AET_LAYER_INPUT)
    net->input_grad_set = TRUE;
  else
    net->layers[index].grad_set = TRUE;
}

static gfloat *
param_data (AetUnet *net, gint slot)
{
  return slot < 0 ? NULL : g_array_index (net->params, AetParam, slot).data;
}

static gfloat *
param_grad (AetUnet *net, gint slot)
{
  return slot < 0 ? NULL : g_array_index (net->params, AetParam, slot).grad;
}

static void
layer_forward (AetUnet *net, Layer *l)
{
  const AetLayerSpec *s = &l->spec;
  AetTensor *x = output_of (net, s->inputs[0]);
  AetTensor *z = l->pre != NULL ? l->pre : l->out;
  gsize vox = aet_tensor_voxels (z);
  const gfloat *bias = param_data (net, l->p_bias);
  if (s->kind == AET_LAYER_CONV3D && l->pre == NULL)
    {
      /* bias and activation as the convolution writes its outputs */
      aet_conv3d_forward_act (&l->geom, param_data (net, l->p_weight), x->data, bias,
                              s->activation, s->slope, l->out->data, net->scratch,
                              net->n_threads);
      return;
    }
  if (s->kind == AET_LAYER_CONVT3D && l->pre == NULL)
    {
      aet_conv3d_transposed_act (&l->geom, param_data (net, l->p_weight), x->data, bias,
                                 s->activation, s->slope, l->out->data, net->scratch,
                                 net->n_threads);
      return;
    }
  switch (s->kind)
    {
    case AET_LAYER_CONV3D:
      aet_conv3d_forward (&l->geom, param_data (net, l->p_weight), x->data, z->data, FALSE,
                          net->scratch, net->n_threads);
      break;
    case AET_LAYER_CONVT3D:
      aet_conv3d_backward_data (&l->geom, param_data (net, l->p_weight), x->data, z->data,
                                FALSE, net->scratch, net->n_threads);
      break;
    case AET_LAYER_MAXPOOL:
      aet_maxpool_forward (x->data, l->in_size, s->in_channels, s->kernel, z->data,
                           l->argmax, net->n_threads);
      break;
    case AET_LAYER_CONCAT:
    default:
      {
        gsize at = 0;
        for (gint j = 0; j < s->n_inputs; j++)
          {
            AetTensor *in = output_of (net, s->inputs[j]);
            if (in->data != z->data + at)   /* else it wrote here itself */
              memcpy (z->data + at, in->data, in->n * sizeof (gfloat));
            at += in->n;
          }
      }
      break;
    }
  if (l->pre == NULL)
    {
      aet_bias_activation_forward (z->data, bias, s->activation, s->slope, s->out_channels,
                                   vox, net->n_threads);
      return;
    }
  if (bias != NULL)
    aet_bias_forward (z->data, bias, s->out_channels, vox);
  aet_group_norm_forward (l->pre->data, l->out->data, param_data (net, l->p_gamma),
                          param_data (net, l->p_beta), s->out_channels, s->groups, vox,
                          l->mean, l->rstd);
  aet_activation_forward (s->activation, s->slope, l->out->data, l->out->n);
}

const AetTensor *
aet_unet_forward (AetUnet *net, const AetTensor *input, GError **error)
{
  g_return_val_if_fail (net != NULL && input != NULL, NULL);
  if (input->c != net->in_channels)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: takes %d input channels but was given %d", net->what,
                   net->in_channels, input->c);
      return NULL;
    }
  if (!aet_unet_plan (net, input->d, input->h, input->w, error))
    return NULL;
  memcpy (net->input->data, input->data, input->n * sizeof (gfloat));
  for (guint i = 0; i < net->n_layers; i++)
    {
      gint64 t0 = net->profiling ? g_get_monotonic_time () : 0;
      layer_forward (net, &net->layers[i]);
      if (net->profiling)
        net->layers[i].seconds[0] += (g_get_monotonic_time () - t0) * 1e-6;
    }
  return net->layers[net->n_layers - 1].out;
}

void
aet_unet_set_input_grad (AetUnet *net, gboolean enable)
{
  net->want_input_grad = enable;
}

const AetTensor *
aet_unet_get_input_grad (AetUnet *net)
{
  return net->want_input_grad && net->grads_ready ? net->input_grad : NULL;
}

void
aet_unet_zero_param_grads (AetUnet *net)
{
  for (guint i = 0; i < net->params->len; i++)
    {
      AetParam *p = &g_array_index (net->params, AetParam, i);
      memset (p->grad, 0, p->n * sizeof (gfloat));
    }
}

/* Zeroing a tensor in chunks of 64 Ki floats split among threads. */
typedef struct
{
  gfloat *data;
  gsize n;
} TensorZero;

#define ZERO_CHUNK ((gsize) 1 << 16)

static void
zero_chunks (gsize start, gsize end, guint t, gpointer user_data)
{
  TensorZero *z = user_data;
  gsize a = start * ZERO_CHUNK, b = MIN (end * ZERO_CHUNK, z->n);
  memset (z->data + a, 0, (b - a) * sizeof (gfloat));
}

static void
tensor_zero (AetTensor *t, guint n_threads)
{
  TensorZero z = { t->data, t->n };
  aet_parallel_for (n_threads, (t->n + ZERO_CHUNK - 1) / ZERO_CHUNK, zero_chunks, &z);
}

static void
layer_backward (AetUnet *net, Layer *l, guint index)
{
  const AetLayerSpec *s = &l->spec;
  AetTensor *g = l->grad;
  gsize vox = aet_tensor_voxels (g);
  if (!grad_is_set (net, (gint) index))
    {
      /* nothing reads this layer: no gradient reached it */
      tensor_zero (g, net->n_threads);
      grad_mark_set (net, (gint) index);
    }
  if (l->pre == NULL)
    aet_activation_bias_backward (s->activation, s->slope, l->out->data, g->data,
                                  param_grad (net, l->p_bias), s->out_channels, vox,
                                  net->n_threads);
  else
    {
      aet_activation_backward (s->activation, s->slope, l->out->data, g->data, g->n);
      aet_group_norm_backward (l->pre->data, g->data, param_data (net, l->p_gamma),
                               s->out_channels, s->groups, vox, l->mean, l->rstd,
                               param_grad (net, l->p_gamma), param_grad (net, l->p_beta));
      if (l->p_bias >= 0)
        aet_bias_backward (g->data, param_grad (net, l->p_bias), s->out_channels, vox);
    }

  gint src = s->inputs[0];
  gboolean need_dx = src != AET_LAYER_INPUT || net->want_input_grad;
  AetTensor *x = output_of (net, src), *dx = grad_of (net, src);
  gboolean add = grad_is_set (net, src);   /* else the first write sets dx */
  switch (s->kind)
    {
    case AET_LAYER_CONV3D:
      aet_conv3d_backward_weights (&l->geom, x->data, g->data, param_grad (net, l->p_weight),
                                   net->scratch, net->n_threads);
      if (need_dx)
        aet_conv3d_backward_data (&l->geom, param_data (net, l->p_weight), g->data, dx->data,
                                  add, net->scratch, net->n_threads);
      break;
    case AET_LAYER_CONVT3D:
      /* the adjoint convolution runs from our output (g) to our input (x) */
      aet_conv3d_backward_weights (&l->geom, g->data, x->data, param_grad (net, l->p_weight),
                                   net->scratch, net->n_threads);
      if (need_dx)
        aet_conv3d_forward (&l->geom, param_data (net, l->p_weight), g->data, dx->data, add,
                            net->scratch, net->n_threads);
      break;
    case AET_LAYER_MAXPOOL:
      if (need_dx)
        {
          if (!add)
            tensor_zero (dx, net->n_threads);
          aet_maxpool_backward (g->data, l->argmax, g->n, dx->data);
        }
      break;
    case AET_LAYER_CONCAT:
    default:
      {
        gsize at = 0;
        for (gint j = 0; j < s->n_inputs; j++)
          {
            gint in = s->inputs[j];
            AetTensor *gi = grad_of (net, in);
            /* an aliased input's gradient is this memory already */
            if ((in != AET_LAYER_INPUT || net->want_input_grad) && gi->data != g->data + at)
              {
                if (grad_is_set (net, in))
                  for (gsize k = 0; k < gi->n; k++)
                    gi->data[k] += g->data[at + k];
                else
                  memcpy (gi->data, g->data + at, gi->n * sizeof (gfloat));
                grad_mark_set (net, in);
              }
            at += gi->n;
          }
      }
      need_dx = FALSE;
      break;
    }
  if (need_dx)
    grad_mark_set (net, src);
}

void
aet_unet_backward (AetUnet *net, const AetTensor *grad_output)
{
  g_return_if_fail (net->input != NULL);
  plan_grads (net);
  Layer *last = &net->layers[net->n_layers - 1];
  g_return_if_fail (aet_tensor_same_shape (grad_output, last->grad));
  /* gradients are written by their first contributor, except a
   * concatenation's that holds views: its parts may be written in any
   * order, so it starts from zero */
  for (guint i = 0; i < net->n_layers; i++)
    net->layers[i].grad_set = FALSE;
  net->input_grad_set = FALSE;
  for (guint i = 0; i + 1 < net->n_layers; i++)
    if (net->layers[i].alias >= 0)
      {
        Layer *top = &net->layers[net->layers[i].alias];
        while (top->alias >= 0)
          top = &net->layers[top->alias];
        if (!top->grad_set)
          {
            tensor_zero (top->grad, net->n_threads);
            top->grad_set = TRUE;
          }
      }
  if (grad_output != last->grad)
    memcpy (last->grad->data, grad_output->data, grad_output->n * sizeof (gfloat));
  last->grad_set = TRUE;
  for (guint i = net->n_layers; i-- > 0;)
    {
      gint64 t0 = net->profiling ? g_get_monotonic_time () : 0;
      layer_backward (net, &net->layers[i], i);
      if (net->profiling)
        net->layers[i].seconds[1] += (g_get_monotonic_time () - t0) * 1e-6;
    }
  if (net->want_input_grad && !net->input_grad_set)
    tensor_zero (net->input_grad, net->n_threads);   /* no layer reads the input */
}

gdouble
aet_unet_flops (const AetUnet *net, gint d, gint h, gint w, gboolean backward)
{
  /* sizes by the same rules as planning, without allocating */
  g_autofree gint *sizes = g_new0 (gint, 3 * net->n_layers);
  gint in0[3] = { d, h, w };
  gdouble fwd = 0.0, bwd = 0.0;
  for (guint i = 0; i < net->n_layers; i++)
    {
      const AetLayerSpec *s = &net->layers[i].spec;
      const gint *in = s->inputs[0] < 0 ? in0 : sizes + 3 * s->inputs[0];
      gint *out = sizes + 3 * i;
      if (!aet_layer_output_size (s, in, out))
        return 0.0;
      gdouble k3 = (gdouble) s->kernel * s->kernel * s->kernel;
      gdouble mac = 0.0;
      if (s->kind == AET_LAYER_CONV3D)
        mac = k3 * s->in_channels * s->out_channels * ((gdouble) out[0] * out[1] * out[2]);
      else if (s->kind == AET_LAYER_CONVT3D)
        mac = k3 * s->in_channels * s->out_channels * ((gdouble) in[0] * in[1] * in[2]);
      fwd += 2.0 * mac;
      bwd += 2.0 * mac * (s->inputs[0] == AET_LAYER_INPUT ? 1.0 : 2.0);
    }
  return backward ? fwd + bwd : fwd;
}

static gboolean
check_target (AetUnet *net, const AetTensor *out, const AetTensor *target, GError **error)
{
  if (!aet_tensor_same_shape (out, target))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: the target is %d×%d×%d×%d but the output is %d×%d×%d×%d", net->what,
                   target->c, target->w, target->h, target->d, out->c, out->w, out->h, out->d);
      return FALSE;
    }
  return TRUE;
}

static gdouble
mse (const AetTensor *out, const AetTensor *target, gfloat *grad)
{
  gdouble s = 0.0;
  gfloat scale = 2.0f / (gfloat) out->n;
  for (gsize i = 0; i < out->n; i++)
    {
      gfloat d = out->data[i] - target->data[i];
      s += (gdouble) d * d;
      if (grad != NULL)
        grad[i] = scale * d;
    }
  return s / (gdouble) out->n;
}

gboolean
aet_unet_eval_loss (AetUnet *net, const AetTensor *input, const AetTensor *target,
                    gdouble *loss, GError **error)
{
  const AetTensor *out = aet_unet_forward (net, input, error);
  if (out == NULL || !check_target (net, out, target, error))
    return FALSE;
  *loss = mse (out, target, NULL);
  return TRUE;
}

gboolean
aet_unet_train_step (AetUnet *net, AetAdam *adam, const AetTensor *input,
                     const AetTensor *target, gdouble *loss, GError **error)
{
  g_return_val_if_fail (aet_adam_matches (adam, net), FALSE);
  const AetTensor *out = aet_unet_forward (net, input, error);
  if (out == NULL || !check_target (net, out, target, error))
    return FALSE;
  plan_grads (net);
  gdouble l = mse (out, target, net->loss_grad->data);
  if (!isfinite (l))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA, "%s: the loss is not finite", net->what);
      return FALSE;
    }
  aet_unet_zero_param_grads (net);
  aet_unet_backward (net, net->loss_grad);
  aet_adam_clip_gradients (adam, net);
  aet_adam_step (adam, net);
  if (loss != NULL)
    *loss = l;
  return TRUE;
}
