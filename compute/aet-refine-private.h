/* aet-refine-private.h — what the parts of the refinement share
 * (aet-refine.h says what it does and why):
 *  - aet-refine-model.c: the model's projections and the cost (Poisson
 *    weights, the prior), its gradients, the curvatures, B's search;
 *  - aet-refine-global.c: one smooth displacement field of the whole model;
 *  - aet-refine-snap.c: groups of atoms off the crystal's sites;
 *  - aet-refine-add.c: atoms the trace missed;
 *  - aet-refine.c: the optimiser that runs the phases.
 */
#pragma once

#include <fftw3.h>

#include "aet-refine.h"

G_BEGIN_DECLS

#define CUTOFF_SIGMAS 5.0  /* as the simulator draws its Gaussians (aet-potential.c) */
#define LINE_SEARCH_HALVINGS 6
#define WEIGHT_FLOOR 0.02  /* Poisson weights: 1/model, the model at least this × its peak */
#define B_MIN 0.5
#define B_MAX 30.0

typedef struct
{
  gfloat *real;        /* nx × ny scratch */
  gfloat *model;       /* the unscaled model image */
  fftwf_complex *spec;
  fftwf_complex *accum;
  gfloat **filtered;   /* per element: f_e ⊛ residual */
  gdouble *us, *vs;    /* per atom: image position (pixels) */
  gdouble *gx;         /* nx: one atom's Gaussian along a row */
} AetRefineScratch;

typedef struct
{
  /* fixed */
  gint nx, ny, n_images;
  gsize n_real, n_complex, n_atoms;
  gdouble pixel, centre[3];
  const gfloat *data;        /* n_images images */
  guint n_el;
  guint *atom_el;            /* per atom: index into the element list */
  const guint *el_z;         /* per element: its atomic number */
  gdouble **fe;              /* per element: ny × (nx/2+1) filter, incl. 1/(nx·ny) */
  fftwf_plan r2c, c2r;
  AetRefineScratch *scratch;          /* per thread */
  /* the state evaluated */
  const gdouble *pos;        /* 3·n_atoms, Å */
  const gdouble *angles;     /* n_images, degrees */
  const gdouble *shifts;     /* 2·n_images, pixels */
  gdouble b;
  gboolean want_grad;
  const gdouble *prior_centre;  /* 3·n_atoms: the prior's centres (the start) */
  const guint8 *no_prior;       /* per atom: 1 for atoms the refinement added (no prior) */
  gdouble kappa;                /* its strength: ½ κ Σ ρ(|r − r₀|) joins the cost */
  gdouble cut;                  /* ρ(d) = d² / (1 + d²/cut²) (robust), or d² when 0 */
  /* per image results */
  gdouble *cost;             /* ½ Σ residual² */
  gdouble *abs_res, *abs_data;
  gdouble *scale, *offset;
  gdouble *gu, *gv;          /* n_images × n_atoms: ∂E/∂u, ∂E/∂v of each atom's image */
  gdouble *dudt;             /* n_images × n_atoms: ∂u/∂θ (pixels per radian) */
  gsize *n_inside;           /* atoms that land in the image */
  gdouble *foot_cost;        /* Σ w r² over the particle's footprint (model above the floor) */
  gsize *foot_n;             /* and how many pixels that is */
  gdouble *w_atom;           /* n_images × n_atoms: the weight where each atom lands (0 outside) */
  /* Poisson weighting (iteratively reweighted least squares): the cost is
   * ½ Σ w (model − image)² with w = 1/max(model, floor) per pixel, fixed
   * between reweightings so that a line search compares like with like */
  gfloat *weights;           /* n_images × n_real, or NULL: uniform */
  gboolean reweight;         /* set the weights from this evaluation's model */
  gfloat *residual;          /* n_images × n_real: w · (image − model), kept when not NULL */
} AetRefineEval;

/* Evaluates the cost (data + prior) at pos, angles, shifts and b, filling
 * ev's per-image results; with want_grad the per-image atom gradients
 * (gu, gv, w_atom) too; with reweight the Poisson weights are first set
 * from this model (iteratively reweighted least squares). */
gdouble aet_refine_evaluate_full (AetRefineEval *ev, guint threads, const gdouble *pos,
                                  const gdouble *angles, const gdouble *shifts, gdouble b,
                                  gboolean want_grad, gboolean reweight);
gdouble aet_refine_evaluate (AetRefineEval *ev, guint threads, const gdouble *pos,
                             const gdouble *angles, const gdouble *shifts, gdouble b,
                             gboolean want_grad);
/* R1 = Σ|model − image| / Σ|image| of the last evaluation. */
gdouble aet_refine_r_factor (const AetRefineEval *ev);
/* The noise variance per pixel of the last evaluation, over the particle's
 * footprint. */
gdouble aet_refine_noise_variance (const AetRefineEval *ev);
/* The robust prior of one atom, ρ(|r − r₀|), and the weight w with
 * ∂ρ/∂r = w (r − r₀); 0 for atoms without a prior. */
gdouble aet_refine_prior_penalty (const AetRefineEval *ev, const gdouble *r, const gdouble *r0);
gdouble aet_refine_prior_weight (const AetRefineEval *ev, const gdouble *r, const gdouble *r0);
/* Σ (f_e ⊛ ∂g/∂u)² of one isolated atom of element e and width b. */
gdouble aet_refine_isolated_curvature (AetRefineEval *ev, guint e, gdouble b);
/* The filtered spectrum of one atom (element 0) at the origin, into kernel;
 * returns the sum of its image squared. */
gdouble aet_refine_atom_kernel (AetRefineEval *ev, gdouble b, fftwf_complex *kernel);
/* B by golden-section search on log B in [lo, hi], positions fixed. */
gdouble aet_refine_fit_b (AetRefineEval *ev, guint threads, const gdouble *pos,
                          const gdouble *angles, const gdouble *shifts, gdouble lo, gdouble hi,
                          gint evaluations);
void aet_refine_scratch_free (AetRefineScratch *s, guint n_el);

/* aet-refine.c: each atom's block Gauss–Newton step from the last
 * evaluation's gradients (see there); returns how many atoms have one. */
gsize aet_refine_atom_steps (AetRefineEval *ev, const gdouble *pos, const gdouble *angles,
                             gdouble b, gdouble max_step, gdouble *hblock, gdouble *grad,
                             gdouble *step);

/* aet-refine-global.c: one Gauss–Newton step of the whole model's
 * polynomial displacement field (see there). */
gboolean aet_refine_global_step (gsize n, const gdouble *pos, const gdouble *g,
                                 const gdouble *hblock, gint degree, gdouble max_step,
                                 gdouble *step);

/* aet-refine-global.c: the prior's centres (anchor) moved by the smooth
 * field that best carries base onto pos (see there). */
gboolean aet_refine_follow_field (const AetRefineEval *ev, gsize n, const gdouble *base,
                                  const gdouble *pos, gint degree, gdouble *anchor);

/* aet-refine-snap.c: groups of atoms off the crystal's sites moved onto
 * free sites where that lowers the cost (see there); returns how many. */
gsize aet_refine_snap_to_lattice (AetRefineEval *ev, guint threads, gdouble *pos, gdouble *start,
                                  gdouble *anchor, gdouble *base, guint8 *snapped,
                                  guint8 *no_prior, guint *atom_el, gsize cap,
                                  gboolean add_atoms, const gdouble *angles,
                                  const gdouble *shifts, gdouble b, gdouble *cost);

/* aet-refine-add.c: atoms the trace missed (see there). */
void aet_refine_add_missing_atoms (AetRefineEval *ev, guint threads, gdouble *pos,
                                   gdouble *start, gdouble *anchor, guint8 *no_prior,
                                   guint *atom_el, gsize cap, const gdouble *angles,
                                   const gdouble *shifts, gdouble b, gsize *n_out,
                                   gdouble *cost);

G_END_DECLS
