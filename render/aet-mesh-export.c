#define G_LOG_DOMAIN "aet-mesh-export"

#include "aet-mesh-export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aet-error.h"
#include "aet-file-util.h"

static void
put_f32_le (guint8 *dst, gfloat v)
{
  guint32 bits;
  memcpy (&bits, &v, 4);
  bits = GUINT32_TO_LE (bits);
  memcpy (dst, &bits, 4);
}

static gboolean
write_stl (const AetIsoMesh *m, FILE *f)
{
  guint8 header[84] = { 0 };
  g_snprintf ((char *) header, 80, "AET Studio iso-surface, Angstrom, %u triangles",
              m->n_triangles);
  guint32 n = GUINT32_TO_LE (m->n_triangles);
  memcpy (header + 80, &n, 4);
  if (fwrite (header, 1, sizeof header, f) != sizeof header)
    return FALSE;
  guint8 rec[50];
  for (guint t = 0; t < m->n_triangles; t++)
    {
      const gfloat *v[3];
      for (int k = 0; k < 3; k++)
        v[k] = m->positions + 3 * (gsize) m->indices[3 * t + k];
      gfloat e1[3], e2[3], nrm[3];
      for (int a = 0; a < 3; a++)
        {
          e1[a] = v[1][a] - v[0][a];
          e2[a] = v[2][a] - v[0][a];
        }
      nrm[0] = e1[1] * e2[2] - e1[2] * e2[1];
      nrm[1] = e1[2] * e2[0] - e1[0] * e2[2];
      nrm[2] = e1[0] * e2[1] - e1[1] * e2[0];
      gfloat len = sqrtf (nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]);
      for (int a = 0; a < 3; a++)
        put_f32_le (rec + 4 * a, len > 0 ? nrm[a] / len : 0);
      for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++)
          put_f32_le (rec + 12 + 12 * k + 4 * a, v[k][a]);
      rec[48] = rec[49] = 0;
      if (fwrite (rec, 1, sizeof rec, f) != sizeof rec)
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_obj (const AetIsoMesh *m, FILE *f)
{
  if (fprintf (f, "# AET Studio iso-surface: %u vertices, %u triangles, coordinates in Å\n",
               m->n_vertices, m->n_triangles) < 0)
    return FALSE;
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; i < m->n_vertices; i++)
    {
      const gfloat *p = m->positions + 3 * (gsize) i;
      if (fprintf (f, "v %s %s %s\n", g_ascii_formatd (a, sizeof a, "%.5f", p[0]),
                   g_ascii_formatd (b, sizeof b, "%.5f", p[1]),
                   g_ascii_formatd (c, sizeof c, "%.5f", p[2])) < 0)
        return FALSE;
    }
  for (guint i = 0; i < m->n_vertices; i++)
    {
      const gfloat *p = m->normals + 3 * (gsize) i;
      if (fprintf (f, "vn %s %s %s\n", g_ascii_formatd (a, sizeof a, "%.4f", p[0]),
                   g_ascii_formatd (b, sizeof b, "%.4f", p[1]),
                   g_ascii_formatd (c, sizeof c, "%.4f", p[2])) < 0)
        return FALSE;
    }
  for (guint t = 0; t < m->n_triangles; t++)
    {
      const guint32 *q = m->indices + 3 * (gsize) t;
      if (fprintf (f, "f %u//%u %u//%u %u//%u\n", q[0] + 1, q[0] + 1, q[1] + 1, q[1] + 1,
                   q[2] + 1, q[2] + 1) < 0)
        return FALSE;
    }
  return TRUE;
}

gboolean
aet_iso_mesh_save (const AetIsoMesh *mesh, const char *path, GError **error)
{
  g_return_val_if_fail (mesh != NULL && path != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  g_autofree char *ext = aet_path_extension (path);
  gboolean stl = g_str_equal (ext, "stl"), obj = g_str_equal (ext, "obj");
  if (!stl && !obj)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: unknown surface format (use .stl or .obj)", name);
      return FALSE;
    }
  if (mesh->n_triangles == 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: the iso-surface is empty at this level", name);
      return FALSE;
    }
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  FILE *f = fopen (tmp, "wb");
  gboolean ok = f != NULL && (stl ? write_stl (mesh, f) : write_obj (mesh, f));
  return aet_temp_finish (f, ok, tmp, path, error);
}
