/* aet-cmd-train.c — `aet train`: trains the augmentation network on
 * simulated pairs (aet-train.h), with checkpoints, resume and Ctrl+C. */
#define G_LOG_DOMAIN "aet"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-error.h"
#include "aet-tilt-series.h"
#include "aet-train.h"
#include "aet-weights.h"

/* The job Ctrl+C cancels: the step in progress finishes, a checkpoint is
 * written, and the command exits 1.  A second Ctrl+C kills as usual
 * (SA_RESETHAND). */
static AetJob *volatile interrupt_job = NULL;

static void
on_sigint (int signum)
{
  (void) signum;
  AetJob *job = interrupt_job;
  if (job != NULL)
    aet_job_cancel (job);
}

/* Log lines go to stdout with the UTC time, flushed (the log of a run in the
 * background is its record). */
static void
print_line (const char *line, gpointer user_data)
{
  const AetCliCommon *common = user_data;
  if (common->quiet)
    return;
  if (isatty (STDERR_FILENO))
    fputs ("\r\033[K", stderr);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  printf ("%s %s\n", stamp, line);
  fflush (stdout);
}

int
aet_cmd_train (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  AetTrainParams params;
  aet_train_params_init (&params);
  g_autofree char *output = NULL, *resume = NULL, *pool = NULL, *export_path = NULL;
  gboolean make_pool = FALSE, linear_output = FALSE, half = FALSE;
  gint64 steps = params.steps, checkpoint_every = params.checkpoint_every;
  gint64 val_every = params.val_every, log_every = params.log_every;
  gint64 seed = (gint64) params.seed;
  gint patch = params.patch, base = params.base, depth = params.depth;
  gint pairs = (gint) params.n_pairs, size = params.volume_size;
  gint iterations = params.genfire_iterations;
  gint pool_start = (gint) params.pool_start, val_pairs = (gint) params.n_val_pairs;
  gint val_patches = (gint) params.val_patches;
  gdouble substrate = params.substrate_fraction;
  g_autofree char *tilt = NULL;
  gint pair_reuse = params.pair_reuse;
  gdouble clip = params.clip;
  gdouble ema = params.ema;
  gdouble lr = params.lr, warmup = (gdouble) params.lr_warmup;
  gdouble half_life = (gdouble) params.lr_half_life;

  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Checkpoint to write: weights + optimiser state (.h5)", "FILE" },
    { "steps", 0, 0, G_OPTION_ARG_INT64, &steps, "Train until this many steps are done (20000)",
      "N" },
    { "patch", 0, 0, G_OPTION_ARG_INT, &patch, "Patch edge in voxels (64)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed: network, pairs, patches (1)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, "Continue from this checkpoint", "FILE" },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      "Write the --resume checkpoint's weights without the optimiser state (the file to "
      "ship) to FILE, and stop",
      "FILE" },
    { "half", 0, 0, G_OPTION_ARG_NONE, &half,
      "With --export: store the weights as 16-bit floats (half the file)", NULL },
    { "make-pool", 0, 0, G_OPTION_ARG_NONE, &make_pool,
      "Make the pool's missing pairs (--pairs, --val-pairs) and stop", NULL },
    { "pool", 0, 0, G_OPTION_ARG_FILENAME, &pool,
      "Folder of cached training pairs (train-pool beside -o)", "DIR" },
    { "base", 0, 0, G_OPTION_ARG_INT, &base, "U-Net base channels, new runs (8)", "N" },
    { "depth", 0, 0, G_OPTION_ARG_INT, &depth, "U-Net levels below the top, new runs (2)", "N" },
    { "linear-output", 0, 0, G_OPTION_ARG_NONE, &linear_output,
      "New runs: a linear output layer instead of a ReLU (one that cannot die)", NULL },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate (1e-3)", "L" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Learning rate warm-up steps (500)", "N" },
    { "half-life", 0, 0, G_OPTION_ARG_DOUBLE, &half_life,
      "The learning rate halves every N steps (30000)", "N" },
    { "pairs", 0, 0, G_OPTION_ARG_INT, &pairs, "Training pairs in the pool at most (512)", "N" },
    { "pool-start", 0, 0, G_OPTION_ARG_INT, &pool_start,
      "Pairs drawn from at step 0; one more every 40 steps (8; a made pool: --pairs)", "N" },
    { "tilt", 0, 0, G_OPTION_ARG_STRING, &tilt,
      "Train for this tilt series (start:stop:step or a,b,c, degrees): every pair uses it "
      "(default: each pair draws ±55…75°, 15–31 tilts)", "LIST" },
    { "substrate-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &substrate,
      "Share of the simulated particles on a substrate (0.2)", "F" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip,
      "Clip gradients whose norm passes K × their running mean (0: off)", "K" },
    { "ema", 0, 0, G_OPTION_ARG_DOUBLE, &ema,
      "Average the weights with this decay, e.g. 0.999; validation, the best checkpoint and "
      "--export use the average (0: as the checkpoint resumed from)", "D" },
    { "pair-reuse", 0, 0, G_OPTION_ARG_INT, &pair_reuse,
      "Steps in a row that crop the same pair: fewer reads (1)", "N" },
    { "val-pairs", 0, 0, G_OPTION_ARG_INT, &val_pairs, "Validation pairs (4)", "N" },
    { "val-patches", 0, 0, G_OPTION_ARG_INT, &val_patches,
      "Fixed validation patches per validation pair (2)", "N" },
    { "checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &checkpoint_every,
      "Write a checkpoint every N steps (500)", "N" },
    { "validate-every", 0, 0, G_OPTION_ARG_INT64, &val_every,
      "Validation loss every N steps (500)", "N" },
    { "log-every", 0, 0, G_OPTION_ARG_INT64, &log_every, "A log line every N steps (50)", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Simulated volume edge in voxels (144)", "N" },
    { "genfire-iterations", 0, 0, G_OPTION_ARG_INT, &iterations,
      "GENFIRE iterations per pair (50)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = aet_cli_context_new (
    "train", NULL,
    "Trains the augmentation network on simulated reconstruction/target pairs.\n"
    "Ctrl+C finishes the current step, writes a checkpoint and exits; resume with\n"
    "the same command and --resume CHECKPOINT.",
    &common);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!aet_cli_parse (context, "train", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  if (argc > 1)
    return aet_cli_usage ("train", "unexpected argument “%s”", argv[1]);
  if (half && export_path == NULL)
    return aet_cli_usage ("train", "--half goes with --export");
  if (export_path != NULL)
    {
      if (resume == NULL)
        return aet_cli_usage ("train", "--export: give the checkpoint with --resume");
      g_autoptr (GError) error = NULL;
      AetUnet *net = aet_weights_load (resume, NULL, &error);
      if (net == NULL)
        return aet_cli_fail (error);
      gboolean ok = half ? aet_weights_save_half (net, export_path, &error)
                         : aet_weights_save (net, NULL, export_path, &error);
      gsize n_params = aet_unet_count_parameters (net);
      aet_unet_free (net);
      if (!ok)
        return aet_cli_fail (error);
      aet_cli_say (&common, "wrote %s: %zu parameters%s, no optimiser state\n", export_path,
                   n_params, half ? " as 16-bit floats" : "");
      return AET_EXIT_OK;
    }
  if (make_pool && output == NULL && pool == NULL)
    return aet_cli_usage ("train", "--make-pool: give the pool folder with --pool");
  if (output == NULL && !make_pool)
    return aet_cli_usage ("train", "give -o weights.h5");
  if (seed < 0)
    return aet_cli_usage ("train", "--seed %" G_GINT64_FORMAT ": must be ≥ 0", seed);
  if (pairs < 1)
    return aet_cli_usage ("train", "--pairs %d: must be ≥ 1", pairs);
  if (pool_start < 1 || val_pairs < 1 || val_patches < 1)
    return aet_cli_usage ("train", "--pool-start, --val-pairs and --val-patches must be ≥ 1");

  g_autofree gdouble *angles = NULL;
  if (tilt != NULL)
    {
      g_autoptr (GError) tilt_error = NULL;
      angles = aet_parse_tilt_range (tilt, &params.n_angles, &tilt_error);
      if (angles == NULL)
        return aet_cli_usage ("train", "%s", tilt_error->message);
      params.angles = angles;
    }
  params.output = output;
  params.resume = resume;
  params.pool_dir = pool;
  params.steps = steps;
  params.patch = patch;
  params.seed = (guint64) seed;
  params.base = base;
  params.depth = depth;
  params.linear_output = linear_output;
  params.lr = lr;
  params.lr_warmup = (gint64) warmup;
  params.lr_half_life = (gint64) half_life;
  params.n_pairs = (guint) pairs;
  params.pool_start = (guint) MIN (pool_start, pairs);
  params.n_val_pairs = (guint) val_pairs;
  params.substrate_fraction = substrate;
  params.pair_reuse = pair_reuse;
  params.clip = clip;
  params.ema = ema;
  params.val_patches = (guint) val_patches;
  params.checkpoint_every = checkpoint_every;
  params.val_every = val_every;
  params.log_every = log_every;
  params.volume_size = size;
  params.genfire_iterations = iterations;
  params.log_func = print_line;
  params.log_data = &common;

  g_autoptr (GError) error = NULL;
  if (!aet_train_params_validate (&params, &error))
    return aet_cli_usage ("train", "%s", error->message + (g_str_has_prefix (error->message,
                                                                             "train: ") ? 7 : 0));

  g_autoptr (AetJob) job = aet_cli_job_new (&common);
  interrupt_job = job;
  struct sigaction action = { 0 };
  action.sa_handler = on_sigint;
  action.sa_flags = SA_RESETHAND;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);

  AetTrainStats stats = { 0 };
  gboolean ok = make_pool ? aet_train_make_pool (&params, &stats, job, &error)
                          : aet_train (&params, &stats, job, &error);
  interrupt_job = NULL;
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  aet_cli_job_finish (job);
  if (!ok)
    return aet_cli_fail (error);
  if (make_pool)
    {
      aet_cli_say (&common, "pool: %u pairs made (%.0f s), %u there already\n",
                   stats.pairs_generated, stats.generate_seconds,
                   params.n_pairs + params.n_val_pairs - stats.pairs_generated);
      return AET_EXIT_OK;
    }
  gint64 done = stats.last_step - stats.first_step;
  aet_cli_say (&common,
               "trained %" G_GINT64_FORMAT " steps (now %" G_GINT64_FORMAT "), %.3f s/step; "
               "validation loss %.6f → %.6f; pool: %u pairs made (%.0f s), %u read\n",
               done, stats.last_step, done > 0 ? stats.train_seconds / done : 0.0,
               stats.first_val_loss, stats.last_val_loss, stats.pairs_generated,
               stats.generate_seconds, stats.pairs_loaded);
  if (stats.best_step > stats.first_step && stats.best_step < stats.last_step)
    {
      g_autofree char *best = aet_train_best_path (output);
      aet_cli_say (&common, "best validation loss %.6f at step %" G_GINT64_FORMAT ": %s\n",
                   stats.best_val_loss, stats.best_step, best);
    }
  return AET_EXIT_OK;
}
