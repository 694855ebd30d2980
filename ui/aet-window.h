/* aet-window.h — AET Studio's main window: the 3D views (one or two,
 * linked), the pipeline's stages and main parameters in the sidebar, the
 * report in the inspector, and the actions (win.open, win.save,
 * win.save-as, win.new-simulation, win.run, win.cancel, win.export,
 * win.fullscreen, win.compare, win.compare-layout, win.view-mode,
 * win.layer, win.view-along, win.show-substrate, win.dismiss-error,
 * win.demo, and GtkApplicationWindow's win.show-help-overlay for the
 * keyboard shortcuts window).
 *
 * Threads: the window lives on the GTK main thread.  Runs (simulate →
 * reconstruct → trace → analyse) go to a worker thread that posts events
 * back with g_idle_add_full; file loads and saves go to GTask threads.  The
 * main thread never waits for either. */
#pragma once

#include <gtk/gtk.h>

#include "aet-figure.h"

#include "aet-compare-view.h"
#include "aet-inspector.h"
#include "aet-stage-list.h"

G_BEGIN_DECLS

#define AET_TYPE_WINDOW (aet_window_get_type ())
G_DECLARE_FINAL_TYPE (AetWindow, aet_window, AET, WINDOW, GtkApplicationWindow)

AetWindow *aet_window_new (GtkApplication *app);

/* Opens a project (.h5, .emd), a tilt series (.mrc/.tif with its .tlt), a
 * volume (.mrc without .tlt) or atoms (.xyz) in the background; errors show
 * in the window's error bar. */
void aet_window_open_file (AetWindow *self, GFile *file);

/* Simulates the default Pt particle and reconstructs it live. */
void aet_window_start_demo (AetWindow *self);

/* TRUE while a run or a file load is active. */
gboolean aet_window_is_busy (AetWindow *self);

/* The error shown in the error bar, or NULL (borrowed). */
const char *aet_window_get_error (AetWindow *self);

/* Parts, for tests (borrowed). */
AetCompareView *aet_window_get_compare_view (AetWindow *self);

/* A figure of what the window shows (aet-figure.h): the first pane, or
 * both panes side by side, with the first pane's view settings and camera.
 * Built on the main thread (cheap: references and settings); prepare,
 * render and save it anywhere, e.g. on a worker thread with
 * aet_figure_render_offscreen.  NULL with an error when there is nothing
 * to show.  Caller owns. */
AetFigure *aet_window_build_figure (AetWindow *self, gboolean both_panes,
                                    const AetFigureOptions *options, GError **error);

/* Whether a second pane (after augmentation, or the truth) is there to
 * compare with. */
gboolean aet_window_can_compare (AetWindow *self);
AetInspector *aet_window_get_inspector (AetWindow *self);
AetStageList *aet_window_get_stage_list (AetWindow *self);

G_END_DECLS
