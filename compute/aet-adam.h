/* aet-adam.h — the Adam optimiser for a network's parameters.
 *
 * Keeps the first and second moment of every parameter's gradient (m, v)
 * and the step count, which is what a checkpoint must save besides the
 * weights for training to resume exactly (aet-weights.h).  Plain data: the
 * hyper-parameters are public fields the caller may change between steps.
 */
#pragma once

#include "aet-unet.h"

#include <glib.h>

G_BEGIN_DECLS

struct _AetAdam
{
  gdouble lr, beta1, beta2, eps;   /* defaults 2e-4, 0.9, 0.999, 1e-8 */
  gint64 step;                     /* updates done so far */
  guint n_params;
  gsize *sizes;                    /* floats per parameter array */
  gfloat **m, **v;                 /* moments, one array per network parameter */
  /* Adaptive gradient clipping (aet_unet_train_step): a gradient whose L2
   * norm exceeds clip × grad_norm_avg is scaled down to it; 0: off.  The
   * running average is state (checkpointed); n_clipped counts clipped steps
   * since the caller last reset it. */
  gdouble clip;
  gdouble grad_norm_avg;
  guint64 n_clipped;
  /* Weight averaging (Polyak): with ema != NULL, ema[i] is an exponential
   * moving average of parameter i's weights, updated after every step with
   * weight 1 − ema_decay (a horizon of ~1/(1 − ema_decay) steps).  At a
   * constant learning rate the weights keep jumping around a minimum by the
   * noise of one-patch gradients; their average lies closer to it.  The
   * averaged weights are the ones to validate and ship, training continues
   * from the raw ones; both are state (checkpointed). */
  gdouble ema_decay;
  gfloat **ema;
};

/* Zero moments for every parameter of net, learning rate lr. Caller owns. */
AetAdam *aet_adam_new (AetUnet *net, gdouble lr);
void aet_adam_free (AetAdam *adam);

/* TRUE when adam was made for a network with net's parameter sizes. */
gboolean aet_adam_matches (const AetAdam *adam, AetUnet *net);

/* With adam->clip > 0: the global L2 norm of net's gradients is compared
 * with clip × the running average of earlier norms (an exponential average
 * over ~100 steps of the norms as applied); above it every gradient is scaled
 * down to that norm, so one outlier patch cannot throw the weights far.
 * Returns the norm before clipping (0 when clip is 0: not computed). */
gdouble aet_adam_clip_gradients (AetAdam *adam, AetUnet *net);

/* One update of every parameter from its gradient (bias-corrected moments),
 * then of the averaged weights when averaging is on. */
void aet_adam_step (AetAdam *adam, AetUnet *net);

/* Turns weight averaging on with the given decay (0 < decay < 1), starting
 * the average at net's current weights unless adam already keeps one (a
 * resumed run keeps its average and takes the new decay); decay 0 turns it
 * off and drops the average. */
void aet_adam_set_ema (AetAdam *adam, AetUnet *net, gdouble decay);

/* Exchanges net's weights with the averaged ones (nothing when averaging
 * is off); calling it twice restores both exactly. */
void aet_adam_swap_ema (AetAdam *adam, AetUnet *net);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetAdam, aet_adam_free)

G_END_DECLS
