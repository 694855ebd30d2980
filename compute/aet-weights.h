/* aet-weights.h — the network's weights file (HDF5): architecture + weights,
 * and training checkpoints.
 *
 * The file alone defines the network.  Layout:
 *
 *   /                attributes format = "aet-unet", version = 1,
 *                    in_channels, n_layers, voxel_size (float, Å: the
 *                    sampling the network was trained at; files without
 *                    it are read as AET_UNET_DEFAULT_VOXEL_SIZE, 0.357 Å,
 *                    the only sampling trained before it was recorded)
 *   /layers/NNN      one group per layer (NNN = 000, 001, …), attributes
 *                    kind, activation, norm (strings), in_channels,
 *                    out_channels, kernel, stride, padding, groups (ints),
 *                    slope (float), inputs (int array; −1 = network input);
 *                    datasets weight, bias, gamma, beta (1-D float32) as the
 *                    layer has them (aet-nn-layers.h gives their sizes)
 *   /adam            (checkpoints only) attributes step, lr, beta1, beta2,
 *                    eps, optional grad_norm_avg (gradient clipping) and
 *                    ema_decay (weight averaging); datasets m_K and v_K for
 *                    parameter K in layer order, and ema_K (the averaged
 *                    weights) when ema_decay is there
 *
 * Loading validates everything and refuses an inconsistent file with one
 * clear line, e.g. "model.h5: layer 7 (conv3d) expects 24 input channels
 * but layer 6 gives 12".  Saving is atomic (aet-file-util.h).
 */
#pragma once

#include "aet-adam.h"
#include "aet-unet.h"

#include <glib.h>

G_BEGIN_DECLS

/* The voxel sizes a file may record (Å); others are refused as damaged. */
#define AET_WEIGHTS_MIN_VOXEL_SIZE 0.05
#define AET_WEIGHTS_MAX_VOXEL_SIZE 5.0

/* Writes net (and, when adam is not NULL, the optimiser state, making a
 * checkpoint that resumes training exactly) to path. */
gboolean aet_weights_save (AetUnet *net, const AetAdam *adam, const char *path,
                           GError **error);

/* Writes net's weights (no optimiser state) with every parameter rounded to
 * IEEE binary16 and stored so: half the file, for shipping a network whose
 * float32 file would be large.  aet_weights_load reads it like any other
 * (HDF5 converts the values back to float, exactly).  A weight beyond the
 * half range (±65504) is refused with AET_ERROR_INVALID naming it. */
gboolean aet_weights_save_half (AetUnet *net, const char *path, GError **error);

/* Reads a network from path.  When adam_out is not NULL it receives the
 * optimiser state stored in the file, or NULL when the file has none, and
 * the network has the raw weights training resumes from.  When adam_out is
 * NULL (the network is for use) and the file averages its weights
 * (aet_adam_set_ema), the network has the averaged weights.  Caller owns
 * both.  NULL with an error for a missing, foreign or inconsistent file. */
AetUnet *aet_weights_load (const char *path, AetAdam **adam_out, GError **error);

G_END_DECLS
