/* aet-pipeline.h — the one job engine behind the window and `aet run`.
 *
 * Stages: simulate (optional) → reconstruct → trace before → augment →
 * trace after → refine (the atoms after augmentation moved to fit the
 * projections, aet-refine.h) → analyse.  All inputs, outputs and parameters live in an
 * AetProject (the project file's in-memory form), so a pipeline is saved
 * and reopened with everything it had finished.
 *
 * Each stage declares the parameters it reads and the stages it depends
 * on.  When a stage finishes, the project records its signature (a hash of
 * its parameters and of its inputs' signatures) as "<stage>/signature"; a
 * later run skips every stage whose signature still matches and whose
 * outputs exist, so a new tracing threshold never reconstructs again.
 *
 * Threads: aet_pipeline_start() runs the stages on a GThread of its own.
 * Events go to the consumer callback ON THAT WORKER THREAD; the window
 * re-posts them to its main loop with g_idle_add_full, the command line
 * prints them.  Every event carries the run's generation number so a
 * consumer can drop events of a cancelled or superseded run.  Volumes and
 * atom sets in events are new references to snapshots that are never
 * written again.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-job.h"
#include "aet-project-file.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef enum
{
  AET_STAGE_SIMULATE,
  AET_STAGE_RECONSTRUCT,
  AET_STAGE_TRACE_BEFORE,
  AET_STAGE_AUGMENT,
  AET_STAGE_TRACE_AFTER,
  AET_STAGE_REFINE,
  AET_STAGE_ANALYSE,
  AET_N_STAGES
} AetStageId;

typedef enum
{
  AET_STAGE_WAITING,
  AET_STAGE_RUNNING,
  AET_STAGE_DONE,      /* ran in this run */
  AET_STAGE_UP_TO_DATE, /* skipped: its signature matched */
  AET_STAGE_FAILED,
  AET_STAGE_CANCELLED,
  AET_STAGE_NOT_NEEDED /* e.g. simulate when the input is a measured tilt series */
} AetStageState;

typedef enum
{
  AET_PIPELINE_EVENT_STAGE,     /* a stage changed state */
  AET_PIPELINE_EVENT_PROGRESS,  /* fraction + message within the running stage */
  AET_PIPELINE_EVENT_VOLUME,    /* a volume snapshot (intermediate or final), with its name */
  AET_PIPELINE_EVENT_ATOMS,     /* an atom set (traced model), with its name */
  AET_PIPELINE_EVENT_FINISHED,  /* the run ended: error == NULL on success */
} AetPipelineEventKind;

typedef struct
{
  AetPipelineEventKind kind;
  guint generation;
  AetStageId stage;
  AetStageState state;
  gdouble fraction;
  const char *message;   /* borrowed for the callback's duration */
  const char *name;      /* volume or atoms name in the project */
  AetVolume *volume;     /* borrowed: take a ref to keep it */
  AetAtoms *atoms;       /* borrowed: take a ref to keep it */
  gboolean final;        /* for VOLUME: the stage's result, not an intermediate */
  const GError *error;   /* for FINISHED and FAILED */
  /* for PROGRESS of an iterative reconstruction: the error of every
   * iteration so far (borrowed for the callback's duration; NULL and 0
   * otherwise), so a consumer that drops some progress events still has
   * the whole curve with the next one */
  const gdouble *iteration_error;
  guint n_iterations;
} AetPipelineEvent;

/* Runs on the pipeline's worker thread. */
typedef void (*AetPipelineEventFunc) (const AetPipelineEvent *event, gpointer user_data);

typedef struct _AetPipeline AetPipeline;

/* A pipeline over `project` (takes ownership).  Caller owns. */
AetPipeline *aet_pipeline_new (AetProject *project);
void aet_pipeline_free (AetPipeline *pipeline);

/* The project (borrowed).  Only touch it while no run is active. */
AetProject *aet_pipeline_get_project (AetPipeline *pipeline);

/* Sets a parameter (stored in the project as "<key>" = value). */
void aet_pipeline_set_param (AetPipeline *pipeline, const char *key, const char *value);
/* Stage names as used in parameter keys and logs: "simulate", "reconstruct", … */
const char *aet_stage_name (AetStageId stage);
/* A person's label: "Reconstruct", "Trace before", … */
const char *aet_stage_label (AetStageId stage);

/* Starts a run on a worker thread; returns its generation number.  A run
 * already active is cancelled first (and joined).  `callback` may be NULL. */
guint aet_pipeline_start (AetPipeline *pipeline, AetPipelineEventFunc callback,
                          gpointer user_data, guint n_threads);
/* Cancels the active run (any thread); it ends within one iteration. */
void aet_pipeline_cancel (AetPipeline *pipeline);
/* Waits for the active run to end; returns FALSE with its error, if any. */
gboolean aet_pipeline_wait (AetPipeline *pipeline, GError **error);
/* Runs synchronously on the calling thread (the command line). */
gboolean aet_pipeline_run (AetPipeline *pipeline, AetPipelineEventFunc callback,
                           gpointer user_data, guint n_threads, GError **error);

/* The states of the last run, per stage. */
AetStageState aet_pipeline_get_stage_state (AetPipeline *pipeline, AetStageId stage);
/* The last run's log, one line per stage: "reconstruct: ran", "reconstruct: up to date".
 * Caller owns. */
char *aet_pipeline_dup_log (AetPipeline *pipeline);
/* Seconds each stage took in the last run (0 when skipped). */
gdouble aet_pipeline_get_stage_seconds (AetPipeline *pipeline, AetStageId stage);

/* The project's tilt series ("tilts") as its reconstruction used it: with
 * the angles and shifts alignment found ("result/reconstruct/geometry")
 * when they were recorded for it; what the refinement starts from.  NULL
 * when the project has no tilt series.  Caller owns. */
AetTiltSeries *aet_pipeline_dup_aligned_tilts (AetProject *project);

/* Realignment: the geometry the refinement ended with
 * ("result/refine/geometry": per-image angles and shifts fitted against
 * the atoms) becomes the reconstruction's ("reconstruct/geometry", which
 * replaces the series' own and its alignment), so that the next run
 * reconstructs, augments, traces and refines again from a better
 * geometry.  FALSE, with nothing changed, when the project has no refined
 * geometry. */
gboolean aet_pipeline_take_refined_geometry (AetPipeline *pipeline);

G_END_DECLS
