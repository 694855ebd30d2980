#define G_LOG_DOMAIN "aet-noise"

#include "aet-noise.h"
#include "aet-parallel.h"
#include "aet-rng.h"

/* Streams of the simulator's seed used for noise (image k uses
 * NOISE_STREAM + k), far from those used for the atoms. */
#define NOISE_STREAM G_GUINT64_CONSTANT (0x4E4F495345000000)

typedef struct
{
  AetVolume *images;
  gdouble scale, read_noise;
  guint64 seed;
} NoiseData;

static void
noise_images (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  NoiseData *d = user_data;
  gsize n = (gsize) d->images->nx * d->images->ny;
  for (gsize k = start; k < end; k++)
    {
      AetRng rng;
      aet_rng_init_stream (&rng, d->seed, NOISE_STREAM + k);
      gfloat *im = d->images->data + k * n;
      for (gsize i = 0; i < n; i++)
        {
          gdouble expected = MAX ((gdouble) im[i], 0.0) * d->scale;
          gdouble count = (gdouble) aet_rng_poisson (&rng, expected);
          if (d->read_noise > 0.0)
            count += d->read_noise * aet_rng_normal (&rng);
          im[i] = (gfloat) (count / d->scale);
        }
    }
}

gdouble
aet_noise_apply (AetVolume *images, gdouble counts, gdouble read_noise, guint64 seed,
                 guint n_threads)
{
  g_return_val_if_fail (images != NULL, 0.0);
  if (!(counts > 0.0))
    return 0.0;
  gdouble max = 0.0;
  gsize n = aet_volume_n_voxels (images);
  for (gsize i = 0; i < n; i++)
    max = MAX (max, (gdouble) images->data[i]);
  if (!(max > 0.0))
    return 0.0;
  NoiseData d = {
    .images = images, .scale = counts / max, .read_noise = MAX (read_noise, 0.0), .seed = seed,
  };
  aet_parallel_for (n_threads, (gsize) images->nz, noise_images, &d);
  return d.scale;
}
