/* libFuzzer harness for the TIFF stack reader.  libtiff reads from a path,
 * so each input is written to one temporary file per process first. */
#define G_LOG_DOMAIN "fuzz-tiff"

#include "aet-tiff.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *input_path;

static void
remove_input (void)
{
  g_unlink (input_path);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (input_path == NULL)
    {
      GError *error = NULL;
      int fd = g_file_open_tmp ("fuzz-XXXXXX.tif", &input_path, &error);
      g_assert_no_error (error);
      close (fd);
      atexit (remove_input);
    }
  FILE *f = fopen (input_path, "wb");
  g_assert (f != NULL);
  g_assert (size == 0 || fwrite (data, 1, size, f) == size);
  g_assert (fclose (f) == 0);

  GError *error = NULL;
  AetVolume *volume = aet_tiff_read_stack (input_path, 0.0, &error);
  g_assert ((volume == NULL) != (error == NULL));
  if (volume != NULL)
    {
      g_assert (volume->voxel_size == 1.0);
      aet_volume_unref (volume);
    }
  else
    {
      g_autofree char *name = g_path_get_basename (input_path);
      g_assert (g_str_has_prefix (error->message, name));
      g_assert (strchr (error->message, '\n') == NULL);
      g_error_free (error);
    }
  return 0;
}
