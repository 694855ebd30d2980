/* aet-inspector.h — the report numbers beside the 3D view: atom count,
 * agreement with the truth when one is known, surface atoms, the facet
 * table, strain statistics, and plots of the reconstruction error per
 * iteration and of the strain distribution.  Main thread only; everything
 * passed in is copied or drawn at once, nothing is kept borrowed. */
#pragma once

#include <gtk/gtk.h>

#include "aet-plot.h"

#include "aet-analysis.h"
#include "aet-match.h"

G_BEGIN_DECLS

#define AET_TYPE_INSPECTOR (aet_inspector_get_type ())
G_DECLARE_FINAL_TYPE (AetInspector, aet_inspector, AET, INSPECTOR, GtkWidget)

GtkWidget *aet_inspector_new (void);

/* Clears every section. */
void aet_inspector_clear (AetInspector *self);

/* The traced atoms and their analysis (either may be NULL: that section
 * says so); `match` (nullable) is the comparison with the truth.  When the
 * volume was augmented, `after` and `match_after` (nullable) are the atoms
 * traced after augmentation and their comparison with the truth, shown
 * beside the figures before. */
void aet_inspector_set_analysis (AetInspector *self, const AetAtoms *atoms,
                                 const AetAnalysis *analysis, const AetMatchStats *match,
                                 const AetAtoms *after, const AetMatchStats *match_after);

/* The reconstruction error per iteration (copied; n = 0 hides the plot).
 * While GENFIRE runs the window calls it again with the longer curve. */
void aet_inspector_set_recon_error (AetInspector *self, const gdouble *error, gsize n);
/* The FSC of the volumes before and after augmentation with the truth
 * (aet_report_plot_fsc; takes ownership, NULL hides it). */
void aet_inspector_set_fsc (AetInspector *self, AetPlot *plot);
gboolean aet_inspector_has_fsc (AetInspector *self);
/* The number of iterations in the error plot (0 when hidden), for tests. */
gsize aet_inspector_get_recon_error_length (AetInspector *self);

/* The text of a value shown under `key` ("atoms", "rmsd", "recall",
 * "precision", "surface", "facets"; "atoms_after", "rmsd_after",
 * "recall_after", "precision_after" after augmentation), for tests.  Borrowed, NULL if unknown. */
const char *aet_inspector_get_value (AetInspector *self, const char *key);

G_END_DECLS
