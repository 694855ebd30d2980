#define G_LOG_DOMAIN "test-projector"

#include "aet-projector.h"

#include <math.h>
#include <string.h>

static const gdouble uneven_angles[] = { -60.0, -37.5, -10.0, 0.0, 15.0, 44.0, 72.0 };
static const gdouble some_shifts[] = { 0.3, -0.7, -1.2, 0.25, 0.0, 0.0, 2.0, -1.0,
                                       0.5, 0.5, -0.1, 1.9, 1.4, -0.35 };

static void
fill_random (gfloat *v, gsize n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < n; i++)
    v[i] = (gfloat) g_rand_double_range (rand, -1.0, 1.0);
}

static void
check_adjoint (gint nx, gint ny, gint nz)
{
  const gint n_img = G_N_ELEMENTS (uneven_angles);
  g_autoptr (AetProjector) p = aet_projector_new (nx, ny, nz, n_img, uneven_angles,
                                                  some_shifts);
  const gsize nv = (gsize) nx * ny * nz, ni = (gsize) nx * ny * n_img;
  g_autofree gfloat *x = g_new (gfloat, nv), *ax = g_new (gfloat, ni);
  g_autofree gfloat *y = g_new (gfloat, ni), *aty = g_new (gfloat, nv);
  fill_random (x, nv, 1);
  fill_random (y, ni, 2);
  aet_projector_forward (p, x, ax, 2);
  aet_projector_back (p, y, aty, 2);
  gdouble lhs = 0, rhs = 0, scale = 0;
  for (gsize i = 0; i < ni; i++)
    {
      lhs += (gdouble) ax[i] * y[i];
      scale += fabs ((gdouble) ax[i] * y[i]);
    }
  for (gsize i = 0; i < nv; i++)
    rhs += (gdouble) x[i] * aty[i];
  g_test_message ("%d×%d×%d: <Ax,y> = %.9g, <x,A'y> = %.9g", nx, ny, nz, lhs, rhs);
  g_assert_cmpfloat (fabs (lhs - rhs), <=, 1e-5 * fabs (lhs));
  g_assert_cmpfloat (fabs (lhs), >, 1e-3 * scale);  /* a real, non-trivial product */
}

static void
test_adjoint (void)
{
  check_adjoint (24, 20, 24);
  check_adjoint (23, 17, 19);
}

/* At 0° without shifts, a projection is the plain sum along z. */
static void
test_zero_tilt (void)
{
  const gint nx = 11, ny = 9, nz = 7;
  const gdouble angle = 0.0;
  g_autoptr (AetProjector) p = aet_projector_new (nx, ny, nz, 1, &angle, NULL);
  g_autofree gfloat *x = g_new (gfloat, nx * ny * nz), *img = g_new (gfloat, nx * ny);
  fill_random (x, nx * ny * nz, 3);
  aet_projector_forward (p, x, img, 1);
  for (gint j = 0; j < ny; j++)
    for (gint i = 0; i < nx; i++)
      {
        gdouble s = 0;
        for (gint k = 0; k < nz; k++)
          s += x[(k * ny + j) * nx + i];
        g_assert_cmpfloat_with_epsilon (img[j * nx + i], s, 1e-5);
      }
}

/* A small Gaussian blob lands where CLI.md says, with all its weight: the
 * centroid of its image is at ⌊n/2⌋ + x·cos θ + z·sin θ + dx, j + dy.  (A
 * single voxel's box footprint binned to pixels has its centroid within
 * ~0.1 pixel of that point; over the voxels of a blob the error averages
 * out.) */
static void
test_voxel_position (void)
{
  const gint nx = 32, ny = 16, nz = 32;
  const gdouble angles[] = { -72.0, -30.0, 0.0, 30.0, 45.0, 64.0 };
  const gdouble shifts[] = { 0.4, 0.0, -1.3, 0.5, 0, 0, 0.75, -0.25, 0, 1.0, -0.6, 0.3 };
  const gint n_img = G_N_ELEMENTS (angles);
  g_autoptr (AetProjector) p = aet_projector_new (nx, ny, nz, n_img, angles, shifts);
  g_autofree gfloat *x = g_new0 (gfloat, nx * ny * nz);
  g_autofree gfloat *img = g_new (gfloat, nx * ny * n_img);
  const gint ox = 3, oy = -2, oz = 5;
  gdouble mass = 0.0;
  for (gint k = 0; k < nz; k++)
    for (gint j = 0; j < ny; j++)
      for (gint i = 0; i < nx; i++)
        {
          const gdouble d2 = pow (i - nx / 2 - ox, 2) + pow (j - ny / 2 - oy, 2)
                             + pow (k - nz / 2 - oz, 2);
          x[(k * ny + j) * nx + i] = (gfloat) exp (-d2 / (2 * 1.3 * 1.3));
          mass += x[(k * ny + j) * nx + i];
        }
  aet_projector_forward (p, x, img, 2);
  for (gint t = 0; t < n_img; t++)
    {
      const gdouble th = angles[t] * G_PI / 180;
      gdouble sw = 0, su = 0, sv = 0;
      for (gint q = 0; q < ny; q++)
        for (gint u = 0; u < nx; u++)
          {
            const gdouble w = img[(t * ny + q) * nx + u];
            sw += w;
            su += w * u;
            sv += w * q;
          }
      g_assert_cmpfloat_with_epsilon (sw, mass, 1e-4 * mass);
      g_assert_cmpfloat_with_epsilon (su / sw, nx / 2 + ox * cos (th) + oz * sin (th)
                                      + shifts[2 * t], 0.01);
      g_assert_cmpfloat_with_epsilon (sv / sw, ny / 2 + oy + shifts[2 * t + 1], 1e-4);
    }
}

/* A uniform slab projects without moiré: the distance-driven footprint
 * tiles the detector. */
static void
test_uniform_slab (void)
{
  const gint nx = 40, ny = 4, nz = 40;
  const gdouble angle = 45.0;
  g_autoptr (AetProjector) p = aet_projector_new (nx, ny, nz, 1, &angle, NULL);
  g_autofree gfloat *x = g_new0 (gfloat, nx * ny * nz);
  g_autofree gfloat *img = g_new (gfloat, nx * ny);
  for (gint k = 0; k < nz; k++)
    for (gint j = 0; j < ny; j++)
      for (gint i = 0; i < nx; i++)
        x[(k * ny + j) * nx + i] = (k >= 15 && k < 25) ? 1.0f : 0.0f;
  aet_projector_forward (p, x, img, 1);
  /* in the middle the path through a 10-voxel slab at 45° is 10·√2 voxels */
  for (gint u = 14; u < 26; u++)
    g_assert_cmpfloat_with_epsilon (img[u], 10.0 * sqrt (2.0), 0.02);
}

static void
test_threads (void)
{
  const gint nx = 30, ny = 14, nz = 26;
  const gint n_img = G_N_ELEMENTS (uneven_angles);
  g_autoptr (AetProjector) p = aet_projector_new (nx, ny, nz, n_img, uneven_angles,
                                                  some_shifts);
  const gsize nv = (gsize) nx * ny * nz, ni = (gsize) nx * ny * n_img;
  g_autofree gfloat *x = g_new (gfloat, nv), *a1 = g_new (gfloat, ni), *a3 = g_new (gfloat, ni);
  g_autofree gfloat *b1 = g_new (gfloat, nv), *b3 = g_new (gfloat, nv);
  fill_random (x, nv, 4);
  aet_projector_forward (p, x, a1, 1);
  aet_projector_forward (p, x, a3, 3);
  g_assert_cmpmem (a1, ni * sizeof (gfloat), a3, ni * sizeof (gfloat));
  aet_projector_back (p, a1, b1, 1);
  aet_projector_back (p, a1, b3, 3);
  g_assert_cmpmem (b1, nv * sizeof (gfloat), b3, nv * sizeof (gfloat));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compute/projector/adjoint", test_adjoint);
  g_test_add_func ("/compute/projector/zero-tilt", test_zero_tilt);
  g_test_add_func ("/compute/projector/voxel-position", test_voxel_position);
  g_test_add_func ("/compute/projector/uniform-slab", test_uniform_slab);
  g_test_add_func ("/compute/projector/threads", test_threads);
  return g_test_run ();
}
