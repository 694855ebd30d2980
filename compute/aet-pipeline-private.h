/* aet-pipeline-private.h — what the engine (aet-pipeline.c) and the stage
 * bodies (aet-pipeline-stages.c) share. */
#pragma once

#include "aet-pipeline.h"
#include "aet-reconstruct.h"

G_BEGIN_DECLS

typedef struct _AetStageContext AetStageContext;

typedef struct
{
  const char *name;
  const char *label;
  guint depends_on;  /* bit mask of AetStageId */
  /* Whether the stage takes part in this run (e.g. simulate only when asked). */
  gboolean (*needed) (AetProject *project);
  /* Content this stage reads besides its parameters and its dependencies'
   * results, appended to its signature (e.g. the measured tilt series). */
  void (*hash_inputs) (AetProject *project, GChecksum *checksum);
  /* TRUE when the stage's outputs are present in the project. */
  gboolean (*has_outputs) (AetProject *project);
  gboolean (*run) (AetStageContext *context, GError **error);
} AetStageInfo;

const AetStageInfo *aet_stage_info (AetStageId stage);

/* For stage bodies (worker thread). */
AetProject *aet_stage_context_project (AetStageContext *context);
AetJob *aet_stage_context_job (AetStageContext *context);
guint aet_stage_context_threads (AetStageContext *context);
/* A parameter of the project with a default. */
const char *aet_stage_param (AetStageContext *context, const char *key, const char *fallback);
gdouble aet_stage_param_double (AetStageContext *context, const char *key, gdouble fallback);
gint aet_stage_param_int (AetStageContext *context, const char *key, gint fallback);
/* Publishes an intermediate (final = FALSE) or final volume snapshot. */
void aet_stage_emit_volume (AetStageContext *context, const char *name, AetVolume *volume,
                            gboolean final);
void aet_stage_emit_atoms (AetStageContext *context, const char *name, AetAtoms *atoms);
/* The statistics an iterative reconstruction fills while it runs (its
 * error per iteration goes out with every progress event), or NULL.  Read
 * only on the stage's thread, from the progress callback. */
void aet_stage_context_set_recon_stats (AetStageContext *context, const AetReconStats *stats);

/* Hash helpers for signatures. */
void aet_checksum_volume (GChecksum *checksum, const AetVolume *volume);
void aet_checksum_atoms (GChecksum *checksum, const AetAtoms *atoms);

G_END_DECLS
