#define G_LOG_DOMAIN "aet-potential"

#include "aet-potential.h"
#include "aet-atom-density.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-parallel.h"
#include "aet-scattering.h"

#include <fftw3.h>
#include <math.h>

/* The FFTW planner is not thread-safe: plans are made and destroyed under
 * this lock and executed (new-array interface) without it.  FFTW's own
 * planner lock is switched on too, once, so that other modules planning at
 * the same time cannot collide with us. */
static GMutex plan_lock;

static void
ensure_planner_thread_safe (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      fftwf_make_planner_thread_safe ();
      g_once_init_leave (&done, 1);
    }
}

/* Atoms are drawn out to this many σ. */
#define CUTOFF_SIGMAS 5.0

/* Distinct elements of `atoms` in ascending order, checked against the
 * scattering table.  NULL with an error for an element without f_e. */
static GArray *
distinct_elements (const AetAtoms *atoms, GError **error)
{
  gboolean seen[256] = { FALSE };
  for (gsize a = 0; a < atoms->n_atoms; a++)
    seen[atoms->elements[a]] = TRUE;
  GArray *zs = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint z = 0; z < 256; z++)
    if (seen[z])
      {
        if (!aet_scattering_has_element (z))
          {
            g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                         "element %s (Z = %u) has no electron scattering factor (Z 1–%d)",
                         aet_element_symbol (z), z, AET_SCATTERING_MAX_Z);
            g_array_unref (zs);
            return NULL;
          }
        g_array_append_val (zs, z);
      }
  return zs;
}

static gdouble *
atom_b_values (const AetAtoms *atoms, const char *b_column, gdouble b)
{
  gdouble *out = g_new (gdouble, MAX (atoms->n_atoms, 1));
  const gfloat *col = b_column != NULL ? aet_atoms_get_column (atoms, b_column) : NULL;
  for (gsize a = 0; a < atoms->n_atoms; a++)
    out[a] = MAX (col != NULL ? (gdouble) col[a] : b, 0.05);
  return out;
}

/* Signed FFT frequency of index i on an axis of n samples. */
static inline gint
fft_freq (gint i, gint n)
{
  return i <= n / 2 ? i : i - n;
}

/* ---- volumes ---------------------------------------------------------- */

typedef struct
{
  const AetAtoms *atoms;
  const gdouble *b;
  guint z;
  AetVolume *shape;  /* dims, voxel size and origin */
  gfloat *buffer;    /* nx·ny·nz real */
  fftwf_complex *spectrum, *accum;
  gboolean first;
} VolumeData;

/* Workers own the z slabs [start, end), so no voxel has two writers and
 * every voxel sums its atoms in atom order. */
static void
render_volume_slab (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  VolumeData *d = user_data;
  const AetVolume *v = d->shape;
  const gdouble p = v->voxel_size;
  g_autofree gfloat *gx = g_new (gfloat, v->nx);
  g_autofree gfloat *gy = g_new (gfloat, v->ny);
  for (gsize k = start; k < end; k++)
    memset (d->buffer + (gsize) v->nx * v->ny * k, 0, sizeof (gfloat) * v->nx * v->ny);

  for (gsize a = 0; a < d->atoms->n_atoms; a++)
    {
      if (d->atoms->elements[a] != d->z)
        continue;
      gdouble b = d->b[a];
      gdouble sigma = aet_b_to_sigma (b) / p, cut = CUTOFF_SIGMAS * sigma;
      gdouble cx = (d->atoms->positions[3 * a] - v->origin[0]) / p;
      gdouble cy = (d->atoms->positions[3 * a + 1] - v->origin[1]) / p;
      gdouble cz = (d->atoms->positions[3 * a + 2] - v->origin[2]) / p;
      gint k0 = MAX ((gint) start, (gint) ceil (cz - cut));
      gint k1 = MIN ((gint) end - 1, (gint) floor (cz + cut));
      gint i0 = MAX (0, (gint) ceil (cx - cut)), i1 = MIN (v->nx - 1, (gint) floor (cx + cut));
      gint j0 = MAX (0, (gint) ceil (cy - cut)), j1 = MIN (v->ny - 1, (gint) floor (cy + cut));
      if (k0 > k1 || i0 > i1 || j0 > j1)
        continue;
      /* Unit integral: (π/B)^{3/2} Å⁻³ at the centre. */
      gdouble amplitude = pow (G_PI / b, 1.5);
      gdouble inv = 1.0 / (2.0 * sigma * sigma);
      for (gint i = i0; i <= i1; i++)
        gx[i] = (gfloat) exp (-(i - cx) * (i - cx) * inv);
      for (gint j = j0; j <= j1; j++)
        gy[j] = (gfloat) exp (-(j - cy) * (j - cy) * inv);
      for (gint k = k0; k <= k1; k++)
        {
          gfloat gz = (gfloat) (amplitude * exp (-(k - cz) * (k - cz) * inv));
          for (gint j = j0; j <= j1; j++)
            {
              gfloat gyz = gz * gy[j];
              gfloat *row = d->buffer + aet_volume_index (v, 0, j, k);
              for (gint i = i0; i <= i1; i++)
                row[i] += gyz * gx[i];
            }
        }
    }
}

/* Multiplies the spectrum by f_e(|q|) (and 1/N for the FFT round trip),
 * over the z planes [start, end), into accum. */
static void
filter_volume_planes (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  VolumeData *d = user_data;
  const AetVolume *v = d->shape;
  gint hx = v->nx / 2 + 1;
  gdouble p = v->voxel_size;
  gdouble norm = 1.0 / ((gdouble) v->nx * v->ny * v->nz);
  g_autofree gdouble *q2 = g_new (gdouble, hx);
  g_autofree gdouble *fe = g_new (gdouble, hx);
  for (gsize k = start; k < end; k++)
    {
      gdouble fz = fft_freq ((gint) k, v->nz) / (v->nz * p);
      for (gint j = 0; j < v->ny; j++)
        {
          gdouble fy = fft_freq (j, v->ny) / (v->ny * p);
          for (gint i = 0; i < hx; i++)
            {
              gdouble fx = i / (v->nx * p);
              q2[i] = fx * fx + fy * fy + fz * fz;
            }
          aet_scattering_fe_q2 (d->z, q2, hx, fe);
          gsize row = ((gsize) k * v->ny + j) * hx;
          for (gint i = 0; i < hx; i++)
            {
              gfloat w = (gfloat) (fe[i] * norm);
              if (d->first)
                {
                  d->accum[row + i][0] = d->spectrum[row + i][0] * w;
                  d->accum[row + i][1] = d->spectrum[row + i][1] * w;
                }
              else
                {
                  d->accum[row + i][0] += d->spectrum[row + i][0] * w;
                  d->accum[row + i][1] += d->spectrum[row + i][1] * w;
                }
            }
        }
    }
}

gboolean
aet_potential_render_volume (const AetAtoms *atoms, const char *b_column, gdouble b,
                             AetVolume *volume, guint n_threads, GError **error)
{
  g_return_val_if_fail (atoms != NULL && volume != NULL, FALSE);
  g_autoptr (GArray) zs = distinct_elements (atoms, error);
  if (zs == NULL)
    return FALSE;
  if (zs->len == 0)
    return TRUE;

  gint nx = volume->nx, ny = volume->ny, nz = volume->nz;
  gsize n_real = aet_volume_n_voxels (volume);
  gsize n_complex = (gsize) nz * ny * (nx / 2 + 1);
  g_autofree gdouble *bs = atom_b_values (atoms, b_column, b);
  gfloat *buffer = fftwf_alloc_real (n_real);
  fftwf_complex *spectrum = fftwf_alloc_complex (n_complex);
  fftwf_complex *accum = zs->len > 1 ? fftwf_alloc_complex (n_complex) : spectrum;

  ensure_planner_thread_safe ();
  g_mutex_lock (&plan_lock);
  fftwf_plan forward = fftwf_plan_dft_r2c_3d (nz, ny, nx, buffer, spectrum, FFTW_ESTIMATE);
  fftwf_plan backward = fftwf_plan_dft_c2r_3d (nz, ny, nx, accum, buffer, FFTW_ESTIMATE);
  g_mutex_unlock (&plan_lock);

  VolumeData d = {
    .atoms = atoms, .b = bs, .shape = volume, .buffer = buffer,
    .spectrum = spectrum, .accum = accum,
  };
  for (guint e = 0; e < zs->len; e++)
    {
      d.z = g_array_index (zs, guint, e);
      d.first = e == 0;
      aet_parallel_for (n_threads, (gsize) nz, render_volume_slab, &d);
      fftwf_execute (forward);
      aet_parallel_for (n_threads, (gsize) nz, filter_volume_planes, &d);
    }
  fftwf_execute (backward);
  for (gsize i = 0; i < n_real; i++)
    volume->data[i] += buffer[i];

  g_mutex_lock (&plan_lock);
  fftwf_destroy_plan (forward);
  fftwf_destroy_plan (backward);
  g_mutex_unlock (&plan_lock);
  if (accum != spectrum)
    fftwf_free (accum);
  fftwf_free (spectrum);
  fftwf_free (buffer);
  return TRUE;
}

/* ---- projections ------------------------------------------------------ */

void
aet_projection_position (const AetProjectionGeometry *g, const gdouble centre[3], gint nx,
                         gint ny, gdouble pixel, const gdouble r[3], gdouble *u, gdouble *v)
{
  gdouble th = g->angle * G_PI / 180.0, al = g->axis_tilt * G_PI / 180.0;
  gdouble ct = cos (th), st = sin (th), ca = cos (al), sa = sin (al);
  gdouble x = r[0] - centre[0], y = r[1] - centre[1], z = r[2] - centre[2];
  /* Rz(α) · Ry(θ) · Rz(−α), keeping the two in-image components. */
  gdouble x1 = x * ca + y * sa, y1 = -x * sa + y * ca;
  gdouble x2 = x1 * ct + z * st;
  gdouble x3 = x2 * ca - y1 * sa, y3 = x2 * sa + y1 * ca;
  *u = x3 / pixel + nx / 2 + g->shift[0];
  *v = y3 / pixel + ny / 2 + g->shift[1];
}

typedef struct
{
  const AetAtoms *atoms;
  const gdouble *b;
  GArray *zs;
  gdouble **fe;  /* per element: ny × (nx/2+1) filter, incl. 1/N */
  const gdouble *centre;
  const AetProjectionGeometry *geometry;
  AetVolume *images;
  fftwf_plan forward, backward;
  AetJob *job;
} ProjectData;

static void
project_images (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  ProjectData *d = user_data;
  AetVolume *im = d->images;
  gint nx = im->nx, ny = im->ny, hx = nx / 2 + 1;
  gdouble p = im->voxel_size;
  gsize n_real = (gsize) nx * ny, n_complex = (gsize) ny * hx;
  gfloat *buffer = fftwf_alloc_real (n_real);
  fftwf_complex *spectrum = fftwf_alloc_complex (n_complex);
  fftwf_complex *accum = fftwf_alloc_complex (n_complex);
  g_autofree gdouble *us = g_new (gdouble, MAX (d->atoms->n_atoms, 1));
  g_autofree gdouble *vs = g_new (gdouble, MAX (d->atoms->n_atoms, 1));
  g_autofree gfloat *gx = g_new (gfloat, nx);

  for (gsize k = start; k < end; k++)
    {
      if (aet_job_cancelled (d->job))
        break;
      for (gsize a = 0; a < d->atoms->n_atoms; a++)
        aet_projection_position (&d->geometry[k], d->centre, nx, ny, p,
                                 d->atoms->positions + 3 * a, &us[a], &vs[a]);
      for (guint e = 0; e < d->zs->len; e++)
        {
          guint z = g_array_index (d->zs, guint, e);
          memset (buffer, 0, sizeof (gfloat) * n_real);
          for (gsize a = 0; a < d->atoms->n_atoms; a++)
            {
              if (d->atoms->elements[a] != z)
                continue;
              gdouble b = d->b[a];
              gdouble sigma = aet_b_to_sigma (b) / p, cut = CUTOFF_SIGMAS * sigma;
              gdouble cx = us[a], cy = vs[a];
              gint i0 = MAX (0, (gint) ceil (cx - cut)), i1 = MIN (nx - 1, (gint) floor (cx + cut));
              gint j0 = MAX (0, (gint) ceil (cy - cut)), j1 = MIN (ny - 1, (gint) floor (cy + cut));
              if (i0 > i1 || j0 > j1)
                continue;
              /* Unit integral: π/B Å⁻² at the centre. */
              gdouble amplitude = G_PI / b, inv = 1.0 / (2.0 * sigma * sigma);
              for (gint i = i0; i <= i1; i++)
                gx[i] = (gfloat) exp (-(i - cx) * (i - cx) * inv);
              for (gint j = j0; j <= j1; j++)
                {
                  gfloat gy = (gfloat) (amplitude * exp (-(j - cy) * (j - cy) * inv));
                  gfloat *row = buffer + (gsize) j * nx;
                  for (gint i = i0; i <= i1; i++)
                    row[i] += gy * gx[i];
                }
            }
          fftwf_execute_dft_r2c (d->forward, buffer, spectrum);
          const gdouble *fe = d->fe[e];
          for (gsize i = 0; i < n_complex; i++)
            {
              gfloat w = (gfloat) fe[i];
              if (e == 0)
                {
                  accum[i][0] = spectrum[i][0] * w;
                  accum[i][1] = spectrum[i][1] * w;
                }
              else
                {
                  accum[i][0] += spectrum[i][0] * w;
                  accum[i][1] += spectrum[i][1] * w;
                }
            }
        }
      gfloat *out = im->data + k * n_real;
      if (d->zs->len == 0)
        memset (out, 0, sizeof (gfloat) * n_real);
      else
        {
          fftwf_execute_dft_c2r (d->backward, accum, buffer);
          memcpy (out, buffer, sizeof (gfloat) * n_real);
        }
      if (thread_index == 0)
        aet_job_progress (d->job, (gdouble) (k + 1 - start) / (gdouble) (end - start),
                          "image %" G_GSIZE_FORMAT " of %d", k + 1, im->nz);
    }
  fftwf_free (accum);
  fftwf_free (spectrum);
  fftwf_free (buffer);
}

gboolean
aet_potential_project (const AetAtoms *atoms, const char *b_column, gdouble b,
                       const gdouble centre[3], const AetProjectionGeometry *geometry,
                       AetVolume *images, guint n_threads, AetJob *job, GError **error)
{
  g_return_val_if_fail (atoms != NULL && centre != NULL && images != NULL, FALSE);
  g_return_val_if_fail (geometry != NULL || images->nz == 0, FALSE);
  g_autoptr (GArray) zs = distinct_elements (atoms, error);
  if (zs == NULL)
    return FALSE;

  gint nx = images->nx, ny = images->ny, hx = nx / 2 + 1;
  gdouble p = images->voxel_size;
  gsize n_complex = (gsize) ny * hx;
  gdouble norm = 1.0 / ((gdouble) nx * ny);
  g_autofree gdouble *bs = atom_b_values (atoms, b_column, b);
  g_autofree gdouble *q2 = g_new (gdouble, n_complex);
  for (gint j = 0; j < ny; j++)
    {
      gdouble fy = fft_freq (j, ny) / (ny * p);
      for (gint i = 0; i < hx; i++)
        {
          gdouble fx = i / (nx * p);
          q2[(gsize) j * hx + i] = fx * fx + fy * fy;
        }
    }
  g_autofree gdouble **fe = g_new0 (gdouble *, zs->len + 1);
  for (guint e = 0; e < zs->len; e++)
    {
      fe[e] = g_new (gdouble, n_complex);
      aet_scattering_fe_q2 (g_array_index (zs, guint, e), q2, n_complex, fe[e]);
      for (gsize i = 0; i < n_complex; i++)
        fe[e][i] *= norm;
    }

  gfloat *buffer = fftwf_alloc_real ((gsize) nx * ny);
  fftwf_complex *spectrum = fftwf_alloc_complex (n_complex);
  ensure_planner_thread_safe ();
  g_mutex_lock (&plan_lock);
  fftwf_plan forward = fftwf_plan_dft_r2c_2d (ny, nx, buffer, spectrum, FFTW_ESTIMATE);
  fftwf_plan backward = fftwf_plan_dft_c2r_2d (ny, nx, spectrum, buffer, FFTW_ESTIMATE);
  g_mutex_unlock (&plan_lock);

  ProjectData d = {
    .atoms = atoms, .b = bs, .zs = zs, .fe = fe, .centre = centre, .geometry = geometry,
    .images = images, .forward = forward, .backward = backward, .job = job,
  };
  aet_parallel_for (n_threads, (gsize) images->nz, project_images, &d);

  g_mutex_lock (&plan_lock);
  fftwf_destroy_plan (forward);
  fftwf_destroy_plan (backward);
  g_mutex_unlock (&plan_lock);
  fftwf_free (spectrum);
  fftwf_free (buffer);
  for (guint e = 0; e < zs->len; e++)
    g_free (fe[e]);
  return !aet_job_check_cancelled (job, "projection", error);
}
