/* aet-project.h — everything one analysis produces, in memory.
 *
 * A project holds named volumes (reconstructions, augmented volumes, …),
 * named tilt series, named atom sets, string parameters ("simulate/element"
 * → "Pt") and the analysis report (JSON text).  aet-project-file.h saves it
 * to and loads it from one HDF5 file.  The project holds a reference to each
 * item; items are not copied, so a caller that keeps modifying a volume
 * after setting it must set a copy.  Not thread-safe: one thread owns it.
 *
 * Names of volumes, tilt series and atom sets: 1–255 bytes of UTF-8, no '/',
 * not starting with '.', so that each can be an HDF5 group name.  Volumes
 * and tilt series share the EMD /data namespace in the file, so a volume and
 * a tilt series may not have the same name when saving.
 */
#pragma once

#include "aet-atoms.h"
#include "aet-tilt-series.h"
#include "aet-volume.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AetProject AetProject;

/* An empty project. Caller owns; free with aet_project_free. */
AetProject *aet_project_new (void);
void aet_project_free (AetProject *p);

/* TRUE when `name` can name an item (see above). */
gboolean aet_project_name_is_valid (const char *name);

/* Sets the volume called `name` (takes a new reference); NULL removes it. */
void aet_project_set_volume (AetProject *p, const char *name, AetVolume *v);
/* The volume called `name` (borrowed) or NULL. */
AetVolume *aet_project_get_volume (const AetProject *p, const char *name);
/* The names of all volumes, sorted. Caller owns. */
GStrv aet_project_dup_volume_names (const AetProject *p);

/* The same for tilt series. */
void aet_project_set_tilt_series (AetProject *p, const char *name, AetTiltSeries *s);
AetTiltSeries *aet_project_get_tilt_series (const AetProject *p, const char *name);
GStrv aet_project_dup_tilt_series_names (const AetProject *p);

/* The same for atom sets. */
void aet_project_set_atoms (AetProject *p, const char *name, AetAtoms *a);
AetAtoms *aet_project_get_atoms (const AetProject *p, const char *name);
GStrv aet_project_dup_atoms_names (const AetProject *p);

/* Sets a parameter (both strings are copied); value NULL removes it. */
void aet_project_set_param (AetProject *p, const char *key, const char *value);
/* The parameter's value (borrowed) or NULL. */
const char *aet_project_get_param (const AetProject *p, const char *key);
/* All parameter keys, sorted. Caller owns. */
GStrv aet_project_dup_param_keys (const AetProject *p);

/* The analysis report, JSON text (copied); NULL clears it. */
void aet_project_set_report (AetProject *p, const char *json);
/* The report (borrowed) or NULL. */
const char *aet_project_get_report (const AetProject *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AetProject, aet_project_free)

G_END_DECLS
