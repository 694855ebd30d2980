#define G_LOG_DOMAIN "aet-window"

#include "aet-window.h"

#include "aet-export-dialog.h"
#include "aet-atom-density.h"
#include "aet-report-plots.h"

#include <math.h>

#include "aet-elements.h"
#include "aet-error.h"
#include "aet-match.h"
#include "aet-mrc.h"
#include "aet-offscreen.h"
#include "aet-augment-consistent.h"
#include "aet-pipeline.h"
#include "aet-shapes.h"
#include "aet-project-file.h"
#include "aet-reconstruct.h"
#include "aet-report.h"
#include "aet-simulate.h"
#include "aet-tilt-series-io.h"
#include "aet-trace.h"
#include "aet-train.h"
#include "aet-weights.h"
#include "aet-xyz.h"

/* ---- run events (pipeline thread → main) ------------------------------ */

/* One pipeline event, copied so it can cross to the main loop. */
typedef struct
{
  GWeakRef window;
  guint token;             /* the window's run token when the run started */
  AetPipelineEventKind kind;
  AetStageId stage;
  AetStageState state;
  gdouble fraction;
  char *message;
  char *name;
  AetVolume *volume;
  AetAtoms *atoms;
  gboolean final;
  GError *error;
  gdouble *iteration_error; /* the reconstruction error per iteration so far */
  guint n_iterations;
} RunEvent;

/* What the pipeline callback needs; freed by the callback itself after
 * the run's last event (FINISHED). */
typedef struct
{
  GWeakRef window;
  guint token;
  gint64 last_progress_us;
} RunContext;

struct _AetWindow
{
  GtkApplicationWindow parent_instance;

  /* template children */
  GtkWidget *title_label;
  GtkWidget *subtitle_label;
  GtkWidget *error_revealer;
  GtkWidget *error_label;
  GtkWidget *sidebar_box;
  GtkWidget *center_box;
  GtkWidget *inspector_scroller;
  GtkWidget *status_label;
  GtkWidget *progress_bar;
  GtkWidget *run_stack;

  AetCompareView *compare;
  AetStageList *stages;
  AetInspector *inspector;
  GtkWidget *method_drop;
  GtkWidget *iterations_spin;
  GtkWidget *min_distance_spin;
  GtkWidget *flips_check;
  GtkWidget *passes_spin;
  GtkWidget *refine_check;
  GtkWidget *network_label;
  GtkWidget *iso_scale;
  GtkWidget *color_drop;
  GtkWidget *view_label;
  GtkWidget *layer_controls;
  GtkWidget *empty_state;
  GtkWidget *substrate_check;
  gboolean substrate_known; /* the data were simulated on a substrate */

  /* the data (main thread; snapshots, never written) */
  AetTiltSeries *tilts;
  AetVolume *recon;
  AetVolume *target;  /* the simulated truth as a volume, for comparison */
  AetVolume *augmented;
  AetAtoms *traced;
  AetAtoms *traced_after;
  AetAtoms *refined;   /* traced_after refined against the projections, when run */
  AetAtoms *truth;
  AetAnalysis *analysis;
  GArray *recon_error;
  guint error_plot_timeout;   /* a live error plot waiting for its turn */
  gint64 error_plot_us;       /* when the error plot was last redrawn */
  char *project_path;
  char *last_folder;

  AetPipeline *pipeline; /* owns the project; NULL before anything is opened */
  gboolean running;      /* a run of the pipeline is active */
  guint token;           /* of the current run and data; older events are dropped */
  guint loads;           /* file loads, saves and analyses in flight */
};

G_DEFINE_FINAL_TYPE (AetWindow, aet_window, GTK_TYPE_APPLICATION_WINDOW)

static const char *const color_columns[] = { "element", "facet", "coordination",
                                             "displacement_pm", "strain_vol",
                                             "uncertainty_pm", NULL };

static void
show_error (AetWindow *self, const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), message);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), TRUE);
  gtk_label_set_text (GTK_LABEL (self->status_label), message);
}

const char *
aet_window_get_error (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), NULL);
  if (!gtk_revealer_get_reveal_child (GTK_REVEALER (self->error_revealer)))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->error_label));
}

static AetViewer *
viewer (AetWindow *self, guint pane)
{
  return aet_compare_view_get_viewer (self->compare, pane);
}

static void
update_busy (AetWindow *self)
{
  gboolean running = self->running;
  gtk_stack_set_visible_child_name (GTK_STACK (self->run_stack), running ? "cancel" : "run");
  GAction *run = g_action_map_lookup_action (G_ACTION_MAP (self), "run");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (run),
                               !running && self->pipeline != NULL);
  GAction *cancel = g_action_map_lookup_action (G_ACTION_MAP (self), "cancel");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (cancel), running);
  /* realignment needs a refinement's geometry to start from */
  GAction *realign = g_action_map_lookup_action (G_ACTION_MAP (self), "realign");
  g_simple_action_set_enabled (
    G_SIMPLE_ACTION (realign),
    !running && self->pipeline != NULL
      && aet_project_get_param (aet_pipeline_get_project (self->pipeline),
                                "result/refine/geometry")
           != NULL);
  if (!running && self->loads == 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 0);
}

gboolean
aet_window_is_busy (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), FALSE);
  return self->running || self->loads > 0;
}

/* Main thread: *slot holds a new reference to v (or NULL), the old one is
 * released. */
static void
replace_volume (AetVolume **slot, AetVolume *v)
{
  AetVolume *old = *slot;
  *slot = v != NULL ? aet_volume_ref (v) : NULL;
  aet_volume_unref (old);
}

static void
replace_atoms (AetAtoms **slot, AetAtoms *a)
{
  AetAtoms *old = *slot;
  *slot = a != NULL ? aet_atoms_ref (a) : NULL;
  aet_atoms_unref (old);
}

static void
set_subtitle (AetWindow *self, const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->subtitle_label), text != NULL ? text : "");
}

/* The model after augmentation as shown: refined against the projections
 * when that stage ran, else as traced (borrowed). */
static AetAtoms *
after_atoms (AetWindow *self)
{
  return self->refined != NULL ? self->refined : self->traced_after;
}

/* The second pane shows what the first is compared with: the augmented
 * volume once there is one, else the simulated truth. */
static void
update_compare_sources (AetWindow *self)
{
  AetViewer *b = viewer (self, 1);
  if (self->augmented != NULL)
    {
      aet_compare_view_set_label (self->compare, 0, "Before");
      aet_compare_view_set_label (self->compare, 1, "After");
      if (aet_viewer_get_volume (b) != self->augmented)
        aet_viewer_set_volume (b, self->augmented);
      if (aet_viewer_get_atoms (b) != after_atoms (self))
        aet_viewer_set_atoms (b, after_atoms (self));
    }
  else if (self->target != NULL)
    {
      aet_compare_view_set_label (self->compare, 0, "Reconstruction");
      aet_compare_view_set_label (self->compare, 1, "Truth");
      if (aet_viewer_get_volume (b) != self->target)
        aet_viewer_set_volume (b, self->target);
      if (aet_viewer_get_atoms (b) != self->truth)
        aet_viewer_set_atoms (b, self->truth);
    }
}

/* Main thread: the substrate disk under the interface the analysis found
 * (in every pane: they show one particle in one frame), if it found one
 * and the toggle is on; the toggle is enabled only then. */
static void set_substrate_known (AetWindow *self, gboolean known);

static void
update_substrate (AetWindow *self)
{
  const AetAnalysis *a = self->analysis;
  gboolean found = a != NULL && a->interface_facet >= 0 && self->traced != NULL
                   && self->traced->n_atoms > 0;
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-substrate");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), found);
  gtk_widget_set_tooltip_text (self->substrate_check,
                               found ? "The substrate under the interface facet the analysis "
                                       "found, as a translucent disk"
                                     : "No interface with a substrate was found");
  g_autoptr (GVariant) state = g_action_get_state (action);
  if (!found || !g_variant_get_boolean (state))
    {
      aet_compare_view_set_substrate (self->compare, FALSE, NULL, NULL, 0);
      return;
    }
  /* the disk lies in the interface plane n·p = offset, centred under the
   * particle's centroid, and reaches a little beyond the particle */
  const gdouble *n = a->interface_normal, *c = a->centre;
  gdouble nc = n[0] * c[0] + n[1] * c[1] + n[2] * c[2];
  gdouble point[3];
  for (int k = 0; k < 3; k++)
    point[k] = c[k] + (a->interface_offset - nc) * n[k];
  gdouble r2 = 0;
  const gdouble *p = self->traced->positions;
  for (gsize i = 0; i < self->traced->n_atoms; i++)
    {
      gdouble d[3], dn = 0;
      for (int k = 0; k < 3; k++)
        {
          d[k] = p[3 * i + k] - c[k];
          dn += d[k] * n[k];
        }
      gdouble in_plane = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] - dn * dn;
      r2 = MAX (r2, in_plane);
    }
  aet_compare_view_set_substrate (self->compare, TRUE, point, n, MAX (5.0, 1.3 * sqrt (r2)));
}

static void
show_analysis (AetWindow *self, const AetMatchStats *match)
{
  /* the model after augmentation against the truth, beside the one before */
  AetMatchStats after = { 0 };
  AetAtoms *model = after_atoms (self);
  gboolean have_after = model != NULL && self->truth != NULL
                        && aet_match_atoms (self->truth, model, 0.9, &after, FALSE, NULL);
  aet_inspector_set_analysis (self->inspector, self->traced, self->analysis, match, model,
                              have_after ? &after : NULL);
  if (self->analysis != NULL)
    aet_compare_view_set_lattice (self->compare, self->analysis->lattice.rotation,
                                  self->analysis->lattice.a);
  if (self->recon_error != NULL)
    aet_inspector_set_recon_error (self->inspector, (const gdouble *) self->recon_error->data,
                                   self->recon_error->len);
  update_substrate (self);
}

/* Main thread: redraws the error plot from the newest curve. */
static gboolean
plot_live_error (gpointer data)
{
  AetWindow *self = data;
  self->error_plot_timeout = 0;
  self->error_plot_us = g_get_monotonic_time ();
  if (self->recon_error != NULL)
    aet_inspector_set_recon_error (self->inspector, (const gdouble *) self->recon_error->data,
                                   self->recon_error->len);
  return G_SOURCE_REMOVE;
}

/* Main thread: a longer error curve arrived while GENFIRE runs.  The plot
 * is redrawn at most every 250 ms (a plot costs a few ms; iterations may
 * come much faster); a curve that arrives sooner waits for its turn and is
 * replaced by any newer one meanwhile. */
static void
update_live_error (AetWindow *self, const gdouble *error, guint n)
{
  g_clear_pointer (&self->recon_error, g_array_unref);
  self->recon_error = g_array_sized_new (FALSE, FALSE, sizeof (gdouble), n);
  g_array_append_vals (self->recon_error, error, n);
  if (self->error_plot_timeout != 0)
    return;
  gint64 wait_us = self->error_plot_us + 250000 - g_get_monotonic_time ();
  if (wait_us <= 0)
    plot_live_error (self);
  else
    self->error_plot_timeout = g_timeout_add ((guint) (wait_us / 1000) + 1, plot_live_error,
                                              self);
}

/* ---- the run ----------------------------------------------------------- */

static void
run_event_free (gpointer data)
{
  RunEvent *ev = data;
  g_weak_ref_clear (&ev->window);
  g_free (ev->message);
  g_free (ev->name);
  g_clear_pointer (&ev->volume, aet_volume_unref);
  g_clear_pointer (&ev->atoms, aet_atoms_unref);
  g_clear_error (&ev->error);
  g_free (ev->iteration_error);
  g_free (ev);
}

static gboolean handle_event (gpointer data);

/* Pipeline thread: copies the event (new references to its snapshots) and
 * posts it to the main loop.  Progress is thinned to 20 events a second so
 * the main loop is never flooded.  No GTK here. */
static void
pipeline_event (const AetPipelineEvent *event, gpointer user_data)
{
  RunContext *ctx = user_data;
  if (event->kind == AET_PIPELINE_EVENT_PROGRESS)
    {
      gint64 now = g_get_monotonic_time ();
      if (now - ctx->last_progress_us < 50000 && event->fraction < 1.0)
        return;
      ctx->last_progress_us = now;
    }
  RunEvent *ev = g_new0 (RunEvent, 1);
  GObject *w = g_weak_ref_get (&ctx->window);
  g_weak_ref_init (&ev->window, w);
  g_clear_object (&w);
  ev->token = ctx->token;
  ev->kind = event->kind;
  ev->stage = event->stage;
  ev->state = event->state;
  ev->fraction = event->fraction;
  ev->message = g_strdup (event->message);
  ev->name = g_strdup (event->name);
  ev->volume = event->volume != NULL ? aet_volume_ref (event->volume) : NULL;
  ev->atoms = event->atoms != NULL ? aet_atoms_ref (event->atoms) : NULL;
  ev->final = event->final;
  ev->error = event->error != NULL ? g_error_copy (event->error) : NULL;
  if (event->iteration_error != NULL && event->n_iterations > 0)
    {
      ev->iteration_error = g_memdup2 (event->iteration_error,
                                       event->n_iterations * sizeof (gdouble));
      ev->n_iterations = event->n_iterations;
    }
  g_idle_add_full (G_PRIORITY_DEFAULT, handle_event, ev, run_event_free);
  if (event->kind == AET_PIPELINE_EVENT_FINISHED)
    {
      g_weak_ref_clear (&ctx->window);
      g_free (ctx);
    }
}

/* Any thread: frees a pipeline (cancelling and joining its run). */
static gpointer
free_pipeline_thread (gpointer data)
{
  aet_pipeline_free (data);
  return NULL;
}

/* Main thread: replaces the window's pipeline.  An old one still running
 * is cancelled and joined on a thread of its own, so the main thread never
 * waits for it; its late events carry an old token and are dropped. */
static void update_network_label (AetWindow *self);

static void
set_pipeline (AetWindow *self, AetPipeline *pipeline)
{
  self->token++;
  if (self->pipeline != NULL)
    {
      if (self->running)
        {
          aet_pipeline_cancel (self->pipeline);
          g_thread_unref (g_thread_new ("aet-pipeline-free", free_pipeline_thread,
                                        self->pipeline));
        }
      else
        aet_pipeline_free (self->pipeline);
    }
  self->pipeline = pipeline;
  self->running = FALSE;
  update_network_label (self);
  if (self->empty_state != NULL)
    gtk_widget_set_visible (self->empty_state, pipeline == NULL);
}

static void start_analysis (AetWindow *self);

/* Main thread: the run ended; the project may be read again. */
static void
run_finished (AetWindow *self, const GError *error)
{
  /* the FINISHED event is the worker's last act: this join is immediate */
  aet_pipeline_wait (self->pipeline, NULL);
  self->running = FALSE;
  g_clear_handle_id (&self->error_plot_timeout, g_source_remove);
  AetProject *project = aet_pipeline_get_project (self->pipeline);
  const char *err = aet_project_get_param (project, "result/reconstruct/error");
  g_clear_pointer (&self->recon_error, g_array_unref);
  if (err != NULL && *err != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (err, ",", -1);
      self->recon_error = g_array_new (FALSE, FALSE, sizeof (gdouble));
      for (int i = 0; parts[i] != NULL; i++)
        {
          gdouble v = g_ascii_strtod (parts[i], NULL);
          g_array_append_val (self->recon_error, v);
        }
    }
  if (error != NULL && !g_error_matches (error, AET_ERROR, AET_ERROR_CANCELLED))
    show_error (self, error->message);
  else
    gtk_label_set_text (GTK_LABEL (self->status_label), error != NULL ? "Cancelled" : "Done");
  update_busy (self);
  show_analysis (self, NULL);
  if (error == NULL)
    start_analysis (self);
}

/* Main thread (idle): applies one pipeline event; events of a cancelled or
 * superseded run (an older token) are dropped. */
static gboolean
handle_event (gpointer data)
{
  RunEvent *ev = data;
  g_autoptr (AetWindow) self = g_weak_ref_get (&ev->window);
  if (self == NULL || ev->token != self->token)
    return G_SOURCE_REMOVE;
  switch (ev->kind)
    {
    case AET_PIPELINE_EVENT_STAGE:
      aet_stage_list_set_state (self->stages, ev->stage, ev->state, ev->message);
      if (ev->state == AET_STAGE_RUNNING)
        {
          g_autofree char *s = g_strdup_printf ("%s…", aet_stage_label (ev->stage));
          gtk_label_set_text (GTK_LABEL (self->status_label), s);
        }
      break;
    case AET_PIPELINE_EVENT_PROGRESS:
      aet_stage_list_set_progress (self->stages, ev->stage, ev->fraction, ev->message);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), ev->fraction);
      if (ev->message != NULL)
        gtk_label_set_text (GTK_LABEL (self->status_label), ev->message);
      if (ev->iteration_error != NULL)
        update_live_error (self, ev->iteration_error, ev->n_iterations);
      break;
    case AET_PIPELINE_EVENT_VOLUME:
      if (g_strcmp0 (ev->name, "target") == 0)
        {
          replace_volume (&self->target, ev->volume);
        }
      else if (g_strcmp0 (ev->name, "augmented") == 0)
        {
          replace_volume (&self->augmented, ev->volume);
        }
      else
        {
          if (ev->final)
            {
              replace_volume (&self->recon, ev->volume);
            }
          aet_viewer_set_volume (viewer (self, 0), ev->volume);
        }
      update_compare_sources (self);
      break;
    case AET_PIPELINE_EVENT_ATOMS:
      if (g_strcmp0 (ev->name, "truth") == 0)
        {
          replace_atoms (&self->truth, ev->atoms);
        }
      else if (g_strcmp0 (ev->name, "after") == 0)
        {
          replace_atoms (&self->traced_after, ev->atoms);
          /* a new trace (not the analysis re-sending it): its refinement
           * comes next */
          if (ev->stage == AET_STAGE_TRACE_AFTER)
            g_clear_pointer (&self->refined, aet_atoms_unref);
        }
      else if (g_strcmp0 (ev->name, "refined") == 0)
        {
          replace_atoms (&self->refined, ev->atoms);
        }
      else
        {
          replace_atoms (&self->traced, ev->atoms);
          aet_viewer_set_atoms (viewer (self, 0), self->traced);
        }
      update_compare_sources (self);
      break;
    case AET_PIPELINE_EVENT_FINISHED:
      run_finished (self, ev->error);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
set_param_double (AetPipeline *pipeline, const char *key, gdouble value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  aet_pipeline_set_param (pipeline, key, g_ascii_dtostr (buf, sizeof buf, value));
}

/* The boolean state of the window action `name`. */
static gboolean
action_state_bool (AetWindow *self, const char *name)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_autoptr (GVariant) state = g_action_get_state (action);
  return g_variant_get_boolean (state);
}

/* Main thread: starts a run of the window's pipeline with the sidebar's
 * parameters.  Stages whose inputs and parameters did not change are
 * skipped by the pipeline ("up to date"). */
static void
start_run (AetWindow *self)
{
  if (self->pipeline == NULL)
    {
      show_error (self, "Nothing to run: open a tilt series or simulate a particle");
      return;
    }
  if (self->running)
    return;
  AetProject *project = aet_pipeline_get_project (self->pipeline);
  if (aet_project_get_tilt_series (project, "tilts") == NULL
      && g_strcmp0 (aet_project_get_param (project, "simulate/enabled"), "true") != 0)
    {
      show_error (self, "Nothing to reconstruct: open a tilt series or simulate a particle");
      return;
    }
  static const char *const methods[] = { "genfire", "sirt", "wbp" };
  aet_pipeline_set_param (self->pipeline, "reconstruct/method",
                          methods[gtk_drop_down_get_selected (GTK_DROP_DOWN (self->method_drop))]);
  set_param_double (self->pipeline, "reconstruct/iterations",
                    gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->iterations_spin)));
  aet_pipeline_set_param (self->pipeline, "reconstruct/snapshot_every", "5");
  set_param_double (self->pipeline, "trace/min_distance",
                    gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->min_distance_spin)));
  /* on: the project's own averaging when it has one (aet run --flips N), else 8 */
  const char *had
    = aet_project_get_param (aet_pipeline_get_project (self->pipeline), "augment/flips");
  g_autofree char *flips
    = action_state_bool (self, "average-flips")
        ? g_strdup (had != NULL && atoi (had) > 1 ? had : "8")
        : NULL;
  aet_pipeline_set_param (self->pipeline, "augment/flips", flips);
  g_autoptr (GVariant) passes_state
    = g_action_group_get_action_state (G_ACTION_GROUP (self), "augment-passes");
  gint passes = g_variant_get_int32 (passes_state);
  if (passes == AET_AUGMENT_DEFAULT_PASSES)
    aet_pipeline_set_param (self->pipeline, "augment/passes", NULL);
  else
    set_param_double (self->pipeline, "augment/passes", passes);
  aet_pipeline_set_param (self->pipeline, "refine/enabled",
                          action_state_bool (self, "refine-atoms") ? NULL : "false");
  RunContext *ctx = g_new0 (RunContext, 1);
  g_weak_ref_init (&ctx->window, self);
  ctx->token = ++self->token;
  self->running = TRUE;
  aet_stage_list_reset (self->stages);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), FALSE);
  update_busy (self);
  /* leave one core to the main loop, so drawing never waits for compute */
  aet_pipeline_start (self->pipeline, pipeline_event, ctx,
                      MAX (1, g_get_num_processors () - 1));
}

/* ---- files (GTask threads) --------------------------------------------- */

typedef struct
{
  char *path;
  AetProject *project;   /* a project file, or the other items wrapped in one */
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *d = data;
  g_free (d->path);
  g_clear_pointer (&d->project, aet_project_free);
  g_free (d);
}

static gboolean
has_ext (const char *path, const char *ext)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, ext);
}

/* GTask thread: reads the file into a project (no GTK here). */
static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  GError *error = NULL;
  const char *p = d->path;
  g_autofree char *base = g_path_get_basename (p);
  if (has_ext (p, ".h5") || has_ext (p, ".emd") || has_ext (p, ".hdf5"))
    d->project = aet_project_load (p, &error);
  else if (has_ext (p, ".xyz"))
    {
      g_autoptr (AetAtoms) atoms = aet_xyz_read (p, &error);
      if (atoms != NULL)
        {
          d->project = aet_project_new ();
          aet_project_set_atoms (d->project, "before", atoms);
        }
    }
  else if (has_ext (p, ".mrc") || has_ext (p, ".rec") || has_ext (p, ".st")
           || has_ext (p, ".tif") || has_ext (p, ".tiff"))
    {
      g_autofree char *stem = g_strndup (p, strrchr (p, '.') - p);
      g_autofree char *tlt = g_strconcat (stem, ".tlt", NULL);
      if (g_file_test (tlt, G_FILE_TEST_EXISTS) || has_ext (p, ".tif") || has_ext (p, ".tiff"))
        {
          g_autoptr (AetTiltSeries) s = aet_tilt_series_load (p, NULL, 0, &error);
          if (s != NULL)
            {
              d->project = aet_project_new ();
              aet_project_set_tilt_series (d->project, "tilts", s);
            }
        }
      else
        {
          g_autoptr (AetVolume) v = aet_mrc_read (p, NULL, &error);
          if (v != NULL)
            {
              d->project = aet_project_new ();
              aet_project_set_volume (d->project, "reconstruction", v);
            }
        }
    }
  else
    error = g_error_new (AET_ERROR, AET_ERROR_FORMAT,
                         "%s: not a file AET Studio opens (.h5 project, .mrc/.tif with .tlt, "
                         ".xyz)", base);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* The first of `preferred` present in names, else the first name. */
static const char *
pick_name (GStrv names, const char *const *preferred)
{
  for (int i = 0; preferred[i] != NULL; i++)
    if (names != NULL && g_strv_contains ((const char *const *) names, preferred[i]))
      return preferred[i];
  return names != NULL ? names[0] : NULL;
}

static void
clear_data (AetWindow *self)
{
  g_clear_pointer (&self->tilts, aet_tilt_series_unref);
  g_clear_pointer (&self->recon, aet_volume_unref);
  g_clear_pointer (&self->target, aet_volume_unref);
  g_clear_pointer (&self->traced, aet_atoms_unref);
  g_clear_pointer (&self->truth, aet_atoms_unref);
  g_clear_pointer (&self->augmented, aet_volume_unref);
  g_clear_pointer (&self->traced_after, aet_atoms_unref);
  g_clear_pointer (&self->refined, aet_atoms_unref);
  g_clear_pointer (&self->analysis, aet_analysis_free);
  g_clear_pointer (&self->recon_error, g_array_unref);
  g_clear_handle_id (&self->error_plot_timeout, g_source_remove);
}

typedef struct
{
  guint token;
  AetAtoms *atoms;
  AetAtoms *truth;
  AetAnalysis *analysis;
  GError *error;
  gboolean have_match;
  AetMatchStats match;
  /* the FSC with the truth: the truth volume (or atoms to render it from)
   * and the volumes before and after augmentation */
  AetVolume *target, *recon, *augmented;
  AetPlot *fsc;
} AnalyseData;

static void
analyse_data_free (gpointer data)
{
  AnalyseData *d = data;
  g_clear_pointer (&d->atoms, aet_atoms_unref);
  g_clear_pointer (&d->truth, aet_atoms_unref);
  g_clear_pointer (&d->analysis, aet_analysis_free);
  g_clear_error (&d->error);
  g_clear_pointer (&d->target, aet_volume_unref);
  g_clear_pointer (&d->recon, aet_volume_unref);
  g_clear_pointer (&d->augmented, aet_volume_unref);
  g_clear_pointer (&d->fsc, aet_plot_free);
  g_free (d);
}

/* GTask thread: analyses a model (on its own copy) for the inspector's
 * figures (the pipeline stores the report, the window wants the numbers). */
static void
analyse_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AnalyseData *d = task_data;
  AetAnalysisOptions options;
  aet_analysis_options_init (&options);
  d->analysis = aet_analysis_run (d->atoms, &options, NULL, &d->error);
  if (d->truth != NULL)
    d->have_match = aet_match_atoms (d->truth, d->atoms, 0.9, &d->match, TRUE, NULL);
  if (d->recon != NULL && (d->target != NULL || d->truth != NULL))
    {
      g_autoptr (AetVolume) truth = d->target != NULL ? aet_volume_ref (d->target) : NULL;
      if (truth == NULL)
        {
          /* the target as the simulator makes it: B = 4 Å² Gaussian atoms */
          truth = aet_volume_new (d->recon->nx, d->recon->ny, d->recon->nz,
                                  d->recon->voxel_size);
          memcpy (truth->origin, d->recon->origin, sizeof truth->origin);
          aet_render_gaussian_atoms (d->truth, truth, 4.0, 1.0, NULL, 2);
        }
      d->fsc = aet_report_plot_fsc (truth, d->recon, d->augmented, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

/* Main thread: the analysis of a loaded model is ready. */
static void
analyse_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AetWindow *self = AET_WINDOW (source);
  AnalyseData *d = g_task_get_task_data (G_TASK (result));
  self->loads--;
  update_busy (self);
  if (d->token != self->token)
    return;
  aet_inspector_set_fsc (self->inspector, g_steal_pointer (&d->fsc));
  if (d->analysis == NULL)
    {
      /* a model too small or too disordered to analyse: say so, keep it shown */
      aet_stage_list_set_state (self->stages, AET_STAGE_ANALYSE, AET_STAGE_FAILED,
                                d->error->message);
      show_analysis (self, NULL);
      return;
    }
  g_clear_pointer (&self->traced, aet_atoms_unref);
  self->traced = g_steal_pointer (&d->atoms);
  g_clear_pointer (&self->analysis, aet_analysis_free);
  self->analysis = g_steal_pointer (&d->analysis);
  aet_viewer_set_atoms (viewer (self, 0), self->traced);
  if (aet_stage_list_get_state (self->stages, AET_STAGE_ANALYSE) == AET_STAGE_RUNNING)
    aet_stage_list_set_state (self->stages, AET_STAGE_ANALYSE, AET_STAGE_DONE, NULL);
  show_analysis (self, d->have_match ? &d->match : NULL);
}

/* Main thread: analyses the traced model in the background. */
static void
start_analysis (AetWindow *self)
{
  if (self->traced == NULL)
    return;
  AnalyseData *ad = g_new0 (AnalyseData, 1);
  ad->token = self->token;
  ad->atoms = aet_atoms_dup (self->traced);
  ad->truth = self->truth != NULL ? aet_atoms_ref (self->truth) : NULL;
  ad->target = self->target != NULL ? aet_volume_ref (self->target) : NULL;
  ad->recon = self->recon != NULL ? aet_volume_ref (self->recon) : NULL;
  ad->augmented = self->augmented != NULL ? aet_volume_ref (self->augmented) : NULL;
  g_autoptr (GTask) task = g_task_new (self, NULL, analyse_done, NULL);
  g_task_set_task_data (task, ad, analyse_data_free);
  self->loads++;
  update_busy (self);
  g_task_run_in_thread (task, analyse_thread);
}

/* Main thread: a file was read; its items replace the window's data. */
static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AetWindow *self = AET_WINDOW (source);
  g_autoptr (GError) error = NULL;
  LoadData *d = g_task_get_task_data (G_TASK (result));
  self->loads--;
  update_busy (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      show_error (self, error->message);
      return;
    }
  clear_data (self);
  AetProject *p = d->project;
  g_auto (GStrv) vols = aet_project_dup_volume_names (p);
  g_auto (GStrv) atom_sets = aet_project_dup_atoms_names (p);
  g_auto (GStrv) series = aet_project_dup_tilt_series_names (p);
  static const char *const recon_names[] = { "reconstruction", "recon", NULL };
  static const char *const traced_names[] = { "before", "traced", "model", NULL };
  const char *vname = pick_name (vols, recon_names);
  const char *aname = pick_name (atom_sets, traced_names);
  if (vname != NULL)
    self->recon = aet_volume_ref (aet_project_get_volume (p, vname));
  if (aname != NULL && g_strcmp0 (aname, "truth") != 0)
    self->traced = aet_atoms_ref (aet_project_get_atoms (p, aname));
  if (aet_project_get_atoms (p, "truth") != NULL)
    self->truth = aet_atoms_ref (aet_project_get_atoms (p, "truth"));
  if (aet_project_get_volume (p, "target") != NULL)
    self->target = aet_volume_ref (aet_project_get_volume (p, "target"));
  if (series != NULL && series[0] != NULL)
    self->tilts = aet_tilt_series_ref (aet_project_get_tilt_series (p, series[0]));
  if (aet_project_get_volume (p, "augmented") != NULL)
    self->augmented = aet_volume_ref (aet_project_get_volume (p, "augmented"));
  gboolean on_substrate
    = g_strcmp0 (aet_project_get_param (p, "simulate/substrate"), "true") == 0;
  if (aet_project_get_atoms (p, "after") != NULL)
    self->traced_after = aet_atoms_ref (aet_project_get_atoms (p, "after"));
  if (aet_project_get_atoms (p, "refined") != NULL)
    self->refined = aet_atoms_ref (aet_project_get_atoms (p, "refined"));
  const char *err = aet_project_get_param (p, "result/reconstruct/error");
  if (err != NULL && *err != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (err, ",", -1);
      self->recon_error = g_array_new (FALSE, FALSE, sizeof (gdouble));
      for (int i = 0; parts[i] != NULL; i++)
        {
          gdouble v = g_ascii_strtod (parts[i], NULL);
          g_array_append_val (self->recon_error, v);
        }
    }
  /* the project goes to a new pipeline, so Run continues from what it holds */
  set_pipeline (self, aet_pipeline_new (g_steal_pointer (&d->project)));
  aet_stage_list_reset (self->stages);
  /* Run keeps the augmentation the project was made with */
  const char *flips
    = aet_project_get_param (aet_pipeline_get_project (self->pipeline), "augment/flips");
  GAction *flips_action = g_action_map_lookup_action (G_ACTION_MAP (self), "average-flips");
  g_simple_action_set_state (G_SIMPLE_ACTION (flips_action),
                             g_variant_new_boolean (flips != NULL && atoi (flips) > 1));
  const char *passes
    = aet_project_get_param (aet_pipeline_get_project (self->pipeline), "augment/passes");
  g_action_group_change_action_state (
    G_ACTION_GROUP (self), "augment-passes",
    g_variant_new_int32 (passes != NULL ? atoi (passes) : AET_AUGMENT_DEFAULT_PASSES));
  /* and its refinement setting */
  const char *refine
    = aet_project_get_param (aet_pipeline_get_project (self->pipeline), "refine/enabled");
  GAction *refine_action = g_action_map_lookup_action (G_ACTION_MAP (self), "refine-atoms");
  g_simple_action_set_state (G_SIMPLE_ACTION (refine_action),
                             g_variant_new_boolean (g_strcmp0 (refine, "false") != 0));
  aet_viewer_set_volume (viewer (self, 0), self->recon);
  aet_viewer_set_atoms (viewer (self, 0), self->traced);
  aet_viewer_reset_view (viewer (self, 0));
  /* a tilt series with its true atoms was simulated; one without was measured */
  if (self->tilts != NULL && self->truth != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_SIMULATE, AET_STAGE_DONE, "loaded");
  else if (self->tilts != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_SIMULATE, AET_STAGE_NOT_NEEDED, NULL);
  if (self->recon != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_RECONSTRUCT, AET_STAGE_DONE, "loaded");
  if (self->traced != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_TRACE_BEFORE, AET_STAGE_DONE, "loaded");
  if (self->augmented != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_AUGMENT, AET_STAGE_DONE, "loaded");
  if (self->traced_after != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_TRACE_AFTER, AET_STAGE_DONE, "loaded");
  if (self->refined != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_REFINE, AET_STAGE_DONE, "loaded");
  update_compare_sources (self);
  aet_inspector_clear (self->inspector);
  show_analysis (self, NULL);
  if (self->traced == NULL && self->recon == NULL && self->tilts != NULL)
    aet_compare_view_set_view_mode (self->compare, AET_VIEW_ISO);
  if (self->traced == NULL && self->recon != NULL)
    aet_compare_view_set_view_mode (self->compare, AET_VIEW_ISO);

  g_autofree char *base = g_path_get_basename (d->path);
  set_subtitle (self, base);
  if (has_ext (d->path, ".h5") || has_ext (d->path, ".emd") || has_ext (d->path, ".hdf5"))
    {
      g_free (self->project_path);
      self->project_path = g_strdup (d->path);
    }
  g_autofree char *msg = g_strdup_printf ("Opened %s", base);
  gtk_label_set_text (GTK_LABEL (self->status_label), msg);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), FALSE);
  update_busy (self);

  if (self->traced != NULL)
    aet_stage_list_set_state (self->stages, AET_STAGE_ANALYSE, AET_STAGE_RUNNING, "analysing");
  set_substrate_known (self, on_substrate);
  start_analysis (self);
}

void
aet_window_open_file (AetWindow *self, GFile *file)
{
  g_return_if_fail (AET_IS_WINDOW (self) && G_IS_FILE (file));
  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      show_error (self, "Only local files can be opened");
      return;
    }
  g_free (self->last_folder);
  self->last_folder = g_path_get_dirname (path);
  LoadData *d = g_new0 (LoadData, 1);
  d->path = g_steal_pointer (&path);
  g_autoptr (GTask) task = g_task_new (self, NULL, load_done, NULL);
  g_task_set_task_data (task, d, load_data_free);
  self->loads++;
  g_autofree char *base = g_path_get_basename (d->path);
  g_autofree char *msg = g_strdup_printf ("Opening %s…", base);
  gtk_label_set_text (GTK_LABEL (self->status_label), msg);
  gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->progress_bar));
  g_task_run_in_thread (task, load_thread);
}

/* GTask thread: writes the project file atomically. */
static void
save_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  GError *error = NULL;
  if (aet_project_save (d->project, d->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Main thread. */
static void
save_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AetWindow *self = AET_WINDOW (source);
  LoadData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  self->loads--;
  update_busy (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      show_error (self, error->message);
      return;
    }
  g_free (self->project_path);
  self->project_path = g_strdup (d->path);
  g_autofree char *base = g_path_get_basename (d->path);
  g_autofree char *msg = g_strdup_printf ("Saved %s", base);
  gtk_label_set_text (GTK_LABEL (self->status_label), msg);
  set_subtitle (self, base);
}

static void
save_to (AetWindow *self, const char *path)
{
  if (self->running)
    {
      show_error (self, "Saving waits for the run to end: cancel it or let it finish");
      return;
    }
  /* a new project holding references to the same snapshots, with the
   * pipeline's parameters, signatures and report, written on a GTask thread
   * while the pipeline's own project stays with the main thread */
  LoadData *d = g_new0 (LoadData, 1);
  d->path = g_strdup (path);
  d->project = aet_project_new ();
  if (self->tilts != NULL)
    aet_project_set_tilt_series (d->project, "tilts", self->tilts);
  if (self->recon != NULL)
    aet_project_set_volume (d->project, "reconstruction", self->recon);
  if (self->target != NULL)
    aet_project_set_volume (d->project, "target", self->target);
  if (self->augmented != NULL)
    aet_project_set_volume (d->project, "augmented", self->augmented);
  if (self->traced != NULL)
    aet_project_set_atoms (d->project, "before", self->traced);
  if (self->traced_after != NULL)
    aet_project_set_atoms (d->project, "after", self->traced_after);
  if (self->refined != NULL)
    aet_project_set_atoms (d->project, "refined", self->refined);
  if (self->truth != NULL)
    aet_project_set_atoms (d->project, "truth", self->truth);
  if (self->pipeline != NULL)
    {
      AetProject *src = aet_pipeline_get_project (self->pipeline);
      g_auto (GStrv) keys = aet_project_dup_param_keys (src);
      for (int i = 0; keys != NULL && keys[i] != NULL; i++)
        aet_project_set_param (d->project, keys[i], aet_project_get_param (src, keys[i]));
      aet_project_set_report (d->project, aet_project_get_report (src));
    }
  g_autoptr (GTask) task = g_task_new (self, NULL, save_done, NULL);
  g_task_set_task_data (task, d, load_data_free);
  self->loads++;
  g_task_run_in_thread (task, save_thread);
}

/* ---- file choosers ----------------------------------------------------- */

static void
set_chooser_folder (AetWindow *self, GtkFileChooser *chooser)
{
  if (self->last_folder == NULL)
    return;
  g_autoptr (GFile) folder = g_file_new_for_path (self->last_folder);
  gtk_file_chooser_set_current_folder (chooser, folder, NULL);
}

/* Main thread: the open dialog answered. */
static void
open_response (GtkNativeDialog *dialog, int response, AetWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      aet_window_open_file (self, file);
    }
  g_object_unref (dialog);
}

static void
action_open (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
    "Open", GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  static const struct
  {
    const char *name;
    const char *patterns[6];
  } filters[] = {
    { "Everything AET Studio opens", { "*.h5", "*.emd", "*.mrc", "*.tif", "*.tiff", "*.xyz" } },
    { "Projects (.h5)", { "*.h5", "*.emd", NULL } },
    { "Tilt series and volumes (MRC + .tlt, TIFF)", { "*.mrc", "*.st", "*.tif", "*.tiff", NULL } },
    { "Atoms (.xyz)", { "*.xyz", NULL } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_autoptr (GtkFileFilter) f = gtk_file_filter_new ();
      gtk_file_filter_set_name (f, filters[i].name);
      for (int k = 0; k < 6 && filters[i].patterns[k] != NULL; k++)
        gtk_file_filter_add_pattern (f, filters[i].patterns[k]);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), f);
    }
  set_chooser_folder (self, GTK_FILE_CHOOSER (dialog));
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Main thread: the save dialog answered. */
static void
save_response (GtkNativeDialog *dialog, int response, AetWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (!has_ext (path, ".h5"))
        {
          char *with = g_strconcat (path, ".h5", NULL);
          g_free (path);
          path = with;
        }
      g_free (self->last_folder);
      self->last_folder = g_path_get_dirname (path);
      save_to (self, path);
    }
  g_object_unref (dialog);
}

static void
action_save_as (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
    "Save Project", GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE, "_Save", "_Cancel");
  set_chooser_folder (self, GTK_FILE_CHOOSER (dialog));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "particle.h5");
  g_signal_connect (dialog, "response", G_CALLBACK (save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_save (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  if (self->project_path != NULL)
    save_to (self, self->project_path);
  else
    action_save_as (action, param, data);
}

/* ---- export ------------------------------------------------------------ */

gboolean
aet_window_can_compare (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), FALSE);
  return self->augmented != NULL || self->traced_after != NULL || self->target != NULL
         || self->truth != NULL;
}

AetFigure *
aet_window_build_figure (AetWindow *self, gboolean both_panes, const AetFigureOptions *options,
                         GError **error)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), NULL);
  both_panes = both_panes && aet_window_can_compare (self);
  guint n = both_panes ? 2 : 1;
  AetFigurePanel panels[2] = { { 0 }, { 0 } };
  for (guint i = 0; i < n; i++)
    {
      panels[i].volume = aet_viewer_get_volume (viewer (self, i));
      panels[i].atoms = aet_viewer_get_atoms (viewer (self, i));
    }
  if (both_panes)
    {
      gboolean after = self->augmented != NULL;
      panels[0].caption = after ? "Before augmentation" : "Reconstruction";
      panels[1].caption = after ? "After augmentation" : "Ground truth";
    }
  /* the facet table the inspector shows belongs to the first pane's model */
  if (self->analysis != NULL && panels[0].atoms == self->traced && self->analysis->facets != NULL)
    {
      panels[0].facets = (const AetFacet *) self->analysis->facets->data;
      panels[0].n_facets = self->analysis->facets->len;
    }
  if (panels[0].volume == NULL && panels[0].atoms == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                   "export: nothing to show yet (open a file or run the pipeline)");
      return NULL;
    }
  AetViewer *v = viewer (self, 0);
  return aet_figure_new (aet_viewer_get_setup (v), aet_viewer_get_camera (v), panels, n,
                         options, error);
}

/* Main thread: the export dialog wrote a file or failed. */
static void
export_finished (AetExportDialog *dialog, gboolean ok, const char *message, AetWindow *self)
{
  if (ok)
    gtk_label_set_text (GTK_LABEL (self->status_label), message);
  else
    show_error (self, message);
}

static GtkWidget *
labelled (GtkWidget *grid, int row, const char *text, GtkWidget *widget)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 1);
  gtk_grid_attach (GTK_GRID (grid), l, 0, row, 1, 1);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (GTK_GRID (grid), widget, 1, row, 1, 1);
  return widget;
}

static GtkWidget *
dialog_grid (GtkDialog *dialog)
{
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_margin_start (grid, 18);
  gtk_widget_set_margin_end (grid, 18);
  gtk_widget_set_margin_top (grid, 18);
  gtk_widget_set_margin_bottom (grid, 18);
  gtk_box_append (GTK_BOX (gtk_dialog_get_content_area (dialog)), grid);
  return grid;
}

static void
action_export (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  AetExportDialog *dialog = aet_export_dialog_new (self);
  g_signal_connect_object (dialog, "finished", G_CALLBACK (export_finished), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- new simulation ---------------------------------------------------- */

/* Main thread: a new project whose first stage simulates `p` (its
 * element, shape, radius, box, pixel, counts and seed; the tilts as text),
 * run at once. */
static void
start_simulation (AetWindow *self, const AetSimParams *p, const char *tilts,
                  const char *subtitle)
{
  clear_data (self);
  g_free (self->project_path);
  self->project_path = NULL;
  set_subtitle (self, subtitle);
  aet_inspector_clear (self->inspector);
  update_substrate (self);
  set_pipeline (self, aet_pipeline_new (aet_project_new ()));
  AetPipeline *pl = self->pipeline;
  aet_pipeline_set_param (pl, "simulate/enabled", "true");
  aet_pipeline_set_param (pl, "simulate/element", aet_element_symbol (p->element));
  aet_pipeline_set_param (pl, "simulate/shape", aet_shape_kind_name (p->shape));
  set_param_double (pl, "simulate/radius", p->radius);
  set_param_double (pl, "simulate/size", p->size);
  set_param_double (pl, "simulate/pixel", p->pixel);
  set_param_double (pl, "simulate/counts", p->counts);
  set_param_double (pl, "simulate/seed", (gdouble) p->seed);
  if (p->substrate)
    aet_pipeline_set_param (pl, "simulate/substrate", "true");
  set_substrate_known (self, p->substrate);
  if (tilts != NULL)
    aet_pipeline_set_param (pl, "simulate/tilt", tilts);
  update_busy (self);
  start_run (self);
}

/* Main thread: the simulation dialog answered; validates and starts. */
static void
simulate_response (GtkDialog *dialog, int response, AetWindow *self)
{
  if (response != GTK_RESPONSE_OK)
    {
      gtk_window_destroy (GTK_WINDOW (dialog));
      return;
    }
  GObject *o = G_OBJECT (dialog);
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  const char *sym = gtk_editable_get_text (g_object_get_data (o, "element"));
  p.element = aet_element_from_symbol (sym);
  p.shape = gtk_drop_down_get_selected (g_object_get_data (o, "shape"));
  p.radius = gtk_spin_button_get_value (g_object_get_data (o, "radius"));
  p.size = gtk_spin_button_get_value_as_int (g_object_get_data (o, "size"));
  p.counts = gtk_spin_button_get_value (g_object_get_data (o, "counts"));
  p.seed = (guint64) gtk_spin_button_get_value (g_object_get_data (o, "seed"));
  p.pixel = 0.357 * 144.0 / p.size;
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  g_autofree gdouble *angles = aet_parse_tilt_range (
    gtk_editable_get_text (g_object_get_data (o, "tilts")), &n, &error);
  if (p.element == 0)
    error = g_error_new (AET_ERROR, AET_ERROR_INVALID, "element: “%s” is not an element symbol",
                         sym);
  if (error == NULL)
    {
      p.angles = angles;
      p.n_angles = n;
      aet_sim_params_validate (&p, &error);
    }
  g_autofree char *tilts = g_strdup (gtk_editable_get_text (g_object_get_data (o, "tilts")));
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (error != NULL)
    {
      show_error (self, error->message);
      return;
    }
  start_simulation (self, &p, tilts, "simulated particle");
}

static void
action_new_simulation (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  GtkWidget *dialog = gtk_dialog_new_with_buttons ("New Simulated Particle", GTK_WINDOW (self),
                                                   GTK_DIALOG_MODAL
                                                     | GTK_DIALOG_DESTROY_WITH_PARENT,
                                                   "_Cancel", GTK_RESPONSE_CANCEL,
                                                   "_Simulate", GTK_RESPONSE_OK, NULL);
  GtkWidget *grid = dialog_grid (GTK_DIALOG (dialog));
  GObject *o = G_OBJECT (dialog);
  GtkWidget *w = labelled (grid, 0, "Element", gtk_entry_new ());
  gtk_editable_set_text (GTK_EDITABLE (w), "Pt");
  g_object_set_data (o, "element", w);
  static const char *const shapes[] = { "Sphere union", "Truncated octahedron",
                                        "Cuboctahedron", NULL };
  w = labelled (grid, 1, "Shape", gtk_drop_down_new_from_strings (shapes));
  g_object_set_data (o, "shape", w);
  w = labelled (grid, 2, "Radius (Å)", gtk_spin_button_new_with_range (4, 40, 0.5));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), 12);
  g_object_set_data (o, "radius", w);
  w = labelled (grid, 3, "Box (voxels)", gtk_spin_button_new_with_range (32, 256, 8));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), 144);
  g_object_set_data (o, "size", w);
  w = labelled (grid, 4, "Tilts (from:to:step °)", gtk_entry_new ());
  gtk_editable_set_text (GTK_EDITABLE (w), "-65:65:6.5");
  g_object_set_data (o, "tilts", w);
  w = labelled (grid, 5, "Electrons (peak pixel)", gtk_spin_button_new_with_range (0, 1e6, 10));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), 50);
  g_object_set_data (o, "counts", w);
  w = labelled (grid, 6, "Seed", gtk_spin_button_new_with_range (1, 1e9, 1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), 1);
  g_object_set_data (o, "seed", w);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gtk_widget_add_css_class (gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog),
                                                                GTK_RESPONSE_OK),
                            "suggested-action");
  g_signal_connect (dialog, "response", G_CALLBACK (simulate_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
aet_window_start_demo (AetWindow *self)
{
  g_return_if_fail (AET_IS_WINDOW (self));
  /* The default Pt particle on a smaller box than the published 144³, so
   * the reconstruction converges in seconds on a laptop.  The voxel stays
   * the default 0.357 Å: the shipped network was trained at that sampling,
   * and on coarser voxels it makes the tracing worse, not better. */
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.size = 128;
  p.radius = 11;
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->iterations_spin), 60);
  start_simulation (self, &p, NULL, "demo: simulated Pt particle");
}

/* ---- other actions (main thread) --------------------------------------- */

static void
action_run (GSimpleAction *action, GVariant *param, gpointer data)
{
  start_run (data);
}

/* Runs again from the tilt angles and shifts the refinement found
 * (aet run --realign): reconstruction, augmentation, tracing and
 * refinement all re-run with the better geometry. */
static void
action_realign (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  if (!self->running && self->pipeline != NULL
      && aet_pipeline_take_refined_geometry (self->pipeline))
    start_run (self);
}

static void
action_cancel (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  if (self->running)
    {
      aet_pipeline_cancel (self->pipeline);
      gtk_label_set_text (GTK_LABEL (self->status_label), "Cancelling…");
    }
}

static void
action_demo (GSimpleAction *action, GVariant *param, gpointer data)
{
  aet_window_start_demo (data);
}

static void
action_fullscreen (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkWindow *w = data;
  if (gtk_window_is_fullscreen (w))
    gtk_window_unfullscreen (w);
  else
    gtk_window_fullscreen (w);
}

static void
action_compare (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  aet_compare_view_set_comparing (self->compare, !aet_compare_view_get_comparing (self->compare));
}

/* "single" (one view), or "side", "split", "difference": comparing. */
static void
action_compare_layout (GSimpleAction *action, GVariant *value, gpointer data)
{
  AetWindow *self = data;
  const char *name = g_variant_get_string (value, NULL);
  gint layout = aet_compare_layout_from_string (name);
  if (g_str_equal (name, "single"))
    aet_compare_view_set_comparing (self->compare, FALSE);
  else if (layout >= 0)
    {
      aet_compare_view_set_layout (self->compare, layout);
      aet_compare_view_set_comparing (self->compare, TRUE);
    }
}

/* Main thread: the compare view changed (a button, C, S, D): the actions'
 * states and the layout buttons follow. */
static void
compare_changed (AetCompareView *compare, GParamSpec *pspec, AetWindow *self)
{
  gboolean on = aet_compare_view_get_comparing (compare);
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self), "compare");
  g_simple_action_set_state (G_SIMPLE_ACTION (a), g_variant_new_boolean (on));
  a = g_action_map_lookup_action (G_ACTION_MAP (self), "compare-layout");
  const char *name = on ? aet_compare_layout_to_string (aet_compare_view_get_layout (compare))
                        : "single";
  g_simple_action_set_state (G_SIMPLE_ACTION (a), g_variant_new_string (name));
}

/* Main thread: whether the data are known to sit on a substrate (simulated
 * so).  The analysis finds "an interface" on any facet facing −y, so the
 * disk is shown by default only then; the toggle stays available when a
 * facet qualifies. */
static void
set_substrate_known (AetWindow *self, gboolean known)
{
  self->substrate_known = known;
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-substrate");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (known));
  update_substrate (self);
}

/* A stateful toggle read when it is needed (the pipeline's settings). */
static void
action_set_state (GSimpleAction *action, GVariant *value, gpointer data)
{
  g_simple_action_set_state (action, value);
}

/* win.augment-passes (int): the passes Run makes; the sidebar's spin button
 * shows it and sets it. */
static void
action_augment_passes (GSimpleAction *action, GVariant *value, gpointer data)
{
  AetWindow *self = data;
  gint n = CLAMP (g_variant_get_int32 (value), 1, AET_AUGMENT_MAX_PASSES);
  g_simple_action_set_state (action, g_variant_new_int32 (n));
  if (self->passes_spin != NULL
      && gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->passes_spin)) != n)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->passes_spin), n);
}

static void
passes_spin_changed (GtkSpinButton *spin, AetWindow *self)
{
  gint n = gtk_spin_button_get_value_as_int (spin);
  g_action_group_change_action_state (G_ACTION_GROUP (self), "augment-passes",
                                      g_variant_new_int32 (n));
}

static void
action_show_substrate (GSimpleAction *action, GVariant *value, gpointer data)
{
  g_simple_action_set_state (action, value);
  update_substrate (data);
}

static void
action_view_mode (GSimpleAction *action, GVariant *value, gpointer data)
{
  AetWindow *self = data;
  gint mode = aet_view_mode_from_string (g_variant_get_string (value, NULL));
  if (mode < 0)
    return;
  g_simple_action_set_state (action, value);
  aet_compare_view_set_view_mode (self->compare, mode);
}

static void
action_dismiss_error (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), FALSE);
}

static void
action_layer (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  aet_compare_view_step_layer (self->compare, g_variant_get_int32 (param));
}

static void
action_reset_view (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  aet_viewer_reset_view (viewer (self, 0));
}

static void
action_view_along (GSimpleAction *action, GVariant *param, gpointer data)
{
  AetWindow *self = data;
  const char *s = g_variant_get_string (param, NULL);
  if (g_str_equal (s, "beam"))
    aet_viewer_view_along_beam (viewer (self, 0));
  else if (strlen (s) == 3)
    aet_viewer_view_along_hkl (viewer (self, 0), s[0] - '0', s[1] - '0', s[2] - '0');
}

/* Main thread: a key or click on a viewer changed its mode; the action's
 * state and the sidebar follow. */
static void
viewer_mode_changed (AetViewer *v, GParamSpec *pspec, AetWindow *self)
{
  const char *name = aet_view_mode_to_string (aet_viewer_get_view_mode (v));
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self), "view-mode");
  g_simple_action_set_state (G_SIMPLE_ACTION (a), g_variant_new_string (name));
  g_autofree char *text = NULL;
  gboolean layers = aet_viewer_get_view_mode (v) == AET_VIEW_LAYERS;
  if (layers)
    text = g_strdup_printf ("Layer %+d", aet_viewer_get_layer_index (v));
  gtk_label_set_text (GTK_LABEL (self->view_label), text != NULL ? text : "");
  gtk_widget_set_visible (self->layer_controls, layers);
}

/* Main thread: a picked atom is described in the status bar. */
static void
atom_picked (AetViewer *v, gint index, AetWindow *self)
{
  AetAtoms *atoms = aet_viewer_get_atoms (v);
  if (atoms == NULL || (gsize) index >= atoms->n_atoms)
    return;
  const gdouble *p = atoms->positions + 3 * index;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "Atom %d: %s at (%.2f, %.2f, %.2f) Å", index,
                          aet_element_symbol (atoms->elements[index]), p[0], p[1], p[2]);
  static const char *const cols[] = { "coordination", "facet", "strain_vol",
                                      "displacement_pm", "uncertainty_pm" };
  for (gsize i = 0; i < G_N_ELEMENTS (cols); i++)
    {
      const gfloat *c = aet_atoms_get_column (atoms, cols[i]);
      if (c != NULL)
        g_string_append_printf (s, ", %s %.3g", cols[i], c[index]);
    }
  gtk_label_set_text (GTK_LABEL (self->status_label), s->str);
  g_string_free (s, TRUE);
}

static void
iso_changed (GtkRange *range, AetWindow *self)
{
  aet_compare_view_set_iso_level (self->compare, gtk_range_get_value (range));
}

static void
color_changed (GtkDropDown *drop, GParamSpec *pspec, AetWindow *self)
{
  guint i = gtk_drop_down_get_selected (drop);
  if (i < G_N_ELEMENTS (color_columns) - 1)
    aet_compare_view_set_color_column (self->compare, color_columns[i]);
}

/* Main thread: files dropped on the window. */
static gboolean
drop_files (GtkDropTarget *target, const GValue *value, double x, double y, AetWindow *self)
{
  GdkFileList *list = g_value_get_boxed (value);
  GSList *files = list != NULL ? gdk_file_list_get_files (list) : NULL;
  if (files == NULL)
    return FALSE;
  aet_window_open_file (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* ---- settings ---------------------------------------------------------- */

static char *
settings_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "aet-studio", "settings.ini", NULL);
}

static void
load_settings (AetWindow *self)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = settings_path ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    return;
  gint w = g_key_file_get_integer (kf, "window", "width", NULL);
  gint h = g_key_file_get_integer (kf, "window", "height", NULL);
  if (w >= 640 && h >= 400)
    gtk_window_set_default_size (GTK_WINDOW (self), w, h);
  if (g_key_file_get_boolean (kf, "window", "maximized", NULL))
    gtk_window_maximize (GTK_WINDOW (self));
  self->last_folder = g_key_file_get_string (kf, "files", "last-folder", NULL);
}

static void
save_settings (AetWindow *self)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = settings_path ();
  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  gint w, h;
  gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
  g_key_file_set_integer (kf, "window", "width", w);
  g_key_file_set_integer (kf, "window", "height", h);
  g_key_file_set_boolean (kf, "window", "maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (self->last_folder != NULL)
    g_key_file_set_string (kf, "files", "last-folder", self->last_folder);
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  g_autoptr (GError) error = NULL;
  if (!g_key_file_save_to_file (kf, path, &error))
    g_warning ("settings: %s", error->message);
}

static gboolean
aet_window_close_request (GtkWindow *window)
{
  AetWindow *self = AET_WINDOW (window);
  save_settings (self);
  set_pipeline (self, NULL);
  return GTK_WINDOW_CLASS (aet_window_parent_class)->close_request (window);
}

/* ---- construction ------------------------------------------------------ */

/* Main thread: which network Run augments with (the project's
 * "augment/model", else the shipped one), its size and sampling. */
static void
update_network_label (AetWindow *self)
{
  if (self->network_label == NULL)
    return;
  const char *given = self->pipeline != NULL
                        ? aet_project_get_param (aet_pipeline_get_project (self->pipeline),
                                                 "augment/model")
                        : NULL;
  g_autofree char *path = given != NULL ? g_strdup (given) : aet_train_find_default_model ();
  g_autofree char *text = NULL;
  if (path == NULL)
    text = g_strdup ("No trained network found");
  else
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (AetUnet) net = aet_weights_load (path, NULL, &error);
      g_autofree char *base = g_path_get_basename (path);
      if (net == NULL)
        text = g_strdup_printf ("%s: cannot be read", base);
      else
        {
          /* thousands apart in any locale: "1,400,561" */
          g_autofree char *digits = g_strdup_printf ("%zu", aet_unet_count_parameters (net));
          GString *grouped = g_string_new (NULL);
          gsize len = strlen (digits);
          for (gsize i = 0; i < len; i++)
            {
              if (i > 0 && (len - i) % 3 == 0)
                g_string_append_c (grouped, ',');
              g_string_append_c (grouped, digits[i]);
            }
          g_autofree char *n = g_string_free (grouped, FALSE);
          text = g_strdup_printf ("Network %s: %s parameters, %.3g Å voxels", base, n,
                                  aet_unet_get_voxel_size (net));
        }
    }
  gtk_label_set_text (GTK_LABEL (self->network_label), text);
  gtk_widget_set_tooltip_text (self->network_label, path);
}

static GtkWidget *
sidebar_heading (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading-large");
  return l;
}

static GtkWidget *
sidebar_row (GtkWidget *box, const char *text, GtkWidget *widget)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_set_hexpand (l, TRUE);
  gtk_box_append (GTK_BOX (row), l);
  gtk_box_append (GTK_BOX (row), widget);
  gtk_box_append (GTK_BOX (box), row);
  return widget;
}

static void
build_sidebar (AetWindow *self)
{
  GtkWidget *box = self->sidebar_box;
  gtk_box_append (GTK_BOX (box), sidebar_heading ("Pipeline"));
  self->stages = AET_STAGE_LIST (aet_stage_list_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stages));

  gtk_box_append (GTK_BOX (box), sidebar_heading ("Reconstruction"));
  static const char *const methods[] = { "GENFIRE", "SIRT", "WBP", NULL };
  self->method_drop = sidebar_row (box, "Method", gtk_drop_down_new_from_strings (methods));
  self->iterations_spin = sidebar_row (box, "Iterations",
                                       gtk_spin_button_new_with_range (1, 1000, 5));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->iterations_spin), 100);

  gtk_box_append (GTK_BOX (box), sidebar_heading ("Augmentation"));
  self->flips_check = gtk_check_button_new_with_label ("Average 8 reflections");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->flips_check), "win.average-flips");
  gtk_widget_set_tooltip_text (self->flips_check,
                               "Run the network on the volume reflected along x, y and z and "
                               "average: slightly more precise, 8× the time (aet run --flips 8)");
  gtk_box_append (GTK_BOX (box), self->flips_check);
  self->passes_spin = sidebar_row (box, "Network passes",
                                   gtk_spin_button_new_with_range (1, AET_AUGMENT_MAX_PASSES, 1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->passes_spin), AET_AUGMENT_DEFAULT_PASSES);
  g_signal_connect (self->passes_spin, "value-changed", G_CALLBACK (passes_spin_changed), self);
  gtk_widget_set_tooltip_text (self->passes_spin,
                               "Each pass after the first gives the network's output the "
                               "reconstruction's values on the measured planes and runs the "
                               "network again: the whole particle's turn and stretch from the "
                               "few tilts shrink pass by pass (aet run --passes N; 1 = the "
                               "network once)");
  self->network_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->network_label), 0);
  gtk_label_set_wrap (GTK_LABEL (self->network_label), TRUE);
  gtk_widget_add_css_class (self->network_label, "dim-label");
  gtk_widget_add_css_class (self->network_label, "caption");
  gtk_box_append (GTK_BOX (box), self->network_label);

  gtk_box_append (GTK_BOX (box), sidebar_heading ("Tracing"));
  self->min_distance_spin = sidebar_row (box, "Min. distance (Å)",
                                         gtk_spin_button_new_with_range (0.5, 5, 0.1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->min_distance_spin), 2.0);

  gtk_box_append (GTK_BOX (box), sidebar_heading ("Refinement"));
  self->refine_check = gtk_check_button_new_with_label ("Refine against the projections");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->refine_check), "win.refine-atoms");
  gtk_widget_set_tooltip_text (self->refine_check,
                               "Move the atoms traced after augmentation until their "
                               "projections match the tilt series, and add atoms the trace "
                               "missed; the After model shown is the refined one (aet run "
                               "--no-refine turns it off)");
  gtk_box_append (GTK_BOX (box), self->refine_check);
  GtkWidget *realign = gtk_button_new_with_label ("Realign and run again");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (realign), "win.realign");
  gtk_widget_set_tooltip_text (realign,
                               "Reconstruct, augment, trace and refine again from the tilt "
                               "angles and shifts the refinement found: closer to the "
                               "microscope's than the listed ones (aet run --realign; twice "
                               "the time)");
  gtk_widget_set_halign (realign, GTK_ALIGN_START);
  gtk_widget_set_margin_top (realign, 4);
  gtk_box_append (GTK_BOX (box), realign);

  gtk_box_append (GTK_BOX (box), sidebar_heading ("Display"));
  GtkWidget *iso_label = gtk_label_new ("Iso level");
  gtk_label_set_xalign (GTK_LABEL (iso_label), 0);
  gtk_box_append (GTK_BOX (box), iso_label);
  self->iso_scale = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0.02, 0.98, 0.01);
  gtk_range_set_value (GTK_RANGE (self->iso_scale), 0.4);
  gtk_scale_set_digits (GTK_SCALE (self->iso_scale), 2);
  gtk_scale_set_draw_value (GTK_SCALE (self->iso_scale), TRUE);
  g_signal_connect (self->iso_scale, "value-changed", G_CALLBACK (iso_changed), self);
  gtk_box_append (GTK_BOX (box), self->iso_scale);
  self->color_drop = sidebar_row (box, "Colour by",
                                  gtk_drop_down_new_from_strings (color_columns));
  g_signal_connect (self->color_drop, "notify::selected", G_CALLBACK (color_changed), self);
  self->substrate_check = gtk_check_button_new_with_label ("Substrate");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->substrate_check), "win.show-substrate");
  gtk_box_append (GTK_BOX (box), self->substrate_check);

  GtkWidget *views = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (views, "linked");
  static const struct
  {
    const char *label, *target, *tip;
  } along[] = {
    { "[100]", "100", "View along [100] of the fitted lattice" },
    { "[110]", "110", "View along [110] of the fitted lattice" },
    { "[111]", "111", "View along [111] of the fitted lattice" },
    { "Beam", "beam", "View down the beam (z)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (along); i++)
    {
      GtkWidget *b = gtk_button_new_with_label (along[i].label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "win.view-along");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", along[i].target);
      gtk_widget_set_tooltip_text (b, along[i].tip);
      gtk_widget_set_hexpand (b, TRUE);
      gtk_box_append (GTK_BOX (views), b);
    }
  gtk_widget_set_margin_top (views, 6);
  gtk_box_append (GTK_BOX (box), views);
}

static void
build_center (AetWindow *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_add_css_class (bar, "aet-view-toolbar");
  GtkWidget *modes = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (modes, "linked");
  static const char *const labels[AET_N_VIEWS] = { "Surface", "Atoms", "Layers", "Facets" };
  GtkWidget *group = NULL;
  for (int i = 0; i < AET_N_VIEWS; i++)
    {
      GtkWidget *b = gtk_toggle_button_new_with_label (labels[i]);
      if (group != NULL)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (b), GTK_TOGGLE_BUTTON (group));
      group = b;
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "win.view-mode");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", aet_view_mode_to_string (i));
      static const char *const tips[AET_N_VIEWS] = { "The iso-surface of the volume",
                                                     "The traced atoms",
                                                     "One atomic layer of the volume",
                                                     "The atoms coloured by facet" };
      g_autofree char *tip = g_strdup_printf ("%s (%d)", tips[i], i + 1);
      gtk_widget_set_tooltip_text (b, tip);
      gtk_box_append (GTK_BOX (modes), b);
    }
  gtk_box_append (GTK_BOX (bar), modes);
  GtkWidget *down = gtk_button_new_from_icon_name ("go-down-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (down), "win.layer");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (down), "i", -1);
  gtk_widget_set_tooltip_text (down, "Previous layer (Page Down)");
  GtkWidget *up = gtk_button_new_from_icon_name ("go-up-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (up), "win.layer");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (up), "i", 1);
  gtk_widget_set_tooltip_text (up, "Next layer (Page Up)");
  /* the layer controls show in the layers mode only (the bar is narrow) */
  self->layer_controls = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *layer_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (layer_box, "linked");
  gtk_box_append (GTK_BOX (layer_box), down);
  gtk_box_append (GTK_BOX (layer_box), up);
  gtk_box_append (GTK_BOX (self->layer_controls), layer_box);
  self->view_label = gtk_label_new ("");
  gtk_widget_add_css_class (self->view_label, "dim-label");
  gtk_box_append (GTK_BOX (self->layer_controls), self->view_label);
  gtk_widget_set_visible (self->layer_controls, FALSE);
  gtk_box_append (GTK_BOX (bar), self->layer_controls);
  GtkWidget *spacer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand (spacer, TRUE);
  gtk_box_append (GTK_BOX (bar), spacer);
  /* one view, or a comparison of the two (C toggles, S and D pick) */
  GtkWidget *layouts_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (layouts_box, "linked");
  static const struct
  {
    const char *label, *target, *tip;
  } layouts[] = {
    { "One", "single", "One view (C toggles the comparison)" },
    { "Side by side", "side", "Before and after (or the reconstruction and the truth) side by "
                              "side, turning together (C)" },
    { "Split", "split", "One view, before left of the divider and after right of it: drag "
                        "the divider, or move it with [ and ] (S)" },
    { "Difference", "difference", "What differs: after − before of the volumes, or how far "
                                  "each atom moved (D)" },
  };
  group = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      GtkWidget *b = gtk_toggle_button_new_with_label (layouts[i].label);
      if (group != NULL)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (b), GTK_TOGGLE_BUTTON (group));
      group = b;
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "win.compare-layout");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", layouts[i].target);
      gtk_widget_set_tooltip_text (b, layouts[i].tip);
      gtk_box_append (GTK_BOX (layouts_box), b);
    }
  gtk_box_append (GTK_BOX (bar), layouts_box);
  GtkWidget *reset = gtk_button_new_from_icon_name ("zoom-fit-best-symbolic");
  gtk_widget_set_tooltip_text (reset, "Reset the view: frame the particle, look down the beam "
                                      "(R)");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (reset), "win.reset-view");
  gtk_box_append (GTK_BOX (bar), reset);
  gtk_box_append (GTK_BOX (self->center_box), bar);

  self->compare = AET_COMPARE_VIEW (aet_compare_view_new ());
  g_signal_connect (self->compare, "notify::comparing", G_CALLBACK (compare_changed), self);
  g_signal_connect (self->compare, "notify::layout", G_CALLBACK (compare_changed), self);
  GtkWidget *overlay = gtk_overlay_new ();
  gtk_widget_set_vexpand (overlay, TRUE);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (self->compare));
  /* what to do first, while there is nothing to show */
  self->empty_state = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_halign (self->empty_state, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->empty_state, GTK_ALIGN_CENTER);
  GtkWidget *title = gtk_label_new ("No data yet");
  gtk_widget_add_css_class (title, "title-1");
  GtkWidget *hint = gtk_label_new ("Open a tilt series (MRC or TIFF with its .tlt), a project or "
                                   "an .xyz model — or drop one here.\nOr simulate a "
                                   "nanoparticle and watch it being reconstructed.");
  gtk_label_set_justify (GTK_LABEL (hint), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (hint, "dim-label");
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  GtkWidget *open = gtk_button_new_with_label ("Open…");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (open), "win.open");
  GtkWidget *demo = gtk_button_new_with_label ("Run the Demo");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (demo), "win.demo");
  gtk_widget_add_css_class (demo, "suggested-action");
  gtk_box_append (GTK_BOX (buttons), open);
  gtk_box_append (GTK_BOX (buttons), demo);
  gtk_box_append (GTK_BOX (self->empty_state), title);
  gtk_box_append (GTK_BOX (self->empty_state), hint);
  gtk_box_append (GTK_BOX (self->empty_state), buttons);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->empty_state);
  gtk_box_append (GTK_BOX (self->center_box), overlay);
  for (int i = 0; i < 2; i++)
    {
      g_signal_connect (viewer (self, i), "notify::view-mode",
                        G_CALLBACK (viewer_mode_changed), self);
      g_signal_connect (viewer (self, i), "notify::layer-index",
                        G_CALLBACK (viewer_mode_changed), self);
      g_signal_connect (viewer (self, i), "atom-picked", G_CALLBACK (atom_picked), self);
    }
}

static void
aet_window_dispose (GObject *object)
{
  AetWindow *self = AET_WINDOW (object);
  set_pipeline (self, NULL);
  clear_data (self);
  g_clear_handle_id (&self->error_plot_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), AET_TYPE_WINDOW);
  G_OBJECT_CLASS (aet_window_parent_class)->dispose (object);
}

static void
aet_window_finalize (GObject *object)
{
  AetWindow *self = AET_WINDOW (object);
  g_free (self->project_path);
  g_free (self->last_folder);
  G_OBJECT_CLASS (aet_window_parent_class)->finalize (object);
}

static void
aet_window_class_init (AetWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = aet_window_dispose;
  object_class->finalize = aet_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = aet_window_close_request;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/aetstudio/AetStudio/aet-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AetWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, sidebar_box);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, center_box);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, inspector_scroller);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, AetWindow, run_stack);
  g_type_ensure (AET_TYPE_STAGE_LIST);
}

static void
aet_window_init (AetWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  const GActionEntry entries[] = {
    { "open", action_open },
    { "save", action_save },
    { "save-as", action_save_as },
    { "new-simulation", action_new_simulation },
    { "run", action_run },
    { "cancel", action_cancel },
    { "realign", action_realign },
    { "export", action_export },
    { "fullscreen", action_fullscreen },
    { "compare", action_compare, NULL, "false" },
    { "compare-layout", action_compare_layout, "s", "'single'" },
    { "show-substrate", NULL, NULL, "false", action_show_substrate },
    { "average-flips", NULL, NULL, "false", action_set_state },
    { "refine-atoms", NULL, NULL, "true", action_set_state },
    { "augment-passes", NULL, "i", "1", action_augment_passes },
    { "view-mode", action_view_mode, "s", "'iso'" },
    { "dismiss-error", action_dismiss_error },
    { "demo", action_demo },
    { "layer", action_layer, "i" },
    { "view-along", action_view_along, "s" },
    { "reset-view", action_reset_view },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  g_simple_action_set_state (
    G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "augment-passes")),
    g_variant_new_int32 (AET_AUGMENT_DEFAULT_PASSES));

  build_sidebar (self);
  build_center (self);
  self->inspector = AET_INSPECTOR (aet_inspector_new ());
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->inspector_scroller),
                                 GTK_WIDGET (self->inspector));

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_files), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  /* the keyboard shortcuts window (win.show-help-overlay, Ctrl+?) */
  g_autoptr (GtkBuilder) builder
    = gtk_builder_new_from_resource ("/org/aetstudio/AetStudio/aet-shortcuts.ui");
  GtkShortcutsWindow *help = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder,
                                                                           "help_overlay"));
  gtk_application_window_set_help_overlay (GTK_APPLICATION_WINDOW (self), help);

  load_settings (self);
  update_busy (self);
  update_substrate (self);
  update_network_label (self);
}

AetWindow *
aet_window_new (GtkApplication *app)
{
  return g_object_new (AET_TYPE_WINDOW, "application", app, NULL);
}

AetCompareView *
aet_window_get_compare_view (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), NULL);
  return self->compare;
}

AetInspector *
aet_window_get_inspector (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), NULL);
  return self->inspector;
}

AetStageList *
aet_window_get_stage_list (AetWindow *self)
{
  g_return_val_if_fail (AET_IS_WINDOW (self), NULL);
  return self->stages;
}
