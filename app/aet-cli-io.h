/* aet-cli-io.h — the file choices every subcommand shares: a volume from an
 * MRC file or a project dataset, a volume written as MRC or into a project,
 * a tilt series from a stack + .tlt or a project. */
#pragma once

#include <glib.h>

#include "aet-atoms.h"
#include "aet-project-file.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

G_BEGIN_DECLS

/* An HDF5 file by its signature (whatever its name). */
gboolean aet_cli_is_hdf5 (const char *path);

/* A volume from .mrc (or any MRC extension) or a project .h5: `dataset`
 * names it, else `prefer` (nullable) if the project has it, else the first of
 * "augmented", "reconstruction", "target" present, else the only one.  A
 * command that reads the reconstruction (augment) prefers it, so a project
 * that was run already is not augmented twice.  pixel > 0 overrides the
 * voxel size.  Caller owns. */
AetVolume *aet_cli_load_volume (const char *path, const char *dataset, const char *prefer,
                                gdouble pixel, GError **error);
/* Writes .mrc, or a project .h5 holding the volume as `dataset` (an existing
 * project keeps its other contents). */
gboolean aet_cli_save_volume (const char *path, AetVolume *volume, const char *dataset,
                              GError **error);
/* A tilt series from a stack file + .tlt, or from a project (its "tilts").
 * Caller owns. */
AetTiltSeries *aet_cli_load_tilt_series (const char *path, const char *tlt, gdouble pixel,
                                         GError **error);
/* Atoms from .xyz or a project (`dataset`, else "after", "before", "truth"). */
AetAtoms *aet_cli_load_atoms (const char *path, const char *dataset, GError **error);
/* Reference atoms (--truth): .xyz, or a project's "truth", else its "after"
 * or "before" (a run compared with another), saying so on stderr: given the
 * same project as the model, that compares the model with itself.  Caller
 * owns. */
AetAtoms *aet_cli_load_reference_atoms (const char *path, GError **error);
/* A project from path if it exists and is one, else a new empty one. */
AetProject *aet_cli_open_or_new_project (const char *path, GError **error);

G_END_DECLS
