/* aet-colormap.h — colour maps for atoms, slices and legends.
 *
 * Values become colours in one place so that the 3D view, the slice view and
 * exported figures agree, and so that the legend (a colour bar) is drawn from
 * the same tables.  Tables are our own: a perceptual blue–green–yellow
 * sequential map, a blue–white–red diverging map for signed quantities
 * (strain, displacement), a grey map for intensities and a qualitative
 * palette for categories (facets, elements).  Pure CPU code, no GL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  AET_COLORMAP_SEQUENTIAL,  /* dark blue → green → yellow, perceptually ordered */
  AET_COLORMAP_DIVERGING,   /* blue → white (centre) → red */
  AET_COLORMAP_GREY,        /* black → white */
  AET_COLORMAP_QUALITATIVE, /* distinct colours, value rounded to a category */
} AetColormap;

/* Maps value in [vmin, vmax] (clamped; NaN gives mid grey) to RGB in [0,1].
 * For AET_COLORMAP_QUALITATIVE the value is rounded to an integer category
 * and vmin/vmax are ignored. */
void aet_colormap_map (AetColormap map, gdouble value, gdouble vmin, gdouble vmax,
                       gfloat rgb[3]);

/* Colour of category `index` of the qualitative palette (it cycles);
 * a negative index (no category) gives a neutral grey. */
void aet_colormap_category (gint index, gfloat rgb[3]);

/* Number of distinct colours in the qualitative palette. */
guint aet_colormap_n_categories (void);

/* A colour per chemical element (common metals and light elements have
 * their customary colours, others come from the qualitative palette). */
void aet_colormap_element (guint atomic_number, gfloat rgb[3]);

/* A colour-bar image for a legend: width × height RGBA bytes (row 0 at
 * the top), low values at the left (horizontal) or at the bottom
 * (vertical).  Caller owns (g_free). */
guint8 *aet_colormap_bar_image (AetColormap map, gint width, gint height,
                                gboolean horizontal);

G_END_DECLS
