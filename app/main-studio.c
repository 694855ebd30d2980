/* main-studio.c — `aet-studio`, the window. */
#define G_LOG_DOMAIN "aet-studio"

#include <locale.h>

#include "aet-application.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_autoptr (AetApplication) app = aet_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
