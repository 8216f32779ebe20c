"""Gradient agreement: the engine's hand-written backward pass against PyTorch autograd, every model kind.

For each case a model with fixed weights (engine initialisation from seed 11, then the biases shifted
by 0.3 N(0, 1) so none is trivially 0, and the weights by 0.03 N(0, 1)) and a fixed batch of 20 real MNIST test digits
(rows 0-19) go to `gsn grad`, which returns the engine's mean loss and the gradient of every
parameter. The same weights are loaded here (from the same file) in float64 and the same loss is
differentiated by torch.autograd. Compared:
  loss:      |L_engine - L_torch| <= 1e-5 |L_torch|
  gradients: for every tensor, max |g_engine - g_torch| <= 1e-4 max |g_torch| (max-normalised, so
             near-zero entries do not dominate) and ||g_engine - g_torch|| <= 1e-4 ||g_torch||
The engine runs in float32 and torch in float64, so the tolerance is the float32 rounding of sums over
the batch and the walkback steps. For scale, each case also prints how far torch's own float32 result
is from its float64 one (not a pass criterion): the engine is of the same order.

Noise. "deterministic" cases switch every noise off in the model config (corruption none,
hidden_noise 0, input_sampling false): nothing random is drawn, the graph is a fixed function. Cases
whose graph samples (DAE walkback pairs, RBM CD-k/PCD Gibbs chains, and the "with noise" cases of
corruption and hidden noise) replay the engine's own noise streams here: gsn_torch.PhiloxNoise draws
row r's numbers from Philox(seed, r, step) in the engine's order, so torch sees the same corruptions,
the same Bernoulli walkback samples and the same Gibbs samples (a sample could flip where a uniform
lies within float rounding of its probability; none does on this batch). For the RBM the gradient
compared is the CD-k / PCD estimate -(<v h>_data - <v h>_negative) given those negative samples,
which torch gets as the autograd gradient of mean F(data) - mean F(negatives) (free energy F); the
PCD chains the engine advanced (state.pcd_v) must equal the ones torch advanced.

Each case also checks that the comparison can fail: the engine gradient of one tensor scaled by
1 + 1e-3 must be rejected, and torch's loss with one walkback step less must differ from the engine's.
"""

import argparse
import os
import sys

from common import need_torch, run, tmpdir

need_torch()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import gsn_torch  # noqa: E402
from gsn_torch import safetensors_io  # noqa: E402
from gsn_torch.data import load_mnist  # noqa: E402
from gsn_torch.philox import pcd_stream  # noqa: E402

LOSS_TOL = 1e-5
GRAD_TOL = 1e-4
SEED, STEP, ROWS = 5, 7, 20
OFF = {"corruption": {"type": "none"}}
GSN_OFF = {"corruption": {"type": "none"}, "hidden_noise": 0, "input_sampling": False}

CASES = [
    # name, config, replay the engine's noise
    ("dae, deterministic, walkback 1", {"kind": "dae", "sizes": [784, 48], **OFF}, False),
    ("dae, fixed walkback 3 (Bernoulli walkback samples replayed)", {"kind": "dae", "sizes": [784, 48], "walkback": 3, **OFF}, True),
    ("dae, geometric walkback (replayed)", {"kind": "dae", "sizes": [784, 48], "walkback_mode": "geometric", **OFF}, True),
    ("dae, with noise: salt-and-pepper 0.4, walkback 2", {"kind": "dae", "sizes": [784, 48], "walkback": 2}, True),
    ("dae-gauss, deterministic", {"kind": "dae-gauss", "sizes": [784, 32], **OFF, "output_sigma": 0.1}, False),
    ("dae-gauss, with noise: gaussian 0.1, walkback 3", {"kind": "dae-gauss", "sizes": [784, 32], "walkback": 3}, True),
    ("gsn2, deterministic, walkback 4", {"kind": "gsn2", "sizes": [784, 40, 24], **GSN_OFF}, False),
    ("gsn2, deterministic, walkback 5, noisy-h1 flag", {"kind": "gsn2", "sizes": [784, 40, 24], **GSN_OFF, "walkback": 5, "noiseless_h1": False}, False),
    ("gsn3, deterministic, walkback 6", {"kind": "gsn3", "sizes": [784, 40, 24, 16], **GSN_OFF}, False),
    ("gsn2, with noise: salt-and-pepper 0.4, hidden noise 2, input sampling", {"kind": "gsn2", "sizes": [784, 40, 24]}, True),
    ("gsn3, with noise, no input sampling", {"kind": "gsn3", "sizes": [784, 40, 24, 16], "input_sampling": False, "noiseless_h1": False}, True),
    ("rbm, CD-1", {"kind": "rbm", "sizes": [784, 40], "cd_k": 1}, True),
    ("rbm, CD-3", {"kind": "rbm", "sizes": [784, 40], "cd_k": 3}, True),
    ("rbm, PCD-2, 7 chains", {"kind": "rbm", "sizes": [784, 40], "cd_k": 2, "persistent": True, "pcd_chains": 7}, True),
]


def torch_side(ckpt, config_override, batch, replay, dtype=torch.float64):
    model, _, _ = gsn_torch.load(ckpt, dtype=dtype)
    if config_override is not None:  # the self-check: the same weights under another config
        cfg = dict(model.config(), **config_override)
        other = gsn_torch.create_model(cfg, 0, torch.float64)
        with torch.no_grad():
            for n in other.param_names():
                other.param_tensor(n).copy_(model.param_tensor(n))
        model = other
    X = torch.from_numpy(batch).to(dtype)
    if replay:
        noise = gsn_torch.PhiloxNoise(SEED, range(ROWS), STEP)
    else:
        noise = gsn_torch.NoNoise()
    kw = {}
    if isinstance(model, gsn_torch.Rbm) and model.persistent:
        chains = model.pcd_v.shape[0]
        if replay:
            noise.add_streams([(ROWS + j, pcd_stream(j)) for j in range(chains)])
        kw["chain_rows"] = torch.arange(ROWS, ROWS + chains)
    loss, objective = model.loss(X, noise, **kw)
    names = [n for n in model.param_names() if n != "pcd_v"]
    grads = torch.autograd.grad(objective, [model.param_tensor(n) for n in names])
    out = {n: g.double().numpy() for n, g in zip(names, grads)}
    if "chain_rows" in kw:
        out["state.pcd_v"] = model.pcd_v.double().numpy()
    return float(loss), out


def compare(engine, reference):
    """Worst (error / tolerance) over the tensors, and where."""
    worst, where = 0.0, ""
    for name, g in reference.items():
        e = engine[name].astype(np.float64)
        if e.shape != g.shape:
            return float("inf"), f"{name}: shape {e.shape} vs {g.shape}"
        scale = np.abs(g).max()
        if name.startswith("state."):  # binary chain states: must be equal
            err = float(np.abs(e - g).max()) / 1e-9 if e.size else 0.0
        else:
            err = max(np.abs(e - g).max() / (GRAD_TOL * scale + 1e-30),
                      np.linalg.norm(e - g) / (GRAD_TOL * np.linalg.norm(g) + 1e-30))
        if err > worst:
            worst, where = err, name
    return worst, where


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsn", required=True, help="the gsn executable")
    args = ap.parse_args()
    d = tmpdir("python_gradients")
    digits = load_mnist("mnist-test")
    batch = np.ascontiguousarray(digits.pixels[:ROWS])
    batch_path = os.path.join(d, "batch.npy")
    np.save(batch_path, batch)
    failures = []
    for i, (name, config, replay) in enumerate(CASES):
        model = gsn_torch.create_model(config, seed=11)
        rng = np.random.default_rng(100 + i)
        with torch.no_grad():
            for n in model.param_names():
                if n != "pcd_v":
                    p = model.param_tensor(n)
                    scale = 0.3 if n.startswith("b") else 0.03
                    p.add_(torch.from_numpy((scale * rng.standard_normal(p.shape)).astype(np.float32)))
        ckpt = os.path.join(d, f"case{i}.safetensors")
        gsn_torch.save(ckpt, model, None, gsn_torch.Info(dataset_name="mnist-test[0:20]", examples=ROWS))
        out = os.path.join(d, f"case{i}.grad.safetensors")
        run([args.gsn, "grad", "--model", ckpt, "--batch", batch_path, "--out", out,
             "--seed", str(SEED), "--step", str(STEP)])
        engine, meta = safetensors_io.load(out)
        engine_loss = float(meta["loss"])
        torch_loss, reference = torch_side(ckpt, None, batch, replay)
        loss_err = abs(engine_loss - torch_loss) / (LOSS_TOL * abs(torch_loss))
        worst, where = compare(engine, reference)
        _, reference32 = torch_side(ckpt, None, batch, replay, torch.float32)
        worst32, _ = compare(reference32, reference)
        # The check must be able to fail: a 0.1 % error in any one tensor, and one walkback step less.
        undetected = []
        for n in reference:
            if n.startswith("state."):
                continue
            bad = dict(engine)
            bad[n] = engine[n] * (1 + 1e-3)
            if compare(bad, reference)[0] <= 1.0:
                undetected.append(n)
        wb = model.config().get("walkback")
        shorter_differs = True
        if wb and wb > 1 and not getattr(model, "geometric", False):
            shorter, _ = torch_side(ckpt, {"walkback": wb - 1}, batch, replay)
            shorter_differs = abs(engine_loss - shorter) > LOSS_TOL * abs(shorter)
        ok = loss_err <= 1.0 and worst <= 1.0 and not undetected and shorter_differs
        print(f"{'ok  ' if ok else 'FAIL'} {name}: loss engine {engine_loss:.9g} torch {torch_loss:.9g} "
              f"({loss_err:.3f} x tol); worst gradient {worst:.3f} x tol ({where}); "
              f"{len(reference)} tensors; torch float32 vs float64: {worst32:.3f} x tol")
        if undetected:
            print(f"     a 0.1% error in {undetected} was not detected")
        if not shorter_differs:
            print("     walkback - 1 gives the same loss: the walkback steps are not being compared")
        if not ok:
            failures.append(name)
    if failures:
        print(f"{len(failures)} of {len(CASES)} cases failed: {failures}")
        return 1
    print(f"all {len(CASES)} cases agree (loss within {LOSS_TOL:g}, gradients within {GRAD_TOL:g} relative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
