/* aet-analysis.h — every structure analysis of a traced particle, in order.
 *
 * One call runs, on an atom set: the first-shell cutoff and coordination,
 * surface atoms, the FCC lattice fit over the core (atoms with 12 neighbours
 * none of which is on the surface), displacements from the ideal sites,
 * per-atom strain against the reference lattice constant, facets, the
 * substrate interface and its strain profile, and the atomic layers.  It adds
 * per-atom columns to the atoms:
 *
 *   coordination, surface (0/1), facet (id, −1 none), layer (index),
 *   displacement_pm, displacement_x_pm, displacement_y_pm, displacement_z_pm,
 *   strain_xx, strain_yy, strain_zz, strain_xy, strain_xz, strain_yz,
 *   strain_vol, strain_radial  (NaN where undefined)
 *
 * and returns the figures as an AetAnalysis (docs/report.md describes each).
 */
#pragma once

#include <glib.h>

#include "aet-atoms.h"
#include "aet-facets.h"
#include "aet-job.h"
#include "aet-lattice-fit.h"
#include "aet-layers.h"
#include "aet-strain.h"

G_BEGIN_DECLS

typedef struct
{
  /* the unstrained lattice constant (Å); ≤ 0 takes the bulk value of the
   * most common element when known, else the fitted constant */
  gdouble reference_a;
  /* the direction from the particle towards its substrate (sample frame);
   * default (0, −1, 0) */
  gdouble substrate_direction[3];
  /* layers along this [hkl] when layer_hkl_set, else into the particle
   * along the interface facet's index if it is {100}, {110} or {111}, else
   * along the one of those directions closest to the interface normal */
  gboolean layer_hkl_set;
  gint layer_hkl[3];
  /* atoms to fit the lattice to (n_atoms long); NULL: the core atoms */
  const gboolean *fit_mask;
} AetAnalysisOptions;

/* Fills the defaults. */
void aet_analysis_options_init (AetAnalysisOptions *options);

typedef struct
{
  gdouble distance;           /* distance of the bin's plane from the interface (Å) */
  gsize n_atoms;
  gdouble mean_strain_vol;    /* NaN when no atom in the bin has strain */
  gdouble mean_strain_normal; /* along the interface normal */
  gdouble mean_strain_inplane;/* mean of the two in-plane normal strains */
  gdouble mean_displacement_pm;
} AetProfileBin;

typedef enum
{
  AET_REFERENCE_OPTION,   /* given by the caller */
  AET_REFERENCE_ELEMENT,  /* the element's bulk value */
  AET_REFERENCE_FIT,      /* the fitted constant itself */
} AetReferenceSource;

typedef struct
{
  gsize n_atoms;
  guint element;              /* the most common atomic number */
  AetLatticeFit lattice;
  gdouble a_reference;        /* Å */
  AetReferenceSource a_reference_source;
  gdouble lattice_strain;     /* lattice.a / a_reference − 1 */
  gdouble cutoff;             /* first-shell cutoff (Å) */
  gdouble centre[3];          /* centroid of all atoms (Å) */

  gsize coordination_histogram[13]; /* atoms with 0…11 neighbours; [12]: 12 or more */
  gdouble mean_coordination;
  gsize n_surface;

  AetStats displacement_pm[3]; /* all, surface, interior */
  AetStats strain_vol[3];      /* all, surface, interior */
  AetStats strain_radial[3];
  AetStats strain_tensor[6];   /* all atoms: xx, yy, zz, xy, xz, yz */

  GArray *facets;             /* AetFacet, largest first */

  gint interface_facet;       /* facet id, −1 when no facet faces the substrate */
  gdouble interface_normal[3];/* unit, pointing from the particle to the substrate */
  gdouble interface_offset;   /* the interface plane is normal·p = offset (Å) */
  gdouble interface_bin;      /* profile bin width (Å) */
  GArray *interface_profile;  /* AetProfileBin, from the interface inward */

  AetLayers *layers;
} AetAnalysis;

/* Runs every analysis (see above) on atoms, adding the per-atom columns.
 * Fails on too few atoms or no FCC order (AET_ERROR_DATA) or when the job is
 * cancelled. Caller owns the result. */
AetAnalysis *aet_analysis_run (AetAtoms *atoms, const AetAnalysisOptions *options,
                               AetJob *job, GError **error);
void aet_analysis_free (AetAnalysis *analysis);

/* The name of a reference source ("option", "element", "fit"). */
const char *aet_reference_source_name (AetReferenceSource source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetAnalysis, aet_analysis_free)

G_END_DECLS
