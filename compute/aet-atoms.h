/* aet-atoms.h — a set of atoms: positions in Å, elements, per-atom columns.
 *
 * Positions are in the volume frame of CLI.md (voxel (i,j,k) at (i·p, j·p,
 * k·p) Å), as doubles.  Later stages attach named float columns (intensity,
 * fit_error, coordination, surface, facet, displacement, strain, …); the
 * columns grow with the atoms.  Reference-counted so that the pipeline can
 * publish a model to the window; a published set is not modified again.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gsize n_atoms;
  gdouble *positions;   /* 3·n_atoms: x0, y0, z0, x1, … (Å) */
  guint8 *elements;     /* atomic number per atom */
  /*< private >*/
  gsize capacity;
  GPtrArray *column_names;   /* char* */
  GPtrArray *column_values;  /* gfloat*, capacity long */
  gint ref_count;
} AetAtoms;

/* An empty set with room for `reserve` atoms. Caller owns. */
AetAtoms *aet_atoms_new (gsize reserve);
AetAtoms *aet_atoms_ref (AetAtoms *atoms);
void aet_atoms_unref (AetAtoms *atoms);
/* Deep copy, columns included. Caller owns. */
AetAtoms *aet_atoms_dup (const AetAtoms *atoms);

/* Appends one atom (its column values start at 0); returns its index. */
gsize aet_atoms_append (AetAtoms *atoms, guint element, gdouble x, gdouble y, gdouble z);

/* The column called `name`, created (zero-filled) if missing; borrowed
 * pointer to n_atoms values, valid until the next append. */
gfloat *aet_atoms_ensure_column (AetAtoms *atoms, const char *name);
/* The column called `name` or NULL (borrowed). */
gfloat *aet_atoms_get_column (const AetAtoms *atoms, const char *name);
guint aet_atoms_n_columns (const AetAtoms *atoms);
const char *aet_atoms_column_name (const AetAtoms *atoms, guint i);
gfloat *aet_atoms_column_values (const AetAtoms *atoms, guint i);
void aet_atoms_remove_column (AetAtoms *atoms, const char *name);

/* The centroid of all positions (Å). */
void aet_atoms_centroid (const AetAtoms *atoms, gdouble centroid[3]);
/* A new set with only the atoms whose keep[i] is TRUE, columns kept. */
AetAtoms *aet_atoms_filter (const AetAtoms *atoms, const gboolean *keep);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetAtoms, aet_atoms_unref)

G_END_DECLS
