"""`latent-lab`: the installed command. `latent-lab app` starts the explorer, `latent-lab train ...` trains."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from . import __version__
from .explorer import model_folders
from .paths import app_server

USAGE = f"""latent-lab {__version__}
usage: latent-lab app [--models DIR]... [streamlit options]
                                 start the explorer (http://localhost:8501); each DIR's ONNX model
                                 folders join the model picker (docs/design.md, "ONNX model folders")
       latent-lab train [options]            train models (latent-lab train --help)"""

# what .streamlit/config.toml sets in a checkout, passed explicitly so an installed copy behaves the same
APP_FLAGS = [
    "--client.toolbarMode",
    "viewer",
    "--browser.gatherUsageStats",
    "false",
    "--server.maxUploadSize",
    "10",
    "--runner.postScriptGC",
    "false",
    "--server.enableStaticServing",
    "true",
]


def model_folders_option(args: list[str], environ) -> tuple[list[str], dict]:
    """`--models DIR` (repeatable; or --models=DIR) taken out of the app's arguments and passed on to the app in
    $LATENT_LAB_MODELS, after any folders it already names. ValueError for a missing or absent DIR."""
    rest, dirs = [], []
    it = iter(args)
    for a in it:
        if a == "--models" or a.startswith("--models="):
            d = a.partition("=")[2] if "=" in a else next(it, "")
            if not d:
                raise ValueError("--models needs a folder: latent-lab app --models DIR")
            if not Path(d).expanduser().is_dir():
                raise ValueError(f"--models {d}: no such folder")
            dirs.append(str(Path(d).expanduser().resolve()))
        else:
            rest.append(a)
    env = dict(environ)
    if dirs:
        env[model_folders.ENV] = os.pathsep.join(filter(None, [environ.get(model_folders.ENV, ""), *dirs]))
    return rest, env


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "train":
        from .training.cli import main as train

        return train(rest, prog="latent-lab train")
    if command == "app":
        missing = [m for m in ("streamlit", "plotly") if importlib.util.find_spec(m) is None]
        if missing:
            print(f"latent-lab: the app needs {', '.join(missing)}: pip install 'latent-lab[app]'", file=sys.stderr)
            return 2
        try:
            server = app_server()
            rest, env = model_folders_option(rest, os.environ)
        except (FileNotFoundError, ValueError) as e:
            print(f"latent-lab: {e}", file=sys.stderr)
            return 2
        return subprocess.call([sys.executable, "-m", "streamlit", "run", str(server), *APP_FLAGS, *rest], env=env)
    if command in ("-V", "--version"):
        print(__version__)
        return 0
    print(USAGE, file=sys.stderr if command not in ("-h", "--help") else sys.stdout)
    return 0 if command in ("-h", "--help") else 2
