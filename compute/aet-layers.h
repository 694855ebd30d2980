/* aet-layers.h — atomic layers along a direction.
 *
 * The atoms' positions are projected on a unit direction; the density of the
 * projections (a sum of Gaussians of width spacing/6, or 0.3 Å when the
 * spacing is not known) peaks once per atomic layer.  Peaks closer than half
 * the expected spacing (0.8 Å when unknown) are merged, each atom joins the
 * peak between the two density minima that bracket it, and a layer's
 * position is the mean projection of its atoms.  The spacing is the slope of
 * a least-squares line through the layer positions against their index.
 * Layer 0 is the lowest along the direction.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint index;
  gdouble position;           /* mean projection of the layer's atoms (Å) */
  gsize n_atoms;
  gdouble mean_strain_vol;    /* NaN when no atom of the layer has strain */
  gdouble mean_strain_normal; /* mean strain along the direction, NaN likewise */
} AetLayer;

typedef struct
{
  gdouble direction[3];     /* unit vector, sample frame */
  gboolean has_hkl;         /* the direction is a lattice direction … */
  gint hkl[3];              /* … namely this one (crystal frame) */
  gdouble expected_spacing; /* the ideal plane spacing with the fitted lattice (Å), 0 if none */
  gdouble spacing;          /* fitted spacing (Å), 0 with fewer than 2 layers */
  gdouble spacing_std;      /* standard deviation of successive spacings (Å) */
  GArray *layers;           /* AetLayer, by index */
} AetLayers;

/* Finds the layers along direction (need not be normalised).
 * expected_spacing > 0 sets the smoothing and merge distances; layer_of_atom
 * (n, may be NULL) receives each atom's layer index. Caller owns. */
AetLayers *aet_layers_find (const gdouble *positions, gsize n, const gdouble direction[3],
                            gdouble expected_spacing, gint *layer_of_atom);

/* Fills the layers' mean strains (tensor 6·n, volumetric n; NaN skipped). */
void aet_layers_add_strain (AetLayers *layers, const gint *layer_of_atom, gsize n,
                            const gfloat *tensor, const gfloat *volumetric);

void aet_layers_free (AetLayers *layers);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetLayers, aet_layers_free)

G_END_DECLS
