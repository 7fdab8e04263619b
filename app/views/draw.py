"""Draw: a hand-drawn (or uploaded) digit, made to look like MNIST, then encoded, reconstructed,
classified and placed on the latent map by the chosen model; for the VAE family also its NLL among
the test digits' NLLs (an out-of-distribution score).

What the page computed is kept in st.session_state["draw_result"] (tests read it):
{"model", "source", "prepared": drawing.Prepared, "analysis": drawing.Analysis | None} (genlib.explorer.drawing)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import components as c
from genlib import images
from genlib.explorer import drawing

CANVAS = 280  # px; 10× MNIST's field
PEN = 22  # px; a digit drawn ~200 px tall shrinks 10× into the 20-px box: a 2-px stroke, as in MNIST
SOURCES = ["Draw on the canvas", "Upload an image"]
GUESS = "classifier's guess"


@st.cache_resource(
    show_spinner="Estimating the NLL of 1,000 test digits (once per model, then cached on disk)…", max_entries=6
)
def _test_nlls(name: str, stamp: tuple) -> np.ndarray:
    return drawing.test_nll_distribution(c.load_model(name)[0], name, c.test_split())


def test_nlls(name: str) -> np.ndarray:
    return _test_nlls(name, c.stamp(name))


def canvas_input():
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.warning(
            "The drawing canvas needs `pip install streamlit-drawable-canvas` (see requirements.txt); "
            "upload an image instead.",
            icon=":material/warning:",
        )
        return drawing.Prepared(None, "No canvas here: upload an image instead.", blank=True)
    st.caption("Draw one digit, large. The toolbar above the canvas undoes, redoes and clears.")
    st.space("small")  # room for the canvas's toolbar, which floats above it
    result = st_canvas(
        stroke_width=PEN,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS,
        width=CANVAS,
        drawing_mode="freedraw",
        return_image_data=True,
        key="draw:canvas",
    )
    return drawing.from_canvas(result.image_data)


def upload_input():
    file = st.file_uploader(
        "A PNG or JPEG of one digit",
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
        key="draw:upload",
        help="Dark ink on light paper is inverted; a transparent PNG's opacity is the ink.",
    )
    if file is None:
        return drawing.Prepared(None, "Upload an image of a digit (or draw one on the canvas).", blank=True)
    return drawing.from_upload(file.getvalue())


def latent_map(name, z, prediction):
    enc, proj = c.test_encodings(name), c.projection(name)
    xy = proj.xy.numpy()
    fig = go.Figure(c.digit_traces(xy, enc.labels, size=4, opacity=0.5, hover=False))
    here = proj.project(z)[0]
    # WebGL like the test points: an SVG trace would be drawn underneath them
    fig.add_trace(
        go.Scattergl(
            x=[float(here[0])],
            y=[float(here[1])],
            mode="markers",
            name="your digit",
            marker=dict(
                symbol="star", size=26, color=images.DIGIT_COLOURS[prediction], line=dict(color="black", width=2)
            ),
            hovertemplate="your digit<extra></extra>",
        )
    )
    fig.add_annotation(
        x=float(here[0]),
        y=float(here[1]),
        text="yours",
        showarrow=True,
        arrowhead=2,
        ax=40,
        ay=-40,
        bgcolor="white",
        bordercolor="black",
    )
    fig.update_layout(
        height=460,
        margin=dict(l=10, r=10, t=30, b=10),
        legend_title_text="digit",
        xaxis_title="PC1",
        yaxis_title="PC2",
        title=f"{len(enc.z):,} test digits and yours (★)",
    )
    st.plotly_chart(fig, key=f"draw:map:{name}")


def nll_panel(name, value):
    dist = test_nlls(name)
    pct = drawing.percentile(value, dist)
    st.metric(
        "Your digit's NLL, −log p(x)",
        f"{value:.1f} nats",
        help=f"Importance-weighted estimate with K = {drawing.NLL_K} importance samples from q(z|x)",
    )
    if pct >= 99:
        st.warning(
            f"Less likely than {pct:.1f}% of test digits: out of distribution for this model.",
            icon=":material/warning:",
        )
    else:
        st.success(
            f"Less likely than {pct:.0f}% of test digits: within the test distribution.", icon=":material/check_circle:"
        )
    fig = go.Figure(go.Histogram(x=dist, nbinsx=40, name="test digits", marker_color="#9aa5b1"))
    fig.add_vline(
        x=value, line=dict(color="#d62728", width=3), annotation_text=f"yours: {value:.0f}", annotation_position="top"
    )
    fig.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis_title="NLL (nats), lower = more likely",
        yaxis_title="test digits",
        title=f"NLL of {len(dist):,} test digits",
    )
    st.plotly_chart(fig, key=f"draw:nll:{name}")
    st.caption(
        f"Your digit and the test digits are both binarised by thresholding at {drawing.BINARY_THRESHOLD} "
        "(the model was trained on randomly binarised MNIST; thresholding picks the most likely binary "
        "image), so they are compared alike. The Models card's test NLL draws each pixel at random instead and "
        "comes out higher: the ELBO and likelihood page shows both for the same digits. Draw a letter or a "
        "scribble and watch it score as unlikely."
    )


name, model = c.require_model()
st.title("Draw a digit")
st.caption(
    f"**{name}**: your digit is made to look like MNIST (bounding box scaled to 20 × 20 px, centre of mass "
    "moved to the middle of 28 × 28), then encoded, reconstructed, classified and placed on the latent map."
)
c.require_encoder(name, model, "encode your drawing")
clf = c.require_classifier()

left, right = st.columns([1, 2], gap="large")
with left:
    source = st.segmented_control("Input", SOURCES, default=SOURCES[0], key="draw:source") or SOURCES[0]
    prepared = canvas_input() if source == SOURCES[0] else upload_input()
    label_choice = None
    if model.latent.n_classes is not None:
        label_choice = st.radio(
            "Label given to the model",
            [GUESS, *range(model.latent.n_classes)],
            key="draw:label",
            horizontal=True,
            help="This model is conditioned on a label; by default the classifier's digit.",
        )


def show_results(prepared, label_choice, result):
    for note in prepared.notes:
        st.info(note, icon=":material/info:")
    if not prepared.ok:
        if prepared.blank:
            st.info(prepared.message, icon=":material/draw:")
        else:
            st.error(prepared.message, icon=":material/error:")
        return None
    analysis = drawing.analyse(model, clf, prepared.image, None if label_choice in (None, GUESS) else label_choice)
    result["analysis"] = analysis
    a, b, probs = st.columns(3)
    c.show_image(prepared.image, caption="your digit, MNIST-style (28 × 28)", scale=7, container=a)
    how = f"given label {analysis.label}" if analysis.label is not None else "from its z"
    if analysis.codes is not None:
        how += f", codes inferred by Q (category {int(analysis.codes['categorical'][0])})"
    c.show_image(analysis.reconstruction, caption=f"{name}'s reconstruction ({how})", scale=7, container=b)
    with probs:
        st.markdown(f"**The classifier says {analysis.prediction}**")
        for digit, p in analysis.top:
            st.progress(p, text=f"{digit}: {p:.1%}")
        acc = getattr(clf, "test_accuracy", None)
        st.caption("Top 3 of the project's MNIST classifier" + (f" ({acc:.1%} test accuracy)." if acc else "."))
    return analysis


result = {"model": name, "source": source, "prepared": prepared, "analysis": None}
st.session_state["draw_result"] = result
with right:
    analysis = show_results(prepared, label_choice, result)

if analysis is not None:
    map_col, nll_col = st.columns(2, gap="large")
    with map_col:
        latent_map(name, analysis.z, analysis.prediction)
        if model.latent.n_classes is not None:
            st.caption(
                "This model is given the label, so z holds style rather than the digit: expect the classes "
                "to overlap on the map."
            )
    with nll_col:
        if analysis.nll is not None:
            nll_panel(name, analysis.nll)
        else:
            st.info(
                f"**{name}** has no likelihood to estimate: a GAN defines p(x) only implicitly, through its "
                "generator, so there is no NLL for your digit. Pick vae or cvae to see how likely it is.",
                icon=":material/info:",
            )
