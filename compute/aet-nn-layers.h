/* aet-nn-layers.h — the layer kinds of the network and their element-wise parts.
 *
 * A network is a list of layers (aet-unet.h); each layer is described by an
 * AetLayerSpec, plain data that the weights file stores attribute by
 * attribute, so the file alone defines the network.  A layer is an operation
 * (convolution, transposed convolution, max-pooling or channel
 * concatenation) followed by an optional bias, an optional normalisation and
 * an optional activation:
 *
 *   z = op (inputs) + bias;  n = norm (z);  out = act (n)
 *
 * This file holds the spec helpers (names, parameter counts, output sizes)
 * and the forward/backward kernels of the parts that are not convolutions
 * (aet-conv3d.h has those).  All tensors are C × D×H×W, x fastest.
 *
 * Normalisation: with batch 1, batch normalisation is instance normalisation
 * in training, and any normalisation by statistics of the sample makes the
 * output of a tile depend on the whole tile — tiled inference would then
 * show seams.  Group normalisation is offered (and gradient-checked) for
 * experiments, but the shipped architecture uses none; see docs/nn.md.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  AET_LAYER_CONV3D,
  AET_LAYER_CONVT3D,
  AET_LAYER_MAXPOOL,
  AET_LAYER_CONCAT,
} AetLayerKind;

typedef enum
{
  AET_ACT_NONE,
  AET_ACT_RELU,
  AET_ACT_LEAKY_RELU,
} AetActivation;

typedef enum
{
  AET_NORM_NONE,
  AET_NORM_GROUP,
} AetNorm;

#define AET_LAYER_MAX_INPUTS 4
#define AET_LAYER_MAX_KERNEL 7
/* The input index meaning "the network's input" rather than a layer. */
#define AET_LAYER_INPUT (-1)

typedef struct
{
  AetLayerKind kind;
  gint in_channels, out_channels;
  gint kernel, stride, padding;          /* conv/convT/pool; 0 for concat */
  AetActivation activation;
  gfloat slope;                          /* LeakyReLU negative slope */
  AetNorm norm;
  gint groups;                           /* group norm: groups (divides out_channels) */
  gint n_inputs;
  gint inputs[AET_LAYER_MAX_INPUTS];     /* earlier layer indices or AET_LAYER_INPUT */
} AetLayerSpec;

/* Names as stored in the weights file ("conv3d", "convt3d", "maxpool",
 * "concat"; "none", "relu", "leaky_relu"; "none", "group"). Static strings. */
const char *aet_layer_kind_name (AetLayerKind kind);
const char *aet_activation_name (AetActivation act);
const char *aet_norm_name (AetNorm norm);
/* Parse a name; FALSE when unknown. */
gboolean aet_layer_kind_from_name (const char *name, AetLayerKind *kind);
gboolean aet_activation_from_name (const char *name, AetActivation *act);
gboolean aet_norm_from_name (const char *name, AetNorm *norm);

/* The number of floats in each learned parameter of the layer (0 when the
 * layer has none of that kind).  Conv weights: out × in·k³; transposed conv
 * weights: in × out·k³ (the matrix of the convolution it is the adjoint of). */
gsize aet_layer_n_weights (const AetLayerSpec *spec);
gsize aet_layer_n_bias (const AetLayerSpec *spec);
gsize aet_layer_n_norm (const AetLayerSpec *spec);

/* The output grid for an input grid; FALSE when it would be empty or when
 * the layer does not map sizes that way (pooling needs divisible sizes). */
gboolean aet_layer_output_size (const AetLayerSpec *spec, const gint in[3], gint out[3]);

/* Checks the spec alone (positive sizes, known kinds, kernel ≤ 7, groups
 * dividing the channels); on failure writes a reason into `reason` (a short
 * phrase, caller owns) and returns FALSE. */
gboolean aet_layer_spec_check (const AetLayerSpec *spec, char **reason);

/* ---- element-wise kernels (n_vox = voxels per channel) ---- */

/* y[c][v] += bias[c] */
void aet_bias_forward (gfloat *y, const gfloat *bias, gint channels, gsize n_vox);
/* dbias[c] += Σ_v dy[c][v] (in double, as 16 interleaved partial sums) */
void aet_bias_backward (const gfloat *dy, gfloat *dbias, gint channels, gsize n_vox);

/* In place on n values. */
void aet_activation_forward (AetActivation act, gfloat slope, gfloat *x, gsize n);
/* dy *= act'(n) where `out` is the activation's output (its sign tells the
 * branch for ReLU and LeakyReLU); in place on dy. */
void aet_activation_backward (AetActivation act, gfloat slope, const gfloat *out, gfloat *dy,
                              gsize n);

/* Both passes in one, split over channels among n_threads: y[c][v] =
 * act (y[c][v] + bias[c]) (bias may be NULL), the same values as
 * aet_bias_forward then aet_activation_forward. */
void aet_bias_activation_forward (gfloat *y, const gfloat *bias, AetActivation act,
                                  gfloat slope, gint channels, gsize n_vox, guint n_threads);
/* Both backward passes in one, split over channels: dy *= act'(out), then
 * dbias[c] += Σ_v dy[c][v] when dbias is not NULL; the same values as
 * aet_activation_backward then aet_bias_backward. */
void aet_activation_bias_backward (AetActivation act, gfloat slope, const gfloat *out,
                                   gfloat *dy, gfloat *dbias, gint channels, gsize n_vox,
                                   guint n_threads);

/* Group normalisation of z (channels × n_vox) into y, with per-channel gamma
 * and beta; mean and rstd (groups floats each) are written for backward. */
void aet_group_norm_forward (const gfloat *z, gfloat *y, const gfloat *gamma,
                             const gfloat *beta, gint channels, gint groups, gsize n_vox,
                             gfloat *mean, gfloat *rstd);
/* Given dy (gradient at y), overwrites it with the gradient at z and
 * accumulates dgamma and dbeta. */
void aet_group_norm_backward (const gfloat *z, gfloat *dy, const gfloat *gamma,
                              gint channels, gint groups, gsize n_vox, const gfloat *mean,
                              const gfloat *rstd, gfloat *dgamma, gfloat *dbeta);

/* Max-pooling with a k×k×k window and stride k over a channels × in grid;
 * argmax[i] records the winning input index (first maximum) per output. */
void aet_maxpool_forward (const gfloat *x, const gint in[3], gint channels, gint k,
                          gfloat *y, guint32 *argmax, guint n_threads);
/* dx[argmax[i]] += dy[i] (windows do not overlap, so no two outputs share
 * an input). */
void aet_maxpool_backward (const gfloat *dy, const guint32 *argmax, gsize n_out, gfloat *dx);

G_END_DECLS
