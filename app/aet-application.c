#define G_LOG_DOMAIN "aet-studio"

#include "aet-application.h"
#include "aet-config.h"
#include "aet-window.h"

struct _AetApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (AetApplication, aet_application, GTK_TYPE_APPLICATION)

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *parent = gtk_application_get_active_window (app);
  const char *authors[] = { "The AET Studio developers", NULL };
  gtk_show_about_dialog (
    parent, "program-name", "AET Studio", "version", AET_VERSION, "logo-icon-name",
    "org.aetstudio.AetStudio", "comments",
    "Atomic electron tomography of nanoparticles: simulate, reconstruct, restore the missing "
    "wedge with a 3D U-Net, trace atoms, analyse facets and strain, and make figures.",
    "license-type", GTK_LICENSE_GPL_3_0, "authors", authors, "website-label",
    "Method: Lee, Jeong & Yang, Nat. Commun. 12, 1962 (2021)", "website",
    "https://doi.org/10.1038/s41467-021-22204-1", NULL);
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));
  for (GList *l = windows; l != NULL;)
    {
      GList *next = l->next;
      gtk_window_destroy (GTK_WINDOW (l->data));
      l = next;
    }
}

static void
aet_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (aet_application_parent_class)->startup (app);

  static const GActionEntry entries[] = {
    { "about", about_activated },
    { "quit", quit_activated },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);

  struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.save", { "<Control>s", NULL } },
    { "win.save-as", { "<Control><Shift>s", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.run", { "<Control>r", NULL } },
    { "win.cancel", { "Escape", NULL } },
    { "win.fullscreen", { "F11", NULL } },
    { "win.new-simulation", { "<Control>n", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);

  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/aetstudio/AetStudio/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
aet_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    {
      window = GTK_WINDOW (aet_window_new (GTK_APPLICATION (app)));
      /* Started with no file: the built-in demo, so a new user sees the
       * reconstruction converge and the augmentation sharpen it. */
      const char *no_demo = g_getenv ("AET_STUDIO_NO_DEMO");
      if (no_demo == NULL || *no_demo == '\0' || g_str_equal (no_demo, "0"))
        aet_window_start_demo (AET_WINDOW (window));
    }
  gtk_window_present (window);
}

static void
aet_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      AetWindow *window = aet_window_new (GTK_APPLICATION (app));
      aet_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
aet_application_class_init (AetApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  app_class->startup = aet_application_startup;
  app_class->activate = aet_application_activate;
  app_class->open = aet_application_open;
}

static void
aet_application_init (AetApplication *self)
{
}

AetApplication *
aet_application_new (void)
{
  return g_object_new (AET_TYPE_APPLICATION, "application-id", "org.aetstudio.AetStudio",
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE, NULL);
}
