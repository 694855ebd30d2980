#define G_LOG_DOMAIN "aet-xyz"

#include "aet-xyz.h"
#include "aet-elements.h"
#include "aet-error.h"
#include "aet-file-util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* A count line above this is not an atom count but a damaged file. */
#define MAX_ATOMS (G_GUINT64_CONSTANT (200000000))
/* Longest excerpt of a bad line quoted in a message, in characters. */
#define SNIPPET_CHARS 40
/* Most components we accept for one extended-XYZ property. */
#define MAX_COMPONENTS 64

typedef enum
{
  PROP_SPECIES,
  PROP_Z,
  PROP_POS,
  PROP_COLUMN,
  PROP_SKIP,
} PropKind;

typedef struct
{
  PropKind kind;
  guint first_token;   /* index of its first token on an atom line */
  guint n_tokens;
  guint first_column;  /* for PROP_COLUMN: index of its first atom column */
} Prop;

typedef struct
{
  const char *name;    /* file basename for messages */
  const char *p, *end; /* unread text */
  guint line_no;       /* number of the last line taken */
} Reader;

/* The next line (without its end of line) or FALSE at the end of the text. */
static gboolean
next_line (Reader *r, const char **line, gsize *len)
{
  if (r->p >= r->end)
    return FALSE;
  const char *nl = memchr (r->p, '\n', (gsize) (r->end - r->p));
  const char *stop = nl != NULL ? nl : r->end;
  *line = r->p;
  *len = (gsize) (stop - r->p);
  if (*len > 0 && (*line)[*len - 1] == '\r')
    (*len)--;
  r->p = nl != NULL ? nl + 1 : r->end;
  r->line_no++;
  return TRUE;
}

/* A printable excerpt of a line for messages, cut after SNIPPET_CHARS. */
static char *
snippet (const char *line, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid (line, (gssize) len);
  for (char *c = valid; *c != '\0'; c++)
    if ((guchar) *c < 0x20)
      *c = ' ';
  if (g_utf8_strlen (valid, -1) <= SNIPPET_CHARS)
    return g_steal_pointer (&valid);
  const char *cut = g_utf8_offset_to_pointer (valid, SNIPPET_CHARS);
  return g_strdup_printf ("%.*s…", (int) (cut - valid), valid);
}

static gboolean
is_blank (const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

/* Splits a NUL-terminated, writable line on blanks, in place. */
static guint
tokenize (char *line, GPtrArray *tokens)
{
  g_ptr_array_set_size (tokens, 0);
  char *c = line;
  while (*c != '\0')
    {
      while (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\v' || *c == '\f')
        c++;
      if (*c == '\0')
        break;
      g_ptr_array_add (tokens, c);
      while (*c != '\0' && !(*c == ' ' || *c == '\t' || *c == '\r' || *c == '\v' || *c == '\f'))
        c++;
      if (*c != '\0')
        *c++ = '\0';
    }
  return tokens->len;
}

static gboolean
parse_double (const char *token, gdouble *out)
{
  char *end = NULL;
  if (*token == '\0')
    return FALSE;
  errno = 0;
  *out = g_ascii_strtod (token, &end);
  return end != NULL && *end == '\0' && end != token;
}

/* The atomic number for a symbol or a number in 1…118; 0 if neither. */
static guint
parse_element (const char *token)
{
  if (g_ascii_isdigit (token[0]))
    {
      guint64 z = 0;
      if (!g_ascii_string_to_unsigned (token, 10, 1, AET_MAX_Z, &z, NULL))
        return 0;
      return (guint) z;
    }
  return aet_element_from_symbol (token);
}

/* Finds the value of key `key` (case-insensitive) in an extended-XYZ comment
 * line of key=value and key="quoted value" pairs.  Caller owns; NULL if
 * absent or if the line cannot be read as pairs. */
static char *
find_key (const char *comment, const char *key)
{
  const char *c = comment;
  while (*c != '\0')
    {
      while (g_ascii_isspace (*c))
        c++;
      if (*c == '\0')
        break;
      const char *k = c;
      while (*c != '\0' && *c != '=' && !g_ascii_isspace (*c))
        c++;
      gsize klen = (gsize) (c - k);
      if (*c != '=')
        continue;  /* a bare flag */
      c++;
      const char *v;
      gsize vlen;
      if (*c == '"' || *c == '\'' || *c == '{')
        {
          char close = *c == '{' ? '}' : *c;
          v = ++c;
          while (*c != '\0' && *c != close)
            c++;
          if (*c == '\0')
            return NULL;
          vlen = (gsize) (c - v);
          c++;
        }
      else
        {
          v = c;
          while (*c != '\0' && !g_ascii_isspace (*c))
            c++;
          vlen = (gsize) (c - v);
        }
      if (klen == strlen (key) && g_ascii_strncasecmp (k, key, klen) == 0)
        return g_strndup (v, vlen);
    }
  return NULL;
}

/* Reads Properties=… into props and creates the atom columns it names. */
static gboolean
parse_properties (const char *name, const char *value, GArray *props, guint *n_tokens,
                  AetAtoms *atoms, GError **error)
{
  g_auto (GStrv) fields = g_strsplit (value, ":", -1);
  guint n = g_strv_length (fields);
  gboolean have_species = FALSE, have_z = FALSE, have_pos = FALSE;
  guint token = 0;
  g_autofree char *shown = snippet (value, strlen (value));

  if (n == 0 || n % 3 != 0)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: line 2: cannot read Properties=%s (expected name:type:count triples)",
                   name, shown);
      return FALSE;
    }
  for (guint f = 0; f < n; f += 3)
    {
      const char *pname = fields[f], *ptype = fields[f + 1];
      guint64 count = 0;
      if (*pname == '\0' || strlen (ptype) != 1 || strchr ("SRIL", ptype[0]) == NULL
          || !g_ascii_string_to_unsigned (fields[f + 2], 10, 1, MAX_COMPONENTS, &count, NULL))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: line 2: cannot read Properties=%s (bad entry '%s:%s:%s')", name,
                       shown, pname, ptype, fields[f + 2]);
          return FALSE;
        }
      Prop p = { .first_token = token, .n_tokens = (guint) count };
      if (g_strcmp0 (pname, "species") == 0 && !have_species)
        {
          if (ptype[0] != 'S' || count != 1)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: line 2: Properties has species:%s:%s, expected species:S:1",
                           name, ptype, fields[f + 2]);
              return FALSE;
            }
          p.kind = PROP_SPECIES;
          have_species = TRUE;
        }
      else if (g_strcmp0 (pname, "pos") == 0 && !have_pos)
        {
          if (ptype[0] != 'R' || count != 3)
            {
              g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                           "%s: line 2: Properties has pos:%s:%s, expected pos:R:3", name,
                           ptype, fields[f + 2]);
              return FALSE;
            }
          p.kind = PROP_POS;
          have_pos = TRUE;
        }
      else if (g_strcmp0 (pname, "Z") == 0 && ptype[0] == 'I' && count == 1 && !have_z)
        {
          p.kind = PROP_Z;
          have_z = TRUE;
        }
      else if (ptype[0] == 'R' || ptype[0] == 'I')
        {
          p.kind = PROP_COLUMN;
          p.first_column = aet_atoms_n_columns (atoms);
          for (guint c = 0; c < count; c++)
            {
              g_autofree char *cname = count == 1 ? g_strdup (pname)
                                                  : g_strdup_printf ("%s_%u", pname, c);
              if (aet_atoms_get_column (atoms, cname) != NULL)
                {
                  g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                               "%s: line 2: Properties names the column '%s' twice", name,
                               cname);
                  return FALSE;
                }
              aet_atoms_ensure_column (atoms, cname);
            }
        }
      else
        p.kind = PROP_SKIP;
      token += (guint) count;
      g_array_append_val (props, p);
    }
  if (!have_pos)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: line 2: Properties has no pos:R:3 column", name);
      return FALSE;
    }
  if (!have_species && !have_z)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                   "%s: line 2: Properties has no species:S:1 column", name);
      return FALSE;
    }
  /* With both, species decides and Z is kept as a column of its own. */
  if (have_species && have_z)
    for (guint i = 0; i < props->len; i++)
      if (g_array_index (props, Prop, i).kind == PROP_Z)
        g_array_index (props, Prop, i).kind = PROP_SKIP;
  *n_tokens = token;
  return TRUE;
}

static gboolean
bad_line (Reader *r, const char *line, gsize len, const char *expected, GError **error)
{
  g_autofree char *shown = snippet (line, len);
  g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: line %u: expected %s, got '%s'",
               r->name, r->line_no, expected, shown);
  return FALSE;
}

static gboolean
set_element (Reader *r, const char *token, guint *z, GError **error)
{
  *z = parse_element (token);
  if (*z == 0)
    {
      g_autofree char *shown = snippet (token, strlen (token));
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: line %u: unknown element '%s'",
                   r->name, r->line_no, shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_finite_coordinate (Reader *r, const char *token, gdouble v, GError **error)
{
  if (isfinite (v))
    return TRUE;
  g_autofree char *shown = snippet (token, strlen (token));
  g_set_error (error, AET_ERROR, AET_ERROR_DATA,
               "%s: line %u: coordinate '%s' is not a finite number", r->name, r->line_no,
               shown);
  return FALSE;
}

AetAtoms *
aet_xyz_parse (const char *text, gsize length, const char *name, GError **error)
{
  g_return_val_if_fail (text != NULL || length == 0, NULL);
  Reader r = { .name = name, .p = text, .end = text + length, .line_no = 0 };
  const char *line;
  gsize len;

  /* the count line (blank lines before it are tolerated) */
  gboolean found = FALSE;
  while (next_line (&r, &line, &len))
    if (!is_blank (line, len))
      {
        found = TRUE;
        break;
      }
  if (!found)
    {
      g_set_error (error, AET_ERROR, AET_ERROR_FORMAT, "%s: empty file", name);
      return NULL;
    }
  g_autofree char *count_text = g_strstrip (g_strndup (line, len));
  guint64 count = 0;
  if (!g_ascii_string_to_unsigned (count_text, 10, 0, MAX_ATOMS, &count, NULL))
    {
      bad_line (&r, line, len, "the number of atoms", error);
      return NULL;
    }

  g_autoptr (AetAtoms) atoms = aet_atoms_new ((gsize) MIN (count, 1u << 20));
  g_autoptr (GArray) props = g_array_new (FALSE, FALSE, sizeof (Prop));
  guint n_tokens = 0;
  gboolean extended = FALSE;

  /* the comment line */
  if (next_line (&r, &line, &len))
    {
      g_autofree char *comment = g_strndup (line, len);
      g_autofree char *properties = find_key (comment, "Properties");
      if (properties != NULL)
        {
          if (!parse_properties (name, properties, props, &n_tokens, atoms, error))
            return NULL;
          extended = TRUE;
        }
    }

  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();
  for (guint64 a = 0; a < count; a++)
    {
      if (!next_line (&r, &line, &len))
        {
          g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                       "%s: the count line says %" G_GUINT64_FORMAT " atoms but only %"
                       G_GUINT64_FORMAT " follow (truncated?)", name, count, a);
          return NULL;
        }
      g_autofree char *copy = g_strndup (line, len);
      guint n = tokenize (copy, tokens);
      char **tok = (char **) tokens->pdata;
      guint z = 0;
      gdouble xyz[3];

      if (!extended)
        {
          if (n < 4 || !parse_double (tok[1], &xyz[0]) || !parse_double (tok[2], &xyz[1])
              || !parse_double (tok[3], &xyz[2]))
            {
              bad_line (&r, line, len, "'El x y z'", error);
              return NULL;
            }
          if (!set_element (&r, tok[0], &z, error))
            return NULL;
          for (int d = 0; d < 3; d++)
            if (!check_finite_coordinate (&r, tok[1 + d], xyz[d], error))
              return NULL;
          aet_atoms_append (atoms, z, xyz[0], xyz[1], xyz[2]);
          continue;
        }

      if (n != n_tokens)
        {
          g_autofree char *expected = g_strdup_printf ("%u columns as Properties says",
                                                       n_tokens);
          bad_line (&r, line, len, expected, error);
          return NULL;
        }
      /* element and position first, then the columns of the appended atom */
      for (guint p = 0; p < props->len; p++)
        {
          const Prop *prop = &g_array_index (props, Prop, p);
          if (prop->kind == PROP_SPECIES || prop->kind == PROP_Z)
            {
              if (!set_element (&r, tok[prop->first_token], &z, error))
                return NULL;
            }
          else if (prop->kind == PROP_POS)
            {
              for (int d = 0; d < 3; d++)
                {
                  const char *t = tok[prop->first_token + d];
                  if (!parse_double (t, &xyz[d]))
                    {
                      bad_line (&r, line, len, "numbers for pos", error);
                      return NULL;
                    }
                  if (!check_finite_coordinate (&r, t, xyz[d], error))
                    return NULL;
                }
            }
        }
      gsize i = aet_atoms_append (atoms, z, xyz[0], xyz[1], xyz[2]);
      for (guint p = 0; p < props->len; p++)
        {
          const Prop *prop = &g_array_index (props, Prop, p);
          if (prop->kind != PROP_COLUMN)
            continue;
          for (guint c = 0; c < prop->n_tokens; c++)
            {
              const char *t = tok[prop->first_token + c];
              gdouble v;
              if (!parse_double (t, &v))
                {
                  g_autofree char *shown = snippet (t, strlen (t));
                  g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                               "%s: line %u: column '%s' is not a number: '%s'", name,
                               r.line_no, aet_atoms_column_name (atoms, prop->first_column + c),
                               shown);
                  return NULL;
                }
              aet_atoms_column_values (atoms, prop->first_column + c)[i] = (gfloat) v;
            }
        }
    }

  while (next_line (&r, &line, &len))
    if (!is_blank (line, len))
      {
        g_autofree char *shown = snippet (line, len);
        g_set_error (error, AET_ERROR, AET_ERROR_FORMAT,
                     "%s: the count line says %" G_GUINT64_FORMAT
                     " atoms but more lines follow (line %u: '%s')", name, count, r.line_no,
                     shown);
        return NULL;
      }
  return g_steal_pointer (&atoms);
}

AetAtoms *
aet_xyz_read (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *name = aet_display_name (path);
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, &length, &local))
    {
      g_set_error (error, AET_ERROR, AET_ERROR_IO, "%s: cannot read the file: %s", name,
                   local->message);
      return NULL;
    }
  return aet_xyz_parse (text, length, name, error);
}

/* A column name usable in Properties: letters, digits and '_' only. */
static char *
property_name (const char *column, guint index, GHashTable *taken)
{
  GString *s = g_string_new (NULL);
  for (const char *c = column; *c != '\0'; c++)
    g_string_append_c (s, g_ascii_isalnum (*c) || *c == '_' ? *c : '_');
  if (s->len == 0 || g_hash_table_contains (taken, s->str))
    g_string_append_printf (s, "_%u", index);
  g_hash_table_add (taken, g_strdup (s->str));
  return g_string_free (s, FALSE);
}

static void
append_number (GString *out, const char *format, gdouble v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_c (out, ' ');
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, format, v));
}

gboolean
aet_xyz_write (const char *path, const AetAtoms *atoms, const char *comment, GError **error)
{
  g_return_val_if_fail (path != NULL && atoms != NULL, FALSE);
  g_autofree char *name = aet_display_name (path);
  guint n_columns = aet_atoms_n_columns (atoms);

  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      if (atoms->elements[i] == 0 || atoms->elements[i] > AET_MAX_Z)
        {
          g_set_error (error, AET_ERROR, AET_ERROR_DATA, "%s: atom %zu has no element (Z = %u)",
                       name, i, atoms->elements[i]);
          return FALSE;
        }
      for (int d = 0; d < 3; d++)
        if (!isfinite (atoms->positions[3 * i + d]))
          {
            g_set_error (error, AET_ERROR, AET_ERROR_DATA,
                         "%s: atom %zu has a coordinate that is not a finite number", name, i);
            return FALSE;
          }
    }

  g_autoptr (GString) out = g_string_sized_new (64 + atoms->n_atoms * (40 + 16 * n_columns));
  g_string_append_printf (out, "%zu\n", atoms->n_atoms);
  g_string_append (out, "Properties=species:S:1:pos:R:3");
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (taken, g_strdup ("species"));
  g_hash_table_add (taken, g_strdup ("pos"));
  g_hash_table_add (taken, g_strdup ("Z"));
  for (guint c = 0; c < n_columns; c++)
    {
      g_autofree char *pname = property_name (aet_atoms_column_name (atoms, c), c, taken);
      g_string_append_printf (out, ":%s:R:1", pname);
    }
  if (comment != NULL && *comment != '\0')
    {
      g_autofree char *clean = g_strdup (comment);
      for (char *c = clean; *c != '\0'; c++)
        if (*c == '"' || *c == '\n' || *c == '\r')
          *c = *c == '"' ? '\'' : ' ';
      g_string_append_printf (out, " comment=\"%s\"", clean);
    }
  g_string_append_c (out, '\n');

  for (gsize i = 0; i < atoms->n_atoms; i++)
    {
      g_string_append (out, aet_element_symbol (atoms->elements[i]));
      for (int d = 0; d < 3; d++)
        append_number (out, "%.6f", atoms->positions[3 * i + d]);
      for (guint c = 0; c < n_columns; c++)
        append_number (out, "%.9g", aet_atoms_column_values (atoms, c)[i]);
      g_string_append_c (out, '\n');
    }

  return aet_write_text_atomic (path, out->str, (gssize) out->len, error);
}
