/* Camera math: views along a direction, arcball angles, pan, zoom, rays,
 * tile projections. */
#include <math.h>

#include "aet-camera.h"

static void
eye_dir (const AetCamera *c, const gdouble world[3], gdouble out[3])
{
  mat4 view;
  aet_camera_get_view (c, view);
  vec4 d = { (gfloat) world[0], (gfloat) world[1], (gfloat) world[2], 0 }, e;
  glm_mat4_mulv (view, d, e);
  for (guint i = 0; i < 3; i++)
    out[i] = e[i];
}

static void
test_view_along (void)
{
  g_autoptr (AetCamera) c = aet_camera_new ();
  const gdouble center[3] = { 10, 20, 30 };
  aet_camera_frame (c, center, 25);
  const gdouble dirs[][3] = { { 1, 1, 1 }, { 1, 1, 0 }, { 1, 0, 0 }, { 0, 0, 1 }, { 0, 1, 0 },
                              { 0, 0, -1 }, { -2, 1, 5 } };
  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_assert_true (aet_camera_view_along (c, dirs[d], NULL));
      gdouble n = sqrt (dirs[d][0] * dirs[d][0] + dirs[d][1] * dirs[d][1]
                        + dirs[d][2] * dirs[d][2]);
      gdouble unit[3] = { dirs[d][0] / n, dirs[d][1] / n, dirs[d][2] / n }, e[3];
      /* the direction is the out-of-screen axis */
      eye_dir (c, unit, e);
      g_assert_cmpfloat_with_epsilon (e[0], 0, 1e-5);
      g_assert_cmpfloat_with_epsilon (e[1], 0, 1e-5);
      g_assert_cmpfloat_with_epsilon (e[2], 1, 1e-5);
      /* the eye sits on the axis through the target */
      gdouble eye[3], v[3], len = 0;
      aet_camera_get_eye (c, eye);
      for (guint a = 0; a < 3; a++)
        {
          v[a] = eye[a] - center[a];
          len += v[a] * v[a];
        }
      len = sqrt (len);
      for (guint a = 0; a < 3; a++)
        g_assert_cmpfloat_with_epsilon (v[a] / len, unit[a], 1e-4);
    }
  /* along z the image has x to the right and y up */
  const gdouble z[3] = { 0, 0, 1 }, x[3] = { 1, 0, 0 }, y[3] = { 0, 1, 0 };
  aet_camera_view_along (c, z, NULL);
  gdouble e[3];
  eye_dir (c, x, e);
  g_assert_cmpfloat_with_epsilon (e[0], 1, 1e-6);
  eye_dir (c, y, e);
  g_assert_cmpfloat_with_epsilon (e[1], 1, 1e-6);
  /* a given up direction is shown up */
  const gdouble up[3] = { 0, 0, 1 };
  aet_camera_view_along (c, x, up);
  eye_dir (c, up, e);
  g_assert_cmpfloat_with_epsilon (e[1], 1, 1e-6);
  const gdouble zero[3] = { 0, 0, 0 };
  g_assert_false (aet_camera_view_along (c, zero, NULL));
}

static gdouble
relative_angle (const gdouble q0[4], const gdouble q1[4], gdouble axis[3])
{
  versor a = { (gfloat) q0[0], (gfloat) q0[1], (gfloat) q0[2], (gfloat) q0[3] };
  versor b = { (gfloat) q1[0], (gfloat) q1[1], (gfloat) q1[2], (gfloat) q1[3] }, inv, d;
  glm_quat_inv (a, inv);
  glm_quat_mul (b, inv, d);
  vec3 ax;
  glm_quat_axis (d, ax);
  for (guint i = 0; i < 3; i++)
    axis[i] = ax[i];
  gdouble angle = 2 * acos (CLAMP (fabs (d[3]), 0.0, 1.0));
  if (d[3] < 0)
    for (guint i = 0; i < 3; i++)
      axis[i] = -axis[i];
  return angle;
}

static void
test_arcball (void)
{
  g_autoptr (AetCamera) c = aet_camera_new ();
  const gdouble start_dir[3] = { 1, 2, 3 };
  aet_camera_view_along (c, start_dir, NULL);
  gdouble q0[4], q1[4], axis[3];
  aet_camera_get_orientation (c, q0);

  /* 400×300 view: ball radius 150; a drag from the centre by 75 pixels to
   * the right reaches the ball point at 30° from the view axis */
  aet_camera_arcball_begin (c, 200, 150, 400, 300);
  aet_camera_arcball_drag (c, 275, 150);
  aet_camera_get_orientation (c, q1);
  gdouble angle = relative_angle (q0, q1, axis);
  g_assert_cmpfloat_with_epsilon (angle, G_PI / 6, 1e-4);
  /* about the eye's y axis, turning the front of the scene to the right */
  g_assert_cmpfloat_with_epsilon (axis[1], 1, 1e-4);

  /* dragging further replaces (does not accumulate) the drag rotation, and
   * going back to the press point restores the orientation */
  aet_camera_arcball_drag (c, 200, 150 - 150 * sin (G_PI / 4));
  aet_camera_get_orientation (c, q1);
  angle = relative_angle (q0, q1, axis);
  g_assert_cmpfloat_with_epsilon (angle, G_PI / 4, 1e-4);
  g_assert_cmpfloat_with_epsilon (axis[0], -1, 1e-4);
  aet_camera_arcball_drag (c, 200, 150);
  aet_camera_get_orientation (c, q1);
  g_assert_cmpfloat_with_epsilon (relative_angle (q0, q1, axis), 0, 1e-3);
}

static void
project (const AetCamera *c, const gdouble p[3], gint w, gint h, gdouble px[2])
{
  mat4 view, proj, vp;
  aet_camera_get_view (c, view);
  aet_camera_get_projection_matrix (c, w, h, proj);
  glm_mat4_mul (proj, view, vp);
  vec4 in = { (gfloat) p[0], (gfloat) p[1], (gfloat) p[2], 1 }, out;
  glm_mat4_mulv (vp, in, out);
  px[0] = (out[0] / out[3] * 0.5 + 0.5) * w;
  px[1] = (0.5 - out[1] / out[3] * 0.5) * h;
}

static void
test_pan_zoom_ray (void)
{
  for (guint mode = 0; mode < 2; mode++)
    {
      g_autoptr (AetCamera) c = aet_camera_new ();
      aet_camera_set_projection (c, mode ? AET_PROJECTION_ORTHOGRAPHIC
                                         : AET_PROJECTION_PERSPECTIVE);
      const gdouble center[3] = { 5, -5, 2 };
      aet_camera_frame (c, center, 30);
      aet_camera_rotate_eye (c, (gdouble[3]) { 0.3, 1, 0.2 }, 0.7);
      gdouble before[2], after[2];
      project (c, center, 640, 480, before);
      g_assert_cmpfloat_with_epsilon (before[0], 320, 1e-3);
      g_assert_cmpfloat_with_epsilon (before[1], 240, 1e-3);
      aet_camera_pan (c, 40, -25, 640, 480);
      project (c, center, 640, 480, after);
      g_assert_cmpfloat_with_epsilon (after[0] - before[0], 40, 1e-2);
      g_assert_cmpfloat_with_epsilon (after[1] - before[1], -25, 1e-2);

      /* zooming in magnifies about the view centre */
      const gdouble off[3] = { 8, -5, 2 };
      gdouble p0[2], p1[2], c0[2];
      project (c, off, 640, 480, p0);
      project (c, center, 640, 480, c0);
      aet_camera_zoom (c, 0.5);
      project (c, off, 640, 480, p1);
      gdouble d0 = hypot (p0[0] - 320, p0[1] - 240), d1 = hypot (p1[0] - 320, p1[1] - 240);
      g_assert_cmpfloat (d1, >, 1.5 * d0);

      /* the ray through a point's pixel passes through the point */
      gdouble px[2], o[3], dir[3];
      project (c, off, 640, 480, px);
      aet_camera_pixel_ray (c, px[0], px[1], 640, 480, o, dir);
      gdouble t = 0, dist2 = 0;
      for (guint a = 0; a < 3; a++)
        t += (off[a] - o[a]) * dir[a];
      for (guint a = 0; a < 3; a++)
        dist2 += pow (o[a] + t * dir[a] - off[a], 2);
      g_assert_cmpfloat (sqrt (dist2), <, 1e-3);
      g_assert_cmpfloat (t, >, 0);

      /* reset brings back the framed view along z */
      aet_camera_reset (c);
      gdouble q[4];
      aet_camera_get_orientation (c, q);
      g_assert_cmpfloat_with_epsilon (fabs (q[3]), 1, 1e-6);
      project (c, center, 640, 480, px);
      g_assert_cmpfloat_with_epsilon (px[0], 320, 1e-3);
    }
}

/* A tile's projection puts a point at its full-image pixel minus the
 * tile's offset. */
static void
test_tile_projection (void)
{
  g_autoptr (AetCamera) c = aet_camera_new ();
  const gdouble center[3] = { 0, 0, 0 };
  aet_camera_frame (c, center, 10);
  aet_camera_rotate_eye (c, (gdouble[3]) { 1, 0, 0 }, 0.4);
  const gdouble p[3] = { 3, -2, 4 };
  gint w = 1000, h = 700;
  gdouble full[2];
  project (c, p, w, h, full);
  gdouble gl_y = h - full[1];
  /* the 300 × 200 tile (clipped at the image's edge) holding the point */
  gint tw = 300, th = 200;
  gint x0 = (gint) (full[0] / tw) * tw, y0 = (gint) (gl_y / th) * th;
  g_assert_cmpint (x0, >, 0);
  tw = MIN (tw, w - x0);
  th = MIN (th, h - y0);
  mat4 view, proj, vp;
  aet_camera_get_view (c, view);
  aet_camera_get_tile_projection (c, w, h, x0, y0, tw, th, proj);
  glm_mat4_mul (proj, view, vp);
  vec4 in = { 3, -2, 4, 1 }, out;
  glm_mat4_mulv (vp, in, out);
  gdouble tx = (out[0] / out[3] * 0.5 + 0.5) * tw;
  gdouble ty = (out[1] / out[3] * 0.5 + 0.5) * th;
  g_assert_cmpfloat_with_epsilon (tx, full[0] - x0, 1e-2);
  g_assert_cmpfloat_with_epsilon (ty, gl_y - y0, 1e-2);
}

static void
test_copy (void)
{
  g_autoptr (AetCamera) a = aet_camera_new ();
  g_autoptr (AetCamera) b = aet_camera_new ();
  aet_camera_view_along (a, (gdouble[3]) { 1, 1, 0 }, NULL);
  aet_camera_zoom (a, 0.7);
  aet_camera_set_projection (a, AET_PROJECTION_ORTHOGRAPHIC);
  aet_camera_copy_from (b, a);
  mat4 va, vb, pa, pb;
  aet_camera_get_view (a, va);
  aet_camera_get_view (b, vb);
  aet_camera_get_projection_matrix (a, 300, 200, pa);
  aet_camera_get_projection_matrix (b, 300, 200, pb);
  g_assert_cmpmem (va, sizeof va, vb, sizeof vb);
  g_assert_cmpmem (pa, sizeof pa, pb, sizeof pb);
  g_assert_cmpint (aet_camera_get_projection (b), ==, AET_PROJECTION_ORTHOGRAPHIC);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/camera/view-along", test_view_along);
  g_test_add_func ("/render/camera/arcball", test_arcball);
  g_test_add_func ("/render/camera/pan-zoom-ray", test_pan_zoom_ray);
  g_test_add_func ("/render/camera/tile-projection", test_tile_projection);
  g_test_add_func ("/render/camera/copy", test_copy);
  return g_test_run ();
}
