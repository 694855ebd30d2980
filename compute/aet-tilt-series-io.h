/* aet-tilt-series-io.h — a tilt series from a stack file and its angles.
 *
 * Tomography tools keep the images and the tilt angles apart: an MRC (or
 * TIFF) stack beside an IMOD .tlt.  These functions put the two together
 * into one AetTiltSeries, checking that they agree, and write them back the
 * same way.
 */
#pragma once

#include "aet-tilt-series.h"

G_BEGIN_DECLS

/* Loads the images from stack_path (.mrc, .mrcs, .st, .ali, .rec → MRC;
 * .tif, .tiff → TIFF) and the angles from tlt_path, or when tlt_path is
 * NULL from the stack path with its extension replaced by .tlt if that file
 * exists (else AET_ERROR_MISMATCH "tilts.mrc: no tilt angles (give --tlt)").
 * pixel_size > 0 overrides the file's pixel size.  The number of angles must
 * equal the number of images (AET_ERROR_MISMATCH).  Caller owns. */
AetTiltSeries *aet_tilt_series_load (const char *stack_path, const char *tlt_path,
                                     gdouble pixel_size, GError **error);

/* Writes the images as an MRC stack (ISPG 0) and the angles as a .tlt
 * (tlt_path NULL: the MRC path with its extension replaced by .tlt).  The
 * shifts are not stored.  Both saves are atomic. */
gboolean aet_tilt_series_save_mrc (const AetTiltSeries *series, const char *mrc_path,
                                   const char *tlt_path, GError **error);

G_END_DECLS
