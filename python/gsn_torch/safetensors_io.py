"""The safetensors container with the standard library (struct + json) and numpy.

Layout (docs/checkpoint-format.md): 8-byte little-endian header length N, N bytes of JSON header
(padded with spaces to a multiple of 8), then the tensors' raw bytes back to back. Written the way the
engine writes it (engine/data/safetensors.cpp): keys sorted, compact JSON, tensors in the given order,
so a file read and written again here is byte-identical to the engine's.
"""

import json
import os
import struct
import tempfile

import numpy as np

MAX_HEADER_BYTES = 100 * 1024 * 1024
DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8")}


class FormatError(ValueError):
    """A file this package cannot map; the message names the file and the field."""


def write_atomically(path, data):
    """Writes bytes to a temp file in the same folder, fsyncs it and renames it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def encode(tensors, metadata):
    """tensors: list of (name, 2-D float32 array) in data order; metadata: dict str -> str."""
    header, chunks, at = {}, [], 0
    for name, value in tensors:
        a = np.ascontiguousarray(value, dtype="<f4")
        if a.ndim != 2:
            raise FormatError(f"{name}: expected a 2-D tensor (a bias is [1, n]), got shape {list(a.shape)}")
        if not np.all(np.isfinite(a)):
            raise FormatError(f"{name}: expected finite values; refusing to write NaN or Inf")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [at, at + len(b)]}
        chunks.append(b)
        at += len(b)
    for k, v in metadata.items():
        if not isinstance(v, str):
            raise FormatError(f"__metadata__.{k}: expected a string value (safetensors rule), got {type(v).__name__}")
    header["__metadata__"] = dict(metadata)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata):
    write_atomically(path, encode(tensors, metadata))


def load(path):
    """Returns (dict name -> float32 array in file order, metadata dict of strings).
    Raises FormatError naming the file and the field."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise FormatError(f"{path}: header length: expected at least 8 bytes, the file has {len(blob)}")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8 or n > MAX_HEADER_BYTES:
        raise FormatError(f"{path}: header length: expected at most {min(len(blob) - 8, MAX_HEADER_BYTES)}, got {n}")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FormatError(f"{path}: header: expected UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header: expected a JSON object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise FormatError(f"{path}: __metadata__: expected an object of strings")
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, t in sorted(header.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0] if isinstance(kv[1], dict) else 0):
        if not isinstance(t, dict) or t.get("dtype") not in DTYPES:
            raise FormatError(f"{path}: {name}: expected dtype F32 (or F16/F64), got {t.get('dtype') if isinstance(t, dict) else t!r}")
        shape, offs = t.get("shape"), t.get("data_offsets")
        dt = DTYPES[t["dtype"]]
        if (not isinstance(shape, list) or not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(v, int) and v >= 0 for v in shape + offs)):
            raise FormatError(f"{path}: {name}: expected integer shape and data_offsets")
        begin, end = offs
        count = int(np.prod(shape)) if shape else 1
        if end > len(data) or begin > end or end - begin != count * dt.itemsize:
            raise FormatError(f"{path}: {name}: data_offsets {offs} disagree with shape {shape} or the data section ({len(data)} bytes)")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(shape).astype(np.float32)
    return tensors, meta
