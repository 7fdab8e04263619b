"""genlib: generative models of MNIST digits behind one API (README.md; docs/design.md for the contract)."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.3.0"  # bump with every architecture or recipe change (CHANGELOG.md)

from . import checkpoint  # noqa: E402
from .checkpoint import CheckpointError  # noqa: E402
from .latent import LatentSpec  # noqa: E402
from .models import ARCHITECTURES, MODELS, VARIANTS, architecture_of, onnx_folder  # noqa: E402
from .models.base import GenerativeModel  # noqa: E402
from .models.classifier import Classifier  # noqa: E402
from .paths import checkpoints_dir  # noqa: E402

CHECKPOINTS = checkpoints_dir()


def build(name: str, **overrides) -> GenerativeModel:
    """A fresh, untrained model; keyword arguments override its Config fields."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    cls = MODELS[name]
    return cls(cls.Config(**overrides))


def load(name: str | None = None, path: str | Path | None = None) -> GenerativeModel | Classifier:
    """The shipped checkpoint of `name` (or the folder `path`), in eval mode on the CPU. `name` may also be an
    extra shipped folder such as "dcgan-collapsed" (a model's declared variant, genlib.models.VARIANTS); the
    metrics classifier ("classifier") loads too, as a Classifier (a plain nn.Module, not a GenerativeModel).
    `path` alone loads any checkpoint folder, or an ONNX model folder (a model.json beside decoder.onnx: a
    model from another framework, docs/design.md "ONNX model folders")."""
    if path is not None and onnx_folder.is_folder(path):
        return onnx_folder.OnnxModel.from_folder(path).eval()
    if name is None:
        if path is None:
            raise TypeError("load needs a model name or a folder: genlib.load('vae') or genlib.load(path=FOLDER)")
        return checkpoint.load(Path(path))
    arch = architecture_of(name)
    if arch not in ARCHITECTURES:
        raise KeyError(f"unknown model {name!r}; choose one of {sorted(MODELS)} or {sorted(VARIANTS)}")
    return checkpoint.load(Path(path) if path else CHECKPOINTS / name, expect=arch)


__all__ = ["MODELS", "CHECKPOINTS", "GenerativeModel", "LatentSpec", "CheckpointError", "build", "load", "__version__"]
