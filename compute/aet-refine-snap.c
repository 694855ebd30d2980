/* aet-refine-snap.c — atoms that sit between the crystal's sites, moved
 * onto them as a group and kept there on a cost test
 * (aet-refine-private.h).
 *
 * Where the missing wedge blurs a face along the beam, the network
 * sometimes lays a patch of the surface layer out of register: a row of
 * atoms ~1 Å from the sites the crystal below continues into, with the
 * true sites between them left empty.  Each atom there is in a local
 * minimum of the misfit, and moving one alone onto its site collides with
 * its neighbours, so the per-atom steps never leave it.
 *
 * Here the FCC lattice is fitted to the model (aet-lattice-fit.h), with a
 * local offset per atom from its on-site neighbours so that strain of a few
 * per cent does not matter.  Atoms more than SNAP_OFF from their site are
 * grouped by contact, and each group is moved as a whole, every atom onto
 * the nearest site that no other atom holds.  A group's move is kept only
 * if it lowers the cost (misfit and prior) by more than SNAP_GAIN noise
 * variances; the data decide, so a real stacking fault or an adatom on a
 * hollow site that the images support stays where it is. */
#define G_LOG_DOMAIN "aet-refine"

#include "aet-refine-private.h"

#include <math.h>
#include <string.h>

#include "aet-lattice-fit.h"
#include "aet-neighbors.h"

#define SNAP_OFF 0.6           /* Å: an atom this far from its site is off it */
#define SNAP_ON 0.35           /* Å: an atom this close to its site is on it */
#define SNAP_REACH 1.9         /* Å: a site an off-site atom may move to is this close */
#define SNAP_OFFSET_RADIUS 6.0 /* Å: the local offset comes from on-site atoms this close */
#define SNAP_CONTACT 3.5       /* Å: off-site atoms this close form one group */
#define SNAP_SLIDE_MAX 64      /* a larger group is only tried atom by atom to its nearest site */
#define SNAP_GAIN 12.5         /* noise variances a group's move must gain (as adding an atom) */
#define RELAX_STEPS 4          /* steps a group's trial settles by, before and after adding */
#define RELAX_MAX_STEP 0.1     /* Å, as the refinement's own steps */

static gint64
site_key (const gint s[3])
{
  return ((gint64) (s[0] + (1 << 20)) << 42) | ((gint64) (s[1] + (1 << 20)) << 21)
         | (gint64) (s[2] + (1 << 20));
}

static gint64 *
new_key (const gint s[3])
{
  gint64 *k = g_new (gint64, 1);
  *k = site_key (s);
  return k;
}

/* The lattice as fitted, with each atom's local offset and the sites held
 * by atoms on them. */
typedef struct
{
  const AetLatticeFit *fit;
  const gint *site;      /* 3 per atom: its nearest site */
  const gdouble *offset; /* 3 per atom: the local offset of the lattice */
  GHashTable *held;
} Sites;

/* The k-th site around atom a's own (k < NEARBY: the FCC sites within two
 * half-constants on every axis) into s and its place, with a's local
 * offset, into at; FALSE when k is not an FCC site or the site is held
 * or in taken (may be NULL). */
#define NEARBY 125
static gboolean
nearby_free_site (const Sites *sites, guint a, guint k, GHashTable *taken, gint s[3], gdouble at[3])
{
  gint dx = (gint) (k / 25) - 2, dy = (gint) (k / 5 % 5) - 2, dz = (gint) (k % 5) - 2;
  if (((dx + dy + dz) & 1) != 0)
    return FALSE; /* FCC: an even sum */
  const gint *s0 = sites->site + 3 * a;
  s[0] = s0[0] + dx;
  s[1] = s0[1] + dy;
  s[2] = s0[2] + dz;
  gint64 key = site_key (s);
  if (g_hash_table_contains (sites->held, &key)
      || (taken != NULL && g_hash_table_contains (taken, &key)))
    return FALSE;
  aet_lattice_fit_site_position (sites->fit, s, at);
  for (int d = 0; d < 3; d++)
    at[d] += sites->offset[3 * a + d];
  return TRUE;
}

/* The free site (not held, not in taken) nearest to q among those around
 * atom a's own, closer than reach to q; FALSE when there is none. */
static gboolean
free_site_near (const Sites *sites, guint a, const gdouble q[3], gdouble reach, GHashTable *taken,
                gint out_site[3], gdouble out_pos[3])
{
  gdouble best = reach;
  gboolean found = FALSE;
  for (guint k = 0; k < NEARBY; k++)
    {
      gint s[3];
      gdouble at[3], d2 = 0;
      if (!nearby_free_site (sites, a, k, taken, s, at))
        continue;
      for (int d = 0; d < 3; d++)
        d2 += (at[d] - q[d]) * (at[d] - q[d]);
      if (sqrt (d2) < best)
        {
          best = sqrt (d2);
          memcpy (out_site, s, sizeof (gint) * 3);
          memcpy (out_pos, at, sizeof (gdouble) * 3);
          found = TRUE;
        }
    }
  return found;
}

/* The translation that brings the most members of a group onto free
 * sites (within SNAP_ON), among those that bring one member onto one;
 * ties go to the shorter.  FALSE when fewer than two members agree. */
static gboolean
consensus_slide (const Sites *sites, const guint *members, guint m, const gdouble *pos,
                 gdouble slide[3])
{
  guint best_votes = 0;
  gdouble best_len = G_MAXDOUBLE;
  for (guint i = 0; i < m; i++)
    {
      guint a = members[i];
      for (guint k = 0; k < NEARBY; k++)
        {
          gint s[3];
          gdouble at[3], t[3], len = 0;
          if (!nearby_free_site (sites, a, k, NULL, s, at))
            continue;
          for (int d = 0; d < 3; d++)
            {
              t[d] = at[d] - pos[3 * a + d];
              len += t[d] * t[d];
            }
          len = sqrt (len);
          if (len >= SNAP_REACH)
            continue;
          guint votes = 0;
          for (guint j = 0; j < m; j++)
            {
              gdouble q[3], ps[3];
              gint sj[3];
              for (int d = 0; d < 3; d++)
                q[d] = pos[3 * members[j] + d] + t[d];
              if (free_site_near (sites, members[j], q, SNAP_ON, NULL, sj, ps))
                votes++;
            }
          if (votes > best_votes || (votes == best_votes && len < best_len))
            {
              best_votes = votes;
              best_len = len;
              memcpy (slide, t, sizeof t);
            }
        }
    }
  return best_votes >= 2;
}

/* Moves the members onto free sites, each to a different one: with a slide,
 * to the site nearest its place slid (within SNAP_ON of it), and, with
 * rest, the others, or all without a slide, to the site nearest its place
 * (within SNAP_REACH).  A member with no such site stays.  Returns how many
 * moved. */
static guint
assign_sites (const Sites *sites, const guint *members, guint m, gdouble *pos, const gdouble *slide,
              gboolean rest)
{
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree guint8 *placed = g_new0 (guint8, MAX (m, 1));
  guint moved = 0;
  for (guint i = 0; i < m; i++)
    {
      guint a = members[i];
      gdouble q[3], to[3];
      gint s[3];
      for (int d = 0; d < 3; d++)
        q[d] = pos[3 * a + d] + (slide != NULL ? slide[d] : 0);
      if (slide != NULL && !free_site_near (sites, a, q, SNAP_ON, taken, s, to))
        continue; /* placed after the slide's own */
      if (slide == NULL && !free_site_near (sites, a, q, SNAP_REACH, taken, s, to))
        continue;
      g_hash_table_add (taken, new_key (s));
      memcpy (pos + 3 * a, to, sizeof to);
      placed[i] = 1;
      moved++;
    }
  /* with a slide, the members it does not bring onto a site go to the
   * nearest free one */
  for (guint i = 0; i < m && slide != NULL && rest; i++)
    {
      guint a = members[i];
      gdouble to[3];
      gint s[3];
      if (placed[i] || !free_site_near (sites, a, pos + 3 * a, SNAP_REACH, taken, s, to))
        continue;
      g_hash_table_add (taken, new_key (s));
      memcpy (pos + 3 * a, to, sizeof to);
      moved++;
    }
  return moved;
}

/* A few block Gauss–Newton steps of the atoms with mask[a] set, the rest
 * held, so that a group's trial is judged settled, as the model it is
 * compared with is.  Returns the cost. */
static gdouble
relax_group (AetRefineEval *ev, guint threads, gdouble *pos, const guint8 *mask,
             const gdouble *angles, const gdouble *shifts, gdouble b, gint steps)
{
  gsize n = ev->n_atoms;
  g_autofree gdouble *h = g_new (gdouble, 9 * n);
  g_autofree gdouble *grad = g_new (gdouble, 3 * n);
  g_autofree gdouble *step = g_new (gdouble, 3 * n);
  g_autofree gdouble *trial = g_memdup2 (pos, sizeof (gdouble) * 3 * n);
  gdouble cost = aet_refine_evaluate_full (ev, threads, pos, angles, shifts, b, TRUE, FALSE);
  for (gint s = 0; s < steps; s++)
    {
      aet_refine_atom_steps (ev, pos, angles, b, RELAX_MAX_STEP, h, grad, step);
      gboolean moved = FALSE;
      for (gdouble alpha = 1.0; alpha > 0.1 && !moved; alpha *= 0.5)
        {
          for (gsize a = 0; a < n; a++)
            for (int d = 0; d < 3; d++)
              trial[3 * a + d] = pos[3 * a + d] + (mask[a] ? alpha * step[3 * a + d] : 0);
          gdouble next = aet_refine_evaluate (ev, threads, trial, angles, shifts, b, FALSE);
          if (next < cost)
            {
              memcpy (pos, trial, sizeof (gdouble) * 3 * n);
              cost = next;
              moved = TRUE;
            }
        }
      if (!moved)
        break;
      if (s + 1 < steps)
        cost = aet_refine_evaluate_full (ev, threads, pos, angles, shifts, b, TRUE, FALSE);
    }
  return cost;
}

/* Moves the groups of off-site atoms onto free sites where that lowers
 * the cost; returns how many atoms moved.  start, anchor and base of a
 * moved atom follow it (it has a new place; the prior was about the old
 * one); snapped[a] is set for them.  *cost is updated. */
gsize
aet_refine_snap_to_lattice (AetRefineEval *ev, guint threads, gdouble *pos, gdouble *start,
                            gdouble *anchor, gdouble *base, guint8 *snapped, guint8 *no_prior,
                            guint *atom_el, gsize cap, gboolean add_atoms, const gdouble *angles,
                            const gdouble *shifts, gdouble b, gdouble *cost)
{
  gsize n = ev->n_atoms;
  if (n < 20)
    return 0;
  g_autoptr (AetNeighbors) nb = aet_neighbors_new (pos, n, 0);
  AetLatticeFit fit;
  /* The lattice is fitted to the prior's centres (the trace, moved by the
   * smooth phase): the trace keeps its atoms apart, while atoms being
   * refined can crowd along the beam, which misleads the fit's orientation
   * from the bonds.  Its constant starts from the element's bulk value. */
  g_autoptr (AetNeighbors) nb_base = aet_neighbors_new (base, n, 0);
  gdouble a_guess = aet_lattice_fcc_constant (ev->el_z[ev->atom_el[0]]);
  if (!aet_lattice_fit (base, n, nb_base, NULL, a_guess, &fit, NULL))
    {
      g_debug ("snap: no lattice fits the model");
      return 0;
    }

  /* each atom's site and its residual from it */
  g_autofree gint *site = g_new (gint, 3 * n);
  g_autofree gdouble *resid = g_new (gdouble, 3 * n);
  for (gsize a = 0; a < n; a++)
    {
      gdouble at[3];
      aet_lattice_fit_site (&fit, pos + 3 * a, site + 3 * a);
      aet_lattice_fit_site_position (&fit, site + 3 * a, at);
      for (int d = 0; d < 3; d++)
        resid[3 * a + d] = pos[3 * a + d] - at[d];
    }
  /* the local offset: the mean residual of the on-site atoms nearby (the
   * lattice bends with strain); then the site again, with it */
  g_autofree gdouble *offset = g_new0 (gdouble, 3 * n);
  g_autofree gdouble *off = g_new (gdouble, n);
  g_autoptr (GArray) near = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize a = 0; a < n; a++)
    {
      g_array_set_size (near, 0);
      aet_neighbors_within (nb, pos + 3 * a, SNAP_OFFSET_RADIUS, near);
      gdouble sum[3] = { 0 };
      guint m = 0;
      for (guint i = 0; i < near->len; i++)
        {
          guint j = g_array_index (near, guint, i);
          const gdouble *e = resid + 3 * j;
          if (e[0] * e[0] + e[1] * e[1] + e[2] * e[2] < SNAP_ON * SNAP_ON)
            {
              for (int d = 0; d < 3; d++)
                sum[d] += e[d];
              m++;
            }
        }
      for (int d = 0; d < 3 && m >= 3; d++)
        offset[3 * a + d] = sum[d] / m;
      gdouble shifted[3], at[3];
      for (int d = 0; d < 3; d++)
        shifted[d] = pos[3 * a + d] - offset[3 * a + d];
      aet_lattice_fit_site (&fit, shifted, site + 3 * a);
      aet_lattice_fit_site_position (&fit, site + 3 * a, at);
      gdouble d2 = 0;
      for (int d = 0; d < 3; d++)
        d2 += (shifted[d] - at[d]) * (shifted[d] - at[d]);
      off[a] = sqrt (d2);
    }

  /* the sites held by atoms on them */
  g_autoptr (GHashTable) held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (gsize a = 0; a < n; a++)
    if (off[a] < SNAP_OFF)
      g_hash_table_add (held, new_key (site + 3 * a));

  /* groups of off-site atoms, by contact */
  g_autofree gint *group = g_new (gint, n);
  gint n_groups = 0;
  for (gsize a = 0; a < n; a++)
    group[a] = -1;
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize a = 0; a < n; a++)
    {
      if (off[a] < SNAP_OFF || group[a] >= 0)
        continue;
      group[a] = n_groups;
      guint first = (guint) a;
      g_array_set_size (stack, 0);
      g_array_append_val (stack, first);
      while (stack->len > 0)
        {
          guint i = g_array_index (stack, guint, stack->len - 1);
          g_array_set_size (stack, stack->len - 1);
          g_array_set_size (near, 0);
          aet_neighbors_within (nb, pos + 3 * i, SNAP_CONTACT, near);
          for (guint k = 0; k < near->len; k++)
            {
              guint j = g_array_index (near, guint, k);
              if (off[j] >= SNAP_OFF && group[j] < 0)
                {
                  group[j] = n_groups;
                  g_array_append_val (stack, j);
                }
            }
        }
      n_groups++;
    }
  g_debug ("snap: lattice a = %.4f Å, rms %.3f Å over %zu atoms; %d groups off the sites", fit.a,
           fit.rms_residual, fit.n_fit, n_groups);
  if (n_groups == 0)
    return 0;

  gdouble before = aet_refine_evaluate (ev, threads, pos, angles, shifts, b, FALSE);
  gdouble noise_var = aet_refine_noise_variance (ev);
  g_autofree gdouble *saved = g_new (gdouble, 3 * n);
  g_autofree guint *members = g_new (guint, n);
  gsize moved_total = 0;
  for (gint g = 0; g < n_groups; g++)
    {
      guint m = 0;
      for (gsize a = 0; a < n; a++)
        if (group[a] == g)
          members[m++] = (guint) a;
      /* the farthest off first (it is the surest to be wrong) */
      for (guint i = 1; i < m; i++)
        for (guint k = i; k > 0 && off[members[k]] > off[members[k - 1]]; k--)
          {
            guint t = members[k];
            members[k] = members[k - 1];
            members[k - 1] = t;
          }
      Sites sites = { &fit, site, offset, held };
      memcpy (saved, pos, sizeof (gdouble) * 3 * n);
      /* three proposals: the group slid back as one (the translation most
       * of its atoms agree on) with the others to their nearest free sites,
       * the slide alone, and every atom to its nearest free site */
      gdouble slide[3];
      gboolean have_slide = m <= SNAP_SLIDE_MAX && consensus_slide (&sites, members, m, pos, slide);
      gdouble best_cost = before - SNAP_GAIN * noise_var;
      gint best = -1;
      /* each proposal is tried and undone; the best, if it gains enough, is
       * made again (the trial is deterministic) and kept */
      for (int round = 0; round < 2; round++)
        for (int proposal = 0; proposal < 3; proposal++)
          {
            if ((round == 1 && proposal != best) || (proposal < 2 && !have_slide))
              continue;
            guint moved = assign_sites (&sites, members, m, pos, proposal < 2 ? slide : NULL,
                                        proposal == 0);
            if (moved == 0)
              continue;

            /* the prior was about the old places: it follows the move */
            g_autofree gdouble *old_anchor = g_new (gdouble, 3 * m);
            for (guint i = 0; i < m; i++)
              {
                memcpy (old_anchor + 3 * i, anchor + 3 * members[i], sizeof (gdouble) * 3);
                memcpy (anchor + 3 * members[i], pos + 3 * members[i], sizeof (gdouble) * 3);
              }
            g_autofree guint8 *mask = g_new0 (guint8, cap);
            for (guint i = 0; i < m; i++)
              mask[members[i]] = 1;
            gdouble next = relax_group (ev, threads, pos, mask, angles, shifts, b, RELAX_STEPS);
            /* the sites the group left empty between its old places are
             * filled where the data want atoms (as the refinement adds any) */
            gsize n_before = ev->n_atoms, grown = n_before;
            if (add_atoms)
              {
                aet_refine_add_missing_atoms (ev, threads, pos, start, anchor, no_prior, atom_el,
                                              cap, angles, shifts, b, &grown, &next);
                for (gsize a = n_before; a < grown; a++)
                  {
                    memcpy (base + 3 * a, anchor + 3 * a, sizeof (gdouble) * 3);
                    mask[a] = 1;
                  }
                if (grown > n_before)
                  next = relax_group (ev, threads, pos, mask, angles, shifts, b, RELAX_STEPS);
              }
            g_debug ("snap: group of %u atoms, %s, %u moved, %zu added: cost %.6g → "
                     "%.6g "
                     "(σ² %.3g)",
                     m,
                     proposal == 0   ? "slid, the rest nearest"
                     : proposal == 1 ? "slid"
                                     : "nearest",
                     moved, grown - n_before, before, next, noise_var);
            if (round == 1)
              {
                before = next;
                for (guint i = 0; i < m; i++)
                  {
                    guint a = members[i];
                    gdouble d2 = 0;
                    for (int d = 0; d < 3; d++)
                      d2 += (pos[3 * a + d] - saved[3 * a + d])
                            * (pos[3 * a + d] - saved[3 * a + d]);
                    memcpy (start + 3 * a, pos + 3 * a, sizeof (gdouble) * 3);
                    memcpy (base + 3 * a, pos + 3 * a, sizeof (gdouble) * 3);
                    snapped[a] = d2 > SNAP_ON * SNAP_ON;
                  }
                moved_total += moved;
              }
            else
              {
                if (next < best_cost)
                  {
                    best_cost = next;
                    best = proposal;
                  }
                memcpy (pos, saved, sizeof (gdouble) * 3 * n);
                for (gsize a = n_before; a < grown; a++)
                  no_prior[a] = 0;
                ev->n_atoms = n_before;
                for (guint i = 0; i < m; i++)
                  memcpy (anchor + 3 * members[i], old_anchor + 3 * i, sizeof (gdouble) * 3);
              }
          }
    }
  *cost = aet_refine_evaluate (ev, threads, pos, angles, shifts, b, FALSE);
  return moved_total;
}
