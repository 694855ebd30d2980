/* aet-report-plots.h — the report's plots, built once for the inspector
 * and for `aet figure --plot`: the strain histogram of the models before
 * and after augmentation, the reconstruction's error per iteration, and
 * the Fourier shell correlation of each model's volume with the truth.
 * CPU only (cairo drawing through aet-plot). */
#pragma once

#include <glib.h>

#include "aet-atoms.h"
#include "aet-plot.h"
#include "aet-volume.h"

G_BEGIN_DECLS

/* Histograms of the "strain_vol" column (in %) of `before` and, when not
 * NULL, `after`, on shared bins.  NULL when no atom has a finite strain
 * (not analysed).  Caller owns. */
AetPlot *aet_report_plot_strain (const AetAtoms *before, const AetAtoms *after);

/* The reconstruction's error against the measured data per iteration
 * NULL for n = 0.  Caller owns. */
AetPlot *aet_report_plot_error (const gdouble *error, gsize n);

/* FSC of `before` (and of `after`, may be NULL) against `truth` per
 * spatial frequency (1/Å), with the 0.5 and 0.143 lines.  NULL with
 * AET_ERROR_MISMATCH when the volumes' shapes differ.  Caller owns. */
AetPlot *aet_report_plot_fsc (const AetVolume *truth, const AetVolume *before,
                              const AetVolume *after, GError **error);

G_END_DECLS
