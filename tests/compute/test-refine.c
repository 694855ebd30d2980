/* test-refine — atomic positions refined against the projections
 * (aet-refine.h): a displaced model comes back to the truth, the affine
 * phase undoes a turn, results do not depend on the thread count, and bad
 * input is refused. */
#include "aet-error.h"
#include "aet-refine.h"
#include "aet-rng.h"
#include "aet-simulate.h"

#include <math.h>
#include <string.h>

/* A small particle, noise-free, with angle and shift errors the
 * refinement must find (the series carries the listed geometry). */
static AetSimResult *
particle_of_size (gint size)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.size = size;
  p.radius = 7;
  p.counts = 0;
  p.seed = 7;
  p.angle_error = 0.3;
  p.shift_error = 0.3;
  g_autoptr (GError) error = NULL;
  AetSimResult *r = aet_simulate (&p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->truth->n_atoms, >, 100);
  return r;
}

static AetSimResult *
small_particle (void)
{
  return particle_of_size (80);
}

/* RMSD (pm) of a against b, atom by atom, after removing the mean offset. */
static gdouble
rmsd_pm (const AetAtoms *a, const AetAtoms *b)
{
  g_assert_cmpuint (a->n_atoms, ==, b->n_atoms);
  gdouble mean[3] = { 0 }, sum = 0;
  gsize n = a->n_atoms;
  for (gsize i = 0; i < n; i++)
    for (int d = 0; d < 3; d++)
      mean[d] += (a->positions[3 * i + d] - b->positions[3 * i + d]) / n;
  for (gsize i = 0; i < n; i++)
    for (int d = 0; d < 3; d++)
      {
        gdouble e = a->positions[3 * i + d] - b->positions[3 * i + d] - mean[d];
        sum += e * e;
      }
  return 100 * sqrt (sum / n);
}

/* The truth turned by `deg` about the tilt axis (y) through the rotation
 * centre, then jittered by ± `jitter` Å per axis. */
static AetAtoms *
displaced (const AetSimResult *r, gdouble deg, gdouble jitter)
{
  AetAtoms *a = aet_atoms_dup (r->truth);
  gdouble t = deg * G_PI / 180, c = cos (t), s = sin (t);
  AetRng rng;
  aet_rng_init (&rng, 99);
  for (gsize i = 0; i < a->n_atoms; i++)
    {
      gdouble *p = a->positions + 3 * i;
      gdouble x = p[0] - r->centre[0], z = p[2] - r->centre[2];
      p[0] = r->centre[0] + c * x + s * z;
      p[2] = r->centre[2] - s * x + c * z;
      for (int d = 0; d < 3; d++)
        p[d] += aet_rng_range (&rng, -jitter, jitter);
    }
  return a;
}

static void
test_data_alone_finds_the_truth (void)
{
  g_autoptr (AetSimResult) r = small_particle ();
  g_autoptr (AetAtoms) start = displaced (r, 1.0, 0.12);
  gdouble before = rmsd_pm (start, r->truth);
  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.prior = 0;
  p.iterations = 40;
  AetRefineReport report;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetTiltSeries) geometry = NULL;
  g_autoptr (AetAtoms) out
    = aet_refine_atoms (start, r->tilts, &p, NULL, &report, &geometry, &error);
  g_assert_no_error (error);
  gdouble after = rmsd_pm (out, r->truth);
  g_test_message ("RMSD %.1f → %.1f pm; R %.4f → %.4f; B %.2f", before, after,
                  report.r_before, report.r_after, report.b);
  g_assert_cmpfloat (before, >, 8);
  g_assert_cmpfloat (after, <, 4);
  g_assert_cmpfloat (report.r_after, <, 0.5 * report.r_before);
  /* B: the simulator's per-atom 5 ± 1 Å² */
  g_assert_cmpfloat (fabs (report.b - 5), <, 0.5);
  /* the angle errors (±0.3°) are mostly found, up to their common part
   * (the gauge keeps the listed mean) */
  gsize n = r->n_angles;
  gdouble mean_true = 0, mean_fit = 0, rms_listed = 0, rms_fit = 0;
  for (gsize k = 0; k < n; k++)
    {
      mean_true += (r->true_angles[k] - r->tilts->angles[k]) / n;
      mean_fit += (geometry->angles[k] - r->tilts->angles[k]) / n;
    }
  for (gsize k = 0; k < n; k++)
    {
      gdouble e_listed = r->true_angles[k] - mean_true - r->tilts->angles[k];
      gdouble e_fit = (r->true_angles[k] - mean_true) - (geometry->angles[k] - mean_fit);
      rms_listed += e_listed * e_listed / n;
      rms_fit += e_fit * e_fit / n;
    }
  g_test_message ("angle errors %.3f° rms as listed, %.3f° after refinement", sqrt (rms_listed),
                  sqrt (rms_fit));
  g_assert_cmpfloat (sqrt (rms_fit), <, 0.5 * sqrt (rms_listed));
  /* the move column says how far each atom went */
  gfloat *moved = aet_atoms_get_column (out, "refine_move_pm");
  g_assert_nonnull (moved);
  g_assert_cmpfloat (moved[0], >, 0);
}

static void
test_global_phase_undoes_a_turn (void)
{
  g_autoptr (AetSimResult) r = small_particle ();
  g_autoptr (AetAtoms) start = displaced (r, 1.5, 0);
  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.iterations = 0;  /* the global phase only: every atom moves with one smooth field */
  p.fit_geometry = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) out = aet_refine_atoms (start, r->tilts, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  gdouble before = rmsd_pm (start, r->truth), after = rmsd_pm (out, r->truth);
  g_test_message ("turned 1.5°: RMSD %.1f → %.1f pm", before, after);
  g_assert_cmpfloat (before, >, 10);
  /* what is left: the angle and shift errors the geometry step was not
   * allowed to find, and the jitter of the truth itself is untouched */
  g_assert_cmpfloat (after, <, 0.3 * before);
}

/* A patch of the surface layer facing the beam, slid half a bond out of
 * register (as the network sometimes lays one out), is moved back onto the
 * crystal's sites as a group; a model on its sites is left alone. */
static void
test_slid_patch_is_put_back (void)
{
  g_autoptr (AetSimResult) r = particle_of_size (96);
  g_autoptr (AetAtoms) start = aet_atoms_dup (r->truth);
  gsize n = start->n_atoms;
  gdouble top = -G_MAXDOUBLE;
  for (gsize a = 0; a < n; a++)
    top = MAX (top, start->positions[3 * a + 2]);
  /* half a bond along a bond of the layer: every atom midway between two
   * sites, where the misfit has no slope */
  gsize first = 0;
  for (gsize a = 0; a < n; a++)
    if (start->positions[3 * a + 2] > start->positions[3 * first + 2])
      first = a;
  gdouble bond[3] = { 0 }, best = G_MAXDOUBLE;
  for (gsize a = 0; a < n; a++)
    {
      const gdouble *q = start->positions + 3 * a, *f = start->positions + 3 * first;
      gdouble d2 = (q[0] - f[0]) * (q[0] - f[0]) + (q[1] - f[1]) * (q[1] - f[1])
                   + (q[2] - f[2]) * (q[2] - f[2]);
      if (a != first && q[2] > top - 1.0 && d2 < best)
        {
          best = d2;
          for (int d = 0; d < 3; d++)
            bond[d] = q[d] - f[d];
        }
    }
  g_autofree gboolean *slid = g_new0 (gboolean, n);
  guint n_slid = 0;
  for (gsize a = 0; a < n; a++)
    if (start->positions[3 * a + 2] > top - 1.0)
      {
        slid[a] = TRUE;
        for (int d = 0; d < 3; d++)
          start->positions[3 * a + d] += 0.5 * bond[d];
        n_slid++;
      }
  g_test_message ("%u atoms of the top layer slid by half a bond (%.2f Å)", n_slid,
                  0.5 * sqrt (best));
  g_assert_cmpuint (n_slid, >=, 4);

  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  /* a few steps only, so that the data alone cannot bring the patch back
   * before the snap (at two thirds of them) is tried */
  p.global_iterations = 0;
  p.iterations = 4;
  p.add_atoms = FALSE;
  for (int snap = 0; snap < 2; snap++)
    {
      p.snap = snap;
      AetRefineReport report;
      g_autoptr (GError) error = NULL;
      g_autoptr (AetAtoms) out
        = aet_refine_atoms (start, r->tilts, &p, NULL, &report, NULL, &error);
      g_assert_no_error (error);
      /* each slid atom's site: how far the nearest atom of the result is
       * (the group may fill its sites in another order) */
      gdouble sum = 0;
      for (gsize a = 0; a < n; a++)
        if (slid[a])
          {
            gdouble nearest = G_MAXDOUBLE;
            for (gsize b = 0; b < out->n_atoms; b++)
              {
                gdouble d2 = 0;
                for (int d = 0; d < 3; d++)
                  d2 += (out->positions[3 * b + d] - r->truth->positions[3 * a + d])
                        * (out->positions[3 * b + d] - r->truth->positions[3 * a + d]);
                nearest = MIN (nearest, d2);
              }
            sum += nearest;
          }
      gdouble rms = sqrt (sum / n_slid);
      g_test_message ("%s: the slid atoms end %.0f pm rms from their sites, %zu snapped",
                      snap ? "with the snap" : "without", 100 * rms, report.n_snapped);
      if (snap)
        {
          /* the truth itself has nothing to snap */
          AetRefineReport again;
          g_autoptr (AetAtoms) same
            = aet_refine_atoms (r->truth, r->tilts, &p, NULL, &again, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (again.n_snapped, ==, 0);
          g_assert_cmpuint (report.n_snapped, >=, n_slid - 1);
          g_assert_cmpfloat (rms, <, 0.1);
          gfloat *flag = aet_atoms_get_column (out, "refine_snapped");
          g_assert_nonnull (flag);
        }
      else
        {
          g_assert_cmpuint (report.n_snapped, ==, 0);
          g_assert_cmpfloat (rms, >, 0.25);
        }
    }
}

/* An atom taken out of the model is found again where it was; a model
 * with nothing missing gains nothing. */
static void
check_missing_atom_is_found (gint size)
{
  g_autoptr (AetSimResult) r = particle_of_size (size);
  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.global_iterations = 5;
  p.iterations = 12;
  g_autoptr (GError) error = NULL;
  AetRefineReport report;
  g_autoptr (AetAtoms) whole = aet_refine_atoms (r->truth, r->tilts, &p, NULL, &report, NULL,
                                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report.n_added, ==, 0);
  g_assert_cmpuint (whole->n_atoms, ==, r->truth->n_atoms);

  /* take out the atom farthest from the centre: a surface atom */
  gsize gone = 0;
  gdouble far = 0;
  for (gsize a = 0; a < r->truth->n_atoms; a++)
    {
      gdouble d2 = 0;
      for (int d = 0; d < 3; d++)
        d2 += (r->truth->positions[3 * a + d] - r->centre[d])
              * (r->truth->positions[3 * a + d] - r->centre[d]);
      if (d2 > far)
        {
          far = d2;
          gone = a;
        }
    }
  g_autofree gboolean *keep = g_new (gboolean, r->truth->n_atoms);
  for (gsize a = 0; a < r->truth->n_atoms; a++)
    keep[a] = a != gone;
  g_autoptr (AetAtoms) holed = aet_atoms_filter (r->truth, keep);
  g_autoptr (AetAtoms) out = aet_refine_atoms (holed, r->tilts, &p, NULL, &report, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report.n_added, ==, 1);
  g_assert_cmpuint (out->n_atoms, ==, r->truth->n_atoms);
  const gdouble *added = out->positions + 3 * (out->n_atoms - 1);
  gdouble d2 = 0;
  for (int d = 0; d < 3; d++)
    d2 += (added[d] - r->truth->positions[3 * gone + d])
          * (added[d] - r->truth->positions[3 * gone + d]);
  g_test_message ("the missing atom was found %.1f pm from where it was", 100 * sqrt (d2));
  g_assert_cmpfloat (sqrt (d2), <, 0.2);
  gfloat *flag = aet_atoms_get_column (out, "refine_added");
  g_assert_nonnull (flag);
  g_assert_cmpfloat (flag[out->n_atoms - 1], ==, 1);
  g_assert_cmpfloat (flag[0], ==, 0);
}

static void
test_missing_atom_is_found (void)
{
  check_missing_atom_is_found (80);
}

/* An odd image size: rows of the residual stack are not 16-byte aligned
 * for FFTW unless the code copies them (ASan/UBSan runs check it). */
static void
test_odd_image_size (void)
{
  check_missing_atom_is_found (79);
}

static void
test_thread_count_does_not_matter (void)
{
  g_autoptr (AetSimResult) r = small_particle ();
  g_autoptr (AetAtoms) start = displaced (r, 0.5, 0.1);
  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.iterations = 5;
  p.global_iterations = 5;
  AetAtoms *out[2];
  for (int t = 0; t < 2; t++)
    {
      g_autoptr (AetJob) job = aet_job_new ();
      aet_job_set_threads (job, t + 1);
      g_autoptr (GError) error = NULL;
      out[t] = aet_refine_atoms (start, r->tilts, &p, job, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpmem (out[0]->positions, 3 * out[0]->n_atoms * sizeof (gdouble),
                   out[1]->positions, 3 * out[1]->n_atoms * sizeof (gdouble));
  aet_atoms_unref (out[0]);
  aet_atoms_unref (out[1]);
}

static void
test_bad_input_is_refused (void)
{
  g_autoptr (AetSimResult) r = small_particle ();
  g_autoptr (GError) error = NULL;

  g_autoptr (AetAtoms) none = aet_atoms_new (0);
  g_assert_null (aet_refine_atoms (none, r->tilts, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (AetAtoms) odd = aet_atoms_dup (r->truth);
  odd->elements[3] = 0;  /* no scattering factor */
  g_assert_null (aet_refine_atoms (odd, r->tilts, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (AetAtoms) lost = aet_atoms_dup (r->truth);
  lost->positions[7] = NAN;
  g_assert_null (aet_refine_atoms (lost, r->tilts, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_clear_error (&error);

  g_autoptr (AetTiltSeries) bad = aet_tilt_series_dup (r->tilts);
  aet_tilt_series_image (bad, 2)[100] = NAN;
  g_assert_null (aet_refine_atoms (r->truth, bad, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "image 3"));
  g_clear_error (&error);

  AetRefineParams p;
  aet_refine_params_init_defaults (&p);
  p.max_step = 0;
  g_assert_null (aet_refine_atoms (r->truth, r->tilts, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_cancel (void)
{
  g_autoptr (AetSimResult) r = small_particle ();
  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_refine_atoms (r->truth, r->tilts, NULL, job, NULL, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/refine/data-alone-finds-the-truth", test_data_alone_finds_the_truth);
  g_test_add_func ("/compute/refine/global-phase-undoes-a-turn", test_global_phase_undoes_a_turn);
  g_test_add_func ("/compute/refine/missing-atom-is-found", test_missing_atom_is_found);
  g_test_add_func ("/compute/refine/slid-patch-is-put-back", test_slid_patch_is_put_back);
  g_test_add_func ("/compute/refine/odd-image-size", test_odd_image_size);
  g_test_add_func ("/compute/refine/thread-count-does-not-matter",
                   test_thread_count_does_not_matter);
  g_test_add_func ("/compute/refine/bad-input-is-refused", test_bad_input_is_refused);
  g_test_add_func ("/compute/refine/cancel", test_cancel);
  return g_test_run ();
}
