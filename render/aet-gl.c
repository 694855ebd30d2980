#define G_LOG_DOMAIN "aet-gl"

#include "aet-gl.h"

#include <gio/gio.h>
#include <string.h>

#include "aet-resources.h"

G_DEFINE_QUARK (aet-gl-error-quark, aet_gl_error)

#define SHADER_PREFIX "/org/aetstudio/shaders/"

static GBytes *
load_shader (const char *name, GError **error)
{
  /* Referencing the resource bundle keeps its object file (and its
   * registration constructor) linked from the static library. */
  (void) aet_resources_get_resource ();
  g_autofree char *path = g_strconcat (SHADER_PREFIX, name, NULL);
  g_autoptr (GError) local = NULL;
  GBytes *bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, &local);
  if (bytes == NULL)
    g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_RESOURCE, "shader %s: %s", name,
                 local->message);
  return bytes;
}

static char *
one_line (char *log)
{
  g_strstrip (log);
  for (char *p = log; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  return log;
}

static GLuint
compile (const char *label, GLenum type, const char *source, GError **error)
{
  GLuint shader = glCreateShader (type);
  glShaderSource (shader, 1, &source, NULL);
  glCompileShader (shader);
  GLint ok = 0;
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;
      glGetShaderiv (shader, GL_INFO_LOG_LENGTH, &len);
      g_autofree char *log = g_malloc0 (MAX (len, 1) + 1);
      glGetShaderInfoLog (shader, len, NULL, log);
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_SHADER, "%s: %s shader does not compile: %s",
                   label, type == GL_VERTEX_SHADER ? "vertex" : "fragment", one_line (log));
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

GLuint
aet_gl_program_new_from_sources (const char *label, const char *vertex_source,
                                 const char *fragment_source, GError **error)
{
  g_return_val_if_fail (vertex_source != NULL && fragment_source != NULL, 0);

  GLuint vs = compile (label, GL_VERTEX_SHADER, vertex_source, error);
  if (vs == 0)
    return 0;
  GLuint fs = compile (label, GL_FRAGMENT_SHADER, fragment_source, error);
  if (fs == 0)
    {
      glDeleteShader (vs);
      return 0;
    }
  GLuint program = glCreateProgram ();
  glAttachShader (program, vs);
  glAttachShader (program, fs);
  glLinkProgram (program);
  glDeleteShader (vs);
  glDeleteShader (fs);
  GLint ok = 0;
  glGetProgramiv (program, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;
      glGetProgramiv (program, GL_INFO_LOG_LENGTH, &len);
      g_autofree char *log = g_malloc0 (MAX (len, 1) + 1);
      glGetProgramInfoLog (program, len, NULL, log);
      g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_SHADER, "%s: program does not link: %s",
                   label, one_line (log));
      glDeleteProgram (program);
      return 0;
    }
  return program;
}

gboolean
aet_gl_is_es (void)
{
  return !epoxy_is_desktop_gl ();
}

char *
aet_gl_adapt_source (const char *source)
{
  const char *desktop = "#version 330 core\n";
  if (!aet_gl_is_es () || !g_str_has_prefix (source, desktop))
    return g_strdup (source);
  return g_strconcat ("#version 300 es\nprecision highp float;\n", source + strlen (desktop),
                      NULL);
}

GLuint
aet_gl_program_new (const char *vertex, const char *fragment, GError **error)
{
  g_return_val_if_fail (vertex != NULL && fragment != NULL, 0);

  g_autoptr (GBytes) vb = load_shader (vertex, error);
  if (vb == NULL)
    return 0;
  g_autoptr (GBytes) fb = load_shader (fragment, error);
  if (fb == NULL)
    return 0;
  /* resource data is NUL-terminated */
  g_autofree char *label = g_strdup_printf ("%s + %s", vertex, fragment);
  g_autofree char *vs = aet_gl_adapt_source (g_bytes_get_data (vb, NULL));
  g_autofree char *fs = aet_gl_adapt_source (g_bytes_get_data (fb, NULL));
  return aet_gl_program_new_from_sources (label, vs, fs, error);
}

gboolean
aet_gl_check (const char *what, GError **error)
{
  GLenum first = glGetError ();
  if (first == GL_NO_ERROR)
    return TRUE;
  while (glGetError () != GL_NO_ERROR)
    ;
  g_set_error (error, AET_GL_ERROR, AET_GL_ERROR_FAILED, "%s: OpenGL error 0x%04x", what,
               (guint) first);
  return FALSE;
}

void
aet_gl_uniform_mat4 (GLuint program, const char *name, const float *m)
{
  GLint loc = glGetUniformLocation (program, name);
  if (loc >= 0)
    glUniformMatrix4fv (loc, 1, GL_FALSE, m);
}

void
aet_gl_uniform_vec3 (GLuint program, const char *name, const float *v)
{
  GLint loc = glGetUniformLocation (program, name);
  if (loc >= 0)
    glUniform3fv (loc, 1, v);
}

void
aet_gl_uniform_vec4 (GLuint program, const char *name, const float *v)
{
  GLint loc = glGetUniformLocation (program, name);
  if (loc >= 0)
    glUniform4fv (loc, 1, v);
}

void
aet_gl_uniform_float (GLuint program, const char *name, float value)
{
  GLint loc = glGetUniformLocation (program, name);
  if (loc >= 0)
    glUniform1f (loc, value);
}

void
aet_gl_uniform_int (GLuint program, const char *name, int value)
{
  GLint loc = glGetUniformLocation (program, name);
  if (loc >= 0)
    glUniform1i (loc, value);
}
