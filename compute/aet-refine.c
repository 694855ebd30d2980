/* aet-refine.c — atomic positions refined against the projections
 * (aet-refine.h says what and why). */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine.h"

#include <math.h>
#include <string.h>

#include "aet-atom-density.h"
#include "aet-error.h"
#include "aet-fft.h"
#include "aet-parallel.h"
#include "aet-projector.h"
#include "aet-scattering.h"

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
} Scratch;

typedef struct
{
  /* fixed */
  gint nx, ny, n_images;
  gsize n_real, n_complex, n_atoms;
  gdouble pixel, centre[3];
  const gfloat *data;        /* n_images images */
  guint n_el;
  guint *atom_el;            /* per atom: index into the element list */
  gdouble **fe;              /* per element: ny × (nx/2+1) filter, incl. 1/(nx·ny) */
  fftwf_plan r2c, c2r;
  Scratch *scratch;          /* per thread */
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
} Eval;

static void
project_position (const Eval *ev, gint k, const gdouble r[3], gdouble *u, gdouble *v,
                  gdouble *dudt)
{
  gdouble th = ev->angles[k] * G_PI / 180.0, ct = cos (th), st = sin (th);
  gdouble x = r[0] - ev->centre[0], y = r[1] - ev->centre[1], z = r[2] - ev->centre[2];
  *u = (x * ct + z * st) / ev->pixel + ev->nx / 2 + ev->shifts[2 * k];
  *v = y / ev->pixel + ev->ny / 2 + ev->shifts[2 * k + 1];
  *dudt = (-x * st + z * ct) / ev->pixel;
}

/* The patch of an atom at (cx, cy) with width sigma (pixels): FALSE when it
 * misses the image. */
static gboolean
patch (const Eval *ev, gdouble cx, gdouble cy, gdouble sigma, gint *i0, gint *i1, gint *j0,
       gint *j1)
{
  gdouble cut = CUTOFF_SIGMAS * sigma;
  *i0 = MAX (0, (gint) ceil (cx - cut));
  *i1 = MIN (ev->nx - 1, (gint) floor (cx + cut));
  *j0 = MAX (0, (gint) ceil (cy - cut));
  *j1 = MIN (ev->ny - 1, (gint) floor (cy + cut));
  return *i0 <= *i1 && *j0 <= *j1;
}

/* Scale and offset of the model that fit the image best, weighted by w
 * (NULL: uniformly). */
static void
fit_scale_offset (const gfloat *model, const gfloat *data, const gfloat *w, gsize n,
                  gdouble *scale, gdouble *offset)
{
  gdouble sw = 0, sm = 0, sd = 0, smm = 0, smd = 0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble wi = w != NULL ? w[i] : 1.0;
      sw += wi;
      sm += wi * model[i];
      sd += wi * data[i];
      smm += wi * model[i] * model[i];
      smd += wi * model[i] * data[i];
    }
  *scale = 0;
  *offset = sw > 0 ? sd / sw : 0;
  gdouble var = smm - sm * sm / sw;
  if (sw > 0 && var > 0)
    {
      *scale = (smd - sm * sd / sw) / var;
      *offset = (sd - *scale * sm) / sw;
    }
}

static void
eval_images (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Eval *ev = user_data;
  Scratch *s = &ev->scratch[thread_index];
  gint nx = ev->nx;
  gdouble sigma = aet_b_to_sigma (ev->b) / ev->pixel, inv = 1.0 / (2.0 * sigma * sigma);
  gdouble amplitude = G_PI / ev->b;
  for (gsize k = start; k < end; k++)
    {
      const gfloat *data = ev->data + k * ev->n_real;
      gdouble *dudt = ev->dudt + k * ev->n_atoms;
      gsize inside = 0;
      for (gsize a = 0; a < ev->n_atoms; a++)
        {
          project_position (ev, (gint) k, ev->pos + 3 * a, &s->us[a], &s->vs[a], &dudt[a]);
          if (s->us[a] >= 0 && s->us[a] < nx && s->vs[a] >= 0 && s->vs[a] < ev->ny)
            inside++;
        }
      ev->n_inside[k] = inside;

      /* the model: Σ_e f_e ⊛ (Gaussians of element e) */
      for (guint e = 0; e < ev->n_el; e++)
        {
          memset (s->real, 0, sizeof (gfloat) * ev->n_real);
          for (gsize a = 0; a < ev->n_atoms; a++)
            {
              gint i0, i1, j0, j1;
              if (ev->atom_el[a] != e
                  || !patch (ev, s->us[a], s->vs[a], sigma, &i0, &i1, &j0, &j1))
                continue;
              for (gint i = i0; i <= i1; i++)
                s->gx[i] = exp (-(i - s->us[a]) * (i - s->us[a]) * inv);
              for (gint j = j0; j <= j1; j++)
                {
                  gdouble dy = j - s->vs[a];
                  gdouble gy = amplitude * exp (-dy * dy * inv);
                  gfloat *row = s->real + (gsize) j * nx;
                  for (gint i = i0; i <= i1; i++)
                    row[i] += (gfloat) (gy * s->gx[i]);
                }
            }
          fftwf_execute_dft_r2c (ev->r2c, s->real, s->spec);
          const gdouble *fe = ev->fe[e];
          for (gsize i = 0; i < ev->n_complex; i++)
            {
              gdouble w = fe[i];
              if (e == 0)
                {
                  s->accum[i][0] = (gfloat) (s->spec[i][0] * w);
                  s->accum[i][1] = (gfloat) (s->spec[i][1] * w);
                }
              else
                {
                  s->accum[i][0] += (gfloat) (s->spec[i][0] * w);
                  s->accum[i][1] += (gfloat) (s->spec[i][1] * w);
                }
            }
        }
      fftwf_execute_dft_c2r (ev->c2r, s->accum, s->model);

      /* scale and offset by (weighted) least squares, then the residual */
      gfloat *wk = ev->weights != NULL ? ev->weights + k * ev->n_real : NULL;
      gdouble scale, offset;
      fit_scale_offset (s->model, data, wk, ev->n_real, &scale, &offset);
      if (ev->reweight && wk != NULL)
        {
          gdouble top = 0;
          for (gsize i = 0; i < ev->n_real; i++)
            top = MAX (top, scale * s->model[i] + offset);
          gdouble floor_ = top > 0 ? WEIGHT_FLOOR * top : 1;
          for (gsize i = 0; i < ev->n_real; i++)
            wk[i] = (gfloat) (1.0 / MAX (scale * s->model[i] + offset, floor_));
          fit_scale_offset (s->model, data, wk, ev->n_real, &scale, &offset);
        }
      ev->scale[k] = scale;
      ev->offset[k] = offset;
      gdouble cost = 0, ares = 0, adata = 0, top = 0, fcost = 0;
      gsize fn = 0;
      for (gsize i = 0; i < ev->n_real; i++)
        top = MAX (top, scale * s->model[i] + offset);
      for (gsize i = 0; i < ev->n_real; i++)
        {
          gdouble r = scale * s->model[i] + offset - data[i];
          if (scale * s->model[i] + offset > WEIGHT_FLOOR * top)
            {
              fcost += (wk != NULL ? wk[i] : 1.0) * r * r;
              fn++;
            }
          gdouble w = wk != NULL ? wk[i] : 1.0;
          if (ev->residual != NULL)
            ev->residual[k * ev->n_real + i] = (gfloat) (-w * r);
          s->real[i] = (gfloat) (w * r);
          cost += w * r * r;
          ares += fabs (r);
          adata += fabs (data[i]);
        }
      ev->cost[k] = 0.5 * cost;
      ev->foot_cost[k] = fcost;
      ev->foot_n[k] = fn;
      ev->abs_res[k] = ares;
      ev->abs_data[k] = adata;
      if (!ev->want_grad)
        continue;

      /* ∂E/∂(u, v) of each atom: the residual filtered by f_e (the model's
       * operator is symmetric), weighted by the Gaussian's derivatives */
      fftwf_execute_dft_r2c (ev->r2c, s->real, s->spec);
      for (guint e = 0; e < ev->n_el; e++)
        {
          const gdouble *fe = ev->fe[e];
          for (gsize i = 0; i < ev->n_complex; i++)
            {
              s->accum[i][0] = (gfloat) (s->spec[i][0] * fe[i]);
              s->accum[i][1] = (gfloat) (s->spec[i][1] * fe[i]);
            }
          fftwf_execute_dft_c2r (ev->c2r, s->accum, s->filtered[e]);
        }
      gdouble *gu = ev->gu + k * ev->n_atoms, *gv = ev->gv + k * ev->n_atoms;
      gdouble *wa = ev->w_atom + k * ev->n_atoms;
      for (gsize a = 0; a < ev->n_atoms; a++)
        {
          gint i0, i1, j0, j1;
          gu[a] = gv[a] = wa[a] = 0;
          gint iu = (gint) lround (s->us[a]), iv = (gint) lround (s->vs[a]);
          if (iu >= 0 && iu < nx && iv >= 0 && iv < ev->ny)
            wa[a] = wk != NULL ? wk[(gsize) iv * nx + iu] : 1.0;
          if (!patch (ev, s->us[a], s->vs[a], sigma, &i0, &i1, &j0, &j1))
            continue;
          const gfloat *f = s->filtered[ev->atom_el[a]];
          gdouble su = 0, sv = 0;
          for (gint i = i0; i <= i1; i++)
            s->gx[i] = exp (-(i - s->us[a]) * (i - s->us[a]) * inv);
          for (gint j = j0; j <= j1; j++)
            {
              gdouble dy = j - s->vs[a];
              gdouble gy = amplitude * exp (-dy * dy * inv);
              const gfloat *row = f + (gsize) j * nx;
              gdouble ru = 0, rv = 0;
              for (gint i = i0; i <= i1; i++)
                {
                  /* ∂g/∂u = g · (i − u)/σ² */
                  gdouble w = row[i] * s->gx[i];
                  ru += w * (i - s->us[a]);
                  rv += w;
                }
              su += gy * ru;
              sv += gy * rv * dy;
            }
          gu[a] = scale * su * 2 * inv;
          gv[a] = scale * sv * 2 * inv;
        }
    }
}

/* ρ(|r − r₀|) of one atom; its derivative is weight · (r − r₀) with
 * weight = prior_weight (). */
static gdouble
prior_penalty (const Eval *ev, const gdouble *r, const gdouble *r0)
{
  if (ev->no_prior != NULL && ev->no_prior[(r0 - ev->prior_centre) / 3])
    return 0;
  gdouble d2 = 0;
  for (int d = 0; d < 3; d++)
    d2 += (r[d] - r0[d]) * (r[d] - r0[d]);
  return ev->cut > 0 ? d2 / (1 + d2 / (ev->cut * ev->cut)) : d2;
}

static gdouble
prior_weight (const Eval *ev, const gdouble *r, const gdouble *r0)
{
  if (ev->no_prior != NULL && ev->no_prior[(r0 - ev->prior_centre) / 3])
    return 0;
  if (ev->cut <= 0)
    return 1;
  gdouble d2 = 0;
  for (int d = 0; d < 3; d++)
    d2 += (r[d] - r0[d]) * (r[d] - r0[d]);
  gdouble q = 1 + d2 / (ev->cut * ev->cut);
  return 1 / (q * q);
}

static gdouble
evaluate_full (Eval *ev, guint threads, const gdouble *pos, const gdouble *angles,
               const gdouble *shifts, gdouble b, gboolean want_grad, gboolean reweight)
{
  ev->reweight = reweight;
  ev->pos = pos;
  ev->angles = angles;
  ev->shifts = shifts;
  ev->b = b;
  ev->want_grad = want_grad;
  aet_parallel_for (threads, (gsize) ev->n_images, eval_images, ev);
  gdouble cost = 0, prior = 0;
  for (gint k = 0; k < ev->n_images; k++)
    cost += ev->cost[k];
  if (ev->kappa > 0)
    for (gsize a = 0; a < ev->n_atoms; a++)
      prior += prior_penalty (ev, pos + 3 * a, ev->prior_centre + 3 * a);
  return cost + 0.5 * ev->kappa * prior;
}

static gdouble
evaluate (Eval *ev, guint threads, const gdouble *pos, const gdouble *angles,
          const gdouble *shifts, gdouble b, gboolean want_grad)
{
  return evaluate_full (ev, threads, pos, angles, shifts, b, want_grad, FALSE);
}

static gdouble
r_factor (const Eval *ev)
{
  gdouble res = 0, data = 0;
  for (gint k = 0; k < ev->n_images; k++)
    {
      res += ev->abs_res[k];
      data += ev->abs_data[k];
    }
  return data > 0 ? res / data : 0;
}

/* The noise variance per pixel (in the weighted cost's units) of the last
 * evaluation, read off the residual where the particle is: vacuum, with
 * next to no counts, would make it look smaller than it is. */
static gdouble
noise_variance (const Eval *ev)
{
  gdouble sum = 0;
  gsize n = 0;
  for (gint k = 0; k < ev->n_images; k++)
    {
      sum += ev->foot_cost[k];
      n += ev->foot_n[k];
    }
  return n > 0 ? sum / n : 0;
}

/* c = Σ_pixels (f_e ⊛ ∂g/∂u)² for one atom of element e and width b: the
 * curvature of the cost along u of an isolated atom, per unit scale². */
static gdouble
isolated_curvature (Eval *ev, guint e, gdouble b)
{
  Scratch *s = &ev->scratch[0];
  gdouble sigma = aet_b_to_sigma (b) / ev->pixel, inv = 1.0 / (2.0 * sigma * sigma);
  gdouble amplitude = G_PI / b, cx = ev->nx / 2, cy = ev->ny / 2;
  memset (s->real, 0, sizeof (gfloat) * ev->n_real);
  gint i0, i1, j0, j1;
  patch (ev, cx, cy, sigma, &i0, &i1, &j0, &j1);
  for (gint j = j0; j <= j1; j++)
    for (gint i = i0; i <= i1; i++)
      {
        gdouble dx = i - cx, dy = j - cy;
        s->real[(gsize) j * ev->nx + i]
          = (gfloat) (amplitude * exp (-(dx * dx + dy * dy) * inv) * dx * 2 * inv);
      }
  fftwf_execute_dft_r2c (ev->r2c, s->real, s->spec);
  for (gsize i = 0; i < ev->n_complex; i++)
    {
      s->accum[i][0] = (gfloat) (s->spec[i][0] * ev->fe[e][i]);
      s->accum[i][1] = (gfloat) (s->spec[i][1] * ev->fe[e][i]);
    }
  fftwf_execute_dft_c2r (ev->c2r, s->accum, s->model);
  gdouble c = 0;
  for (gsize i = 0; i < ev->n_real; i++)
    c += (gdouble) s->model[i] * s->model[i];
  return c;
}

/* The spectrum of one atom of element 0 and width b at pixel (0, 0)
 * (wrapped), filtered by f_e: the model's impulse response, written to
 * kernel (n_complex, complex); returns Σ of its image squared (the cost of
 * adding one atom where every weight is 1, per unit scale²). */
static gdouble
atom_kernel (Eval *ev, gdouble b, fftwf_complex *kernel)
{
  Scratch *s = &ev->scratch[0];
  gdouble sigma = aet_b_to_sigma (b) / ev->pixel, inv = 1.0 / (2.0 * sigma * sigma);
  gdouble amplitude = G_PI / b;
  gint cut = (gint) ceil (CUTOFF_SIGMAS * sigma);
  memset (s->real, 0, sizeof (gfloat) * ev->n_real);
  for (gint dj = -cut; dj <= cut; dj++)
    for (gint di = -cut; di <= cut; di++)
      {
        gint i = (di + ev->nx) % ev->nx, j = (dj + ev->ny) % ev->ny;
        s->real[(gsize) j * ev->nx + i]
          += (gfloat) (amplitude * exp (-(di * di + dj * dj) * inv));
      }
  fftwf_execute_dft_r2c (ev->r2c, s->real, kernel);
  for (gsize i = 0; i < ev->n_complex; i++)
    {
      kernel[i][0] = (gfloat) (kernel[i][0] * ev->fe[0][i]);
      kernel[i][1] = (gfloat) (kernel[i][1] * ev->fe[0][i]);
      s->accum[i][0] = kernel[i][0];
      s->accum[i][1] = kernel[i][1];
    }
  fftwf_execute_dft_c2r (ev->c2r, s->accum, s->model);
  gdouble c0 = 0;
  for (gsize i = 0; i < ev->n_real; i++)
    c0 += (gdouble) s->model[i] * s->model[i];
  return c0;
}

/* Inverse of a symmetric 3×3 matrix (row-major); FALSE when singular. */
static gboolean
invert3 (const gdouble m[9], gdouble out[9])
{
  gdouble c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8];
  gdouble c02 = m[3] * m[7] - m[4] * m[6];
  gdouble det = m[0] * c00 + m[1] * c01 + m[2] * c02;
  if (!(fabs (det) > 1e-300))
    return FALSE;
  out[0] = c00 / det;
  out[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  out[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  out[3] = c01 / det;
  out[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  out[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  out[6] = c02 / det;
  out[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  out[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return TRUE;
}

/* B by golden-section search on log B in [lo, hi], positions fixed. */
static gdouble
fit_b (Eval *ev, guint threads, const gdouble *pos, const gdouble *angles,
       const gdouble *shifts, gdouble lo, gdouble hi, gint evaluations)
{
  const gdouble g = (sqrt (5.0) - 1) / 2;
  gdouble a = log (lo), d = log (hi);
  gdouble b = d - g * (d - a), c = a + g * (d - a);
  gdouble fb = evaluate (ev, threads, pos, angles, shifts, exp (b), FALSE);
  gdouble fc = evaluate (ev, threads, pos, angles, shifts, exp (c), FALSE);
  for (gint i = 2; i < evaluations; i++)
    {
      if (fb < fc)
        {
          d = c;
          c = b;
          fc = fb;
          b = d - g * (d - a);
          fb = evaluate (ev, threads, pos, angles, shifts, exp (b), FALSE);
        }
      else
        {
          a = b;
          b = c;
          fb = fc;
          c = a + g * (d - a);
          fc = evaluate (ev, threads, pos, angles, shifts, exp (c), FALSE);
        }
    }
  return exp (fb < fc ? b : c);
}

/* Solves the n×n system a·x = b in place (b becomes x), Gaussian
 * elimination with partial pivoting; FALSE when singular. */
static gboolean
solve (gint n, gdouble *a, gdouble *b)
{
  gdouble biggest = 0;
  for (gint i = 0; i < n * n; i++)
    biggest = MAX (biggest, fabs (a[i]));
  gdouble tiny = 1e-12 * biggest;
  for (gint c = 0; c < n; c++)
    {
      gint piv = c;
      for (gint r = c + 1; r < n; r++)
        if (fabs (a[r * n + c]) > fabs (a[piv * n + c]))
          piv = r;
      if (!(fabs (a[piv * n + c]) > tiny) || !(fabs (a[piv * n + c]) > 1e-300))
        return FALSE;
      if (piv != c)
        {
          for (gint k = 0; k < n; k++)
            {
              gdouble t = a[c * n + k];
              a[c * n + k] = a[piv * n + k];
              a[piv * n + k] = t;
            }
          gdouble t = b[c];
          b[c] = b[piv];
          b[piv] = t;
        }
      for (gint r = c + 1; r < n; r++)
        {
          gdouble f = a[r * n + c] / a[c * n + c];
          for (gint k = c; k < n; k++)
            a[r * n + k] -= f * a[c * n + k];
          b[r] -= f * b[c];
        }
    }
  for (gint r = n - 1; r >= 0; r--)
    {
      gdouble v = b[r];
      for (gint k = r + 1; k < n; k++)
        v -= a[r * n + k] * b[k];
      b[r] = v / a[r * n + r];
    }
  return TRUE;
}

/* The monomials of r̃ up to `degree` (1: 1, x, y, z; 2: also x², y², z²,
 * xy, xz, yz; 3: also the cubic ones); returns how many. */
static gint
monomials (const gdouble r[3], gint degree, gdouble *out)
{
  gint n = 0;
  for (gint px = 0; px <= degree; px++)
    for (gint py = 0; px + py <= degree; py++)
      for (gint pz = 0; px + py + pz <= degree; pz++)
        out[n++] = pow (r[0], px) * pow (r[1], py) * pow (r[2], pz);
  return n;
}

#define MAX_BASIS 56  /* monomials up to degree 5 */

/* The global step: the per-atom gradients g (3·n) turned into one smooth
 * motion of the whole model, a polynomial field of `degree` in the offset
 * from the centroid (1: affine, r → r + M (r − c) + t), by Gauss–Newton
 * with the atoms' blocks hblock (9 per atom); the motion of every atom is
 * written to step, scaled so that none moves more than max_step.  FALSE
 * when the system is singular (fewer atoms than the field has numbers, or a
 * flat model). */
static gboolean
global_step (gsize n, const gdouble *pos, const gdouble *g, const gdouble *hblock,
             gint degree, gdouble max_step, gdouble *step)
{
  gdouble c[3] = { 0 }, extent = 0;
  for (gsize a = 0; a < n; a++)
    for (int d = 0; d < 3; d++)
      c[d] += pos[3 * a + d] / n;
  for (gsize a = 0; a < n; a++)
    for (int d = 0; d < 3; d++)
      extent = MAX (extent, fabs (pos[3 * a + d] - c[d]));
  gdouble scale = extent > 0 ? 1 / extent : 1;  /* r̃ in [−1, 1]: a well-posed system */
  gdouble phi[MAX_BASIS], r[3] = { 0 };
  gint nb = monomials (r, degree, phi), np = 3 * nb;
  g_autofree gdouble *big = g_new0 (gdouble, np * np);
  g_autofree gdouble *rhs = g_new0 (gdouble, np);
  for (gsize a = 0; a < n; a++)
    {
      for (int d = 0; d < 3; d++)
        r[d] = (pos[3 * a + d] - c[d]) * scale;
      monomials (r, degree, phi);
      /* J (3 × np): row i holds φ at columns i·nb … i·nb + nb − 1, so
       * (Jᵀ h J)[(i, j), (k, l)] = h_ik φ_j φ_l */
      const gdouble *h = hblock + 9 * a;
      for (int i = 0; i < 3; i++)
        for (gint j = 0; j < nb; j++)
          {
            rhs[i * nb + j] -= g[3 * a + i] * phi[j];
            for (int k = 0; k < 3; k++)
              {
                gdouble hik = h[3 * i + k] * phi[j];
                if (hik == 0)
                  continue;
                gdouble *row = big + (gsize) (i * nb + j) * np + k * nb;
                for (gint l = 0; l < nb; l++)
                  row[l] += hik * phi[l];
              }
          }
    }
  if (!solve (np, big, rhs))
    return FALSE;
  gdouble longest = 0;
  for (gsize a = 0; a < n; a++)
    {
      for (int d = 0; d < 3; d++)
        r[d] = (pos[3 * a + d] - c[d]) * scale;
      monomials (r, degree, phi);
      gdouble len = 0;
      for (int i = 0; i < 3; i++)
        {
          gdouble v = 0;
          for (gint j = 0; j < nb; j++)
            v += rhs[i * nb + j] * phi[j];
          step[3 * a + i] = v;
          len += v * v;
        }
      longest = MAX (longest, sqrt (len));
    }
  /* no atom moves more than max_step: the whole field is scaled down */
  if (longest > max_step)
    for (gsize i = 0; i < 3 * n; i++)
      step[i] *= max_step / longest;
  return TRUE;
}

/* ---- atoms the trace missed ----
 *
 * What adding one atom at a point would change the cost by, to first
 * order, is a back-projection: per image, the weighted residual
 * matched-filtered by an atom's projection, less the atom's own cost
 * where the weights are.  An atom the trace missed shows there as a
 * negative minimum one bond length from its neighbours.  Such minima are
 * proposed, best first, and each is kept only if adding an atom there
 * lowers the full cost by more than ADD_GAIN noise variances (a
 * likelihood-ratio test: ½ Δχ² > 12.5, i.e. Δχ² > 25 for three new
 * numbers). */

#define ADD_GAIN 12.5
#define ADD_NEAREST_MIN 2.2   /* Å: a proposed atom has its nearest neighbour this far … */
#define ADD_NEAREST_MAX 3.6   /* … and no farther (it touches the particle) */

typedef struct
{
  gdouble value;
  gdouble r[3];
} Candidate;

static gint
compare_candidates (gconstpointer a, gconstpointer b)
{
  gdouble va = ((const Candidate *) a)->value, vb = ((const Candidate *) b)->value;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/* The nearest of atoms [0, n) to r: its distance (Å) and index. */
static gdouble
nearest_atom (const gdouble *pos, gsize n, const gdouble r[3], gsize *index)
{
  gdouble best = G_MAXDOUBLE;
  for (gsize a = 0; a < n; a++)
    {
      gdouble d2 = 0;
      for (int d = 0; d < 3; d++)
        d2 += (pos[3 * a + d] - r[d]) * (pos[3 * a + d] - r[d]);
      if (d2 < best)
        {
          best = d2;
          *index = a;
        }
    }
  return sqrt (best);
}

/* Proposes and tests atoms at the residual's peaks; atoms [n, *n_out) are
 * the ones added (positions in pos, start and anchor, elements in
 * atom_el; all arrays have room for cap atoms).  *cost is updated. */
static void
add_missing_atoms (Eval *ev, guint threads, gdouble *pos, gdouble *start, gdouble *anchor,
                   guint8 *no_prior, guint *atom_el, gsize cap, const gdouble *angles, const gdouble *shifts,
                   gdouble b, gsize *n_out, gdouble *cost)
{
  gsize n = ev->n_atoms;
  gint nx = ev->nx, ny = ev->ny, nz = ev->nx, k_images = ev->n_images;
  gsize n_real = ev->n_real;
  /* FFTW's plans want buffers from fftwf_alloc_* (aet-fft.h) */
  gfloat *residual = fftwf_alloc_real (n_real * k_images);
  ev->residual = residual;
  gdouble before = evaluate (ev, threads, pos, angles, shifts, b, FALSE);
  ev->residual = NULL;
  gdouble noise_var = noise_variance (ev);

  /* Per image, what adding one atom at a pixel would change the cost by,
   * to first order: −s ⟨atom, w (image − model)⟩ + ½ s² c₀ w (the residual
   * matched-filtered by the atom's projection, and the atom's own cost
   * where the weights are).  Back-projected, that is the change for an
   * atom at a point of the volume, summed over the images. */
  Scratch *sc = &ev->scratch[0];
  fftwf_complex *kernel = fftwf_alloc_complex (ev->n_complex);
  gdouble c0 = atom_kernel (ev, b, kernel);
  for (gint k = 0; k < k_images; k++)
    {
      gfloat *img = residual + (gsize) k * n_real;
      memcpy (sc->real, img, sizeof (gfloat) * n_real);  /* aligned, whatever n_real is */
      fftwf_execute_dft_r2c (ev->r2c, sc->real, sc->spec);
      for (gsize i = 0; i < ev->n_complex; i++)
        {
          gdouble re = sc->spec[i][0], im = sc->spec[i][1];
          gdouble kr = kernel[i][0], ki = kernel[i][1];
          /* correlation: the spectrum times the kernel's conjugate */
          sc->accum[i][0] = (gfloat) (re * kr + im * ki);
          sc->accum[i][1] = (gfloat) (im * kr - re * ki);
        }
      fftwf_execute_dft_c2r (ev->c2r, sc->accum, sc->model);
      const gfloat *w = ev->weights != NULL ? ev->weights + (gsize) k * n_real : NULL;
      gdouble sk = ev->scale[k];
      for (gsize i = 0; i < n_real; i++)
        img[i] = (gfloat) (-sk * sc->model[i] + 0.5 * sk * sk * c0 * (w != NULL ? w[i] : 1.0));
    }
  fftwf_free (kernel);
  gsize n_vox = (gsize) nx * ny * nz;
  g_autofree gfloat *volume = g_try_new (gfloat, n_vox);
  if (volume == NULL)
    {
      fftwf_free (residual);
      return;
    }
  g_autoptr (AetProjector) projector = aet_projector_new (nx, ny, nz, k_images, angles, shifts);
  aet_projector_back (projector, residual, volume, threads);
  fftwf_free (residual);
  gint lo[3], hi[3];
  gdouble box_lo[3] = { G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE }, box_hi[3] = { 0 };
  for (gsize a = 0; a < n; a++)
    for (int d = 0; d < 3; d++)
      {
        box_lo[d] = MIN (box_lo[d], pos[3 * a + d]);
        box_hi[d] = MAX (box_hi[d], pos[3 * a + d]);
      }
  gint dims[3] = { nx, ny, nz };
  for (int d = 0; d < 3; d++)
    {
      lo[d] = MAX (1, (gint) floor ((box_lo[d] - ADD_NEAREST_MAX) / ev->pixel));
      hi[d] = MIN (dims[d] - 2, (gint) ceil ((box_hi[d] + ADD_NEAREST_MAX) / ev->pixel));
    }
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (Candidate));
  gsize sx = 1, sy = (gsize) nx, sz = (gsize) nx * ny;
  for (gint k = lo[2]; k <= hi[2]; k++)
    for (gint j = lo[1]; j <= hi[1]; j++)
      for (gint i = lo[0]; i <= hi[0]; i++)
        {
          gsize at = (gsize) k * sz + (gsize) j * sy + (gsize) i * sx;
          gfloat v = volume[at];
          if (!(v < 0))
            continue;
          gboolean peak = TRUE;
          for (gint dk = -1; dk <= 1 && peak; dk++)
            for (gint dj = -1; dj <= 1 && peak; dj++)
              for (gint di = -1; di <= 1 && peak; di++)
                if ((di || dj || dk)
                    && volume[at + (gssize) dk * (gssize) sz + (gssize) dj * (gssize) sy + di] < v)
                  peak = FALSE;
          if (!peak)
            continue;
          Candidate c = { v, { i * ev->pixel, j * ev->pixel, k * ev->pixel } };
          gsize idx;
          gdouble d = nearest_atom (pos, n, c.r, &idx);
          if (d >= ADD_NEAREST_MIN && d <= ADD_NEAREST_MAX)
            g_array_append_val (found, c);
        }
  g_array_sort (found, compare_candidates);

  /* test the strongest, best first, as many as there is room for twice */
  gsize room = cap - n, tested = 0;
  for (guint c = 0; c < found->len && tested < 2 * room && ev->n_atoms < cap; c++)
    {
      Candidate *cand = &g_array_index (found, Candidate, c);
      gsize idx = 0, m = ev->n_atoms;
      gdouble d = nearest_atom (pos, m, cand->r, &idx);
      if (d < ADD_NEAREST_MIN)
        continue;  /* an atom added just before took the place */
      tested++;
      memcpy (pos + 3 * m, cand->r, sizeof cand->r);
      memcpy (start + 3 * m, cand->r, sizeof cand->r);
      memcpy (anchor + 3 * m, cand->r, sizeof cand->r);
      no_prior[m] = 1;  /* where it was proposed is a voxel centre, not a trusted place */
      atom_el[m] = atom_el[idx];
      ev->n_atoms = m + 1;
      gdouble next = evaluate (ev, threads, pos, angles, shifts, b, FALSE);
      if (next < before - ADD_GAIN * noise_var)
        before = next;
      else
        {
          ev->n_atoms = m;
          no_prior[m] = 0;
        }
    }
  *n_out = ev->n_atoms;
  *cost = evaluate (ev, threads, pos, angles, shifts, b, FALSE);
}

void
aet_refine_params_init_defaults (AetRefineParams *p)
{
  *p = (AetRefineParams) {
    .iterations = 30, .global_iterations = 60, .b = 5.0, .fit_b = TRUE, .fit_geometry = TRUE,
    .max_step = 0.1, .max_move = 1.0, .prior = 0.08,
    .poisson = TRUE, .prior_cut = 0.2, .global_degree = 3,
    .add_atoms = TRUE,
  };
}

static void
scratch_free (Scratch *s, guint n_el)
{
  fftwf_free (s->real);
  fftwf_free (s->model);
  fftwf_free (s->spec);
  fftwf_free (s->accum);
  for (guint e = 0; e < n_el && s->filtered != NULL; e++)
    fftwf_free (s->filtered[e]);
  g_free (s->filtered);
  g_free (s->us);
  g_free (s->vs);
  g_free (s->gx);
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
  Eval ev = {
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
  ev.scratch = g_new0 (Scratch, threads);
  for (guint t = 0; t < threads; t++)
    {
      Scratch *s = &ev.scratch[t];
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
  g_autofree gdouble *cos_k = g_new (gdouble, n_images);
  g_autofree gdouble *sin_k = g_new (gdouble, n_images);
  g_autofree gdouble *curv_k = g_new (gdouble, n_images);
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
    b = fit_b (&ev, threads, pos, angles, shifts, B_MIN, B_MAX, 24);
  gdouble cost = evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
  gdouble r_before = r_factor (&ev);
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
      cost = evaluate_full (&ev, threads, pos, angles, shifts, b, FALSE, TRUE);
    }
  g_autofree gdouble *anchor = g_new (gdouble, 3 * cap);
  memcpy (anchor, pos, sizeof (gdouble) * 3 * n);
  g_autofree gdouble *grad = g_new (gdouble, 3 * cap);
  gint n_global = p->global_iterations, n_total = n_global + p->iterations;
  /* atoms the trace missed are looked for two thirds into the atoms' own
   * steps, so the rest polish them and their neighbours */
  gint add_at = p->add_atoms ? n_global + 2 * p->iterations / 3 : -1;
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
            b = fit_b (&ev, threads, pos, angles, shifts, MAX (B_MIN, b / 1.5),
                       MIN (B_MAX, b * 1.5), 14);
          cost = evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
          alpha_pos = 1.0;
          if (p->prior > 0)
            {
              gdouble noise_var = noise_variance (&ev);
              memcpy (anchor, pos, sizeof (gdouble) * 3 * n);
              ev.prior_centre = anchor;
              ev.no_prior = no_prior;
              ev.kappa = noise_var / (p->prior * p->prior);
              ev.cut = p->prior_cut;
              cost = evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
            }
        }
      if (!global && p->fit_b && !b_refit && it >= n_global + p->iterations / 2)
        {
          b = fit_b (&ev, threads, pos, angles, shifts, MAX (B_MIN, b / 1.5),
                     MIN (B_MAX, b * 1.5), 14);
          cost = evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
          b_refit = TRUE;
        }
      if (it == add_at)
        {
          gsize grown = n;
          add_missing_atoms (&ev, threads, pos, start, anchor, no_prior, atom_el, cap, angles,
                             shifts, b, &grown, &cost);
          n = grown;
          alpha_pos = 1.0;
        }

      /* positions: block Gauss–Newton step, backtracking */
      cost = evaluate_full (&ev, threads, pos, angles, shifts, b, TRUE, ev.weights != NULL);
      for (guint e = 0; e < ev.n_el; e++)
        c_el[e] = isolated_curvature (&ev, e, b);
      for (gint k = 0; k < n_images; k++)
        {
          gdouble th = angles[k] * G_PI / 180;
          cos_k[k] = cos (th);
          sin_k[k] = sin (th);
          curv_k[k] = scale[k] * scale[k] / (ev.pixel * ev.pixel);
        }
      gsize n_seen = 0;
      for (gsize a = 0; a < n; a++)
        {
          /* this atom's block: Σ_k w s_k² c_e P_kᵀ P_k + κ I */
          gdouble *h = hblock + 9 * a, hinv[9];
          memset (h, 0, sizeof (gdouble) * 9);
          gdouble ce = c_el[atom_el[a]];
          for (gint k = 0; k < n_images; k++)
            {
              gdouble w = curv_k[k] * ce * w_atom[(gsize) k * n + a];
              h[0] += w * cos_k[k] * cos_k[k];
              h[2] += w * cos_k[k] * sin_k[k];
              h[4] += w;
              h[8] += w * sin_k[k] * sin_k[k];
            }
          h[6] = h[2];
          gdouble kw = ev.kappa > 0 ? ev.kappa * prior_weight (&ev, pos + 3 * a, anchor + 3 * a)
                                    : 0;
          h[0] += kw;
          h[4] += kw;
          h[8] += kw;
          if (h[0] <= 0 || h[4] <= 0 || h[8] <= 0 || !invert3 (h, hinv))
            {
              /* an atom no image sees (or a degenerate block): it stays,
               * and has no say in the global step */
              memset (h, 0, sizeof (gdouble) * 9);
              memset (grad + 3 * a, 0, sizeof (gdouble) * 3);
              memset (step + 3 * a, 0, sizeof (gdouble) * 3);
              continue;
            }
          n_seen++;
          gdouble g[3] = { 0 };
          for (gint k = 0; k < n_images; k++)
            {
              gdouble th = angles[k] * G_PI / 180;
              gdouble du = gu[(gsize) k * n + a] / ev.pixel, dv = gv[(gsize) k * n + a] / ev.pixel;
              g[0] += du * cos (th);
              g[1] += dv;
              g[2] += du * sin (th);
            }
          for (int d = 0; d < 3 && kw > 0; d++)
            g[d] += kw * (pos[3 * a + d] - anchor[3 * a + d]);
          memcpy (grad + 3 * a, g, sizeof g);
          if (global)
            continue;
          gdouble len = 0;
          for (int d = 0; d < 3; d++)
            {
              step[3 * a + d] = -(hinv[3 * d] * g[0] + hinv[3 * d + 1] * g[1]
                                  + hinv[3 * d + 2] * g[2]);
              len += step[3 * a + d] * step[3 * a + d];
            }
          len = sqrt (len);
          if (len > p->max_step)
            for (int d = 0; d < 3; d++)
              step[3 * a + d] *= p->max_step / len;
        }
      if (n_seen == 0)
        break;
      if (global && !global_step (n, pos, grad, hblock, p->global_degree, p->max_step, step))
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
          gdouble next = evaluate (&ev, threads, trial, angles, shifts, b, FALSE);
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
          cost = evaluate (&ev, threads, pos, angles, shifts, b, TRUE);
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
              gdouble next = evaluate (&ev, threads, pos, trial_angles, trial_shifts, b, FALSE);
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

  cost = evaluate (&ev, threads, pos, angles, shifts, b, FALSE);
  gdouble r_after = r_factor (&ev);
  for (guint t = 0; t < threads; t++)
    scratch_free (&ev.scratch[t], ev.n_el);
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
  gdouble sum2 = 0, worst = 0;
  gsize held = 0;
  for (gsize a = 0; a < n; a++)
    {
      gdouble d2 = 0;
      for (int d = 0; d < 3; d++)
        d2 += (pos[3 * a + d] - start[3 * a + d]) * (pos[3 * a + d] - start[3 * a + d]);
      moved_pm[a] = (gfloat) (100 * sqrt (d2));
      sum2 += d2;
      worst = MAX (worst, sqrt (d2));
      if (sqrt (d2) > p->max_move * 0.999)
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
      .iterations = iterations, .n_added = n - n_start, .seconds = (g_get_monotonic_time () - t0) / 1e6,
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
