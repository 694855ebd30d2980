/* bench/unet — speed of the network's forward and forward + backward pass.
 *
 * For the shipped architecture (or --base/--depth) on 64³ and 144³ inputs:
 * seconds per pass, achieved GFLOP/s (convolution FLOPs, 2 per
 * multiply-add), and the ratio to the machine's sgemm GFLOP/s measured in the
 * same run with the same thread count (a large square product, the best
 * case for the BLAS).  The machine may be shared: timings are the best of a
 * few repetitions.
 *
 *   bench-unet [--threads 2] [--base 8] [--depth 2] [--sizes 64,144] [--im2col]
 *              [--reps N] [--forward] [--layers] [--no-sgemm]
 *
 * --reps fixes the repetitions (default 3 at 64³ and below, 1 above), and
 * --forward times forward passes only: a fixed workload for `perf stat` and
 * `perf record` (with --no-sgemm, which skips the 2 s of sgemm calibration
 * and the ratios).  --layers adds each layer's share of the timed passes.
 */
#define G_LOG_DOMAIN "bench-unet"

#include "aet-conv3d.h"
#include "aet-unet.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

static gdouble
now (void)
{
  return g_get_monotonic_time () * 1e-6;
}

/* Best GFLOP/s of C = A·B for m×k times k×n over repetitions filling ~1 s. */
static gdouble
sgemm_gflops (gint m, gint n, gint k)
{
  gfloat *a = aet_floats_new ((gsize) m * k), *b = aet_floats_new ((gsize) k * n);
  gfloat *c = aet_floats_new ((gsize) m * n);
  for (gsize i = 0; i < (gsize) m * k; i++)
    a[i] = (gfloat) (i % 7) * 0.1f;
  for (gsize i = 0; i < (gsize) k * n; i++)
    b[i] = (gfloat) (i % 5) * 0.1f;
  gdouble best = 0.0, start = now ();
  do
    {
      gdouble t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f,
                   c, n);
      gdouble t = now () - t0;
      best = MAX (best, 2.0 * m * n * k / t * 1e-9);
    }
  while (now () - start < 1.0);
  aet_floats_free (a);
  aet_floats_free (b);
  aet_floats_free (c);
  return best;
}

/* One line of results; the ratio only when sgemm was measured (peak > 0). */
static void
report (gint n, const char *what, gdouble seconds, gdouble flops, gdouble peak)
{
  gdouble rate = flops / seconds * 1e-9;
  printf ("%d³ %s %7.3f s  %6.1f GFLOP  %6.1f GFLOP/s", n, what, seconds, flops * 1e-9, rate);
  if (peak > 0.0)
    printf ("  %.2f of sgemm", rate / peak);
  printf ("\n");
}

int
main (int argc, char **argv)
{
  gint threads = 2, base = 8, depth = 2;
  g_autofree char *sizes = g_strdup ("64,144");
  gboolean im2col = FALSE, forward_only = FALSE, layers = FALSE, no_sgemm = FALSE;
  gint reps_opt = 0;
  GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "threads (default 2)", "N" },
    { "base", 'b', 0, G_OPTION_ARG_INT, &base, "base channels (default 8)", "C" },
    { "depth", 'd', 0, G_OPTION_ARG_INT, &depth, "levels below the top (default 2)", "D" },
    { "sizes", 's', 0, G_OPTION_ARG_STRING, &sizes, "cube edges (default 64,144)", "LIST" },
    { "im2col", 0, 0, G_OPTION_ARG_NONE, &im2col,
      "im2col + sgemm only (no direct kernel)", NULL },
    { "reps", 'r', 0, G_OPTION_ARG_INT, &reps_opt,
      "repetitions per size (default 3 up to 64³, else 1)", "N" },
    { "forward", 'f', 0, G_OPTION_ARG_NONE, &forward_only, "forward passes only", NULL },
    { "no-sgemm", 0, 0, G_OPTION_ARG_NONE, &no_sgemm, "no sgemm calibration", NULL },
    { "layers", 'l', 0, G_OPTION_ARG_NONE, &layers, "seconds per layer", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- network speed");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || threads < 1 || base < 1
      || base > 256 || depth < 1 || depth > 5 || reps_opt < 0)
    {
      fprintf (stderr, "bench-unet: %s\n", error != NULL ? error->message : "bad option");
      return 2;
    }
  openblas_set_num_threads (threads);
  aet_conv3d_set_method (im2col ? AET_CONV_IM2COL : AET_CONV_DIRECT);
  gdouble peak = 0.0;
  if (!no_sgemm)
    {
      peak = sgemm_gflops (1024, 1024, 1024);
      printf ("sgemm 1024³, %d threads: %.1f GFLOP/s\n", threads, peak);
      printf ("sgemm 16×%d×32768 (a convolution's shape): %.1f GFLOP/s\n", 16 * 27,
              sgemm_gflops (16, 32768, 16 * 27));
    }

  g_autoptr (AetUnet) net = aet_unet_new_default (base, depth, 1);
  aet_unet_set_threads (net, threads);
  printf ("network: base %d, depth %d, %u layers, %" G_GSIZE_FORMAT " parameters, "
          "receptive radius %d\n", base, depth, aet_unet_get_n_layers (net),
          aet_unet_count_parameters (net), aet_unet_get_receptive_radius (net));
  g_auto (GStrv) list = g_strsplit (sizes, ",", -1);
  for (char **s = list; *s != NULL; s++)
    {
      gint n = atoi (*s);
      if (n < 1 || n % aet_unet_get_alignment (net) != 0)
        {
          fprintf (stderr, "bench-unet: size %s is not a multiple of %d\n", *s,
                   aet_unet_get_alignment (net));
          return 2;
        }
      g_autoptr (AetTensor) x = aet_tensor_new (1, n, n, n);
      for (gsize i = 0; i < x->n; i++)
        x->data[i] = (gfloat) ((i * 2654435761u) % 1000) * 1e-3f;
      g_autoptr (AetTensor) g = aet_tensor_new (1, n, n, n);
      for (gsize i = 0; i < g->n; i++)
        g->data[i] = (gfloat) ((i * 40503u) % 1000) * 1e-6f;
      gint reps = reps_opt > 0 ? reps_opt : n <= 64 ? 3 : 1;
      /* the first pass plans (allocates); not timed */
      if (aet_unet_forward (net, x, &error) == NULL)
        {
          fprintf (stderr, "bench-unet: %s\n", error->message);
          return 1;
        }
      if (!forward_only)
        aet_unet_backward (net, g);
      gdouble best_f = G_MAXDOUBLE, best_fb = G_MAXDOUBLE;
      aet_unet_set_profiling (net, layers);
      for (gint r = 0; r < reps; r++)
        {
          gdouble t0 = now ();
          aet_unet_forward (net, x, NULL);
          gdouble t1 = now ();
          if (!forward_only)
            aet_unet_backward (net, g);
          gdouble t2 = now ();
          best_f = MIN (best_f, t1 - t0);
          best_fb = MIN (best_fb, t2 - t0);
        }
      gdouble ff = aet_unet_flops (net, n, n, n, FALSE);
      gdouble fb = aet_unet_flops (net, n, n, n, TRUE);
      report (n, "forward:           ", best_f, ff, peak);
      if (!forward_only)
        report (n, "forward + backward:", best_fb, fb, peak);
      for (guint i = 0; layers && i < aet_unet_get_n_layers (net); i++)
        {
          const AetLayerSpec *sp = aet_unet_get_layer (net, i);
          gdouble lf, lb;
          aet_unet_get_layer_seconds (net, i, &lf, &lb);
          printf ("  layer %2u %-8s %3d→%-3d k%d s%d: forward %7.3f s", i,
                  aet_layer_kind_name (sp->kind), sp->in_channels, sp->out_channels,
                  sp->kernel, sp->stride, lf / reps);
          if (!forward_only)
            printf ("  backward %7.3f s", lb / reps);
          printf ("\n");
        }
    }
  return 0;
}
