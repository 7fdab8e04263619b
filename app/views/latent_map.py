"""Latent map: the 10,000 MNIST test digits encoded by the chosen model, projected to 2-D by PCA
(default) or t-SNE."""

import plotly.graph_objects as go
import streamlit as st

import components as c
import livedecode
from genlib.explorer import encodings, exchange, latent_state

name, model = c.require_model()
st.title("Latent map")
c.require_encoder(name, model, "place the test digits on a map (they are encoded to be placed)")
enc = c.test_encodings(name)
method = st.radio(
    "Projection",
    list(encodings.PROJECTIONS),
    horizontal=True,
    key="map:method",
    help="PCA is linear and instant. t-SNE keeps neighbours together (clusters show better) but distorts "
    "distances; the shipped models come with their t-SNE map, a retrained one takes about a minute once.",
)
proj = c.projection(name, method)
state = c.get_state(name, model)
how = (
    "onto the two principal components of the encodings"
    if method == "PCA"
    else "by t-SNE (the ★ is placed among its 10 nearest encodings: t-SNE has no map for new points)"
)
no_hover = livedecode.hover_reason(name)
hint = "Hover a point to preview its digit, click it to decode it here"
if no_hover:
    hint = "Click a point to decode it here"
    if not st.session_state.get("decode_forced"):
        hint += f" (no hover preview: {no_hover})"
st.caption(
    f"**{name}**: the {len(enc.z):,} MNIST test digits encoded to z ({model.latent.z_dim}-D) and projected "
    f"{how}. {hint}; ★ is the Explore latent."
)
if model.latent.n_classes is not None:
    st.caption(
        "This model is given the label, so z need not encode the digit: expect the classes to overlap "
        "here, and z to hold style (slant, thickness) instead."
    )


@st.fragment
def map_view() -> None:
    """The map and the clicked point's panel: a click reruns only this (the figure is redrawn to ring the point),
    not the whole app."""
    xy = proj.xy.numpy()
    # customdata holds each point's global index: the hover preview and the click read it
    fig = go.Figure(c.digit_traces(xy, enc.labels, size=5, opacity=0.85, hover=True))
    here = proj.project(state.z_tensor())[0]
    fig.add_trace(
        go.Scattergl(
            x=[float(here[0])],
            y=[float(here[1])],
            mode="markers",
            name="Explore",
            marker=dict(symbol="star", size=18, color="black", line=dict(color="white", width=1.5)),
            hovertemplate="the Explore latent<extra></extra>",
        )
    )
    # read this run's click before drawing, so the figure can already ring the picked point
    clicked = exchange.selected_row(((st.session_state.get(f"map:{name}") or {}).get("selection") or {}).get("points"))
    if clicked is not None:
        st.session_state.setdefault("map_picked", {})[name] = clicked
    picked = st.session_state.get("map_picked", {}).get(name)
    if picked is not None:  # ring the decoded point so it can be found again
        fig.add_trace(
            go.Scattergl(
                x=[float(xy[picked, 0])],
                y=[float(xy[picked, 1])],
                mode="markers",
                name=f"#{picked}",
                marker=dict(symbol="circle-open", size=16, color="black", line=dict(width=2.5)),
                hoverinfo="skip",
            )
        )
    fig.update_layout(
        height=620,
        margin=dict(l=10, r=10, t=40, b=10),
        legend_title_text="digit",
        xaxis_title=f"{method} 1",
        yaxis_title=f"{method} 2",
    )

    plot_col, side = st.columns([3, 1], gap="medium")
    with plot_col:
        st.plotly_chart(fig, on_select="rerun", selection_mode="points", key=f"map:{name}")

    with side:
        hovering = livedecode.map_hover(name, model, state)
        if picked is None:
            if not hovering:
                st.info("Click a point on the map to decode it here.", icon=":material/touch_app:")
        else:
            label = int(enc.labels[picked])
            point = latent_state.test_digit_state(enc, picked, state, model.latent)
            original = c.test_split().unit_images(picked)
            decoded = latent_state.decode_states(model, [point])[0]
            st.session_state["map_decoded"] = (picked, decoded)
            a, b = st.columns(2)
            c.show_image(original, caption=f"test #{picked} (label {label})", scale=5, container=a)
            c.show_image(decoded, caption="decoded from its z", scale=5, container=b)
            if st.button("Open in Explore", icon=":material/tune:", type="primary", width="stretch"):
                c.set_state(name, point)
                st.switch_page("views/explore.py")
            c.png_download(decoded, f"{name}-test{picked}.png", container=st, key="map:png")


map_view()

if model.latent.z_dim == 2:
    st.subheader("The decoded manifold")
    st.caption("Decodings of a regular grid over z ∈ [−2.5, 2.5]²: the whole 2-D latent space at a glance.")
    grid_images = encodings.manifold_grid(model, 15, 2.5, label=state.label)
    c.show_image(c.images.grid(grid_images, 15), scale=2)
