/* aet-tiff.h — multi-page TIFF image stacks.
 *
 * Many microscopes and general image tools export a tilt series as a
 * multi-page TIFF, one grayscale image per page.  We read 8-, 16- and
 * 32-bit unsigned and signed integers and 32/64-bit floats into a float32
 * AetVolume (page k is slice k) and write 8/16-bit unsigned or 32-bit float
 * stacks.  TIFF carries no reliable pixel size in Å, so the caller gives it.
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

/* Reads every page (all grayscale, one sample per pixel, stored in strips,
 * and all the same size, else AET_ERROR_FORMAT naming the file and page).
 * Values are taken as stored (a MinIsWhite page is not inverted).
 * pixel_size > 0 becomes the voxel size; 0 means unknown and gives 1.0 Å.
 * Caller owns the result. */
AetVolume *aet_tiff_read_stack (const char *path, gdouble pixel_size, GError **error);

/* Writes one page per slice: bits 8 or 16 give unsigned integers (values
 * rounded and clamped to the range, NaN as 0), 32 gives float32.  Atomic. */
gboolean aet_tiff_write_stack (const char *path, const AetVolume *stack, guint bits,
                               GError **error);

G_END_DECLS
