/* aet-refine.c — atomic positions refined against the projections: the
 * optimiser that runs the phases (aet-refine.h says what and why; the
 * parts are listed in aet-refine-private.h). */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine-private.h"

#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-fft.h"
#include "aet-lattice-fit.h"
#include "aet-scattering.h"

void
aet_refine_params_init_defaults (AetRefineParams *p)
{
  *p = (AetRefineParams) {
    .iterations = 30, .global_iterations = 200, .b = 5.0, .fit_b = TRUE, .fit_geometry = TRUE,
    .max_step = 0.1, .max_move = 1.0, .prior = 0.08,
    .poisson = TRUE, .prior_cut = 0.2, .global_degree = 3,
    .add_atoms = TRUE, .prior_follows = TRUE, .snap = TRUE,
  };
}

static gdouble
fft_freq (gint i, gint n)
{
  return i <= n / 2 ? i : i - n;
}

/* The geometry step's gauge removed: a common angle change (a turn of the
 * model) and shift changes of the form t_x cos θ + t_z sin θ, t_y (a
 * translation of the model). */
static void
remove_gauge (gint n, const gdouble *angles, gdouble *dtheta, gdouble *dshift)
{
  gdouble mean = 0, mean_y = 0;
  for (gint k = 0; k < n; k++)
    {
      mean += dtheta[k];
      mean_y += dshift[2 * k + 1];
    }
  mean /= n;
  mean_y /= n;
  gdouble m[3] = { 0 }, rhs[2] = { 0 };
  for (gint k = 0; k < n; k++)
    {
      dtheta[k] -= mean;
      dshift[2 * k + 1] -= mean_y;
      gdouble c = cos (angles[k] * G_PI / 180), s = sin (angles[k] * G_PI / 180);
      m[0] += c * c;
      m[1] += c * s;
      m[2] += s * s;
      rhs[0] += c * dshift[2 * k];
      rhs[1] += s * dshift[2 * k];
    }
  gdouble det = m[0] * m[2] - m[1] * m[1];
  if (fabs (det) < 1e-12)
    return;
  gdouble tx = (m[2] * rhs[0] - m[1] * rhs[1]) / det;
  gdouble tz = (m[0] * rhs[1] - m[1] * rhs[0]) / det;
  for (gint k = 0; k < n; k++)
    dshift[2 * k] -= tx * cos (angles[k] * G_PI / 180) + tz * sin (angles[k] * G_PI / 180);
}

/* Each atom's block Gauss–Newton step from the last evaluation's
 * gradients (aet_refine_evaluate_full with want_grad): the 3×3 block of the
 * normal matrix, Σ_k w s_k² c_e P_kᵀ P_k + κ I, into hblock (9 per atom),
 * the gradient (misfit and prior) into grad and the step, at most max_step
 * long, into step.  An atom no image sees gets zeros.  Returns how many
 * atoms have a step. */
gsize
aet_refine_atom_steps (AetRefineEval *ev, const gdouble *pos, const gdouble *angles, gdouble b,
                       gdouble max_step, gdouble *hblock, gdouble *grad, gdouble *step)
{
  gsize n = ev->n_atoms;
  gint n_images = ev->n_images;
  g_autofree gdouble *c_el = g_new (gdouble, ev->n_el);
  g_autofree gdouble *cos_k = g_new (gdouble, n_images);
  g_autofree gdouble *sin_k = g_new (gdouble, n_images);
  g_autofree gdouble *curv_k = g_new (gdouble, n_images);
  for (guint e = 0; e < ev->n_el; e++)
    c_el[e] = aet_refine_isolated_curvature (ev, e, b);
  for (gint k = 0; k < n_images; k++)
    {
      gdouble th = angles[k] * G_PI / 180;
      cos_k[k] = cos (th);
      sin_k[k] = sin (th);
      curv_k[k] = ev->scale[k] * ev->scale[k] / (ev->pixel * ev->pixel);
    }
  const gdouble *anchor = ev->prior_centre;
  gsize n_seen = 0;
  for (gsize a = 0; a < n; a++)
    {
      /* this atom's block: Σ_k w s_k² c_e P_kᵀ P_k + κ I */
      gdouble *h = hblock + 9 * a, hinv[9];
      memset (h, 0, sizeof (gdouble) * 9);
      gdouble ce = c_el[ev->atom_el[a]];
      for (gint k = 0; k < n_images; k++)
        {
          gdouble w = curv_k[k] * ce * ev->w_atom[(gsize) k * n + a];
          h[0] += w * cos_k[k] * cos_k[k];
          h[2] += w * cos_k[k] * sin_k[k];
          h[4] += w;
          h[8] += w * sin_k[k] * sin_k[k];
        }
      h[6] = h[2];
      gdouble kw = ev->kappa > 0
                     ? ev->kappa * aet_refine_prior_weight (ev, pos + 3 * a, anchor + 3 * a)
                     : 0;
      h[0] += kw;
      h[4] += kw;
      h[8] += kw;
      if (h[0] <= 0 || h[4] <= 0 || h[8] <= 0 || !aet_mat3_invert (h, hinv))
        {
          /* an atom no image sees (or a degenerate block): it stays, and
           * has no say in the global step */
          memset (h, 0, sizeof (gdouble) * 9);
          memset (grad + 3 * a, 0, sizeof (gdouble) * 3);
          memset (step + 3 * a, 0, sizeof (gdouble) * 3);
          continue;
        }
      n_seen++;
      gdouble g[3] = { 0 };
      for (gint k = 0; k < n_images; k++)
        {
          gdouble du = ev->gu[(gsize) k * n + a] / ev->pixel;
          gdouble dv = ev->gv[(gsize) k * n + a] / ev->pixel;
          g[0] += du * cos_k[k];
          g[1] += dv;
          g[2] += du * sin_k[k];
        }
      for (int d = 0; d < 3 && kw > 0; d++)
        g[d] += kw * (pos[3 * a + d] - anchor[3 * a + d]);
      memcpy (grad + 3 * a, g, sizeof g);
      gdouble len = 0;
      for (int d = 0; d < 3; d++)
        {
          step[3 * a + d] = -(hinv[3 * d] * g[0] + hinv[3 * d + 1] * g[1]
                              + hinv[3 * d + 2] * g[2]);
          len += step[3 * a + d] * step[3 * a + d];
        }
      len = sqrt (len);
      if (len > max_step)
        for (int d = 0; d < 3; d++)
          step[3 * a + d] *= max_step / len;
    }
  return n_seen;
}

AetAtoms *
aet_refine_atoms (const AetAtoms *atoms, const AetTiltSeries *series,
                  const AetRefineParams *params, AetJob *job, AetRefineReport *report,
                  AetTiltSeries **refined_series, GError **error)
{
  g_return_val_if_fail (atoms != NULL && series != NULL, NULL);
  AetRefineParams defaults;
  aet_refine_params_init_defaults (&defaults);
  const AetRefineParams *p = params != NULL ? params : &defaults;
  gint64 t0 = g_get_monotonic_time ();
  if (atoms->n_atoms == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "refine: there are no atoms to refine");
      return NULL;
    }
  gint nx = series->images->nx, ny = series->images->ny, n_images = series->images->nz;
  if (n_images < 1 || nx < 8 || ny < 8)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "refine: the tilt series has %d images of %d × %d pixels", n_images, nx, ny);
      return NULL;
    }
  if (!(p->iterations >= 0 && p->global_iterations >= 0 && p->b > 0 && p->max_step > 0
        && p->max_move > 0 && p->prior >= 0 && p->prior_cut >= 0
        && p->global_degree >= 1 && p->global_degree <= 5))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "refine: iterations, the prior and its cut must be ≥ 0, B, the step and "
                   "the move positive and the global degree 1–5");
      return NULL;
    }
  gsize n_real = (gsize) nx * ny;
  const gfloat *data = series->images->data;
  for (gsize i = 0; i < n_real * n_images; i++)
    if (!isfinite (data[i]))
      {
        g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                     "refine: image %zu of the tilt series holds NaN or infinity",
                     i / n_real + 1);
        return NULL;
      }
  for (gsize i = 0; i < 3 * atoms->n_atoms; i++)
    if (!isfinite (atoms->positions[i]))
      {
        g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                     "refine: atom %zu has a position that is not a number", i / 3 + 1);
        return NULL;
      }

  guint threads = MIN (aet_job_get_threads (job), (guint) n_images);
  gsize n = atoms->n_atoms, n_start = n;
  gsize cap = n + (p->add_atoms ? MAX (8, n / 20) : 0);  /* room for atoms found missing */
  AetRefineEval ev = {
    .nx = nx, .ny = ny, .n_images = n_images, .n_real = n_real,
    .n_complex = (gsize) ny * (nx / 2 + 1), .n_atoms = n,
    .pixel = aet_tilt_series_pixel_size (series), .data = data,
  };
  ev.centre[0] = (nx / 2) * ev.pixel;
  ev.centre[1] = (ny / 2) * ev.pixel;
  ev.centre[2] = (nx / 2) * ev.pixel;

  /* elements and their filters */
  guint zs[256] = { 0 };
  gint index_of[256];
  for (int z = 0; z < 256; z++)
    index_of[z] = -1;
  g_autofree guint *atom_el = g_new (guint, cap);
  for (gsize a = 0; a < n; a++)
    {
      guint z = atoms->elements[a];
      if (index_of[z] < 0)
        {
          if (!aet_scattering_has_element (z))
            {
              g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                           "refine: no scattering factor for element %u", z);
              return NULL;
            }
          index_of[z] = (gint) ev.n_el;
          zs[ev.n_el++] = z;
        }
      atom_el[a] = (guint) index_of[z];
    }
  ev.atom_el = atom_el;
  ev.el_z = zs;
  g_autofree gdouble *q2 = g_new (gdouble, ev.n_complex);
  for (gint j = 0; j < ny; j++)
    for (gint i = 0; i <= nx / 2; i++)
      {
        gdouble fx = i / (nx * ev.pixel), fy = fft_freq (j, ny) / (ny * ev.pixel);
        q2[(gsize) j * (nx / 2 + 1) + i] = fx * fx + fy * fy;
      }
  g_autofree gdouble **fe = g_new0 (gdouble *, ev.n_el);
  for (guint e = 0; e < ev.n_el; e++)
    {
      fe[e] = g_new (gdouble, ev.n_complex);
      aet_scattering_fe_q2 (zs[e], q2, ev.n_complex, fe[e]);
      for (gsize i = 0; i < ev.n_complex; i++)
        fe[e][i] /= (gdouble) n_real;
    }
  ev.fe = fe;
  int dims[2] = { ny, nx };
  ev.r2c = aet_fft_plan_r2c (2, dims, 1, 1);
  ev.c2r = aet_fft_plan_c2r (2, dims, 1, 1);
  ev.scratch = g_new0 (AetRefineScratch, threads);
  for (guint t = 0; t < threads; t++)
    {
      AetRefineScratch *s = &ev.scratch[t];
      s->real = fftwf_alloc_real (n_real);
      s->model = fftwf_alloc_real (n_real);
      s->spec = fftwf_alloc_complex (ev.n_complex);
      s->accum = fftwf_alloc_complex (ev.n_complex);
      s->filtered = g_new0 (gfloat *, ev.n_el);
      for (guint e = 0; e < ev.n_el; e++)
        s->filtered[e] = fftwf_alloc_real (n_real);
      s->us = g_new (gdouble, cap);
      s->vs = g_new (gdouble, cap);
      s->gx = g_new (gdouble, nx);
    }
  g_autofree gdouble *cost_k = g_new0 (gdouble, n_images);
  g_autofree gdouble *abs_res = g_new0 (gdouble, n_images);
  g_autofree gdouble *abs_data = g_new0 (gdouble, n_images);
  g_autofree gdouble *scale = g_new0 (gdouble, n_images);
  g_autofree gdouble *offset = g_new0 (gdouble, n_images);
  g_autofree gsize *n_inside = g_new0 (gsize, n_images);
  g_autofree gdouble *gu = g_new0 (gdouble, (gsize) n_images * cap);
  g_autofree gdouble *gv = g_new0 (gdouble, (gsize) n_images * cap);
  g_autofree gdouble *dudt = g_new0 (gdouble, (gsize) n_images * cap);
  g_autofree gdouble *w_atom = g_new0 (gdouble, (gsize) n_images * cap);
  g_autofree gdouble *hblock = g_new0 (gdouble, 9 * cap);
  g_autofree gdouble *c_el = g_new0 (gdouble, 256);
  g_autofree gfloat *weights = NULL;
  ev.cost = cost_k;
  ev.abs_res = abs_res;
  ev.abs_data = abs_data;
  ev.scale = scale;
  ev.offset = offset;
  ev.n_inside = n_inside;
  g_autofree gdouble *foot_cost = g_new0 (gdouble, n_images);
  g_autofree gsize *foot_n = g_new0 (gsize, n_images);
  ev.foot_cost = foot_cost;
  ev.foot_n = foot_n;
  ev.gu = gu;
  ev.gv = gv;
  ev.dudt = dudt;
  ev.w_atom = w_atom;

  /* state */
  g_autofree gdouble *start = g_new (gdouble, 3 * cap);
  g_autofree gdouble *pos = g_new (gdouble, 3 * cap);
  memcpy (start, atoms->positions, sizeof (gdouble) * 3 * n);
  memcpy (pos, atoms->positions, sizeof (gdouble) * 3 * n);
  g_autofree gdouble *trial = g_new (gdouble, 3 * cap);
  g_autofree gdouble *angles = g_memdup2 (series->angles, sizeof (gdouble) * n_images);
  g_autofree gdouble *shifts = g_memdup2 (series->shifts, sizeof (gdouble) * 2 * n_images);
  g_autofree gdouble *trial_angles = g_new (gdouble, n_images);
  g_autofree gdouble *trial_shifts = g_new (gdouble, 2 * n_images);
  g_autofree gdouble *step = g_new (gdouble, 3 * cap);
  g_autofree gdouble *dtheta = g_new (gdouble, n_images);
  g_autofree gdouble *dshift = g_new (gdouble, 2 * n_images);
  gdouble b = CLAMP (p->b, B_MIN, B_MAX);
  gboolean ok = TRUE;
  gint iterations = 0;

  aet_job_progress (job, 0.0, NULL);
  if (p->fit_b)
    b = aet_refine_fit_b (&ev, threads, pos, angles, shifts, B_MIN, B_MAX, 24);
  gdouble cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
  gdouble r_before = aet_refine_r_factor (&ev);
  gdouble alpha_pos = 1.0, alpha_geo = 1.0;
  /* The prior: the start as a Gaussian of width σ_p per axis, against a
   * data term whose noise variance per pixel σ_n² is read off the
   * residual: minimising E + ½ (σ_n²/σ_p²) Σ |r − r₀|² is the MAP
   * estimate (E/σ_n² being the negative log-likelihood). */
  if (p->poisson)
    {
      /* from here the cost is Poisson-weighted (the weights follow the
       * model at every position step) */
      weights = g_new (gfloat, n_real * n_images);
      for (gsize i = 0; i < n_real * n_images; i++)
        weights[i] = 1.0f;
      ev.weights = weights;
      cost = aet_refine_evaluate_full (&ev, threads, pos, angles, shifts, b, FALSE, TRUE);
    }
  g_autofree gdouble *anchor = g_new (gdouble, 3 * cap);
  memcpy (anchor, pos, sizeof (gdouble) * 3 * n);
  g_autofree gdouble *base = g_new (gdouble, 3 * cap);  /* the prior's centres, unmoved */
  g_autofree gdouble *grad = g_new (gdouble, 3 * cap);
  gint n_global = p->global_iterations, n_total = n_global + p->iterations;
  /* atoms the trace missed are looked for two thirds into the atoms' own
   * steps, so the rest polish them and their neighbours */
  gint add_at = p->add_atoms || p->snap ? n_global + 2 * p->iterations / 3 : -1;
  g_autofree guint8 *snapped = g_new0 (guint8, cap);
  gsize n_snapped = 0;
  gboolean b_refit = FALSE;
  g_autofree guint8 *no_prior = g_new0 (guint8, cap);

  for (gint it = 0; it < n_total; it++)
    {
      gboolean global = it < n_global;
      if (aet_job_cancelled (job))
        {
          ok = FALSE;
          break;
        }
      if (it == n_global)
        {
          /* the atoms on their own from here: B again, then the prior
           * about where the global phase left them */
          if (p->fit_b && n_global > 0)
            b = aet_refine_fit_b (&ev, threads, pos, angles, shifts, MAX (B_MIN, b / 1.5),
                       MIN (B_MAX, b * 1.5), 14);
          cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
          alpha_pos = 1.0;
          if (p->prior > 0)
            {
              gdouble noise_var = aet_refine_noise_variance (&ev);
              memcpy (anchor, pos, sizeof (gdouble) * 3 * n);
              memcpy (base, pos, sizeof (gdouble) * 3 * n);
              ev.prior_centre = anchor;
              ev.no_prior = no_prior;
              ev.kappa = noise_var / (p->prior * p->prior);
              ev.cut = p->prior_cut;
              cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
            }
        }
      if (!global && p->fit_b && !b_refit && it >= n_global + p->iterations / 2)
        {
          b = aet_refine_fit_b (&ev, threads, pos, angles, shifts, MAX (B_MIN, b / 1.5),
                     MIN (B_MAX, b * 1.5), 14);
          cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
          b_refit = TRUE;
        }
      if (!global && it > n_global && ev.kappa > 0 && p->prior_follows)
        {
          /* the prior's centres follow the model's smooth motion (the
           * atoms added have no prior, and no say) */
          aet_refine_follow_field (&ev, n, base, pos, p->global_degree, anchor);
        }
      if (it == add_at && p->add_atoms)
        {
          gsize grown = n;
          aet_refine_add_missing_atoms (&ev, threads, pos, start, anchor, no_prior, atom_el,
                                        cap, angles, shifts, b, &grown, &cost);
          /* an added atom's prior centre is where it was proposed */
          memcpy (base + 3 * n, anchor + 3 * n, sizeof (gdouble) * 3 * (grown - n));
          n = grown;
          alpha_pos = 1.0;
        }
      if (it == add_at && p->snap)
        {
          n_snapped = aet_refine_snap_to_lattice (&ev, threads, pos, start, anchor, base, snapped,
                                                  no_prior, atom_el, cap, p->add_atoms, angles,
                                                  shifts, b, &cost);
          n = ev.n_atoms;
          alpha_pos = 1.0;
        }

      /* positions: block Gauss–Newton step, backtracking */
      cost = aet_refine_evaluate_full (&ev, threads, pos, angles, shifts, b, TRUE,
                                       ev.weights != NULL);
      gsize n_seen = aet_refine_atom_steps (&ev, pos, angles, b, p->max_step, hblock, grad,
                                            step);
      for (guint e = 0; e < ev.n_el; e++)
        c_el[e] = aet_refine_isolated_curvature (&ev, e, b);  /* for the geometry step */
      if (n_seen == 0)
        break;
      if (global
          && !aet_refine_global_step (n, pos, grad, hblock, p->global_degree, p->max_step, step))
        {
          /* too few atoms (or too flat a model) for the field: on to the
           * atoms' own steps */
          it = n_global - 1;
          continue;
        }
      gboolean moved = FALSE;
      for (gint tries = 0; tries < LINE_SEARCH_HALVINGS; tries++)
        {
          for (gsize a = 0; a < n; a++)
            {
              gdouble d2 = 0;
              for (int d = 0; d < 3; d++)
                {
                  trial[3 * a + d] = pos[3 * a + d] + alpha_pos * step[3 * a + d];
                  gdouble m = trial[3 * a + d] - start[3 * a + d];
                  d2 += m * m;
                }
              if (d2 > p->max_move * p->max_move)
                for (int d = 0; d < 3; d++)
                  trial[3 * a + d] = start[3 * a + d]
                                     + (trial[3 * a + d] - start[3 * a + d]) * p->max_move
                                         / sqrt (d2);
            }
          gdouble next = aet_refine_evaluate (&ev, threads, trial, angles, shifts, b, FALSE);
          if (next < cost)
            {
              memcpy (pos, trial, sizeof (gdouble) * 3 * n);
              cost = next;
              moved = TRUE;
              alpha_pos = MIN (1.0, alpha_pos * 1.5);
              break;
            }
          alpha_pos *= 0.5;
        }
      if (!global)
        iterations = it + 1 - n_global;

      /* geometry: per-image angle and shift, Gauss–Newton per image */
      gboolean geo_moved = FALSE;
      if (p->fit_geometry)
        {
          cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, TRUE);
          for (gint k = 0; k < n_images; k++)
            {
              gdouble su = 0, sv = 0, st = 0, stt = 0, m = 0;
              for (gsize a = 0; a < n; a++)
                {
                  gsize i = (gsize) k * n + a;
                  gdouble wc = w_atom[i] * c_el[atom_el[a]];
                  su += gu[i];
                  sv += gv[i];
                  st += gu[i] * dudt[i];
                  stt += wc * dudt[i] * dudt[i];
                  m += wc;
                }
              gdouble w = scale[k] * scale[k];
              dshift[2 * k] = w > 0 && m > 0 ? -su / (w * m) : 0;
              dshift[2 * k + 1] = w > 0 && m > 0 ? -sv / (w * m) : 0;
              dtheta[k] = w > 0 && stt > 0 ? -st / (w * stt) * 180 / G_PI : 0;
              dshift[2 * k] = CLAMP (dshift[2 * k], -0.5, 0.5);
              dshift[2 * k + 1] = CLAMP (dshift[2 * k + 1], -0.5, 0.5);
              dtheta[k] = CLAMP (dtheta[k], -0.5, 0.5);
            }
          remove_gauge (n_images, angles, dtheta, dshift);
          for (gint tries = 0; tries < LINE_SEARCH_HALVINGS; tries++)
            {
              for (gint k = 0; k < n_images; k++)
                {
                  trial_angles[k] = angles[k] + alpha_geo * dtheta[k];
                  trial_shifts[2 * k] = shifts[2 * k] + alpha_geo * dshift[2 * k];
                  trial_shifts[2 * k + 1] = shifts[2 * k + 1] + alpha_geo * dshift[2 * k + 1];
                }
              gdouble next = aet_refine_evaluate (&ev, threads, pos, trial_angles, trial_shifts,
                                                  b, FALSE);
              if (next < cost)
                {
                  memcpy (angles, trial_angles, sizeof (gdouble) * n_images);
                  memcpy (shifts, trial_shifts, sizeof (gdouble) * 2 * n_images);
                  cost = next;
                  geo_moved = TRUE;
                  alpha_geo = MIN (1.0, alpha_geo * 1.5);
                  break;
                }
              alpha_geo *= 0.5;
            }
        }
      aet_job_progress (job, (it + 1.0) / n_total, "step %d", it + 1);
      if (!moved && !geo_moved)
        {
          if (global)
            it = n_global - 1;  /* on to the atoms' own steps */
          else if (add_at > it)
            it = add_at - 1;  /* converged: on to looking for missed atoms */
          else
            break;
        }
    }

  cost = aet_refine_evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
  gdouble r_after = aet_refine_r_factor (&ev);
  for (guint t = 0; t < threads; t++)
    aet_refine_scratch_free (&ev.scratch[t], ev.n_el);
  g_free (ev.scratch);
  for (guint e = 0; e < ev.n_el; e++)
    g_free (fe[e]);
  if (!ok)
    {
      aet_job_check_cancelled (job, "refinement", error);
      return NULL;
    }

  AetAtoms *out = aet_atoms_dup (atoms);
  for (gsize a = n_start; a < n; a++)
    aet_atoms_append (out, zs[atom_el[a]], pos[3 * a], pos[3 * a + 1], pos[3 * a + 2]);
  memcpy (out->positions, pos, sizeof (gdouble) * 3 * n);
  gfloat *moved_pm = aet_atoms_ensure_column (out, "refine_move_pm");
  /* 1 for an atom the refinement added (the trace had missed it) */
  gfloat *added = aet_atoms_ensure_column (out, "refine_added");
  for (gsize a = 0; a < n; a++)
    added[a] = a >= n_start ? 1 : 0;
  /* 1 for an atom moved, with its group, onto a free site of the crystal */
  gfloat *on_site = aet_atoms_ensure_column (out, "refine_snapped");
  for (gsize a = 0; a < n; a++)
    on_site[a] = snapped[a];
  gdouble sum2 = 0, worst = 0;
  gsize held = 0;
  for (gsize a = 0; a < n; a++)
    {
      gdouble d2 = 0;
      for (int d = 0; d < 3; d++)
        {
          /* from the input (an atom snapped to a site has a new start) */
          gdouble from = a < n_start ? atoms->positions[3 * a + d] : start[3 * a + d];
          d2 += (pos[3 * a + d] - from) * (pos[3 * a + d] - from);
        }
      moved_pm[a] = (gfloat) (100 * sqrt (d2));
      sum2 += d2;
      worst = MAX (worst, sqrt (d2));
      gdouble h2 = 0;
      for (int d = 0; d < 3; d++)
        h2 += (pos[3 * a + d] - start[3 * a + d]) * (pos[3 * a + d] - start[3 * a + d]);
      if (sqrt (h2) > p->max_move * 0.999)
        held++;
    }
  gdouble angle2 = 0, shift2 = 0;
  for (gint k = 0; k < n_images; k++)
    {
      angle2 += (angles[k] - series->angles[k]) * (angles[k] - series->angles[k]);
      for (int d = 0; d < 2; d++)
        shift2 += (shifts[2 * k + d] - series->shifts[2 * k + d])
                  * (shifts[2 * k + d] - series->shifts[2 * k + d]);
    }
  if (report != NULL)
    *report = (AetRefineReport) {
      .r_before = r_before, .r_after = r_after, .b = b,
      .rms_move = sqrt (sum2 / n), .max_move = worst, .n_held = held,
      .rms_angle_change = sqrt (angle2 / n_images),
      .rms_shift_change = sqrt (shift2 / (2 * n_images)),
      .iterations = iterations, .n_added = n - n_start, .n_snapped = n_snapped,
      .seconds = (g_get_monotonic_time () - t0) / 1e6,
    };
  if (refined_series != NULL)
    {
      *refined_series = aet_tilt_series_dup (series);
      memcpy ((*refined_series)->angles, angles, sizeof (gdouble) * n_images);
      memcpy ((*refined_series)->shifts, shifts, sizeof (gdouble) * 2 * n_images);
    }
  aet_job_progress (job, 1.0, NULL);
  return out;
}
