/* aet-reconstruct.h — one entry point for tomographic reconstruction.
 *
 * aet_reconstruct() turns a tilt series into a volume of nx × ny × nz
 * voxels (nz = nx by default; voxel size = pixel size) in the geometry of
 * CLI.md, by GENFIRE (the method of the paper), SIRT with positivity, or
 * weighted back-projection.  The tilt series may first be aligned
 * (centre of mass, cross-correlation, or projection matching); the shifts
 * (and, when refined, the angles) found are written back into the series.
 *
 * Long runs report through an AetJob (progress "iteration k of N", error,
 * R_free; cancellation honoured within one iteration) and may hand out
 * snapshots of the volume every few iterations for a live view.
 */
#pragma once

#include "aet-job.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef enum
{
  AET_RECON_GENFIRE,
  AET_RECON_SIRT,
  AET_RECON_WBP,
} AetReconMethod;

typedef enum
{
  AET_SUPPORT_NONE,  /* the whole nx × ny × nz box */
  AET_SUPPORT_AUTO,  /* GENFIRE: from the first iterate (see aet-genfire.h) */
} AetSupportMode;

typedef enum
{
  AET_EXTENSION_OFF,       /* all measured points enforced every iteration */
  AET_EXTENSION_ON,        /* measured points enforced from low to high resolution */
  AET_EXTENSION_SUPPRESS,  /* as ON, and everything beyond the current resolution zeroed */
} AetExtensionMode;

typedef enum
{
  AET_WBP_RAMP,
  AET_WBP_SHEPP_LOGAN,
} AetWbpFilter;

typedef enum
{
  AET_ALIGN_NONE,
  AET_ALIGN_COM,     /* centre of mass of each image */
  AET_ALIGN_XCORR,   /* cross-correlation of neighbouring images */
  AET_ALIGN_REFINE,  /* centre of mass, then projection matching */
} AetAlignMode;

/* Called on the worker thread (GENFIRE, SIRT; WBP has no iterations) every
 * `snapshot_every` iterations with a NEW volume holding the current iterate
 * (n × m × nz, voxel size set).  The volume is never written again after
 * this call; the callee gets a borrowed reference and takes
 * aet_volume_ref() to keep it (e.g. to pass it to the main loop with
 * g_idle_add_full). */
typedef void (*AetReconSnapshotFunc) (AetVolume *snapshot, gint iteration, gpointer user_data);

typedef struct
{
  AetReconMethod method;
  gint iterations;               /* ≤ 0: default (GENFIRE 100, SIRT 50); unused by WBP */
  gdouble oversampling;          /* GENFIRE Fourier grid ratio, ≥ 1; default 2 */
  gdouble cutoff;                /* GENFIRE interpolation cutoff, grid units; default 0.3 */
  AetSupportMode support;        /* default AUTO */
  AetExtensionMode extension;    /* default OFF */
  gboolean rfree;                /* GENFIRE: withhold 5% of points for R_free; default TRUE */
  AetWbpFilter filter;           /* default Shepp–Logan */
  gdouble relaxation;            /* SIRT step, (0, 2); default 1 */
  AetAlignMode align;            /* default NONE */
  gboolean refine_angles;        /* with AET_ALIGN_REFINE: refine angles too; default FALSE */
  gint nz;                       /* volume thickness; ≤ 0: nx */
  gint snapshot_every;           /* ≤ 0: no snapshots */
  AetReconSnapshotFunc snapshot_func;
  gpointer snapshot_data;
} AetReconParams;

/* Filled by aet_reconstruct: per-iteration figures (arrays of n_iterations,
 * owned by the struct; release with aet_recon_stats_clear). */
typedef struct
{
  gint n_iterations;
  gdouble *error;        /* GENFIRE: Σ|F − M| / Σ|M| over enforced points; SIRT: ‖b − Ax‖/‖b‖ */
  gdouble *rfree;        /* GENFIRE with rfree: the same over withheld points; else NULL */
  gint best_iteration;   /* GENFIRE: the iterate returned (lowest error), 1-based */
  gdouble align_seconds;
  gdouble gridding_seconds;
  gdouble iteration_seconds;   /* all iterations together */
  gdouble total_seconds;
} AetReconStats;

/* Sets the defaults listed above. */
void aet_recon_params_init (AetReconParams *params);

/* Frees the arrays and zeroes the struct. */
void aet_recon_stats_clear (AetReconStats *stats);

/* Checks the parameters against the series; FALSE with AET_ERROR_INVALID
 * naming the bad parameter. */
gboolean aet_recon_params_validate (const AetReconParams *params, const AetTiltSeries *series,
                                    GError **error);

/* Aligns (params->align, writing shifts/angles into `series`), then
 * reconstructs.  Returns a new volume the caller owns, or NULL with an
 * error (AET_ERROR_INVALID, AET_ERROR_DATA for non-finite input,
 * AET_ERROR_CANCELLED).  stats_out and job may be NULL. */
AetVolume *aet_reconstruct (AetTiltSeries *series, const AetReconParams *params,
                            AetReconStats *stats_out, AetJob *job, GError **error);

/* Convenience used by several methods: a new volume from a box of floats. */
AetVolume *aet_recon_volume_from_box (const gfloat *box, gint nx, gint ny, gint nz,
                                      gdouble voxel_size);

G_END_DECLS
