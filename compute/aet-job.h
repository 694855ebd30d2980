/* aet-job.h — the one small interface every long computation reports through.
 *
 * A job carries a cancellation flag, a progress callback and a snapshot
 * callback.  Compute code calls aet_job_progress() now and then and checks
 * aet_job_cancelled() at least once per iteration; it never knows who
 * listens.  Callbacks run on the thread that does the work: a GUI consumer
 * must hop to its main loop itself (g_idle_add_full).
 *
 * All functions accept job == NULL (no reporting, never cancelled).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetJob AetJob;

/* Runs on the worker thread. fraction in [0, 1]; message may be NULL. */
typedef void (*AetJobProgressFunc) (AetJob *job, const char *stage, gdouble fraction,
                                    const char *message, gpointer user_data);

/* Caller owns; thread-safe reference counting. */
AetJob *aet_job_new (void);
AetJob *aet_job_ref (AetJob *job);
void aet_job_unref (AetJob *job);

void aet_job_set_progress_func (AetJob *job, AetJobProgressFunc func, gpointer user_data,
                                GDestroyNotify destroy);

/* Thread-safe: any thread may cancel. */
void aet_job_cancel (AetJob *job);
gboolean aet_job_cancelled (AetJob *job);
/* TRUE when cancelled, and sets AET_ERROR_CANCELLED naming `what`. */
gboolean aet_job_check_cancelled (AetJob *job, const char *what, GError **error);

/* The stage name reported with later progress calls (copied). */
void aet_job_set_stage (AetJob *job, const char *stage);
/* Text put before every later progress message (copied; NULL for none), so
 * a step run several times says which time it is ("pass 2 of 4: "). */
void aet_job_set_message_prefix (AetJob *job, const char *prefix);
void aet_job_progress (AetJob *job, gdouble fraction, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* Until the matching pop, progress fractions f are reported as lo + f·(hi −
 * lo) within the range in force, so a step run several times (or a part of
 * a longer job) fills its share of one bar, and a part of a part its share
 * of that (ranges nest, up to AET_JOB_MAX_RANGES deep).  Not thread-safe:
 * push and pop between parts, on the thread that does them. */
#define AET_JOB_MAX_RANGES 8
void aet_job_push_range (AetJob *job, gdouble lo, gdouble hi);
void aet_job_pop_range (AetJob *job);

/* The thread count compute code should use (≥ 1); default 2 or
 * g_get_num_processors(), whichever is smaller. */
void aet_job_set_threads (AetJob *job, guint n_threads);
guint aet_job_get_threads (AetJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetJob, aet_job_unref)

G_END_DECLS
