"""Explore: move through one model's latent space with sliders built from its LatentSpec. The sliders decode
in the browser while they move (livedecode); where that cannot run, or with ?decode=server, on the server."""

import streamlit as st

import components as c
import livedecode
from genlib.explorer import latent_state, live

name, model = c.require_model()
st.title("Explore")
st.caption(f"**{name}** · z has {model.latent.z_dim} dimensions · prior N(0, I)")
server = livedecode.server_reason(name)
livedecode.fallback_notice()


def norm_check(state) -> None:
    """The norm check, against prior draws and the model's encodings of real digits."""
    check = latent_state.typical_set(state.z_tensor().unsqueeze(0), familiar=c.familiar_norms(name))
    st.session_state["explore_typical"] = check
    norm = check.norms[0]
    if check.outside:
        st.warning(
            f"‖z‖ = {norm:.1f}: a length the decoder has rarely been given ({check.describe()}). "
            "The decoding may look washed out.",
            icon=":material/warning:",
        )
    else:
        st.caption(f"‖z‖ = {norm:.1f} ({check.describe()})")


def downloads(image, state, png_col, json_col) -> None:
    c.png_download(image, f"{name}-explore.png", container=png_col, key="explore:png")
    c.json_download(name, state, container=json_col, key="explore:json")


def upload() -> None:
    with st.expander("Open a saved latent"):
        c.latent_upload(name, model)


@st.fragment
def live_view() -> None:
    """What a slider's release changes, rerun alone when the browser syncs a latent (a few milliseconds of server
    CPU, not the whole app): the image for downloads and other pages, the ‖z‖ check, the classifier's reading, the
    component and the URL. The seed controls and the upload, which a release leaves as they are, stay outside."""
    if not st.session_state.pop("explore:full_run", False):
        c.log_run()  # a rerun of this fragment alone
    if livedecode.server_reason(name) is not None:  # the browser reported a failure: the server path, whole page
        st.rerun(scope="app")
    state = c.get_state(name, model)
    image = latent_state.decode_states(model, [state])[0]  # the synced latent: downloads and other pages use it
    st.session_state["explore_image"] = image
    check_col, png_col, json_col = st.columns([4, 1, 1], vertical_alignment="center")
    with check_col:
        norm_check(state)
    downloads(image, state, png_col, json_col)
    clf, _ = c.classifier()
    livedecode.explore_component(name, model, state, live.reading(clf, image) if clf is not None else None, others)
    c.sync_url(name, model)


others = c.available_models()
if server is None:
    controls, view = st.columns([3, 2], gap="large")
    with controls:
        c.seed_controls(name, model)
    with view:
        upload()
    st.session_state["explore:full_run"] = True  # logged already, as the app's run
    live_view()
    skipped = [(o, m) for o, m in others.items() if m.latent.z_dim != model.latent.z_dim]
else:
    controls, view = st.columns([3, 2], gap="large")
    with controls:
        c.latent_controls(name, model)
    state = c.get_state(name, model)
    image = latent_state.decode_states(model, [state])[0]
    st.session_state["explore_image"] = image  # what the page shows (tests read it)
    with view:
        c.show_image(image)
        norm_check(state)
        downloads(image, state, *st.columns(2))
        upload()
    st.divider()
    st.subheader("The same z through every model")
    shown, skipped = [], []
    for other, m in others.items():
        adapted = latent_state.adapt(state, m.latent)
        (shown if adapted is not None else skipped).append((other, m, adapted))
    cols = st.columns(max(len(shown), 1))
    for col, (other, m, adapted) in zip(cols, shown, strict=False):
        c.show_image(
            latent_state.decode_states(m, [adapted])[0],
            caption=other + (" ← this one" if other == name else ""),
            scale=5,
            container=col,
        )
    skipped = [(o, m) for o, m, _ in skipped]
if skipped:
    st.caption(
        "Other latent sizes, so not comparable: " + ", ".join(f"{o} (z_dim {m.latent.z_dim})" for o, m in skipped) + "."
    )
