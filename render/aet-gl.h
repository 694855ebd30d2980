/* aet-gl.h — small OpenGL helpers shared by the renderers.
 *
 * Shader sources live in shaders/ and are bundled in the GResource under
 * /org/aetstudio/shaders/; programs are built from them here, and compile
 * or link failures come back as a GError carrying the driver's log, so a
 * broken driver shows a readable message instead of a black view.
 * Everything here needs a current OpenGL 3.3 core context (or OpenGL ES
 * 3.0, for which the shaders are adapted at load time).
 */
#pragma once

#include <glib.h>
#include <epoxy/gl.h>

G_BEGIN_DECLS

#define AET_GL_ERROR (aet_gl_error_quark ())
GQuark aet_gl_error_quark (void);

typedef enum
{
  AET_GL_ERROR_SHADER,      /* a shader did not compile or link */
  AET_GL_ERROR_RESOURCE,    /* a shader file is missing from the resources */
  AET_GL_ERROR_FRAMEBUFFER, /* a framebuffer is incomplete */
  AET_GL_ERROR_CONTEXT,     /* no usable context (offscreen creation) */
  AET_GL_ERROR_FAILED,      /* glGetError reported an error */
} AetGlError;

/* TRUE when the current context is OpenGL ES (3.0 or later) rather than
 * desktop OpenGL; the shaders are written for 3.3 core and adapted. */
gboolean aet_gl_is_es (void);

/* A shader source for the current context: "#version 330 core" becomes
 * "#version 300 es" with a float precision on ES.  Caller owns. */
char *aet_gl_adapt_source (const char *source);

/* The program linked from /org/aetstudio/shaders/<vertex> and <fragment>.
 * 0 with an error on failure.  Caller owns (glDeleteProgram). */
GLuint aet_gl_program_new (const char *vertex, const char *fragment, GError **error);

/* Same from source strings; `label` names the program in messages. */
GLuint aet_gl_program_new_from_sources (const char *label, const char *vertex_source,
                                        const char *fragment_source, GError **error);

/* FALSE with AET_GL_ERROR_FAILED naming `what` if glGetError reports an
 * error (all pending errors are cleared). */
gboolean aet_gl_check (const char *what, GError **error);

/* Convenience uniform setters by name (silently ignore absent uniforms,
 * which the compiler may remove). */
void aet_gl_uniform_mat4 (GLuint program, const char *name, const float *m);
void aet_gl_uniform_vec3 (GLuint program, const char *name, const float *v);
void aet_gl_uniform_vec4 (GLuint program, const char *name, const float *v);
void aet_gl_uniform_float (GLuint program, const char *name, float value);
void aet_gl_uniform_int (GLuint program, const char *name, int value);

G_END_DECLS
