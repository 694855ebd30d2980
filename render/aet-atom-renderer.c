#define G_LOG_DOMAIN "aet-atom-renderer"

#include "aet-atom-renderer.h"

#include <math.h>

#include "aet-gl.h"

#define FLOATS_PER_ATOM 7

struct _AetAtomRenderer
{
  GLuint program;
  GLuint vao;
  GLuint vbo;
  guint n_atoms;
};

AetAtomRenderer *
aet_atom_renderer_new (GError **error)
{
  GLuint program = aet_gl_program_new ("atom.vert", "atom.frag", error);
  if (program == 0)
    return NULL;

  AetAtomRenderer *r = g_new0 (AetAtomRenderer, 1);
  r->program = program;
  glGenVertexArrays (1, &r->vao);
  glGenBuffers (1, &r->vbo);
  glBindVertexArray (r->vao);
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  GLsizei stride = FLOATS_PER_ATOM * sizeof (gfloat);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, stride, (void *) 0);
  glVertexAttribDivisor (0, 1);
  glEnableVertexAttribArray (1);
  glVertexAttribPointer (1, 1, GL_FLOAT, GL_FALSE, stride, (void *) (3 * sizeof (gfloat)));
  glVertexAttribDivisor (1, 1);
  glEnableVertexAttribArray (2);
  glVertexAttribPointer (2, 3, GL_FLOAT, GL_FALSE, stride, (void *) (4 * sizeof (gfloat)));
  glVertexAttribDivisor (2, 1);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  return r;
}

void
aet_atom_renderer_free (AetAtomRenderer *r)
{
  if (r == NULL)
    return;
  glDeleteBuffers (1, &r->vbo);
  glDeleteVertexArrays (1, &r->vao);
  glDeleteProgram (r->program);
  g_free (r);
}

void
aet_atom_renderer_upload (AetAtomRenderer *r, guint n, const gfloat *centers,
                          const gfloat *radii, const gfloat *colors)
{
  g_return_if_fail (r != NULL);
  g_return_if_fail (n == 0 || (centers != NULL && radii != NULL && colors != NULL));

  g_autofree gfloat *data = g_new (gfloat, (gsize) MAX (n, 1) * FLOATS_PER_ATOM);
  for (guint i = 0; i < n; i++)
    {
      gfloat *d = data + (gsize) i * FLOATS_PER_ATOM;
      d[0] = centers[3 * i];
      d[1] = centers[3 * i + 1];
      d[2] = centers[3 * i + 2];
      d[3] = radii[i];
      d[4] = colors[3 * i];
      d[5] = colors[3 * i + 1];
      d[6] = colors[3 * i + 2];
    }
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  glBufferData (GL_ARRAY_BUFFER, (GLsizeiptr) n * FLOATS_PER_ATOM * sizeof (gfloat), data,
                GL_STATIC_DRAW);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  r->n_atoms = n;
}

guint
aet_atom_renderer_get_n_atoms (AetAtomRenderer *r)
{
  return r->n_atoms;
}

void
aet_atom_renderer_draw (AetAtomRenderer *r, mat4 view, mat4 projection, gfloat radius_scale)
{
  g_return_if_fail (r != NULL);
  if (r->n_atoms == 0)
    return;
  glUseProgram (r->program);
  aet_gl_uniform_mat4 (r->program, "u_view", (const float *) view);
  aet_gl_uniform_mat4 (r->program, "u_proj", (const float *) projection);
  aet_gl_uniform_float (r->program, "u_radius_scale", radius_scale);
  glBindVertexArray (r->vao);
  glDrawArraysInstanced (GL_TRIANGLE_STRIP, 0, 4, (GLsizei) r->n_atoms);
  glBindVertexArray (0);
  glUseProgram (0);
}

gssize
aet_atom_pick (guint n, const gfloat *centers, const gfloat *radii, gfloat radius_scale,
               const gdouble origin[3], const gdouble direction[3])
{
  gssize best = -1;
  gdouble best_t = G_MAXDOUBLE;
  for (guint i = 0; i < n; i++)
    {
      gdouble oc[3], b = 0, c = 0;
      gdouble r = (gdouble) radii[i] * radius_scale;
      for (guint a = 0; a < 3; a++)
        {
          oc[a] = origin[a] - centers[3 * i + a];
          b += oc[a] * direction[a];
          c += oc[a] * oc[a];
        }
      c -= r * r;
      gdouble h = b * b - c;
      if (h < 0)
        continue;
      gdouble sq = sqrt (h);
      gdouble t = -b - sq;
      if (t < 0)
        t = -b + sq;  /* the origin is inside this sphere */
      if (t >= 0 && t < best_t)
        {
          best_t = t;
          best = i;
        }
    }
  return best;
}
