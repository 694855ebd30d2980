/* aet-augment.h — a reconstruction sharpened by the trained network, at the
 * sampling the network learned.
 *
 * The one entry point behind `aet augment`, the pipeline's augment stage
 * (and so the window): it normalises the volume as the training inputs were
 * (aet_train_normalise) and runs the network in tiles (aet_unet_apply).
 * The network sees atoms as so many voxels wide, so a volume whose voxel
 * size differs from the network's (aet_unet_get_voxel_size) by more than
 * 1 % is first resampled onto the network's sampling (aet-resample.h,
 * band-limited), augmented there, and resampled back onto its own grid; a
 * ratio outside 0.5–2 is refused, as it means the voxel size is wrong or
 * the network is the wrong one for the data.
 */
#pragma once

#include "aet-job.h"
#include "aet-unet.h"
#include "aet-volume.h"

G_BEGIN_DECLS

/* Voxel sizes within this fraction of the network's are used as they are. */
#define AET_AUGMENT_SAMPLING_TOLERANCE 0.01
/* The range of (volume voxel size / network voxel size) that is resampled. */
#define AET_AUGMENT_MIN_RATIO 0.5
#define AET_AUGMENT_MAX_RATIO 2.0

typedef struct
{
  gdouble level;            /* the volume was divided by this (aet_train_peak_level) */
  gdouble net_voxel_size;   /* Å, the network's sampling */
  gboolean resampled;       /* TRUE when the network ran on another grid */
  gint grid[3];             /* the grid the network ran on */
} AetAugmentInfo;

/* The grid `volume` is augmented on: its own dims when its voxel size is
 * within AET_AUGMENT_SAMPLING_TOLERANCE of net_voxel_size, else each edge
 * scaled by the ratio and rounded (so the box stays the same to half a
 * voxel per axis).  Returns FALSE with AET_ERROR_MISMATCH, naming `what`,
 * when the ratio is outside AET_AUGMENT_MIN_RATIO to AET_AUGMENT_MAX_RATIO;
 * *resample tells whether the grid differs from the volume's. */
gboolean aet_augment_grid (const AetVolume *volume, gdouble net_voxel_size, const char *what,
                           gint grid[3], gboolean *resample, GError **error);

/* The network (one channel in, one out) applied to `volume` (normalised
 * first, resampled to the network's sampling and back when needed) in
 * tiles of `tile` voxels overlapping by `overlap` (aet-tiles.h; on the
 * network's grid).  The result has the volume's dims, voxel size and
 * origin and is on the target's scale (atoms of peak ~1), clipped at 0
 * (the resampling's ringing, a linear output's undershoot).  `what`
 * names the volume in messages; info (nullable) says what was done.
 * Progress, cancel and threads through job.  Caller owns; NULL with an
 * error. */
AetVolume *aet_augment (AetUnet *net, const AetVolume *volume, const char *what, gint tile,
                        gint overlap, AetAugmentInfo *info, AetJob *job, GError **error);

/* The number of reflections aet_augment_flips averages at most (x, y, z). */
#define AET_AUGMENT_MAX_FLIPS 8

/* aet_augment with test-time averaging: the network is applied to the
 * normalised input reflected along x, y and z by the masks 0 … n_flips − 1
 * (bit 0 x, 1 y, 2 z; reflections keep a missing wedge about z one, so they
 * are the flips training used), each output reflected back, and the
 * outputs averaged.  n_flips 1 is aet_augment; 8 averages all reflections,
 * costs 8× and makes the result commute with every reflection of the input
 * (to float rounding when the volume is one tile; tiles that do not divide
 * the volume evenly lie differently on a reflected one).  Progress fills
 * one bar across the passes. */
AetVolume *aet_augment_flips (AetUnet *net, const AetVolume *volume, const char *what,
                              gint tile, gint overlap, guint n_flips, AetAugmentInfo *info,
                              AetJob *job, GError **error);

G_END_DECLS
