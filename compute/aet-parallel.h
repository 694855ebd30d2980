/* aet-parallel.h — split a loop over n items across a few threads.
 *
 * The allocate / work split of libvips, kept minimal: the caller gives a
 * function that handles the range [start, end); each thread gets one
 * contiguous range, so results never depend on scheduling.  A reduction is
 * done by the caller from per-thread slots (thread index is passed in), in
 * thread order, so sums are identical for a given thread count.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*AetRangeFunc) (gsize start, gsize end, guint thread_index, gpointer user_data);

/* Runs func over [0, n) on min(n_threads, n) threads (the calling thread
 * takes the first range) and returns when all are done. */
void aet_parallel_for (guint n_threads, gsize n, AetRangeFunc func, gpointer user_data);

/* Runs func over [0, n) on min(n_threads, n) threads that take the items one
 * at a time (func (i, i + 1, thread_index, user_data)) as they become free,
 * so a thread slowed by other processes on a shared machine does less of the
 * work.  Which thread runs an item depends on timing: use it only when items
 * write disjoint outputs and the thread index picks nothing but scratch
 * space, so results still never depend on scheduling. */
void aet_parallel_for_dynamic (guint n_threads, gsize n, AetRangeFunc func,
                               gpointer user_data);

G_END_DECLS
