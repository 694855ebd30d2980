/* aet-tiles.h — network inference on a volume of any size, tile by tile.
 *
 * A network trained on 64³ patches is applied to a 256³ tomogram by cutting
 * it into overlapping tiles, running each, and blending the outputs with a
 * weight that is zero within a margin of each tile's inner faces and rises
 * with a cosine ramp across the rest of the overlap; the blended sum is
 * divided by the summed weights.  When the overlap is at least twice the
 * network's receptive radius the margin equals that radius and the result
 * equals whole-volume inference exactly (up to float rounding); with less
 * overlap the ramp still hides the seams.
 *
 * Tiles start on multiples of the network's alignment (the product of its
 * strides) so every tile sees the same pooling grid as the whole volume, and
 * the volume is zero-padded to a multiple of the alignment at its high
 * faces; faces of the volume are zero-padded in the same way on both paths.
 */
#pragma once

#include "aet-job.h"
#include "aet-unet.h"
#include "aet-volume.h"

#include <glib.h>

G_BEGIN_DECLS

/* The network (one input and one output channel) applied to input, in
 * tiles of tile³ voxels overlapping by `overlap` voxels (tile ≤ 0: the whole
 * volume in one pass).  tile is rounded up to the alignment.  Reports
 * progress per tile and stops with AET_ERROR_CANCELLED when job is
 * cancelled; uses aet_job_get_threads(job) threads.  Returns a new volume
 * with input's voxel size and origin (caller owns), or NULL with an error. */
AetVolume *aet_unet_apply (AetUnet *net, const AetVolume *input, gint tile, gint overlap,
                           AetJob *job, GError **error);

G_END_DECLS
