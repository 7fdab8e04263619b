"""Shared widgets and cached resources of the explorer. Layout and session state only: every
computation is a genlib call. Controls are built from `model.latent`, never from a model's name."""

from __future__ import annotations

import os
import random
import time
from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import torch

import genlib
from genlib import checkpoint, images, metrics
from genlib.explorer import encodings, exchange, latent_state, model_folders, operands
from genlib.explorer.latent_state import LatentState
from genlib.models import onnx_folder

UPLOAD = "uploaded_model"  # session_state: this session's model_folders.Upload
IMAGE_SCALE = 12  # 28 px -> 336 px, nearest neighbour keeps pixels sharp
SLIDER_STEP = 0.05


# ---------------------------------------------------------------- cached resources
# What a script run looks up once (new_run() forgets it): checkpoint stamps, which read files, and cached
# resources, whose lookups hash their arguments on every call (about 0.3 ms each, dozens per run; a fragment's
# rerun reuses the last full run's). The values are the same for every session, as cached resources are.
_run: dict = {}


def new_run() -> None:
    """Called first in every script run: checkpoints are looked at again (a retrained one is picked up)."""
    _run.clear()


def per_run(key: tuple, make):
    if key not in _run:
        _run[key] = make()
    return _run[key]


def extra_folders() -> dict[str, Path]:
    """name -> folder of the ONNX model folders listed beside the registered models: those found in
    $LATENT_LAB_MODELS (`latent-lab app --models DIR`), then the one this session uploaded (if any)."""
    found = _found()[0]
    upload = st.session_state.get(UPLOAD)
    return {**found, upload.name: upload.folder} if upload is not None else found


def _found() -> tuple[dict[str, Path], list[str]]:
    return per_run(("extras",), lambda: model_folders.find(model_folders.folders_from_env(), _shipped_names()))


def _shipped_names() -> set[str]:
    """Names a model folder may not take: the registered models, their variants' folders, the classifier."""
    return {*genlib.ARCHITECTURES, *genlib.VARIANTS}


def folder_problems() -> list[str]:
    """One line per folder of $LATENT_LAB_MODELS that could not be listed (the sidebar shows them)."""
    return _found()[1]


def model_folder(name: str) -> Path:
    """Where `name`'s files are: an ONNX model folder listed beside the models, else CHECKPOINTS/name."""
    return extra_folders().get(name) or genlib.CHECKPOINTS / name


def stamp(name: str) -> tuple:
    """The folder and checkpoint.stamp of `name`'s files, the key of every cached resource of a model: two
    sessions' uploads of one name are two keys, and a retrained or replaced model is a new one."""

    def make():
        folder = model_folder(name)
        onnx = onnx_folder.is_folder(folder)
        return (str(folder), *(checkpoint.stamp(folder, onnx_folder.FILES) if onnx else checkpoint.stamp(folder)))

    return per_run(("stamp", name), make)


@st.cache_resource(show_spinner="Loading model…", max_entries=24)
def _load(name: str, stamp: tuple):
    """(model, None) or (None, why not); keyed by the checkpoint's stamp so a checkpoint that appears
    or is retrained while the app runs is picked up."""
    folder = Path(stamp[0])
    try:
        if onnx_folder.is_folder(folder):
            return genlib.load(path=folder), None
        return genlib.load(name), None
    except genlib.CheckpointError as e:
        return None, str(e)


def load_model(name: str):
    return per_run(("model", name), lambda: _load(name, stamp(name)))


def model_names() -> list[str]:
    """The picker's entries: the registered models, then the ONNX model folders."""
    return [*genlib.MODELS, *extra_folders()]


def available_models() -> dict:
    return {n: m for n in model_names() if (m := load_model(n)[0]) is not None}


@st.cache_resource(
    show_spinner="Encoding the 10,000 test digits (once per model, then cached on disk)…", max_entries=12
)
def _encodings(name: str, stamp: tuple) -> encodings.Encodings:
    return encodings.encode_test_set(load_model(name)[0], name)


def test_encodings(name: str) -> encodings.Encodings:
    return per_run(("encodings", name), lambda: _encodings(name, stamp(name)))


@st.cache_resource(max_entries=12)
def _basis(name: str, stamp: tuple) -> encodings.Basis:
    model = load_model(name)[0]
    if not model.has_encoder:
        return encodings.axes_basis(model.latent.z_dim)
    return encodings.slider_basis(test_encodings(name).z)


def familiar_norms(name: str) -> tuple[float, float] | None:
    """latent_state.norm_range of the model's test encodings, the ‖z‖ check's second reference (None without an
    encoder: the prior's shell is the only one)."""
    if not load_model(name)[0].has_encoder:
        return None
    return per_run(("norms", name), lambda: latent_state.norm_range(test_encodings(name).z))


def slider_basis(name: str) -> encodings.Basis:
    return per_run(("basis", name), lambda: _basis(name, stamp(name)))


def no_encoder_note(name: str, model) -> None:
    """The caption of a page that works without an encoder, but with less."""
    if not model.has_encoder:
        st.caption(
            f"**{name}** has no encoder: the operands are seeds and the Explore latent (class means and test digits "
            f"need {onnx_folder.ENCODER}, images → z, in its folder)."
        )


def require_encoder(name: str, model, what: str) -> None:
    """One line saying this page needs an encoder (and a stop) for a model without one."""
    if not model.has_encoder:
        st.info(
            f"**{name}** has no encoder, so it cannot {what}. Add {onnx_folder.ENCODER} (images → z) to its folder "
            "to enable this page; Explore, Interpolate and Arithmetic work with seeds meanwhile.",
            icon=":material/info:",
        )
        st.stop()


@st.cache_resource(
    show_spinner="Projecting the encodings to 2-D (t-SNE of a model without a shipped map: about a minute, once)…",
    max_entries=24,
)
def _projection(name: str, stamp: tuple, method: str) -> encodings.Projection:
    if method == "t-SNE":
        shipped = encodings.shipped_tsne(genlib.CHECKPOINTS / name)  # made at train time
        return encodings.project_tsne(test_encodings(name), shipped=shipped)
    return encodings.project_pca(test_encodings(name))


def projection(name: str, method: str = "PCA") -> encodings.Projection:
    return _projection(name, stamp(name), method)


@st.cache_resource(show_spinner="Loading the project's classifier…")
def _classifier(folder: str):
    try:
        return metrics.load_classifier(), None
    except genlib.CheckpointError as e:
        return None, str(e)


def classifier():
    """(the metrics classifier, None), or (None, why it cannot be loaded). Taken from the checkpoints
    folder, else the shipped one (see genlib.metrics.load_classifier)."""
    return per_run(("classifier", str(genlib.CHECKPOINTS)), lambda: _classifier(str(genlib.CHECKPOINTS)))


def require_classifier():
    """The metrics classifier, with a note when it is the shipped fallback or its metrics.json is bad;
    or one error saying why it cannot be loaded and how to train it (and a stop)."""
    clf, error = classifier()
    if clf is None:
        hint = "" if "train.py" in error else "\n\nTrain it with `python train.py --model classifier` (or `--all`)."
        st.error(f"The project's classifier cannot be loaded: {error}{hint}", icon=":material/error:")
        st.stop()
    if clf.folder != genlib.CHECKPOINTS / "classifier":
        st.caption(f"`{genlib.CHECKPOINTS}` has no classifier: using the shipped one (`{clf.folder}`).")
    if clf.metrics_error:
        st.warning(
            f"The classifier works, but its test accuracy is unknown: {clf.metrics_error}", icon=":material/warning:"
        )
    return clf


@st.cache_resource(show_spinner="Loading the MNIST training set…")
def train_images() -> torch.Tensor:
    from genlib.data import load_split

    return load_split(True).images


@st.cache_resource
def test_split():
    from genlib.data import load_split

    return load_split(False)


# ---------------------------------------------------------------- the current model and latent
def current_model_name() -> str:
    return st.session_state["model"]


def get_state(name: str, model) -> LatentState:
    latents = st.session_state.setdefault("latents", {})
    if name not in latents or latent_state.adapt(latents[name], model.latent) is None:
        latents[name] = latent_state.random_state(model.latent, 0)
    return latents[name]


def set_state(name: str, state: LatentState) -> None:
    """Make `state` the model's latent and drop its widgets' values so they redraw from it.
    Call from callbacks or before the model's widgets are drawn in this run."""
    st.session_state.setdefault("latents", {})[name] = state
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{name}:")]:
        del st.session_state[key]


def require_model():
    """The chosen model, or an explanation of why it cannot be loaded (and a stop)."""
    name = current_model_name()
    model, error = load_model(name)
    if model is None:
        if onnx_folder.is_folder(model_folder(name)):  # the message quotes the user's files: escaped
            error, hint = exchange.escaped(error), "Fix the folder as the message says"
        else:
            hint = f"Train it with `python train.py --model {name}`" if "train.py" not in error else "Train it as above"
        st.error(
            f"**{name}** cannot be loaded: {error}\n\n{hint}; the other models in the sidebar still work.",
            icon=":material/error:",
        )
        st.stop()
    return name, model


def log_run() -> None:
    """One line per script or fragment run in $LATENT_LAB_RUN_LOG, where tests and benchmarks count them."""
    if run_log := os.environ.get("LATENT_LAB_RUN_LOG"):
        with open(run_log, "a") as f:
            f.write(f"{time.time():.3f}\n")


def sync_url(name: str, model) -> None:
    """The URL follows the current model and latent; written only when they changed, to keep history clean."""
    wanted = exchange.to_query(name, get_state(name, model))
    if st.session_state.get("decode_forced"):
        wanted["decode"] = "server"  # a reload keeps the forced mode
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def digit_traces(xy, labels: torch.Tensor, size: int, opacity: float, hover: bool) -> list:
    """One WebGL scatter trace per digit class of 2-D points (a clickable legend); with `hover`, each point's
    customdata is its global index and its hover text names it."""
    traces = []
    for digit in range(10):
        idx = (labels == digit).nonzero().reshape(-1).numpy()
        extra = (
            dict(customdata=idx, hovertemplate=f"test #%{{customdata}}<br>label {digit}<extra></extra>")
            if hover
            else dict(hoverinfo="skip")
        )
        marker = dict(size=size, color=images.DIGIT_COLOURS[digit], opacity=opacity)
        traces.append(go.Scattergl(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=str(digit), marker=marker, **extra))
    return traces


# ---------------------------------------------------------------- widgets
def model_picker(container) -> None:
    """Sidebar selectbox over every registered model and ONNX model folder; ones that cannot load are marked."""
    names = model_names()
    missing = {n for n in names if load_model(n)[0] is None}
    # the choice lives in "model"; the widget only mirrors it, because Streamlit can reset a widget's
    # value on st.switch_page (seen: Latent map -> "Open in Explore" fell back to the first model)
    if st.session_state.get("model_picker") != st.session_state["model"]:
        st.session_state["model_picker"] = st.session_state["model"]
    if st.session_state["model"] not in names:  # an upload replaced, or a folder gone: the first model instead
        st.session_state["model"] = st.session_state["model_picker"] = names[0]
    container.selectbox(
        "Model",
        names,
        key="model_picker",
        on_change=_pick_model,
        format_func=lambda n: (
            n if n not in missing else f"{n}  ({'not trained' if n in genlib.MODELS else 'cannot load'})"
        ),
    )
    untrained = sorted(missing & set(genlib.MODELS))
    if untrained:
        container.caption(
            "Not trained yet: " + ", ".join(untrained) + ". Train one with `python train.py --model NAME`."
        )


def model_upload(container) -> None:
    """A zip of an ONNX model folder, for this session only (docs/design.md, "ONNX model folders")."""
    with container.expander("Open your own model (ONNX)"):
        st.file_uploader(
            f"A zip of a model folder ({onnx_folder.MANIFEST}, {onnx_folder.DECODER}, optionally "
            f"{onnx_folder.ENCODER}); up to {model_folders.MAX_ZIP_BYTES >> 20} MB, kept for this session only",
            type=["zip"],
            key="model_upload",
            on_change=_open_upload,
        )
        if err := st.session_state.get("model_upload_error"):
            st.error(err, icon=":material/error:")


def _open_upload() -> None:
    file = st.session_state.get("model_upload")
    st.session_state.pop("model_upload_error", None)
    if file is None:
        return
    taken = _shipped_names() | set(_found()[0])
    try:
        upload = model_folders.unpack(file.getvalue(), file.name, taken)
        try:
            genlib.load(path=upload.folder)  # refused here, in one line, rather than listed and failing later
        except genlib.CheckpointError as e:  # named from the folder down: the temporary path means nothing to them
            raise ValueError(str(e).replace(f"{upload.folder.parent}/", "")) from None
    except ValueError as e:  # the file's name and the graph's names are the user's: escaped
        st.session_state["model_upload_error"] = f"{exchange.shown(file.name)}: {exchange.escaped(str(e))}"
        return
    st.session_state[UPLOAD] = upload
    st.session_state["model"] = upload.name


def _pick_model():
    st.session_state["model"] = st.session_state["model_picker"]


def _set_label(name, model):
    s = get_state(name, model)
    st.session_state["latents"][name] = replace(s, label=st.session_state[f"{name}:label"])


def _set_category(name, model):
    s = get_state(name, model)
    st.session_state["latents"][name] = replace(s, category=st.session_state[f"{name}:category"])


def _set_continuous(name, model, j):
    s = get_state(name, model)
    cont = list(s.continuous)
    cont[j] = st.session_state[f"{name}:cont{j}"]
    st.session_state["latents"][name] = replace(s, continuous=tuple(cont))


def _set_coord(name, model, i):
    s = get_state(name, model)
    z = slider_basis(name).set_coord(s.z_tensor(), i, st.session_state[f"{name}:coord{i}"])
    st.session_state["latents"][name] = latent_state.with_z(s, z)


def _set_seed(name, model):
    s = get_state(name, model)
    set_state(name, latent_state.random_state(model.latent, int(st.session_state[f"{name}:seed"]), keep=s))


def _randomise(name, model):
    s = get_state(name, model)
    set_state(name, latent_state.random_state(model.latent, random.randrange(1_000_000), keep=s))


def _reset(name, model):
    set_state(name, latent_state.prior_mean_state(model.latent, keep=get_state(name, model)))


def _load_json(name, model):
    upload = st.session_state.get(f"{name}:upload")
    if upload is None:
        return
    try:
        set_state(name, exchange.parse_latent_json(upload.getvalue().decode("utf-8", "replace"), model.latent))
        st.session_state.pop("upload_error", None)
    except ValueError as e:
        st.session_state["upload_error"] = f"{exchange.shown(upload.name)}: {e}"  # the name is the user's: escaped


def latent_upload(name: str, model, container=st) -> None:
    """Reopen a latent saved with the "Latent JSON" button."""
    container.file_uploader(
        "Open a latent JSON", type=["json"], key=f"{name}:upload", on_change=_load_json, args=(name, model)
    )
    if err := st.session_state.get("upload_error"):
        container.error(err)


def condition_controls(name: str, model, container=st) -> None:
    """Label picker and InfoGAN-style codes, whichever the model's LatentSpec declares."""
    spec, s = model.latent, get_state(name, model)
    if spec.n_classes is not None:
        st.session_state.setdefault(f"{name}:label", s.label)
        container.radio(
            "Label (the digit to draw)",
            list(range(spec.n_classes)),
            key=f"{name}:label",
            horizontal=True,
            on_change=_set_label,
            args=(name, model),
        )
    if spec.categorical:
        st.session_state.setdefault(f"{name}:category", s.category)
        container.radio(
            f"Categorical code (one of {spec.categorical[0]})",
            list(range(spec.categorical[0])),
            key=f"{name}:category",
            horizontal=True,
            on_change=_set_category,
            args=(name, model),
        )
    for j, code in enumerate(spec.continuous):
        st.session_state.setdefault(f"{name}:cont{j}", round(float(s.continuous[j]), 2))
        container.slider(
            f"Continuous code {code.name}",
            float(code.low),
            float(code.high),
            step=SLIDER_STEP,
            key=f"{name}:cont{j}",
            on_change=_set_continuous,
            args=(name, model, j),
        )


def seed_controls(name: str, model) -> None:
    """Seed, randomise, reset."""
    s = get_state(name, model)
    seed_col, rand_col, reset_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    st.session_state.setdefault(f"{name}:seed", s.seed if s.seed is not None else 0)
    seed_col.number_input(
        "Seed", min_value=0, max_value=2**31 - 1, step=1, key=f"{name}:seed", on_change=_set_seed, args=(name, model)
    )
    rand_col.button("Randomise", on_click=_randomise, args=(name, model), width="stretch")
    reset_col.button(
        "Prior mean",
        on_click=_reset,
        args=(name, model),
        width="stretch",
        help="z = 0, continuous codes centred; label and category kept",
    )


def latent_controls(name: str, model) -> None:
    """Seed, randomise, reset, the condition, and one slider per basis direction (the first
    SHOWN_DIRECTIONS visible, the rest in an expander)."""
    spec, s = model.latent, get_state(name, model)
    basis = slider_basis(name)
    seed_controls(name, model)
    condition_controls(name, model)
    values = encodings.slider_values(basis.coords(s.z_tensor()), latent_state.SLIDER_LIMIT)
    shown = min(spec.z_dim, encodings.SHOWN_DIRECTIONS)
    if hint := encodings.slider_hint(basis, shown):
        st.caption(hint)
    grid = st.columns(2)  # two sliders a row keeps the image in view
    for i in range(spec.z_dim):
        if i == shown:
            grid = st.expander(f"The other {spec.z_dim - shown} directions").columns(2)
        where = grid[i % 2]
        st.session_state.setdefault(f"{name}:coord{i}", values[i])
        where.slider(
            f"{basis.names[i]}  ({basis.spread_of} σ {float(basis.std[i]):.2f})",
            -latent_state.SLIDER_LIMIT,
            latent_state.SLIDER_LIMIT,
            step=SLIDER_STEP,
            key=f"{name}:coord{i}",
            on_change=_set_coord,
            args=(name, model, i),
        )


# ---------------------------------------------------------------- display
def show_image(img: torch.Tensor, caption: str | None = None, scale: int = IMAGE_SCALE, container=st):
    """A 28×28 image upscaled by nearest neighbour and shown at exactly that size (or narrower if the
    column is), so pixels stay square and sharp."""
    container.image(images.png_bytes(img, scale), caption=caption, width=28 * scale)


# The files are made when a button is clicked, not on every run: a slider's release reruns Explore for a few
# milliseconds of server CPU, and encoding them each time would be a good part of it.
def png_download(img_or_grid: torch.Tensor, file_name: str, label: str = "PNG", scale: int = 8, container=st, key=None):
    container.download_button(
        label,
        lambda: images.png_bytes(img_or_grid, scale),
        file_name=file_name,
        mime="image/png",
        on_click="ignore",
        key=key,
        icon=":material/download:",
    )


def json_download(name: str, state: LatentState, container=st, key=None):
    container.download_button(
        "Latent JSON",
        lambda: exchange.latent_json(name, state),
        file_name=f"{name}-latent.json",
        mime="application/json",
        on_click="ignore",
        key=key,
        icon=":material/download:",
    )


def operand_picker(
    prefix: str, title: str, default: operands.Operand, kinds=operands.OPERAND_KINDS, container=st
) -> operands.Operand:
    """Kind (one of `kinds`) + value of an arithmetic / interpolation operand."""
    if st.session_state.get(f"{prefix}:kind") not in (None, *kinds):  # a kind the model chosen now cannot resolve
        del st.session_state[f"{prefix}:kind"]
    kind = container.selectbox(title, kinds, index=kinds.index(default.kind), key=f"{prefix}:kind")
    if kind == "class mean":
        value = container.selectbox("Digit", list(range(10)), index=default.value % 10, key=f"{prefix}:digit")
    elif kind == "test digit":
        value = container.number_input(
            "Test index", 0, 9999, default.value if default.kind == kind else 0, key=f"{prefix}:index"
        )
    elif kind == "seed":
        value = container.number_input(
            "Seed", 0, 2**31 - 1, default.value if default.kind == kind else 0, key=f"{prefix}:seed"
        )
    else:
        value = 0
        container.caption("The latent currently set on the Explore page.")
    return operands.Operand(kind, int(value))


def show_notices() -> None:
    for notice in st.session_state.get("notices", []):
        st.warning(notice, icon=":material/link_off:")


# ---------------------------------------------------------------- an image to ask a VAE about
IMAGE_KINDS = ("test digit", "test digit, shifted 3 px", "a letter", "your drawing (Draw page)")


def image_picker(prefix: str, model) -> tuple[torch.Tensor, int | None, str] | None:
    """A test digit, the same digit shifted, a letter, or the Draw page's digit; plus the label a
    conditional model is given. (image (1, 28, 28), label or None, description), or None after a message."""
    from genlib.explorer import likelihood

    kind_col, what_col, label_col = st.columns(3)
    kind = kind_col.selectbox("Image", IMAGE_KINDS, key=f"{prefix}:kind")
    test = test_split()
    default_label = 0
    if kind.startswith("test digit"):
        index = int(what_col.number_input("Test digit (index)", 0, len(test) - 1, 0, key=f"{prefix}:index"))
        image, default_label = test.unit_images(index), int(test.labels[index])
        described = f"test digit #{index} (a {default_label})"
        if kind != IMAGE_KINDS[0]:
            image, described = likelihood.shifted(image, 3, 0), described + ", shifted 3 px right"
    elif kind == IMAGE_KINDS[2]:
        letter = what_col.selectbox("Letter", list(likelihood.LETTERS), key=f"{prefix}:letter")
        image, described = likelihood.letter_image(letter), f"the letter {letter}"
    else:
        drawn = st.session_state.get("draw_result") or {}
        prepared = drawn.get("prepared")
        if prepared is None or prepared.image is None:
            st.info("Nothing drawn yet: draw a digit on the **Draw** page, then come back.", icon=":material/info:")
            return None
        image, described = prepared.image.reshape(1, 28, 28), "your drawing"
        analysis = drawn.get("analysis")
        default_label = analysis.prediction if analysis is not None else 0
    label = None
    if model.latent.n_classes is not None:
        label = int(
            label_col.selectbox(
                "Label given to the model",
                list(range(model.latent.n_classes)),
                index=default_label,
                key=f"{prefix}:label:{kind}",
            )
        )
        described += f", given label {label}"
    return image, label, described
