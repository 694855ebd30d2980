#define G_LOG_DOMAIN "aet-adam"

#include "aet-adam.h"

#include <math.h>
#include <string.h>

AetAdam *
aet_adam_new (AetUnet *net, gdouble lr)
{
  g_return_val_if_fail (net != NULL && lr > 0.0, NULL);
  AetAdam *a = g_new0 (AetAdam, 1);
  a->lr = lr;
  a->beta1 = 0.9;
  a->beta2 = 0.999;
  a->eps = 1e-8;
  a->n_params = aet_unet_get_n_params (net);
  a->sizes = g_new0 (gsize, a->n_params);
  a->m = g_new0 (gfloat *, a->n_params);
  a->v = g_new0 (gfloat *, a->n_params);
  for (guint i = 0; i < a->n_params; i++)
    {
      a->sizes[i] = aet_unet_get_param (net, i)->n;
      a->m[i] = aet_floats_new (a->sizes[i]);
      a->v[i] = aet_floats_new (a->sizes[i]);
    }
  return a;
}

void
aet_adam_free (AetAdam *a)
{
  if (a == NULL)
    return;
  for (guint i = 0; i < a->n_params; i++)
    {
      aet_floats_free (a->m[i]);
      aet_floats_free (a->v[i]);
      if (a->ema != NULL)
        aet_floats_free (a->ema[i]);
    }
  g_free (a->ema);
  g_free (a->m);
  g_free (a->v);
  g_free (a->sizes);
  g_free (a);
}

gboolean
aet_adam_matches (const AetAdam *a, AetUnet *net)
{
  if (a == NULL || a->n_params != aet_unet_get_n_params (net))
    return FALSE;
  for (guint i = 0; i < a->n_params; i++)
    if (a->sizes[i] != aet_unet_get_param (net, i)->n)
      return FALSE;
  return TRUE;
}

gdouble
aet_adam_clip_gradients (AetAdam *a, AetUnet *net)
{
  g_return_val_if_fail (aet_adam_matches (a, net), 0.0);
  if (!(a->clip > 0))
    return 0.0;
  gdouble sum = 0;
  for (guint i = 0; i < a->n_params; i++)
    {
      const AetParam *p = aet_unet_get_param (net, i);
      for (gsize k = 0; k < p->n; k++)
        sum += (gdouble) p->grad[k] * p->grad[k];
    }
  gdouble norm = sqrt (sum), applied = norm;
  gdouble limit = a->clip * a->grad_norm_avg;
  if (a->grad_norm_avg > 0 && norm > limit && isfinite (norm))
    {
      gfloat scale = (gfloat) (limit / norm);
      for (guint i = 0; i < a->n_params; i++)
        {
          AetParam *p = aet_unet_get_param (net, i);
          for (gsize k = 0; k < p->n; k++)
            p->grad[k] *= scale;
        }
      applied = limit;
      a->n_clipped++;
    }
  if (isfinite (applied))
    a->grad_norm_avg = a->grad_norm_avg > 0 ? 0.99 * a->grad_norm_avg + 0.01 * applied : applied;
  return norm;
}

void
aet_adam_step (AetAdam *a, AetUnet *net)
{
  g_return_if_fail (aet_adam_matches (a, net));
  a->step++;
  const gfloat b1 = (gfloat) a->beta1, b2 = (gfloat) a->beta2;
  /* bias corrections folded into the step size and epsilon */
  const gdouble c1 = 1.0 - pow (a->beta1, (gdouble) a->step);
  const gdouble c2 = 1.0 - pow (a->beta2, (gdouble) a->step);
  const gfloat step = (gfloat) (a->lr * sqrt (c2) / c1);
  const gfloat eps = (gfloat) (a->eps * sqrt (c2));
  for (guint i = 0; i < a->n_params; i++)
    {
      AetParam *p = aet_unet_get_param (net, i);
      gfloat *m = a->m[i], *v = a->v[i];
      for (gsize k = 0; k < p->n; k++)
        {
          gfloat g = p->grad[k];
          m[k] = b1 * m[k] + (1.0f - b1) * g;
          v[k] = b2 * v[k] + (1.0f - b2) * g * g;
          p->data[k] -= step * m[k] / (sqrtf (v[k]) + eps);
        }
      if (a->ema != NULL)
        {
          const gfloat keep = (gfloat) a->ema_decay, take = 1.0f - keep;
          gfloat *e = a->ema[i];
          for (gsize k = 0; k < p->n; k++)
            e[k] = keep * e[k] + take * p->data[k];
        }
    }
}

void
aet_adam_set_ema (AetAdam *a, AetUnet *net, gdouble decay)
{
  g_return_if_fail (aet_adam_matches (a, net));
  g_return_if_fail (decay >= 0.0 && decay < 1.0);
  if (decay == 0.0)
    {
      if (a->ema != NULL)
        for (guint i = 0; i < a->n_params; i++)
          aet_floats_free (a->ema[i]);
      g_clear_pointer (&a->ema, g_free);
      a->ema_decay = 0.0;
      return;
    }
  a->ema_decay = decay;
  if (a->ema != NULL)
    return;
  a->ema = g_new0 (gfloat *, a->n_params);
  for (guint i = 0; i < a->n_params; i++)
    {
      a->ema[i] = aet_floats_new (a->sizes[i]);
      memcpy (a->ema[i], aet_unet_get_param (net, i)->data, a->sizes[i] * sizeof (gfloat));
    }
}

void
aet_adam_swap_ema (AetAdam *a, AetUnet *net)
{
  g_return_if_fail (aet_adam_matches (a, net));
  if (a->ema == NULL)
    return;
  for (guint i = 0; i < a->n_params; i++)
    {
      gfloat *w = aet_unet_get_param (net, i)->data, *e = a->ema[i];
      for (gsize k = 0; k < a->sizes[i]; k++)
        {
          gfloat t = w[k];
          w[k] = e[k];
          e[k] = t;
        }
    }
}
