/* libFuzzer harness for the MRC reader: the input bytes are an MRC file. */
#define G_LOG_DOMAIN "fuzz-mrc"

#include "aet-mrc.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  AetMrcHeader header;
  GError *error = NULL;
  AetVolume *volume = aet_mrc_read_from_bytes (data, size, "fuzz.mrc", &header, &error);
  g_assert ((volume == NULL) != (error == NULL));
  if (volume != NULL)
    {
      g_assert (volume->nx == header.nx && volume->ny == header.ny && volume->nz == header.nz);
      g_assert (volume->voxel_size > 0.0);
      aet_volume_unref (volume);
    }
  else
    {
      /* Messages are one line and name the file. */
      g_assert (g_str_has_prefix (error->message, "fuzz.mrc: "));
      g_assert (strchr (error->message, '\n') == NULL);
      g_error_free (error);
    }
  return 0;
}
