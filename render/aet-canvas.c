#define G_LOG_DOMAIN "aet-canvas"

#include "aet-canvas.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* cairo's image surfaces stop at 32767 pixels a side. */
#define MAX_RASTER_SIDE 32767

typedef enum
{
  MARK_GROUP_BEGIN,
  MARK_GROUP_END,
  MARK_CLIP_PUSH,
  MARK_CLIP_POP,
  MARK_BACKGROUND,
  MARK_LINE,
  MARK_POLYLINE,
  MARK_RECT,
  MARK_CIRCLE,
  MARK_TEXT,
  MARK_IMAGE,
} MarkKind;

/* One recorded mark with the drawing state it was made in. */
typedef struct
{
  MarkKind kind;
  gdouble color[4];
  gdouble line_width;
  gdouble dash[2];   /* dash[0] ≤ 0: solid */
  gdouble v[4];      /* line: x0 y0 x1 y1; rect, clip, image: x y w h; circle: cx cy r; text: x y */
  gboolean flag;     /* rect: filled; text: bold; image: smooth */
  gboolean has_fill, has_stroke;
  gdouble fill[4], stroke[4];
  char *text;        /* text, or the group's id (NULL: none) */
  gdouble size, angle, text_width, text_ascent;
  AetTextAnchor anchor;
  AetTextBaseline baseline;
  gdouble *xy;       /* polyline */
  gsize n;
  guint8 *rgba;      /* image, straight alpha */
  gint img_width, img_height;
} Mark;

struct _AetCanvas
{
  gdouble width, height;
  gdouble color[4];
  gdouble line_width;
  gdouble dash[2];
  GArray *marks;
  GArray *open;  /* MarkKind of the groups and clips not yet closed, innermost last */
};

static void
mark_clear (gpointer data)
{
  Mark *m = data;
  g_free (m->text);
  g_free (m->xy);
  g_free (m->rgba);
}

AetCanvas *
aet_canvas_new (gdouble width, gdouble height)
{
  g_return_val_if_fail (isfinite (width) && isfinite (height) && width > 0 && height > 0, NULL);
  AetCanvas *canvas = g_new0 (AetCanvas, 1);
  canvas->width = width;
  canvas->height = height;
  canvas->color[3] = 1.0;
  canvas->line_width = 1.0;
  canvas->marks = g_array_new (FALSE, TRUE, sizeof (Mark));
  g_array_set_clear_func (canvas->marks, mark_clear);
  canvas->open = g_array_new (FALSE, FALSE, sizeof (MarkKind));
  return canvas;
}

void
aet_canvas_free (AetCanvas *canvas)
{
  if (canvas == NULL)
    return;
  g_array_unref (canvas->marks);
  g_array_unref (canvas->open);
  g_free (canvas);
}

gdouble
aet_canvas_get_width (const AetCanvas *canvas)
{
  g_return_val_if_fail (canvas != NULL, 0);
  return canvas->width;
}

gdouble
aet_canvas_get_height (const AetCanvas *canvas)
{
  g_return_val_if_fail (canvas != NULL, 0);
  return canvas->height;
}

static gdouble
unit_clamp (gdouble v)
{
  return isnan (v) ? 0.0 : CLAMP (v, 0.0, 1.0);
}

void
aet_canvas_set_color (AetCanvas *canvas, gdouble r, gdouble g, gdouble b, gdouble a)
{
  g_return_if_fail (canvas != NULL);
  canvas->color[0] = unit_clamp (r);
  canvas->color[1] = unit_clamp (g);
  canvas->color[2] = unit_clamp (b);
  canvas->color[3] = unit_clamp (a);
}

void
aet_canvas_set_line_width (AetCanvas *canvas, gdouble width)
{
  g_return_if_fail (canvas != NULL);
  canvas->line_width = isfinite (width) && width > 0 ? width : 0.0;
}

void
aet_canvas_set_dash (AetCanvas *canvas, gdouble on, gdouble off)
{
  g_return_if_fail (canvas != NULL);
  gboolean dashed = isfinite (on) && on > 0 && isfinite (off) && off > 0;
  canvas->dash[0] = dashed ? on : 0.0;
  canvas->dash[1] = dashed ? off : 0.0;
}

/* Appends a mark of `kind` carrying the current state; the caller fills in
 * the rest. */
static Mark *
add_mark (AetCanvas *canvas, MarkKind kind)
{
  Mark m = { .kind = kind };
  memcpy (m.color, canvas->color, sizeof m.color);
  m.line_width = canvas->line_width;
  memcpy (m.dash, canvas->dash, sizeof m.dash);
  g_array_append_val (canvas->marks, m);
  return &g_array_index (canvas->marks, Mark, canvas->marks->len - 1);
}

static gboolean
all_finite (const gdouble *v, guint n)
{
  for (guint i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

/* `id` made into an XML name (invalid characters become '_'), or NULL. */
static char *
xml_name (const char *id)
{
  if (id == NULL || *id == '\0')
    return NULL;
  g_autofree char *valid = g_utf8_make_valid (id, -1);
  GString *s = g_string_new (NULL);
  if (!(g_ascii_isalpha (valid[0]) || valid[0] == '_' || (guchar) valid[0] >= 0x80))
    g_string_append_c (s, '_');
  for (const char *p = valid; *p; p++)
    {
      guchar c = (guchar) *p;
      gboolean ok = g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.' || c >= 0x80;
      g_string_append_c (s, ok ? (char) c : '_');
    }
  return g_string_free (s, FALSE);
}

void
aet_canvas_begin_group (AetCanvas *canvas, const char *id)
{
  g_return_if_fail (canvas != NULL);
  Mark *m = add_mark (canvas, MARK_GROUP_BEGIN);
  m->text = xml_name (id);
  MarkKind kind = MARK_GROUP_BEGIN;
  g_array_append_val (canvas->open, kind);
}

/* Closes the innermost open group or clip if it is of `kind`. */
static gboolean
close_open (AetCanvas *canvas, MarkKind kind)
{
  GArray *open = canvas->open;
  if (open->len == 0 || g_array_index (open, MarkKind, open->len - 1) != kind)
    return FALSE;
  g_array_set_size (open, open->len - 1);
  return TRUE;
}

void
aet_canvas_end_group (AetCanvas *canvas)
{
  g_return_if_fail (canvas != NULL);
  /* groups and clips nest: the innermost open one must be a group */
  g_return_if_fail (close_open (canvas, MARK_GROUP_BEGIN));
  add_mark (canvas, MARK_GROUP_END);
}

void
aet_canvas_push_clip (AetCanvas *canvas, gdouble x, gdouble y, gdouble width, gdouble height)
{
  g_return_if_fail (canvas != NULL);
  Mark *m = add_mark (canvas, MARK_CLIP_PUSH);
  gdouble v[4] = { x, y, width, height };
  if (!all_finite (v, 4) || width < 0 || height < 0)
    v[2] = v[3] = 0; /* clips everything, as cairo would */
  memcpy (m->v, v, sizeof v);
  MarkKind kind = MARK_CLIP_PUSH;
  g_array_append_val (canvas->open, kind);
}

void
aet_canvas_pop_clip (AetCanvas *canvas)
{
  g_return_if_fail (canvas != NULL);
  g_return_if_fail (close_open (canvas, MARK_CLIP_PUSH));
  add_mark (canvas, MARK_CLIP_POP);
}

void
aet_canvas_fill_background (AetCanvas *canvas)
{
  g_return_if_fail (canvas != NULL);
  add_mark (canvas, MARK_BACKGROUND);
}

void
aet_canvas_line (AetCanvas *canvas, gdouble x0, gdouble y0, gdouble x1, gdouble y1)
{
  g_return_if_fail (canvas != NULL);
  gdouble v[4] = { x0, y0, x1, y1 };
  if (!all_finite (v, 4))
    return;
  memcpy (add_mark (canvas, MARK_LINE)->v, v, sizeof v);
}

void
aet_canvas_polyline (AetCanvas *canvas, const gdouble *xy, gsize n)
{
  g_return_if_fail (canvas != NULL);
  g_return_if_fail (xy != NULL || n == 0);
  if (n < 2 || n > G_MAXSIZE / (2 * sizeof (gdouble)))
    return;
  Mark *m = add_mark (canvas, MARK_POLYLINE);
  m->xy = g_memdup2 (xy, n * 2 * sizeof (gdouble));
  m->n = n;
}

void
aet_canvas_rect (AetCanvas *canvas, gdouble x, gdouble y, gdouble width, gdouble height,
                 gboolean fill)
{
  g_return_if_fail (canvas != NULL);
  /* SVG has no negative sizes: flip to the same area */
  gdouble v[4] = { width < 0 ? x + width : x, height < 0 ? y + height : y, fabs (width),
                   fabs (height) };
  if (!all_finite (v, 4))
    return;
  Mark *m = add_mark (canvas, MARK_RECT);
  memcpy (m->v, v, sizeof v);
  m->flag = fill;
}

static void
copy_rgba (gdouble dst[4], const gdouble src[4])
{
  for (guint i = 0; i < 4; i++)
    dst[i] = unit_clamp (src[i]);
}

void
aet_canvas_circle (AetCanvas *canvas, gdouble cx, gdouble cy, gdouble r, const gdouble fill[4],
                   const gdouble stroke[4])
{
  g_return_if_fail (canvas != NULL);
  gdouble v[3] = { cx, cy, r };
  if (!all_finite (v, 3) || r <= 0 || (fill == NULL && stroke == NULL))
    return;
  Mark *m = add_mark (canvas, MARK_CIRCLE);
  memcpy (m->v, v, sizeof v);
  m->has_fill = fill != NULL;
  m->has_stroke = stroke != NULL;
  if (fill)
    copy_rgba (m->fill, fill);
  if (stroke)
    copy_rgba (m->stroke, stroke);
}

/* The cairo font for text marks.  Metrics are never hinted, so that text
 * measures the same at every scale (window, PNG at any DPI, PDF). */
static void
select_font (cairo_t *cr, gdouble size, gboolean bold)
{
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
  cairo_font_options_t *options = cairo_font_options_create ();
  cairo_get_font_options (cr, options);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options (cr, options);
  cairo_font_options_destroy (options);
}

void
aet_canvas_text_extents (const char *text, gdouble size, gboolean bold, gdouble *width,
                         gdouble *ascent)
{
  gdouble w = 0, a = 0;
  if (text != NULL && isfinite (size) && size > 0)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
      cairo_t *cr = cairo_create (surface);
      select_font (cr, size, bold);
      cairo_font_options_t *options = cairo_font_options_create ();
      cairo_get_font_options (cr, options);
      /* unhinted outlines: the capital height is not snapped to this
       * scratch surface's pixels */
      cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
      cairo_set_font_options (cr, options);
      cairo_font_options_destroy (options);
      cairo_text_extents_t e;
      if (g_utf8_validate (text, -1, NULL))
        {
          cairo_text_extents (cr, text, &e);
          w = e.x_advance;
        }
      cairo_text_extents (cr, "H", &e);
      a = -e.y_bearing;
      if (cairo_status (cr) != CAIRO_STATUS_SUCCESS)
        w = a = 0;
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
    }
  if (width)
    *width = w;
  if (ascent)
    *ascent = a;
}

/* Valid UTF-8 with control characters (which XML 1.0 cannot carry) turned
 * into spaces. */
static char *
clean_text (const char *text)
{
  char *s = g_utf8_make_valid (text, -1);
  for (char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return s;
}

void
aet_canvas_text (AetCanvas *canvas, gdouble x, gdouble y, const char *text, gdouble size,
                 gboolean bold, AetTextAnchor anchor, AetTextBaseline baseline,
                 gdouble angle_deg)
{
  g_return_if_fail (canvas != NULL);
  gdouble v[4] = { x, y, size, angle_deg };
  if (text == NULL || *text == '\0' || !all_finite (v, 4) || size <= 0)
    return;
  Mark *m = add_mark (canvas, MARK_TEXT);
  m->v[0] = x;
  m->v[1] = y;
  m->text = clean_text (text);
  m->size = size;
  m->flag = bold;
  m->anchor = CLAMP (anchor, AET_TEXT_START, AET_TEXT_END);
  m->baseline = CLAMP (baseline, AET_TEXT_BASELINE, AET_TEXT_HANGING);
  m->angle = fmod (angle_deg, 360.0);
  /* measured once: every output places the text with these figures */
  aet_canvas_text_extents (m->text, size, bold, &m->text_width, &m->text_ascent);
}

void
aet_canvas_image (AetCanvas *canvas, const guint8 *rgba, gint width, gint height, gdouble x,
                  gdouble y, gdouble w, gdouble h, gboolean smooth)
{
  g_return_if_fail (canvas != NULL);
  g_return_if_fail (rgba != NULL);
  gdouble v[4] = { w < 0 ? x + w : x, h < 0 ? y + h : y, fabs (w), fabs (h) };
  gsize bytes;
  if (width <= 0 || height <= 0 || !all_finite (v, 4) || v[2] == 0 || v[3] == 0
      || !g_size_checked_mul (&bytes, (gsize) width, (gsize) height)
      || !g_size_checked_mul (&bytes, bytes, 4))
    return;
  Mark *m = add_mark (canvas, MARK_IMAGE);
  memcpy (m->v, v, sizeof v);
  m->rgba = g_memdup2 (rgba, bytes);
  m->img_width = width;
  m->img_height = height;
  m->flag = smooth;
}

/* ---- cairo replay ---------------------------------------------------- */

/* Where the text's baseline starts, relative to its anchor point, in the
 * text's own (rotated) frame. */
static void
text_offset (const Mark *m, gdouble *dx, gdouble *dy)
{
  static const gdouble along[] = { 0.0, 0.5, 1.0 };
  static const gdouble down[] = { 0.0, 0.5, 1.0 };
  *dx = -along[m->anchor] * m->text_width;
  *dy = down[m->baseline] * m->text_ascent;
}

static void
source_rgba (cairo_t *cr, const gdouble c[4])
{
  cairo_set_source_rgba (cr, c[0], c[1], c[2], c[3]);
}

static void
stroke_style (cairo_t *cr, const Mark *m)
{
  cairo_set_line_width (cr, m->line_width);
  if (m->dash[0] > 0)
    cairo_set_dash (cr, m->dash, 2, 0);
  else
    cairo_set_dash (cr, NULL, 0, 0);
}

/* The image as a cairo surface (premultiplied ARGB32); NULL past cairo's
 * size limit. */
static cairo_surface_t *
image_surface (const Mark *m)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, m->img_width,
                                                         m->img_height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return NULL;
    }
  cairo_surface_flush (surface);
  guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  for (gint y = 0; y < m->img_height; y++)
    {
      guint32 *row = (guint32 *) (data + (gsize) y * stride);
      const guint8 *src = m->rgba + (gsize) y * m->img_width * 4;
      for (gint x = 0; x < m->img_width; x++, src += 4)
        {
          guint32 a = src[3];
          guint32 r = (src[0] * a + 127) / 255;
          guint32 g = (src[1] * a + 127) / 255;
          guint32 b = (src[2] * a + 127) / 255;
          row[x] = (a << 24) | (r << 16) | (g << 8) | b;
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

static void
draw_image (cairo_t *cr, const Mark *m)
{
  cairo_surface_t *surface = image_surface (m);
  if (surface == NULL)
    {
      g_debug ("a %d × %d image is too large for cairo; not drawn", m->img_width,
               m->img_height);
      return;
    }
  cairo_save (cr);
  cairo_translate (cr, m->v[0], m->v[1]);
  cairo_scale (cr, m->v[2] / m->img_width, m->v[3] / m->img_height);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_t *pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, m->flag ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
  /* no fading into transparency at the edges when filtered */
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_rectangle (cr, 0, 0, m->img_width, m->img_height);
  cairo_fill (cr);
  cairo_restore (cr);
  cairo_surface_destroy (surface);
}

static void
draw_polyline (cairo_t *cr, const Mark *m)
{
  gboolean pen = FALSE;
  for (gsize i = 0; i < m->n; i++)
    {
      gdouble x = m->xy[2 * i], y = m->xy[2 * i + 1];
      if (!isfinite (x) || !isfinite (y))
        {
          pen = FALSE;
          continue;
        }
      if (pen)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      pen = TRUE;
    }
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
}

static void
draw_text (cairo_t *cr, const Mark *m)
{
  gdouble dx, dy;
  text_offset (m, &dx, &dy);
  cairo_save (cr);
  cairo_translate (cr, m->v[0], m->v[1]);
  if (m->angle != 0)
    cairo_rotate (cr, -m->angle * G_PI / 180.0); /* counter-clockwise on the page (y down) */
  select_font (cr, m->size, m->flag);
  cairo_move_to (cr, dx, dy);
  cairo_show_text (cr, m->text);
  cairo_new_path (cr);
  cairo_restore (cr);
}

void
aet_canvas_draw (const AetCanvas *canvas, cairo_t *cr)
{
  g_return_if_fail (canvas != NULL);
  g_return_if_fail (cr != NULL);
  cairo_save (cr);
  cairo_new_path (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  guint clips = 0;
  for (guint i = 0; i < canvas->marks->len; i++)
    {
      const Mark *m = &g_array_index (canvas->marks, Mark, i);
      switch (m->kind)
        {
        case MARK_GROUP_BEGIN:
        case MARK_GROUP_END:
          break;
        case MARK_CLIP_PUSH:
          cairo_save (cr);
          cairo_rectangle (cr, m->v[0], m->v[1], m->v[2], m->v[3]);
          cairo_clip (cr);
          clips++;
          break;
        case MARK_CLIP_POP:
          g_assert (clips > 0);
          cairo_restore (cr);
          clips--;
          break;
        case MARK_BACKGROUND:
          source_rgba (cr, m->color);
          cairo_rectangle (cr, 0, 0, canvas->width, canvas->height);
          cairo_fill (cr);
          break;
        case MARK_LINE:
          if (m->line_width <= 0)
            break;
          source_rgba (cr, m->color);
          stroke_style (cr, m);
          cairo_move_to (cr, m->v[0], m->v[1]);
          cairo_line_to (cr, m->v[2], m->v[3]);
          cairo_stroke (cr);
          break;
        case MARK_POLYLINE:
          if (m->line_width <= 0)
            break;
          source_rgba (cr, m->color);
          stroke_style (cr, m);
          draw_polyline (cr, m);
          break;
        case MARK_RECT:
          if (!m->flag && m->line_width <= 0)
            break;
          source_rgba (cr, m->color);
          cairo_rectangle (cr, m->v[0], m->v[1], m->v[2], m->v[3]);
          if (m->flag)
            cairo_fill (cr);
          else
            {
              stroke_style (cr, m);
              cairo_stroke (cr);
            }
          break;
        case MARK_CIRCLE:
          cairo_new_sub_path (cr);
          cairo_arc (cr, m->v[0], m->v[1], m->v[2], 0, 2 * G_PI);
          if (m->has_fill)
            {
              source_rgba (cr, m->fill);
              cairo_fill_preserve (cr);
            }
          if (m->has_stroke && m->line_width > 0)
            {
              source_rgba (cr, m->stroke);
              stroke_style (cr, m);
              cairo_stroke_preserve (cr);
            }
          cairo_new_path (cr);
          break;
        case MARK_TEXT:
          source_rgba (cr, m->color);
          draw_text (cr, m);
          break;
        case MARK_IMAGE:
          draw_image (cr, m);
          break;
        }
    }
  for (; clips > 0; clips--)
    cairo_restore (cr);
  cairo_restore (cr);
}

/* ---- PNG through libpng ------------------------------------------------ */

/* Where libpng's bytes go (a file or memory) and why it stopped. */
typedef struct
{
  FILE *file;
  GByteArray *memory;
  char message[256];
} PngIo;

static void
png_io_error (png_structp png, png_const_charp message)
{
  PngIo *io = png_get_error_ptr (png);
  if (io->message[0] == '\0')
    g_strlcpy (io->message, message, sizeof io->message);
  png_longjmp (png, 1);
}

static void
png_io_warning (png_structp png, png_const_charp message)
{
  g_debug ("libpng: %s", message);
}

static void
png_io_write (png_structp png, png_bytep data, size_t length)
{
  PngIo *io = png_get_io_ptr (png);
  if (io->memory != NULL)
    {
      g_byte_array_append (io->memory, data, (guint) length);
      return;
    }
  if (fwrite (data, 1, length, io->file) != length)
    {
      g_strlcpy (io->message, g_strerror (errno), sizeof io->message);
      png_error (png, io->message);
    }
}

static void
png_io_flush (png_structp png)
{
}

/* The part of an encode that libpng may leave by longjmp: nothing here is
 * used after the jump, so no local needs to be volatile. */
static gboolean
png_encode_rows (png_structp png, png_infop info, const guint8 *rgba, gint width, gint height,
                 gdouble dpi)
{
  if (setjmp (png_jmpbuf (png)))
    return FALSE;
  png_set_user_limits (png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_IHDR (png, info, (png_uint_32) width, (png_uint_32) height, 8, PNG_COLOR_TYPE_RGBA,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (isfinite (dpi) && dpi > 0)
    {
      png_uint_32 ppm = (png_uint_32) MIN (round (dpi / 0.0254), (gdouble) PNG_UINT_31_MAX);
      png_set_pHYs (png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
  char key[] = "Software", value[] = "AET Studio";
  png_text text = { .compression = PNG_TEXT_COMPRESSION_NONE, .key = key, .text = value,
                    .text_length = sizeof value - 1 };
  png_set_text (png, info, &text, 1);
  png_write_info (png, info);
  for (gint y = 0; y < height; y++)
    png_write_row (png, rgba + (gsize) y * (gsize) width * 4);
  png_write_end (png, info);
  return TRUE;
}

/* Encodes rgba into io; FALSE with io->message set. */
static gboolean
png_encode (PngIo *io, const guint8 *rgba, gint width, gint height, gdouble dpi)
{
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, io, png_io_error,
                                             png_io_warning);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      png_destroy_write_struct (&png, NULL);
      g_strlcpy (io->message, "out of memory", sizeof io->message);
      return FALSE;
    }
  png_set_write_fn (png, io, png_io_write, png_io_flush);
  gboolean ok = png_encode_rows (png, info, rgba, width, height, dpi);
  png_destroy_write_struct (&png, &info);
  return ok;
}

static gboolean
check_image_size (const char *path, gint width, gint height, GError **error)
{
  gsize bytes;
  if (width > 0 && height > 0 && g_size_checked_mul (&bytes, (gsize) width, (gsize) height)
      && g_size_checked_mul (&bytes, bytes, 4) && bytes <= G_MAXSSIZE)
    return TRUE;
  g_autofree char *name = aet_display_name (path);
  g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "%s: an image of %d × %d pixels is not usable",
               name, width, height);
  return FALSE;
}

gboolean
aet_png_write (const char *path, const guint8 *rgba, gint width, gint height, gdouble dpi,
               GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (rgba != NULL, FALSE);
  if (!check_image_size (path, width, height, error))
    return FALSE;
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  g_autofree char *name = aet_display_name (path);
  PngIo io = { .file = fopen (tmp, "wb") };
  if (io.file == NULL)
    {
      int saved = errno;
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write the file: %s", name,
                   g_strerror (saved));
      return FALSE;
    }
  gboolean ok = png_encode (&io, rgba, width, height, dpi);
  if (fclose (io.file) != 0 && ok)
    {
      g_strlcpy (io.message, g_strerror (errno), sizeof io.message);
      ok = FALSE;
    }
  if (!ok)
    {
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write the file: %s", name,
                   io.message);
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

static gboolean
png_read_header (png_structp png, png_infop info, png_uint_32 *width, png_uint_32 *height,
                 png_uint_32 *ppm, int *unit)
{
  if (setjmp (png_jmpbuf (png)))
    return FALSE;
  png_set_user_limits (png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_sig_bytes (png, 8);
  png_read_info (png, info);
  *width = png_get_image_width (png, info);
  *height = png_get_image_height (png, info);
  png_uint_32 ppm_y;
  if (!png_get_pHYs (png, info, ppm, &ppm_y, unit))
    *unit = PNG_RESOLUTION_UNKNOWN;
  return TRUE;
}

gboolean
aet_png_read_info (const char *path, gint *width, gint *height, gdouble *dpi, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  FILE *file = fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot open the file: %s", name,
                   g_strerror (saved));
      return FALSE;
    }
  guint8 signature[8];
  if (fread (signature, 1, sizeof signature, file) != sizeof signature
      || png_sig_cmp (signature, 0, sizeof signature) != 0)
    {
      fclose (file);
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: not a PNG file", name);
      return FALSE;
    }
  PngIo io = { .file = file };
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &io, png_io_error,
                                            png_io_warning);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  gboolean ok = FALSE;
  png_uint_32 w = 0, h = 0, ppm = 0;
  int unit = PNG_RESOLUTION_UNKNOWN;
  if (info == NULL)
    g_strlcpy (io.message, "out of memory", sizeof io.message);
  else
    {
      png_init_io (png, file);
      ok = png_read_header (png, info, &w, &h, &ppm, &unit);
    }
  png_destroy_read_struct (&png, &info, NULL);
  fclose (file);
  if (!ok || w == 0 || h == 0 || w > G_MAXINT || h > G_MAXINT)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: damaged PNG file: %s", name,
                   io.message[0] ? io.message : "bad size");
      return FALSE;
    }
  if (width)
    *width = (gint) w;
  if (height)
    *height = (gint) h;
  if (dpi)
    *dpi = unit == PNG_RESOLUTION_METER ? ppm * 0.0254 : 0.0;
  return TRUE;
}

/* ---- raster ---------------------------------------------------------- */

/* FALSE with an error when an image mark is too large for cairo (which
 * would leave it out). */
static gboolean
check_images_for_cairo (const AetCanvas *canvas, GError **error)
{
  for (guint i = 0; i < canvas->marks->len; i++)
    {
      const Mark *m = &g_array_index (canvas->marks, Mark, i);
      if (m->kind == MARK_IMAGE
          && (m->img_width > MAX_RASTER_SIDE || m->img_height > MAX_RASTER_SIDE))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "an image of %d × %d pixels is too large for this format "
                       "(at most %d a side; SVG takes it)", m->img_width, m->img_height,
                       MAX_RASTER_SIDE);
          return FALSE;
        }
    }
  return TRUE;
}

guint8 *
aet_canvas_rasterize (const AetCanvas *canvas, gdouble dpi, gint width_px, gint height_px,
                      gint *out_width, gint *out_height, GError **error)
{
  g_return_val_if_fail (canvas != NULL, NULL);
  gdouble sx, sy, w, h;
  if (width_px > 0 && height_px > 0)
    {
      w = width_px;
      h = height_px;
      sx = w / canvas->width;
      sy = h / canvas->height;
    }
  else if (width_px > 0 || height_px > 0)
    {
      /* one side fixed: the other keeps the page's proportions */
      sx = sy = width_px > 0 ? width_px / canvas->width : height_px / canvas->height;
      w = width_px > 0 ? width_px : ceil (canvas->width * sx - 1e-6);
      h = height_px > 0 ? height_px : ceil (canvas->height * sy - 1e-6);
    }
  else
    {
      if (!(isfinite (dpi) && dpi > 0))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                       "a resolution of %g dpi is not usable", dpi);
          return NULL;
        }
      sx = sy = dpi / 72.0;
      /* 1e-6: 240 pt at 300 dpi is 1000 pixels even if the product rounds up */
      w = ceil (canvas->width * sx - 1e-6);
      h = ceil (canvas->height * sy - 1e-6);
    }
  if (!(w >= 1 && h >= 1 && w <= MAX_RASTER_SIDE && h <= MAX_RASTER_SIDE))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "a figure of %.0f × %.0f pixels is too large (at most %d a side)", w, h,
                   MAX_RASTER_SIDE);
      return NULL;
    }
  if (!check_images_for_cairo (canvas, error))
    return NULL;
  gint iw = (gint) w, ih = (gint) h;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, iw, ih);
  guint8 *rgba = g_try_malloc ((gsize) iw * ih * 4);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS || rgba == NULL)
    {
      cairo_surface_destroy (surface);
      g_free (rgba);
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
                   "not enough memory for a figure of %d × %d pixels", iw, ih);
      return NULL;
    }
  cairo_t *cr = cairo_create (surface);
  cairo_scale (cr, sx, sy);
  aet_canvas_draw (canvas, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  for (gint y = 0; y < ih; y++)
    {
      const guint32 *row = (const guint32 *) (data + (gsize) y * stride);
      guint8 *dst = rgba + (gsize) y * iw * 4;
      for (gint x = 0; x < iw; x++, dst += 4)
        {
          guint32 p = row[x];
          guint32 a = p >> 24;
          if (a == 0)
            {
              memset (dst, 0, 4);
              continue;
            }
          /* un-premultiply, rounding to nearest */
          dst[0] = (guint8) MIN (255u, (((p >> 16) & 0xff) * 255 + a / 2) / a);
          dst[1] = (guint8) MIN (255u, (((p >> 8) & 0xff) * 255 + a / 2) / a);
          dst[2] = (guint8) MIN (255u, ((p & 0xff) * 255 + a / 2) / a);
          dst[3] = (guint8) a;
        }
    }
  cairo_surface_destroy (surface);
  if (out_width)
    *out_width = iw;
  if (out_height)
    *out_height = ih;
  return rgba;
}

/* ---- SVG ------------------------------------------------------------- */

/* A number for SVG: locale-independent, at most 3 decimals, no trailing
 * zeros. */
static void
svg_num (GString *s, gdouble v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (v))
    v = 0;
  g_ascii_formatd (buf, sizeof buf, "%.3f", v);
  char *end = buf + strlen (buf);
  while (end > buf && end[-1] == '0')
    *--end = '\0';
  if (end > buf && end[-1] == '.')
    *--end = '\0';
  if (strcmp (buf, "-0") == 0)
    strcpy (buf, "0");
  g_string_append (s, buf);
}

static void
svg_attr_num (GString *s, const char *name, gdouble v)
{
  g_string_append_printf (s, " %s=\"", name);
  svg_num (s, v);
  g_string_append_c (s, '"');
}

/* ` fill="#rrggbb"` (and its opacity when not opaque); `what` is "fill" or
 * "stroke". */
static void
svg_paint (GString *s, const char *what, const gdouble c[4])
{
  g_string_append_printf (s, " %s=\"#%02x%02x%02x\"", what, (guint) lround (c[0] * 255),
                          (guint) lround (c[1] * 255), (guint) lround (c[2] * 255));
  if (c[3] < 1.0)
    {
      g_string_append_printf (s, " %s-opacity=\"", what);
      svg_num (s, c[3]);
      g_string_append_c (s, '"');
    }
}

static void
svg_stroke (GString *s, const Mark *m, const gdouble c[4])
{
  svg_paint (s, "stroke", c);
  svg_attr_num (s, "stroke-width", m->line_width);
  if (m->dash[0] > 0)
    {
      g_string_append (s, " stroke-dasharray=\"");
      svg_num (s, m->dash[0]);
      g_string_append_c (s, ',');
      svg_num (s, m->dash[1]);
      g_string_append_c (s, '"');
    }
}

static void
svg_indent (GString *s, guint depth)
{
  for (guint i = 0; i < depth + 1; i++)
    g_string_append (s, "  ");
}

static void
svg_polyline (GString *s, const Mark *m)
{
  /* pieces between non-finite points; a piece needs two points */
  GString *d = g_string_new (NULL);
  guint pieces = 0;
  gsize i = 0;
  while (i < m->n)
    {
      while (i < m->n && !all_finite (m->xy + 2 * i, 2))
        i++;
      gsize start = i;
      while (i < m->n && all_finite (m->xy + 2 * i, 2))
        i++;
      if (i - start < 2)
        continue;
      for (gsize k = start; k < i; k++)
        {
          if (pieces > 0 || k > start)
            g_string_append_c (d, ' ');
          if (k == start)
            g_string_append (d, "M");
          else if (k == start + 1)
            g_string_append (d, "L");
          svg_num (d, m->xy[2 * k]);
          g_string_append_c (d, ',');
          svg_num (d, m->xy[2 * k + 1]);
        }
      pieces++;
    }
  if (pieces == 1)
    {
      /* one piece: a <polyline> of the same points ("M" and "L" dropped) */
      g_string_append (s, "<polyline points=\"");
      for (const char *p = d->str; *p; p++)
        if (*p != 'M' && *p != 'L')
          g_string_append_c (s, *p);
      g_string_append_c (s, '"');
    }
  else if (pieces > 1)
    g_string_append_printf (s, "<path d=\"%s\"", d->str);
  g_string_free (d, TRUE);
  if (pieces == 0)
    return;
  g_string_append (s, " fill=\"none\" stroke-linejoin=\"round\"");
  svg_stroke (s, m, m->color);
  g_string_append (s, "/>\n");
}

static void
svg_text (GString *s, const Mark *m)
{
  static const char *anchors[] = { "start", "middle", "end" };
  gdouble dx, dy;
  text_offset (m, &dx, &dy);
  /* The anchor point with text-anchor rather than our measured offset:
   * a viewer that substitutes another sans-serif still centres or
   * right-aligns correctly.  The baseline shift is ours (dominant-baseline
   * is not honoured everywhere). */
  g_string_append (s, "<text");
  svg_attr_num (s, "x", m->v[0]);
  svg_attr_num (s, "y", m->v[1] + dy);
  g_string_append (s, " font-family=\"sans-serif\"");
  svg_attr_num (s, "font-size", m->size);
  g_string_append_printf (s, " font-weight=\"%s\"", m->flag ? "bold" : "normal");
  svg_paint (s, "fill", m->color);
  g_string_append_printf (s, " text-anchor=\"%s\"", anchors[m->anchor]);
  if (m->angle != 0)
    {
      g_string_append (s, " transform=\"rotate(");
      svg_num (s, -m->angle);
      g_string_append_c (s, ' ');
      svg_num (s, m->v[0]);
      g_string_append_c (s, ' ');
      svg_num (s, m->v[1]);
      g_string_append (s, ")\"");
    }
  gsize len = strlen (m->text);
  if (m->text[0] == ' ' || m->text[len - 1] == ' ' || strstr (m->text, "  "))
    g_string_append (s, " xml:space=\"preserve\"");
  g_autofree char *escaped = g_markup_escape_text (m->text, -1);
  g_string_append_printf (s, ">%s</text>\n", escaped);
}

/* How many times a sharp image is enlarged (whole pixels, per axis) for
 * SVG.  Some viewers (librsvg) ignore image-rendering and smooth an
 * upscaled image; pixels enlarged to about 300 dpi stay sharp in those
 * too.  At most 16 times and 16 megapixels. */
static void
svg_sharp_factors (const Mark *m, gint *fx, gint *fy)
{
  *fx = *fy = 1;
  if (m->flag)
    return;
  *fx = (gint) CLAMP (ceil (m->v[2] / m->img_width * 300.0 / 72.0 - 1e-6), 1.0, 16.0);
  *fy = (gint) CLAMP (ceil (m->v[3] / m->img_height * 300.0 / 72.0 - 1e-6), 1.0, 16.0);
  while ((*fx > 1 || *fy > 1) && (gdouble) m->img_width * *fx * m->img_height * *fy > 16e6)
    {
      if (*fx >= *fy)
        (*fx)--;
      else
        (*fy)--;
    }
}

static gboolean
svg_image (GString *s, const Mark *m, GError **error)
{
  gint fx, fy;
  svg_sharp_factors (m, &fx, &fy);
  gint w = m->img_width * fx, h = m->img_height * fy;
  g_autofree guint8 *enlarged = NULL;
  if (fx > 1 || fy > 1)
    {
      enlarged = g_malloc ((gsize) w * h * 4);
      for (gint y = 0; y < h; y++)
        {
          const guint32 *src = (const guint32 *) (m->rgba + (gsize) (y / fy) * m->img_width * 4);
          guint32 *dst = (guint32 *) (enlarged + (gsize) y * w * 4);
          for (gint x = 0; x < w; x++)
            dst[x] = src[x / fx];
        }
    }
  PngIo io = { .memory = g_byte_array_new () };
  if (!png_encode (&io, enlarged ? enlarged : m->rgba, w, h, 0))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_INVALID, "cannot encode a %d × %d image: %s",
                   w, h, io.message);
      g_byte_array_unref (io.memory);
      return FALSE;
    }
  g_autofree char *b64 = g_base64_encode (io.memory->data, io.memory->len);
  g_byte_array_unref (io.memory);
  g_string_append (s, "<image");
  svg_attr_num (s, "x", m->v[0]);
  svg_attr_num (s, "y", m->v[1]);
  svg_attr_num (s, "width", m->v[2]);
  svg_attr_num (s, "height", m->v[3]);
  g_string_append (s, " preserveAspectRatio=\"none\"");
  if (!m->flag)
    /* SVG 1.1 viewers read the attribute, CSS ones the style */
    g_string_append (s, " image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\"");
  g_string_append_printf (s, " href=\"data:image/png;base64,%s\""
                          " xlink:href=\"data:image/png;base64,%s\"/>\n", b64, b64);
  return TRUE;
}

/* The whole canvas as an SVG document.  Caller owns. */
static GString *
svg_document (const AetCanvas *canvas, GError **error)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
  g_string_append (s, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                   "xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\"");
  g_string_append (s, " width=\"");
  svg_num (s, canvas->width);
  g_string_append (s, "pt\" height=\"");
  svg_num (s, canvas->height);
  g_string_append (s, "pt\" viewBox=\"0 0 ");
  svg_num (s, canvas->width);
  g_string_append_c (s, ' ');
  svg_num (s, canvas->height);
  g_string_append (s, "\">\n");

  /* clip ids that no group of the caller's uses */
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < canvas->marks->len; i++)
    {
      const Mark *m = &g_array_index (canvas->marks, Mark, i);
      if (m->kind == MARK_GROUP_BEGIN && m->text)
        g_hash_table_add (ids, m->text);
    }
  guint next_clip = 1;
  guint depth = 0;
  for (guint i = 0; i < canvas->marks->len; i++)
    {
      const Mark *m = &g_array_index (canvas->marks, Mark, i);
      if (m->kind == MARK_GROUP_END || m->kind == MARK_CLIP_POP)
        {
          g_assert (depth > 0);
          depth--;
          svg_indent (s, depth);
          g_string_append (s, "</g>\n");
          continue;
        }
      svg_indent (s, depth);
      switch (m->kind)
        {
        case MARK_GROUP_BEGIN:
          g_string_append (s, "<g");
          if (m->text)
            g_string_append_printf (s, " id=\"%s\"", m->text);
          g_string_append (s, ">\n");
          depth++;
          break;
        case MARK_CLIP_PUSH:
          {
            char id[32];
            do
              g_snprintf (id, sizeof id, "clip%u", next_clip++);
            while (g_hash_table_contains (ids, id));
            g_string_append_printf (s, "<clipPath id=\"%s\"><rect", id);
            svg_attr_num (s, "x", m->v[0]);
            svg_attr_num (s, "y", m->v[1]);
            svg_attr_num (s, "width", m->v[2]);
            svg_attr_num (s, "height", m->v[3]);
            g_string_append (s, "/></clipPath>\n");
            svg_indent (s, depth);
            g_string_append_printf (s, "<g clip-path=\"url(#%s)\">\n", id);
            depth++;
          }
          break;
        case MARK_BACKGROUND:
          g_string_append (s, "<rect x=\"0\" y=\"0\"");
          svg_attr_num (s, "width", canvas->width);
          svg_attr_num (s, "height", canvas->height);
          svg_paint (s, "fill", m->color);
          g_string_append (s, "/>\n");
          break;
        case MARK_LINE:
          g_string_append (s, "<line");
          svg_attr_num (s, "x1", m->v[0]);
          svg_attr_num (s, "y1", m->v[1]);
          svg_attr_num (s, "x2", m->v[2]);
          svg_attr_num (s, "y2", m->v[3]);
          svg_stroke (s, m, m->color);
          g_string_append (s, "/>\n");
          break;
        case MARK_POLYLINE:
          svg_polyline (s, m);
          break;
        case MARK_RECT:
          g_string_append (s, "<rect");
          svg_attr_num (s, "x", m->v[0]);
          svg_attr_num (s, "y", m->v[1]);
          svg_attr_num (s, "width", m->v[2]);
          svg_attr_num (s, "height", m->v[3]);
          if (m->flag)
            svg_paint (s, "fill", m->color);
          else
            {
              g_string_append (s, " fill=\"none\"");
              svg_stroke (s, m, m->color);
            }
          g_string_append (s, "/>\n");
          break;
        case MARK_CIRCLE:
          g_string_append (s, "<circle");
          svg_attr_num (s, "cx", m->v[0]);
          svg_attr_num (s, "cy", m->v[1]);
          svg_attr_num (s, "r", m->v[2]);
          if (m->has_fill)
            svg_paint (s, "fill", m->fill);
          else
            g_string_append (s, " fill=\"none\"");
          if (m->has_stroke && m->line_width > 0)
            svg_stroke (s, m, m->stroke);
          g_string_append (s, "/>\n");
          break;
        case MARK_TEXT:
          svg_text (s, m);
          break;
        case MARK_IMAGE:
          if (!svg_image (s, m, error))
            {
              g_string_free (s, TRUE);
              return NULL;
            }
          break;
        case MARK_GROUP_END:
        case MARK_CLIP_POP:
          g_assert_not_reached ();
        }
    }
  /* groups and clips left open by the caller */
  for (; depth > 0; depth--)
    {
      svg_indent (s, depth - 1);
      g_string_append (s, "</g>\n");
    }
  g_string_append (s, "</svg>\n");
  return s;
}

/* ---- saving ---------------------------------------------------------- */

static gboolean
save_pdf (const AetCanvas *canvas, const char *path, GError **error)
{
  g_autofree char *name = aet_display_name (path);
  g_autoptr (GError) local = NULL;
  if (!check_images_for_cairo (canvas, &local))
    {
      g_set_error (error, AET_ERROR, local->code, "%s: %s", name, local->message);
      return FALSE;
    }
  g_autofree char *tmp = aet_temp_path_for (path, error);
  if (tmp == NULL)
    return FALSE;
  cairo_surface_t *surface = cairo_pdf_surface_create (tmp, canvas->width, canvas->height);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "AET Studio");
  cairo_t *cr = cairo_create (surface);
  aet_canvas_draw (canvas, cr);
  cairo_show_page (cr);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      aet_temp_discard (tmp);
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot write the PDF: %s", name,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return aet_temp_commit (tmp, path, error);
}

gboolean
aet_canvas_save (const AetCanvas *canvas, const char *path, gdouble dpi, gint width_px,
                 gint height_px, GError **error)
{
  g_return_val_if_fail (canvas != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_autofree char *ext = aet_path_extension (path);
  g_autofree char *name = aet_display_name (path);
  if (strcmp (ext, "svg") == 0)
    {
      g_autoptr (GError) local = NULL;
      GString *doc = svg_document (canvas, &local);
      if (doc == NULL)
        {
          g_set_error (error, AET_ERROR, local->code, "%s: %s", name, local->message);
          return FALSE;
        }
      gboolean ok = aet_write_text_atomic (path, doc->str, (gssize) doc->len, error);
      g_string_free (doc, TRUE);
      return ok;
    }
  if (strcmp (ext, "pdf") == 0)
    return save_pdf (canvas, path, error);
  if (strcmp (ext, "png") == 0)
    {
      gint w, h;
      g_autoptr (GError) local = NULL;
      g_autofree guint8 *rgba = aet_canvas_rasterize (canvas, dpi, width_px, height_px, &w, &h,
                                                      &local);
      if (rgba == NULL)
        {
          g_set_error (error, AET_ERROR, local->code, "%s: %s", name, local->message);
          return FALSE;
        }
      /* a fixed pixel size without a DPI records the one it amounts to */
      gdouble recorded = dpi;
      if (!(isfinite (dpi) && dpi > 0))
        recorded = w * 72.0 / canvas->width;
      return aet_png_write (path, rgba, w, h, recorded, error);
    }
  g_set_error (error, AET_ERROR, AET_ERROR_INVALID,
               "%s: unknown figure format (use .svg, .pdf or .png)", name);
  return FALSE;
}
