"""A model from any framework: a folder holding decoder.onnx, optionally encoder.onnx, and model.json, which
declares what the graphs cannot say (docs/design.md, "ONNX model folders"). The graphs run with onnxruntime;
nothing else in the folder is executed and nothing is unpickled. Everything is checked at load, including a
small batch through each graph, so a model that loads decodes; each refusal is one line naming the fix."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import CheckpointError
from ..latent import ContinuousCode, LatentSpec
from .base import RANGE_SLACK, GenerativeModel, check_images

MANIFEST, DECODER, ENCODER = "model.json", "decoder.onnx", "encoder.onnx"
FILES = (MANIFEST, DECODER, ENCODER)
MAX_BYTES = 100 * 2**20  # per graph: MNIST decoders are a few MB; this keeps a stray upload from filling memory
MAX_MANIFEST_BYTES = 64 * 2**10
STANDARD_DOMAINS = ("", "ai.onnx")  # a custom operator needs code of its own, which is never loaded here
KEYS = ("title", "z_dim", "prior", "n_classes", "codes", "output")
# the declared output range -> (low, high) its values must lie in
RANGES = {"probability": (0.0, 1.0), "tanh": (-1.0, 1.0), "logits": (-math.inf, math.inf)}
BROWSER_OUTPUT = "image"  # the output the browser reads (genlib.export.OUTPUT, app/live/lab.mjs)
CHECK_BATCH = 5  # decoded (and encoded) at load; not 1 or 2, so a graph fixed to a small batch shows itself
FLOAT, INT64 = 1, 7  # onnx.TensorProto element types
TYPE_NAMES = {FLOAT: "float32", INT64: "int64"}
EXPORT_HINT = "docs/design.md, 'ONNX model folders'"


def is_folder(path: Path | str) -> bool:
    """Whether `path` is an ONNX model folder (it has a model.json) rather than a genlib checkpoint."""
    return (Path(path) / MANIFEST).is_file()


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


# ---------------------------------------------------------------- model.json
def _whole(v, least: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= least


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_manifest(folder: Path) -> tuple[str, LatentSpec, str]:
    """(title, latent, output range) from folder/model.json, every key checked."""
    path = folder / MANIFEST
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise CheckpointError(
            f"{path} is over {MAX_MANIFEST_BYTES >> 10} KB; it should hold a few keys ({EXPORT_HINT})"
        )
    try:
        d = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise CheckpointError(
            f"{path} is not valid JSON ({first_line(e)}); fix it ({EXPORT_HINT} has an example)"
        ) from None
    if not isinstance(d, dict):
        raise CheckpointError(f"{path} holds a JSON {type(d).__name__}; expected an object with keys {list(KEYS)}")
    unknown = sorted(set(d) - set(KEYS))
    if unknown:
        raise CheckpointError(f"{path} has unknown keys {unknown}: the keys are {list(KEYS)} (a typo?)")

    def bad(key, want):
        return CheckpointError(f"{path}: {key!r} must be {want}, not {d.get(key)!r}")

    title = d.get("title", folder.name)
    if not isinstance(title, str) or not title.strip():
        raise bad("title", "a non-empty string")
    if not _whole(d.get("z_dim"), 1):
        raise bad("z_dim", "a whole number >= 1, the size of the decoder's input 'z'")
    if d.get("prior", "normal") != "normal":
        raise bad("prior", "'normal' (z drawn from N(0, I)), the only prior supported")
    n_classes = d.get("n_classes")
    if n_classes is not None and not _whole(n_classes, 2):
        raise bad("n_classes", "null, or the number of labels (>= 2) the decoder's input 'labels' takes")
    if d.get("output") not in RANGES:
        raise bad("output", "'probability' (values in [0, 1]), 'tanh' ([-1, 1]) or 'logits'")
    categorical, continuous = _codes(path, d.get("codes"))
    return title.strip(), LatentSpec(d["z_dim"], n_classes, categorical, continuous), d["output"]


def _codes(path: Path, codes) -> tuple[tuple[int, ...], tuple[ContinuousCode, ...]]:
    form = 'codes = {"categorical": [SIZE], "continuous": [{"name": ..., "low": ..., "high": ...}, ...]}'
    if codes is None:
        return (), ()
    if not isinstance(codes, dict) or set(codes) != {"categorical", "continuous"}:
        raise CheckpointError(f"{path}: 'codes' must be {form}, or be left out")
    cat, cont = codes["categorical"], codes["continuous"]
    # the pages and the browser take one categorical code and one or more continuous ones (InfoGAN's form)
    if not (isinstance(cat, list) and len(cat) == 1 and _whole(cat[0], 2)):
        raise CheckpointError(f"{path}: codes 'categorical' must be one size >= 2 in a list, e.g. [10], not {cat!r}")
    if not isinstance(cont, list) or not cont:
        raise CheckpointError(f"{path}: codes 'continuous' must be a non-empty list: {form}")
    out = []
    for c in cont:
        ok = isinstance(c, dict) and set(c) == {"name", "low", "high"} and isinstance(c["name"], str)
        if not (ok and c["name"] and _number(c["low"]) and _number(c["high"]) and c["low"] < c["high"]):
            raise CheckpointError(
                f"{path}: continuous code {c!r} must be {{'name': TEXT, 'low': NUMBER, 'high': a larger NUMBER}}"
            )
        out.append(ContinuousCode(c["name"], float(c["low"]), float(c["high"])))
    return (cat[0],), tuple(out)


# ---------------------------------------------------------------- the graphs, statically
def read_graph(path: Path, role: str):
    """(bytes, ModelProto) of an ONNX file, refused when too large, not ONNX, holding external data or
    custom operators, or invalid. Parsing a protobuf runs nothing."""
    import onnx

    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CheckpointError(
            f"{path} is {size / 2**20:.0f} MB, over the {MAX_BYTES >> 20} MB limit: export a smaller {role}"
        )
    data = path.read_bytes()
    try:
        proto = onnx.load_from_string(data)
    except Exception as e:  # protobuf's DecodeError, or anything else a malformed file provokes
        raise CheckpointError(f"{path} is not an ONNX file ({first_line(e)}); export the {role} to ONNX") from None
    if proto.ir_version <= 0 or not proto.graph.output:  # a few stray bytes can parse as an empty message
        raise CheckpointError(f"{path} is not an ONNX file (no graph in it); export the {role} to ONNX")
    external = [t.name for t in _initializers(proto.graph) if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise CheckpointError(
            f"{path} keeps weights in external data files ({external[:3]}); save them inside the file "
            "(onnx.save_model(m, path, save_as_external_data=False))"
        )
    custom = sorted({n.domain or "" for n in _nodes(proto.graph)} - set(STANDARD_DOMAINS))
    if custom or proto.functions:
        found = custom or sorted({f.domain for f in proto.functions})
        raise CheckpointError(
            f"{path} uses operators outside the standard ONNX set (domains {found}); export the {role} "
            "with standard operators only"
        )
    try:
        onnx.checker.check_model(proto)
    except Exception as e:
        raise CheckpointError(f"{path} is not a valid ONNX graph ({first_line(e)}); re-export the {role}") from None
    return data, proto


def _subgraphs(graph):
    for node in graph.node:
        for a in node.attribute:
            yield from ([a.g] if a.HasField("g") else [])
            yield from a.graphs


def _nodes(graph):
    yield from graph.node
    for g in _subgraphs(graph):
        yield from _nodes(g)


def _initializers(graph):
    yield from graph.initializer
    yield from (s.values for s in graph.sparse_initializer)
    for g in _subgraphs(graph):
        yield from _initializers(g)


def _signature(values) -> dict[str, tuple[int, list | None]]:
    """name -> (element type, dims or None when the rank is unknown); a dim is an int, a name, or None."""
    out = {}
    for v in values:
        t = v.type.tensor_type
        dims = None
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]
        out[v.name] = (t.elem_type, dims)
    return out


def graph_inputs(proto) -> dict:
    """The inputs a caller feeds (older exporters also list the initializers as inputs)."""
    weights = {t.name for t in proto.graph.initializer}
    return _signature(v for v in proto.graph.input if v.name not in weights)


def _check_tensor(path: Path, kind: str, name: str, got, elem: int, rank: int, fixed: dict[int, int]) -> None:
    """One input or output: its element type, rank, a free batch (dim 0) and the sizes `fixed` names."""
    sizes = ", ".join(["N", *(str(fixed.get(axis, "?")) for axis in range(1, rank))])
    want = f"{TYPE_NAMES[elem]} ({sizes}{',' if rank == 1 else ''}), N free"
    elem_got, dims = got
    if elem_got != elem or (dims is not None and len(dims) != rank):
        shown = "unknown rank" if dims is None else f"rank {len(dims)}"
        raise CheckpointError(
            f"{path}'s {kind} {name!r} is {TYPE_NAMES.get(elem_got, f'type {elem_got}')} of {shown}; expected {want}"
        )
    if dims is None:
        return
    if isinstance(dims[0], int):
        raise CheckpointError(
            f"{path} has a fixed batch size {dims[0]} on {kind} {name!r}: export it with a free batch "
            f"(torch.onnx.export(..., dynamic_axes={{'{name}': {{0: 'batch'}}}}))"
        )
    for axis, size in fixed.items():
        if isinstance(dims[axis], int) and dims[axis] != size:
            raise CheckpointError(f"{path}'s {kind} {name!r} has shape {dims}; {MANIFEST} implies {want}")


def check_decoder_graph(path: Path, proto, spec: LatentSpec) -> str:
    """The decoder's inputs against model.json; returns the name of its one output."""
    from ..export import input_names

    got = graph_inputs(proto)
    wanted = input_names(spec)
    declared = {
        "labels": ("n_classes", "n_classes to the number of labels"),
        "category": ("codes", "codes (docs/design.md)"),
        "continuous": ("codes", "codes (docs/design.md)"),
    }
    for name, (key, fix) in declared.items():
        if name in wanted and name not in got:
            raise CheckpointError(
                f"{MANIFEST} declares {key} but {path} has no {name!r} input: remove {key} from {MANIFEST}, "
                f"or export the decoder with an input named {name!r}"
            )
        if name in got and name not in wanted:
            raise CheckpointError(f"{path} takes {name!r} but {MANIFEST} declares no {key}: set {fix}")
    if set(got) != set(wanted):
        raise CheckpointError(
            f"{path} has inputs {sorted(got)}; name them {wanted} (torch.onnx.export(..., input_names={wanted}))"
        )
    z = got["z"]
    if z[1] is not None and len(z[1]) == 2 and isinstance(z[1][1], int) and z[1][1] != spec.z_dim:
        raise CheckpointError(
            f"{MANIFEST} says z_dim {spec.z_dim} but {path}'s input 'z' has {z[1][1]} columns: make them agree"
        )
    _check_tensor(path, "input", "z", z, FLOAT, 2, {1: spec.z_dim})
    for name in ("labels", "category"):
        if name in got:
            _check_tensor(path, "input", name, got[name], INT64, 1, {})
    if "continuous" in got:
        _check_tensor(path, "input", "continuous", got["continuous"], FLOAT, 2, {1: len(spec.continuous)})
    outputs = _signature(proto.graph.output)
    if len(outputs) != 1:
        raise CheckpointError(f"{path} has outputs {list(outputs)}; a decoder has one, the images (N, 1, 28, 28)")
    ((name, sig),) = outputs.items()
    _check_tensor(path, "output", name, sig, FLOAT, 4, {1: 1, 2: 28, 3: 28})
    return name


def check_encoder_graph(path: Path, proto, spec: LatentSpec) -> tuple[bool, list[str]]:
    """The encoder's inputs and outputs; returns (whether it takes labels, the outputs to read: z, and the
    codes for a model with codes)."""
    got = graph_inputs(proto)
    allowed = ["image"] + (["labels"] if spec.n_classes is not None else [])
    if "image" not in got or not set(got) <= set(allowed):
        raise CheckpointError(
            f"{path} has inputs {sorted(got)}; an encoder takes 'image' (N, 1, 28, 28) in [0, 1]"
            + (" and optionally 'labels'" if spec.n_classes is not None else "")
        )
    _check_tensor(path, "input", "image", got["image"], FLOAT, 4, {1: 1, 2: 28, 3: 28})
    if "labels" in got:
        _check_tensor(path, "input", "labels", got["labels"], INT64, 1, {})
    outputs = _signature(proto.graph.output)
    z = "z" if "z" in outputs else next(iter(outputs)) if len(outputs) == 1 else None
    if z is None:
        raise CheckpointError(f"{path} has outputs {list(outputs)}; name the latent output 'z'")
    _check_tensor(path, "output", z, outputs[z], FLOAT, 2, {1: spec.z_dim})
    reads = [z]
    if spec.has_codes:
        for name, elem, rank in (("category", INT64, 1), ("continuous", FLOAT, 2)):
            if name not in outputs:
                raise CheckpointError(
                    f"{path} has no output {name!r}: an encoder of a model with codes also returns the codes"
                )
            _check_tensor(
                path, "output", name, outputs[name], elem, rank, {1: len(spec.continuous)} if rank == 2 else {}
            )
            reads.append(name)
    return "labels" in got, reads


# ---------------------------------------------------------------- running them
class Runtime:
    """The onnxruntime sessions and the graphs they were made from. Sessions are immutable and safe to share
    between threads, so a copy of the model (copy.deepcopy) shares them."""

    def __init__(self, path: Path, data: bytes, proto, outputs: list[str]):
        import onnxruntime as ort

        self.path, self.data, self.proto, self.outputs = path, data, proto, outputs
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # onnxruntime's warnings are not the user's problem; failures are raised
        # as many threads as torch has: the app sets torch to one so a class's requests do not fight for cores
        opts.intra_op_num_threads = max(1, torch.get_num_threads())
        try:
            self.session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise CheckpointError(f"onnxruntime cannot load {path} ({first_line(e)}); re-export it") from None

    def __deepcopy__(self, memo):
        return self

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(self.outputs, feeds)

    def n_weights(self) -> int:
        return sum(int(np.prod(t.dims)) for t in _initializers(self.proto.graph))


def _checked_run(rt: Runtime, feeds: dict, role: str) -> list[np.ndarray]:
    try:
        return rt.run(feeds)
    except Exception as e:
        n = len(next(iter(feeds.values())))
        raise CheckpointError(f"{rt.path} fails on a batch of {n} ({first_line(e)}); re-export the {role}") from None


def check_decoded(path: Path, out: np.ndarray, n: int, output: str) -> None:
    """A decoder's output for n inputs from the priors: shape, finite values, the declared range."""
    if out.shape != (n, 1, 28, 28):
        raise CheckpointError(
            f"{path} returns shape {out.shape} for a batch of {n}; expected ({n}, 1, 28, 28): reshape inside "
            "the model before exporting, and export with a free batch"
        )
    if not np.isfinite(out).all():
        raise CheckpointError(f"{path} returns NaN or infinite values for latents from the prior; fix the model")
    low, high = RANGES[output]
    if out.min() < low - RANGE_SLACK or out.max() > high + RANGE_SLACK:
        raise CheckpointError(
            f"{path} returns values in {out.min():.3g}..{out.max():.3g}, outside [{low:g}, {high:g}] of the output "
            f"{output!r} {MANIFEST} declares: declare 'logits' or 'tanh', or end the model with a sigmoid"
        )


# ---------------------------------------------------------------- the model
class OnnxModel(GenerativeModel):
    """A model trained elsewhere, loaded from a folder of ONNX graphs (docs/design.md, "ONNX model folders").
    It decodes and samples; it encodes only when the folder has an encoder. It is not trainable here."""

    name = "onnx"  # the folder's name replaces it per instance: the name pages and messages show
    trainer = ""  # trained elsewhere: no genlib trainer fits it
    has_encoder = False  # set per instance from the folder

    @dataclass(frozen=True)
    class Config:
        folder: str = ""

    def __init__(self, config=None):
        super().__init__(config)
        folder = Path(self.config.folder)
        if not self.config.folder or not is_folder(folder):
            raise CheckpointError(f"{folder} has no {MANIFEST}: an ONNX model folder needs one ({EXPORT_HINT})")
        if not (folder / DECODER).is_file():
            raise CheckpointError(f"{folder / DECODER} is missing: an ONNX model folder needs its decoder")
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            raise CheckpointError(
                "ONNX model folders need onnx and onnxruntime: pip install 'latent-lab[app]'"
            ) from None
        self.name = folder.resolve().name
        self.title, self._latent, self.output = read_manifest(folder)
        data, proto = read_graph(folder / DECODER, "decoder")
        out = check_decoder_graph(folder / DECODER, proto, self._latent)
        self.decoder = Runtime(folder / DECODER, data, proto, [out])
        self.encoder, self.encoder_takes_labels = None, False
        if (folder / ENCODER).is_file():
            data, proto = read_graph(folder / ENCODER, "encoder")
            self.encoder_takes_labels, reads = check_encoder_graph(folder / ENCODER, proto, self._latent)
            self.encoder = Runtime(folder / ENCODER, data, proto, reads)
        self.has_encoder = self.encoder is not None
        digest = hashlib.sha256((folder / MANIFEST).read_bytes())
        for rt in (self.decoder, self.encoder):
            digest.update(rt.data if rt else b"")
        # a buffer, so weights_digest (the key of the encodings and exported-decoder caches) covers the files
        self.register_buffer("files_sha256", torch.frombuffer(bytearray(digest.digest()), dtype=torch.uint8))
        self._browser: bytes | None = None
        self._check_at_load()

    @classmethod
    def from_folder(cls, folder: Path | str) -> OnnxModel:
        return cls(cls.Config(str(folder)))

    @property
    def latent(self) -> LatentSpec:
        return self._latent

    def _check_at_load(self) -> None:
        from ..export import example_inputs

        inputs = example_inputs(self.latent, CHECK_BATCH, torch.Generator().manual_seed(0))
        (out,) = _checked_run(self.decoder, {k: v.numpy() for k, v in inputs.items()}, "decoder")
        check_decoded(self.decoder.path, out, CHECK_BATCH, self.output)
        if self.encoder is not None:
            x = self.to_unit(torch.from_numpy(out))
            labels = inputs.get("labels") if self.encoder_takes_labels else None
            got = _checked_run(self.encoder, self._encoder_feeds(x, labels), "encoder")
            self._check_encoded(got, CHECK_BATCH)

    def _check_encoded(self, got: list[np.ndarray], n: int) -> None:
        path, spec = self.encoder.path, self.latent
        wanted = [(n, spec.z_dim), (n,), (n, len(spec.continuous))][: len(got)]
        for name, value, shape in zip(self.encoder.outputs, got, wanted, strict=True):
            if value.shape != shape:
                why = f" ({MANIFEST} says z_dim {spec.z_dim})" if name == self.encoder.outputs[0] else ""
                raise CheckpointError(
                    f"{path}'s output {name!r} has shape {value.shape} for {n} images; expected {shape}{why}"
                )
        if not np.isfinite(got[0]).all():
            raise CheckpointError(f"{path} returns NaN or infinite latents for decoded images; fix the model")
        if spec.has_codes and (got[1].min() < 0 or got[1].max() >= spec.categorical[0]):
            raise CheckpointError(f"{path}'s output 'category' is outside 0..{spec.categorical[0] - 1}")

    # -- decoding
    def check_codes(self, codes, n: int):
        spec = self.latent
        if not spec.has_codes:
            return super().check_codes(codes, n)
        k = len(spec.continuous)
        form = f'codes = {{"categorical": LongTensor ({n},) of 0..{spec.categorical[0] - 1}, "continuous": ({n}, {k})}}'
        if not isinstance(codes, Mapping) or set(codes) != {"categorical", "continuous"}:
            raise ValueError(f"{self.name} needs codes: {form}")
        cat, cont = torch.as_tensor(codes["categorical"]), torch.as_tensor(codes["continuous"])
        if cat.is_floating_point() or cat.is_complex() or cat.dtype == torch.bool:
            raise ValueError(f"codes['categorical'] is {cat.dtype}; expected integers: {form}")
        cat, cont = cat.long().reshape(-1), cont.float()
        cat = cat.expand(n) if cat.numel() == 1 else cat
        cont = cont.reshape(1, k).expand(n, -1) if cont.numel() == k and n != 1 else cont
        if cat.shape != (n,) or cont.shape != (n, k):
            raise ValueError(f"codes have shapes {tuple(cat.shape)} and {tuple(cont.shape)}; expected {form}")
        if n and (cat.min() < 0 or cat.max() >= spec.categorical[0]):
            raise ValueError(f"categorical code must be in 0..{spec.categorical[0] - 1}")
        if not torch.isfinite(cont).all():
            raise ValueError("continuous codes contain NaN or infinite values")
        return {"categorical": cat, "continuous": cont}

    def generate(self, z: torch.Tensor, labels=None, codes=None) -> torch.Tensor:
        """The decoder's raw output (see `output`), computed by onnxruntime: not differentiable."""
        if len(z) == 0:
            return torch.empty(0, 1, 28, 28)
        feeds = {"z": z.detach().cpu().float().numpy()}
        if labels is not None:
            feeds["labels"] = labels.cpu().long().numpy()
        if codes is not None:
            feeds["category"] = codes["categorical"].cpu().long().numpy()
            feeds["continuous"] = codes["continuous"].detach().cpu().float().numpy()
        return torch.from_numpy(self.decoder.run(feeds)[0])

    def to_unit(self, out: torch.Tensor) -> torch.Tensor:
        if self.output == "probability":
            return out.clamp(0, 1).view(-1, 1, 28, 28)
        return super().to_unit(out)

    # -- encoding
    def _require_encoder(self) -> None:
        if self.encoder is None:
            raise ValueError(
                f"{self.name} has no encoder: add {ENCODER} (image (N, 1, 28, 28) in [0, 1] -> z) to its folder "
                "to encode images"
            )

    def _encoder_feeds(self, x: torch.Tensor, labels) -> dict[str, np.ndarray]:
        feeds = {"image": x.float().numpy()}
        if self.encoder_takes_labels:
            feeds["labels"] = labels.long().numpy()
        return feeds

    def _run_encoder(self, x, labels) -> list[torch.Tensor]:
        self._require_encoder()
        x = check_images(x)
        labels = self.latent.check_labels(labels, len(x))
        if len(x) == 0:
            k = len(self.latent.continuous)
            return [torch.empty(0, self.latent.z_dim), torch.empty(0, dtype=torch.long), torch.empty(0, k)]
        return [torch.from_numpy(v) for v in self.encoder.run(self._encoder_feeds(x, labels))]

    @torch.no_grad()
    def encode(self, x, labels=None) -> torch.Tensor:
        """Images (n, 1, 28, 28) in [0, 1] -> (n, z_dim) by encoder.onnx; a ValueError when there is none."""
        return self._run_encoder(x, labels)[0]

    @torch.no_grad()
    def codes_for(self, x, labels=None) -> dict:
        """The codes encoder.onnx returns beside z, to decode an encoding with (a model with codes only)."""
        if not self.latent.has_codes:
            raise ValueError(f"{self.name} has no latent codes")
        out = self._run_encoder(x, labels)
        return {"categorical": out[1].long(), "continuous": out[2].float()}

    # -- what it is
    def n_params(self) -> int:
        """The number of weights in its graphs (it has no torch parameters)."""
        return sum(rt.n_weights() for rt in (self.decoder, self.encoder) if rt is not None)

    def onnx_decoder(self) -> bytes:
        """The decoder the browser runs: decoder.onnx as it is when its output is a probability named 'image',
        else that graph with the server's mapping to [0, 1] appended (docs/design.md, "One file for both")."""
        if self._browser is None:
            self._browser = browser_graph(self.decoder.data, self.decoder.proto, self.output)
        return self._browser


def browser_graph(data: bytes, proto, output: str) -> bytes:
    """`proto` with its output mapped to [0, 1] as `to_unit` maps it, and named BROWSER_OUTPUT."""
    from onnx import TensorProto, helper

    graph = proto.graph
    out = graph.output[0]
    if output == "probability" and out.name == BROWSER_OUTPUT:
        return data
    used = {name for node in graph.node for name in (*node.input, *node.output)} | {i.name for i in graph.input}
    if BROWSER_OUTPUT in used and out.name != BROWSER_OUTPUT:
        raise CheckpointError(
            f"{DECODER} has an inner value named {BROWSER_OUTPUT!r}: name the decoder's output {BROWSER_OUTPUT!r} or "
            "rename that value"
        )
    m = type(proto)()
    m.CopyFrom(proto)
    g = m.graph
    raw = g.output[0].name
    if raw == BROWSER_OUTPUT:  # the mapping's result takes the name; the raw value gets another
        raw = "latent_lab_raw_image"
        for node in g.node:
            node.output[:] = [raw if o == BROWSER_OUTPUT else o for o in node.output]
    if output == "logits":
        steps = [helper.make_node("Sigmoid", [raw], [BROWSER_OUTPUT])]
    elif output == "tanh":  # (x + 1) / 2, clamped as to_unit clamps; Max/Min work in every opset
        steps = [
            helper.make_node("Add", [raw, "latent_lab_one"], ["latent_lab_shifted"]),
            helper.make_node("Mul", ["latent_lab_shifted", "latent_lab_half"], ["latent_lab_unit"]),
            helper.make_node("Max", ["latent_lab_unit", "latent_lab_zero"], ["latent_lab_above"]),
            helper.make_node("Min", ["latent_lab_above", "latent_lab_one"], [BROWSER_OUTPUT]),
        ]
    else:  # a probability under another name: clamped as to_unit clamps it
        steps = [
            helper.make_node("Max", [raw, "latent_lab_zero"], ["latent_lab_above"]),
            helper.make_node("Min", ["latent_lab_above", "latent_lab_one"], [BROWSER_OUTPUT]),
        ]
    scalars = {"latent_lab_half": 0.5, "latent_lab_one": 1.0, "latent_lab_zero": 0.0}
    needed = {name for step in steps for name in step.input} & set(scalars)
    g.initializer.extend(helper.make_tensor(k, TensorProto.FLOAT, [], [scalars[k]]) for k in sorted(needed))
    g.node.extend(steps)
    g.output[0].name = BROWSER_OUTPUT
    return m.SerializeToString()
