/* aet-xyz.h — atoms to and from XYZ and extended XYZ text files.
 *
 * XYZ is what OVITO, ASE, VMD and every structure tool read: a count line, a
 * comment line, then one "El x y z" line per atom (Å).  Extended XYZ puts a
 * `Properties=species:S:1:pos:R:3:name:R:1:…` key in the comment line that
 * names further per-atom columns; we write our atom columns that way so OVITO
 * can colour atoms by intensity, strain, facet, … and reading the file back
 * gives the same columns bit for bit.
 */
#pragma once

#include "aet-atoms.h"

#include <glib.h>

G_BEGIN_DECLS

/* Reads plain XYZ ("N\ncomment\nEl x y z …") and extended XYZ (a comment
 * line with Properties=… as OVITO and ASE write it; other keys such as
 * Lattice="…" are accepted and ignored).  Extra columns of plain XYZ are
 * ignored; the R and I columns of extended XYZ become atom columns (a column
 * of n > 1 components becomes name_0 … name_{n-1}); S and L columns other
 * than the species are skipped.  The element is a symbol or an atomic number.
 * The count line must match the number of atom lines (blank lines at the end
 * are allowed).  Errors are AET_ERROR_FORMAT (malformed line, count mismatch,
 * unknown element, empty or truncated file), AET_ERROR_DATA (NaN or infinite
 * coordinates) or AET_ERROR_IO.  Caller owns the result. */
AetAtoms *aet_xyz_read (const char *path, GError **error);

/* Parses XYZ text already in memory; `name` is used in messages (the file's
 * basename).  Same rules as aet_xyz_read.  Caller owns the result. */
AetAtoms *aet_xyz_parse (const char *text, gsize length, const char *name, GError **error);

/* Writes extended XYZ with every atom column
 * (Properties=species:S:1:pos:R:3:<col>:R:1…): positions with %.6f, columns
 * with %.9g, so that every float column reads back bit-identical.  Column
 * names are written with characters other than letters, digits and '_'
 * replaced by '_'.  `comment` (may be NULL) is added to the comment line as
 * comment="…".  The save is atomic (temporary file, then rename). */
gboolean aet_xyz_write (const char *path, const AetAtoms *atoms, const char *comment,
                        GError **error);

G_END_DECLS
