/* aet-camera.h — the viewer's camera: arcball rotation, zoom, pan, views
 * along a direction, projection matrices and picking rays.
 *
 * Orientation is a unit quaternion (no gimbal lock, exact composition), the
 * camera orbits a target point at a distance.  Views "along a direction"
 * take the direction in the volume frame (a lattice axis or the beam z), so
 * the window can offer [100], [110], [111] of the fitted lattice.  Two
 * viewers show the same view by copying state (aet_camera_copy_from).
 * Pixel coordinates follow the window's convention: x to the right, y down,
 * origin at the top-left corner.  Plain data and math (cglm), no GL calls.
 */
#pragma once

#include <glib.h>
#include <cglm/cglm.h>

G_BEGIN_DECLS

typedef enum
{
  AET_PROJECTION_PERSPECTIVE,
  AET_PROJECTION_ORTHOGRAPHIC,
} AetProjection;

typedef struct _AetCamera AetCamera;

/* A camera looking down -z at the origin, perspective, framing a sphere of
 * radius 10 Å.  Caller owns. */
AetCamera *aet_camera_new (void);
void aet_camera_free (AetCamera *camera);

/* Copies the whole state of `source` (for linked viewers). */
void aet_camera_copy_from (AetCamera *camera, const AetCamera *source);

/* Sets what to look at: the target point and a radius (Å) that fits the
 * view; keeps the orientation. */
void aet_camera_frame (AetCamera *camera, const gdouble center[3], gdouble radius);

/* Back to looking down -z (x right, y up) with the framed target and radius. */
void aet_camera_reset (AetCamera *camera);

void aet_camera_set_projection (AetCamera *camera, AetProjection projection);
AetProjection aet_camera_get_projection (const AetCamera *camera);

/* Looks along `direction` (volume frame): the direction points from the
 * target towards the viewer, i.e. it is the out-of-screen axis, so
 * view_along (0,0,1) looks down the beam.  `up` (may be NULL) is the
 * direction to show upwards, made perpendicular; by default y, or z when
 * the direction is close to y.  FALSE for a zero direction. */
gboolean aet_camera_view_along (AetCamera *camera, const gdouble direction[3],
                                const gdouble up[3]);

/* Arcball: press at pixel (x, y) in a width × height view, then drag;
 * each drag sets the rotation from the press point to (x, y) composed
 * with the orientation at the press.  The ball's radius is half the
 * smaller side of the view. */
void aet_camera_arcball_begin (AetCamera *camera, gdouble x, gdouble y, gint width, gint height);
void aet_camera_arcball_drag (AetCamera *camera, gdouble x, gdouble y);

/* Rotates by `angle` radians about `axis` given in eye space (x right,
 * y up, z towards the viewer). */
void aet_camera_rotate_eye (AetCamera *camera, const gdouble axis[3], gdouble angle);

/* Multiplies the distance to the target by `factor` (< 1 zooms in). */
void aet_camera_zoom (AetCamera *camera, gdouble factor);

/* Moves the target so that the scene follows a drag of (dx, dy) pixels. */
void aet_camera_pan (AetCamera *camera, gdouble dx, gdouble dy, gint width, gint height);

/* The world → eye rotation as a quaternion (x, y, z, w). */
void aet_camera_get_orientation (const AetCamera *camera, gdouble q[4]);

/* The camera's position in the volume frame (Å). */
void aet_camera_get_eye (const AetCamera *camera, gdouble eye[3]);

void aet_camera_get_view (const AetCamera *camera, mat4 view);

/* The projection for a view of width × height pixels. */
void aet_camera_get_projection_matrix (const AetCamera *camera, gint width, gint height,
                                       mat4 projection);

/* The projection of the sub-rectangle [x0, x0+tile_width) × [y0,
 * y0+tile_height) (y0 from the bottom, GL convention) of a width × height
 * image: rendering every tile with its matrix and pasting the tiles gives
 * the full image. */
void aet_camera_get_tile_projection (const AetCamera *camera, gint width, gint height,
                                     gint x0, gint y0, gint tile_width, gint tile_height,
                                     mat4 projection);

/* The size (Å) of one pixel at the target's depth in a width × height
 * view; in orthographic views it holds at every depth (scale bars).  The
 * framed sphere fits the smaller side of a view. */
gdouble aet_camera_get_pixel_size (const AetCamera *camera, gint width, gint height);

/* The ray through pixel (x, y) (top-left origin) of a width × height view:
 * origin on the near plane and unit direction, in the volume frame. */
void aet_camera_pixel_ray (const AetCamera *camera, gdouble x, gdouble y, gint width,
                           gint height, gdouble origin[3], gdouble direction[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetCamera, aet_camera_free)

G_END_DECLS
