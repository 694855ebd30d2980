/* aet-simulate.h — simulated nanoparticles, their volumes and tilt series.
 *
 * One call builds everything a training pair or a pipeline test needs,
 * reproducibly from a seed:
 *  - truth: an FCC particle (aet-lattice, aet-shapes) in the volume frame
 *    of CLI.md, randomly oriented (or sitting on a substrate below, −y),
 *    with jitter, vacancies and interface strain;
 *  - target: the atoms as sharp Gaussians (B = b_target, peak 1), what the
 *    network should output;
 *  - potential: the atoms' electrostatic potential (aet-potential.h units,
 *    Å⁻²), Gaussians of per-atom B ("b_factor") times f_e;
 *  - tilts: its projections at the listed angles as a real microscope
 *    would take them: angle errors, a wobbling tilt axis, residual shifts
 *    and Poisson noise; the series carries the *listed* angles and zero
 *    shifts, the true ones are kept in the result for tests.
 *
 * Defaults follow the published generator (Lee et al. 2021): Pt, 144³
 * voxels of 0.357 Å, 21 tilts from −65° to +65°, ±0.3° angle errors,
 * jitter ±0.22 Å, B = 5 ± 1 Å² in, 4 Å² out.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-job.h"
#include "aet-shapes.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

G_BEGIN_DECLS

typedef struct
{
  guint element;             /* Z; default 78 (Pt) */
  gdouble lattice_constant;  /* Å; 0 = aet_fcc_lattice_constant(element) */
  AetShapeKind shape;        /* default AET_SHAPE_SPHERE_UNION */
  gdouble radius;            /* Å, default 12: polyhedra: mean {111} facet distance;
                              * sphere union: its scale, 12 giving the published
                              * 1,100–1,800 atoms (count ∝ radius³, before a
                              * substrate cut) */
  gboolean substrate;        /* sits on a substrate below (−y): a {111} or {100}
                              * normal (50:50) turned to −y, random turn about y,
                              * cut flat on a lattice plane of that family; else
                              * a uniformly random orientation */
  gint size;                 /* voxels per edge of the cubic box, default 144 */
  gdouble pixel;             /* Å, default 0.357 */
  const gdouble *angles;     /* listed tilt angles (deg), borrowed; NULL or n_angles 0:
                              * the published −65:65:6.5 (21 tilts) */
  gsize n_angles;
  guint64 seed;              /* default 1 */
  gdouble counts;            /* expected electrons at the brightest pixel; default 50;
                              * 0 = no noise */
  gdouble read_noise;        /* Gaussian, in counts; default 0 */
  gdouble angle_error;       /* true angle = listed ± uniform(angle_error) deg; 0.3 */
  gdouble axis_wobble;       /* tilt axis turned in the image plane by ± this (deg); 0 */
  gdouble shift_error;       /* residual image shifts, ± uniform (pixels); 0.3 */
  gdouble jitter;            /* per-atom displacement, ± uniform per axis (Å); 0.22 */
  gdouble vacancy_fraction;  /* atoms removed at random; 0 */
  gdouble strain;            /* in-plane compression at the interface (fraction, e.g.
                              * 0.02), decaying as exp(−h / 4 Å) with the height h
                              * above the lowest layer (the interface with a
                              * substrate); negative stretches; 0 */
  gdouble b_input;           /* Å², default 5 */
  gdouble b_input_spread;    /* per-atom B uniform in b_input ± this; default 1 */
  gdouble b_target;          /* Å², default 4 */
} AetSimParams;

/* The published defaults (documented per field above). */
void aet_sim_params_init_defaults (AetSimParams *params);

/* FALSE with AET_ERROR_INVALID naming the offending option when params are
 * unusable (no scattering factor or lattice constant, absurd size, a
 * particle that cannot fit, …). */
gboolean aet_sim_params_validate (const AetSimParams *params, GError **error);

typedef struct
{
  AetAtoms *truth;         /* positions (Å, volume frame), column "b_factor" (Å²) */
  AetVolume *target;       /* size³, Gaussians of b_target, peak 1 */
  AetVolume *potential;    /* size³, the input potential (Å⁻², aet-potential.h) */
  AetTiltSeries *tilts;    /* size × size × n_angles; listed angles, zero shifts */
  gdouble *true_angles;    /* n_angles, degrees */
  gdouble *true_shifts;    /* 2·n_angles: dx, dy in pixels (content displacement) */
  gdouble *axis_tilts;     /* n_angles, degrees (α of AetProjectionGeometry) */
  gsize n_angles;
  gdouble rotation[9];     /* crystal frame → volume frame, row-major */
  gdouble centre[3];       /* rotation centre (Å): voxel ⌊size/2⌋ on every axis */
  gdouble counts_scale;    /* counts per unit of the projections (0: no noise) */
} AetSimResult;

void aet_sim_result_free (AetSimResult *result);

/* The particle alone (what aet_simulate puts in result->truth): atoms in
 * the volume frame with the "b_factor" column; the crystal orientation goes
 * to rotation[9] when not NULL.  Same params and seed → identical atoms.
 * Caller owns. */
AetAtoms *aet_simulate_particle (const AetSimParams *params, gdouble rotation[9],
                                 GError **error);

/* The whole simulation.  Progress, cancel and the thread count through job
 * (may be NULL: 1 thread).  Caller owns the result. */
AetSimResult *aet_simulate (const AetSimParams *params, AetJob *job, GError **error);

/* The geometry the microscope really had, as text: "angle,dx,dy" per image,
 * comma-separated (degrees, pixels of content displacement), the format of
 * the pipeline's result/reconstruct/geometry, so that an alignment or a
 * refinement can be scored against it.  Projects record it as
 * "result/simulate/true_geometry".  Caller owns. */
char *aet_sim_result_geometry_text (const AetSimResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetSimResult, aet_sim_result_free)

G_END_DECLS
