"""Where genlib finds the shipped checkpoints and the app, in a checkout and when installed."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # the repository root when genlib runs from a clone


def checkpoints_dir() -> Path:
    """GENLIB_CHECKPOINTS if set; else the checkout's checkpoints/; else the copy installed with the package."""
    if env := os.environ.get("GENLIB_CHECKPOINTS"):
        return Path(env)
    for folder in (CHECKOUT / "checkpoints", PACKAGE / "shipped"):
        if folder.is_dir():
            return folder
    return CHECKOUT / "checkpoints"


def shipped_dir() -> Path | None:
    """The checkpoints that come with latent-lab (the checkout's, else the installed copy), whatever
    GENLIB_CHECKPOINTS says; None when neither exists."""
    for folder in (CHECKOUT / "checkpoints", PACKAGE / "shipped"):
        if folder.is_dir():
            return folder
    return None


def app_dir(holding: str = "server.py") -> Path:
    """The app's folder (server, pages, the browser code in live/, the runtime in static/): the checkout's app/,
    else the copy installed as genlib/app; the first that holds the file `holding`."""
    for folder in (CHECKOUT / "app", PACKAGE / "app"):
        if (folder / holding).is_file():
            return folder
    raise FileNotFoundError("the app is not installed: reinstall with `pip install 'latent-lab[app]'`")


def app_server() -> Path:
    """The app's server entry (app/server.py: Streamlit plus the route for the cache's files)."""
    return app_dir() / "server.py"


def cache_root() -> Path:
    """$GENLIB_CACHE, else ~/.cache/genlib: derived files keyed by the weights they come from (encodings, decoders)."""
    return Path(os.environ.get("GENLIB_CACHE") or Path.home() / ".cache" / "genlib")
