#define G_LOG_DOMAIN "aet-rng"

#include "aet-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void
aet_rng_init (AetRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
}

void
aet_rng_init_stream (AetRng *rng, guint64 seed, guint64 stream)
{
  /* Mix the stream number through splitmix64 first so that neighbouring
   * (seed, stream) pairs do not give overlapping state sequences. */
  guint64 x = stream ^ G_GUINT64_CONSTANT (0x6A09E667F3BCC909);
  guint64 mixed = splitmix64 (&x);
  aet_rng_init (rng, seed ^ mixed);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

guint64
aet_rng_next (AetRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

gdouble
aet_rng_uniform (AetRng *rng)
{
  return (gdouble) (aet_rng_next (rng) >> 11) * 0x1.0p-53;
}

gdouble
aet_rng_range (AetRng *rng, gdouble lo, gdouble hi)
{
  return lo + (hi - lo) * aet_rng_uniform (rng);
}

guint64
aet_rng_below (AetRng *rng, guint64 n)
{
  g_return_val_if_fail (n > 0, 0);
  guint64 limit = G_MAXUINT64 - G_MAXUINT64 % n;
  guint64 x;
  do
    x = aet_rng_next (rng);
  while (x >= limit);
  return x % n;
}

gdouble
aet_rng_normal (AetRng *rng)
{
  gdouble u, v, s;
  do
    {
      u = 2.0 * aet_rng_uniform (rng) - 1.0;
      v = 2.0 * aet_rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  return u * sqrt (-2.0 * log (s) / s);
}

guint64
aet_rng_poisson (AetRng *rng, gdouble mean)
{
  if (!(mean > 0.0))
    return 0;
  if (mean < 10.0)
    {
      /* Count uniforms until their product drops below e^−mean. */
      gdouble limit = exp (-mean), prod = aet_rng_uniform (rng);
      guint64 k = 0;
      while (prod > limit)
        {
          prod *= aet_rng_uniform (rng);
          k++;
        }
      return k;
    }

  /* PTRS: W. Hörmann, "The transformed rejection method for generating
   * Poisson random variables", Insurance: Math. Econ. 12 (1993) 39–45. */
  gdouble smu = sqrt (mean);
  gdouble b = 0.931 + 2.53 * smu;
  gdouble a = -0.059 + 0.02483 * b;
  gdouble inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  gdouble v_r = 0.9277 - 3.6224 / (b - 2.0);
  gdouble log_mean = log (mean);
  for (;;)
    {
      gdouble u = aet_rng_uniform (rng) - 0.5;
      gdouble v = aet_rng_uniform (rng);
      gdouble us = 0.5 - fabs (u);
      gdouble k = floor ((2.0 * a / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= v_r)
        return (guint64) k;
      if (k < 0.0 || (us < 0.013 && v > us))
        continue;
      if (log (v) + log (inv_alpha) - log (a / (us * us) + b)
          <= -mean + k * log_mean - lgamma (k + 1.0))
        return (guint64) k;
    }
}

void
aet_rng_rotation (AetRng *rng, gdouble r[9])
{
  gdouble u1 = aet_rng_uniform (rng);
  gdouble u2 = aet_rng_uniform (rng) * 2.0 * G_PI;
  gdouble u3 = aet_rng_uniform (rng) * 2.0 * G_PI;
  gdouble s1 = sqrt (1.0 - u1), s2 = sqrt (u1);
  gdouble w = s1 * sin (u2), x = s1 * cos (u2), y = s2 * sin (u3), z = s2 * cos (u3);

  r[0] = 1 - 2 * (y * y + z * z);
  r[1] = 2 * (x * y - w * z);
  r[2] = 2 * (x * z + w * y);
  r[3] = 2 * (x * y + w * z);
  r[4] = 1 - 2 * (x * x + z * z);
  r[5] = 2 * (y * z - w * x);
  r[6] = 2 * (x * z - w * y);
  r[7] = 2 * (y * z + w * x);
  r[8] = 1 - 2 * (x * x + y * y);
}
