/* aet-fft.h — FFTW3 (single precision) plans made once per size and reused.
 *
 * Every transform in the compute library goes through this cache so that a
 * plan is made once per (kind, size, batch, thread count) and executed many
 * times with the new-array interface (fftwf_execute_dft_r2c and friends) on
 * buffers from fftwf_alloc_*: all plans are made on 64-byte aligned scratch
 * arrays, so any buffer from fftwf_alloc_* (or an AetVolume's data) may be
 * passed at execution time.  Plans are out of place; a c2r plan destroys its
 * complex input, as FFTW's default does.
 *
 * Planning is serialised by a lock (the FFTW planner is not thread-safe);
 * executing a plan from several threads at once is allowed.  FFTW's thread
 * support is initialised on first use, and wisdom is loaded from and saved
 * to g_get_user_cache_dir()/aet-studio/fftw-wisdom so measured plans are
 * cheap the second time.  Plans live until aet_fft_shutdown().
 */
#pragma once

#include <glib.h>
#include <fftw3.h>

G_BEGIN_DECLS

typedef enum
{
  AET_FFT_ESTIMATE,  /* plan from heuristics: instant, default */
  AET_FFT_MEASURE,   /* time candidate algorithms: slower to plan, faster to run */
} AetFftEffort;

/* Sets the planner effort for plans made from now on (process-wide).  The
 * environment variable AET_FFTW_EFFORT=measure selects MEASURE at start. */
void aet_fft_set_effort (AetFftEffort effort);

/* A batch of `howmany` contiguous real→half-complex transforms of rank 1–3
 * (dims[0] slowest).  Input batch stride = prod(dims); output stride =
 * prod(dims[0..rank-2])·(dims[rank-1]/2+1).  Borrowed; valid until
 * aet_fft_shutdown(). */
fftwf_plan aet_fft_plan_r2c (int rank, const int *dims, int howmany, guint n_threads);

/* The inverse of aet_fft_plan_r2c (unnormalised; destroys its input). */
fftwf_plan aet_fft_plan_c2r (int rank, const int *dims, int howmany, guint n_threads);

/* A batch of contiguous complex transforms; sign is FFTW_FORWARD or
 * FFTW_BACKWARD (unnormalised).  Borrowed. */
fftwf_plan aet_fft_plan_c2c (int rank, const int *dims, int howmany, int sign,
                             guint n_threads);

/* Writes the accumulated wisdom to the user cache directory if measured
 * plans were made since the last save; FALSE with an error if the file
 * cannot be written. */
gboolean aet_fft_save_wisdom (GError **error);

/* The wisdom file's path (newly allocated; caller frees). */
char *aet_fft_wisdom_path (void);

/* Destroys every cached plan (saving wisdom first).  Plans handed out
 * before become invalid. */
void aet_fft_shutdown (void);

G_END_DECLS
