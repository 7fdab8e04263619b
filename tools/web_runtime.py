"""Fetch onnxruntime-web's WebAssembly build into app/static/ort: the runtime the browser decodes with.

The version and the tarball's sha512 come from app/live/package-lock.json; a download whose digest differs
is refused. Only the three files the wasm entry needs are kept, plus the licence, and the 14 MB .wasm is
stored gzipped (3.7 MB): Streamlit would compress it again on every request, and the browser inflates it.
Standard library only, so the wheel build (setup.py) can run it in its isolated environment; no Node needed.

    python tools/web_runtime.py [DEST]      # default: app/static/ort; does nothing when DEST is current
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "app" / "live" / "package-lock.json"
LICENSE = ROOT / "app" / "live" / "ONNXRUNTIME-LICENSE"  # the npm tarball carries none
DEST = ROOT / "app" / "static" / "ort"
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
STAMP = ".installed"  # holds the integrity string of the tarball the files came from


def pinned() -> tuple[str, str]:
    """(version, "sha512-...") of onnxruntime-web in the lockfile."""
    entry = json.loads(LOCK.read_text())["packages"]["node_modules/onnxruntime-web"]
    return entry["version"], entry["integrity"]


def download(version: str, integrity: str) -> bytes:
    registry = os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    url = f"{registry.rstrip('/')}/onnxruntime-web/-/onnxruntime-web-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    algo, want = integrity.split("-", 1)
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise SystemExit(f"web_runtime: {url} does not match the integrity pinned in {LOCK.name}; refusing it")
    return data


def install(dest: Path = DEST) -> Path:
    """Put the pinned runtime in `dest` (atomically: a half-written folder is never left behind)."""
    version, integrity = pinned()
    if (dest / STAMP).is_file() and (dest / STAMP).read_text().strip() == integrity:
        return dest
    tgz = tarfile.open(fileobj=io.BytesIO(download(version, integrity)), mode="r:gz")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in FILES:
        data = tgz.extractfile(f"package/dist/{name}").read()
        if name.endswith(".wasm"):
            name, data = name + ".gz", gzip.compress(data, compresslevel=6, mtime=0)
        (tmp / name).write_bytes(data)
    shutil.copyfile(LICENSE, tmp / "LICENSE")
    (tmp / STAMP).write_text(integrity + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


if __name__ == "__main__":
    try:
        where = install(Path(sys.argv[1]) if len(sys.argv) > 1 else DEST)
    except OSError as e:  # no network, a proxy, a full disk
        sys.exit(f"web_runtime: cannot fetch onnxruntime-web {pinned()[0]} ({e}); the app will decode on the server")
    print(f"onnxruntime-web {pinned()[0]} in {where}")
