#define G_LOG_DOMAIN "aet-stage-list"

#include "aet-stage-list.h"

typedef struct
{
  GtkWidget *row;
  GtkWidget *icon;
  GtkWidget *title;
  GtkWidget *detail;
  GtkWidget *progress;
  AetStageState state;
} StageRow;

struct _AetStageList
{
  GtkWidget parent_instance;
  GtkWidget *list;
  StageRow rows[AET_N_STAGES];
};

G_DEFINE_FINAL_TYPE (AetStageList, aet_stage_list, GTK_TYPE_WIDGET)

static const char *
state_icon (AetStageState state)
{
  switch (state)
    {
    case AET_STAGE_RUNNING:
      return "media-playback-start-symbolic";
    case AET_STAGE_DONE:
    case AET_STAGE_UP_TO_DATE:
      return "object-select-symbolic";
    case AET_STAGE_FAILED:
      return "dialog-error-symbolic";
    case AET_STAGE_CANCELLED:
      return "process-stop-symbolic";
    case AET_STAGE_NOT_NEEDED:
      return "list-remove-symbolic";
    case AET_STAGE_WAITING:
    default:
      return "content-loading-symbolic";
    }
}

static const char *
state_text (AetStageState state)
{
  switch (state)
    {
    case AET_STAGE_RUNNING:
      return "running";
    case AET_STAGE_DONE:
      return "done";
    case AET_STAGE_UP_TO_DATE:
      return "up to date";
    case AET_STAGE_FAILED:
      return "failed";
    case AET_STAGE_CANCELLED:
      return "cancelled";
    case AET_STAGE_NOT_NEEDED:
      return "not needed";
    case AET_STAGE_WAITING:
    default:
      return "waiting";
    }
}

static void
aet_stage_list_dispose (GObject *object)
{
  AetStageList *self = AET_STAGE_LIST (object);
  g_clear_pointer (&self->list, gtk_widget_unparent);
  G_OBJECT_CLASS (aet_stage_list_parent_class)->dispose (object);
}

static void
aet_stage_list_class_init (AetStageListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = aet_stage_list_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "aetstagelist");
}

static void
aet_stage_list_init (AetStageList *self)
{
  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  gtk_widget_set_parent (self->list, GTK_WIDGET (self));

  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    {
      StageRow *r = &self->rows[s];
      GtkWidget *grid = gtk_grid_new ();
      gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
      gtk_widget_set_margin_start (grid, 8);
      gtk_widget_set_margin_end (grid, 8);
      gtk_widget_set_margin_top (grid, 6);
      gtk_widget_set_margin_bottom (grid, 6);
      r->icon = gtk_image_new_from_icon_name (state_icon (AET_STAGE_WAITING));
      gtk_widget_set_valign (r->icon, GTK_ALIGN_START);
      r->title = gtk_label_new (aet_stage_label (s));
      gtk_label_set_xalign (GTK_LABEL (r->title), 0);
      gtk_widget_set_hexpand (r->title, TRUE);
      gtk_widget_add_css_class (r->title, "heading");
      r->detail = gtk_label_new (state_text (AET_STAGE_WAITING));
      gtk_label_set_xalign (GTK_LABEL (r->detail), 0);
      gtk_label_set_ellipsize (GTK_LABEL (r->detail), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (r->detail, "dim-label");
      gtk_widget_add_css_class (r->detail, "caption");
      r->progress = gtk_progress_bar_new ();
      gtk_widget_set_visible (r->progress, FALSE);
      gtk_grid_attach (GTK_GRID (grid), r->icon, 0, 0, 1, 2);
      gtk_grid_attach (GTK_GRID (grid), r->title, 1, 0, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), r->detail, 1, 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), r->progress, 1, 2, 1, 1);
      r->row = gtk_list_box_row_new ();
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (r->row), grid);
      gtk_list_box_append (GTK_LIST_BOX (self->list), r->row);
      r->state = AET_STAGE_WAITING;
    }
}

GtkWidget *
aet_stage_list_new (void)
{
  return g_object_new (AET_TYPE_STAGE_LIST, NULL);
}

void
aet_stage_list_set_state (AetStageList *self, AetStageId stage, AetStageState state,
                          const char *detail)
{
  g_return_if_fail (AET_IS_STAGE_LIST (self) && stage < AET_N_STAGES);
  StageRow *r = &self->rows[stage];
  r->state = state;
  gtk_image_set_from_icon_name (GTK_IMAGE (r->icon), state_icon (state));
  gtk_label_set_text (GTK_LABEL (r->detail), detail != NULL ? detail : state_text (state));
  gtk_widget_set_tooltip_text (r->detail, detail);
  gtk_widget_set_visible (r->progress, state == AET_STAGE_RUNNING);
  if (state == AET_STAGE_RUNNING)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (r->progress), 0.0);
  gtk_widget_remove_css_class (r->row, "aet-stage-failed");
  gtk_widget_remove_css_class (r->row, "aet-stage-running");
  if (state == AET_STAGE_FAILED)
    gtk_widget_add_css_class (r->row, "aet-stage-failed");
  if (state == AET_STAGE_RUNNING)
    gtk_widget_add_css_class (r->row, "aet-stage-running");
}

void
aet_stage_list_set_progress (AetStageList *self, AetStageId stage, gdouble fraction,
                             const char *message)
{
  g_return_if_fail (AET_IS_STAGE_LIST (self) && stage < AET_N_STAGES);
  StageRow *r = &self->rows[stage];
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (r->progress), CLAMP (fraction, 0.0, 1.0));
  if (message != NULL)
    gtk_label_set_text (GTK_LABEL (r->detail), message);
}

void
aet_stage_list_reset (AetStageList *self)
{
  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    aet_stage_list_set_state (self, s, AET_STAGE_WAITING, NULL);
}

AetStageState
aet_stage_list_get_state (AetStageList *self, AetStageId stage)
{
  return self->rows[stage].state;
}
