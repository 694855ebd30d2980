#define G_LOG_DOMAIN "aet-match"

#include "aet-match.h"
#include "aet-error.h"
#include "aet-lattice-fit.h"
#include "aet-neighbors.h"

#include <math.h>

typedef struct
{
  gdouble d;
  guint ref, model;
} Pair;

static gint
compare_pairs (gconstpointer pa, gconstpointer pb)
{
  const Pair *a = pa, *b = pb;
  if (a->d != b->d)
    return a->d < b->d ? -1 : 1;
  if (a->ref != b->ref)
    return a->ref < b->ref ? -1 : 1;
  return (a->model > b->model) - (a->model < b->model);
}

static gdouble
ratio (gsize num, gsize den)
{
  return den > 0 ? (gdouble) num / (gdouble) den : NAN;
}

/* RMSD (pm) of the matched pairs selected by `want` (−1: all, else the
 * surface class 0/1), the global mean offset removed. */
static gdouble
subset_rmsd (const AetAtoms *ref, const AetAtoms *model, const gssize *partner,
             const gdouble offset[3], const gint *ref_class, gint want, gdouble sigma_pm[3])
{
  gdouble ss[3] = { 0, 0, 0 };
  gsize n = 0;
  for (gsize j = 0; j < model->n_atoms; j++)
    {
      if (partner[j] < 0 || (want >= 0 && ref_class[partner[j]] != want))
        continue;
      for (int a = 0; a < 3; a++)
        {
          gdouble e = model->positions[3 * j + a] - ref->positions[3 * partner[j] + a]
                      - offset[a];
          ss[a] += e * e;
        }
      n++;
    }
  if (n == 0)
    {
      if (sigma_pm != NULL)
        sigma_pm[0] = sigma_pm[1] = sigma_pm[2] = NAN;
      return NAN;
    }
  gdouble total = 0;
  for (int a = 0; a < 3; a++)
    {
      gdouble s = sqrt (ss[a] / n) * 100.0;
      if (sigma_pm != NULL)
        sigma_pm[a] = s;
      total += s * s;
    }
  return sqrt (total);
}

/* The best rigid superposition of the reference's matched atoms onto the
 * model's: its RMSD (pm) and the rotation (degrees, unit axis). */
static void
rigid_fit (const AetAtoms *ref, const AetAtoms *model, const gssize *partner,
           AetMatchStats *s)
{
  s->rmsd_rigid_pm = s->rotation_deg = NAN;
  s->rotation_axis[0] = s->rotation_axis[1] = s->rotation_axis[2] = 0;
  if (s->n_matched < 3)
    return;
  gdouble cm[3] = { 0 }, cr[3] = { 0 };
  for (gsize j = 0; j < model->n_atoms; j++)
    if (partner[j] >= 0)
      for (int a = 0; a < 3; a++)
        {
          cm[a] += model->positions[3 * j + a] / s->n_matched;
          cr[a] += ref->positions[3 * partner[j] + a] / s->n_matched;
        }
  /* C = Σ (model − c_m)(ref − c_r)ᵀ: R maximises Σ modelᵀ R ref */
  gdouble c[9] = { 0 };
  for (gsize j = 0; j < model->n_atoms; j++)
    if (partner[j] >= 0)
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
          c[3 * a + b] += (model->positions[3 * j + a] - cm[a])
                          * (ref->positions[3 * partner[j] + b] - cr[b]);
  gdouble r[9];
  aet_rotation_from_covariance (c, r);
  gdouble ss = 0;
  for (gsize j = 0; j < model->n_atoms; j++)
    if (partner[j] >= 0)
      for (int a = 0; a < 3; a++)
        {
          gdouble turned = 0;
          for (int b = 0; b < 3; b++)
            turned += r[3 * a + b] * (ref->positions[3 * partner[j] + b] - cr[b]);
          gdouble e = model->positions[3 * j + a] - cm[a] - turned;
          ss += e * e;
        }
  s->rmsd_rigid_pm = 100.0 * sqrt (ss / s->n_matched);
  /* R − Rᵀ = 2 sin θ [u]ₓ, tr R = 1 + 2 cos θ */
  gdouble w[3] = { r[7] - r[5], r[2] - r[6], r[3] - r[1] };
  gdouble norm = sqrt (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
  s->rotation_deg = atan2 (norm / 2.0, (r[0] + r[4] + r[8] - 1.0) / 2.0) * 180.0 / G_PI;
  if (norm > 0)
    for (int a = 0; a < 3; a++)
      s->rotation_axis[a] = w[a] / norm;
}

gboolean
aet_match_atoms_with_partners (const AetAtoms *reference, AetAtoms *model, gdouble max_dist,
                               AetMatchStats *stats, gssize *partner_out,
                               gboolean add_columns, GError **error)
{
  g_return_val_if_fail (reference != NULL && model != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (!(max_dist > 0) || !isfinite (max_dist))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "match: maximum distance %g Å is not a positive number", max_dist);
      return FALSE;
    }
  const gsize nr = reference->n_atoms, nm = model->n_atoms;

  /* candidate pairs */
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (model->positions, nm, MAX (max_dist, 0.5));
  g_autoptr (GArray) pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  g_autoptr (GArray) near = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize i = 0; i < nr; i++)
    {
      const gdouble *r = reference->positions + 3 * i;
      g_array_set_size (near, 0);
      aet_neighbors_within (nb, r, max_dist, near);
      for (guint m = 0; m < near->len; m++)
        {
          guint j = g_array_index (near, guint, m);
          const gdouble *q = model->positions + 3 * j;
          Pair pr = { sqrt ((q[0] - r[0]) * (q[0] - r[0]) + (q[1] - r[1]) * (q[1] - r[1])
                            + (q[2] - r[2]) * (q[2] - r[2])),
                      (guint) i, j };
          g_array_append_val (pairs, pr);
        }
    }
  g_array_sort (pairs, compare_pairs);

  g_autofree gssize *partner = g_new (gssize, MAX (nm, 1));
  g_autofree gssize *ref_partner = g_new (gssize, MAX (nr, 1));
  for (gsize j = 0; j < nm; j++)
    partner[j] = -1;
  for (gsize i = 0; i < nr; i++)
    ref_partner[i] = -1;
  gsize matched = 0;
  for (guint p = 0; p < pairs->len; p++)
    {
      const Pair *pr = &g_array_index (pairs, Pair, p);
      if (partner[pr->model] >= 0 || ref_partner[pr->ref] >= 0)
        continue;
      partner[pr->model] = pr->ref;
      ref_partner[pr->ref] = pr->model;
      matched++;
    }

  if (partner_out != NULL)
    for (gsize j = 0; j < nm; j++)
      partner_out[j] = partner[j];

  if (add_columns)
    {
      gfloat *pc = aet_atoms_ensure_column (model, "partner");
      gfloat *mv = aet_atoms_ensure_column (model, "moved_pm");
      for (gsize j = 0; j < nm; j++)
        {
          pc[j] = (gfloat) partner[j];
          if (partner[j] < 0)
            {
              mv[j] = NAN;
              continue;
            }
          gdouble d2 = 0;
          for (int a = 0; a < 3; a++)
            {
              gdouble e = model->positions[3 * j + a]
                          - reference->positions[3 * partner[j] + a];
              d2 += e * e;
            }
          mv[j] = (gfloat) (sqrt (d2) * 100.0);
        }
    }

  if (stats == NULL)
    return TRUE;

  AetMatchStats s = { 0 };
  s.n_reference = nr;
  s.n_model = nm;
  s.n_matched = matched;
  s.recall = ratio (matched, nr);
  s.precision = ratio (matched, nm);
  for (gsize j = 0; j < nm; j++)
    if (partner[j] >= 0)
      for (int a = 0; a < 3; a++)
        s.mean_offset[a] += model->positions[3 * j + a] - reference->positions[3 * partner[j] + a];
  for (int a = 0; a < 3; a++)
    s.mean_offset[a] = matched > 0 ? s.mean_offset[a] / matched : NAN;
  s.rmsd_pm = subset_rmsd (reference, model, partner, s.mean_offset, NULL, -1, s.sigma_pm);
  rigid_fit (reference, model, partner, &s);

  s.rmsd_surface_pm = s.rmsd_interior_pm = NAN;
  s.recall_surface = s.recall_interior = NAN;
  s.precision_surface = s.precision_interior = NAN;
  const gfloat *surface = aet_atoms_get_column (reference, "surface");
  if (surface != NULL && nr > 0)
    {
      g_autofree gint *ref_class = g_new (gint, nr);
      for (gsize i = 0; i < nr; i++)
        {
          ref_class[i] = surface[i] >= 0.5f ? 1 : 0;
          if (ref_class[i])
            {
              s.n_ref_surface++;
              s.n_matched_surface += ref_partner[i] >= 0;
            }
          else
            {
              s.n_ref_interior++;
              s.n_matched_interior += ref_partner[i] >= 0;
            }
        }
      s.recall_surface = ratio (s.n_matched_surface, s.n_ref_surface);
      s.recall_interior = ratio (s.n_matched_interior, s.n_ref_interior);
      s.rmsd_surface_pm = subset_rmsd (reference, model, partner, s.mean_offset, ref_class, 1,
                                       NULL);
      s.rmsd_interior_pm = subset_rmsd (reference, model, partner, s.mean_offset, ref_class, 0,
                                        NULL);

      /* model atoms by class: their partner's, else their nearest reference atom's */
      g_autoptr (AetNeighbors) rnb = aet_neighbors_new (reference->positions, nr, 2.5);
      gsize model_in[2] = { 0, 0 }, model_matched[2] = { 0, 0 };
      for (gsize j = 0; j < nm; j++)
        {
          gssize r = partner[j];
          if (r < 0)
            r = aet_neighbors_nearest (rnb, model->positions + 3 * j, -1, NULL);
          if (r < 0)
            continue;
          gint c = ref_class[r];
          model_in[c]++;
          model_matched[c] += partner[j] >= 0;
        }
      s.precision_surface = ratio (model_matched[1], model_in[1]);
      s.precision_interior = ratio (model_matched[0], model_in[0]);
    }
  *stats = s;
  return TRUE;
}

gboolean
aet_match_atoms (const AetAtoms *reference, AetAtoms *model, gdouble max_dist,
                 AetMatchStats *stats, gboolean add_columns, GError **error)
{
  return aet_match_atoms_with_partners (reference, model, max_dist, stats, NULL, add_columns,
                                        error);
}
