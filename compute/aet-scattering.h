/* aet-scattering.h — electron scattering factors of the elements.
 *
 * Kirkland's parameterisation (3 Lorentzians + 3 Gaussians, Z = 1…103,
 * aet-kirkland-table.c).  The simulator multiplies Gaussian atoms by f_e(q)
 * in Fourier space, with the Fourier convention of aet-atom-density.h
 * (q = 1/d in 1/Å; an atom of width B has the profile exp(−B q²)).
 *
 * Units: f_e in Å.  The potential of one atom is V(r) = (h²/2πm₀e) ·
 * ∫ f_e(q) e^{2πi q·r} d³q with h²/2πm₀e = AET_SCATTERING_VOLT_A2 V·Å².
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AET_SCATTERING_MAX_Z 103

/* h² / (2π m₀ e) = 2π a₀ e in V·Å²: converts f_e-based potentials to volts. */
#define AET_SCATTERING_VOLT_A2 47.878

/* Kirkland's parameters per element, row Z − 1: a₁ a₂ a₃ (Å⁻¹), b₁ b₂ b₃
 * (Å⁻²), c₁ c₂ c₃ (Å), d₁ d₂ d₃ (Å²). */
extern const gdouble aet_kirkland_params[AET_SCATTERING_MAX_Z][12];

/* TRUE when Z has a scattering factor (1 ≤ Z ≤ 103). */
gboolean aet_scattering_has_element (guint z);

/* f_e(q) in Å for |q| = q in 1/Å (q = 1/d, not 4π sin θ/λ); 0 for an
 * element without parameters. */
gdouble aet_scattering_fe (guint z, gdouble q);

/* f_e(q) for n values of q² (1/Å²) at once, written to out. */
void aet_scattering_fe_q2 (guint z, const gdouble *q2, gsize n, gdouble *out);

G_END_DECLS
