#define G_LOG_DOMAIN "aet-mesh-renderer"

#include "aet-mesh-renderer.h"

#include "aet-gl.h"

struct _AetMeshRenderer
{
  GLuint program;
  GLuint vao;
  GLuint vbo;
  GLuint ebo;
  guint n_triangles;
  gboolean has_colors;
};

AetMeshRenderer *
aet_mesh_renderer_new (GError **error)
{
  GLuint program = aet_gl_program_new ("mesh.vert", "mesh.frag", error);
  if (program == 0)
    return NULL;

  AetMeshRenderer *r = g_new0 (AetMeshRenderer, 1);
  r->program = program;
  glGenVertexArrays (1, &r->vao);
  glGenBuffers (1, &r->vbo);
  glGenBuffers (1, &r->ebo);
  glBindVertexArray (r->vao);
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  glBindBuffer (GL_ELEMENT_ARRAY_BUFFER, r->ebo);
  GLsizei stride = 9 * sizeof (gfloat);
  for (guint a = 0; a < 3; a++)
    {
      glEnableVertexAttribArray (a);
      glVertexAttribPointer (a, 3, GL_FLOAT, GL_FALSE, stride, (void *) (3 * a * sizeof (gfloat)));
    }
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  return r;
}

void
aet_mesh_renderer_free (AetMeshRenderer *r)
{
  if (r == NULL)
    return;
  glDeleteBuffers (1, &r->vbo);
  glDeleteBuffers (1, &r->ebo);
  glDeleteVertexArrays (1, &r->vao);
  glDeleteProgram (r->program);
  g_free (r);
}

void
aet_mesh_renderer_upload (AetMeshRenderer *r, const AetIsoMesh *mesh)
{
  g_return_if_fail (r != NULL);
  if (mesh == NULL || mesh->n_triangles == 0)
    {
      r->n_triangles = 0;
      return;
    }
  gsize nv = mesh->n_vertices;
  g_autofree gfloat *data = g_new (gfloat, 9 * nv);
  for (gsize i = 0; i < nv; i++)
    for (guint a = 0; a < 3; a++)
      {
        data[9 * i + a] = mesh->positions[3 * i + a];
        data[9 * i + 3 + a] = mesh->normals[3 * i + a];
        data[9 * i + 6 + a] = mesh->colors != NULL ? mesh->colors[3 * i + a] : 1.0f;
      }
  glBindVertexArray (r->vao);
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  glBufferData (GL_ARRAY_BUFFER, (GLsizeiptr) (9 * nv * sizeof (gfloat)), data, GL_STATIC_DRAW);
  glBufferData (GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr) (3 * (gsize) mesh->n_triangles
                                                       * sizeof (guint32)),
                mesh->indices, GL_STATIC_DRAW);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  r->n_triangles = mesh->n_triangles;
  r->has_colors = mesh->colors != NULL;
}

guint
aet_mesh_renderer_get_n_triangles (AetMeshRenderer *r)
{
  return r->n_triangles;
}

void
aet_mesh_renderer_draw (AetMeshRenderer *r, mat4 view, mat4 projection, const gfloat color[3],
                        gboolean use_vertex_colors, gfloat alpha)
{
  g_return_if_fail (r != NULL);
  if (r->n_triangles == 0)
    return;
  glUseProgram (r->program);
  aet_gl_uniform_mat4 (r->program, "u_view", (const float *) view);
  aet_gl_uniform_mat4 (r->program, "u_proj", (const float *) projection);
  aet_gl_uniform_vec3 (r->program, "u_color", color);
  aet_gl_uniform_int (r->program, "u_use_vertex_colors", use_vertex_colors && r->has_colors);
  aet_gl_uniform_float (r->program, "u_alpha", alpha);
  glBindVertexArray (r->vao);
  GLsizei count = (GLsizei) (3 * r->n_triangles);
  if (alpha < 1.0f)
    {
      glEnable (GL_BLEND);
      glBlendFuncSeparate (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
      glDepthMask (GL_FALSE);
      glEnable (GL_CULL_FACE);
      glCullFace (GL_FRONT);
      glDrawElements (GL_TRIANGLES, count, GL_UNSIGNED_INT, NULL);
      glCullFace (GL_BACK);
      glDrawElements (GL_TRIANGLES, count, GL_UNSIGNED_INT, NULL);
      glDisable (GL_CULL_FACE);
      glDepthMask (GL_TRUE);
      glDisable (GL_BLEND);
    }
  else
    glDrawElements (GL_TRIANGLES, count, GL_UNSIGNED_INT, NULL);
  glBindVertexArray (0);
  glUseProgram (0);
}
