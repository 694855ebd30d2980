#define G_LOG_DOMAIN "aet-shapes"

#include "aet-shapes.h"

#include <math.h>

#define MAX_SPHERES 8

struct _AetShape
{
  AetShapeKind kind;
  gdouble scale;
  /* polyhedra */
  gdouble d[14];
  /* sphere union */
  guint n_spheres;
  gdouble centre[MAX_SPHERES][3];
  gdouble radius[MAX_SPHERES];
  gdouble smooth;  /* smooth-union width, Å */
};

#define S3 0.57735026918962576451
#define AET_SQRT3 1.73205080756887729353
static const gdouble facet_normals[14][3] = {
  { S3, S3, S3 }, { -S3, S3, S3 }, { S3, -S3, S3 }, { S3, S3, -S3 },
  { -S3, -S3, S3 }, { -S3, S3, -S3 }, { S3, -S3, -S3 }, { -S3, -S3, -S3 },
  { 1, 0, 0 }, { -1, 0, 0 }, { 0, 1, 0 }, { 0, -1, 0 }, { 0, 0, 1 }, { 0, 0, -1 },
};

static const struct
{
  const char *name, *alias;
  AetShapeKind kind;
} kind_names[] = {
  { "sphere-union", "union", AET_SHAPE_SPHERE_UNION },
  { "truncated-octahedron", "to", AET_SHAPE_TRUNCATED_OCTAHEDRON },
  { "cuboctahedron", "co", AET_SHAPE_CUBOCTAHEDRON },
};

gboolean
aet_shape_kind_from_name (const char *name, AetShapeKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);
  if (name == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_ascii_strcasecmp (name, kind_names[i].name) == 0
        || g_ascii_strcasecmp (name, kind_names[i].alias) == 0)
      {
        *kind = kind_names[i].kind;
        return TRUE;
      }
  return FALSE;
}

const char *
aet_shape_kind_name (AetShapeKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (kind_names[i].kind == kind)
      return kind_names[i].name;
  return "unknown";
}

const gdouble (*aet_shape_facet_normals (void))[3]
{
  return facet_normals;
}

AetShape *
aet_shape_new_polyhedron (const gdouble d111[8], const gdouble d100[6])
{
  AetShape *s = g_new0 (AetShape, 1);
  s->kind = AET_SHAPE_TRUNCATED_OCTAHEDRON;
  s->scale = 1.0;
  for (int i = 0; i < 8; i++)
    s->d[i] = d111[i];
  for (int i = 0; i < 6; i++)
    s->d[8 + i] = d100[i];
  return s;
}

AetShape *
aet_shape_new_random (AetShapeKind kind, gdouble radius, AetRng *rng)
{
  g_return_val_if_fail (radius > 0.0 && rng != NULL, NULL);
  if (kind == AET_SHAPE_SPHERE_UNION)
    {
      AetShape *s = g_new0 (AetShape, 1);
      s->kind = kind;
      s->scale = 1.0;
      s->n_spheres = 3 + (guint) aet_rng_below (rng, 4);
      s->radius[0] = radius;
      for (guint i = 1; i < s->n_spheres; i++)
        {
          /* A direction uniform on the sphere. */
          gdouble cz = aet_rng_range (rng, -1.0, 1.0), phi = aet_rng_range (rng, 0, 2 * G_PI);
          gdouble sz = sqrt (1.0 - cz * cz);
          gdouble dist = radius * aet_rng_range (rng, 0.25, 0.55);
          s->centre[i][0] = dist * sz * cos (phi);
          s->centre[i][1] = dist * sz * sin (phi);
          s->centre[i][2] = dist * cz;
          s->radius[i] = radius * aet_rng_range (rng, 0.6, 0.85);
        }
      s->smooth = 0.35 * radius;
      return s;
    }

  /* Wulff-like: the {100}/{111} distance ratio sets the shape (√3 is the
   * bare octahedron, 2/√3 the regular truncated octahedron, √3/2 the
   * cuboctahedron, 1/√3 the cube); each facet then moves a few percent on
   * its own, as growth and surface energies vary. */
  gdouble ratio = kind == AET_SHAPE_CUBOCTAHEDRON
                    ? 0.5 * AET_SQRT3 * aet_rng_range (rng, 0.95, 1.05)
                    : aet_rng_range (rng, 1.0, 1.12);
  gdouble d111[8], d100[6];
  for (int i = 0; i < 8; i++)
    d111[i] = radius * aet_rng_range (rng, 0.94, 1.06);
  for (int i = 0; i < 6; i++)
    d100[i] = radius * ratio * aet_rng_range (rng, 0.95, 1.05);
  AetShape *s = aet_shape_new_polyhedron (d111, d100);
  s->kind = kind;
  return s;
}

void
aet_shape_free (AetShape *shape)
{
  g_free (shape);
}

AetShapeKind
aet_shape_get_kind (const AetShape *shape)
{
  return shape->kind;
}

void
aet_shape_set_scale (AetShape *shape, gdouble scale)
{
  g_return_if_fail (scale > 0.0);
  shape->scale = scale;
}

/* Polynomial smooth minimum (width k): equals min(a, b) when they differ
 * by more than k and rounds the crease between two spheres otherwise. */
static gdouble
smooth_min (gdouble a, gdouble b, gdouble k)
{
  gdouble h = MAX (k - fabs (a - b), 0.0) / k;
  return MIN (a, b) - h * h * k * 0.25;
}

gdouble
aet_shape_value (const AetShape *s, const gdouble r[3])
{
  gdouble p[3] = { r[0] / s->scale, r[1] / s->scale, r[2] / s->scale };
  gdouble v;
  if (s->kind == AET_SHAPE_SPHERE_UNION)
    {
      v = G_MAXDOUBLE;
      for (guint i = 0; i < s->n_spheres; i++)
        {
          gdouble dx = p[0] - s->centre[i][0], dy = p[1] - s->centre[i][1];
          gdouble dz = p[2] - s->centre[i][2];
          gdouble di = sqrt (dx * dx + dy * dy + dz * dz) - s->radius[i];
          v = i == 0 ? di : smooth_min (v, di, s->smooth);
        }
    }
  else
    {
      v = -G_MAXDOUBLE;
      for (int i = 0; i < 14; i++)
        {
          const gdouble *n = facet_normals[i];
          v = MAX (v, n[0] * p[0] + n[1] * p[1] + n[2] * p[2] - s->d[i]);
        }
    }
  return v * s->scale;
}

gdouble
aet_shape_bounding_radius (const AetShape *s)
{
  gdouble r = 0.0;
  if (s->kind == AET_SHAPE_SPHERE_UNION)
    {
      /* The smooth union bulges by at most smooth/4 beyond the spheres. */
      for (guint i = 0; i < s->n_spheres; i++)
        r = MAX (r, sqrt (s->centre[i][0] * s->centre[i][0] + s->centre[i][1] * s->centre[i][1]
                          + s->centre[i][2] * s->centre[i][2])
                      + s->radius[i]);
      r += 0.25 * s->smooth;
    }
  else
    {
      /* Inside the cube of the {100} planes, so inside its circumsphere. */
      gdouble m[3];
      for (int a = 0; a < 3; a++)
        m[a] = MAX (s->d[8 + 2 * a], s->d[9 + 2 * a]);
      r = sqrt (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
      gdouble dmax = 0.0;
      for (int i = 0; i < 8; i++)
        dmax = MAX (dmax, s->d[i]);
      r = MIN (r, AET_SQRT3 * dmax);  /* and inside the octahedron's */
    }
  return r * s->scale;
}

gboolean
aet_shape_get_facet_distances (const AetShape *s, gdouble d[14])
{
  if (s->kind == AET_SHAPE_SPHERE_UNION)
    return FALSE;
  for (int i = 0; i < 14; i++)
    d[i] = s->d[i] * s->scale;
  return TRUE;
}
