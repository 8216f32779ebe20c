"""Train a GSN Studio model with PyTorch, on one process or data-parallel under torchrun.

  python3 python/gsn_torch/train.py --model gsn2 --data mnist --out gsn2.safetensors [options]
  torchrun --nproc_per_node 2 python/gsn_torch/train.py --model gsn2 --data mnist --out gsn2.safetensors
  torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 8 python/gsn_torch/train.py ... --device cuda

The options are `gsn train`'s (same names, same defaults). The run is the engine's: the same model,
initial weights (from --seed), example order per epoch (Philox Fisher-Yates), global batch, momentum
form m <- mu m + (1 - mu) g, theta <- theta - lr m, learning-rate decay after every epoch, and the same
checkpoint file (written atomically by rank 0 after every epoch and on Ctrl-C, with the momentum
buffers, so `gsn train --resume` or this script's --resume continues it). Only the noise differs: each
rank draws its batch rows' noise from a torch generator seeded by (seed, step, rank), not the engine's
per-example Philox streams.

Data parallelism: global batch b of an epoch is the engine's batch b (rows order[b*B:(b+1)*B]); rank r
of W takes an equal share of it, and DistributedDataParallel (gloo on CPU, NCCL on CUDA) averages the
gradients, each rank's loss weighted by its share, so the update is the gradient of the global batch's
mean loss whatever W is. An RBM trained with PCD keeps its persistent chains on every rank (each rank
advances its own copy with its own noise; rank 0's are saved).
"""

import argparse
import json
import math
import os
import signal
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "gsn_torch"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from gsn_torch import checkpoint as ck  # noqa: E402
from gsn_torch.data import load_dataset  # noqa: E402
from gsn_torch.models import TorchNoise, create_model  # noqa: E402
from gsn_torch.philox import epoch_order  # noqa: E402

# engine/models/modelregistry.cpp: the kinds `gsn train` offers, their default config and learning rate.
KINDS = {
    "gsn2": ({"corruption": {"type": "salt-and-pepper", "level": 0.4}, "hidden_noise": 2.0, "walkback": 4}, [1500, 1500], 0.25),
    "gsn3": ({"corruption": {"type": "salt-and-pepper", "level": 0.4}, "hidden_noise": 2.0, "walkback": 6}, [1500, 1500, 1500], 0.25),
    "dae": ({"corruption": {"type": "salt-and-pepper", "level": 0.4}, "walkback": 1}, [2000], 0.25),
    "rbm": ({"cd_k": 1, "persistent": False}, [500], 0.1),
}


class UsageError(Exception):
    pass


def parse(argv):
    ap = argparse.ArgumentParser(prog="gsn_torch.train", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(KINDS), help="model kind (not with --resume)")
    ap.add_argument("--data", help="mnist, a registry name (mnist-train, ...) or a .npy file")
    ap.add_argument("--out", help="checkpoint FILE.safetensors (default with --resume: the resumed file)")
    ap.add_argument("--hidden", help="hidden layer sizes, e.g. 1500,1500")
    ap.add_argument("--epochs", type=int, help="total epochs (default 10; with --resume: the file's target)")
    ap.add_argument("--examples", type=int, default=0, help="use the first N examples")
    ap.add_argument("--batch", type=int, default=100, help="global batch size (split across ranks)")
    ap.add_argument("--lr", type=float, help="learning rate (default per kind: 0.25, rbm 0.1)")
    ap.add_argument("--momentum", type=float, help="mu (default 0.5)")
    ap.add_argument("--decay", type=float, default=0.995, help="learning-rate factor per epoch")
    ap.add_argument("--noise", type=float, help="corruption level (salt-and-pepper p)")
    ap.add_argument("--walkback", type=int, help="walkback pairs (dae) or graph updates (gsn2/3)")
    ap.add_argument("--cd-k", dest="cd_k", type=int, help="rbm: Gibbs steps of the negative phase")
    ap.add_argument("--pcd", action="store_true", help="rbm: persistent chains (PCD)")
    ap.add_argument("--config", help="JSON object of model config fields over the kind's defaults, e.g. "
                    "'{\"hidden_noise\": 0, \"input_sampling\": false, \"corruption\": {\"type\": \"none\"}}' "
                    "(the fields of __metadata__.config, docs/checkpoint-format.md)")
    ap.add_argument("--seed", type=int, default=1, help="initial weights and example order (as gsn train)")
    ap.add_argument("--trainset", default="train", choices=["train", "trainfull"], help="MNIST rows 0-49999 or 0-59999")
    ap.add_argument("--resume", help="continue a checkpoint (the studio's or this script's)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda; under torchrun cuda uses LOCAL_RANK's GPU")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads per process (0: torch's default)")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    a = ap.parse_args(argv)
    if a.resume:
        for flag in ("model", "hidden", "noise", "walkback", "cd_k", "seed", "config"):
            if getattr(a, flag) not in (None, ap.get_default(flag)):
                raise UsageError(f"--{flag.replace('_', '-')}: expected no value with --resume (it comes from {a.resume})")
        if a.pcd:
            raise UsageError(f"--pcd: expected no value with --resume (it comes from {a.resume})")
    else:
        if not a.model:
            raise UsageError("--model: missing (expected " + ", ".join(sorted(KINDS)) + ")")
        if not a.data:
            raise UsageError("--data: missing (expected mnist, a registry name or a .npy file)")
    if not a.out and not a.resume:
        raise UsageError("--out: missing (expected FILE.safetensors)")
    if a.out and not a.out.endswith(".safetensors"):
        raise UsageError(f"--out: expected a file name ending in .safetensors, got {a.out!r}")
    if a.batch < 1:
        raise UsageError(f"--batch: expected >= 1, got {a.batch}")
    return a


def model_config(a, visible):
    defaults, hidden, _ = KINDS[a.model]
    sizes = [int(s) for s in a.hidden.split(",")] if a.hidden else hidden
    if len(sizes) != len(hidden):
        raise UsageError(f"--hidden: expected {len(hidden)} comma-separated sizes for {a.model}")
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in defaults.items()}
    cfg["kind"], cfg["sizes"] = a.model, [visible] + sizes
    for flag, field in (("noise", "corruption"), ("walkback", "walkback"), ("cd_k", "cd_k")):
        if getattr(a, flag) is not None and field not in cfg:
            raise UsageError(f"--{flag.replace('_', '-')}: not a field of {a.model}")
    if a.pcd and "persistent" not in cfg:
        raise UsageError("--pcd: expected only with --model rbm")
    if a.noise is not None:
        cfg["corruption"]["level"] = a.noise
    if a.walkback is not None:
        cfg["walkback"] = a.walkback
    if a.cd_k is not None:
        cfg["cd_k"] = a.cd_k
    if "persistent" in cfg:
        cfg["persistent"] = a.pcd
    if a.config:
        try:
            extra = json.loads(a.config)
        except ValueError as e:
            raise UsageError(f"--config: expected a JSON object ({e})") from None
        if not isinstance(extra, dict) or extra.get("kind", a.model) != a.model:
            raise UsageError(f"--config: expected a JSON object of {a.model} config fields")
        cfg.update(extra)
    return cfg


def fmt_time(s):
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA device is available to this PyTorch")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    log = (lambda *m: print(*m, file=sys.stderr, flush=True)) if rank == 0 else (lambda *m: None)

    if a.resume:
        model, state, meta = ck.load(a.resume, device=device)
        if state is None:
            raise UsageError(f"{a.resume}: training state: expected momentum buffers and training metadata (this file holds a model only)")
        d = meta.get("dataset") or {}
        spec = a.data or d.get("spec") or ""
        trainset = a.trainset if a.trainset != "train" else d.get("trainset") or "train"
        if not spec:
            raise UsageError(f"{a.resume}: __metadata__.dataset.spec: expected the dataset the run used; pass --data")
        data = load_dataset(spec, trainset)
        examples = a.examples or int(d.get("examples") or 0)
        if examples:
            data = data.slice(examples)
        if rank == 0 and data.hash != d.get("hash"):
            raise UsageError(f"{a.resume}: __metadata__.dataset.hash: expected the run's data ({d.get('name')}, hash "
                             f"{d.get('hash')}), got {data.name} with hash {data.hash}; resume with the same --data, --trainset and --examples")
        target = a.epochs or int((meta.get("training") or {}).get("target_epochs") or 0)
        if target <= 0:
            raise UsageError("--epochs: expected the total number of epochs (the checkpoint does not say)")
        if a.lr is not None:
            state.learning_rate = a.lr
        if a.momentum is not None:
            state.momentum = a.momentum
        out = a.out or a.resume
        log(f"resuming {a.resume} after {state.epoch} epochs and {state.batch} batches (step {state.step})")
    else:
        data = load_dataset(a.data, a.trainset)
        if a.examples:
            if a.examples > len(data):
                raise UsageError(f"--examples: expected at most {len(data)} (the size of {data.name}), got {a.examples}")
            data = data.slice(a.examples)
        try:
            model = create_model(model_config(a, data.pixels.shape[1]), a.seed).to(device)
        except ValueError as e:
            raise UsageError(str(e)) from None
        lr = a.lr if a.lr is not None else KINDS[a.model][2]
        state = ck.TrainState.start(model, a.seed, a.batch, lr, 0.5 if a.momentum is None else a.momentum, a.decay)
        target = a.epochs or 10
        out = a.out
    if not 0 <= state.momentum < 1:
        raise UsageError(f"--momentum: expected a value in [0, 1), got {state.momentum}")
    # The content hash (a few seconds for all of MNIST here) only where it is written: rank 0.
    data_hash = data.hash if rank == 0 else ""
    info = ck.Info(dataset_name=data.name, dataset_hash=data_hash, dataset_spec=data.spec, trainset=data.trainset,
                   examples=len(data), target_epochs=target, width=data.width, height=data.height,
                   writer=f"gsn_torch {sys.modules['gsn_torch'].__version__} (PyTorch {torch.__version__}, "
                          f"{world} process{'es' if world > 1 else ''}, {device.type})",
                   rng={"generator": "philox4x32-10 (example order), torch (noise)",
                        "shuffle": "Philox(seed, 2^63, epoch): Fisher-Yates order of each epoch",
                        "noise": "torch.Generator seeded with (seed, step, rank) per batch: not the engine's per-example streams",
                        "step": state.step})

    net = model
    if world > 1:
        ddp_kw = {"device_ids": [device.index]} if device.type == "cuda" else {}
        # A GSN with one update never uses its upper layers; DDP must then not wait for their gradients.
        unused = getattr(model, "walkback", 2) == 1 and model.kind in ("gsn2", "gsn3")
        net = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False,
                                                        find_unused_parameters=unused, **ddp_kw)
    names = [n for n in model.param_names() if n != "pcd_v"]
    params = [model.param_tensor(n) for n in names]
    pixels = torch.from_numpy(data.pixels)
    n = len(data)
    batches = (n + state.batch_size - 1) // state.batch_size
    gen = torch.Generator(device=device)

    stop = {"flag": False}
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("flag", True))

    def save():
        if rank == 0:
            info.rng["step"] = state.step
            ck.save(out, model, state, info)

    log(f"{model.kind} {ck.dumps(model.config())} on {data.name} ({n} examples, hash {data_hash}), batch "
        f"{state.batch_size} over {world} process{'es' if world > 1 else ''} ({device.type}), {batches} batches/epoch, "
        f"{target} epochs -> {out}")
    start = time.monotonic()
    done0 = state.epoch * batches + state.batch
    run_examples = 0
    while state.epoch < target:
        order = np.asarray(epoch_order(state.seed, state.epoch, n), dtype=np.int64)
        epoch_start = time.monotonic()
        while state.batch < batches:
            if world > 1:
                flag = torch.tensor([1.0 if stop["flag"] else 0.0], device=device)  # NCCL reduces device tensors
                dist.all_reduce(flag)
                stop["flag"] = flag.item() > 0
            if stop["flag"]:
                save()
                log(f"\n{out}: interrupted after {state.epoch} epochs and {state.batch} of {batches} batches; saved. "
                    f"Continue with: --resume {out}")
                return 130
            begin = state.batch * state.batch_size
            rows = order[begin:min(begin + state.batch_size, n)]
            share = np.array_split(rows, world)[rank]
            X = pixels[torch.from_numpy(share)] if len(share) else pixels[torch.from_numpy(rows[:1])]
            X = X.to(device)
            gen.manual_seed((state.seed * 1000003 + state.step * 1009 + rank) % (2**63 - 1))
            loss, objective = net(X, TorchNoise(gen, device))
            weight = len(share) * world / len(rows)  # DDP averages: sum of shares = the global mean
            for p in params:
                p.grad = None
            (objective * weight).backward()
            with torch.no_grad():
                batch_loss = torch.tensor([float(loss) * len(share)], dtype=torch.float64, device=device)
                if world > 1:
                    dist.all_reduce(batch_loss)
                batch_loss = float(batch_loss) / len(rows)
                if not math.isfinite(batch_loss):
                    save_note = "the last checkpoint is untouched"
                    raise RuntimeError(f"diverged at epoch {state.epoch + 1}, batch {state.batch + 1} of {batches}: "
                                       f"loss is {batch_loss} (learning rate {state.learning_rate}); {save_note}")
                lr, mu = state.learning_rate, state.momentum
                for name, p in zip(names, params):
                    v = state.velocity[name]
                    v.mul_(mu)
                    if p.grad is not None:  # None: unused by this graph (a GSN with one update), gradient 0
                        v.add_(p.grad, alpha=1 - mu)
                    p.sub_(lr * v)
            state.epoch_loss_sum += batch_loss * len(rows)
            state.epoch_examples += len(rows)
            state.batch += 1
            state.step += 1
            run_examples += len(rows)
            if not a.quiet and rank == 0:
                done = state.epoch * batches + state.batch
                elapsed = time.monotonic() - start
                eta = elapsed / max(1, done - done0) * (target * batches - done)
                sys.stderr.write(f"\repoch {state.epoch + 1}/{target} {100 * state.batch // batches:3d}% "
                                 f"[{state.batch}/{batches}] loss {batch_loss:.4g}  {run_examples / max(elapsed, 1e-9):.0f} ex/s  "
                                 f"ETA {fmt_time(eta)}")
                if state.batch == batches:
                    sys.stderr.write("\n")
                sys.stderr.flush()
        mean = state.epoch_loss_sum / max(1, state.epoch_examples)
        state.epoch += 1
        state.batch = 0
        state.epoch_loss_sum, state.epoch_examples = 0.0, 0
        state.learning_rate *= state.decay
        save()
        log(f"epoch {state.epoch}/{target}: mean loss {mean:.5g}, {fmt_time(time.monotonic() - epoch_start)}, "
            f"learning rate now {state.learning_rate:.5g}, saved {out}")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        print(f"{out}: {model.kind} trained for {target} epochs on {data.name}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (UsageError, ck.CheckpointError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
