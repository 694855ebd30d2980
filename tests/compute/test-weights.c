/* The weights file: a network (and optimiser state) round-trips exactly,
 * and a file with a missing or inconsistent layer is refused with a clear
 * one-line message naming the file and the layer. */
#include "aet-adam.h"
#include "aet-error.h"
#include "aet-weights.h"

#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "scratch-dir.h"

static AetTensor *
random_tensor (gint n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  AetTensor *t = aet_tensor_new (1, n, n, n);
  for (gsize i = 0; i < t->n; i++)
    t->data[i] = (gfloat) g_rand_double (rand);
  return t;
}

/* A small trained network and its optimiser, saved to dir/model.h5. */
static char *
save_trained (const char *dir, AetUnet **net_out, AetAdam **adam_out)
{
  AetUnet *net = aet_unet_new_default (3, 2, 5);
  AetAdam *adam = aet_adam_new (net, 1e-3);
  g_autoptr (AetTensor) x = random_tensor (8, 1), y = random_tensor (8, 2);
  g_autoptr (GError) error = NULL;
  for (int i = 0; i < 3; i++)
    g_assert_true (aet_unet_train_step (net, adam, x, y, NULL, &error));
  char *path = g_build_filename (dir, "model.h5", NULL);
  g_assert_true (aet_weights_save (net, adam, path, &error));
  g_assert_no_error (error);
  *net_out = net;
  *adam_out = adam;
  return path;
}

static void
test_round_trip (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights");
  AetUnet *net0;
  AetAdam *adam0;
  g_autofree char *path = save_trained (dir, &net0, &adam0);
  g_autoptr (AetUnet) net = net0;
  g_autoptr (AetAdam) adam = adam0;

  g_autoptr (GError) error = NULL;
  AetAdam *adam_read = NULL;
  g_autoptr (AetUnet) back = aet_weights_load (path, &adam_read, &error);
  g_assert_no_error (error);
  g_autoptr (AetAdam) adam_back = adam_read;
  g_assert_nonnull (adam_back);
  g_assert_cmpuint (aet_unet_get_n_layers (back), ==, aet_unet_get_n_layers (net));
  for (guint i = 0; i < aet_unet_get_n_layers (net); i++)
    g_assert_cmpmem (aet_unet_get_layer (back, i), sizeof (AetLayerSpec),
                     aet_unet_get_layer (net, i), sizeof (AetLayerSpec));
  g_assert_cmpuint (aet_unet_get_n_params (back), ==, aet_unet_get_n_params (net));
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      AetParam *a = aet_unet_get_param (net, k), *b = aet_unet_get_param (back, k);
      g_assert_cmpmem (a->data, a->n * sizeof (gfloat), b->data, b->n * sizeof (gfloat));
      g_assert_cmpmem (adam->m[k], a->n * sizeof (gfloat), adam_back->m[k],
                       b->n * sizeof (gfloat));
      g_assert_cmpmem (adam->v[k], a->n * sizeof (gfloat), adam_back->v[k],
                       b->n * sizeof (gfloat));
    }
  g_assert_cmpint (adam_back->step, ==, 3);
  g_assert_cmpfloat (adam_back->lr, ==, 1e-3);
  g_assert_cmpfloat (adam_back->grad_norm_avg, ==, 0);

  /* the gradient clipping's running mean is checkpointed once it exists */
  adam->grad_norm_avg = 0.0625;
  g_autofree char *clipped = g_build_filename (dir, "clipped.h5", NULL);
  g_assert_true (aet_weights_save (net, adam, clipped, &error));
  AetAdam *adam_clip = NULL;
  g_autoptr (AetUnet) net_clip = aet_weights_load (clipped, &adam_clip, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (adam_clip->grad_norm_avg, ==, 0.0625);
  aet_adam_free (adam_clip);

  /* a plain weights file (no optimiser) also loads, with no Adam state */
  g_autofree char *plain = g_build_filename (dir, "plain.h5", NULL);
  g_assert_true (aet_weights_save (net, NULL, plain, &error));
  AetAdam *none = (AetAdam *) 0x1;
  g_autoptr (AetUnet) again = aet_weights_load (plain, &none, &error);
  g_assert_no_error (error);
  g_assert_null (none);

  /* same outputs */
  g_autoptr (AetTensor) x = random_tensor (12, 9);
  const AetTensor *ya = aet_unet_forward (net, x, &error);
  const AetTensor *yb = aet_unet_forward (again, x, &error);
  g_assert_cmpmem (ya->data, ya->n * sizeof (gfloat), yb->data, yb->n * sizeof (gfloat));
  aet_test_remove_tree (dir);
}

/* Opens path for writing, runs edit on it, closes. */
static void
edit_file (const char *path, void (*edit) (hid_t file))
{
  hid_t f = H5Fopen (path, H5F_ACC_RDWR, H5P_DEFAULT);
  g_assert_cmpint (f, >=, 0);
  edit (f);
  H5Fclose (f);
}

static void
set_int_attr (hid_t file, const char *group, const char *name, gint value)
{
  hid_t g = H5Gopen2 (file, group, H5P_DEFAULT);
  g_assert_cmpint (H5Adelete (g, name), >=, 0);
  hid_t space = H5Screate (H5S_SCALAR);
  hid_t a = H5Acreate2 (g, name, H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite (a, H5T_NATIVE_INT, &value);
  H5Aclose (a);
  H5Sclose (space);
  H5Gclose (g);
}

static void
drop_layer_7 (hid_t f)
{
  g_assert_cmpint (H5Ldelete (f, "/layers/007", H5P_DEFAULT), >=, 0);
}

static void
wrong_channels (hid_t f)
{
  /* layer 9 (conv3d) reads the concatenation of layer 8 (12 channels) */
  set_int_attr (f, "/layers/009", "in_channels", 24);
}

static void
short_weights (hid_t f)
{
  g_assert_cmpint (H5Ldelete (f, "/layers/003/weight", H5P_DEFAULT), >=, 0);
  hid_t g = H5Gopen2 (f, "/layers/003", H5P_DEFAULT);
  hsize_t n = 10;
  gfloat v[10] = { 0 };
  hid_t space = H5Screate_simple (1, &n, NULL);
  hid_t d = H5Dcreate2 (g, "weight", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  H5Dwrite (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose (d);
  H5Sclose (space);
  H5Gclose (g);
}

static void
nan_bias (hid_t f)
{
  hid_t d = H5Dopen2 (f, "/layers/000/bias", H5P_DEFAULT);
  gfloat v[3] = { 0.0f, NAN, 0.0f };
  H5Dwrite (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose (d);
}

static void
reads_future_layer (hid_t f)
{
  hid_t g = H5Gopen2 (f, "/layers/004", H5P_DEFAULT);
  H5Adelete (g, "inputs");
  gint v = 9;
  hsize_t n = 1;
  hid_t space = H5Screate_simple (1, &n, NULL);
  hid_t a = H5Acreate2 (g, "inputs", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite (a, H5T_NATIVE_INT, &v);
  H5Aclose (a);
  H5Sclose (space);
  H5Gclose (g);
}

static void
unknown_kind (hid_t f)
{
  hid_t g = H5Gopen2 (f, "/layers/002", H5P_DEFAULT);
  H5Adelete (g, "kind");
  hid_t type = H5Tcopy (H5T_C_S1);
  H5Tset_size (type, 8);
  hid_t space = H5Screate (H5S_SCALAR);
  hid_t a = H5Acreate2 (g, "kind", type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite (a, type, "avgpool");
  H5Aclose (a);
  H5Sclose (space);
  H5Tclose (type);
  H5Gclose (g);
}

static void
absurd_layer (hid_t f)
{
  set_int_attr (f, "/layers/000", "in_channels", 4096);
  set_int_attr (f, "/layers/000", "out_channels", 4096);
  set_int_attr (f, "/layers/000", "kernel", 7);
}

static void
expect_refusal (void (*edit) (hid_t file), gint code, const char *expected)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights");
  AetUnet *net;
  AetAdam *adam;
  g_autofree char *path = save_trained (dir, &net, &adam);
  aet_unet_free (net);
  aet_adam_free (adam);
  edit_file (path, edit);
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_weights_load (path, NULL, &error));
  g_assert_error (error, AET_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_null (strchr (error->message, '\n'));
  aet_test_remove_tree (dir);
}

static void
test_missing_layer (void)
{
  expect_refusal (drop_layer_7, AET_ERROR_FORMAT,
                  "model.h5: layer 7 is missing (the file says it has 16 layers)");
}

static void
test_inconsistent_channels (void)
{
  expect_refusal (wrong_channels, AET_ERROR_MISMATCH,
                  "model.h5: layer 9 (conv3d) expects 24 input channels but layer 8 gives 12");
}

static void
test_wrong_weight_count (void)
{
  expect_refusal (short_weights, AET_ERROR_MISMATCH,
                  "model.h5: layer 3 (conv3d) weight has 10 values but 486 are expected");
}

static void
test_bad_values (void)
{
  expect_refusal (nan_bias, AET_ERROR_DATA,
                  "model.h5: layer 0 (conv3d) bias holds a non-finite value at 1");
  expect_refusal (reads_future_layer, AET_ERROR_FORMAT,
                  "model.h5: layer 4 (conv3d) reads layer 9, which does not come before it");
  expect_refusal (unknown_kind, AET_ERROR_FORMAT,
                  "model.h5: layer 2 has unknown kind 'avgpool'");
  /* refused before anything is allocated */
  expect_refusal (absurd_layer, AET_ERROR_FORMAT,
                  "model.h5: layer 0 (conv3d) would have 5754585088 weights, too many");
}

static void
drop_voxel_size (hid_t f)
{
  g_assert_cmpint (H5Adelete (f, "voxel_size"), >=, 0);
}

static void
negative_voxel_size (hid_t f)
{
  g_assert_cmpint (H5Adelete (f, "voxel_size"), >=, 0);
  gdouble v = -0.3;
  hid_t space = H5Screate (H5S_SCALAR);
  hid_t a = H5Acreate2 (f, "voxel_size", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite (a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose (a);
  H5Sclose (space);
}

/* The training voxel size round-trips; a file from before the attribute is
 * read as the default 0.357 Å; a nonsense value is refused. */
static void
test_voxel_size (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights");
  g_autoptr (AetUnet) net = aet_unet_new_default (2, 2, 4);
  g_assert_cmpfloat (aet_unet_get_voxel_size (net), ==, AET_UNET_DEFAULT_VOXEL_SIZE);
  aet_unet_set_voxel_size (net, 0.28);
  g_autofree char *path = g_build_filename (dir, "model.h5", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_weights_save (net, NULL, path, &error));
  g_assert_no_error (error);
  g_autoptr (AetUnet) back = aet_weights_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (aet_unet_get_voxel_size (back), ==, 0.28);

  edit_file (path, drop_voxel_size);
  g_autoptr (AetUnet) old = aet_weights_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (aet_unet_get_voxel_size (old), ==, 0.357);

  g_assert_true (aet_weights_save (net, NULL, path, &error));
  edit_file (path, negative_voxel_size);
  g_assert_null (aet_weights_load (path, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==,
                   "model.h5: voxel_size -0.3 Å is not a training sampling (expected 0.05 to 5)");
  aet_test_remove_tree (dir);
}

static void
test_not_a_network (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights");
  g_autofree char *text = g_build_filename (dir, "notes.h5", NULL);
  g_assert_true (g_file_set_contents (text, "hello", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_weights_load (text, NULL, &error));
  g_assert_cmpstr (error->message, ==, "notes.h5: not an HDF5 file");
  g_clear_error (&error);

  g_autofree char *empty = g_build_filename (dir, "empty.h5", NULL);
  hid_t f = H5Fcreate (empty, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose (f);
  g_assert_null (aet_weights_load (empty, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "empty.h5: not an AET Studio network"));
  g_clear_error (&error);

  g_autofree char *missing = g_build_filename (dir, "absent.h5", NULL);
  g_assert_null (aet_weights_load (missing, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_clear_error (&error);

  /* saving into a folder that does not exist fails and leaves nothing */
  g_autoptr (AetUnet) net = aet_unet_new_default (2, 1, 1);
  g_autofree char *nowhere = g_build_filename (dir, "no", "such", "model.h5", NULL);
  g_assert_false (aet_weights_save (net, NULL, nowhere, &error));
  g_assert_nonnull (error);
  aet_test_remove_tree (dir);
}

/* Weights stored as binary16: half the bytes, every value read back as
 * exactly its rounding to half, the network's output close to the float's. */
static void
test_half (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights-half");
  g_autoptr (AetUnet) net = aet_unet_new_default (8, 2, 9);
  aet_unet_set_voxel_size (net, 0.357);
  g_autofree char *full = g_build_filename (dir, "full.h5", NULL);
  g_autofree char *half = g_build_filename (dir, "half.h5", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_weights_save (net, NULL, full, &error));
  g_assert_true (aet_weights_save_half (net, half, &error));
  g_assert_no_error (error);
  GStatBuf a, b;
  g_assert_cmpint (g_stat (full, &a), ==, 0);
  g_assert_cmpint (g_stat (half, &b), ==, 0);
  g_test_message ("float32 %lld bytes, binary16 %lld bytes", (long long) a.st_size,
                  (long long) b.st_size);
  g_assert_cmpfloat ((gdouble) b.st_size, <, 0.6 * (gdouble) a.st_size);

  AetAdam *adam = NULL;
  g_autoptr (AetUnet) back = aet_weights_load (half, &adam, &error);
  g_assert_no_error (error);
  g_assert_null (adam);
  g_assert_cmpfloat (aet_unet_get_voxel_size (back), ==, 0.357);
  gsize changed = 0, total = 0;
  for (guint i = 0; i < aet_unet_get_n_params (net); i++)
    {
      AetParam *p = aet_unet_get_param (net, i), *q = aet_unet_get_param (back, i);
      g_assert_cmpuint (p->n, ==, q->n);
      for (gsize k = 0; k < p->n; k++)
        {
          g_assert_cmpfloat (q->data[k], ==, (gfloat) (_Float16) p->data[k]);
          changed += q->data[k] != p->data[k];
          total++;
        }
    }
  g_assert_cmpuint (changed, >, total / 2);
  g_autoptr (AetTensor) x = random_tensor (16, 3);
  g_autoptr (AetTensor) y0 = aet_tensor_new (1, 16, 16, 16);
  const AetTensor *out = aet_unet_forward (net, x, &error);
  g_assert_no_error (error);
  memcpy (y0->data, out->data, y0->n * sizeof (gfloat));
  const AetTensor *out_half = aet_unet_forward (back, x, &error);
  g_assert_no_error (error);
  gdouble peak = 0, diff = 0;
  for (gsize k = 0; k < y0->n; k++)
    {
      peak = MAX (peak, fabs (y0->data[k]));
      diff = MAX (diff, fabs (y0->data[k] - out_half->data[k]));
    }
  g_test_message ("output: largest difference %.3g of a peak %.3g", diff, peak);
  g_assert_cmpfloat (diff, <, 1e-2 * peak);

  /* a weight beyond ±65504 has no half: refused, nothing written */
  aet_unet_get_param (net, 0)->data[3] = 1e5f;
  g_autofree char *big = g_build_filename (dir, "big.h5", NULL);
  g_assert_false (aet_weights_save_half (net, big, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "does not fit a 16-bit float"));
  g_assert_false (g_file_test (big, G_FILE_TEST_EXISTS));
  aet_test_remove_tree (dir);
}

static void
set_ema_decay_2 (hid_t file)
{
  hid_t g = H5Gopen2 (file, "adam", H5P_DEFAULT);
  gdouble two = 2.0;
  hid_t a = H5Aopen (g, "ema_decay", H5P_DEFAULT);
  g_assert_cmpint (H5Awrite (a, H5T_NATIVE_DOUBLE, &two), >=, 0);
  H5Aclose (a);
  H5Gclose (g);
}

/* A checkpoint that averages its weights keeps the raw weights (to resume
 * from) and the average: loaded with its optimiser it gives both back
 * bit for bit; loaded for use it gives the average; a decay outside (0, 1)
 * is refused. */
static void
test_ema (void)
{
  g_autofree char *dir = aet_test_scratch_dir_new ("aet-weights-ema");
  AetUnet *net0;
  AetAdam *adam0;
  g_autofree char *plain = save_trained (dir, &net0, &adam0);
  g_autoptr (AetUnet) net = net0;
  g_autoptr (AetAdam) adam = adam0;
  aet_adam_set_ema (adam, net, 0.9);
  /* make the average differ from the weights */
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    for (gsize i = 0; i < adam->sizes[k]; i++)
      adam->ema[k][i] = 0.5f * adam->ema[k][i] + (gfloat) (i % 7) * 0.125f;
  g_autofree char *path = g_build_filename (dir, "ema.h5", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_weights_save (net, adam, path, &error));

  AetAdam *adam_read = NULL;
  g_autoptr (AetUnet) raw = aet_weights_load (path, &adam_read, &error);
  g_assert_no_error (error);
  g_autoptr (AetAdam) adam_back = adam_read;
  g_assert_cmpfloat (adam_back->ema_decay, ==, 0.9);
  g_assert_nonnull (adam_back->ema);
  g_autoptr (AetUnet) used = aet_weights_load (path, NULL, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    {
      gsize bytes = adam->sizes[k] * sizeof (gfloat);
      g_assert_cmpmem (aet_unet_get_param (raw, k)->data, bytes, aet_unet_get_param (net, k)->data,
                       bytes);
      g_assert_cmpmem (adam_back->ema[k], bytes, adam->ema[k], bytes);
      g_assert_cmpmem (aet_unet_get_param (used, k)->data, bytes, adam->ema[k], bytes);
    }
  /* swapping twice restores both exactly */
  aet_adam_swap_ema (adam_back, raw);
  g_assert_cmpmem (aet_unet_get_param (raw, 0)->data, adam->sizes[0] * sizeof (gfloat),
                   adam->ema[0], adam->sizes[0] * sizeof (gfloat));
  aet_adam_swap_ema (adam_back, raw);
  g_assert_cmpmem (aet_unet_get_param (raw, 0)->data, adam->sizes[0] * sizeof (gfloat),
                   aet_unet_get_param (net, 0)->data, adam->sizes[0] * sizeof (gfloat));
  /* the file without averaging has none, and gives its weights for use */
  AetAdam *adam_plain = NULL;
  g_autoptr (AetUnet) net_plain = aet_weights_load (plain, &adam_plain, &error);
  g_assert_null (adam_plain->ema);
  aet_adam_free (adam_plain);
  g_autoptr (AetUnet) plain_used = aet_weights_load (plain, NULL, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < aet_unet_get_n_params (net); k++)
    g_assert_cmpmem (aet_unet_get_param (plain_used, k)->data, adam->sizes[k] * sizeof (gfloat),
                     aet_unet_get_param (net, k)->data, adam->sizes[k] * sizeof (gfloat));

  edit_file (path, set_ema_decay_2);
  for (int for_use = 0; for_use < 2; for_use++)
    {
      g_clear_error (&error);
      g_assert_null (aet_weights_load (path, for_use ? NULL : &adam_read, &error));
      g_assert_error (error, AET_ERROR, AET_ERROR_FORMAT);
      g_assert_cmpstr (error->message, ==,
                       "ema.h5: the optimiser's ema_decay is not a number between 0 and 1");
    }
  aet_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/weights/round-trip", test_round_trip);
  g_test_add_func ("/compute/weights/missing-layer", test_missing_layer);
  g_test_add_func ("/compute/weights/inconsistent-channels", test_inconsistent_channels);
  g_test_add_func ("/compute/weights/wrong-weight-count", test_wrong_weight_count);
  g_test_add_func ("/compute/weights/bad-values", test_bad_values);
  g_test_add_func ("/compute/weights/voxel-size", test_voxel_size);
  g_test_add_func ("/compute/weights/not-a-network", test_not_a_network);
  g_test_add_func ("/compute/weights/half", test_half);
  g_test_add_func ("/compute/weights/ema", test_ema);
  return g_test_run ();
}
