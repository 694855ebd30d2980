#define G_LOG_DOMAIN "aet-align"

#include "aet-align.h"
#include "aet-fft.h"
#include "aet-projector.h"
#include "aet-sirt.h"

#include <math.h>
#include <string.h>

void
aet_align_remove_gauge (AetTiltSeries *series)
{
  const gint n = aet_tilt_series_n_images (series);
  gdouble scc = 0, scs = 0, sss = 0, sxc = 0, sxs = 0, sy = 0;
  for (gint i = 0; i < n; i++)
    {
      const gdouble th = series->angles[i] * G_PI / 180.0;
      const gdouble c = cos (th), s = sin (th);
      scc += c * c;
      scs += c * s;
      sss += s * s;
      sxc += series->shifts[2 * i] * c;
      sxs += series->shifts[2 * i] * s;
      sy += series->shifts[2 * i + 1];
    }
  const gdouble det = scc * sss - scs * scs;
  gdouble tx = 0, tz = 0;
  if (fabs (det) > 1e-9 * MAX (1.0, scc * sss))
    {
      tx = (sxc * sss - sxs * scs) / det;
      tz = (sxs * scc - sxc * scs) / det;
    }
  else if (scc > 0)
    tx = sxc / scc;  /* a single direction: only its component is fixed */
  for (gint i = 0; i < n; i++)
    {
      const gdouble th = series->angles[i] * G_PI / 180.0;
      series->shifts[2 * i] -= tx * cos (th) + tz * sin (th);
      series->shifts[2 * i + 1] -= sy / n;
    }
}

/* Intensity centroid of one image relative to its centre pixel, above the
 * mean of its one-pixel border. */
static void
image_centroid (const gfloat *img, gint nx, gint ny, gdouble c[2])
{
  gdouble border = 0.0;
  gsize nb = 0;
  for (gint y = 0; y < ny; y++)
    for (gint x = 0; x < nx; x++)
      if (x == 0 || y == 0 || x == nx - 1 || y == ny - 1)
        {
          border += img[(gsize) y * nx + x];
          nb++;
        }
  border /= MAX (nb, (gsize) 1);
  gdouble sw = 0, sx = 0, sy = 0;
  for (gint y = 0; y < ny; y++)
    for (gint x = 0; x < nx; x++)
      {
        const gdouble v = img[(gsize) y * nx + x] - border;
        if (v <= 0)
          continue;
        sw += v;
        sx += v * x;
        sy += v * y;
      }
  c[0] = sw > 0 ? sx / sw - nx / 2 : 0.0;
  c[1] = sw > 0 ? sy / sw - ny / 2 : 0.0;
}

void
aet_align_com (AetTiltSeries *series)
{
  const gint n = aet_tilt_series_n_images (series);
  for (gint i = 0; i < n; i++)
    image_centroid (aet_tilt_series_image (series, i), series->images->nx, series->images->ny,
                    &series->shifts[2 * i]);
  aet_align_remove_gauge (series);
}

/* The correlation of a and b, both smoothed by a Gaussian of σ pixels, and
 * a also by a box of width box_a pixels along x followed by a box of one
 * pixel (the projector's footprint and bin). */
static gdouble
correlate (const gfloat *a, const gfloat *b, gint nx, gint ny, gdouble sigma, gdouble box_a,
           gdouble d[2])
{
  const gsize n = (gsize) nx * ny;
  const gint nh = nx / 2 + 1;
  const int dims[2] = { ny, nx };
  float *ra = fftwf_alloc_real (n), *rb = fftwf_alloc_real (n);
  fftwf_complex *fa = fftwf_alloc_complex ((gsize) ny * nh);
  fftwf_complex *fb = fftwf_alloc_complex ((gsize) ny * nh);
  gdouble ma = 0, mb = 0;
  for (gsize i = 0; i < n; i++)
    {
      ma += a[i];
      mb += b[i];
    }
  ma /= n;
  mb /= n;
  for (gsize i = 0; i < n; i++)
    {
      ra[i] = (float) (a[i] - ma);
      rb[i] = (float) (b[i] - mb);
    }
  fftwf_plan fwd = aet_fft_plan_r2c (2, dims, 1, 1);
  fftwf_execute_dft_r2c (fwd, ra, fa);
  fftwf_execute_dft_r2c (fwd, rb, fb);
  /* P = A·conj(B)·G, G the transfer function of a Gaussian of σ pixels
   * applied to both images, kept in fa; its inverse transform is the
   * correlation */
  gdouble faa = 0, fbb = 0;
  for (gsize i = 0; i < (gsize) ny * nh; i++)
    {
      const gint kx = (gint) (i % nh), j = (gint) (i / nh);
      const gdouble fx = (gdouble) kx / nx, fy = (gdouble) (j <= ny / 2 ? j : j - ny) / ny;
      const gdouble g2 = exp (-4.0 * G_PI * G_PI * sigma * sigma * (fx * fx + fy * fy));
      const gdouble wt = (kx == 0 || (nx % 2 == 0 && kx == nx / 2)) ? 1.0 : 2.0;
      if (box_a > 0 && kx > 0)
        {
          const float h = (float) (sin (G_PI * fx * box_a) / (G_PI * fx * box_a)
                                   * sin (G_PI * fx) / (G_PI * fx));
          fa[i][0] *= h;
          fa[i][1] *= h;
        }
      faa += wt * g2 * ((gdouble) fa[i][0] * fa[i][0] + (gdouble) fa[i][1] * fa[i][1]);
      fbb += wt * g2 * ((gdouble) fb[i][0] * fb[i][0] + (gdouble) fb[i][1] * fb[i][1]);
      const float re = (float) (g2 * (fa[i][0] * fb[i][0] + fa[i][1] * fb[i][1]));
      const float im = (float) (g2 * (fa[i][1] * fb[i][0] - fa[i][0] * fb[i][1]));
      fa[i][0] = re;
      fa[i][1] = im;
      fb[i][0] = re;
      fb[i][1] = im;
    }
  fftwf_execute_dft_c2r (aet_fft_plan_c2r (2, dims, 1, 1), fb, ra);
  gsize best = 0;
  for (gsize i = 1; i < n; i++)
    if (ra[i] > ra[best])
      best = i;
  gint bx = (gint) (best % nx), by = (gint) (best / nx);
  gdouble sx = bx <= nx / 2 ? bx : bx - nx;
  gdouble sy = by <= ny / 2 ? by : by - ny;

  /* Newton steps on c(s) = Σ_k w_k Re(P_k e^{2πi(kx sx/nx + ky sy/ny)}) */
  gdouble peak = ra[best];
  for (gint step = 0; step < 6; step++)
    {
      gdouble c = 0, gx = 0, gy = 0, hxx = 0, hxy = 0, hyy = 0;
      for (gint j = 0; j < ny; j++)
        {
          const gint ky = j <= ny / 2 ? j : j - ny;
          const gdouble wy = 2.0 * G_PI * ky / ny;
          for (gint kx = 0; kx < nh; kx++)
            {
              const gdouble wx = 2.0 * G_PI * kx / nx;
              const gdouble wt = (kx == 0 || (nx % 2 == 0 && kx == nx / 2)) ? 1.0 : 2.0;
              const fftwf_complex *p = &fa[(gsize) j * nh + kx];
              const gdouble ph = wx * sx + wy * sy;
              const gdouble cs = cos (ph), sn = sin (ph);
              const gdouble re = (*p)[0] * cs - (*p)[1] * sn;  /* Re(P e^{iφ}) */
              const gdouble im = (*p)[0] * sn + (*p)[1] * cs;  /* Im(P e^{iφ}) */
              c += wt * re;
              gx -= wt * wx * im;
              gy -= wt * wy * im;
              hxx -= wt * wx * wx * re;
              hxy -= wt * wx * wy * re;
              hyy -= wt * wy * wy * re;
            }
        }
      peak = c;
      const gdouble det = hxx * hyy - hxy * hxy;
      if (!(hxx < 0 && det > 0))
        break;
      const gdouble dx = -(hyy * gx - hxy * gy) / det;
      const gdouble dy = -(hxx * gy - hxy * gx) / det;
      if (fabs (dx) > 1.0 || fabs (dy) > 1.0)
        break;
      sx += dx;
      sy += dy;
      if (fabs (dx) < 1e-4 && fabs (dy) < 1e-4)
        break;
    }
  d[0] = sx;
  d[1] = sy;
  fftwf_free (ra);
  fftwf_free (rb);
  fftwf_free (fa);
  fftwf_free (fb);
  /* Parseval: Σ|A|²G over the full spectrum is n·Σ(filtered a)² */
  const gdouble norm = sqrt (faa * fbb);
  return norm > 0 ? peak / norm : 0.0;
}

/* Angle scores: a reprojection is blurred along x by the voxel footprint of
 * aet-projector.h (a box max(|cos θ|, |sin θ|) wide) and by the pixel bin
 * (a box 1 wide); the first varies with the angle, and a plain score would
 * favour the sharpest angle (45°) rather than the right one.  So the
 * measured image is given the same two boxes for each candidate angle, and
 * both images a mild Gaussian. */
#define ANGLE_SMOOTH 1.0

gdouble
aet_align_cross_correlate (const gfloat *a, const gfloat *b, gint nx, gint ny, gdouble d[2])
{
  return correlate (a, b, nx, ny, 0.0, 0.0, d);
}

gdouble
aet_align_cross_correlate_smooth (const gfloat *a, const gfloat *b, gint nx, gint ny,
                                  gdouble sigma, gdouble box_a, gdouble d[2])
{
  return correlate (a, b, nx, ny, sigma, box_a, d);
}

static gint *
angle_order (const AetTiltSeries *series)
{
  const gint n = aet_tilt_series_n_images (series);
  gint *order = g_new (gint, n);
  for (gint i = 0; i < n; i++)
    order[i] = i;
  for (gint i = 1; i < n; i++)
    for (gint j = i; j > 0 && series->angles[order[j - 1]] > series->angles[order[j]]; j--)
      {
        gint t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  return order;
}

void
aet_align_xcorr (AetTiltSeries *series, guint n_threads)
{
  const gint n = aet_tilt_series_n_images (series);
  const gint nx = series->images->nx, ny = series->images->ny;
  g_autofree gint *order = angle_order (series);
  gint ref = 0;
  for (gint r = 1; r < n; r++)
    if (fabs (series->angles[order[r]]) < fabs (series->angles[order[ref]]))
      ref = r;
  /* the lowest tilt anchors the chain at its centre of mass */
  gdouble *sh = series->shifts;
  image_centroid (aet_tilt_series_image (series, order[ref]), nx, ny, &sh[2 * order[ref]]);
  for (gint dir = -1; dir <= 1; dir += 2)
    for (gint r = ref + dir; r >= 0 && r < n; r += dir)
      {
        const gint i = order[r], nb = order[r - dir];
        gdouble d[2];
        aet_align_cross_correlate (aet_tilt_series_image (series, i),
                                   aet_tilt_series_image (series, nb), nx, ny, d);
        sh[2 * i] = sh[2 * nb] + d[0];
        sh[2 * i + 1] = sh[2 * nb + 1] + d[1];
      }
  aet_align_remove_gauge (series);
}

gboolean
aet_align_refine (AetTiltSeries *series, gint rounds, gboolean refine_angles, AetJob *job,
                  GError **error)
{
  const gint n = aet_tilt_series_n_images (series);
  const gint nx = series->images->nx, ny = series->images->ny, nz = nx;
  const gsize plane = (gsize) nx * ny;
  g_autoptr (AetJob) inner = aet_job_new ();
  aet_job_set_threads (inner, aet_job_get_threads (job));
  AetReconParams params;
  aet_recon_params_init (&params);
  params.method = AET_RECON_SIRT;
  params.iterations = 20;
  g_autofree gfloat *reproj = g_new (gfloat, plane * n);
  g_autofree gdouble *delta = g_new0 (gdouble, n);
  const gdouble step = 0.5;
  for (gint round = 0; round < rounds; round++)
    {
      if (aet_job_check_cancelled (job, "alignment", error))
        return FALSE;
      aet_job_progress (job, (gdouble) round / rounds, "projection matching, round %d of %d",
                        round + 1, rounds);
      g_autoptr (AetVolume) vol = aet_sirt (series, &params, NULL, inner, error);
      if (vol == NULL)
        return FALSE;
      g_autoptr (AetProjector) nominal = aet_projector_new (nx, ny, nz, n, series->angles, NULL);
      aet_projector_forward (nominal, vol->data, reproj, aet_job_get_threads (job));
      for (gint i = 0; i < n; i++)
        aet_align_cross_correlate (aet_tilt_series_image (series, i), reproj + i * plane, nx, ny,
                                   &series->shifts[2 * i]);
      if (refine_angles && round == 0)
        {
          g_autofree gfloat *img = g_new (gfloat, plane);
          gdouble mean = 0.0;
          for (gint i = 0; i < n; i++)
            {
              gdouble score[3];
              for (gint s = 0; s < 3; s++)
                {
                  const gdouble angle = series->angles[i] + (s - 1) * step;
                  g_autoptr (AetProjector) one = aet_projector_new (nx, ny, nz, 1, &angle, NULL);
                  aet_projector_forward_one (one, 0, vol->data, img);
                  gdouble d[2];
                  const gdouble th = angle * G_PI / 180.0;
                  score[s] = correlate (aet_tilt_series_image (series, i), img, nx, ny,
                                        ANGLE_SMOOTH, MAX (fabs (cos (th)), fabs (sin (th))), d);
                }
              const gdouble den = score[0] - 2 * score[1] + score[2];
              gdouble t = den < 0 ? 0.5 * (score[0] - score[2]) / den : 0.0;
              if (den >= 0)
                t = score[0] > score[2] ? -1.0 : 1.0;
              delta[i] = CLAMP (t, -1.0, 1.0) * step;
              mean += delta[i] / n;
            }
          for (gint i = 0; i < n; i++)
            series->angles[i] += delta[i] - mean;
        }
      aet_align_remove_gauge (series);
    }
  return TRUE;
}

gboolean
aet_align (AetTiltSeries *series, AetAlignMode mode, gboolean refine_angles, AetJob *job,
           GError **error)
{
  aet_job_set_stage (job, "alignment");
  switch (mode)
    {
    case AET_ALIGN_NONE:
      return TRUE;
    case AET_ALIGN_COM:
      aet_align_com (series);
      return TRUE;
    case AET_ALIGN_XCORR:
      aet_align_xcorr (series, aet_job_get_threads (job));
      return TRUE;
    case AET_ALIGN_REFINE:
    default:
      aet_align_com (series);
      return aet_align_refine (series, 4, refine_angles, job, error);
    }
}
