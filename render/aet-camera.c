#define G_LOG_DOMAIN "aet-camera"

#include "aet-camera.h"

#include <math.h>

struct _AetCamera
{
  versor orientation;  /* world → eye */
  vec3 target;
  gdouble distance;
  gdouble radius;      /* of what is framed, sets near/far */
  vec3 frame_center;
  gdouble frame_radius;
  gdouble fov_y;       /* radians, perspective */
  AetProjection projection;

  /* arcball drag state */
  versor press_orientation;
  vec3 press_point;
  gdouble ball_cx, ball_cy, ball_r;
};

static void
update_distance_for_radius (AetCamera *c)
{
  c->distance = c->radius / sin (c->fov_y / 2) * 1.05;
}

AetCamera *
aet_camera_new (void)
{
  AetCamera *c = g_new0 (AetCamera, 1);
  c->fov_y = glm_rad (30.0f);
  c->projection = AET_PROJECTION_PERSPECTIVE;
  c->frame_radius = 10.0;
  aet_camera_reset (c);
  return c;
}

void
aet_camera_free (AetCamera *camera)
{
  g_free (camera);
}

void
aet_camera_copy_from (AetCamera *camera, const AetCamera *source)
{
  g_return_if_fail (camera != NULL && source != NULL);
  *camera = *source;
}

void
aet_camera_frame (AetCamera *camera, const gdouble center[3], gdouble radius)
{
  g_return_if_fail (camera != NULL && center != NULL);
  if (!(radius > 0) || !isfinite (radius))
    radius = 10.0;
  for (guint a = 0; a < 3; a++)
    camera->frame_center[a] = camera->target[a] = (gfloat) center[a];
  camera->frame_radius = camera->radius = radius;
  update_distance_for_radius (camera);
}

void
aet_camera_reset (AetCamera *camera)
{
  g_return_if_fail (camera != NULL);
  glm_quat_identity (camera->orientation);
  glm_vec3_copy (camera->frame_center, camera->target);
  camera->radius = camera->frame_radius;
  update_distance_for_radius (camera);
}

void
aet_camera_set_projection (AetCamera *camera, AetProjection projection)
{
  g_return_if_fail (camera != NULL);
  camera->projection = projection;
}

AetProjection
aet_camera_get_projection (const AetCamera *camera)
{
  return camera->projection;
}

gboolean
aet_camera_view_along (AetCamera *camera, const gdouble direction[3], const gdouble up[3])
{
  g_return_val_if_fail (camera != NULL && direction != NULL, FALSE);

  vec3 z = { (gfloat) direction[0], (gfloat) direction[1], (gfloat) direction[2] };
  if (!(glm_vec3_norm (z) > 1e-9f))
    return FALSE;
  glm_vec3_normalize (z);
  vec3 u = { 0, 1, 0 };
  if (up != NULL)
    {
      u[0] = (gfloat) up[0];
      u[1] = (gfloat) up[1];
      u[2] = (gfloat) up[2];
    }
  vec3 x;
  glm_vec3_cross (u, z, x);
  if (glm_vec3_norm (x) < 1e-4f)
    {
      vec3 alt = { 0, 0, 1 };
      if (fabsf (z[2]) > 0.9f)
        glm_vec3_copy ((vec3) { 0, 1, 0 }, alt);
      glm_vec3_cross (alt, z, x);
    }
  glm_vec3_normalize (x);
  vec3 y;
  glm_vec3_cross (z, x, y);

  /* rows of the world → eye rotation are the eye axes in world coordinates */
  mat3 r;
  for (guint i = 0; i < 3; i++)
    {
      r[i][0] = x[i];
      r[i][1] = y[i];
      r[i][2] = z[i];
    }
  glm_mat3_quat (r, camera->orientation);
  glm_quat_normalize (camera->orientation);
  return TRUE;
}

static void
ball_point (const AetCamera *c, gdouble x, gdouble y, vec3 p)
{
  gdouble px = (x - c->ball_cx) / c->ball_r;
  gdouble py = -(y - c->ball_cy) / c->ball_r;
  gdouble d2 = px * px + py * py;
  if (d2 <= 1.0)
    {
      p[0] = (gfloat) px;
      p[1] = (gfloat) py;
      p[2] = (gfloat) sqrt (1.0 - d2);
    }
  else
    {
      gdouble d = sqrt (d2);
      p[0] = (gfloat) (px / d);
      p[1] = (gfloat) (py / d);
      p[2] = 0;
    }
}

void
aet_camera_arcball_begin (AetCamera *camera, gdouble x, gdouble y, gint width, gint height)
{
  g_return_if_fail (camera != NULL);
  camera->ball_cx = 0.5 * width;
  camera->ball_cy = 0.5 * height;
  camera->ball_r = MAX (0.5 * MIN (width, height), 1.0);
  glm_quat_copy (camera->orientation, camera->press_orientation);
  ball_point (camera, x, y, camera->press_point);
}

void
aet_camera_arcball_drag (AetCamera *camera, gdouble x, gdouble y)
{
  g_return_if_fail (camera != NULL);
  vec3 p;
  ball_point (camera, x, y, p);
  vec3 axis;
  glm_vec3_cross (camera->press_point, p, axis);
  gfloat s = glm_vec3_norm (axis);
  gfloat c = glm_vec3_dot (camera->press_point, p);
  if (s < 1e-7f)
    {
      glm_quat_copy (camera->press_orientation, camera->orientation);
      return;
    }
  versor dq;
  glm_quatv (dq, atan2f (s, c), axis);
  glm_quat_mul (dq, camera->press_orientation, camera->orientation);
  glm_quat_normalize (camera->orientation);
}

void
aet_camera_rotate_eye (AetCamera *camera, const gdouble axis[3], gdouble angle)
{
  g_return_if_fail (camera != NULL && axis != NULL);
  vec3 a = { (gfloat) axis[0], (gfloat) axis[1], (gfloat) axis[2] };
  if (!(glm_vec3_norm (a) > 1e-9f))
    return;
  versor dq, out;
  glm_quatv (dq, (gfloat) angle, a);
  glm_quat_mul (dq, camera->orientation, out);
  glm_quat_normalize_to (out, camera->orientation);
}

void
aet_camera_zoom (AetCamera *camera, gdouble factor)
{
  g_return_if_fail (camera != NULL);
  if (!(factor > 0) || !isfinite (factor))
    return;
  camera->distance = CLAMP (camera->distance * factor, camera->radius * 0.05,
                            camera->radius * 200.0);
}

/* Half the height of the view at the target's depth (Å). */
static gdouble
half_height_at_target (const AetCamera *c)
{
  return c->distance * tan (c->fov_y / 2);
}

/* Half the height of a width × height view at the target's depth (Å):
 * the framed sphere fits the smaller of the two sides, so a narrow view
 * (a pane of a side-by-side) shows more height instead of cutting the
 * particle at its sides. */
static gdouble
view_half_height (const AetCamera *c, gint width, gint height)
{
  gdouble aspect = (gdouble) MAX (width, 1) / MAX (height, 1);
  return half_height_at_target (c) / MIN (aspect, 1.0);
}

gdouble
aet_camera_get_pixel_size (const AetCamera *camera, gint width, gint height)
{
  g_return_val_if_fail (camera != NULL && width > 0 && height > 0, 0);
  return 2 * view_half_height (camera, width, height) / height;
}

void
aet_camera_pan (AetCamera *camera, gdouble dx, gdouble dy, gint width, gint height)
{
  g_return_if_fail (camera != NULL);
  if (height <= 0)
    return;
  gdouble per_pixel = 2 * view_half_height (camera, width, height) / height;
  vec3 eye_shift = { (gfloat) (-dx * per_pixel), (gfloat) (dy * per_pixel), 0 };
  versor inv;
  glm_quat_inv (camera->orientation, inv);
  vec3 world;
  glm_quat_rotatev (inv, eye_shift, world);
  glm_vec3_add (camera->target, world, camera->target);
}

void
aet_camera_get_orientation (const AetCamera *camera, gdouble q[4])
{
  for (guint i = 0; i < 4; i++)
    q[i] = camera->orientation[i];
}

void
aet_camera_get_eye (const AetCamera *camera, gdouble eye[3])
{
  versor inv;
  glm_quat_inv ((gfloat *) camera->orientation, inv);
  vec3 back = { 0, 0, (gfloat) camera->distance }, w;
  glm_quat_rotatev (inv, back, w);
  for (guint a = 0; a < 3; a++)
    eye[a] = camera->target[a] + w[a];
}

void
aet_camera_get_view (const AetCamera *camera, mat4 view)
{
  mat4 rot, t;
  glm_quat_mat4 ((gfloat *) camera->orientation, rot);
  glm_translate_make (t, (vec3) { -camera->target[0], -camera->target[1], -camera->target[2] });
  glm_mat4_mul (rot, t, view);
  mat4 back;
  glm_translate_make (back, (vec3) { 0, 0, (gfloat) -camera->distance });
  glm_mat4_mul (back, view, view);
}

void
aet_camera_get_projection_matrix (const AetCamera *camera, gint width, gint height,
                                  mat4 projection)
{
  gfloat aspect = (gfloat) MAX (width, 1) / (gfloat) MAX (height, 1);
  gdouble r = camera->radius;
  gfloat near_z = (gfloat) MAX (camera->distance - 1.6 * r, camera->distance * 0.02);
  gfloat far_z = (gfloat) (camera->distance + 1.6 * r);
  if (camera->projection == AET_PROJECTION_ORTHOGRAPHIC)
    {
      gfloat h = (gfloat) view_half_height (camera, width, height);
      glm_ortho (-h * aspect, h * aspect, -h, h, near_z, far_z, projection);
    }
  else
    {
      /* a narrow view widens its vertical angle so the width holds the
       * framed angle */
      gdouble fov = camera->fov_y;
      if (aspect < 1)
        fov = 2 * atan (tan (fov / 2) / aspect);
      glm_perspective ((gfloat) fov, aspect, near_z, far_z, projection);
    }
}

void
aet_camera_get_tile_projection (const AetCamera *camera, gint width, gint height, gint x0,
                                gint y0, gint tile_width, gint tile_height, mat4 projection)
{
  mat4 full;
  aet_camera_get_projection_matrix (camera, width, height, full);
  /* NDC of the full image → NDC of the tile, applied in clip space:
   * x' = x·W/tw + (W − 2·x0 − tw)/tw (times w, so it commutes with the
   * perspective divide). */
  mat4 s;
  glm_mat4_identity (s);
  s[0][0] = (gfloat) width / tile_width;
  s[1][1] = (gfloat) height / tile_height;
  s[3][0] = (gfloat) (width - 2.0 * x0 - tile_width) / tile_width;
  s[3][1] = (gfloat) (height - 2.0 * y0 - tile_height) / tile_height;
  /* s[3][*] multiplies w; for a column-major mat4 the w-column entry of
   * row x is s[3][0] */
  glm_mat4_mul (s, full, projection);
}

void
aet_camera_pixel_ray (const AetCamera *camera, gdouble x, gdouble y, gint width, gint height,
                      gdouble origin[3], gdouble direction[3])
{
  mat4 view, proj, vp, inv;
  aet_camera_get_view (camera, view);
  aet_camera_get_projection_matrix (camera, width, height, proj);
  glm_mat4_mul (proj, view, vp);
  glm_mat4_inv (vp, inv);
  gfloat nx = (gfloat) (2.0 * x / MAX (width, 1) - 1.0);
  gfloat ny = (gfloat) (1.0 - 2.0 * y / MAX (height, 1));
  vec4 a = { nx, ny, -1, 1 }, b = { nx, ny, 1, 1 }, wa, wb;
  glm_mat4_mulv (inv, a, wa);
  glm_mat4_mulv (inv, b, wb);
  gdouble d[3], len = 0;
  for (guint i = 0; i < 3; i++)
    {
      origin[i] = wa[i] / wa[3];
      d[i] = wb[i] / wb[3] - origin[i];
      len += d[i] * d[i];
    }
  len = sqrt (len);
  for (guint i = 0; i < 3; i++)
    direction[i] = len > 0 ? d[i] / len : 0;
}
