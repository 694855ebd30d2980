/* aet-refine.h — atomic positions refined against the measured projections.
 *
 * The last step of AET practice: a traced model is a list of atoms, and the
 * tilt series says where they are more directly than any reconstruction,
 * which the missing wedge and the sparse sampling distort (the whole volume
 * comes out turned by up to ~1° about the tilt axis, docs/accuracy.md).
 * Here the model's projections are computed as the simulator makes them
 * (aet-potential.h: a Gaussian of width B per atom, filtered by its
 * element's scattering factor f_e, at the position the geometry of CLI.md
 * puts it; a tilt axis that wobbles in the image plane is not modelled),
 * and the positions are moved to make them match the images in the
 * (weighted) least-squares sense.
 *
 * Unknowns: every atom's position; one B for all atoms (fitted by a 1D
 * search); per image a scale and an offset (closed form: counts and
 * background are not known in absolute units); and, when asked, per image
 * the tilt angle and the shift (dx, dy), started from the series' values.
 * The geometry's gauge (a common angle change is a turn of the model, a
 * shift pattern of the form t_x cos θ + t_z sin θ is a translation) is
 * removed from every geometry step, so the model stays in the frame of the
 * listed angles.
 *
 * Two phases.  First one smooth motion of the whole model: a polynomial
 * displacement field of global_degree (3: 60 numbers, which the data fix
 * well; 1 = affine), which removes the turn, shear and bending the wedge
 * leaves.  Then every atom on its own, with a prior of width `prior` about
 * where the first phase left it: at 30–40 counts the data alone fix an
 * atom no better than the network does (~20 pm), and the two together
 * beat either (the MAP estimate; the noise variance is read off the
 * residual).  The prior is robust (it stops growing beyond prior_cut) and
 * the misfit is weighted for Poisson noise (1/expected per pixel,
 * reweighted at every position step).  The prior's centres follow the
 * smooth field that best carries them onto the atoms (prior_follows), so
 * the data alone decide the whole model's turn and bending.  Two thirds of
 * the way through, groups of atoms that sit between the fitted FCC lattice's
 * sites are moved onto free sites (snap), and atoms the trace missed are
 * added (add_atoms); both are kept only where they lower the cost
 * significantly (docs/refine.md).
 *
 * The optimiser is Gauss–Newton with each atom's 3×3 block of the normal
 * matrix (the curvature of one filtered Gaussian, weighted where the atom
 * lands, times each image's projection Jacobian, plus the prior's); the
 * coupling of atoms that overlap in a projection is left to a backtracking
 * line search.  Position steps and geometry steps alternate.  Images are
 * split over threads; every reduction runs in image order, so results do
 * not depend on the thread count.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-job.h"
#include "aet-tilt-series.h"

G_BEGIN_DECLS

typedef struct
{
  gint global_iterations; /* steps of one smooth motion of the whole model first, at most;
                           * it stops when a step no longer lowers the cost; 200 */
  gint global_degree;     /* that motion: a polynomial field of this degree (1: affine,
                           * up to 5); default 3 */
  gint iterations;        /* then steps of every atom on its own, default 30 */
  gdouble b;              /* Å², the atoms' width, start of the fit; default 5 */
  gboolean fit_b;         /* fit B (default TRUE) */
  gboolean fit_geometry;  /* refine per-image angles and shifts (default TRUE) */
  gdouble max_step;       /* Å: one atom moves at most this far in one step; 0.1 */
  gdouble max_move;       /* Å: nor farther than this from where it started; 1.0 */
  gdouble prior_cut;      /* Å: beyond this the prior stops growing (robust: the start is
                           * sometimes grossly wrong), ρ(d) = d²/(1 + d²/cut²); 0: Gaussian */
  gboolean add_atoms;      /* look for atoms the trace missed: peaks of the back-projected
                           * residual one bond from the model, kept when adding one there
                           * lowers the cost significantly (default TRUE) */
  gboolean snap;          /* move groups of atoms that sit between the crystal's sites
                           * onto free sites, kept where that lowers the cost
                           * significantly (default TRUE) */
  gboolean poisson;       /* weight each pixel by 1/expected (Poisson noise; default TRUE) */
  gdouble prior;          /* Å: trust in the starting positions, σ per axis of a Gaussian
                           * prior about where the global phase left them (0: none, the
                           * data alone); default 0.08 (docs/refine.md) */
  gboolean prior_follows; /* the prior's centres follow the smooth field (global_degree)
                           * that best carries them onto the atoms, so that it holds only
                           * what is not smooth and the data alone decide the whole
                           * model's turn and bending (default TRUE) */
} AetRefineParams;

typedef struct
{
  gdouble r_before, r_after;   /* R1 = Σ|model − image| / Σ|image| over every image */
  gdouble b;                   /* fitted (or given) B, Å² */
  gdouble rms_move, max_move;  /* how far atoms moved, Å */
  gsize n_held;                /* atoms stopped at params.max_move */
  gdouble rms_angle_change;    /* degrees, over images */
  gdouble rms_shift_change;    /* pixels, over images and both axes */
  gint iterations;             /* position steps taken */
  gsize n_added;               /* atoms added (column "refine_added" = 1) */
  gsize n_snapped;             /* atoms moved onto free sites ("refine_snapped" = 1) */
  gdouble seconds;
} AetRefineReport;

void aet_refine_params_init_defaults (AetRefineParams *params);

/* The atoms of `atoms` with positions refined against `series` (positions
 * in Å in the volume frame of CLI.md for the series' image size and pixel
 * size; the series' angles and shifts are the starting geometry).  Columns
 * are kept; "refine_move_pm" says how far each atom moved; atoms added
 * come last, with "refine_added" = 1.  The refined
 * geometry goes to *refined_series when not NULL (a copy of `series` with
 * new angles and shifts; caller owns).  `report` may be NULL.  Progress,
 * cancel and the thread count through `job` (may be NULL).  FALSE/NULL
 * with AET_ERROR_INVALID when there are no atoms or images, an element has
 * no scattering factor or a parameter is out of range; AET_ERROR_DATA when
 * the images hold NaN or infinity or an atom's position is not a number;
 * AET_ERROR_CANCELLED when cancelled.  Caller owns the result. */
AetAtoms *aet_refine_atoms (const AetAtoms *atoms, const AetTiltSeries *series,
                            const AetRefineParams *params, AetJob *job,
                            AetRefineReport *report, AetTiltSeries **refined_series,
                            GError **error);

G_END_DECLS
