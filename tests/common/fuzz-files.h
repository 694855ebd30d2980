/* fuzz-files.h — runs a reader over the files kept in tests/fuzz: the seed
 * corpora (inputs the reader must accept) and the regressions (inputs a
 * fuzzer once crashed it on, which it must now refuse).  Every outcome is
 * checked the same way for every reader: it either reads the file or fails
 * with a one-line AET_ERROR message that begins with the file's basename
 * and does not spell out the folder it lies in. */
#pragma once

#include <glib.h>
#include <string.h>

#include "aet-error.h"

/* Reads path; returns TRUE, or FALSE with error set. */
typedef gboolean (*AetTestReadFunc) (const char *path, GError **error);

typedef enum
{
  AET_TEST_FUZZ_MAY_FAIL,  /* either outcome, checked for consistency */
  AET_TEST_FUZZ_MUST_READ, /* a seed that a correct reader accepts */
  AET_TEST_FUZZ_MUST_FAIL, /* a regression: broken on purpose */
} AetTestFuzzExpect;

/* Runs read on every file in tests/fuzz/<folder> whose name ends in suffix
 * (NULL: every file) and returns how many it ran on.  The folder must
 * exist and hold at least one such file, so a renamed folder cannot make
 * the test pass by checking nothing. */
static inline guint
aet_test_check_fuzz_folder (const char *folder, const char *suffix, AetTestReadFunc read,
                            AetTestFuzzExpect expect)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "fuzz", folder, NULL);
  g_autoptr (GError) dir_error = NULL;
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &dir_error);
  g_assert_no_error (dir_error);
  const char *entry;
  guint checked = 0;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      if (suffix != NULL && !g_str_has_suffix (entry, suffix))
        continue;
      g_autofree char *path = g_build_filename (dir_path, entry, NULL);
      g_autoptr (GError) error = NULL;
      gboolean ok = read (path, &error);
      g_assert_true (ok == (error == NULL));
      if (expect == AET_TEST_FUZZ_MUST_READ)
        g_assert_no_error (error);
      if (expect == AET_TEST_FUZZ_MUST_FAIL)
        g_assert_false (ok);
      if (error != NULL)
        {
          g_autofree char *prefix = g_strconcat (entry, ": ", NULL);
          g_assert_true (error->domain == AET_ERROR);
          if (!g_str_has_prefix (error->message, prefix) || strchr (error->message, '\n') != NULL
              || strstr (error->message, dir_path) != NULL)
            g_error ("%s: the message does not name the file in one line: %s", entry,
                     error->message);
        }
      checked++;
    }
  g_assert_cmpuint (checked, >, 0);
  return checked;
}
