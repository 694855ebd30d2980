/* Training driver: a tiny run on small simulated pairs lowers the
 * validation loss; the pool is reused by a second run; a resumed run equals
 * an uninterrupted one bit for bit; cancelling writes a checkpoint; the
 * normalisation finds the atom peak level; bad settings are refused. */
#include "scratch-dir.h"
#include "aet-atom-density.h"
#include "aet-error.h"
#include "aet-project-file.h"
#include "aet-train.h"
#include "aet-weights.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *work_dir;   /* one folder per test program, removed at the end */
static char *pool_dir;   /* the shared pool: made by the first run, reused after */

static void
tiny_params (AetTrainParams *p, const char *output)
{
  aet_train_params_init (p);
  p->output = output;
  p->pool_dir = pool_dir;
  p->volume_size = 48;
  p->patch = 24;
  p->base = 4;
  p->depth = 2;
  p->genfire_iterations = 15;
  p->n_pairs = 6;
  p->pool_start = 6;
  p->n_val_pairs = 2;
  p->val_patches = 2;
  p->lr = 2e-3;
  p->lr_warmup = 0;
  p->val_every = 1000;
  p->checkpoint_every = 1000;
  p->log_every = 1000;
  p->seed = 7;
}

/* Trains p on 2 threads and asserts that it succeeded. */
static void
train_ok (const AetTrainParams *p, AetTrainStats *stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, 2);
  g_assert_true (aet_train (p, stats, job, &error));
  g_assert_no_error (error);
}

/* Every parameter of two checkpoints, compared bit for bit (Adam step too). */
static void
assert_same_weights (const char *a_path, const char *b_path)
{
  g_autoptr (GError) error = NULL;
  AetAdam *adam_a = NULL, *adam_b = NULL;
  g_autoptr (AetUnet) a = aet_weights_load (a_path, &adam_a, &error);
  g_assert_no_error (error);
  g_autoptr (AetUnet) b = aet_weights_load (b_path, &adam_b, &error);
  g_assert_no_error (error);
  g_assert_nonnull (adam_a);
  g_assert_nonnull (adam_b);
  g_assert_cmpint (adam_a->step, ==, adam_b->step);
  g_assert_cmpuint (aet_unet_get_n_params (a), ==, aet_unet_get_n_params (b));
  for (guint i = 0; i < aet_unet_get_n_params (a); i++)
    {
      AetParam *pa = aet_unet_get_param (a, i), *pb = aet_unet_get_param (b, i);
      g_assert_cmpuint (pa->n, ==, pb->n);
      g_assert_true (memcmp (pa->data, pb->data, pa->n * sizeof (gfloat)) == 0);
      g_assert_true (memcmp (adam_a->m[i], adam_b->m[i], pa->n * sizeof (gfloat)) == 0);
    }
  aet_adam_free (adam_a);
  aet_adam_free (adam_b);
}

static void
test_loss_decreases_and_pool_reused (void)
{
  g_autofree char *out = g_build_filename (work_dir, "a.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, out);
  p.steps = 40;
  AetTrainStats stats;
  train_ok (&p, &stats);
  g_test_message ("validation loss %.5f → %.5f, %u pairs made", stats.first_val_loss,
                  stats.last_val_loss, stats.pairs_generated);
  g_assert_cmpint (stats.first_step, ==, 0);
  g_assert_cmpint (stats.last_step, ==, 40);
  g_assert_cmpfloat (stats.last_val_loss, <, 0.8 * stats.first_val_loss);
  /* 2 validation pairs + every training pair the 40 steps drew (of 6) */
  g_assert_cmpuint (stats.pairs_generated, >=, 4);
  g_assert_cmpuint (stats.pairs_loaded, ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));

  /* a second run with the same seed reads the pool and makes nothing */
  g_autofree char *out2 = g_build_filename (work_dir, "a2.h5", NULL);
  tiny_params (&p, out2);
  p.steps = 40;
  AetTrainStats again;
  train_ok (&p, &again);
  g_assert_cmpuint (again.pairs_generated, ==, 0);
  g_assert_cmpuint (again.pairs_loaded, ==, stats.pairs_generated);
  /* same seed and threads: the same result as the first run */
  g_assert_cmpfloat (again.last_val_loss, ==, stats.last_val_loss);
  assert_same_weights (out, out2);
}

static void
test_resume_bit_for_bit (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, 2);
  AetTrainParams p;

  g_autofree char *whole = g_build_filename (work_dir, "whole.h5", NULL);
  tiny_params (&p, whole);
  p.steps = 20;
  g_assert_true (aet_train (&p, NULL, job, &error));
  g_assert_no_error (error);

  g_autofree char *part = g_build_filename (work_dir, "part.h5", NULL);
  tiny_params (&p, part);
  p.steps = 9;
  g_assert_true (aet_train (&p, NULL, job, &error));
  g_assert_no_error (error);
  tiny_params (&p, part);
  p.resume = part;
  p.steps = 20;
  AetTrainStats stats;
  g_assert_true (aet_train (&p, &stats, job, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.first_step, ==, 9);
  g_assert_cmpint (stats.last_step, ==, 20);
  assert_same_weights (whole, part);

  /* a plain weights file is no checkpoint */
  g_autoptr (AetUnet) net = aet_weights_load (whole, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *plain = g_build_filename (work_dir, "plain.h5", NULL);
  g_assert_true (aet_weights_save (net, NULL, plain, &error));
  tiny_params (&p, part);
  p.resume = plain;
  g_assert_false (aet_train (&p, NULL, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "not a checkpoint"));
  g_clear_error (&error);

  /* checkpoints record the training sampling; one from another sampling is
   * not resumed */
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) trained = aet_weights_load (part, &adam, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (aet_unet_get_voxel_size (trained), ==, p.pixel);
  aet_unet_set_voxel_size (trained, 0.30);
  g_autofree char *other = g_build_filename (work_dir, "other.h5", NULL);
  g_assert_true (aet_weights_save (trained, adam, other, &error));
  aet_adam_free (adam);
  tiny_params (&p, part);
  p.resume = other;
  p.steps = 21;
  g_assert_false (aet_train (&p, NULL, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_cmpstr (error->message, ==,
                   "other.h5: the network was trained on 0.3 Å voxels, this run simulates "
                   "0.357 Å");
}

static void
test_interrupt_saves_checkpoint (void)
{
  g_autofree char *out = g_build_filename (work_dir, "interrupted.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, out);
  p.steps = 100;
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_autoptr (GError) error = NULL;
  AetTrainStats stats;
  g_assert_false (aet_train (&p, &stats, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
  g_autofree char *expected = g_strdup_printf ("train: interrupted, checkpoint saved to %s", out);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpint (stats.last_step, ==, 0);
  g_clear_error (&error);
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) net = aet_weights_load (out, &adam, &error);
  g_assert_no_error (error);
  g_assert_nonnull (adam);
  g_assert_cmpint (adam->step, ==, 0);
  aet_adam_free (adam);
}

static void
test_peak_level (void)
{
  /* atoms of peak 2.5 on a grid 2.5 Å apart, with a weak background */
  g_autoptr (AetVolume) v = aet_volume_new (40, 40, 40, 0.4);
  g_autoptr (AetAtoms) atoms = aet_atoms_new (0);
  for (int k = 0; k < 5; k++)
    for (int j = 0; j < 5; j++)
      for (int i = 0; i < 5; i++)
        aet_atoms_append (atoms, 78, 3.1 + 2.5 * i, 3.3 + 2.5 * j, 2.9 + 2.5 * k);
  aet_render_gaussian_atoms (atoms, v, 4.0, 2.5, NULL, 1);
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    v->data[i] += 0.05f * (gfloat) ((i * 2654435761u) % 1000) / 1000.0f;
  gdouble level = aet_train_peak_level (v);
  g_test_message ("peak level %.4f (atoms 2.5)", level);
  g_assert_cmpfloat (fabs (level - 2.5), <, 0.2);

  g_autoptr (GError) error = NULL;
  gdouble out_level = 0;
  g_autoptr (AetVolume) n = aet_train_normalise (v, "v.mrc", &out_level, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (out_level, ==, level);
  g_assert_cmpfloat (fabs (aet_train_peak_level (n) - 1.0), <, 1e-5);

  g_autoptr (AetVolume) empty = aet_volume_new (16, 16, 16, 0.4);
  g_autoptr (AetVolume) none = aet_train_normalise (empty, "empty.mrc", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_true (g_str_has_prefix (error->message, "empty.mrc: "));
}

static void
test_schedule_and_validation (void)
{
  AetTrainParams p;
  aet_train_params_init (&p);
  p.output = "x.h5";
  g_assert_true (aet_train_params_validate (&p, NULL));
  g_assert_cmpfloat (fabs (aet_train_lr_at (&p, 0) - 0.1 * p.lr), <, 1e-12);
  g_assert_cmpfloat (fabs (aet_train_lr_at (&p, p.lr_warmup) - p.lr), <, 1e-12);
  g_assert_cmpfloat (fabs (aet_train_lr_at (&p, p.lr_half_life) - 0.5 * p.lr), <, 1e-12);
  g_assert_cmpfloat (fabs (aet_train_lr_at (&p, 100 * p.lr_half_life) - p.lr * p.lr_floor), <,
                     1e-12);

  g_autoptr (GError) error = NULL;
  p.patch = 30;   /* not a multiple of 4 */
  g_assert_false (aet_train_params_validate (&p, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "patch 30"));
  g_clear_error (&error);
  p.patch = 64;
  p.volume_size = 48;
  g_assert_false (aet_train_params_validate (&p, &error));
  g_assert_nonnull (strstr (error->message, "larger than the simulated volume"));
  g_clear_error (&error);
  aet_train_params_init (&p);
  p.substrate_fraction = 1.5;
  g_assert_false (aet_train_params_validate (&p, &error));
  g_assert_nonnull (strstr (error->message, "substrate fraction 1.5"));
  g_clear_error (&error);
  aet_train_params_init (&p);
  g_assert_true (aet_train_params_validate (&p, NULL));
  g_assert_false (aet_train (&p, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "no output"));
}

/* The best validation loss is kept in "<output>-best.h5"; a learning rate
 * far too large kills the ReLU output, and the run stops saying so before
 * the dead network overwrites the checkpoint. */
static void
test_best_checkpoint_and_collapse (void)
{
  g_autofree char *out = g_build_filename (work_dir, "b.h5", NULL);
  g_autofree char *best = g_build_filename (work_dir, "b-best.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, out);
  p.steps = 30;
  p.val_every = 5;
  AetTrainStats stats;
  train_ok (&p, &stats);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_threads (job, 2);
  g_test_message ("best validation %.5f at step %" G_GINT64_FORMAT " (first %.5f, last %.5f)",
                  stats.best_val_loss, stats.best_step, stats.first_val_loss,
                  stats.last_val_loss);
  g_assert_cmpint (stats.best_step, >, 0);
  g_assert_cmpfloat (stats.best_val_loss, <, stats.first_val_loss);
  g_assert_cmpfloat (stats.best_val_loss, <=, stats.last_val_loss);
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) net = aet_weights_load (best, &adam, &error);
  g_assert_no_error (error);
  g_assert_nonnull (adam);
  g_assert_cmpint (adam->step, ==, stats.best_step);
  aet_adam_free (adam);

  /* resumed with a rate 400× too large */
  g_autofree char *saved = NULL;
  gsize saved_len = 0;
  g_assert_true (g_file_get_contents (out, &saved, &saved_len, NULL));
  p.resume = out;
  p.steps = 60;
  p.lr = 0.8;
  p.val_every = 1;
  g_assert_false (aet_train (&p, &stats, job, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "collapsed"));
  g_assert_nonnull (strstr (error->message, "the best checkpoint is "));
  g_assert_nonnull (strstr (error->message, "b-best.h5 (step 30, "));
  g_assert_nonnull (strstr (error->message, "resume from it with a smaller --lr"));
  /* the checkpoint is the one resumed from, not the dead network */
  g_autofree char *now = NULL;
  gsize now_len = 0;
  g_assert_true (g_file_get_contents (out, &now, &now_len, NULL));
  g_assert_true (now_len == saved_len && memcmp (now, saved, now_len) == 0);

  /* with weights averaged over ~1,000 steps the average stays good for a
   * long while; the raw weights are watched too, and stop the run as soon */
  g_clear_error (&error);
  p.ema = 0.999;
  g_assert_false (aet_train (&p, &stats, job, &error));
  g_test_message ("averaged: %s", error->message);
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "collapsed"));
  g_assert_cmpint (stats.last_step, <, 60);
  g_autofree char *after = NULL;
  gsize after_len = 0;
  g_assert_true (g_file_get_contents (out, &after, &after_len, NULL));
  g_assert_true (after_len == saved_len && memcmp (after, saved, after_len) == 0);
}

/* --linear-output: a new network ends in a linear layer, and learns. */
static void
test_linear_output (void)
{
  g_autofree char *out = g_build_filename (work_dir, "lin.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, out);
  p.steps = 30;
  p.linear_output = TRUE;
  AetTrainStats stats;
  train_ok (&p, &stats);
  g_autoptr (GError) error = NULL;
  g_test_message ("validation loss %.5f → %.5f", stats.first_val_loss, stats.last_val_loss);
  g_assert_cmpfloat (stats.last_val_loss, <, 0.8 * stats.first_val_loss);
  g_autoptr (AetUnet) net = aet_weights_load (out, NULL, &error);
  g_assert_no_error (error);
  const AetLayerSpec *last = aet_unet_get_layer (net, aet_unet_get_n_layers (net) - 1);
  g_assert_cmpint (last->activation, ==, AET_ACT_NONE);
}

/* --pair-reuse 4: the pair changes every 4 steps, so 8 steps read at most
 * 2 training pairs (and the 2 validation pairs) with a cache of one pair;
 * drawn every step they read more. */
static void
test_pair_reuse (void)
{
  g_autofree char *out = g_build_filename (work_dir, "reuse.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, out);
  p.steps = 8;
  p.cache_pairs = 1;
  AetTrainStats every, reused;
  train_ok (&p, &every);
  g_remove (out);
  p.pair_reuse = 4;
  train_ok (&p, &reused);
  g_test_message ("pairs read in 8 steps: %u drawn every step, %u reused 4 steps",
                  every.pairs_loaded + every.pairs_generated,
                  reused.pairs_loaded + reused.pairs_generated);
  g_assert_cmpuint (reused.pairs_loaded + reused.pairs_generated, <=, 2 + 2);
  g_assert_cmpuint (every.pairs_loaded + every.pairs_generated, >, 2 + 2);
  g_assert_cmpfloat (reused.last_val_loss, <, reused.first_val_loss);
}

/* --ema: the checkpoint keeps the average beside the raw weights; a run
 * resumed without --ema keeps averaging, and 10 + 10 steps give the same
 * raw and averaged weights, bit for bit, as 20 in one go. */
static void
test_ema (void)
{
  g_autofree char *once = g_build_filename (work_dir, "ema-once.h5", NULL);
  g_autofree char *twice = g_build_filename (work_dir, "ema-twice.h5", NULL);
  AetTrainParams p;
  tiny_params (&p, once);
  p.steps = 20;
  p.ema = 0.9;
  AetTrainStats stats;
  train_ok (&p, &stats);
  g_test_message ("validation loss of the average %.5f → %.5f", stats.first_val_loss,
                  stats.last_val_loss);
  g_assert_cmpfloat (stats.last_val_loss, <, stats.first_val_loss);
  p.output = twice;
  p.steps = 10;
  train_ok (&p, &stats);
  p.resume = twice;
  p.steps = 20;
  p.ema = 0;
  train_ok (&p, &stats);
  assert_same_weights (once, twice);

  g_autoptr (GError) error = NULL;
  AetAdam *a = NULL, *b = NULL;
  g_autoptr (AetUnet) net_a = aet_weights_load (once, &a, &error);
  g_autoptr (AetUnet) net_b = aet_weights_load (twice, &b, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (b->ema_decay, ==, 0.9);
  g_autoptr (AetUnet) used = aet_weights_load (once, NULL, &error);
  gboolean differs = FALSE;
  for (guint i = 0; i < aet_unet_get_n_params (net_a); i++)
    {
      gsize bytes = a->sizes[i] * sizeof (gfloat);
      g_assert_true (memcmp (a->ema[i], b->ema[i], bytes) == 0);
      g_assert_true (memcmp (aet_unet_get_param (used, i)->data, a->ema[i], bytes) == 0);
      differs = differs || memcmp (aet_unet_get_param (net_a, i)->data, a->ema[i], bytes) != 0;
    }
  g_assert_true (differs);
  aet_adam_free (a);
  aet_adam_free (b);
}

/* The description a pool file records of its particle. */
static char *
pair_description (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) project = aet_project_load (path, &error);
  g_assert_no_error (error);
  return g_strdup (aet_project_get_param (project, "train/description"));
}

/* aet_train_make_pool makes exactly the missing pairs; a pool of another
 * substrate share has its own file names and particles. */
static void
test_make_pool (void)
{
  g_autofree char *dir = g_build_filename (work_dir, "pool-sub", NULL);
  AetTrainParams p;
  tiny_params (&p, NULL);
  p.pool_dir = dir;
  p.n_pairs = 3;
  p.n_val_pairs = 1;
  p.genfire_iterations = 5;
  p.substrate_fraction = 1.0;
  AetTrainStats stats;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_train_make_pool (&p, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.pairs_generated, ==, 4);
  const char *names[] = { "val-s7-n48-sub100-000000.h5", "pair-s7-n48-sub100-000000.h5",
                          "pair-s7-n48-sub100-000001.h5", "pair-s7-n48-sub100-000002.h5" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *description = pair_description (dir, names[i]);
      g_assert_nonnull (strstr (description, "on substrate"));
    }
  /* a second call finds them all */
  g_assert_true (aet_train_make_pool (&p, &stats, NULL, &error));
  g_assert_cmpuint (stats.pairs_generated, ==, 0);
  g_assert_cmpuint (stats.pairs_loaded, ==, 0);
  /* none on a substrate: other names, other particles */
  p.substrate_fraction = 0.0;
  p.n_pairs = 2;
  g_assert_true (aet_train_make_pool (&p, &stats, NULL, &error));
  g_assert_cmpuint (stats.pairs_generated, ==, 3);
  g_autofree char *free_pair = pair_description (dir, "pair-s7-n48-sub0-000001.h5");
  g_assert_null (strstr (free_pair, "on substrate"));

  /* a pair file whose recorded share differs from the run's is refused */
  g_autofree char *src = g_build_filename (dir, "pair-s7-n48-sub0-000001.h5", NULL);
  g_autofree char *dst = g_build_filename (dir, "pair-s7-n48-sub0-000000.h5", NULL);
  g_autoptr (AetProject) pair = aet_project_load (src, &error);
  g_assert_no_error (error);
  aet_project_set_param (pair, "train/substrate_fraction", "0.5");
  g_assert_true (aet_project_save (pair, dst, &error));
  g_autofree char *out = g_build_filename (dir, "share.h5", NULL);
  p.output = out;
  p.steps = 4;
  p.pool_start = 2;
  p.pair_reuse = 4;   /* one pair for the 4 steps */
  p.n_val_pairs = 1;
  g_autoptr (GError) mismatch = NULL;
  /* (seed 7 draws pair 0 for its first block of 4 steps) */
  g_assert_false (aet_train (&p, NULL, NULL, &mismatch));
  g_test_message ("%s", mismatch->message);
  g_assert_error (mismatch, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_nonnull (strstr (mismatch->message, "made with substrate fraction 0.5"));
}

/* --tilt: every pair of the pool is simulated with the given series (its
 * description says so, it records the list) under names of their own; a
 * pair made with another series is refused. */
static void
test_fixed_tilt_series (void)
{
  g_autofree char *dir = g_build_filename (work_dir, "pool-tilt", NULL);
  const gdouble angles[] = { -60, -30, 0, 30, 60 };
  AetTrainParams p;
  tiny_params (&p, NULL);
  p.pool_dir = dir;
  p.n_pairs = 1;
  p.n_val_pairs = 1;
  p.genfire_iterations = 5;
  p.angles = angles;
  p.n_angles = G_N_ELEMENTS (angles);
  g_autofree char *list = aet_train_tilt_list (&p);
  g_assert_cmpstr (list, ==, "-60,-30,0,30,60");
  /* a symmetric series takes every flip, a lopsided one only y and x+z */
  const gdouble lopsided[] = { -40, 0, 40, 70 };
  AetTrainParams q = p;
  q.angles = lopsided;
  q.n_angles = G_N_ELEMENTS (lopsided);
  for (guint f = 0; f < 8; f++)
    {
      g_assert_cmpuint (aet_train_patch_flips (&p, f), ==, f);
      guint kept = aet_train_patch_flips (&q, f);
      g_assert_cmpuint (kept & 1u, ==, (kept >> 2) & 1u);
      g_assert_cmpuint (kept & 3u, ==, f & 3u);
    }
  AetTrainStats stats;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_train_make_pool (&p, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.pairs_generated, ==, 2);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;
  guint n = 0;
  g_autofree char *pair_name = NULL;
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_test_message ("%s", entry);
      g_assert_true (g_str_has_prefix (entry, "pair-s7-n48-tilt")
                     || g_str_has_prefix (entry, "val-s7-n48-tilt"));
      g_autofree char *description = pair_description (dir, entry);
      g_assert_nonnull (strstr (description, "5 tilts ±60.0°"));
      if (g_str_has_prefix (entry, "pair-"))
        pair_name = g_strdup (entry);
      n++;
    }
  g_assert_cmpuint (n, ==, 2);
  g_autofree char *path = g_build_filename (dir, pair_name, NULL);
  g_autoptr (AetProject) pair = aet_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (aet_project_get_param (pair, "train/tilt"), ==, list);

  /* the same file under the name of another series' pair is refused */
  const gdouble other[] = { -50, 0, 50 };
  p.angles = other;
  p.n_angles = G_N_ELEMENTS (other);
  g_assert_true (aet_train_make_pool (&p, &stats, NULL, &error));
  g_assert_cmpuint (stats.pairs_generated, ==, 2);
  g_autoptr (GDir) d2 = g_dir_open (dir, 0, NULL);
  g_autofree char *other_pair = NULL;
  while ((entry = g_dir_read_name (d2)) != NULL)
    if (g_str_has_prefix (entry, "pair-") && g_strcmp0 (entry, pair_name) != 0)
      other_pair = g_build_filename (dir, entry, NULL);
  g_assert_nonnull (other_pair);
  g_assert_true (aet_project_save (pair, other_pair, &error));
  g_autofree char *out = g_build_filename (dir, "tilt.h5", NULL);
  p.output = out;
  p.steps = 2;
  p.pool_start = 1;
  g_autoptr (GError) mismatch = NULL;
  g_assert_false (aet_train (&p, NULL, NULL, &mismatch));
  g_test_message ("%s", mismatch->message);
  g_assert_error (mismatch, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_nonnull (strstr (mismatch->message, "made with tilt angles -60,-30,0,30,60, this run "
                                               "asks for -50,0,50"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  work_dir = aet_test_scratch_dir_new ("aet-test-train");
  pool_dir = g_build_filename (work_dir, "pool", NULL);
  g_test_add_func ("/compute/train/loss-decreases-pool-reused",
                   test_loss_decreases_and_pool_reused);
  g_test_add_func ("/compute/train/resume", test_resume_bit_for_bit);
  g_test_add_func ("/compute/train/interrupt", test_interrupt_saves_checkpoint);
  g_test_add_func ("/compute/train/peak-level", test_peak_level);
  g_test_add_func ("/compute/train/schedule-validation", test_schedule_and_validation);
  g_test_add_func ("/compute/train/make-pool-substrate-fraction", test_make_pool);
  g_test_add_func ("/compute/train/fixed-tilt-series", test_fixed_tilt_series);
  g_test_add_func ("/compute/train/linear-output", test_linear_output);
  g_test_add_func ("/compute/train/pair-reuse", test_pair_reuse);
  g_test_add_func ("/compute/train/ema", test_ema);
  g_test_add_func ("/compute/train/best-checkpoint-and-collapse",
                   test_best_checkpoint_and_collapse);
  int status = g_test_run ();
  aet_test_remove_tree (work_dir);
  g_free (pool_dir);
  g_free (work_dir);
  return status;
}
