/* aet-volume.h — a reference-counted float32 3D grid with a voxel size.
 *
 * The one data type every stage shares: reconstructions, simulated
 * potentials, network inputs and outputs.  Plain data on purpose: dims and
 * voxels are public so numerical loops index them directly.  Memory is
 * x-fastest (index = i + nx·(j + ny·k)), 64-byte aligned for SIMD and FFTW.
 *
 * Reference counting lets the compute thread hand a snapshot to the renderer
 * without a copy: a published volume is never written again (the producer
 * makes a new one, or a copy, for its next iterate).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint nx, ny, nz;
  gdouble voxel_size;  /* Å per voxel, > 0 */
  gdouble origin[3];   /* Å; kept from and written to MRC ORIGIN */
  gfloat *data;        /* nx·ny·nz voxels, 64-byte aligned */
  /*< private >*/
  gint ref_count;
} AetVolume;

typedef struct
{
  gdouble min, max, mean, std;
} AetVolumeStats;

/* Largest edge we accept anywhere: a guard against absurd headers. */
#define AET_VOLUME_MAX_EDGE 4096
/* Largest voxel count (4 Gi voxels = 16 GiB) */
#define AET_VOLUME_MAX_VOXELS (G_GUINT64_CONSTANT (1) << 32)

/* A zero-filled volume; NULL with an error for non-positive or absurd dims.
 * Caller owns the returned reference. */
AetVolume *aet_volume_try_new (gint nx, gint ny, gint nz, gdouble voxel_size, GError **error);
/* Same, for sizes the caller has already validated (aborts on failure). */
AetVolume *aet_volume_new (gint nx, gint ny, gint nz, gdouble voxel_size);
/* A deep copy (data, voxel size, origin). Caller owns. */
AetVolume *aet_volume_dup (const AetVolume *volume);
AetVolume *aet_volume_ref (AetVolume *volume);
void aet_volume_unref (AetVolume *volume);

static inline gsize
aet_volume_n_voxels (const AetVolume *v)
{
  return (gsize) v->nx * (gsize) v->ny * (gsize) v->nz;
}

static inline gsize
aet_volume_index (const AetVolume *v, gint i, gint j, gint k)
{
  return (gsize) i + (gsize) v->nx * ((gsize) j + (gsize) v->ny * (gsize) k);
}

/* TRUE when both have the same nx, ny, nz. */
gboolean aet_volume_same_shape (const AetVolume *a, const AetVolume *b);
void aet_volume_fill (AetVolume *volume, gfloat value);
void aet_volume_scale (AetVolume *volume, gfloat factor);

/* Min, max, mean and standard deviation (double accumulation). */
void aet_volume_get_stats (const AetVolume *volume, AetVolumeStats *stats);
/* The p-th percentile, p in [0, 100], by selection on a copy. */
gdouble aet_volume_percentile (const AetVolume *volume, gdouble p);
/* Several percentiles at once (one copy, sorted): ps[n] in → out[n]. */
void aet_volume_percentiles (const AetVolume *volume, const gdouble *ps, gdouble *out, guint n);

/* FALSE with AET_ERROR_DATA naming `what` and the first bad voxel when a
 * voxel is NaN or infinite. */
gboolean aet_volume_check_finite (const AetVolume *volume, const char *what, GError **error);

/* A sub-block [x0, x0+nx) × … copied out; out-of-range voxels read as 0.
 * Caller owns. */
AetVolume *aet_volume_crop (const AetVolume *volume, gint x0, gint y0, gint z0,
                            gint nx, gint ny, gint nz);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetVolume, aet_volume_unref)

G_END_DECLS
