"""`latent-lab`: the installed command. `latent-lab app` starts the explorer, `latent-lab train ...` trains."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from . import __version__
from .paths import app_server

USAGE = f"""latent-lab {__version__}
usage: latent-lab app [streamlit options]    start the explorer (http://localhost:8501)
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
        except FileNotFoundError as e:
            print(f"latent-lab: {e}", file=sys.stderr)
            return 2
        return subprocess.call([sys.executable, "-m", "streamlit", "run", str(server), *APP_FLAGS, *rest])
    if command in ("-V", "--version"):
        print(__version__)
        return 0
    print(USAGE, file=sys.stderr if command not in ("-h", "--help") else sys.stdout)
    return 0 if command in ("-h", "--help") else 2
