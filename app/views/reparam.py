"""Reparameterisation (VAE, CVAE): Q(z|X) per dimension, z = μ + σ ⊙ ε drawn and decoded, prior draws for
contrast with their log P(X|z), and the pathwise against the score-function gradient estimator.
Computation in genlib.explorer.reparam; layout only.

session_state written here (tests read it): "reparam_draws" and "reparam_prior" (genlib.explorer.reparam.Draws),
"reparam_gradients" = (dimension, genlib.explorer.reparam.GradientSamples)."""

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import components as c
from genlib import images
from genlib.explorer import reparam

name, model = c.require_model()
st.title("Reparameterisation")
st.latex(r"z = \mu(X) + \Sigma^{1/2}(X)\odot\epsilon,\qquad \epsilon\sim\mathcal{N}(0, I)")
if not model.has_posterior:
    st.info(
        f"**{name}** has no Gaussian encoder Q(z|X) to reparameterise. Pick the **vae** or the **cvae**. "
        + (
            "InfoGAN's categorical code could not be reparameterised this way in any case: the trick needs "
            "Q(z|X) and P(z) to be continuous, and a draw from 10 categories has no path along which a small "
            "change of the parameters moves it a little."
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
    r"\underbrace{\frac{1}{n}\sum_i \log P(X\mid z_i)\,\frac{\epsilon_{i,j}}{\sigma_j}}_{\text{score function}}"
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
gfig = go.Figure()
for which, label_, colour in (("score", "score function", "#e45756"), ("pathwise", "pathwise", "#4c78a8")):
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
    height=360,
    margin=dict(l=10, r=10, t=10, b=10),
    xaxis_type="log",
    xaxis_title="draws n",
    yaxis_title=f"∂/∂μ{dim}",
    legend=dict(orientation="h", y=1.2),
)
st.plotly_chart(gfig, width="stretch", key="rep:gradients")
ratio = grads.spread("score", 1) / max(grads.spread("pathwise", 1), 1e-12)
cols = st.columns(3)
for col, which, title in ((cols[0], "pathwise", "Pathwise"), (cols[1], "score", "Score function")):
    col.metric(f"{title}, 1,000 draws", f"{float(grads.running(which)[-1]):.2f} ± {grads.spread(which, 1000):.2f}")
cols[2].metric(
    "Spread ratio (score / pathwise)",
    f"{ratio:.0f}×",
    help=f"The score function needs about {ratio**2:.0f}× as many draws for the same precision.",
)
st.caption(
    "Both estimators are unbiased. The score function only uses the value of log P(X|z) (about "
    f"{float(q.log_px.mean()):.0f} nats here, multiplied by noise); the pathwise estimator uses its slope, "
    "available because z is a differentiable function of μ and σ. One pathwise draw is about as precise as "
    f"{max(1, math.ceil(ratio**2)):,} score-function draws. The trick needs Q(z|X) and P(z) to be "
    "continuous: InfoGAN's categorical code could not be sampled this way."
)
