/* aet-report.h — the analysis written out: report.json and a per-atom CSV.
 *
 * report.json is one JSON object whose keys docs/report.md documents one by
 * one; the numbers of other stages (model matching against a reference,
 * volume metrics, …) are passed in as plain key/value pairs and written in a
 * section of their own, so this module depends on no other stage.  The CSV
 * has one row per atom: index, element, x, y, z and every per-atom column.
 * Both files are saved atomically (a temporary file renamed over the target).
 */
#pragma once

#include <glib.h>

#include "aet-analysis.h"
#include "aet-atoms.h"

G_BEGIN_DECLS

typedef struct
{
  const char *key;
  gdouble value;   /* NaN is written as null */
} AetReportValue;

/* The report as JSON text (see docs/report.md). extra_section names an
 * object holding the n_extra values (skipped when NULL or n_extra is 0).
 * Caller owns. */
char *aet_report_to_json (const AetAnalysis *analysis, const char *extra_section,
                          const AetReportValue *extra, gsize n_extra);
/* Writes aet_report_to_json to path, atomically. */
gboolean aet_report_save (const char *path, const AetAnalysis *analysis,
                          const char *extra_section, const AetReportValue *extra,
                          gsize n_extra, GError **error);

/* The per-atom table as CSV text: a header line, then one line per atom;
 * NaN values are empty fields. Caller owns. */
char *aet_report_atoms_csv (const AetAtoms *atoms);
/* Writes aet_report_atoms_csv to path, atomically. */
gboolean aet_report_save_csv (const char *path, const AetAtoms *atoms, GError **error);

G_END_DECLS
