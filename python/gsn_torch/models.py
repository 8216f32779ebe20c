"""The engine's models in PyTorch, with the same parameterisation, loss, noise placement and
initialisation (SPEC 2; engine/models/dae.h, gsnk.h, rbm.h are the reference):

  dae        x~ = C(x*); h = sigmoid(x~ W0 + b1); a = h W0^T + b0; loss = BCE(sigmoid(a), x) mean over
             pixels per pair, summed over the walkback pairs, mean over the batch
  dae-gauss  the same with a linear output and squared error (mean over dimensions)
  gsn2/gsn3  the unrolled graph: odd layers, then x, then even layers; hidden h = tanh(pre + n_in) + n_out;
             x <- C(Bernoulli(p)) (or C(p) without input sampling); loss = sum over the updates of the BCE
             of p against the clean x, mean over pixels and batch
  rbm        CD-k / PCD; reported loss = reconstruction cross-entropy summed over pixels of P(v | h0),
             h0 ~ P(h | x); the gradient is the CD estimate, obtained by autograd of
             mean F(x) - mean F(v_negative) with the negative samples held constant

Parameters are registered in the engine's parameters() order with its names (W0.., b0..; RBM with PCD
also carries "pcd_v", a buffer here, a zero-gradient parameter in the engine). Every random draw goes
through a noise object (TorchNoise for training, PhiloxNoise to replay the engine's own streams in tests),
so the math is shared and only the random numbers differ.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from . import philox

MAX_GEOMETRIC_WALKBACK = 32


def f32(x):
    """A config number as the engine stores it: float32, printed as the double of that float."""
    return float(np.float32(x))


class ConfigError(ValueError):
    pass


def _fail(field, expected):
    raise ConfigError(f"model config: {field}: {expected}")


def _sizes(config, n):
    s = config.get("sizes")
    if not isinstance(s, list) or len(s) != n or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 100000 for v in s):
        _fail("sizes", f"expected {n} positive integer layer sizes up to 100000, got {s!r}")
    return list(s)


class Corruption:
    def __init__(self, kind="salt-and-pepper", level=0.4):
        self.kind, self.level = kind, f32(level)

    @staticmethod
    def from_json(j):
        if not isinstance(j, dict):
            _fail("corruption", 'expected an object {"type": ..., "level": ...}')
        t = j.get("type")
        if t not in ("salt-and-pepper", "gaussian", "masking", "none"):
            _fail("corruption.type", f"expected salt-and-pepper, gaussian, masking or none, got {t!r}")
        if t == "none":
            return Corruption("none", 0.0)
        lv = j.get("level")
        if not isinstance(lv, (int, float)) or isinstance(lv, bool) or not math.isfinite(lv) or lv < 0 or (t != "gaussian" and lv > 1):
            _fail("corruption.level", "expected a probability in [0, 1] (gaussian: a finite s >= 0)")
        return Corruption(t, lv)

    def to_json(self):
        return {"type": self.kind, "level": self.level}


# ---- noise ------------------------------------------------------------------------------------------

class TorchNoise:
    """Training noise from one torch.Generator (seeded per batch by the trainer). `rows` arguments are
    ignored: draws are made in bulk."""

    def __init__(self, generator, device="cpu"):
        self.g, self.device = generator, device

    def _rand(self, shape, dtype):
        return torch.rand(shape, generator=self.g, device=self.device, dtype=dtype)

    def corrupt(self, x, c, rows):
        if c.kind == "none" or (c.level == 0.0 and c.kind != "gaussian"):
            return x  # nothing is replaced (p = 0); the engine still draws, but these draws are not its
        if c.kind == "gaussian":
            return x + c.level * torch.randn(x.shape, generator=self.g, device=self.device, dtype=x.dtype)
        replace = self._rand(x.shape, x.dtype) < c.level
        if c.kind == "masking":
            return torch.where(replace, torch.zeros_like(x), x)
        salt = (self._rand(x.shape, x.dtype) < 0.5).to(x.dtype)
        return torch.where(replace, salt, x)

    def bernoulli(self, p, rows):
        return (self._rand(p.shape, p.dtype) < p).to(p.dtype)

    def normal(self, n, rows, dtype):
        return torch.randn((len(rows), n), generator=self.g, device=self.device, dtype=dtype)

    def uniform(self, rows, dtype):
        return self._rand((len(rows),), dtype)


class NoNoise:
    """Refuses every draw: a model whose config switches all noise off runs on this."""

    def corrupt(self, x, c, rows):
        if c.kind != "none":
            raise RuntimeError("NoNoise: the model corrupts its input (corruption must be none)")
        return x

    def bernoulli(self, p, rows):
        raise RuntimeError("NoNoise: the model samples (input_sampling / walkback / CD draw random numbers)")

    def normal(self, n, rows, dtype):
        raise RuntimeError("NoNoise: the model draws Gaussian noise (hidden_noise must be 0)")

    def uniform(self, rows, dtype):
        raise RuntimeError("NoNoise: geometric walkback draws uniforms")


class PhiloxNoise:
    """The engine's own noise: row r draws from Philox(seed, streams[r], step) in the order the engine's
    code does (corruption.cpp, dae.cpp, gsnk.cpp, rbm.cpp), so a model run on it reproduces the
    engine's training step up to float rounding (a Bernoulli draw can flip where u is within rounding
    of p). For tests on small batches: it is numpy and per row."""

    def __init__(self, seed, streams, step):
        self.streams = {int(i): philox.Stream(seed, int(s), step) for i, s in enumerate(streams)}
        self.seed, self.step = seed, step

    def add_streams(self, ids_and_streams):
        for i, s in ids_and_streams:
            self.streams[int(i)] = philox.Stream(self.seed, int(s), self.step)

    def _words(self, rows, n):
        return np.stack([self.streams[int(r)].take(n) for r in rows])

    @staticmethod
    def _normal_fill(stream, n):
        out = np.empty(n, dtype=np.float32)
        done = 0
        while done < n:
            pairs = min(128, (n - done + 1) // 2)
            u = philox.to_uniform(stream.take(2 * pairs))
            r = np.sqrt(np.float32(-2.0) * np.log(u[0::2]))
            t = np.float32(2.0 * math.pi) * u[1::2]
            z = np.empty(2 * pairs, dtype=np.float32)
            z[0::2], z[1::2] = r * np.cos(t), r * np.sin(t)
            m = min(2 * pairs, n - done)
            out[done:done + m] = z[:m]
            done += m
        return out

    def corrupt(self, x, c, rows):
        if c.kind == "none":
            return x
        n = x.shape[1]
        if c.kind == "gaussian":
            z = np.stack([np.concatenate([self._normal_fill(self.streams[int(r)], min(256, n - s)) for s in range(0, n, 256)])
                          for r in rows])
            return x + c.level * torch.from_numpy(z).to(x.dtype)
        w = self._words(rows, n)
        replace = torch.from_numpy(philox.to_uniform(w) < np.float32(c.level))
        if c.kind == "masking":
            return torch.where(replace, torch.zeros_like(x), x)
        salt = torch.from_numpy((w & 1).astype(np.float32)).to(x.dtype)
        return torch.where(replace, salt, x)

    def bernoulli(self, p, rows):
        u = torch.from_numpy(philox.to_uniform(self._words(rows, p.shape[1]))).to(p.dtype)
        # The engine compares in float32.
        return (u.float() < p.float()).to(p.dtype)

    def normal(self, n, rows, dtype):
        return torch.from_numpy(np.stack([self._normal_fill(self.streams[int(r)], n) for r in rows])).to(dtype)

    def uniform(self, rows, dtype):
        return torch.from_numpy(philox.to_uniform(self._words(rows, 1))[:, 0]).to(dtype)


def _rows(n, device):
    return torch.arange(n, device=device)


# ---- models -------------------------------------------------------------------------------------------

class GsnModel(torch.nn.Module):
    kind = ""

    def param_names(self):
        """The engine's parameters() order (checkpoint tensors, momentum buffers)."""
        raise NotImplementedError

    def param_tensor(self, name):
        return getattr(self, name)

    def layer_sizes(self):
        return list(self.sizes)

    def loss(self, X, noise):
        """(reported mean loss per example, objective to backpropagate) for a batch X [B, n_visible]."""
        raise NotImplementedError

    def forward(self, X, noise, **kw):  # what DistributedDataParallel calls
        return self.loss(X, noise, **kw)

    def start_chains(self, x0):
        """Chain state as Model::startChains: x = x0 [C, n_visible], hidden layers at 0."""
        return {"x": x0, "h": [x0.new_zeros(x0.shape[0], n) for n in self.sizes[1:]]}

    @torch.no_grad()
    def chain_step(self, state, noise):
        """One step of the model's chain (Model::stepChains), in place; returns the displayed mean.
        Chain c draws from noise row c (PhiloxNoise(seed, range(C), step) is the engine's chain noise)."""
        raise NotImplementedError


class Dae(GsnModel):
    def __init__(self, config, seed=0, dtype=torch.float32):
        super().__init__()
        kind = config.get("kind")
        if kind not in ("dae", "dae-gauss"):
            _fail("kind", f"expected dae or dae-gauss, got {kind!r}")
        self.kind = kind
        self.gaussian = kind == "dae-gauss"
        self.sizes = _sizes(config, 2)
        nv, nh = self.sizes
        if "corruption" in config:
            self.corruption = Corruption.from_json(config["corruption"])
        else:
            self.corruption = Corruption("gaussian", 0.1) if self.gaussian else Corruption()
        wb = config.get("walkback", 1)
        if not isinstance(wb, int) or isinstance(wb, bool) or not 1 <= wb <= MAX_GEOMETRIC_WALKBACK:
            _fail("walkback", f"expected an integer in [1, {MAX_GEOMETRIC_WALKBACK}]")
        self.walkback = wb
        mode = config.get("walkback_mode", "fixed")
        if mode not in ("fixed", "geometric"):
            _fail("walkback_mode", f"expected fixed or geometric, got {mode!r}")
        self.geometric = mode == "geometric"
        self.output_sigma = self.corruption.level if self.corruption.kind == "gaussian" else f32(0.1)
        if "output_sigma" in config:
            v = config["output_sigma"]
            if not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v):
                _fail("output_sigma", "expected a number > 0")
            self.output_sigma = f32(v)
        if self.gaussian and not self.output_sigma > 0:
            _fail("output_sigma", "expected a number > 0 (needed when the corruption level is 0)")
        W = philox.init_uniform(nv, nh, seed, philox.MODEL_INIT_STREAM)
        self.W0 = torch.nn.Parameter(torch.from_numpy(W).to(dtype))
        self.b0 = torch.nn.Parameter(torch.zeros(1, nv, dtype=dtype))
        self.b1 = torch.nn.Parameter(torch.zeros(1, nh, dtype=dtype))

    def param_names(self):
        return ["W0", "b0", "b1"]

    def config(self):
        j = {
            "kind": self.kind, "sizes": self.sizes,
            "hidden_activation": "sigmoid",
            "visible_activation": "linear" if self.gaussian else "sigmoid",
            "reconstruction": "gaussian" if self.gaussian else "bernoulli",
            "loss": ("squared-error mean over dimensions, summed over walkback pairs" if self.gaussian
                     else "binary cross-entropy mean over pixels, summed over walkback pairs"),
            "tied_weights": True,
            "corruption": self.corruption.to_json(),
            "walkback": self.walkback,
            "walkback_mode": "geometric" if self.geometric else "fixed",
        }
        if self.gaussian:
            j["output_sigma"] = self.output_sigma
        return j

    def reconstruct(self, xt):
        h = torch.sigmoid(xt @ self.W0 + self.b1)
        return h @ self.W0.t() + self.b0

    @torch.no_grad()
    def chain_step(self, state, noise):
        x = state["x"]
        rows = _rows(x.shape[0], x.device)
        a = self.reconstruct(noise.corrupt(x, self.corruption, rows))
        mean = a if self.gaussian else torch.sigmoid(a)
        if self.gaussian:
            state["x"] = mean + self.output_sigma * noise.normal(x.shape[1], rows, x.dtype)
        else:
            state["x"] = noise.bernoulli(mean, rows)
        return mean

    def loss(self, X, noise):
        B, n = X.shape
        active = _rows(B, X.device)
        xstar = X.detach()
        per_row = torch.zeros(B, dtype=X.dtype, device=X.device)
        for step in range(MAX_GEOMETRIC_WALKBACK):
            xt = noise.corrupt(xstar[active], self.corruption, active)
            a = self.reconstruct(xt)
            target = X[active]
            if self.gaussian:
                pair = ((a - target) ** 2).sum(1) / n
            else:
                pair = F.binary_cross_entropy_with_logits(a, target, reduction="none").sum(1) / n
            per_row = per_row.index_add(0, active, pair)
            if self.geometric:
                if step + 1 >= MAX_GEOMETRIC_WALKBACK:
                    break
                more = noise.uniform(active, X.dtype) >= 0.5
            else:
                if step + 1 >= self.walkback:
                    break
                more = torch.ones(len(active), dtype=torch.bool, device=X.device)
            if not bool(more.any()):
                break
            nxt = active[more]
            with torch.no_grad():
                mean = a[more] if self.gaussian else torch.sigmoid(a[more])
                if self.gaussian:
                    sample = mean + self.output_sigma * noise.normal(n, nxt, X.dtype)
                else:
                    sample = noise.bernoulli(mean, nxt)
                xstar = xstar.clone()
                xstar[nxt] = sample
            active = nxt
        loss = per_row.sum() / B
        return loss, loss


class GsnK(GsnModel):
    def __init__(self, config, seed=0, dtype=torch.float32):
        super().__init__()
        kind = config.get("kind")
        if kind not in ("gsn2", "gsn3"):
            _fail("kind", f"expected gsn2 or gsn3, got {kind!r}")
        self.kind = kind
        self.K = K = int(kind[3])
        self.sizes = _sizes(config, K + 1) if "sizes" in config else [784] + [1500] * K
        self.hidden_noise = f32(2.0)
        if "hidden_noise" in config:
            v = config["hidden_noise"]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                _fail("hidden_noise", "expected a standard deviation >= 0")
            self.hidden_noise = f32(v)
        self.noiseless_h1, self.input_sampling = True, True
        for field in ("noiseless_h1", "input_sampling"):
            if field in config:
                if not isinstance(config[field], bool):
                    _fail(field, "expected true or false")
                setattr(self, field, config[field])
        self.corruption = Corruption.from_json(config["corruption"]) if "corruption" in config else Corruption()
        self.walkback = 2 * K
        if "walkback" in config:
            v = config["walkback"]
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 100:
                _fail("walkback", "expected a number of updates in [1, 100]")
            self.walkback = v
        for i in range(K):
            W = philox.init_uniform(self.sizes[i], self.sizes[i + 1], seed, philox.MODEL_INIT_STREAM + i)
            setattr(self, f"W{i}", torch.nn.Parameter(torch.from_numpy(W).to(dtype)))
        for i in range(K + 1):
            setattr(self, f"b{i}", torch.nn.Parameter(torch.zeros(1, self.sizes[i], dtype=dtype)))

    def param_names(self):
        return [f"W{i}" for i in range(self.K)] + [f"b{i}" for i in range(self.K + 1)]

    def config(self):
        return {
            "kind": self.kind, "sizes": self.sizes,
            "hidden_activation": "tanh", "visible_activation": "sigmoid",
            "hidden_noise": self.hidden_noise,
            "hidden_noise_placement": "before and after tanh",
            "noiseless_h1": self.noiseless_h1, "input_sampling": self.input_sampling,
            "corruption": self.corruption.to_json(), "walkback": self.walkback,
            "loss": "binary cross-entropy mean over pixels, summed over updates",
            "tied_weights": True,
        }

    def W(self, i):
        return getattr(self, f"W{i}")

    def b(self, i):
        return getattr(self, f"b{i}")

    def noisy(self, i):
        return self.hidden_noise > 0 and not (i == 1 and self.noiseless_h1)

    def hidden(self, i, below, above, noise, rows, dtype):
        """tanh(below W_{i-1} + above W_i^T + b_i + n_in) + n_out; below/above None = zero."""
        pre = self.b(i).expand(len(rows), -1)
        if below is not None:
            pre = pre + below @ self.W(i - 1)
        if above is not None:
            pre = pre + above @ self.W(i).t()
        if not self.noisy(i):
            return torch.tanh(pre)
        s = self.hidden_noise
        T = torch.tanh(pre + s * noise.normal(self.sizes[i], rows, dtype))
        return T + s * noise.normal(self.sizes[i], rows, dtype)

    def resample(self, p, noise, rows):
        x = noise.bernoulli(p.detach(), rows) if self.input_sampling else p
        return noise.corrupt(x, self.corruption, rows)

    @torch.no_grad()
    def chain_step(self, state, noise):
        # Odd layers read only even layers and vice versa (x = layer 0), as GsnK::stepChains.
        x, h, K = state["x"], state["h"], self.K
        rows = _rows(x.shape[0], x.device)
        layer = lambda i: x if i == 0 else h[i - 1]  # noqa: E731
        for i in range(1, K + 1, 2):
            h[i - 1] = self.hidden(i, layer(i - 1), h[i] if i < K else None, noise, rows, x.dtype)
        mean = torch.sigmoid(h[0] @ self.W(0).t() + self.b(0))
        x = state["x"] = self.resample(mean, noise, rows)
        for i in range(2, K + 1, 2):
            h[i - 1] = self.hidden(i, h[i - 2], h[i] if i < K else None, noise, rows, x.dtype)
        return mean

    def loss(self, X, noise):
        B, n = X.shape
        K, N = self.K, self.walkback
        rows = _rows(B, X.device)
        prev = [None] * (K + 1)
        prev[0] = noise.corrupt(X, self.corruption, rows)
        total = X.new_zeros(())
        for t in range(1, N + 1):
            last = t == N
            cur = [None] * (K + 1)
            for i in range(1, K + 1, 2):
                if last and i > 1:
                    continue
                below = prev[i - 1] if (i == 1 or t > 1) else None
                above = prev[i + 1] if (i < K and t > 1) else None
                cur[i] = self.hidden(i, below, above, noise, rows, X.dtype)
            logits = cur[1] @ self.W(0).t() + self.b(0)
            total = total + F.binary_cross_entropy_with_logits(logits, X, reduction="sum")
            if last:
                break
            cur[0] = self.resample(torch.sigmoid(logits), noise, rows)
            for i in range(2, K + 1, 2):
                cur[i] = self.hidden(i, cur[i - 1], cur[i + 1] if i < K else None, noise, rows, X.dtype)
            prev = cur
        loss = total / (n * B)
        return loss, loss


class Rbm(GsnModel):
    kind = "rbm"

    def __init__(self, config, seed=0, dtype=torch.float32):
        super().__init__()
        if config.get("kind") != "rbm":
            _fail("kind", 'expected "rbm"')
        self.sizes = _sizes(config, 2)
        nv, nh = self.sizes

        def integer(field, default, lo, hi):
            v = config.get(field, default)
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                _fail(field, f"expected an integer in [{lo}, {hi}], got {v!r}")
            return v

        self.cd_k = integer("cd_k", 1, 1, 10000)
        self.persistent = config.get("persistent", False)
        if not isinstance(self.persistent, bool):
            _fail("persistent", "expected true or false")
        self.pcd_chains = integer("pcd_chains", 100, 1, 100000)
        self.W0 = torch.nn.Parameter(torch.from_numpy(philox.rbm_init(nv, nh, seed)).to(dtype))
        self.b0 = torch.nn.Parameter(torch.zeros(1, nv, dtype=dtype))
        self.b1 = torch.nn.Parameter(torch.zeros(1, nh, dtype=dtype))
        if self.persistent:
            self.register_buffer("pcd_v", torch.from_numpy(philox.pcd_init(self.pcd_chains, nv, seed)).to(dtype))

    def param_names(self):
        return ["W0", "b0", "b1"] + (["pcd_v"] if self.persistent else [])

    def config(self):
        return {"kind": "rbm", "sizes": self.sizes, "cd_k": self.cd_k, "persistent": self.persistent,
                "pcd_chains": self.pcd_chains}

    def free_energy(self, v):
        """F(v) = -v.b0 - sum_j softplus(b1_j + (v W0)_j), per row."""
        return -(v @ self.b0.t())[:, 0] - F.softplus(v @ self.W0 + self.b1).sum(1)

    def gibbs(self, v, k, noise, rows, first_h=None):
        """k sweeps h ~ P(h|v), v ~ P(v|h); with first_h the first sweep starts at the visible draw."""
        for step in range(k):
            h = first_h if (step == 0 and first_h is not None) else noise.bernoulli(torch.sigmoid(v @ self.W0 + self.b1), rows)
            v = noise.bernoulli(torch.sigmoid(h @ self.W0.t() + self.b0), rows)
        return v

    @torch.no_grad()
    def chain_step(self, state, noise):
        v = state["x"]
        rows = _rows(v.shape[0], v.device)
        h = noise.bernoulli(torch.sigmoid(v @ self.W0 + self.b1), rows)
        mean = torch.sigmoid(h @ self.W0.t() + self.b0)
        state["x"], state["h"] = noise.bernoulli(mean, rows), [h]
        return mean

    def loss(self, X, noise, chain_rows=None):
        """chain_rows: the noise rows of the persistent chains (PhiloxNoise registers them)."""
        B = X.shape[0]
        rows = _rows(B, X.device)
        with torch.no_grad():
            h0 = noise.bernoulli(torch.sigmoid(X @ self.W0 + self.b1), rows)
            a = h0 @ self.W0.t() + self.b0
            recon = (F.softplus(a) - X * a).sum(1).mean()
            if self.persistent:
                crow = chain_rows if chain_rows is not None else _rows(self.pcd_v.shape[0], X.device)
                neg = self.gibbs(self.pcd_v, self.cd_k, noise, crow)
                self.pcd_v.copy_(neg)
            else:
                neg = self.gibbs(X, self.cd_k, noise, rows, first_h=h0)
        objective = self.free_energy(X).mean() - self.free_energy(neg).mean()
        return recon, objective


KINDS = {"dae": Dae, "dae-gauss": Dae, "gsn2": GsnK, "gsn3": GsnK, "rbm": Rbm}


def create_model(config, seed=0, dtype=torch.float32):
    """A model from an engine config (Model::config() / __metadata__.config), initialised from `seed`
    exactly as the engine's createModel(config, seed)."""
    kind = config.get("kind") if isinstance(config, dict) else None
    if kind not in KINDS:
        _fail("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    return KINDS[kind](config, seed, dtype)
