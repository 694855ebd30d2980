/* aet-neighbors.h — a uniform-grid (cell list) spatial index over 3D points.
 *
 * Tracing, matching and structure analysis all ask "which atoms are near
 * this point": minimum-distance pruning, one-to-one matching within 0.9 Å,
 * coordination shells.  A brute-force scan is O(n²) over ~1,500 atoms per
 * query set; a cell list of edge ≈ the query radius makes each query touch
 * 27 cells.
 *
 * The index keeps a pointer to the caller's positions (3·n doubles, Å) and
 * copies nothing: the positions must outlive the index and not change while
 * it is used.  Points with a non-finite coordinate are left out of the index
 * (never returned).  Queries are read-only and may run from several threads
 * at once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetNeighbors AetNeighbors;

/* Builds the index over `n` points (positions[3i..3i+2]) with cells of edge
 * `cell_size` Å (≤ 0 picks 2.5 Å; the edge grows when the bounding box
 * would need more than ~16 cells per point).  Caller owns; free with
 * aet_neighbors_free(). */
AetNeighbors *aet_neighbors_new (const gdouble *positions, gsize n, gdouble cell_size);
/* Frees the index (not the positions); NULL is ignored. */
void aet_neighbors_free (AetNeighbors *nb);

/* Appends to `out` (a GArray of guint) the index of every point within
 * `radius` Å of p (distance ≤ radius; a point at p itself is included),
 * in increasing index order; returns how many were appended. */
guint aet_neighbors_within (const AetNeighbors *nb, const gdouble p[3], gdouble radius,
                            GArray *out);

/* The index of the point nearest to p with distance ≤ max_dist (max_dist
 * < 0 or infinite: no limit), or -1 when there is none; ties go to the
 * lower index.  The distance goes to *dist when dist is not NULL (set to
 * +∞ when nothing is found). */
gssize aet_neighbors_nearest (const AetNeighbors *nb, const gdouble p[3], gdouble max_dist,
                              gdouble *dist);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetNeighbors, aet_neighbors_free)

G_END_DECLS
