#!/usr/bin/env python3
"""pngcheck.py - check netmon's PNG graphs without an image library.

    pngcheck.py info FILE            "WIDTH HEIGHT COLOURS" (distinct RGB values)
    pngcheck.py series FILE [MIN]    how many of netmon's series colours cover at
                                     least MIN pixels (default 60)
    pngcheck.py count FILE RRGGBB... pixels of each exact colour, one per line
    pngcheck.py check FILE W H [SERIES]
                                     exit 1 with a message unless FILE is a PNG of
                                     W x H, not blank (a white background, at least
                                     100 non-white pixels and 8 colours) and, when
                                     given, shows exactly SERIES series colours
    pngcheck.py checkall DIR W H < LIST
                                     "check" for every line "FILE SERIES" of LIST
                                     (FILE relative to DIR, SERIES "-": not
                                     counted), in one process; prints each failure

The series colours are read from report/plot_common.c (between the
series-palette-begin/end markers), so the checker follows the palette.
Lines, legend samples and histogram outlines are drawn in the exact series
colour; anti-aliased edges are blends and never match exactly.  MIN keeps a
stray blended pixel from counting as a series.

Decoding covers what PLplot's cairo driver writes (8-bit RGB or RGBA,
non-interlaced) plus grey and palette images, enough for tests.
"""
import collections
import os
import re
import struct
import sys
import zlib

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PngError(Exception):
    pass


def read_png(path):
    """Returns (width, height, rows) where rows are lists of (r, g, b)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != SIGNATURE:
        raise PngError("%s: not a PNG file (bad signature)" % path)
    pos, ihdr, idat, plte = 8, None, [], None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise PngError("%s: truncated chunk %r" % (path, ctype))
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise PngError("%s: bad CRC in chunk %r" % (path, ctype))
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            plte = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if ihdr is None or not idat:
        raise PngError("%s: no IHDR or IDAT chunk" % path)
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace != 0:
        raise PngError("%s: unsupported PNG (depth %d, colour type %d, interlace %d)"
                       % (path, depth, ctype, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise PngError("%s: image data has the wrong size" % path)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        unfilter(line, prev, ftype, channels, path)
        prev = line
        if ctype == 2:
            b = bytes(line)
            rows.append([b[i:i + 3] for i in range(0, stride, 3)])
        elif ctype == 6:
            rows.append([composite(line[i:i + 4]) for i in range(0, stride, 4)])
        elif ctype == 3:
            rows.append([plte[i] for i in line])
        else:
            rows.append([(v, v, v) for v in line[::channels]])
    return width, height, rows


def composite(px):
    """RGBA over white, as a viewer shows it."""
    r, g, b, a = px
    return tuple((c * a + 255 * (255 - a)) // 255 for c in (r, g, b))


def unfilter(line, prev, ftype, bpp, path):
    """Undoes one row's PNG filter in place (the loops are the slow part:
    locals and no per-byte branching where it can be avoided)."""
    n = len(line)
    if ftype == 0:
        return
    if ftype == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif ftype == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, prev))
    elif ftype == 3:
        for i in range(bpp):
            line[i] = (line[i] + (prev[i] >> 1)) & 0xFF
        for i in range(bpp, n):
            line[i] = (line[i] + ((line[i - bpp] + prev[i]) >> 1)) & 0xFF
    elif ftype == 4:
        for i in range(bpp):
            line[i] = (line[i] + prev[i]) & 0xFF
        for i in range(bpp, n):
            a = line[i - bpp]
            b = prev[i]
            c = prev[i - bpp]
            pa = b - c if b > c else c - b
            pb = a - c if a > c else c - a
            pc = a + b - c - c
            if pc < 0:
                pc = -pc
            if pa <= pb and pa <= pc:
                line[i] = (line[i] + a) & 0xFF
            elif pb <= pc:
                line[i] = (line[i] + b) & 0xFF
            else:
                line[i] = (line[i] + c) & 0xFF
    else:
        raise PngError("%s: bad filter type %d" % (path, ftype))


def histogram(rows):
    """{(r, g, b): pixels}"""
    counts = collections.Counter()
    for row in rows:
        counts.update(row)
    return {tuple(k): v for k, v in counts.items()}


def series_palette():
    with open(os.path.join(TOP, "report", "plot_common.c")) as f:
        text = f.read()
    block = re.search(r"series-palette-begin(.*?)series-palette-end", text, re.S)
    if block is None:
        raise PngError("report/plot_common.c: series palette markers not found")
    return [tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
            for h in re.findall(r"/\* ([0-9a-f]{6}) ", block.group(1))]


def count_series(counts, minimum):
    return sum(1 for c in series_palette() if counts.get(c, 0) >= minimum)


def check(path, want_w, want_h, want_series):
    width, height, rows = read_png(path)
    counts = histogram(rows)
    if (width, height) != (want_w, want_h):
        raise PngError("%s: %dx%d, expected %dx%d" % (path, width, height, want_w, want_h))
    white = counts.get((255, 255, 255), 0)
    if white < width * height // 3:
        raise PngError("%s: background is not white (%d white pixels)" % (path, white))
    if width * height - white < 100 or len(counts) < 8:
        raise PngError("%s: blank image (%d colours)" % (path, len(counts)))
    if want_series is not None:
        got = count_series(counts, 60)
        if got != want_series:
            raise PngError("%s: %d series colours, expected %d" % (path, got, want_series))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    try:
        if cmd == "check":
            check(path, int(argv[3]), int(argv[4]), int(argv[5]) if len(argv) > 5 else None)
            return 0
        if cmd == "checkall":
            failed = 0
            for line in sys.stdin:
                words = line.split()
                if len(words) != 2:
                    continue
                try:
                    check(os.path.join(path, words[0]), int(argv[3]), int(argv[4]),
                          None if words[1] == "-" else int(words[1]))
                    print("ok %s" % words[0])
                except (OSError, PngError, zlib.error) as e:
                    print("pngcheck: %s" % e)
                    failed += 1
            return 1 if failed else 0
        width, height, rows = read_png(path)
        counts = histogram(rows)
        if cmd == "info":
            print(width, height, len(counts))
        elif cmd == "series":
            minimum = int(argv[3]) if len(argv) > 3 else 60
            print(count_series(counts, minimum))
        elif cmd == "count":
            for h in argv[3:]:
                print(h, counts.get(tuple(int(h[i:i + 2], 16) for i in (0, 2, 4)), 0))
        else:
            sys.stderr.write(__doc__)
            return 2
    except (OSError, PngError, zlib.error, ValueError, IndexError) as e:
        print("pngcheck: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
