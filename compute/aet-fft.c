#define G_LOG_DOMAIN "aet-fft"

#include "aet-fft.h"
#include "aet-error.h"

#include <errno.h>
#include <glib/gstdio.h>

static GMutex plan_lock;
static GHashTable *plan_cache;     /* key string → fftwf_plan; under plan_lock */
static gboolean initialised;       /* under plan_lock */
static gboolean wisdom_dirty;      /* under plan_lock */
static AetFftEffort effort = AET_FFT_ESTIMATE;

char *
aet_fft_wisdom_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "aet-studio", "fftw-wisdom", NULL);
}

static void
destroy_plan (gpointer plan)
{
  fftwf_destroy_plan (plan);
}

/* Called with plan_lock held. */
static void
ensure_init (void)
{
  if (initialised)
    return;
  initialised = TRUE;
  fftwf_init_threads ();
  plan_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, destroy_plan);
  const char *env = g_getenv ("AET_FFTW_EFFORT");
  if (env != NULL && g_ascii_strcasecmp (env, "measure") == 0)
    effort = AET_FFT_MEASURE;
  g_autofree char *path = aet_fft_wisdom_path ();
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && !fftwf_import_wisdom_from_filename (path))
    g_debug ("ignoring unreadable FFTW wisdom in %s", path);
}

void
aet_fft_set_effort (AetFftEffort new_effort)
{
  g_mutex_lock (&plan_lock);
  ensure_init ();
  effort = new_effort;
  g_mutex_unlock (&plan_lock);
}

typedef enum { KIND_R2C, KIND_C2R, KIND_C2C_FWD, KIND_C2C_BWD } Kind;

static fftwf_plan
get_plan (Kind kind, int rank, const int *dims, int howmany, guint n_threads)
{
  g_return_val_if_fail (rank >= 1 && rank <= 3 && howmany >= 1, NULL);
  for (int i = 0; i < rank; i++)
    g_return_val_if_fail (dims[i] >= 1, NULL);
  n_threads = MAX (n_threads, 1u);
  GString *key = g_string_new (NULL);
  g_string_append_printf (key, "%d:%d:%u", (int) kind, howmany, n_threads);
  gsize n_real = 1, n_half = 1;
  for (int i = 0; i < rank; i++)
    {
      g_string_append_printf (key, ":%d", dims[i]);
      n_real *= (gsize) dims[i];
      n_half *= (gsize) (i == rank - 1 ? dims[i] / 2 + 1 : dims[i]);
    }

  g_mutex_lock (&plan_lock);
  ensure_init ();
  /* the effort is read under the lock, after init has looked at the environment */
  g_string_append_printf (key, "/%d", (int) effort);
  fftwf_plan plan = g_hash_table_lookup (plan_cache, key->str);
  if (plan == NULL)
    {
      unsigned flags = (effort == AET_FFT_MEASURE ? FFTW_MEASURE : FFTW_ESTIMATE);
      fftwf_plan_with_nthreads ((int) n_threads);
      gsize n_in, n_out;
      switch (kind)
        {
        case KIND_R2C:
          n_in = n_real * 1;
          n_out = n_half;
          {
            float *in = fftwf_alloc_real (n_in * (gsize) howmany);
            fftwf_complex *out = fftwf_alloc_complex (n_out * (gsize) howmany);
            plan = fftwf_plan_many_dft_r2c (rank, dims, howmany, in, NULL, 1, (int) n_in,
                                            out, NULL, 1, (int) n_out, flags);
            fftwf_free (in);
            fftwf_free (out);
          }
          break;
        case KIND_C2R:
          n_in = n_half;
          n_out = n_real;
          {
            fftwf_complex *in = fftwf_alloc_complex (n_in * (gsize) howmany);
            float *out = fftwf_alloc_real (n_out * (gsize) howmany);
            plan = fftwf_plan_many_dft_c2r (rank, dims, howmany, in, NULL, 1, (int) n_in,
                                            out, NULL, 1, (int) n_out, flags);
            fftwf_free (in);
            fftwf_free (out);
          }
          break;
        case KIND_C2C_FWD:
        case KIND_C2C_BWD:
        default:
          {
            fftwf_complex *in = fftwf_alloc_complex (n_real * (gsize) howmany);
            fftwf_complex *out = fftwf_alloc_complex (n_real * (gsize) howmany);
            plan = fftwf_plan_many_dft (rank, dims, howmany, in, NULL, 1, (int) n_real,
                                        out, NULL, 1, (int) n_real,
                                        kind == KIND_C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD,
                                        flags);
            fftwf_free (in);
            fftwf_free (out);
          }
          break;
        }
      g_assert (plan != NULL);
      if (effort == AET_FFT_MEASURE)
        wisdom_dirty = TRUE;
      g_hash_table_insert (plan_cache, g_string_free (g_steal_pointer (&key), FALSE), plan);
    }
  g_mutex_unlock (&plan_lock);
  if (key != NULL)
    g_string_free (key, TRUE);
  return plan;
}

fftwf_plan
aet_fft_plan_r2c (int rank, const int *dims, int howmany, guint n_threads)
{
  return get_plan (KIND_R2C, rank, dims, howmany, n_threads);
}

fftwf_plan
aet_fft_plan_c2r (int rank, const int *dims, int howmany, guint n_threads)
{
  return get_plan (KIND_C2R, rank, dims, howmany, n_threads);
}

fftwf_plan
aet_fft_plan_c2c (int rank, const int *dims, int howmany, int sign, guint n_threads)
{
  return get_plan (sign == FFTW_FORWARD ? KIND_C2C_FWD : KIND_C2C_BWD, rank, dims, howmany,
                   n_threads);
}

gboolean
aet_fft_save_wisdom (GError **error)
{
  gboolean ok = TRUE;
  g_mutex_lock (&plan_lock);
  if (initialised && wisdom_dirty)
    {
      g_autofree char *path = aet_fft_wisdom_path ();
      g_autofree char *dir = g_path_get_dirname (path);
      if (g_mkdir_with_parents (dir, 0755) != 0 || !fftwf_export_wisdom_to_filename (path))
        {
          int saved = errno;
          g_autofree char *base = g_path_get_basename (path);
          g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write FFTW wisdom: %s",
                       base, g_strerror (saved));
          ok = FALSE;
        }
      else
        wisdom_dirty = FALSE;
    }
  g_mutex_unlock (&plan_lock);
  return ok;
}

void
aet_fft_shutdown (void)
{
  g_autoptr (GError) error = NULL;
  if (!aet_fft_save_wisdom (&error))
    g_debug ("%s", error->message);
  g_mutex_lock (&plan_lock);
  g_clear_pointer (&plan_cache, g_hash_table_unref);
  if (initialised)
    fftwf_cleanup_threads ();
  initialised = FALSE;
  g_mutex_unlock (&plan_lock);
}
