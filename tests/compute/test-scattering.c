#include "aet-scattering.h"

#include <math.h>

/* Every element of the table is there, with positive parameters. */
static void
test_table_complete (void)
{
  g_assert_false (aet_scattering_has_element (0));
  g_assert_false (aet_scattering_has_element (AET_SCATTERING_MAX_Z + 1));
  g_assert_cmpfloat (aet_scattering_fe (104, 0.5), ==, 0.0);
  for (guint z = 1; z <= 103; z++)
    {
      g_assert_true (aet_scattering_has_element (z));
      for (int i = 0; i < 12; i++)
        {
          gdouble v = aet_kirkland_params[z - 1][i];
          g_assert_true (isfinite (v));
          g_assert_cmpfloat (v, >, 0.0);
        }
    }
}

/* At large q the Lorentzians dominate and f_e → Σaᵢ/q², which the Mott–
 * Bethe formula fixes to Z/(2π²a₀q²): a physical check of every row's
 * amplitudes independent of the source. */
static void
test_mott_bethe_limit (void)
{
  const gdouble a0 = 0.52917721;
  for (guint z = 1; z <= 103; z++)
    {
      gdouble q = 100.0;
      gdouble ratio = aet_scattering_fe (z, q) * q * q / (z / (2.0 * G_PI * G_PI * a0));
      if (fabs (ratio - 1.0) > 0.1)
        g_error ("Z = %u: q²·f_e(q→∞) is %.3f of the Mott–Bethe value", z, ratio);
    }
}

/* f_e(0) = Σ aᵢ/bᵢ + Σ cᵢ, here for C, Pt and Au against the values of the
 * published parameters (C 2.511 Å agrees with Doyle–Turner's 2.51 Å). */
static void
test_forward_values (void)
{
  g_assert_cmpfloat_with_epsilon (aet_scattering_fe (6, 0.0), 2.5114, 5e-4);
  g_assert_cmpfloat_with_epsilon (aet_scattering_fe (78, 0.0), 10.8068, 5e-4);
  g_assert_cmpfloat_with_epsilon (aet_scattering_fe (79, 0.0), 10.5534, 5e-4);
  /* heavier atoms scatter more at high angles */
  g_assert_cmpfloat (aet_scattering_fe (78, 1.0), >, 4.0 * aet_scattering_fe (6, 1.0));
}

static void
test_monotonic (void)
{
  const guint zs[] = { 1, 6, 14, 29, 46, 47, 78, 79, 92, 103 };
  for (gsize e = 0; e < G_N_ELEMENTS (zs); e++)
    {
      gdouble prev = aet_scattering_fe (zs[e], 0.0);
      for (int i = 1; i <= 800; i++)
        {
          gdouble f = aet_scattering_fe (zs[e], i * 0.01);
          if (!(f < prev))
            g_error ("Z = %u: f_e rises at q = %.2f", zs[e], i * 0.01);
          prev = f;
        }
    }
  gdouble q2[3] = { 0.0, 0.25, 4.0 }, out[3];
  aet_scattering_fe_q2 (78, q2, 3, out);
  g_assert_cmpfloat_with_epsilon (out[1], aet_scattering_fe (78, 0.5), 1e-12);
  g_assert_cmpfloat_with_epsilon (out[2], aet_scattering_fe (78, 2.0), 1e-12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/scattering/table-complete", test_table_complete);
  g_test_add_func ("/compute/scattering/mott-bethe-limit", test_mott_bethe_limit);
  g_test_add_func ("/compute/scattering/forward-values", test_forward_values);
  g_test_add_func ("/compute/scattering/monotonic", test_monotonic);
  return g_test_run ();
}
