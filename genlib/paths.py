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


def app_script() -> Path:
    """The Streamlit entry file: the checkout's app/ or the copy installed as genlib/app."""
    for folder in (CHECKOUT / "app", PACKAGE / "app"):
        if (folder / "streamlit_app.py").is_file():
            return folder / "streamlit_app.py"
    raise FileNotFoundError("the app is not installed: reinstall with `pip install 'latent-lab[app]'`")
