/* aet-train.h — training the augmentation network on simulated data.
 *
 * The published recipe (Lee, Jeong & Yang 2021) with our own simulator and
 * reconstruction: a training pair is the GENFIRE reconstruction of a
 * simulated missing-wedge tilt series (input) and the same atoms as sharp
 * Gaussians of B = 4 Å² and peak 1 (target).  Each pair varies from its
 * seed: particle shape and size, element, atom width, tilt range and count,
 * dose, angle and shift errors.
 *
 * Pairs are made on demand and cached in a pool folder, one project file per
 * pair (volumes "input" and "target"), so a resumed run or a second run with
 * the same seed reuses them; validation pairs use a stream of seeds apart
 * from the training pairs.  The pool grows while training runs: a few pairs
 * at the start, one more every pool_grow_every steps, up to n_pairs.
 *
 * Each step takes a random patch³ crop of a random available pair, flipped
 * at random along x, y and z (a reflection keeps a missing wedge about z
 * a missing wedge about z), and makes one Adam step.  Every random choice of
 * step s comes from a stream of (seed, s), so a run resumed from a
 * checkpoint (weights + Adam state + step count) continues bit for bit.
 *
 * The input normalisation is the same at training and inference
 * (aet_train_peak_level): a reconstruction is divided by the median of its
 * local maxima above 0.3 × its 99.99th percentile, which approximates "the
 * mean atom peak is 1" without knowing where the atoms are.
 */
#pragma once

#include "aet-job.h"
#include "aet-unet.h"
#include "aet-volume.h"

#include <glib.h>

G_BEGIN_DECLS

/* One line of the training log (no newline), on the training thread. */
typedef void (*AetTrainLogFunc) (const char *line, gpointer user_data);

typedef struct
{
  const char *output;          /* checkpoint path (weights + Adam state); required */
  const char *resume;          /* a checkpoint to continue from, or NULL */
  const char *pool_dir;        /* pair cache; NULL: "train-pool" beside output */
  gint64 steps;                /* train until this many steps are done; default 20000 */
  gint patch;                  /* crop edge, voxels; default 64 */
  guint64 seed;                /* default 1: network init, pairs, crops */
  gint base, depth;            /* U-Net for a new run (aet_unet_new_default); 8, 2 */
  gboolean linear_output;      /* a new run's output layer: linear instead of ReLU; FALSE */
  gdouble lr;                  /* peak learning rate; default 1e-3 */
  gint64 lr_warmup;            /* linear warm-up steps from lr/10; default 500 */
  gint64 lr_half_life;         /* lr halves every this many steps; default 30000 */
  gdouble lr_floor;            /* never below lr × this; default 1/32 */
  guint n_pairs;               /* training pairs in the pool at most; default 512 */
  guint pool_start;            /* pairs available at step 0; default 8 */
  gint64 pool_grow_every;      /* one more pair every this many steps; default 40 */
  guint n_val_pairs;           /* validation pairs; default 4 */
  guint val_patches;           /* fixed validation patches per pair; default 2 */
  gint64 val_every;            /* validation loss every N steps; default 500 */
  gint64 checkpoint_every;     /* default 500 */
  gint64 log_every;            /* a log line every N steps; default 50 */
  gint volume_size;            /* simulated box edge, voxels; default 144 */
  gdouble pixel;               /* Å; default 0.357 */
  gint genfire_iterations;     /* default 50 */
  gdouble substrate_fraction;  /* share of particles on a substrate; default 0.2.  Pool
                                * files of another share are named "…-sub<percent>-…" */
  guint cache_pairs;           /* pairs kept in memory; default 16 */
  gdouble clip;                /* adaptive gradient clipping (aet_adam_clip_gradients):
                                * × the running mean norm; 0 (default): off */
  gint pair_reuse;             /* steps in a row that crop the same pair (one read for
                                * them); default 1: a pair drawn every step */
  gdouble ema;                 /* weight averaging (aet_adam_set_ema): the decay, 0 < ema
                                * < 1; validation, the best checkpoint and exports use the
                                * average.  0 (default): as the checkpoint resumed from has
                                * it (a new run: off) */
  gdouble output_init_scale;   /* a new network's output layer weights × this; 0.1 */
  const gdouble *angles;       /* every pair's tilt angles (degrees, n_angles of them), as
                                * an experiment's series to train for; NULL (default):
                                * each pair draws its own (±55…75°, 15–31 tilts).  Pool
                                * files of a fixed series are named "…-tilt<hash>-…" */
  gsize n_angles;
  AetTrainLogFunc log_func;    /* may be NULL */
  gpointer log_data;
} AetTrainParams;

typedef struct
{
  gint64 first_step;           /* steps done before this run (0, or from --resume) */
  gint64 last_step;            /* steps done at the end */
  guint pairs_generated;       /* pool pairs (training + validation) made by this run */
  guint pairs_loaded;          /* pool pairs read from disk */
  gdouble first_val_loss;      /* validation MSE before the first step of this run */
  gdouble last_val_loss;       /* validation MSE at the end */
  gdouble best_val_loss;       /* the lowest validation MSE of this run (first included) */
  gint64 best_step;            /* its step; the checkpoint "<output>-best.h5" holds it when
                                * it is later than first_step */
  gdouble train_seconds;       /* wall time in training steps */
  gdouble generate_seconds;    /* wall time making pairs */
} AetTrainStats;

/* Sets the defaults listed above (output NULL). */
void aet_train_params_init (AetTrainParams *params);

/* FALSE with AET_ERROR_INVALID naming the bad setting. */
gboolean aet_train_params_validate (const AetTrainParams *params, GError **error);

/* The learning rate of step `step` (0-based): linear warm-up from lr/10 over
 * lr_warmup steps, then halving every lr_half_life steps, never below
 * lr × lr_floor.  Independent of `steps`, so a run may be extended. */
gdouble aet_train_lr_at (const AetTrainParams *params, gint64 step);

/* The normalisation level of a reconstruction: the median of its local
 * maxima (≥ their 26 neighbours, away from the faces) above 0.3 × its
 * 99.99th percentile; 0 for an empty or flat volume. */
gdouble aet_train_peak_level (const AetVolume *volume);

/* A copy of volume divided by aet_train_peak_level (level_out gets it), or
 * NULL with AET_ERROR_DATA when the volume has no peaks to normalise by.
 * `what` names the volume in the message.  Caller owns. */
AetVolume *aet_train_normalise (const AetVolume *volume, const char *what, gdouble *level_out,
                                GError **error);

/* Makes one pair: training pair `index` (validation FALSE) or validation pair
 * `index` for `params->seed`: input (normalised reconstruction) and target.
 * `description` (may be NULL) gets one line about it.  Caller owns all. */
gboolean aet_train_make_pair (const AetTrainParams *params, gboolean validation, guint index,
                              AetVolume **input, AetVolume **target, char **description,
                              AetJob *job, GError **error);

/* The simulator seed (AetSimParams.seed) of training pair `index`
 * (validation FALSE) or validation pair `index` for params->seed: the first
 * draw of the pair's random stream, a 64-bit number.  Lets a benchmark
 * prove its particles are not in a pool. */
guint64 aet_train_pair_sim_seed (const AetTrainParams *params, gboolean validation,
                                 guint index);

/* The checkpoint of a run's best validation loss beside `output`:
 * "<output without .h5>-best.h5" (weights + Adam state, like the checkpoint;
 * written each time the validation loss reaches a new low).  Caller owns. */
char *aet_train_best_path (const char *output);

/* Makes every missing validation and training pair of the pool (n_val_pairs
 * + n_pairs) and stops, so the pool can be made ahead of training, or by
 * another process while a run trains on another pool.  Pairs already on
 * disk are not read.  Cancellable (AET_ERROR_CANCELLED). */
gboolean aet_train_make_pool (const AetTrainParams *params, AetTrainStats *stats,
                              AetJob *job, GError **error);

/* Trains (or resumes) until params->steps, writing checkpoints to
 * params->output every checkpoint_every steps and at the end; they record
 * params->pixel as the network's voxel size (a checkpoint recorded at
 * another sampling is refused for --resume).  Progress and
 * the thread count through job; when job is cancelled the current step
 * finishes, a checkpoint is written and the result is FALSE with
 * AET_ERROR_CANCELLED "train: interrupted, checkpoint saved to <output>".
 * The lowest validation loss is kept in aet_train_best_path (output) (an
 * earlier run's file there, rescored on this run's validation set, is
 * replaced only by a lower loss).  A network whose validation loss reaches
 * 95 % of an all-zero output's after being below half of it (a dead ReLU
 * output, or weights blown up by one step) stops the run with
 * AET_ERROR_DATA "train: the network collapsed|diverged at step S …"
 * before that state is checkpointed, naming the checkpoint to resume from.  stats may be NULL. */
gboolean aet_train (const AetTrainParams *params, AetTrainStats *stats, AetJob *job,
                    GError **error);

/* Where `aet augment` finds the shipped network: $AET_MODEL, else
 * AET_DATADIR/aet-unet.h5, else AET_SOURCE_DIR/resources/aet-unet.h5, the
 * first that exists; NULL when none does.  Caller owns. */
char *aet_train_find_default_model (void);

/* The fixed tilt series of p as text ("-65,-58.5,…", locale-free), or NULL
 * when each pair draws its own.  Caller owns. */
char *aet_train_tilt_list (const AetTrainParams *p);

/* The mirror flips (bit 0: x, 1: y, 2: z) a patch gets for a drawn value
 * 0–7: any when the tilt series is its own mirror (θ → −θ; drawn per pair,
 * or a fixed symmetric one), else only those that keep its wedge: y, and x
 * with z together (a half turn about the tilt axis). */
guint aet_train_patch_flips (const AetTrainParams *p, guint drawn);

G_END_DECLS
