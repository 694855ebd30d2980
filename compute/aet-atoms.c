#define G_LOG_DOMAIN "aet-atoms"

#include "aet-atoms.h"

#include <string.h>

AetAtoms *
aet_atoms_new (gsize reserve)
{
  AetAtoms *a = g_new0 (AetAtoms, 1);
  a->capacity = MAX (reserve, 16);
  a->positions = g_new0 (gdouble, 3 * a->capacity);
  a->elements = g_new0 (guint8, a->capacity);
  a->column_names = g_ptr_array_new_with_free_func (g_free);
  a->column_values = g_ptr_array_new_with_free_func (g_free);
  a->ref_count = 1;
  return a;
}

AetAtoms *
aet_atoms_ref (AetAtoms *atoms)
{
  g_return_val_if_fail (atoms != NULL, NULL);
  g_atomic_int_inc (&atoms->ref_count);
  return atoms;
}

void
aet_atoms_unref (AetAtoms *atoms)
{
  if (atoms == NULL)
    return;
  if (g_atomic_int_dec_and_test (&atoms->ref_count))
    {
      g_free (atoms->positions);
      g_free (atoms->elements);
      g_ptr_array_unref (atoms->column_names);
      g_ptr_array_unref (atoms->column_values);
      g_free (atoms);
    }
}

static void
grow (AetAtoms *a, gsize need)
{
  if (need <= a->capacity)
    return;
  gsize cap = a->capacity;
  while (cap < need)
    cap *= 2;
  a->positions = g_renew (gdouble, a->positions, 3 * cap);
  a->elements = g_renew (guint8, a->elements, cap);
  for (guint c = 0; c < a->column_values->len; c++)
    {
      gfloat *v = g_renew (gfloat, a->column_values->pdata[c], cap);
      memset (v + a->capacity, 0, (cap - a->capacity) * sizeof (gfloat));
      a->column_values->pdata[c] = v;
    }
  a->capacity = cap;
}

gsize
aet_atoms_append (AetAtoms *atoms, guint element, gdouble x, gdouble y, gdouble z)
{
  grow (atoms, atoms->n_atoms + 1);
  gsize i = atoms->n_atoms++;
  atoms->positions[3 * i] = x;
  atoms->positions[3 * i + 1] = y;
  atoms->positions[3 * i + 2] = z;
  atoms->elements[i] = (guint8) MIN (element, 255u);
  for (guint c = 0; c < atoms->column_values->len; c++)
    ((gfloat *) atoms->column_values->pdata[c])[i] = 0.0f;
  return i;
}

gfloat *
aet_atoms_get_column (const AetAtoms *atoms, const char *name)
{
  for (guint c = 0; c < atoms->column_names->len; c++)
    if (g_strcmp0 (atoms->column_names->pdata[c], name) == 0)
      return atoms->column_values->pdata[c];
  return NULL;
}

gfloat *
aet_atoms_ensure_column (AetAtoms *atoms, const char *name)
{
  gfloat *v = aet_atoms_get_column (atoms, name);
  if (v != NULL)
    return v;
  v = g_new0 (gfloat, atoms->capacity);
  g_ptr_array_add (atoms->column_names, g_strdup (name));
  g_ptr_array_add (atoms->column_values, v);
  return v;
}

guint
aet_atoms_n_columns (const AetAtoms *atoms)
{
  return atoms->column_names->len;
}

const char *
aet_atoms_column_name (const AetAtoms *atoms, guint i)
{
  g_return_val_if_fail (i < atoms->column_names->len, NULL);
  return atoms->column_names->pdata[i];
}

gfloat *
aet_atoms_column_values (const AetAtoms *atoms, guint i)
{
  g_return_val_if_fail (i < atoms->column_values->len, NULL);
  return atoms->column_values->pdata[i];
}

void
aet_atoms_remove_column (AetAtoms *atoms, const char *name)
{
  for (guint c = 0; c < atoms->column_names->len; c++)
    if (g_strcmp0 (atoms->column_names->pdata[c], name) == 0)
      {
        g_ptr_array_remove_index (atoms->column_names, c);
        g_ptr_array_remove_index (atoms->column_values, c);
        return;
      }
}

AetAtoms *
aet_atoms_dup (const AetAtoms *atoms)
{
  AetAtoms *copy = aet_atoms_new (atoms->n_atoms);
  copy->n_atoms = atoms->n_atoms;
  memcpy (copy->positions, atoms->positions, 3 * atoms->n_atoms * sizeof (gdouble));
  memcpy (copy->elements, atoms->elements, atoms->n_atoms);
  for (guint c = 0; c < atoms->column_names->len; c++)
    {
      gfloat *v = aet_atoms_ensure_column (copy, atoms->column_names->pdata[c]);
      memcpy (v, atoms->column_values->pdata[c], atoms->n_atoms * sizeof (gfloat));
    }
  return copy;
}

void
aet_atoms_centroid (const AetAtoms *atoms, gdouble centroid[3])
{
  centroid[0] = centroid[1] = centroid[2] = 0.0;
  if (atoms->n_atoms == 0)
    return;
  for (gsize i = 0; i < atoms->n_atoms; i++)
    for (int d = 0; d < 3; d++)
      centroid[d] += atoms->positions[3 * i + d];
  for (int d = 0; d < 3; d++)
    centroid[d] /= (gdouble) atoms->n_atoms;
}

AetAtoms *
aet_atoms_filter (const AetAtoms *atoms, const gboolean *keep)
{
  AetAtoms *out = aet_atoms_new (atoms->n_atoms);
  for (guint c = 0; c < atoms->column_names->len; c++)
    aet_atoms_ensure_column (out, atoms->column_names->pdata[c]);
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      if (!keep[i])
        continue;
      const gdouble *p = atoms->positions + 3 * i;
      gsize j = aet_atoms_append (out, atoms->elements[i], p[0], p[1], p[2]);
      for (guint c = 0; c < atoms->column_values->len; c++)
        ((gfloat *) out->column_values->pdata[c])[j]
          = ((const gfloat *) atoms->column_values->pdata[c])[i];
    }
  return out;
}
