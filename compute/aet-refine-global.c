/* aet-refine-global.c — the refinement's first phase: one smooth
 * displacement field of the whole model, a polynomial in the offset from
 * the centroid, fitted by Gauss–Newton (aet-refine-private.h). */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine-private.h"

#include <math.h>
#include <string.h>

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
gboolean
aet_refine_global_step (gsize n, const gdouble *pos, const gdouble *g, const gdouble *hblock,
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

/* The prior's centres moved with the model: the polynomial field of
 * `degree` that best carries base onto pos (least squares, each atom
 * weighted by its robust prior weight, atoms without a prior left out) is
 * applied to base, into anchor.  The prior then holds only what is not
 * smooth in the refinement's moves, and the data alone decide one turn,
 * stretch or bend of the whole model, which they fix far better than any
 * one atom.  Returns FALSE (anchor untouched) when the fit is singular. */
gboolean
aet_refine_follow_field (const AetRefineEval *ev, gsize n, const gdouble *base,
                         const gdouble *pos, gint degree, gdouble *anchor)
{
  g_autofree gdouble *g = g_new0 (gdouble, 3 * n);
  g_autofree gdouble *h = g_new0 (gdouble, 9 * n);
  g_autofree gdouble *field = g_new (gdouble, 3 * n);
  for (gsize a = 0; a < n; a++)
    {
      /* the weight at the displacement from where the field now puts it */
      gdouble w = aet_refine_prior_weight (ev, pos + 3 * a, anchor + 3 * a);
      for (int d = 0; d < 3; d++)
        {
          g[3 * a + d] = -w * (pos[3 * a + d] - base[3 * a + d]);
          h[9 * a + 4 * d] = w;
        }
    }
  if (!aet_refine_global_step (n, base, g, h, degree, G_MAXDOUBLE, field))
    return FALSE;
  for (gsize a = 0; a < n; a++)
    if (ev->no_prior == NULL || !ev->no_prior[a])
      for (int d = 0; d < 3; d++)
        anchor[3 * a + d] = base[3 * a + d] + field[3 * a + d];
  return TRUE;
}
