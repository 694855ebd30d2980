/* aet-compare-view.h — one or two 3D viewers side by side (before | after
 * augmentation, or any two volumes or models) that move together: turning
 * one turns the other, and the iso level, view mode, colouring and layer
 * are shared.  Each pane carries a label and a colour-bar legend.
 * Main thread only. */
#pragma once

#include <gtk/gtk.h>

#include "aet-viewer.h"

G_BEGIN_DECLS

#define AET_TYPE_COMPARE_VIEW (aet_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (AetCompareView, aet_compare_view, AET, COMPARE_VIEW, GtkWidget)

GtkWidget *aet_compare_view_new (void);

/* Pane 0 (left, always shown) or 1 (right, shown when comparing).
 * Borrowed. */
AetViewer *aet_compare_view_get_viewer (AetCompareView *self, guint pane);

void aet_compare_view_set_comparing (AetCompareView *self, gboolean comparing);
gboolean aet_compare_view_get_comparing (AetCompareView *self);

/* The label shown on a pane ("Before", "After", …). */
void aet_compare_view_set_label (AetCompareView *self, guint pane, const char *label);

/* Applied to both viewers. */
void aet_compare_view_set_view_mode (AetCompareView *self, AetViewMode mode);
void aet_compare_view_set_iso_level (AetCompareView *self, gdouble fraction);
void aet_compare_view_set_color_column (AetCompareView *self, const char *column);
void aet_compare_view_step_layer (AetCompareView *self, gint steps);
void aet_compare_view_set_lattice (AetCompareView *self, const gdouble rotation[9], gdouble a);

G_END_DECLS
