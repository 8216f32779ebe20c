"""Training data as the engine loads it (engine/data/datasets.cpp): MNIST from the IDX files under
$GSN_DATA_DIR/mnist (pixels b / 255 as float32), or a float32/float64/uint8 .npy file, with the
engine's content hash (Dataset::contentHash) so a checkpoint names its data the same way.
"""

import gzip
import os
import struct

import numpy as np

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
M64 = (1 << 64) - 1

# name -> (IDX prefix, first row, end row); the engine's dataset registry names.
MNIST_SETS = {
    "mnist-train": ("train", 0, 50000),
    "mnist-valid": ("train", 50000, 60000),
    "mnist-trainfull": ("train", 0, 60000),
    "mnist-test": ("t10k", 0, 10000),
}


class Dataset:
    def __init__(self, name, pixels, width, height, spec, trainset=""):
        self.name, self.pixels, self.width, self.height = name, pixels, width, height
        self.spec, self.trainset = spec, trainset
        self._hash = None

    @property
    def hash(self):
        """Computed when first asked for (the full MNIST training set takes a few seconds here)."""
        if self._hash is None:
            self._hash = content_hash(self.pixels, self.width, self.height)
        return self._hash

    def __len__(self):
        return self.pixels.shape[0]

    def slice(self, n):
        """Rows [0, n) as the engine's Dataset::slice (name suffix "[0:n]", hash recomputed)."""
        if n >= len(self):
            return self
        return Dataset(f"{self.name}[0:{n}]", self.pixels[:n], self.width, self.height, self.spec, self.trainset)


def data_dir():
    d = os.environ.get("GSN_DATA_DIR")
    if d:
        return d
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read()
    if len(blob) < 4 or blob[0] != 0 or blob[1] != 0 or blob[2] != 0x08:
        raise ValueError(f"{path}: magic: expected an unsigned-byte IDX file")
    dims = blob[3]
    shape = struct.unpack(">" + "I" * dims, blob[4:4 + 4 * dims])
    data = np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: size: expected {int(np.prod(shape))} values, got {data.size}")
    return data.reshape(shape)


def load_mnist(name):
    prefix, begin, end = MNIST_SETS[name]
    folder = os.path.join(data_dir(), "mnist")
    path = os.path.join(folder, f"{prefix}-images-idx3-ubyte")
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: images: expected the MNIST IDX file (set GSN_DATA_DIR to the folder that holds mnist/)")
    images = _read_idx(path)[begin:end]
    table = (np.arange(256, dtype=np.float32) / np.float32(255.0)).astype(np.float32)
    pixels = table[images.reshape(images.shape[0], -1)]
    trainset = {"mnist-train": "train", "mnist-trainfull": "trainfull"}.get(name, "")
    return Dataset(name, pixels, images.shape[2], images.shape[1], "mnist", trainset)


def load_dataset(spec, trainset="train"):
    """--data as `gsn train` takes it: mnist (train = rows 0-49999, trainfull = 0-59999), a registry
    name (mnist-train, ...), or a .npy file [N, H, W] or [N, D] with values in [0, 1] or [0, 255]."""
    if spec == "mnist":
        return load_mnist("mnist-trainfull" if trainset == "trainfull" else "mnist-train")
    if spec in MNIST_SETS:
        return load_mnist(spec)
    if spec.endswith(".npy"):
        a = np.load(spec)
        if a.ndim == 3:
            h, w = a.shape[1], a.shape[2]
        elif a.ndim == 2:
            h, w = 1, a.shape[1]
            side = int(round(a.shape[1] ** 0.5))
            if side * side == a.shape[1]:
                h = w = side
        else:
            raise ValueError(f"{spec}: shape: expected [N, H, W] or [N, D], got {list(a.shape)}")
        a = a.reshape(a.shape[0], -1)
        if a.dtype == np.uint8:
            a = (np.arange(256, dtype=np.float32) / np.float32(255.0))[a]
        else:
            a = a.astype(np.float32)
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{spec}: data: expected finite values")
            if a.min() >= 0 and a.max() > 1 and a.max() <= 255:
                a = a / np.float32(255.0)
        return Dataset(os.path.basename(spec), np.ascontiguousarray(a), w, h, spec, "")
    raise ValueError(f"--data: expected mnist, a registry name ({', '.join(MNIST_SETS)}) or a .npy file, got {spec!r}")


def content_hash(pixels, width, height):
    """Dataset::contentHash: 16 hex digits."""
    pixels = np.ascontiguousarray(pixels, dtype="<f4")
    lane = [FNV_OFFSET] * 4
    k = 0
    for w in (pixels.shape[0], width & M64, height & M64):
        lane[k % 4] = ((lane[k % 4] ^ w) * FNV_PRIME) & M64
        k += 1
    raw = pixels.tobytes()
    nwords = len(raw) // 8
    w64 = np.frombuffer(raw[:nwords * 8], dtype="<u8")
    # word i goes to lane (3 + i) % 4 (three size words came first); FNV over each lane in order.
    for l in range(4):
        h = lane[l]
        for v in w64[(l - 3) % 4::4].tolist():  # sequential FNV; Python ints, about 0.1 us a word
            h = ((h ^ v) * FNV_PRIME) & M64
        lane[l] = h
    k += nwords
    if len(raw) % 8:
        tail = raw[nwords * 8:] + b"\0" * (8 - len(raw) % 8)
        (w,) = struct.unpack("<Q", tail)
        lane[k % 4] = ((lane[k % 4] ^ w) * FNV_PRIME) & M64
    h = FNV_OFFSET
    for l in lane:
        h = ((h ^ l) * FNV_PRIME) & M64
    z = h
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return "%016x" % (z ^ (z >> 31))
