"""What the in-browser (live) explorer needs from Python, and what it sends back: the decoder files it
fetches, the controls it draws (built from the LatentSpec and the slider basis, as the server-side
sliders are), the classifier's reading for the canvas's text alternative, and the latent it syncs on
release, checked before it becomes the app's state. No Streamlit here."""

from __future__ import annotations

import gzip
import hashlib
import math
import re
from dataclasses import replace
from pathlib import Path

import torch

from .. import export
from ..fileio import atomic_write
from ..paths import cache_root
from .encodings import SHOWN_DIRECTIONS, Basis, slider_hint
from .exchange import shown
from .latent_state import LATENT_MAX, SLIDER_LIMIT, LatentState, adapt

DECODERS = "decoders"  # subfolders of the web folder holding the published ONNX files and encodings
ENCODINGS = "encodings"
KINDS = (DECODERS, ENCODINGS)
ROUTE = "latent-lab"  # the server serves web_dir()/KIND/NAME at /ROUTE/KIND/NAME (app/server.py) ...
SERVED = "LATENT_LAB_SERVES_WEB"  # ... and sets this environment variable, so the app knows the route is there
SLIDER_STEP = 0.05
COMPONENTS = ("explore", "hover", "scrub")  # the live components that report their health (app/live/lab.mjs)


def web_dir() -> Path:
    """What the browser fetches besides the runtime (decoders, encodings): in the per-user cache, never in the
    installed package, which may be read-only. The app's server serves it (app/server.py)."""
    return cache_root() / "web"


def _publish(data: bytes, folder: Path, stem: str, suffix: str) -> Path:
    """data written once, gzipped, as folder/stem-<sha256 prefix>.suffix.gz (a name that changes with the content,
    so a browser may cache it); older files of the same stem are removed. Gzipped here, once: Streamlit compresses
    every response that is not gzip already, on every request (0.25 s of server CPU per decoder fetched); the
    browser inflates it and checks its digest (app/live/lab.mjs)."""
    target = folder / f"{stem}-{hashlib.sha256(data).hexdigest()[:20]}{suffix}.gz"
    if not target.is_file():
        atomic_write(target, gzip.compress(data, compresslevel=6, mtime=0))
        older = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{20}}{re.escape(suffix)}(\.gz)?")  # not dcgan-collapsed's
        for old in folder.iterdir():
            if old != target and older.fullmatch(old.name):
                old.unlink(missing_ok=True)
    return target


def publish_decoder(model, name: str, web: Path | str | None = None, cache: Path | None = None) -> str:
    """Publish `model`'s ONNX decoder (exported on first use) into web/decoders/ (web: web_dir()) and return
    its path relative to web."""
    src = export.decoder_onnx(model, name, cache)
    return f"{DECODERS}/{_publish(src.read_bytes(), Path(web or web_dir()) / DECODERS, name, '.onnx').name}"


def publish_encodings(enc, name: str, web: Path | str | None = None) -> str:
    """The test encodings for the map's hover preview, as one binary file the browser fetches once
    (little-endian, row-major): float32 z (n × d); for a model with codes, float32 continuous codes (n × k);
    one uint8 label per digit; for a model with codes, one uint8 category per digit. Returns its path
    relative to web."""

    def f32(t):
        return t.float().contiguous().numpy().astype("<f4").tobytes()

    def u8(t):
        return t.to(torch.uint8).numpy().tobytes()

    codes = enc.codes or {}
    data = f32(enc.z)
    data += f32(codes["continuous"]) if codes else b""
    data += u8(enc.labels)
    data += u8(codes["categorical"]) if codes else b""
    return f"{ENCODINGS}/{_publish(data, Path(web or web_dir()) / ENCODINGS, name, '.bin').name}"


def reading(classifier, image: torch.Tensor) -> str:
    """What the project's classifier sees in a decoded image: 'looks like a 7, 93%'."""
    with torch.no_grad():
        probs = classifier(image.reshape(1, 1, 28, 28).float()).softmax(1)[0]
    digit = int(probs.argmax())
    return f"looks like a {digit}, {round(float(probs[digit]) * 100)}%"


def _controls(spec) -> dict:
    out: dict = {}
    if spec.n_classes is not None:
        out["labels"] = spec.n_classes
    if spec.categorical:
        out["categories"] = spec.categorical[0]
    out["codes"] = [{"name": c.name, "low": c.low, "high": c.high} for c in spec.continuous]
    return out


def _condition(state: LatentState) -> dict:
    return {"label": state.label, "category": state.category, "continuous": list(state.continuous)}


def component_data(
    name: str,
    model,
    state: LatentState,
    basis: Basis,
    decoder_url: str,
    alt: str | None,
    strip: list[tuple[str, object, str]] = (),
) -> dict:
    """The live Explore component's data: the model's decoder, one slider per basis direction (the first
    SHOWN_DIRECTIONS visible), the condition controls, the current latent, and the "same z" strip as
    (other model name, model, decoder url) for models with this z size."""
    spec = model.latent
    d = spec.z_dim
    sliders = [
        {"name": basis.names[i], "label": f"{basis.names[i]}  ({basis.spread_of} σ {float(basis.std[i]):.2f})"}
        for i in range(d)
    ]
    strip_data = []
    for other, m, url in strip:
        adapted = adapt(state, m.latent)
        if adapted is None:
            continue
        strip_data.append(
            {
                "name": other,
                "url": url,
                "inputs": export.input_names(m.latent),
                "current": other == name,
                **_condition(adapted),
            }
        )
    return {
        "model": name,
        "decoder": decoder_url,
        "inputs": export.input_names(spec),
        "z_dim": d,
        "basis": [round(v, 7) for v in basis.vectors.reshape(-1).tolist()],  # tolist: iterating a tensor is slow
        "sliders": sliders,
        "shown": min(d, SHOWN_DIRECTIONS),
        "hint": slider_hint(basis, SHOWN_DIRECTIONS, "under “More directions”"),
        "limit": SLIDER_LIMIT,
        "step": SLIDER_STEP,
        **_controls(spec),
        "z": [float(v) for v in state.z],
        **_condition(state),
        "alt": alt,
        "strip": strip_data,
    }


def synced_state(payload, spec, current: LatentState) -> LatentState:
    """The latent the browser synced ({"z": [...], "label", "category", "continuous"}), checked against
    `spec`; the seed is kept while z is unchanged. Raises ValueError saying what was wrong."""
    if not isinstance(payload, dict):
        raise ValueError("the browser sent no latent object")
    z = payload.get("z")
    if not isinstance(z, list) or len(z) != spec.z_dim:
        raise ValueError(f"the browser sent a latent of the wrong size (expected {spec.z_dim} numbers)")
    try:
        z = tuple(float(v) for v in z)
    except (TypeError, ValueError):
        raise ValueError("the browser sent a latent that is not all numbers") from None
    if not all(math.isfinite(v) and abs(v) <= LATENT_MAX for v in z):
        raise ValueError(f"the browser sent a latent outside ±{LATENT_MAX:g}")
    label, category, continuous = current.label, current.category, current.continuous
    if spec.n_classes is not None:
        label = _index(payload.get("label"), spec.n_classes, "label")
    if spec.categorical:
        category = _index(payload.get("category"), spec.categorical[0], "category")
    if spec.continuous:
        cont = payload.get("continuous")
        if not isinstance(cont, list) or len(cont) != len(spec.continuous):
            raise ValueError(f"the browser sent {len(spec.continuous)} continuous codes wrongly")
        continuous = tuple(min(max(float(v), c.low), c.high) for v, c in zip(cont, spec.continuous, strict=True))
    seed = current.seed if z == tuple(current.z) else None
    return replace(current, z=z, label=label, category=category, continuous=continuous, seed=seed)


def health_report(payload) -> str | None:
    """Why a live component failed, from its health report {"component", "ok", "why"} (app/live/lab.mjs
    `health`), shortened, without URLs and escaped for the page; None for a healthy report or one that is not in
    that format (nothing a browser sends is trusted)."""
    if not isinstance(payload, dict) or payload.get("ok") is not False or payload.get("component") not in COMPONENTS:
        return None
    why = payload.get("why")
    why = why if isinstance(why, str) and why.strip() else "no reason given"
    return shown(re.sub(r"https?://\S+", "a file", why), 160)


def _index(v, n: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
        raise ValueError(f"the browser sent {what} {v!r}; expected 0-{n - 1}")
    return v
