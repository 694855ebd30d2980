#define G_LOG_DOMAIN "aet-parallel"

#include "aet-parallel.h"

#include <stdatomic.h>

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

typedef struct
{
  atomic_size_t next;
  gsize n;
  AetRangeFunc func;
  gpointer user_data;
} Queue;

typedef struct
{
  Queue *queue;
  guint index;
} Taker;

static gpointer
take_items (gpointer data)
{
  Taker *t = data;
  Queue *q = t->queue;
  for (gsize i = atomic_fetch_add (&q->next, 1); i < q->n; i = atomic_fetch_add (&q->next, 1))
    q->func (i, i + 1, t->index, q->user_data);
  return NULL;
}

void
aet_parallel_for_dynamic (guint n_threads, gsize n, AetRangeFunc func, gpointer user_data)
{
  if (n == 0)
    return;
  guint t = (guint) MAX (1, MIN ((gsize) MAX (n_threads, 1u), n));
  if (t == 1)
    {
      func (0, n, 0, user_data);
      return;
    }
  Queue q = { 0, n, func, user_data };
  g_autofree Taker *takers = g_new0 (Taker, t);
  g_autofree GThread **threads = g_new0 (GThread *, t);
  for (guint i = 0; i < t; i++)
    takers[i] = (Taker) { &q, i };
  for (guint i = 1; i < t; i++)
    threads[i] = g_thread_new ("aet-worker", take_items, &takers[i]);
  take_items (&takers[0]);
  for (guint i = 1; i < t; i++)
    g_thread_join (threads[i]);
}
