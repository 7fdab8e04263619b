"""latent-lab explorer: `streamlit run app/streamlit_app.py` (or `make app`).
This file sets up the pages, the sidebar model picker and the URL <-> state sync."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in ((HERE.parent,) if (HERE.parent / "genlib").is_dir() else ()) + (HERE,):  # a checkout's genlib; components
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import streamlit as st  # noqa: E402
import torch  # noqa: E402

import components as c  # noqa: E402
import genlib  # noqa: E402
from genlib.explorer import exchange  # noqa: E402

# One image per slider move: extra threads only add synchronisation, and on a busy CPU two threads
# made a DCGAN decode take ~88 ms instead of 0.6 ms. (Encoding the test set, once, is a little slower.)
torch.set_num_threads(1)

# a file, not a Material Symbol: Streamlit points the browser at fonts.gstatic.com for those, and the app must
# make no request outside its own server (offline classrooms; no third party sees the students)
st.set_page_config(page_title="latent-lab", page_icon=str(HERE / "icon.png"), layout="wide")

c.log_run()
c.new_run()
models = c.available_models()
if not models:
    st.error(
        f"No trained model found in `{genlib.CHECKPOINTS}`. Train one with `python train.py --model vae "
        f"--out {genlib.CHECKPOINTS}` (or any of: " + ", ".join(genlib.MODELS) + "), or point GENLIB_CHECKPOINTS "
        "at a folder of checkpoints."
    )
    st.stop()

if "booted" not in st.session_state:  # first run of this browser session: read the URL once
    default = next(iter(models))
    q = exchange.parse_query(st.query_params.to_dict(), {n: m.latent for n, m in models.items()}, default)
    st.session_state["model"] = q.model
    st.session_state["notices"] = q.notices
    if q.state is not None:
        st.session_state["latents"] = {q.model: q.state}
    decode = st.query_params.get("decode")
    if decode == "server":
        st.session_state["decode_forced"] = True
    elif decode not in (None, "browser"):
        st.session_state["notices"].append(
            f"URL decode {exchange.shown(decode)} is not 'server' or 'browser'; ignored."
        )
    st.session_state["booted"] = True

# The page files live in views/, not pages/: Streamlit's AppTest also registers a pages/ folder as
# old-style pages and then runs a page without this entry file (no sidebar, no shared state).
pages = {
    "Explore": [
        st.Page("views/explore.py", title="Explore", icon=":material/tune:", default=True),
        st.Page("views/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
        st.Page("views/arithmetic.py", title="Arithmetic", icon=":material/calculate:"),
        st.Page("views/interpolate.py", title="Interpolate", icon=":material/linear_scale:"),
        st.Page("views/grids.py", title="Conditional grids", icon=":material/grid_on:"),
        st.Page("views/draw.py", title="Draw", icon=":material/draw:"),
        st.Page("views/models.py", title="Models", icon=":material/model_training:"),
    ],
    "The lecture, live": [
        st.Page("views/likelihood.py", title="ELBO and likelihood", icon=":material/functions:"),
        st.Page("views/reparam.py", title="Reparameterisation", icon=":material/shuffle:"),
        st.Page("views/collapse.py", title="Mode collapse", icon=":material/bar_chart:"),
        st.Page("views/information.py", title="InfoGAN information", icon=":material/info:"),
        st.Page("views/codes.py", title="Codes measured", icon=":material/straighten:"),
        st.Page("views/toys.py", title="Lecture toys", icon=":material/school:"),
    ],
}
page = st.navigation(pages, expanded=True)  # 13 pages: the default would hide three behind "View more"
st.sidebar.title("latent-lab")
c.model_picker(st.sidebar)
c.model_upload(st.sidebar)
for problem in genlib.models.PLUGIN_ERRORS:  # a broken model plugin is named, the others carry on
    st.sidebar.warning(exchange.shown(problem, 300), icon=":material/extension_off:")
for problem in c.folder_problems():  # a model folder that cannot be listed is named, the others carry on
    st.sidebar.warning(exchange.escaped(problem), icon=":material/folder_off:")
st.sidebar.caption(
    f"{len(genlib.MODELS)} generative models of MNIST digits. The chosen model and latent carry across pages; "
    "the URL holds them, so a link reopens this view."
)
c.show_notices()
page.run()

name = st.session_state["model"]
if name in models:
    c.sync_url(name, models[name])
