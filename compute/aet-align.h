/* aet-align.h — tilt-series alignment: the per-image shifts (and angles).
 *
 * Shifts follow aet-tilt-series.h: image k's content is displaced by
 * (dx, dy) pixels from where the geometry puts it.  Shifts are only defined
 * up to the motion of the object itself: a 3D translation (tx, ty, tz)
 * moves image k by (tx·cos θ + tz·sin θ, ty).  Every method here removes
 * that part (a least-squares fit of tx, tz to the dx and the mean of the dy),
 * so the reconstruction stays where the images put it on average and the
 * shifts hold only the image-to-image jitter.
 *
 *  - centre of mass: each image's intensity centroid (above the mean of its
 *    border) is the projection of the object's centroid plus the shift;
 *  - cross-correlation: each image against its neighbour towards 0°, the
 *    displacements chained outward from the lowest tilt;
 *  - projection matching: from the centre-of-mass shifts, rounds of SIRT
 *    reconstruction → reprojection at the nominal geometry → sub-pixel
 *    cross-correlation of each image with its reprojection (the peak of the
 *    band-limited correlation found by Newton steps on its Fourier series),
 *    and optionally, in the first round only, a parabolic search of each
 *    angle within ±0.5° whose mean change is removed (a rotation of the
 *    whole object is not observable either).  The angle score compares each
 *    image, given the projector's blur at the candidate angle, with the
 *    reprojection.  Repeating the angle search against reconstructions made
 *    from already refined angles was found to drift (the angle set slowly
 *    stretches: the blurred reconstruction's reprojections fit best near
 *    crystal zone axes and where neighbours crowd), so it is done once.
 */
#pragma once

#include "aet-job.h"
#include "aet-reconstruct.h"

G_BEGIN_DECLS

/* Sets series->shifts from the centres of mass. */
void aet_align_com (AetTiltSeries *series);

/* Sets series->shifts by chained cross-correlation of neighbouring images. */
void aet_align_xcorr (AetTiltSeries *series, guint n_threads);

/* Projection matching from the current shifts (call aet_align_com first
 * for a start); `rounds` ≥ 1.  FALSE when cancelled. */
gboolean aet_align_refine (AetTiltSeries *series, gint rounds, gboolean refine_angles,
                           AetJob *job, GError **error);

/* Dispatches on mode (REFINE = COM then 4 rounds of projection matching). */
gboolean aet_align (AetTiltSeries *series, AetAlignMode mode, gboolean refine_angles,
                    AetJob *job, GError **error);

/* The displacement (dx, dy) of image a relative to image b (both nx × ny),
 * such that a(x) ≈ b(x − d), to sub-pixel precision.  Returns the peak's
 * normalised correlation. */
gdouble aet_align_cross_correlate (const gfloat *a, const gfloat *b, gint nx, gint ny,
                                   gdouble d_out[2]);

/* The same after smoothing both images by a Gaussian of σ pixels, and
 * image a also by a box of box_a pixels along x and one of 1 pixel (box_a
 * 0: neither), so that a measured image can be given the blur that
 * aet-projector.h adds to a reprojection at an angle whose footprint is
 * box_a wide. */
gdouble aet_align_cross_correlate_smooth (const gfloat *a, const gfloat *b, gint nx, gint ny,
                                          gdouble sigma, gdouble box_a, gdouble d_out[2]);

/* Removes the unobservable object motion from the shifts (see above). */
void aet_align_remove_gauge (AetTiltSeries *series);

G_END_DECLS
