/* aet-unet.h — a convolutional network built from a list of layers.
 *
 * The architecture is data: an array of AetLayerSpec (aet-nn-layers.h), each
 * naming the layers it reads (the previous one, or several for a skip
 * concatenation).  The same list is what the weights file stores
 * (aet-weights.h), so a file defines its network and channel counts or depth
 * change without code changes.  aet_unet_new_default() builds our shipped
 * 3D U-Net from two numbers (base channels, depth).
 *
 * Like an FFTW plan, a network is planned once per input size: the first
 * forward pass at a size allocates every activation, gradient and scratch
 * buffer, and later passes (and training steps) at that size allocate
 * nothing.  Results are identical for a given seed and thread count.
 *
 * Not thread-safe: one network is used by one thread at a time.
 */
#pragma once

#include "aet-nn-layers.h"
#include "aet-tensor.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetUnet AetUnet;
typedef struct _AetAdam AetAdam;

/* One learned array of a layer ("weight", "bias", "gamma", "beta") and its
 * gradient; owned by the network. */
typedef struct
{
  const char *name;   /* static string */
  guint layer;
  gsize n;
  gfloat *data;
  gfloat *grad;
} AetParam;

/* A network from a layer list; checks that every layer reads earlier layers
 * and that channel counts agree.  `what` names the source in messages (a file
 * name, or NULL for "network").  Parameters start at zero (see
 * aet_unet_init_he).  Caller owns. */
AetUnet *aet_unet_new (const AetLayerSpec *specs, guint n_layers, gint in_channels,
                       const char *what, GError **error);

/* Our shipped 3D U-Net: two 3×3×3 convolutions (LeakyReLU 0.2) per level,
 * going down alternately by max-pooling and by stride-2 convolution, up by
 * 2×2×2 transposed convolutions, a skip concatenation per level, and a
 * 1×1×1 convolution with ReLU to one output channel.  Channels double per
 * level from base_channels; depth levels below the top (depth skip
 * connections); 2·base·2^depth ≤ 4096.  No normalisation (tiles must not
 * see their neighbours; see aet-nn-layers.h).  He-initialised from seed.
 * Caller owns. */
AetUnet *aet_unet_new_default (gint base_channels, gint depth, guint64 seed);

/* The same with another activation of the output layer: AET_ACT_NONE (a
 * linear output) cannot die the way a ReLU output can, when one large step
 * pushes it below zero everywhere and no gradient reaches it again
 * (docs/training.md); aet_augment clips any network's output at 0. */
AetUnet *aet_unet_new_default_full (gint base_channels, gint depth,
                                    AetActivation output_activation, guint64 seed);

void aet_unet_free (AetUnet *net);

/* He (Kaiming) normal initialisation of the weights for the following
 * activation, zero biases, unit gamma. Deterministic for a seed. */
void aet_unet_init_he (AetUnet *net, guint64 seed);

guint aet_unet_get_n_layers (const AetUnet *net);
const AetLayerSpec *aet_unet_get_layer (const AetUnet *net, guint index);
gint aet_unet_get_in_channels (const AetUnet *net);
gint aet_unet_get_out_channels (const AetUnet *net);

/* The learned arrays, in layer order (borrowed). */
guint aet_unet_get_n_params (const AetUnet *net);
AetParam *aet_unet_get_param (AetUnet *net, guint index);
/* Total learned floats. */
gsize aet_unet_count_parameters (const AetUnet *net);

/* The voxel size (Å) of the volumes the network was trained on: it sees
 * atoms as so many voxels wide, so a volume sampled otherwise is resampled
 * to this before inference (aet-augment.h).  A new network has
 * AET_UNET_DEFAULT_VOXEL_SIZE; the weights file records it. */
#define AET_UNET_DEFAULT_VOXEL_SIZE 0.357
gdouble aet_unet_get_voxel_size (const AetUnet *net);
/* Sets it (> 0, finite). */
void aet_unet_set_voxel_size (AetUnet *net, gdouble voxel_size);

/* Threads for the convolutions and pooling (default 1). */
void aet_unet_set_threads (AetUnet *net, guint n_threads);

/* When enabled, every pass adds each layer's wall-clock seconds (forward,
 * and backward) to counters that aet_unet_get_layer_seconds reads; enabling
 * resets them.  For benchmarks: off by default. */
void aet_unet_set_profiling (AetUnet *net, gboolean enable);
/* The seconds summed so far for layer `index` (0 when profiling is off). */
void aet_unet_get_layer_seconds (const AetUnet *net, guint index, gdouble *forward,
                                 gdouble *backward);

/* Input sizes must be multiples of this (the product of the strides down to
 * the coarsest level). */
gint aet_unet_get_alignment (const AetUnet *net);
/* How far (voxels) an output voxel's receptive field reaches into the input,
 * the larger of the two sides; tiles overlapping by twice this are exact. */
gint aet_unet_get_receptive_radius (const AetUnet *net);

/* Allocates buffers for a d×h×w input (done by forward when needed); FALSE
 * with an error naming the first layer that cannot take that size. */
gboolean aet_unet_plan (AetUnet *net, gint d, gint h, gint w, GError **error);

/* The forward pass; returns the output (borrowed, valid until the next
 * pass), or NULL with an error for a wrong channel count or size. */
const AetTensor *aet_unet_forward (AetUnet *net, const AetTensor *input, GError **error);

/* When set, backward also computes the gradient at the network input
 * (for gradient checks; costs one more pass of the first layer). */
void aet_unet_set_input_grad (AetUnet *net, gboolean enable);
/* The gradient at the input after backward (borrowed), or NULL. */
const AetTensor *aet_unet_get_input_grad (AetUnet *net);

/* Sets every parameter gradient to zero. */
void aet_unet_zero_param_grads (AetUnet *net);

/* The backward pass after a forward pass, for dLoss/dOutput `grad_output`
 * (same shape as the output); accumulates into the parameter gradients. */
void aet_unet_backward (AetUnet *net, const AetTensor *grad_output);

/* Floating-point operations of the convolutions (2 per multiply-add) for a
 * d×h×w input: forward only, or forward + backward. */
gdouble aet_unet_flops (const AetUnet *net, gint d, gint h, gint w, gboolean backward);

/* One training step: forward, mean squared error against target (same shape
 * as the output), backward, one Adam update.  *loss gets the loss before the
 * update.  Allocates nothing after the first call at a given size. */
gboolean aet_unet_train_step (AetUnet *net, AetAdam *adam, const AetTensor *input,
                              const AetTensor *target, gdouble *loss, GError **error);

/* The mean squared error of the current output against target, without
 * training (runs a forward pass). */
gboolean aet_unet_eval_loss (AetUnet *net, const AetTensor *input, const AetTensor *target,
                             gdouble *loss, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetUnet, aet_unet_free)

G_END_DECLS
