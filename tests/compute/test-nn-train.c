/* Training: a short run of the shipped architecture (smaller) lowers the
 * loss on a fixed validation batch; runs are reproducible; a checkpoint
 * resumes training exactly; steps after the first allocate nothing new. */
#include "aet-adam.h"
#include "aet-error.h"
#include "aet-weights.h"
#include "scratch-dir.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define N 16

/* A toy version of the real task: sharp Gaussian "atoms" as the target,
 * the same atoms blurred, dimmed and noisy as the input. */
static void
make_pair (guint32 seed, AetTensor **input, AetTensor **target)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  AetTensor *x = aet_tensor_new (1, N, N, N), *y = aet_tensor_new (1, N, N, N);
  for (int a = 0; a < 10; a++)
    {
      gdouble c[3];
      for (int k = 0; k < 3; k++)
        c[k] = g_rand_double_range (rand, 2.0, N - 2.0);
      for (int z = 0; z < N; z++)
        for (int yy = 0; yy < N; yy++)
          for (int xx = 0; xx < N; xx++)
            {
              gdouble r2 = (xx - c[0]) * (xx - c[0]) + (yy - c[1]) * (yy - c[1])
                           + (z - c[2]) * (z - c[2]);
              gsize i = ((gsize) z * N + yy) * N + xx;
              y->data[i] += (gfloat) exp (-r2 / (2 * 0.7 * 0.7));
              x->data[i] += (gfloat) (0.6 * exp (-r2 / (2 * 1.6 * 1.6)));
            }
    }
  for (gsize i = 0; i < x->n; i++)
    x->data[i] += (gfloat) g_rand_double_range (rand, -0.05, 0.05);
  *input = x;
  *target = y;
}

typedef struct
{
  AetTensor *x[4], *y[4], *vx, *vy;
} Data;

static void
data_init (Data *d)
{
  for (int i = 0; i < 4; i++)
    make_pair (100 + i, &d->x[i], &d->y[i]);
  make_pair (999, &d->vx, &d->vy);
}

static void
data_clear (Data *d)
{
  for (int i = 0; i < 4; i++)
    {
      aet_tensor_free (d->x[i]);
      aet_tensor_free (d->y[i]);
    }
  aet_tensor_free (d->vx);
  aet_tensor_free (d->vy);
}

/* Trains `steps` steps cycling through the pairs, from step `from`. */
static void
train (AetUnet *net, AetAdam *adam, Data *d, int from, int steps, gdouble *losses)
{
  g_autoptr (GError) error = NULL;
  for (int s = from; s < from + steps; s++)
    {
      gdouble loss = -1.0;
      g_assert_true (aet_unet_train_step (net, adam, d->x[s % 4], d->y[s % 4], &loss, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (loss, >=, 0.0);
      if (losses != NULL)
        losses[s - from] = loss;
    }
}

static void
test_loss_decreases (void)
{
  Data d;
  data_init (&d);
  g_autoptr (AetUnet) net = aet_unet_new_default (4, 2, 1);
  aet_unet_set_threads (net, 2);
  g_autoptr (AetAdam) adam = aet_adam_new (net, 3e-3);
  g_autoptr (GError) error = NULL;
  gdouble before, after;
  g_assert_true (aet_unet_eval_loss (net, d.vx, d.vy, &before, &error));
  train (net, adam, &d, 0, 80, NULL);
  g_assert_true (aet_unet_eval_loss (net, d.vx, d.vy, &after, &error));
  g_test_message ("validation MSE %.4f -> %.4f after 80 steps", before, after);
  g_assert_cmpfloat (after, <, 0.5 * before);
  g_assert_cmpint (adam->step, ==, 80);
  data_clear (&d);
}

static void
test_reproducible (void)
{
  Data d;
  data_init (&d);
  gdouble losses[2][6];
  for (int run = 0; run < 2; run++)
    {
      g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 17);
      aet_unet_set_threads (net, 2);
      g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
      train (net, adam, &d, 0, 6, losses[run]);
    }
  g_assert_cmpmem (losses[0], sizeof losses[0], losses[1], sizeof losses[1]);
  data_clear (&d);
}

static void
test_no_allocation_after_first_step (void)
{
  Data d;
  data_init (&d);
  g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 2);
  g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
  train (net, adam, &d, 0, 1, NULL);
  /* the plan is kept: same buffers, step after step */
  const AetTensor *out = aet_unet_forward (net, d.x[0], NULL);
  train (net, adam, &d, 1, 3, NULL);
  g_assert_true (aet_unet_forward (net, d.x[1], NULL) == out);
  data_clear (&d);
}

static void
test_resume (void)
{
  Data d;
  data_init (&d);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-train");
  g_autofree char *path = g_build_filename (dir, "checkpoint.h5", NULL);

  g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 23);
  g_autoptr (AetAdam) adam = aet_adam_new (net, 2e-3);
  train (net, adam, &d, 0, 5, NULL);
  g_assert_true (aet_weights_save (net, adam, path, &error));
  gdouble straight[4], resumed[4];
  train (net, adam, &d, 5, 4, straight);

  AetAdam *adam_read = NULL;
  g_autoptr (AetUnet) net2 = aet_weights_load (path, &adam_read, &error);
  g_assert_no_error (error);
  g_autoptr (AetAdam) adam2 = adam_read;
  g_assert_cmpint (adam2->step, ==, 5);
  train (net2, adam2, &d, 5, 4, resumed);
  g_assert_cmpmem (straight, sizeof straight, resumed, sizeof resumed);
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      AetParam *a = aet_unet_get_param (net, k), *b = aet_unet_get_param (net2, k);
      g_assert_cmpmem (a->data, a->n * sizeof (gfloat), b->data, b->n * sizeof (gfloat));
    }
  aet_test_remove_tree (dir);
  data_clear (&d);
}

static void
test_bad_target (void)
{
  g_autoptr (AetUnet) net = aet_unet_new_default (2, 2, 2);
  g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
  g_autoptr (AetTensor) x = aet_tensor_new (1, 8, 8, 8);
  g_autoptr (AetTensor) y = aet_tensor_new (1, 8, 8, 4);
  g_autoptr (GError) error = NULL;
  g_assert_false (aet_unet_train_step (net, adam, x, y, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* a size the pooling cannot take */
  g_autoptr (AetTensor) odd = aet_tensor_new (1, 9, 8, 8);
  g_assert_null (aet_unet_forward (net, odd, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_test_message ("%s", error->message);
}

static gdouble
grad_norm (AetUnet *net)
{
  gdouble sum = 0;
  for (guint i = 0; i < aet_unet_get_n_params (net); i++)
    {
      const AetParam *p = aet_unet_get_param (net, i);
      for (gsize k = 0; k < p->n; k++)
        sum += (gdouble) p->grad[k] * p->grad[k];
    }
  return sqrt (sum);
}

/* Adaptive clipping: ordinary steps pass; a patch whose target is 100×
 * too bright gives a gradient far above the running mean, which is scaled
 * down to clip × that mean; the weights then move less than unclipped. */
static void
test_clip (void)
{
  Data d;
  data_init (&d);
  g_autoptr (AetTensor) wild = aet_tensor_new (1, d.y[0]->d, d.y[0]->h, d.y[0]->w);
  for (gsize i = 0; i < wild->n; i++)
    wild->data[i] = 100 * d.y[0]->data[i];
  gdouble moved[2] = { 0 };
  for (int clipped = 0; clipped < 2; clipped++)
    {
      g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 17);
      g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
      adam->clip = clipped ? 3.0 : 0.0;
      train (net, adam, &d, 0, 20, NULL);
      if (clipped)
        {
          g_assert_cmpuint (adam->n_clipped, ==, 0);
          g_assert_cmpfloat (adam->grad_norm_avg, >, 0);
        }
      gdouble avg = adam->grad_norm_avg;
      g_autoptr (AetUnet) before = aet_unet_new_default (3, 2, 17);
      for (guint i = 0; i < aet_unet_get_n_params (net); i++)
        memcpy (aet_unet_get_param (before, i)->data, aet_unet_get_param (net, i)->data,
                aet_unet_get_param (net, i)->n * sizeof (gfloat));
      /* the wild step, by hand to see the gradient clipped */
      g_autoptr (GError) error = NULL;
      gdouble loss = 0;
      for (int k = 0; k < 5; k++)
        g_assert_true (aet_unet_train_step (net, adam, d.x[0], wild, &loss, &error));
      if (clipped)
        {
          g_assert_cmpuint (adam->n_clipped, ==, 5);
          /* the last gradient was scaled to 3 × the running mean */
          g_assert_cmpfloat (fabs (grad_norm (net) - 3.0 * adam->grad_norm_avg), <,
                             0.05 * 3.0 * adam->grad_norm_avg);
          g_test_message ("running mean norm %.4g before the wild steps, %.4g after", avg,
                          adam->grad_norm_avg);
        }
      for (guint i = 0; i < aet_unet_get_n_params (net); i++)
        {
          const AetParam *a = aet_unet_get_param (net, i), *b = aet_unet_get_param (before, i);
          for (gsize k = 0; k < a->n; k++)
            moved[clipped] += (gdouble) (a->data[k] - b->data[k]) * (a->data[k] - b->data[k]);
        }
    }
  g_test_message ("weights moved by %.4g unclipped, %.4g clipped", sqrt (moved[0]),
                  sqrt (moved[1]));
  g_assert_cmpfloat (moved[1], <, moved[0]);
  data_clear (&d);
}

/* Weight averaging: after every step the average moves towards the new
 * weights by 1 − decay, exactly as the recurrence written out here; turned
 * on later it starts at the weights of that moment; decay 0 drops it. */
static void
test_ema (void)
{
  Data d;
  data_init (&d);
  g_autoptr (AetUnet) net = aet_unet_new_default (3, 2, 5);
  g_autoptr (AetAdam) adam = aet_adam_new (net, 1e-3);
  train (net, adam, &d, 0, 2, NULL);
  aet_adam_set_ema (adam, net, 0.75);
  guint n = aet_unet_get_n_params (net);
  g_autofree gdouble **expect = g_new0 (gdouble *, n);
  for (guint i = 0; i < n; i++)
    {
      const AetParam *p = aet_unet_get_param (net, i);
      expect[i] = g_new (gdouble, p->n);
      for (gsize k = 0; k < p->n; k++)
        {
          g_assert_cmpfloat (adam->ema[i][k], ==, p->data[k]);
          expect[i][k] = p->data[k];
        }
    }
  gdouble gap = 0;
  for (int s = 0; s < 6; s++)
    {
      train (net, adam, &d, 2 + s, 1, NULL);
      for (guint i = 0; i < n; i++)
        {
          const AetParam *p = aet_unet_get_param (net, i);
          for (gsize k = 0; k < p->n; k++)
            expect[i][k] = 0.75 * expect[i][k] + 0.25 * p->data[k];
        }
    }
  for (guint i = 0; i < n; i++)
    {
      const AetParam *p = aet_unet_get_param (net, i);
      for (gsize k = 0; k < p->n; k++)
        {
          g_assert_cmpfloat (fabs (adam->ema[i][k] - expect[i][k]), <=,
                             1e-6 * (1 + fabs (expect[i][k])));
          gap = MAX (gap, fabs (adam->ema[i][k] - p->data[k]));
        }
      g_free (expect[i]);
    }
  /* the average lags the weights */
  g_assert_cmpfloat (gap, >, 0);
  aet_adam_set_ema (adam, net, 0.0);
  g_assert_null (adam->ema);
  train (net, adam, &d, 8, 1, NULL);
  data_clear (&d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/nn-train/loss-decreases", test_loss_decreases);
  g_test_add_func ("/compute/nn-train/reproducible", test_reproducible);
  g_test_add_func ("/compute/nn-train/no-allocation", test_no_allocation_after_first_step);
  g_test_add_func ("/compute/nn-train/resume", test_resume);
  g_test_add_func ("/compute/nn-train/bad-target", test_bad_target);
  g_test_add_func ("/compute/nn-train/clip", test_clip);
  g_test_add_func ("/compute/nn-train/ema", test_ema);
  return g_test_run ();
}
