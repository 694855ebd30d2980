/* aet-potential.h — the electrostatic potential of atoms and its projections.
 *
 * Each atom is a Gaussian of width B (per atom, Fourier profile exp(−B q²),
 * aet-atom-density.h) convolved with its element's electron scattering
 * factor: in Fourier space f_e(|q|)·exp(−B|q|²).  The Gaussian is drawn in
 * real space, where it is compact, and f_e is applied by FFT, where it is
 * a product; exp(−B q²) makes the result band-limited, so the sampled
 * volume is the continuous potential at the voxel centres.
 *
 * Units: volumes hold V(r)/(h²/2πm₀e) in Å⁻² (multiply by
 * AET_SCATTERING_VOLT_A2 = 47.878 V·Å² for volts); projections hold the line
 * integral of that, in Å⁻¹ (× 47.878 for V·Å).  A Pt atom of B = 5 Å²
 * peaks near 3 Å⁻² in 3D and 4.3 Å⁻¹ in projection.
 *
 * Projections use the Fourier slice theorem: the projection of a radially
 * symmetric atom is the 2D function whose transform is f_e(|q|)·exp(−B|q|²),
 * so each image is 2D Gaussians at the projected positions, filtered by
 * f_e in 2D, which equals summing the 3D potential volume along the beam
 * but costs a 2D FFT per image.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-job.h"
#include "aet-volume.h"

G_BEGIN_DECLS

/* Where one image looks from.  The object is turned by Rz(α)·Ry(θ)·Rz(−α)
 * about the rotation centre, α = axis_tilt (the tilt axis wobbling in the
 * image plane; 0 for the ideal y axis) and θ = angle, then projected along
 * z; with α = 0 an offset (x, y, z) lands at image offset
 * (x cos θ + z sin θ, y) from pixel (⌊nx/2⌋, ⌊ny/2⌋) (CLI.md), displaced by
 * shift (pixels). */
typedef struct
{
  gdouble angle;      /* θ, degrees */
  gdouble axis_tilt;  /* α, degrees */
  gdouble shift[2];   /* dx, dy in pixels */
} AetProjectionGeometry;

/* Adds the potential of `atoms` to `volume` (positions in the volume frame,
 * Å).  Widths come from the per-atom column `b_column` (Å²) when given and
 * present, else `b`.  FALSE with AET_ERROR_INVALID when an element has no
 * scattering factor.  Threads split the drawing by z slabs; the result
 * does not depend on their number. */
gboolean aet_potential_render_volume (const AetAtoms *atoms, const char *b_column, gdouble b,
                                      AetVolume *volume, guint n_threads, GError **error);

/* Writes image k of `images` (nx × ny × n_images, voxel_size = pixel, Å)
 * as the projection of the potential of `atoms` seen from geometry[k];
 * `centre` is the rotation centre in Å in the atoms' frame.  Images are
 * split over n_threads threads (results independent of the count); progress
 * and cancel through `job` (may be NULL). */
gboolean aet_potential_project (const AetAtoms *atoms, const char *b_column, gdouble b,
                                const gdouble centre[3], const AetProjectionGeometry *geometry,
                                AetVolume *images, guint n_threads, AetJob *job, GError **error);

/* The image position (pixels, fractional) of a point r (Å) seen from
 * `geometry` for an nx × ny image of pixel `pixel` about `centre` (Å). */
void aet_projection_position (const AetProjectionGeometry *geometry, const gdouble centre[3],
                              gint nx, gint ny, gdouble pixel, const gdouble r[3],
                              gdouble *u, gdouble *v);

G_END_DECLS
