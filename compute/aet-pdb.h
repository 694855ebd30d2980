/* aet-pdb.h — atoms as a PDB file, for molecular viewers (PyMOL, VMD,
 * ChimeraX) that do not read extended XYZ.
 *
 * PDB has fixed columns and one free number per atom, the B-factor; we put a
 * chosen atom column there (intensity, strain, …) so a viewer can colour by
 * it.  Every atom is a HETATM record of residue "NP" (nanoparticle).
 */
#pragma once

#include "aet-atoms.h"

#include <glib.h>

G_BEGIN_DECLS

/* Writes HETATM records in the fixed PDB columns (serial 7–11, name 13–16,
 * residue 18–20, chain 22, residue number 23–26, x y z 31–54 as %8.3f,
 * occupancy 55–60, B-factor 61–66, element 77–78) and END.  The B-factor
 * carries the column `bfactor_column` (NULL → 0; an unknown column is an
 * AET_ERROR_INVALID), clamped to what %6.2f fits (−99.99 … 999.99; NaN → 0).
 * Atom serials wrap past 99999 and residue numbers past 9999.  A coordinate
 * outside −999.999 … 9999.999 Å does not fit the format: AET_ERROR_DATA.
 * The save is atomic. */
gboolean aet_pdb_write (const char *path, const AetAtoms *atoms, const char *bfactor_column,
                        GError **error);

G_END_DECLS
