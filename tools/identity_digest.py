#!/usr/bin/env python3
"""Digest of one gsn output file for tools/check-identical.sh (standard library only, no numpy).

usage: identity_digest.py data|meta FILE

Prints sorted "name value" lines, one per part of the file, so that two files can be compared part by part:

  data  the numbers: safetensors tensors (name, dtype, shape, sha256 of the bytes), PNG pixels (size, bit
        depth, colour type, sha256 of the unfiltered scanlines: equal pixels give equal digests even if an
        encoder chose other filters or another zlib level), .npy and other files (sha256 of the bytes)
  meta  what is written beside the numbers: safetensors __metadata__ keys, PNG text chunks (provenance);
        nothing for other files

Excluded from "meta", and why:
  PNG "Model-Hash"   the sha256 of the input checkpoint file: it changes whenever the checkpoint's metadata
                     does, which check-identical.sh already reports on the checkpoint itself.
"""
import hashlib
import json
import struct
import sys
import zlib

EXCLUDED_PNG_TEXT = {"Model-Hash"}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def safetensors(path, part):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    lines = []
    for name, entry in header.items():
        if name == "__metadata__":
            if part == "meta":
                for key, value in entry.items():
                    lines.append(f"meta {key} {value}")
            continue
        if part == "data":
            begin, end = entry["data_offsets"]
            lines.append(f"tensor {name} {entry['dtype']} {entry['shape']} {sha(body[begin:end])}")
    return lines


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png(path, part):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    pos, idat, texts, ihdr = 8, [], [], None
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos:pos + 4])
        kind = raw[pos + 4:pos + 8]
        chunk = raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"tEXt":
            key, _, value = chunk.partition(b"\0")
            texts.append((key.decode("latin-1"), value.decode("latin-1")))
        elif kind == b"zTXt":
            key, _, rest = chunk.partition(b"\0")
            texts.append((key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")))
        elif kind == b"iTXt":
            key, _, rest = chunk.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            texts.append((key.decode("latin-1"), (zlib.decompress(value) if compressed else value).decode("utf-8")))
    if part == "meta":
        return [f"text {k} {sha(v.encode('utf-8'))} {v[:60]!r}" for k, v in texts if k not in EXCLUDED_PNG_TEXT]
    width, height, depth, colour, _, _, interlace = ihdr
    if interlace:
        raise SystemExit(f"{path}: interlaced PNG not supported")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bpp = max(1, channels * depth // 8)  # bytes per complete pixel, as the filters count them
    stride = (width * channels * depth + 7) // 8
    data = zlib.decompress(b"".join(idat))
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        ftype = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        out += line
        prev = line
    return [f"pixels {width}x{height} depth {depth} colour {colour} {sha(bytes(out))}"]


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("data", "meta"):
        raise SystemExit(__doc__)
    part, path = sys.argv[1], sys.argv[2]
    if path.endswith(".safetensors"):
        lines = safetensors(path, part)
    elif path.endswith(".png"):
        lines = png(path, part)
    else:
        with open(path, "rb") as f:
            lines = [f"bytes {sha(f.read())}"] if part == "data" else []
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main()
