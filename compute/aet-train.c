/* aet-train.c — training the augmentation network on simulated pairs
 * (see aet-train.h for the recipe). */
#define G_LOG_DOMAIN "aet-train"

#include "aet-train.h"

#include "aet-adam.h"
#include "aet-config.h"
#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-project-file.h"
#include "aet-reconstruct.h"
#include "aet-rng.h"
#include "aet-simulate.h"
#include "aet-weights.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* Random streams of a seed, kept apart so that one purpose never shifts
 * another's numbers. */
#define STREAM_PAIR 0x100000000ull   /* + pair index: the pair's variations */
#define STREAM_VAL 0x200000000ull    /* + validation pair index */
#define STREAM_STEP 0x300000000ull   /* + step: pair choice, crop, flips */
#define STREAM_VAL_PATCH 0x400000000ull
#define STREAM_INIT 0x500000000ull   /* network initialisation */
#define STREAM_PAIR_CHOICE 0x600000000ull   /* + step / pair_reuse: the pair (pair_reuse > 1) */

#define DEFAULT_SUBSTRATE_FRACTION 0.2
/* A validation loss this close to an all-zero output's means a dead output. */
#define COLLAPSED 0.95

/* The published box, to which atom counts and sizes are scaled. */
#define REF_BOX_A (144 * 0.357)

void
aet_train_params_init (AetTrainParams *p)
{
  memset (p, 0, sizeof *p);
  p->steps = 20000;
  p->patch = 64;
  p->seed = 1;
  p->base = 8;
  p->depth = 2;
  p->lr = 1e-3;
  p->lr_warmup = 500;
  p->lr_half_life = 30000;
  p->lr_floor = 1.0 / 32.0;
  p->n_pairs = 512;
  p->pool_start = 8;
  p->pool_grow_every = 40;
  p->n_val_pairs = 4;
  p->val_patches = 2;
  p->val_every = 500;
  p->checkpoint_every = 500;
  p->log_every = 50;
  p->volume_size = 144;
  p->pixel = 0.357;
  p->genfire_iterations = 50;
  p->substrate_fraction = DEFAULT_SUBSTRATE_FRACTION;
  p->cache_pairs = 16;
  p->pair_reuse = 1;
  p->output_init_scale = 0.1;
}

#define CHECK(cond, ...)                                                  \
  G_STMT_START                                                            \
  {                                                                       \
    if (!(cond))                                                          \
      {                                                                   \
        g_set_error (error, AET_ERROR, AET_ERROR_INVALID, __VA_ARGS__);   \
        return FALSE;                                                     \
      }                                                                   \
  }                                                                       \
  G_STMT_END

gboolean
aet_train_params_validate (const AetTrainParams *p, GError **error)
{
  CHECK (p->steps >= 0 && p->steps <= G_GINT64_CONSTANT (1000000000),
         "train: steps %" G_GINT64_FORMAT ": expected 0 to 1e9", p->steps);
  CHECK (p->base >= 1 && p->base <= 64, "train: base %d: expected 1 to 64", p->base);
  CHECK (p->depth >= 1 && p->depth <= 4, "train: depth %d: expected 1 to 4", p->depth);
  gint align = 1 << p->depth;
  CHECK (p->patch >= 8 && p->patch <= 256 && p->patch % align == 0,
         "train: patch %d: expected a multiple of %d from 8 to 256", p->patch, align);
  CHECK (p->volume_size >= 24 && p->volume_size <= 512, "train: volume size %d: expected 24 to 512",
         p->volume_size);
  CHECK (p->patch <= p->volume_size, "train: patch %d is larger than the simulated volume (%d)",
         p->patch, p->volume_size);
  CHECK (p->pixel > 0.05 && p->pixel < 5, "train: pixel %g Å: expected 0.05 to 5", p->pixel);
  CHECK (isfinite (p->lr) && p->lr > 0 && p->lr < 1, "train: learning rate %g: expected 0 to 1",
         p->lr);
  CHECK (p->lr_warmup >= 0 && p->lr_half_life >= 1 && p->lr_floor > 0 && p->lr_floor <= 1,
         "train: bad learning rate schedule");
  CHECK (p->n_pairs >= 1 && p->n_pairs <= 1000000, "train: pairs %u: expected 1 to 1e6",
         p->n_pairs);
  CHECK (p->pool_start >= 1 && p->pool_grow_every >= 1, "train: bad pool growth");
  CHECK (p->n_val_pairs >= 1 && p->n_val_pairs <= 64 && p->val_patches >= 1
           && p->val_patches <= 64,
         "train: validation pairs %u × patches %u: expected 1 to 64 each", p->n_val_pairs,
         p->val_patches);
  CHECK (p->val_every >= 1 && p->checkpoint_every >= 1 && p->log_every >= 1,
         "train: the validation, checkpoint and log intervals must be positive");
  CHECK (p->angles == NULL || (p->n_angles >= 2 && p->n_angles <= 720),
         "train: %zu tilt angles: expected 2 to 720", p->n_angles);
  for (gsize i = 0; p->angles != NULL && i < p->n_angles; i++)
    CHECK (isfinite (p->angles[i]) && fabs (p->angles[i]) < 90,
           "train: tilt angle %g: expected within ±90°", p->angles[i]);
  CHECK (isfinite (p->ema) && p->ema >= 0 && p->ema < 1,
         "train: weight averaging decay %g: expected 0 ≤ D < 1 (0.999: ~1,000 steps)", p->ema);
  CHECK (p->genfire_iterations >= 1 && p->genfire_iterations <= 10000,
         "train: GENFIRE iterations %d: expected 1 to 10000", p->genfire_iterations);
  CHECK (isfinite (p->substrate_fraction) && p->substrate_fraction >= 0
           && p->substrate_fraction <= 1,
         "train: substrate fraction %g: expected 0 to 1", p->substrate_fraction);
  CHECK (isfinite (p->clip) && (p->clip == 0 || (p->clip >= 1 && p->clip <= 1000)),
         "train: clip %g: expected 0 (off) or 1 to 1000", p->clip);
  CHECK (p->pair_reuse >= 1 && p->pair_reuse <= 1000,
         "train: pair reuse %d: expected 1 to 1000", p->pair_reuse);
  CHECK (p->cache_pairs >= 1, "train: cache must hold at least one pair");
  CHECK (p->output_init_scale > 0 && p->output_init_scale <= 1,
         "train: output init scale %g: expected 0 to 1", p->output_init_scale);
  return TRUE;
}

gdouble
aet_train_lr_at (const AetTrainParams *p, gint64 step)
{
  gdouble warm = 1.0;
  if (step < p->lr_warmup)
    warm = 0.1 + 0.9 * (gdouble) step / (gdouble) p->lr_warmup;
  gdouble decay = pow (0.5, (gdouble) (step / p->lr_half_life));
  return p->lr * warm * MAX (decay, p->lr_floor);
}

/* ---- normalisation ---------------------------------------------------- */

static int
cmp_float (const void *a, const void *b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;
  return (x > y) - (x < y);
}

gdouble
aet_train_peak_level (const AetVolume *v)
{
  if (v->nx < 3 || v->ny < 3 || v->nz < 3)
    return 0;
  gdouble top = aet_volume_percentile (v, 99.99);
  if (!(top > 0))
    return 0;
  gfloat threshold = (gfloat) (0.3 * top);
  GArray *peaks = g_array_new (FALSE, FALSE, sizeof (gfloat));
  gsize sx = 1, sy = (gsize) v->nx, sz = (gsize) v->nx * v->ny;
  for (gint k = 1; k < v->nz - 1; k++)
    for (gint j = 1; j < v->ny - 1; j++)
      for (gint i = 1; i < v->nx - 1; i++)
        {
          gsize c = i * sx + j * sy + k * sz;
          gfloat value = v->data[c];
          if (!(value > threshold))
            continue;
          gboolean is_max = TRUE;
          for (gint dz = -1; dz <= 1 && is_max; dz++)
            for (gint dy = -1; dy <= 1 && is_max; dy++)
              for (gint dx = -1; dx <= 1; dx++)
                {
                  gssize o = dx * (gssize) sx + dy * (gssize) sy + dz * (gssize) sz;
                  if (o == 0)
                    continue;
                  gfloat w = v->data[(gssize) c + o];
                  /* ties go to the first voxel in memory order */
                  if (w > value || (w == value && o < 0))
                    {
                      is_max = FALSE;
                      break;
                    }
                }
          if (is_max)
            g_array_append_val (peaks, value);
        }
  gdouble level = 0;
  if (peaks->len > 0)
    {
      qsort (peaks->data, peaks->len, sizeof (gfloat), cmp_float);
      level = g_array_index (peaks, gfloat, peaks->len / 2);
    }
  g_array_unref (peaks);
  return level;
}

AetVolume *
aet_train_normalise (const AetVolume *volume, const char *what, gdouble *level_out,
                     GError **error)
{
  if (!aet_volume_check_finite (volume, what, error))
    return NULL;
  gdouble level = aet_train_peak_level (volume);
  if (!(level > 0) || !isfinite (level))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "%s: no positive peaks to normalise by (is it empty?)", what);
      return NULL;
    }
  AetVolume *out = aet_volume_dup (volume);
  aet_volume_scale (out, (gfloat) (1.0 / level));
  if (level_out != NULL)
    *level_out = level;
  return out;
}

/* The mean of the volume at the atoms (trilinear; positions in Å, voxel
 * (i, j, k) at (i, j, k)·pixel). */
static gdouble
mean_at_atoms (const AetVolume *v, const AetAtoms *atoms)
{
  gdouble sum = 0;
  gsize n = 0;
  for (gsize a = 0; a < atoms->n_atoms; a++)
    {
      gdouble u[3];
      gint i0[3];
      gboolean inside = TRUE;
      gint dims[3] = { v->nx, v->ny, v->nz };
      for (int d = 0; d < 3; d++)
        {
          gdouble x = atoms->positions[3 * a + d] / v->voxel_size;
          i0[d] = (gint) floor (x);
          u[d] = x - i0[d];
          if (i0[d] < 0 || i0[d] + 1 >= dims[d])
            inside = FALSE;
        }
      if (!inside)
        continue;
      gdouble value = 0;
      for (int c = 0; c < 8; c++)
        {
          gint dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
          gdouble w = (dx ? u[0] : 1 - u[0]) * (dy ? u[1] : 1 - u[1]) * (dz ? u[2] : 1 - u[2]);
          value += w * v->data[aet_volume_index (v, i0[0] + dx, i0[1] + dy, i0[2] + dz)];
        }
      sum += value;
      n++;
    }
  return n > 0 ? sum / n : 0;
}

/* ---- pairs ------------------------------------------------------------ */

/* Starts the random stream of a pair and returns its first draw, the
 * simulator's seed; the rest of the stream picks the pair's variations. */
static guint64
pair_stream (const AetTrainParams *p, gboolean validation, guint index, AetRng *rng)
{
  aet_rng_init_stream (rng, p->seed, (validation ? STREAM_VAL : STREAM_PAIR) + index);
  return aet_rng_next (rng);
}

guint64
aet_train_pair_sim_seed (const AetTrainParams *params, gboolean validation, guint index)
{
  AetRng rng;
  return pair_stream (params, validation, index, &rng);
}

static const guint other_elements[] = { 79, 46, 77, 45 };   /* Au, Pd, Ir, Rh */
static const char *const element_names[] = { "Au", "Pd", "Ir", "Rh" };

gboolean
aet_train_make_pair (const AetTrainParams *p, gboolean validation, guint index,
                     AetVolume **input_out, AetVolume **target_out, char **description,
                     AetJob *job, GError **error)
{
  AetRng rng;
  AetSimParams sp;
  aet_sim_params_init_defaults (&sp);
  sp.size = p->volume_size;
  sp.pixel = p->pixel;
  sp.seed = pair_stream (p, validation, index, &rng);

  const char *element = "Pt";
  if (aet_rng_uniform (&rng) < 0.6)
    sp.element = 78;
  else
    {
      guint e = (guint) aet_rng_below (&rng, G_N_ELEMENTS (other_elements));
      sp.element = other_elements[e];
      element = element_names[e];
    }
  gdouble u = aet_rng_uniform (&rng);
  sp.shape = u < 0.7 ? AET_SHAPE_SPHERE_UNION
                     : (u < 0.85 ? AET_SHAPE_TRUNCATED_OCTAHEDRON : AET_SHAPE_CUBOCTAHEDRON);
  sp.substrate = aet_rng_uniform (&rng) < p->substrate_fraction;
  gdouble box_scale = p->volume_size * p->pixel / REF_BOX_A;
  gdouble want_atoms = aet_rng_range (&rng, 500, 2500) * pow (box_scale, 3);
  sp.b_input = aet_rng_range (&rng, 4, 7);
  gdouble tilt_max = aet_rng_range (&rng, 55, 75);
  gint n_tilts = 15 + (gint) aet_rng_below (&rng, 17);
  sp.counts = aet_rng_range (&rng, 20, 100);
  sp.angle_error = aet_rng_range (&rng, 0, 0.5);
  sp.shift_error = aet_rng_range (&rng, 0, 0.3);
  g_autofree gdouble *angles = g_new (gdouble, n_tilts);
  for (gint t = 0; t < n_tilts; t++)
    angles[t] = -tilt_max + 2 * tilt_max * t / (n_tilts - 1);
  sp.angles = angles;
  sp.n_angles = (gsize) n_tilts;
  if (p->angles != NULL)
    {
      /* the experiment's series (the draws above keep every other choice
       * of the pair as it would be) */
      sp.angles = p->angles;
      sp.n_angles = p->n_angles;
      n_tilts = (gint) p->n_angles;
      tilt_max = 0;
      for (gsize t = 0; t < p->n_angles; t++)
        tilt_max = MAX (tilt_max, fabs (p->angles[t]));
    }

  /* Size: the radius scales the atom count as radius³; one trial particle
   * gives the factor, then shrink until it fits the box. */
  sp.radius = 12 * box_scale;
  {
    g_autoptr (GError) local = NULL;
    g_autoptr (AetAtoms) trial = aet_simulate_particle (&sp, NULL, &local);
    if (trial != NULL && trial->n_atoms > 0)
      sp.radius *= cbrt (want_atoms / (gdouble) trial->n_atoms);
  }
  g_autoptr (AetSimResult) sim = NULL;
  for (int attempt = 0; attempt < 8 && sim == NULL; attempt++)
    {
      g_autoptr (GError) local = NULL;
      if (aet_sim_params_validate (&sp, &local))
        {
          sim = aet_simulate (&sp, job, &local);
          if (sim == NULL && g_error_matches (local, AET_ERROR, AET_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
        }
      if (sim == NULL)
        {
          if (attempt == 7)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                          "train: simulating pair %u: ", index);
              return FALSE;
            }
          sp.radius *= 0.9;
        }
    }

  AetReconParams rp;
  aet_recon_params_init (&rp);
  rp.method = AET_RECON_GENFIRE;
  rp.iterations = p->genfire_iterations;
  g_autoptr (AetVolume) recon = aet_reconstruct (sim->tilts, &rp, NULL, job, error);
  if (recon == NULL)
    return FALSE;

  g_autofree char *what = g_strdup_printf ("%s pair %u", validation ? "validation" : "training",
                                           index);
  gdouble level = 0;
  AetVolume *input = aet_train_normalise (recon, what, &level, error);
  if (input == NULL)
    return FALSE;
  gdouble true_mean = mean_at_atoms (recon, sim->truth);
  gdouble target_peak = aet_volume_percentile (sim->target, 100);
  AetVolume *target = aet_volume_ref (sim->target);
  if (fabs (target_peak - 1) > 0.05 && target_peak > 0)
    {
      /* the target should peak at 1; scale it if the simulator ever changes */
      aet_volume_unref (target);
      target = aet_volume_dup (sim->target);
      aet_volume_scale (target, (gfloat) (1 / target_peak));
    }
  if (description != NULL)
    *description = g_strdup_printf (
      "%s: %zu %s atoms, %s%s, B %.1f Å², %d tilts ±%.1f°, counts %.0f; "
      "peak level %.4g, mean at atoms %.4g (ratio %.3f)",
      what, sim->truth->n_atoms, element, aet_shape_kind_name (sp.shape),
      sp.substrate ? " on substrate" : "", sp.b_input, n_tilts, tilt_max, sp.counts, level,
      true_mean, true_mean > 0 ? level / true_mean : 0.0);
  *input_out = input;
  *target_out = target;
  return TRUE;
}

/* ---- the pool --------------------------------------------------------- */

typedef struct
{
  AetVolume *input, *target;
} Pair;

static void
pair_free (gpointer data)
{
  Pair *pair = data;
  if (pair == NULL)
    return;
  g_clear_pointer (&pair->input, aet_volume_unref);
  g_clear_pointer (&pair->target, aet_volume_unref);
  g_free (pair);
}

typedef struct
{
  const AetTrainParams *p;
  char *dir;
  GHashTable *cache;   /* key (validation << 31 | index) → Pair */
  GQueue order;        /* keys in insertion order, for eviction */
  AetTrainStats *stats;
} Pool;

static void
train_log (const AetTrainParams *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
train_log (const AetTrainParams *p, const char *format, ...)
{
  if (p->log_func == NULL)
    return;
  va_list args;
  va_start (args, format);
  g_autofree char *line = g_strdup_vprintf (format, args);
  va_end (args);
  p->log_func (line, p->log_data);
}

char *
aet_train_tilt_list (const AetTrainParams *p)
{
  if (p->angles == NULL)
    return NULL;
  GString *s = g_string_new (NULL);
  for (gsize i = 0; i < p->n_angles; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf (s, "%s%s", i > 0 ? "," : "",
                              g_ascii_formatd (buf, sizeof buf, "%.6g", p->angles[i]));
    }
  return g_string_free (s, FALSE);
}

/* TRUE when the series is its own mirror (θ → −θ): then flips along x
 * or z alone keep the missing wedge where it is. */
static gboolean
symmetric_series (const AetTrainParams *p)
{
  if (p->angles == NULL)
    return TRUE;
  for (gsize i = 0; i < p->n_angles; i++)
    {
      gboolean found = FALSE;
      for (gsize j = 0; j < p->n_angles && !found; j++)
        found = fabs (p->angles[i] + p->angles[j]) < 1e-6;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

guint
aet_train_patch_flips (const AetTrainParams *p, guint drawn)
{
  drawn &= 7u;
  if (symmetric_series (p))
    return drawn;
  /* x and z together: a half turn about y, which keeps every tilt */
  return (drawn & 3u) | ((drawn & 1u) << 2);
}

static char *
pair_path (Pool *pool, gboolean validation, guint index)
{
  /* pools of a fixed tilt series hold other pairs: named by its hash */
  g_autofree char *tilts = aet_train_tilt_list (pool->p);
  g_autofree char *tilt_tag = NULL;
  if (tilts != NULL)
    {
      g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1, tilts, -1);
      tilt_tag = g_strdup_printf ("-tilt%.8s", sum);
    }
  /* pools of another substrate share hold other particles: name them apart */
  g_autofree char *share = NULL;
  if (fabs (pool->p->substrate_fraction - DEFAULT_SUBSTRATE_FRACTION) > 1e-9)
    {
      /* in any locale "-sub33.3333"; shares within 1e-9 share a name */
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      share = g_strconcat ("-sub", g_ascii_formatd (buf, sizeof buf, "%.9g",
                                                    100 * pool->p->substrate_fraction),
                           NULL);
    }
  g_autofree char *name = g_strdup_printf (
    "%s-s%" G_GUINT64_FORMAT "-n%d%s%s-%06u.h5", validation ? "val" : "pair", pool->p->seed,
    pool->p->volume_size, share != NULL ? share : "", tilt_tag != NULL ? tilt_tag : "", index);
  return g_build_filename (pool->dir, name, NULL);
}

static Pair *
pool_get (Pool *pool, gboolean validation, guint index, AetJob *job, GError **error)
{
  gpointer key = GUINT_TO_POINTER (((guint) validation << 31) | index);
  Pair *pair = g_hash_table_lookup (pool->cache, key);
  if (pair != NULL)
    return pair;

  g_autofree char *path = pair_path (pool, validation, index);
  pair = g_new0 (Pair, 1);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (AetProject) project = aet_project_load (path, error);
      if (project == NULL)
        {
          g_prefix_error (error, "train: pool (delete the file to make it again): ");
          pair_free (pair);
          return NULL;
        }
      AetVolume *input = aet_project_get_volume (project, "input");
      AetVolume *target = aet_project_get_volume (project, "target");
      gint n = pool->p->volume_size;
      if (input == NULL || target == NULL || input->nx != n || input->ny != n || input->nz != n
          || !aet_volume_same_shape (input, target))
        {
          g_autofree char *name = g_path_get_basename (path);
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: not a training pair of %d³ voxels (delete it to make it again)",
                       name, n);
          pair_free (pair);
          return NULL;
        }
      /* a pair records the substrate share it was made with (files from
       * before it did are not checked: their names say it) */
      const char *share = aet_project_get_param (project, "train/substrate_fraction");
      gdouble made_with = share != NULL ? g_ascii_strtod (share, NULL) : 0;
      if (share != NULL && fabs (made_with - pool->p->substrate_fraction) > 1e-9)
        {
          g_autofree char *name = g_path_get_basename (path);
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: made with substrate fraction %g, this run asks for %g (give that, "
                       "or another --pool)",
                       name, made_with, pool->p->substrate_fraction);
          pair_free (pair);
          return NULL;
        }
      const char *tilts = aet_project_get_param (project, "train/tilt");
      g_autofree char *wanted = aet_train_tilt_list (pool->p);
      if (g_strcmp0 (tilts, wanted) != 0 && (tilts != NULL || wanted != NULL))
        {
          g_autofree char *name = g_path_get_basename (path);
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: made with tilt angles %s, this run asks for %s (give those, or "
                       "another --pool)",
                       name, tilts != NULL ? tilts : "drawn per pair",
                       wanted != NULL ? wanted : "them drawn per pair");
          pair_free (pair);
          return NULL;
        }
      pair->input = aet_volume_ref (input);
      pair->target = aet_volume_ref (target);
      pool->stats->pairs_loaded++;
    }
  else
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autofree char *description = NULL;
      aet_job_set_stage (job, "Simulate pair");
      if (!aet_train_make_pair (pool->p, validation, index, &pair->input, &pair->target,
                                &description, job, error))
        {
          aet_job_set_stage (job, "Train");
          pair_free (pair);
          return NULL;
        }
      aet_job_set_stage (job, "Train");
      g_autoptr (AetProject) project = aet_project_new ();
      aet_project_set_volume (project, "input", pair->input);
      aet_project_set_volume (project, "target", pair->target);
      aet_project_set_param (project, "train/description", description);
      char share[G_ASCII_DTOSTR_BUF_SIZE];
      aet_project_set_param (project, "train/substrate_fraction",
                             g_ascii_dtostr (share, sizeof share, pool->p->substrate_fraction));
      g_autofree char *tilts = aet_train_tilt_list (pool->p);
      if (tilts != NULL)
        aet_project_set_param (project, "train/tilt", tilts);
      if (!aet_project_save (project, path, error))
        {
          pair_free (pair);
          return NULL;
        }
      gdouble seconds = (g_get_monotonic_time () - t0) / 1e6;
      pool->stats->generate_seconds += seconds;
      pool->stats->pairs_generated++;
      train_log (pool->p, "pool: %s (%.1f s)", description, seconds);
    }

  if (g_hash_table_size (pool->cache) >= pool->p->cache_pairs)
    {
      gpointer old = g_queue_pop_head (&pool->order);
      g_hash_table_remove (pool->cache, old);
    }
  g_hash_table_insert (pool->cache, key, pair);
  g_queue_push_tail (&pool->order, key);
  return pair;
}

/* ---- patches ---------------------------------------------------------- */

/* Copies the n³ block at (x0, y0, z0) of v into t (1 × n³), mirrored along
 * the axes whose flip bit is set (bit 0: x, 1: y, 2: z). */
static void
crop_into (const AetVolume *v, gint x0, gint y0, gint z0, guint flips, AetTensor *t)
{
  gint n = t->w;
  for (gint k = 0; k < n; k++)
    for (gint j = 0; j < n; j++)
      {
        gint sk = z0 + ((flips & 4) ? n - 1 - k : k);
        gint sj = y0 + ((flips & 2) ? n - 1 - j : j);
        const gfloat *src = v->data + aet_volume_index (v, x0, sj, sk);
        gfloat *dst = t->data + ((gsize) k * n + j) * n;
        if (flips & 1)
          for (gint i = 0; i < n; i++)
            dst[i] = src[n - 1 - i];
        else
          memcpy (dst, src, (gsize) n * sizeof (gfloat));
      }
}

static gdouble
mse (const AetTensor *a, const AetTensor *b)
{
  gdouble s = 0;
  for (gsize i = 0; i < a->n; i++)
    {
      gdouble d = (gdouble) a->data[i] - b->data[i];
      s += d * d;
    }
  return s / (gdouble) a->n;
}

typedef struct
{
  AetTensor **x, **y;
  guint n;
} ValSet;

static void
val_set_clear (ValSet *vs)
{
  for (guint i = 0; i < vs->n; i++)
    {
      aet_tensor_free (vs->x[i]);
      aet_tensor_free (vs->y[i]);
    }
  g_free (vs->x);
  g_free (vs->y);
}

/* Fixed validation patches: near the middle of each validation pair, where
 * the particle is, at offsets drawn from their own stream, unflipped. */
static gboolean
val_set_init (ValSet *vs, Pool *pool, AetJob *job, GError **error)
{
  const AetTrainParams *p = pool->p;
  vs->n = p->n_val_pairs * p->val_patches;
  vs->x = g_new0 (AetTensor *, vs->n);
  vs->y = g_new0 (AetTensor *, vs->n);
  gint n = p->volume_size, c = p->patch;
  gint centre = (n - c) / 2, spread = MIN (centre, n / 8);
  for (guint v = 0; v < p->n_val_pairs; v++)
    {
      Pair *pair = pool_get (pool, TRUE, v, job, error);
      if (pair == NULL)
        return FALSE;
      for (guint j = 0; j < p->val_patches; j++)
        {
          AetRng rng;
          aet_rng_init_stream (&rng, p->seed, STREAM_VAL_PATCH + v * 64 + j);
          gint o[3];
          for (int d = 0; d < 3; d++)
            o[d] = centre - spread + (gint) aet_rng_below (&rng, (guint64) (2 * spread + 1));
          guint i = v * p->val_patches + j;
          vs->x[i] = aet_tensor_new (1, c, c, c);
          vs->y[i] = aet_tensor_new (1, c, c, c);
          crop_into (pair->input, o[0], o[1], o[2], 0, vs->x[i]);
          crop_into (pair->target, o[0], o[1], o[2], 0, vs->y[i]);
        }
    }
  return TRUE;
}

/* The validation loss of net's weights, or of their average when adam
 * keeps one (adam may be NULL). */
static gboolean
val_loss (AetUnet *net, AetAdam *adam, const ValSet *vs, gdouble *loss, GError **error)
{
  if (adam != NULL && adam->ema != NULL)
    {
      aet_adam_swap_ema (adam, net);
      gboolean ok = val_loss (net, NULL, vs, loss, error);
      aet_adam_swap_ema (adam, net);
      return ok;
    }
  gdouble sum = 0;
  for (guint i = 0; i < vs->n; i++)
    {
      const AetTensor *out = aet_unet_forward (net, vs->x[i], error);
      if (out == NULL)
        return FALSE;
      sum += mse (out, vs->y[i]);
    }
  *loss = sum / vs->n;
  return TRUE;
}

/* Opens the pool folder of p (made if missing) with an empty cache. */
static gboolean
pool_open (Pool *pool, const AetTrainParams *p, AetTrainStats *stats, GError **error)
{
  g_autofree char *dir = NULL;
  if (p->pool_dir != NULL)
    dir = g_strdup (p->pool_dir);
  else if (p->output == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "train: give the pool folder or the output");
      return FALSE;
    }
  else
    {
      g_autofree char *parent = g_path_get_dirname (p->output);
      dir = g_build_filename (parent, "train-pool", NULL);
    }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot create the pool folder: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  *pool = (Pool) { .p = p, .dir = g_steal_pointer (&dir), .stats = stats };
  pool->cache = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, pair_free);
  g_queue_init (&pool->order);
  return TRUE;
}

static void
pool_close (Pool *pool)
{
  g_clear_pointer (&pool->cache, g_hash_table_unref);
  g_queue_clear (&pool->order);
  g_clear_pointer (&pool->dir, g_free);
}

char *
aet_train_best_path (const char *output)
{
  g_autofree char *stem = g_str_has_suffix (output, ".h5")
                            ? g_strndup (output, strlen (output) - 3)
                            : g_strdup (output);
  return g_strconcat (stem, "-best.h5", NULL);
}

/* The checkpoint of the best validation loss: where it is kept, the loss
 * to beat, the network's output activation (only a ReLU output can die). */
typedef struct
{
  const char *path;
  gdouble loss;
  gint64 step;
  gint64 first_step;      /* the step this run started at */
  gboolean from_before;   /* the file on disk from an earlier run is the best */
  gdouble zero_loss;      /* the validation loss of an all-zero output */
  gboolean relu_output;
} Best;

/* FALSE with an error when the validation loss `loss` at `step` is as high
 * as an all-zero output's (95 %) after having been below half of it: a ReLU
 * output that died ("collapsed", exactly the zero output's loss), or a step
 * that blew the weights up ("diverged": a base-16 depth-3 network with a
 * linear output went from 0.0035 to a training loss of 114 within 150 steps
 * at lr 5e-4 and stayed above the zero output's).  Stopping then keeps the
 * broken state out of the checkpoint. */
static gboolean
check_alive (const AetTrainParams *p, const Best *b, gint64 step, gdouble loss,
             GError **error)
{
  if (loss < COLLAPSED * b->zero_loss || b->loss >= 0.5 * b->zero_loss)
    return TRUE;
  g_autofree char *where = NULL;
  const char *file = b->from_before || b->step > b->first_step ? b->path : p->resume;
  if (file != NULL)
    where = g_strdup_printf ("the best checkpoint is %s (step %" G_GINT64_FORMAT ", %.6f): "
                             "resume from it with a smaller --lr",
                             file, b->step, b->loss);
  else
    where = g_strdup ("no checkpoint was better: start again with a smaller --lr");
  g_set_error (error, AET_ERROR, AET_ERROR_DATA,
               "train: the network %s at step %" G_GINT64_FORMAT " (validation loss "
               "%.6f, an all-zero output's is %.6f); %s",
               b->relu_output && loss < 1.05 * b->zero_loss ? "collapsed" : "diverged", step,
               loss, b->zero_loss, where);
  return FALSE;
}

/* check_alive on the weights training goes on from: with averaging on,
 * `loss` is the average's, which trails a divergence or a dead output by
 * ~1/(1 − decay) steps while the checkpoints hold the raw weights, so those
 * are scored too (one more pass over the validation patches). */
static gboolean
check_live (const AetTrainParams *p, AetUnet *net, AetAdam *adam, const ValSet *vs,
            const Best *b, gint64 step, gdouble loss, GError **error)
{
  if (!check_alive (p, b, step, loss, error))
    return FALSE;
  if (adam->ema == NULL)
    return TRUE;
  gdouble live = 0;
  return val_loss (net, NULL, vs, &live, error) && check_alive (p, b, step, live, error);
}

/* Keeps net as the best checkpoint when `loss` beats it. */
static gboolean
keep_if_best (AetUnet *net, const AetAdam *adam, Best *b, gint64 step, gdouble loss,
              GError **error)
{
  if (loss >= b->loss)
    return TRUE;
  if (!aet_weights_save (net, adam, b->path, error))
    return FALSE;
  b->loss = loss;
  b->step = step;
  b->from_before = FALSE;
  return TRUE;
}

/* ---- the loop --------------------------------------------------------- */

gboolean
aet_train (const AetTrainParams *p, AetTrainStats *stats_out, AetJob *job, GError **error)
{
  if (!aet_train_params_validate (p, error))
    return FALSE;
  if (p->output == NULL || p->output[0] == '\0')
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "train: no output file given");
      return FALSE;
    }
  AetTrainStats stats = { 0 };

  g_autoptr (AetUnet) net = NULL;
  g_autoptr (AetAdam) adam = NULL;
  if (p->resume != NULL)
    {
      net = aet_weights_load (p->resume, &adam, error);
      if (net == NULL)
        return FALSE;
      if (adam == NULL)
        {
          g_autofree char *name = aet_display_name (p->resume);
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: weights without optimiser state: not a checkpoint to resume from",
                       name);
          return FALSE;
        }
      if (aet_unet_get_in_channels (net) != 1 || aet_unet_get_out_channels (net) != 1
          || p->patch % aet_unet_get_alignment (net) != 0)
        {
          g_autofree char *name = aet_display_name (p->resume);
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: the network does not take 1-channel %d³ patches", name, p->patch);
          return FALSE;
        }
      gdouble trained_at = aet_unet_get_voxel_size (net);
      if (fabs (trained_at / p->pixel - 1) > 0.01)
        {
          g_autofree char *name = aet_display_name (p->resume);
          g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                       "%s: the network was trained on %g Å voxels, this run simulates %g Å",
                       name, trained_at, p->pixel);
          return FALSE;
        }
    }
  else
    {
      net = aet_unet_new_default_full (p->base, p->depth,
                                       p->linear_output ? AET_ACT_NONE : AET_ACT_RELU,
                                       p->seed ^ STREAM_INIT);
      /* He initialisation gives outputs of ~1 on inputs of ~1 while the
       * target is mostly 0; the first large steps then push the ReLU output
       * below zero everywhere and it stops learning.  Smaller output weights
       * start near the target's scale with the output unit alive. */
      guint last = aet_unet_get_n_layers (net) - 1;
      for (guint i = 0; i < aet_unet_get_n_params (net); i++)
        {
          AetParam *param = aet_unet_get_param (net, i);
          if (param->layer == last && strcmp (param->name, "weight") == 0)
            for (gsize k = 0; k < param->n; k++)
              param->data[k] *= (gfloat) p->output_init_scale;
        }
      adam = aet_adam_new (net, p->lr);
    }
  if (p->ema > 0)
    aet_adam_set_ema (adam, net, p->ema);
  /* checkpoints record the sampling the network learns at */
  aet_unet_set_voxel_size (net, p->pixel);
  aet_unet_set_threads (net, aet_job_get_threads (job));
  stats.first_step = adam->step;

  Pool pool;
  if (!pool_open (&pool, p, &stats, error))
    return FALSE;
  const char *dir = pool.dir;

  ValSet vs = { 0 };
  gdouble zero_loss = 0;   /* the validation loss of an all-zero output */
  gboolean ok = TRUE, interrupted = FALSE;
  gint c = p->patch, n = p->volume_size;
  g_autoptr (AetTensor) x = aet_tensor_new (1, c, c, c);
  g_autoptr (AetTensor) y = aet_tensor_new (1, c, c, c);
  gint64 last_saved = -1;
  const gboolean mirror_ok = symmetric_series (p);

  aet_job_set_stage (job, "Train");
  train_log (p, "network: %zu parameters, %u layers, receptive radius %d; patch %d³, "
                "pool %s, steps %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT,
             aet_unet_count_parameters (net), aet_unet_get_n_layers (net),
             aet_unet_get_receptive_radius (net), c, dir, adam->step, p->steps);
  if (adam->ema != NULL)
    train_log (p, "weights averaged with decay %g (~%.0f steps): validation and the best "
                  "checkpoint use the average", adam->ema_decay, 1.0 / (1.0 - adam->ema_decay));
  {
    g_autoptr (GError) local = NULL;
    ok = val_set_init (&vs, &pool, job, &local);
    if (!ok && g_error_matches (local, AET_ERROR, AET_ERROR_CANCELLED))
      interrupted = TRUE;
    else if (!ok)
      g_propagate_error (error, g_steal_pointer (&local));
  }
  if (ok)
    {
      /* yardsticks: an all-zero output, and the input itself */
      gdouble zero = 0, identity = 0;
      g_autoptr (AetTensor) zeros = aet_tensor_new (1, c, c, c);
      for (guint i = 0; i < vs.n; i++)
        {
          zero += mse (zeros, vs.y[i]) / vs.n;
          identity += mse (vs.x[i], vs.y[i]) / vs.n;
        }
      train_log (p, "validation: %u patches; loss of a zero output %.6f, of the input %.6f",
                 vs.n, zero, identity);
      zero_loss = zero;
      ok = val_loss (net, adam, &vs, &stats.first_val_loss, error);
    }
  if (ok)
    train_log (p, "validation loss at step %" G_GINT64_FORMAT ": %.6f", adam->step,
               stats.first_val_loss);
  stats.last_val_loss = stats.first_val_loss;
  g_autofree char *best_path = aet_train_best_path (p->output);
  Best best = { .path = best_path, .loss = stats.first_val_loss, .step = adam->step,
                .first_step = adam->step, .zero_loss = zero_loss };
  best.relu_output
    = aet_unet_get_layer (net, aet_unet_get_n_layers (net) - 1)->activation == AET_ACT_RELU;
  if (ok && p->resume != NULL && g_file_test (best.path, G_FILE_TEST_IS_REGULAR))
    {
      /* an earlier run's best, scored on this run's validation set: only a
       * lower loss replaces it */
      g_autoptr (GError) local = NULL;
      AetAdam *best_adam = NULL;
      g_autoptr (AetUnet) earlier = aet_weights_load (best.path, &best_adam, &local);
      gdouble loss = 0;
      if (earlier != NULL && best_adam != NULL
          && aet_unet_count_parameters (earlier) == aet_unet_count_parameters (net))
        {
          aet_unet_set_threads (earlier, aet_job_get_threads (job));
          if (val_loss (earlier, best_adam, &vs, &loss, NULL) && loss <= best.loss)
            {
              best.loss = loss;
              best.step = best_adam->step;
              best.from_before = TRUE;
              train_log (p, "best so far: %s, step %" G_GINT64_FORMAT ", validation loss %.6f",
                         best.path, best.step, loss);
            }
        }
      if (best_adam != NULL)
        aet_adam_free (best_adam);
    }

  gdouble loss_sum = 0;
  gint64 loss_n = 0, t_log = g_get_monotonic_time ();
  gdouble gen_at_log = stats.generate_seconds;
  while (ok && adam->step < p->steps)
    {
      if (aet_job_cancelled (job))
        {
          interrupted = TRUE;
          break;
        }
      gint64 s = adam->step;
      AetRng rng;
      aet_rng_init_stream (&rng, p->seed, STREAM_STEP + (guint64) s);
      /* with pair reuse, the pool as it was at the block's first step, so
       * the block keeps one pair */
      gint64 s_pool = s - s % p->pair_reuse;
      guint64 available = MIN ((guint64) p->n_pairs,
                               (guint64) p->pool_start + (guint64) (s_pool / p->pool_grow_every));
      guint index = (guint) aet_rng_below (&rng, available);
      if (p->pair_reuse > 1)
        {
          /* the same pair for pair_reuse steps in a row: one read for several */
          AetRng pick;
          aet_rng_init_stream (&pick, p->seed, STREAM_PAIR_CHOICE + (guint64) (s / p->pair_reuse));
          index = (guint) aet_rng_below (&pick, available);
        }
      gint o[3];
      for (int d = 0; d < 3; d++)
        o[d] = (gint) aet_rng_below (&rng, (guint64) (n - c + 1));
      guint flips = mirror_ok ? (guint) aet_rng_below (&rng, 8)
                              : aet_train_patch_flips (p, (guint) aet_rng_below (&rng, 8));

      g_autoptr (GError) local = NULL;
      Pair *pair = pool_get (&pool, FALSE, index, job, &local);
      if (pair == NULL)
        {
          if (g_error_matches (local, AET_ERROR, AET_ERROR_CANCELLED))
            interrupted = TRUE;
          else
            {
              g_propagate_error (error, g_steal_pointer (&local));
              ok = FALSE;
            }
          break;
        }
      crop_into (pair->input, o[0], o[1], o[2], flips, x);
      crop_into (pair->target, o[0], o[1], o[2], flips, y);

      adam->lr = aet_train_lr_at (p, s);
      adam->clip = p->clip;
      gint64 t0 = g_get_monotonic_time ();
      gdouble loss = 0;
      if (!aet_unet_train_step (net, adam, x, y, &loss, error))
        {
          ok = FALSE;
          break;
        }
      stats.train_seconds += (g_get_monotonic_time () - t0) / 1e6;
      if (!isfinite (loss))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                       "train: the loss diverged at step %" G_GINT64_FORMAT
                       " (try a smaller --lr)", s);
          ok = FALSE;
          break;
        }
      loss_sum += loss;
      loss_n++;
      gint64 done = adam->step;
      gdouble fraction = p->steps > 0 ? (gdouble) done / (gdouble) p->steps : 1.0;
      aet_job_progress (job, fraction, "step %" G_GINT64_FORMAT ", loss %.5f", done, loss);

      if (done % p->log_every == 0)
        {
          gint64 now = g_get_monotonic_time ();
          gdouble wall = (now - t_log) / 1e6 - (stats.generate_seconds - gen_at_log);
          g_autofree char *clipped
            = p->clip > 0 ? g_strdup_printf ("  clipped %" G_GUINT64_FORMAT, adam->n_clipped)
                          : g_strdup ("");
          adam->n_clipped = 0;
          train_log (p, "step %" G_GINT64_FORMAT "  loss %.6f  lr %.3g  %.3f s/step  pool %"
                        G_GUINT64_FORMAT "%s",
                     done, loss_sum / loss_n, adam->lr, wall / loss_n, available, clipped);
          loss_sum = 0;
          loss_n = 0;
          t_log = now;
          gen_at_log = stats.generate_seconds;
        }
      if (done % p->val_every == 0 && done < p->steps)
        {
          if (!val_loss (net, adam, &vs, &stats.last_val_loss, error))
            {
              ok = FALSE;
              break;
            }
          train_log (p, "validation loss at step %" G_GINT64_FORMAT ": %.6f", done,
                     stats.last_val_loss);
          if (!check_live (p, net, adam, &vs, &best, done, stats.last_val_loss, error)
              || !keep_if_best (net, adam, &best, done, stats.last_val_loss, error))
            {
              ok = FALSE;
              break;
            }
        }
      if (done % p->checkpoint_every == 0 && done < p->steps)
        {
          if (!aet_weights_save (net, adam, p->output, error))
            {
              ok = FALSE;
              break;
            }
          last_saved = done;
          train_log (p, "checkpoint: %s at step %" G_GINT64_FORMAT, p->output, done);
        }
    }

  if (ok && !interrupted && adam->step > stats.first_step)
    {
      ok = val_loss (net, adam, &vs, &stats.last_val_loss, error);
      if (ok)
        train_log (p, "validation loss at step %" G_GINT64_FORMAT ": %.6f", adam->step,
                   stats.last_val_loss);
      ok = ok && check_live (p, net, adam, &vs, &best, adam->step, stats.last_val_loss, error);
    }
  if ((ok || interrupted) && last_saved != adam->step)
    {
      if (!aet_weights_save (net, adam, p->output, error))
        ok = interrupted = FALSE;
      else
        train_log (p, "checkpoint: %s at step %" G_GINT64_FORMAT, p->output, adam->step);
    }
  if (ok && !interrupted && adam->step > stats.first_step)
    ok = keep_if_best (net, adam, &best, adam->step, stats.last_val_loss, error);
  stats.best_val_loss = best.loss;
  stats.best_step = best.step;
  if (interrupted)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_CANCELLED,
                   "train: interrupted, checkpoint saved to %s", p->output);
      ok = FALSE;
    }
  stats.last_step = adam->step;
  val_set_clear (&vs);
  pool_close (&pool);
  if (stats_out != NULL)
    *stats_out = stats;
  return ok;
}

gboolean
aet_train_make_pool (const AetTrainParams *p, AetTrainStats *stats_out, AetJob *job,
                     GError **error)
{
  if (!aet_train_params_validate (p, error))
    return FALSE;
  AetTrainStats stats = { 0 };
  Pool pool;
  if (!pool_open (&pool, p, &stats, error))
    return FALSE;
  gboolean ok = TRUE;
  guint total = p->n_val_pairs + p->n_pairs;
  for (guint k = 0; k < total && ok; k++)
    {
      gboolean validation = k < p->n_val_pairs;
      guint index = validation ? k : k - p->n_val_pairs;
      aet_job_progress (job, (gdouble) k / total, "%s pair %u", validation ? "validation"
                                                                          : "training", index);
      g_autofree char *path = pair_path (&pool, validation, index);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      ok = pool_get (&pool, validation, index, job, error) != NULL;
      /* nothing is kept: each pair is on disk once made */
      g_hash_table_remove_all (pool.cache);
      g_queue_clear (&pool.order);
    }
  if (ok)
    {
      aet_job_progress (job, 1.0, "%u pairs", total);
      train_log (p, "pool %s: %u validation and %u training pairs (%u made, %u there)",
                 pool.dir, p->n_val_pairs, p->n_pairs, stats.pairs_generated,
                 total - stats.pairs_generated);
    }
  pool_close (&pool);
  if (stats_out != NULL)
    *stats_out = stats;
  return ok;
}

char *
aet_train_find_default_model (void)
{
  const char *env = g_getenv ("AET_MODEL");
  if (env != NULL && env[0] != '\0')
    return g_file_test (env, G_FILE_TEST_IS_REGULAR) ? g_strdup (env) : NULL;
  const char *dirs[] = { AET_DATADIR, AET_SOURCE_DIR "/resources" };
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "aet-unet.h5", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}
