#!/usr/bin/env python3
"""ojpeg-tiff.py JPEG OUT.tif -- wrap a baseline JPEG (gray, or YCbCr of
three components) as a one-page old-style JPEG TIFF (Compression 6), as
imaging software of the 1990s wrote it: the whole JPEG interchange
stream is the one strip and JPEGInterchangeFormat points at it.  For
tests/integration/scan.sh and the fuzz seeds of .ci/run; libtiff reads
it, leptonica does not (and no tool at hand writes the format)."""
import struct
import sys


def ojpeg(jpg):
    j = open(jpg, "rb").read()
    i = 2
    while j[i + 1] not in (0xC0, 0xC1):  # to the frame header
        i += 2 + struct.unpack(">H", j[i + 2:i + 4])[0]
    h, w, n = struct.unpack(">HHB", j[i + 5:i + 10])
    tags = [(256, w), (257, h), (258, 8), (259, 6), (262, 6 if n == 3 else 1), (273, 0), (277, n), (278, h),
            (279, len(j)), (284, 1), (512, 1), (513, 0), (514, len(j))]
    if n == 3:  # YCbCrSubsampling: the luma's sampling factors
        tags.append((530, (j[i + 11] >> 4, j[i + 11] & 15)))
    tags.sort()
    at = 8 + 2 + 12 * len(tags) + 4
    ifd = b""
    for tag, v in tags:
        if tag in (273, 513):
            v = at
        if isinstance(v, tuple):
            ifd += struct.pack("<HHIHH", tag, 3, 2, *v)
        elif tag in (273, 279, 513, 514):
            ifd += struct.pack("<HHII", tag, 4, 1, v)
        else:
            ifd += struct.pack("<HHIHH", tag, 3, 1, v, 0)
    return b"II*\0" + struct.pack("<IH", 8, len(tags)) + ifd + b"\0\0\0\0" + j


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: ojpeg-tiff.py JPEG OUT.tif")
    open(sys.argv[2], "wb").write(ojpeg(sys.argv[1]))
