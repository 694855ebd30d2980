#define G_LOG_DOMAIN "aet-slice-renderer"

#include "aet-slice-renderer.h"

#include "aet-gl.h"

#include <math.h>

struct _AetSliceRenderer
{
  GLuint program;
  GLuint marker_program;
  GLuint vao, vbo, texture;
  GLuint lut;           /* 256 × 1 RGBA8 colour map, 0 while the map is grey */
  GLuint marker_vao, marker_vbo;
  gboolean has_slice;
  guint n_markers;
};

AetSliceRenderer *
aet_slice_renderer_new (GError **error)
{
  GLuint program = aet_gl_program_new ("slice.vert", "slice.frag", error);
  if (program == 0)
    return NULL;
  GLuint marker_program = aet_gl_program_new ("marker.vert", "marker.frag", error);
  if (marker_program == 0)
    {
      glDeleteProgram (program);
      return NULL;
    }

  AetSliceRenderer *r = g_new0 (AetSliceRenderer, 1);
  r->program = program;
  r->marker_program = marker_program;

  glGenVertexArrays (1, &r->vao);
  glGenBuffers (1, &r->vbo);
  glBindVertexArray (r->vao);
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, 5 * sizeof (gfloat), (void *) 0);
  glEnableVertexAttribArray (1);
  glVertexAttribPointer (1, 2, GL_FLOAT, GL_FALSE, 5 * sizeof (gfloat),
                         (void *) (3 * sizeof (gfloat)));

  glGenVertexArrays (1, &r->marker_vao);
  glGenBuffers (1, &r->marker_vbo);
  glBindVertexArray (r->marker_vao);
  glBindBuffer (GL_ARRAY_BUFFER, r->marker_vbo);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, 3 * sizeof (gfloat), (void *) 0);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);

  glGenTextures (1, &r->texture);
  glBindTexture (GL_TEXTURE_2D, r->texture);
  /* float textures are filterable on desktop GL, not on plain ES 3.0 */
  GLint filter = aet_gl_is_es () ? GL_NEAREST : GL_LINEAR;
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture (GL_TEXTURE_2D, 0);
  return r;
}

void
aet_slice_renderer_free (AetSliceRenderer *r)
{
  if (r == NULL)
    return;
  if (r->lut != 0)
    glDeleteTextures (1, &r->lut);
  glDeleteTextures (1, &r->texture);
  glDeleteBuffers (1, &r->vbo);
  glDeleteBuffers (1, &r->marker_vbo);
  glDeleteVertexArrays (1, &r->vao);
  glDeleteVertexArrays (1, &r->marker_vao);
  glDeleteProgram (r->program);
  glDeleteProgram (r->marker_program);
  g_free (r);
}

void
aet_slice_renderer_upload (AetSliceRenderer *r, const AetSlice *slice)
{
  g_return_if_fail (r != NULL);
  r->has_slice = slice != NULL && slice->width > 0 && slice->height > 0;
  if (!r->has_slice)
    return;

  /* pixel centres sit at texel centres: the quad spans half a pixel more
   * on each side than the first and last sample */
  gfloat quad[4 * 5];
  const gdouble corners[4][2] = { { -0.5, -0.5 }, { 1, -0.5 }, { -0.5, 1 }, { 1, 1 } };
  for (guint c = 0; c < 4; c++)
    {
      gdouble a = corners[c][0] < 0 ? -0.5 : slice->width - 0.5;
      gdouble b = corners[c][1] < 0 ? -0.5 : slice->height - 0.5;
      for (guint k = 0; k < 3; k++)
        quad[5 * c + k] = (gfloat) (slice->origin[k]
                                    + slice->pixel_size * (a * slice->u[k] + b * slice->v[k]));
      quad[5 * c + 3] = corners[c][0] < 0 ? 0.0f : 1.0f;
      quad[5 * c + 4] = corners[c][1] < 0 ? 0.0f : 1.0f;
    }
  glBindBuffer (GL_ARRAY_BUFFER, r->vbo);
  glBufferData (GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glBindBuffer (GL_ARRAY_BUFFER, 0);

  glBindTexture (GL_TEXTURE_2D, r->texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_R32F, slice->width, slice->height, 0, GL_RED, GL_FLOAT,
                slice->data);
  glBindTexture (GL_TEXTURE_2D, 0);
}

void
aet_slice_renderer_set_colormap (AetSliceRenderer *r, AetColormap map)
{
  g_return_if_fail (r != NULL);
  if (map == AET_COLORMAP_GREY)
    {
      if (r->lut != 0)
        glDeleteTextures (1, &r->lut);
      r->lut = 0;
      return;
    }
  guint8 rgba[256 * 4];
  for (guint i = 0; i < 256; i++)
    {
      gfloat rgb[3];
      aet_colormap_map (map, i / 255.0, 0.0, 1.0, rgb);
      for (guint c = 0; c < 3; c++)
        rgba[4 * i + c] = (guint8) CLAMP (lroundf (255.0f * rgb[c]), 0, 255);
      rgba[4 * i + 3] = 255;
    }
  if (r->lut == 0)
    {
      glGenTextures (1, &r->lut);
      glBindTexture (GL_TEXTURE_2D, r->lut);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
  else
    glBindTexture (GL_TEXTURE_2D, r->lut);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, 256, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  glBindTexture (GL_TEXTURE_2D, 0);
}

void
aet_slice_renderer_upload_markers (AetSliceRenderer *r, guint n, const gfloat *positions)
{
  g_return_if_fail (r != NULL);
  g_return_if_fail (n == 0 || positions != NULL);
  glBindBuffer (GL_ARRAY_BUFFER, r->marker_vbo);
  glBufferData (GL_ARRAY_BUFFER, (GLsizeiptr) (3 * (gsize) n * sizeof (gfloat)), positions,
                GL_STATIC_DRAW);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  r->n_markers = n;
}

void
aet_slice_renderer_draw (AetSliceRenderer *r, mat4 view, mat4 projection, gfloat vmin,
                         gfloat vmax, const gfloat marker_color[3], gfloat marker_size)
{
  g_return_if_fail (r != NULL);
  if (!r->has_slice)
    return;

  glUseProgram (r->program);
  aet_gl_uniform_mat4 (r->program, "u_view", (const float *) view);
  aet_gl_uniform_mat4 (r->program, "u_proj", (const float *) projection);
  aet_gl_uniform_float (r->program, "u_min", vmin);
  aet_gl_uniform_float (r->program, "u_max", vmax);
  aet_gl_uniform_int (r->program, "u_image", 0);
  aet_gl_uniform_int (r->program, "u_lut", 1);
  aet_gl_uniform_int (r->program, "u_use_lut", r->lut != 0);
  if (r->lut != 0)
    {
      glActiveTexture (GL_TEXTURE1);
      glBindTexture (GL_TEXTURE_2D, r->lut);
    }
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, r->texture);
  glBindVertexArray (r->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindTexture (GL_TEXTURE_2D, 0);
  if (r->lut != 0)
    {
      glActiveTexture (GL_TEXTURE1);
      glBindTexture (GL_TEXTURE_2D, 0);
      glActiveTexture (GL_TEXTURE0);
    }

  if (r->n_markers > 0)
    {
      /* ES always takes the size from the shader */
      if (!aet_gl_is_es ())
        glEnable (GL_PROGRAM_POINT_SIZE);
      glUseProgram (r->marker_program);
      aet_gl_uniform_mat4 (r->marker_program, "u_view", (const float *) view);
      aet_gl_uniform_mat4 (r->marker_program, "u_proj", (const float *) projection);
      aet_gl_uniform_vec3 (r->marker_program, "u_color", marker_color);
      aet_gl_uniform_float (r->marker_program, "u_point_size", marker_size);
      glBindVertexArray (r->marker_vao);
      glDrawArrays (GL_POINTS, 0, (GLsizei) r->n_markers);
      if (!aet_gl_is_es ())
        glDisable (GL_PROGRAM_POINT_SIZE);
    }
  glBindVertexArray (0);
  glUseProgram (0);
}
