#define G_LOG_DOMAIN "aet-simulate"

#include "aet-simulate.h"
#include "aet-atom-density.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-lattice.h"
#include "aet-noise.h"
#include "aet-potential.h"
#include "aet-rng.h"
#include "aet-scattering.h"

#include <math.h>

/* Independent random streams of one seed. */
#define STREAM_PARTICLE 1
#define STREAM_GEOMETRY 2

/* Room kept between the particle and the box edge (Å), on top of the
 * residual shifts: the potential's Gaussians and f_e tails. */
#define EDGE_MARGIN 2.5

/* Attempts at a particle that fits before giving up. */
#define MAX_ATTEMPTS 20

/* The published sphere-union particles had 1,100–1,800 atoms at radius 12. */
#define UNION_MIN_ATOMS 1100.0
#define UNION_MAX_ATOMS 1800.0
#define UNION_REFERENCE_RADIUS 12.0

/* Height (Å) over which the interface compression decays. */
#define STRAIN_DECAY 4.0

#define MAX_ATOMS 5000000.0
#define AET_SQRT3 1.73205080756887729353

static const gdouble default_angles[] = {
  -65.0, -58.5, -52.0, -45.5, -39.0, -32.5, -26.0, -19.5, -13.0, -6.5, 0.0,
  6.5, 13.0, 19.5, 26.0, 32.5, 39.0, 45.5, 52.0, 58.5, 65.0,
};

void
aet_sim_params_init_defaults (AetSimParams *p)
{
  g_return_if_fail (p != NULL);
  *p = (AetSimParams) {
    .element = 78,
    .lattice_constant = 0.0,
    .shape = AET_SHAPE_SPHERE_UNION,
    .radius = 12.0,
    .substrate = FALSE,
    .size = 144,
    .pixel = 0.357,
    .angles = NULL,
    .n_angles = 0,
    .seed = 1,
    .counts = 50.0,
    .read_noise = 0.0,
    .angle_error = 0.3,
    .axis_wobble = 0.0,
    .shift_error = 0.3,
    .jitter = 0.22,
    .vacancy_fraction = 0.0,
    .strain = 0.0,
    .b_input = 5.0,
    .b_input_spread = 1.0,
    .b_target = 4.0,
  };
}

static const gdouble *
listed_angles (const AetSimParams *p, gsize *n)
{
  if (p->angles != NULL && p->n_angles > 0)
    {
      *n = p->n_angles;
      return p->angles;
    }
  *n = G_N_ELEMENTS (default_angles);
  return default_angles;
}

static gdouble
lattice_constant (const AetSimParams *p)
{
  return p->lattice_constant > 0.0 ? p->lattice_constant
                                   : aet_fcc_lattice_constant (p->element);
}

/* The largest distance from the rotation centre an atom may have, in the
 * x–z plane (so that every tilt keeps it in the image) and along y. */
static gdouble
available_radius (const AetSimParams *p)
{
  gint half = p->size - 1 - p->size / 2;
  return half * p->pixel - EDGE_MARGIN - p->shift_error * p->pixel;
}

static void
set_fit_error (GError **error, const AetSimParams *p, gdouble extent)
{
  if (extent > 0.0)
    g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                 "--radius %g: the particle reaches %.1f Å from the centre but a %d-voxel box "
                 "of %g Å (%.1f Å) has room for %.1f Å",
                 p->radius, extent, p->size, p->pixel, p->size * p->pixel,
                 available_radius (p));
  else
    g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                 "--radius %g: the particle does not fit in a %d-voxel box of %g Å (%.1f Å)",
                 p->radius, p->size, p->pixel, p->size * p->pixel);
}

#define CHECK_RANGE(cond, ...) \
  G_STMT_START { \
    if (!(cond)) \
      { \
        g_set_error (error, AET_ERROR, AET_ERROR_INVALID, __VA_ARGS__); \
        return FALSE; \
      } \
  } G_STMT_END

gboolean
aet_sim_params_validate (const AetSimParams *p, GError **error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  const char *sym = aet_element_symbol (p->element);
  CHECK_RANGE (aet_scattering_has_element (p->element),
               "--element %s: no electron scattering factor for Z = %u (the table covers "
               "Z 1–%d)", sym, p->element, AET_SCATTERING_MAX_Z);
  CHECK_RANGE (p->lattice_constant > 0.0 || aet_fcc_lattice_constant (p->element) > 0.0,
               "--element %s: not an FCC metal of the lattice table (Pt, Au, Pd, Ag, Cu, Ni, "
               "Ir, Rh, Al); give a lattice constant", sym);
  CHECK_RANGE (p->lattice_constant == 0.0
                 || (p->lattice_constant >= 2.0 && p->lattice_constant <= 8.0),
               "lattice constant %g Å: expected 2 to 8 Å", p->lattice_constant);
  CHECK_RANGE (p->shape == AET_SHAPE_SPHERE_UNION || p->shape == AET_SHAPE_TRUNCATED_OCTAHEDRON
                 || p->shape == AET_SHAPE_CUBOCTAHEDRON,
               "shape %d: unknown particle shape", (int) p->shape);
  CHECK_RANGE (p->size >= 16 && p->size <= 1024,
               "--size %d: the box must have 16 to 1024 voxels per edge", p->size);
  CHECK_RANGE (p->pixel >= 0.05 && p->pixel <= 5.0,
               "--pixel %g: the pixel size must be 0.05 to 5 Å", p->pixel);
  CHECK_RANGE (p->shift_error >= 0.0 && p->shift_error <= p->size / 8.0,
               "--shift-error %g: expected 0 to %g pixels", p->shift_error, p->size / 8.0);
  CHECK_RANGE (p->radius > 0.0 && isfinite (p->radius),
               "--radius %g: the radius must be positive", p->radius);
  if (p->radius > available_radius (p))
    {
      set_fit_error (error, p, 0.0);
      return FALSE;
    }
  gdouble a = lattice_constant (p);
  gdouble est_atoms = 4.0 / 3.0 * G_PI * pow (1.6 * p->radius, 3) * 4.0 / (a * a * a);
  CHECK_RANGE (est_atoms <= MAX_ATOMS,
               "--radius %g: about %.0f atoms, more than the simulator's %.0f", p->radius,
               est_atoms, MAX_ATOMS);
  gsize n_angles;
  const gdouble *angles = listed_angles (p, &n_angles);
  CHECK_RANGE (n_angles <= 3600, "--tilt: %" G_GSIZE_FORMAT " angles, at most 3600",
               n_angles);
  for (gsize i = 0; i < n_angles; i++)
    CHECK_RANGE (isfinite (angles[i]) && fabs (angles[i]) <= 90.0,
                 "--tilt: angle %g° is outside −90…90°", angles[i]);
  CHECK_RANGE (p->counts >= 0.0 && p->counts <= 1e12,
               "--counts %g: expected 0 (no noise) to 1e12", p->counts);
  CHECK_RANGE (p->read_noise >= 0.0 && p->read_noise <= 1e6,
               "read noise %g: expected 0 to 1e6 counts", p->read_noise);
  CHECK_RANGE (p->angle_error >= 0.0 && p->angle_error <= 10.0,
               "--angle-error %g: expected 0 to 10°", p->angle_error);
  CHECK_RANGE (p->axis_wobble >= 0.0 && p->axis_wobble <= 10.0,
               "axis wobble %g: expected 0 to 10°", p->axis_wobble);
  CHECK_RANGE (p->jitter >= 0.0 && p->jitter <= 1.0, "jitter %g: expected 0 to 1 Å",
               p->jitter);
  CHECK_RANGE (p->vacancy_fraction >= 0.0 && p->vacancy_fraction <= 0.5,
               "vacancy fraction %g: expected 0 to 0.5", p->vacancy_fraction);
  CHECK_RANGE (fabs (p->strain) <= 0.2, "strain %g: expected −0.2 to 0.2", p->strain);
  CHECK_RANGE (p->b_input > 0.0 && p->b_input <= 100.0,
               "--b-factor %g: expected more than 0 up to 100 Å²", p->b_input);
  CHECK_RANGE (p->b_input_spread >= 0.0 && p->b_input_spread < p->b_input,
               "B spread %g: expected 0 up to the B factor (%g Å²)", p->b_input_spread,
               p->b_input);
  CHECK_RANGE (p->b_target > 0.0 && p->b_target <= 100.0,
               "target B %g: expected more than 0 up to 100 Å²", p->b_target);
  return TRUE;
}

/* ---- the particle ----------------------------------------------------- */

static void
mat_vec (const gdouble m[9], const gdouble v[3], gdouble out[3])
{
  for (int i = 0; i < 3; i++)
    out[i] = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
}

static void
mat_mul (const gdouble a[9], const gdouble b[9], gdouble out[9])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

/* The rotation taking unit vector n to unit vector t (Rodrigues). */
static void
rotation_between (const gdouble n[3], const gdouble t[3], gdouble r[9])
{
  gdouble v[3] = { n[1] * t[2] - n[2] * t[1], n[2] * t[0] - n[0] * t[2],
                   n[0] * t[1] - n[1] * t[0] };
  gdouble c = n[0] * t[0] + n[1] * t[1] + n[2] * t[2];
  if (c < -1.0 + 1e-12)
    {
      /* Opposite: half a turn about an axis perpendicular to n. */
      gdouble ax[3] = { 1, 0, 0 };
      if (fabs (n[0]) > 0.9)
        {
          ax[0] = 0;
          ax[1] = 1;
        }
      gdouble d = ax[0] * n[0] + ax[1] * n[1] + ax[2] * n[2];
      gdouble u[3] = { ax[0] - d * n[0], ax[1] - d * n[1], ax[2] - d * n[2] };
      gdouble l = sqrt (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
      for (int i = 0; i < 3; i++)
        u[i] /= l;
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          r[3 * i + j] = 2.0 * u[i] * u[j] - (i == j ? 1.0 : 0.0);
      return;
    }
  gdouble vx[9] = { 0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0 };
  gdouble vx2[9];
  mat_mul (vx, vx, vx2);
  for (int i = 0; i < 9; i++)
    r[i] = (i % 4 == 0 ? 1.0 : 0.0) + vx[i] + vx2[i] / (1.0 + c);
}

/* Sites of `sites` inside `shape` centred at `centre`. */
static gsize
count_inside (const AetShape *shape, const gdouble *sites, gsize n, const gdouble centre[3])
{
  gsize count = 0;
  for (gsize s = 0; s < n; s++)
    {
      gdouble r[3] = { sites[3 * s] - centre[0], sites[3 * s + 1] - centre[1],
                       sites[3 * s + 2] - centre[2] };
      if (aet_shape_value (shape, r) <= 0.0)
        count++;
    }
  return count;
}

/* Scales a sphere union so that it holds about `target` sites. */
static void
scale_to_count (AetShape *shape, gdouble a, const gdouble centre[3], gdouble target)
{
  gdouble lo = 0.3, hi = 3.0;
  aet_shape_set_scale (shape, hi);
  gsize n;
  g_autofree gdouble *sites = aet_fcc_sites (a, centre, aet_shape_bounding_radius (shape), &n);
  for (int it = 0; it < 30; it++)
    {
      gdouble mid = sqrt (lo * hi);
      aet_shape_set_scale (shape, mid);
      if ((gdouble) count_inside (shape, sites, n, centre) < target)
        lo = mid;
      else
        hi = mid;
    }
  aet_shape_set_scale (shape, sqrt (lo * hi));
}

static AetAtoms *
build_attempt (const AetSimParams *p, AetRng *rng, gdouble rot[9], gdouble *extent)
{
  gdouble a = lattice_constant (p);
  g_autoptr (AetShape) shape = aet_shape_new_random (p->shape, p->radius, rng);
  /* The particle's centre anywhere in a unit cell, so its surface cuts the
   * lattice differently each time. */
  gdouble centre[3];
  for (int d = 0; d < 3; d++)
    centre[d] = aet_rng_range (rng, 0.0, a);
  if (p->shape == AET_SHAPE_SPHERE_UNION)
    {
      gdouble s = p->radius / UNION_REFERENCE_RADIUS;
      gdouble target = aet_rng_range (rng, UNION_MIN_ATOMS, UNION_MAX_ATOMS) * s * s * s
                       * pow (aet_fcc_lattice_constant (78) / a, 3.0);
      scale_to_count (shape, a, centre, MAX (target, 1.0));
    }

  gsize n_sites;
  g_autofree gdouble *sites = aet_fcc_sites (a, centre, aet_shape_bounding_radius (shape) + a,
                                             &n_sites);
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (gsize s = 0; s < n_sites; s++)
    {
      gdouble r[3] = { sites[3 * s] - centre[0], sites[3 * s + 1] - centre[1],
                       sites[3 * s + 2] - centre[2] };
      if (aet_shape_value (shape, r) <= 0.0)
        g_array_append_vals (kept, sites + 3 * s, 3);
    }
  gsize n = kept->len / 3;
  g_autofree gdouble *pos = (gdouble *) g_array_free (kept, FALSE);

  /* Orientation: uniform, or a low-index plane on the substrate below. */
  const gdouble (*normals)[3] = aet_shape_facet_normals ();
  gint facet = -1;
  if (p->substrate)
    {
      facet = aet_rng_below (rng, 2) == 0 ? (gint) aet_rng_below (rng, 8)
                                          : 8 + (gint) aet_rng_below (rng, 6);
      const gdouble down[3] = { 0.0, -1.0, 0.0 };
      gdouble align[9], spin[9];
      rotation_between (normals[facet], down, align);
      gdouble phi = aet_rng_range (rng, 0.0, 2.0 * G_PI);
      gdouble c = cos (phi), s = sin (phi);
      gdouble ry[9] = { c, 0, s, 0, 1, 0, -s, 0, c };
      memcpy (spin, ry, sizeof spin);
      mat_mul (spin, align, rot);
    }
  else
    aet_rng_rotation (rng, rot);

  /* The substrate cut: keep the sites at or above a lattice plane of the
   * chosen family, 12–25% of the particle's height up from its bottom. */
  gboolean *keep = g_new (gboolean, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    keep[i] = TRUE;
  if (facet >= 0 && n > 0)
    {
      const gdouble *nf = normals[facet];
      gdouble spacing = facet < 8 ? a / AET_SQRT3 : a / 2.0;
      gdouble hmin = G_MAXDOUBLE, hmax = -G_MAXDOUBLE;
      for (gsize i = 0; i < n; i++)
        {
          gdouble h = nf[0] * pos[3 * i] + nf[1] * pos[3 * i + 1] + nf[2] * pos[3 * i + 2];
          hmin = MIN (hmin, h);
          hmax = MAX (hmax, h);
        }
      gdouble f = aet_rng_range (rng, 0.12, 0.25);
      gdouble cut = spacing * floor ((hmax - f * (hmax - hmin)) / spacing + 1e-9);
      for (gsize i = 0; i < n; i++)
        {
          gdouble h = nf[0] * pos[3 * i] + nf[1] * pos[3 * i + 1] + nf[2] * pos[3 * i + 2];
          keep[i] = h <= cut + 0.01 * spacing;
        }
    }

  /* Vacancies: an exact number of randomly chosen kept atoms. */
  if (p->vacancy_fraction > 0.0)
    {
      g_autofree gsize *idx = g_new (gsize, MAX (n, 1));
      gsize m = 0;
      for (gsize i = 0; i < n; i++)
        if (keep[i])
          idx[m++] = i;
      gsize n_remove = (gsize) floor (p->vacancy_fraction * m + 0.5);
      for (gsize r = 0; r < n_remove; r++)
        {
          gsize j = r + (gsize) aet_rng_below (rng, m - r);
          gsize t = idx[r];
          idx[r] = idx[j];
          idx[j] = t;
          keep[idx[r]] = FALSE;
        }
    }

  AetAtoms *atoms = aet_atoms_new (n);
  for (gsize i = 0; i < n; i++)
    if (keep[i])
      {
        gdouble c[3] = { pos[3 * i] - centre[0], pos[3 * i + 1] - centre[1],
                         pos[3 * i + 2] - centre[2] };
        gdouble r[3];
        mat_vec (rot, c, r);
        aet_atoms_append (atoms, p->element, r[0], r[1], r[2]);
      }
  g_free (keep);
  gsize na = atoms->n_atoms;
  gdouble *xyz = atoms->positions;

  /* Interface strain: in-plane compression towards the axis of the bottom
   * layer, fading with height above it. */
  if (p->strain != 0.0 && na > 0)
    {
      gdouble ymin = G_MAXDOUBLE;
      for (gsize i = 0; i < na; i++)
        ymin = MIN (ymin, xyz[3 * i + 1]);
      gdouble cx = 0, cz = 0;
      gsize nb = 0;
      for (gsize i = 0; i < na; i++)
        if (xyz[3 * i + 1] < ymin + 0.5)
          {
            cx += xyz[3 * i];
            cz += xyz[3 * i + 2];
            nb++;
          }
      cx /= nb;
      cz /= nb;
      for (gsize i = 0; i < na; i++)
        {
          gdouble w = p->strain * exp (-(xyz[3 * i + 1] - ymin) / STRAIN_DECAY);
          xyz[3 * i] -= w * (xyz[3 * i] - cx);
          xyz[3 * i + 2] -= w * (xyz[3 * i + 2] - cz);
        }
    }

  for (gsize i = 0; i < 3 * na; i++)
    xyz[i] += aet_rng_range (rng, -p->jitter, p->jitter);

  /* Centre of mass on the rotation centre, then up to a voxel off it. */
  gdouble com[3];
  aet_atoms_centroid (atoms, com);
  gdouble mid = (p->size / 2) * p->pixel;
  gdouble move[3];
  for (int d = 0; d < 3; d++)
    move[d] = mid - com[d] + aet_rng_range (rng, -p->pixel, p->pixel);
  gdouble far_xz = 0.0, far_y = 0.0;
  for (gsize i = 0; i < na; i++)
    {
      for (int d = 0; d < 3; d++)
        xyz[3 * i + d] += move[d];
      gdouble dx = xyz[3 * i] - mid, dy = xyz[3 * i + 1] - mid, dz = xyz[3 * i + 2] - mid;
      far_xz = MAX (far_xz, sqrt (dx * dx + dz * dz));
      far_y = MAX (far_y, fabs (dy));
    }
  *extent = MAX (far_xz, far_y);

  gfloat *bcol = aet_atoms_ensure_column (atoms, "b_factor");
  for (gsize i = 0; i < na; i++)
    bcol[i] = (gfloat) MAX (p->b_input + aet_rng_range (rng, -p->b_input_spread,
                                                        p->b_input_spread), 0.1);
  return atoms;
}

AetAtoms *
aet_simulate_particle (const AetSimParams *p, gdouble rotation[9], GError **error)
{
  if (!aet_sim_params_validate (p, error))
    return NULL;
  gdouble limit = available_radius (p), smallest = G_MAXDOUBLE;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
    {
      /* A stream per attempt: the first particle of a seed stays the same
       * whatever later attempts would draw. */
      AetRng rng;
      aet_rng_init_stream (&rng, p->seed, STREAM_PARTICLE + 16 * (guint64) attempt);
      gdouble rot[9], extent;
      AetAtoms *atoms = build_attempt (p, &rng, rot, &extent);
      if (atoms->n_atoms > 0 && extent <= limit)
        {
          if (rotation != NULL)
            memcpy (rotation, rot, sizeof rot);
          return atoms;
        }
      if (atoms->n_atoms == 0)
        {
          aet_atoms_unref (atoms);
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "--radius %g: the particle holds no atom", p->radius);
          return NULL;
        }
      smallest = MIN (smallest, extent);
      aet_atoms_unref (atoms);
      /* Far too big: other draws will not shrink it by a quarter. */
      if (extent > 1.25 * limit)
        break;
    }
  set_fit_error (error, p, smallest);
  return NULL;
}

/* ---- the whole data set ----------------------------------------------- */

void
aet_sim_result_free (AetSimResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->truth, aet_atoms_unref);
  g_clear_pointer (&r->target, aet_volume_unref);
  g_clear_pointer (&r->potential, aet_volume_unref);
  g_clear_pointer (&r->tilts, aet_tilt_series_unref);
  g_free (r->true_angles);
  g_free (r->true_shifts);
  g_free (r->axis_tilts);
  g_free (r);
}

char *
aet_sim_result_geometry_text (const AetSimResult *r)
{
  return aet_geometry_text (r->true_angles, r->true_shifts, r->n_angles);
}

AetSimResult *
aet_simulate (const AetSimParams *p, AetJob *job, GError **error)
{
  g_return_val_if_fail (p != NULL, NULL);
  if (!aet_sim_params_validate (p, error))
    return NULL;
  guint threads = aet_job_get_threads (job);
  g_autoptr (AetSimResult) r = g_new0 (AetSimResult, 1);

  aet_job_set_stage (job, "particle");
  aet_job_progress (job, 0.0, NULL);
  r->truth = aet_simulate_particle (p, r->rotation, error);
  if (r->truth == NULL)
    return NULL;
  for (int d = 0; d < 3; d++)
    r->centre[d] = (p->size / 2) * p->pixel;
  aet_job_progress (job, 1.0, "%" G_GSIZE_FORMAT " atoms", r->truth->n_atoms);
  if (aet_job_check_cancelled (job, "simulation", error))
    return NULL;

  aet_job_set_stage (job, "target");
  aet_job_progress (job, 0.0, NULL);
  r->target = aet_volume_try_new (p->size, p->size, p->size, p->pixel, error);
  if (r->target == NULL)
    return NULL;
  aet_render_gaussian_atoms (r->truth, r->target, p->b_target, 1.0, NULL, threads);
  aet_job_progress (job, 1.0, NULL);
  if (aet_job_check_cancelled (job, "simulation", error))
    return NULL;

  aet_job_set_stage (job, "potential");
  aet_job_progress (job, 0.0, NULL);
  r->potential = aet_volume_try_new (p->size, p->size, p->size, p->pixel, error);
  if (r->potential == NULL)
    return NULL;
  if (!aet_potential_render_volume (r->truth, "b_factor", p->b_input, r->potential, threads,
                                    error))
    return NULL;
  aet_job_progress (job, 1.0, NULL);
  if (aet_job_check_cancelled (job, "simulation", error))
    return NULL;

  /* What the microscope really did at each listed angle. */
  gsize n;
  const gdouble *listed = listed_angles (p, &n);
  r->n_angles = n;
  r->true_angles = g_new (gdouble, MAX (n, 1));
  r->true_shifts = g_new (gdouble, 2 * MAX (n, 1));
  r->axis_tilts = g_new (gdouble, MAX (n, 1));
  g_autofree AetProjectionGeometry *geometry = g_new0 (AetProjectionGeometry, MAX (n, 1));
  AetRng rng;
  aet_rng_init_stream (&rng, p->seed, STREAM_GEOMETRY);
  for (gsize k = 0; k < n; k++)
    {
      r->true_angles[k] = listed[k] + aet_rng_range (&rng, -p->angle_error, p->angle_error);
      r->axis_tilts[k] = aet_rng_range (&rng, -p->axis_wobble, p->axis_wobble);
      r->true_shifts[2 * k] = aet_rng_range (&rng, -p->shift_error, p->shift_error);
      r->true_shifts[2 * k + 1] = aet_rng_range (&rng, -p->shift_error, p->shift_error);
      geometry[k] = (AetProjectionGeometry) {
        .angle = r->true_angles[k], .axis_tilt = r->axis_tilts[k],
        .shift = { r->true_shifts[2 * k], r->true_shifts[2 * k + 1] },
      };
    }

  aet_job_set_stage (job, "projections");
  aet_job_progress (job, 0.0, NULL);
  g_autoptr (AetVolume) images = aet_volume_try_new (p->size, p->size, (gint) n, p->pixel,
                                                     error);
  if (images == NULL)
    return NULL;
  if (!aet_potential_project (r->truth, "b_factor", p->b_input, r->centre, geometry, images,
                              threads, job, error))
    return NULL;

  aet_job_set_stage (job, "noise");
  aet_job_progress (job, 0.0, NULL);
  r->counts_scale = aet_noise_apply (images, p->counts, p->read_noise, p->seed, threads);
  aet_job_progress (job, 1.0, NULL);
  r->tilts = aet_tilt_series_new (images, listed);
  return g_steal_pointer (&r);
}
