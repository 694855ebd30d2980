/* aet-application.h — the AET Studio GtkApplication: app-wide actions
 * (about, quit), accelerators, style sheet, opening files into windows. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define AET_TYPE_APPLICATION (aet_application_get_type ())
G_DECLARE_FINAL_TYPE (AetApplication, aet_application, AET, APPLICATION, GtkApplication)

AetApplication *aet_application_new (void);

G_END_DECLS
