"""Checkpoints in the studio's format (docs/checkpoint-format.md; engine/models/checkpoint.cpp):
the same tensors (parameters in the engine's order, then momentum.<name>), the same __metadata__ keys
(format_version, format, kind, sizes, config, dataset, training, epoch, batch, step, seed, rng,
optionally trained, width, height), JSON values encoded the way nlohmann::json dumps them (sorted
keys, compact). A file this package writes opens in `gsn info`, `gsn sample`, `gsn eval` and the
studio; a file the engine writes (model-only or with momentum) loads here to continue training.
"""

import json

import numpy as np
import torch

from . import safetensors_io as st
from .models import ConfigError, create_model

FORMAT_VERSION = "1"


class CheckpointError(ValueError):
    pass


def dumps(value):
    """JSON text as nlohmann::json::dump() writes it (keys sorted, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class TrainState:
    """engine/models/trainer.h TrainState: everything needed to continue a run."""

    def __init__(self, seed=0, batch_size=100, learning_rate=0.25, momentum=0.5, decay=0.995):
        self.seed, self.epoch, self.batch, self.step = int(seed), 0, 0, 0
        self.batch_size = int(batch_size)
        self.learning_rate = float(learning_rate)
        self.initial_learning_rate = float(learning_rate)
        self.momentum, self.decay = float(momentum), float(decay)
        self.epoch_loss_sum, self.epoch_examples = 0.0, 0
        self.velocity = {}  # name -> tensor, the model's param_names()

    @staticmethod
    def start(model, seed, batch_size, learning_rate, momentum, decay):
        s = TrainState(seed, batch_size, learning_rate, momentum, decay)
        for name in model.param_names():
            p = model.param_tensor(name)
            s.velocity[name] = torch.zeros_like(p.detach())
        return s


class Info:
    """What the caller knows besides the model (CheckpointInfo)."""

    def __init__(self, dataset_name="", dataset_hash="", dataset_spec="", trainset="", examples=0,
                 target_epochs=0, width=0, height=0, trained=None, writer=None, rng=None):
        self.dataset_name, self.dataset_hash, self.dataset_spec = dataset_name, dataset_hash, dataset_spec
        self.trainset, self.examples, self.target_epochs = trainset, int(examples), int(target_epochs)
        self.width, self.height, self.trained, self.writer, self.rng = width, height, trained, writer, rng


def info_from_metadata(meta):
    """The Info a decoded __metadata__ describes (what to write back when continuing a run)."""
    d = meta.get("dataset") if isinstance(meta.get("dataset"), dict) else {}
    tr = meta.get("training") if isinstance(meta.get("training"), dict) else {}
    return Info(dataset_name=d.get("name", ""), dataset_hash=d.get("hash", ""), dataset_spec=d.get("spec", ""),
                trainset=d.get("trainset", ""), examples=d.get("examples", 0), target_epochs=tr.get("target_epochs", 0),
                width=int(meta.get("width", 0)), height=int(meta.get("height", 0)), trained=meta.get("trained"),
                writer=meta.get("writer"), rng=meta.get("rng") if isinstance(meta.get("rng"), dict) else None)


def metadata(model, state, info):
    """__metadata__ exactly as saveCheckpoint writes it, plus `writer` (who wrote the file)."""
    meta = {
        "format_version": FORMAT_VERSION,
        "format": "gsn-studio checkpoint",
        "kind": model.kind,
        "sizes": dumps(model.layer_sizes()),
        "config": dumps(model.config()),
        "dataset": dumps({"name": info.dataset_name, "hash": info.dataset_hash, "spec": info.dataset_spec,
                          "trainset": info.trainset, "examples": info.examples}),
    }
    if state is not None:
        meta["training"] = dumps({
            "batch_size": state.batch_size, "learning_rate": float(state.learning_rate),
            "initial_learning_rate": float(state.initial_learning_rate), "momentum": float(state.momentum),
            "lr_decay": float(state.decay), "target_epochs": info.target_epochs,
            "epoch_loss_sum": float(state.epoch_loss_sum), "epoch_examples": int(state.epoch_examples)})
        meta["epoch"] = str(state.epoch)
        meta["batch"] = str(state.batch)
        meta["step"] = str(state.step)
        meta["seed"] = str(state.seed)
        meta["rng"] = dumps(info.rng if info.rng is not None else {
            "generator": "philox4x32-10",
            "shuffle": "Philox(seed, 2^63, epoch): Fisher-Yates order of each epoch",
            "noise": "Philox(seed, example index, step) per batch row",
            "step": state.step})
    if info.trained is not None:
        meta["trained"] = dumps(info.trained)
    if info.width or info.height:
        if info.width * info.height != model.layer_sizes()[0]:
            raise CheckpointError(f"image shape: expected width x height = n_visible ({model.layer_sizes()[0]}), "
                                  f"got {info.width}x{info.height}")
        meta["width"], meta["height"] = str(info.width), str(info.height)
    if info.writer:
        meta["writer"] = info.writer
    return meta


def save(path, model, state, info):
    """Writes model (+ momentum buffers and training state when `state` is given) atomically."""
    tensors = []
    for name in model.param_names():
        tensors.append((name, model.param_tensor(name).detach().cpu().float().numpy()))
    if state is not None:
        for name in model.param_names():
            tensors.append(("momentum." + name, state.velocity[name].detach().cpu().float().numpy()))
    try:
        st.save(path, tensors, metadata(model, state, info))
    except st.FormatError as e:
        raise CheckpointError(f"{path}: {e}") from None


def _decode(v):
    try:
        return json.loads(v)
    except ValueError:
        return v


def load(path, dtype=torch.float32, device="cpu"):
    """Returns (model, state or None, decoded metadata). Raises CheckpointError naming the file and the
    field or tensor it cannot map."""
    try:
        tensors, meta = st.load(path)
    except st.FormatError as e:
        raise CheckpointError(str(e)) from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: __metadata__.format_version: expected \"{FORMAT_VERSION}\", got {meta.get('format_version')!r}")
    decoded = {k: _decode(v) for k, v in meta.items()}
    config = decoded.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: __metadata__.config: expected a JSON-encoded object")
    config = dict(config)
    config.setdefault("kind", meta.get("kind"))
    if config["kind"] != meta.get("kind"):
        raise CheckpointError(f"{path}: __metadata__.kind: expected {config['kind']!r} (the config's kind), got {meta.get('kind')!r}")
    try:
        model = create_model(config, 0, dtype)
    except ConfigError as e:
        raise CheckpointError(f"{path}: __metadata__.config: {e}") from None
    if decoded.get("sizes") != model.layer_sizes():
        raise CheckpointError(f"{path}: __metadata__.sizes: expected {model.layer_sizes()} (from the config), got {decoded.get('sizes')!r}")
    names = model.param_names()
    for t in tensors:
        base = t[len("momentum."):] if t.startswith("momentum.") else t
        if base not in names:
            raise CheckpointError(f"{path}: {t}: expected only the {model.kind} model's tensors ({', '.join(names)}) and momentum.<name>")
    has_state = any(t.startswith("momentum.") for t in tensors) or "training" in meta
    with torch.no_grad():
        for name in names:
            if name not in tensors:
                raise CheckpointError(f"{path}: {name}: missing (the {model.kind} model needs {', '.join(names)})")
            p = model.param_tensor(name)
            if list(tensors[name].shape) != list(p.shape):
                raise CheckpointError(f"{path}: {name}: expected shape {list(p.shape)} for the {model.kind} model, got {list(tensors[name].shape)}")
            if not np.all(np.isfinite(tensors[name])):
                raise CheckpointError(f"{path}: {name}: expected finite values")
            p.copy_(torch.from_numpy(tensors[name].copy()))
    model.to(device)
    state = None
    if has_state:
        tr = decoded.get("training")
        if not isinstance(tr, dict):
            raise CheckpointError(f"{path}: __metadata__.training: expected the key to be present (the file has momentum tensors)")
        state = TrainState()
        try:
            state.batch_size = int(tr["batch_size"])
            state.learning_rate = float(tr["learning_rate"])
            state.initial_learning_rate = float(tr["initial_learning_rate"])
            state.momentum = float(tr["momentum"])
            state.decay = float(tr["lr_decay"])
            state.epoch_loss_sum = float(tr["epoch_loss_sum"])
            state.epoch_examples = int(tr["epoch_examples"])
            state.epoch, state.batch = int(meta["epoch"]), int(meta["batch"])
            state.step, state.seed = int(meta["step"]), int(meta["seed"])
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"{path}: __metadata__.training: expected the engine's training fields ({e})") from None
        for name in names:
            key = "momentum." + name
            if key not in tensors:
                raise CheckpointError(f"{path}: {key}: missing (a checkpoint with a training state has every momentum buffer)")
            state.velocity[name] = torch.from_numpy(tensors[key].copy()).to(dtype=dtype, device=device)
    return model, state, decoded
