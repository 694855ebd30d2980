/* libFuzzer harness for aet_xyz_read: the input bytes are written to a
 * temporary file, which is then read as XYZ.  Build: see meson.build here. */
#include "aet-xyz.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path = NULL;
  if (path == NULL)
    path = g_strdup_printf ("%s/aet-fuzz-xyz-%d.xyz", g_get_tmp_dir (), (int) getpid ());
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) atoms = aet_xyz_read (path, &error);
  /* exactly one of a result and an error, and the message names the file */
  if ((atoms == NULL) == (error == NULL))
    __builtin_trap ();
  if (error != NULL && !g_str_has_prefix (error->message, "aet-fuzz-xyz-"))
    __builtin_trap ();
  g_unlink (path);
  return 0;
}
