#define G_LOG_DOMAIN "aet-job"

#include "aet-job.h"
#include "aet-error.h"

struct _AetJob
{
  gint ref_count;
  gint cancelled;   /* atomic */
  guint n_threads;
  GMutex lock;      /* guards stage */
  char *stage;
  char *prefix;     /* put before every message (guarded by lock) */
  gdouble range_lo, range_hi;   /* progress fractions map into this range */
  gdouble saved[AET_JOB_MAX_RANGES][2];   /* the ranges pushed over */
  gint n_saved;
  AetJobProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;
};

static guint
default_threads (void)
{
  return MAX (1, MIN (2, g_get_num_processors ()));
}

AetJob *
aet_job_new (void)
{
  AetJob *job = g_new0 (AetJob, 1);
  job->ref_count = 1;
  job->n_threads = default_threads ();
  job->range_hi = 1;
  g_mutex_init (&job->lock);
  return job;
}

AetJob *
aet_job_ref (AetJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  g_atomic_int_inc (&job->ref_count);
  return job;
}

void
aet_job_unref (AetJob *job)
{
  if (job == NULL)
    return;
  if (g_atomic_int_dec_and_test (&job->ref_count))
    {
      if (job->progress_destroy != NULL)
        job->progress_destroy (job->progress_data);
      g_mutex_clear (&job->lock);
      g_free (job->stage);
      g_free (job->prefix);
      g_free (job);
    }
}

void
aet_job_set_progress_func (AetJob *job, AetJobProgressFunc func, gpointer user_data,
                           GDestroyNotify destroy)
{
  g_return_if_fail (job != NULL);
  if (job->progress_destroy != NULL)
    job->progress_destroy (job->progress_data);
  job->progress = func;
  job->progress_data = user_data;
  job->progress_destroy = destroy;
}

void
aet_job_cancel (AetJob *job)
{
  if (job != NULL)
    g_atomic_int_set (&job->cancelled, 1);
}

gboolean
aet_job_cancelled (AetJob *job)
{
  return job != NULL && g_atomic_int_get (&job->cancelled) != 0;
}

gboolean
aet_job_check_cancelled (AetJob *job, const char *what, GError **error)
{
  if (!aet_job_cancelled (job))
    return FALSE;
  g_set_error (error, AET_ERROR, AET_ERROR_CANCELLED, "%s: cancelled", what);
  return TRUE;
}

void
aet_job_set_stage (AetJob *job, const char *stage)
{
  if (job == NULL)
    return;
  g_mutex_lock (&job->lock);
  g_free (job->stage);
  job->stage = g_strdup (stage);
  g_mutex_unlock (&job->lock);
}

void
aet_job_set_message_prefix (AetJob *job, const char *prefix)
{
  if (job == NULL)
    return;
  g_mutex_lock (&job->lock);
  g_free (job->prefix);
  job->prefix = g_strdup (prefix);
  g_mutex_unlock (&job->lock);
}

void
aet_job_progress (AetJob *job, gdouble fraction, const char *format, ...)
{
  if (job == NULL || job->progress == NULL)
    return;
  g_autofree char *message = NULL;
  if (format != NULL)
    {
      va_list args;
      va_start (args, format);
      message = g_strdup_vprintf (format, args);
      va_end (args);
    }
  g_mutex_lock (&job->lock);
  g_autofree char *stage = g_strdup (job->stage);
  if (job->prefix != NULL)
    {
      char *full = g_strconcat (job->prefix, message != NULL ? message : "", NULL);
      g_free (message);
      message = full;
    }
  g_mutex_unlock (&job->lock);
  gdouble f = job->range_lo + (job->range_hi - job->range_lo) * CLAMP (fraction, 0.0, 1.0);
  job->progress (job, stage, f, message, job->progress_data);
}

void
aet_job_push_range (AetJob *job, gdouble lo, gdouble hi)
{
  if (job == NULL)
    return;
  g_return_if_fail (0 <= lo && lo <= hi && hi <= 1);
  g_return_if_fail (job->n_saved < AET_JOB_MAX_RANGES);
  job->saved[job->n_saved][0] = job->range_lo;
  job->saved[job->n_saved][1] = job->range_hi;
  job->n_saved++;
  gdouble width = job->range_hi - job->range_lo;
  job->range_hi = job->range_lo + width * hi;
  job->range_lo = job->range_lo + width * lo;
}

void
aet_job_pop_range (AetJob *job)
{
  if (job == NULL)
    return;
  g_return_if_fail (job->n_saved > 0);
  job->n_saved--;
  job->range_lo = job->saved[job->n_saved][0];
  job->range_hi = job->saved[job->n_saved][1];
}

void
aet_job_set_threads (AetJob *job, guint n_threads)
{
  g_return_if_fail (job != NULL);
  job->n_threads = MAX (1u, MIN (n_threads, 64u));
}

guint
aet_job_get_threads (AetJob *job)
{
  return job != NULL ? job->n_threads : default_threads ();
}
