/* Augmentation at the network's sampling: the band-limited resampling round
 * trip, and aet_augment resampling a volume whose voxels differ from the
 * network's, running it there and returning the result on the input grid. */
#include "aet-atom-density.h"
#include "aet-augment-consistent.h"
#include "aet-error.h"
#include "aet-projector.h"
#include "aet-resample.h"
#include "aet-tiles.h"
#include "aet-train.h"

#include <math.h>
#include <string.h>

/* A few atoms well inside an nx × ny × nz box of voxel `pixel` (positions
 * in Å from the origin), as Gaussians of B (Å²) and peak 1. */
static AetAtoms *
some_atoms (void)
{
  AetAtoms *atoms = aet_atoms_new (0);
  const gdouble at[][3] = { { 5.1, 6.3, 4.7 },  { 8.03, 5.2, 7.9 }, { 10.4, 9.7, 6.05 },
                            { 6.6, 10.9, 9.3 }, { 11.2, 6.4, 10.1 } };
  for (gsize a = 0; a < G_N_ELEMENTS (at); a++)
    aet_atoms_append (atoms, 78, at[a][0], at[a][1], at[a][2]);
  return atoms;
}

static AetVolume *
render (const AetAtoms *atoms, gint nx, gint ny, gint nz, gdouble pixel, gdouble b)
{
  AetVolume *v = aet_volume_new (nx, ny, nz, pixel);
  v->origin[0] = 1.5;
  v->origin[1] = -0.25;
  v->origin[2] = 0.5;
  /* the atoms are placed relative to the origin */
  g_autoptr (AetAtoms) moved = aet_atoms_dup (atoms);
  for (gsize a = 0; a < moved->n_atoms; a++)
    for (int d = 0; d < 3; d++)
      moved->positions[3 * a + d] += v->origin[d];
  aet_render_gaussian_atoms (moved, v, b, 1.0, NULL, 1);
  return v;
}

/* max |a − b| / max |b| */
static gdouble
relative_error (const AetVolume *a, const AetVolume *b)
{
  g_assert_true (aet_volume_same_shape (a, b));
  gdouble worst = 0, top = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (a); i++)
    {
      worst = MAX (worst, fabs ((gdouble) a->data[i] - b->data[i]));
      top = MAX (top, fabs ((gdouble) b->data[i]));
    }
  return worst / top;
}

/* Smooth atoms (B = 20 Å², nothing above the coarser grid's Nyquist) at
 * 0.30 Å go to 0.36 Å (60 × 54 × 48 → 50 × 45 × 40 voxels: the same box)
 * and back; both the coarse volume and the round trip match the atoms
 * rendered directly on each grid.  Growing then shrinking is exact to
 * rounding. */
static void
test_round_trip (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) fine = render (atoms, 60, 54, 48, 0.30, 20.0);
  g_autoptr (AetVolume) coarse_truth = render (atoms, 50, 45, 40, 0.36, 20.0);
  g_autoptr (GError) error = NULL;

  g_autoptr (AetVolume) coarse = aet_volume_resample (fine, 50, 45, 40, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (coarse->nx, ==, 50);
  g_assert_cmpint (coarse->ny, ==, 45);
  g_assert_cmpint (coarse->nz, ==, 40);
  g_assert_cmpfloat_with_epsilon (coarse->voxel_size, 0.36, 1e-12);
  g_assert_cmpmem (coarse->origin, sizeof coarse->origin, fine->origin, sizeof fine->origin);
  gdouble e_coarse = relative_error (coarse, coarse_truth);
  g_autoptr (AetVolume) back = aet_volume_resample (coarse, 60, 54, 48, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (back->voxel_size, 0.30, 1e-12);
  gdouble e_back = relative_error (back, fine);

  g_autoptr (AetVolume) up = aet_volume_resample (coarse_truth, 60, 54, 48, 1, &error);
  g_autoptr (AetVolume) down = aet_volume_resample (up, 50, 45, 40, 1, &error);
  gdouble e_up = relative_error (up, fine);
  gdouble e_updown = relative_error (down, coarse_truth);
  g_test_message ("0.30 → 0.36 Å vs rendered: %.2e; and back: %.2e; 0.36 → 0.30 Å vs "
                  "rendered: %.2e; and back: %.2e", e_coarse, e_back, e_up, e_updown);
  g_assert_cmpfloat (e_coarse, <, 1e-3);
  g_assert_cmpfloat (e_back, <, 1e-3);
  g_assert_cmpfloat (e_up, <, 1e-3);
  g_assert_cmpfloat (e_updown, <, 1e-5);

  /* atoms about a voxel wide (B = 2 Å², σ = 0.32 Å) lose what the coarse
   * grid cannot hold: the round trip is no longer exact, which is why the
   * augment path changes the sampling only when it must */
  g_autoptr (AetVolume) sharp = render (atoms, 60, 54, 48, 0.30, 2.0);
  g_autoptr (AetVolume) s1 = aet_volume_resample (sharp, 50, 45, 40, 2, &error);
  g_autoptr (AetVolume) s2 = aet_volume_resample (s1, 60, 54, 48, 2, &error);
  gdouble e_sharp = relative_error (s2, sharp);
  g_test_message ("B = 2 Å² round trip: %.2e", e_sharp);
  g_assert_cmpfloat (e_sharp, >, 1e-3);
  g_assert_cmpfloat (e_sharp, <, 0.1);
}

/* Odd sizes, one axis unchanged, and 1 vs 2 threads bit for bit. */
static void
test_odd_sizes_threads (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 61, 53, 47, 0.30, 20.0);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) a = aet_volume_resample (v, 51, 53, 39, 1, &error);
  g_autoptr (AetVolume) b = aet_volume_resample (v, 51, 53, 39, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a->data, aet_volume_n_voxels (a) * sizeof (gfloat), b->data,
                   aet_volume_n_voxels (b) * sizeof (gfloat));
  g_autoptr (AetVolume) back = aet_volume_resample (a, 61, 53, 47, 2, &error);
  gdouble e = relative_error (back, v);
  g_test_message ("odd sizes round trip: %.2e", e);
  g_assert_cmpfloat (e, <, 1e-3);

  /* the same size is a copy */
  g_autoptr (AetVolume) same = aet_volume_resample (v, 61, 53, 47, 2, &error);
  g_assert_cmpmem (same->data, aet_volume_n_voxels (v) * sizeof (gfloat), v->data,
                   aet_volume_n_voxels (v) * sizeof (gfloat));
  /* sizes a volume cannot have */
  g_assert_null (aet_volume_resample (v, 0, 53, 47, 1, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
}

/* A one-layer network: a 1×1×1 convolution of weight 1 and a ReLU. */
static AetUnet *
identity_net (gdouble voxel_size)
{
  AetLayerSpec s = { 0 };
  s.kind = AET_LAYER_CONV3D;
  s.in_channels = s.out_channels = 1;
  s.kernel = 1;
  s.stride = 1;
  s.n_inputs = 1;
  s.inputs[0] = AET_LAYER_INPUT;
  s.activation = AET_ACT_RELU;
  g_autoptr (GError) error = NULL;
  AetUnet *net = aet_unet_new (&s, 1, 1, "identity", &error);
  g_assert_no_error (error);
  aet_unet_get_param (net, 0)->data[0] = 1.0f;
  aet_unet_set_voxel_size (net, voxel_size);
  return net;
}

/* Gaussian atoms at 0.30 Å through a network trained at 0.357 Å: the
 * network runs on the resampled grid and the output comes back on the
 * input grid (dims, voxel size, origin) with its peaks at the atoms. */
static void
test_augment_resamples (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 56, 52, 48, 0.30, 5.0);
  g_autoptr (AetUnet) net = identity_net (0.357);
  g_autoptr (GError) error = NULL;
  AetAugmentInfo info;
  g_autoptr (AetVolume) out = aet_augment (net, v, "v.mrc", 0, 0, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (info.resampled);
  g_assert_cmpfloat (info.net_voxel_size, ==, 0.357);
  g_assert_cmpint (info.grid[0], ==, 47);   /* 56 · 0.30 / 0.357 = 47.06 */
  g_assert_cmpint (info.grid[1], ==, 44);   /* 43.7 */
  g_assert_cmpint (info.grid[2], ==, 40);   /* 40.3 */
  g_assert_cmpint (out->nx, ==, 56);
  g_assert_cmpint (out->ny, ==, 52);
  g_assert_cmpint (out->nz, ==, 48);
  g_assert_cmpfloat (out->voxel_size, ==, 0.30);
  g_assert_cmpmem (out->origin, sizeof out->origin, v->origin, sizeof v->origin);

  /* peaks at the atoms: the voxel nearest each atom is the largest within
   * 0.9 Å, and near the normalised peak height */
  gdouble level = info.level;
  g_assert_cmpfloat (level, >, 0.5);
  for (gsize a = 0; a < atoms->n_atoms; a++)
    {
      gint c[3];
      for (int d = 0; d < 3; d++)
        c[d] = (gint) lround (atoms->positions[3 * a + d] / 0.30);
      gfloat centre = out->data[aet_volume_index (out, c[0], c[1], c[2])];
      gfloat truth = v->data[aet_volume_index (v, c[0], c[1], c[2])] / (gfloat) level;
      g_assert_cmpfloat (fabs (centre - truth), <, 0.1 * truth);
      for (gint dz = -3; dz <= 3; dz++)
        for (gint dy = -3; dy <= 3; dy++)
          for (gint dx = -3; dx <= 3; dx++)
            if (dx || dy || dz)
              g_assert_cmpfloat (out->data[aet_volume_index (out, c[0] + dx, c[1] + dy,
                                                             c[2] + dz)],
                                 <=, centre);
    }

  /* it is exactly the chain resample → normalise → network → resample
   * back, for a real (random) U-Net too */
  g_autoptr (AetUnet) unet = aet_unet_new_default (2, 2, 11);
  aet_unet_set_voxel_size (unet, 0.357);
  g_autoptr (AetVolume) got = aet_augment (unet, v, "v.mrc", 0, 0, &info, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) r = aet_volume_resample (v, 47, 44, 40, 1, &error);
  r->voxel_size = 0.357;
  g_autoptr (AetVolume) n = aet_train_normalise (r, "r", NULL, &error);
  g_autoptr (AetVolume) y = aet_unet_apply (unet, n, 0, 0, NULL, &error);
  g_autoptr (AetVolume) expected = aet_volume_resample (y, 56, 52, 48, 1, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < aet_volume_n_voxels (expected); i++)
    expected->data[i] = MAX (expected->data[i], 0.0f);
  g_assert_cmpfloat (relative_error (got, expected), <, 1e-6);
  /* and not what the network gives on the input grid */
  g_autoptr (AetVolume) n0 = aet_train_normalise (v, "v", NULL, &error);
  g_autoptr (AetVolume) direct = aet_unet_apply (unet, n0, 0, 0, NULL, &error);
  g_assert_cmpfloat (relative_error (got, direct), >, 1e-2);
}

/* Within 1 % of the network's sampling nothing is resampled; a ratio
 * outside 0.5–2 is refused with one line. */
static void
test_augment_tolerance_and_refusal (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 48, 48, 40, 0.36, 5.0);
  g_autoptr (AetUnet) unet = aet_unet_new_default (2, 2, 12);   /* 0.357 Å */
  g_autoptr (GError) error = NULL;
  AetAugmentInfo info;
  g_autoptr (AetVolume) got = aet_augment (unet, v, "v.mrc", 24, 8, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (info.resampled);
  g_autoptr (AetVolume) n = aet_train_normalise (v, "v", NULL, &error);
  g_autoptr (AetVolume) direct = aet_unet_apply (unet, n, 24, 8, NULL, &error);
  g_assert_cmpmem (got->data, aet_volume_n_voxels (got) * sizeof (gfloat), direct->data,
                   aet_volume_n_voxels (direct) * sizeof (gfloat));

  v->voxel_size = 1.0;
  g_assert_null (aet_augment (unet, v, "recon.mrc", 0, 0, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_cmpstr (error->message, ==,
                   "recon.mrc: its 1 Å voxels are 2.80× the network's 0.357 Å, outside the "
                   "0.5–2× it resamples (is the voxel size right?)");
  g_clear_error (&error);
  v->voxel_size = 0.15;
  g_assert_null (aet_augment (unet, v, "recon.mrc", 0, 0, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
  g_assert_null (strchr (error->message, '\n'));
}

/* A network with a linear output layer undershoots below 0; aet_augment
 * gives its output clipped at 0 and equal to it elsewhere. */
static void
test_augment_linear_output_clipped (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 48, 48, 40, 0.357, 5.0);
  g_autoptr (AetUnet) unet = aet_unet_new_default_full (2, 2, AET_ACT_NONE, 13);
  aet_unet_set_voxel_size (unet, 0.357);
  const AetLayerSpec *last = aet_unet_get_layer (unet, aet_unet_get_n_layers (unet) - 1);
  g_assert_cmpint (last->activation, ==, AET_ACT_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) got = aet_augment (unet, v, "v.mrc", 24, 8, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) n = aet_train_normalise (v, "v", NULL, &error);
  g_autoptr (AetVolume) raw = aet_unet_apply (unet, n, 24, 8, NULL, &error);
  g_assert_no_error (error);
  gsize negative = 0, positive = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (raw); i++)
    {
      g_assert_cmpfloat (got->data[i], ==, MAX (raw->data[i], 0.0f));
      negative += raw->data[i] < 0;
      positive += raw->data[i] > 0;
    }
  g_test_message ("raw output: %zu voxels below 0, %zu above", negative, positive);
  g_assert_cmpuint (negative, >, 0);
  g_assert_cmpuint (positive, >, 0);
}

/* Reflected copy of v (x bit 1, y bit 2, z bit 4). */
static AetVolume *
reflected (const AetVolume *v, guint mask)
{
  AetVolume *r = aet_volume_dup (v);
  for (gint z = 0; z < v->nz; z++)
    for (gint y = 0; y < v->ny; y++)
      for (gint x = 0; x < v->nx; x++)
        {
          gint sx = mask & 1 ? v->nx - 1 - x : x, sy = mask & 2 ? v->ny - 1 - y : y;
          gint sz = mask & 4 ? v->nz - 1 - z : z;
          r->data[aet_volume_index (r, x, y, z)] = v->data[aet_volume_index (v, sx, sy, sz)];
        }
  return r;
}

static void
record_progress (AetJob *job, const char *stage, gdouble fraction, const char *message,
                 gpointer user_data)
{
  GArray *seen = user_data;
  g_array_append_val (seen, fraction);
}

/* Averaging the 8 reflections makes the augmentation commute with them;
 * one pass does not; progress runs once from 0 to 1 across the passes. */
static void
test_augment_flips (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 48, 48, 40, 0.357, 5.0);
  g_autoptr (AetUnet) unet = aet_unet_new_default (2, 2, 21);
  aet_unet_set_voxel_size (unet, 0.357);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) one = aet_augment (unet, v, "v", 0, 0, NULL, NULL, &error);
  g_autoptr (AetVolume) one_f = aet_augment_flips (unet, v, "v", 0, 0, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (one->data, aet_volume_n_voxels (one) * sizeof (gfloat), one_f->data,
                   aet_volume_n_voxels (one_f) * sizeof (gfloat));

  g_autoptr (GArray) seen = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_progress_func (job, record_progress, seen, NULL);
  g_autoptr (AetVolume) all = aet_augment_flips (unet, v, "v", 0, 0, 8, NULL, job, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, >=, 8);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, gdouble, i), >=,
                       g_array_index (seen, gdouble, i - 1));
  g_assert_cmpfloat (g_array_index (seen, gdouble, seen->len - 1), ==, 1.0);

  guint mask = 5;   /* x and z */
  g_autoptr (AetVolume) rv = reflected (v, mask);
  g_autoptr (AetVolume) all_r = aet_augment_flips (unet, rv, "v", 0, 0, 8, NULL, NULL, &error);
  g_autoptr (AetVolume) one_r = aet_augment (unet, rv, "v", 0, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) all_back = reflected (all_r, mask);
  g_autoptr (AetVolume) one_back = reflected (one_r, mask);
  gdouble e_all = relative_error (all_back, all), e_one = relative_error (one_back, one);
  g_test_message ("reflected input: 8 flips differ by %.2g, one pass by %.2g", e_all, e_one);
  g_assert_cmpfloat (e_all, <, 1e-5);
  g_assert_cmpfloat (e_one, >, 1e-3);
}

/* The measured planes of a cube's transform: tilt 0 is the q_z = 0 plane,
 * 90° the q_x = 0 plane, 45° the diagonal (q_x = q_z), not its mirror. */
static void
test_measured_mask (void)
{
  const gint n = 16, nh = n / 2 + 1;
  const gdouble zero[] = { 0 }, both[] = { 0, 90 }, diag[] = { 45 };
  g_autofree guint8 *m0 = aet_augment_measured_mask (n, n, n, zero, 1, 0.5);
  g_autofree guint8 *m2 = aet_augment_measured_mask (n, n, n, both, 2, 0.5);
  g_autofree guint8 *m45 = aet_augment_measured_mask (n, n, n, diag, 1, 0.5);
  gsize c0 = 0, c2 = 0;
  for (gint kz = 0; kz < n; kz++)
    for (gint ky = 0; ky < n; ky++)
      for (gint kx = 0; kx < nh; kx++)
        {
          gsize i = ((gsize) kz * n + ky) * nh + kx;
          g_assert_cmpint (m0[i], ==, kz == 0);
          g_assert_cmpint (m2[i], ==, kz == 0 || kx == 0);
          c0 += m0[i];
          c2 += m2[i];
        }
  g_assert_cmpuint (c0, ==, (gsize) n * nh);
  g_assert_cmpuint (c2, ==, (gsize) n * nh + (gsize) (n - 1) * n);
  /* (kx, kz) = (5, 5) lies on the 45° plane; (5, −5) on its mirror */
  g_assert_true (m45[((gsize) 5 * n + 3) * nh + 5]);
  g_assert_false (m45[((gsize) (n - 5) * n + 3) * nh + 5]);
}

/* The step between passes: a network output that is the reconstruction
 * twice over, or blurred more, is fitted back onto it (the radial transfer
 * function); with every direction measured the result is the
 * reconstruction whatever the output; with a wedge missing it is not. */
static void
test_keep_measured (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) recon = render (atoms, 40, 40, 40, 0.357, 5.0);
  g_autoptr (AetVolume) twice = aet_volume_dup (recon);
  aet_volume_scale (twice, 2.0f);
  g_autoptr (AetVolume) blurred = render (atoms, 40, 40, 40, 0.357, 9.0);
  g_autoptr (AetAtoms) elsewhere = aet_atoms_dup (atoms);
  for (gsize a = 0; a < elsewhere->n_atoms; a++)
    elsewhere->positions[3 * a] += 1.3;
  g_autoptr (AetVolume) other = render (elsewhere, 40, 40, 40, 0.357, 5.0);

  gdouble wedge[121], all[180];
  for (gint i = 0; i < 121; i++)
    wedge[i] = -60 + i;
  for (gint i = 0; i < 180; i++)
    all[i] = -89.5 + i;
  g_autoptr (AetVolume) a = aet_augment_keep_measured (twice, recon, wedge, 121, 0, 2);
  g_autoptr (AetVolume) b = aet_augment_keep_measured (blurred, recon, wedge, 121, 0, 2);
  g_autoptr (AetVolume) c = aet_augment_keep_measured (other, recon, all, 180, 0, 2);
  g_autoptr (AetVolume) d = aet_augment_keep_measured (other, recon, wedge, 121, 0, 2);
  gdouble ea = relative_error (a, recon), eb = relative_error (b, recon);
  gdouble ec = relative_error (c, recon), ed = relative_error (d, recon);
  g_test_message ("from twice: %.2g, from blurred: %.2g, all measured: %.2g, wedge: %.2g", ea,
                  eb, ec, ed);
  g_assert_cmpfloat (ea, <, 1e-5);
  g_assert_cmpfloat (eb, <, 0.03);
  g_assert_cmpfloat (ec, <, 1e-5);
  g_assert_cmpfloat (ed, >, 0.05);
  g_assert_cmpfloat (a->voxel_size, ==, recon->voxel_size);
  g_assert_cmpmem (a->origin, sizeof a->origin, recon->origin, sizeof recon->origin);
}

static void
keep_message (AetJob *job, const char *stage, gdouble fraction, const char *message,
              gpointer user_data)
{
  char **last = user_data;
  g_free (*last);
  *last = g_strdup (message);
}

static void
count_pass (AetVolume *augmented, gint pass, gint n_passes, gpointer user_data)
{
  GArray *seen = user_data;
  g_assert_nonnull (augmented);
  g_array_append_val (seen, pass);
}

/* Passes: one is aet_augment_flips exactly; three see every pass, fill the
 * progress bar once and give another result; more than one needs the
 * angles; a cancelled job stops with the cancellation. */
static void
test_augment_passes (void)
{
  g_autoptr (AetAtoms) atoms = some_atoms ();
  g_autoptr (AetVolume) v = render (atoms, 40, 40, 40, 0.357, 5.0);
  g_autoptr (AetUnet) unet = aet_unet_new_default (2, 2, 21);
  aet_unet_set_voxel_size (unet, 0.357);
  gdouble angles[21];
  for (gint i = 0; i < 21; i++)
    angles[i] = -65 + 6.5 * i;
  g_autoptr (GError) error = NULL;
  AetAugmentPasses ap;
  aet_augment_passes_init (&ap);
  g_assert_cmpint (ap.passes, ==, AET_AUGMENT_DEFAULT_PASSES);
  ap.tile = ap.overlap = 0;
  ap.passes = 1;
  g_autoptr (AetVolume) plain = aet_augment_flips (unet, v, "v", 0, 0, 1, NULL, NULL, &error);
  g_autoptr (AetVolume) one
    = aet_augment_consistent (unet, v, "v", NULL, angles, 21, &ap, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (plain->data, aet_volume_n_voxels (plain) * sizeof (gfloat), one->data,
                   aet_volume_n_voxels (one) * sizeof (gfloat));

  g_autoptr (GArray) passes = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr (GArray) seen = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_set_progress_func (job, record_progress, seen, NULL);
  ap.passes = 3;
  g_autoptr (AetVolume) three = aet_augment_consistent (unet, v, "v", NULL, angles, 21, &ap, NULL,
                                                        count_pass, passes, job, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (passes->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (g_array_index (passes, gint, i), ==, (gint) i + 1);
  g_assert_cmpuint (seen->len, >=, 3);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, gdouble, i), >=,
                       g_array_index (seen, gdouble, i - 1));
  g_assert_cmpfloat (g_array_index (seen, gdouble, seen->len - 1), ==, 1.0);
  g_assert_cmpfloat (relative_error (three, one), >, 1e-4);
  /* the messages say which pass is running */
  g_autofree char *last = NULL;
  g_autoptr (AetJob) told = aet_job_new ();
  aet_job_set_progress_func (told, keep_message, &last, NULL);
  g_autoptr (AetVolume) again = aet_augment_consistent (unet, v, "v", NULL, angles, 21, &ap, NULL,
                                                        NULL, NULL, told, &error);
  g_assert_no_error (error);
  g_assert_nonnull (last);
  g_assert_true (g_str_has_prefix (last, "pass 3 of 3: "));

  ap.passes = 2;
  g_autoptr (AetVolume) none
    = aet_augment_consistent (unet, v, "v", NULL, NULL, 0, &ap, NULL, NULL, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (AetJob) stopped = aet_job_new ();
  aet_job_cancel (stopped);
  ap.passes = 3;
  g_autoptr (AetVolume) cancelled = aet_augment_consistent (unet, v, "v", NULL, angles, 21, &ap,
                                                            NULL, NULL, NULL, stopped, &error);
  g_assert_null (cancelled);
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
  g_clear_error (&error);

  /* with the projections at hand each pass also takes SIRT steps against
   * them: another result; projections of another size are refused */
  g_autoptr (AetVolume) images = aet_volume_new (40, 40, 21, 0.357);
  g_autoptr (AetProjector) proj = aet_projector_new (40, 40, 40, 21, angles, NULL);
  aet_projector_forward (proj, v->data, images->data, 2);
  g_autoptr (AetTiltSeries) series = aet_tilt_series_new (images, angles);
  ap.sirt_iterations = 3;
  g_autoptr (AetVolume) with_sirt = aet_augment_consistent (unet, v, "v", series, NULL, 0, &ap,
                                                            NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (aet_volume_check_finite (with_sirt, "with SIRT", NULL));
  gdouble e_sirt = relative_error (with_sirt, three);
  g_test_message ("3 passes with 3 SIRT steps each differ from without by %.3g", e_sirt);
  g_assert_cmpfloat (e_sirt, >, 1e-4);
  g_autoptr (AetVolume) small = aet_volume_new (36, 40, 21, 0.357);
  g_autoptr (AetTiltSeries) other = aet_tilt_series_new (small, angles);
  g_autoptr (AetVolume) refused = aet_augment_consistent (unet, v, "v", other, NULL, 0, &ap,
                                                          NULL, NULL, NULL, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, AET_ERROR, AET_ERROR_MISMATCH);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/resample/round-trip", test_round_trip);
  g_test_add_func ("/compute/resample/odd-sizes-threads", test_odd_sizes_threads);
  g_test_add_func ("/compute/augment/resamples", test_augment_resamples);
  g_test_add_func ("/compute/augment/tolerance-and-refusal",
                   test_augment_tolerance_and_refusal);
  g_test_add_func ("/compute/augment/linear-output-clipped", test_augment_linear_output_clipped);
  g_test_add_func ("/compute/augment/flips-commute", test_augment_flips);
  g_test_add_func ("/compute/augment/measured-mask", test_measured_mask);
  g_test_add_func ("/compute/augment/keep-measured", test_keep_measured);
  g_test_add_func ("/compute/augment/passes", test_augment_passes);
  return g_test_run ();
}
