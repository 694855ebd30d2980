/* aet-refine-add.c — atoms the trace missed, found in the residual and
 * kept on a cost test (aet-refine-private.h). */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine-private.h"

#include <math.h>
#include <string.h>

#include "aet-projector.h"

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
void
aet_refine_add_missing_atoms (AetRefineEval *ev, guint threads, gdouble *pos, gdouble *start,
                              gdouble *anchor, guint8 *no_prior, guint *atom_el, gsize cap,
                              const gdouble *angles, const gdouble *shifts, gdouble b,
                              gsize *n_out, gdouble *cost)
{
  gsize n = ev->n_atoms;
  gint nx = ev->nx, ny = ev->ny, nz = ev->nx, k_images = ev->n_images;
  gsize n_real = ev->n_real;
  /* FFTW's plans want buffers from fftwf_alloc_* (aet-fft.h) */
  gfloat *residual = fftwf_alloc_real (n_real * k_images);
  ev->residual = residual;
  gdouble before = aet_refine_evaluate (ev, threads, pos, angles, shifts, b, FALSE);
  ev->residual = NULL;
  gdouble noise_var = aet_refine_noise_variance (ev);

  /* Per image, what adding one atom at a pixel would change the cost by,
   * to first order: −s ⟨atom, w (image − model)⟩ + ½ s² c₀ w (the residual
   * matched-filtered by the atom's projection, and the atom's own cost
   * where the weights are).  Back-projected, that is the change for an
   * atom at a point of the volume, summed over the images. */
  AetRefineScratch *sc = &ev->scratch[0];
  fftwf_complex *kernel = fftwf_alloc_complex (ev->n_complex);
  gdouble c0 = aet_refine_atom_kernel (ev, b, kernel);
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
      gdouble next = aet_refine_evaluate (ev, threads, pos, angles, shifts, b, FALSE);
      if (next < before - ADD_GAIN * noise_var)
        before = next;
      else
        {
          ev->n_atoms = m;
          no_prior[m] = 0;
        }
    }
  *n_out = ev->n_atoms;
  *cost = aet_refine_evaluate (ev, threads, pos, angles, shifts, b, FALSE);
}
