"""Arithmetic: result = A − B + C in latent space (e.g. mean 7s − mean 1s + a test 1)."""

import streamlit as st

import components as c
from genlib import images, latent
from genlib.explorer import encodings, latent_state, operands

name, model = c.require_model()
spec = model.latent
st.title("Latent arithmetic")
st.caption(f"**{name}**: result = A − B + C. Class means average the encodings of every test digit of that class.")
kinds = operands.kinds_for(model)
enc = c.test_encodings(name) if model.has_encoder else None
c.no_encoder_note(name, model)
explore_state = c.get_state(name, model)

defaults = [operands.Operand("class mean", 7), operands.Operand("class mean", 1), operands.Operand("test digit", 2)]
if not model.has_encoder:
    defaults = [operands.Operand("seed", 7), operands.Operand("seed", 1), operands.Operand("explore latent")]
cols = st.columns(3)
ops = [
    c.operand_picker(f"arith:{k}", f"{k}", d, kinds, container=col)
    for k, d, col in zip("ABC", defaults, cols, strict=True)
]
resolved = [operands.resolve_operand(op, spec, enc, explore_state) for op in ops]
result_z = latent.arithmetic(*(z for z, _ in resolved))

result_label = None
if spec.n_classes is not None:  # the label is a separate input for conditional models
    natural = next((lab for _, lab in resolved if lab is not None), 0)
    result_label = st.radio(
        "Label of the result", list(range(spec.n_classes)), index=natural, horizontal=True, key="arith:label"
    )

base = latent_state.adapt(explore_state, spec)  # InfoGAN codes: those set on Explore


def as_state(z, label):
    s = latent_state.with_z(base, z)
    return latent_state.LatentState(s.z, label if label is not None else s.label, s.category, s.continuous)


states = [as_state(z, lab) for z, lab in resolved] + [as_state(result_z, result_label)]
decoded = latent_state.decode_states(model, states)
st.session_state["arith_result"] = states[-1]

captions = [f"A: {ops[0].describe()}", f"B: {ops[1].describe()}", f"C: {ops[2].describe()}", "A − B + C"]
row = st.columns([1, 0.2, 1, 0.2, 1, 0.2, 1.3], vertical_alignment="center")
for i, (col, sign) in enumerate(zip(row[0::2], ["−", "+", "="], strict=False)):
    c.show_image(decoded[i], caption=captions[i], scale=6, container=col)
    row[2 * i + 1].markdown(f"<div style='font-size:2.2rem;text-align:center'>{sign}</div>", unsafe_allow_html=True)
c.show_image(decoded[3], caption=captions[3], scale=8, container=row[6])

test_images = [c.test_split().unit_images(op.value) for op in ops if op.kind == "test digit"]
if test_images:
    st.caption("The test digits used, as drawn:")
    st.image([images.png_bytes(t, 4) for t in test_images], width=112)

st.divider()
left, right = st.columns(2)
with left:
    idx, dist = encodings.nearest_image(decoded[3], c.train_images())
    st.subheader("Nearest training image")
    a, b = st.columns(2)
    c.show_image(decoded[3], caption="the result", scale=5, container=a)
    c.show_image(
        c.train_images()[idx].float() / 255, caption=f"train #{idx} (pixel distance {dist:.2f})", scale=5, container=b
    )
    st.caption("A small distance would mean the model reproduces a training digit rather than making a new one.")
with right:
    st.subheader("Keep it")
    c.png_download(images.grid(decoded, 4), f"{name}-arithmetic.png", "PNG of A, B, C, result", key="arith:png")
    c.json_download(name, states[-1], key="arith:json")
    if st.button("Open the result in Explore", icon=":material/tune:"):
        c.set_state(name, states[-1])
        st.switch_page("views/explore.py")
