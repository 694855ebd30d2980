#define G_LOG_DOMAIN "aet-parallel"

#include "aet-parallel.h"

typedef struct
{
  gsize start, end;
  guint index;
  AetRangeFunc func;
  gpointer user_data;
} Range;

static gpointer
run_range (gpointer data)
{
  Range *r = data;
  r->func (r->start, r->end, r->index, r->user_data);
  return NULL;
}

void
aet_parallel_for (guint n_threads, gsize n, AetRangeFunc func, gpointer user_data)
{
  if (n == 0)
    return;
  guint t = (guint) MAX (1, MIN ((gsize) MAX (n_threads, 1u), n));
  if (t == 1)
    {
      func (0, n, 0, user_data);
      return;
    }
  g_autofree Range *ranges = g_new0 (Range, t);
  g_autofree GThread **threads = g_new0 (GThread *, t);
  for (guint i = 0; i < t; i++)
    {
      ranges[i].start = n * i / t;
      ranges[i].end = n * (i + 1) / t;
      ranges[i].index = i;
      ranges[i].func = func;
      ranges[i].user_data = user_data;
    }
  for (guint i = 1; i < t; i++)
    threads[i] = g_thread_new ("aet-worker", run_range, &ranges[i]);
  run_range (&ranges[0]);
  for (guint i = 1; i < t; i++)
    g_thread_join (threads[i]);
}
