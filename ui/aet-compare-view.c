#define G_LOG_DOMAIN "aet-compare-view"

#include "aet-compare-view.h"

#include <math.h>

#include "aet-colormap.h"
#include "aet-match.h"
#include "aet-volume-metrics.h"

/* Atoms farther apart than this are not matched (the published 0.9 Å). */
#define MATCH_DISTANCE 0.9
/* Each volume is scaled to this percentile before the difference, so a
 * reconstruction and a network output (different units) compare. */
#define PEAK_PERCENTILE 99.9
/* The colour range of a difference: ± this percentile of its values. */
#define RANGE_PERCENTILE 99.5
/* [ and ] move the divider by this fraction of the width. */
#define DIVIDER_STEP 0.05
#define HANDLE_WIDTH 24

typedef struct
{
  GtkWidget *overlay;
  AetViewer *viewer;
  GtkWidget *label;
  GtkWidget *legend;
  char *legend_title; /* NULL: the colour column */
} Pane;

struct _AetCompareView
{
  GtkWidget parent_instance;
  GtkWidget *box;
  Pane panes[3];           /* before, after, difference */
  GtkWidget *split_label;  /* the after label, top right of pane 0 when split */
  GtkWidget *split_legend; /* the after legend, bottom right of pane 0 when split */
  GtkWidget *handle;       /* the divider */
  GtkWidget *caption;      /* what the difference pane shows */
  GdkGLContext *gl_context; /* shared by the viewers */
  gboolean comparing;
  AetCompareLayout layout;
  gdouble divider;
  gdouble drag_divider;    /* the divider when a drag began */
  gboolean syncing;        /* guards against a linked change echoing back */

  /* the difference (main thread) */
  guint diff_generation;   /* of the newest request */
  gboolean diff_busy, diff_pending, diff_dirty;
  guint diff_idle;
  gboolean diff_volume_mismatch;
  gsize diff_matched, diff_atoms;
};

G_DEFINE_FINAL_TYPE (AetCompareView, aet_compare_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_COMPARING,
  PROP_LAYOUT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static const char *const layout_names[AET_N_COMPARE_LAYOUTS] = { "side", "split",
                                                                 "difference" };

const char *
aet_compare_layout_to_string (AetCompareLayout layout)
{
  g_return_val_if_fail (layout < AET_N_COMPARE_LAYOUTS, "side");
  return layout_names[layout];
}

gint
aet_compare_layout_from_string (const char *name)
{
  for (gint i = 0; i < AET_N_COMPARE_LAYOUTS; i++)
    if (g_strcmp0 (name, layout_names[i]) == 0)
      return i;
  return -1;
}

static AetViewer *
pane_viewer (AetCompareView *self, guint i)
{
  return self->panes[i].viewer;
}

static gboolean
showing_difference (AetCompareView *self)
{
  return self->comparing && self->layout == AET_COMPARE_DIFFERENCE;
}

/* ---- legends ----------------------------------------------------------- */

/* Main thread: draws the colour bar of a pane's colouring with its range
 * and title, or nothing when there is none. */
static void
draw_legend (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  Pane *pane = data;
  AetViewer *viewer = pane->viewer;
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
  const char *title = pane->legend_title;
  if (title == NULL)
    title = aet_viewer_get_view_mode (viewer) == AET_VIEW_FACETS
              ? "facet" : aet_viewer_get_color_column (viewer);
  cairo_text_extents (cr, title, &ext);
  cairo_move_to (cr, (width - ext.width) / 2, height - 6);
  cairo_show_text (cr, title);
}

static gboolean
has_bar (AetViewer *viewer)
{
  AetColormap map;
  gdouble a, b;
  /* categories (facets) are named in the inspector's table, not on a bar */
  return aet_viewer_get_legend (viewer, &map, &a, &b) && map != AET_COLORMAP_QUALITATIVE;
}

/* Main thread: every legend follows its viewer's colouring and the layout
 * (when split, pane 0's legend moves to the left for the left side and the
 * right side's legend shows at the right). */
static void
update_legends (AetCompareView *self)
{
  gboolean split = self->comparing && self->layout == AET_COMPARE_SPLIT;
  for (int i = 0; i < 3; i++)
    {
      gtk_widget_set_visible (self->panes[i].legend, has_bar (pane_viewer (self, i)));
      gtk_widget_queue_draw (self->panes[i].legend);
    }
  gtk_widget_set_halign (self->panes[0].legend, split ? GTK_ALIGN_START : GTK_ALIGN_END);
  gtk_widget_set_visible (self->split_legend, split && has_bar (pane_viewer (self, 1)));
  gtk_widget_queue_draw (self->split_legend);
}

static void
legend_changed (AetViewer *viewer, AetCompareView *self)
{
  update_legends (self);
}

/* ---- the difference ---------------------------------------------------- */

static void update_caption (AetCompareView *self);

typedef struct
{
  GWeakRef view;
  guint generation;
  AetVolume *before, *after;       /* inputs, may be NULL */
  AetAtoms *before_atoms, *after_atoms;
  AetVolume *difference;           /* after − before, scaled; NULL when none */
  gdouble bound;                   /* its colour range: ± bound */
  gboolean mismatch;               /* the volumes differ in shape */
  AetAtoms *moved;                 /* the before atoms with "moved_pm" */
  gsize n_matched;
  gdouble moved_hi;                /* the 99th percentile of "moved_pm" */
} DiffRequest;

static void
diff_request_free (gpointer data)
{
  DiffRequest *r = data;
  g_weak_ref_clear (&r->view);
  g_clear_pointer (&r->before, aet_volume_unref);
  g_clear_pointer (&r->after, aet_volume_unref);
  g_clear_pointer (&r->before_atoms, aet_atoms_unref);
  g_clear_pointer (&r->after_atoms, aet_atoms_unref);
  g_clear_pointer (&r->difference, aet_volume_unref);
  g_clear_pointer (&r->moved, aet_atoms_unref);
  g_free (r);
}

/* A robust peak of a volume: its high percentile, else its maximum. */
static gdouble
robust_peak (const AetVolume *v)
{
  gdouble p = aet_volume_percentile (v, PEAK_PERCENTILE);
  if (!(p > 0))
    {
      AetVolumeStats st;
      aet_volume_get_stats (v, &st);
      p = st.max > 0 ? st.max : 1.0;
    }
  return p;
}

static gint
compare_floats (gconstpointer a, gconstpointer b)
{
  gfloat x = *(const gfloat *) a, y = *(const gfloat *) b;
  return (x > y) - (x < y);
}

/* Worker thread: the difference of two snapshots (never written), no GTK. */
static void
compute_difference (DiffRequest *r)
{
  if (r->before != NULL && r->after != NULL)
    {
      if (!aet_volume_same_shape (r->before, r->after))
        r->mismatch = TRUE;
      else
        {
          g_autoptr (AetVolume) a = aet_volume_dup (r->after);
          g_autoptr (AetVolume) b = aet_volume_dup (r->before);
          aet_volume_scale (a, (gfloat) (1.0 / robust_peak (r->after)));
          aet_volume_scale (b, (gfloat) (1.0 / robust_peak (r->before)));
          r->difference = aet_volume_difference (a, b);
          /* in the frame of the "before" volume, whose layers are shown */
          r->difference->voxel_size = r->before->voxel_size;
          for (int k = 0; k < 3; k++)
            r->difference->origin[k] = r->before->origin[k];
          const gdouble ps[2] = { 100.0 - RANGE_PERCENTILE, RANGE_PERCENTILE };
          gdouble q[2];
          aet_volume_percentiles (r->difference, ps, q, 2);
          r->bound = MAX (fabs (q[0]), fabs (q[1]));
          if (!(r->bound > 0))
            {
              AetVolumeStats st;
              aet_volume_get_stats (r->difference, &st);
              r->bound = MAX (fabs (st.min), fabs (st.max));
            }
          if (!(r->bound > 0))
            r->bound = 1.0;
        }
    }
  if (r->before_atoms != NULL && r->after_atoms != NULL)
    {
      r->moved = aet_atoms_dup (r->before_atoms);
      AetMatchStats st;
      if (aet_match_atoms (r->after_atoms, r->moved, MATCH_DISTANCE, &st, TRUE, NULL))
        {
          r->n_matched = st.n_matched;
          /* distances start at 0: the colours run from 0 to a high percentile */
          const gfloat *d = aet_atoms_get_column (r->moved, "moved_pm");
          g_autoptr (GArray) finite = g_array_new (FALSE, FALSE, sizeof (gfloat));
          for (gsize i = 0; i < r->moved->n_atoms; i++)
            if (isfinite (d[i]))
              g_array_append_val (finite, d[i]);
          g_array_sort (finite, compare_floats);
          r->moved_hi = finite->len > 0
                          ? g_array_index (finite, gfloat, (guint) (0.99 * (finite->len - 1)))
                          : 0.0;
          if (!(r->moved_hi > 0))
            r->moved_hi = 1.0;
        }
      else
        g_clear_pointer (&r->moved, aet_atoms_unref);
    }
}

static void start_difference (AetCompareView *self);

/* Main thread (idle): shows a finished difference unless newer inputs
 * arrived meanwhile. */
static gboolean
difference_ready (gpointer data)
{
  DiffRequest *r = data;
  g_autoptr (AetCompareView) self = g_weak_ref_get (&r->view);
  if (self == NULL || self->box == NULL) /* gone, or disposed */
    return G_SOURCE_REMOVE;
  self->diff_busy = FALSE;
  if (r->generation == self->diff_generation)
    {
      AetViewer *v = pane_viewer (self, AET_COMPARE_PANE_DIFFERENCE);
      self->diff_volume_mismatch = r->mismatch;
      self->diff_matched = r->n_matched;
      self->diff_atoms = r->moved != NULL ? r->moved->n_atoms : 0;
      /* new data may frame the viewer's camera once: keep the shared one */
      self->syncing = TRUE;
      aet_viewer_set_signed_volume (v, r->difference, r->bound);
      aet_scene_set_color_range (aet_viewer_get_scene (v), r->moved == NULL, 0, r->moved_hi);
      aet_viewer_set_atoms (v, r->moved);
      aet_viewer_copy_camera (v, aet_viewer_get_camera (pane_viewer (self, 0)));
      self->syncing = FALSE;
      update_caption (self);
      update_legends (self);
    }
  if (self->diff_pending)
    start_difference (self);
  return G_SOURCE_REMOVE;
}

static gpointer
difference_thread (gpointer data)
{
  compute_difference (data);
  g_idle_add_full (G_PRIORITY_DEFAULT, difference_ready, data, diff_request_free);
  return NULL;
}

/* Main thread: one difference at a time; a request made meanwhile waits
 * and is made with the newest inputs. */
static void
start_difference (AetCompareView *self)
{
  if (self->diff_busy)
    {
      self->diff_pending = TRUE;
      return;
    }
  self->diff_pending = FALSE;
  self->diff_dirty = FALSE;
  DiffRequest *r = g_new0 (DiffRequest, 1);
  g_weak_ref_init (&r->view, self);
  r->generation = ++self->diff_generation;
  AetVolume *vb = aet_viewer_get_volume (pane_viewer (self, 0));
  AetVolume *va = aet_viewer_get_volume (pane_viewer (self, 1));
  AetAtoms *ab = aet_viewer_get_atoms (pane_viewer (self, 0));
  AetAtoms *aa = aet_viewer_get_atoms (pane_viewer (self, 1));
  r->before = vb != NULL ? aet_volume_ref (vb) : NULL;
  r->after = va != NULL ? aet_volume_ref (va) : NULL;
  r->before_atoms = ab != NULL ? aet_atoms_ref (ab) : NULL;
  r->after_atoms = aa != NULL ? aet_atoms_ref (aa) : NULL;
  self->diff_busy = TRUE;
  update_caption (self);
  g_thread_unref (g_thread_new ("aet-difference", difference_thread, r));
}

static gboolean
difference_idle (gpointer data)
{
  AetCompareView *self = data;
  self->diff_idle = 0;
  if (showing_difference (self) && self->diff_dirty)
    start_difference (self);
  return G_SOURCE_REMOVE;
}

/* Main thread: pane 0 or 1 got new data.  The difference follows when it
 * is shown (a volume and its atoms usually arrive together: one idle
 * coalesces them). */
static void
data_changed (AetViewer *viewer, AetCompareView *self)
{
  self->diff_dirty = TRUE;
  if (showing_difference (self) && self->diff_idle == 0)
    self->diff_idle = g_idle_add (difference_idle, self);
}

gboolean
aet_compare_view_is_busy (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), FALSE);
  return self->diff_busy || self->diff_pending || self->diff_idle != 0;
}

/* Main thread: the difference pane's title, caption and legend title say
 * what it shows for the current mode and data. */
static void
update_caption (AetCompareView *self)
{
  const char *before = gtk_label_get_text (GTK_LABEL (self->panes[0].label));
  const char *after = gtk_label_get_text (GTK_LABEL (self->panes[1].label));
  AetViewer *v = pane_viewer (self, AET_COMPARE_PANE_DIFFERENCE);
  AetViewMode mode = aet_viewer_get_view_mode (v);
  gboolean volumes = mode == AET_VIEW_ISO || mode == AET_VIEW_LAYERS;
  g_autofree char *title = volumes ? g_strdup_printf ("%s − %s", after, before)
                                   : g_strdup_printf ("%s → %s", before, after);
  gtk_label_set_text (GTK_LABEL (self->panes[2].label), title);
  Pane *p = &self->panes[2];
  g_clear_pointer (&p->legend_title, g_free);
  g_autofree char *text = NULL;
  gboolean have_volume = aet_viewer_get_volume (v) != NULL;
  if (self->diff_busy || self->diff_dirty)
    text = g_strdup ("Computing the difference…");
  else if (volumes)
    {
      if (self->diff_volume_mismatch)
        text = g_strdup_printf ("No volume difference: %s and %s have different sizes", before,
                                after);
      else if (!have_volume)
        text = g_strdup_printf ("No volume difference: %s or %s has no volume", before, after);
      else if (mode == AET_VIEW_ISO)
        text = g_strdup_printf ("Where |%s − %s| exceeds %.0f %% of %.3g (each volume scaled "
                                "to its %.1fth percentile): red where %s is denser, blue where "
                                "%s is denser", after, before, 100 * aet_viewer_get_iso_level (v),
                                aet_viewer_get_signed_bound (v), PEAK_PERCENTILE, after,
                                before);
      else
        {
          text = g_strdup_printf ("Layer %+d of %s − %s, each volume scaled to its %.1fth "
                                  "percentile: red where %s is denser, blue where %s is denser",
                                  aet_viewer_get_layer_index (v), after, before,
                                  PEAK_PERCENTILE, after, before);
          p->legend_title = g_strdup_printf ("%s − %s", after, before);
        }
    }
  else if (self->diff_atoms == 0)
    text = g_strdup_printf ("No displacement: %s or %s has no atom model", before, after);
  else
    {
      text = g_strdup_printf ("%s atoms coloured by the distance to their matched %s atom "
                              "(%zu of %zu matched within %.1f Å; grey: no match)",
                              before, after, self->diff_matched, self->diff_atoms,
                              MATCH_DISTANCE);
      p->legend_title = g_strdup_printf ("distance to %s (pm)", after);
    }
  gtk_label_set_text (GTK_LABEL (self->caption), text);
  gtk_widget_queue_draw (p->legend);
}

const char *
aet_compare_view_get_caption (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->caption));
}

/* ---- linked viewers ---------------------------------------------------- */

/* The difference pane shows atoms where the others show facets: facets
 * are no difference. */
static AetViewMode
mode_for (AetCompareView *self, guint pane, AetViewMode mode)
{
  if (pane == AET_COMPARE_PANE_DIFFERENCE && mode == AET_VIEW_FACETS)
    return AET_VIEW_ATOMS;
  return mode;
}

/* Main thread: one viewer's camera moved; the others copy it.  The copy
 * emits nothing, and `syncing` guards against any echo. */
static void
camera_changed (AetViewer *viewer, AetCompareView *self)
{
  if (self->syncing)
    return;
  self->syncing = TRUE;
  for (int i = 0; i < 3; i++)
    if (pane_viewer (self, i) != viewer)
      aet_viewer_copy_camera (pane_viewer (self, i), aet_viewer_get_camera (viewer));
  self->syncing = FALSE;
}

/* Main thread: keys 1–4 or PageUp/Down on one viewer apply to all. */
static void
mode_changed (AetViewer *viewer, GParamSpec *pspec, AetCompareView *self)
{
  if (self->syncing)
    return;
  self->syncing = TRUE;
  AetViewMode mode = aet_viewer_get_view_mode (viewer);
  for (guint i = 0; i < 3; i++)
    {
      AetViewer *v = pane_viewer (self, i);
      if (v != viewer)
        aet_viewer_set_view_mode (v, mode_for (self, i, mode));
      if (v != viewer)
        aet_viewer_set_layer_index (v, aet_viewer_get_layer_index (viewer));
    }
  /* a key on the difference pane itself asked for facets */
  AetViewer *d = pane_viewer (self, AET_COMPARE_PANE_DIFFERENCE);
  aet_viewer_set_view_mode (d, mode_for (self, AET_COMPARE_PANE_DIFFERENCE, mode));
  self->syncing = FALSE;
  update_legends (self);
  update_caption (self);
}

/* ---- layout ------------------------------------------------------------ */

static void
apply_layout (AetCompareView *self)
{
  gboolean cmp = self->comparing;
  AetCompareLayout l = self->layout;
  gboolean split = cmp && l == AET_COMPARE_SPLIT;
  gboolean diff = cmp && l == AET_COMPARE_DIFFERENCE;
  AetViewer *v0 = pane_viewer (self, 0);
  /* the keys stay with the view when its viewer is hidden */
  gboolean had_focus = FALSE;
  for (int i = 0; i < 3; i++)
    had_focus |= gtk_widget_has_focus (GTK_WIDGET (pane_viewer (self, i)));
  if (cmp)
    for (int i = 1; i < 3; i++)
      aet_viewer_copy_camera (pane_viewer (self, i), aet_viewer_get_camera (v0));
  gtk_widget_set_visible (self->panes[0].overlay, !diff);
  gtk_widget_set_visible (self->panes[1].overlay, cmp && l == AET_COMPARE_SIDE_BY_SIDE);
  gtk_widget_set_visible (self->panes[2].overlay, diff);
  gtk_widget_set_visible (self->panes[0].label, cmp && !diff);
  aet_viewer_set_split (v0, split ? pane_viewer (self, 1) : NULL);
  aet_viewer_set_divider (v0, self->divider);
  gtk_widget_set_visible (self->handle, split);
  gtk_widget_set_visible (self->split_label, split);
  update_legends (self);
  AetViewer *front = pane_viewer (self, diff ? AET_COMPARE_PANE_DIFFERENCE : 0);
  if (had_focus && !gtk_widget_has_focus (GTK_WIDGET (front)))
    gtk_widget_grab_focus (GTK_WIDGET (front));
  if (diff && (self->diff_dirty || self->diff_generation == 0))
    start_difference (self);
  update_caption (self);
}

/* ---- the divider handle ------------------------------------------------ */

/* Main thread: a white line with a round grip, the classic slider. */
static void
draw_handle (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  gdouble cx = width / 2.0, cy = height / 2.0;
  cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
  cairo_rectangle (cr, cx - 2, 0, 4, height);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, cx - 1, 0, 2, height);
  cairo_fill (cr);
  cairo_arc (cr, cx, cy, width / 2.0 - 1, 0, 2 * G_PI);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.45);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  /* ◂ ▸ */
  cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
  for (int s = -1; s <= 1; s += 2)
    {
      cairo_move_to (cr, cx + s * 2, cy - 4);
      cairo_line_to (cr, cx + s * 7, cy);
      cairo_line_to (cr, cx + s * 2, cy + 4);
      cairo_close_path (cr);
      cairo_fill (cr);
    }
}

/* Main thread: GtkOverlay asks where the handle goes — at the divider. */
static gboolean
handle_position (GtkOverlay *overlay, GtkWidget *child, GdkRectangle *alloc,
                 AetCompareView *self)
{
  if (child != self->handle)
    return FALSE;
  int w = gtk_widget_get_width (GTK_WIDGET (overlay));
  alloc->x = (int) lround (self->divider * w) - HANDLE_WIDTH / 2;
  alloc->y = 0;
  alloc->width = HANDLE_WIDTH;
  alloc->height = gtk_widget_get_height (GTK_WIDGET (overlay));
  return TRUE;
}

static void
handle_drag_begin (GtkGestureDrag *gesture, gdouble x, gdouble y, AetCompareView *self)
{
  self->drag_divider = self->divider;
}

static void
handle_drag_update (GtkGestureDrag *gesture, gdouble dx, gdouble dy, AetCompareView *self)
{
  int w = gtk_widget_get_width (self->panes[0].overlay);
  if (w > 0)
    aet_compare_view_set_divider (self, self->drag_divider + dx / w);
}

/* ---- actions (main thread) --------------------------------------------- */

static void
action_move_divider (GtkWidget *widget, const char *name, GVariant *param)
{
  AetCompareView *self = AET_COMPARE_VIEW (widget);
  if (self->comparing && self->layout == AET_COMPARE_SPLIT)
    aet_compare_view_set_divider (self, self->divider + g_variant_get_double (param));
}

/* S and D: into the split or difference layout (comparing if not yet), or
 * back to side by side when already there. */
static void
action_toggle_layout (GtkWidget *widget, const char *name, GVariant *param)
{
  AetCompareView *self = AET_COMPARE_VIEW (widget);
  gint layout = aet_compare_layout_from_string (g_variant_get_string (param, NULL));
  if (layout < 0)
    return;
  if (self->comparing && self->layout == (AetCompareLayout) layout)
    aet_compare_view_set_layout (self, AET_COMPARE_SIDE_BY_SIDE);
  else
    {
      aet_compare_view_set_layout (self, layout);
      aet_compare_view_set_comparing (self, TRUE);
    }
}

/* ---- GL context -------------------------------------------------------- */

/* Main thread (GtkGLArea::create-context of each viewer): one context for
 * all viewers, so a split view can draw the other viewer's scene.  NULL
 * lets GtkGLArea make a context of its own (the split then shows only the
 * left scene). */
static GdkGLContext *
create_context (GtkGLArea *area, AetCompareView *self)
{
  if (self->gl_context == NULL)
    {
      g_autoptr (GError) error = NULL;
      GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (GTK_WIDGET (area)));
      g_autoptr (GdkGLContext) context = gdk_surface_create_gl_context (surface, &error);
      if (context != NULL)
        {
          gdk_gl_context_set_required_version (context, 3, 3);
          if (!gdk_gl_context_realize (context, &error))
            g_clear_object (&context);
        }
      if (context == NULL)
        {
          g_debug ("shared GL context: %s", error->message);
          return NULL;
        }
      self->gl_context = g_steal_pointer (&context);
    }
  return g_object_ref (self->gl_context);
}

/* ---- GObject ----------------------------------------------------------- */

static void
aet_compare_view_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  AetCompareView *self = AET_COMPARE_VIEW (object);
  switch (id)
    {
    case PROP_COMPARING:
      g_value_set_boolean (value, self->comparing);
      break;
    case PROP_LAYOUT:
      g_value_set_int (value, self->layout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
aet_compare_view_unrealize (GtkWidget *widget)
{
  AetCompareView *self = AET_COMPARE_VIEW (widget);
  /* the viewers are unrealized first and drop their references */
  GTK_WIDGET_CLASS (aet_compare_view_parent_class)->unrealize (widget);
  g_clear_object (&self->gl_context);
}

static void
aet_compare_view_dispose (GObject *object)
{
  AetCompareView *self = AET_COMPARE_VIEW (object);
  g_clear_handle_id (&self->diff_idle, g_source_remove);
  if (self->panes[0].viewer != NULL)
    aet_viewer_set_split (self->panes[0].viewer, NULL);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  for (int i = 0; i < 3; i++)
    {
      self->panes[i].viewer = NULL;
      g_clear_pointer (&self->panes[i].legend_title, g_free);
    }
  g_clear_object (&self->gl_context);
  G_OBJECT_CLASS (aet_compare_view_parent_class)->dispose (object);
}

static void
aet_compare_view_class_init (AetCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = aet_compare_view_dispose;
  object_class->get_property = aet_compare_view_get_property;
  widget_class->unrealize = aet_compare_view_unrealize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "aetcompareview");

  properties[PROP_COMPARING] = g_param_spec_boolean (
    "comparing", NULL, NULL, FALSE,
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAYOUT] = g_param_spec_int (
    "layout", NULL, NULL, 0, AET_N_COMPARE_LAYOUTS - 1, 0,
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "compare.move-divider", "d",
                                   action_move_divider);
  gtk_widget_class_install_action (widget_class, "compare.toggle-layout", "s",
                                   action_toggle_layout);
  /* keys that reach the compare view from a focused viewer */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketleft, 0,
                                       "compare.move-divider", "d", -DIVIDER_STEP);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketright, 0,
                                       "compare.move-divider", "d", DIVIDER_STEP);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, 0, "compare.toggle-layout", "s",
                                       "split");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, 0, "compare.toggle-layout", "s",
                                       "difference");
}

static GtkWidget *
new_legend (Pane *pane)
{
  GtkWidget *legend = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (legend), 220);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (legend), 38);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (legend), draw_legend, pane, NULL);
  gtk_widget_set_halign (legend, GTK_ALIGN_END);
  gtk_widget_set_valign (legend, GTK_ALIGN_END);
  gtk_widget_set_margin_start (legend, 10);
  gtk_widget_set_margin_end (legend, 10);
  gtk_widget_set_margin_bottom (legend, 10);
  gtk_widget_set_can_target (legend, FALSE);
  gtk_widget_set_visible (legend, FALSE);
  return legend;
}

static GtkWidget *
new_label (const char *text, GtkAlign halign)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_widget_add_css_class (label, "aet-viewer-label");
  gtk_widget_set_halign (label, halign);
  gtk_widget_set_valign (label, GTK_ALIGN_START);
  gtk_widget_set_can_target (label, FALSE);
  return label;
}

static void
aet_compare_view_init (AetCompareView *self)
{
  self->divider = 0.5;
  self->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  gtk_box_set_homogeneous (GTK_BOX (self->box), TRUE);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  static const char *const labels[3] = { "Before", "After", "After − Before" };
  for (int i = 0; i < 3; i++)
    {
      Pane *p = &self->panes[i];
      p->overlay = gtk_overlay_new ();
      p->viewer = AET_VIEWER (aet_viewer_new ());
      g_signal_connect (p->viewer, "create-context", G_CALLBACK (create_context), self);
      gtk_overlay_set_child (GTK_OVERLAY (p->overlay), GTK_WIDGET (p->viewer));
      p->label = new_label (labels[i], GTK_ALIGN_START);
      gtk_overlay_add_overlay (GTK_OVERLAY (p->overlay), p->label);
      p->legend = new_legend (p);
      gtk_overlay_add_overlay (GTK_OVERLAY (p->overlay), p->legend);
      g_signal_connect (p->viewer, "legend-changed", G_CALLBACK (legend_changed), self);
      g_signal_connect (p->viewer, "camera-changed", G_CALLBACK (camera_changed), self);
      g_signal_connect (p->viewer, "notify::view-mode", G_CALLBACK (mode_changed), self);
      g_signal_connect (p->viewer, "notify::layer-index", G_CALLBACK (mode_changed), self);
      if (i < 2)
        g_signal_connect (p->viewer, "data-changed", G_CALLBACK (data_changed), self);
      gtk_box_append (GTK_BOX (self->box), p->overlay);
    }
  /* the split view's parts, over pane 0 */
  GtkOverlay *o0 = GTK_OVERLAY (self->panes[0].overlay);
  self->split_label = new_label (labels[1], GTK_ALIGN_END);
  gtk_overlay_add_overlay (o0, self->split_label);
  self->split_legend = new_legend (&self->panes[1]);
  gtk_overlay_add_overlay (o0, self->split_legend);
  self->handle = gtk_drawing_area_new ();
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->handle), draw_handle, NULL, NULL);
  gtk_widget_set_cursor_from_name (self->handle, "col-resize");
  gtk_widget_set_tooltip_text (self->handle, "Drag to move the divider ([ and ] move it too)");
  GtkGesture *drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-begin", G_CALLBACK (handle_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (handle_drag_update), self);
  gtk_widget_add_controller (self->handle, GTK_EVENT_CONTROLLER (drag));
  gtk_overlay_add_overlay (o0, self->handle);
  g_signal_connect (o0, "get-child-position", G_CALLBACK (handle_position), self);

  /* what the difference pane shows, under its title */
  self->caption = gtk_label_new ("");
  gtk_widget_add_css_class (self->caption, "aet-viewer-caption");
  gtk_label_set_wrap (GTK_LABEL (self->caption), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->caption), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (self->caption), 70);
  gtk_widget_set_halign (self->caption, GTK_ALIGN_START);
  gtk_widget_set_valign (self->caption, GTK_ALIGN_START);
  gtk_widget_set_margin_top (self->caption, 38);
  gtk_widget_set_can_target (self->caption, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->panes[2].overlay), self->caption);

  AetViewer *d = pane_viewer (self, AET_COMPARE_PANE_DIFFERENCE);
  aet_viewer_set_color_column (d, "moved_pm");
  /* its iso-surface is coloured by the sign of the difference */
  const gfloat gold[3] = { 0.85f, 0.70f, 0.35f };
  aet_scene_set_mesh_appearance (aet_viewer_get_scene (d), gold, 1.0f, TRUE);
  self->diff_dirty = TRUE;
  apply_layout (self);
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
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self) && pane < 3, NULL);
  return self->panes[pane].viewer;
}

void
aet_compare_view_set_comparing (AetCompareView *self, gboolean comparing)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  comparing = !!comparing;
  if (comparing == self->comparing)
    return;
  self->comparing = comparing;
  apply_layout (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPARING]);
}

gboolean
aet_compare_view_get_comparing (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), FALSE);
  return self->comparing;
}

void
aet_compare_view_set_layout (AetCompareView *self, AetCompareLayout layout)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self) && layout < AET_N_COMPARE_LAYOUTS);
  if (layout == self->layout)
    return;
  self->layout = layout;
  apply_layout (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYOUT]);
}

AetCompareLayout
aet_compare_view_get_layout (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), AET_COMPARE_SIDE_BY_SIDE);
  return self->layout;
}

void
aet_compare_view_set_divider (AetCompareView *self, gdouble position)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  if (!isfinite (position))
    return;
  self->divider = CLAMP (position, 0.0, 1.0);
  aet_viewer_set_divider (pane_viewer (self, 0), self->divider);
  gtk_widget_queue_allocate (self->panes[0].overlay);
}

gdouble
aet_compare_view_get_divider (AetCompareView *self)
{
  g_return_val_if_fail (AET_IS_COMPARE_VIEW (self), 0.5);
  return self->divider;
}

void
aet_compare_view_set_label (AetCompareView *self, guint pane, const char *label)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self) && pane < 2);
  gtk_label_set_text (GTK_LABEL (self->panes[pane].label), label);
  if (pane == 1)
    gtk_label_set_text (GTK_LABEL (self->split_label), label);
  update_caption (self);
}

void
aet_compare_view_set_view_mode (AetCompareView *self, AetViewMode mode)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  self->syncing = TRUE;
  for (guint i = 0; i < 3; i++)
    aet_viewer_set_view_mode (pane_viewer (self, i), mode_for (self, i, mode));
  self->syncing = FALSE;
  update_legends (self);
  update_caption (self);
}

void
aet_compare_view_set_iso_level (AetCompareView *self, gdouble fraction)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 3; i++)
    aet_viewer_set_iso_level (pane_viewer (self, i), fraction);
  update_caption (self);
}

void
aet_compare_view_set_color_column (AetCompareView *self, const char *column)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 2; i++)
    aet_viewer_set_color_column (pane_viewer (self, i), column);
}

void
aet_compare_view_step_layer (AetCompareView *self, gint steps)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  AetViewer *lead = pane_viewer (self, showing_difference (self) ? 2 : 0);
  self->syncing = TRUE;
  aet_viewer_step_layer (lead, steps);
  for (int i = 0; i < 3; i++)
    aet_viewer_set_layer_index (pane_viewer (self, i), aet_viewer_get_layer_index (lead));
  self->syncing = FALSE;
  update_caption (self);
}

void
aet_compare_view_set_lattice (AetCompareView *self, const gdouble rotation[9], gdouble a)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 3; i++)
    aet_viewer_set_lattice (pane_viewer (self, i), rotation, a);
}

void
aet_compare_view_set_substrate (AetCompareView *self, gboolean show, const gdouble point[3],
                                const gdouble normal[3], gdouble radius)
{
  g_return_if_fail (AET_IS_COMPARE_VIEW (self));
  for (int i = 0; i < 3; i++)
    aet_viewer_set_substrate (pane_viewer (self, i), show, point, normal, radius);
}
