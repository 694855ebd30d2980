/* bench-accuracy — issue #5's accuracy table: simulated particles not used
 * in training, at the noise of real data, traced before and after
 * augmentation and matched to the truth.
 *
 * Each particle runs the pipeline of `aet run` (aet-pipeline.h: simulate →
 * reconstruct (GENFIRE) → trace before → augment → trace after → analyse)
 * and the table reads what the analyse stage records (result/<model>/…,
 * the figures `aet run` prints).  Particles cycle over the simulator's
 * shapes (sphere union, truncated octahedron, cuboctahedron; the second
 * cycle on a substrate), Pt in 144³ voxels of 0.357 Å (the training
 * sampling), 21 tilts over ±65°, 30–40 counts at the brightest pixel,
 * ±0.5° angle errors, ±0.3 px shifts, 900–1,900 atoms.
 *
 * Usage:
 *   bench-accuracy [--model FILE] [--n 6] [--first-seed 100001] [--threads 2]
 *                  [--genfire-iterations N] [--flips N] [--passes N] [--realign]
 *                  [--train-seed 1]
 *                  [--train-pairs 512]
 *                  [--save DIR] [--quiet]
 */
#define G_LOG_DOMAIN "bench-accuracy"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aet-adam.h"
#include "aet-augment-consistent.h"
#include "aet-pipeline.h"
#include "aet-rng.h"
#include "aet-simulate.h"
#include "aet-train.h"
#include "aet-weights.h"

#define MIN_ATOMS 900
#define MAX_ATOMS 1900
#define BENCH_STREAM 0xACC0000000ull   /* per-particle draws of a seed */

/* The targets. */
#define TARGET_RMSD_PM 20.0
#define TARGET_REDUCTION 0.5
#define TARGET_RATE 0.99
#define TARGET_SURFACE_RATE 0.97

static const AetShapeKind shapes[] = { AET_SHAPE_SPHERE_UNION, AET_SHAPE_TRUNCATED_OCTAHEDRON,
                                       AET_SHAPE_CUBOCTAHEDRON };
static const char *const short_names[] = { "sphere union", "trunc. octahedron",
                                           "cuboctahedron" };

typedef struct
{
  guint64 seed;
  AetSimParams sim;
  gsize n_atoms;
  gdouble seconds;
  /* [0] before, [1] after augmentation, [2] that refined against the projections */
  gdouble rmsd[3], recall[3], precision[3], surface_recall[3], surface_precision[3];
  gdouble rmsd_rigid[3], rotation_deg[3];   /* after a rigid superposition (aet-match.h) */
} Particle;

/* The training pool's simulator seeds (training and validation pairs of
 * `aet train --seed train_seed --pairs train_pairs`). */
static GHashTable *
pool_seeds (guint64 train_seed, guint train_pairs, guint64 *smallest, guint *n_val)
{
  AetTrainParams tp;
  aet_train_params_init (&tp);
  tp.seed = train_seed;
  tp.n_pairs = train_pairs;
  GHashTable *set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  *smallest = G_MAXUINT64;
  *n_val = tp.n_val_pairs;
  for (int validation = 0; validation < 2; validation++)
    {
      guint n = validation ? tp.n_val_pairs : tp.n_pairs;
      for (guint i = 0; i < n; i++)
        {
          guint64 *s = g_new (guint64, 1);
          *s = aet_train_pair_sim_seed (&tp, validation, i);
          *smallest = MIN (*smallest, *s);
          g_hash_table_add (set, s);
        }
    }
  return set;
}

/* The atom count of the particle `sim` describes (0 when it cannot be
 * simulated, e.g. too large for the box). */
static gsize
count_atoms (const AetSimParams *sim)
{
  g_autoptr (GError) error = NULL;
  if (!aet_sim_params_validate (sim, &error))
    return 0;
  g_autoptr (AetAtoms) atoms = aet_simulate_particle (sim, NULL, &error);
  return atoms != NULL ? atoms->n_atoms : 0;
}

/* Particle `index` from `seed`: shape and substrate from the index, counts
 * and a wanted atom count (950–1,850) from the seed's own stream, the
 * radius scaled (count ∝ radius³) towards it until the particle has
 * 900–1,900 atoms.  FALSE when three corrections do not get there (the
 * seed is then skipped). */
static gboolean
make_particle (guint index, guint64 seed, Particle *p)
{
  memset (p, 0, sizeof *p);
  p->seed = seed;
  AetSimParams *s = &p->sim;
  aet_sim_params_init_defaults (s);
  s->element = 78;
  s->size = 144;
  s->pixel = 0.357;
  s->seed = seed;
  s->shape = shapes[index % G_N_ELEMENTS (shapes)];
  s->substrate = (index / G_N_ELEMENTS (shapes)) % 2 == 1;
  s->angle_error = 0.5;
  s->shift_error = 0.3;
  AetRng rng;
  aet_rng_init_stream (&rng, seed, BENCH_STREAM);
  s->counts = aet_rng_range (&rng, 30, 40);
  gdouble want = aet_rng_range (&rng, MIN_ATOMS + 50, MAX_ATOMS - 50);
  /* one trial at the default scale, then up to three corrections towards
   * the wanted count */
  s->radius = 12;
  for (int attempt = 0; attempt < 4; attempt++)
    {
      gsize n = count_atoms (s);
      if (attempt > 0 && n >= MIN_ATOMS && n <= MAX_ATOMS)
        {
          p->n_atoms = n;
          return TRUE;
        }
      if (n == 0)
        s->radius *= 0.9;
      else
        s->radius *= cbrt (want / (gdouble) n);
    }
  return FALSE;
}

static void
set_double (AetPipeline *pl, const char *key, gdouble value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  aet_pipeline_set_param (pl, key, g_ascii_dtostr (buf, sizeof buf, value));
}

static gdouble
result (AetProject *project, const char *model, const char *key)
{
  g_autofree char *k = g_strdup_printf ("result/%s/%s", model, key);
  const char *v = aet_project_get_param (project, k);
  return v != NULL ? g_ascii_strtod (v, NULL) : NAN;
}

typedef struct
{
  gboolean quiet;
  guint index;
  gint last_stage;
} Progress;

/* Runs on the pipeline's thread (here the main thread). */
static void
on_event (const AetPipelineEvent *e, gpointer user_data)
{
  Progress *pr = user_data;
  if (!pr->quiet && e->kind == AET_PIPELINE_EVENT_STAGE && e->state == AET_STAGE_RUNNING
      && (gint) e->stage != pr->last_stage)
    {
      pr->last_stage = e->stage;
      fprintf (stderr, "  particle %u: %s\n", pr->index + 1, aet_stage_label (e->stage));
    }
}

static gboolean realign = FALSE;  /* --realign: a second pass from the refined geometry */
static gint passes = -1;          /* --passes: augment/passes (-1: the pipeline's default) */
static gint sirt = -1;            /* --sirt: augment/sirt_iterations (-1: the default) */

/* The pipeline of `aet run` on particle p, with the network `model`. */
static gboolean
run_particle (Particle *p, guint index, const char *model, guint threads, gint iterations,
              gint flips, const char *save_dir, gboolean quiet, GError **error)
{
  AetPipeline *pl = aet_pipeline_new (aet_project_new ());
  const AetSimParams *s = &p->sim;
  aet_pipeline_set_param (pl, "simulate/enabled", "true");
  aet_pipeline_set_param (pl, "simulate/element", "Pt");
  aet_pipeline_set_param (pl, "simulate/shape", aet_shape_kind_name (s->shape));
  aet_pipeline_set_param (pl, "simulate/substrate", s->substrate ? "true" : "false");
  set_double (pl, "simulate/radius", s->radius);
  set_double (pl, "simulate/size", s->size);
  set_double (pl, "simulate/pixel", s->pixel);
  set_double (pl, "simulate/seed", (gdouble) s->seed);
  set_double (pl, "simulate/counts", s->counts);
  set_double (pl, "simulate/angle_error", s->angle_error);
  set_double (pl, "simulate/shift_error", s->shift_error);
  aet_pipeline_set_param (pl, "simulate/tilt", "-65:65:6.5");
  if (iterations > 0)
    set_double (pl, "reconstruct/iterations", iterations);
  aet_pipeline_set_param (pl, "augment/model", model);
  if (flips > 1)
    set_double (pl, "augment/flips", flips);
  if (passes > 0)
    set_double (pl, "augment/passes", passes);
  if (sirt >= 0)
    set_double (pl, "augment/sirt_iterations", sirt);

  Progress pr = { quiet, index, -1 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = aet_pipeline_run (pl, on_event, &pr, threads, error);
  if (ok && realign && aet_pipeline_take_refined_geometry (pl))
    ok = aet_pipeline_run (pl, on_event, &pr, threads, error);
  p->seconds = (g_get_monotonic_time () - t0) / 1e6;
  AetProject *project = aet_pipeline_get_project (pl);
  if (ok && (aet_pipeline_get_stage_state (pl, AET_STAGE_AUGMENT) != AET_STAGE_DONE
             || aet_pipeline_get_stage_state (pl, AET_STAGE_REFINE) != AET_STAGE_DONE))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "the augmentation or the refinement did not run");
      ok = FALSE;
    }
  AetAtoms *truth = ok ? aet_project_get_atoms (project, "truth") : NULL;
  if (ok && (truth == NULL || truth->n_atoms != p->n_atoms))
    {
      /* the stage must simulate exactly the particle sized here */
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "seed %" G_GUINT64_FORMAT ": the pipeline simulated %zu atoms, not %zu",
                   p->seed, truth != NULL ? truth->n_atoms : 0, p->n_atoms);
      ok = FALSE;
    }
  if (ok)
    {
      const char *models[3] = { "before", "after", "refined" };
      for (int m = 0; m < 3; m++)
        {
          p->rmsd[m] = result (project, models[m], "rmsd_pm");
          p->rmsd_rigid[m] = result (project, models[m], "rmsd_rigid_pm");
          p->rotation_deg[m] = result (project, models[m], "rotation_deg");
          p->recall[m] = result (project, models[m], "recall");
          p->precision[m] = result (project, models[m], "precision");
          p->surface_recall[m] = result (project, models[m], "recall_surface");
          p->surface_precision[m] = result (project, models[m], "precision_surface");
        }
    }
  if (ok && save_dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("particle%u.h5", index + 1);
      g_autofree char *path = g_build_filename (save_dir, name, NULL);
      ok = aet_project_save (project, path, error);
    }
  aet_pipeline_free (pl);
  return ok;
}

static const char *
shape_label (const AetSimParams *s, char *buf, gsize size)
{
  guint k = 0;
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    if (shapes[i] == s->shape)
      k = i;
  g_snprintf (buf, size, "%s%s", short_names[k], s->substrate ? " + substrate" : "");
  return buf;
}

static void
print_header (void)
{
  printf ("| # | seed | shape | atoms | counts | RMSD before (pm) | RMSD after (pm) "
          "| RMSD refined (pm) | reduction (after / refined) "
          "| recall before | recall after | recall refined | precision before | precision after "
          "| precision refined | surface recall before | surface recall after | surface recall "
          "refined | surface precision before | surface precision after | surface precision "
          "refined | seconds |\n");
  printf ("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
          "---|\n");
}

static void
print_rates (const gdouble v[3])
{
  for (int m = 0; m < 3; m++)
    printf (" %.2f %% |", 100 * v[m]);
}

static void
print_row (const char *label, const char *seed, const char *shape, const char *atoms,
           const char *counts, const gdouble rmsd[3], const gdouble recall[3],
           const gdouble precision[3], const gdouble srecall[3], const gdouble sprecision[3],
           const char *seconds)
{
  printf ("| %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %.0f %% / %.0f %% |", label, seed,
          shape, atoms, counts, rmsd[0], rmsd[1], rmsd[2], 100 * (1 - rmsd[1] / rmsd[0]),
          100 * (1 - rmsd[2] / rmsd[0]));
  print_rates (recall);
  print_rates (precision);
  print_rates (srecall);
  print_rates (sprecision);
  printf (" %s |\n", seconds);
  fflush (stdout);
}

typedef struct
{
  const char *what;
  const char *target;
  gdouble mean, worst;
  gboolean mean_ok, all_ok;
  const char *unit;
  gdouble scale;
} Criterion;

static void
print_criterion (const Criterion *c)
{
  printf ("| %s | %s | %.*f%s | %.*f%s | %s | %s |\n", c->what, c->target,
          c->scale == 1 ? 1 : 2, c->mean * c->scale, c->unit, c->scale == 1 ? 1 : 2,
          c->worst * c->scale, c->unit, c->mean_ok ? "PASS" : "FAIL",
          c->all_ok ? "PASS" : "FAIL");
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL, *save_dir = NULL;
  gint n = 6, threads = 2, iterations = 0, train_pairs = 512, flips = 1;
  gint64 first_seed = 100001, train_seed = 1;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "Network weights (default: the shipped network, as aet augment finds it)", "FILE" },
    { "n", 0, 0, G_OPTION_ARG_INT, &n, "Particles (6)", "N" },
    { "first-seed", 0, 0, G_OPTION_ARG_INT64, &first_seed, "First simulator seed (100001)",
      "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads (2)", "N" },
    { "genfire-iterations", 0, 0, G_OPTION_ARG_INT, &iterations,
      "GENFIRE iterations (default: the pipeline's, 100)", "N" },
    { "flips", 0, 0, G_OPTION_ARG_INT, &flips,
      "Augment averaged over N reflections (1–8; aet run --flips)", "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes,
      "Network passes kept to the measured planes (1–32; aet run --passes; default 4)", "N" },
    { "sirt", 0, 0, G_OPTION_ARG_INT, &sirt,
      "SIRT steps against the projections in each pass (default 60; 0 = none)", "N" },
    { "realign", 0, 0, G_OPTION_ARG_NONE, &realign,
      "Then once more from the refinement's geometry (aet run --realign)", NULL },
    { "train-seed", 0, 0, G_OPTION_ARG_INT64, &train_seed,
      "Seed of the training run whose pool must be avoided (1)", "S" },
    { "train-pairs", 0, 0, G_OPTION_ARG_INT, &train_pairs, "Its pool size (512)", "N" },
    { "save", 0, 0, G_OPTION_ARG_FILENAME, &save_dir,
      "Save each particle's project as DIR/particleN.h5", "DIR" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress on stderr", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— issue #5's accuracy table");
  g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *command = g_strjoinv (" ", argv);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-accuracy: %s\n", error->message);
      return 2;
    }
  if (n < 1 || n > 1000 || threads < 1 || threads > 256 || iterations < 0 || first_seed < 0
      || first_seed > (G_GINT64_CONSTANT (1) << 52) || train_seed < 0 || train_pairs < 1
      || train_pairs > 1000000 || flips < 1 || flips > 8
      || (passes != -1 && (passes < 1 || passes > 32)) || sirt < -1 || sirt > 10000)
    {
      fprintf (stderr, "bench-accuracy: --n 1–1000, --threads 1–256, --genfire-iterations ≥ 0, "
                       "seeds 0–2^52, --train-pairs 1–1e6, --flips 1–8, --passes 1–32\n");
      return 2;
    }
  if (model == NULL)
    model = aet_train_find_default_model ();
  if (model == NULL)
    {
      fprintf (stderr, "bench-accuracy: no trained network found (give --model)\n");
      return 1;
    }
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) net = aet_weights_load (model, &adam, &error);
  if (net == NULL)
    {
      fprintf (stderr, "bench-accuracy: %s\n", error->message);
      return 1;
    }
  g_autofree char *step = adam != NULL
                            ? g_strdup_printf ("checkpoint at step %" G_GINT64_FORMAT, adam->step)
                            : g_strdup ("weights without optimiser state");
  g_clear_pointer (&adam, aet_adam_free);

  guint64 smallest = 0;
  guint n_val = 0;
  g_autoptr (GHashTable) pool = pool_seeds ((guint64) train_seed, (guint) train_pairs,
                                            &smallest, &n_val);
  char iterations_s[32] = "100 (the default)", iterations_arg[128] = "";
  if (iterations > 0)
    {
      g_snprintf (iterations_s, sizeof iterations_s, "%d", iterations);
      g_snprintf (iterations_arg, sizeof iterations_arg, " --iterations %d", iterations);
    }
  if (flips > 1)
    {
      gsize k = strlen (iterations_arg);
      g_snprintf (iterations_arg + k, sizeof iterations_arg - k, " --flips %d", flips);
    }
  if (passes > 0)
    {
      gsize k = strlen (iterations_arg);
      g_snprintf (iterations_arg + k, sizeof iterations_arg - k, " --passes %d", passes);
    }
  if (sirt >= 0)
    {
      gsize k = strlen (iterations_arg);
      g_snprintf (iterations_arg + k, sizeof iterations_arg - k, " --sirt %d", sirt);
    }
  if (realign)
    {
      gsize k = strlen (iterations_arg);
      g_snprintf (iterations_arg + k, sizeof iterations_arg - k, " --realign");
    }
  printf ("# bench-accuracy\n\n`%s`\n\n", command);
  printf ("- network: %s (%s; %zu parameters; trained on %.4g Å voxels)\n", model, step,
          aet_unet_count_parameters (net), aet_unet_get_voxel_size (net));
  printf ("- particles: Pt, 144³ voxels of 0.357 Å, 21 tilts −65…+65°, counts 30–40 at the "
          "brightest pixel, angle errors ±0.5°, shifts ±0.3 px, %d–%d atoms; shapes cycle "
          "sphere union, truncated octahedron, cuboctahedron, then the same on a substrate\n",
          MIN_ATOMS, MAX_ATOMS);
  printf ("- reconstruction: GENFIRE, %s iterations (pipeline defaults otherwise); "
          "augmentation in %d network pass%s kept to the measured planes "
          "(aet-augment-consistent.h) with %d SIRT steps each, averaged over %d reflection%s; "
          "tracing, refinement "
          "against the projections (aet-refine.h, defaults) and matching (0.9 Å) as `aet run`; "
          "%d threads%s\n",
          iterations_s, passes > 0 ? passes : AET_AUGMENT_DEFAULT_PASSES,
          (passes > 0 ? passes : AET_AUGMENT_DEFAULT_PASSES) > 1 ? "es" : "",
          sirt >= 0 ? sirt : AET_AUGMENT_DEFAULT_SIRT, flips,
          flips > 1 ? "s" : "", threads,
          realign ? "; then realigned once: reconstructed, augmented, traced and refined again "
                    "from the tilt angles and shifts the refinement found (aet run --realign); "
                    "the figures are the second pass's"
                  : "");
  printf ("- seeds: simulator seeds from %" G_GINT64_FORMAT ". The training pool of `aet train "
          "--seed %" G_GINT64_FORMAT "` (%d training + %u validation pairs) simulates with "
          "seeds drawn as 64-bit numbers from its own streams (aet_train_pair_sim_seed); the "
          "smallest is %" G_GUINT64_FORMAT ", so every seed here (< 2^53) is %s\n\n",
          first_seed, train_seed, train_pairs, n_val, smallest,
          smallest > (G_GUINT64_CONSTANT (1) << 53) ? "outside its range"
                                                     : "checked one by one against it");

  g_autofree Particle *parts = g_new0 (Particle, n);
  GString *notes = g_string_new (NULL);
  guint64 seed = (guint64) first_seed;
  print_header ();
  gint64 t_all = g_get_monotonic_time ();
  for (gint i = 0; i < n; i++)
    {
      Particle *p = &parts[i];
      for (;; seed++)
        {
          if (g_hash_table_contains (pool, &seed))
            {
              g_string_append_printf (notes, "- seed %" G_GUINT64_FORMAT
                                      " skipped: it is in the training pool\n", seed);
              continue;
            }
          if (make_particle ((guint) i, seed, p))
            break;
          g_string_append_printf (notes, "- seed %" G_GUINT64_FORMAT " skipped: particle %d "
                                  "(%s) missed %d–%d atoms after three size corrections\n",
                                  seed, i + 1, aet_shape_kind_name (shapes[i % 3]), MIN_ATOMS,
                                  MAX_ATOMS);
        }
      seed++;
      if (!quiet)
        fprintf (stderr, "particle %d: seed %" G_GUINT64_FORMAT ", %s%s, radius %.2f Å, %zu "
                         "atoms, counts %.1f\n",
                 i + 1, p->seed, aet_shape_kind_name (p->sim.shape),
                 p->sim.substrate ? " on a substrate" : "", p->sim.radius, p->n_atoms,
                 p->sim.counts);
      if (!run_particle (p, (guint) i, model, (guint) threads, iterations, flips, save_dir, quiet,
                         &error))
        {
          fprintf (stderr, "bench-accuracy: particle %d (seed %" G_GUINT64_FORMAT "): %s\n",
                   i + 1, p->seed, error->message);
          g_string_free (notes, TRUE);
          return 1;
        }
      g_string_append_printf (notes,
                              "- particle %d alone: `aet simulate -o p%d.h5 --seed %"
                              G_GUINT64_FORMAT " --shape %s --radius %.17g%s --counts %.17g "
                              "--angle-error 0.5 --shift-error 0.3 && aet run -i p%d.h5 "
                              "-o run%d.h5 --model %s%s`\n",
                              i + 1, i + 1, p->seed, aet_shape_kind_name (p->sim.shape),
                              p->sim.radius, p->sim.substrate ? " --substrate" : "",
                              p->sim.counts, i + 1, i + 1, model, iterations_arg);
      char label[8], seed_s[32], shape_s[64], atoms_s[16], counts_s[16], secs[16];
      g_snprintf (label, sizeof label, "%d", i + 1);
      g_snprintf (seed_s, sizeof seed_s, "%" G_GUINT64_FORMAT, p->seed);
      g_snprintf (atoms_s, sizeof atoms_s, "%zu", p->n_atoms);
      g_snprintf (counts_s, sizeof counts_s, "%.1f", p->sim.counts);
      g_snprintf (secs, sizeof secs, "%.0f", p->seconds);
      print_row (label, seed_s, shape_label (&p->sim, shape_s, sizeof shape_s), atoms_s,
                 counts_s, p->rmsd, p->recall, p->precision, p->surface_recall,
                 p->surface_precision, secs);
    }

  /* the mean row and the criteria */
  gdouble m_rmsd[3] = { 0 }, m_recall[3] = { 0 }, m_prec[3] = { 0 }, m_srec[3] = { 0 },
          m_sprec[3] = { 0 }, m_atoms = 0, m_counts = 0, m_secs = 0;
  for (gint i = 0; i < n; i++)
    {
      const Particle *p = &parts[i];
      for (int m = 0; m < 3; m++)
        {
          m_rmsd[m] += p->rmsd[m] / n;
          m_recall[m] += p->recall[m] / n;
          m_prec[m] += p->precision[m] / n;
          m_srec[m] += p->surface_recall[m] / n;
          m_sprec[m] += p->surface_precision[m] / n;
        }
      m_atoms += (gdouble) p->n_atoms / n;
      m_counts += p->sim.counts / n;
      m_secs += p->seconds / n;
    }
  char atoms_s[16], counts_s[16], secs[16];
  g_snprintf (atoms_s, sizeof atoms_s, "%.0f", m_atoms);
  g_snprintf (counts_s, sizeof counts_s, "%.1f", m_counts);
  g_snprintf (secs, sizeof secs, "%.0f", m_secs);
  print_row ("mean", "", "", atoms_s, counts_s, m_rmsd, m_recall, m_prec, m_srec, m_sprec,
             secs);

  gboolean all = TRUE;
  static const char *const titles[3] = {
    NULL, "the atoms traced after augmentation",
    "those atoms refined against the projections (`aet run`'s final model)",
  };
  for (int m = 1; m < 3; m++)
    {
      gdouble worst_rmsd = 0, worst_reduction = 1, worst_recall = 1, worst_prec = 1,
              worst_srec = 1, worst_sprec = 1;
      for (gint i = 0; i < n; i++)
        {
          const Particle *p = &parts[i];
          worst_rmsd = MAX (worst_rmsd, p->rmsd[m]);
          worst_reduction = MIN (worst_reduction, 1 - p->rmsd[m] / p->rmsd[0]);
          worst_recall = MIN (worst_recall, p->recall[m]);
          worst_prec = MIN (worst_prec, p->precision[m]);
          worst_srec = MIN (worst_srec, p->surface_recall[m]);
          worst_sprec = MIN (worst_sprec, p->surface_precision[m]);
        }
      gdouble mean_reduction = 1 - m_rmsd[m] / m_rmsd[0];
      Criterion criteria[] = {
        { "RMSD", "≤ 20 pm", m_rmsd[m], worst_rmsd, m_rmsd[m] <= TARGET_RMSD_PM,
          worst_rmsd <= TARGET_RMSD_PM, " pm", 1 },
        { "RMSD reduction", "≥ 50 %", mean_reduction, worst_reduction,
          mean_reduction >= TARGET_REDUCTION, worst_reduction >= TARGET_REDUCTION, " %", 100 },
        { "recall", "≥ 99 %", m_recall[m], worst_recall, m_recall[m] >= TARGET_RATE,
          worst_recall >= TARGET_RATE, " %", 100 },
        { "precision", "≥ 99 %", m_prec[m], worst_prec, m_prec[m] >= TARGET_RATE,
          worst_prec >= TARGET_RATE, " %", 100 },
        { "surface recall", "≥ 97 %", m_srec[m], worst_srec,
          m_srec[m] >= TARGET_SURFACE_RATE, worst_srec >= TARGET_SURFACE_RATE, " %", 100 },
        { "surface precision", "≥ 97 %", m_sprec[m], worst_sprec,
          m_sprec[m] >= TARGET_SURFACE_RATE, worst_sprec >= TARGET_SURFACE_RATE, " %", 100 },
      };
      printf ("\nCriteria for %s:\n\n| criterion | target | mean | worst particle | the mean "
              "meets it | every particle meets it |\n", titles[m]);
      printf ("|---|---|---|---|---|---|\n");
      for (gsize c = 0; c < G_N_ELEMENTS (criteria); c++)
        {
          print_criterion (&criteria[c]);
          if (m == 2)
            all = all && criteria[c].mean_ok && criteria[c].all_ok;
        }
    }
  /* Not a criterion: how much of the error is one turn of the whole model */
  printf ("\nDiagnostic, not the published figure: RMSD after the best rigid superposition "
          "(translation and rotation) and the turn it removes (aet-match.h).\n\n"
          "| # | rigid RMSD before (pm) | rigid RMSD after (pm) | rigid RMSD refined (pm) "
          "| turn before | turn after | turn refined |\n"
          "|---|---|---|---|---|---|---|\n");
  gdouble m_rigid[3] = { 0 }, m_turn[3] = { 0 };
  for (int i = 0; i < n; i++)
    {
      const Particle *p = &parts[i];
      printf ("| %d | %.1f | %.1f | %.1f | %.2f° | %.2f° | %.2f° |\n", i + 1, p->rmsd_rigid[0],
              p->rmsd_rigid[1], p->rmsd_rigid[2], p->rotation_deg[0], p->rotation_deg[1],
              p->rotation_deg[2]);
      for (int m = 0; m < 3; m++)
        {
          m_rigid[m] += p->rmsd_rigid[m] / n;
          m_turn[m] += p->rotation_deg[m] / n;
        }
    }
  printf ("| mean | %.1f | %.1f | %.1f | %.2f° | %.2f° | %.2f° |\n", m_rigid[0], m_rigid[1],
          m_rigid[2], m_turn[0], m_turn[1], m_turn[2]);

  printf ("\n%s: %d particles in %.0f s (the reduction of the mean row is that of the mean "
          "RMSDs; times are noisy: the CPU is shared)\n",
          all ? "PASS" : "FAIL", n, (g_get_monotonic_time () - t_all) / 1e6);
  printf ("\n%s", notes->str);
  g_string_free (notes, TRUE);
  return 0;
}
