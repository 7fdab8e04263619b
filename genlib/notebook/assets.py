"""What a notebook widget sends to the browser: the app's own browser module (app/live/lab.mjs), the widget module
beside it (app/live/widget.mjs), onnxruntime-web's WebAssembly build (app/static/ort, fetched by `make runtime`)
and a model's ONNX decoder. All of it travels over the kernel's connection as widget state, so the widgets work
offline and in any widget host: nothing is fetched from a server or a CDN."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .. import export, paths

WIDGET_MODULE = "widget.mjs"
LAB_MODULE = "lab.mjs"
RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm.gz")


def app_dir() -> Path:
    """The app's folder holding live/ and static/ (paths.app_dir), with a notebook-specific message."""
    try:
        return paths.app_dir(f"live/{WIDGET_MODULE}")
    except FileNotFoundError:
        raise FileNotFoundError(
            "latent-lab's browser code is missing: reinstall with pip install 'latent-lab[notebook]'"
        ) from None


@functools.cache
def module_text(name: str) -> str:
    return (app_dir() / "live" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Runtime:
    module: str  # ort.wasm.min.mjs
    glue: str  # ort-wasm-simd-threaded.mjs, which the module imports
    wasm_gz: bytes  # the 14 MB .wasm, gzipped as stored (3.7 MB); the browser inflates it
    key: str  # names this runtime in the page, so widgets share one copy


@functools.cache
def runtime() -> Runtime:
    folder = app_dir() / "static" / "ort"
    missing = [f for f in RUNTIME_FILES if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"onnxruntime-web is missing ({', '.join(missing)}): run `make runtime` (python tools/web_runtime.py)"
        )
    module, glue, wasm = (folder / f for f in RUNTIME_FILES)
    data = wasm.read_bytes()
    return Runtime(module.read_text("utf-8"), glue.read_text("utf-8"), data, hashlib.sha256(data).hexdigest()[:20])


@dataclass(frozen=True)
class Decoder:
    onnx_gz: bytes
    key: str  # a digest of the ONNX file: widgets of the same model share one session in the page
    inputs: list[str]  # the graph's inputs (export.input_names)


def decoder(model, name: str) -> Decoder:
    """`model`'s ONNX decoder (exported on first use and cached on disk by genlib.export), gzipped."""
    data = export.decoder_onnx(model, name).read_bytes()
    key = hashlib.sha256(data).hexdigest()[:20]
    return Decoder(gzip.compress(data, compresslevel=6, mtime=0), key, export.input_names(model.latent))
