#define G_LOG_DOMAIN "aet-tensor"

#include "aet-tensor.h"

#include <string.h>

gfloat *
aet_floats_new (gsize n)
{
  return g_aligned_alloc0 (MAX (n, 1), sizeof (gfloat), 64);
}

void
aet_floats_free (gfloat *p)
{
  g_aligned_free (p);
}

AetTensor *
aet_tensor_new (gint c, gint d, gint h, gint w)
{
  g_return_val_if_fail (c > 0 && d > 0 && h > 0 && w > 0, NULL);
  AetTensor *t = g_new0 (AetTensor, 1);
  t->c = c;
  t->d = d;
  t->h = h;
  t->w = w;
  t->n = (gsize) c * (gsize) d * (gsize) h * (gsize) w;
  t->data = aet_floats_new (t->n);
  return t;
}

AetTensor *
aet_tensor_new_view (AetTensor *parent, gint c0, gint c)
{
  g_return_val_if_fail (parent != NULL && c0 >= 0 && c > 0 && c0 + c <= parent->c, NULL);
  AetTensor *t = g_new0 (AetTensor, 1);
  t->c = c;
  t->d = parent->d;
  t->h = parent->h;
  t->w = parent->w;
  t->n = (gsize) c * (gsize) t->d * (gsize) t->h * (gsize) t->w;
  t->data = parent->data + (gsize) c0 * t->d * t->h * t->w;
  t->view = TRUE;
  return t;
}

void
aet_tensor_free (AetTensor *tensor)
{
  if (tensor == NULL)
    return;
  if (!tensor->view)
    aet_floats_free (tensor->data);
  g_free (tensor);
}

gboolean
aet_tensor_same_shape (const AetTensor *a, const AetTensor *b)
{
  return a->c == b->c && a->d == b->d && a->h == b->h && a->w == b->w;
}

void
aet_tensor_zero (AetTensor *tensor)
{
  memset (tensor->data, 0, tensor->n * sizeof (gfloat));
}
