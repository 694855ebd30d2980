#!/usr/bin/env python3
"""Writes the small seed corpora corpus-mrc/ and corpus-tiff/ (run once;
the outputs are committed).  Tiny files of every mode and layout the
readers handle, so the fuzzer starts from valid inputs."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def mrc(mode, data, nx=4, ny=3, nz=2, big=False, ext=0, imod_unsigned=False):
    e = '>' if big else '<'
    h = bytearray(1024)
    struct.pack_into(e + '4i', h, 0, nx, ny, nz, mode)
    struct.pack_into(e + '3i', h, 28, nx, ny, nz)
    struct.pack_into(e + '3f', h, 40, nx * 0.5, ny * 0.5, nz * 0.5)
    struct.pack_into(e + '3i', h, 64, 1, 2, 3)
    struct.pack_into(e + 'i', h, 92, ext)
    struct.pack_into(e + 'i', h, 108, 20140)
    if imod_unsigned:
        struct.pack_into(e + '2i', h, 152, 1146047817, 0)
    h[208:212] = b'MAP '
    h[212:214] = b'\x11\x11' if big else b'\x44\x44'
    return bytes(h) + bytes(ext) + data


def values(fmt, n, big=False):
    e = '>' if big else '<'
    return b''.join(struct.pack(e + fmt, (i * 7) % 100 - (30 if fmt in 'bhf' else 0))
                    for i in range(n))


def tiff(pages, w, h, bits, fmt):
    # little-endian classic TIFF, one strip per page, IFDs after the data
    sample_format = {'B': 1, 'H': 1, 'b': 2, 'h': 2, 'f': 3}[fmt]
    out = bytearray(b'II*\x00\x00\x00\x00\x00')
    ifd_offsets = []
    for p in range(pages):
        data_off = len(out)
        out += b''.join(struct.pack('<' + fmt, (p * 13 + i * 5) % 120) for i in range(w * h))
        entries = [(256, 4, w), (257, 4, h), (258, 3, bits), (259, 3, 1), (262, 3, 1),
                   (273, 4, data_off), (277, 3, 1), (278, 4, h),
                   (279, 4, w * h * bits // 8), (339, 3, sample_format)]
        if len(out) % 2:
            out += b'\x00'
        ifd_offsets.append(len(out))
        out += struct.pack('<H', len(entries))
        for tag, typ, val in entries:
            if typ == 3:
                out += struct.pack('<HHIHH', tag, typ, 1, val, 0)
            else:
                out += struct.pack('<HHII', tag, typ, 1, val)
        out += struct.pack('<I', 0)
    struct.pack_into('<I', out, 4, ifd_offsets[0])
    for a, b in zip(ifd_offsets, ifd_offsets[1:]):
        n = struct.unpack_from('<H', out, a)[0]
        struct.pack_into('<I', out, a + 2 + 12 * n, b)
    return bytes(out)


def write(folder, name, data):
    os.makedirs(os.path.join(here, folder), exist_ok=True)
    with open(os.path.join(here, folder, name), 'wb') as f:
        f.write(data)


n = 24
write('corpus-mrc', 'mode0.mrc', mrc(0, values('b', n)))
write('corpus-mrc', 'mode0-imod-unsigned.mrc', mrc(0, values('B', n), imod_unsigned=True))
write('corpus-mrc', 'mode1.mrc', mrc(1, values('h', n)))
write('corpus-mrc', 'mode2.mrc', mrc(2, values('f', n)))
write('corpus-mrc', 'mode2-big-endian.mrc', mrc(2, values('f', n, True), big=True))
write('corpus-mrc', 'mode6.mrc', mrc(6, values('H', n)))
write('corpus-mrc', 'mode12.mrc', mrc(12, values('e', n)))
write('corpus-mrc', 'mode2-ext-header.mrc', mrc(2, values('f', n), ext=128))
write('corpus-tiff', 'u8-3pages.tif', tiff(3, 5, 4, 8, 'B'))
write('corpus-tiff', 'u16-2pages.tif', tiff(2, 4, 3, 16, 'H'))
write('corpus-tiff', 's16-1page.tif', tiff(1, 4, 3, 16, 'h'))
write('corpus-tiff', 'f32-2pages.tif', tiff(2, 3, 3, 32, 'f'))
