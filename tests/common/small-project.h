/* small-project.h — a small simulated project for tests that need one on
 * disk: a 64³ Pt particle, reconstructed in a few GENFIRE iterations and
 * traced, saved with its tilt series, target volume and truth.  Shared by
 * the window test and the `aet figure` test. */
#pragma once

#include <glib.h>

#include "aet-project-file.h"
#include "aet-reconstruct.h"
#include "aet-simulate.h"
#include "aet-trace.h"

/* Writes the project to dir/name and returns its path (caller owns). */
static inline char *
small_project_write (const char *dir, const char *name)
{
  AetSimParams p;
  aet_sim_params_init_defaults (&p);
  p.size = 64;
  p.pixel = 0.5;
  p.radius = 7;
  p.seed = 3;
  g_autoptr (GError) error = NULL;
  g_autoptr (AetSimResult) sim = aet_simulate (&p, NULL, &error);
  g_assert_no_error (error);
  AetReconParams rp;
  aet_recon_params_init (&rp);
  rp.iterations = 8;
  g_autoptr (AetVolume) recon = aet_reconstruct (sim->tilts, &rp, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetAtoms) traced = aet_trace (recon, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (AetProject) project = aet_project_new ();
  aet_project_set_tilt_series (project, "tilts", sim->tilts);
  aet_project_set_volume (project, "reconstruction", recon);
  aet_project_set_volume (project, "target", sim->target);
  aet_project_set_atoms (project, "before", traced);
  aet_project_set_atoms (project, "truth", sim->truth);
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (aet_project_save (project, path, &error));
  g_assert_no_error (error);
  return path;
}
