"""Interpolate: a path between two latents, as a strip and an animated GIF."""

import streamlit as st

import components as c
import livedecode
from genlib import images
from genlib.explorer import latent_state, operands

name, model = c.require_model()
spec = model.latent
st.title("Interpolate")
st.caption(
    f"**{name}**: walk from A to B. slerp follows a great circle: between two ends of equal norm every point "
    "keeps that norm, so ‖z‖ stays typical of the prior only when both ends are typical (a draw from the prior "
    "is; a class mean, much shorter, is not). lerp cuts through the middle, where a Gaussian prior has little "
    "mass in high dimensions."
)
kinds = operands.kinds_for(model)
enc = c.test_encodings(name) if model.has_encoder else None
c.no_encoder_note(name, model)
explore_state = c.get_state(name, model)

a_col, b_col, opt_col = st.columns(3)
ends = (operands.Operand("test digit", 3), operands.Operand("test digit", 2))
if not model.has_encoder:
    ends = (operands.Operand("seed", 3), operands.Operand("seed", 2))
op_a = c.operand_picker("interp:A", "From (A)", ends[0], kinds, container=a_col)
op_b = c.operand_picker("interp:B", "To (B)", ends[1], kinds, container=b_col)
method = opt_col.radio("Method", ["slerp", "lerp"], horizontal=True, key="interp:method")
steps = opt_col.slider("Steps", 2, 32, 10, key="interp:steps")

base = latent_state.adapt(explore_state, spec)
ends = []
for op in (op_a, op_b):
    z, label = operands.resolve_operand(op, spec, enc, explore_state)
    s = latent_state.with_z(base, z)
    ends.append(latent_state.LatentState(s.z, label if label is not None else s.label, s.category, s.continuous))
if spec.n_classes is not None:
    fixed = opt_col.checkbox("One label for the whole path", key="interp:fix")
    if fixed:
        label = opt_col.radio("Label", list(range(spec.n_classes)), horizontal=True, key="interp:label")
        ends = [latent_state.LatentState(e.z, label, e.category, e.continuous) for e in ends]
    else:
        opt_col.caption("The label switches from A's to B's half way.")

path = operands.path_states(ends[0], ends[1], steps, method)
frames = latent_state.decode_states(model, path)
st.session_state["interp_frames"] = frames
strip = images.grid(frames, nrow=steps)
st.image(images.png_bytes(strip, 4 if steps <= 12 else 2 if steps <= 24 else 1), width="stretch")
livedecode.interpolate_scrub(name, ends, method)

check = latent_state.typical_set(frames.new_tensor([s.z for s in path]), familiar=c.familiar_norms(name))
st.session_state["interp_typical"] = check
if check.outside:
    st.warning(
        f"{len(check.outside)} of {steps} points have a length the decoder has rarely been given "
        f"({check.describe()}); norms here run {min(check.norms):.1f}–{max(check.norms):.1f}. Decodings there "
        "may look washed out." + (" Try slerp." if method == "lerp" else ""),
        icon=":material/warning:",
    )
else:
    st.caption(
        f"Every point has a familiar length: ‖z‖ {min(check.norms):.1f}–{max(check.norms):.1f} ({check.describe()})."
    )

gif = images.gif_bytes(frames, scale=6)
gif_col, dl_col = st.columns([1, 2])
gif_col.image(gif, caption="animated, forward and back")
with dl_col:
    c.png_download(strip, f"{name}-{method}-strip.png", "PNG strip", scale=4, key="interp:png")
    st.download_button(
        "Animated GIF",
        gif,
        file_name=f"{name}-{method}.gif",
        mime="image/gif",
        on_click="ignore",
        icon=":material/download:",
        key="interp:gif",
    )
