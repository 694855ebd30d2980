/* run-aet.h — runs the `aet` binary under test ($AET_BIN) for the CLI
 * tests: arguments after the program name, an optional environment, the
 * exit status and what it printed. */
#pragma once

#include <glib.h>
#include <sys/wait.h>

/* Runs $AET_BIN with args (NULL-terminated) and envp (NULL: inherited) in
 * the current directory; *out and *err (nullable) get stdout and stderr
 * (caller frees).  Returns the exit status, −1 when killed by a signal. */
static inline int
run_aet_env (const char *const *args, char **envp, char **out, char **err)
{
  const char *bin = g_getenv ("AET_BIN");
  g_assert_nonnull (bin);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) bin);
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out_local = NULL;
  int status = 0;
  gboolean ok = g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                              out != NULL ? out : &out_local, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}
