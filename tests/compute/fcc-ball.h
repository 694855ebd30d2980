/* fcc-ball.h — a test particle: a ball cut from an FCC lattice, randomly
 * rotated and jittered, centred in a cubic box.  Shared by the tracing and
 * matching tests and bench/trace.c. */
#pragma once

#include "aet-atoms.h"

#include <math.h>

/* Atoms (Z 78) of an FCC lattice of constant a (Å) within `radius` Å of the
 * centre of an n³ box of voxel `voxel` Å, rotated by a uniformly random
 * rotation and jittered uniformly ±jitter Å per axis.  The column "surface"
 * is 1 for atoms with fewer than 12 neighbours within 1.1·a/√2. */
static inline AetAtoms *
fcc_ball_new (GRand *rng, gdouble a, gdouble radius, gint n, gdouble voxel, gdouble jitter)
{
  /* random unit quaternion (Shoemake) → rotation matrix */
  gdouble u1 = g_rand_double (rng), u2 = g_rand_double (rng), u3 = g_rand_double (rng);
  gdouble qw = sqrt (1 - u1) * sin (2 * G_PI * u2), qx = sqrt (1 - u1) * cos (2 * G_PI * u2);
  gdouble qy = sqrt (u1) * sin (2 * G_PI * u3), qz = sqrt (u1) * cos (2 * G_PI * u3);
  gdouble R[3][3] = {
    { 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw) },
    { 2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw) },
    { 2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy) },
  };
  gdouble centre = (n / 2) * voxel;
  /* a random sub-lattice shift so the ball is not always centred on an atom */
  gdouble shift[3];
  for (int k = 0; k < 3; k++)
    shift[k] = g_rand_double_range (rng, 0, a / 2);
  gint m = (gint) ceil (radius / (a / 2)) + 2;
  AetAtoms *atoms = aet_atoms_new (1024);
  for (gint i = -m; i <= m; i++)
    for (gint j = -m; j <= m; j++)
      for (gint k = -m; k <= m; k++)
        {
          if (((i + j + k) & 1) != 0)
            continue;
          gdouble p[3] = { i * a / 2 + shift[0], j * a / 2 + shift[1], k * a / 2 + shift[2] };
          if (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > radius * radius)
            continue;
          gdouble q[3];
          for (int r = 0; r < 3; r++)
            q[r] = centre + R[r][0] * p[0] + R[r][1] * p[1] + R[r][2] * p[2]
                   + g_rand_double_range (rng, -jitter, jitter);
          aet_atoms_append (atoms, 78, q[0], q[1], q[2]);
        }
  gfloat *surface = aet_atoms_ensure_column (atoms, "surface");
  gdouble cut2 = (1.1 * a / G_SQRT2) * (1.1 * a / G_SQRT2);
  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      gint count = 0;
      for (gsize j = 0; j < atoms->n_atoms; j++)
        {
          gdouble d2 = 0;
          for (int r = 0; r < 3; r++)
            {
              gdouble e = atoms->positions[3 * i + r] - atoms->positions[3 * j + r];
              d2 += e * e;
            }
          count += j != i && d2 < cut2;
        }
      surface[i] = count < 12 ? 1.0f : 0.0f;
    }
  return atoms;
}
