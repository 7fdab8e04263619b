"""Explore: move through one model's latent space with sliders built from its LatentSpec."""
import streamlit as st

import components as c
from genlib.explorer import session

name, model = c.require_model()
st.title("Explore")
st.caption(f"**{name}** · z has {model.latent.z_dim} dimensions · prior N(0, I)")

controls, view = st.columns([3, 2], gap="large")
with controls:
    c.latent_controls(name, model)

state = c.get_state(name, model)
image = session.decode_states(model, [state])[0]
st.session_state["explore_image"] = image  # what the page shows (tests read it)
with view:
    c.show_image(image)
    check = session.typical_set(state.z_tensor().unsqueeze(0))
    norm = check.norms[0]
    if check.outside:
        st.warning(f"‖z‖ = {norm:.1f}, far from √d ≈ {check.expected:.1f}: this point is outside the prior's "
                   "typical set, where the model was rarely trained.", icon=":material/warning:")
    else:
        st.caption(f"‖z‖ = {norm:.1f} (typical: {check.expected:.1f} ± {check.tolerance:.1f})")
    png_col, json_col = st.columns(2)
    c.png_download(image, f"{name}-explore.png", container=png_col, key="explore:png")
    c.json_download(name, state, container=json_col, key="explore:json")
    with st.expander("Open a saved latent"):
        c.latent_upload(name, model)

st.divider()
st.subheader("The same z through every model")
others = c.available_models()
shown, skipped = [], []
for other, m in others.items():
    adapted = session.adapt(state, m.latent)
    (shown if adapted is not None else skipped).append((other, m, adapted))
cols = st.columns(max(len(shown), 1))
for col, (other, m, adapted) in zip(cols, shown):
    c.show_image(session.decode_states(m, [adapted])[0], caption=other + (" ← this one" if other == name else ""),
                 scale=5, container=col)
if skipped:
    st.caption("Other latent sizes, so not comparable: " +
               ", ".join(f"{o} (z_dim {m.latent.z_dim})" for o, m, _ in skipped) + ".")
