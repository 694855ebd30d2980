#define G_LOG_DOMAIN "aet-lattice"

#include "aet-lattice.h"

#include <math.h>

typedef struct
{
  guint z;
  gdouble a;
} LatticeEntry;

/* Room-temperature values (Å), e.g. Kittel, Introduction to Solid State
 * Physics; the published Pt generator used 3.912. */
static const LatticeEntry fcc_table[] = {
  { 78, 3.924 },  /* Pt */
  { 79, 4.078 },  /* Au */
  { 46, 3.891 },  /* Pd */
  { 47, 4.086 },  /* Ag */
  { 29, 3.615 },  /* Cu */
  { 28, 3.524 },  /* Ni */
  { 77, 3.839 },  /* Ir */
  { 45, 3.803 },  /* Rh */
  { 13, 4.050 },  /* Al */
};

gdouble
aet_fcc_lattice_constant (guint z)
{
  for (gsize i = 0; i < G_N_ELEMENTS (fcc_table); i++)
    if (fcc_table[i].z == z)
      return fcc_table[i].a;
  return 0.0;
}

static const gdouble fcc_basis[4][3] = {
  { 0.0, 0.0, 0.0 }, { 0.0, 0.5, 0.5 }, { 0.5, 0.0, 0.5 }, { 0.5, 0.5, 0.0 },
};

gdouble *
aet_fcc_sites (gdouble a, const gdouble centre[3], gdouble radius, gsize *n_sites)
{
  g_return_val_if_fail (a > 0.0 && radius >= 0.0 && n_sites != NULL, NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gint lo[3], hi[3];
  for (int d = 0; d < 3; d++)
    {
      lo[d] = (gint) floor ((centre[d] - radius) / a) - 1;
      hi[d] = (gint) ceil ((centre[d] + radius) / a) + 1;
    }
  gdouble r2 = radius * radius;
  for (gint k = lo[2]; k <= hi[2]; k++)
    for (gint j = lo[1]; j <= hi[1]; j++)
      for (gint i = lo[0]; i <= hi[0]; i++)
        for (int b = 0; b < 4; b++)
          {
            gdouble p[3] = { (i + fcc_basis[b][0]) * a, (j + fcc_basis[b][1]) * a,
                             (k + fcc_basis[b][2]) * a };
            gdouble dx = p[0] - centre[0], dy = p[1] - centre[1], dz = p[2] - centre[2];
            if (dx * dx + dy * dy + dz * dz <= r2)
              g_array_append_vals (out, p, 3);
          }
  *n_sites = out->len / 3;
  return (gdouble *) g_array_free (out, FALSE);
}
