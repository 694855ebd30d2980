/* aet-stage-list.h — the pipeline's stages in the sidebar, each with its
 * state (waiting / running k of N / done / up to date / failed), a detail
 * line and a progress bar while it runs.  Main thread only. */
#pragma once

#include <gtk/gtk.h>

#include "aet-pipeline.h"

G_BEGIN_DECLS

#define AET_TYPE_STAGE_LIST (aet_stage_list_get_type ())
G_DECLARE_FINAL_TYPE (AetStageList, aet_stage_list, AET, STAGE_LIST, GtkWidget)

GtkWidget *aet_stage_list_new (void);
void aet_stage_list_set_state (AetStageList *self, AetStageId stage, AetStageState state,
                               const char *detail);
void aet_stage_list_set_progress (AetStageList *self, AetStageId stage, gdouble fraction,
                                  const char *message);
/* Every stage back to "waiting". */
void aet_stage_list_reset (AetStageList *self);
/* The state shown for a stage (for tests). */
AetStageState aet_stage_list_get_state (AetStageList *self, AetStageId stage);

G_END_DECLS
