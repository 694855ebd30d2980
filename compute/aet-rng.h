/* aet-rng.h — a small seeded random number generator for the simulator.
 *
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64: fast, good
 * statistics, and the same stream on every platform, so a seed names one
 * simulated data set everywhere.  Independent streams (per image, per
 * purpose) come from mixing a stream number into the seed, so that e.g.
 * changing the noise level never changes the atoms.
 *
 * Uniform and integer variates are bit-exact across platforms; normal and
 * Poisson variates go through libm (log, sqrt, lgamma) and are exact to the
 * libm in use.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
} AetRng;

/* Seeds `rng` from `seed` (any value, 0 included). */
void aet_rng_init (AetRng *rng, guint64 seed);

/* Seeds `rng` for the independent stream `stream` of `seed`. */
void aet_rng_init_stream (AetRng *rng, guint64 seed, guint64 stream);

/* The next 64 random bits. */
guint64 aet_rng_next (AetRng *rng);

/* Uniform in [0, 1) with 53 random bits. */
gdouble aet_rng_uniform (AetRng *rng);

/* Uniform in [lo, hi). */
gdouble aet_rng_range (AetRng *rng, gdouble lo, gdouble hi);

/* Uniform integer in [0, n) (n > 0), without modulo bias. */
guint64 aet_rng_below (AetRng *rng, guint64 n);

/* Standard normal variate (Marsaglia's polar method). */
gdouble aet_rng_normal (AetRng *rng);

/* Poisson variate of mean `mean` (≥ 0): multiplication method below 10,
 * Hörmann's PTRS transformed rejection above. */
guint64 aet_rng_poisson (AetRng *rng, gdouble mean);

/* A rotation matrix (row-major 3×3) drawn uniformly from SO(3) (Shoemake's
 * uniform random unit quaternion). */
void aet_rng_rotation (AetRng *rng, gdouble r[9]);

G_END_DECLS
