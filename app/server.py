"""The app's server: Streamlit running streamlit_app.py, plus one read-only route for the files the app makes
at run time (decoders and encodings, kept in the per-user cache, genlib.explorer.live.web_dir()). Streamlit's
own static serving covers only app/static, which lies inside the installed package and may be read-only. The same
route serves the browser code's shared module (app/live/lab.mjs), which every live component imports.
`latent-lab app`, `make app` and deploy/serve.sh start this file; `streamlit run app/streamlit_app.py` alone
also works, but decodes on the server."""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if (HERE.parent / "genlib").is_dir() and str(HERE.parent) not in sys.path:  # a checkout's genlib
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402
from starlette.responses import FileResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from genlib.explorer import live  # noqa: E402

NAME = re.compile(r"[A-Za-z0-9_.-]+\.gz")  # what live._publish writes; nothing else is served
MODULE = re.compile(r"[a-z]+\.mjs")  # the browser code's shared module (app/live/lab.mjs)
SCRIPTS = "live"  # ... served at /ROUTE/live/NAME from the package, not from the cache
FOREVER = {"Cache-Control": "max-age=31536000, immutable"}  # names or queries that change with the content


async def web_file(request) -> Response:
    kind, name = request.path_params["kind"], request.path_params["name"]
    if kind == SCRIPTS and MODULE.fullmatch(name) and (HERE / "live" / name).is_file():
        return FileResponse(HERE / "live" / name, media_type="text/javascript", headers=FOREVER)
    path = live.web_dir() / kind / name
    if kind not in live.KINDS or not NAME.fullmatch(name) or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    # gzip as stored (Streamlit leaves application/gzip alone)
    return FileResponse(path, media_type="application/gzip", headers=FOREVER)


base = st.get_option("server.baseUrlPath").strip("/")
os.environ[live.SERVED] = "1"
app = st.App(
    "streamlit_app.py",
    routes=[Route(f"{'/' + base if base else ''}/{live.ROUTE}/{{kind}}/{{name}}", web_file, methods=["GET"])],
)
