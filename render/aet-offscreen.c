#define G_LOG_DOMAIN "aet-offscreen"

#include "aet-offscreen.h"

#include <cairo.h>
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <string.h>

#include "aet-error.h"
#include "aet-gl.h"

#define MAX_IMAGE_EDGE 32768

struct _AetOffscreenContext
{
  EGLDisplay display;
  EGLContext context;
  char *renderer;
};

static EGLDisplay
get_display (void)
{
  EGLDisplay display = EGL_NO_DISPLAY;
  /* the client extensions say whether the surfaceless platform exists; the
   * EXT entry point is present wherever it is (EGL 1.5's core one is not
   * always resolvable through libepoxy) */
  if (epoxy_has_egl_extension (EGL_NO_DISPLAY, "EGL_MESA_platform_surfaceless")
      && epoxy_has_egl_extension (EGL_NO_DISPLAY, "EGL_EXT_platform_base"))
    display = eglGetPlatformDisplayEXT (EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
  if (display == EGL_NO_DISPLAY)
    display = eglGetDisplay (EGL_DEFAULT_DISPLAY);
  return display;
}

AetOffscreenContext *
aet_offscreen_context_new (GError **error)
{
  EGLDisplay display = get_display ();
  if (display == EGL_NO_DISPLAY)
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: no EGL display (is Mesa's libEGL installed?)");
      return NULL;
    }
  EGLint major = 0, minor = 0;
  if (!eglInitialize (display, &major, &minor))
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: EGL does not initialise (error 0x%04x)", eglGetError ());
      return NULL;
    }
  if (!eglBindAPI (EGL_OPENGL_API))
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: EGL %d.%d has no desktop OpenGL", major, minor);
      eglTerminate (display);
      return NULL;
    }

  EGLConfig config = NULL;
  gboolean no_config = epoxy_has_egl_extension (display, "EGL_KHR_no_config_context")
                       || epoxy_has_egl_extension (display, "EGL_MESA_configless_context");
  if (!no_config)
    {
      const EGLint attribs[] = { EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                 EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE };
      EGLint n = 0;
      if (!eglChooseConfig (display, attribs, &config, 1, &n) || n < 1)
        {
          g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                       "offscreen: no EGL configuration with desktop OpenGL");
          eglTerminate (display);
          return NULL;
        }
    }
  if (!epoxy_has_egl_extension (display, "EGL_KHR_surfaceless_context"))
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: EGL lacks EGL_KHR_surfaceless_context");
      eglTerminate (display);
      return NULL;
    }
  const EGLint ctx_attribs[] = {
    EGL_CONTEXT_MAJOR_VERSION, 3,
    EGL_CONTEXT_MINOR_VERSION, 3,
    EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
    EGL_NONE
  };
  EGLContext context = eglCreateContext (display, no_config ? EGL_NO_CONFIG_KHR : config,
                                         EGL_NO_CONTEXT, ctx_attribs);
  if (context == EGL_NO_CONTEXT)
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: no OpenGL 3.3 core context (EGL error 0x%04x)", eglGetError ());
      eglTerminate (display);
      return NULL;
    }
  AetOffscreenContext *c = g_new0 (AetOffscreenContext, 1);
  c->display = display;
  c->context = context;
  if (!aet_offscreen_context_make_current (c, error))
    {
      aet_offscreen_context_free (c);
      return NULL;
    }
  c->renderer = g_strdup ((const char *) glGetString (GL_RENDERER));
  return c;
}

gboolean
aet_offscreen_context_make_current (AetOffscreenContext *c, GError **error)
{
  g_return_val_if_fail (c != NULL, FALSE);
  if (!eglMakeCurrent (c->display, EGL_NO_SURFACE, EGL_NO_SURFACE, c->context))
    {
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_CONTEXT,
                   "offscreen: the context cannot be made current (EGL error 0x%04x)",
                   eglGetError ());
      return FALSE;
    }
  return TRUE;
}

const char *
aet_offscreen_context_get_renderer (AetOffscreenContext *c)
{
  return c->renderer;
}

void
aet_offscreen_context_free (AetOffscreenContext *c)
{
  if (c == NULL)
    return;
  eglMakeCurrent (c->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext (c->display, c->context);
  /* The display is not terminated: EGL hands the same display to every
   * caller in the process, and terminating it would pull it from under
   * another context (a second figure, a test); the driver stays loaded
   * until exit. */
  eglReleaseThread ();
  g_free (c->renderer);
  g_free (c);
}

typedef struct
{
  GLuint fbo_ms, color_ms, depth_ms;  /* multisampled (or the only one) */
  GLuint fbo, color;                  /* resolve target */
  gint size_x, size_y;
  gint samples;
} Targets;

static void
targets_free (Targets *t)
{
  glDeleteFramebuffers (1, &t->fbo_ms);
  glDeleteRenderbuffers (1, &t->color_ms);
  glDeleteRenderbuffers (1, &t->depth_ms);
  glDeleteFramebuffers (1, &t->fbo);
  glDeleteRenderbuffers (1, &t->color);
}

static gboolean
targets_init (Targets *t, gint w, gint h, gint samples, GError **error)
{
  memset (t, 0, sizeof *t);
  t->size_x = w;
  t->size_y = h;
  t->samples = samples;
  glGenFramebuffers (1, &t->fbo_ms);
  glGenRenderbuffers (1, &t->color_ms);
  glGenRenderbuffers (1, &t->depth_ms);
  glBindRenderbuffer (GL_RENDERBUFFER, t->color_ms);
  glRenderbufferStorageMultisample (GL_RENDERBUFFER, samples, GL_RGBA8, w, h);
  glBindRenderbuffer (GL_RENDERBUFFER, t->depth_ms);
  glRenderbufferStorageMultisample (GL_RENDERBUFFER, samples, GL_DEPTH_COMPONENT24, w, h);
  glBindFramebuffer (GL_FRAMEBUFFER, t->fbo_ms);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, t->color_ms);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, t->depth_ms);
  GLenum status = glCheckFramebufferStatus (GL_FRAMEBUFFER);

  if (status == GL_FRAMEBUFFER_COMPLETE && samples > 0)
    {
      glGenFramebuffers (1, &t->fbo);
      glGenRenderbuffers (1, &t->color);
      glBindRenderbuffer (GL_RENDERBUFFER, t->color);
      glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, w, h);
      glBindFramebuffer (GL_FRAMEBUFFER, t->fbo);
      glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, t->color);
      status = glCheckFramebufferStatus (GL_FRAMEBUFFER);
    }
  glBindRenderbuffer (GL_RENDERBUFFER, 0);
  glBindFramebuffer (GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE)
    {
      targets_free (t);
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_FRAMEBUFFER,
                   "offscreen: a %d×%d framebuffer with %d samples is incomplete (0x%04x)",
                   w, h, samples, status);
      return FALSE;
    }
  return TRUE;
}

guint8 *
aet_offscreen_render (AetScene *scene, const AetCamera *camera, gint width, gint height,
                      const AetOffscreenOptions *options, GError **error)
{
  g_return_val_if_fail (scene != NULL && camera != NULL, NULL);
  g_return_val_if_fail (aet_scene_is_realized (scene), NULL);

  if (width <= 0 || height <= 0 || width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "figure: %d×%d pixels is not a usable size (1 to %d per side)", width,
                   height, MAX_IMAGE_EDGE);
      return NULL;
    }
  AetOffscreenOptions defaults = { 4, 0, FALSE };
  if (options == NULL)
    options = &defaults;

  GLint max_rb = 0, max_vp[2] = { 0, 0 }, max_samples = 0;
  glGetIntegerv (GL_MAX_RENDERBUFFER_SIZE, &max_rb);
  glGetIntegerv (GL_MAX_VIEWPORT_DIMS, max_vp);
  glGetIntegerv (GL_MAX_SAMPLES, &max_samples);
  gint tile = MIN (max_rb, MIN (max_vp[0], max_vp[1]));
  tile = MIN (tile, 4096);
  if (options->max_tile > 0)
    tile = MIN (tile, options->max_tile);
  tile = MAX (tile, 16);
  gint samples = options->samples > 1 ? MIN (options->samples, max_samples) : 0;

  gint tw = MIN (tile, width), th = MIN (tile, height);
  Targets t;
  if (!targets_init (&t, tw, th, samples, error))
    return NULL;

  gfloat saved_bg[4];
  aet_scene_get_background (scene, saved_bg);
  if (options->transparent)
    {
      const gfloat clear[4] = { 0, 0, 0, 0 };
      aet_scene_set_background (scene, clear);
    }

  mat4 view;
  aet_camera_get_view (camera, view);
  gsize row_bytes = (gsize) width * 4;
  guint8 *image = g_malloc (row_bytes * height);
  g_autofree guint8 *tile_pixels = g_malloc ((gsize) tw * th * 4);

  for (gint y0 = 0; y0 < height; y0 += th)
    for (gint x0 = 0; x0 < width; x0 += tw)
      {
        gint cw = MIN (tw, width - x0), ch = MIN (th, height - y0);
        mat4 proj;
        aet_camera_get_tile_projection (camera, width, height, x0, y0, cw, ch, proj);
        aet_scene_render_matrices (scene, view, proj, cw, ch, t.fbo_ms);
        GLuint read_fbo = t.fbo_ms;
        if (samples > 0)
          {
            glBindFramebuffer (GL_READ_FRAMEBUFFER, t.fbo_ms);
            glBindFramebuffer (GL_DRAW_FRAMEBUFFER, t.fbo);
            glBlitFramebuffer (0, 0, cw, ch, 0, 0, cw, ch, GL_COLOR_BUFFER_BIT, GL_NEAREST);
            read_fbo = t.fbo;
          }
        glBindFramebuffer (GL_READ_FRAMEBUFFER, read_fbo);
        glPixelStorei (GL_PACK_ALIGNMENT, 1);
        glReadPixels (0, 0, cw, ch, GL_RGBA, GL_UNSIGNED_BYTE, tile_pixels);
        /* GL rows run bottom-up; the image runs top-down */
        for (gint r = 0; r < ch; r++)
          {
            gint image_row = height - 1 - (y0 + r);
            guint8 *dst = image + (gsize) image_row * row_bytes + (gsize) x0 * 4;
            const guint8 *src = tile_pixels + (gsize) r * cw * 4;
            for (gint x = 0; x < cw; x++)
              {
                guint8 a = src[4 * x + 3];
                for (guint c = 0; c < 3; c++)
                  {
                    guint v = src[4 * x + c];
                    /* un-premultiply */
                    dst[4 * x + c] = a == 0     ? 0
                                     : a == 255 ? (guint8) v
                                                : (guint8) MIN (255u, (v * 255u + a / 2u) / a);
                  }
                dst[4 * x + 3] = a;
              }
          }
      }
  glBindFramebuffer (GL_FRAMEBUFFER, 0);
  targets_free (&t);
  aet_scene_set_background (scene, saved_bg);

  GError *gl_error = NULL;
  if (!aet_gl_check ("offscreen rendering", &gl_error))
    {
      g_propagate_error (error, gl_error);
      g_free (image);
      return NULL;
    }
  return image;
}

gboolean
aet_offscreen_write_png (const guint8 *rgba, gint width, gint height, const char *path,
                         GError **error)
{
  g_return_val_if_fail (rgba != NULL && path != NULL, FALSE);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: %d×%d is too large for an image",
                   base, width, height);
      cairo_surface_destroy (surface);
      return FALSE;
    }
  cairo_surface_flush (surface);
  guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  for (gint y = 0; y < height; y++)
    {
      guint32 *row = (guint32 *) (data + (gsize) y * stride);
      const guint8 *src = rgba + (gsize) y * width * 4;
      for (gint x = 0; x < width; x++)
        {
          guint a = src[4 * x + 3];
          guint r = (src[4 * x] * a + 127) / 255;
          guint g = (src[4 * x + 1] * a + 127) / 255;
          guint b = (src[4 * x + 2] * a + 127) / 255;
          row[x] = (a << 24) | (r << 16) | (g << 8) | b;
        }
    }
  cairo_surface_mark_dirty (surface);
  cairo_status_t status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: %s", base,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
