#define G_LOG_DOMAIN "aet-pdb"

#include "aet-pdb.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <math.h>
#include <string.h>

/* What the %8.3f coordinate fields and the %6.2f B-factor field can hold. */
#define COORD_MIN -999.999
#define COORD_MAX 9999.999
#define BFACTOR_MIN -99.99
#define BFACTOR_MAX 999.99

static gdouble
clamp_bfactor (gfloat v)
{
  if (isnan (v))
    return 0.0;
  return CLAMP ((gdouble) v, BFACTOR_MIN, BFACTOR_MAX);
}

gboolean
aet_pdb_write (const char *path, const AetAtoms *atoms, const char *bfactor_column,
               GError **error)
{
  g_return_val_if_fail (path != NULL && atoms != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  const gfloat *bfactor = NULL;

  if (bfactor_column != NULL)
    {
      bfactor = aet_atoms_get_column (atoms, bfactor_column);
      if (bfactor == NULL)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "%s: the atoms have no column '%s' for the B-factor", name,
                       bfactor_column);
          return FALSE;
        }
    }
  for (gsize i = 0; i < 3 * atoms->n_atoms; i++)
    {
      gdouble x = atoms->positions[i];
      /* compare after rounding to what %8.3f prints */
      if (!isfinite (x) || round (x * 1000.0) < COORD_MIN * 1000.0
          || round (x * 1000.0) > COORD_MAX * 1000.0)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                       "%s: atom %zu has coordinate %g Å, outside what PDB holds (%.3f to %.3f)",
                       name, i / 3, x, COORD_MIN, COORD_MAX);
          return FALSE;
        }
    }

  g_autoptr (GString) out = g_string_sized_new (128 + 81 * atoms->n_atoms);
  g_string_append (out, "REMARK   1 WRITTEN BY AET STUDIO\n");
  if (bfactor_column != NULL)
    g_string_append_printf (out, "REMARK   2 B-FACTOR COLUMN: %.50s\n", bfactor_column);
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      char symbol[3] = { 0 };
      g_strlcpy (symbol, aet_element_symbol (atoms->elements[i]), sizeof symbol);
      symbol[0] = g_ascii_toupper (symbol[0]);
      symbol[1] = g_ascii_toupper (symbol[1]);
      /* PDB atom names put a one-letter element in column 14 */
      char atom_name[5];
      g_snprintf (atom_name, sizeof atom_name, "%-4s",
                  symbol[1] == '\0' ? (char[]){ ' ', symbol[0], '\0' } : symbol);
      gsize serial = i % 99999 + 1;
      gsize residue = (i / 99999) % 9999 + 1;
      const gdouble *p = atoms->positions + 3 * i;
      /* numbers through g_ascii_formatd: a decimal comma would break the columns */
      char x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE], z[G_ASCII_DTOSTR_BUF_SIZE];
      char occupancy[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd (x, sizeof x, "%8.3f", p[0]);
      g_ascii_formatd (y, sizeof y, "%8.3f", p[1]);
      g_ascii_formatd (z, sizeof z, "%8.3f", p[2]);
      g_ascii_formatd (occupancy, sizeof occupancy, "%6.2f", 1.0);
      g_ascii_formatd (b, sizeof b, "%6.2f", bfactor != NULL ? clamp_bfactor (bfactor[i]) : 0.0);
      char line[96];
      /* every field has a fixed width, so one record is 80 columns */
      g_snprintf (line, sizeof line,
                  "HETATM%5zu %4s %3s %c%4zu    %s%s%s%s%s          %2s  \n",
                  serial, atom_name, "NP", 'A', residue, x, y, z, occupancy, b, symbol);
      g_string_append (out, line);
    }
  g_string_append (out, "END\n");

  return aet_write_text_atomic (path, out->str, (gssize) out->len, error);
}
