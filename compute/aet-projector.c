#define G_LOG_DOMAIN "aet-projector"

#include "aet-projector.h"
#include "aet-parallel.h"

#include <math.h>
#include <string.h>

/* Where one voxel column (i, k) lands along u in one image: up to two bins
 * (b, b + 1) with weights w0, w1; b = −2 means nowhere. */
typedef struct
{
  gint b;
  gfloat w0, w1;
} Tap;

/* Rows along v: row j goes to j + r0 (weight f0) and j + r0 + 1 (weight f1). */
typedef struct
{
  gint r0;
  gfloat f0, f1;
} RowTap;

struct _AetProjector
{
  gint nx, ny, nz, n_images;
  Tap *taps;        /* n_images × nz × nx */
  RowTap *rows;     /* n_images */
};

AetProjector *
aet_projector_new (gint nx, gint ny, gint nz, gint n_images, const gdouble *angles_deg,
                   const gdouble *shifts)
{
  g_return_val_if_fail (nx > 0 && ny > 0 && nz > 0 && n_images > 0, NULL);
  g_return_val_if_fail (angles_deg != NULL, NULL);
  AetProjector *p = g_new0 (AetProjector, 1);
  p->nx = nx;
  p->ny = ny;
  p->nz = nz;
  p->n_images = n_images;
  p->taps = g_new (Tap, (gsize) n_images * (gsize) nz * (gsize) nx);
  p->rows = g_new (RowTap, n_images);
  const gint cx = nx / 2, cz = nz / 2;
  for (gint t = 0; t < n_images; t++)
    {
      const gdouble th = angles_deg[t] * G_PI / 180.0;
      const gdouble c = cos (th), s = sin (th);
      const gdouble w = MAX (fabs (c), fabs (s));
      const gdouble dx = shifts ? shifts[2 * t] : 0.0;
      const gdouble dy = shifts ? shifts[2 * t + 1] : 0.0;
      for (gint k = 0; k < nz; k++)
        for (gint i = 0; i < nx; i++)
          {
            Tap *tap = &p->taps[((gsize) t * nz + k) * nx + i];
            const gdouble u = cx + (i - cx) * c + (k - cz) * s + dx;
            const gdouble left = u - 0.5 * w;
            const gdouble b0 = floor (left + 0.5);
            gdouble w0 = (b0 + 0.5 - left) / w;
            if (w0 > 1.0)
              w0 = 1.0;
            tap->b = (gint) b0;
            tap->w0 = (gfloat) w0;
            tap->w1 = (gfloat) (1.0 - w0);
            if (tap->b < -1 || tap->b >= nx)
              tap->b = -2;
          }
      const gdouble r = floor (dy);
      p->rows[t].r0 = (gint) r;
      p->rows[t].f1 = (gfloat) (dy - r);
      p->rows[t].f0 = (gfloat) (1.0 - (dy - r));
    }
  return p;
}

void
aet_projector_free (AetProjector *projector)
{
  if (projector == NULL)
    return;
  g_free (projector->taps);
  g_free (projector->rows);
  g_free (projector);
}

/* Adds weight·src (a row of nx voxels) into one image row through the taps. */
static inline void
splat_row (const Tap *taps, gint nx, const gfloat *src, gfloat weight, gfloat *dst)
{
  for (gint i = 0; i < nx; i++)
    {
      const Tap *tp = &taps[i];
      if (tp->b == -2)
        continue;
      const gfloat v = weight * src[i];
      if (tp->b >= 0)
        dst[tp->b] += tp->w0 * v;
      if (tp->b + 1 < nx)
        dst[tp->b + 1] += tp->w1 * v;
    }
}

/* Adds weight·(gathered image row) into a row of nx voxels. */
static inline void
gather_row (const Tap *taps, gint nx, const gfloat *src, gfloat weight, gfloat *dst)
{
  for (gint i = 0; i < nx; i++)
    {
      const Tap *tp = &taps[i];
      if (tp->b == -2)
        continue;
      gfloat acc = 0.0f;
      if (tp->b >= 0)
        acc += tp->w0 * src[tp->b];
      if (tp->b + 1 < nx)
        acc += tp->w1 * src[tp->b + 1];
      dst[i] += weight * acc;
    }
}

void
aet_projector_forward_one (const AetProjector *p, gint t, const gfloat *volume, gfloat *image)
{
  const gint nx = p->nx, ny = p->ny, nz = p->nz;
  const RowTap *rt = &p->rows[t];
  memset (image, 0, sizeof (gfloat) * (gsize) nx * (gsize) ny);
  for (gint k = 0; k < nz; k++)
    {
      const Tap *taps = &p->taps[((gsize) t * nz + k) * nx];
      for (gint j = 0; j < ny; j++)
        {
          const gfloat *src = volume + ((gsize) k * ny + j) * nx;
          const gint q0 = j + rt->r0;
          if (q0 >= 0 && q0 < ny && rt->f0 != 0.0f)
            splat_row (taps, nx, src, rt->f0, image + (gsize) q0 * nx);
          if (q0 + 1 >= 0 && q0 + 1 < ny && rt->f1 != 0.0f)
            splat_row (taps, nx, src, rt->f1, image + (gsize) (q0 + 1) * nx);
        }
    }
}

typedef struct
{
  const AetProjector *p;
  const gfloat *in;
  gfloat *out;
} Work;

static void
forward_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Work *w = user_data;
  const gsize plane = (gsize) w->p->nx * (gsize) w->p->ny;
  for (gsize t = start; t < end; t++)
    aet_projector_forward_one (w->p, (gint) t, w->in, w->out + t * plane);
}

void
aet_projector_forward (const AetProjector *p, const gfloat *volume, gfloat *images,
                       guint n_threads)
{
  g_return_if_fail (p != NULL && volume != NULL && images != NULL);
  Work w = { p, volume, images };
  aet_parallel_for (n_threads, (gsize) p->n_images, forward_range, &w);
}

static void
back_range (gsize start, gsize end, guint thread_index, gpointer user_data)
{
  Work *w = user_data;
  const AetProjector *p = w->p;
  const gint nx = p->nx, ny = p->ny, nz = p->nz;
  const gsize plane = (gsize) nx * (gsize) ny;
  for (gsize k = start; k < end; k++)
    {
      gfloat *slab = w->out + k * plane;
      memset (slab, 0, sizeof (gfloat) * plane);
      for (gint t = 0; t < p->n_images; t++)
        {
          const Tap *taps = &p->taps[((gsize) t * nz + k) * nx];
          const RowTap *rt = &p->rows[t];
          const gfloat *image = w->in + (gsize) t * plane;
          for (gint j = 0; j < ny; j++)
            {
              gfloat *dst = slab + (gsize) j * nx;
              const gint q0 = j + rt->r0;
              if (q0 >= 0 && q0 < ny && rt->f0 != 0.0f)
                gather_row (taps, nx, image + (gsize) q0 * nx, rt->f0, dst);
              if (q0 + 1 >= 0 && q0 + 1 < ny && rt->f1 != 0.0f)
                gather_row (taps, nx, image + (gsize) (q0 + 1) * nx, rt->f1, dst);
            }
        }
    }
}

void
aet_projector_back (const AetProjector *p, const gfloat *images, gfloat *volume,
                    guint n_threads)
{
  g_return_if_fail (p != NULL && volume != NULL && images != NULL);
  Work w = { p, images, volume };
  aet_parallel_for (n_threads, (gsize) p->nz, back_range, &w);
}
