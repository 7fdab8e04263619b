"""The explorer's state and the pure functions behind the app's pages (no Streamlit here):
a latent point with its label/codes, URL query parameters, latent JSON, arithmetic operands,
interpolation paths, the typical-set check and plotly selection parsing.

Everything is generic over `LatentSpec`: no function looks at a model's name."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from ..checkpoint import CONFIG, WEIGHTS
from ..latent import LatentSpec, class_means, lerp, slerp
from ..models import MODELS

SLIDER_LIMIT = 4.0  # latent sliders span ±4 prior standard deviations
LATENT_DECIMALS = 3  # precision of latents in URLs and JSON
LATENT_MAX = 1e3  # |z_i| above this (1,000 prior σ) is refused from URLs and files: 1e300 overflows float32


@dataclass(frozen=True)
class LatentState:
    """One point the app shows: z plus whatever condition the model takes (tuples keep it hashable)."""

    z: tuple[float, ...]
    label: int | None = None  # for models with spec.n_classes
    category: int | None = None  # InfoGAN categorical code
    continuous: tuple[float, ...] = field(default=())  # InfoGAN continuous codes
    seed: int | None = None  # the seed z was drawn with, if it was

    def z_tensor(self) -> torch.Tensor:
        return torch.tensor(self.z, dtype=torch.float32)


def _conditions(spec: LatentSpec, generator: torch.Generator | None, keep: LatentState | None):
    """label/category/continuous for spec: kept from `keep` when it has them, else drawn (or centred)."""
    label = category = None
    continuous: tuple[float, ...] = ()
    if spec.n_classes is not None:
        if keep is not None and keep.label is not None and 0 <= keep.label < spec.n_classes:
            label = keep.label
        else:
            label = int(torch.randint(0, spec.n_classes, (1,), generator=generator)) if generator else 0
    if spec.categorical:
        if keep is not None and keep.category is not None and 0 <= keep.category < spec.categorical[0]:
            category = keep.category
        else:
            category = int(torch.randint(0, spec.categorical[0], (1,), generator=generator)) if generator else 0
    if spec.continuous:
        if keep is not None and len(keep.continuous) == len(spec.continuous):
            continuous = keep.continuous
        else:
            continuous = tuple((c.low + c.high) / 2 for c in spec.continuous)
    return label, category, continuous


def random_state(spec: LatentSpec, seed: int, keep: LatentState | None = None) -> LatentState:
    """z ~ prior from `seed`; the condition is kept from `keep` when given, else drawn from the same seed."""
    g = torch.Generator().manual_seed(int(seed))
    z = spec.sample_z(1, g)[0]
    label, category, continuous = _conditions(spec, g, keep)
    return LatentState(tuple(z.tolist()), label, category, continuous, int(seed))


def prior_mean_state(spec: LatentSpec, keep: LatentState | None = None) -> LatentState:
    """z = 0 (the prior's mean) and centred continuous codes; label and category are kept."""
    label, category, _ = _conditions(spec, None, keep)
    continuous = tuple((c.low + c.high) / 2 for c in spec.continuous)
    return LatentState((0.0,) * spec.z_dim, label, category, continuous)


def with_z(state: LatentState, z) -> LatentState:
    """The same condition at another z (no longer drawn from a seed)."""
    return replace(state, z=tuple(float(v) for v in torch.as_tensor(z).reshape(-1).tolist()), seed=None)


def adapt(state: LatentState, spec: LatentSpec) -> LatentState | None:
    """`state` for a model with `spec` (the "same z through all models" view): None when z_dim
    differs; a missing label/code is filled with the first label / centred codes."""
    if len(state.z) != spec.z_dim:
        return None
    label, category, continuous = _conditions(spec, None, state)
    return LatentState(state.z, label, category, continuous, state.seed)


def test_digit_state(enc, i: int, state: LatentState, spec: LatentSpec) -> LatentState:
    """Test digit i's encoding as a state to decode: its z, its label for a label-conditioned model, and the
    codes its z was refined for (enc.codes) for a model with codes; otherwise `state`'s condition."""
    point = with_z(adapt(state, spec), enc.z[i])
    if spec.n_classes is not None:
        point = replace(point, label=int(enc.labels[i]))
    if enc.codes is not None:
        cont = tuple(float(v) for v in enc.codes["continuous"][i].tolist())
        point = replace(point, category=int(enc.codes["categorical"][i]), continuous=cont)
    return point


def model_inputs(spec: LatentSpec, states: list[LatentState]) -> tuple[torch.Tensor, torch.Tensor | None, dict | None]:
    """(z, labels, codes) for decode(), for a batch of states of one model."""
    z = torch.tensor([s.z for s in states], dtype=torch.float32).reshape(len(states), spec.z_dim)
    labels = torch.tensor([s.label for s in states], dtype=torch.long) if spec.n_classes is not None else None
    codes = None
    if spec.has_codes:
        codes = {
            "categorical": torch.tensor([s.category or 0 for s in states], dtype=torch.long),
            "continuous": torch.tensor([s.continuous for s in states], dtype=torch.float32).reshape(len(states), -1),
        }
    return z, labels, codes


def decode_states(model, states: list[LatentState]) -> torch.Tensor:
    """(n,1,28,28) images of the states through `model`."""
    return model.decode(*model_inputs(model.latent, states))


# ---------------------------------------------------------------- URL query parameters
@dataclass
class QueryResult:
    model: str
    state: LatentState | None  # None: nothing usable in the URL for the latent, use the default
    notices: list[str]


def shown(value, limit: int = 40) -> str:
    """A user-supplied value (URL parameter, file name, file content) made safe to echo in a message
    the app renders as Markdown: cut to `limit` characters, repr-quoted, and every Markdown / LaTeX
    metacharacter backslash-escaped, so a shared link cannot put a link or an external image into
    another student's page."""
    text = repr(str(value)) if len(str(value)) <= limit else repr(str(value)[:limit]) + "…"
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$&:])", r"\\\1", text)


def _last(v):
    return v[-1] if isinstance(v, (list, tuple)) else v


def _parse_floats(text: str, n: int | None = None) -> tuple[float, ...]:
    vals = tuple(float(t) for t in text.split(","))
    if not all(math.isfinite(v) and abs(v) <= LATENT_MAX for v in vals):
        raise ValueError("not finite")
    if n is not None and len(vals) != n:
        raise ValueError(f"{len(vals)} values, expected {n}")
    return vals


def parse_query(params, specs: dict[str, LatentSpec], default_model: str) -> QueryResult:
    """Read model, seed, label, latent (comma-separated z) and codes (category,c1,c2) from URL
    parameters. `specs` holds the models that can be loaded. Every bad or stale value is dropped
    with a notice saying what was wrong; nothing raises."""
    p = {k: _last(v) for k, v in dict(params).items() if v != [] and v != ()}  # an empty list: absent
    notices: list[str] = []
    model = p.get("model", default_model)
    if model not in specs:
        why = "has no trained checkpoint here" if model in MODELS else "is not a model"
        notices.append(f"URL model {shown(model)} {why}; showing {default_model!r} instead.")
        model = default_model
    spec = specs[model]
    seed = None
    if "seed" in p:
        try:
            seed = int(p["seed"])
            if not 0 <= seed < 2**63:
                raise ValueError
        except ValueError:
            notices.append(f"URL seed {shown(p['seed'])} is not a non-negative integer; ignored.")
            seed = None
    z = None
    if "latent" in p:
        try:
            z = _parse_floats(p["latent"], spec.z_dim)
        except ValueError:
            notices.append(
                f"URL latent is not {spec.z_dim} finite comma-separated numbers within ±{LATENT_MAX:g} "
                f"(the size of {model}'s z); ignored."
            )
    state = None
    if z is not None:
        state = LatentState(z, seed=seed)
    elif seed is not None:
        state = random_state(spec, seed)
    label = category = None
    continuous: tuple[float, ...] = ()
    if "label" in p:
        if spec.n_classes is None:
            notices.append(f"URL label ignored: {model} takes no label.")
        else:
            try:
                label = int(p["label"])
                if not 0 <= label < spec.n_classes:
                    raise ValueError
            except ValueError:
                notices.append(f"URL label {shown(p['label'])} is not a digit 0-{spec.n_classes - 1}; ignored.")
                label = None
    if "codes" in p:
        if not spec.has_codes:
            notices.append(f"URL codes ignored: {model} has no codes.")
        else:
            try:
                vals = _parse_floats(p["codes"], 1 + len(spec.continuous))
                if vals[0] != int(vals[0]) or not 0 <= vals[0] < spec.categorical[0]:
                    raise ValueError("category")
                if any(not c.low <= v <= c.high for c, v in zip(spec.continuous, vals[1:], strict=True)):
                    raise ValueError("range")
                category, continuous = int(vals[0]), vals[1:]
            except ValueError:
                notices.append(
                    f"URL codes {shown(p['codes'])} are not 'category,{','.join(c.name for c in spec.continuous)}' "
                    "within their ranges; ignored."
                )
    if label is not None or category is not None:
        base = state or random_state(spec, 0)
        state = replace(
            base,
            label=label if label is not None else base.label,
            category=category if category is not None else base.category,
            continuous=continuous or base.continuous,
        )
    if state is not None:
        state = adapt(state, spec)
    return QueryResult(model, state, notices)


def to_query(model: str, state: LatentState) -> dict[str, str]:
    """The URL parameters that reopen this view (seed only while z is the seed's draw)."""
    q = {"model": model}
    if state.seed is not None:
        q["seed"] = str(state.seed)
    else:
        q["latent"] = ",".join(f"{v:.{LATENT_DECIMALS}f}" for v in state.z)
    if state.label is not None:
        q["label"] = str(state.label)
    if state.category is not None:
        q["codes"] = ",".join([str(state.category), *(f"{v:.{LATENT_DECIMALS}f}" for v in state.continuous)])
    return q


# ---------------------------------------------------------------- latent JSON
def latent_json(model: str, state: LatentState) -> str:
    return json.dumps(
        {
            "model": model,
            "z_dim": len(state.z),
            "z": [round(v, 6) for v in state.z],
            "label": state.label,
            "category": state.category,
            "continuous": list(state.continuous),
            "seed": state.seed,
        },
        indent=1,
    )


def parse_latent_json(text: str, spec: LatentSpec) -> LatentState:
    """The inverse of latent_json for a model with `spec`; ValueError says what does not fit."""
    try:
        d = json.loads(text)
        z = tuple(float(v) for v in d["z"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"not a latent JSON file ({shown(e, 80)})") from e
    if len(z) != spec.z_dim or not all(math.isfinite(v) and abs(v) <= LATENT_MAX for v in z):
        raise ValueError(
            f"its z has {len(z)} values; this model needs {spec.z_dim} finite numbers within ±{LATENT_MAX:g}"
        )
    label = _json_index(d.get("label"), spec.n_classes, "label")
    category = _json_index(d.get("category"), spec.categorical[0] if spec.categorical else None, "category")
    continuous = d.get("continuous") or ()
    try:
        continuous = tuple(float(v) for v in continuous)
    except (TypeError, ValueError) as e:
        raise ValueError(f"its continuous codes are not numbers ({shown(e, 80)})") from e
    if len(continuous) == len(spec.continuous) and any(
        not c.low <= v <= c.high for c, v in zip(spec.continuous, continuous, strict=True)
    ):  # NaN fails this too
        raise ValueError(
            "its continuous codes lie outside " + ", ".join(f"{c.name} {c.low:g}..{c.high:g}" for c in spec.continuous)
        )
    seed = d.get("seed")
    # the URL of a seeded state holds the seed alone, so keep a seed only if z really is its draw
    if not (
        type(seed) is int
        and 0 <= seed < 2**63
        and torch.allclose(random_state(spec, seed).z_tensor(), torch.tensor(z), atol=1e-4)
    ):
        seed = None
    return adapt(LatentState(z, label, category, continuous, seed), spec)


def _json_index(v, n: int | None, what: str) -> int | None:
    """A label/category from a latent JSON: None, or an int in 0..n-1 when the model has one (a model
    without it ignores it, as when a CVAE latent is opened in the VAE)."""
    if v is None or n is None:
        return None
    if type(v) is not int or not 0 <= v < n:
        raise ValueError(f"its {what} {shown(v)} is not a whole number 0-{n - 1}")
    return v


# ---------------------------------------------------------------- arithmetic / interpolation operands
OPERAND_KINDS = ("class mean", "test digit", "seed", "explore latent")


@dataclass(frozen=True)
class Operand:
    kind: str  # one of OPERAND_KINDS
    value: int = 0  # the digit, the test index or the seed; unused for "explore latent"

    def describe(self) -> str:
        return {
            "class mean": f"mean of {self.value}s",
            "test digit": f"test #{self.value}",
            "seed": f"seed {self.value}",
            "explore latent": "Explore latent",
        }[self.kind]


def resolve_operand(op: Operand, spec: LatentSpec, enc, explore: LatentState) -> tuple[torch.Tensor, int | None]:
    """(z (d,), its natural label or None) of an operand; `enc` holds the test encodings."""
    if op.kind == "class mean":
        return class_means(enc.z, enc.labels)[op.value], op.value
    if op.kind == "test digit":
        if not 0 <= op.value < len(enc.z):
            raise ValueError(f"test index must be in 0..{len(enc.z) - 1}")
        return enc.z[op.value], int(enc.labels[op.value])
    if op.kind == "seed":
        return spec.sample_z(1, torch.Generator().manual_seed(int(op.value)))[0], None
    if op.kind == "explore latent":
        return explore.z_tensor(), explore.label
    raise ValueError(f"unknown operand kind {op.kind!r}; choose one of {OPERAND_KINDS}")


def path_states(a: LatentState, b: LatentState, steps: int, method: str = "slerp") -> list[LatentState]:
    """`steps` states from a to b: z by lerp or slerp, continuous codes by lerp; label and category
    switch from a's to b's half way."""
    if not 2 <= steps <= 256:
        raise ValueError("steps must be in 2..256")
    fn = {"lerp": lerp, "slerp": slerp}[method]
    zs = fn(a.z_tensor(), b.z_tensor(), steps)
    ts = torch.linspace(0, 1, steps)
    out = []
    for i, t in enumerate(ts.tolist()):
        near = a if t < 0.5 else b
        cont = (
            tuple((1 - t) * x + t * y for x, y in zip(a.continuous, b.continuous, strict=False)) if a.continuous else ()
        )
        out.append(LatentState(tuple(zs[i].tolist()), near.label, near.category, cont))
    return out


# ---------------------------------------------------------------- typical set
@dataclass(frozen=True)
class TypicalCheck:
    norms: tuple[float, ...]
    expected: float  # E‖z‖ for z ~ N(0, I_d), ≈ √(d − ½)
    tolerance: float  # how far from `expected` a prior draw still lies (n_sigma standard deviations of ‖z‖)
    outside: tuple[int, ...]  # indices of points outside both ranges below
    encoded: tuple[float, float] | None = None  # the range of ‖z‖ over the model's encodings of real digits

    @property
    def prior_range(self) -> tuple[float, float]:
        return max(self.expected - self.tolerance, 0.0), self.expected + self.tolerance

    def describe(self) -> str:
        lo, hi = self.prior_range
        text = f"prior draws have ‖z‖ ≈ √(d − ½) ≈ {self.expected:.1f}, within {lo:.1f}–{hi:.1f}"
        if self.encoded is not None:
            text += f"; this model's encodings of real test digits, {self.encoded[0]:.1f}–{self.encoded[1]:.1f}"
        return text


def norm_range(reference: torch.Tensor, share: float = 0.001) -> tuple[float, float]:
    """The `share` and 1 − `share` quantiles of the norms of `reference` (n, d)."""
    ref = torch.as_tensor(reference, dtype=torch.float32)
    norms = ref.reshape(-1, ref.shape[-1]).norm(dim=1)
    lo, hi = (float(v) for v in torch.quantile(norms, torch.tensor([share, 1 - share])))
    return lo, hi


def typical_set(
    z: torch.Tensor,
    n_sigma: float = 4.0,
    reference: torch.Tensor | None = None,
    share: float = 0.001,
    familiar: tuple[float, float] | None = None,
) -> TypicalCheck:
    """Which rows of z (n, d) have a norm the decoder has rarely been given: ‖z‖ of N(0, I_d) is chi-distributed,
    mean ≈ √(d − ½), standard deviation ≈ 1/√2, and outside n_sigma of that a prior draw is rare. With `reference`
    (the model's encodings of real digits: a VAE's posterior means are much shorter than prior draws and still
    decode well), norms between its `share` and 1 − `share` quantiles count as familiar too; `familiar` gives
    those bounds ready-made (norm_range), so a caller that checks often computes them once."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, z.shape[-1])
    d = z.shape[1]
    expected = math.sqrt(max(d - 0.5, 0.5))
    tol = n_sigma / math.sqrt(2)
    norms = z.norm(dim=1)
    far = (norms - expected).abs() > tol
    if familiar is None and reference is not None and len(reference):
        familiar = norm_range(torch.as_tensor(reference).reshape(-1, d), share)
    if familiar is not None:
        lo, hi = familiar
        far &= (norms < lo) | (norms > hi)
    outside = tuple(int(i) for i in torch.nonzero(far).reshape(-1))
    return TypicalCheck(tuple(norms.tolist()), expected, tol, outside, familiar)


# ---------------------------------------------------------------- plotly selections, checkpoints
def selected_row(points) -> int | None:
    """The global row index of the first selected point of a plotly selection (Streamlit's
    event.selection.points): read from customdata, which WebGL traces send as {'0': i}."""
    for p in points or ():
        cd = p.get("customdata") if isinstance(p, dict) else None
        if isinstance(cd, dict):
            cd = [cd[k] for k in sorted(cd, key=str)]
        if isinstance(cd, (list, tuple)) and cd:
            cd = cd[0]
        try:
            return int(cd)
        except (TypeError, ValueError):
            continue
    return None


def checkpoint_stamp(folder: Path | str) -> tuple:
    """A cheap fingerprint of a checkpoint folder (size and mtime of its config and weights) so a
    cache can notice a checkpoint that appeared or was retrained."""
    out = []
    for name in (CONFIG, WEIGHTS):
        try:
            st = (Path(folder) / name).stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)
