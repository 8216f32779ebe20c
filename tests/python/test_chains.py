"""Forward agreement with noise: the engine's chains against the bridge's, fed the same noise.

`gsn sample --init noise --seed 9` starts chain c at uniform noise from Philox(9, c, 2^64 - 1) and
draws step t's noise from Philox(9, c, t - 1) (ChainSet, Model::stepChains). The bridge rebuilds the
same start and replays those streams (gsn_torch.PhiloxNoise): the displayed means of the first 4
steps of 6 chains must agree within 1e-5 (float32 against float64 arithmetic), for dae (its chain is
corruption, reconstruction and Bernoulli sampling), gsn2 and gsn3 with the reference noise
(salt-and-pepper 0.4, hidden noise 2 before and after tanh, input sampling) and the rbm's Gibbs
chain. A fed-back Bernoulli sample could flip where a uniform lies within rounding of its
probability; a flip would show in the next step as a difference far above the tolerance, so a pass
means the two chains took identical paths. The check must be able to fail: the bridge's chain with
its noise keys shifted by one step must disagree.
"""

import argparse
import os
import sys

from common import need_torch, run, tmpdir

need_torch()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import gsn_torch  # noqa: E402
from gsn_torch import philox  # noqa: E402

SEED, CHAINS, STEPS, TOL = 9, 6, 4, 1e-5
CASES = [
    ("dae, salt-and-pepper 0.4", {"kind": "dae", "sizes": [784, 48]}),
    ("gsn2, reference noise", {"kind": "gsn2", "sizes": [784, 40, 24]}),
    ("gsn3, reference noise, noisy h1", {"kind": "gsn3", "sizes": [784, 40, 24, 16], "noiseless_h1": False}),
    ("rbm", {"kind": "rbm", "sizes": [784, 40]}),
]


def bridge_means(model, key_offset=0):
    streams = np.arange(CHAINS, dtype=np.uint64)
    x0 = torch.from_numpy(philox.to_uniform(philox.words(SEED, streams, philox.LAST_STEP, 0, 784))).double()
    state = model.start_chains(x0)
    means = []
    for t in range(STEPS):
        means.append(model.chain_step(state, gsn_torch.PhiloxNoise(SEED, streams, t + key_offset)).numpy())
    return np.stack(means, axis=1)  # [chains, steps, 784]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsn", required=True)
    gsn = ap.parse_args().gsn
    d = tmpdir("python_chains")
    failures = []
    for i, (name, config) in enumerate(CASES):
        model = gsn_torch.create_model(config, seed=11)
        rng = np.random.default_rng(200 + i)
        with torch.no_grad():
            for n in model.param_names():
                p = model.param_tensor(n)
                p.add_(torch.from_numpy(((0.3 if n.startswith("b") else 0.05) * rng.standard_normal(p.shape)).astype(np.float32)))
        path = os.path.join(d, f"chains{i}.safetensors")
        gsn_torch.save(path, model, None, gsn_torch.Info(width=28, height=28))
        out = os.path.join(d, f"chains{i}.npy")
        run([gsn, "sample", "--model", path, "--out", out, "--chains", str(CHAINS), "--steps", str(STEPS),
             "--seed", str(SEED), "--init", "noise", "--quiet"])
        engine = np.load(out).reshape(CHAINS, STEPS, 784).astype(np.float64)
        bridge_model, _, _ = gsn_torch.load(path, dtype=torch.float64)
        bridge = bridge_means(bridge_model)
        err = np.abs(engine - bridge).max(axis=(0, 2))  # per step
        shifted = bridge_means(gsn_torch.load(path, dtype=torch.float64)[0], key_offset=1)
        detects = np.abs(engine - shifted).max() > 100 * TOL
        ok = bool(np.all(err <= TOL)) and detects
        print(f"{'ok  ' if ok else 'FAIL'} {name}: max |engine mean - bridge mean| per step {', '.join(f'{e:.1e}' for e in err)}"
              f" (tolerance {TOL:g}); other noise key differs: {detects}")
        if not ok:
            failures.append(name)
    if failures:
        print(f"{len(failures)} of {len(CASES)} cases failed")
        return 1
    print(f"all {len(CASES)} chains agree step by step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
