/* `aet augment` end to end: a clear error when no network can be found, and
 * a run with a given model writes a volume of the input's size. */
#include "aet-atom-density.h"
#include "aet-mrc.h"
#include "aet-project-file.h"
#include "aet-unet.h"
#include "aet-weights.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "run-aet.h"
#include "scratch-dir.h"

static char *dir;

/* Runs the aet binary with args; returns the exit status, stderr in *err. */
static int
run_aet (const char *const *args, char **envp, char **err)
{
  return run_aet_env (args, envp, NULL, err);
}

static char *
write_volume (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (36, 32, 28, 0.357);
  g_autoptr (AetAtoms) atoms = aet_atoms_new (0);
  for (int i = 0; i < 4; i++)
    aet_atoms_append (atoms, 78, 3.0 + 2.0 * i, 5.0 + 0.5 * i, 4.0 + i);
  aet_render_gaussian_atoms (atoms, v, 6.0, 0.8, NULL, 1);
  char *path = g_build_filename (dir, "recon.mrc", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_mrc_write (path, v, FALSE, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_missing_model (void)
{
  g_autofree char *input = write_volume ();
  g_autofree char *output = g_build_filename (dir, "out.mrc", NULL);
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *missing = g_build_filename (dir, "no-such-model.h5", NULL);
  env = g_environ_setenv (env, "AET_MODEL", missing, TRUE);
  const char *args[] = { "augment", "-i", input, "-o", output, NULL };
  g_autofree char *err = NULL;
  int status = run_aet (args, env, &err);
  g_assert_cmpint (status, ==, 1);
  g_assert_cmpstr (err, ==,
                   "aet: error: augment: no trained network found (give --model or train one "
                   "with aet train)\n");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
}

static void
test_with_model (void)
{
  g_autofree char *input = write_volume ();
  g_autofree char *model = g_build_filename (dir, "model.h5", NULL);
  g_autofree char *output = g_build_filename (dir, "augmented.mrc", NULL);
  g_autoptr (GError) error = NULL;
  AetUnet *net = aet_unet_new_default (2, 2, 3);
  g_assert_true (aet_weights_save (net, NULL, model, &error));
  g_assert_no_error (error);
  aet_unet_free (net);
  const char *args[] = { "augment", "-i", input, "--model", model, "-o", output,
                         "--tile", "24", "--overlap", "8", "--quiet", NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_aet (args, NULL, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_autoptr (AetVolume) v = aet_mrc_read (output, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v->nx, ==, 36);
  g_assert_cmpint (v->ny, ==, 32);
  g_assert_cmpint (v->nz, ==, 28);
  g_assert_true (aet_volume_check_finite (v, "out", NULL));

  /* a usage error: no output */
  const char *bad[] = { "augment", "-i", input, NULL };
  g_autofree char *err2 = NULL;
  g_assert_cmpint (run_aet (bad, NULL, &err2), ==, 2);
  g_assert_true (g_str_has_prefix (err2, "aet: error: augment: "));

  /* --flips 8: another (averaged) result of the same size; --flips 9 is refused */
  g_autofree char *output8 = g_build_filename (dir, "augmented8.mrc", NULL);
  const char *flips[] = { "augment", "-i", input, "--model", model, "-o", output8,
                          "--tile", "24", "--overlap", "8", "--quiet", "--flips", "8", NULL };
  g_autofree char *err3 = NULL;
  g_assert_cmpint (run_aet (flips, NULL, &err3), ==, 0);
  g_autoptr (AetVolume) v8 = aet_mrc_read (output8, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (aet_volume_same_shape (v, v8));
  gdouble diff = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    diff = MAX (diff, fabs (v->data[i] - v8->data[i]));
  g_assert_cmpfloat (diff, >, 0);
  const char *too_many[] = { "augment", "-i", input, "-o", output8, "--flips", "9", NULL };
  g_autofree char *err4 = NULL;
  g_assert_cmpint (run_aet (too_many, NULL, &err4), ==, 2);
  g_assert_cmpstr (err4, ==, "aet: error: augment: --flips 9: give 1 to 8\n");
}

/* A project that was run already holds "augmented" beside "reconstruction":
 * without --dataset, augment reads the reconstruction (its help says so),
 * not its own earlier output, so the result equals that of the same volume
 * given as MRC. */
static void
test_project_reads_reconstruction (void)
{
  g_autofree char *mrc = write_volume ();
  g_autoptr (GError) error = NULL;
  g_autoptr (AetVolume) recon = aet_mrc_read (mrc, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetVolume) earlier = aet_volume_new (recon->nx, recon->ny, recon->nz, 0.357);
  for (gsize i = 0; i < aet_volume_n_voxels (earlier); i++)
    earlier->data[i] = (gfloat) (i % 7) * 0.1f;
  g_autoptr (AetProject) project = aet_project_new ();
  aet_project_set_volume (project, "reconstruction", recon);
  aet_project_set_volume (project, "augmented", earlier);
  g_autofree char *path = g_build_filename (dir, "run.h5", NULL);
  g_assert_true (aet_project_save (project, path, &error));
  g_assert_no_error (error);

  g_autofree char *model = g_build_filename (dir, "model.h5", NULL);
  AetUnet *net = aet_unet_new_default (2, 2, 3);
  g_assert_true (aet_weights_save (net, NULL, model, &error));
  aet_unet_free (net);
  g_autofree char *from_mrc = g_build_filename (dir, "from-mrc.mrc", NULL);
  g_autofree char *from_project = g_build_filename (dir, "from-project.mrc", NULL);
  const char *a[] = { "augment", "-i", mrc,  "--model", model, "-o", from_mrc,
                      "--tile",  "24", "--overlap", "8", "--quiet", NULL };
  const char *b[] = { "augment", "-i", path, "--model", model, "-o", from_project,
                      "--tile",  "24", "--overlap", "8", "--quiet", NULL };
  g_autofree char *err_a = NULL, *err_b = NULL;
  g_assert_cmpint (run_aet (a, NULL, &err_a), ==, 0);
  g_assert_cmpint (run_aet (b, NULL, &err_b), ==, 0);
  g_autoptr (AetVolume) va = aet_mrc_read (from_mrc, NULL, &error);
  g_autoptr (AetVolume) vb = aet_mrc_read (from_project, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (aet_volume_same_shape (va, vb));
  gdouble diff = 0, size = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (va); i++)
    {
      diff = MAX (diff, fabs (va->data[i] - vb->data[i]));
      size = MAX (size, fabs (va->data[i]));
    }
  g_assert_cmpfloat (size, >, 0);
  g_assert_cmpfloat (diff, <=, 1e-6 * size);
}

/* A volume sampled at 0.30 Å (or given so by --pixel) is augmented on the
 * network's 0.357 Å grid and comes back on its own; an absurd voxel size is
 * refused with one line. */
static void
test_resampled (void)
{
  g_autofree char *input = g_build_filename (dir, "fine.mrc", NULL);
  g_autoptr (GError) error = NULL;
  {
    g_autoptr (AetVolume) v = aet_volume_new (40, 36, 32, 0.30);
    g_autoptr (AetAtoms) atoms = aet_atoms_new (0);
    for (int i = 0; i < 4; i++)
      aet_atoms_append (atoms, 78, 3.0 + 1.7 * i, 4.0 + 0.5 * i, 3.5 + i);
    aet_render_gaussian_atoms (atoms, v, 5.0, 0.8, NULL, 1);
    g_assert_true (aet_mrc_write (input, v, FALSE, &error));
  }
  g_autofree char *model = g_build_filename (dir, "model.h5", NULL);
  AetUnet *net = aet_unet_new_default (2, 2, 3);
  g_assert_true (aet_weights_save (net, NULL, model, &error));
  aet_unet_free (net);
  g_autofree char *output = g_build_filename (dir, "augmented.mrc", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *bin = g_getenv ("AET_BIN");
  const char *argv[] = { bin, "augment", "-i", input, "--model", model, "-o", output, NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_assert_nonnull (strstr (out, "resampled from 0.3 Å voxels to the network's 0.357 Å "
                                 "(34 × 30 × 27) and back"));
  g_autoptr (AetVolume) v = aet_mrc_read (output, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v->nx, ==, 40);
  g_assert_cmpint (v->ny, ==, 36);
  g_assert_cmpint (v->nz, ==, 32);
  g_assert_cmpfloat_with_epsilon (v->voxel_size, 0.30, 1e-6);

  /* the file claims 1 Å voxels: refused, and --pixel puts it right */
  const char *wrong[] = { "augment", "-i", input, "--model", model, "-o", output,
                          "--pixel", "1", NULL };
  g_autofree char *err2 = NULL;
  g_assert_cmpint (run_aet (wrong, NULL, &err2), ==, 1);
  g_assert_cmpstr (err2, ==,
                   "aet: error: fine.mrc: its 1 Å voxels are 2.80× the network's 0.357 Å, "
                   "outside the 0.5–2× it resamples (is the voxel size right?)\n");
  const char *right[] = { "augment", "-i", input, "--model", model, "-o", output,
                          "--pixel", "0.357", "--quiet", NULL };
  g_autofree char *err3 = NULL;
  g_assert_cmpint (run_aet (right, NULL, &err3), ==, 0);
  g_autoptr (AetVolume) same = aet_mrc_read (output, NULL, &error);
  g_assert_cmpfloat_with_epsilon (same->voxel_size, 0.357, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = aet_test_scratch_dir_new ("aet-test-augment");
  g_test_add_func ("/cli/augment/missing-model", test_missing_model);
  g_test_add_func ("/cli/augment/with-model", test_with_model);
  g_test_add_func ("/cli/augment/resampled", test_resampled);
  g_test_add_func ("/cli/augment/project-reads-reconstruction",
                   test_project_reads_reconstruction);
  int status = g_test_run ();
  aet_test_remove_tree (dir);
  g_free (dir);
  return status;
}
