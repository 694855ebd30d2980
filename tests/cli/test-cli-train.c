/* `aet train` end to end: usage errors, a tiny run that writes a checkpoint
 * and resumes from it, and Ctrl+C (SIGINT) writing a checkpoint and exiting 1
 * with the documented message. */
#include "scratch-dir.h"
#include "aet-weights.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static char *dir;

static const char *const tiny[] = { "--size", "48", "--patch", "24", "--base", "4",
                                    "--genfire-iterations", "10", "--pairs", "4", NULL };

static GPtrArray *
make_argv (const char *const *args)
{
  const char *bin = g_getenv ("AET_BIN");
  g_assert_nonnull (bin);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup ("train"));
  /* the small sizes first: a later option of the same name wins */
  for (const char *const *a = tiny; *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, NULL);
  return argv;
}

static int
run_train (const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = make_argv (args);
  g_autoptr (GError) error = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static gint64
checkpoint_step (const char *path)
{
  g_autoptr (GError) error = NULL;
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) net = aet_weights_load (path, &adam, &error);
  g_assert_no_error (error);
  g_assert_nonnull (adam);
  gint64 step = adam->step;
  aet_adam_free (adam);
  return step;
}

static void
test_usage (void)
{
  const char *no_output[] = { "--steps", "3", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_train (no_output, &out, &err), ==, 2);
  g_assert_cmpstr (err, ==, "aet: error: train: give -o weights.h5\n");
  const char *bad_patch[] = { "-o", "x.h5", "--patch", "30", NULL };
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (run_train (bad_patch, &out2, &err2), ==, 2);
  g_assert_true (g_str_has_prefix (err2, "aet: error: train: patch 30"));
  const char *no_pool[] = { "--make-pool", NULL };
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_assert_cmpint (run_train (no_pool, &out3, &err3), ==, 2);
  g_assert_cmpstr (err3, ==, "aet: error: train: --make-pool: give the pool folder with --pool\n");
  const char *bad_share[] = { "-o", "x.h5", "--substrate-fraction", "-0.1", NULL };
  g_autofree char *out4 = NULL, *err4 = NULL;
  g_assert_cmpint (run_train (bad_share, &out4, &err4), ==, 2);
  g_assert_true (g_str_has_prefix (err4, "aet: error: train: substrate fraction -0.1"));
}

static void
test_run_and_resume (void)
{
  const char *first[] = { "-o", "ck.h5", "--steps", "6", "--pool", "pool", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_train (first, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "trained 6 steps (now 6)"));
  g_autofree char *ck = g_build_filename (dir, "ck.h5", NULL);
  g_assert_cmpint (checkpoint_step (ck), ==, 6);

  const char *more[] = { "-o", "ck.h5", "--resume", "ck.h5", "--steps", "10", "--pool", "pool",
                         NULL };
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (run_train (more, &out2, &err2), ==, 0);
  g_assert_nonnull (strstr (out2, "trained 4 steps (now 10)"));
  g_assert_nonnull (strstr (out2, "0 pairs made"));
  g_assert_cmpint (checkpoint_step (ck), ==, 10);

  /* --make-pool completes the pool (4 training + 4 validation pairs) and stops */
  const char *fill[] = { "--make-pool", "--pool", "pool", NULL };
  g_autofree char *out_f = NULL, *err_f = NULL, *out_g = NULL, *err_g = NULL;
  g_assert_cmpint (run_train (fill, &out_f, &err_f), ==, 0);
  g_assert_nonnull (strstr (out_f, "pool: "));
  g_assert_cmpint (run_train (fill, &out_g, &err_g), ==, 0);
  g_assert_nonnull (strstr (out_g, "pool: 0 pairs made (0 s), 8 there already"));

  /* the file to ship: the same weights, no optimiser state */
  const char *export[] = { "--resume", "ck.h5", "--export", "ship.h5", NULL };
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_assert_cmpint (run_train (export, &out3, &err3), ==, 0);
  g_autofree char *ship = g_build_filename (dir, "ship.h5", NULL);
  g_autoptr (GError) error = NULL;
  AetAdam *adam = NULL;
  g_autoptr (AetUnet) shipped = aet_weights_load (ship, &adam, &error);
  g_assert_no_error (error);
  g_assert_null (adam);
  g_autoptr (AetUnet) trained = aet_weights_load (ck, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (aet_unet_count_parameters (shipped), ==,
                    aet_unet_count_parameters (trained));
  gsize size_ship = 0, size_ck = 0;
  g_autofree char *d1 = NULL, *d2 = NULL;
  g_assert_true (g_file_get_contents (ship, &d1, &size_ship, NULL));
  g_assert_true (g_file_get_contents (ck, &d2, &size_ck, NULL));
  g_assert_cmpuint (size_ship, <, size_ck);
  const char *no_resume[] = { "--export", "ship.h5", NULL };
  g_autofree char *out4 = NULL, *err4 = NULL;
  g_assert_cmpint (run_train (no_resume, &out4, &err4), ==, 2);
  g_assert_nonnull (strstr (err4, "--resume"));
}

static void
test_sigint (void)
{
  const char *args[] = { "-o", "int.h5", "--steps", "1000000", "--pool", "pool",
                         "--log-every", "1", NULL };
  g_autoptr (GPtrArray) argv = make_argv (args);
  g_autoptr (GError) error = NULL;
  GPid pid;
  gint out_fd, err_fd;
  g_assert_true (g_spawn_async_with_pipes (dir, (char **) argv->pdata, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL,
                                           &out_fd, &err_fd, &error));
  g_assert_no_error (error);
  /* wait until a few steps have run, then Ctrl+C */
  FILE *out = fdopen (out_fd, "r");
  char line[1024];
  int steps_seen = 0;
  while (fgets (line, sizeof line, out) != NULL)
    if (strstr (line, "  loss ") != NULL && ++steps_seen == 3)
      break;
  g_assert_cmpint (steps_seen, ==, 3);
  kill (pid, SIGINT);
  while (fgets (line, sizeof line, out) != NULL)
    ;
  fclose (out);
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  FILE *err = fdopen (err_fd, "r");
  char message[1024] = "";
  g_assert_nonnull (fgets (message, sizeof message, err));
  fclose (err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_cmpstr (message, ==, "aet: error: train: interrupted, checkpoint saved to int.h5\n");
  g_autofree char *ck = g_build_filename (dir, "int.h5", NULL);
  g_assert_cmpint (checkpoint_step (ck), >=, 3);
}


int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = aet_test_scratch_dir_new ("aet-test-cli-train");
  g_test_add_func ("/cli/train/usage", test_usage);
  g_test_add_func ("/cli/train/run-and-resume", test_run_and_resume);
  g_test_add_func ("/cli/train/sigint", test_sigint);
  int status = g_test_run ();
  aet_test_remove_tree (dir);
  g_free (dir);
  return status;
}
