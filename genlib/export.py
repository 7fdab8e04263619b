"""Each model's decoding path, (z, labels, InfoGAN codes) -> images in [0, 1], as an ONNX file, so the
browser can decode while a slider moves (onnxruntime-web) and the server is asked only on release.

Files are built on first use into a cache keyed by the model's weights (like the test-set encodings:
$GENLIB_CACHE/onnx or ~/.cache/genlib/onnx), so a retrained model gets a fresh file and checkpoints/
stays small. Inputs are named after the model's LatentSpec (INPUTS); the graph takes exactly those."""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from . import __version__
from .checkpoint import weights_digest
from .fileio import atomic_write
from .paths import cache_root

OPSET = 18
OUTPUT = "image"  # (n, 1, 28, 28) float32 in [0, 1]
log = logging.getLogger(__name__)


class ExportError(RuntimeError):
    """A model's decoding path could not be written as an ONNX graph with the inputs it declares."""


def input_names(spec) -> list[str]:
    """The graph's inputs for a LatentSpec, in order: z (n, z_dim) float32; labels (n,) int64 for
    conditional models; category (n,) int64 and continuous (n, k) float32 for InfoGAN-style codes."""
    names = ["z"]
    if spec.n_classes is not None:
        names.append("labels")
    if spec.categorical:
        names.append("category")
    if spec.continuous:
        names.append("continuous")
    return names


class DecodePath(nn.Module):
    """model.decode without the argument checks (the graph has fixed input types instead)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.names = input_names(model.latent)

    def forward(self, *args):
        given = dict(zip(self.names, args, strict=True))
        codes = None
        if "category" in given or "continuous" in given:
            codes = {"categorical": given.get("category"), "continuous": given.get("continuous")}
        return self.model.to_unit(self.model.generate(given["z"], given.get("labels"), codes))


def example_inputs(spec, n: int = 2, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """Random inputs of every graph input, drawn from the model's priors."""
    out = {"z": spec.sample_z(n, generator)}
    if spec.n_classes is not None:
        out["labels"] = torch.randint(0, spec.n_classes, (n,), generator=generator)
    codes = spec.sample_codes(n, generator)
    if spec.categorical:
        out["category"] = codes["categorical"]
    if spec.continuous:
        out["continuous"] = codes["continuous"].float()
    return out


def export_bytes(model) -> bytes:
    """The ONNX file of `model`'s decoding path (eval mode, batch size dynamic); a model that is an ONNX graph
    already (an ONNX model folder) gives its own, so the browser runs the file the server runs."""
    own = model.onnx_decoder()
    if own is not None:
        return own
    try:
        import onnx  # an optional dependency: the [app] extra
    except ImportError:
        raise ExportError("exporting to ONNX needs the onnx package: pip install 'latent-lab[app]'") from None

    spec = model.latent
    names = input_names(spec)
    example = example_inputs(spec, 2, torch.Generator().manual_seed(0))
    was_training = model.training
    model.eval()
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            # dynamo=False: the TorchScript exporter; the dynamo one failed on the CVAE and splits weights
            # into a side file
            torch.onnx.export(
                DecodePath(model),
                tuple(example[k] for k in names),
                buf,
                input_names=names,
                output_names=[OUTPUT],
                opset_version=OPSET,
                dynamo=False,
                dynamic_axes={**{k: {0: "batch"} for k in names}, OUTPUT: {0: "batch"}},
            )
    except Exception as e:
        raise ExportError(f"cannot export {model.name}'s decoder to ONNX: {type(e).__name__}: {e}") from e
    finally:
        model.train(was_training)
    data = buf.getvalue()
    graph = onnx.load_from_string(data).graph
    got = [i.name for i in graph.input]
    # the exporter silently drops inputs the graph does not use: a label the decoder ignored would vanish
    if got != names:
        raise ExportError(
            f"{model.name}'s ONNX decoder takes inputs {got}, but its LatentSpec declares {names}: "
            "an input the decoder does not use was dropped"
        )
    return data


def cache_path(model, name: str, cache: Path | None = None) -> Path:
    """Where the ONNX file of this model's current weights lives (the name changes with the weights,
    the exporter settings, genlib's and torch's versions)."""
    key = hashlib.sha256(f"{weights_digest(model)}|{OPSET}|{__version__}|{torch.__version__}".encode()).hexdigest()
    return (Path(cache) if cache else cache_root() / "onnx") / f"{name}-{key[:20]}.onnx"


def decoder_onnx(model, name: str, cache: Path | None = None) -> Path:
    """The ONNX decoder of `model`, exported on first use and cached on disk (atomic write)."""
    path = cache_path(model, name, cache)
    if path.is_file() and path.stat().st_size > 0:
        return path
    log.info("exporting %s's decoder to %s", name, path)
    atomic_write(path, export_bytes(model))
    return path
