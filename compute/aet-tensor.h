/* aet-tensor.h — the activations and gradients of the neural network.
 *
 * One sample (batch 1, as the published training used), C channels of a
 * D×H×W grid, stored channel-major and x-fastest: index = x + W·(y + H·(z +
 * D·c)).  That makes one channel a contiguous volume (an AetVolume's layout)
 * and the whole tensor a C × (D·H·W) matrix, which is what the convolution's
 * matrix products want.  Memory is 64-byte aligned for the vector unit.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint c, d, h, w;
  gsize n;        /* c·d·h·w floats */
  gfloat *data;   /* 64-byte aligned */
  gboolean view;  /* data belongs to another tensor (aet_tensor_new_view) */
} AetTensor;

/* A zero-filled tensor. Caller owns; aborts on out-of-memory like g_malloc. */
AetTensor *aet_tensor_new (gint c, gint d, gint h, gint w);
void aet_tensor_free (AetTensor *tensor);

/* A tensor of c channels that shares channels [c0, c0 + c) of parent's
 * memory (same d, h, w): writing one writes the other.  The parent must
 * outlive it; freeing it frees only the view.  Caller owns. */
AetTensor *aet_tensor_new_view (AetTensor *parent, gint c0, gint c);

/* Voxels per channel (d·h·w). */
static inline gsize
aet_tensor_voxels (const AetTensor *t)
{
  return (gsize) t->d * (gsize) t->h * (gsize) t->w;
}

/* TRUE when both have the same c, d, h, w. */
gboolean aet_tensor_same_shape (const AetTensor *a, const AetTensor *b);

void aet_tensor_zero (AetTensor *tensor);

/* A 64-byte aligned float buffer of n floats, zero-filled; free with
 * aet_floats_free. Caller owns. */
gfloat *aet_floats_new (gsize n);
void aet_floats_free (gfloat *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetTensor, aet_tensor_free)

G_END_DECLS
