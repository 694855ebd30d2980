/* aet-refine-model.c — the refinement's model of the projections and its
 * cost: Gaussians filtered by f_e at the projected positions, per-image
 * scale and offset, Poisson weights, the robust prior, gradients and
 * curvatures (aet-refine-private.h). */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine-private.h"

#include <math.h>
#include <string.h>

#include "aet-atom-density.h"
#include "aet-parallel.h"

static void
project_position (const AetRefineEval *ev, gint k, const gdouble r[3], gdouble *u, gdouble *v,
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
patch (const AetRefineEval *ev, gdouble cx, gdouble cy, gdouble sigma, gint *i0, gint *i1, gint *j0,
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
  AetRefineEval *ev = user_data;
  AetRefineScratch *s = &ev->scratch[thread_index];
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
 * weight = aet_refine_prior_weight (). */
gdouble
aet_refine_prior_penalty (const AetRefineEval *ev, const gdouble *r, const gdouble *r0)
{
  if (ev->no_prior != NULL && ev->no_prior[(r0 - ev->prior_centre) / 3])
    return 0;
  gdouble d2 = 0;
  for (int d = 0; d < 3; d++)
    d2 += (r[d] - r0[d]) * (r[d] - r0[d]);
  return ev->cut > 0 ? d2 / (1 + d2 / (ev->cut * ev->cut)) : d2;
}

gdouble
aet_refine_prior_weight (const AetRefineEval *ev, const gdouble *r, const gdouble *r0)
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

gdouble
aet_refine_evaluate_full (AetRefineEval *ev, guint threads, const gdouble *pos,
                          const gdouble *angles, const gdouble *shifts, gdouble b,
                          gboolean want_grad, gboolean reweight)
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
      prior += aet_refine_prior_penalty (ev, pos + 3 * a, ev->prior_centre + 3 * a);
  return cost + 0.5 * ev->kappa * prior;
}

gdouble
aet_refine_evaluate (AetRefineEval *ev, guint threads, const gdouble *pos, const gdouble *angles,
          const gdouble *shifts, gdouble b, gboolean want_grad)
{
  return aet_refine_evaluate_full (ev, threads, pos, angles, shifts, b, want_grad, FALSE);
}

gdouble
aet_refine_r_factor (const AetRefineEval *ev)
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
gdouble
aet_refine_noise_variance (const AetRefineEval *ev)
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

/* The spectrum `spec` filtered by element e's f_e (also written to `keep`
 * when not NULL, which may be spec itself), back in real space in scratch
 * 0's model image; returns the sum of that image squared. */
static gdouble
filtered_energy (AetRefineEval *ev, guint e, const fftwf_complex *spec, fftwf_complex *keep)
{
  AetRefineScratch *s = &ev->scratch[0];
  for (gsize i = 0; i < ev->n_complex; i++)
    {
      gfloat re = (gfloat) (spec[i][0] * ev->fe[e][i]);
      gfloat im = (gfloat) (spec[i][1] * ev->fe[e][i]);
      if (keep != NULL)
        {
          keep[i][0] = re;
          keep[i][1] = im;
        }
      s->accum[i][0] = re;
      s->accum[i][1] = im;
    }
  fftwf_execute_dft_c2r (ev->c2r, s->accum, s->model);
  gdouble sum = 0;
  for (gsize i = 0; i < ev->n_real; i++)
    sum += (gdouble) s->model[i] * s->model[i];
  return sum;
}

/* c = Σ_pixels (f_e ⊛ ∂g/∂u)² for one atom of element e and width b: the
 * curvature of the cost along u of an isolated atom, per unit scale². */
gdouble
aet_refine_isolated_curvature (AetRefineEval *ev, guint e, gdouble b)
{
  AetRefineScratch *s = &ev->scratch[0];
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
  return filtered_energy (ev, e, s->spec, NULL);
}

/* The spectrum of one atom of element 0 and width b at pixel (0, 0)
 * (wrapped), filtered by f_e: the model's impulse response, written to
 * kernel (n_complex, complex); returns Σ of its image squared (the cost of
 * adding one atom where every weight is 1, per unit scale²). */
gdouble
aet_refine_atom_kernel (AetRefineEval *ev, gdouble b, fftwf_complex *kernel)
{
  AetRefineScratch *s = &ev->scratch[0];
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
  return filtered_energy (ev, 0, kernel, kernel);
}

/* B by golden-section search on log B in [lo, hi], positions fixed. */
gdouble
aet_refine_fit_b (AetRefineEval *ev, guint threads, const gdouble *pos, const gdouble *angles,
       const gdouble *shifts, gdouble lo, gdouble hi, gint evaluations)
{
  const gdouble g = (sqrt (5.0) - 1) / 2;
  gdouble a = log (lo), d = log (hi);
  gdouble b = d - g * (d - a), c = a + g * (d - a);
  gdouble fb = aet_refine_evaluate (ev, threads, pos, angles, shifts, exp (b), FALSE);
  gdouble fc = aet_refine_evaluate (ev, threads, pos, angles, shifts, exp (c), FALSE);
  for (gint i = 2; i < evaluations; i++)
    {
      if (fb < fc)
        {
          d = c;
          c = b;
          fc = fb;
          b = d - g * (d - a);
          fb = aet_refine_evaluate (ev, threads, pos, angles, shifts, exp (b), FALSE);
        }
      else
        {
          a = b;
          b = c;
          fb = fc;
          c = a + g * (d - a);
          fc = aet_refine_evaluate (ev, threads, pos, angles, shifts, exp (c), FALSE);
        }
    }
  return exp (fb < fc ? b : c);
}

void
aet_refine_scratch_free (AetRefineScratch *s, guint n_el)
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
