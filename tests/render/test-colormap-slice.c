/* Colour maps (endpoints, clamping, categories, colour bars) and slices
 * (trilinear sampling on a plane, its mapping, the layer's atoms), plus the
 * CPU picking used by the viewer. */
#include <math.h>

#include "aet-atom-renderer.h"
#include "aet-colormap.h"
#include "aet-error.h"
#include "aet-slice.h"

static void
test_colormap_endpoints (void)
{
  gfloat lo[3], hi[3], mid[3], rgb[3];
  aet_colormap_map (AET_COLORMAP_SEQUENTIAL, 2.0, 2.0, 4.0, lo);
  aet_colormap_map (AET_COLORMAP_SEQUENTIAL, 4.0, 2.0, 4.0, hi);
  g_assert_cmpfloat_with_epsilon (lo[0], 0.267, 1e-3);
  g_assert_cmpfloat_with_epsilon (lo[2], 0.329, 1e-3);
  g_assert_cmpfloat_with_epsilon (hi[0], 0.993, 1e-3);
  g_assert_cmpfloat_with_epsilon (hi[1], 0.906, 1e-3);
  /* clamped outside the range */
  aet_colormap_map (AET_COLORMAP_SEQUENTIAL, -100, 2.0, 4.0, rgb);
  g_assert_cmpmem (rgb, sizeof rgb, lo, sizeof lo);
  aet_colormap_map (AET_COLORMAP_SEQUENTIAL, 100, 2.0, 4.0, rgb);
  g_assert_cmpmem (rgb, sizeof rgb, hi, sizeof hi);
  /* the sequential map brightens monotonically (luma) */
  gdouble prev = -1;
  for (gint i = 0; i <= 100; i++)
    {
      aet_colormap_map (AET_COLORMAP_SEQUENTIAL, i, 0, 100, rgb);
      gdouble luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
      g_assert_cmpfloat (luma, >=, prev - 1e-6);
      prev = luma;
    }

  /* diverging: blue, white at 0, red */
  aet_colormap_map (AET_COLORMAP_DIVERGING, -1, -1, 1, lo);
  aet_colormap_map (AET_COLORMAP_DIVERGING, 0, -1, 1, mid);
  aet_colormap_map (AET_COLORMAP_DIVERGING, 1, -1, 1, hi);
  g_assert_cmpfloat (lo[2], >, lo[0] + 0.3);
  g_assert_cmpfloat (hi[0], >, hi[2] + 0.3);
  for (guint c = 0; c < 3; c++)
    g_assert_cmpfloat (mid[c], >, 0.95);

  aet_colormap_map (AET_COLORMAP_GREY, 0, 0, 1, lo);
  aet_colormap_map (AET_COLORMAP_GREY, 1, 0, 1, hi);
  g_assert_cmpfloat (lo[0], ==, 0);
  g_assert_cmpfloat (hi[1], ==, 1);

  /* NaN is neutral */
  aet_colormap_map (AET_COLORMAP_SEQUENTIAL, NAN, 0, 1, rgb);
  g_assert_cmpfloat (rgb[0], ==, rgb[1]);

  /* categories are distinct and cycle; negative is grey */
  guint n = aet_colormap_n_categories ();
  g_assert_cmpuint (n, >=, 8);
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        gfloat a[3], b[3];
        aet_colormap_category ((gint) i, a);
        aet_colormap_category ((gint) j, b);
        g_assert_cmpfloat (fabs (a[0] - b[0]) + fabs (a[1] - b[1]) + fabs (a[2] - b[2]), >,
                           0.15);
      }
  gfloat a[3], b[3];
  aet_colormap_category (1, a);
  aet_colormap_map (AET_COLORMAP_QUALITATIVE, 1 + n, 0, 0, b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  aet_colormap_category (-1, a);
  g_assert_cmpfloat (a[0], ==, a[2]);

  aet_colormap_element (79, a);  /* gold is yellow */
  g_assert_cmpfloat (a[0], >, a[2] + 0.5);
}

static void
test_colorbar (void)
{
  g_autofree guint8 *h = aet_colormap_bar_image (AET_COLORMAP_DIVERGING, 64, 8, TRUE);
  gfloat lo[3], hi[3];
  aet_colormap_map (AET_COLORMAP_DIVERGING, 0, 0, 1, lo);
  aet_colormap_map (AET_COLORMAP_DIVERGING, 1, 0, 1, hi);
  for (gint y = 0; y < 8; y++)
    {
      const guint8 *left = h + 4 * (y * 64), *right = h + 4 * (y * 64 + 63);
      for (guint c = 0; c < 3; c++)
        {
          g_assert_cmpint (abs (left[c] - (gint) lrintf (lo[c] * 255)), <=, 1);
          g_assert_cmpint (abs (right[c] - (gint) lrintf (hi[c] * 255)), <=, 1);
        }
      g_assert_cmpuint (left[3], ==, 255);
    }
  /* vertical: low at the bottom */
  g_autofree guint8 *v = aet_colormap_bar_image (AET_COLORMAP_GREY, 4, 32, FALSE);
  g_assert_cmpuint (v[4 * (31 * 4)], ==, 0);
  g_assert_cmpuint (v[0], ==, 255);
}

static void
test_slice_sampling (void)
{
  /* f(x, y, z) = x + 2y − z in Å is reproduced exactly by trilinear
   * interpolation */
  g_autoptr (AetVolume) vol = aet_volume_new (20, 24, 16, 0.5);
  vol->origin[0] = 1;
  vol->origin[1] = 2;
  vol->origin[2] = 3;
  for (gint k = 0; k < 16; k++)
    for (gint j = 0; j < 24; j++)
      for (gint i = 0; i < 20; i++)
        vol->data[aet_volume_index (vol, i, j, k)] =
          (gfloat) ((1 + 0.5 * i) + 2 * (2 + 0.5 * j) - (3 + 0.5 * k));

  const gdouble dirs[][3] = { { 0, 0, 1 }, { 1, 1, 1 }, { 1, -1, 0 } };
  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (AetSlice) s = aet_slice_sample (vol, dirs[d], 0.8, 0.3, &error);
      g_assert_no_error (error);
      g_assert_cmpint (s->width, >, 10);
      g_assert_cmpint (s->height, >, 10);
      /* u, v, n orthonormal */
      gdouble uv = 0, un = 0, vn = 0;
      for (guint a = 0; a < 3; a++)
        {
          uv += s->u[a] * s->v[a];
          un += s->u[a] * s->normal[a];
          vn += s->v[a] * s->normal[a];
        }
      g_assert_cmpfloat (fabs (uv) + fabs (un) + fabs (vn), <, 1e-9);
      guint finite = 0;
      for (gint b = 0; b < s->height; b++)
        for (gint a = 0; a < s->width; a++)
          {
            gfloat val = s->data[(gsize) b * s->width + a];
            if (!isfinite (val))
              continue;
            finite++;
            gdouble p[3];
            for (guint c = 0; c < 3; c++)
              p[c] = s->origin[c] + s->pixel_size * (a * s->u[c] + b * s->v[c]);
            g_assert_cmpfloat_with_epsilon (val, p[0] + 2 * p[1] - p[2], 1e-3);
            /* on the plane: offset 0.8 Å from the volume centre */
            gdouble centre_d = 0;
            gdouble centre[3] = { 1 + 0.25 * 19, 2 + 0.25 * 23, 3 + 0.25 * 15 };
            gdouble nn = sqrt (dirs[d][0] * dirs[d][0] + dirs[d][1] * dirs[d][1]
                               + dirs[d][2] * dirs[d][2]);
            for (guint c = 0; c < 3; c++)
              centre_d += (p[c] - centre[c]) * dirs[d][c] / nn;
            g_assert_cmpfloat_with_epsilon (centre_d, 0.8, 1e-6);
          }
      g_assert_cmpuint (finite, >, 100);
      g_assert_cmpfloat (s->max, >, s->min);
    }
  /* along z the image axes are x and y */
  g_autoptr (AetSlice) z = aet_slice_sample (vol, dirs[0], 0, 0, NULL);
  g_assert_cmpfloat (z->u[0], ==, 1);
  g_assert_cmpfloat (z->v[1], ==, 1);
  g_assert_cmpint (z->width, ==, 20);
  g_assert_cmpint (z->height, ==, 24);

  g_autoptr (GError) error = NULL;
  const gdouble zero[3] = { 0, 0, 0 };
  g_assert_null (aet_slice_sample (vol, zero, 0, 1, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (aet_slice_sample (vol, dirs[0], 0, 1e-4, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_slice_layer_atoms (void)
{
  g_autoptr (AetVolume) vol = aet_volume_new (21, 21, 21, 1.0);
  g_autoptr (AetSlice) s = aet_slice_sample (vol, (gdouble[3]) { 0, 0, 1 }, 0, 1.0, NULL);
  g_autoptr (AetAtoms) atoms = aet_atoms_new (3);
  aet_atoms_append (atoms, 78, 3, 4, 10.2);  /* in the layer */
  aet_atoms_append (atoms, 78, 5, 5, 12);    /* 2 Å away */
  aet_atoms_append (atoms, 78, 7, 1, 9.5);   /* in the layer */
  g_autoptr (GArray) idx = NULL;
  g_autoptr (GArray) uv = aet_slice_layer_atoms (s, atoms, 1.0, &idx);
  g_assert_cmpuint (idx->len, ==, 2);
  g_assert_cmpuint (g_array_index (idx, guint, 0), ==, 0);
  g_assert_cmpuint (g_array_index (idx, guint, 1), ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (uv, gdouble, 0), 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (uv, gdouble, 1), 4, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (uv, gdouble, 2), 7, 1e-9);
}

static void
test_pick (void)
{
  const gfloat centers[] = { 0, 0, 0, 0, 0, -5, 3, 0, 0 };
  const gfloat radii[] = { 1, 2, 1 };
  const gdouble origin[3] = { 0, 0, 10 }, down[3] = { 0, 0, -1 };
  g_assert_cmpint (aet_atom_pick (3, centers, radii, 1.0f, origin, down), ==, 0);
  const gdouble side[3] = { 1.5, 0, 10 };
  /* misses atom 0 (radius 1) but hits atom 1 (radius 2) behind it */
  g_assert_cmpint (aet_atom_pick (3, centers, radii, 1.0f, side, down), ==, 1);
  const gdouble right[3] = { 3.2, 0, 10 };
  g_assert_cmpint (aet_atom_pick (3, centers, radii, 1.0f, right, down), ==, 2);
  const gdouble away[3] = { 9, 9, 10 };
  g_assert_cmpint (aet_atom_pick (3, centers, radii, 1.0f, away, down), ==, -1);
  const gdouble up[3] = { 0, 0, 1 };
  g_assert_cmpint (aet_atom_pick (3, centers, radii, 1.0f, origin, up), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/colormap/endpoints", test_colormap_endpoints);
  g_test_add_func ("/render/colormap/colorbar", test_colorbar);
  g_test_add_func ("/render/slice/sampling", test_slice_sampling);
  g_test_add_func ("/render/slice/layer-atoms", test_slice_layer_atoms);
  g_test_add_func ("/render/pick/ray-sphere", test_pick);
  return g_test_run ();
}
