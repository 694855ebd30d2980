/* aet-tilt-series.h — a stack of projection images with their tilt angles.
 *
 * The images are stored as an AetVolume of nx × ny × n_images (image k is
 * slice k), so MRC stacks map onto it one to one and the volume's
 * voxel_size is the pixel size.  Angles are in degrees about the y axis
 * (see docs/geometry in CLI.md); shifts are per-image (dx, dy) in pixels
 * that alignment found or that the file carried: an image's content is
 * displaced by (dx, dy) from where the geometry puts it, so a reconstructor
 * samples the image at (u + dx, v + dy).
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

typedef struct
{
  AetVolume *images;   /* nx × ny × n_images; owned reference */
  gdouble *angles;     /* n_images, degrees */
  gdouble *shifts;     /* 2·n_images: dx0, dy0, dx1, dy1, … in pixels */
  /*< private >*/
  gint ref_count;
} AetTiltSeries;

/* Takes a new reference to `images`; angles are copied (n = images->nz),
 * shifts start at zero.  Caller owns the result. */
AetTiltSeries *aet_tilt_series_new (AetVolume *images, const gdouble *angles);
AetTiltSeries *aet_tilt_series_ref (AetTiltSeries *series);
void aet_tilt_series_unref (AetTiltSeries *series);
/* Deep copy. Caller owns. */
AetTiltSeries *aet_tilt_series_dup (const AetTiltSeries *series);
/* A geometry as the text projects keep it ("result/reconstruct/geometry"
 * and its kin): "angle,dx,dy" per image, comma-separated, degrees and
 * pixels.  Caller owns. */
char *aet_geometry_text (const gdouble *angles, const gdouble *shifts, gsize n_images);
/* Reads such a text into angles and shifts (n_images and 2·n_images);
 * FALSE, with nothing written, when it does not hold exactly 3·n_images
 * finite numbers. */
gboolean aet_geometry_parse (const char *text, gdouble *angles, gdouble *shifts,
                             gsize n_images);

static inline gint
aet_tilt_series_n_images (const AetTiltSeries *s)
{
  return s->images->nz;
}

static inline gdouble
aet_tilt_series_pixel_size (const AetTiltSeries *s)
{
  return s->images->voxel_size;
}

/* Pointer to image k's first pixel (borrowed). */
static inline gfloat *
aet_tilt_series_image (const AetTiltSeries *s, gint k)
{
  return s->images->data + (gsize) k * (gsize) s->images->nx * (gsize) s->images->ny;
}

/* Replaces the angles with `n` angles; FALSE with AET_ERROR_MISMATCH when n
 * differs from the number of images (`source` names the angle file). */
gboolean aet_tilt_series_set_angles (AetTiltSeries *series, const gdouble *angles, gsize n,
                                     const char *source, GError **error);

/* Parses "start:stop:step" (degrees, inclusive of stop within step/1000) or
 * a comma list "a,b,c" into a newly allocated array. Caller owns. */
gdouble *aet_parse_tilt_range (const char *text, gsize *n_out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetTiltSeries, aet_tilt_series_unref)

G_END_DECLS
