/* aet-fourier-grid.h — GENFIRE's gridding: projections onto an oversampled
 * 3D Fourier grid.
 *
 * The real-space box (the nx × ny × nz volume) sits at the corner of a
 * gx × gy × gz grid (gx = gz = oversampling·max(nx, nz), gy =
 * oversampling·ny, rounded up to even).  By the projection-slice theorem the
 * 2D transform of the image at tilt θ is the 3D transform on the plane
 * through the origin with normal (−sin θ, 0, cos θ).  Every grid point
 * within `cutoff` grid units of a plane (and whose in-plane position lies
 * inside the image's band, |a| ≤ ½ cycle per pixel) receives the exact
 * DFT of that image at its in-plane frequency (a, b) — not an
 * interpolation of an FFT — and points reached by several images take the
 * average weighted by the inverse distance to each plane (1/max(d, 0.001),
 * so a point on a plane is all but taken from that image).
 *
 * Because the tilt axis is y, a plane's distance does not depend on ky:
 * the measured set is a list of (kx, kz) columns, each with all gy values
 * of ky, and b = ky/gy falls on the integer frequencies of the image column
 * zero-padded to gy.  So each image gets one batch of 1D FFTs along y (in
 * place of the y sum of the DFT, exactly), and only the x sum is done as a
 * direct DFT at the non-integer a of each column: exact, and cheap (one
 * complex dot product of length nx per measured point).  Only kx ≥ 0 is
 * stored (FFTW's half-complex layout); the kx = 0 and Nyquist planes are
 * made Hermitian by averaging each point with its conjugate partner.
 *
 * The values include the phase that moves the rotation centre (⌊nx/2⌋,
 * ⌊ny/2⌋, ⌊nz/2⌋) of the box to the grid's corner layout, and the tilt
 * series' per-image shifts, so an r2c FFT of the grid (z slowest) compares
 * directly with them.
 */
#pragma once

#include "aet-job.h"
#include "aet-tilt-series.h"

G_BEGIN_DECLS

typedef struct
{
  gint nx, ny, nz;        /* the real-space box */
  gint gx, gy, gz, gh;    /* the grid; gh = gx/2 + 1 (r2c last dimension) */
  gint n_columns;
  gint *col_kx;           /* 0 … gx/2 */
  gint *col_kz;           /* −gz/2 … gz/2 − 1 */
  gsize *col_base;        /* index of (kx, ky = 0, kz) in the gz × gy × gh half grid;
                           * ky index j adds j·gh */
  gfloat *values;         /* n_columns × gy complex (re, im), ky index fastest */
  gfloat *radius;         /* n_columns × gy: |q| in cycles per voxel */
  gfloat max_radius;
  gdouble seconds;        /* wall time of the gridding */
} AetFourierGrid;

/* Grids `series` (angles, shifts) for a box of thickness nz (≤ 0: nx).
 * NULL with AET_ERROR_INVALID for oversampling < 1 or cutoff ≤ 0, or
 * AET_ERROR_CANCELLED.  Caller owns. */
AetFourierGrid *aet_fourier_grid_new (const AetTiltSeries *series, gint nz,
                                      gdouble oversampling, gdouble cutoff, guint n_threads,
                                      AetJob *job, GError **error);
void aet_fourier_grid_free (AetFourierGrid *grid);

/* The total number of measured points (n_columns · gy). */
static inline gsize
aet_fourier_grid_n_points (const AetFourierGrid *g)
{
  return (gsize) g->n_columns * (gsize) g->gy;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetFourierGrid, aet_fourier_grid_free)

G_END_DECLS
