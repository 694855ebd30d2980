/* bench-render — timings of the render library.
 *
 *   bench-render [--threads N]
 *
 * 1. marching cubes on a 256³ volume (1 and N threads);
 * 2. an offscreen frame of 20,000 atoms plus the iso-surface of a 144³
 *    reconstruction-like volume (Gaussian atoms) at 1280×800, through the
 *    EGL surfaceless context (llvmpipe when LIBGL_ALWAYS_SOFTWARE=1): the
 *    interactive frame (single-sampled, no read-back, like a GL area) and
 *    the figure path (4× multisampling + read-back).
 */
#define G_LOG_DOMAIN "bench-render"

#include <math.h>
#include <epoxy/gl.h>

#include "aet-atom-density.h"
#include "aet-gl.h"
#include "aet-iso-mesh.h"
#include "aet-offscreen.h"
#include "aet-scene.h"

static gdouble
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static AetVolume *
wavy_blob (gint n)
{
  AetVolume *v = aet_volume_new (n, n, n, 0.5);
  gdouble c = 0.5 * (n - 1);
  for (gint k = 0; k < n; k++)
    for (gint j = 0; j < n; j++)
      for (gint i = 0; i < n; i++)
        {
          gdouble r = sqrt ((i - c) * (i - c) + (j - c) * (j - c) + (k - c) * (k - c));
          v->data[aet_volume_index (v, i, j, k)] =
            (gfloat) (0.4 * n - r + 3 * sin (0.35 * i) * sin (0.3 * j) * sin (0.25 * k));
        }
  return v;
}

/* A roughly spherical FCC cluster of about n atoms (a = 3.92 Å). */
static AetAtoms *
fcc_cluster (guint n, gdouble centre)
{
  const gdouble a = 3.92;
  gdouble radius = cbrt (n * a * a * a * 3.0 / (16.0 * G_PI));
  gint m = (gint) ceil (radius / a) + 1;
  const gdouble basis[4][3] = { { 0, 0, 0 }, { 0.5, 0.5, 0 }, { 0.5, 0, 0.5 }, { 0, 0.5, 0.5 } };
  AetAtoms *atoms = aet_atoms_new (n + 1000);
  for (gint k = -m; k <= m; k++)
    for (gint j = -m; j <= m; j++)
      for (gint i = -m; i <= m; i++)
        for (guint b = 0; b < 4; b++)
          {
            gdouble p[3] = { (i + basis[b][0]) * a, (j + basis[b][1]) * a, (k + basis[b][2]) * a };
            if (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] <= radius * radius)
              aet_atoms_append (atoms, 78, p[0] + centre, p[1] + centre, p[2] + centre);
          }
  return atoms;
}

int
main (int argc, char **argv)
{
  guint threads = 2;
  if (argc == 3 && g_str_equal (argv[1], "--threads"))
    threads = (guint) MAX (1, atoi (argv[2]));

  /* 1. marching cubes, 256³ */
  {
    g_autoptr (AetVolume) v = wavy_blob (256);
    for (guint t = 1; t <= threads; t += MAX (threads - 1, 1u))
      {
        gdouble t0 = now ();
        g_autoptr (AetIsoMesh) m = aet_iso_mesh_compute (v, 0.0, t, NULL, NULL);
        gdouble dt = now () - t0;
        g_print ("marching cubes 256³, %u thread(s): %.3f s, %u vertices, %u triangles\n", t, dt,
                 m->n_vertices, m->n_triangles);
      }
  }

  /* 2. a frame: 20,000 atoms + a 144³ iso-surface at 1280×800 */
  g_autoptr (GError) error = NULL;
  g_autoptr (AetOffscreenContext) ctx = aet_offscreen_context_new (&error);
  if (ctx == NULL)
    {
      g_printerr ("bench-render: %s\n", error->message);
      return 1;
    }
  g_print ("renderer: %s\n", aet_offscreen_context_get_renderer (ctx));

  gdouble voxel = 0.65, centre = 0.5 * 143 * voxel;
  g_autoptr (AetAtoms) atoms = fcc_cluster (20000, centre);
  g_autoptr (AetVolume) vol = aet_volume_new (144, 144, 144, voxel);
  gdouble t0 = now ();
  aet_render_gaussian_atoms (atoms, vol, 4.0, 1.0, NULL, threads);
  gdouble t_density = now () - t0;
  AetScene *scene = aet_scene_new ();
  aet_scene_set_atoms (scene, atoms);
  aet_scene_set_atom_radius (scene, 1.0);
  aet_scene_set_volume (scene, vol, 0.3);
  t0 = now ();
  if (!aet_scene_update_iso_mesh (scene, threads, &error))
    {
      g_printerr ("bench-render: %s\n", error->message);
      return 1;
    }
  gdouble t_mesh = now () - t0;
  guint n_triangles;
  {
    g_autoptr (AetIsoMesh) probe = aet_iso_mesh_compute (vol, 0.3, threads, NULL, NULL);
    n_triangles = probe->n_triangles;
  }
  const gfloat rgb[3] = { 0.8f, 0.75f, 0.5f };
  aet_scene_set_mesh_appearance (scene, rgb, 0.4f, FALSE);
  if (!aet_scene_realize (scene, &error))
    {
      g_printerr ("bench-render: %s\n", error->message);
      return 1;
    }
  g_print ("%" G_GSIZE_FORMAT " atoms; 144³ Gaussian density %.2f s, iso-surface %.2f s"
           " (%u triangles)\n", atoms->n_atoms, t_density, t_mesh, n_triangles);

  g_autoptr (AetCamera) camera = aet_camera_new ();
  gdouble c[3], r;
  aet_scene_get_bounds (scene, c, &r);
  aet_camera_frame (camera, c, r);
  aet_camera_rotate_eye (camera, (gdouble[3]) { 1, 1, 0 }, 0.5);

  gint w = 1280, h = 800;
  GLuint fbo, color, depth;
  glGenFramebuffers (1, &fbo);
  glGenRenderbuffers (1, &color);
  glGenRenderbuffers (1, &depth);
  glBindRenderbuffer (GL_RENDERBUFFER, color);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, w, h);
  glBindRenderbuffer (GL_RENDERBUFFER, depth);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, w, h);
  glBindFramebuffer (GL_FRAMEBUFFER, fbo);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth);

  aet_scene_render (scene, camera, w, h, fbo);  /* uploads */
  glFinish ();
  const guint frames = 10;
  t0 = now ();
  for (guint f = 0; f < frames; f++)
    {
      aet_camera_rotate_eye (camera, (gdouble[3]) { 0, 1, 0 }, 0.05);
      aet_scene_render (scene, camera, w, h, fbo);
      glFinish ();
    }
  gdouble t_frame = (now () - t0) / frames;
  g_print ("interactive frame 1280×800: %.1f ms (%.1f fps)\n", 1e3 * t_frame, 1.0 / t_frame);

  aet_scene_set_mesh_appearance (scene, rgb, 1.0f, FALSE);
  aet_scene_set_show_mesh (scene, FALSE);
  t0 = now ();
  for (guint f = 0; f < frames; f++)
    {
      aet_scene_render (scene, camera, w, h, fbo);
      glFinish ();
    }
  g_print ("  atoms only: %.1f ms\n", 1e3 * (now () - t0) / frames);
  aet_scene_set_show_mesh (scene, TRUE);
  aet_scene_set_show_atoms (scene, FALSE);
  t0 = now ();
  for (guint f = 0; f < frames; f++)
    {
      aet_scene_render (scene, camera, w, h, fbo);
      glFinish ();
    }
  g_print ("  opaque iso-surface only: %.1f ms\n", 1e3 * (now () - t0) / frames);
  aet_scene_set_show_atoms (scene, TRUE);
  aet_scene_set_mesh_appearance (scene, rgb, 0.4f, FALSE);

  glDeleteFramebuffers (1, &fbo);
  glDeleteRenderbuffers (1, &color);
  glDeleteRenderbuffers (1, &depth);

  t0 = now ();
  g_autofree guint8 *img = aet_offscreen_render (scene, camera, w, h, NULL, &error);
  if (img == NULL)
    {
      g_printerr ("bench-render: %s\n", error->message);
      return 1;
    }
  g_print ("figure 1280×800 (4× MSAA + read-back): %.1f ms\n", 1e3 * (now () - t0));
  if (!aet_offscreen_write_png (img, w, h, "bench-render.png", &error))
    g_printerr ("bench-render: %s\n", error->message);

  /* 3. 100,000 atoms alone (the interactive target for large models) */
  {
    g_autoptr (AetAtoms) big = fcc_cluster (100000, 0.0);
    aet_scene_set_atoms (scene, big);
    aet_scene_set_show_mesh (scene, FALSE);
    aet_scene_get_bounds (scene, c, &r);
    aet_camera_frame (camera, c, r);
    aet_camera_rotate_eye (camera, (gdouble[3]) { 1, 1, 0 }, 0.5);
    GLuint fb, rb[2];
    glGenFramebuffers (1, &fb);
    glGenRenderbuffers (2, rb);
    glBindRenderbuffer (GL_RENDERBUFFER, rb[0]);
    glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, w, h);
    glBindRenderbuffer (GL_RENDERBUFFER, rb[1]);
    glRenderbufferStorage (GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, w, h);
    glBindFramebuffer (GL_FRAMEBUFFER, fb);
    glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb[0]);
    glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, rb[1]);
    aet_scene_render (scene, camera, w, h, fb);
    glFinish ();
    t0 = now ();
    for (guint f = 0; f < frames; f++)
      {
        aet_camera_rotate_eye (camera, (gdouble[3]) { 0, 1, 0 }, 0.05);
        aet_scene_render (scene, camera, w, h, fb);
        glFinish ();
      }
    g_print ("%" G_GSIZE_FORMAT " atoms alone, 1280×800: %.1f ms per frame\n", big->n_atoms,
             1e3 * (now () - t0) / frames);
    glDeleteFramebuffers (1, &fb);
    glDeleteRenderbuffers (2, rb);
  }

  aet_scene_unrealize (scene);
  aet_scene_free (scene);
  return 0;
}
