#define G_LOG_DOMAIN "aet-compare-view"

#include "aet-compare-view.h"

#include "aet-colormap.h"

typedef struct
{
  GtkWidget *overlay;
  AetViewer *viewer;
  GtkWidget *label;
  GtkWidget *legend;
} Pane;

struct _AetCompareView
{
  GtkWidget parent_instance;
  GtkWidget *box;
  Pane panes[2];
  gboolean comparing;
  gboolean syncing; /* guards against a linked change echoing back */
};

G_DEFINE_FINAL_TYPE (AetCompareView, aet_compare_view, GTK_TYPE_WIDGET)

/* Main thread: draws the colour bar of a viewer's atom colouring with its
 * range, or nothing when atoms are coloured by element. */
static void
draw_legend (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  AetViewer *viewer = data;
  AetColormap map;
  gdouble vmin, vmax;
  if (!aet_viewer_get_legend (viewer, &map, &vmin, &vmax))
    return;
  const int bar_w = width - 16, bar_h = 12;
  g_autofree guint8 *rgba = aet_colormap_bar_image (map, bar_w, bar_h, TRUE);
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, bar_w, bar_h);
  cairo_surface_flush (surf);
  guint8 *dst = cairo_image_surface_get_data (surf);
  int stride = cairo_image_surface_get_stride (surf);
  for (int y = 0; y < bar_h; y++)
    for (int x = 0; x < bar_w; x++)
      {
        const guint8 *s = rgba + 4 * (y * bar_w + x);
        guint32 *d = (guint32 *) (dst + y * stride + 4 * x);
        *d = ((guint32) s[0] << 16) | ((guint32) s[1] << 8) | s[2];
      }
  cairo_surface_mark_dirty (surf);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.8);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
  cairo_set_source_surface (cr, surf, 8, 6);
  cairo_paint (cr);
  cairo_surface_destroy (surf);
  cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 11);
  char lo[32], hi[32];
  const char *col = aet_viewer_get_color_column (viewer);
  gboolean category = map == AET_COLORMAP_QUALITATIVE;
  g_snprintf (lo, sizeof lo, "%.3g", vmin);
  g_snprintf (hi, sizeof hi, "%.3g", vmax);
  cairo_text_extents_t ext;
  cairo_move_to (cr, 8, height - 6);
  cairo_show_text (cr, category ? "" : lo);
  cairo_text_extents (cr, hi, &ext);
  if (!category)
    {
      cairo_move_to (cr, width - 8 - ext.width, height - 6);
      cairo_show_text (cr, hi);
    }
  const char *title = aet_viewer_get_view_mode (viewer) == AET_VIEW_FACETS ? "facet" : col;
  cairo_text_extents (cr, title, &ext);
  cairo_move_to (cr, (width - ext.width) / 2, height - 6);
  cairo_show_text (cr, title);
}

/* Main thread: the legend follows the viewer's colouring. */
static void
legend_changed (AetViewer *viewer, GtkWidget *legend)
{
  AetColormap map;
  gdouble a, b;
  /* categories (facets) are named in the inspector's table, not on a bar */
  gtk_widget_set_visible (legend, aet_viewer_get_legend (viewer, &map, &a, &b)
                                    && map != AET_COLORMAP_QUALITATIVE);
  gtk_widget_queue_draw (legend);
}

/* Main thread: one viewer's camera moved; the other copies it.  The copy
 * emits nothing, and `syncing` guards against any echo. */
static void
camera_changed (AetViewer *viewer, AetCompareView *self)
{
  if (self->syncing)
    return;
  self->syncing = TRUE;
  for (int i = 0; i < 2; i++)
    if (self->panes[i].viewer != viewer)
      aet_viewer_copy_camera (self->panes[i].viewer, aet_viewer_get_camera (viewer));
  self->syncing = FALSE;
}

/* Main thread: keys 1–4 or PageUp/Down on one viewer apply to both. */
static void
mode_changed (AetViewer *viewer, GParamSpec *pspec, AetCompareView *self)
{
  if (self->syncing)
    return;
  self->syncing = TRUE;
  for (int i = 0; i < 2; i++)
    if (self->panes[i].viewer != viewer)
      {
        aet_viewer_set_view_mode (self->panes[i].viewer, aet_viewer_get_view_mode (viewer));
        aet_viewer_set_layer_index (self->panes[i].viewer, aet_viewer_get_layer_index (viewer));
      }
  for (int i = 0; i < 2; i++)
    legend_changed (self->panes[i].viewer, self->panes[i].legend);
  self->syncing = FALSE;
}

static void
aet_compare_view_dispose (GObject *object)
{
  AetCompareView *self = AET_COMPARE_VIEW (object);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (aet_compare_view_parent_class)->dispose (object);
}

static void
aet_compare_view_class_init (AetCompareViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = aet_compare_view_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "aetcompareview");
}

static void
aet_compare_view_init (AetCompareView *self)
{
  self->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  gtk_box_set_homogeneous (GTK_BOX (self->box), TRUE);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  static const char *const labels[2] = { "Before", "After" };
  for (int i = 0; i < 2; i++)
    {
      Pane *p = &self->panes[i];
      p->overlay = gtk_overlay_new ();
      p->viewer = AET_VIEWER (aet_viewer_new ());
      gtk_overlay_set_child (GTK_OVERLAY (p->overlay), GTK_WIDGET (p->viewer));
      p->label = gtk_label_new (labels[i]);
      gtk_widget_add_css_class (p->label, "aet-viewer-label");
      gtk_widget_set_halign (p->label, GTK_ALIGN_START);
      gtk_widget_set_valign (p->label, GTK_ALIGN_START);
      gtk_widget_set_can_target (p->label, FALSE);
      gtk_overlay_add_overlay (GTK_OVERLAY (p->overlay), p->label);
      p->legend = gtk_drawing_area_new ();
      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (p->legend), 220);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (p->legend), 38);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (p->legend), draw_legend, p->viewer,
                                      NULL);
      gtk_widget_set_halign (p->legend, GTK_ALIGN_END);
      gtk_widget_set_valign (p->legend, GTK_ALIGN_END);
      gtk_widget_set_margin_end (p->legend, 10);
      gtk_widget_set_margin_bottom (p->legend, 10);
      gtk_widget_set_can_target (p->legend, FALSE);
      gtk_widget_set_visible (p->legend, FALSE);
      gtk_overlay_add_overlay (GTK_OVERLAY (p->overlay), p->legend);
      g_signal_connect (p->viewer, "legend-changed", G_CALLBACK (legend_changed), p->legend);
      g_signal_connect (p->viewer, "camera-changed", G_CALLBACK (camera_changed), self);
      g_signal_connect (p->viewer, "notify::view-mode", G_CALLBACK (mode_changed), self);
      g_signal_connect (p->viewer, "notify::layer-index", G_CALLBACK (mode_changed), self);
      gtk_box_append (GTK_BOX (self->box), p->overlay);
    }
  gtk_widget_set_visible (self->panes[1].overlay, FALSE);
  gtk_widget_set_visible (self->panes[0].label, FALSE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}

GtkWidget *
aet_compare_view_new (void)
{
  return g_object_new (AET_TYPE_COMPARE_VIEW, NULL);
}

AetViewer *
aet_compare_view_get_viewer (AetCompareView *self, guint pane)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self) && pane < 2, NULL);
  return self->panes[pane].viewer;
}

void
aet_compare_view_set_comparing (AetCompareView *self, gboolean comparing)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  self->comparing = comparing;
  gtk_widget_set_visible (self->panes[1].overlay, comparing);
  gtk_widget_set_visible (self->panes[0].label, comparing);
  if (comparing)
    aet_viewer_copy_camera (self->panes[1].viewer,
                            aet_viewer_get_camera (self->panes[0].viewer));
}

gboolean
aet_compare_view_get_comparing (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), FALSE);
  return self->comparing;
}

void
aet_compare_view_set_label (AetCompareView *self, guint pane, const char *label)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self) && pane < 2);
  gtk_label_set_text (GTK_LABEL (self->panes[pane].label), label);
}

void
aet_compare_view_set_view_mode (AetCompareView *self, AetViewMode mode)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 2; i++)
    aet_viewer_set_view_mode (self->panes[i].viewer, mode);
}

void
aet_compare_view_set_iso_level (AetCompareView *self, gdouble fraction)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 2; i++)
    aet_viewer_set_iso_level (self->panes[i].viewer, fraction);
}

void
aet_compare_view_set_color_column (AetCompareView *self, const char *column)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 2; i++)
    aet_viewer_set_color_column (self->panes[i].viewer, column);
}

void
aet_compare_view_step_layer (AetCompareView *self, gint steps)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  aet_viewer_step_layer (self->panes[0].viewer, steps);
  aet_viewer_set_layer_index (self->panes[1].viewer,
                              aet_viewer_get_layer_index (self->panes[0].viewer));
}

void
aet_compare_view_set_lattice (AetCompareView *self, const gdouble rotation[9], gdouble a)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 2; i++)
    aet_viewer_set_lattice (self->panes[i].viewer, rotation, a);
}
