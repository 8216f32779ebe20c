"""The engine's counter-based random numbers (engine/core/random.h), in numpy.

Philox4x32-10 (Random123) keyed exactly as gsn::Philox(seed, stream, step):
  key     = (seed & 0xffffffff, (seed >> 32) ^ ((stream >> 32) * 0x9E3779B9 mod 2^32))
  counter = (block, step & 0xffffffff, step >> 32, stream & 0xffffffff), block = 0, 1, 2, ...
Each block gives four 32-bit words, used in order. uniform() = ((w >> 8) + 0.5) / 2^24 (float32).

Used for what must match the engine bit for bit: the initial weights of a new model (so a model made
here with seed S is the engine's model with seed S), the example order of every epoch (Fisher-Yates
with Lemire's bounded draws), and the test harness that replays the engine's per-row noise streams.
Training noise in the PyTorch trainer comes from torch's own generators (docs/beyond-one-machine.md).
"""

import numpy as np

M0 = np.uint64(0xD2511F53)
M1 = np.uint64(0xCD9E8D57)
W0 = np.uint32(0x9E3779B9)
W1 = np.uint32(0xBB67AE85)
MASK32 = np.uint64(0xFFFFFFFF)

# Stream ids of engine/core/randomstreams.h.
MODEL_INIT_STREAM = 0xF000000000000000
RBM_INIT_STREAM = 0xF000000100000000
SHUFFLE_STREAM = 0x8000000000000000
LAST_STEP = 0xFFFFFFFFFFFFFFFF


def pcd_stream(j):
    return (1 << 32) | int(j)


def _key(seed, stream):
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    stream = np.asarray(stream, dtype=np.uint64)
    k0 = np.full(stream.shape, seed & 0xFFFFFFFF, dtype=np.uint32)
    k1 = (np.uint32(seed >> 32) ^ ((stream >> np.uint64(32)).astype(np.uint32) * W0)).astype(np.uint32)
    return k0, k1


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Ten rounds of Philox4x32 on arrays of counters; returns four uint32 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint32) for c in (c0, c1, c2, c3))
    k0 = np.asarray(k0, dtype=np.uint32).copy()
    k1 = np.asarray(k1, dtype=np.uint32).copy()
    with np.errstate(over="ignore"):
        for r in range(10):
            if r:
                k0 = k0 + W0
                k1 = k1 + W1
            p0 = M0 * c0.astype(np.uint64)
            p1 = M1 * c2.astype(np.uint64)
            hi0, lo0 = (p0 >> np.uint64(32)).astype(np.uint32), (p0 & MASK32).astype(np.uint32)
            hi1, lo1 = (p1 >> np.uint64(32)).astype(np.uint32), (p1 & MASK32).astype(np.uint32)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def words(seed, stream, step, start, count):
    """Words [start, start + count) of the stream Philox(seed, stream, step); stream may be an array
    of R streams (then the result has shape [R, count])."""
    stream_arr = np.atleast_1d(np.asarray(stream, dtype=np.uint64))
    step = int(step) & 0xFFFFFFFFFFFFFFFF
    first, last = start // 4, (start + count + 3) // 4
    blocks = np.arange(first, last, dtype=np.uint64)
    R, nb = stream_arr.shape[0], blocks.shape[0]
    k0, k1 = _key(seed, stream_arr)
    c0 = np.broadcast_to(blocks.astype(np.uint32)[None, :], (R, nb))
    c1 = np.full((R, nb), step & 0xFFFFFFFF, dtype=np.uint32)
    c2 = np.full((R, nb), step >> 32, dtype=np.uint32)
    c3 = np.broadcast_to((stream_arr & MASK32).astype(np.uint32)[:, None], (R, nb))
    out = philox4x32(c0, c1, c2, c3, k0[:, None], k1[:, None])
    w = np.stack(out, axis=-1).reshape(R, nb * 4)
    off = start - first * 4
    w = w[:, off:off + count]
    return w if np.ndim(stream) else w[0]


def to_uniform(w):
    """The engine's uniform in (0, 1) from 32-bit words, as float32 (exact: 24 bits)."""
    return ((np.asarray(w, dtype=np.uint32) >> np.uint32(8)).astype(np.float32) + np.float32(0.5)) * np.float32(
        1.0 / 16777216.0)


def init_uniform(rows, cols, seed, stream, bound_scale=1.0):
    """Matrix [rows, cols] as modelmath::initUniform: bound * (2u - 1) from one stream, row-major."""
    bound = np.sqrt(np.float32(6.0) / np.float32(rows + cols)).astype(np.float32)
    u = to_uniform(words(seed, stream, 0, 0, rows * cols))
    return (bound * (np.float32(2.0) * u - np.float32(1.0))).astype(np.float32).reshape(rows, cols)


def rbm_init(nv, nh, seed):
    """Rbm weights: row i from Philox(seed, RBM_INIT_STREAM + i, 0), (2u - 1) * 4 sqrt(6 / (nv + nh))."""
    bound = np.float32(4.0) * np.sqrt(np.float32(6.0) / np.float32(nv + nh)).astype(np.float32)
    streams = np.uint64(RBM_INIT_STREAM) + np.arange(nv, dtype=np.uint64)
    u = to_uniform(words(seed, streams, 0, 0, nh))
    return ((np.float32(2.0) * u - np.float32(1.0)) * bound).astype(np.float32)


def pcd_init(chains, nv, seed):
    """Persistent chains: chain j pixel i = 1 if uniform < 0.5, Philox(seed, pcd_stream(j), 2^64 - 1)."""
    streams = np.array([pcd_stream(j) for j in range(chains)], dtype=np.uint64)
    u = to_uniform(words(seed, streams, LAST_STEP, 0, nv))
    return (u < np.float32(0.5)).astype(np.float32)


class Stream:
    """One sequential stream, like gsn::Philox: next32 / uniform."""

    def __init__(self, seed, stream, step):
        self.seed, self.stream, self.step, self.pos = seed, stream, step, 0
        self._buf, self._buf_start = np.zeros(0, dtype=np.uint32), 0

    def take(self, n):
        if self.pos < self._buf_start or self.pos + n > self._buf_start + len(self._buf):
            start = self.pos - self.pos % 4
            self._buf = words(self.seed, self.stream, self.step, start, max(n + 4, 4096))
            self._buf_start = start
        off = self.pos - self._buf_start
        self.pos += n
        return self._buf[off:off + n]

    def next32(self):
        return int(self.take(1)[0])


def epoch_order(seed, epoch, n):
    """Trainer::epochOrder: the Fisher-Yates permutation of [0, n) for `epoch`."""
    order = list(range(n))
    rng = Stream(seed, SHUFFLE_STREAM, epoch)
    for i in range(n - 1, 0, -1):
        bound = i + 1
        m = rng.next32() * bound
        low = m & 0xFFFFFFFF
        if low < bound:
            threshold = (-bound & 0xFFFFFFFF) % bound
            while low < threshold:
                m = rng.next32() * bound
                low = m & 0xFFFFFFFF
        j = m >> 32
        order[i], order[j] = order[j], order[i]
    return order
