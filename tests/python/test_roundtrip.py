"""Checkpoints between the engine and the PyTorch bridge, both ways (issue 17).

  1. Same initialisation: `gsn train --lr 0` keeps a new model's initial weights; the bridge's
     create_model(config, seed) must equal them bit for bit (gsn2, rbm with its PCD chains).
  2. Same file: a checkpoint the engine wrote, loaded here and saved again, is byte-identical (also
     the studio's embedded default model, a model-only file, which train.py refuses to resume).
  3. Same training: `gsn train --model dae --noise 0 --walkback 1` draws no noise, so its run is a
     fixed function of the seed; train.py with the same options must reach the same weights and
     momentum buffers (max difference <= 1e-6 of the largest value; float32 sums in another order),
     also when stopped after one epoch and resumed.
  4. Bridge -> studio: a checkpoint train.py wrote opens in `gsn info` and `gsn sample`, and
     `gsn train --resume` continues it.
  5. Studio -> bridge: train.py --resume continues an engine checkpoint; its next epoch's loss
     continues from the engine's (within 1 % of the engine's own next epoch, and nearer it than
     the first epoch's loss, where a restart would be).
  6. Bad input: the engine refuses a bridge file with a wrong shape or kind, naming the tensor / field;
     the bridge refuses a studio file it cannot map, naming the tensor.
"""

import argparse
import contextlib
import io
import json
import os
import re
import sys

from common import need_torch, run, tmpdir

need_torch()

import numpy as np  # noqa: E402

import gsn_torch  # noqa: E402
from gsn_torch import checkpoint as ck  # noqa: E402
from gsn_torch import safetensors_io as st  # noqa: E402
from gsn_torch import train as bridge_train  # noqa: E402

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def bridge(argv):
    """train.py in this process (saves the interpreter start); returns (exit code, stderr text)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = bridge_train.main(argv + ["--quiet"])
    return code, err.getvalue()


def epoch_losses(text):
    return [float(x) for x in re.findall(r"epoch \d+/\d+: mean loss ([0-9.eE+-]+)", text)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsn", required=True)
    gsn = ap.parse_args().gsn
    d = tmpdir("python_roundtrip")
    p = lambda name: os.path.join(d, name)  # noqa: E731
    common = ["--data", "mnist", "--examples", "300", "--batch", "50"]

    # 1. initialisation
    for kind, extra in (("gsn2", ["--hidden", "48,32"]), ("rbm", ["--hidden", "40", "--pcd"])):
        out = p(f"init-{kind}.safetensors")
        run([gsn, "train", "--model", kind, *extra, *common, "--epochs", "1", "--lr", "0", "--seed", "7", "--out", out])
        tensors, meta = st.load(out)
        model = gsn_torch.create_model(json.loads(meta["config"]), seed=7)
        same = all(np.array_equal(tensors[n], model.param_tensor(n).detach().numpy()) for n in model.param_names()
                   if n != "pcd_v")
        if kind == "rbm":  # PCD chains advanced during the epoch; the initial ones come from their own stream
            same = same and model.param_tensor("pcd_v").shape == tensors["pcd_v"].shape
        check(same, f"{kind}: create_model(config, seed 7) equals the engine's initial weights bit for bit")

    # 2. byte identity
    for name in ("init-gsn2.safetensors", "init-rbm.safetensors"):
        model, state, meta = ck.load(p(name))
        again = p("again-" + name)
        ck.save(again, model, state, ck.info_from_metadata(meta))
        check(open(p(name), "rb").read() == open(again, "rb").read(),
              f"{name}: loaded and saved again by the bridge, byte-identical to the engine's file")

    # The studio's embedded default model (model-only, written before width/height existed).
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "resources", "default-gsn2.safetensors")
    model, state, meta = ck.load(default)
    ck.save(p("again-default.safetensors"), model, state, ck.info_from_metadata(meta))
    check(state is None and model.layer_sizes() == [784, 1500, 1500]
          and open(default, "rb").read() == open(p("again-default.safetensors"), "rb").read(),
          "the embedded default model (model-only gsn2 784-1500-1500) loads and saves back byte-identical")
    try:
        code, text = bridge(["--resume", default, "--epochs", "1", "--out", p("never.safetensors")])
        msg = text
    except bridge_train.UsageError as ex:
        code, msg = 2, str(ex)
    check(code == 2 and "holds a model only" in msg and not os.path.exists(p("never.safetensors")),
          f"train.py refuses to resume a model-only file: {msg.strip()[:120]}")

    # 3. the same deterministic run in both
    det = ["--model", "dae", "--hidden", "64", *common, "--noise", "0", "--walkback", "1", "--seed", "3"]
    run([gsn, "train", *det, "--epochs", "2", "--out", p("det-engine.safetensors")])
    code, _ = bridge(det + ["--epochs", "2", "--out", p("det-bridge.safetensors")])
    code2, _ = bridge(det + ["--epochs", "1", "--out", p("det-resumed.safetensors")])
    code3, _ = bridge(["--resume", p("det-resumed.safetensors"), "--epochs", "2"])
    e, _ = st.load(p("det-engine.safetensors"))
    for label, f in (("2 epochs", "det-bridge.safetensors"), ("1 epoch, resumed to 2", "det-resumed.safetensors")):
        b, _ = st.load(p(f))
        worst = max(float(np.abs(e[k] - b[k]).max() / np.abs(e[k]).max()) for k in e)
        check(code == code2 == code3 == 0 and set(b) == set(e) and worst <= 1e-6,
              f"dae without noise, {label}: bridge weights and momentum equal the engine's (worst {worst:.2g} of max)")

    # 4. bridge -> studio
    bfile = p("bridge-gsn2.safetensors")
    code, text = bridge(["--model", "gsn2", "--hidden", "48,32", *common, "--epochs", "1", "--out", bfile])
    info = run([gsn, "info", bfile], check=False)
    check(code == 0 and info.returncode == 0 and "model: gsn2" in info.stdout and "epoch: 1 completed of 1" in info.stdout
          and "image shape: 28x28\n" in info.stdout, "gsn info opens the bridge's gsn2 checkpoint (epoch 1 of 1, 28x28)")
    sample = run([gsn, "sample", "--model", bfile, "--out", p("sample.png"), "--chains", "2", "--steps", "3", "--quiet"], check=False)
    check(sample.returncode == 0 and os.path.getsize(p("sample.png")) > 0, "gsn sample runs chains on the bridge's checkpoint")
    cont = run([gsn, "train", "--resume", bfile, "--epochs", "2", "--out", p("engine-continued.safetensors")], check=False)
    check(cont.returncode == 0 and "epoch: 2 completed" in run([gsn, "info", p("engine-continued.safetensors")]).stdout,
          "gsn train --resume continues the bridge's checkpoint")

    # 5. studio -> bridge
    efile = p("engine-gsn2.safetensors")
    r = run([gsn, "train", "--model", "gsn2", "--hidden", "48,32", *common, "--epochs", "3", "--out", efile])
    engine_losses = epoch_losses(r.stderr)
    run([gsn, "train", "--model", "gsn2", "--hidden", "48,32", *common, "--epochs", "2", "--out", p("engine-2.safetensors")])
    code, text = bridge(["--resume", p("engine-2.safetensors"), "--epochs", "3", "--out", p("bridge-continued.safetensors")])
    bridge_losses = epoch_losses(text)
    ok = code == 0 and len(engine_losses) == 3 and len(bridge_losses) == 1
    if ok:
        e1, e2, e3 = engine_losses
        b3 = bridge_losses[0]
        ok = abs(b3 - e3) <= 0.01 * e3 and abs(b3 - e3) < abs(b3 - e1)
        print(f"     engine epochs 1-3: {e1:.5g} {e2:.5g} {e3:.5g}; bridge's epoch 3 from the engine's epoch-2 file: {b3:.5g}")
    check(ok, "train.py --resume continues an engine checkpoint: epoch 3 loss within 1 % of the engine's epoch 3, nearer it than epoch 1's")
    _, state, meta = ck.load(p("bridge-continued.safetensors"))
    check(state.epoch == 3 and meta["dataset"]["hash"] == ck.load(efile)[2]["dataset"]["hash"],
          "the continued file says epoch 3 and names the same data (hash)")

    # 6. bad input
    tensors, meta = st.load(bfile)
    order = ["W0", "W1", "b0", "b1", "b2"]
    bad = [(n, tensors[n].T.copy() if n == "W1" else tensors[n]) for n in order]
    st.save(p("bad-shape.safetensors"), bad, meta)
    r = run([gsn, "info", p("bad-shape.safetensors")], check=False)
    check(r.returncode != 0 and "W1" in r.stderr and "expected" in r.stderr,
          f"engine refuses a bridge file whose W1 is transposed: {r.stderr.strip()[:160]}")
    st.save(p("bad-kind.safetensors"), [(n, tensors[n]) for n in order], dict(meta, kind="rbm"))
    r = run([gsn, "info", p("bad-kind.safetensors")], check=False)
    check(r.returncode != 0 and "kind" in r.stderr, f"engine refuses kind rbm on a gsn2 config: {r.stderr.strip()[:160]}")
    et, em = st.load(efile)
    st.save(p("unknown-tensor.safetensors"), list(et.items()) + [("W9", et["W1"])], em)
    for f, name in (("unknown-tensor.safetensors", "W9"), ("bad-shape.safetensors", "W1")):
        try:
            ck.load(p(f))
            msg = ""
        except ck.CheckpointError as ex:
            msg = str(ex)
        check(name in msg, f"the bridge refuses {f}, naming {name}: {msg[:160]}")

    if FAILURES:
        print(f"{len(FAILURES)} checks failed")
        return 1
    print("all round-trip checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
