/* The pipeline end to end on a small simulated particle: stages, re-runs
 * that skip what did not change, cancellation at every stage, and a save
 * killed midway that leaves the previous project intact. */
#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aet-error.h"
#include "aet-pipeline.h"
#include "aet-project-file.h"
#include "aet-unet.h"
#include "aet-weights.h"
#include "scratch-dir.h"

static char *tmpdir;
static char *model_path;

/* A network that passes its input through: a 1×1×1 convolution of weight 1
 * and a ReLU. */
static AetUnet *
pass_through_net (void)
{
  AetLayerSpec s = { 0 };
  s.kind = AET_LAYER_CONV3D;
  s.in_channels = s.out_channels = 1;
  s.kernel = 1;
  s.stride = 1;
  s.n_inputs = 1;
  s.inputs[0] = AET_LAYER_INPUT;
  s.activation = AET_ACT_RELU;
  AetUnet *net = aet_unet_new (&s, 1, 1, "pass-through", NULL);
  g_assert_nonnull (net);
  aet_unet_get_param (net, 0)->data[0] = 1.0f;
  return net;
}

/* A small particle, few iterations, a tiny (untrained) network: the test is
 * about the engine, not about accuracy. */
static AetPipeline *
small_pipeline (void)
{
  AetPipeline *p = aet_pipeline_new (aet_project_new ());
  aet_pipeline_set_param (p, "simulate/enabled", "true");
  aet_pipeline_set_param (p, "simulate/size", "56");
  aet_pipeline_set_param (p, "simulate/radius", "5");
  aet_pipeline_set_param (p, "simulate/seed", "7");
  aet_pipeline_set_param (p, "simulate/tilt", "-60:60:10");
  aet_pipeline_set_param (p, "reconstruct/iterations", "12");
  aet_pipeline_set_param (p, "reconstruct/snapshot_every", "4");
  aet_pipeline_set_param (p, "augment/model", model_path);
  aet_pipeline_set_param (p, "augment/tile", "0");
  /* one network pass: an untrained network's output only gets noisier with
   * more (test_passes_and_unanalysable_model runs them) */
  aet_pipeline_set_param (p, "augment/passes", "1");
  return p;
}

typedef struct
{
  guint snapshots;
  guint atoms;
  AetStageId cancel_at;
  AetPipeline *pipeline;
  gboolean finished;
  guint error_events;       /* progress events carrying the error per iteration */
  guint last_n;             /* iterations in the last of them */
  gboolean error_shrank;    /* a later event carried fewer iterations */
  gdouble errors[64];       /* the last curve */
} Events;

/* Runs on the pipeline's thread. */
static void
count_events (const AetPipelineEvent *e, gpointer user_data)
{
  Events *ev = user_data;
  if (e->kind == AET_PIPELINE_EVENT_VOLUME && !e->final)
    ev->snapshots++;
  if (e->kind == AET_PIPELINE_EVENT_ATOMS)
    ev->atoms++;
  if (e->kind == AET_PIPELINE_EVENT_FINISHED)
    ev->finished = TRUE;
  if (e->kind == AET_PIPELINE_EVENT_PROGRESS && e->stage == ev->cancel_at)
    aet_pipeline_cancel (ev->pipeline);
  if (e->kind == AET_PIPELINE_EVENT_PROGRESS && e->iteration_error != NULL)
    {
      g_assert_cmpint (e->stage, ==, AET_STAGE_RECONSTRUCT);
      g_assert_cmpuint (e->n_iterations, <=, G_N_ELEMENTS (ev->errors));
      ev->error_shrank |= e->n_iterations < ev->last_n;
      ev->last_n = e->n_iterations;
      ev->error_events++;
      memcpy (ev->errors, e->iteration_error, e->n_iterations * sizeof (gdouble));
    }
}

static void
test_end_to_end (void)
{
  AetPipeline *p = small_pipeline ();
  Events ev = { .cancel_at = AET_N_STAGES, .pipeline = p };
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean first = aet_pipeline_run (p, count_events, &ev, 2, &error);
  g_assert_no_error (error);
  g_assert_true (first);
  g_test_message ("end to end in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  for (AetStageId s = 0; s < AET_N_STAGES; s++)
    g_assert_cmpint (aet_pipeline_get_stage_state (p, s), ==, AET_STAGE_DONE);
  AetProject *project = aet_pipeline_get_project (p);
  g_assert_nonnull (aet_project_get_volume (project, "reconstruction"));
  g_assert_nonnull (aet_project_get_volume (project, "augmented"));
  AetAtoms *before = aet_project_get_atoms (project, "before");
  AetAtoms *truth = aet_project_get_atoms (project, "truth");
  g_assert_nonnull (before);
  g_assert_nonnull (aet_project_get_atoms (project, "after"));
  g_assert_nonnull (aet_atoms_get_column (before, "surface"));
  g_assert_nonnull (aet_atoms_get_column (aet_project_get_atoms (project, "after"), "moved_pm"));
  /* the refined model: the atoms after augmentation, moved, and measured */
  AetAtoms *refined = aet_project_get_atoms (project, "refined");
  g_assert_nonnull (refined);
  /* every atom after augmentation, moved, and any the trace missed after them */
  g_assert_cmpuint (refined->n_atoms, >=, aet_project_get_atoms (project, "after")->n_atoms);
  g_assert_nonnull (aet_atoms_get_column (refined, "refine_move_pm"));
  g_assert_nonnull (aet_atoms_get_column (refined, "refine_added"));
  g_assert_nonnull (aet_project_get_param (project, "result/refined/rmsd_pm"));
  g_assert_nonnull (aet_project_get_param (project, "result/reconstruct/geometry"));
  gdouble r0 = g_ascii_strtod (aet_project_get_param (project, "result/refine/r_before"), NULL);
  gdouble r1 = g_ascii_strtod (aet_project_get_param (project, "result/refine/r_after"), NULL);
  g_test_message ("refinement: R %.4f → %.4f", r0, r1);
  g_assert_cmpfloat (r1, <, r0);
  g_assert_nonnull (g_strstr_len (aet_project_get_report (project), -1, "\"refined\""));
  /* a few noisy tilts and 12 iterations still find most atoms */
  gdouble recall = g_ascii_strtod (aet_project_get_param (project, "result/before/recall"), NULL);
  g_test_message ("%zu true atoms, %zu traced, recall %.3f", truth->n_atoms, before->n_atoms,
                  recall);
  g_assert_cmpfloat (recall, >, 0.8);
  g_assert_nonnull (g_strstr_len (aet_project_get_report (project), -1, "\"before\""));
  /* snapshots every 4 of 12 iterations */
  g_assert_cmpuint (ev.snapshots, >=, 2);
  g_assert_cmpuint (ev.atoms, >=, 4);
  g_assert_true (ev.finished);
  /* progress during GENFIRE carries the error curve so far: one more
   * iteration each time, ending with the curve the project stores */
  g_assert_cmpuint (ev.error_events, >=, 12);
  g_assert_false (ev.error_shrank);
  g_assert_cmpuint (ev.last_n, ==, 12);
  g_auto (GStrv) stored = g_strsplit (aet_project_get_param (project, "result/reconstruct/error"),
                                      ",", -1);
  g_assert_cmpuint (g_strv_length (stored), ==, 12);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (g_ascii_strtod (stored[i], NULL), ev.errors[i],
                                    1e-5 * ev.errors[i]);

  /* the project round-trips with every stage's results and signatures */
  g_autofree char *path = g_build_filename (tmpdir, "run.h5", NULL);
  g_assert_true (aet_project_save (project, path, &error));
  g_assert_no_error (error);
  aet_pipeline_free (p);
  g_autoptr (AetProject) reopened = aet_project_load (path, &error);
  g_assert_no_error (error);
  AetPipeline *again = aet_pipeline_new (g_steal_pointer (&reopened));

  /* nothing changed: nothing runs */
  g_assert_true (aet_pipeline_run (again, NULL, NULL, 2, &error));
  g_autofree char *log = aet_pipeline_dup_log (again);
  g_assert_cmpstr (log, ==,
                   "simulate: up to date\nreconstruct: up to date\ntrace_before: up to date\n"
                   "augment: up to date\ntrace_after: up to date\nrefine: up to date\n"
                   "analyse: up to date\n");

  /* a new tracing parameter re-runs tracing and analysis, not the
   * reconstruction */
  aet_pipeline_set_param (again, "trace/min_distance", "2.2");
  gboolean ok2 = aet_pipeline_run (again, NULL, NULL, 2, &error);
  g_assert_no_error (error);
  g_assert_true (ok2);
  g_autofree char *log2 = aet_pipeline_dup_log (again);
  g_assert_cmpstr (log2, ==,
                   "simulate: up to date\nreconstruct: up to date\ntrace_before: ran\n"
                   "augment: up to date\ntrace_after: ran\nrefine: ran\nanalyse: ran\n");

  /* a refinement parameter re-runs the refinement and analysis only */
  aet_pipeline_set_param (again, "refine/prior_pm", "8");
  gboolean refined_again = aet_pipeline_run (again, NULL, NULL, 2, &error);
  g_assert_no_error (error);
  g_assert_true (refined_again);
  /* the refined model is measured, or (the tiny untrained network's model
   * may hold no FCC lattice) the reason it was not is recorded; the run
   * goes on either way */
  AetProject *pr_refine = aet_pipeline_get_project (again);
  g_assert_true ((aet_project_get_param (pr_refine, "result/refined/rmsd_pm") != NULL)
                 != (aet_project_get_param (pr_refine, "result/refined/error") != NULL));
  g_autofree char *log_refine = aet_pipeline_dup_log (again);
  g_assert_cmpstr (log_refine, ==,
                   "simulate: up to date\nreconstruct: up to date\ntrace_before: up to date\n"
                   "augment: up to date\ntrace_after: up to date\nrefine: ran\nanalyse: ran\n");

  /* realignment: the refinement's geometry becomes the reconstruction's,
   * and everything from the reconstruction on runs again with it */
  g_assert_nonnull (aet_project_get_param (pr_refine, "result/refine/geometry"));
  /* (the tiny untrained network's atoms give no geometry to trust: the
   * one the reconstruction used stands in for the refinement's, a
   * different parameter all the same) */
  g_autofree char *taken
    = g_strdup (aet_project_get_param (pr_refine, "result/reconstruct/geometry"));
  aet_project_set_param (pr_refine, "result/refine/geometry", taken);
  g_assert_true (aet_pipeline_take_refined_geometry (again));
  gboolean realigned = aet_pipeline_run (again, NULL, NULL, 2, &error);
  g_assert_no_error (error);
  g_assert_true (realigned);
  g_autofree char *log_realign = aet_pipeline_dup_log (again);
  g_assert_cmpstr (log_realign, ==,
                   "simulate: up to date\nreconstruct: ran\ntrace_before: ran\n"
                   "augment: ran\ntrace_after: ran\nrefine: ran\nanalyse: ran\n");
  g_assert_cmpstr (aet_project_get_param (pr_refine, "result/reconstruct/geometry"), ==, taken);
  /* a geometry that does not fit the series is refused, naming the key */
  aet_pipeline_set_param (again, "reconstruct/geometry", "1,2,3");
  g_assert_false (aet_pipeline_run (again, NULL, NULL, 2, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "reconstruct/geometry"));
  g_clear_error (&error);
  aet_pipeline_set_param (again, "reconstruct/geometry", taken);

  /* refinement turned off: the earlier refined model and its results go */
  aet_pipeline_set_param (again, "refine/enabled", "false");
  g_assert_true (aet_pipeline_run (again, NULL, NULL, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (aet_pipeline_get_stage_state (again, AET_STAGE_REFINE), ==,
                   AET_STAGE_NOT_NEEDED);
  g_assert_null (aet_project_get_atoms (pr_refine, "refined"));
  g_assert_null (aet_project_get_param (pr_refine, "result/refined/rmsd_pm"));
  g_assert_null (aet_project_get_param (pr_refine, "result/refine/r_after"));
  aet_pipeline_set_param (again, "refine/enabled", NULL);

  /* the same weights recorded as trained at another sampling: the network
   * then runs on a resampled grid, so augmentation and what follows re-run,
   * and the result is still on the reconstruction's grid.  (A network that
   * passes its input through, so the traced model after stays a crystal.) */
  g_autofree char *saved_path = g_build_filename (tmpdir, "tiny-net-saved.h5", NULL);
  g_assert_cmpint (g_rename (model_path, saved_path), ==, 0);
  const gdouble samplings[] = { 0.357, 0.37 };
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (AetUnet) net = pass_through_net ();
      aet_unet_set_voxel_size (net, samplings[i]);
      g_assert_true (aet_weights_save (net, NULL, model_path, &error));
      gboolean ran = aet_pipeline_run (again, NULL, NULL, 2, &error);
      g_assert_no_error (error);
      g_assert_true (ran);
      g_autofree char *log3 = aet_pipeline_dup_log (again);
      g_assert_cmpstr (log3, ==,
                       "simulate: up to date\nreconstruct: up to date\ntrace_before: up to "
                       "date\naugment: ran\ntrace_after: ran\nrefine: ran\nanalyse: ran\n");
    }
  g_assert_cmpint (g_rename (saved_path, model_path), ==, 0);
  AetProject *pr = aet_pipeline_get_project (again);
  AetVolume *recon = aet_project_get_volume (pr, "reconstruction");
  AetVolume *augmented = aet_project_get_volume (pr, "augmented");
  g_assert_true (aet_volume_same_shape (recon, augmented));
  g_assert_cmpfloat (augmented->voxel_size, ==, recon->voxel_size);
  aet_pipeline_free (again);
}

/* Every stage honours the thread count and gives the same result with 1 and
 * 2 threads: the volumes bit for bit, the traced atoms exactly. */
static void
test_threads_do_not_change_results (void)
{
  AetPipeline *p[2];
  for (guint t = 1; t <= 2; t++)
    {
      p[t - 1] = small_pipeline ();
      g_autoptr (GError) error = NULL;
      g_assert_true (aet_pipeline_run (p[t - 1], NULL, NULL, t, &error));
      g_assert_no_error (error);
    }
  AetProject *a = aet_pipeline_get_project (p[0]), *b = aet_pipeline_get_project (p[1]);
  const char *volumes[] = { "target", "reconstruction", "augmented" };
  for (guint v = 0; v < G_N_ELEMENTS (volumes); v++)
    {
      AetVolume *va = aet_project_get_volume (a, volumes[v]);
      AetVolume *vb = aet_project_get_volume (b, volumes[v]);
      g_assert_nonnull (va);
      g_assert_true (aet_volume_same_shape (va, vb));
      g_assert_cmpmem (va->data, aet_volume_n_voxels (va) * sizeof (gfloat), vb->data,
                       aet_volume_n_voxels (vb) * sizeof (gfloat));
    }
  const char *models[] = { "before", "after", "refined" };
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      AetAtoms *ma = aet_project_get_atoms (a, models[m]);
      AetAtoms *mb = aet_project_get_atoms (b, models[m]);
      g_assert_cmpuint (ma->n_atoms, ==, mb->n_atoms);
      g_assert_cmpmem (ma->positions, 3 * ma->n_atoms * sizeof (gdouble), mb->positions,
                       3 * mb->n_atoms * sizeof (gdouble));
    }
  g_assert_cmpstr (aet_project_get_report (a), ==, aet_project_get_report (b));
  aet_pipeline_free (p[0]);
  aet_pipeline_free (p[1]);
}

static void
test_cancel_at_each_stage (void)
{
  for (AetStageId s = AET_STAGE_SIMULATE; s < AET_N_STAGES; s++)
    {
      AetPipeline *p = small_pipeline ();
      Events ev = { .cancel_at = s, .pipeline = p };
      guint generation = aet_pipeline_start (p, count_events, &ev, 2);
      g_assert_cmpuint (generation, >, 0);
      g_autoptr (GError) error = NULL;
      gboolean ok = aet_pipeline_wait (p, &error);
      AetStageState state = aet_pipeline_get_stage_state (p, s);
      if (ok)
        {
          /* a stage that reported no progress before finishing could not be
           * caught: it must then have completed */
          g_assert_cmpint (state, ==, AET_STAGE_DONE);
          aet_pipeline_free (p);
          continue;
        }
      g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
      g_assert_cmpint (state, ==, AET_STAGE_CANCELLED);
      for (AetStageId before = 0; before < s; before++)
        g_assert_cmpint (aet_pipeline_get_stage_state (p, before), ==, AET_STAGE_DONE);

      /* the interrupted project saves, reopens, and resumes where it stopped */
      g_autofree char *path = g_build_filename (tmpdir, "cancelled.h5", NULL);
      g_assert_true (aet_project_save (aet_pipeline_get_project (p), path, NULL));
      aet_pipeline_free (p);
      AetPipeline *resumed = aet_pipeline_new (aet_project_load (path, NULL));
      g_assert_true (aet_pipeline_run (resumed, NULL, NULL, 2, NULL));
      for (AetStageId before = 0; before < s; before++)
        g_assert_cmpint (aet_pipeline_get_stage_state (resumed, before), ==,
                         AET_STAGE_UP_TO_DATE);
      g_assert_cmpint (aet_pipeline_get_stage_state (resumed, s), ==, AET_STAGE_DONE);
      g_test_message ("cancelled in %s: reopened and finished", aet_stage_name (s));
      aet_pipeline_free (resumed);
    }
}

static void
test_killed_save_keeps_previous_file (void)
{
  AetPipeline *p = small_pipeline ();
  aet_pipeline_set_param (p, "augment/enabled", "false");
  g_assert_true (aet_pipeline_run (p, NULL, NULL, 2, NULL));
  AetProject *project = aet_pipeline_get_project (p);
  g_autofree char *path = g_build_filename (tmpdir, "killed.h5", NULL);
  g_assert_true (aet_project_save (project, path, NULL));
  g_autofree char *good = NULL;
  gsize good_len = 0;
  g_assert_true (g_file_get_contents (path, &good, &good_len, NULL));

  /* a child saves a larger project over it again and again; it is killed
   * mid-save at several moments */
  g_autoptr (AetVolume) big = aet_volume_new (160, 160, 160, 0.357);
  aet_project_set_volume (project, "big", big);
  for (guint delay_ms = 5; delay_ms <= 45; delay_ms += 20)
    {
      pid_t child = fork ();
      g_assert_cmpint (child, >=, 0);
      if (child == 0)
        {
          for (;;)
            aet_project_save (project, path, NULL);
        }
      g_usleep (delay_ms * 1000);
      kill (child, SIGKILL);
      int status = 0;
      waitpid (child, &status, 0);
      g_assert_true (WIFSIGNALED (status));
      g_autoptr (GError) error = NULL;
      g_autoptr (AetProject) reread = aet_project_load (path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (aet_project_get_volume (reread, "reconstruction"));
    }
  aet_pipeline_free (p);
}

static void
count_augmented (const AetPipelineEvent *e, gpointer user_data)
{
  guint *n = user_data;
  if (e->kind == AET_PIPELINE_EVENT_VOLUME && !e->final && g_strcmp0 (e->name, "augmented") == 0)
    (*n)++;
}

/* The augment stage's passes go to the viewer as they come (all but the
 * last, which is the stage's result).  A model that is no crystal (here
 * the atoms after augmentation replaced by a gas) cannot be analysed: the
 * run still succeeds, says why in result/after/error, and reports the
 * others. */
static void
test_passes_and_unanalysable_model (void)
{
  AetPipeline *p = small_pipeline ();
  aet_pipeline_set_param (p, "augment/passes", "3");
  aet_pipeline_set_param (p, "augment/sirt_iterations", "4");
  aet_pipeline_set_param (p, "refine/enabled", "false");
  guint intermediate = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_pipeline_run (p, count_augmented, &intermediate, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (intermediate, ==, 2);

  AetProject *project = aet_pipeline_get_project (p);
  g_autoptr (AetAtoms) gas = aet_atoms_new (0);
  GRand *rand = g_rand_new_with_seed (3);
  for (gint i = 0; i < 60; i++)
    aet_atoms_append (gas, 78, g_rand_double_range (rand, 5, 15),
                      g_rand_double_range (rand, 5, 15), g_rand_double_range (rand, 5, 15));
  g_rand_free (rand);
  aet_project_set_atoms (project, "after", gas);
  aet_pipeline_set_param (p, "analyse/reference_a", "3.92");
  g_assert_true (aet_pipeline_run (p, NULL, NULL, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (aet_pipeline_get_stage_state (p, AET_STAGE_ANALYSE), ==, AET_STAGE_DONE);
  const char *why = aet_project_get_param (project, "result/after/error");
  g_assert_nonnull (why);
  g_test_message ("after: %s", why);
  g_assert_nonnull (strstr (why, "lattice"));
  g_assert_null (aet_project_get_param (project, "result/after/rmsd_pm"));
  g_assert_nonnull (aet_project_get_param (project, "result/before/rmsd_pm"));
  g_assert_null (aet_project_get_param (project, "result/before/error"));
  g_assert_nonnull (strstr (aet_project_get_report (project), "\"after\": null"));
  aet_pipeline_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = aet_test_scratch_dir_new ("aet-pipeline");
  model_path = g_build_filename (tmpdir, "tiny-net.h5", NULL);
  {
    g_autoptr (GError) error = NULL;
    AetUnet *net = aet_unet_new_default (4, 1, 3);
    g_assert_nonnull (net);
    g_assert_true (aet_weights_save (net, NULL, model_path, &error));
    g_assert_no_error (error);
    aet_unet_free (net);
  }
  g_test_add_func ("/compute/pipeline/end-to-end", test_end_to_end);
  g_test_add_func ("/compute/pipeline/passes-and-unanalysable-model",
                   test_passes_and_unanalysable_model);
  g_test_add_func ("/compute/pipeline/threads", test_threads_do_not_change_results);
  g_test_add_func ("/compute/pipeline/cancel-at-each-stage", test_cancel_at_each_stage);
  g_test_add_func ("/compute/pipeline/killed-save-keeps-previous-file",
                   test_killed_save_keeps_previous_file);
  int status = g_test_run ();
  aet_test_remove_tree (tmpdir);
  return status;
}
