/* aet-conv3d.h — 3D convolution: forward, input gradient, weight gradient.
 *
 * A convolution with a k×k×k kernel, stride s and zero padding p maps a
 * Cin×D×H×W tensor to Cout×D'×H'×W' with D' = (D + 2p − k)/s + 1.  With the
 * input unfolded into a (Cin·k³) × (D'·H'·W') "column" matrix, the forward
 * pass is one product W·col, the gradient for the weights dY·colᵀ, and the
 * gradient for the input Wᵀ·dY folded back (col2im).  The products run in
 * OpenBLAS sgemm; the unfolding is done a few output rows at a time into a
 * scratch buffer of bounded size, so memory stays small at 144³.
 *
 * 3×3×3 stride-1 convolutions with output channels in eights (most of the
 * network: forward, input gradient and weight gradient) instead run direct
 * kernels over a zero-padded copy of the input, AVX-512 where the build
 * targets it (else AVX2/FMA): there unfolding and packing cost as much as
 * the product.  So do 2×2×2 stride-2 convolutions (the up-sampling layers'
 * transposed convolutions) in AVX-512 builds.  The forward pass can add the
 * layer's bias and activation as it writes (aet_conv3d_forward_act).
 * docs/nn.md has the measurements behind the choices.
 *
 * A transposed convolution is the adjoint of a convolution, so the same
 * three functions serve it with the roles swapped (aet-unet.c).
 *
 * Weights are a Cout × (Cin·k³) row-major matrix: w[co][ci][kz][ky][kx].
 * Results are identical for a given thread count (the direct kernels' for
 * any thread count).
 */
#pragma once

#include "aet-nn-layers.h"

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  AET_CONV_DIRECT,   /* the direct kernel where it applies, else im2col (default) */
  AET_CONV_IM2COL,   /* im2col + sgemm everywhere */
} AetConvMethod;

/* Chooses the method process-wide (default AET_CONV_DIRECT, the faster in
 * docs/nn.md); for benchmarks and tests comparing the two.  Not
 * thread-safe: call before any work.  The scratch size depends on the
 * method; AetUnet re-plans when it changes. */
void aet_conv3d_set_method (AetConvMethod method);
AetConvMethod aet_conv3d_get_method (void);

typedef struct
{
  gint cin, id, ih, iw;    /* input channels and size */
  gint cout, od, oh, ow;   /* output channels and size */
  gint k, s, p;            /* kernel edge, stride, zero padding */
} AetConvGeom;

/* Fills geom for the given input and kernel; FALSE when the output would be
 * empty (input smaller than the kernel). */
gboolean aet_conv_geom_init (AetConvGeom *geom, gint cin, gint id, gint ih, gint iw,
                             gint cout, gint k, gint s, gint p);

/* TRUE when this build runs geom's forward pass, input gradient and weight
 * gradient on the direct kernels (with the current method), whose results
 * are the same for any thread count. */
gboolean aet_conv3d_is_direct (const AetConvGeom *geom);

/* Floats of scratch the three functions below need for this geometry and
 * thread count (64-byte aligned, e.g. from aet_floats_new). */
gsize aet_conv_scratch_floats (const AetConvGeom *geom, guint n_threads);

/* y (Cout × out voxels) = W ⊛ x, or y += W ⊛ x when `accumulate` (no bias). */
void aet_conv3d_forward (const AetConvGeom *geom, const gfloat *w, const gfloat *x,
                         gfloat *y, gboolean accumulate, gfloat *scratch, guint n_threads);

/* y = act (W ⊛ x + bias): the forward pass with a layer's bias (per output
 * channel, or NULL) and activation; the direct kernel applies them as it
 * writes each output, the other paths in one pass after it.  The same
 * values as aet_conv3d_forward, aet_bias_forward, aet_activation_forward. */
void aet_conv3d_forward_act (const AetConvGeom *geom, const gfloat *w, const gfloat *x,
                             const gfloat *bias, AetActivation act, gfloat slope, gfloat *y,
                             gfloat *scratch, guint n_threads);

/* dx (Cin × in voxels) = Wᵀ ⊛ dy, or dx += Wᵀ ⊛ dy when `accumulate`: the
 * gradient for the input. */
void aet_conv3d_backward_data (const AetConvGeom *geom, const gfloat *w, const gfloat *dy,
                               gfloat *dx, gboolean accumulate, gfloat *scratch,
                               guint n_threads);

/* y (Cin × in voxels) = act (Wᵀ ⊛ x + bias), x being Cout × out voxels: a
 * transposed convolution's forward pass (geom is the convolution it is the
 * adjoint of), bias per Cin channel or NULL; fused like
 * aet_conv3d_forward_act where the 2×2×2 stride-2 kernel applies. */
void aet_conv3d_transposed_act (const AetConvGeom *geom, const gfloat *w, const gfloat *x,
                                const gfloat *bias, AetActivation act, gfloat slope,
                                gfloat *y, gfloat *scratch, guint n_threads);

/* dw (Cout × Cin·k³) += dy · unfold(x)ᵀ: the gradient for the weights,
 * accumulated. */
void aet_conv3d_backward_weights (const AetConvGeom *geom, const gfloat *x, const gfloat *dy,
                                  gfloat *dw, gfloat *scratch, guint n_threads);

G_END_DECLS
