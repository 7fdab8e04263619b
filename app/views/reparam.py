"""Reparameterisation (VAE, CVAE): Q(z|X) per dimension, z = μ + σ ⊙ ε drawn and decoded, prior draws for
contrast with their log P(X|z), and the pathwise against the score-function gradient estimator (with and
without a baseline).
Computation in genlib.explorer.reparam; layout only.

session_state written here (tests read it): "reparam_draws" and "reparam_prior" (genlib.explorer.reparam.Draws),
"reparam_gradients" = (dimension, genlib.explorer.reparam.GradientSamples)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import components as c
from genlib import images
from genlib.explorer import reparam
from genlib.models.card import KL, REPARAM

name, model = c.require_model()
st.title("Reparameterisation")
st.latex(REPARAM)
st.caption("Σ(X) is diagonal here, so Σ^{1/2}(X) ε is the elementwise product σ(X) ⊙ ε used below.")
if not model.has_posterior:
    st.info(
        f"**{name}** has no Gaussian encoder Q(z|X) to reparameterise. Pick the **vae** or the **cvae**. "
        + (
            "InfoGAN's categorical code is no example of a latent the trick cannot handle: c is drawn from a "
            "fixed prior and only scored by Q, so no gradient ever has to pass through its sampling."
            if model.latent.categorical
            else ""
        ),
        icon=":material/info:",
    )
    st.stop()

picked = c.image_picker("rep", model)
if picked is None:
    st.stop()
image, label, described = picked
post = reparam.posterior(model, image, label)
st.caption(
    "The image is binarised (as on the ELBO and likelihood page) before it is encoded, so Q(z|X) and its KL "
    f"({float(post.kl.sum()):.1f} nats in all) are those of the image whose log P(X|z) is scored on both pages."
)

# ---------------------------------------------------------------- Q(z|X) per dimension
st.subheader("Q(z|X): a mean and a spread per dimension")
order = post.order
fig = go.Figure(
    go.Scatter(
        x=[f"z{j}" for j in order],
        y=post.mu[order].tolist(),
        mode="markers",
        error_y=dict(array=post.sigma[order].tolist()),
        name="μ ± σ",
        marker=dict(size=8),
    )
)
fig.add_trace(
    go.Bar(
        x=[f"z{j}" for j in order],
        y=post.kl[order].tolist(),
        name="KL per dimension (nats)",
        marker_color="rgba(228,87,86,0.35)",
        yaxis="y2",
    )
)
fig.update_layout(
    height=320,
    margin=dict(l=10, r=10, t=10, b=10),
    xaxis_title="dimension, largest KL first",
    yaxis_title="μ ± σ",
    yaxis2=dict(overlaying="y", side="right", title="KL", showgrid=False),
    legend=dict(orientation="h", y=1.15),
)
img_col, fig_col = st.columns([1, 4])
c.show_image(image, described, scale=5, container=img_col)
fig_col.plotly_chart(fig, width="stretch", key="rep:posterior")
st.caption(
    f"{len(post.active)} of {len(post.mu)} dimensions carry more than 0.1 nat about this image; the rest "
    "sit at μ ≈ 0, σ ≈ 1, copying the prior (the decoder ignores them)."
)
terms = post.kl_terms()
st.latex(KL)
term_cols = st.columns(len(terms) + 1)
for col, (term, value) in zip(term_cols, terms.items(), strict=False):
    col.metric(term, f"{value:.2f}")
term_cols[-1].metric("½ · sum = KL", f"{0.5 * sum(terms.values()):.2f} nats")
st.caption(
    f"The formula's four terms for this image, with k = {len(post.mu)} the dimension of z; their half-sum is the "
    f"KL summed over the bars above ({float(post.kl.sum()):.2f} nats)."
)

# ---------------------------------------------------------------- draws
st.subheader("Draw ε, then z = μ + σ ⊙ ε")
seed = int(st.number_input("Seed of ε", 0, 2**31 - 1, 0, key="rep:seed"))
q = reparam.draws(model, image, label, 16, seed)
prior = reparam.draws(model, image, label, 16, seed, from_prior=True)
st.session_state["reparam_draws"], st.session_state["reparam_prior"] = q, prior
shown = order[: min(6, len(order))]
st.dataframe(
    [
        {
            "draw": i,
            **{f"ε{j}": float(q.eps[i, j]) for j in shown},
            **{f"z{j}": float(q.z[i, j]) for j in shown},
            "log P(X|z)": float(q.log_px[i]),
        }
        for i in range(4)
    ],
    hide_index=True,
    width="stretch",
    column_config={
        k: st.column_config.NumberColumn(format="%.2f")
        for k in [*(f"ε{j}" for j in shown), *(f"z{j}" for j in shown), "log P(X|z)"]
    },
)
st.caption(
    f"The first 4 of 16 draws, in the {len(shown)} dimensions of largest KL. ε is the only random input; "
    "μ and σ come from the encoder, so the gradient flows through them."
)
st.image(
    images.png_bytes(images.grid(q.images, nrow=16), 3),
    caption=f"16 decodings of z ~ Q(z|X): log P(X|z) "
    f"from {float(q.log_px.min()):.0f} to {float(q.log_px.max()):.0f} nats",
    width="stretch",
)
st.image(
    images.png_bytes(images.grid(prior.images, nrow=16), 3),
    caption=f"z from the prior N(0, I) instead: "
    f"log P(X|z) from {float(prior.log_px.min()):.0f} to {float(prior.log_px.max()):.0f} nats",
    width="stretch",
)
worse = float(q.log_px.mean() - prior.log_px.mean())
st.markdown(
    f"On average a prior draw explains this image **{worse:.0f} nats** worse than a draw from Q(z|X) — a "
    f"factor of about e^{worse:.0f}. Sampling z from the prior almost never gives a z that could have produced "
    "X; that is why the VAE learns Q(z|X)."
)

# ---------------------------------------------------------------- gradient estimators
st.subheader("Why the trick matters: two estimates of one gradient")
st.latex(
    r"\frac{\partial}{\partial\mu_j}\mathbb{E}_{z\sim Q}\left[\log P(X\mid z)\right] \approx "
    r"\underbrace{\frac{1}{n}\sum_i \frac{\partial \log P(X\mid z_i)}{\partial z_{i,j}}}"
    r"_{\text{pathwise (reparameterised)}}"
    r"\quad\text{or}\quad"
    r"\underbrace{\frac{1}{n}\sum_i \left(\log P(X\mid z_i) - b_i\right)\frac{\epsilon_{i,j}}{\sigma_j}}"
    r"_{\text{score function}}"
)
st.caption(
    "The score function is shown twice: with b = 0 (no baseline) and with b_i the mean of log P(X|z) over the "
    "other draws of its batch (a baseline that does not depend on draw i keeps the estimate unbiased)."
)
dim = int(
    st.selectbox(
        "Dimension j", order, index=0, format_func=lambda j: f"z{j} (KL {float(post.kl[j]):.2f})", key=f"rep:dim:{name}"
    )
)


@st.cache_data(max_entries=32, show_spinner="1,000 draws, each with a gradient through the decoder…")
def _gradients(model_name: str, stamp: tuple, pixels: bytes, label, dim: int):
    img = torch.from_numpy(np.frombuffer(pixels, dtype=np.float32).copy()).reshape(1, 28, 28)
    return reparam.image_gradients(c.load_model(model_name)[0], img, label, dim, n=1000)


_, grads = _gradients(name, c.stamp(name), image.float().contiguous().numpy().tobytes(), label, dim)
st.session_state["reparam_gradients"] = (dim, grads)
counts = list(range(1, 1001))
ESTIMATORS = (
    ("score", "score function, no baseline", "#e45756"),
    ("baseline", "score function, batch-mean baseline", "#f58518"),
    ("pathwise", "pathwise", "#4c78a8"),
)
gfig = go.Figure()
for which, label_, colour in ESTIMATORS:
    run = grads.running(which).tolist()
    gfig.add_trace(go.Scatter(x=counts, y=run, name=f"{label_}: running estimate", line=dict(color=colour)))
    centre = float(grads.running(which)[-1])
    band = [2 * grads.spread(which, n) for n in counts]
    gfig.add_trace(
        go.Scatter(
            x=counts + counts[::-1],
            y=[centre + b for b in band] + [centre - b for b in band[::-1]],
            fill="toself",
            line=dict(width=0),
            fillcolor=colour,
            opacity=0.15,
            name=f"{label_}: ±2 sd of an n-draw estimate",
        )
    )
gfig.update_layout(
    height=380,
    margin=dict(l=10, r=10, t=10, b=10),
    xaxis_type="log",
    xaxis_title="draws n",
    yaxis_title=f"∂/∂μ{dim}",
    legend=dict(orientation="h", y=1.25),
)
st.plotly_chart(gfig, width="stretch", key="rep:gradients")
path_sd = max(grads.spread("pathwise", 1), 1e-12)
ratio, based = grads.spread("score", 1) / path_sd, grads.spread("baseline", 1) / path_sd
cols = st.columns(4)
for col, (which, title, _) in zip(cols, ESTIMATORS[::-1], strict=False):
    col.metric(
        f"{title.capitalize()}, 1,000 draws", f"{float(grads.running(which)[-1]):.2f} ± {grads.spread(which, 1000):.2f}"
    )
cols[3].metric(
    "Spread over pathwise",
    f"{ratio:.0f}× / {based:.1f}×",
    help=f"Per-draw sd of the score function over that of the pathwise estimator: without a baseline, then with "
    f"the batch mean subtracted. Precision per draw goes with the square: {ratio**2:.0f}× and {based**2:.1f}× as many "
    "draws for the same precision.",
)
st.caption(
    "All three estimators are unbiased. The score function uses only the value of log P(X|z), about "
    f"{float(q.log_px.mean()):.0f} nats here, multiplied by noise: without a baseline that offset dominates its "
    f"spread ({ratio:.0f}× the pathwise one). Subtracting the batch mean removes the offset and leaves "
    f"{based:.1f}×: the rest is what the slope, available because z is a differentiable function of μ and σ, "
    "still buys. The trick needs Q(z|X) and P(z) to be continuous: a VAE with a discrete latent (z one of 10 "
    "categories) has no such path and is trained with the score function or a continuous relaxation such as "
    "Gumbel-softmax."
)
