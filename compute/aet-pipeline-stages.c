/* aet-pipeline-stages.c — the bodies of the pipeline's stages: what each
 * reads from and writes into the project, and when it is needed.
 *
 * Project names: tilt series "tilts"; simulated truth "truth" (atoms) and
 * "target" (volume); "reconstruction"; atoms "before"; "augmented"; atoms
 * "after"; atoms "refined"; the report.  Parameters: "<stage>/<key>" (see docs/pipeline.md);
 * results for summaries under "result/…", which no signature reads. */
#define G_LOG_DOMAIN "aet-pipeline"

#include "aet-analysis.h"
#include "aet-augment-consistent.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-match.h"
#include "aet-pipeline-private.h"
#include "aet-reconstruct.h"
#include "aet-refine.h"
#include "aet-report.h"
#include "aet-simulate.h"
#include "aet-trace.h"
#include "aet-train.h"
#include "aet-weights.h"

#include <math.h>
#include <string.h>

/* ---- simulate ---- */

static gboolean
simulate_needed (AetProject *project)
{
  return g_strcmp0 (aet_project_get_param (project, "simulate/enabled"), "true") == 0;
}

static gboolean
simulate_has_outputs (AetProject *project)
{
  return aet_project_get_tilt_series (project, "tilts") != NULL
         && aet_project_get_atoms (project, "truth") != NULL;
}

static gboolean
simulate_run (AetStageContext *c, GError **error)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  const char *element = aet_stage_param (c, "simulate/element", "Pt");
  p.element = aet_element_from_symbol (element);
  if (p.element == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "simulate: unknown element “%s”",
                   element);
      return FALSE;
    }
  const char *shape = aet_stage_param (c, "simulate/shape", "sphere-union");
  if (!aet_shape_kind_from_name (shape, &p.shape))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "simulate: unknown shape “%s”", shape);
      return FALSE;
    }
  p.radius = aet_stage_param_double (c, "simulate/radius", p.radius);
  p.substrate = g_strcmp0 (aet_stage_param (c, "simulate/substrate", "false"), "true") == 0;
  p.size = aet_stage_param_int (c, "simulate/size", p.size);
  p.pixel = aet_stage_param_double (c, "simulate/pixel", p.pixel);
  p.seed = (guint64) aet_stage_param_double (c, "simulate/seed", 1);
  p.counts = aet_stage_param_double (c, "simulate/counts", p.counts);
  p.angle_error = aet_stage_param_double (c, "simulate/angle_error", p.angle_error);
  p.shift_error = aet_stage_param_double (c, "simulate/shift_error", p.shift_error);
  p.b_input = aet_stage_param_double (c, "simulate/b_factor", p.b_input);
  g_autofree gdouble *angles = NULL;
  const char *tilt = aet_stage_param (c, "simulate/tilt", NULL);
  if (tilt != NULL)
    {
      angles = aet_parse_tilt_range (tilt, &p.n_angles, error);
      if (angles == NULL)
        return FALSE;
      p.angles = angles;
    }
  if (!aet_sim_params_validate (&p, error))
    return FALSE;
  g_autoptr (AetSimResult) r = aet_simulate (&p, aet_stage_context_job (c), error);
  if (r == NULL)
    return FALSE;
  AetProject *project = aet_stage_context_project (c);
  aet_project_set_tilt_series (project, "tilts", r->tilts);
  aet_project_set_atoms (project, "truth", r->truth);
  aet_project_set_volume (project, "target", r->target);
  g_autofree char *geometry = aet_sim_result_geometry_text (r);
  aet_project_set_param (project, "result/simulate/true_geometry", geometry);
  aet_stage_emit_volume (c, "target", r->target, TRUE);
  aet_stage_emit_atoms (c, "truth", r->truth);
  return TRUE;
}

/* ---- reconstruct ---- */

static void
tilts_hash (AetProject *project, GChecksum *sum)
{
  AetTiltSeries *s = aet_project_get_tilt_series (project, "tilts");
  if (s == NULL)
    return;
  aet_checksum_volume (sum, s->images);
  gsize n = (gsize) aet_tilt_series_n_images (s);
  g_checksum_update (sum, (const guchar *) s->angles, n * sizeof (gdouble));
  g_checksum_update (sum, (const guchar *) s->shifts, 2 * n * sizeof (gdouble));
}

static gboolean
reconstruct_has_outputs (AetProject *project)
{
  return aet_project_get_volume (project, "reconstruction") != NULL;
}

static void
on_snapshot (AetVolume *snapshot, gint iteration, gpointer user_data)
{
  aet_stage_emit_volume (user_data, "reconstruction", snapshot, FALSE);
}

static gboolean
reconstruct_run (AetStageContext *c, GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  AetTiltSeries *stored = aet_project_get_tilt_series (project, "tilts");
  if (stored == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "reconstruct: the project has no tilt series");
      return FALSE;
    }
  AetReconParams p;
  aet_recon_params_init (&p);
  const char *method = aet_stage_param (c, "reconstruct/method", "genfire");
  if (strcmp (method, "sirt") == 0)
    p.method = AET_RECON_SIRT;
  else if (strcmp (method, "wbp") == 0)
    p.method = AET_RECON_WBP;
  else if (strcmp (method, "genfire") == 0)
    p.method = AET_RECON_GENFIRE;
  else
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "reconstruct: method “%s”: use genfire, sirt or wbp", method);
      return FALSE;
    }
  p.iterations = aet_stage_param_int (c, "reconstruct/iterations", 0);
  p.oversampling = aet_stage_param_double (c, "reconstruct/oversampling", p.oversampling);
  p.cutoff = aet_stage_param_double (c, "reconstruct/cutoff", p.cutoff);
  const char *support = aet_stage_param (c, "reconstruct/support", "auto");
  p.support = strcmp (support, "none") == 0 ? AET_SUPPORT_NONE : AET_SUPPORT_AUTO;
  const char *align = aet_stage_param (c, "reconstruct/align", "none");
  p.align = strcmp (align, "com") == 0      ? AET_ALIGN_COM
            : strcmp (align, "xcorr") == 0  ? AET_ALIGN_XCORR
            : strcmp (align, "refine") == 0 ? AET_ALIGN_REFINE
                                            : AET_ALIGN_NONE;
  p.snapshot_every = aet_stage_param_int (c, "reconstruct/snapshot_every", 5);
  p.snapshot_func = on_snapshot;
  p.snapshot_data = c;
  /* alignment writes into the series: work on a copy so a cancelled run
   * leaves the project's tilt series as it was */
  g_autoptr (AetTiltSeries) series = aet_tilt_series_dup (stored);
  /* a geometry given (a refinement's, aet_pipeline_take_refined_geometry)
   * replaces the series' own, and alignment */
  const char *given = aet_stage_param (c, "reconstruct/geometry", NULL);
  if (given != NULL)
    {
      if (!aet_geometry_parse (given, series->angles, series->shifts,
                               (gsize) aet_tilt_series_n_images (series)))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "reconstruct: reconstruct/geometry does not hold an angle and two "
                       "shifts for each of the %d images",
                       aet_tilt_series_n_images (series));
          return FALSE;
        }
      p.align = AET_ALIGN_NONE;
    }
  if (!aet_recon_params_validate (&p, series, error))
    return FALSE;
  AetReconStats stats = { 0 };
  aet_stage_context_set_recon_stats (c, &stats);
  g_autoptr (AetVolume) volume
    = aet_reconstruct (series, &p, &stats, aet_stage_context_job (c), error);
  aet_stage_context_set_recon_stats (c, NULL);
  if (volume == NULL)
    {
      aet_recon_stats_clear (&stats);
      return FALSE;
    }
  /* the reconstruction error per iteration, for the window's plot */
  g_autoptr (GString) err = g_string_new (NULL);
  for (gint i = 0; i < stats.n_iterations; i++)
    g_string_append_printf (err, "%s%.6g", i ? "," : "", stats.error[i]);
  aet_project_set_param (project, "result/reconstruct/error", err->str);
  /* the geometry alignment found, for the refinement to start from */
  g_autofree char *geometry = aet_geometry_text (series->angles, series->shifts,
                                                 aet_tilt_series_n_images (series));
  aet_project_set_param (project, "result/reconstruct/geometry", geometry);
  aet_recon_stats_clear (&stats);
  aet_project_set_volume (project, "reconstruction", volume);
  aet_stage_emit_volume (c, "reconstruction", volume, TRUE);
  return TRUE;
}

/* ---- trace (before and after) ---- */

static gboolean
trace_volume (AetStageContext *c, const char *volume_name, const char *atoms_name,
              GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  AetVolume *volume = aet_project_get_volume (project, volume_name);
  if (volume == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "trace: the project has no %s volume",
                   volume_name);
      return FALSE;
    }
  AetTraceParams p;
  aet_trace_params_init_defaults (&p);
  p.min_distance = aet_stage_param_double (c, "trace/min_distance", p.min_distance);
  p.threshold = aet_stage_param_double (c, "trace/threshold", p.threshold);
  p.upsample = aet_stage_param_int (c, "trace/upsample", p.upsample);
  AetAtoms *truth = aet_project_get_atoms (project, "truth");
  if (truth != NULL && truth->n_atoms > 0)
    p.element = truth->elements[0];
  g_autoptr (AetAtoms) atoms = aet_trace (volume, &p, aet_stage_context_job (c), error);
  if (atoms == NULL)
    return FALSE;
  aet_project_set_atoms (project, atoms_name, atoms);
  aet_stage_emit_atoms (c, atoms_name, atoms);
  return TRUE;
}

static gboolean
trace_before_has_outputs (AetProject *project)
{
  return aet_project_get_atoms (project, "before") != NULL;
}

static gboolean
trace_before_run (AetStageContext *c, GError **error)
{
  return trace_volume (c, "reconstruction", "before", error);
}

static gboolean
trace_after_has_outputs (AetProject *project)
{
  return aet_project_get_atoms (project, "after") != NULL;
}

static gboolean
trace_after_run (AetStageContext *c, GError **error)
{
  return trace_volume (c, "augmented", "after", error);
}

/* Trace parameters are shared by both tracing stages: "trace/…" keys are
 * hashed into each of them. */
static void
trace_params_hash (AetProject *project, GChecksum *sum)
{
  g_auto (GStrv) keys = aet_project_dup_param_keys (project);
  for (guint i = 0; keys[i] != NULL; i++)
    if (g_str_has_prefix (keys[i], "trace/"))
      {
        g_checksum_update (sum, (const guchar *) keys[i], -1);
        g_checksum_update (sum, (const guchar *) aet_project_get_param (project, keys[i]), -1);
      }
}

/* ---- augment ---- */

/* The network file: "augment/model", else the shipped one. Caller owns. */
static char *
model_path (AetProject *project)
{
  const char *given = aet_project_get_param (project, "augment/model");
  if (given != NULL && *given)
    return g_strdup (given);
  return aet_train_find_default_model ();
}

static gboolean
augment_needed (AetProject *project)
{
  if (g_strcmp0 (aet_project_get_param (project, "augment/enabled"), "false") == 0)
    return FALSE;
  g_autofree char *path = model_path (project);
  return path != NULL;
}

/* The network file's bytes, and the sampling it runs at: the file holds it
 * (or, from before it was recorded, implies the default), but the default
 * is a constant of this code, so it is hashed as read. */
static void
augment_hash (AetProject *project, GChecksum *sum)
{
  g_autofree char *path = model_path (project);
  g_autofree char *contents = NULL;
  gsize n = 0;
  if (path != NULL && g_file_get_contents (path, &contents, &n, NULL))
    g_checksum_update (sum, (const guchar *) contents, n);
  g_autoptr (AetUnet) net = path != NULL ? aet_weights_load (path, NULL, NULL) : NULL;
  if (net != NULL)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE + 32] = "augment/net_voxel_size=";
      gsize k = strlen (buf);
      g_ascii_dtostr (buf + k, sizeof buf - k, aet_unet_get_voxel_size (net));
      g_checksum_update (sum, (const guchar *) buf, -1);
    }
  /* the defaults a project that does not set them runs with */
  g_autofree char *defaults = g_strdup_printf (
    "augment/passes_default=%d band_default=%g sirt_default=%d relaxation_default=%g",
    AET_AUGMENT_DEFAULT_PASSES, AET_AUGMENT_CONSISTENT_BAND, AET_AUGMENT_DEFAULT_SIRT,
    AET_AUGMENT_DEFAULT_RELAXATION);
  g_checksum_update (sum, (const guchar *) defaults, -1);
}

static gboolean
augment_has_outputs (AetProject *project)
{
  return aet_project_get_volume (project, "augmented") != NULL;
}

/* Every pass but the last goes to the viewer as it comes. */
static void
emit_pass (AetVolume *augmented, gint pass, gint n_passes, gpointer user_data)
{
  if (pass < n_passes)
    aet_stage_emit_volume (user_data, "augmented", augmented, FALSE);
}

static gboolean
augment_run (AetStageContext *c, GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  AetVolume *recon = aet_project_get_volume (project, "reconstruction");
  g_autofree char *path = model_path (project);
  if (recon == NULL || path == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "augment: %s", recon == NULL ? "the project has no reconstruction"
                                                : "no trained network found");
      return FALSE;
    }
  g_autoptr (AetUnet) net = aet_weights_load (path, NULL, error);
  if (net == NULL)
    return FALSE;
  aet_unet_set_threads (net, aet_stage_context_threads (c));
  AetAugmentPasses ap;
  aet_augment_passes_init (&ap);
  ap.tile = aet_stage_param_int (c, "augment/tile", ap.tile);
  ap.overlap = aet_stage_param_int (c, "augment/overlap", ap.overlap);
  ap.n_flips = CLAMP (aet_stage_param_int (c, "augment/flips", 1), 1, AET_AUGMENT_MAX_FLIPS);
  ap.passes = CLAMP (aet_stage_param_int (c, "augment/passes", ap.passes), 1,
                     AET_AUGMENT_MAX_PASSES);
  ap.band = aet_stage_param_double (c, "augment/band", ap.band);
  ap.sirt_iterations = aet_stage_param_int (c, "augment/sirt_iterations", ap.sirt_iterations);
  ap.relaxation = aet_stage_param_double (c, "augment/relaxation", ap.relaxation);
  /* the tilt series as the reconstruction used it: the measurements to
   * keep to (a volume without its tilt series is augmented once) */
  g_autoptr (AetTiltSeries) series = aet_pipeline_dup_aligned_tilts (project);
  if (series == NULL)
    ap.passes = 1;
  g_autoptr (AetVolume) out
    = aet_augment_consistent (net, recon, "reconstruction", series, NULL, 0, &ap, NULL,
                              emit_pass, c, aet_stage_context_job (c), error);
  if (out == NULL)
    return FALSE;
  aet_project_set_volume (project, "augmented", out);
  aet_stage_emit_volume (c, "augmented", out, TRUE);
  return TRUE;
}

static gboolean
trace_after_needed (AetProject *project)
{
  return augment_needed (project);
}

/* ---- refine ---- */

static gboolean
refine_needed (AetProject *project)
{
  if (g_strcmp0 (aet_project_get_param (project, "refine/enabled"), "false") == 0)
    return FALSE;
  return augment_needed (project);
}

static gboolean
refine_has_outputs (AetProject *project)
{
  return aet_project_get_atoms (project, "refined") != NULL;
}

AetTiltSeries *
aet_pipeline_dup_aligned_tilts (AetProject *project)
{
  AetTiltSeries *stored = aet_project_get_tilt_series (project, "tilts");
  if (stored == NULL)
    return NULL;
  AetTiltSeries *series = aet_tilt_series_dup (stored);
  const char *geometry = aet_project_get_param (project, "result/reconstruct/geometry");
  aet_geometry_parse (geometry, series->angles, series->shifts,
                      (gsize) aet_tilt_series_n_images (series));
  return series;
}

static gboolean
refine_run (AetStageContext *c, GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  AetAtoms *after = aet_project_get_atoms (project, "after");
  g_autoptr (AetTiltSeries) series = aet_pipeline_dup_aligned_tilts (project);
  if (after == NULL || series == NULL)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "refine: the project has no %s",
                   after == NULL ? "atoms traced after augmentation" : "tilt series");
      return FALSE;
    }
  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.iterations = aet_stage_param_int (c, "refine/iterations", p.iterations);
  p.global_iterations = aet_stage_param_int (c, "refine/global_iterations",
                                             p.global_iterations);
  p.prior = aet_stage_param_double (c, "refine/prior_pm", 100 * p.prior) / 100;
  p.fit_geometry = g_strcmp0 (aet_stage_param (c, "refine/geometry", "true"), "false") != 0;
  gdouble b = aet_stage_param_double (c, "refine/b_factor", 0);
  if (b > 0)
    {
      p.b = b;
      p.fit_b = FALSE;
    }
  AetRefineReport report;
  g_autoptr (AetTiltSeries) refined_series = NULL;
  g_autoptr (AetAtoms) refined = aet_refine_atoms (after, series, &p, aet_stage_context_job (c),
                                                   &report, &refined_series, error);
  if (refined == NULL)
    return FALSE;
  /* the geometry the refinement ended with, in result/reconstruct/geometry's format */
  g_autofree char *geometry = aet_geometry_text (refined_series->angles, refined_series->shifts,
                                                 aet_tilt_series_n_images (refined_series));
  aet_project_set_param (project, "result/refine/geometry", geometry);
  AetReportValue v[] = {
    { "r_before", report.r_before }, { "r_after", report.r_after }, { "b_factor", report.b },
    { "rms_move_pm", 100 * report.rms_move }, { "max_move_pm", 100 * report.max_move },
    { "rms_angle_change_deg", report.rms_angle_change },
    { "rms_shift_change_px", report.rms_shift_change },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (v); i++)
    {
      g_autofree char *k = g_strdup_printf ("result/refine/%s", v[i].key);
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      aet_project_set_param (project, k, g_ascii_dtostr (buf, sizeof buf, v[i].value));
    }
  aet_project_set_atoms (project, "refined", refined);
  aet_stage_emit_atoms (c, "refined", refined);
  return TRUE;
}

/* ---- analyse ---- */

static void
truth_hash (AetProject *project, GChecksum *sum)
{
  aet_checksum_atoms (sum, aet_project_get_atoms (project, "truth"));
}

static gboolean
analyse_has_outputs (AetProject *project)
{
  const char *r = aet_project_get_report (project);
  return r != NULL && *r != '\0';
}

static void
set_result (AetProject *project, const char *model, const char *key, gdouble value)
{
  g_autofree char *k = g_strdup_printf ("result/%s/%s", model, key);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  aet_project_set_param (project, k, g_ascii_dtostr (buf, sizeof buf, value));
}

/* Analyses one traced model (columns added on a copy that replaces it) and,
 * with a truth, measures its precision. Returns the report JSON. */
static char *
analyse_model (AetStageContext *c, const char *name, AetAtoms *truth, AetAtoms *partner_model,
               GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  AetAtoms *stored = aet_project_get_atoms (project, name);
  if (stored == NULL)
    return g_strdup ("null");
  g_autoptr (AetAtoms) atoms = aet_atoms_dup (stored);
  AetAnalysisOptions options;
  aet_analysis_options_init (&options);
  options.reference_a = aet_stage_param_double (c, "analyse/reference_a", 0);
  g_autoptr (AetAnalysis) analysis
    = aet_analysis_run (atoms, &options, aet_stage_context_job (c), error);
  if (analysis == NULL)
    {
      g_prefix_error (error, "%s atoms: ", name);
      return NULL;
    }
  AetMatchStats s = { 0 };
  AetReportValue values[20];
  gsize n_values = 0;
  if (truth != NULL)
    {
      if (!aet_match_atoms (truth, atoms, 0.9, &s, TRUE, error))
        return NULL;
      AetReportValue v[] = {
        { "n_reference", s.n_reference },     { "n_matched", s.n_matched },
        { "rmsd_pm", s.rmsd_pm },             { "sigma_x_pm", s.sigma_pm[0] },
        { "sigma_y_pm", s.sigma_pm[1] },      { "sigma_z_pm", s.sigma_pm[2] },
        { "recall", s.recall },               { "precision", s.precision },
        { "rmsd_surface_pm", s.rmsd_surface_pm }, { "recall_surface", s.recall_surface },
        { "precision_surface", s.precision_surface },
        { "rmsd_interior_pm", s.rmsd_interior_pm }, { "recall_interior", s.recall_interior },
        { "precision_interior", s.precision_interior },
        { "rmsd_rigid_pm", s.rmsd_rigid_pm },  { "rotation_deg", s.rotation_deg },
      };
      n_values = G_N_ELEMENTS (v);
      memcpy (values, v, sizeof v);
      for (gsize i = 0; i < n_values; i++)
        set_result (project, name, values[i].key, values[i].value);
    }
  if (partner_model != NULL)
    {
      /* every atom after augmentation knows its partner before and how far
       * it moved (columns "partner", "moved_pm") */
      AetMatchStats pair;
      if (!aet_match_atoms (partner_model, atoms, 0.9, &pair, TRUE, error))
        return NULL;
    }
  set_result (project, name, "n_atoms", atoms->n_atoms);
  set_result (project, name, "n_surface", analysis->n_surface);
  aet_project_set_atoms (project, name, atoms);
  aet_stage_emit_atoms (c, name, atoms);
  return aet_report_to_json (analysis, truth != NULL ? "precision" : NULL, values, n_values);
}

/* analyse_model for a model that may not be a crystal: when it cannot be
 * analysed (no FCC lattice in it, say — an untrained network's output, an
 * amorphous particle) the run goes on, the report holds null for it and
 * "result/<name>/error" says why.  FALSE only when cancelled. */
static gboolean
analyse_or_note (AetStageContext *c, const char *name, AetAtoms *truth, AetAtoms *partner_model,
                 char **json, GError **error)
{
  g_autoptr (GError) model_error = NULL;
  *json = analyse_model (c, name, truth, partner_model, &model_error);
  if (*json != NULL)
    return TRUE;
  if (g_error_matches (model_error, AET_ERROR, AET_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&model_error));
      return FALSE;
    }
  g_autofree char *key = g_strdup_printf ("result/%s/error", name);
  aet_project_set_param (aet_stage_context_project (c), key, model_error->message);
  return TRUE;
}

static gboolean
analyse_run (AetStageContext *c, GError **error)
{
  AetProject *project = aet_stage_context_project (c);
  g_autoptr (AetAtoms) truth = NULL;
  AetAtoms *stored_truth = aet_project_get_atoms (project, "truth");
  if (stored_truth != NULL)
    {
      /* the truth's own surface atoms split the precision into surface and
       * interior */
      truth = aet_atoms_dup (stored_truth);
      AetAnalysisOptions options;
      aet_analysis_options_init (&options);
      g_autoptr (AetAnalysis) a = aet_analysis_run (truth, &options, NULL, error);
      if (a == NULL)
        {
          g_prefix_error (error, "truth atoms: ");
          return FALSE;
        }
    }
  /* a refinement from an earlier run is dropped when this run does not
   * refine; every model's figures are measured afresh (so nothing stale is
   * measured, written or shown) */
  gboolean refining = refine_needed (project);
  if (!refining)
    aet_project_set_atoms (project, "refined", NULL);
  g_auto (GStrv) keys = aet_project_dup_param_keys (project);
  for (guint i = 0; keys[i] != NULL; i++)
    if (g_str_has_prefix (keys[i], "result/before/") || g_str_has_prefix (keys[i], "result/after/")
        || g_str_has_prefix (keys[i], "result/refined/")
        || (!refining && (g_str_has_prefix (keys[i], "result/refine/")
                          || g_str_has_prefix (keys[i], "refine/signature"))))
      aet_project_set_param (project, keys[i], NULL);
  g_autofree char *before = NULL, *after = NULL, *refined = NULL;
  if (!analyse_or_note (c, "before", truth, NULL, &before, error))
    return FALSE;
  /* (analysing a model replaces it in the project with its analysed copy) */
  AetAtoms *partner = aet_project_get_atoms (project, "before");
  if (aet_project_get_atoms (project, "after") != NULL
      && !analyse_or_note (c, "after", truth, partner, &after, error))
    return FALSE;
  if (aet_project_get_atoms (project, "refined") != NULL
      && !analyse_or_note (c, "refined", truth, partner, &refined, error))
    return FALSE;
  g_autofree char *report = g_strdup_printf (
    "{\n\"format\": \"aet-run-report\",\n\"version\": 1,\n\"before\": %s,\n\"after\": %s,"
    "\n\"refined\": %s\n}\n",
    before != NULL ? before : "null", after != NULL ? after : "null",
    refined != NULL ? refined : "null");
  aet_project_set_report (project, report);
  return TRUE;
}

/* ---- the table ---- */

#define DEP(s) (1u << (s))

static const AetStageInfo stages[AET_N_STAGES] = {
  [AET_STAGE_SIMULATE] = { "simulate", "Simulate", 0, simulate_needed, NULL,
                           simulate_has_outputs, simulate_run },
  [AET_STAGE_RECONSTRUCT] = { "reconstruct", "Reconstruct", DEP (AET_STAGE_SIMULATE), NULL,
                              tilts_hash, reconstruct_has_outputs, reconstruct_run },
  [AET_STAGE_TRACE_BEFORE] = { "trace_before", "Trace before", DEP (AET_STAGE_RECONSTRUCT), NULL,
                               trace_params_hash, trace_before_has_outputs, trace_before_run },
  [AET_STAGE_AUGMENT] = { "augment", "Augment", DEP (AET_STAGE_RECONSTRUCT), augment_needed,
                          augment_hash, augment_has_outputs, augment_run },
  [AET_STAGE_TRACE_AFTER] = { "trace_after", "Trace after", DEP (AET_STAGE_AUGMENT),
                              trace_after_needed, trace_params_hash, trace_after_has_outputs,
                              trace_after_run },
  [AET_STAGE_REFINE] = { "refine", "Refine", DEP (AET_STAGE_TRACE_AFTER), refine_needed, NULL,
                         refine_has_outputs, refine_run },
  [AET_STAGE_ANALYSE] = { "analyse", "Analyse",
                          DEP (AET_STAGE_TRACE_BEFORE) | DEP (AET_STAGE_TRACE_AFTER)
                            | DEP (AET_STAGE_REFINE), NULL,
                          truth_hash, analyse_has_outputs, analyse_run },
};

const AetStageInfo *
aet_stage_info (AetStageId stage)
{
  g_return_val_if_fail (stage < AET_N_STAGES, &stages[0]);
  return &stages[stage];
}
