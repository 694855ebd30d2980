/* aet-file-util.h — small helpers every reader and writer shares.
 *
 * Saves are atomic: a writer writes to a temporary file beside the target
 * (same folder, so rename(2) is atomic) and renames it over the target only
 * when everything is written.  A crash mid-save leaves the old file intact
 * and at worst a stray ".name.XXXXXX.tmp" beside it.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* A fresh, unique temporary path beside `target`, created empty (so no one
 * else takes it).  Caller owns the string and must either commit or
 * discard it. */
char *aet_temp_path_for (const char *target, GError **error);
/* Renames tmp over target (fsyncs first). On failure unlinks tmp. */
gboolean aet_temp_commit (const char *tmp, const char *target, GError **error);
/* Removes tmp, ignoring errors (for failure paths). */
void aet_temp_discard (const char *tmp);
/* The end of a save written through stdio to tmp: closes f (NULL when
 * fopen failed; always closed), then commits tmp over path or, when
 * anything failed, discards tmp and sets "<name>: cannot write: <reason>".
 * `ok` is whether every write succeeded; the reason is errno on entry (so
 * call it right after the last write or the failed fopen), or fclose's.
 * Shared so that every writer says the same and leaves no temp file behind.
 * tmp stays the caller's string. */
gboolean aet_temp_finish (FILE *f, gboolean ok, const char *tmp, const char *path,
                          GError **error);

/* Writes `text` (length bytes, or up to its NUL when length < 0) to path
 * atomically; errors name the file. */
gboolean aet_write_text_atomic (const char *path, const char *text, gssize length,
                                GError **error);

/* The file's basename for messages (static per call: caller owns). */
char *aet_display_name (const char *path);

/* The lowercase extension without the dot ("mrc"), "" if none. Caller owns. */
char *aet_path_extension (const char *path);

G_END_DECLS
