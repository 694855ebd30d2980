#define G_LOG_DOMAIN "aet-plot"

#include "aet-plot.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

typedef enum
{
  SERIES_LINE,
  SERIES_HISTOGRAM,
} SeriesKind;

typedef struct
{
  SeriesKind kind;
  char *label;
  gdouble *x, *y;  /* line: points; histogram: bin centres and counts */
  gsize n;
  gdouble bin_width;
  gdouble rgb[3];
} Series;

typedef struct
{
  gdouble y;
  char *label;
} HLine;

struct _AetPlot
{
  char *title, *x_label, *y_label;
  GPtrArray *series;
  GArray *hlines;
  gboolean log_y;
  gboolean fixed_y;
  gdouble y_lo, y_hi;
};

static void
series_free (gpointer data)
{
  Series *s = data;
  g_free (s->label);
  g_free (s->x);
  g_free (s->y);
  g_free (s);
}

static void
hline_clear (gpointer data)
{
  g_free (((HLine *) data)->label);
}

AetPlot *
aet_plot_new (const char *title, const char *x_label, const char *y_label)
{
  AetPlot *p = g_new0 (AetPlot, 1);
  p->title = g_strdup (title);
  p->x_label = g_strdup (x_label);
  p->y_label = g_strdup (y_label);
  p->series = g_ptr_array_new_with_free_func (series_free);
  p->hlines = g_array_new (FALSE, TRUE, sizeof (HLine));
  g_array_set_clear_func (p->hlines, hline_clear);
  return p;
}

void
aet_plot_free (AetPlot *plot)
{
  if (plot == NULL)
    return;
  g_free (plot->title);
  g_free (plot->x_label);
  g_free (plot->y_label);
  g_ptr_array_unref (plot->series);
  g_array_unref (plot->hlines);
  g_free (plot);
}

void
aet_plot_add_line (AetPlot *plot, const char *label, const gdouble *x, const gdouble *y, gsize n,
                   const gdouble rgb[3])
{
  Series *s = g_new0 (Series, 1);
  s->kind = SERIES_LINE;
  s->label = g_strdup (label);
  s->x = g_memdup2 (x, n * sizeof (gdouble));
  s->y = g_memdup2 (y, n * sizeof (gdouble));
  s->n = n;
  memcpy (s->rgb, rgb, sizeof s->rgb);
  g_ptr_array_add (plot->series, s);
}

void
aet_plot_add_histogram (AetPlot *plot, const char *label, const gdouble *values, gsize n,
                        guint n_bins, gdouble lo, gdouble hi, const gdouble rgb[3])
{
  n_bins = MAX (n_bins, 1u);
  for (guint i = 0; i < plot->series->len; i++)
    {
      Series *first = plot->series->pdata[i];
      if (first->kind == SERIES_HISTOGRAM)
        {
          n_bins = (guint) first->n;
          lo = first->x[0] - first->bin_width / 2;
          hi = lo + first->bin_width * n_bins;
          break;
        }
    }
  if (!(lo < hi))
    {
      lo = G_MAXDOUBLE;
      hi = -G_MAXDOUBLE;
      for (gsize i = 0; i < n; i++)
        if (isfinite (values[i]))
          {
            lo = MIN (lo, values[i]);
            hi = MAX (hi, values[i]);
          }
      if (!(lo < hi))
        {
          lo = (lo == G_MAXDOUBLE ? 0 : lo) - 0.5;
          hi = lo + 1.0;
        }
    }
  Series *s = g_new0 (Series, 1);
  s->kind = SERIES_HISTOGRAM;
  s->label = g_strdup (label);
  s->n = n_bins;
  s->x = g_new0 (gdouble, n_bins);
  s->y = g_new0 (gdouble, n_bins);
  s->bin_width = (hi - lo) / n_bins;
  for (guint b = 0; b < n_bins; b++)
    s->x[b] = lo + (b + 0.5) * s->bin_width;
  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (values[i]))
        continue;
      gint b = (gint) floor ((values[i] - lo) / s->bin_width);
      if (b >= 0 && b < (gint) n_bins)
        s->y[b] += 1.0;
      else if (b == (gint) n_bins && values[i] == hi)
        s->y[n_bins - 1] += 1.0;
    }
  memcpy (s->rgb, rgb, sizeof s->rgb);
  g_ptr_array_add (plot->series, s);
}

void
aet_plot_add_hline (AetPlot *plot, gdouble y, const char *label)
{
  HLine h = { y, g_strdup (label) };
  g_array_append_val (plot->hlines, h);
}

void
aet_plot_set_log_y (AetPlot *plot, gboolean log_y)
{
  plot->log_y = log_y;
}

void
aet_plot_set_y_range (AetPlot *plot, gdouble lo, gdouble hi)
{
  plot->fixed_y = lo < hi;
  plot->y_lo = lo;
  plot->y_hi = hi;
}

guint
aet_nice_ticks (gdouble lo, gdouble hi, guint target, gdouble *ticks, guint max)
{
  if (!(hi > lo) || target == 0 || max == 0)
    return 0;
  gdouble raw = (hi - lo) / target;
  gdouble mag = pow (10.0, floor (log10 (raw)));
  gdouble step = mag;
  if (raw / mag >= 5)
    step = 5 * mag;
  else if (raw / mag >= 2)
    step = 2 * mag;
  guint n = 0;
  for (gdouble t = ceil (lo / step - 1e-9) * step; t <= hi + step * 1e-9 && n < max; t += step)
    ticks[n++] = fabs (t) < step * 1e-9 ? 0.0 : t;
  return n;
}

typedef struct
{
  gdouble x0, x1, y0, y1;      /* data range */
  gdouble left, right, top, bottom;  /* plot frame in surface units */
  gboolean log_y;
} Frame;

static gdouble
map_x (const Frame *f, gdouble x)
{
  return f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);
}

static gdouble
map_y (const Frame *f, gdouble y)
{
  gdouble t;
  if (f->log_y)
    t = (log10 (MAX (y, 1e-300)) - f->y0) / (f->y1 - f->y0);
  else
    t = (y - f->y0) / (f->y1 - f->y0);
  return f->bottom - t * (f->bottom - f->top);
}

static void
data_range (const AetPlot *p, Frame *f)
{
  gdouble x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE, y1 = -G_MAXDOUBLE;
  gboolean histogram = FALSE;
  for (guint i = 0; i < p->series->len; i++)
    {
      const Series *s = p->series->pdata[i];
      gdouble half = s->kind == SERIES_HISTOGRAM ? s->bin_width / 2 : 0;
      histogram |= s->kind == SERIES_HISTOGRAM;
      for (gsize k = 0; k < s->n; k++)
        {
          if (!isfinite (s->x[k]) || !isfinite (s->y[k]) || (p->log_y && s->y[k] <= 0))
            continue;
          x0 = MIN (x0, s->x[k] - half);
          x1 = MAX (x1, s->x[k] + half);
          y0 = MIN (y0, s->y[k]);
          y1 = MAX (y1, s->y[k]);
        }
    }
  for (guint i = 0; i < p->hlines->len; i++)
    {
      gdouble y = g_array_index (p->hlines, HLine, i).y;
      y0 = MIN (y0, y);
      y1 = MAX (y1, y);
    }
  if (x0 > x1)
    {
      x0 = 0;
      x1 = 1;
    }
  if (y0 > y1)
    {
      y0 = 0;
      y1 = 1;
    }
  if (histogram)
    y0 = MIN (y0, 0.0);
  if (x1 - x0 < 1e-12)
    {
      x0 -= 0.5;
      x1 += 0.5;
    }
  if (p->fixed_y)
    {
      y0 = p->y_lo;
      y1 = p->y_hi;
    }
  f->log_y = p->log_y;
  if (p->log_y)
    {
      y0 = floor (log10 (MAX (y0, 1e-300)));
      y1 = ceil (log10 (MAX (y1, 1e-300)));
      if (y1 <= y0)
        y1 = y0 + 1;
    }
  else if (y1 - y0 < 1e-12)
    {
      y0 -= 0.5;
      y1 += 0.5;
    }
  else if (!p->fixed_y)
    {
      gdouble pad = 0.05 * (y1 - y0);
      y1 += pad;
      if (!histogram)
        y0 -= pad;
    }
  f->x0 = x0;
  f->x1 = x1;
  f->y0 = y0;
  f->y1 = y1;
}

static void
format_tick (gdouble v, gdouble step, char *buf, gsize len)
{
  int decimals = step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
  if (fabs (v) >= 1e5 || (fabs (v) > 0 && fabs (v) < 1e-4))
    g_snprintf (buf, len, "%.1e", v);
  else
    g_snprintf (buf, len, "%.*f", MIN (decimals, 6), v);
}

static void
text_at (cairo_t *cr, const char *text, gdouble x, gdouble y, gdouble ax, gdouble ay)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, text, &e);
  cairo_move_to (cr, x - ax * e.width - e.x_bearing, y - ay * e.height - e.y_bearing);
  cairo_show_text (cr, text);
}

void
aet_plot_draw (const AetPlot *p, cairo_t *cr, gdouble width, gdouble height, gdouble font_size)
{
  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, font_size);

  Frame f;
  data_range (p, &f);
  f.left = font_size * 4.6;
  f.right = width - font_size * 1.0;
  f.top = font_size * (p->title ? 2.2 : 1.0);
  f.bottom = height - font_size * (p->x_label ? 3.4 : 2.0);
  if (f.right - f.left < 10 || f.bottom - f.top < 10)
    {
      cairo_restore (cr);
      return;
    }

  /* ticks and grid */
  gdouble ticks[32];
  guint nx = aet_nice_ticks (f.x0, f.x1, 5, ticks, 32);
  cairo_set_line_width (cr, MAX (0.5, font_size / 16));
  for (guint i = 0; i < nx; i++)
    {
      gdouble x = map_x (&f, ticks[i]);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.08);
      cairo_move_to (cr, x, f.top);
      cairo_line_to (cr, x, f.bottom);
      cairo_stroke (cr);
      char buf[32];
      format_tick (ticks[i], nx > 1 ? ticks[1] - ticks[0] : 1, buf, sizeof buf);
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      text_at (cr, buf, x, f.bottom + font_size * 0.4, 0.5, 0.0);
    }
  guint ny;
  if (f.log_y)
    {
      ny = 0;
      for (gdouble e = f.y0; e <= f.y1 + 1e-9 && ny < 32; e += 1)
        ticks[ny++] = pow (10.0, e);
    }
  else
    ny = aet_nice_ticks (f.y0, f.y1, 5, ticks, 32);
  for (guint i = 0; i < ny; i++)
    {
      gdouble y = map_y (&f, ticks[i]);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.08);
      cairo_move_to (cr, f.left, y);
      cairo_line_to (cr, f.right, y);
      cairo_stroke (cr);
      char buf[32];
      if (f.log_y)
        g_snprintf (buf, sizeof buf, "%g", ticks[i]);
      else
        format_tick (ticks[i], ny > 1 ? ticks[1] - ticks[0] : 1, buf, sizeof buf);
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      text_at (cr, buf, f.left - font_size * 0.4, y, 1.0, 0.5);
    }

  /* data, clipped to the frame */
  cairo_save (cr);
  cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_clip (cr);
  for (guint i = 0; i < p->series->len; i++)
    {
      const Series *s = p->series->pdata[i];
      if (s->kind == SERIES_HISTOGRAM)
        {
          for (gsize k = 0; k < s->n; k++)
            {
              if (s->y[k] <= 0)
                continue;
              gdouble xa = map_x (&f, s->x[k] - s->bin_width / 2);
              gdouble xb = map_x (&f, s->x[k] + s->bin_width / 2);
              gdouble ya = map_y (&f, s->y[k]);
              gdouble yb = map_y (&f, f.log_y ? pow (10, f.y0) : 0.0);
              cairo_rectangle (cr, xa, ya, xb - xa, yb - ya);
            }
          cairo_set_source_rgba (cr, s->rgb[0], s->rgb[1], s->rgb[2], 0.45);
          cairo_fill_preserve (cr);
          cairo_set_source_rgb (cr, s->rgb[0], s->rgb[1], s->rgb[2]);
          cairo_set_line_width (cr, MAX (0.5, font_size / 14));
          cairo_stroke (cr);
          continue;
        }
      gboolean pen = FALSE;
      for (gsize k = 0; k < s->n; k++)
        {
          if (!isfinite (s->x[k]) || !isfinite (s->y[k]) || (f.log_y && s->y[k] <= 0))
            {
              pen = FALSE;
              continue;
            }
          gdouble x = map_x (&f, s->x[k]), y = map_y (&f, s->y[k]);
          if (pen)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          pen = TRUE;
        }
      cairo_set_source_rgb (cr, s->rgb[0], s->rgb[1], s->rgb[2]);
      cairo_set_line_width (cr, MAX (1.0, font_size / 7));
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke (cr);
    }
  for (guint i = 0; i < p->hlines->len; i++)
    {
      const HLine *h = &g_array_index (p->hlines, HLine, i);
      gdouble y = map_y (&f, h->y);
      const double dash[] = { font_size / 3, font_size / 4 };
      cairo_set_dash (cr, dash, 2, 0);
      cairo_set_source_rgb (cr, 0.35, 0.35, 0.35);
      cairo_set_line_width (cr, MAX (0.5, font_size / 14));
      cairo_move_to (cr, f.left, y);
      cairo_line_to (cr, f.right, y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (h->label)
        text_at (cr, h->label, f.right - font_size * 0.3, y - font_size * 0.3, 1.0, 1.0);
    }
  cairo_restore (cr);

  /* frame, labels, legend */
  cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
  cairo_set_line_width (cr, MAX (0.6, font_size / 12));
  cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_stroke (cr);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  if (p->title)
    {
      cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
      text_at (cr, p->title, (f.left + f.right) / 2, font_size * 0.5, 0.5, 0.0);
      cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    }
  if (p->x_label)
    text_at (cr, p->x_label, (f.left + f.right) / 2, height - font_size * 0.4, 0.5, 1.0);
  if (p->y_label)
    {
      cairo_save (cr);
      cairo_translate (cr, font_size * 0.3, (f.top + f.bottom) / 2);
      cairo_rotate (cr, -G_PI / 2);
      text_at (cr, p->y_label, 0, 0, 0.5, 0.0);
      cairo_restore (cr);
    }
  gdouble ly = f.top + font_size * 0.5;
  for (guint i = 0; i < p->series->len; i++)
    {
      const Series *s = p->series->pdata[i];
      if (s->label == NULL)
        continue;
      cairo_text_extents_t e;
      cairo_text_extents (cr, s->label, &e);
      gdouble lx = f.right - font_size * 0.6 - e.width;
      cairo_set_source_rgb (cr, s->rgb[0], s->rgb[1], s->rgb[2]);
      cairo_rectangle (cr, lx - font_size * 1.3, ly + font_size * 0.15, font_size * 0.9,
                       font_size * 0.6);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      text_at (cr, s->label, lx, ly, 0.0, 0.0);
      ly += font_size * 1.3;
    }
  cairo_restore (cr);
}

gboolean
aet_plot_save (const AetPlot *plot, const char *path, gdouble width_pt, gdouble height_pt,
               gdouble dpi, GError **error)
{
  g_autofree char *ext = aet_path_extension (path);
  g_autofree char *name = aet_display_name (path);
  if (!(width_pt > 0 && height_pt > 0 && width_pt < 20000 && height_pt < 20000))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: plot size %g × %g pt is not usable",
                   name, width_pt, height_pt);
      return FALSE;
    }
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  cairo_surface_t *surface = NULL;
  gdouble scale = 1.0;
  if (strcmp (ext, "svg") == 0)
    surface = cairo_svg_surface_create (tmp, width_pt, height_pt);
  else if (strcmp (ext, "pdf") == 0)
    surface = cairo_pdf_surface_create (tmp, width_pt, height_pt);
  else if (strcmp (ext, "png") == 0)
    {
      scale = (dpi > 0 ? dpi : 300) / 72.0;
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width_pt * scale),
                                            (int) ceil (height_pt * scale));
    }
  else
    {
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "%s: unknown plot format (use .svg, .pdf or .png)", name);
      return FALSE;
    }
  cairo_t *cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  aet_plot_draw (plot, cr, width_pt, height_pt, 9.0);
  cairo_destroy (cr);
  cairo_status_t status;
  if (strcmp (ext, "png") == 0)
    status = cairo_surface_write_to_png (surface, tmp);
  else
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: %s", name,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}
