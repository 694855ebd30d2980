#define G_LOG_DOMAIN "aet-pipeline"

#include "aet-pipeline-private.h"
#include "aet-error.h"

#include <string.h>

struct _AetStageContext
{
  AetPipeline *pipeline;
  AetStageId stage;
  AetJob *job;
  guint n_threads;
  const AetReconStats *recon_stats; /* filled while reconstructing */
};

struct _AetPipeline
{
  AetProject *project;
  GMutex lock;               /* guards the fields below */
  GThread *thread;
  AetJob *job;               /* the active run's job */
  guint generation;
  AetPipelineEventFunc callback;
  gpointer user_data;
  guint n_threads;
  GError *run_error;
  AetStageState states[AET_N_STAGES];
  gdouble seconds[AET_N_STAGES];
};

const char *
aet_stage_name (AetStageId stage)
{
  return aet_stage_info (stage)->name;
}

const char *
aet_stage_label (AetStageId stage)
{
  return aet_stage_info (stage)->label;
}

AetPipeline *
aet_pipeline_new (AetProject *project)
{
  g_return_val_if_fail (project != NULL, NULL);
  AetPipeline *p = g_new0 (AetPipeline, 1);
  p->project = project;
  g_mutex_init (&p->lock);
  return p;
}

void
aet_pipeline_free (AetPipeline *pipeline)
{
  if (pipeline == NULL)
    return;
  aet_pipeline_cancel (pipeline);
  aet_pipeline_wait (pipeline, NULL);
  aet_project_free (pipeline->project);
  g_clear_error (&pipeline->run_error);
  g_mutex_clear (&pipeline->lock);
  g_free (pipeline);
}

AetProject *
aet_pipeline_get_project (AetPipeline *pipeline)
{
  return pipeline->project;
}

gboolean
aet_pipeline_take_refined_geometry (AetPipeline *pipeline)
{
  const char *refined = aet_project_get_param (pipeline->project, "result/refine/geometry");
  if (refined == NULL || *refined == '\0')
    return FALSE;
  g_autofree char *copy = g_strdup (refined);  /* the param table may replace it */
  aet_pipeline_set_param (pipeline, "reconstruct/geometry", copy);
  return TRUE;
}

void
aet_pipeline_set_param (AetPipeline *pipeline, const char *key, const char *value)
{
  aet_project_set_param (pipeline->project, key, value);
}

/* ---- stage context helpers (worker thread) ---- */

AetProject *
aet_stage_context_project (AetStageContext *context)
{
  return context->pipeline->project;
}

AetJob *
aet_stage_context_job (AetStageContext *context)
{
  return context->job;
}

guint
aet_stage_context_threads (AetStageContext *context)
{
  return context->n_threads;
}

const char *
aet_stage_param (AetStageContext *context, const char *key, const char *fallback)
{
  const char *v = aet_project_get_param (context->pipeline->project, key);
  return v != NULL && *v ? v : fallback;
}

gdouble
aet_stage_param_double (AetStageContext *context, const char *key, gdouble fallback)
{
  const char *v = aet_stage_param (context, key, NULL);
  if (v == NULL)
    return fallback;
  char *end = NULL;
  gdouble x = g_ascii_strtod (v, &end);
  return end != v ? x : fallback;
}

gint
aet_stage_param_int (AetStageContext *context, const char *key, gint fallback)
{
  return (gint) aet_stage_param_double (context, key, fallback);
}

static void
emit (AetPipeline *p, AetPipelineEvent *event)
{
  event->generation = p->generation;
  if (p->callback != NULL)
    p->callback (event, p->user_data);
}

void
aet_stage_emit_volume (AetStageContext *context, const char *name, AetVolume *volume,
                       gboolean final)
{
  AetPipelineEvent e = {
    .kind = AET_PIPELINE_EVENT_VOLUME,
    .stage = context->stage,
    .name = name,
    .volume = volume,
    .final = final,
  };
  emit (context->pipeline, &e);
}

void
aet_stage_emit_atoms (AetStageContext *context, const char *name, AetAtoms *atoms)
{
  AetPipelineEvent e = {
    .kind = AET_PIPELINE_EVENT_ATOMS,
    .stage = context->stage,
    .name = name,
    .atoms = atoms,
    .final = TRUE,
  };
  emit (context->pipeline, &e);
}

void
aet_stage_context_set_recon_stats (AetStageContext *context, const AetReconStats *stats)
{
  context->recon_stats = stats;
}

void
aet_checksum_volume (GChecksum *checksum, const AetVolume *volume)
{
  if (volume == NULL)
    {
      g_checksum_update (checksum, (const guchar *) "no-volume", 9);
      return;
    }
  gint dims[3] = { volume->nx, volume->ny, volume->nz };
  g_checksum_update (checksum, (const guchar *) dims, sizeof dims);
  g_checksum_update (checksum, (const guchar *) &volume->voxel_size, sizeof (gdouble));
  g_checksum_update (checksum, (const guchar *) volume->data,
                     aet_volume_n_voxels (volume) * sizeof (gfloat));
}

void
aet_checksum_atoms (GChecksum *checksum, const AetAtoms *atoms)
{
  if (atoms == NULL)
    {
      g_checksum_update (checksum, (const guchar *) "no-atoms", 8);
      return;
    }
  g_checksum_update (checksum, (const guchar *) atoms->positions,
                     3 * atoms->n_atoms * sizeof (gdouble));
  g_checksum_update (checksum, atoms->elements, atoms->n_atoms);
}

/* ---- signatures ---- */

static gboolean
is_bookkeeping_key (const char *suffix)
{
  return strcmp (suffix, "signature") == 0 || strcmp (suffix, "seconds") == 0
         || strcmp (suffix, "state") == 0;
}

/* H(stage name, its parameters in key order, its inputs, its dependencies'
 * signatures).  Dependencies are hashed by their *current* signature, so a
 * change anywhere upstream reaches every stage below it. */
static char *
stage_signature (AetPipeline *p, AetStageId stage, char *const *signatures)
{
  const AetStageInfo *info = aet_stage_info (stage);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) info->name, -1);
  g_autofree char *prefix = g_strdup_printf ("%s/", info->name);
  g_auto (GStrv) keys = aet_project_dup_param_keys (p->project);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      if (!g_str_has_prefix (keys[i], prefix) || is_bookkeeping_key (keys[i] + strlen (prefix)))
        continue;
      g_checksum_update (sum, (const guchar *) keys[i], -1);
      g_checksum_update (sum, (const guchar *) "=", 1);
      g_checksum_update (sum, (const guchar *) aet_project_get_param (p->project, keys[i]), -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  if (info->hash_inputs != NULL)
    info->hash_inputs (p->project, sum);
  for (guint d = 0; d < AET_N_STAGES; d++)
    if (info->depends_on & (1u << d))
      g_checksum_update (sum, (const guchar *) (signatures[d] ? signatures[d] : "-"), -1);
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- the run ---- */

static void
set_state (AetPipeline *p, AetStageId stage, AetStageState state, const GError *error)
{
  g_mutex_lock (&p->lock);
  p->states[stage] = state;
  g_mutex_unlock (&p->lock);
  AetPipelineEvent e = {
    .kind = AET_PIPELINE_EVENT_STAGE,
    .stage = stage,
    .state = state,
    .error = error,
    .message = error != NULL ? error->message : NULL,
  };
  emit (p, &e);
}

typedef struct
{
  AetPipeline *pipeline;
  AetStageId stage;
} ProgressData;

static void
on_job_progress (AetJob *job, const char *stage_name, gdouble fraction, const char *message,
                 gpointer user_data)
{
  AetStageContext *context = user_data;
  AetPipelineEvent e = {
    .kind = AET_PIPELINE_EVENT_PROGRESS,
    .stage = context->stage,
    .fraction = fraction,
    .message = message,
  };
  /* the reconstruction writes its statistics on this thread before it
   * reports progress, so they are complete up to the current iteration */
  const AetReconStats *st = context->recon_stats;
  if (st != NULL && st->error != NULL && st->n_iterations > 0)
    {
      e.iteration_error = st->error;
      e.n_iterations = (guint) st->n_iterations;
    }
  emit (context->pipeline, &e);
}

static gboolean
run_stages (AetPipeline *p, GError **error)
{
  char *signatures[AET_N_STAGES] = { NULL };
  gboolean ok = TRUE;
  GError *stage_error = NULL;

  for (guint s = 0; s < AET_N_STAGES; s++)
    {
      p->states[s] = AET_STAGE_WAITING;
      p->seconds[s] = 0;
    }

  for (AetStageId s = 0; s < AET_N_STAGES && ok; s++)
    {
      const AetStageInfo *info = aet_stage_info (s);
      g_autofree char *sig_key = g_strdup_printf ("%s/signature", info->name);
      if (info->needed != NULL && !info->needed (p->project))
        {
          set_state (p, s, AET_STAGE_NOT_NEEDED, NULL);
          continue;
        }
      signatures[s] = stage_signature (p, s, signatures);
      const char *stored = aet_project_get_param (p->project, sig_key);
      if (stored != NULL && strcmp (stored, signatures[s]) == 0 && info->has_outputs (p->project))
        {
          set_state (p, s, AET_STAGE_UP_TO_DATE, NULL);
          continue;
        }

      /* This stage runs: its old signature goes now, so an interrupted run
       * never leaves a stage that looks finished with stale outputs. */
      aet_project_set_param (p->project, sig_key, NULL);
      set_state (p, s, AET_STAGE_RUNNING, NULL);
      AetStageContext context = {
        .pipeline = p,
        .stage = s,
        .job = p->job,
        .n_threads = p->n_threads,
      };
      aet_job_set_stage (p->job, info->label);
      aet_job_set_progress_func (p->job, on_job_progress, &context, NULL);
      gint64 t0 = g_get_monotonic_time ();
      ok = info->run (&context, &stage_error);
      aet_job_set_progress_func (p->job, NULL, NULL, NULL);
      p->seconds[s] = (g_get_monotonic_time () - t0) / 1e6;
      if (ok && aet_job_cancelled (p->job))
        {
          ok = FALSE;
          g_set_error (&stage_error, AET_ERROR, AET_ERROR_CANCELLED, "%s: cancelled",
                       info->label);
        }
      if (!ok)
        {
          gboolean cancelled = g_error_matches (stage_error, AET_ERROR, AET_ERROR_CANCELLED);
          set_state (p, s, cancelled ? AET_STAGE_CANCELLED : AET_STAGE_FAILED, stage_error);
          break;
        }
      aet_project_set_param (p->project, sig_key, signatures[s]);
      g_autofree char *sec_key = g_strdup_printf ("%s/seconds", info->name);
      g_autofree char *sec = g_strdup_printf ("%.3f", p->seconds[s]);
      aet_project_set_param (p->project, sec_key, sec);
      set_state (p, s, AET_STAGE_DONE, NULL);
    }

  for (guint s = 0; s < AET_N_STAGES; s++)
    g_free (signatures[s]);
  if (!ok)
    g_propagate_error (error, stage_error);
  return ok;
}

static void
finish (AetPipeline *p, const GError *error)
{
  AetPipelineEvent e = {
    .kind = AET_PIPELINE_EVENT_FINISHED,
    .error = error,
    .message = error != NULL ? error->message : NULL,
  };
  emit (p, &e);
}

static gpointer
worker (gpointer data)
{
  AetPipeline *p = data;
  GError *error = NULL;
  run_stages (p, &error);
  finish (p, error);
  g_mutex_lock (&p->lock);
  g_clear_error (&p->run_error);
  p->run_error = error;
  g_mutex_unlock (&p->lock);
  return NULL;
}

guint
aet_pipeline_start (AetPipeline *pipeline, AetPipelineEventFunc callback, gpointer user_data,
                    guint n_threads)
{
  aet_pipeline_cancel (pipeline);
  aet_pipeline_wait (pipeline, NULL);
  g_mutex_lock (&pipeline->lock);
  pipeline->generation++;
  pipeline->callback = callback;
  pipeline->user_data = user_data;
  pipeline->n_threads = MAX (1u, n_threads);
  g_clear_error (&pipeline->run_error);
  pipeline->job = aet_job_new ();
  aet_job_set_threads (pipeline->job, pipeline->n_threads);
  guint generation = pipeline->generation;
  pipeline->thread = g_thread_new ("aet-pipeline", worker, pipeline);
  g_mutex_unlock (&pipeline->lock);
  return generation;
}

void
aet_pipeline_cancel (AetPipeline *pipeline)
{
  g_mutex_lock (&pipeline->lock);
  aet_job_cancel (pipeline->job);
  g_mutex_unlock (&pipeline->lock);
}

gboolean
aet_pipeline_wait (AetPipeline *pipeline, GError **error)
{
  g_mutex_lock (&pipeline->lock);
  GThread *thread = g_steal_pointer (&pipeline->thread);
  g_mutex_unlock (&pipeline->lock);
  if (thread != NULL)
    g_thread_join (thread);
  g_mutex_lock (&pipeline->lock);
  g_clear_pointer (&pipeline->job, aet_job_unref);
  gboolean ok = pipeline->run_error == NULL;
  if (!ok && error != NULL)
    *error = g_error_copy (pipeline->run_error);
  g_mutex_unlock (&pipeline->lock);
  return ok;
}

gboolean
aet_pipeline_run (AetPipeline *pipeline, AetPipelineEventFunc callback, gpointer user_data,
                  guint n_threads, GError **error)
{
  aet_pipeline_cancel (pipeline);
  aet_pipeline_wait (pipeline, NULL);
  pipeline->generation++;
  pipeline->callback = callback;
  pipeline->user_data = user_data;
  pipeline->n_threads = MAX (1u, n_threads);
  pipeline->job = aet_job_new ();
  aet_job_set_threads (pipeline->job, pipeline->n_threads);
  GError *local = NULL;
  gboolean ok = run_stages (pipeline, &local);
  finish (pipeline, local);
  g_clear_pointer (&pipeline->job, aet_job_unref);
  if (!ok)
    g_propagate_error (error, local);
  return ok;
}

AetStageState
aet_pipeline_get_stage_state (AetPipeline *pipeline, AetStageId stage)
{
  g_mutex_lock (&pipeline->lock);
  AetStageState s = pipeline->states[stage];
  g_mutex_unlock (&pipeline->lock);
  return s;
}

gdouble
aet_pipeline_get_stage_seconds (AetPipeline *pipeline, AetStageId stage)
{
  return pipeline->seconds[stage];
}

char *
aet_pipeline_dup_log (AetPipeline *pipeline)
{
  static const char *const words[] = {
    [AET_STAGE_WAITING] = "not reached", [AET_STAGE_RUNNING] = "running",
    [AET_STAGE_DONE] = "ran", [AET_STAGE_UP_TO_DATE] = "up to date",
    [AET_STAGE_FAILED] = "failed", [AET_STAGE_CANCELLED] = "cancelled",
    [AET_STAGE_NOT_NEEDED] = "not needed",
  };
  GString *log = g_string_new (NULL);
  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    g_string_append_printf (log, "%s: %s\n", aet_stage_name (s),
                            words[aet_pipeline_get_stage_state (pipeline, s)]);
  return g_string_free (log, FALSE);
}
