#include "aet-atom-density.h"
#include "aet-error.h"
#include "aet-lattice.h"
#include "aet-noise.h"
#include "aet-potential.h"
#include "aet-rng.h"
#include "aet-scattering.h"
#include "aet-shapes.h"
#include "aet-simulate.h"

#include <math.h>
#include <string.h>

#define SQRT3 1.73205080756887729353

/* Small, noise-free, error-free parameters for geometry tests. */
static void
exact_params (AetSimParams *p, gint size, gdouble radius)
{
  aet_sim_params_init_defaults (p);
  p->size = size;
  p->radius = radius;
  p->counts = 0.0;
  p->angle_error = 0.0;
  p->shift_error = 0.0;
  p->axis_wobble = 0.0;
}

/* ---- rng ---------------------------------------------------------------- */

static void
test_rng (void)
{
  AetRng a, b, c;
  aet_rng_init (&a, 42);
  aet_rng_init (&b, 42);
  aet_rng_init_stream (&c, 42, 1);
  gboolean differ = FALSE;
  for (int i = 0; i < 100; i++)
    {
      guint64 x = aet_rng_next (&a);
      g_assert_cmpuint (x, ==, aet_rng_next (&b));
      differ |= x != aet_rng_next (&c);
    }
  g_assert_true (differ);

  /* Moments over 200,000 draws: uniform, normal, Poisson both branches. */
  const int n = 200000;
  gdouble su = 0, sn = 0, sn2 = 0, sp[2] = { 0 }, sp2[2] = { 0 };
  const gdouble means[2] = { 3.5, 40.0 };
  for (int i = 0; i < n; i++)
    {
      su += aet_rng_uniform (&a);
      gdouble g = aet_rng_normal (&a);
      sn += g, sn2 += g * g;
      for (int m = 0; m < 2; m++)
        {
          gdouble k = (gdouble) aet_rng_poisson (&a, means[m]);
          sp[m] += k, sp2[m] += k * k;
        }
    }
  g_assert_cmpfloat_with_epsilon (su / n, 0.5, 0.003);
  g_assert_cmpfloat_with_epsilon (sn / n, 0.0, 0.01);
  g_assert_cmpfloat_with_epsilon (sn2 / n, 1.0, 0.015);
  for (int m = 0; m < 2; m++)
    {
      gdouble mean = sp[m] / n, var = sp2[m] / n - mean * mean;
      g_assert_cmpfloat_with_epsilon (mean, means[m], 0.01 * means[m]);
      g_assert_cmpfloat_with_epsilon (var, means[m], 0.03 * means[m]);
    }
  g_assert_cmpuint (aet_rng_poisson (&a, 0.0), ==, 0);

  /* A random rotation is orthonormal with determinant +1. */
  gdouble r[9];
  aet_rng_rotation (&a, r);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        gdouble dot = r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1]
                      + r[3 * i + 2] * r[3 * j + 2];
        g_assert_cmpfloat_with_epsilon (dot, i == j ? 1.0 : 0.0, 1e-12);
      }
  gdouble det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6])
                + r[2] * (r[3] * r[7] - r[4] * r[6]);
  g_assert_cmpfloat_with_epsilon (det, 1.0, 1e-12);
}

/* ---- particles ---------------------------------------------------------- */

static gdouble
nearest_neighbour (const AetAtoms *atoms, gsize i)
{
  const gdouble *p = atoms->positions;
  gdouble best = G_MAXDOUBLE;
  for (gsize j = 0; j < atoms->n_atoms; j++)
    if (j != i)
      {
        gdouble dx = p[3 * i] - p[3 * j], dy = p[3 * i + 1] - p[3 * j + 1];
        gdouble dz = p[3 * i + 2] - p[3 * j + 2];
        best = MIN (best, dx * dx + dy * dy + dz * dz);
      }
  return sqrt (best);
}

static void
test_particle_lattice (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  gdouble nn = aet_fcc_nearest_neighbour (3.924);

  /* Without jitter every atom sits at a/√2 from its nearest neighbour. */
  p.jitter = 0.0;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetAtoms) exact = aet_simulate_particle (&p, NULL, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < exact->n_atoms; i++)
    g_assert_cmpfloat_with_epsilon (nearest_neighbour (exact, i), nn, 1e-9);

  /* With ±0.22 Å per axis: every nearest neighbour within the largest
   * possible change, and the first neighbour shell (pairs closer than
   * halfway to the second shell at a) centred on a/√2. */
  p.jitter = 0.22;
  g_autoptr (AetAtoms) jittered = aet_simulate_particle (&p, NULL, &error);
  g_assert_no_error (error);
  gdouble bound = 2.0 * 0.22 * SQRT3;
  gboolean moved = FALSE;
  for (gsize i = 0; i < jittered->n_atoms; i++)
    {
      gdouble d = nearest_neighbour (jittered, i);
      g_assert_cmpfloat (fabs (d - nn), <=, bound);
      moved |= fabs (d - nn) > 0.01;
    }
  g_assert_true (moved);
  gdouble shell = 0.5 * (nn + 3.924), sum = 0.0;
  gsize pairs = 0;
  const gdouble *x = jittered->positions;
  for (gsize i = 0; i < jittered->n_atoms; i++)
    for (gsize j = i + 1; j < jittered->n_atoms; j++)
      {
        gdouble dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1];
        gdouble dz = x[3 * i + 2] - x[3 * j + 2];
        gdouble d = sqrt (dx * dx + dy * dy + dz * dz);
        if (d < shell)
          sum += d, pairs++;
      }
  g_test_message ("first shell: %" G_GSIZE_FORMAT " pairs, mean %.4f Å (a/√2 = %.4f)", pairs,
                  sum / pairs, nn);
  g_assert_cmpfloat_with_epsilon (sum / pairs, nn, 0.03);

  /* the B column: 5 ± 1 */
  const gfloat *b = aet_atoms_get_column (jittered, "b_factor");
  g_assert_nonnull (b);
  gdouble bmin = 100, bmax = 0;
  for (gsize i = 0; i < jittered->n_atoms; i++)
    bmin = MIN (bmin, b[i]), bmax = MAX (bmax, b[i]);
  g_assert_cmpfloat (bmin, >=, 4.0 - 1e-6);
  g_assert_cmpfloat (bmax, <=, 6.0 + 1e-6);
  g_assert_cmpfloat (bmax - bmin, >, 1.5);
}

static void
test_atom_counts_over_seeds (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  for (guint64 seed = 1; seed <= 8; seed++)
    {
      p.seed = seed;
      g_autoptr (GError) error = NULL;
      g_autoptr (AetAtoms) atoms = aet_simulate_particle (&p, NULL, &error);
      g_assert_no_error (error);
      g_test_message ("seed %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT " atoms", seed,
                      atoms->n_atoms);
      g_assert_cmpuint (atoms->n_atoms, >=, 1100);
      g_assert_cmpuint (atoms->n_atoms, <=, 1800);
      /* everything in the box, around its centre */
      gdouble c[3];
      aet_atoms_centroid (atoms, c);
      for (int d = 0; d < 3; d++)
        g_assert_cmpfloat_with_epsilon (c[d], 72 * 0.357, 0.357 + 1e-9);
    }
}

static void
test_seed_reproducible (void)
{
  AetSimParams p;
  exact_params (&p, 96, 7.0);
  p.vacancy_fraction = 0.05;
  p.strain = 0.02;
  p.seed = 7;
  g_autoptr (AetAtoms) a = aet_simulate_particle (&p, NULL, NULL);
  g_autoptr (AetAtoms) b = aet_simulate_particle (&p, NULL, NULL);
  g_assert_cmpuint (a->n_atoms, ==, b->n_atoms);
  g_assert_cmpmem (a->positions, 3 * a->n_atoms * sizeof (gdouble), b->positions,
                   3 * b->n_atoms * sizeof (gdouble));
  g_assert_cmpmem (aet_atoms_get_column (a, "b_factor"), a->n_atoms * sizeof (gfloat),
                   aet_atoms_get_column (b, "b_factor"), b->n_atoms * sizeof (gfloat));
  p.seed = 8;
  g_autoptr (AetAtoms) c = aet_simulate_particle (&p, NULL, NULL);
  g_assert_true (c->n_atoms != a->n_atoms
                 || memcmp (a->positions, c->positions, 3 * a->n_atoms * sizeof (gdouble)) != 0);

  /* vacancies remove 5% of the atoms, exactly */
  p.seed = 7;
  p.vacancy_fraction = 0.0;
  g_autoptr (AetAtoms) full = aet_simulate_particle (&p, NULL, NULL);
  g_assert_cmpuint (a->n_atoms, ==, full->n_atoms - (gsize) floor (0.05 * full->n_atoms + 0.5));
}

/* Atoms within tol of the support plane along n, and whether they span a
 * face (three of them not on one line). */
static gboolean
support_face (const gdouble *pos, gsize n, const gdouble nv[3], gdouble *support, guint *count)
{
  gdouble h = -G_MAXDOUBLE;
  for (gsize i = 0; i < n; i++)
    h = MAX (h, nv[0] * pos[3 * i] + nv[1] * pos[3 * i + 1] + nv[2] * pos[3 * i + 2]);
  g_autoptr (GArray) face = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < n; i++)
    if (nv[0] * pos[3 * i] + nv[1] * pos[3 * i + 1] + nv[2] * pos[3 * i + 2] > h - 0.05)
      g_array_append_val (face, i);
  *support = h;
  *count = face->len;
  if (face->len < 3)
    return FALSE;
  const gdouble *p0 = pos + 3 * g_array_index (face, gsize, 0);
  for (guint j = 1; j < face->len; j++)
    for (guint k = j + 1; k < face->len; k++)
      {
        const gdouble *p1 = pos + 3 * g_array_index (face, gsize, j);
        const gdouble *p2 = pos + 3 * g_array_index (face, gsize, k);
        gdouble u[3] = { p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2] };
        gdouble v[3] = { p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2] };
        gdouble cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2];
        gdouble cz = u[0] * v[1] - u[1] * v[0];
        if (sqrt (cx * cx + cy * cy + cz * cz) > 1.0)
          return TRUE;
      }
  return FALSE;
}

static gdouble *
sites_in_shape (const AetShape *shape, gdouble a, gsize *n_out)
{
  const gdouble origin[3] = { 0, 0, 0 };
  gsize n;
  g_autofree gdouble *sites = aet_fcc_sites (a, origin, aet_shape_bounding_radius (shape), &n);
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (gsize i = 0; i < n; i++)
    if (aet_shape_value (shape, sites + 3 * i) <= 0.0)
      g_array_append_vals (kept, sites + 3 * i, 3);
  *n_out = kept->len / 3;
  return (gdouble *) g_array_free (kept, FALSE);
}

static void
test_polyhedron_facets (void)
{
  const gdouble a = 3.924;
  const gdouble (*normals)[3] = aet_shape_facet_normals ();
  AetRng rng;
  aet_rng_init (&rng, 3);
  for (int kind = 0; kind < 2; kind++)
    for (int rep = 0; rep < 3; rep++)
      {
        g_autoptr (AetShape) shape = aet_shape_new_random (
          kind == 0 ? AET_SHAPE_TRUNCATED_OCTAHEDRON : AET_SHAPE_CUBOCTAHEDRON, 12.0, &rng);
        gdouble d[14];
        g_assert_true (aet_shape_get_facet_distances (shape, d));
        gsize n;
        g_autofree gdouble *pos = sites_in_shape (shape, a, &n);
        guint faces111 = 0, faces100 = 0;
        for (int f = 0; f < 14; f++)
          {
            gdouble h;
            guint count;
            if (support_face (pos, n, normals[f], &h, &count))
              {
                if (f < 8)
                  faces111++;
                else
                  faces100++;
              }
            /* the facet is the last lattice plane inside its distance */
            gdouble spacing = f < 8 ? a / SQRT3 : a / 2.0;
            g_assert_cmpfloat (h, <=, d[f] + 1e-9);
            g_assert_cmpfloat (h, >, d[f] - spacing - 1e-9);
          }
        g_assert_cmpuint (faces111, ==, 8);
        g_assert_cmpuint (faces100, ==, 6);
      }

  /* A simulated particle, turned back into its crystal frame with the
   * rotation aet_simulate_particle reports, shows the same 8 + 6 faces. */
  for (guint64 seed = 1; seed <= 3; seed++)
    {
      AetSimParams p;
      exact_params (&p, 96, 9.0);
      p.shape = seed == 3 ? AET_SHAPE_CUBOCTAHEDRON : AET_SHAPE_TRUNCATED_OCTAHEDRON;
      p.jitter = 0.0;
      p.seed = seed;
      gdouble rot[9], c[3];
      g_autoptr (AetAtoms) atoms = aet_simulate_particle (&p, rot, NULL);
      g_assert_nonnull (atoms);
      aet_atoms_centroid (atoms, c);
      g_autofree gdouble *crystal = g_new (gdouble, 3 * atoms->n_atoms);
      for (gsize i = 0; i < atoms->n_atoms; i++)
        {
          const gdouble *x = atoms->positions + 3 * i;
          gdouble d[3] = { x[0] - c[0], x[1] - c[1], x[2] - c[2] };
          for (int k = 0; k < 3; k++)  /* Rᵀ·d */
            crystal[3 * i + k] = rot[k] * d[0] + rot[3 + k] * d[1] + rot[6 + k] * d[2];
        }
      guint faces = 0;
      for (int f = 0; f < 14; f++)
        {
          gdouble h;
          guint count;
          faces += support_face (crystal, atoms->n_atoms, normals[f], &h, &count);
        }
      g_assert_cmpuint (faces, ==, 14);
    }

  /* names for the command line */
  AetShapeKind k;
  g_assert_true (aet_shape_kind_from_name ("TO", &k));
  g_assert_cmpint (k, ==, AET_SHAPE_TRUNCATED_OCTAHEDRON);
  g_assert_true (aet_shape_kind_from_name ("cuboctahedron", &k));
  g_assert_cmpint (k, ==, AET_SHAPE_CUBOCTAHEDRON);
  g_assert_false (aet_shape_kind_from_name ("cube", &k));
  g_assert_cmpstr (aet_shape_kind_name (AET_SHAPE_SPHERE_UNION), ==, "sphere-union");

  /* Control: a bare octahedron has vertices, not faces, along <100>. */
  const gdouble d111[8] = { 10, 10, 10, 10, 10, 10, 10, 10 };
  const gdouble d100[6] = { 30, 30, 30, 30, 30, 30 };
  g_autoptr (AetShape) octa = aet_shape_new_polyhedron (d111, d100);
  gsize n;
  g_autofree gdouble *pos = sites_in_shape (octa, a, &n);
  for (int f = 8; f < 14; f++)
    {
      gdouble h;
      guint count;
      g_assert_false (support_face (pos, n, normals[f], &h, &count));
      g_assert_cmpuint (count, ==, 1);
    }
}

static void
test_substrate_cut (void)
{
  for (guint64 seed = 1; seed <= 4; seed++)
    {
      AetSimParams p;
      exact_params (&p, 96, 9.0);
      p.shape = AET_SHAPE_TRUNCATED_OCTAHEDRON;
      p.substrate = TRUE;
      p.jitter = 0.0;
      p.seed = seed;
      gdouble rot[9];
      g_autoptr (GError) error = NULL;
      g_autoptr (AetAtoms) atoms = aet_simulate_particle (&p, rot, &error);
      g_assert_no_error (error);

      /* −y is a {111} or {100} direction of the crystal. */
      gdouble down[3] = { -rot[3], -rot[4], -rot[5] };  /* Rᵀ·(0, −1, 0) */
      gdouble m[3] = { fabs (down[0]), fabs (down[1]), fabs (down[2]) };
      gboolean is111 = fabs (m[0] - 1 / SQRT3) < 1e-9 && fabs (m[1] - 1 / SQRT3) < 1e-9
                       && fabs (m[2] - 1 / SQRT3) < 1e-9;
      gboolean is100 = fabs (m[0] + m[1] + m[2] - 1.0) < 1e-9;
      g_assert_true (is111 || is100);
      gdouble spacing = is111 ? 3.924 / SQRT3 : 3.924 / 2.0;

      /* The lowest layer is flat, holds many atoms, and the next layer
       * sits one plane spacing above. */
      const gdouble *x = atoms->positions;
      gdouble ymin = G_MAXDOUBLE;
      for (gsize i = 0; i < atoms->n_atoms; i++)
        ymin = MIN (ymin, x[3 * i + 1]);
      guint bottom = 0;
      gdouble next = G_MAXDOUBLE;
      for (gsize i = 0; i < atoms->n_atoms; i++)
        {
          gdouble h = x[3 * i + 1] - ymin;
          if (h < 1e-6)
            bottom++;
          else
            next = MIN (next, h);
        }
      g_assert_cmpuint (bottom, >=, 12);
      g_assert_cmpfloat_with_epsilon (next, spacing, 1e-6);

      /* Interface compression: the bottom layer's in-plane neighbours move
       * closer by ~strain, layers far above hardly at all. */
      p.strain = 0.04;
      g_autoptr (AetAtoms) strained = aet_simulate_particle (&p, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (strained->n_atoms, ==, atoms->n_atoms);
      gdouble ymin2 = G_MAXDOUBLE;
      for (gsize i = 0; i < strained->n_atoms; i++)
        ymin2 = MIN (ymin2, strained->positions[3 * i + 1]);
      gdouble sum = 0;
      guint nb = 0;
      for (gsize i = 0; i < strained->n_atoms; i++)
        if (strained->positions[3 * i + 1] - ymin2 < 1e-6)
          {
            gdouble best = G_MAXDOUBLE;
            for (gsize j = 0; j < strained->n_atoms; j++)
              if (j != i && strained->positions[3 * j + 1] - ymin2 < 1e-6)
                {
                  const gdouble *pi = strained->positions + 3 * i;
                  const gdouble *pj = strained->positions + 3 * j;
                  best = MIN (best, sqrt ((pi[0] - pj[0]) * (pi[0] - pj[0])
                                          + (pi[2] - pj[2]) * (pi[2] - pj[2])));
                }
            sum += best;
            nb++;
          }
      g_assert_cmpuint (nb, ==, bottom);
      g_assert_cmpfloat_with_epsilon (sum / nb, aet_fcc_nearest_neighbour (3.924) * 0.96,
                                      0.01);
    }
}

/* ---- potential and projections ----------------------------------------- */

/* One atom: the potential integrates to f_e(0) in 3D and in projection. */
static void
test_single_atom_integral (void)
{
  const gdouble p = 0.357;
  g_autoptr (AetAtoms) atom = aet_atoms_new (1);
  aet_atoms_append (atom, 78, 24 * p + 0.1, 24 * p - 0.2, 24 * p + 0.05);
  g_autoptr (AetVolume) v = aet_volume_new (48, 48, 48, p);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_potential_render_volume (atom, NULL, 5.0, v, 2, &error));
  gdouble sum = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (v); i++)
    sum += v->data[i];
  gdouble fe0 = aet_scattering_fe (78, 0.0);
  g_assert_cmpfloat_with_epsilon (sum * p * p * p, fe0, 0.01 * fe0);
  AetVolumeStats st;
  aet_volume_get_stats (v, &st);
  g_test_message ("Pt, B = 5: 3D peak %.2f Å⁻²", st.max);
  g_assert_cmpfloat (st.max, >, 2.0);
  g_assert_cmpfloat (st.max, <, 4.0);

  const gdouble centre[3] = { 24 * p, 24 * p, 24 * p };
  AetProjectionGeometry g = { 0 };
  g_autoptr (AetVolume) im = aet_volume_new (48, 48, 1, p);
  g_assert_true (aet_potential_project (atom, NULL, 5.0, centre, &g, im, 1, NULL, &error));
  sum = 0;
  for (gsize i = 0; i < aet_volume_n_voxels (im); i++)
    sum += im->data[i];
  g_assert_cmpfloat_with_epsilon (sum * p * p, fe0, 0.01 * fe0);
  aet_volume_get_stats (im, &st);
  g_test_message ("Pt, B = 5: projected peak %.2f Å⁻¹", st.max);
  g_assert_cmpfloat (st.max, >, 3.0);
  g_assert_cmpfloat (st.max, <, 6.0);

  /* An element without f_e is refused. */
  g_autoptr (AetAtoms) bad = aet_atoms_new (1);
  aet_atoms_append (bad, 110, 1, 1, 1);
  g_assert_false (aet_potential_render_volume (bad, NULL, 5.0, v, 1, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
image_centroid (const gfloat *im, gint nx, gint ny, gdouble *cu, gdouble *cv)
{
  gdouble s = 0, su = 0, sv = 0;
  for (gint j = 0; j < ny; j++)
    for (gint i = 0; i < nx; i++)
      {
        gdouble w = im[(gsize) j * nx + i];
        s += w, su += w * i, sv += w * j;
      }
  *cu = su / s;
  *cv = sv / s;
}

/* CLI.md: an offset (x, y, z) from the centre appears at (x cos θ + z sin θ,
 * y) from pixel (⌊n/2⌋, ⌊m/2⌋); so the intensity centroid of each image is
 * the projected centroid of the atoms. */
static void
test_projection_geometry (void)
{
  AetSimParams p;
  exact_params (&p, 96, 7.0);
  gdouble angles[15];
  for (int k = 0; k < 15; k++)
    angles[k] = -70.0 + 10.0 * k;
  p.angles = angles;
  p.n_angles = 15;
  p.seed = 5;
  g_autoptr (AetJob) job = aet_job_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (AetSimResult) r = aet_simulate (&p, job, &error);
  g_assert_no_error (error);
  g_assert_cmpint (aet_tilt_series_n_images (r->tilts), ==, 15);

  gdouble c[3];
  aet_atoms_centroid (r->truth, c);
  gdouble x = c[0] - r->centre[0], y = c[1] - r->centre[1], z = c[2] - r->centre[2];
  gdouble pix = p.pixel;
  for (int k = 0; k < 15; k++)
    {
      g_assert_cmpfloat (r->tilts->angles[k], ==, angles[k]);
      g_assert_cmpfloat (r->true_angles[k], ==, angles[k]);
      gdouble th = angles[k] * G_PI / 180.0;
      gdouble eu = 48 + (x * cos (th) + z * sin (th)) / pix, ev = 48 + y / pix;
      gdouble cu, cv;
      image_centroid (aet_tilt_series_image (r->tilts, k), 96, 96, &cu, &cv);
      if (fabs (cu - eu) > 0.1 || fabs (cv - ev) > 0.1)
        g_error ("%g°: centroid (%.3f, %.3f), atoms project to (%.3f, %.3f)", angles[k], cu,
                 cv, eu, ev);
    }

  /* A point on a wobbled tilt axis, turned by α in the image plane to
   * (−sin α, cos α), stays put at every tilt. */
  {
    const gdouble alpha = 3.0, t = 6.0;
    gdouble al = alpha * G_PI / 180.0;
    g_autoptr (AetAtoms) one = aet_atoms_new (1);
    aet_atoms_append (one, 78, r->centre[0] - t * sin (al), r->centre[1] + t * cos (al),
                      r->centre[2]);
    for (int k = 0; k < 4; k++)
      {
        AetProjectionGeometry gw = { .angle = -60.0 + 40.0 * k, .axis_tilt = alpha };
        g_autoptr (AetVolume) iw = aet_volume_new (96, 96, 1, pix);
        g_assert_true (aet_potential_project (one, NULL, 5.0, r->centre, &gw, iw, 1, NULL,
                                              &error));
        gdouble cu, cv;
        image_centroid (iw->data, 96, 96, &cu, &cv);
        g_assert_cmpfloat_with_epsilon (cu, 48 - t * sin (al) / pix, 0.02);
        g_assert_cmpfloat_with_epsilon (cv, 48 + t * cos (al) / pix, 0.02);
      }
    /* while a point off the axis does move */
    AetProjectionGeometry g60 = { .angle = 60.0, .axis_tilt = alpha };
    const gdouble off[3] = { r->centre[0] + 5.0, r->centre[1], r->centre[2] };
    gdouble u, v;
    aet_projection_position (&g60, r->centre, 96, 96, pix, off, &u, &v);
    g_assert_cmpfloat (fabs (u - (48 + 5.0 / pix)), >, 5.0);
  }

  /* A residual shift moves the content by exactly that; a wobbling axis
   * changes nothing at 0°. */
  AetProjectionGeometry g[2] = {
    { .angle = 0.0, .axis_tilt = 0.0, .shift = { 1.5, -0.7 } },
    { .angle = 0.0, .axis_tilt = 4.0, .shift = { 0.0, 0.0 } },
  };
  g_autoptr (AetVolume) im = aet_volume_new (96, 96, 2, pix);
  g_assert_true (aet_potential_project (r->truth, "b_factor", 5.0, r->centre, g, im, 2, NULL,
                                        &error));
  gdouble cu, cv, cu0, cv0;
  image_centroid (aet_tilt_series_image (r->tilts, 7), 96, 96, &cu0, &cv0);
  image_centroid (im->data, 96, 96, &cu, &cv);
  g_assert_cmpfloat_with_epsilon (cu - cu0, 1.5, 0.02);
  g_assert_cmpfloat_with_epsilon (cv - cv0, -0.7, 0.02);
  image_centroid (im->data + 96 * 96, 96, 96, &cu, &cv);
  g_assert_cmpfloat_with_epsilon (cu, cu0, 1e-3);
  g_assert_cmpfloat_with_epsilon (cv, cv0, 1e-3);
}

/* The 2D Fourier-slice projection equals the line integral of the 3D
 * potential volume. */
static void
test_projection_is_line_integral (void)
{
  AetSimParams p;
  exact_params (&p, 80, 6.0);
  gdouble zero = 0.0;
  p.angles = &zero;
  p.n_angles = 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetSimResult) r = aet_simulate (&p, NULL, &error);
  g_assert_no_error (error);
  const AetVolume *v = r->potential;
  const gfloat *im = aet_tilt_series_image (r->tilts, 0);
  gsize n = (gsize) v->nx * v->ny;
  g_autofree gdouble *line = g_new0 (gdouble, n);
  for (gint k = 0; k < v->nz; k++)
    for (gsize i = 0; i < n; i++)
      line[i] += v->data[k * n + i] * v->voxel_size;
  gdouble sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (gsize i = 0; i < n; i++)
    {
      gdouble a = line[i], b = im[i];
      sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
  gdouble cov = sab - sa * sb / n;
  gdouble corr = cov / sqrt ((saa - sa * sa / n) * (sbb - sb * sb / n));
  g_test_message ("correlation %.6f, integral ratio %.5f", corr, sb / sa);
  g_assert_cmpfloat (corr, >, 0.999);
  g_assert_cmpfloat_with_epsilon (sb / sa, 1.0, 0.005);
  /* and its total is N·f_e(0) */
  gdouble expect = r->truth->n_atoms * aet_scattering_fe (78, 0.0);
  g_assert_cmpfloat_with_epsilon (sb * p.pixel * p.pixel, expect, 0.01 * expect);
}

/* Results do not depend on the thread count. */
static void
test_threads_independent (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.size = 64;
  p.radius = 5.0;
  p.seed = 11;
  p.axis_wobble = 1.0;
  g_autoptr (AetJob) one = aet_job_new ();
  g_autoptr (AetJob) three = aet_job_new ();
  aet_job_set_threads (one, 1);
  aet_job_set_threads (three, 3);
  g_autoptr (AetSimResult) a = aet_simulate (&p, one, NULL);
  g_autoptr (AetSimResult) b = aet_simulate (&p, three, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  gsize nv = aet_volume_n_voxels (a->potential), ni = aet_volume_n_voxels (a->tilts->images);
  g_assert_cmpmem (a->potential->data, nv * 4, b->potential->data, nv * 4);
  g_assert_cmpmem (a->target->data, nv * 4, b->target->data, nv * 4);
  g_assert_cmpmem (a->tilts->images->data, ni * 4, b->tilts->images->data, ni * 4);
}

/* ---- noise -------------------------------------------------------------- */

static void
test_noise_poisson (void)
{
  /* Two flat regions: 2.0 (the brightest, 50 counts) and 0.1 (2.5 counts). */
  g_autoptr (AetVolume) v = aet_volume_new (128, 128, 2, 1.0);
  gsize half = aet_volume_n_voxels (v) / 2;
  for (gsize i = 0; i < 2 * half; i++)
    v->data[i] = i < half ? 2.0f : 0.1f;
  gdouble scale = aet_noise_apply (v, 50.0, 0.0, 9, 2);
  g_assert_cmpfloat_with_epsilon (scale, 25.0, 1e-9);
  for (int region = 0; region < 2; region++)
    {
      gdouble expect = region == 0 ? 50.0 : 2.5, s = 0, s2 = 0;
      gboolean integral = TRUE;
      for (gsize i = region * half; i < (region + 1) * half; i++)
        {
          gdouble c = v->data[i] * scale;
          integral &= fabs (c - round (c)) < 1e-3;
          s += c, s2 += c * c;
        }
      gdouble mean = s / half, var = s2 / half - mean * mean;
      g_assert_true (integral);
      g_assert_cmpfloat_with_epsilon (mean, expect, 0.02 * expect);
      g_assert_cmpfloat_with_epsilon (var, expect, 0.05 * expect);
    }

  /* Read noise adds its variance. */
  g_autoptr (AetVolume) w = aet_volume_new (128, 128, 2, 1.0);
  aet_volume_fill (w, 1.0f);
  scale = aet_noise_apply (w, 20.0, 3.0, 4, 1);
  gdouble s = 0, s2 = 0;
  gsize n = aet_volume_n_voxels (w);
  for (gsize i = 0; i < n; i++)
    {
      gdouble c = w->data[i] * scale;
      s += c, s2 += c * c;
    }
  g_assert_cmpfloat_with_epsilon (s / n, 20.0, 0.3);
  g_assert_cmpfloat_with_epsilon (s2 / n - (s / n) * (s / n), 29.0, 1.5);

  /* counts = 0: untouched. */
  g_autoptr (AetVolume) u = aet_volume_new (16, 16, 1, 1.0);
  aet_volume_fill (u, 0.5f);
  g_assert_cmpfloat (aet_noise_apply (u, 0.0, 2.0, 1, 1), ==, 0.0);
  for (gsize i = 0; i < 256; i++)
    g_assert_cmpfloat (u->data[i], ==, 0.5f);
}

/* A noisy series keeps the noise-free scale; counts = 0 gives exactly the
 * noise-free projections. */
static void
test_simulated_noise (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.size = 64;
  p.radius = 5.0;
  p.seed = 3;
  p.counts = 0.0;
  g_autoptr (AetSimResult) clean = aet_simulate (&p, NULL, NULL);
  g_assert_nonnull (clean);
  g_assert_cmpfloat (clean->counts_scale, ==, 0.0);
  g_autofree AetProjectionGeometry *g = g_new0 (AetProjectionGeometry, clean->n_angles);
  for (gsize k = 0; k < clean->n_angles; k++)
    g[k] = (AetProjectionGeometry) { clean->true_angles[k], clean->axis_tilts[k],
                                     { clean->true_shifts[2 * k], clean->true_shifts[2 * k + 1] } };
  g_autoptr (AetVolume) ref = aet_volume_new (64, 64, (gint) clean->n_angles, p.pixel);
  g_assert_true (aet_potential_project (clean->truth, "b_factor", 5.0, clean->centre, g, ref, 2,
                                        NULL, NULL));
  gsize n = aet_volume_n_voxels (ref);
  g_assert_cmpmem (ref->data, n * 4, clean->tilts->images->data, n * 4);

  p.counts = 40.0;
  g_autoptr (AetSimResult) noisy = aet_simulate (&p, NULL, NULL);
  g_assert_nonnull (noisy);
  AetVolumeStats a, b;
  aet_volume_get_stats (clean->tilts->images, &a);
  aet_volume_get_stats (noisy->tilts->images, &b);
  g_assert_cmpfloat_with_epsilon (noisy->counts_scale, 40.0 / a.max, 1e-6 * noisy->counts_scale);
  g_assert_cmpfloat_with_epsilon (b.mean, a.mean, 0.02 * a.mean);
  g_assert_cmpfloat (b.std, >, a.std);
  g_assert_cmpmem (noisy->truth->positions, noisy->truth->n_atoms * 24, clean->truth->positions,
                   clean->truth->n_atoms * 24);
}

/* ---- the default run and parameter checks ------------------------------- */

static void
test_default_run (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  g_autoptr (AetJob) job = aet_job_new ();
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (AetSimResult) r = aet_simulate (&p, job, &error);
  g_assert_no_error (error);
  g_test_message ("default simulation: %.2f s, %" G_GSIZE_FORMAT " atoms",
                  (g_get_monotonic_time () - t0) / 1e6, r->truth->n_atoms);
  g_assert_cmpint (r->target->nx, ==, 144);
  g_assert_cmpint (r->potential->nz, ==, 144);
  g_assert_cmpint (aet_tilt_series_n_images (r->tilts), ==, 21);
  g_assert_cmpfloat (aet_tilt_series_pixel_size (r->tilts), ==, 0.357);
  for (gsize k = 0; k < 21; k++)
    {
      g_assert_cmpfloat_with_epsilon (r->tilts->angles[k], -65.0 + 6.5 * k, 1e-9);
      g_assert_cmpfloat (fabs (r->true_angles[k] - r->tilts->angles[k]), <=, 0.3);
      g_assert_cmpfloat (fabs (r->true_shifts[2 * k]), <=, 0.3);
      g_assert_cmpfloat (r->tilts->shifts[2 * k], ==, 0.0);
    }
  g_assert_true (aet_volume_check_finite (r->tilts->images, "tilts", NULL));
  AetVolumeStats st;
  aet_volume_get_stats (r->target, &st);
  g_assert_cmpfloat (st.max, >, 0.95);
  g_assert_cmpfloat (st.max, <, 1.1);
  aet_volume_get_stats (r->potential, &st);
  g_assert_cmpfloat (st.max, >, 1.0);
  g_assert_cmpfloat (st.min, >, -0.01 * st.max);
  g_assert_cmpfloat (r->counts_scale, >, 0.0);
}

static void
expect_invalid (const AetSimParams *p, const char *message_part)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_simulate (p, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  if (strstr (error->message, message_part) == NULL)
    g_error ("message \"%s\" lacks \"%s\"", error->message, message_part);
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_validation (void)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.radius = 40.0;
  expect_invalid (&p, "--radius 40: the particle does not fit in a 144-voxel box of 0.357 Å "
                      "(51.4 Å)");
  /* passes the quick check, but the grown particle is too big */
  aet_sim_params_init_defaults (&p);
  p.radius = 20.0;
  expect_invalid (&p, "has room for 22.7 Å");
  aet_sim_params_init_defaults (&p);
  p.element = 110;
  expect_invalid (&p, "no electron scattering factor");
  p.element = 30;  /* Zn: hexagonal */
  expect_invalid (&p, "not an FCC metal");
  p.lattice_constant = 3.6;  /* but with a lattice constant given, it may */
  p.size = 64;
  p.radius = 5.0;
  p.counts = 0;
  g_autoptr (AetSimResult) zn = aet_simulate (&p, NULL, NULL);
  g_assert_nonnull (zn);
  aet_sim_params_init_defaults (&p);
  p.size = 5;
  expect_invalid (&p, "--size 5");
  aet_sim_params_init_defaults (&p);
  p.pixel = -1;
  expect_invalid (&p, "--pixel");
  aet_sim_params_init_defaults (&p);
  gdouble bad = 120.0;
  p.angles = &bad;
  p.n_angles = 1;
  expect_invalid (&p, "angle 120");
  aet_sim_params_init_defaults (&p);
  p.b_input_spread = 6.0;
  expect_invalid (&p, "spread");
  aet_sim_params_init_defaults (&p);
  p.counts = -3;
  expect_invalid (&p, "--counts");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/simulate/rng", test_rng);
  g_test_add_func ("/compute/simulate/particle-lattice", test_particle_lattice);
  g_test_add_func ("/compute/simulate/atom-counts-over-seeds", test_atom_counts_over_seeds);
  g_test_add_func ("/compute/simulate/seed-reproducible", test_seed_reproducible);
  g_test_add_func ("/compute/simulate/polyhedron-facets", test_polyhedron_facets);
  g_test_add_func ("/compute/simulate/substrate-cut", test_substrate_cut);
  g_test_add_func ("/compute/simulate/single-atom-integral", test_single_atom_integral);
  g_test_add_func ("/compute/simulate/projection-geometry", test_projection_geometry);
  g_test_add_func ("/compute/simulate/projection-is-line-integral",
                   test_projection_is_line_integral);
  g_test_add_func ("/compute/simulate/threads-independent", test_threads_independent);
  g_test_add_func ("/compute/simulate/noise-poisson", test_noise_poisson);
  g_test_add_func ("/compute/simulate/simulated-noise", test_simulated_noise);
  g_test_add_func ("/compute/simulate/default-run", test_default_run);
  g_test_add_func ("/compute/simulate/validation", test_validation);
  return g_test_run ();
}
