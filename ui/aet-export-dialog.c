#define G_LOG_DOMAIN "aet-export"

#include "aet-export-dialog.h"

#include <math.h>

#include "aet-error.h"
#include "aet-file-util.h"
#include "aet-iso-mesh.h"
#include "aet-mesh-export.h"

/* The preview's longest side in pixels. */
#define PREVIEW_SIZE 560

static const char *const format_names[] = { "PNG image", "SVG drawing", "PDF document",
                                            "STL surface", "OBJ surface", NULL };
static const char *const format_ext[] = { "png", "svg", "pdf", "stl", "obj" };

struct _AetExportDialog
{
  GtkWindow parent_instance;

  AetWindow *window; /* the dialog is destroyed with it */
  GtkWidget *format, *both, *units, *width, *height, *dpi, *size_label;
  gboolean mm; /* the width and height spins show millimetres, else pixels */
  GtkWidget *transparent, *scale_bar, *labels, *ortho, *title;
  GtkWidget *picture, *caption, *status, *export_button;

  guint preview_source;
  gboolean preview_busy, preview_pending;
  gboolean exporting;
  GdkTexture *preview;
  char *folder;
  gboolean loading; /* settings are being applied: no preview per widget */
};

G_DEFINE_FINAL_TYPE (AetExportDialog, aet_export_dialog, GTK_TYPE_WINDOW)

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---- size in pixels or millimetres ---------------------------------------- */

static void
get_px (AetExportDialog *self, gint *w, gint *h)
{
  gdouble a = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->width));
  gdouble b = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->height));
  gdouble dpi = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->dpi));
  if (self->mm)
    {
      a = a / 25.4 * dpi;
      b = b / 25.4 * dpi;
    }
  *w = (gint) lround (a);
  *h = (gint) lround (b);
}

/* Shows pixels or millimetres in the size spins, keeping the size. */
static void
set_units (AetExportDialog *self, gboolean mm, gint w, gint h)
{
  self->mm = mm;
  gdouble dpi = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->dpi));
  GtkWidget *spins[2] = { self->width, self->height };
  gint px[2] = { w, h };
  for (int i = 0; i < 2; i++)
    {
      GtkSpinButton *sb = GTK_SPIN_BUTTON (spins[i]);
      if (mm)
        {
          gtk_spin_button_set_digits (sb, 1);
          gtk_spin_button_set_range (sb, 5, 2000);
          gtk_spin_button_set_increments (sb, 1, 10);
          gtk_spin_button_set_value (sb, px[i] * 25.4 / dpi);
        }
      else
        {
          gtk_spin_button_set_digits (sb, 0);
          gtk_spin_button_set_range (sb, 64, 20000);
          gtk_spin_button_set_increments (sb, 100, 1000);
          gtk_spin_button_set_value (sb, px[i]);
        }
    }
}

/* ---- settings ------------------------------------------------------------ */

static char *
settings_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "aet-studio", "settings.ini", NULL);
}

static void
load_settings (AetExportDialog *self)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = settings_path ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL)
      || !g_key_file_has_group (kf, "export"))
    return;
  self->loading = TRUE;
  gint fmt = g_key_file_get_integer (kf, "export", "format", NULL);
  if (fmt >= 0 && fmt < (gint) G_N_ELEMENTS (format_ext))
    gtk_drop_down_set_selected (GTK_DROP_DOWN (self->format), (guint) fmt);
  gint w = g_key_file_get_integer (kf, "export", "width", NULL);
  gint h = g_key_file_get_integer (kf, "export", "height", NULL);
  gdouble dpi = g_key_file_get_double (kf, "export", "dpi", NULL);
  if (dpi >= 10)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->dpi), dpi);
  gboolean mm = g_key_file_get_boolean (kf, "export", "millimetres", NULL);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->units), mm ? 1 : 0);
  if (w >= 64 && h >= 64)
    set_units (self, mm, w, h);
  static const char *const keys[] = { "transparent", "scale-bar", "labels", "orthographic" };
  GtkWidget *checks[] = { self->transparent, self->scale_bar, self->labels, self->ortho };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_key_file_has_key (kf, "export", keys[i], NULL))
      gtk_check_button_set_active (GTK_CHECK_BUTTON (checks[i]),
                                   g_key_file_get_boolean (kf, "export", keys[i], NULL));
  g_autofree char *title = g_key_file_get_string (kf, "export", "title", NULL);
  if (title != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->title), title);
  self->folder = g_key_file_get_string (kf, "export", "folder", NULL);
  self->loading = FALSE;
}

static void
save_settings (AetExportDialog *self)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = settings_path ();
  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  g_key_file_set_integer (kf, "export", "format",
                          (gint) gtk_drop_down_get_selected (GTK_DROP_DOWN (self->format)));
  gint w, h;
  get_px (self, &w, &h);
  g_key_file_set_integer (kf, "export", "width", w);
  g_key_file_set_integer (kf, "export", "height", h);
  g_key_file_set_boolean (kf, "export", "millimetres", self->mm);
  g_key_file_set_double (kf, "export", "dpi",
                         gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->dpi)));
  g_key_file_set_boolean (kf, "export", "transparent",
                          gtk_check_button_get_active (GTK_CHECK_BUTTON (self->transparent)));
  g_key_file_set_boolean (kf, "export", "scale-bar",
                          gtk_check_button_get_active (GTK_CHECK_BUTTON (self->scale_bar)));
  g_key_file_set_boolean (kf, "export", "labels",
                          gtk_check_button_get_active (GTK_CHECK_BUTTON (self->labels)));
  g_key_file_set_boolean (kf, "export", "orthographic",
                          gtk_check_button_get_active (GTK_CHECK_BUTTON (self->ortho)));
  g_key_file_set_string (kf, "export", "title",
                         gtk_editable_get_text (GTK_EDITABLE (self->title)));
  if (self->folder != NULL)
    g_key_file_set_string (kf, "export", "folder", self->folder);
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  g_autoptr (GError) error = NULL;
  if (!g_key_file_save_to_file (kf, path, &error))
    g_warning ("settings: %s", error->message);
}

/* ---- the figure ------------------------------------------------------------ */

static void
read_options (AetExportDialog *self, AetFigureOptions *o)
{
  aet_figure_options_init (o);
  get_px (self, &o->width, &o->height);
  o->dpi = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->dpi));
  o->transparent = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->transparent));
  o->scale_bar = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->scale_bar));
  o->panel_labels = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->labels));
  o->orthographic = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->ortho));
  g_strlcpy (o->title, gtk_editable_get_text (GTK_EDITABLE (self->title)), sizeof o->title);
}

static gboolean
both_panes (AetExportDialog *self)
{
  return gtk_widget_get_sensitive (self->both)
         && gtk_check_button_get_active (GTK_CHECK_BUTTON (self->both));
}

static void
set_status (AetExportDialog *self, const char *text, gboolean error)
{
  gtk_label_set_text (GTK_LABEL (self->status), text != NULL ? text : "");
  if (error)
    gtk_widget_add_css_class (self->status, "error");
  else
    gtk_widget_remove_css_class (self->status, "error");
}

typedef struct
{
  AetFigure *figure;
  guint8 *rgba;
  gint width, height;
} PreviewJob;

static void
preview_job_free (gpointer data)
{
  PreviewJob *j = data;
  g_clear_pointer (&j->figure, aet_figure_free);
  g_free (j->rgba);
  g_free (j);
}

/* Worker thread: the figure at preview size, in its own GL context. */
static void
preview_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  PreviewJob *j = data;
  GError *error = NULL;
  if (!aet_figure_prepare (j->figure, 2, NULL, &error)
      || (j->rgba = aet_figure_rasterize (j->figure, &j->width, &j->height, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void start_preview (AetExportDialog *self);

/* Main thread: a preview is drawn. */
static void
preview_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AetExportDialog *self = AET_EXPORT_DIALOG (source);
  g_autoptr (GError) error = NULL;
  self->preview_busy = FALSE;
  PreviewJob *j = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    set_status (self, error->message, TRUE);
  else
    {
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&j->rgba),
                                                   (gsize) j->width * j->height * 4);
      g_clear_object (&self->preview);
      self->preview = gdk_memory_texture_new (j->width, j->height, GDK_MEMORY_R8G8B8A8, bytes,
                                              (gsize) j->width * 4);
      gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (self->preview));
      if (!self->exporting)
        set_status (self, NULL, FALSE);
    }
  if (self->preview_pending)
    start_preview (self);
}

static void
start_preview (AetExportDialog *self)
{
  if (self->preview_busy)
    {
      self->preview_pending = TRUE;
      return;
    }
  self->preview_pending = FALSE;
  AetFigureOptions o;
  read_options (self, &o);
  /* the same layout scaled down: the DPI shrinks with the pixels, so
   * text, bars and margins keep their place */
  gdouble s = (gdouble) PREVIEW_SIZE / MAX (o.width, o.height);
  if (s < 1)
    {
      o.width = MAX (16, (gint) lround (o.width * s));
      o.height = MAX (16, (gint) lround (o.height * s));
      o.dpi *= s;
    }
  o.samples = 2;
  g_autoptr (GError) error = NULL;
  AetFigure *fig = aet_window_build_figure (self->window, both_panes (self), &o, &error);
  if (fig == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  PreviewJob *j = g_new0 (PreviewJob, 1);
  j->figure = fig;
  self->preview_busy = TRUE;
  g_autoptr (GTask) task = g_task_new (self, NULL, preview_done, NULL);
  g_task_set_task_data (task, j, preview_job_free);
  g_task_run_in_thread (task, preview_thread);
}

static gboolean
preview_timeout (gpointer data)
{
  AetExportDialog *self = data;
  self->preview_source = 0;
  start_preview (self);
  return G_SOURCE_REMOVE;
}

static void
update_size_label (AetExportDialog *self)
{
  gint w, h;
  get_px (self, &w, &h);
  gdouble dpi = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->dpi));
  g_autofree char *text
    = self->mm ? g_strdup_printf ("%d × %d pixels at %.0f DPI", w, h, dpi)
               : g_strdup_printf ("%.0f × %.0f mm (%.2f × %.2f in) at %.0f DPI", w / dpi * 25.4,
                                  h / dpi * 25.4, w / dpi, h / dpi, dpi);
  gtk_label_set_text (GTK_LABEL (self->size_label), text);
}

/* Any setting changed: a new preview after a short pause. */
static void
settings_changed (AetExportDialog *self)
{
  update_size_label (self);
  guint fmt = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->format));
  gboolean surface = fmt >= 3;
  GtkWidget *figure_only[] = { self->units, self->width, self->height, self->dpi, self->title,
                               self->transparent, self->scale_bar, self->labels, self->ortho };
  for (guint i = 0; i < G_N_ELEMENTS (figure_only); i++)
    gtk_widget_set_sensitive (figure_only[i], !surface);
  gtk_widget_set_sensitive (self->both, !surface && aet_window_can_compare (self->window));
  gtk_label_set_text (GTK_LABEL (self->caption),
                      surface ? "The iso-surface of the first pane at the current level is "
                                "written (Å, volume frame); the preview shows the view."
                              : "Preview of the figure as it will be written.");
  if (self->loading)
    return;
  if (self->preview_source != 0)
    g_source_remove (self->preview_source);
  self->preview_source = g_timeout_add (250, preview_timeout, self);
}

/* The units changed: the spins show the same size in the other units. */
static void
units_changed (AetExportDialog *self)
{
  gint w, h;
  get_px (self, &w, &h);
  set_units (self, gtk_drop_down_get_selected (GTK_DROP_DOWN (self->units)) == 1, w, h);
  settings_changed (self);
}

/* ---- exporting --------------------------------------------------------------- */

typedef struct
{
  AetFigure *figure;   /* a figure, or */
  AetVolume *volume;   /* a surface of this volume at `level` */
  gdouble level;
  char *path;
  char *message;
} ExportJob;

static void
export_job_free (gpointer data)
{
  ExportJob *j = data;
  g_clear_pointer (&j->figure, aet_figure_free);
  g_clear_pointer (&j->volume, aet_volume_unref);
  g_free (j->path);
  g_free (j->message);
  g_free (j);
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ExportJob *j = data;
  GError *error = NULL;
  g_autofree char *base = g_path_get_basename (j->path);
  if (j->figure != NULL)
    {
      if (!aet_figure_prepare (j->figure, 2, NULL, &error)
          || !aet_figure_save (j->figure, j->path, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      j->message = g_strdup_printf ("Exported %s", base);
    }
  else
    {
      g_autoptr (AetIsoMesh) mesh = aet_iso_mesh_compute (j->volume, j->level, 2, NULL, &error);
      if (mesh == NULL || !aet_iso_mesh_save (mesh, j->path, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      j->message = g_strdup_printf ("Exported %s (%u triangles)", base, mesh->n_triangles);
    }
  g_task_return_boolean (task, TRUE);
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AetExportDialog *self = AET_EXPORT_DIALOG (source);
  g_autoptr (GError) error = NULL;
  ExportJob *j = g_task_get_task_data (G_TASK (result));
  self->exporting = FALSE;
  gtk_widget_set_sensitive (self->export_button, TRUE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      set_status (self, error->message, TRUE);
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0, FALSE, error->message);
      return;
    }
  set_status (self, j->message, FALSE);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, TRUE, j->message);
}

void
aet_export_dialog_export_to (AetExportDialog *self, const char *path)
{
  g_return_if_fail (AET_IS_EXPORT_DIALOG (self) && path != NULL);
  if (self->exporting)
    return;
  g_autofree char *ext = aet_path_extension (path);
  g_autoptr (GError) error = NULL;
  ExportJob *j = g_new0 (ExportJob, 1);
  j->path = g_strdup (path);
  if (g_str_equal (ext, "stl") || g_str_equal (ext, "obj"))
    {
      AetViewer *v = aet_compare_view_get_viewer (aet_window_get_compare_view (self->window), 0);
      AetVolume *vol = aet_viewer_get_volume (v);
      if (vol == NULL)
        g_set_error (&error, AET_ERROR, AET_ERROR_DATA, "%s: there is no volume to export",
                     path);
      else
        {
          j->volume = aet_volume_ref (vol);
          j->level = aet_view_iso_level (aet_viewer_get_setup (v), vol);
        }
    }
  else
    {
      AetFigureOptions o;
      read_options (self, &o);
      j->figure = aet_window_build_figure (self->window, both_panes (self), &o, &error);
    }
  if (error != NULL)
    {
      export_job_free (j);
      set_status (self, error->message, TRUE);
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0, FALSE, error->message);
      return;
    }
  g_free (self->folder);
  self->folder = g_path_get_dirname (path);
  save_settings (self);
  self->exporting = TRUE;
  gtk_widget_set_sensitive (self->export_button, FALSE);
  set_status (self, "Exporting…", FALSE);
  g_autoptr (GTask) task = g_task_new (self, NULL, export_done, NULL);
  g_task_set_task_data (task, j, export_job_free);
  g_task_run_in_thread (task, export_thread);
}

static void
chooser_response (GtkNativeDialog *chooser, int response, AetExportDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      /* the format chosen in the dialog wins over a missing extension */
      g_autofree char *ext = aet_path_extension (path);
      guint fmt = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->format));
      if (ext[0] == '\0')
        {
          char *with = g_strdup_printf ("%s.%s", path, format_ext[fmt]);
          g_free (path);
          path = with;
        }
      aet_export_dialog_export_to (self, path);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
export_clicked (AetExportDialog *self)
{
  guint fmt = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->format));
  GtkFileChooserNative *fc = gtk_file_chooser_native_new (
    "Export Figure", GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
  if (self->folder != NULL)
    {
      g_autoptr (GFile) folder = g_file_new_for_path (self->folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (fc), folder, NULL);
    }
  g_autofree char *name = g_strdup_printf ("%s.%s", fmt >= 3 ? "surface" : "figure",
                                           format_ext[fmt]);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (fc), name);
  g_signal_connect (fc, "response", G_CALLBACK (chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (fc));
}

/* ---- public ------------------------------------------------------------------- */

GdkTexture *
aet_export_dialog_get_preview (AetExportDialog *self)
{
  g_return_val_if_fail (AET_IS_EXPORT_DIALOG (self), NULL);
  return self->preview;
}

gboolean
aet_export_dialog_is_busy (AetExportDialog *self)
{
  g_return_val_if_fail (AET_IS_EXPORT_DIALOG (self), FALSE);
  return self->preview_busy || self->preview_pending || self->preview_source != 0
         || self->exporting;
}

void
aet_export_dialog_set_size (AetExportDialog *self, gint width, gint height, gdouble dpi)
{
  g_return_if_fail (AET_IS_EXPORT_DIALOG (self));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->dpi), dpi);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->units), 0);
  set_units (self, FALSE, width, height);
}

/* ---- construction ------------------------------------------------------------- */

static GtkWidget *
row (GtkGrid *grid, gint r, const char *label, GtkWidget *widget)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);
  gtk_label_set_xalign (GTK_LABEL (l), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), widget);
  gtk_widget_add_css_class (l, "dim-label");
  gtk_grid_attach (grid, l, 0, r, 1, 1);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (grid, widget, 1, r, 1, 1);
  return widget;
}

static GtkWidget *
check (GtkGrid *grid, gint r, const char *label, gboolean active)
{
  GtkWidget *c = gtk_check_button_new_with_mnemonic (label);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (c), active);
  gtk_grid_attach (grid, c, 1, r, 1, 1);
  return c;
}

static void
aet_export_dialog_dispose (GObject *object)
{
  AetExportDialog *self = AET_EXPORT_DIALOG (object);
  if (self->preview_source != 0)
    {
      g_source_remove (self->preview_source);
      self->preview_source = 0;
    }
  g_clear_object (&self->preview);
  g_clear_pointer (&self->folder, g_free);
  G_OBJECT_CLASS (aet_export_dialog_parent_class)->dispose (object);
}

static gboolean
aet_export_dialog_close_request (GtkWindow *window)
{
  save_settings (AET_EXPORT_DIALOG (window));
  return GTK_WINDOW_CLASS (aet_export_dialog_parent_class)->close_request (window);
}

static void
aet_export_dialog_class_init (AetExportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = aet_export_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = aet_export_dialog_close_request;
  /* finished (success, message): the window shows the message */
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           2, G_TYPE_BOOLEAN, G_TYPE_STRING);
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0,
                                       "window.close", NULL);
}

static void
aet_export_dialog_init (AetExportDialog *self)
{
  gtk_window_set_title (GTK_WINDOW (self), "Export Figure");
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);

  GtkWidget *header = gtk_header_bar_new ();
  gtk_header_bar_set_show_title_buttons (GTK_HEADER_BAR (header), FALSE);
  GtkWidget *cancel = gtk_button_new_with_mnemonic ("_Close");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_close), self);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), cancel);
  self->export_button = gtk_button_new_with_mnemonic ("_Export…");
  gtk_widget_add_css_class (self->export_button, "suggested-action");
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (export_clicked), self);
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), self->export_button);
  gtk_window_set_titlebar (GTK_WINDOW (self), header);

  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  gtk_widget_set_margin_start (hbox, 18);
  gtk_widget_set_margin_end (hbox, 18);
  gtk_widget_set_margin_top (hbox, 18);
  gtk_widget_set_margin_bottom (hbox, 18);

  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (grid, 8);
  gtk_grid_set_column_spacing (grid, 12);
  gint r = 0;
  self->format = row (grid, r++, "_Format", gtk_drop_down_new_from_strings (format_names));
  self->both = check (grid, r++, "_Both panes side by side", FALSE);
  static const char *const units[] = { "pixels", "millimetres", NULL };
  self->units = row (grid, r++, "_Size in", gtk_drop_down_new_from_strings (units));
  self->width = row (grid, r++, "_Width", gtk_spin_button_new_with_range (64, 20000, 100));
  self->height = row (grid, r++, "_Height", gtk_spin_button_new_with_range (64, 20000, 100));
  self->dpi = row (grid, r++, "_DPI", gtk_spin_button_new_with_range (10, 2400, 50));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->width), 2400);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->height), 1800);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->dpi), 300);
  self->size_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->size_label), 0);
  gtk_widget_add_css_class (self->size_label, "dim-label");
  gtk_grid_attach (grid, self->size_label, 1, r++, 1, 1);
  self->title = row (grid, r++, "_Title", gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->title), "None");
  self->transparent = check (grid, r++, "T_ransparent background", FALSE);
  self->scale_bar = check (grid, r++, "_Scale bar", TRUE);
  self->labels = check (grid, r++, "Panel _labels (a, b)", TRUE);
  self->ortho = check (grid, r++, "_Orthographic (exact scale)", TRUE);
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (grid));

  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *frame = gtk_frame_new (NULL);
  self->picture = gtk_picture_new ();
  gtk_widget_set_size_request (self->picture, PREVIEW_SIZE, PREVIEW_SIZE * 3 / 4);
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_frame_set_child (GTK_FRAME (frame), self->picture);
  gtk_box_append (GTK_BOX (right), frame);
  self->caption = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->caption), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->caption), 0);
  gtk_widget_add_css_class (self->caption, "dim-label");
  gtk_box_append (GTK_BOX (right), self->caption);
  self->status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_box_append (GTK_BOX (right), self->status);
  gtk_box_append (GTK_BOX (hbox), right);
  gtk_window_set_child (GTK_WINDOW (self), hbox);
}

AetExportDialog *
aet_export_dialog_new (AetWindow *window)
{
  AetExportDialog *self = g_object_new (AET_TYPE_EXPORT_DIALOG, "transient-for", window, NULL);
  self->window = window;
  gboolean can = aet_window_can_compare (window);
  gtk_widget_set_sensitive (self->both, can);
  gtk_check_button_set_active (
    GTK_CHECK_BUTTON (self->both),
    can && aet_compare_view_get_comparing (aet_window_get_compare_view (window)));
  load_settings (self);
  g_signal_connect_swapped (self->format, "notify::selected", G_CALLBACK (settings_changed),
                            self);
  g_signal_connect_swapped (self->units, "notify::selected", G_CALLBACK (units_changed), self);
  GtkWidget *spins[] = { self->width, self->height, self->dpi };
  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    g_signal_connect_swapped (spins[i], "value-changed", G_CALLBACK (settings_changed), self);
  GtkWidget *checks[] = { self->both, self->transparent, self->scale_bar, self->labels,
                          self->ortho };
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    g_signal_connect_swapped (checks[i], "toggled", G_CALLBACK (settings_changed), self);
  g_signal_connect_swapped (self->title, "changed", G_CALLBACK (settings_changed), self);
  settings_changed (self);
  return self;
}
