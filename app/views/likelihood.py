"""ELBO and likelihood (VAE, CVAE): the two ELBO terms of one image, importance-weighted bounds rising
from the ELBO towards log P(X), the gap labelled as the encoder's error, and the naive prior-sampling
estimate with its effective sample size. Computation in genlib.explorer.likelihood; layout only.

session_state written here (tests read it): "likelihood" = the genlib.explorer.likelihood.Likelihood shown;
"likelihood_table" = {image description: Likelihood} of the comparison table;
"likelihood_binarisations" = genlib.explorer.likelihood.Binarisations (one test NLL, two binarisations)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import components as c
from genlib.explorer import likelihood

name, model = c.require_model()
st.title("ELBO and likelihood")
st.latex(
    r"\log P(X) - \mathcal{D}\left[Q(z\mid X)\,\|\,P(z\mid X)\right] = "
    r"\underbrace{\mathbb{E}_{z\sim Q}\left[\log P(X\mid z)\right]}_{\text{reconstruction}} - "
    r"\underbrace{\mathcal{D}\left[Q(z\mid X)\,\|\,P(z)\right]}_{\text{KL}}"
)
if not likelihood.applies(model):
    st.info(
        f"**{name}** does not have both a Gaussian encoder Q(z|X) and a likelihood P(X|z), so it has no ELBO. "
        "Pick the **vae** or the **cvae** in the sidebar.",
        icon=":material/info:",
    )
    st.stop()


@st.cache_data(max_entries=64, show_spinner="Drawing samples from Q and from the prior…")
def _measure(
    model_name: str, stamp: tuple, pixels: bytes, label: int | None, pool: int, prior_n: int
) -> likelihood.Likelihood:
    image = torch.from_numpy(np.frombuffer(pixels, dtype=np.float32).copy()).reshape(1, 28, 28)
    return likelihood.likelihood(c.load_model(model_name)[0], image, label, pool=pool, prior_n=prior_n)


def measure(
    image: torch.Tensor, label: int | None, pool: int = likelihood.POOL, prior_n: int = likelihood.PRIOR_N
) -> likelihood.Likelihood:
    stamp = c.stamp(name)
    return _measure(name, stamp, image.float().contiguous().numpy().tobytes(), label, pool, prior_n)


def bound_figure(r: likelihood.Likelihood) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(
        x=["reconstruction<br>E_Q[log P(X|z)]", "− KL<br>D[Q(z|X) ‖ P(z)]", "ELBO"],
        y=[r.recon, -r.kl, r.elbo],
        marker_color=["#4c78a8", "#e45756", "#54a24b"],
        text=[f"{v:.1f}" for v in (r.recon, -r.kl, r.elbo)],
        textposition="outside",
        name="ELBO terms",
    )
    ks = list(r.iwae)
    fig.add_trace(
        go.Scatter(
            x=[f"IWAE K={k}" for k in ks],
            y=[r.iwae[k][0] for k in ks],
            mode="lines+markers+text",
            text=[f"{r.iwae[k][0]:.1f}" for k in ks],
            textposition="top center",
            error_y=dict(array=[0 if np.isnan(r.iwae[k][1]) else 2 * r.iwae[k][1] for k in ks]),
            name="importance-weighted bound",
            line=dict(color="#f58518"),
        )
    )
    fig.add_bar(
        x=["prior sampling<br>(no Q)"],
        y=[r.prior_estimate],
        marker_color="#bbbbbb",
        text=[f"{r.prior_estimate:.1f}"],
        textposition="outside",
        name="naive estimate",
    )
    fig.add_hline(y=r.elbo, line=dict(color="#54a24b", dash="dot", width=1))
    fig.add_hline(
        y=r.best,
        line=dict(color="#f58518", dash="dot", width=1),
        annotation_text=f"gap {r.gap:.1f} nats: a lower bound on D[Q(z|X) ‖ P(z|X)]",
        annotation_position="top left",
    )
    fig.update_layout(
        height=440,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis_title="nats (log-probabilities)",
        legend=dict(orientation="h", y=-0.25),
    )
    return fig


picked = c.image_picker("lik", model)
if picked is None:
    st.stop()
image, label, described = picked
result = measure(image, label)
st.session_state["likelihood"] = result

img_col, fig_col = st.columns([1, 3], gap="large")
c.show_image(image, f"{described} (thresholded at 0.5 for P(X))", scale=7, container=img_col)
img_col.metric("log P(X) ≥", f"{result.best:.1f} nats", help="The importance-weighted bound with the most samples K.")
img_col.metric(
    "Prior draws' effective sample size",
    f"{result.prior_ess:.1f} of {result.prior_n:,}",
    help="(Σw)² / Σw² of the weights P(X|z), z ~ N(0, I). Near 1: one draw carries the whole estimate.",
)
fig_col.plotly_chart(bound_figure(result), width="stretch", key="lik:chart")
st.markdown(
    f"The **ELBO** ({result.elbo:.1f}) is the reconstruction ({result.recon:.1f}) minus the KL ({result.kl:.1f}). "
    f"Averaging K importance weights P(X|z)P(z)/Q(z|X) per estimate (K samples from Q, not the dimension k "
    "of z in the KL formula) gives bounds that rise with K: "
    + ", ".join(f"K = {k}: {v:.1f}" for k, (v, _) in result.iwae.items())
    + f". They approach log P(X) from below, so their rise above the ELBO, **{result.gap:.1f} nats**, is a lower bound "
    "on the term the ELBO drops, D[Q(z|X) ‖ P(z|X)]: how far the encoder's Gaussian is from the true posterior. "
    f"K = 1 is the ELBO again (the same expectation, estimated without the closed-form KL). The **naive estimate** "
    f"draws z from the prior instead of Q: {result.prior_estimate:.1f} nats from {result.prior_n:,} draws, of which "
    f"effectively {result.prior_ess:.1f} count — almost no z from N(0, I) explains this X, which is why Q(z|X) exists."
)
st.caption(
    "The lecture's slide estimates a test digit's likelihood by drawing z and computing P(z|X). P(z|X) itself "
    "needs P(X), the number sought; what is computed here, for each z drawn from Q(z|X), is the weight "
    "P(X|z)P(z)/Q(z|X), whose mean over the draws estimates P(X)."
)
largest = max(result.iwae)
st.caption(
    f"Error bars: ±2 standard errors over the {result.pool:,} draws from Q split into disjoint groups of K, "
    + ", ".join(f"{result.groups(k):,} groups for K = {k:,}" for k in result.iwae)
    + f"; the bar of K = {largest:,} rests on only {result.groups(largest)} estimates, so it is rough. "
    "Each number is seeded and stays put between reruns."
)

with st.expander("The derivation, step by step, with this image's numbers"):
    log_px = result.best  # the closest estimate of log P(X) here: a lower bound, so the gap below is too
    st.markdown(
        "1. Start from the encoder's error: D[Q(z|X) ‖ P(z|X)] = E_Q[log Q(z|X) − log P(z|X)].\n"
        "2. Bayes' rule, log P(z|X) = log P(X|z) + log P(z) − log P(X), turns it into "
        "E_Q[log Q(z|X) − log P(X|z) − log P(z)] + log P(X).\n"
        "3. Rearranged: log P(X) − D[Q(z|X) ‖ P(z|X)] = E_Q[log P(X|z)] − D[Q(z|X) ‖ P(z)], the ELBO.\n\n"
        f"For this image, from the {result.pool:,} draws from Q: E_Q[log Q(z|X)] = {result.e_log_q:.2f}, "
        f"E_Q[log P(z)] = {result.e_log_pz:.2f}, E_Q[log P(X|z)] = {result.recon:.2f} nats. So "
        f"D[Q(z|X) ‖ P(z)] = E_Q[log Q − log P(z)] = **{result.kl_sampled:.2f} ± {2 * result.kl_se:.2f}** by sampling "
        f"and **{result.kl:.2f}** by the closed form; the ELBO is {result.elbo:.2f}. With log P(X) ≈ {log_px:.2f} "
        f"(IWAE, K = {max(result.iwae):,}), step 3 leaves D[Q(z|X) ‖ P(z|X)] ≈ {log_px - result.elbo:.2f} nats: "
        "the encoder's error, at least this large."
    )

st.subheader("Four kinds of image side by side")
test = c.test_split()
first = test.unit_images(0)
lab0 = int(test.labels[0]) if model.latent.n_classes is not None else None
rows = {
    f"test digit #0 (a {int(test.labels[0])})": (first, lab0),
    "the same digit shifted 3 px": (likelihood.shifted(first, 3, 0), lab0),
    "the letter A": (likelihood.letter_image("A"), 0 if lab0 is not None else None),
}
drawn = (st.session_state.get("draw_result") or {}).get("prepared")
if drawn is not None and drawn.image is not None:
    analysis = st.session_state["draw_result"].get("analysis")
    rows["your drawing"] = (
        drawn.image.reshape(1, 28, 28),
        (analysis.prediction if analysis is not None else 0) if lab0 is not None else None,
    )
table = {what: measure(img, lab, pool=1000, prior_n=1000) for what, (img, lab) in rows.items()}  # lighter: a summary
st.session_state["likelihood_table"] = table
st.dataframe(
    [
        {
            "image": what,
            "reconstruction": r.recon,
            "KL": r.kl,
            "ELBO": r.elbo,
            **{f"IWAE K={k}": v for k, (v, _) in r.iwae.items()},
            "gap (≤ D[Q‖P(z|X)])": r.gap,
            "prior sampling": r.prior_estimate,
            "prior ESS": r.prior_ess,
        }
        for what, r in table.items()
    ],
    hide_index=True,
    width="stretch",
    column_config={
        k: st.column_config.NumberColumn(format="%.1f")
        for k in (
            "reconstruction",
            "KL",
            "ELBO",
            "gap (≤ D[Q‖P(z|X)])",
            "prior sampling",
            "prior ESS",
            *(f"IWAE K={k}" for k in likelihood.KS),
        )
    },
)
base = next(iter(table.values())).best
st.caption(
    "All in nats, from 1,000 draws from Q and 1,000 from the prior per image (the panel above uses 4,000 "
    "and 5,000), so K = 1,000 is one group and has no error estimate. Compared with the test digit, log P(X) is "
    + ", ".join(f"{r.best - base:+.1f} for {what}" for what, r in list(table.items())[1:])
    + ". "
    + ("the letter is given label 0 and the shifted digit its own label. " if lab0 is not None else "")
    + ("Draw a digit on the Draw page to add a row." if "your drawing" not in table else "")
)

st.subheader("Which test NLL? Two ways to binarise a grey digit")


@st.cache_data(max_entries=8, show_spinner="Scoring 500 test digits both ways…")
def _binarisations(model_name: str, stamp: tuple) -> likelihood.Binarisations:
    return likelihood.binarisations(c.load_model(model_name)[0])


both = st.session_state["likelihood_binarisations"] = _binarisations(name, c.stamp(name))
left, right = st.columns(2)
left.metric(f"Thresholded at 0.5 (this page, Draw), K = {both.k}", f"{both.thresholded:.1f} nats")
right.metric(f"Dynamically binarised (Models card), K = {both.k}", f"{both.dynamic:.1f} nats")
st.caption(
    f"Mean −log P(X) of the same {both.n} first test digits. The Bernoulli decoder scores binary images, and "
    "a grey digit becomes one in two ways: this page and the Draw page threshold every pixel at 0.5, its "
    "likelier value; the Models card's test NLL draws each pixel once as a Bernoulli of its grey level, as "
    "the VAE saw its digits in training, which flips some pixels to their less likely value and costs "
    f"{both.dynamic - both.thresholded:.1f} nats per digit here. The card's own figure uses all 10,000 test "
    "digits and K = 500."
)
