#define G_LOG_DOMAIN "aet-colormap"

#include "aet-colormap.h"

#include <math.h>

/* Control points (position, r, g, b), linearly interpolated in RGB.  The
 * sequential map rises monotonically in lightness from a dark violet-blue
 * through teal and green to yellow. */
static const gfloat sequential_table[][4] = {
  { 0.000f, 0.267f, 0.005f, 0.329f },
  { 0.125f, 0.282f, 0.145f, 0.462f },
  { 0.250f, 0.253f, 0.265f, 0.530f },
  { 0.375f, 0.206f, 0.372f, 0.553f },
  { 0.500f, 0.163f, 0.471f, 0.558f },
  { 0.625f, 0.128f, 0.567f, 0.551f },
  { 0.750f, 0.135f, 0.659f, 0.518f },
  { 0.875f, 0.478f, 0.821f, 0.318f },
  { 1.000f, 0.993f, 0.906f, 0.144f },
};

static const gfloat diverging_table[][4] = {
  { 0.00f, 0.230f, 0.299f, 0.754f },
  { 0.25f, 0.552f, 0.690f, 0.996f },
  { 0.50f, 0.970f, 0.970f, 0.970f },
  { 0.75f, 0.957f, 0.604f, 0.482f },
  { 1.00f, 0.706f, 0.016f, 0.150f },
};

static const gfloat grey_table[][4] = {
  { 0.0f, 0.0f, 0.0f, 0.0f },
  { 1.0f, 1.0f, 1.0f, 1.0f },
};

/* Twelve well separated hues, bright enough to read on white and on dark
 * backgrounds. */
static const gfloat category_table[][3] = {
  { 0.122f, 0.467f, 0.706f }, /* blue */
  { 1.000f, 0.498f, 0.055f }, /* orange */
  { 0.173f, 0.627f, 0.173f }, /* green */
  { 0.839f, 0.153f, 0.157f }, /* red */
  { 0.580f, 0.404f, 0.741f }, /* purple */
  { 0.549f, 0.337f, 0.294f }, /* brown */
  { 0.890f, 0.467f, 0.761f }, /* pink */
  { 0.737f, 0.741f, 0.133f }, /* olive */
  { 0.090f, 0.745f, 0.812f }, /* cyan */
  { 0.400f, 0.400f, 0.400f }, /* dark grey */
  { 0.682f, 0.780f, 0.910f }, /* light blue */
  { 1.000f, 0.733f, 0.471f }, /* light orange */
};

static void
interpolate (const gfloat (*table)[4], guint n, gdouble t, gfloat rgb[3])
{
  t = CLAMP (t, 0.0, 1.0);
  guint i = 1;
  while (i < n - 1 && t > table[i][0])
    i++;
  gdouble t0 = table[i - 1][0], t1 = table[i][0];
  gdouble f = t1 > t0 ? (t - t0) / (t1 - t0) : 0.0;
  f = CLAMP (f, 0.0, 1.0);
  for (guint c = 0; c < 3; c++)
    rgb[c] = (gfloat) ((1.0 - f) * table[i - 1][c + 1] + f * table[i][c + 1]);
}

guint
aet_colormap_n_categories (void)
{
  return G_N_ELEMENTS (category_table);
}

void
aet_colormap_category (gint index, gfloat rgb[3])
{
  if (index < 0)
    {
      rgb[0] = rgb[1] = rgb[2] = 0.72f;
      return;
    }
  const gfloat *c = category_table[(guint) index % G_N_ELEMENTS (category_table)];
  rgb[0] = c[0];
  rgb[1] = c[1];
  rgb[2] = c[2];
}

void
aet_colormap_map (AetColormap map, gdouble value, gdouble vmin, gdouble vmax, gfloat rgb[3])
{
  if (map == AET_COLORMAP_QUALITATIVE)
    {
      if (!isfinite (value))
        aet_colormap_category (-1, rgb);
      else
        aet_colormap_category ((gint) lround (value), rgb);
      return;
    }
  if (!isfinite (value))
    {
      rgb[0] = rgb[1] = rgb[2] = 0.5f;
      return;
    }
  gdouble t = vmax > vmin ? (value - vmin) / (vmax - vmin) : 0.5;
  switch (map)
    {
    case AET_COLORMAP_SEQUENTIAL:
      interpolate (sequential_table, G_N_ELEMENTS (sequential_table), t, rgb);
      break;
    case AET_COLORMAP_DIVERGING:
      interpolate (diverging_table, G_N_ELEMENTS (diverging_table), t, rgb);
      break;
    case AET_COLORMAP_GREY:
    default:
      interpolate (grey_table, G_N_ELEMENTS (grey_table), t, rgb);
      break;
    }
}

void
aet_colormap_element (guint z, gfloat rgb[3])
{
  static const struct { guint z; gfloat r, g, b; } table[] = {
    { 1, 0.95f, 0.95f, 0.95f },  /* H */
    { 6, 0.30f, 0.30f, 0.30f },  /* C */
    { 7, 0.19f, 0.31f, 0.97f },  /* N */
    { 8, 0.90f, 0.10f, 0.10f },  /* O */
    { 16, 0.95f, 0.85f, 0.20f }, /* S */
    { 26, 0.88f, 0.40f, 0.20f }, /* Fe */
    { 27, 0.94f, 0.56f, 0.63f }, /* Co */
    { 28, 0.31f, 0.82f, 0.31f }, /* Ni */
    { 29, 0.78f, 0.50f, 0.20f }, /* Cu */
    { 46, 0.00f, 0.41f, 0.52f }, /* Pd */
    { 47, 0.75f, 0.75f, 0.75f }, /* Ag */
    { 78, 0.55f, 0.60f, 0.78f }, /* Pt */
    { 79, 1.00f, 0.82f, 0.14f }, /* Au */
  };
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].z == z)
      {
        rgb[0] = table[i].r;
        rgb[1] = table[i].g;
        rgb[2] = table[i].b;
        return;
      }
  aet_colormap_category ((gint) z, rgb);
}

guint8 *
aet_colormap_bar_image (AetColormap map, gint width, gint height, gboolean horizontal)
{
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  guint8 *pixels = g_malloc ((gsize) width * (gsize) height * 4);
  gint n = horizontal ? width : height;
  gdouble top = map == AET_COLORMAP_QUALITATIVE ? aet_colormap_n_categories () - 1 : 1.0;
  for (gint y = 0; y < height; y++)
    for (gint x = 0; x < width; x++)
      {
        gint pos = horizontal ? x : height - 1 - y;
        gdouble t = n > 1 ? (gdouble) pos / (n - 1) : 0.0;
        gfloat rgb[3];
        aet_colormap_map (map, t * top, 0.0, top, rgb);
        guint8 *p = pixels + 4 * ((gsize) y * width + x);
        for (guint c = 0; c < 3; c++)
          p[c] = (guint8) lrintf (CLAMP (rgb[c], 0.0f, 1.0f) * 255.0f);
        p[3] = 255;
      }
  return pixels;
}
