/* aet-tlt.h — IMOD tilt-angle files (.tlt).
 *
 * A .tlt holds one tilt angle in degrees per line, in the order of the
 * images of the stack it goes with.  It is how IMOD, and most tomography
 * tools after it, carry the angles beside an MRC stack, so we read and
 * write it as is.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads the angles; blank lines are ignored, anything else that is not a
 * finite number fails with AET_ERROR_FORMAT naming the file and line.  An
 * empty file is an error too.  Caller owns the array (n_angles entries). */
gdouble *aet_tlt_read (const char *path, gsize *n_angles, GError **error);

/* Writes one angle per line with enough digits to read back the same
 * doubles. Atomic. */
gboolean aet_tlt_write (const char *path, const gdouble *angles, gsize n, GError **error);

G_END_DECLS
