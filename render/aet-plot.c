#define G_LOG_DOMAIN "aet-plot"

#include "aet-plot.h"
#include "aet-canvas.h"
#include "aet-error.h"
#include "aet-file-util.h"

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
set_rgb (AetCanvas *c, const gdouble rgb[3], gdouble alpha)
{
  aet_canvas_set_color (c, rgb[0], rgb[1], rgb[2], alpha);
}

void
aet_plot_draw_canvas (const AetPlot *p, AetCanvas *c, gdouble x, gdouble y, gdouble width,
                      gdouble height, gdouble font_size)
{
  g_return_if_fail (p != NULL && c != NULL);
  const gdouble fs = font_size;
  Frame f;
  data_range (p, &f);
  f.left = x + fs * 4.6;
  f.right = x + width - fs * 1.0;
  f.top = y + fs * (p->title ? 2.2 : 1.0);
  f.bottom = y + height - fs * (p->x_label ? 3.4 : 2.0);
  if (f.right - f.left < 10 || f.bottom - f.top < 10)
    return;

  /* ticks and grid */
  aet_canvas_set_dash (c, 0, 0);
  gdouble ticks[32];
  guint nx = aet_nice_ticks (f.x0, f.x1, 5, ticks, 32);
  aet_canvas_set_line_width (c, MAX (0.5, fs / 16));
  for (guint i = 0; i < nx; i++)
    {
      gdouble tx = map_x (&f, ticks[i]);
      aet_canvas_set_color (c, 0, 0, 0, 0.08);
      aet_canvas_line (c, tx, f.top, tx, f.bottom);
      char buf[32];
      format_tick (ticks[i], nx > 1 ? ticks[1] - ticks[0] : 1, buf, sizeof buf);
      aet_canvas_set_color (c, 0.2, 0.2, 0.2, 1);
      aet_canvas_text (c, tx, f.bottom + fs * 0.4, buf, fs, FALSE, AET_TEXT_MIDDLE,
                       AET_TEXT_HANGING, 0);
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
      gdouble ty = map_y (&f, ticks[i]);
      aet_canvas_set_color (c, 0, 0, 0, 0.08);
      aet_canvas_line (c, f.left, ty, f.right, ty);
      char buf[32];
      if (f.log_y)
        g_snprintf (buf, sizeof buf, "%g", ticks[i]);
      else
        format_tick (ticks[i], ny > 1 ? ticks[1] - ticks[0] : 1, buf, sizeof buf);
      aet_canvas_set_color (c, 0.2, 0.2, 0.2, 1);
      aet_canvas_text (c, f.left - fs * 0.4, ty, buf, fs, FALSE, AET_TEXT_END, AET_TEXT_CENTRAL,
                       0);
    }

  /* data, clipped to the frame */
  aet_canvas_push_clip (c, f.left, f.top, f.right - f.left, f.bottom - f.top);
  for (guint i = 0; i < p->series->len; i++)
    {
      const Series *s = p->series->pdata[i];
      if (s->kind == SERIES_HISTOGRAM)
        {
          aet_canvas_set_line_width (c, MAX (0.5, fs / 14));
          for (int pass = 0; pass < 2; pass++)
            for (gsize k = 0; k < s->n; k++)
              {
                if (s->y[k] <= 0)
                  continue;
                gdouble xa = map_x (&f, s->x[k] - s->bin_width / 2);
                gdouble xb = map_x (&f, s->x[k] + s->bin_width / 2);
                gdouble ya = map_y (&f, s->y[k]);
                gdouble yb = map_y (&f, f.log_y ? pow (10, f.y0) : 0.0);
                /* all fills first, then all outlines over them */
                set_rgb (c, s->rgb, pass == 0 ? 0.45 : 1.0);
                aet_canvas_rect (c, xa, ya, xb - xa, yb - ya, pass == 0);
              }
          continue;
        }
      g_autofree gdouble *xy = g_new (gdouble, 2 * s->n);
      for (gsize k = 0; k < s->n; k++)
        {
          gboolean ok = isfinite (s->x[k]) && isfinite (s->y[k]) && !(f.log_y && s->y[k] <= 0);
          xy[2 * k] = ok ? map_x (&f, s->x[k]) : NAN;
          xy[2 * k + 1] = ok ? map_y (&f, s->y[k]) : NAN;
        }
      set_rgb (c, s->rgb, 1.0);
      aet_canvas_set_line_width (c, MAX (1.0, fs / 7));
      aet_canvas_polyline (c, xy, s->n);
    }
  for (guint i = 0; i < p->hlines->len; i++)
    {
      const HLine *h = &g_array_index (p->hlines, HLine, i);
      gdouble hy = map_y (&f, h->y);
      aet_canvas_set_color (c, 0.35, 0.35, 0.35, 1);
      aet_canvas_set_line_width (c, MAX (0.5, fs / 14));
      aet_canvas_set_dash (c, fs / 3, fs / 4);
      aet_canvas_line (c, f.left, hy, f.right, hy);
      aet_canvas_set_dash (c, 0, 0);
      if (h->label)
        aet_canvas_text (c, f.right - fs * 0.3, hy - fs * 0.3, h->label, fs, FALSE, AET_TEXT_END,
                         AET_TEXT_BASELINE, 0);
    }
  aet_canvas_pop_clip (c);

  /* frame, labels, legend */
  aet_canvas_set_color (c, 0.25, 0.25, 0.25, 1);
  aet_canvas_set_line_width (c, MAX (0.6, fs / 12));
  aet_canvas_rect (c, f.left, f.top, f.right - f.left, f.bottom - f.top, FALSE);
  aet_canvas_set_color (c, 0.1, 0.1, 0.1, 1);
  if (p->title)
    aet_canvas_text (c, (f.left + f.right) / 2, y + fs * 0.5, p->title, fs, TRUE,
                     AET_TEXT_MIDDLE, AET_TEXT_HANGING, 0);
  if (p->x_label)
    aet_canvas_text (c, (f.left + f.right) / 2, y + height - fs * 0.4, p->x_label, fs, FALSE,
                     AET_TEXT_MIDDLE, AET_TEXT_BASELINE, 0);
  if (p->y_label)
    aet_canvas_text (c, x + fs * 0.3, (f.top + f.bottom) / 2, p->y_label, fs, FALSE,
                     AET_TEXT_MIDDLE, AET_TEXT_HANGING, 90);
  gdouble ly = f.top + fs * 0.5;
  for (guint i = 0; i < p->series->len; i++)
    {
      const Series *s = p->series->pdata[i];
      if (s->label == NULL)
        continue;
      gdouble label_width;
      aet_canvas_text_extents (s->label, fs, FALSE, &label_width, NULL);
      gdouble lx = f.right - fs * 0.6 - label_width;
      set_rgb (c, s->rgb, 1.0);
      aet_canvas_rect (c, lx - fs * 1.3, ly + fs * 0.15, fs * 0.9, fs * 0.6, TRUE);
      aet_canvas_set_color (c, 0.1, 0.1, 0.1, 1);
      aet_canvas_text (c, lx, ly, s->label, fs, FALSE, AET_TEXT_START, AET_TEXT_HANGING, 0);
      ly += fs * 1.3;
    }
}

void
aet_plot_draw (const AetPlot *p, cairo_t *cr, gdouble width, gdouble height, gdouble font_size)
{
  if (!(isfinite (width) && isfinite (height) && width > 0 && height > 0))
    return;
  g_autoptr (AetCanvas) canvas = aet_canvas_new (width, height);
  aet_plot_draw_canvas (p, canvas, 0, 0, width, height, font_size);
  aet_canvas_draw (canvas, cr);
}

gboolean
aet_plot_save (const AetPlot *plot, const char *path, gdouble width_pt, gdouble height_pt,
               gdouble dpi, GError **error)
{
  g_autofree char *name = aet_display_name (path);
  if (!(width_pt > 0 && height_pt > 0 && width_pt < 20000 && height_pt < 20000))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: plot size %g × %g pt is not usable",
                   name, width_pt, height_pt);
      return FALSE;
    }
  g_autoptr (AetCanvas) canvas = aet_canvas_new (width_pt, height_pt);
  aet_canvas_set_color (canvas, 1, 1, 1, 1);
  aet_canvas_fill_background (canvas);
  aet_plot_draw_canvas (plot, canvas, 0, 0, width_pt, height_pt, 9.0);
  return aet_canvas_save (canvas, path, dpi > 0 ? dpi : 300, 0, 0, error);
}
