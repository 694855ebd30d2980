#define G_LOG_DOMAIN "aet-json"

#include "aet-json.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gboolean is_object;
  guint n_items;
} Level;

struct _AetJsonWriter
{
  GString *text;
  GArray *stack; /* Level */
  gboolean pretty;
  gboolean have_key;  /* a key was written and awaits its value */
  guint n_top;        /* values written at the top level */
};

AetJsonWriter *
aet_json_writer_new (gboolean pretty)
{
  AetJsonWriter *w = g_new0 (AetJsonWriter, 1);
  w->text = g_string_sized_new (4096);
  w->stack = g_array_new (FALSE, FALSE, sizeof (Level));
  w->pretty = pretty;
  return w;
}

void
aet_json_writer_free (AetJsonWriter *w)
{
  if (w == NULL)
    return;
  g_string_free (w->text, TRUE);
  g_array_unref (w->stack);
  g_free (w);
}

static Level *
top (AetJsonWriter *w)
{
  return w->stack->len ? &g_array_index (w->stack, Level, w->stack->len - 1) : NULL;
}

static void
newline (AetJsonWriter *w)
{
  if (!w->pretty)
    return;
  g_string_append_c (w->text, '\n');
  for (guint i = 0; i < w->stack->len; i++)
    g_string_append (w->text, "  ");
}

/* Writes the separator and indentation that precede a value. */
static gboolean
before_value (AetJsonWriter *w)
{
  Level *l = top (w);
  if (l == NULL)
    {
      if (w->n_top > 0)
        {
          g_critical ("aet-json: a second value at the top level");
          return FALSE;
        }
      w->n_top++;
      return TRUE;
    }
  if (l->is_object)
    {
      if (!w->have_key)
        {
          g_critical ("aet-json: a value in an object without a key");
          return FALSE;
        }
      w->have_key = FALSE;
      return TRUE;
    }
  if (l->n_items++ > 0)
    g_string_append_c (w->text, ',');
  newline (w);
  return TRUE;
}

/* Appends s as a JSON string literal, quotes included. */
static void
append_escaped (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      guchar c = (guchar) *p;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

void
aet_json_key (AetJsonWriter *w, const char *key)
{
  Level *l = top (w);
  if (l == NULL || !l->is_object || w->have_key)
    {
      g_critical ("aet-json: key \"%s\" outside an object or twice", key);
      return;
    }
  if (l->n_items++ > 0)
    g_string_append_c (w->text, ',');
  newline (w);
  append_escaped (w->text, key);
  g_string_append (w->text, w->pretty ? ": " : ":");
  w->have_key = TRUE;
}

static void
begin (AetJsonWriter *w, gboolean is_object)
{
  if (!before_value (w))
    return;
  g_string_append_c (w->text, is_object ? '{' : '[');
  Level l = { is_object, 0 };
  g_array_append_val (w->stack, l);
}

static void
end (AetJsonWriter *w, gboolean is_object)
{
  Level *l = top (w);
  if (l == NULL || l->is_object != is_object || w->have_key)
    {
      g_critical ("aet-json: unbalanced end of %s", is_object ? "object" : "array");
      return;
    }
  guint n = l->n_items;
  g_array_set_size (w->stack, w->stack->len - 1);
  if (n > 0)
    newline (w);
  g_string_append_c (w->text, is_object ? '}' : ']');
}

void
aet_json_begin_object (AetJsonWriter *w)
{
  begin (w, TRUE);
}

void
aet_json_end_object (AetJsonWriter *w)
{
  end (w, TRUE);
}

void
aet_json_begin_array (AetJsonWriter *w)
{
  begin (w, FALSE);
}

void
aet_json_end_array (AetJsonWriter *w)
{
  end (w, FALSE);
}

void
aet_json_format_number (gdouble value, char buf[32])
{
  if (!isfinite (value))
    {
      strcpy (buf, "null");
      return;
    }
  if (value == 0)
    {
      strcpy (buf, signbit (value) ? "-0" : "0");
      return;
    }
  /* integers of moderate size print as integers */
  if (fabs (value) < 1e15 && value == floor (value))
    {
      g_snprintf (buf, 32, "%" G_GINT64_FORMAT, (gint64) value);
      return;
    }
  for (int digits = 6; digits <= 17; digits++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
      g_ascii_formatd (buf, 32, fmt, value);
      if (g_ascii_strtod (buf, NULL) == value)
        return;
    }
}

void
aet_json_number (AetJsonWriter *w, gdouble value)
{
  if (!before_value (w))
    return;
  char buf[32];
  aet_json_format_number (value, buf);
  g_string_append (w->text, buf);
}

void
aet_json_int (AetJsonWriter *w, gint64 value)
{
  if (!before_value (w))
    return;
  g_string_append_printf (w->text, "%" G_GINT64_FORMAT, value);
}

void
aet_json_bool (AetJsonWriter *w, gboolean value)
{
  if (!before_value (w))
    return;
  g_string_append (w->text, value ? "true" : "false");
}

void
aet_json_null (AetJsonWriter *w)
{
  if (!before_value (w))
    return;
  g_string_append (w->text, "null");
}

void
aet_json_string (AetJsonWriter *w, const char *value)
{
  if (value == NULL)
    {
      aet_json_null (w);
      return;
    }
  if (!before_value (w))
    return;
  append_escaped (w->text, value);
}

void
aet_json_number_array (AetJsonWriter *w, const gdouble *values, gsize n)
{
  /* short numeric arrays stay on one line */
  if (!before_value (w))
    return;
  g_string_append_c (w->text, '[');
  for (gsize i = 0; i < n; i++)
    {
      char buf[32];
      aet_json_format_number (values[i], buf);
      if (i > 0)
        g_string_append (w->text, w->pretty ? ", " : ",");
      g_string_append (w->text, buf);
    }
  g_string_append_c (w->text, ']');
}

void
aet_json_member_number (AetJsonWriter *w, const char *key, gdouble value)
{
  aet_json_key (w, key);
  aet_json_number (w, value);
}

void
aet_json_member_int (AetJsonWriter *w, const char *key, gint64 value)
{
  aet_json_key (w, key);
  aet_json_int (w, value);
}

void
aet_json_member_bool (AetJsonWriter *w, const char *key, gboolean value)
{
  aet_json_key (w, key);
  aet_json_bool (w, value);
}

void
aet_json_member_string (AetJsonWriter *w, const char *key, const char *value)
{
  aet_json_key (w, key);
  aet_json_string (w, value);
}

gboolean
aet_json_writer_is_complete (const AetJsonWriter *w)
{
  return w->stack->len == 0 && w->n_top == 1 && !w->have_key;
}

const char *
aet_json_writer_get_text (const AetJsonWriter *w)
{
  return w->text->str;
}

char *
aet_json_writer_free_to_text (AetJsonWriter *w)
{
  g_string_append_c (w->text, '\n');
  char *text = g_string_free (w->text, FALSE);
  g_array_unref (w->stack);
  g_free (w);
  return text;
}
