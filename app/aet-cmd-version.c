/* aet-cmd-version.c — `aet version`: this build and the libraries it uses,
 * for bug reports. */
#define G_LOG_DOMAIN "aet"

#include <fftw3.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

#include "aet-cli.h"
#include "aet-commands.h"
#include "aet-config.h"

int
aet_cmd_version (int argc, char **argv)
{
  AetCliCommon common = { 0 };
  g_autoptr (GOptionContext) context
    = aet_cli_context_new ("version", NULL, "Prints the versions of AET Studio and its libraries.",
                           &common);
  if (!aet_cli_parse (context, "version", &common, &argc, &argv))
    return AET_EXIT_USAGE;
  unsigned maj, min, rel;
  H5get_libversion (&maj, &min, &rel);
  printf ("aet %s\nGLib %u.%u.%u\n%s\nHDF5 %u.%u.%u\n", AET_VERSION, glib_major_version,
          glib_minor_version, glib_micro_version, fftwf_version, maj, min, rel);
  const char *tiff = TIFFGetVersion ();
  printf ("%.*s\n", (int) strcspn (tiff, "\n"), tiff);
  return AET_EXIT_OK;
}
