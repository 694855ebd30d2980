/* aet-project-file.h — an AetProject saved as one HDF5 file in EMD layout.
 *
 * The file is an EMD 0.2 file (Electron Microscopy Dataset, HDF5) so that
 * Tomviz, ncempy and h5py open the volumes and tilt series directly; the
 * rest of the project lives in groups of our own under /aet.
 *
 *   /                       attributes version_major = 0, version_minor = 2 (uint32)
 *   /data/<name>            group, attribute emd_group_type = 1 (uint32), and
 *                           voxel_size (float64, Å) and origin (float64[3], Å),
 *                           the exact values (dim vectors are float32)
 *   /data/<name>/data       float32 voxels, attribute name = <name>
 *   /data/<name>/dim1…dim3  float32 vectors with attributes name and units
 *   /aet                    attribute format_version = 1 (uint32): the project marker
 *   /aet/tilt_series/<name> attribute data = "/data/<name>"; angles (float64[n], degrees),
 *                           shifts (float64[n][2], pixels)
 *   /aet/atoms/<name>       positions (float64[N][3], Å), elements (uint8[N]), and
 *                           columns/<column> (float32[N]) in creation order
 *   /aet/parameters         keys and values: two 1-D fixed-length string datasets of equal
 *                           length
 *   /aet/report             the report, one fixed-length UTF-8 string
 *
 * Axis order.  Tomviz (EmdFormat.cxx, GenericHDF5Format::readVolume) reads
 * /data/<name>/data without reordering: the HDF5 shape (d1, d2, d3) becomes
 * the VTK extent (x, y, z) and the bytes are taken as x-fastest (Fortran
 * order); dim1…dim3 give the spacing as dim[1] − dim[0] whatever the units,
 * and a dim1 whose units are "[deg]" marks a tilt series whose x and z Tomviz
 * then swaps.  Tomviz writes its own files the same way.  So that Tomviz
 * shows x as x:
 *   - a volume is stored as shape (nx, ny, nz) with our x-fastest voxels as
 *     they are; dim1 = x, dim2 = y, dim3 = z, in nm (units "[n_m]", as Tomviz
 *     writes them), starting at the origin;
 *   - a tilt series is stored as shape (n_images, ny, nx) with the angle
 *     index fastest (the images transposed on save and back on load); dim1 =
 *     angles in "[deg]", dim2 = y, dim3 = x in nm — what Tomviz writes for a
 *     tilt series, so it opens as one with its angles.
 * Tomviz opens the first /data/<name> in name order ("augmented" before
 * "recon"); it skips /aet, which sorts first, as long as no item there is
 * called "data".
 * A C-order reader (h5py) sees the reversed index order: for a volume,
 * numpy.asarray(f["/data/recon/data"]).ravel().reshape(nz, ny, nx)[k, j, i]
 * is voxel (i, j, k).
 *
 * Loading validates the rank, dims, type and size of every dataset before it
 * reads it, and refuses sizes out of proportion with the file, so a damaged
 * or hostile file gives an error, not a crash or a huge allocation.  The
 * HDF5 library's own error printing is turned off; its failures become
 * GErrors.  libhdf5 trusts the metadata it parses (fuzzing 1.10.8 crashed it
 * inside its attribute and cache code), so we write the HDF5 1.8 format,
 * whose superblock, object headers and B-trees carry checksums HDF5 checks
 * before parsing, refuse files in the older unchecksummed format, store only
 * fixed-length strings (variable-length ones live in the unchecksummed global
 * heap) and follow hard links only.  A file crafted with valid checksums can
 * still reach HDF5's parser: that risk remains with libhdf5.
 *
 * Calls into HDF5 from this module are serialised by a lock (Debian's libhdf5
 * is thread-safe itself; the lock keeps a non-thread-safe build safe too).
 */
#pragma once

#include "aet-project.h"

#include <glib.h>

G_BEGIN_DECLS

/* Saves the project to `path` atomically (a temporary file beside it, then a
 * rename), so a failed save leaves an existing file untouched.  Fails with
 * AET_ERROR_DATA when a volume, tilt series or atom set holds NaN or
 * infinite values, AET_ERROR_INVALID for names HDF5 cannot hold or a volume
 * and a tilt series of the same name, AET_ERROR_IO when writing fails. */
gboolean aet_project_save (const AetProject *p, const char *path, GError **error);

/* Loads a project saved by aet_project_save.  Errors are one line naming the
 * file: AET_ERROR_IO (cannot open), AET_ERROR_FORMAT ("not an HDF5 file",
 * "HDF5 file but not an AET Studio project (no /aet group)", truncated or
 * damaged file, a dataset of the wrong rank, size or type), AET_ERROR_DATA
 * (NaN voxels or positions), AET_ERROR_MISMATCH (datasets that disagree, such
 * as atom positions and elements of different lengths).  Caller owns. */
AetProject *aet_project_load (const char *path, GError **error);

/* A cheap check: the file starts with the HDF5 signature and has the /aet
 * marker group. */
gboolean aet_project_file_is_project (const char *path);

G_END_DECLS
