"""A model is a folder: config.json, model.safetensors, metrics.json, history.json, samples.png.
Weights are safetensors (never a pickle); every file is written atomically, and config.json records
the weights' sha256 so a torn or swapped pair is detected on load.

A save is one transaction: the weights, metrics, history, sample grid and per-epoch grids are first
staged as NAME.next (the grids as a folder samples.next/), then config.json (naming the new weights'
sha256) is replaced — the commit point — and then the staged files take their names (the old run's
per-epoch grids are removed). A process killed at any moment leaves the previous checkpoint (config.json
still names the old weights) or the new one (load() finishes the interrupted promotion); a save killed
before its commit leaves only *.next files, which load ignores and the next save replaces."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, fields
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .fileio import atomic_write, json_bytes, write_json

CONFIG, WEIGHTS, METRICS, HISTORY, SAMPLES = (
    "config.json",
    "model.safetensors",
    "metrics.json",
    "history.json",
    "samples.png",
)
STAGED = ".next"  # suffix of the files a save has written but not yet committed
GRIDS = "samples"  # the per-epoch grids, samples/epoch_NNN.png ("watch it learn")
OLD = ".old"  # the replaced grids folder while a committed save swaps in the new one


class CheckpointError(RuntimeError):
    """A checkpoint folder is missing, corrupt, or does not match its architecture."""


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 over the model's parameters and buffers, in state-dict order (what derived caches are keyed by)."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def half_state(model: torch.nn.Module) -> dict:
    """The state dict with floating tensors rounded to float16: how weights are shipped (half the
    size; the metrics are measured after this rounding, so they describe what is shipped)."""
    return {
        k: (v.half() if v.is_floating_point() else v).detach().cpu().contiguous() for k, v in model.state_dict().items()
    }


def save(
    model: torch.nn.Module,
    folder: Path | str,
    *,
    metrics: dict | None = None,
    history: list | None = None,
    train: dict | None = None,
    half: bool = False,
    sample_grid: bytes | None = None,
    epoch_grids: dict[str, bytes] | None = None,
) -> Path:
    """Write `model` to `folder` as one transaction (see the module's docstring). sample_grid: the PNG
    bytes of samples.png; epoch_grids: file name -> PNG bytes, the whole new samples/ folder (the old
    one's grids are removed at the commit). Extras left None keep the folder's current ones."""
    from . import __version__

    folder = Path(folder)
    state = half_state(model) if half else {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    blob = st_save(state)
    staged = {WEIGHTS: blob}
    if metrics is not None:
        staged[METRICS] = json_bytes(metrics)
    if history is not None:
        staged[HISTORY] = json_bytes(history)
    if sample_grid is not None:
        staged[SAMPLES] = sample_grid
    grids = folder / (GRIDS + STAGED)
    try:  # an uncommitted save's leftovers are not this one's
        for name in (WEIGHTS, METRICS, HISTORY, SAMPLES):
            if (folder / (name + STAGED)).is_file():
                (folder / (name + STAGED)).unlink()
        if grids.is_dir():
            shutil.rmtree(grids)
    except OSError as e:
        raise OSError(
            e.errno,
            f"{e.strerror or e}: cannot write {folder} (is the disk full or the folder "
            "read-only?); the checkpoint in it is unchanged",
        ) from e
    if epoch_grids is not None:
        grids.mkdir(parents=True)
        for name, data in epoch_grids.items():
            if Path(name).name != name or not name.endswith(".png"):
                raise ValueError(f"epoch grid name {name!r}: expected a plain file name ending in .png")
            atomic_write(grids / name, data)
    for name, data in staged.items():
        atomic_write(folder / (name + STAGED), data)
    write_json(
        folder / CONFIG,
        {  # the commit point
            "model": model.name,
            "config": asdict(model.config),
            "genlib_version": __version__,
            "weights_sha256": hashlib.sha256(blob).hexdigest(),
            "n_params": sum(t.numel() for t in state.values()),
            "weights_dtype": "float16" if half else "float32",
            "train": train or {},
        },
    )
    _promote(folder)
    return folder


def _promote(folder: Path) -> None:
    """Give the staged files of a committed save their names (weights last: while they are staged, a
    load repeats this). Every step can be repeated after a kill at any point."""
    for name in (METRICS, HISTORY, SAMPLES):
        staged = folder / (name + STAGED)
        if staged.is_file():
            os.replace(staged, folder / name)
    grids, staged, old = folder / GRIDS, folder / (GRIDS + STAGED), folder / (GRIDS + OLD)
    if staged.is_dir():
        if grids.is_dir():
            if old.is_dir():
                shutil.rmtree(old)
            os.replace(grids, old)
        os.replace(staged, grids)
    if old.is_dir():
        shutil.rmtree(old)
    staged = folder / (WEIGHTS + STAGED)
    if staged.is_file():
        os.replace(staged, folder / WEIGHTS)


def _committed_weights(folder: Path, cfg: dict) -> Path:
    """The weights file config.json commits to: a save killed after its commit point left them staged,
    so finish its promotion (or, in a read-only folder, read the staged file where it is). Staged
    weights config.json does not name are an uncommitted save's and are ignored."""
    staged = folder / (WEIGHTS + STAGED)
    if staged.is_file() and hashlib.sha256(staged.read_bytes()).hexdigest() == cfg.get("weights_sha256"):
        try:
            _promote(folder)
        except OSError:
            if staged.is_file():
                return staged
    return folder / WEIGHTS


def read_json(path: Path, what: str):
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: the folder is not a complete checkpoint ({what})")
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path} is not valid JSON ({e}); the file is corrupt: retrain or restore it") from e


def build_config(cls, d: dict):
    known = {f.name for f in fields(cls.Config)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise CheckpointError(
            f"config.json gives {cls.name} unknown settings {unknown}; this genlib knows {sorted(known)}"
        )
    return cls.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def _safetensors_layout(blob: bytes) -> bool:
    """An 8-byte little-endian header length, then that many bytes of JSON: a safetensors file. Its first byte
    is the header length's lowest byte, which can be 0x80 like a pickle's protocol marker."""
    n = int.from_bytes(blob[:8], "little")
    return len(blob) > 8 and 8 + n <= len(blob) and blob[8:9] == b"{"


def load(folder: Path | str, expect: str | None = None) -> torch.nn.Module:
    """Rebuild the model a folder holds, in eval mode on the CPU; `expect` checks its name."""
    from .models import ARCHITECTURES

    folder = Path(folder)
    if not folder.is_dir():
        hint = f" Train it with: python train.py --model {expect}" if expect else ""
        raise CheckpointError(f"no checkpoint folder at {folder}.{hint}")
    cfg = read_json(folder / CONFIG, "model name and hyperparameters")
    name = cfg.get("model") if isinstance(cfg, dict) else None
    if not isinstance(name, str) or name not in ARCHITECTURES:
        raise CheckpointError(f"{folder / CONFIG} names model {name!r}; known: {sorted(ARCHITECTURES)}")
    if expect is not None and name != expect:
        raise CheckpointError(f"{folder} holds a {name!r} model, not {expect!r}")
    cls = ARCHITECTURES[name]
    settings = cfg.get("config", {})
    if not isinstance(settings, dict):
        raise CheckpointError(
            f"{folder / CONFIG}: 'config' must be an object of settings, not {type(settings).__name__}"
        )
    try:
        model = cls(build_config(cls, settings))
    except CheckpointError:
        raise
    except Exception as e:  # a hand-edited value of the wrong type or range: TypeError, RuntimeError, ...
        raise CheckpointError(
            f"{folder / CONFIG} has settings the {name} architecture cannot be built from "
            f"({type(e).__name__}: {e}); retrain or restore the folder"
        ) from e

    path = _committed_weights(folder, cfg)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: the checkpoint has no weights")
    blob = path.read_bytes()
    if not _safetensors_layout(blob) and (blob[:1] == b"\x80" or blob[:2] == b"PK"):
        raise CheckpointError(
            f"{path} looks like a pickle / torch.save file; only safetensors are loaded (pickles can run code)"
        )
    digest = hashlib.sha256(blob).hexdigest()
    if cfg.get("weights_sha256") not in (None, digest):
        raise CheckpointError(
            f"{path} does not match the sha256 in {CONFIG}: the weights were changed, "
            "truncated, or written by another run. Retrain or restore the folder."
        )
    try:
        state = st_load(blob)
    except Exception as e:  # SafetensorError, or a header that is not valid JSON
        raise CheckpointError(f"{path} is not a readable safetensors file ({e})") from e
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"{path} does not match the {name} architecture built from {CONFIG}: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}, wrong shapes {wrong[:5]}"
        )
    model.load_state_dict(state)  # copies (and upcasts float16) into the float32 parameters
    return model.eval()


def read_extra(folder: Path | str, filename: str, default=None):
    """metrics.json / history.json of a checkpoint, or `default` when absent."""
    path = Path(folder) / filename
    return read_json(path, filename) if path.is_file() else default


def read_metrics(folder: Path | str) -> dict:
    """A checkpoint's metrics.json as a dict ({} when absent); CheckpointError naming the file when it
    is not JSON or not an object of metrics."""
    m = read_extra(folder, METRICS, {})
    if not isinstance(m, dict):
        raise CheckpointError(
            f"{Path(folder) / METRICS} holds a JSON {type(m).__name__}, not an object of metrics; "
            "the file is corrupt: re-measure it (train.py --evaluate-only) or restore it"
        )
    return m


def stamp(folder: Path | str, files: tuple[str, ...] = (CONFIG, WEIGHTS)) -> tuple:
    """A cheap fingerprint of a checkpoint folder (size and mtime of its config and weights, or of `files`) so a
    cache can notice a checkpoint that appeared or was retrained."""
    out = []
    for name in files:
        try:
            st = (Path(folder) / name).stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)
