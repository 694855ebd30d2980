/* aet-json.h — a small streaming JSON writer.
 *
 * The analysis report is one JSON object; this writer builds it in memory
 * without a dependency.  Numbers are written with the fewest digits that read
 * back to the same double (so a report round-trips exactly), NaN and infinity
 * become null (JSON has no spelling for them), strings are escaped, and the
 * output is indented two spaces per level so a person can read it.
 *
 * Usage: begin_object, then key + value pairs (or the aet_json_member_*
 * shorthands), end_object; arrays take values without keys.  Commas and
 * indentation are handled by the writer.  Misuse (a key inside an array, an
 * unbalanced end) is a programming error and is reported by g_critical.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetJsonWriter AetJsonWriter;

/* A new writer; pretty = TRUE indents, FALSE writes one line. Caller owns. */
AetJsonWriter *aet_json_writer_new (gboolean pretty);
void aet_json_writer_free (AetJsonWriter *w);

void aet_json_begin_object (AetJsonWriter *w);
void aet_json_end_object (AetJsonWriter *w);
void aet_json_begin_array (AetJsonWriter *w);
void aet_json_end_array (AetJsonWriter *w);
/* The key of the next value (only inside an object). */
void aet_json_key (AetJsonWriter *w, const char *key);

void aet_json_number (AetJsonWriter *w, gdouble value);
void aet_json_int (AetJsonWriter *w, gint64 value);
void aet_json_bool (AetJsonWriter *w, gboolean value);
void aet_json_null (AetJsonWriter *w);
/* A UTF-8 string, escaped; NULL writes null. */
void aet_json_string (AetJsonWriter *w, const char *value);
/* An array of n numbers. */
void aet_json_number_array (AetJsonWriter *w, const gdouble *values, gsize n);

/* key + value shorthands */
void aet_json_member_number (AetJsonWriter *w, const char *key, gdouble value);
void aet_json_member_int (AetJsonWriter *w, const char *key, gint64 value);
void aet_json_member_bool (AetJsonWriter *w, const char *key, gboolean value);
void aet_json_member_string (AetJsonWriter *w, const char *key, const char *value);

/* TRUE when every object and array opened has been closed and one value was
 * written at the top level. */
gboolean aet_json_writer_is_complete (const AetJsonWriter *w);
/* The text so far (borrowed, valid until the next call). */
const char *aet_json_writer_get_text (const AetJsonWriter *w);
/* Frees the writer and returns its text with a final newline. Caller owns. */
char *aet_json_writer_free_to_text (AetJsonWriter *w);

/* The shortest decimal spelling of value that strtod reads back exactly,
 * locale independent, into buf (at least 32 bytes); "null" for NaN/Inf. */
void aet_json_format_number (gdouble value, char buf[32]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetJsonWriter, aet_json_writer_free)

G_END_DECLS
