/* aet-offscreen.h — rendering without a window: figures and tests.
 *
 * `aet figure` and the render tests have no display, so they draw through
 * an EGL context with no surface (Mesa's surfaceless platform, desktop
 * OpenGL 3.3 core) into framebuffer objects.  Images of any size are drawn
 * in tiles no larger than the driver allows, each with its own part of the
 * view frustum, multisampled for antialiasing, and read back as RGBA bytes.
 */
#pragma once

#include <glib.h>

#include "aet-camera.h"
#include "aet-scene.h"

G_BEGIN_DECLS

typedef struct _AetOffscreenContext AetOffscreenContext;

/* A surfaceless EGL context with desktop OpenGL ≥ 3.3 core, made current
 * on the calling thread.  NULL with AET_GL_ERROR_CONTEXT and the reason.
 * Caller owns. */
AetOffscreenContext *aet_offscreen_context_new (GError **error);

/* Makes the context current on the calling thread. */
gboolean aet_offscreen_context_make_current (AetOffscreenContext *context, GError **error);

/* The GL_RENDERER string (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
const char *aet_offscreen_context_get_renderer (AetOffscreenContext *context);

/* Releases and destroys the context. */
void aet_offscreen_context_free (AetOffscreenContext *context);

typedef struct
{
  gint samples;         /* multisampling (clamped to the driver's maximum); ≤ 1: none */
  gint max_tile;        /* largest tile edge in pixels; ≤ 0: the driver's limit */
  gboolean transparent; /* transparent background instead of the scene's */
} AetOffscreenOptions;

/* Draws `scene` seen by `camera` into a width × height image with a GL
 * context current (the scene realized in it).  Returns width·height·4
 * bytes RGBA, straight (not premultiplied) alpha, row 0 at the top; caller
 * owns (g_free).  options may be NULL (4 samples, driver tiles, opaque).
 * NULL with an error for absurd sizes or an incomplete framebuffer. */
guint8 *aet_offscreen_render (AetScene *scene, const AetCamera *camera, gint width, gint height,
                              const AetOffscreenOptions *options, GError **error);

/* Writes RGBA pixels (as returned above) to a PNG file through cairo. */
gboolean aet_offscreen_write_png (const guint8 *rgba, gint width, gint height,
                                  const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetOffscreenContext, aet_offscreen_context_free)

G_END_DECLS
