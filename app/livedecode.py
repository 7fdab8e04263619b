"""In-browser decoding on the Explore page: which sessions get it, and the live component (its HTML, CSS and
JS are app/live/explore.*; what it is given and what it sends back is genlib.explorer.live)."""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import partial
from pathlib import Path

import streamlit as st

import components as c
from genlib import export
from genlib.explorer import live

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"  # onnxruntime-web, served under /app/static/ (server.enableStaticServing); never written
RUNTIME = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm.gz")
FAILED = "decode_failed"  # session key: {model: {"decoder": url, "why": text}}, decoders this browser could not run

LIVE = HERE / "live"
MODULE = "lab.mjs"  # the module every component imports; app/server.py serves app/live/*.mjs


def _register(name: str, html: str | None = None):
    """A components-v2 component from app/live/NAME.{js,css} (and .html); its inline module starts with
    loader.js, which imports app/live/lab.mjs."""
    return st.components.v2.component(
        f"latent_lab_live_{name}",
        html=(LIVE / f"{name}.html").read_text() if html is None else html,
        css=(LIVE / f"{name}.css").read_text(),
        js=(LIVE / "loader.js").read_text() + "\n" + (LIVE / f"{name}.js").read_text(),
    )


_component = _register("explore")
_scrub = _register("scrub", html="")
_hover = _register("hover", html="")


def _base() -> str:
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"/{base}/" if base else "/"


def static_url() -> str:
    return f"{_base()}app/static/"


def web_url() -> str:
    """Where app/server.py serves live.web_dir() (the published decoders and encodings)."""
    return f"{_base()}{live.ROUTE}/"


@st.cache_resource(max_entries=4)
def _digest(path: str, stamp: int) -> str:
    """SHA-256 prefix of a file's bytes, inflated when gzipped: what the browser checks after inflating it."""
    data = Path(path).read_bytes()
    return hashlib.sha256(gzip.decompress(data) if path.endswith(".gz") else data).hexdigest()[:20]


def _versioned(path: Path) -> str:
    return _digest(str(path), path.stat().st_mtime_ns)


def runtime() -> dict:
    return c.per_run(("runtime",), _runtime)


def _runtime() -> dict:
    """Where the live components load their code from: the static folder (the runtime), the .wasm's URL and the
    shared module's, each with its content's digest (the browser checks it, and keeps the inflated runtime under
    that URL, so a new runtime gets a new key)."""
    wasm = STATIC / "ort" / RUNTIME[-1]
    return {
        "static": static_url(),
        "wasm": f"{static_url()}ort/{RUNTIME[-1]}?sha256={_versioned(wasm)}",
        "module": f"{web_url()}live/{MODULE}?sha256={_versioned(LIVE / MODULE)}",
    }


def runtime_missing() -> str | None:
    missing = [f for f in RUNTIME if not (STATIC / "ort" / f).is_file()]
    if missing:
        return "the in-browser runtime is not installed here (run `make runtime` in a checkout)"
    if not st.get_option("server.enableStaticServing"):
        return "static file serving is off (server.enableStaticServing in .streamlit/config.toml)"
    if not os.environ.get(live.SERVED):
        return "this server does not serve the decoders (start it with `latent-lab app` or `make app`)"
    return None


def _unwritable(e: OSError) -> str:
    why = e.strerror or e
    return f"the cache folder {live.web_dir()} is not writable ({why}; set GENLIB_CACHE to a folder you own)"


@st.cache_resource(show_spinner="Exporting the decoder for in-browser decoding (once per model)…", max_entries=24)
def _decoder(name: str, stamp: tuple, web: str) -> tuple[str | None, str | None]:
    """(URL path of the model's published ONNX decoder, None) or (None, why it cannot be); keyed by the folder
    published into too, which the route serves."""
    try:
        return web_url() + live.publish_decoder(c.load_model(name)[0], name), None
    except export.ExportError as e:
        return None, str(e)
    except OSError as e:
        return None, _unwritable(e)


def decoder_url(name: str) -> tuple[str | None, str | None]:
    web = str(live.web_dir())
    return c.per_run(("decoder", name, web), lambda: _decoder(name, c.stamp(name), web))


def _failure(name: str) -> str | None:
    """Why this browser could not run `name`'s current decoder; a decoder published since (a new URL) is tried."""
    failed = st.session_state.get(FAILED, {}).get(name)
    return failed["why"] if failed and failed["decoder"] == decoder_url(name)[0] else None


def _why(name: str) -> str | None:
    if st.session_state.get("decode_forced"):
        return "the URL asks for it (decode=server)"
    return runtime_missing() or decoder_url(name)[1] or _failure(name)


def server_reason(name: str) -> str | None:
    """Why this page decodes on the server for this session and model; None: in the browser. Each reason other
    than ?decode=server is said once (fallback_notice)."""
    why = _why(name)
    if why and not st.session_state.get("decode_forced") and why not in st.session_state.setdefault("decode_said", []):
        st.session_state["decode_said"].append(why)
        st.session_state["decode_notice"] = (name, why)
    return why


def _retry(name: str) -> None:
    failed = st.session_state.get(FAILED, {}).pop(name, None)
    if failed and failed["why"] in st.session_state.get("decode_said", []):
        st.session_state["decode_said"].remove(failed["why"])  # failing again is said again, with the button


def fallback_notice() -> None:
    """Say once why the browser does not decode (a forced ?decode=server says nothing); after a failure in this
    browser, offer to try again (the cause may be gone: a network blip, a server restarted)."""
    if notice := st.session_state.pop("decode_notice", None):
        name, why = notice
        st.info(
            f"In-browser decoding is unavailable: {why}. This page decodes on the server instead "
            "(the image updates when a slider is released).",
            icon=":material/info:",
        )
        if why == _failure(name):
            st.button("Try in-browser decoding again", key="decode:retry", on_click=_retry, args=(name,))


def _synced(name: str, model) -> None:
    payload = (st.session_state.get(f"live:{name}") or {}).get("latent")
    try:
        state = live.synced_state(payload, model.latent, c.get_state(name, model))
    except ValueError as e:
        st.session_state["live_error"] = str(e)
        return
    st.session_state["latents"][name] = state
    # the server-side widgets (used after a fallback) redraw from the synced latent
    for key in [
        k
        for k in st.session_state
        if isinstance(k, str)
        and k.startswith(f"{name}:")
        and k.split(":", 1)[1].startswith(("coord", "label", "category", "cont"))
    ]:
        del st.session_state[key]


def _health(name: str, key: str) -> None:
    """A component's health report (app/live/lab.mjs `health`): a failure moves this model's decoder to the
    server for this session, until it is retried or republished."""
    report = live.health_report((st.session_state.get(key) or {}).get("health"))
    if report is not None:
        failed = st.session_state.setdefault(FAILED, {})
        failed[name] = {"decoder": decoder_url(name)[0], "why": f"this browser could not run it ({report})"}


def explore_component(name: str, model, state, alt: str | None, others: dict) -> None:
    """The live sliders, condition controls, canvas and same-z strip (over `others`, the available models) for
    `model` at `state`."""
    url, _ = decoder_url(name)
    strip = []
    for other, m in others.items():
        if m.latent.z_dim == model.latent.z_dim:
            other_url = url if other == name else decoder_url(other)[0]
            if other_url:
                strip.append((other, m, other_url))
    data = live.component_data(name, model, state, c.slider_basis(name), url, alt, strip)
    data["runtime"] = runtime()
    _component(
        key=f"live:{name}",
        data=data,
        on_latent_change=partial(_synced, name, model),
        on_health_change=partial(_health, name, f"live:{name}"),
    )
    if err := st.session_state.pop("live_error", None):
        st.error(f"The latent from the browser was refused: {err}")


@st.cache_resource(max_entries=12)
def _encodings_url(name: str, stamp: tuple, web: str) -> tuple[str | None, str | None]:
    try:
        return web_url() + live.publish_encodings(c.test_encodings(name), name), None
    except OSError as e:
        return None, _unwritable(e)


def hover_reason(name: str) -> str | None:
    """Why the latent map cannot preview a hovered point in this session; None: it can."""
    return _why(name) or _encodings_url(name, c.stamp(name), str(live.web_dir()))[1]


def map_hover(name: str, model, state) -> bool:
    """The latent map's hover preview (False where hover_reason says why not)."""
    if hover_reason(name) is not None:
        return False
    url, _ = decoder_url(name)
    enc_url, _ = _encodings_url(name, c.stamp(name), str(live.web_dir()))
    enc = c.test_encodings(name)
    _hover(
        key=f"hover:{name}",
        on_health_change=partial(_health, name, f"hover:{name}"),
        data={
            "runtime": runtime(),
            "decoder": url,
            "encodings": enc_url,
            "n": len(enc.z),
            "d": model.latent.z_dim,
            "k": 0 if enc.codes is None else enc.codes["continuous"].shape[1],  # each digit's own codes follow
            "conditional": model.latent.n_classes is not None,
        },
    )
    return True


def interpolate_scrub(name: str, ends, method: str) -> bool:
    """A slider along the path from ends[0] to ends[1] that decodes in the browser (False: server decoding)."""
    url, _ = decoder_url(name)
    if _why(name) is not None or url is None:
        return False
    a, b = ({"z": list(e.z), "label": e.label, "category": e.category, "continuous": list(e.continuous)} for e in ends)
    _scrub(
        key=f"scrub:{name}",
        on_health_change=partial(_health, name, f"scrub:{name}"),
        data={"runtime": runtime(), "decoder": url, "model": name, "a": a, "b": b, "method": method},
    )
    return True
