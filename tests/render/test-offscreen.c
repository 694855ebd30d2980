/* Offscreen rendering through an EGL surfaceless context: pixels of a small
 * scene with atoms at known positions, depth order, tiles, PNG output. */
#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-gl.h"
#include "aet-offscreen.h"
#include "aet-scene.h"

static AetOffscreenContext *context;

#define W 200
#define H 160

static const guint8 *
pixel (const guint8 *img, gint width, gint x, gint y)
{
  return img + 4 * ((gsize) y * width + x);
}

static gboolean
close_to (const guint8 *p, const gfloat rgb[3], gint tol)
{
  for (guint c = 0; c < 3; c++)
    if (abs ((gint) p[c] - (gint) lrintf (rgb[c] * 255)) > tol)
      return FALSE;
  return TRUE;
}

/* Three atoms on the x axis at z = 0, a fourth behind the first (z = -6,
 * hidden by it in a view down -z) with another colour, an orthographic
 * camera looking down -z framing x ∈ [-20, 20]. */
static AetScene *
make_scene (AetCamera **camera_out, AetAtoms **atoms_out)
{
  AetAtoms *atoms = aet_atoms_new (4);
  aet_atoms_append (atoms, 79, -10, 0, 0);
  aet_atoms_append (atoms, 79, 0, 0, 0);
  aet_atoms_append (atoms, 79, 10, 5, 0);
  aet_atoms_append (atoms, 79, -10, 0, -6);
  gfloat *facet = aet_atoms_ensure_column (atoms, "facet");
  facet[0] = 0;
  facet[1] = 1;
  facet[2] = 2;
  facet[3] = 3;
  AetScene *scene = aet_scene_new ();
  aet_scene_set_atoms (scene, atoms);
  aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_CATEGORY, "facet");
  aet_scene_set_atom_radius (scene, 3.0);

  AetCamera *camera = aet_camera_new ();
  const gdouble center[3] = { 0, 0, 0 };
  aet_camera_frame (camera, center, 20.0);
  aet_camera_set_projection (camera, AET_PROJECTION_ORTHOGRAPHIC);
  *camera_out = camera;
  *atoms_out = atoms;
  return scene;
}

/* The pixel (x, y), top-left origin, where a point of the volume frame
 * appears. */
static void
project (const AetCamera *camera, const gdouble p[3], gint width, gint height, gint *x, gint *y)
{
  mat4 view, proj, vp;
  aet_camera_get_view (camera, view);
  aet_camera_get_projection_matrix (camera, width, height, proj);
  glm_mat4_mul (proj, view, vp);
  vec4 in = { (gfloat) p[0], (gfloat) p[1], (gfloat) p[2], 1 }, out;
  glm_mat4_mulv (vp, in, out);
  *x = (gint) floor ((out[0] / out[3] * 0.5 + 0.5) * width);
  *y = (gint) floor ((0.5 - out[1] / out[3] * 0.5) * height);
}

static void
test_context (void)
{
  const char *renderer = aet_offscreen_context_get_renderer (context);
  g_test_message ("renderer: %s", renderer);
  g_assert_nonnull (renderer);
  GLint major = 0, minor = 0;
  glGetIntegerv (GL_MAJOR_VERSION, &major);
  glGetIntegerv (GL_MINOR_VERSION, &minor);
  g_assert_cmpint (major * 10 + minor, >=, 33);
}

static void
test_atoms_pixels (void)
{
  AetCamera *camera;
  AetAtoms *atoms;
  AetScene *scene = make_scene (&camera, &atoms);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_scene_realize (scene, &error));
  g_assert_no_error (error);

  g_autofree guint8 *img = aet_offscreen_render (scene, camera, W, H, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (img);

  /* not blank, and each front atom's centre pixel has its colour lit by
   * the head-on part of the shading (within the lighting's range) */
  guint non_white = 0;
  for (gsize i = 0; i < (gsize) W * H; i++)
    if (img[4 * i] < 250 || img[4 * i + 1] < 250 || img[4 * i + 2] < 250)
      non_white++;
  g_assert_cmpuint (non_white, >, 500);

  for (guint a = 0; a < 3; a++)
    {
      gint x, y;
      project (camera, atoms->positions + 3 * a, W, H, &x, &y);
      const guint8 *p = pixel (img, W, x, y);
      gfloat rgb[3];
      aet_colormap_category ((gint) a, rgb);
      /* the centre faces the viewer: diffuse ≈ 0.28 + 0.72·(l·z) of the
       * colour plus a little specular; compare hue by ratios instead */
      gfloat lit = 0.28f + 0.72f * 0.8111f;
      gfloat expected[3] = { rgb[0] * lit, rgb[1] * lit, rgb[2] * lit };
      g_test_message ("atom %u at (%d,%d): %u %u %u, expected ≈ %.0f %.0f %.0f", a, x, y, p[0],
                      p[1], p[2], expected[0] * 255, expected[1] * 255, expected[2] * 255);
      g_assert_true (close_to (p, expected, 30));
      g_assert_cmpuint (p[3], ==, 255);
    }

  /* the hidden atom (index 3, behind atom 0) does not show through: the
   * pixel at atom 0 has atom 0's colour, not atom 3's */
  {
    gint x, y;
    project (camera, atoms->positions, W, H, &x, &y);
    gfloat rgb3[3];
    aet_colormap_category (3, rgb3);
    const guint8 *p = pixel (img, W, x, y);
    g_assert_false (close_to (p, rgb3, 40));
  }

  /* background elsewhere: corners and a point between atoms */
  const guint8 *corner = pixel (img, W, 2, 2);
  g_assert_cmpuint (corner[0], ==, 255);
  g_assert_cmpuint (corner[1], ==, 255);
  g_assert_cmpuint (corner[2], ==, 255);
  gint bx, by;
  const gdouble between[3] = { -5, -8, 0 };
  project (camera, between, W, H, &bx, &by);
  g_assert_cmpuint (pixel (img, W, bx, by)[0], ==, 255);

  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "render-atoms.png", NULL);
  g_assert_true (aet_offscreen_write_png (img, W, H, png, &error));
  g_assert_no_error (error);
  g_test_message ("wrote %s", png);

  /* picking agrees with what is drawn: the centre of atom 2 picks atom 2,
   * the pixel of atom 0 picks atom 0 (in front of atom 3), background -1 */
  gint x2, y2, x0, y0;
  project (camera, atoms->positions + 6, W, H, &x2, &y2);
  project (camera, atoms->positions, W, H, &x0, &y0);
  g_assert_cmpint (aet_scene_pick_atom (scene, camera, x2 + 0.5, y2 + 0.5, W, H), ==, 2);
  g_assert_cmpint (aet_scene_pick_atom (scene, camera, x0 + 0.5, y0 + 0.5, W, H), ==, 0);
  g_assert_cmpint (aet_scene_pick_atom (scene, camera, 2, 2, W, H), ==, -1);

  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  aet_camera_free (camera);
  aet_atoms_unref (atoms);
}

/* Looking from behind (view along -z) the far atom comes in front. */
static void
test_depth_order (void)
{
  AetCamera *camera;
  AetAtoms *atoms;
  AetScene *scene = make_scene (&camera, &atoms);
  g_assert_true (aet_scene_realize (scene, NULL));
  const gdouble back[3] = { 0, 0, -1 };
  g_assert_true (aet_camera_view_along (camera, back, NULL));
  g_autofree guint8 *img = aet_offscreen_render (scene, camera, W, H, NULL, NULL);
  gint x, y;
  project (camera, atoms->positions + 9, W, H, &x, &y);
  gfloat rgb0[3], rgb3[3];
  aet_colormap_category (0, rgb0);
  aet_colormap_category (3, rgb3);
  const guint8 *p = pixel (img, W, x, y);
  gfloat lit = 0.28f + 0.72f * 0.8111f;
  gfloat expected[3] = { rgb3[0] * lit, rgb3[1] * lit, rgb3[2] * lit };
  g_assert_true (close_to (p, expected, 30));
  g_assert_false (close_to (p, rgb0, 40));
  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  aet_camera_free (camera);
  aet_atoms_unref (atoms);
}

/* A sphere iso-surface, a slice with its layer's atoms and the substrate in
 * perspective: the image the window would show, saved for a look. */
static void
test_full_scene (void)
{
  g_autoptr (AetVolume) vol = aet_volume_new (48, 48, 48, 0.5);
  AetAtoms *atoms = aet_atoms_new (64);
  for (gint k = 0; k < 48; k++)
    for (gint j = 0; j < 48; j++)
      for (gint i = 0; i < 48; i++)
        {
          gdouble r = sqrt ((i - 23.5) * (i - 23.5) + (j - 23.5) * (j - 23.5)
                            + (k - 23.5) * (k - 23.5));
          vol->data[aet_volume_index (vol, i, j, k)] = (gfloat) (18 - r + 2 * sin (i * 0.6));
        }
  for (gint k = -2; k <= 2; k++)
    for (gint j = -2; j <= 2; j++)
      for (gint i = -2; i <= 2; i++)
        aet_atoms_append (atoms, 78, 11.75 + 2.5 * i, 11.75 + 2.5 * j, 11.75 + 2.5 * k);
  gfloat *strain = aet_atoms_ensure_column (atoms, "strain");
  for (gsize a = 0; a < atoms->n_atoms; a++)
    strain[a] = (gfloat) (atoms->positions[3 * a] - 11.75) * 0.01f;

  AetScene *scene = aet_scene_new ();
  aet_scene_set_atoms (scene, atoms);
  aet_scene_set_atom_coloring (scene, AET_ATOM_COLORING_DIVERGING, "strain");
  aet_scene_set_atom_radius (scene, 0.9);
  guint gen = aet_scene_set_volume (scene, vol, 4.0);
  g_assert_cmpuint (gen, >, 0);
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_scene_update_iso_mesh (scene, 2, &error));
  g_assert_no_error (error);
  /* a stale mesh is dropped */
  g_assert_false (aet_scene_take_iso_mesh (scene, aet_iso_mesh_new (0, 0), gen + 7));
  const gfloat mesh_rgb[3] = { 0.85f, 0.75f, 0.4f };
  aet_scene_set_mesh_appearance (scene, mesh_rgb, 0.35f, FALSE);
  const gdouble n[3] = { 0, 0, 1 };
  AetSlice *slice = aet_slice_sample (vol, n, 0.0, 0.25, &error);
  g_assert_no_error (error);
  aet_scene_set_slice (scene, slice, 1.0);
  const gdouble sub_p[3] = { 11.75, 11.75, -0.5 };
  aet_scene_set_substrate (scene, TRUE, sub_p, n, 20.0);
  AetColormap map;
  gdouble vmin, vmax;
  g_assert_true (aet_scene_get_legend (scene, &map, &vmin, &vmax));
  g_assert_cmpint (map, ==, AET_COLORMAP_DIVERGING);
  g_assert_cmpfloat_with_epsilon (vmin, -vmax, 1e-9);
  g_assert_cmpfloat_with_epsilon (vmax, 0.05, 1e-6);

  g_assert_true (aet_scene_realize (scene, &error));
  g_autoptr (AetCamera) camera = aet_camera_new ();
  gdouble c[3], r;
  aet_scene_get_bounds (scene, c, &r);
  aet_camera_frame (camera, c, r * 1.6);
  aet_camera_rotate_eye (camera, (gdouble[3]) { 1, 0, 0 }, -0.9);
  aet_camera_rotate_eye (camera, (gdouble[3]) { 0, 1, 0 }, 0.5);
  g_autofree guint8 *img = aet_offscreen_render (scene, camera, 480, 360, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "render-scene.png", NULL);
  g_assert_true (aet_offscreen_write_png (img, 480, 360, png, &error));

  /* the centre shows the lit atoms/slice, not the background */
  const guint8 *p = pixel (img, 480, 240, 180);
  g_assert_false (p[0] == 255 && p[1] == 255 && p[2] == 255);

  /* transparent figure: the corners are fully transparent */
  AetOffscreenOptions opts = { 4, 0, TRUE };
  g_autofree guint8 *timg = aet_offscreen_render (scene, camera, 120, 90, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pixel (timg, 120, 0, 0)[3], ==, 0);
  g_assert_cmpuint (pixel (timg, 120, 60, 45)[3], ==, 255);

  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  aet_atoms_unref (atoms);
}

/* A slice in the diverging map over a fixed range shows, at each point,
 * the colour aet_colormap_map gives its value (the same table as the
 * legend); the default grey map is unchanged. */
static void
test_slice_colormap (void)
{
  /* values rise from −1 to +1 along x, the same on every plane */
  g_autoptr (AetVolume) vol = aet_volume_new (40, 40, 40, 1.0);
  for (gint k = 0; k < 40; k++)
    for (gint j = 0; j < 40; j++)
      for (gint i = 0; i < 40; i++)
        vol->data[aet_volume_index (vol, i, j, k)] = (gfloat) ((i - 19.5) / 19.5);
  const gdouble n[3] = { 0, 0, 1 };
  g_autoptr (GError) error = NULL;
  AetSlice *slice = aet_slice_sample (vol, n, 0.0, 0.0, &error);
  g_assert_no_error (error);
  AetScene *scene = aet_scene_new ();
  aet_scene_set_slice (scene, slice, 1.0);
  g_assert_false (aet_scene_get_slice_legend (scene, NULL, NULL, NULL));
  aet_scene_set_slice_colormap (scene, AET_COLORMAP_DIVERGING, FALSE, -1.0, 1.0);
  AetColormap map;
  gdouble lo, hi;
  g_assert_true (aet_scene_get_slice_legend (scene, &map, &lo, &hi));
  g_assert_cmpint (map, ==, AET_COLORMAP_DIVERGING);
  g_assert_cmpfloat (lo, ==, -1.0);
  g_assert_cmpfloat (hi, ==, 1.0);
  g_assert_true (aet_scene_realize (scene, &error));
  g_assert_no_error (error);
  g_autoptr (AetCamera) camera = aet_camera_new ();
  const gdouble c[3] = { 19.5, 19.5, 19.5 };
  aet_camera_frame (camera, c, 24.0);
  aet_camera_set_projection (camera, AET_PROJECTION_ORTHOGRAPHIC);
  AetOffscreenOptions opts = { 1, 0, FALSE };
  g_autofree guint8 *img = aet_offscreen_render (scene, camera, W, H, &opts, &error);
  g_assert_no_error (error);
  const gdouble xs[] = { 4.0, 12.0, 19.5, 27.0, 35.0 };
  for (guint i = 0; i < G_N_ELEMENTS (xs); i++)
    {
      const gdouble p[3] = { xs[i], 19.5, 19.5 };
      gint x, y;
      project (camera, p, W, H, &x, &y);
      gfloat rgb[3];
      aet_colormap_map (AET_COLORMAP_DIVERGING, (xs[i] - 19.5) / 19.5, -1, 1, rgb);
      const guint8 *px = pixel (img, W, x, y);
      g_test_message ("x = %.1f Å: %d %d %d, expected %.0f %.0f %.0f", xs[i], px[0], px[1],
                      px[2], 255 * rgb[0], 255 * rgb[1], 255 * rgb[2]);
      g_assert_true (close_to (px, rgb, 6));
    }
  /* back to grey over the slice's own range: the middle is mid grey */
  aet_scene_set_slice_colormap (scene, AET_COLORMAP_GREY, TRUE, 0, 0);
  g_assert_false (aet_scene_get_slice_legend (scene, NULL, NULL, NULL));
  g_autofree guint8 *grey = aet_offscreen_render (scene, camera, W, H, &opts, &error);
  g_assert_no_error (error);
  gint x, y;
  project (camera, c, W, H, &x, &y);
  const gfloat mid[3] = { 0.5f, 0.5f, 0.5f };
  g_assert_true (close_to (pixel (grey, W, x, y), mid, 6));
  aet_scene_unrealize (scene);
  aet_scene_free (scene);
}

static void
test_tiles_match (void)
{
  AetCamera *camera;
  AetAtoms *atoms;
  AetScene *scene = make_scene (&camera, &atoms);
  g_assert_true (aet_scene_realize (scene, NULL));
  aet_camera_set_projection (camera, AET_PROJECTION_PERSPECTIVE);
  aet_camera_rotate_eye (camera, (gdouble[3]) { 1, 1, 0 }, 0.4);
  gint w = 173, h = 131;
  AetOffscreenOptions single = { 4, 0, FALSE }, tiled = { 4, 48, FALSE };
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *a = aet_offscreen_render (scene, camera, w, h, &single, &error);
  g_assert_no_error (error);
  g_autofree guint8 *b = aet_offscreen_render (scene, camera, w, h, &tiled, &error);
  g_assert_no_error (error);
  guint differ = 0, max_diff = 0;
  for (gsize i = 0; i < (gsize) w * h * 4; i++)
    {
      guint d = (guint) abs ((gint) a[i] - (gint) b[i]);
      max_diff = MAX (max_diff, d);
      if (d > 3)
        differ++;
    }
  g_test_message ("tiled vs single: max difference %u, %u channels above 3", max_diff, differ);
  /* a few edge samples may flip; the images are otherwise the same */
  g_assert_cmpuint (differ, <, (guint) (w * h * 4) / 500);
  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  aet_camera_free (camera);
  aet_atoms_unref (atoms);
}

/* In perspective, close up and off-axis, the drawn spheres are exactly
 * where CPU picking finds them: the impostor quads cover the silhouettes
 * and the ray-cast agrees with the pick rays. */
static void
test_perspective_matches_picking (void)
{
  g_autoptr (AetAtoms) atoms = aet_atoms_new (4);
  aet_atoms_append (atoms, 78, -6, 4, 2);
  aet_atoms_append (atoms, 78, 7, -3, -1);
  aet_atoms_append (atoms, 78, 1, 1, 5);
  aet_atoms_append (atoms, 78, 4, 6, -4);
  AetScene *scene = aet_scene_new ();
  aet_scene_set_atoms (scene, atoms);
  aet_scene_set_atom_radius (scene, 2.5);
  g_assert_true (aet_scene_realize (scene, NULL));
  g_autoptr (AetCamera) camera = aet_camera_new ();
  const gdouble c[3] = { 0, 0, 0 };
  aet_camera_frame (camera, c, 8.0);
  aet_camera_rotate_eye (camera, (gdouble[3]) { 1, 2, 0 }, 0.6);
  gint w = 160, h = 120;
  AetOffscreenOptions opts = { 0, 0, FALSE };
  g_autofree guint8 *img = aet_offscreen_render (scene, camera, w, h, &opts, NULL);
  guint hit = 0, mismatch = 0;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        const guint8 *p = pixel (img, w, x, y);
        gboolean drawn = !(p[0] == 255 && p[1] == 255 && p[2] == 255);
        gboolean picked = aet_scene_pick_atom (scene, camera, x + 0.5, y + 0.5, w, h) >= 0;
        hit += picked;
        mismatch += drawn != picked;
      }
  g_test_message ("%u picked pixels, %u disagree", hit, mismatch);
  g_assert_cmpuint (hit, >, 1000);
  g_assert_cmpuint (mismatch, <, hit / 100);
  aet_scene_unrealize (scene);
  aet_scene_free (scene);
}

static void
test_errors (void)
{
  AetCamera *camera;
  AetAtoms *atoms;
  AetScene *scene = make_scene (&camera, &atoms);
  g_assert_true (aet_scene_realize (scene, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_offscreen_render (scene, camera, 0, 10, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (aet_offscreen_write_png ((const guint8[4]) { 0 }, 1, 1,
                                           "/nonexistent-dir/x.png", &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpuint (aet_gl_program_new_from_sources ("broken", "#version 330 core\nvoid main ()"
                                                     " { gl_Position = nope; }",
                                                     "#version 330 core\nvoid main () {}",
                                                     &error), ==, 0);
  g_assert_error (error, AET_GL_ERROR, AET_GL_ERROR_SHADER);
  g_assert_nonnull (strstr (error->message, "broken: vertex shader does not compile"));
  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  aet_camera_free (camera);
  aet_atoms_unref (atoms);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  context = aet_offscreen_context_new (&error);
  if (context == NULL)
    g_error ("%s", error->message);
  g_test_add_func ("/render/offscreen/context", test_context);
  g_test_add_func ("/render/offscreen/atoms-pixels", test_atoms_pixels);
  g_test_add_func ("/render/offscreen/depth-order", test_depth_order);
  g_test_add_func ("/render/offscreen/full-scene", test_full_scene);
  g_test_add_func ("/render/offscreen/slice-colormap", test_slice_colormap);
  g_test_add_func ("/render/offscreen/tiles-match", test_tiles_match);
  g_test_add_func ("/render/offscreen/perspective-picking",
                   test_perspective_matches_picking);
  g_test_add_func ("/render/offscreen/errors", test_errors);
  int status = g_test_run ();
  aet_offscreen_context_free (context);
  return status;
}
