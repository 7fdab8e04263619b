"""What enters and leaves the app as text: URL query parameters, latent JSON files, plotly selections, and
user values echoed safely in messages. Everything from outside is checked against the model's `LatentSpec`
and refused with a one-line ValueError. No Streamlit here."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace

import torch

from ..latent import LatentSpec
from ..models import MODELS
from .latent_state import LATENT_DECIMALS, LATENT_MAX, LatentState, adapt, random_state


# ---------------------------------------------------------------- URL query parameters
@dataclass
class QueryResult:
    model: str
    state: LatentState | None  # None: nothing usable in the URL for the latent, use the default
    notices: list[str]


MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&:])")  # Markdown and LaTeX metacharacters


def shown(value, limit: int = 40) -> str:
    """A user-supplied value (URL parameter, file name, file content) made safe to echo in a message
    the app renders as Markdown: cut to `limit` characters, repr-quoted, and every Markdown / LaTeX
    metacharacter backslash-escaped, so a shared link cannot put a link or an external image into
    another student's page."""
    text = repr(str(value)) if len(str(value)) <= limit else repr(str(value)[:limit]) + "…"
    return re.sub(MARKUP, r"\\\1", text)


def escaped(text: str, limit: int = 400) -> str:
    """A message that quotes a user's file (an upload's load error): cut to `limit` characters and escaped as
    `shown` escapes, but not quoted."""
    return re.sub(MARKUP, r"\\\1", text if len(text) <= limit else text[:limit] + "…")


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


# ---------------------------------------------------------------- plotly selections
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
