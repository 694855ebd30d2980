/* aet-trace.h — atom tracing: from a density volume to a list of atoms.
 *
 * The AET practice (background/method.md): local maxima above a threshold,
 * each refined by an iterative sub-voxel fit, peaks closer than a minimum
 * distance pruned (the weaker goes), and non-atoms rejected by two-class
 * k-means on integrated intensity.  The same function traces raw
 * reconstructions and augmented volumes.
 *
 * The fit is a 3D isotropic Gaussian with a constant background,
 *   v(r) = b + A·exp(−|r − r₀|² / 2s²),
 * solved by Levenberg–Marquardt over the voxels within `fit_radius` of the
 * voxel maximum (a ball, clipped to the volume, so neighbouring atoms' tails
 * stay out of it).  Its covariance
 * s²_res·(JᵀJ)⁻¹ (s²_res = residual sum of squares / (n − 6)) gives each
 * atom's positional uncertainty, so a user can see which atoms to trust.
 * That estimate assumes independent voxel noise: for the correlated noise of
 * a real reconstruction it is a lower bound.
 *
 * After selection every atom is refitted (refine_passes times) with its
 * neighbours' fitted Gaussians subtracted from its window, so overlapping
 * tails do not pull centres together; each pass reads only the previous
 * pass, so the result does not depend on the thread count.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-job.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef struct
{
  /* Absolute density a local maximum must exceed.  < 0: automatic, 0.25 ×
   * the 99.9th percentile of the volume (0.25 × the maximum when that
   * percentile is ≤ 0). */
  gdouble threshold;
  /* Å; of two traced atoms closer than this, the one with the smaller
   * integrated intensity is dropped.  Default 2.0. */
  gdouble min_distance;
  /* 1: start each fit at the voxel maximum; 3: first move the start to the
   * maximum of the tricubic interpolant on a 3× finer grid (hill-climbing
   * around each voxel maximum, so no 27× volume is ever allocated). */
  gint upsample;
  /* Radius of the fit window in voxels; ≤ 0: ceil(1.0 Å / voxel size)
   * clamped to [2, 6].  Default 0 (3 voxels at 0.357 Å). */
  gint fit_radius;
  /* Reject non-atoms by two-class k-means on integrated intensity (only
   * when the classes really separate; see aet_trace()).  Default TRUE. */
  gboolean kmeans;
  /* Atomic number given to every traced atom.  Default 78 (Pt). */
  guint element;
  /* Passes refitting every kept atom with its neighbours' fitted Gaussians
   * subtracted from its window (0 to 20).  Default 2. */
  gint refine_passes;
} AetTraceParams;

/* Fills `params` with the defaults documented on each field. */
void aet_trace_params_init_defaults (AetTraceParams *params);

/* Traces `volume` (positions in Å in its frame: voxel (i,j,k) at
 * origin + (i,j,k)·voxel_size).  Columns of the result:
 *   "intensity"      integrated intensity: Σ v over the voxels within
 *                    max(1.5 voxels, 0.55 Å) of the voxel nearest the fitted
 *                    centre (raw density × voxels, as the published practice
 *                    integrates a small box; used for ranking and k-means)
 *   "peak"           fitted peak height A above the background
 *   "fit_error"      relative residual ‖v − fit‖ / ‖v − mean(v)‖ over the
 *                    fit window (0 = perfect; near 1 = no better than flat)
 *   "uncertainty_pm" √(var x + var y + var z) of the fitted position, pm
 * Candidates whose fit fails (amplitude ≤ 0, the centre leaving the window,
 * a width under 0.2 voxel or over the fit radius) are dropped.
 * k-means (if enabled) splits the intensities into two classes and drops
 * the lower one only when they really separate: Ashman's D > 2 and the
 * lower mean below half the upper mean, so a clean volume with no false
 * peaks keeps all its atoms.  It runs twice: first on the unfitted sums
 * around every voxel maximum, keeping everything down to half the weakest
 * upper-class sum (in a noisy volume most maxima are noise, and this spares
 * fitting them), then on the fitted atoms after the minimum-distance pass.
 * Atoms are ordered by decreasing intensity.  `params` may be NULL (the
 * defaults).
 * Threaded with aet_job_get_threads (job); the result does not depend on the
 * thread count.  NULL with an error for non-finite voxels, bad parameters
 * or cancellation.  Caller owns the result. */
AetAtoms *aet_trace (const AetVolume *volume, const AetTraceParams *params, AetJob *job,
                     GError **error);

G_END_DECLS
