/* scratch-dir.h — a scratch folder for the tests that write files: a fresh,
 * empty folder under the system's temporary folder, and its removal with
 * everything in it when the test is done. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

/* Makes a new, empty folder "$TMPDIR/<prefix>-XXXXXX" (the X's made unique)
 * and returns its path (caller owns).  Fails the test when it cannot. */
static inline char *
aet_test_scratch_dir_new (const char *prefix)
{
  g_autofree char *templ = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (templ, &error);
  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

/* Removes dir and everything below it, like `rm -rf` (symbolic links are
 * removed, not followed).  Errors are ignored: cleaning up never fails a
 * test.  NULL does nothing. */
static inline void
aet_test_remove_tree (const char *dir)
{
  if (dir == NULL)
    return;
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, entry, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
        aet_test_remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}
