"""The notebook widgets (anywidget): each decodes in the notebook's browser with the model's ONNX decoder and
onnxruntime-web, through the app's own module (app/live/lab.mjs, imported there from a Blob URL), and tells
Python what the user picked only on release. Python checks everything it is given and says in one line what
to fix; the browser shows a one-line status instead of hanging when decoding or the kernel fails."""

from __future__ import annotations

import math
import numbers

import anywidget
import torch
import traitlets as tl

from .. import load
from ..explorer.encodings import SHOWN_DIRECTIONS, axes_basis, encode_test_set, project_pca, project_tsne, slider_basis
from ..explorer.latent_state import LATENT_MAX, SLIDER_LIMIT
from ..images import DIGIT_COLOURS
from ..models.base import GenerativeModel
from . import assets

SLIDER_STEP = 0.05
PROJECTIONS = ("pca", "tsne")
METHODS = ("slerp", "lerp")


def resolve_model(model) -> tuple[GenerativeModel, str]:
    """(model, its name) from a model or a shipped model's name; a KeyError names the choices."""
    if isinstance(model, str):
        loaded = load(model)  # KeyError: unknown model 'x'; choose one of [...]
        if not isinstance(loaded, GenerativeModel):
            raise ValueError(f"{model!r} is not a generative model: pass one of genlib.MODELS, e.g. 'vae'")
        return loaded, model
    if isinstance(model, GenerativeModel):
        return model, model.name
    raise TypeError(f"expected a genlib model or a model name such as 'vae', got {type(model).__name__}")


def latent_list(z, spec, model_name: str, what: str = "z") -> list[float]:
    """z as z_dim finite floats; a ValueError saying what to pass otherwise."""
    try:
        flat = torch.as_tensor(z, dtype=torch.float32).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{what} must be {spec.z_dim} numbers (a list or a tensor), got {type(z).__name__}") from None
    if flat.numel() != spec.z_dim:
        raise ValueError(
            f"{what} has {flat.numel()} numbers but {model_name}'s latent has {spec.z_dim}: "
            f"pass {spec.z_dim} numbers, e.g. model.latent.sample_z(1)[0]"
        )
    values = [float(v) for v in flat.tolist()]
    if not all(math.isfinite(v) and abs(v) <= LATENT_MAX for v in values):
        raise ValueError(f"{what} must be finite numbers within ±{LATENT_MAX:g}")
    return values


def n_categories(spec) -> int | None:
    return spec.categorical[0] if spec.categorical else None


def check_index(v, n: int | None, what: str, model_name: str) -> int | None:
    if n is None:
        if v is not None:
            raise ValueError(f"{model_name} takes no {what}: pass {what}=None")
        return None
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < n:
        raise ValueError(f"{what} must be an integer 0-{n - 1} for {model_name}, got {v!r}")
    return int(v)


class _Decoding(anywidget.AnyWidget):
    """What every widget carries: the browser code, the runtime and one model's decoder."""

    _esm = assets.module_text(assets.WIDGET_MODULE)
    _css = """
    .latent-lab { font: 13px/1.4 system-ui, sans-serif; display: flex; gap: 16px; flex-wrap: wrap; }
    .latent-lab canvas { image-rendering: pixelated; border: 1px solid #8884; }
    .latent-lab .sliders { display: grid; grid-template-columns: auto 220px 3em; gap: 2px 8px; align-items: center; }
    .latent-lab fieldset { border: 1px solid #8884; margin: 6px 0; padding: 4px 8px; }
    .latent-lab .status { flex-basis: 100%; margin: 0; min-height: 1.4em; color: #b00020; }
    .latent-lab .strip { display: flex; gap: 2px; flex-basis: 100%; }
    """
    _kind = tl.Unicode().tag(sync=True)
    _lab = tl.Unicode().tag(sync=True)  # app/live/lab.mjs, imported in the page from a Blob URL
    _ort_module = tl.Unicode().tag(sync=True)
    _ort_glue = tl.Unicode().tag(sync=True)
    _ort_wasm = tl.Bytes().tag(sync=True)
    _runtime_key = tl.Unicode().tag(sync=True)
    _decoder = tl.Bytes().tag(sync=True)
    _decoder_key = tl.Unicode().tag(sync=True)
    _inputs = tl.List(tl.Unicode()).tag(sync=True)
    model_name = tl.Unicode(read_only=True).tag(sync=True)
    # the browser's count of syncs; Python answers each, so the page can tell a kernel that no longer listens
    _sync = tl.Int(0).tag(sync=True)

    def __init__(self, model: GenerativeModel, name: str, kind: str, **traits):
        self.model, self._shown_name = model, name  # before the traits: their validators read them
        rt = assets.runtime()
        dec = assets.decoder(self.model, name)
        super().__init__(
            _kind=kind,
            _lab=assets.module_text(assets.LAB_MODULE),
            _ort_module=rt.module,
            _ort_glue=rt.glue,
            _ort_wasm=rt.wasm_gz,
            _runtime_key=rt.key,
            _decoder=dec.onnx_gz,
            _decoder_key=dec.key,
            _inputs=dec.inputs,
            **traits,
        )
        self.set_trait("model_name", name)
        self._closed = False
        self.observe(self._answer_sync, names="_sync")

    def _answer_sync(self, change) -> None:
        self.send({"synced": change["new"]})

    def close(self) -> None:
        self._closed = True
        super().close()

    def _check_open(self) -> None:
        if getattr(self, "_closed", False):
            raise RuntimeError(f"this {type(self).__name__} was closed: make a new one to go on")


class Explorer(_Decoding):
    """Latent sliders (and a label / InfoGAN code controls) over `model`, the digit redrawn in the browser on every
    move. `.z`, `.label`, `.category` and `.continuous` follow the widget on release, and setting them moves it.

    directions: "pca" puts the sliders on the principal directions of the model's test-set encodings (as the app's
    Explore page does; encoding the test set once, cached on disk) for latents larger than 12; "axes" (and a model
    without an encoder) uses the raw axes z1, z2, ... and needs no data."""

    # Any, not List: a tensor or an array is taken too; the validators below check and turn it into a list
    z = tl.Any().tag(sync=True)
    # Any, not Int: a wrong value gets the validators' one-line message rather than traitlets' type error
    label = tl.Any(None).tag(sync=True)
    category = tl.Any(None).tag(sync=True)
    continuous = tl.Any().tag(sync=True)
    _basis = tl.List(tl.Float()).tag(sync=True)  # (d × d) row-major: slider i moves z along row i
    _directions = tl.List(tl.Unicode()).tag(sync=True)
    _shown = tl.Int().tag(sync=True)
    _codes = tl.List(tl.Dict()).tag(sync=True)  # [{name, low, high}]
    _n_labels = tl.Int(None, allow_none=True).tag(sync=True)
    _n_categories = tl.Int(None, allow_none=True).tag(sync=True)
    _limit = tl.Float(SLIDER_LIMIT).tag(sync=True)
    _step = tl.Float(SLIDER_STEP).tag(sync=True)

    def __init__(self, model, z=None, label=None, category=None, continuous=None, *, seed=0, directions="pca"):
        model, name = resolve_model(model)
        spec = model.latent
        if directions not in ("pca", "axes"):
            raise ValueError(f"directions must be 'pca' or 'axes', got {directions!r}")
        if z is None:
            z = spec.sample_z(1, torch.Generator().manual_seed(int(seed)))[0]
        z = latent_list(z, spec, name)
        label = check_index(label, spec.n_classes, "label", name)
        category = check_index(category, n_categories(spec), "category", name)
        continuous = self._codes_list(continuous, spec, name)
        d = spec.z_dim
        if directions == "pca" and d > SHOWN_DIRECTIONS and model.has_encoder:
            basis = slider_basis(encode_test_set(model, name).z)
        else:  # a model without an encoder (an ONNX folder's) has no encodings to find directions in
            basis = axes_basis(d)
        super().__init__(
            model,
            name,
            "explorer",
            z=z,
            label=label,
            category=category,
            continuous=continuous,
            _basis=[round(v, 7) for v in basis.vectors.reshape(-1).tolist()],
            _directions=list(basis.names),
            _shown=min(d, SHOWN_DIRECTIONS),
            _codes=[{"name": c.name, "low": c.low, "high": c.high} for c in spec.continuous],
            _n_labels=spec.n_classes,
            _n_categories=n_categories(spec),
        )

    @staticmethod
    def _codes_list(continuous, spec, name) -> list[float]:
        if not spec.continuous:
            if continuous:
                raise ValueError(f"{name} has no continuous codes: pass continuous=None")
            return []
        if continuous is None:
            return [(c.low + c.high) / 2 for c in spec.continuous]
        values = [float(v) for v in torch.as_tensor(continuous, dtype=torch.float32).reshape(-1).tolist()]
        if len(values) != len(spec.continuous):
            raise ValueError(f"{name} has {len(spec.continuous)} continuous codes; got {len(values)} values")
        return [min(max(v, c.low), c.high) for v, c in zip(values, spec.continuous, strict=True)]

    @tl.validate("z")
    def _valid_z(self, proposal):
        self._check_open()
        return latent_list(proposal["value"], self.model.latent, self._shown_name)

    @tl.validate("label")
    def _valid_label(self, proposal):
        self._check_open()
        return check_index(proposal["value"], self.model.latent.n_classes, "label", self._shown_name)

    @tl.validate("category")
    def _valid_category(self, proposal):
        self._check_open()
        spec = self.model.latent
        return check_index(proposal["value"], n_categories(spec), "category", self._shown_name)

    @tl.validate("continuous")
    def _valid_continuous(self, proposal):
        self._check_open()
        return self._codes_list(proposal["value"], self.model.latent, self._shown_name)

    def image(self) -> torch.Tensor:
        """The digit the widget shows, decoded in Python: (1, 28, 28) in [0, 1]."""
        spec = self.model.latent
        labels = torch.tensor([self.label]) if spec.n_classes is not None else None
        codes = None
        if spec.has_codes:
            codes = {
                "categorical": torch.tensor([self.category or 0]),
                "continuous": torch.tensor([self.continuous], dtype=torch.float32).reshape(1, -1),
            }
        with torch.no_grad():
            return self.model.decode(torch.tensor([self.z]), labels, codes)[0]


class LatentMap(_Decoding):
    """The test digits' encodings projected to 2-D ("pca", or "tsne": the map shipped beside the checkpoint, else
    computed once and cached), coloured by digit; hovering a point decodes its latent in the browser, clicking it
    sets `.selected` (the test digit's index) and `.selected_z`."""

    selected = tl.Any(None).tag(sync=True)  # Any: checked by _valid_selected, in one line
    _xy = tl.Bytes().tag(sync=True)  # float32 (n, 2)
    _z = tl.Bytes().tag(sync=True)  # float32 (n, d): what a hover decodes
    _labels = tl.Bytes().tag(sync=True)  # uint8 (n,)
    _categories = tl.Bytes().tag(sync=True)  # uint8 (n,) or empty
    _continuous = tl.Bytes().tag(sync=True)  # float32 (n, k) or empty
    _index = tl.Bytes().tag(sync=True)  # int32 (n,): each point's test-set index
    _palette = tl.List(tl.Unicode()).tag(sync=True)  # one colour per digit, the app's

    def __init__(self, model, projection: str = "pca", n: int | None = 2000):
        model, name = resolve_model(model)
        if projection not in PROJECTIONS:
            raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
        enc = encode_test_set(model, name)
        if projection == "pca":
            xy = project_pca(enc).xy
        else:
            from ..explorer.encodings import shipped_tsne
            from ..paths import checkpoints_dir

            xy = project_tsne(enc, shipped=shipped_tsne(checkpoints_dir() / name)).xy
        total = len(enc.z)
        if n is not None and not (isinstance(n, int) and 1 <= n):
            raise ValueError(f"n must be a positive number of digits (or None for all {total}), got {n!r}")
        # an even spread over the test set, not its first n digits
        index = torch.arange(total) if n is None or n >= total else torch.linspace(0, total - 1, n).long()
        self.encodings = enc

        def f32(x):
            return x.float().contiguous().numpy().astype("<f4").tobytes()

        codes = enc.codes or {}
        super().__init__(
            model,
            name,
            "map",
            _xy=f32(xy[index]),
            _z=f32(enc.z[index]),
            _labels=enc.labels[index].to(torch.uint8).numpy().tobytes(),
            _categories=codes["categorical"][index].to(torch.uint8).numpy().tobytes() if codes else b"",
            _continuous=f32(codes["continuous"][index]) if codes else b"",
            _index=index.to(torch.int32).numpy().astype("<i4").tobytes(),
            _palette=DIGIT_COLOURS,
        )

    @tl.validate("selected")
    def _valid_selected(self, proposal):
        self._check_open()
        v = proposal["value"]
        n = len(self.encodings.z)
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < n):
            raise ValueError(f"selected must be a test digit's index 0-{n - 1}, or None; got {v!r}")
        return None if v is None else int(v)

    @property
    def selected_z(self) -> torch.Tensor | None:
        """The selected test digit's encoding (z_dim,), or None before a click."""
        return None if self.selected is None else self.encodings.z[self.selected].clone()


class Interpolation(_Decoding):
    """The path from latent `a` to latent `b` (slerp, or lerp), as a strip of `steps` digits and a scrub that
    redraws the digit at any point t in [0, 1] in the browser; `.t` follows the scrub on release."""

    t = tl.Any(0.5).tag(sync=True)  # Any: checked by _valid_t, in one line
    _a = tl.List(tl.Float()).tag(sync=True)
    _b = tl.List(tl.Float()).tag(sync=True)
    _method = tl.Unicode("slerp").tag(sync=True)
    _steps = tl.Int(8).tag(sync=True)
    _cond = tl.Dict().tag(sync=True)  # {label, category, continuous} for every point of the path

    def __init__(self, model, a, b, *, steps: int = 8, method: str = "slerp", label=None, category=None):
        model, name = resolve_model(model)
        spec = model.latent
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not (isinstance(steps, int) and 2 <= steps <= 32):
            raise ValueError(f"steps must be an integer 2-32, got {steps!r}")
        cond = {
            "label": check_index(label, spec.n_classes, "label", name),
            "category": check_index(category, n_categories(spec), "category", name),
            "continuous": [(c.low + c.high) / 2 for c in spec.continuous],
        }
        super().__init__(
            model,
            name,
            "interpolation",
            _a=latent_list(a, spec, name, "a"),
            _b=latent_list(b, spec, name, "b"),
            _method=method,
            _steps=steps,
            _cond=cond,
        )

    @tl.validate("t")
    def _valid_t(self, proposal):
        self._check_open()
        v = proposal["value"]
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0.0 <= v <= 1.0:
            raise ValueError(f"t must be a number in [0, 1], got {v!r}")
        return float(v)
