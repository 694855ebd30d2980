/* aet-export-dialog.h — "Export Figure": the current view, or both panes
 * side by side, as a PNG (any size, DPI recorded), SVG or PDF figure, or
 * the iso-surface as STL or OBJ, with a live preview.
 *
 * The dialog asks the window for a figure (aet_window_build_figure) with
 * its settings, so the preview and the file show exactly what `aet figure`
 * would draw for the same view.  Previews and exports are drawn on worker
 * threads, each in its own surfaceless EGL context: the window never waits
 * for them.  The settings (format, size, DPI, background, labels, title,
 * folder) are remembered in the user's settings.ini, group [export].
 */
#pragma once

#include <gtk/gtk.h>

#include "aet-window.h"

G_BEGIN_DECLS

#define AET_TYPE_EXPORT_DIALOG (aet_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AetExportDialog, aet_export_dialog, AET, EXPORT_DIALOG, GtkWindow)

/* A dialog for `window`'s current view, transient for it. */
AetExportDialog *aet_export_dialog_new (AetWindow *window);

/* The latest preview (borrowed), NULL until the first one is drawn. */
GdkTexture *aet_export_dialog_get_preview (AetExportDialog *self);

/* Whether a preview or an export is being drawn. */
gboolean aet_export_dialog_is_busy (AetExportDialog *self);

/* Exports to `path` with the dialog's settings (the format follows the
 * extension), as the Export button does after its file chooser. */
void aet_export_dialog_export_to (AetExportDialog *self, const char *path);

/* Sets the pixel size (tests, and scripts driving the window). */
void aet_export_dialog_set_size (AetExportDialog *self, gint width, gint height, gdouble dpi);

G_END_DECLS
