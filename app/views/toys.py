"""Lecture toys: three slides made live. Computation in genlib.explorer.toys; this file is layout only.

session_state keys (tests read them):
  "toys_ring"  : genlib.explorer.toys.RingSamples of tab (a), recomputed every run from its controls;
  "toys_gan"   : genlib.explorer.toys.ToyGANResult of the last "Train" press in tab (b) (kept across reruns);
  "toys_shift" : genlib.explorer.toys.ShiftComparison of tab (c) for the chosen model;
  "toys_erase" : genlib.explorer.toys.ShiftVsErase of tab (c) for the chosen model;
  "toys_frame" : the genlib.explorer.toys.Snapshot shown by the replay slider of tab (b);
  "toys_lemma" : genlib.explorer.toys.Lemma of the lemma behind D* in tab (b).
"""

import math

import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

import components as c
from genlib.data import load_split
from genlib.explorer import toys

st.title("Lecture toys")
st.caption(
    "Three slides of the lecture as small live experiments. The first two need no trained model; "
    "the third uses the model chosen in the sidebar."
)
ring_tab, gan_tab, shift_tab = st.tabs(
    ["Variable transformation", "An optimum exists (1-D GAN)", "Shifted or erased digit"]
)


# ---------------------------------------------------------------- (a)
def ring_figure(ring: toys.RingSamples) -> go.Figure:
    fig = make_subplots(1, 2, subplot_titles=("z ~ N(0, I)", "X = g(z) = z/10 + z/‖z‖"), horizontal_spacing=0.08)
    # colour by the angle of z: g keeps directions, so the colours show which z went where
    angle = torch.atan2(ring.z[:, 1], ring.z[:, 0]).tolist()
    for col, pts in ((1, ring.z), (2, ring.x)):
        fig.add_trace(
            go.Scattergl(
                x=pts[:, 0].tolist(),
                y=pts[:, 1].tolist(),
                mode="markers",
                showlegend=False,
                marker=dict(size=4, color=angle, colorscale="Phase", cmin=-math.pi, cmax=math.pi),
                hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
            ),
            1,
            col,
        )
        fig.update_xaxes(range=[-4, 4], row=1, col=col)
        fig.update_yaxes(range=[-4, 4], scaleanchor=f"x{col if col > 1 else ''}", scaleratio=1, row=1, col=col)
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10))
    return fig


with ring_tab:
    st.markdown(
        "A generative model maps a simple distribution through a function. Even a fixed, simple "
        "g turns Gaussian samples into a ring: **any** distribution can be made this way by a "
        "complicated enough g, which is what a decoder learns (Doersch's tutorial)."
    )
    n_col, seed_col = st.columns([3, 1])
    n = n_col.slider("Number of samples", 50, 5000, 1000, step=50, key="toys:ring_n")
    seed = seed_col.number_input("Seed", 0, 2**31 - 1, 0, key="toys:ring_seed")
    ring = toys.ring_samples(int(n), int(seed))
    st.session_state["toys_ring"] = ring
    st.plotly_chart(ring_figure(ring), width="stretch", key="toys:ring_chart")
    norms = ring.x.norm(dim=1)
    st.caption(
        f"‖g(z)‖ = 1 + ‖z‖/10 exactly, so the images lie at radius {norms.min():.2f}–{norms.max():.2f} "
        "(ring of radius 1, thickened by ‖z‖/10); colour = direction of z, which g keeps."
    )


# ---------------------------------------------------------------- (b)
def apply_preset() -> None:
    """Sets the controls to the chosen preset (a callback: it runs before the widgets are drawn)."""
    cfg = toys.PRESETS.get(st.session_state["toys:preset"])
    if cfg is None:
        return
    values = {
        "toys:modes": len(cfg.data.means),
        "toys:std": cfg.data.stds[0],
        "toys:k": cfg.k,
        "toys:steps": cfg.steps,
        "toys:lr": cfg.lr,
        "toys:lr_d": cfg.d_lr,
        "toys:loss": cfg.loss,
        "toys:gan_seed": cfg.seed,
        "toys:hidden": cfg.hidden,
    }
    st.session_state.update(values)


def gan_config() -> toys.ToyGANConfig:
    st.selectbox(
        "Preset",
        ["your settings", *toys.PRESETS],
        key="toys:preset",
        on_change=apply_preset,
        help="collapse to a point: G piles its samples into one spike; drop a mode: G covers some of three modes "
        "and leaves one out. Both with seed 0; other seeds fail differently or not at all.",
    )
    a, b, cc, d = st.columns(4)
    modes = a.slider("Modes of p_data", 1, 4, 2, key="toys:modes")
    std = b.slider("σ of each mode", 0.2, 1.0, 0.5, step=0.05, key="toys:std")
    k = cc.slider("k (D steps per G step)", 1, 5, 1, key="toys:k")
    steps = d.number_input("Training iterations", 10, 5000, 500, step=50, key="toys:steps")
    a, a2, w, b, cc = st.columns([1, 1, 1, 2, 1])
    lr = a.select_slider("G's learning rate", LRS, 2e-3, key="toys:lr")
    lr_d = a2.select_slider("D's learning rate", LRS, 2e-3, key="toys:lr_d")
    hidden = w.select_slider(
        "Width of D and G",
        WIDTHS,
        16,
        key="toys:hidden",
        help="Units per hidden layer of both MLPs. The lecture's argument assumes unlimited capacity; "
        "a narrow D cannot draw D*, a narrow G cannot bend N(0, 1) into several modes.",
    )
    loss = b.radio(
        "Generator loss",
        toys.LOSSES,
        horizontal=True,
        key="toys:loss",
        help="non-saturating: minimise −log D(G(z)) (the paper's practical choice); "
        "minimax: minimise log(1 − D(G(z))), exactly the lecture's loop, whose gradient vanishes "
        "while D rejects the fakes confidently.",
    )
    seed = cc.number_input("Seed", 0, 2**31 - 1, 0, key="toys:gan_seed")
    return toys.ToyGANConfig(
        data=toys.mixture(modes, std),
        steps=int(steps),
        k=k,
        lr=lr,
        lr_d=lr_d,
        hidden=hidden,
        loss=loss,
        seed=int(seed),
    )


LRS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
WIDTHS = [2, 4, 8, 16, 32, 64]


def train(cfg: toys.ToyGANConfig) -> None:
    bar = st.progress(0.0, text="Training…")
    every = max(1, cfg.steps // 50)  # ~50 progress messages: each one is a round trip to the browser

    def tick(step, total):
        if step % every == 0 or step == total:
            bar.progress(step / total, text=f"Training… iteration {step}/{total}")

    try:
        st.session_state["toys_gan"] = toys.train_toy_gan(cfg, callback=tick)
    except (ValueError, FloatingPointError) as e:
        st.error(f"Training stopped: {e}")
    bar.empty()


def density_figure(data: toys.Mixture, result: toys.ToyGANResult | None) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if result is None:
        grid = torch.linspace(min(data.means) - 4 * max(data.stds), max(data.means) + 4 * max(data.stds), 400)
        fig.add_trace(go.Scatter(x=grid.tolist(), y=data.pdf(grid).tolist(), name="p_data", line=dict(color="black")))
    else:
        x = result.grid.tolist()
        fig.add_trace(go.Scatter(x=x, y=result.p_data.tolist(), name="p_data (true)", line=dict(color="black")))
        fig.add_trace(
            go.Scatter(x=x, y=result.p_g.tolist(), name="p_g (KDE of G's samples)", line=dict(color="#1f77b4"))
        )
        fig.add_trace(
            go.Scatter(x=x, y=result.d.tolist(), name="D(x), trained", line=dict(color="#d62728")), secondary_y=True
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=result.d_star.tolist(),
                name="D*(x) = p_data / (p_data + p_g)",
                line=dict(color="#ff7f0e", dash="dash"),
            ),
            secondary_y=True,
        )
        fig.add_hline(y=0.5, line=dict(color="grey", dash="dot", width=1), secondary_y=True)
    fig.update_yaxes(title_text="density", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(
        title_text="D", range=[0, 1.02], tickmode="linear", tick0=0, dtick=0.25, secondary_y=True, showgrid=False
    )
    fig.update_layout(
        height=420, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12), xaxis_title="x"
    )
    return fig


def replay_figure(result: toys.ToyGANResult, snap: toys.Snapshot) -> go.Figure:
    fig = make_subplots(
        1,
        2,
        column_widths=[0.68, 0.32],
        specs=[[{"secondary_y": True}, {}]],
        subplot_titles=(f"after {snap.step} of {result.config.steps} iterations", "the map z → G(z)"),
    )
    x = result.replay_grid.tolist()
    p_data = result.config.data.pdf(result.replay_grid)
    fig.add_trace(go.Scatter(x=x, y=p_data.tolist(), name="p_data", line=dict(color="black")), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=snap.p_g.tolist(), name="p_g", line=dict(color="#1f77b4")), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=snap.d.tolist(), name="D(x)", line=dict(color="#d62728")), 1, 1, secondary_y=True)
    fig.add_trace(
        go.Scatter(x=x, y=snap.d_star.tolist(), name="D*(x)", line=dict(color="#ff7f0e", dash="dash")),
        1,
        1,
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=result.z_grid.tolist(), y=snap.g_of_z.tolist(), name="G(z)", line=dict(color="#2ca02c"), showlegend=False
        ),
        1,
        2,
    )
    # D's push on G's samples: arrows just above the x axis, where the samples are
    level = 0.03 * float(max(p_data.max(), snap.p_g.max()))
    for x0, dx in toys.push_arrows(snap, result.replay_grid):
        fig.add_annotation(
            x=x0 + dx, y=level, ax=x0, ay=level, xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="#9467bd", text="",
        )  # fmt: skip
    fig.update_yaxes(title_text="density", rangemode="tozero", row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="D", range=[0, 1.02], row=1, col=1, secondary_y=True, showgrid=False)
    fig.update_xaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="z ~ N(0, 1)", row=1, col=2)
    fig.update_yaxes(
        title_text="x = G(z)", range=[float(result.replay_grid[0]), float(result.replay_grid[-1])], row=1, col=2
    )
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=1.18))
    return fig


def criterion_figure(result: toys.ToyGANResult, step: int) -> go.Figure:
    steps = [s.step for s in result.snapshots]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=steps, y=[s.criterion for s in result.snapshots], name="C(G) = −log 4 + 2·JSD(p_data ‖ p_g)")
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=[s.value_at_optimum for s in result.snapshots],
            name="V(D*, G), integrated from p_data and p_g",
            mode="markers",
            marker=dict(symbol="circle-open", size=8),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps, y=[s.value for s in result.snapshots], name="V(D, G) with the current D", line=dict(dash="dot")
        )
    )
    fig.add_hline(y=-math.log(4), line=dict(color="grey", dash="dot", width=1), annotation_text="−log 4 (p_g = p_data)")
    fig.add_vline(x=step, line=dict(color="grey", width=1))
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title="iteration",
        yaxis_title="nats",
        legend=dict(orientation="h", y=1.2),
    )
    return fig


def curves_figure(history: dict) -> go.Figure:
    fig = make_subplots(1, 2, subplot_titles=("losses", "mean D on a batch"))
    steps = list(range(1, len(history["loss_d"]) + 1))
    for key, name in (("loss_d", "D loss −[log D(x) + log(1 − D(G(z)))]"), ("loss_g", "G loss")):
        fig.add_trace(go.Scatter(x=steps, y=history[key], name=name), 1, 1)
    fig.add_hline(
        y=2 * math.log(2),
        line=dict(color="grey", dash="dot", width=1),
        row=1,
        col=1,
        annotation_text="log 4 (D loss at the optimum)",
    )
    for key, name in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")):
        fig.add_trace(go.Scatter(x=steps, y=history[key], name=name), 1, 2)
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dot", width=1), row=1, col=2)
    fig.update_xaxes(title_text="iteration")
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def lemma_panel() -> None:
    """The one-line lemma behind D*, with a and b to move and both maxima marked."""
    with st.expander("Why D\\* = p_data / (p_data + p_g): the lemma, at one x"):
        st.markdown(
            "At each x, V's integrand is a·log D(x) + b·log(1 − D(x)) with a = p_data(x) and b = p_g(x). For "
            "a, b > 0 the function y ↦ a·log y + b·log(1 − y) peaks at y = a / (a + b), so the best D takes "
            "that value at every x."
        )
        left, right = st.columns(2)
        a = left.slider("a = p_data(x)", 0.05, 2.0, 0.6, step=0.05, key="toys:lemma_a")
        b = right.slider("b = p_g(x)", 0.05, 2.0, 0.3, step=0.05, key="toys:lemma_b")
        lem = st.session_state["toys_lemma"] = toys.lemma(a, b)
        fig = go.Figure(go.Scatter(x=lem.y.tolist()[::20], y=lem.values.tolist()[::20], name="a·log y + b·log(1 − y)"))
        fig.add_vline(x=lem.best_formula, line=dict(color="#ff7f0e", dash="dash"), annotation_text="a / (a + b)")
        fig.add_vline(x=lem.best_on_grid, line=dict(color="#2ca02c", dash="dot"), annotation_text="search")
        fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="y = D(x)", yaxis_range=[-6, 1])
        st.plotly_chart(fig, width="stretch", key="toys:lemma_chart")
        st.caption(
            f"The largest value on a grid of {len(lem.y):,} points is at y = {lem.best_on_grid:.4f}; the formula "
            f"gives a / (a + b) = {lem.best_formula:.4f}."
        )


with gan_tab:
    st.markdown(
        "For a fixed generator the best discriminator is **D\\*(x) = p_data(x) / (p_data(x) + p_g(x))**; "
        "at the global optimum p_g = p_data and D\\* = ½ everywhere. Train a tiny GAN "
        "(two 1 → w → w → 1 MLPs of the width w chosen below, z ~ N(0, 1)) on a mixture of Gaussians and compare "
        "its D with D\\*."
    )
    lemma_panel()
    cfg = gan_config()
    if st.button("Train", type="primary", icon=":material/play_arrow:", key="toys:train"):
        train(cfg)
    result = st.session_state.get("toys_gan")
    if result is None:
        st.info(
            "Press **Train** (the defaults take a few seconds). Below: the data density alone.", icon=":material/info:"
        )
    elif result.config != cfg:
        st.info(
            "The controls changed since this result was trained; press **Train** to train with them.",
            icon=":material/info:",
        )
    st.plotly_chart(
        density_figure(result.config.data if result else cfg.data, result), width="stretch", key="toys:gan_chart"
    )
    if result is not None:
        m = st.columns(4)
        m[0].metric(
            "JSD(p_data ‖ p_g)",
            f"{result.jsd:.3f} nats",
            help="0 at the optimum, at most log 2 ≈ 0.693. With D = D*, the GAN criterion is −log 4 + 2·JSD.",
        )
        m[1].metric("D(x) on real, last batch", f"{result.history['d_real'][-1]:.2f}")
        m[2].metric("D(G(z)) on fake, last batch", f"{result.history['d_fake'][-1]:.2f}")
        m[3].metric("Training time", f"{result.seconds:.1f} s")
        st.caption(
            f"p_g is a kernel density estimate of {len(result.samples):,} generator samples; D* is drawn "
            "where p_data + p_g is not negligible. The trained D only approaches D* where it has seen "
            "samples, and a tiny D cannot be exact."
        )
        st.markdown(
            "**Replay.** The game as it was played: every few iterations the densities, D, D\\* and the "
            "map from z to x were kept. Below the slider, the generator's criterion at the optimal D, "
            "C(G) = −log 4 + 2·JSD(p_data ‖ p_g), falls to −log 4 only when p_g = p_data; the value "
            "V(D, G) of the D actually trained lies below it (D is not optimal)."
        )
        steps = [s.step for s in result.snapshots]
        at = st.select_slider("Iteration", steps, value=steps[-1], key="toys:replay")
        snap = result.snapshots[steps.index(at)]
        st.session_state["toys_frame"] = snap
        st.plotly_chart(replay_figure(result, snap), width="stretch", key="toys:replay_chart")
        st.caption(
            "Purple arrows: where D's gradient pushes G's samples at this iteration, −∂/∂x of G's loss at x "
            "(lengths scaled to the strongest). G's step moves its samples along them."
        )
        st.plotly_chart(criterion_figure(result, at), width="stretch", key="toys:criterion")
        st.caption(
            "The circles put the best D into V's definition and integrate E_p_data[log D\\*] + E_p_g[log(1 − D\\*)] "
            "over x; the line is −log 4 + 2·JSD. The lecture proves they are equal; here they differ by at most "
            f"**{result.identity_gap:.3f} nats** over the replay (the integration grid's edges and spacing)."
        )
        shares = result.mode_shares()
        dropped = result.dropped_modes()
        st.caption(
            "Share of G's samples within 2σ of each mode: "
            + ", ".join(f"{m:g}: {v:.0%}" for m, v in zip(result.config.data.means, shares, strict=True))
            + (
                ". Dropped (reached less than a tenth as often as p_data's own draws): "
                + ", ".join(f"the mode at {result.config.data.means[j]:g}" for j in dropped)
                + f". A missing mode keeps JSD above 0 (here {result.jsd:.2f}), so C(G) stays above −log 4: at D\\* "
                "the criterion does penalise it, and the failure comes from the training dynamics."
                if dropped
                else ". Every mode is reached."
            )
            + " Presets: "
            + "; ".join(f"*{n}* (G's rate {p.lr / p.d_lr:g}× D's)" for n, p in toys.PRESETS.items())
            + ". Repair either by letting D "
            "catch up (a larger k) or by giving D G's rate: the lecture's point that D and G must stay in step."
        )
        st.plotly_chart(curves_figure(result.history), width="stretch", key="toys:gan_curves")


# ---------------------------------------------------------------- (c)
@st.cache_data(max_entries=256, show_spinner="Searching the 60,000 training digits…")
def neighbour_of(index: int) -> int:
    """Index of the test digit's nearest training image (pixel L2); depends on the index only."""
    return toys.nearest_other(c.test_split().unit_images(index), c.train_images())[0]


@st.cache_data(show_spinner=False)
def typical_pixel_distance() -> float:
    return toys.typical_distance(c.test_split().unit_images())


@st.cache_data(max_entries=12, show_spinner=False)
def typical_latent_distance(name: str) -> float:
    return toys.typical_distance(c.test_encodings(name).z)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b > 0 else "–"


with shift_tab:
    st.markdown(
        "The lecture's warning: a decoder whose P(X|z) scores each pixel on its own (a Gaussian in the "
        "lecture, a Bernoulli here) judges similarity pixel by pixel, so **the most obvious variation may "
        "not be the most likely**. A digit moved by a pixel or two is still the same digit; the same digit "
        "with a piece of its stroke erased is a worse one. Which is closer in pixels, and which does the "
        "model find more likely?"
    )
    name, model = c.require_model()  # stops only this tab's content: it is the last one drawn
    test = c.test_split()
    a, b, cc, d = st.columns(4)
    index = int(a.number_input("Test digit (index)", 0, len(test) - 1, 0, key="toys:index"))
    dx = b.slider("Shift right (pixels)", -3, 3, 2, key="toys:dx")
    dy = cc.slider("Shift down (pixels)", -3, 3, 0, key="toys:dy")
    size = d.slider("Erased square (pixels)", 2, 10, 6, key="toys:erase")
    label = int(test.labels[index])
    contrast = toys.shift_vs_erase(model, test.unit_images(index), label, dx, dy, size)
    st.session_state["toys_erase"] = contrast
    cols = st.columns(3)
    nll = contrast.nll
    for col, key, what in (
        (cols[0], "original", f"test #{index} (a {label})"),
        (cols[1], "shifted", f"shifted by ({dx:+d}, {dy:+d}) px"),
        (cols[2], "erased", f"a {size}×{size} piece erased"),
    ):
        caption = what + (f": pixel distance {contrast.pixel[key]:.2f}" if key in contrast.pixel else "")
        caption += f"; −log P(X) = {nll[key]:.1f} nats" if nll else ""
        c.show_image(getattr(contrast, key), caption, scale=7, container=col)
    closer = "erased" if contrast.pixel["erased"] < contrast.pixel["shifted"] else "shifted"
    if nll is None:
        st.caption(
            f"In pixels the **{closer}** copy is closer to the original. **{name}** defines no likelihood "
            "P(X); pick the VAE or the CVAE to see which copy it finds more likely."
        )
    else:
        likelier = "erased" if nll["erased"] < nll["shifted"] else "shifted"
        gap = abs(nll["erased"] - nll["shifted"])
        st.markdown(
            f"In pixels the **{closer}** copy is closer; **{name}** finds the **{likelier}** copy more likely "
            f"(by {gap:.1f} nats, a factor e^{gap:.0f}). "
            "NLLs are importance-weighted estimates on the binarised images."
        )
    st.divider()
    c.require_encoder(name, model, "measure distances between digits in its latent space")
    st.markdown(
        "**Farther than a different digit.** The shifted copy against the nearest *other* training digit, "
        "in pixel distance and in the model's latent distance."
    )
    train_split = load_split(True)  # in memory after c.train_images(); its labels condition label models
    cmp = toys.compare_shift(
        model,
        test.unit_images(index),
        label,
        dx,
        dy,
        c.train_images(),
        train_split.labels,
        neighbour=neighbour_of(index),
    )
    st.session_state["toys_shift"] = cmp

    cols = st.columns(3)
    c.show_image(cmp.original, f"test #{index} (a {label})", scale=7, container=cols[0])
    c.show_image(
        cmp.shifted,
        f"shifted by ({dx:+d}, {dy:+d}) px: pixel {cmp.pixel['shifted']:.2f}, latent {cmp.latent['shifted']:.2f}",
        scale=7,
        container=cols[1],
    )
    c.show_image(
        cmp.neighbour,
        f"nearest training digit #{cmp.neighbour_index} (a {cmp.neighbour_label}): "
        f"pixel {cmp.pixel['neighbour']:.2f}, latent {cmp.latent['neighbour']:.2f}",
        scale=7,
        container=cols[2],
    )

    px_typ, z_typ = typical_pixel_distance(), typical_latent_distance(name)
    st.table(
        [
            {
                "distance to the test digit": what,
                "pixel L2": f"{cmp.pixel[k]:.2f}",
                "÷ typical pixel distance": ratio(cmp.pixel[k], px_typ),
                f"{name} latent L2": f"{cmp.latent[k]:.2f}",
                "÷ typical latent distance": ratio(cmp.latent[k], z_typ),
            }
            for k, what in (("shifted", "shifted copy (same digit)"), ("neighbour", "nearest training digit"))
        ]
    )
    st.caption(
        f"Typical distance = median over random pairs of test digits: pixel {px_typ:.2f}, "
        f"{name} latent {z_typ:.2f}."
        + (
            " This model is conditional: each image is encoded with its own true label."
            if model.latent.n_classes is not None
            else ""
        )
    )
    if (dx, dy) == (0, 0):
        st.info("Shift 0: the copy is the digit itself, at distance 0. Move a slider.", icon=":material/info:")
    else:
        st.markdown(
            f"In pixel space the shifted copy is **{ratio(cmp.pixel['shifted'], cmp.pixel['neighbour'])}** "
            f"as far as the nearest training digit; in **{name}**'s latent space "
            f"**{ratio(cmp.latent['shifted'], cmp.latent['neighbour'])}**."
        )
