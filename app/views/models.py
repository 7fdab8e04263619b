"""Models: one card for the model chosen in the sidebar — what it is (lecture text and objective),
architecture, training curves, quality bars, per-epoch samples ("watch it learn") and, for models
with a discriminator, its features as a classifier. Layout only: the content comes from genlib.explorer.cards.

session_state written here (read by tests): "models_sample" = {"model", "epoch", "png"} of the shown
sample grid; "models_probe" = the probe table shown (or None); "models_compared" = the comparison table of a model
from an ONNX folder (or None)."""

import plotly.graph_objects as go
import streamlit as st

import components as c
import genlib
from genlib import checkpoint, metrics
from genlib.explorer import architecture, cards, exchange, grids, training_record
from genlib.models import VARIANTS, architecture_of, onnx_folder

STATUS = {"met": "met", "missed": "MISSED", "not measured": "not measured", "—": ""}
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]  # distinct per series (the theme's blues blur together)


@st.cache_data(
    max_entries=8, show_spinner=f"Drawing {metrics.COMPARE_SAMPLES:,} digits and measuring them (up to a minute)…"
)
def compared(model_name: str, stamp: tuple, n: int, encoding_images: int) -> dict:
    return metrics.compare(c.load_model(model_name)[0], c.classifier()[0], n, encoding_images)


def folder_model(name: str, model, error: str | None) -> None:
    """The card of a model from an ONNX folder: what its folder declares, and its quality measured here, beside
    the numbers the shipped models recorded (it has no training record to show)."""
    if model is None:
        st.error(f"**{name}** cannot be loaded: {exchange.escaped(error)}", icon=":material/error:")
        return
    card = cards.folder_card(model)
    st.header(f"{name}: {exchange.escaped(card.title, 100)}")  # the title and the path are the user's: escaped
    st.markdown(exchange.escaped(card.what, 1000))
    for note in card.notes:
        st.markdown(f"- {note}")
    st.subheader("Quality, beside the shipped models")
    st.caption(
        f"The same numbers the shipped models recorded when they were trained: {metrics.COMPARE_SAMPLES:,} samples "
        "read by the project's classifier (the Fréchet distance in its features; the rarest digit's share of the "
        "samples, or for a labelled model how often it draws the asked digit), and, with an encoder, the share of "
        f"{metrics.COMPARE_ENCODINGS:,} test digits that still read as themselves after encoding and decoding."
    )
    st.session_state["models_compared"] = None
    if not (st.button("Measure", key="models:compare") or st.session_state.get(f"models:compared:{name}")):
        return
    st.session_state[f"models:compared:{name}"] = True
    c.require_classifier()
    table = {
        f"{name} (measured now)": compared(name, c.stamp(name), metrics.COMPARE_SAMPLES, metrics.COMPARE_ENCODINGS)
    }
    table |= {n: grids.checkpoint_metrics(genlib.CHECKPOINTS / n) for n in genlib.MODELS}
    rows = st.session_state["models_compared"] = cards.comparison_rows(table)
    st.dataframe(rows, hide_index=True, width="stretch")


name = c.current_model_name()
st.title("Models")
model, load_error = c.load_model(name)
if onnx_folder.is_folder(c.model_folder(name)):
    folder_model(name, model, load_error)
    st.stop()
card = cards.card_for(name)
folder = genlib.CHECKPOINTS / name  # read at run time: tests point CHECKPOINTS elsewhere

st.header(f"{name}: {card.title}")
if card.paper:
    st.caption(card.paper)


# ---------------------------------------------------------------- what it is
st.subheader("What it is")
st.markdown(card.what)
for caption, tex in card.objective:
    st.caption(caption)
    st.latex(tex)
for note in card.notes:
    st.markdown(f"- {note}")

if model is None:
    st.warning(
        f"**{name}** has no usable checkpoint ({load_error}). Train it with "
        f"`python train.py --model {name}`; below is the architecture of its default configuration.",
        icon=":material/warning:",
    )


# ---------------------------------------------------------------- architecture
st.subheader("Architecture")
arch_model = model if model is not None else genlib.build(name)
rows = architecture.architecture(arch_model)
parts = architecture.params_by_role(rows)
cols = st.columns(len(parts) + 1)
cols[0].metric("Parameters", f"{arch_model.n_params():,}")
for col, (role, n) in zip(cols[1:], parts.items(), strict=True):
    col.metric(role, f"{n:,}")
st.dataframe(
    [
        {
            "part": r["part"],
            "role": r["role"],
            "output / image": r["output"],
            "parameters": r["params"],
            "layers": r["layers"],
        }
        for r in rows
    ],
    hide_index=True,
    width="stretch",
    column_config={"parameters": st.column_config.NumberColumn(format="localized")},
)
if "Q" in parts:
    st.caption("Q shares D's body: its own parameters are only the head above.")
if "inverter" in parts:
    st.caption("The inverter is not part of the game: it is fitted after training so the app can encode images.")
with st.expander("The full module (PyTorch's str)"):
    st.code(str(arch_model), language=None)

if model is None:
    st.stop()


# ---------------------------------------------------------------- training
st.subheader("Training")
try:
    history = training_record.read_history(folder)
except checkpoint.CheckpointError as e:
    st.warning(f"The training history cannot be read: {e}", icon=":material/warning:")
    history = []
summary = training_record.training_summary(folder, history)
if summary and summary["command"]:
    minutes = f"{summary['seconds'] / 60:.1f} min" if summary["seconds"] else "time not recorded"
    st.markdown(
        f"`{summary['command']}` — {summary['epochs']} epochs, {minutes} on {summary['threads']} CPU "
        f"thread(s), batch {summary['batch_size']}, preset *{summary['preset']}*"
        + (" (resumed: the command is the last run's; the time sums every run)" if summary["resumed"] else "")
    )
    if arch_model.has_discriminator:
        st.caption(
            f"k = {summary['k']} discriminator step(s) per generator step; learning rates G {summary['lr']}, "
            f"D {summary['lr_d']}; generator loss: "
            + ("saturating log(1 − D(G(z)))" if summary["saturating"] else arch_model.g_loss_text)
            + f"; D's output: {arch_model.d_output_text}"
            + (f"; λ_cat = {summary['lambda_cat']}, λ_cont = {summary['lambda_cont']}" if "Q" in parts else "")
        )

if not history:
    st.info(
        f"No training history in `{folder / checkpoint.HISTORY}`, so no curves. A run of "
        f"`python train.py --model {name}` writes one row per epoch.",
        icon=":material/info:",
    )
else:
    panels = training_record.curve_panels(history)
    grid = st.columns(2)
    for i, p in enumerate(panels):
        fig = go.Figure()
        for j, (label, values) in enumerate(p["series"].items()):
            fig.add_trace(
                go.Scatter(
                    x=p["epochs"],
                    y=values,
                    mode="lines+markers",
                    name=label,
                    line=dict(color=COLOURS[j % len(COLOURS)]),
                )
            )
        if p["reference"] is not None:
            fig.add_hline(
                y=p["reference"],
                line_dash="dot",
                line_color="grey",
                annotation_text="equilibrium D = ½",
                annotation_position="bottom right",
            )
        for label, bar in p["bars"].items():
            fig.add_hline(y=bar, line_dash="dash", line_width=1, annotation_text=f"bar: {label} {bar:g}")
        fig.update_layout(
            title=p["title"],
            height=320,
            margin=dict(l=10, r=10, t=40, b=10),
            xaxis_title="epoch",
            legend=dict(orientation="h", y=-0.25),
        )
        grid[i % 2].plotly_chart(fig, width="stretch", key=f"models:curve:{i}")


# ---------------------------------------------------------------- watch it learn
st.subheader("Watch it learn")
epochs = training_record.sample_epochs(folder)
st.session_state["models_sample"] = None
if not epochs:
    st.info(f"No per-epoch sample grids in `{folder / 'samples'}`.", icon=":material/info:")
else:
    numbers = [e for e, _ in epochs]
    if len(numbers) > 1:
        epoch = st.select_slider("Epoch", numbers, value=numbers[-1], key=f"models:{name}:epoch")
    else:
        epoch = numbers[0]
    png = training_record.upscaled_png(dict(epochs)[epoch], 2)
    st.session_state["models_sample"] = {"model": name, "epoch": epoch, "png": png}
    img_col, text_col = st.columns([3, 2])
    img_col.image(png, caption=f"epoch {epoch} of {numbers[-1]}")
    text_col.caption(
        "The same fixed noise every epoch, so the grids are comparable"
        + ("; one row per label" if arch_model.latent.n_classes else "")
        + ("; one row per categorical code value" if arch_model.latent.categorical else "")
        + "."
    )


# ---------------------------------------------------------------- metrics
st.subheader("Quality")
try:
    m = checkpoint.read_metrics(folder)
except checkpoint.CheckpointError as e:
    st.warning(f"The quality numbers cannot be read: {e}", icon=":material/warning:")
    m = None
if m == {}:
    st.info(
        f"No `{checkpoint.METRICS}` here: measure it with `python train.py --model {name} --evaluate-only`.",
        icon=":material/info:",
    )
elif m:
    table = cards.metric_rows(m, metrics.bars_for(arch_model))
    st.dataframe(
        [
            {
                "metric": r["metric"],
                "value": r["value"],
                "bar": r["bar"],
                "": STATUS[r["status"]],
                "what it measures": r["meaning"],
            }
            for r in table
        ],
        hide_index=True,
        width="stretch",
        column_config={"value": st.column_config.NumberColumn(format="%.4g")},
    )
    if "fid" in m and "fid_floor_train_vs_test" in m:
        st.caption(
            f"Fréchet distance has no bar: {m['fid']:g} against a floor of {m['fid_floor_train_vs_test']:g} "
            "(real training digits vs the test set) — lower is closer to MNIST."
        )
    kin = cards.peers(m, {n: grids.checkpoint_metrics(genlib.CHECKPOINTS / n) for n in genlib.MODELS})
    if len(kin) > 1:
        st.markdown("**Beside the shipped models measured the same way**")
        st.dataframe(cards.comparison_rows(kin), hide_index=True, width="stretch")
m = m or {}
loaded_clf = c.classifier()[0]
clf_folder = loaded_clf.folder if loaded_clf is not None else genlib.CHECKPOINTS / "classifier"
try:
    clf = training_record.classifier_summary(clf_folder)
except checkpoint.CheckpointError as e:
    clf = None
    st.caption(f"The metrics classifier's numbers cannot be read: {e}")
if clf and isinstance(clf["test_accuracy"], (int, float)):
    st.caption(
        f"Measured with the project's own MNIST classifier (`{clf_folder}`): test accuracy "
        f"{clf['test_accuracy']:.2%} ({clf['test_errors']} errors of 10,000), trained {clf['epochs']} epochs; "
        f"{m.get('n_samples', 10000):,} samples per metric."
    )
elif loaded_clf is None:
    st.caption(f"The metrics classifier (`{clf_folder}`) is missing: `python train.py --model classifier`.")


# ---------------------------------------------------------------- GAN features for classification
UNTRAINED_COUNTS = (10, 100)  # on request; 1,000 per class takes minutes here (train.py --probe records all three)


@st.cache_data(max_entries=8, show_spinner="Probing an untrained discriminator (10 and 100 labels per class)…")
def untrained_probe(model_name: str, stamp: tuple) -> dict:
    return metrics.probe_table(c.load_model(model_name)[0], counts=UNTRAINED_COUNTS, spaces=("d_untrained",))


st.session_state["models_probe"] = None
if arch_model.has_discriminator:
    st.subheader("Discriminator features for classification")
    st.caption(
        'The lecture: "GAN features can directly be used for classification". A logistic regression '
        "on D's body features, trained with a few labelled digits per class, against the same "
        "regression on the features of an **untrained** D of the same architecture (random weights) and on "
        "raw pixels; accuracy on the 10,000 test digits. Only the gain over the untrained D was learned."
    )
    probe = metrics.read_probe(m)
    if probe is None:
        old = m.get("probe_100_per_class_d_features")
        took = training_record.probe_time_note(
            training_record.recorded_probe_seconds(genlib.CHECKPOINTS),
            architecture_of(name),
            {f: architecture_of(f) for f in VARIANTS},
        )
        st.info(
            f"The probe table is not measured yet: `python train.py --probe --model {name}`"
            + (f" ({took})." if took else ".")
            + (f" Recorded at ship time: D features, 100 labels per class: **{old:.2%}**." if old is not None else ""),
            icon=":material/info:",
        )
    else:
        counts = list(probe)
        if not all("d_untrained" in probe[n] for n in counts if n in UNTRAINED_COUNTS):
            stamp = checkpoint.stamp(folder)
            if st.button(
                "Probe an untrained D of the same architecture",
                key="models:untrained",
                help="Not in this checkpoint's metrics.json; 10 and 100 labels per class, then cached.",
            ) or st.session_state.get(f"models:untrained:{name}"):
                st.session_state[f"models:untrained:{name}"] = True
                extra = untrained_probe(name, stamp)
                probe = {n: {**probe[n], **extra.get(n, {})} for n in counts}
        st.session_state["models_probe"] = probe
        spaces = [
            (k, label)
            for k, label in (("d_features", "D features"), ("d_untrained", "untrained D"), ("pixels", "pixels"))
            if any(k in probe[n] for n in counts)
        ]
        t_col, p_col = st.columns([2, 3])
        rows = [
            {
                "labels per class": n,
                **{label: probe[n].get(k) for k, label in spaces},
                **(
                    {"learned gain": probe[n]["d_features"] - probe[n]["d_untrained"]}
                    if "d_untrained" in probe[n]
                    else {}
                ),
            }
            for n in counts
        ]
        t_col.dataframe(
            rows,
            hide_index=True,
            column_config={
                k: st.column_config.NumberColumn(format="percent")
                for k in ("D features", "untrained D", "pixels", "learned gain")
            },
        )
        fig = go.Figure()
        for j, (key, label) in enumerate(spaces):
            fig.add_trace(
                go.Scatter(
                    x=counts,
                    y=[probe[n].get(key) for n in counts],
                    mode="lines+markers",
                    name=label,
                    line=dict(color=COLOURS[j]),
                )
            )
        fig.update_layout(
            height=300,
            margin=dict(l=10, r=10, t=30, b=10),
            xaxis_type="log",
            xaxis_title="labelled digits per class",
            yaxis_title="test accuracy",
            yaxis_tickformat=".0%",
        )
        p_col.plotly_chart(fig, width="stretch", key="models:probe")
