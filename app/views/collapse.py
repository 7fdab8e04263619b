"""Mode collapse: the class histogram of each unconditional GAN's samples, as the project's classifier
sees them, beside the uniform 10% line; plus a DCGAN trained with bad settings (checkpoints/dcgan-collapsed)
when it exists. The histograms shown are stored in st.session_state["collapse"] ({name: Histogram})."""

import plotly.graph_objects as go
import streamlit as st

import components as c
import genlib
from genlib import images, metrics
from genlib.explorer import collapse, tradeoffs
from genlib.models import VARIANTS

SAMPLE_COUNTS = [500, 1000, 2000, 5000, 10000]


@st.cache_resource(show_spinner="Loading the extra checkpoint…", max_entries=4)
def _load_extra(folder: str, stamp: tuple):
    try:
        return genlib.load(VARIANTS[folder], path=genlib.CHECKPOINTS / folder), None
    except genlib.CheckpointError as e:
        return None, str(e)


def load_extra(folder: str):
    return _load_extra(folder, c.stamp(folder))


@st.cache_resource(show_spinner="Sampling and classifying…", max_entries=32)
def _histogram(folder: str, stamp: tuple, n: int, seed: int) -> collapse.Histogram:
    model = c.load_model(folder)[0] if folder in genlib.MODELS else load_extra(folder)[0]
    test = c.test_split()
    return collapse.class_histogram(
        model, c.classifier()[0], n=n, seed=seed, reference=(test.unit_images(), test.labels)
    )


def histogram(folder: str, n: int, seed: int) -> collapse.Histogram:
    return _histogram(folder, c.stamp(folder), n, seed)


def chart(
    h: collapse.Histogram, shipped: list[float] | None, healthy: tuple[str, list[float]] | None = None
) -> go.Figure:
    digits = [str(d) for d in range(10)]
    lo, hi = zip(*h.intervals, strict=True)
    name = f"{h.n:,} samples at ship time" if h.samples is None else f"these {h.n:,} samples"
    band = dict(
        type="data",
        symmetric=False,
        array=[u - s for u, s in zip(hi, h.class_shares, strict=True)],
        arrayminus=[s - v for s, v in zip(h.class_shares, lo, strict=True)],
    )
    fig = go.Figure(go.Bar(x=digits, y=h.class_shares, name=f"{name} (95% band)", marker_color="#4c78a8", error_y=band))
    if shipped is not None:
        fig.add_bar(x=digits, y=shipped, name="10,000 samples at ship time", marker_color="#bbbbbb")
    if healthy is not None:  # a variant beside the healthy model it was changed from
        fig.add_bar(x=digits, y=healthy[1], name=healthy[0], marker_color="#54a24b")
    # line labels sit in the right margin so no bar hides them
    fig.add_hline(
        y=0.1, line_dash="dash", line_color="green", annotation_text="uniform 10%", annotation_position="right"
    )
    fig.add_hline(
        y=metrics.COVERAGE_BAR,
        line_dash="dot",
        line_color="red",
        annotation_text=f"bar {metrics.COVERAGE_BAR:.0%}",
        annotation_position="right",
    )
    fig.update_layout(
        barmode="group",
        height=300,
        margin={"l": 10, "r": 90, "t": 10, "b": 10},
        xaxis_title="predicted digit",
        xaxis_type="category",
        yaxis_title="share of samples",
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "y": 1.15},
    )
    return fig


def section(
    folder: str, h: collapse.Histogram, shipped: list[float] | None, healthy: tuple[str, list[float]] | None = None
) -> None:
    left, right = st.columns([3, 2], gap="large")
    left.plotly_chart(chart(h, shipped, healthy), key=f"collapse:{folder}:chart")
    # one tile per row: three side by side in this column cut their labels and values short
    right.metric(
        f"Rarest digit: {h.least_frequent}",
        f"{h.min_class_share:.1%}",
        delta=f"{(h.min_class_share - metrics.COVERAGE_BAR) * 100:+.1f} points vs the {metrics.COVERAGE_BAR:.0%} bar",
        delta_color="normal",
        help="The share of samples the classifier reads as the digit drawn least often.",
    )
    right.metric(
        "Class entropy",
        f"{h.class_entropy:.3f} nats",
        help=f"log 10 = {h.class_entropy_max:.3f}: all digits equally often",
    )
    if h.mean_diversity is not None:
        right.metric(
            "Within-class diversity",
            f"{h.mean_diversity:.2f}",
            help="Mean pixel distance between samples of the same predicted digit, over the same for real test "
            "digits of that class, averaged over the digits drawn: 1 ≈ as varied as MNIST, near 0 = one "
            "image repeated. A histogram cannot see collapse inside a class; this can.",
        )
    if h.below_bar:
        right.warning(
            f"Under-produced (the whole 95% band below {metrics.COVERAGE_BAR:.0%}): "
            + ", ".join(map(str, h.below_bar)),
            icon=":material/warning:",
        )
    elif h.undecided:
        right.info(
            f"Below {metrics.COVERAGE_BAR:.0%} in this sample, but within sampling noise of the bar: "
            + ", ".join(map(str, h.undecided))
            + ". More samples decide it.",
            icon=":material/info:",
        )
    else:
        right.success(
            f"Every digit is produced at least {metrics.COVERAGE_BAR:.0%} of the time.", icon=":material/check:"
        )
    if h.samples is not None:
        right.image(images.png_bytes(images.grid(h.samples, nrow=8), 3), caption="the first 16 samples")
    elif (png := genlib.CHECKPOINTS / folder / "samples.png").is_file():
        right.image(str(png), caption="samples at ship time")


def show_recipe(folder: str) -> None:
    """The bad recipe, read from the checkpoint's own config, beside the healthy model of its architecture."""
    bad, arch = collapse.recipe(genlib.CHECKPOINTS / folder), VARIANTS[folder]
    good = collapse.recipe(genlib.CHECKPOINTS / arch)
    if bad is None:
        return
    rows = [
        {
            "model": name,
            "G's learning rate": r["lr_g"],
            "D's learning rate": r["lr_d"],
            "G / D": f"{r['ratio']:g}×",
            "k": r["k"],
            "epochs": r["epochs"],
            "weight average of G": f"decay {r['ema']:g}" if r["ema"] else "none",  # one type per column (Arrow)
            "R1 penalty γ": r["r1"],
        }
        for name, r in ((folder, bad), (arch, good))
        if r is not None
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    diffs = collapse.recipe_differences(folder, arch)
    n = len(diffs)
    pace = ""
    if {"lr", "lr_d"} & {k for k, _, _ in diffs}:
        pace = (
            f"G's rate is {bad['ratio']:g} times D's here"
            + (f", {good['ratio']:g} times in {arch}" if good is not None else "")
            + "; the lecture warns that D must be kept in step with G. "
        )
    cause = (
        "Each is a candidate cause; nothing here separates them. "
        if n > 1
        else "Architecture, seed and every other setting are the same, so this one change is the cause. "
    )
    st.caption(
        f"The table is read from each checkpoint's `config.json`. As declared, the two recipes differ in "
        f"{collapse.count_word(n)} setting{'s' * (n != 1)} of G's training ({arch} → {folder}): "
        f"{collapse.describe_differences(diffs)}. {cause if n else ''}{pace}"
        f"Trained with `{bad['command'] or collapse.train_hint(folder)}`."
    )


st.title("Mode collapse")
st.markdown(
    "The lecture's result: against the best discriminator D\\*, the generator's criterion is "
    "−log 4 + 2·JSD(p_data ‖ p_g), and a p_g that misses a mode has a larger JSD, so the game's optimum covers "
    "every mode (the **Lecture toys** page computes both sides for a 1-D example, including a generator that "
    "drops a mode). Collapse comes from the *dynamics*: D is trained a few steps at a time and is never D\\*; "
    "a generator that moves faster than D can follow finds the few images the current D accepts and crowds "
    "onto them. Here each unconditional GAN draws samples, the project's classifier names each digit, and "
    "the bars count them. A healthy model sits "
    f"near the uniform 10% line; the project's bar is at least {metrics.COVERAGE_BAR:.0%} for every digit. "
    "Each bar carries its 95% band: a digit is flagged only when the whole band lies under the bar, so that "
    "the luck of a sample alone does not flag a model that met its bar at ship time (with 10,000 samples)."
)
c.require_classifier()
# the histograms measured at ship time show at once; sampling new ones (seconds per model) is on request
sampling = st.toggle("Sample and classify new digits now (a few seconds per model)", key="collapse:sample")
if sampling:
    n_col, seed_col = st.columns(2)
    n = n_col.select_slider("Samples per model", SAMPLE_COUNTS, value=2000, key="collapse:n")
    seed = int(seed_col.number_input("Seed", 0, 2**31 - 1, 0, key="collapse:seed"))
else:
    st.caption("Showing the histograms measured when each model was shipped (10,000 samples).")

shown = st.session_state["collapse"] = {}
candidates = [(nm, m) for nm, m in c.available_models().items() if collapse.is_unconditional_gan(m)]
for folder in VARIANTS:
    if (genlib.CHECKPOINTS / folder).is_dir():
        model, error = load_extra(folder)
        if model is None:
            st.error(f"**{folder}** cannot be loaded: {error}")
        elif collapse.is_unconditional_gan(model):
            candidates.append((folder, model))
if not candidates:
    st.warning("No unconditional GAN is trained yet: train one with `python train.py --model gan`.")

for folder, _model in candidates:
    st.subheader(folder)
    at_ship = collapse.shipped_histogram(genlib.CHECKPOINTS / folder)
    if sampling or at_ship is None:  # a checkpoint that recorded no histogram is sampled here
        try:
            h = histogram(folder, n if sampling else 2000, seed if sampling else 0)
        except (ValueError, RuntimeError) as e:
            st.error(f"Could not sample and classify {folder}: {e}")
            continue
    else:
        h = at_ship
    shown[folder] = h
    healthy = None
    if folder in VARIANTS:
        show_recipe(folder)
        if (arch := VARIANTS[folder]) in shown:
            healthy = (f"{arch}, {shown[arch].n:,} samples", shown[arch].class_shares)
    section(folder, h, None if h is at_ship or at_ship is None else at_ship.class_shares, healthy)

for folder, arch in VARIANTS.items():
    if not (genlib.CHECKPOINTS / folder).is_dir():
        st.info(
            f"**{folder}** (a {arch} trained with deliberately bad settings, to show collapse beside the healthy "
            f"models) is not in `{genlib.CHECKPOINTS}` yet. Train it with `{collapse.train_hint(folder)}`; this page "
            "picks it up.",
            icon=":material/info:",
        )

st.divider()
st.subheader("The lecture's list: what a GAN gains and what it pays")
st.table(
    [{"the lecture": claim, "": kind, "shown on": page, "how": shows} for claim, kind, page, shows in tradeoffs.ITEMS]
)
gan, vae = c.load_model("gan")[0], c.load_model("vae")[0]
if gan is None or vae is None:
    st.info("Measuring the cost the list turns on needs the shipped gan and vae.", icon=":material/info:")
elif st.button("Measure a sample against a likelihood", key="collapse:tradeoffs") or "tradeoffs" in st.session_state:
    if "tradeoffs" not in st.session_state:
        with st.spinner("Timing the GAN's samples and the VAE's likelihood estimate…"):
            st.session_state["tradeoffs"] = tradeoffs.measure(gan, vae, c.test_split().unit_images(0))
    t = st.session_state["tradeoffs"]
    st.caption(
        f"The GAN drew {t.n:,} digits in {t.g_passes} pass of G, {t.sample_ms:.1f} ms ({t.per_sample_ms * 1e3:.0f} µs "
        f"a digit): no chain to run, nothing to infer. The VAE's importance-weighted estimate of log P(X) for one test "
        f"digit (K = {t.k:,}) needed its encoder and {t.decoded:,} decodes (K, and the one prior draw the estimate "
        f"also makes), {t.likelihood_ms:.1f} ms; for the GAN there is no such number at all (medians of 3, this "
        "server's CPU)."
    )
