"""Conditional grids: label rows with shared noise (CGAN, CVAE), InfoGAN code traversals and
per-dimension traversals ordered by KL (VAE family). Which grids appear is decided by genlib.explorer.grids.kinds
from the model's latent spec. The grids shown are stored in st.session_state["grids"] ({kind: Grid})."""

import streamlit as st

import components as c
from genlib.explorer import grids

KL_IMAGES = 2000  # test digits the per-dimension KL is averaged over
SWEEP_RANGES = {
    "−1 … 1 (the prior's range)": (-1.0, 1.0),
    "−2 … 2 (beyond the prior, as the InfoGAN paper)": (-2.0, 2.0),
}


@st.cache_resource(show_spinner="Measuring each latent dimension's KL on 2,000 test digits…", max_entries=12)
def _kl(name: str, stamp: tuple):
    model, test = c.load_model(name)[0], c.test_split()
    labels = test.labels[:KL_IMAGES] if model.latent.n_classes is not None else None
    return grids.dimension_kl(model, test.unit_images(slice(KL_IMAGES)), labels)


def dimension_kl(name: str):
    return _kl(name, c.stamp(name))


def show(grid: grids.Grid, kind: str, name: str, caption: str) -> None:
    st.session_state["grids"][kind] = grid
    png = grid.png()
    st.image(png, caption=caption)
    st.download_button(
        "PNG",
        png,
        file_name=f"{name}-{kind}-grid.png",
        mime="image/png",
        on_click="ignore",
        key=f"grids:{kind}:png",
        icon=":material/download:",
    )


def seed_input(name: str, kind: str, container=st) -> int:
    return int(container.number_input("Seed", 0, 2**31 - 1, 0, key=f"grids:{name}:{kind}:seed"))


def label_rows(name, model):
    st.markdown(
        "One row per digit label; **every column decodes the same noise z**, so a column shows one "
        "writing style (slant, width, stroke) held fixed while only the label changes — the "
        "lecture's *each row is conditioned upon one digit label*."
    )
    cols_col, seed_col = st.columns(2)
    n_cols = cols_col.slider("Columns (noise samples)", 2, 16, 8, key=f"grids:{name}:labels:cols")
    seed = seed_input(name, "labels", seed_col)
    show(
        grids.label_grid(model, n_cols, seed),
        grids.LABELS,
        name,
        f"{name}: rows = label 0–9, columns = {n_cols} noise vectors from seed {seed}",
    )


def code_rows(name, model):
    spec = model.latent
    mapping, accuracy = grids.code_matching(grids.checkpoint_metrics(c.model_folder(name)), spec.categorical[0])
    st.markdown(
        "InfoGAN was never told digit labels: its **categorical code** learned them by maximising the "
        "mutual information between the code and the image. Rows = categorical value (with the digit "
        "it was matched to), columns = one **continuous code** swept, the noise z fixed."
    )
    if accuracy is not None:
        st.metric(
            "Categorical code as a digit classifier (after matching codes to digits)",
            f"{accuracy:.1%}",
            help="From the checkpoint's metrics.json: 10,000 samples, classified by the project's classifier, "
            "each code value matched to one digit. The InfoGAN paper reports 95%.",
        )
    if mapping is None:
        st.info("This checkpoint's metrics.json has no code → digit matching; rows are shown by code value.")
    names = [code.name for code in spec.continuous]
    a, b, d = st.columns(3)
    sweep = names.index(a.selectbox("Sweep the continuous code", names, key=f"grids:{name}:codes:sweep"))
    low, high = SWEEP_RANGES[b.radio("Range", list(SWEEP_RANGES), key=f"grids:{name}:codes:range")]
    seed = seed_input(name, "codes", d)
    fixed = [0.0] * len(names)
    for j, code in enumerate(spec.continuous):
        if j != sweep:
            fixed[j] = st.slider(
                f"{code.name} (held fixed)",
                float(code.low),
                float(code.high),
                0.0,
                step=c.SLIDER_STEP,
                key=f"grids:{name}:codes:fixed{j}",
            )
    n_cols = st.slider("Columns (steps of the sweep)", 3, 15, 9, key=f"grids:{name}:codes:cols")
    grid = grids.code_grid(model, sweep, low, high, n_cols, fixed, seed, mapping)
    show(
        grid,
        grids.CODES,
        name,
        f"{name}: rows sorted by matched digit, columns {names[sweep]} from {low:g} to {high:g}",
    )


def traversal_rows(name, model):
    spec = model.latent
    kl = dimension_kl(name)
    active = int((kl > 0.05).sum())
    st.markdown(
        "Each row sweeps **one latent dimension** from −3 to 3 with the others held still. Rows are "
        f"ordered by the dimension's average KL(q(z_i|x) ‖ N(0,1)) over {KL_IMAGES:,} test digits: a "
        "dimension with KL ≈ 0 is *inactive* — the encoder ignores it, and so does the decoder "
        f"(its row does not change). Here **{active} of {spec.z_dim}** dimensions have KL > 0.05."
    )
    a, b, d = st.columns(3)
    base_kind = a.radio("Other dimensions at", ["0 (prior mean)", "a seed's z"], key=f"grids:{name}:traversal:base")
    base = None
    if base_kind != "0 (prior mean)":
        seed = seed_input(name, "traversal", b)
        base = grids.seed_z(model, seed)
    label = None
    if spec.n_classes is not None:
        label = d.selectbox("Label", list(range(spec.n_classes)), key=f"grids:{name}:traversal:label")
    show_all = (
        st.toggle(f"Show all {spec.z_dim} dimensions", key=f"grids:{name}:traversal:all") if spec.z_dim > 12 else True
    )
    grid = grids.traversal_grid(model, kl, n_cols=9, span=3.0, n_rows=None if show_all else 12, base=base, label=label)
    show(grid, grids.TRAVERSAL, name, f"{name}: one row per latent dimension (most used first), swept −3…3")


RENDER = {
    grids.LABELS: ("Label rows", label_rows),
    grids.CODES: ("InfoGAN code traversal", code_rows),
    grids.TRAVERSAL: ("Per-dimension traversal", traversal_rows),
}

name, model = c.require_model()
st.title("Conditional grids")
st.session_state["grids"] = {}
kinds = grids.kinds(model)
if not kinds:
    st.info(
        f"**{name}** has no label, no interpretable codes and no encoder posterior, so there is no structured "
        "grid to draw. Label rows: models with a label condition (CGAN, CVAE); code traversals: models with "
        "categorical + continuous codes (InfoGAN); per-dimension traversals: models with an encoder posterior "
        "(VAE, CVAE). Pick one of those in the sidebar. Below: random samples.",
        icon=":material/info:",
    )
    cols_col, seed_col = st.columns(2)
    n_cols = cols_col.slider("Columns", 4, 16, 10, key=f"grids:{name}:samples:cols")
    seed = seed_input(name, "samples", seed_col)
    show(grids.sample_grid(model, 4, n_cols, seed), "samples", name, f"{name}: {4 * n_cols} samples from seed {seed}")
else:
    tabs = st.tabs([RENDER[k][0] for k in kinds]) if len(kinds) > 1 else [st.container()]
    for tab, kind in zip(tabs, kinds, strict=True):
        with tab:
            RENDER[kind][1](name, model)
