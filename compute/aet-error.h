/* aet-error.h — the error domain of the compute library.
 *
 * Every compute function that can fail takes `GError **error` last and
 * returns FALSE or NULL.  Messages are for a person: they name the file (or
 * the parameter) and the reason, on one line, with no trailing period, so the
 * command line can print "aet: error: <message>".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AET_ERROR (aet_error_quark ())
GQuark aet_error_quark (void);

typedef enum
{
  AET_ERROR_IO,        /* the file could not be opened, read or written */
  AET_ERROR_FORMAT,    /* the file is not what it claims, or is truncated */
  AET_ERROR_DATA,      /* the values are unusable: NaN, Inf, absurd sizes */
  AET_ERROR_MISMATCH,  /* two inputs disagree (angles vs images, …) */
  AET_ERROR_INVALID,   /* a parameter is out of range */
  AET_ERROR_CANCELLED, /* the job was cancelled */
} AetError;

G_END_DECLS
