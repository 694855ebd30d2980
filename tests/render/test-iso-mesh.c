/* Marching cubes: a sampled sphere gives a closed, consistently oriented
 * mesh with the right area, independent of the thread count. */
#include <math.h>
#include <string.h>

#include "aet-error.h"
#include "aet-iso-mesh.h"
#include "aet-scene.h"
#include "aet-substrate.h"

static AetVolume *
sphere_volume (gint n, gdouble radius_vox, gdouble voxel_size)
{
  AetVolume *v = aet_volume_new (n, n, n, voxel_size);
  v->origin[0] = 5.0;
  v->origin[1] = -3.0;
  v->origin[2] = 1.5;
  gdouble c = 0.5 * (n - 1) + 0.13;  /* off the grid so no corner sits on the level */
  for (gint k = 0; k < n; k++)
    for (gint j = 0; j < n; j++)
      for (gint i = 0; i < n; i++)
        {
          gdouble r = sqrt ((i - c) * (i - c) + (j - c) * (j - c) + (k - c) * (k - c));
          v->data[aet_volume_index (v, i, j, k)] = (gfloat) (radius_vox - r);
        }
  return v;
}

/* Every undirected edge is used by exactly two triangles, once in each
 * direction (closed and consistently oriented). */
static void
assert_closed (const AetIsoMesh *m)
{
  g_autoptr (GHashTable) directed = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gint64 *keys = g_new (gint64, 3 * (gsize) m->n_triangles);
  for (guint t = 0; t < m->n_triangles; t++)
    for (guint e = 0; e < 3; e++)
      {
        guint32 a = m->indices[3 * t + e], b = m->indices[3 * t + (e + 1) % 3];
        g_assert_cmpuint (a, <, m->n_vertices);
        g_assert_cmpuint (a, !=, b);
        gint64 *k = keys + 3 * t + e;
        *k = ((gint64) a << 32) | b;
        g_assert_false (g_hash_table_contains (directed, k));
        g_hash_table_add (directed, k);
      }
  for (guint i = 0; i < 3 * m->n_triangles; i++)
    {
      gint64 rev = ((keys[i] & 0xffffffff) << 32) | (keys[i] >> 32);
      g_assert_true (g_hash_table_contains (directed, &rev));
    }
}

static void
test_sphere_closed_area (void)
{
  gdouble vs = 0.5, R = 14.3;
  g_autoptr (AetVolume) v = sphere_volume (40, R, vs);
  g_autoptr (GError) error = NULL;
  g_autoptr (AetIsoMesh) m = aet_iso_mesh_compute (v, 0.0, 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_triangles, >, 1000);
  assert_closed (m);

  gdouble area = aet_iso_mesh_area (m);
  gdouble expected = 4 * G_PI * (R * vs) * (R * vs);
  g_test_message ("area %.2f Å², expected %.2f (%.2f%%)", area, expected,
                  100 * (area - expected) / expected);
  g_assert_cmpfloat (fabs (area - expected) / expected, <, 0.02);

  /* vertices lie on the sphere, in Å in the volume frame, and the normals
   * point outwards (away from the high side) */
  gdouble c[3];
  for (guint a = 0; a < 3; a++)
    c[a] = v->origin[a] + (0.5 * 39 + 0.13) * vs;
  gdouble signed_volume = 0;
  for (guint i = 0; i < m->n_vertices; i++)
    {
      gdouble d[3], r = 0, dot = 0;
      for (guint a = 0; a < 3; a++)
        {
          d[a] = m->positions[3 * i + a] - c[a];
          r += d[a] * d[a];
        }
      r = sqrt (r);
      for (guint a = 0; a < 3; a++)
        dot += m->normals[3 * i + a] * d[a] / r;
      g_assert_cmpfloat (fabs (r - R * vs), <, 0.05 * vs * R);
      g_assert_cmpfloat (dot, >, 0.98);
    }
  for (guint t = 0; t < m->n_triangles; t++)
    {
      const gfloat *p0 = m->positions + 3 * m->indices[3 * t];
      const gfloat *p1 = m->positions + 3 * m->indices[3 * t + 1];
      const gfloat *p2 = m->positions + 3 * m->indices[3 * t + 2];
      signed_volume += (p0[0] * (p1[1] * p2[2] - p1[2] * p2[1])
                        - p0[1] * (p1[0] * p2[2] - p1[2] * p2[0])
                        + p0[2] * (p1[0] * p2[1] - p1[1] * p2[0])) / 6.0;
    }
  gdouble expected_volume = 4.0 / 3.0 * G_PI * pow (R * vs, 3);
  /* positive: triangles wind counter-clockwise seen from outside */
  g_assert_cmpfloat (fabs (signed_volume - expected_volume) / expected_volume, <, 0.03);
}

static void
test_thread_independent (void)
{
  g_autoptr (AetVolume) v = sphere_volume (33, 11.0, 1.0);
  g_autoptr (AetIsoMesh) a = aet_iso_mesh_compute (v, 0.0, 1, NULL, NULL);
  g_autoptr (AetIsoMesh) b = aet_iso_mesh_compute (v, 0.0, 4, NULL, NULL);
  g_assert_cmpuint (a->n_vertices, ==, b->n_vertices);
  g_assert_cmpuint (a->n_triangles, ==, b->n_triangles);
  g_assert_cmpmem (a->positions, 12 * a->n_vertices, b->positions, 12 * b->n_vertices);
  g_assert_cmpmem (a->indices, 12 * a->n_triangles, b->indices, 12 * b->n_triangles);
  assert_closed (b);
}

/* Two blobs touching diagonally exercise the ambiguous faces: the mesh must
 * still be closed. */
static void
test_ambiguous_closed (void)
{
  g_autoptr (AetVolume) v = aet_volume_new (24, 24, 24, 1.0);
  GRand *rand = g_rand_new_with_seed (7);
  for (gint k = 2; k < 22; k++)
    for (gint j = 2; j < 22; j++)
      for (gint i = 2; i < 22; i++)
        v->data[aet_volume_index (v, i, j, k)] = (gfloat) g_rand_double_range (rand, -1, 1);
  g_rand_free (rand);
  g_autoptr (AetIsoMesh) m = aet_iso_mesh_compute (v, 0.1, 2, NULL, NULL);
  g_assert_cmpuint (m->n_triangles, >, 1000);
  assert_closed (m);
}

static void
test_errors (void)
{
  g_autoptr (AetVolume) flat = aet_volume_new (8, 8, 1, 1.0);
  g_autoptr (GError) error = NULL;
  g_assert_null (aet_iso_mesh_compute (flat, 0.0, 1, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (AetVolume) v = aet_volume_new (8, 8, 8, 1.0);
  g_assert_null (aet_iso_mesh_compute (v, NAN, 1, NULL, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
  g_autoptr (AetIsoMesh) empty = aet_iso_mesh_compute (v, 0.5, 2, NULL, NULL);
  g_assert_cmpuint (empty->n_triangles, ==, 0);

  g_autoptr (AetJob) job = aet_job_new ();
  aet_job_cancel (job);
  g_clear_error (&error);
  g_autoptr (AetVolume) s = sphere_volume (20, 6, 1.0);
  g_assert_null (aet_iso_mesh_compute (s, 0.0, 2, job, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_CANCELLED);
}

static void
test_facet_colors (void)
{
  g_autoptr (AetVolume) v = sphere_volume (30, 10.0, 1.0);
  g_autoptr (AetIsoMesh) m = aet_iso_mesh_compute (v, 0.0, 2, NULL, NULL);
  /* two atoms: one on the +x side (facet 1), one on the -x side (facet -1) */
  g_autoptr (AetAtoms) atoms = aet_atoms_new (2);
  gdouble c = 0.5 * 29 + 0.13;
  aet_atoms_append (atoms, 78, v->origin[0] + c + 10, v->origin[1] + c, v->origin[2] + c);
  aet_atoms_append (atoms, 78, v->origin[0] + c - 10, v->origin[1] + c, v->origin[2] + c);
  gfloat *facet = aet_atoms_ensure_column (atoms, "facet");
  facet[0] = 1;
  facet[1] = -1;
  const gfloat palette[6] = { 1, 0, 0, 0, 1, 0 };
  const gfloat other[3] = { 0.5f, 0.5f, 0.5f };
  g_autoptr (GError) error = NULL;
  g_assert_true (aet_iso_mesh_color_by_nearest_atom (m, atoms, "facet", palette, 2, other, 30.0,
                                                     &error));
  g_assert_no_error (error);
  guint green = 0, grey = 0;
  for (guint i = 0; i < m->n_vertices; i++)
    {
      gdouble x = m->positions[3 * i] - (v->origin[0] + c);
      const gfloat *rgb = m->colors + 3 * i;
      if (x > 1)
        {
          g_assert_cmpfloat (rgb[1], ==, 1.0f);
          green++;
        }
      else if (x < -1)
        {
          g_assert_cmpfloat (rgb[0], ==, 0.5f);
          grey++;
        }
    }
  g_assert_cmpuint (green, >, 100);
  g_assert_cmpuint (grey, >, 100);
  g_assert_false (aet_iso_mesh_color_by_nearest_atom (m, atoms, "strain", palette, 2, other,
                                                      3.0, &error));
  g_assert_error (error, AET_ERROR, AET_ERROR_INVALID);
}

static void
test_substrate_disk (void)
{
  const gdouble p[3] = { 1, 2, 3 }, n[3] = { 0, 0, 2 };
  g_autoptr (AetIsoMesh) disk = aet_substrate_mesh_new (p, n, 10.0, 256);
  g_assert_nonnull (disk);
  g_assert_cmpfloat_with_epsilon (aet_iso_mesh_area (disk), G_PI * 100, 0.01 * G_PI * 100);
  for (guint i = 0; i < disk->n_vertices; i++)
    g_assert_cmpfloat_with_epsilon (disk->positions[3 * i + 2], 3.0, 1e-5);
  const gdouble zero[3] = { 0, 0, 0 };
  g_assert_null (aet_substrate_mesh_new (p, zero, 10.0, 16));
}

typedef struct
{
  AetVolume *volume;
  gdouble level;
  guint generation;
  AetIsoMesh *mesh;
} MeshRequest;

static gpointer
worker (gpointer data)
{
  MeshRequest *r = data;
  r->mesh = aet_iso_mesh_compute (r->volume, r->level, 2, NULL, NULL);
  return r;
}

/* The window's pattern: the main thread sets a volume, a worker computes
 * its mesh, the main thread hands it over; a mesh for a superseded volume
 * is dropped.  (No GL: the scene is not realized.) */
static void
test_worker_handoff (void)
{
  g_autoptr (AetVolume) v1 = sphere_volume (24, 6, 1.0);
  g_autoptr (AetVolume) v2 = sphere_volume (24, 9, 1.0);
  AetScene *scene = aet_scene_new ();
  MeshRequest old = { v1, 0.0, aet_scene_set_volume (scene, v1, 0.0), NULL };
  MeshRequest cur = { v2, 0.0, aet_scene_set_volume (scene, v2, 0.0), NULL };
  GThread *a = g_thread_new ("mesh-old", worker, &old);
  GThread *b = g_thread_new ("mesh-new", worker, &cur);
  g_thread_join (a);
  g_thread_join (b);
  g_assert_nonnull (old.mesh);
  g_assert_nonnull (cur.mesh);
  gdouble area = aet_iso_mesh_area (cur.mesh);
  g_assert_true (aet_scene_take_iso_mesh (scene, cur.mesh, cur.generation));
  g_assert_false (aet_scene_take_iso_mesh (scene, old.mesh, old.generation));
  g_assert_cmpfloat_with_epsilon (area, 4 * G_PI * 81, 0.03 * 4 * G_PI * 81);
  aet_scene_free (scene);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/iso-mesh/sphere-closed-area", test_sphere_closed_area);
  g_test_add_func ("/render/iso-mesh/thread-independent", test_thread_independent);
  g_test_add_func ("/render/iso-mesh/ambiguous-closed", test_ambiguous_closed);
  g_test_add_func ("/render/iso-mesh/errors", test_errors);
  g_test_add_func ("/render/iso-mesh/facet-colors", test_facet_colors);
  g_test_add_func ("/render/iso-mesh/substrate-disk", test_substrate_disk);
  g_test_add_func ("/render/iso-mesh/worker-handoff", test_worker_handoff);
  return g_test_run ();
}
