"""Codes measured (InfoGAN, VAE, CVAE): the slant and stroke width of decoded digits against the value of
one code, mean and band over 200 latents, and each code named from what it measurably does. Computation
in genlib.explorer.codes; layout only.

session_state written here (tests read it): "codes_responses" = {code: genlib.explorer.codes.Response}."""

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import components as c
from genlib import images
from genlib.explorer import codes

name, model = c.require_model()
st.title("Codes measured")
st.markdown(
    "InfoGAN's paper shows that its continuous codes *look like* slant and width. Here each code is swept "
    "while 200 random latents stay fixed, and two numbers are measured on every decoded digit: the **slant** "
    "(the least-squares slope of the ink's horizontal position on its height, dx/dy = cov(x, y) / var(y) from "
    "image moments, as an angle from vertical, positive to the right; not the principal axis, which also "
    "weighs the ink's spread across) "
    "and the **stroke width** (2 · ink area / ink outline, pixels). The code is then named from the "
    "measurement."
)
spec = model.latent
if not spec.continuous and not model.has_posterior:
    st.info(
        f"**{name}** has no interpretable code to sweep: pick the **infogan** (continuous codes c1, c2) or the "
        "**vae** / **cvae** (their active latent dimensions).",
        icon=":material/info:",
    )
    st.stop()
stamp = c.stamp(name)


@st.cache_data(max_entries=8, show_spinner=False)
def candidates(model_name: str, stamp: tuple) -> list:
    m = c.load_model(model_name)[0]
    kl = None
    if m.has_posterior:
        test = c.test_split()
        labels = test.labels[:1000] if m.latent.n_classes is not None else None
        kl = m.kl_per_dim(test.unit_images(slice(1000)).reshape(-1, 784), labels)
    return codes.candidate_codes(m, kl)


@st.cache_data(max_entries=64, show_spinner="Decoding 200 latents at each code value…")
def response(model_name: str, stamp: tuple, code: str) -> codes.Response:
    return codes.sweep(c.load_model(model_name)[0], code, n=200, seed=0)


names = candidates(name, stamp)
st.caption(
    (
        "Codes: "
        if spec.continuous
        else "The active latent dimensions (average KL over 1,000 test digits above 0.1 nat), largest KL first: "
    )
    + ", ".join(names)
    + "."
)
key = f"codes:done:{name}"
if st.button("Measure", type="primary", key="codes:measure", icon=":material/straighten:"):
    st.session_state[key] = True
if not st.session_state.get(key):
    st.info(f"Press **Measure**: {len(names)} sweeps of 200 latents (a few seconds).", icon=":material/info:")
    st.stop()

shown = st.session_state["codes_responses"] = {}
for code in names:
    r = shown[code] = response(name, stamp, code)
    st.subheader(r.name())
    fig = make_subplots(1, 2, subplot_titles=("slant (degrees)", "stroke width (pixels)"))
    for col, what, colour in ((1, "slant", "#4c78a8"), (2, "width", "#e45756")):
        mean, lo, hi = r.band(what)
        fig.add_trace(
            go.Scatter(
                x=r.values + r.values[::-1],
                y=hi + lo[::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.18,
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            ),
            1,
            col,
        )
        fig.add_trace(
            go.Scatter(x=r.values, y=mean, mode="lines+markers", line=dict(color=colour), showlegend=False, name=what),
            1,
            col,
        )
    fig.update_xaxes(title_text=f"value of {code}")
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10))
    st.plotly_chart(fig, width="stretch", key=f"codes:{code}")
    st.image(
        images.png_bytes(images.grid(r.images, nrow=len(r.values)), 3),
        width="content",
        caption=f"the first latent at each value of {code}",
    )
st.caption(
    "Line: mean over the 200 latents; band: their 10th to 90th percentile. A code is named after the measure "
    "it moves more, in units of that measure's spread over latents; after both when the smaller is at least 60% "
    "of the larger; after neither when neither moves by one spread across the sweep."
    + (
        " InfoGAN's codes are trained on [−1, 1]; the sweep runs to ±2, as the paper's figures do."
        if spec.continuous
        else ""
    )
)
