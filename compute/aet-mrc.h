/* aet-mrc.h — MRC/CCP4 volume and image-stack files (MRC2014, IMOD).
 *
 * MRC is the lingua franca of electron tomography: tilt series (.mrc, .st,
 * .ali, .mrcs) and reconstructions alike.  We read the real-valued modes a
 * microscope or a reconstruction program writes (int8, int16, float32,
 * uint16, float16), in either byte order, skip any extended header, and
 * convert to our float32 AetVolume.  We write MRC2014 mode 2, little-endian,
 * the most widely read flavour.
 *
 * Reads are strict: the header must agree with the file size and every voxel
 * must be finite, so a damaged file fails here with a message naming it
 * instead of producing nonsense later in the pipeline.
 */
#pragma once

#include "aet-volume.h"

G_BEGIN_DECLS

/* The MRC header size; the extended header (NSYMBT bytes) follows it. */
#define AET_MRC_HEADER_BYTES 1024

typedef struct
{
  gint nx, ny, nz, mode;    /* MRC mode */
  gboolean swapped;         /* file was in the byte order opposite to the host */
  gdouble cell[3];          /* CELLA xlen, ylen, zlen, Å */
  gint mx, my, mz;
  gdouble voxel_size[3];    /* CELLA/MX etc.; 0 if unset */
  gdouble origin[3];        /* ORIGIN, Å */
  gsize ext_header_bytes;   /* NSYMBT */
  char exttyp[5];
  gint nversion;
  gdouble dmin, dmax, dmean, rms;
  gint n_labels;
  char labels[10][81];
} AetMrcHeader;

/* Reads and validates the header alone (dimensions, mode, byte order and
 * that the file size matches).  FALSE with an AET_ERROR naming the file. */
gboolean aet_mrc_read_header (const char *path, AetMrcHeader *header, GError **error);

/* Reads a whole MRC file into a float32 volume.  Modes 0 (int8: signed, or
 * unsigned when IMOD's stamp says so), 1 (int16), 2 (float32), 6 (uint16)
 * and 12 (float16); either byte order (MACHST, else the sanity of the
 * dimensions); the extended header is skipped.  The voxel size is CELLA/MX
 * (1.0 Å when unset) and ORIGIN is kept.  Fails on truncated files, absurd
 * or zero dimensions, unknown modes and NaN/Inf voxels.  header_out may be
 * NULL.  Caller owns the result. */
AetVolume *aet_mrc_read (const char *path, AetMrcHeader *header_out, GError **error);

/* The same reader over bytes already in memory (`name` is used in messages);
 * for the fuzzer and for callers that hold a file's contents.  Caller owns. */
AetVolume *aet_mrc_read_from_bytes (const guint8 *bytes, gsize n_bytes, const char *name,
                                    AetMrcHeader *header_out, GError **error);

/* Writes MRC2014 mode 2, little-endian ("MAP ", MACHST 0x44 0x44, NVERSION
 * 20140) with CELLA = n·voxel_size, MX/MY/MZ = NX/NY/NZ, ORIGIN from the
 * volume and DMIN/DMAX/DMEAN/RMS.  ISPG is 0 for an image stack (is_stack,
 * IMOD's convention) or a single image, 1 for a volume.  Atomic. */
gboolean aet_mrc_write (const char *path, const AetVolume *volume, gboolean is_stack,
                        GError **error);

G_END_DECLS
