#define G_LOG_DOMAIN "aet-augment"

#include "aet-augment-consistent.h"

#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-fft.h"
#include "aet-sirt.h"

/* The larger of the x and z edges: the Fourier grid step of the band. */
static gint
band_edge (gint nx, gint nz)
{
  return MAX (nx, nz);
}

guint8 *
aet_augment_measured_mask (gint nx, gint ny, gint nz, const gdouble *angles, gint n_angles,
                           gdouble band)
{
  const gint nh = nx / 2 + 1;
  guint8 *mask = g_new0 (guint8, (gsize) nz * ny * nh);
  g_autofree gdouble *s = g_new (gdouble, MAX (n_angles, 1));
  g_autofree gdouble *c = g_new (gdouble, MAX (n_angles, 1));
  for (gint a = 0; a < n_angles; a++)
    {
      s[a] = sin (angles[a] * G_PI / 180.0);
      c[a] = cos (angles[a] * G_PI / 180.0);
    }
  /* the distance to a plane, in cycles per voxel, that is within the band */
  const gdouble limit = band / band_edge (nx, nz);
  for (gint kz = 0; kz < nz; kz++)
    {
      const gdouble qz = (gdouble) (kz <= nz / 2 ? kz : kz - nz) / nz;
      for (gint kx = 0; kx < nh; kx++)
        {
          const gdouble qx = (gdouble) kx / nx;
          /* the plane of tilt θ has normal (−sin θ, cos θ) in (x, z); q_y
           * lies in every plane, so the test holds for a whole row of y */
          gboolean in = FALSE;
          for (gint a = 0; a < n_angles && !in; a++)
            in = fabs (-s[a] * qx + c[a] * qz) <= limit;
          if (!in)
            continue;
          for (gint ky = 0; ky < ny; ky++)
            mask[((gsize) kz * ny + ky) * nh + kx] = 1;
        }
    }
  return mask;
}

/* Shell index of a half-complex voxel: |q| in steps of 1 / max edge. */
static gint
shell_of (gint kx, gint ky, gint kz, gint nx, gint ny, gint nz, gint edge)
{
  const gdouble qx = (gdouble) kx / nx;
  const gdouble qy = (gdouble) (ky <= ny / 2 ? ky : ky - ny) / ny;
  const gdouble qz = (gdouble) (kz <= nz / 2 ? kz : kz - nz) / nz;
  return (gint) (sqrt (qx * qx + qy * qy + qz * qz) * edge + 0.5);
}

/* The step on the half-complex transforms: writes the result into a_hat. */
static void
make_consistent (fftwf_complex *a_hat, const fftwf_complex *r_hat, const guint8 *mask, gint nx,
                 gint ny, gint nz)
{
  const gint nh = nx / 2 + 1;
  const gint edge = MAX (nx, MAX (ny, nz));
  const gint n_shells = (gint) (edge * 0.9) + 2;
  g_autofree gdouble *num = g_new0 (gdouble, n_shells);
  g_autofree gdouble *den = g_new0 (gdouble, n_shells);
  for (gint kz = 0; kz < nz; kz++)
    for (gint ky = 0; ky < ny; ky++)
      for (gint kx = 0; kx < nh; kx++)
        {
          gsize i = ((gsize) kz * ny + ky) * nh + kx;
          if (!mask[i])
            continue;
          gint b = MIN (shell_of (kx, ky, kz, nx, ny, nz, edge), n_shells - 1);
          num[b] += (gdouble) r_hat[i][0] * a_hat[i][0] + (gdouble) r_hat[i][1] * a_hat[i][1];
          den[b] += (gdouble) a_hat[i][0] * a_hat[i][0] + (gdouble) a_hat[i][1] * a_hat[i][1];
        }
  g_autofree gfloat *h = g_new0 (gfloat, n_shells);
  for (gint b = 0; b < n_shells; b++)
    h[b] = den[b] > 0 ? (gfloat) (num[b] / den[b]) : 0.0f;
  for (gint kz = 0; kz < nz; kz++)
    for (gint ky = 0; ky < ny; ky++)
      for (gint kx = 0; kx < nh; kx++)
        {
          gsize i = ((gsize) kz * ny + ky) * nh + kx;
          if (mask[i])
            {
              a_hat[i][0] = r_hat[i][0];
              a_hat[i][1] = r_hat[i][1];
              continue;
            }
          gfloat g = h[MIN (shell_of (kx, ky, kz, nx, ny, nz, edge), n_shells - 1)];
          a_hat[i][0] *= g;
          a_hat[i][1] *= g;
        }
}

AetVolume *
aet_augment_keep_measured (const AetVolume *augmented, const AetVolume *recon,
                           const gdouble *angles, gint n_angles, gdouble band, guint threads)
{
  g_return_val_if_fail (aet_volume_same_shape (augmented, recon), NULL);
  const gint nx = recon->nx, ny = recon->ny, nz = recon->nz;
  const gsize n_half = (gsize) nz * ny * (nx / 2 + 1);
  const gsize n_real = aet_volume_n_voxels (recon);
  const int dims[3] = { nz, ny, nx };
  fftwf_plan fwd = aet_fft_plan_r2c (3, dims, 1, threads);
  fftwf_plan inv = aet_fft_plan_c2r (3, dims, 1, threads);
  g_autofree guint8 *mask = aet_augment_measured_mask (
      nx, ny, nz, angles, n_angles, band > 0 ? band : AET_AUGMENT_CONSISTENT_BAND);
  fftwf_complex *r_hat = fftwf_alloc_complex (n_half);
  fftwf_complex *a_hat = fftwf_alloc_complex (n_half);
  /* r2c keeps its input, so the volumes are read in place */
  fftwf_execute_dft_r2c (fwd, recon->data, r_hat);
  fftwf_execute_dft_r2c (fwd, augmented->data, a_hat);
  make_consistent (a_hat, r_hat, mask, nx, ny, nz);
  AetVolume *out = aet_volume_new (nx, ny, nz, recon->voxel_size);
  memcpy (out->origin, recon->origin, sizeof out->origin);
  fftwf_execute_dft_c2r (inv, a_hat, out->data);
  const gfloat scale = 1.0f / (gfloat) n_real;
  for (gsize i = 0; i < n_real; i++)
    out->data[i] = MAX (out->data[i] * scale, 0.0f);
  fftwf_free (r_hat);
  fftwf_free (a_hat);
  return out;
}

void
aet_augment_passes_init (AetAugmentPasses *params)
{
  params->passes = AET_AUGMENT_DEFAULT_PASSES;
  params->band = AET_AUGMENT_CONSISTENT_BAND;
  params->sirt_iterations = AET_AUGMENT_DEFAULT_SIRT;
  params->relaxation = AET_AUGMENT_DEFAULT_RELAXATION;
  params->tile = 96;
  params->overlap = 44;
  params->n_flips = 1;
}

AetVolume *
aet_augment_consistent (AetUnet *net, const AetVolume *recon, const char *what,
                        const AetTiltSeries *series, const gdouble *angles, gint n_angles,
                        const AetAugmentPasses *params, AetAugmentInfo *info,
                        AetAugmentPassFunc pass_func, gpointer pass_data, AetJob *job,
                        GError **error)
{
  g_return_val_if_fail (net != NULL && recon != NULL && params != NULL, NULL);
  if (what == NULL)
    what = "volume";
  const gint passes = params->passes;
  if (passes < 1 || passes > AET_AUGMENT_MAX_PASSES)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: %d passes: give 1 to %d", what, passes,
                   AET_AUGMENT_MAX_PASSES);
      return NULL;
    }
  if (series != NULL)
    {
      angles = series->angles;
      n_angles = aet_tilt_series_n_images (series);
    }
  if (passes > 1 && (angles == NULL || n_angles < 1))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: keeping to the measurements needs the tilt angles", what);
      return NULL;
    }
  const gint n_sirt = series != NULL ? MAX (params->sirt_iterations, 0) : 0;
  if (n_sirt > 0 && !(params->relaxation > 0 && params->relaxation < 2))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: SIRT relaxation %g: give 0 to 2", what,
                   params->relaxation);
      return NULL;
    }
  if (n_sirt > 0 && (series->images->nx != recon->nx || series->images->ny != recon->ny))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_MISMATCH,
                   "%s: a %d × %d × %d volume for %d × %d projections", what, recon->nx, recon->ny,
                   recon->nz, series->images->nx, series->images->ny);
      return NULL;
    }

  aet_job_push_range (job, 0, 1.0 / passes);
  g_autofree char *first = g_strdup_printf ("pass 1 of %d: ", passes);
  if (passes > 1)
    aet_job_set_message_prefix (job, first);
  g_autoptr (AetVolume) out = aet_augment_flips (net, recon, what, params->tile, params->overlap,
                                                 params->n_flips, info, job, error);
  aet_job_pop_range (job);
  aet_job_set_message_prefix (job, NULL);
  if (out == NULL)
    return NULL;
  if (pass_func != NULL)
    pass_func (out, 1, passes, pass_data);

  guint threads = aet_job_get_threads (job);
  /* a pass's share of the bar: SIRT's part, then the network's */
  const gdouble sirt_share = n_sirt > 0 ? 0.6 : 0.0;
  for (gint pass = 2; pass <= passes && out != NULL; pass++)
    {
      if (aet_job_check_cancelled (job, "augmentation", error))
        {
          g_clear_pointer (&out, aet_volume_unref);
          break;
        }
      aet_job_push_range (job, (gdouble) (pass - 1) / passes, (gdouble) pass / passes);
      g_autofree char *prefix = g_strdup_printf ("pass %d of %d: ", pass, passes);
      aet_job_set_message_prefix (job, prefix);
      g_autoptr (AetVolume) input
          = aet_augment_keep_measured (out, recon, angles, n_angles, params->band, threads);
      gboolean ok = TRUE;
      if (n_sirt > 0)
        {
          aet_job_push_range (job, 0, sirt_share);
          ok = aet_sirt_iterate (series, input, n_sirt, params->relaxation, job, error);
          aet_job_pop_range (job);
        }
      g_autoptr (AetVolume) next = NULL;
      if (ok)
        {
          aet_job_push_range (job, sirt_share, 1);
          next = aet_augment_flips (net, input, what, params->tile, params->overlap,
                                    params->n_flips, NULL, job, error);
          aet_job_pop_range (job);
        }
      aet_job_pop_range (job);
      aet_job_set_message_prefix (job, NULL);
      g_clear_pointer (&out, aet_volume_unref);
      out = g_steal_pointer (&next);
      if (out != NULL && pass_func != NULL)
        pass_func (out, pass, passes, pass_data);
    }
  return g_steal_pointer (&out);
}
