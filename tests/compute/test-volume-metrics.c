#include "aet-atom-density.h"
#include "aet-volume-metrics.h"

#include <fftw3.h>
#include <math.h>

static void
fill_gaussian (AetVolume *v, gdouble sigma, GRand *rng, gboolean add)
{
  gsize n = aet_volume_n_voxels (v);
  for (gsize i = 0; i < n; i++)
    {
      gdouble u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
      gfloat x = (gfloat) (sigma * sqrt (-2.0 * log (u1)) * cos (2 * G_PI * u2));
      v->data[i] = add ? v->data[i] + x : x;
    }
}

/* Coefficients per shell, counted the way the FSC does (full spectrum). */
static guint *
shell_counts (gint n, guint ns)
{
  guint *count = g_new0 (guint, ns);
  for (gint k = 0; k < n; k++)
    for (gint j = 0; j < n; j++)
      for (gint i = 0; i < n; i++)
        {
          gint a = i <= n / 2 ? i : i - n, b = j <= n / 2 ? j : j - n, c = k <= n / 2 ? k : k - n;
          guint s = (guint) lround (sqrt ((gdouble) a * a + b * b + c * c));
          if (s < ns)
            count[s]++;
        }
  return count;
}

static void
test_fsc_self_is_one (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  g_autoptr (AetVolume) v = aet_volume_new (40, 40, 40, 0.5);
  fill_gaussian (v, 1.0, rng, FALSE);
  guint ns = 0;
  g_autofree gdouble *freq = NULL;
  g_autofree gdouble *fsc = aet_volume_fsc (v, v, &ns, &freq);
  g_assert_nonnull (fsc);
  g_assert_cmpuint (ns, ==, 21);
  for (guint s = 0; s < ns; s++)
    {
      g_assert_cmpfloat_with_epsilon (fsc[s], 1.0, 1e-9);
      g_assert_cmpfloat_with_epsilon (freq[s], s / (40 * 0.5), 1e-12);
    }
  /* Nyquist is the last shell: 1 / (2 · 0.5 Å) */
  g_assert_cmpfloat_with_epsilon (freq[ns - 1], 1.0, 1e-12);
  /* a scaled copy correlates perfectly too, a negated one at −1 */
  g_autoptr (AetVolume) w = aet_volume_dup (v);
  aet_volume_scale (w, -3.0f);
  g_autofree gdouble *neg = aet_volume_fsc (v, w, &ns, NULL);
  for (guint s = 0; s < ns; s++)
    g_assert_cmpfloat_with_epsilon (neg[s], -1.0, 1e-6);
}

static void
test_fsc_white_noise_theory (void)
{
  /* a = s + n1, b = s + n2 with white s (σ 1) and independent white noise
   * (σ_n): every shell's FSC is σ²/(σ² + σ_n²), within the spread of an
   * estimate from that shell's coefficient count */
  const gint n = 48;
  const gdouble noise[] = { 0.0, 1.0, 2.0 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (2);
  g_autoptr (AetVolume) s = aet_volume_new (n, n, n, 0.357);
  fill_gaussian (s, 1.0, rng, FALSE);
  guint ns = n / 2 + 1;
  g_autofree guint *count = shell_counts (n, ns);
  for (guint l = 0; l < G_N_ELEMENTS (noise); l++)
    {
      g_autoptr (AetVolume) a = aet_volume_dup (s);
      g_autoptr (AetVolume) b = aet_volume_dup (s);
      fill_gaussian (a, noise[l], rng, TRUE);
      fill_gaussian (b, noise[l], rng, TRUE);
      guint got = 0;
      g_autofree gdouble *fsc = aet_volume_fsc (a, b, &got, NULL);
      g_assert_cmpuint (got, ==, ns);
      gdouble expect = 1.0 / (1.0 + noise[l] * noise[l]);
      for (guint sh = 2; sh < ns; sh++)
        {
          /* the FSC estimate's spread is ≈ (1 − ρ²)/√(independent pairs) */
          gdouble tol = 4.0 * (1 - expect * expect) / sqrt (count[sh] / 2.0) + 1e-6;
          g_assert_cmpfloat (fabs (fsc[sh] - expect), <, tol);
        }
    }
}

static void
test_fsc_atoms_fall_where_theory_says (void)
{
  /* Gaussian atoms (smooth: power falls with q) plus independent noise
   * copies: FSC(shell) ≈ S/(S + N) with S the atoms' shell power (from our
   * own FFT here) and N = count·n_voxels·σ² the white noise power. */
  const gint n = 48;
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  g_autoptr (AetAtoms) atoms = aet_atoms_new (200);
  for (int i = 0; i < 150; i++)
    aet_atoms_append (atoms, 78, g_rand_double_range (rng, 3, 14),
                      g_rand_double_range (rng, 3, 14), g_rand_double_range (rng, 3, 14));
  g_autoptr (AetVolume) s = aet_volume_new (n, n, n, 0.357);
  aet_render_gaussian_atoms (atoms, s, 4.0, 1.0, NULL, 1);

  guint ns = n / 2 + 1;
  g_autofree gdouble *power = g_new0 (gdouble, ns);
  g_autofree guint *count = shell_counts (n, ns);
  {
    fftwf_complex *buf = fftwf_alloc_complex ((gsize) n * n * n);
    for (gsize i = 0; i < (gsize) n * n * n; i++)
      {
        buf[i][0] = s->data[i];
        buf[i][1] = 0;
      }
    fftwf_plan plan = fftwf_plan_dft_3d (n, n, n, buf, buf, FFTW_FORWARD, FFTW_ESTIMATE);
    fftwf_execute (plan);
    fftwf_destroy_plan (plan);
    for (gint k = 0; k < n; k++)
      for (gint j = 0; j < n; j++)
        for (gint i = 0; i < n; i++)
          {
            gint a = i <= n / 2 ? i : i - n, b = j <= n / 2 ? j : j - n;
            gint c = k <= n / 2 ? k : k - n;
            guint sh = (guint) lround (sqrt ((gdouble) a * a + b * b + c * c));
            gsize idx = (gsize) i + (gsize) n * ((gsize) j + (gsize) n * k);
            if (sh < ns)
              power[sh] += buf[idx][0] * buf[idx][0] + buf[idx][1] * buf[idx][1];
          }
    fftwf_free (buf);
  }

  const gdouble sigma = 0.3;
  g_autoptr (AetVolume) a = aet_volume_dup (s);
  g_autoptr (AetVolume) b = aet_volume_dup (s);
  fill_gaussian (a, sigma, rng, TRUE);
  fill_gaussian (b, sigma, rng, TRUE);
  guint got = 0;
  g_autofree gdouble *freq = NULL;
  g_autofree gdouble *fsc = aet_volume_fsc (a, b, &got, &freq);
  gboolean crossed_half = FALSE;
  for (guint sh = 2; sh < ns; sh++)
    {
      gdouble noise_power = (gdouble) count[sh] * n * n * n * sigma * sigma;
      gdouble expect = power[sh] / (power[sh] + noise_power);
      gdouble tol = 4.0 * (1 - expect * expect) / sqrt (count[sh] / 2.0) + 0.02;
      g_test_message ("shell %u (%.3f 1/Å): FSC %.3f expected %.3f", sh, freq[sh], fsc[sh],
                      expect);
      g_assert_cmpfloat (fabs (fsc[sh] - expect), <, tol);
      crossed_half |= expect < 0.4;
    }
  /* the noise level was chosen so the curve really falls inside the range */
  g_assert_true (crossed_half);
  g_assert_cmpfloat (fsc[2], >, 0.9);
  gdouble f_half = aet_volume_fsc_crossing (fsc, freq, got, 0.5);
  g_assert_cmpfloat (f_half, >, freq[2]);
  g_assert_cmpfloat (f_half, <, freq[got - 1]);
  for (guint sh = 2; sh < got && freq[sh] < f_half - 1e-9; sh++)
    g_assert_cmpfloat (fsc[sh], >=, 0.5);
}

static void
test_ncc_and_difference (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (4);
  g_autoptr (AetVolume) a = aet_volume_new (20, 22, 24, 0.4);
  fill_gaussian (a, 1.0, rng, FALSE);
  a->origin[1] = 3.0;
  g_autoptr (AetVolume) b = aet_volume_dup (a);
  /* affine copies: NCC ±1 */
  for (gsize i = 0; i < aet_volume_n_voxels (b); i++)
    b->data[i] = 2.0f * a->data[i] + 5.0f;
  g_assert_cmpfloat_with_epsilon (aet_volume_ncc (a, b), 1.0, 1e-9);
  for (gsize i = 0; i < aet_volume_n_voxels (b); i++)
    b->data[i] = -a->data[i];
  g_assert_cmpfloat_with_epsilon (aet_volume_ncc (a, b), -1.0, 1e-9);
  /* a + equal-power independent noise: NCC ≈ 1/√2 */
  g_autoptr (AetVolume) c = aet_volume_dup (a);
  fill_gaussian (c, 1.0, rng, TRUE);
  g_assert_cmpfloat (fabs (aet_volume_ncc (a, c) - G_SQRT2 / 2), <, 0.02);

  g_autoptr (AetVolume) d = aet_volume_difference (c, a);
  g_assert_nonnull (d);
  g_assert_cmpfloat (d->origin[1], ==, 3.0);
  g_assert_cmpfloat (d->voxel_size, ==, 0.4);
  for (gsize i = 0; i < aet_volume_n_voxels (d); i++)
    g_assert_cmpfloat (d->data[i], ==, c->data[i] - a->data[i]);

  /* shapes that differ, a constant volume */
  g_autoptr (AetVolume) other = aet_volume_new (20, 22, 23, 0.4);
  g_assert_true (isnan (aet_volume_ncc (a, other)));
  g_assert_null (aet_volume_difference (a, other));
  guint ns = 99;
  g_assert_null (aet_volume_fsc (a, other, &ns, NULL));
  g_assert_cmpuint (ns, ==, 0);
  g_autoptr (AetVolume) flat = aet_volume_new (20, 22, 24, 0.4);
  g_assert_true (isnan (aet_volume_ncc (a, flat)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/volume-metrics/fsc-self-is-one", test_fsc_self_is_one);
  g_test_add_func ("/compute/volume-metrics/fsc-white-noise-theory", test_fsc_white_noise_theory);
  g_test_add_func ("/compute/volume-metrics/fsc-atoms-fall-where-theory-says",
                   test_fsc_atoms_fall_where_theory_says);
  g_test_add_func ("/compute/volume-metrics/ncc-and-difference", test_ncc_and_difference);
  return g_test_run ();
}
