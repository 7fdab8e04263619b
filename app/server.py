"""The app's server: Streamlit running streamlit_app.py, plus one read-only route for the files the app makes
at run time (decoders and encodings, kept in the per-user cache, genlib.explorer.live.web_dir()). Streamlit's
own static serving covers only app/static, which lies inside the installed package and may be read-only.
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


async def web_file(request) -> Response:
    kind, name = request.path_params["kind"], request.path_params["name"]
    path = live.web_dir() / kind / name
    if kind not in live.KINDS or not NAME.fullmatch(name) or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    # gzip as stored (Streamlit leaves application/gzip alone); the name changes with the content, so a
    # browser may keep it for good
    return FileResponse(path, media_type="application/gzip", headers={"Cache-Control": "max-age=31536000, immutable"})


base = st.get_option("server.baseUrlPath").strip("/")
os.environ[live.SERVED] = "1"
app = st.App(
    "streamlit_app.py",
    routes=[Route(f"{'/' + base if base else ''}/{live.ROUTE}/{{kind}}/{{name}}", web_file, methods=["GET"])],
)
