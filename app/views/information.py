"""InfoGAN information: G(z, c) and Q's read-back of c; the bound L_I over 2,000 draws against H(c) = log 10
with controls that destroy the information; the code-to-digit confusion matrix. Computation in
genlib.explorer.information and genlib.metrics; layout only.

session_state written here (tests read it): "info_readback" (genlib.explorer.information.ReadBack),
"info_meter" (genlib.explorer.information.Information, after "Measure"), "info_confusion" (metrics.code_confusion)."""

import plotly.graph_objects as go
import streamlit as st
import torch

import components as c
from genlib import metrics
from genlib.explorer import information

name, model = c.require_model()
st.title("InfoGAN information")
st.latex(
    r"I\left(c;\, G(z,c)\right) = H(c) - H\left(c\mid G(z,c)\right) \;\geq\; "
    r"L_I = \mathbb{E}_{c\sim P(c),\,x\sim G(z,c)}\left[\log Q(c\mid x)\right] + H(c)"
)
if not information.applies(model):
    st.info(
        f"**{name}** has no code c and no network Q(c|x); this page is about the **infogan**.", icon=":material/info:"
    )
    st.stop()
stamp = c.stamp(name)
spec = model.latent

# ---------------------------------------------------------------- one draw and its read-back
st.subheader("G(z, c), and what Q reads back")
cols = st.columns(4)
category = int(cols[0].selectbox("Category", list(range(spec.categorical[0])), key="info:cat"))
cont = [
    cols[1 + j].slider(code.name, float(code.low), float(code.high), 0.0, step=0.05, key=f"info:c{j}")
    for j, code in enumerate(spec.continuous)
]
seed = int(cols[3].number_input("Seed of z", 0, 2**31 - 1, 0, key="info:seed"))
z = spec.sample_z(1, torch.Generator().manual_seed(seed))[0]
rb = information.read_back(model, z, category, cont)
st.session_state["info_readback"] = rb
img_col, cat_col, cont_col = st.columns([1, 2, 2])
c.show_image(rb.image, f"G(z, c), category {category}", scale=6, container=img_col)
bar = go.Figure(
    go.Bar(
        x=list(range(len(rb.category))),
        y=rb.category.tolist(),
        marker_color=["#e45756" if k == category else "#4c78a8" for k in range(len(rb.category))],
    )
)
bar.update_layout(
    height=260, margin=dict(l=10, r=10, t=30, b=10), title="Q(category | x)", xaxis_type="category", yaxis_range=[0, 1]
)
cat_col.plotly_chart(bar, width="stretch", key="info:catbar")
fig = go.Figure()
for j, code in enumerate(spec.continuous):
    fig.add_trace(
        go.Scatter(
            x=[float(rb.mu[j])],
            y=[code.name],
            mode="markers",
            name="Q's μ ± σ",
            error_x=dict(array=[float(rb.sigma[j])]),
            marker=dict(size=10, color="#4c78a8"),
            showlegend=j == 0,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[cont[j]],
            y=[code.name],
            mode="markers",
            name="true value",
            showlegend=j == 0,
            marker=dict(symbol="x", size=12, color="#e45756"),
        )
    )
fig.update_layout(
    height=260,
    margin=dict(l=10, r=10, t=30, b=10),
    title="Q(c_j | x) for the continuous codes",
    xaxis_range=[-2, 2],
    legend=dict(orientation="h", y=-0.2),
)
cont_col.plotly_chart(fig, width="stretch", key="info:contfig")

# ---------------------------------------------------------------- the L_I meter
st.subheader("L_I over 2,000 draws")


@st.cache_data(max_entries=32, show_spinner="Generating 2,000 images and reading them back…")
def measure(model_name: str, stamp: tuple, shuffle: bool, noise: float, seed: int) -> information.Information:
    return information.information(c.load_model(model_name)[0], 2000, seed, shuffle, noise)


a, b, cc = st.columns([1, 2, 1], vertical_alignment="bottom")
shuffle = a.toggle(
    "Shuffle c before Q",
    key="info:shuffle",
    help="Score Q's reading of each image against another draw's code: c and x become independent.",
)
noise = b.select_slider("Pixel noise (sd, added to G's image)", [0.0, 0.1, 0.2, 0.3, 0.5, 1.0], 0.0, key="info:noise")
run = cc.button("Measure", type="primary", key="info:measure", icon=":material/speed:")
wanted = (shuffle, float(noise))
if run:
    st.session_state["info_meter"] = measure(name, stamp, shuffle, float(noise), 0)
meter = st.session_state.get("info_meter")
if meter is None:
    st.info("Press **Measure** (about 5 s here): 2,000 images from G, each read back by Q.", icon=":material/info:")
else:
    if (meter.shuffled, meter.noise) != wanted:
        st.info("The controls changed; press **Measure** again.", icon=":material/info:")
    gauge = go.Figure()
    gauge.add_bar(
        y=["with Q as trained", "Q with refitted confidence"],
        x=[meter.bound, meter.calibrated],
        orientation="h",
        marker_color=["#4c78a8", "#54a24b"],
        text=[f"{meter.bound:.3f}", f"{meter.calibrated:.3f}"],
        textposition="auto",
        cliponaxis=False,
    )
    gauge.add_vline(
        x=meter.ceiling, line=dict(color="#e45756", dash="dash"), annotation_text=f"H(c) = log 10 = {meter.ceiling:.3f}"
    )
    gauge.add_vline(x=0, line=dict(color="grey", width=1))
    gauge.update_layout(
        height=220,
        margin=dict(l=10, r=40, t=30, b=10),
        xaxis_title="L_I of the categorical code (nats)",
        xaxis_range=[min(-0.5, meter.bound - 0.5), meter.ceiling + 0.5],
    )
    st.plotly_chart(gauge, width="stretch", key="info:gauge")
    m = st.columns(3)
    m[0].metric("Q's top category is c", f"{meter.accuracy:.1%}")
    m[1].metric(
        "Refitted temperature",
        f"{meter.temperature:.3g}",
        help="Q's logits divided by this; a huge value means the best Q is the uniform one (L_I = 0).",
    )
    m[2].metric(
        "Continuous codes' L_I",
        " / ".join(f"{v:.2f}" for v in meter.continuous),
        help="E[log Q(c_j|x)] + log 2 per continuous code (uniform on [−1, 1], differential entropy log 2): "
        "no ceiling, since a continuous code can carry unbounded information.",
    )
    st.caption(
        f"{meter.n:,} draws{', c shuffled' if meter.shuffled else ''}"
        f"{f', pixel noise sd {meter.noise:g}' if meter.noise else ''}. Any Q gives a lower bound on the "
        "information; the trained Q's bound drops below 0 when it is confidently wrong, the refitted one "
        "(the same Q, one temperature fitted, the uniform Q among its choices) falls to about 0 when c "
        "and the image are independent."
    )

# ---------------------------------------------------------------- confusion
st.subheader("Which digit each category draws")
clf, why = c.classifier()
if clf is None:
    st.warning(
        f"The project's classifier cannot be loaded ({why}), so there is no confusion matrix.",
        icon=":material/warning:",
    )
else:

    @st.cache_data(max_entries=8, show_spinner="Classifying 2,000 images (200 per category)…")
    def confusion(model_name: str, stamp: tuple) -> dict:
        return metrics.code_confusion(c.load_model(model_name)[0], c.classifier()[0], n=2000, seed=0)

    if st.button("Compute the confusion matrix", key="info:confusion") or "info_confusion" in st.session_state:
        conf = st.session_state["info_confusion"] = confusion(name, stamp)
        matrix = conf["confusion"].float()
        shares = (matrix / matrix.sum(1, keepdim=True)).tolist()
        heat = go.Figure(
            go.Heatmap(
                z=shares,
                x=[str(d) for d in range(10)],
                y=[str(k) for k in range(10)],
                colorscale="Blues",
                zmin=0,
                zmax=1,
                text=[[f"{v:.0%}" for v in row] for row in shares],
                texttemplate="%{text}",
            )
        )
        heat.update_layout(
            height=420,
            margin=dict(l=10, r=10, t=10, b=10),
            xaxis_title="digit the classifier sees",
            yaxis_title="categorical code",
            yaxis_autorange="reversed",
        )
        st.plotly_chart(heat, width="stretch", key="info:heat")
        st.caption(
            "Each code matched to a different digit, one-to-one (Hungarian): "
            + ", ".join(f"{k}→{d}" for k, d in enumerate(conf["code_to_digit"]))
            + f"; matched accuracy {conf['code_accuracy']:.1%} (bar {0.95:.0%}). InfoGAN was never shown a "
            "label: the digits are what its 10-way code came to encode."
        )
    else:
        st.caption("200 images per category, classified by the project's classifier (a few seconds).")
