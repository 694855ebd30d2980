/* libFuzzer harness for aet_project_load: the input bytes are written to a
 * temporary .h5 file, which is then checked and loaded as a project.
 * libhdf5 itself is not instrumented; crashes inside it are noted in
 * aet-project-file.c where we could validate around them. */
#include "aet-project-file.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path = NULL;
  if (path == NULL)
    path = g_strdup_printf ("%s/aet-fuzz-project-%d.h5", g_get_tmp_dir (), (int) getpid ());
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;
  aet_project_file_is_project (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetProject) p = aet_project_load (path, &error);
  if ((p == NULL) == (error == NULL))
    __builtin_trap ();
  if (error != NULL && !g_str_has_prefix (error->message, "aet-fuzz-project-"))
    __builtin_trap ();
  g_unlink (path);
  return 0;
}
