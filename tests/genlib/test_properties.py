"""Property-based tests (hypothesis) of the latent operations and the Draw page's preprocessing:
what must hold for every input, not just the examples in test_latent.py / test_drawing.py."""

import io

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from genlib import latent
from genlib.explorer import drawing, encodings, exchange, latent_state, operands
from genlib.latent import ContinuousCode, LatentSpec

# modest example counts: the whole file runs in seconds on a busy 2-core machine. No subnormal floats:
# Trainer.fit sets torch.set_flush_denormal(True) for the whole process, and after a training test in
# the same pytest run hypothesis cannot generate them (it raises FloatingPointError).
settings.register_profile(
    "genlib",
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ folder
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("genlib")

coord = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32, allow_subnormal=False)


@st.composite
def vectors(draw, n: int = 1, dims=(1, 64)):
    """n float32 vectors of one random dimension."""
    d = draw(st.integers(*dims))
    return [torch.tensor(draw(st.lists(coord, min_size=d, max_size=d)), dtype=torch.float32) for _ in range(n)]


# ---------------------------------------------------------------- interpolation
@given(vectors(2), st.integers(2, 64))
def test_lerp_endpoints_exact_and_points_on_the_segment(ab, steps):
    a, b = ab
    out = latent.lerp(a, b, steps)
    assert out.shape == (steps, len(a))
    assert torch.equal(out[0], a) and torch.equal(out[-1], b)
    t = torch.linspace(0, 1, steps, dtype=torch.float64).unsqueeze(1)
    exact = a.double() + t * (b.double() - a.double())
    assert torch.allclose(out.double(), exact, atol=1e-3, rtol=1e-5)


@given(vectors(2), st.integers(2, 64))
def test_slerp_endpoints_exact_and_finite(ab, steps):
    a, b = ab
    out = latent.slerp(a, b, steps)
    assert out.shape == (steps, len(a)) and out.dtype == torch.float32
    assert torch.equal(out[0], a) and torch.equal(out[-1], b)
    assert torch.isfinite(out).all()


@given(vectors(2, dims=(2, 64)), st.integers(3, 32))
def test_slerp_keeps_the_norm_between_equal_norm_points(ab, steps):
    a, b = (v.double() for v in ab)
    assume(a.norm() > 1e-3 and b.norm() > 1e-3)
    b = b / b.norm() * a.norm()
    cos = torch.dot(a, b) / (a.norm() * b.norm())
    assume(cos.abs() < 1 - 1e-4)  # (anti)parallel: slerp falls back to lerp, whose midpoint is shorter
    out = latent.slerp(a.float(), b.float(), steps).double()
    assert torch.allclose(out.norm(dim=1), a.norm().expand(steps), rtol=1e-4)


@given(vectors(2, dims=(1, 16)), st.integers(2, 32), st.sampled_from(["lerp", "slerp"]))
def test_path_states_start_and_end_at_the_operands(ab, steps, method):
    a, b = (latent_state.LatentState(tuple(v.tolist()), label=i) for i, v in enumerate(ab))
    path = operands.path_states(a, b, steps, method)
    assert len(path) == steps and path[0].z == a.z and path[-1].z == b.z
    assert path[0].label == 0 and path[-1].label == 1


# ---------------------------------------------------------------- arithmetic
@given(vectors(3), st.floats(-100, 100, allow_nan=False, allow_subnormal=False))
def test_arithmetic_is_a_minus_b_plus_c_and_linear(abc, k):
    a, b, c = (v.double() for v in abc)
    r = latent.arithmetic(a, b, c)
    assert torch.equal(r, a - b + c)
    assert torch.equal(latent.arithmetic(a, a, c), c)  # A − A + C is exactly C
    assert torch.allclose(latent.arithmetic(k * a, k * b, k * c), k * r, rtol=1e-9, atol=1e-6)
    a2, b2, c2 = c, a, b  # additivity with another triple
    assert torch.allclose(
        latent.arithmetic(a + a2, b + b2, c + c2), r + latent.arithmetic(a2, b2, c2), rtol=1e-9, atol=1e-6
    )


@given(st.integers(1, 8), st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_class_means_are_the_means_of_each_class(d, n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.arange(10), torch.randint(0, 10, (n,), generator=g)])  # every class present
    z = torch.randn(len(labels), d, generator=g, dtype=torch.float64)
    means = latent.class_means(z, labels)
    assert means.shape == (10, d)
    for k in range(10):
        assert torch.allclose(means[k], z[labels == k].mean(0))
    # arithmetic on class means commutes with the mean (it is linear)
    assert torch.allclose(
        latent.arithmetic(means[1], means[2], means[3]), latent.class_means(z, labels)[1] - means[2] + means[3]
    )


# ---------------------------------------------------------------- 2-D projections and the slider basis
@st.composite
def point_clouds(draw, min_d=2, max_d=20):
    d = draw(st.integers(min_d, max_d))
    n = draw(st.integers(3, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.floats(1e-2, 1e2, allow_subnormal=False))
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) * scale


@given(point_clouds(), st.integers(1, 10))
def test_pca_2d_shapes_and_new_points_project_alike(z, m):
    coords, mean, comps = latent.pca_2d(z)
    n, d = z.shape
    assert coords.shape == (n, 2) and mean.shape == (d,) and comps.shape == (d, 2)
    assert torch.isfinite(coords).all()
    assert torch.allclose(comps.T @ comps, torch.eye(2), atol=1e-4)  # orthonormal directions
    assert torch.allclose((z - mean) @ comps, coords, atol=1e-3 * float(z.abs().max()) + 1e-4)
    proj = encodings.project_pca(encodings.Encodings(z, torch.zeros(n, dtype=torch.long)))
    assert proj.xy.shape == (n, 2) and proj.project(z[:m]).shape == (min(m, n), 2)
    assert proj.project(torch.zeros(d)).shape == (1, 2)


@given(point_clouds(min_d=1, max_d=24))
def test_slider_basis_is_orthonormal_and_round_trips(z):
    d = z.shape[1]
    basis = encodings.slider_basis(z)
    assert basis.vectors.shape == (d, d) and basis.std.shape == (d,) and len(basis.names) == d
    assert torch.allclose(basis.vectors @ basis.vectors.T, torch.eye(d), atol=1e-4)
    assert torch.allclose(basis.latent(basis.coords(z)), z, atol=1e-4 * float(z.abs().max()) + 1e-5)


@given(point_clouds(min_d=1, max_d=24), st.data())
def test_moving_one_slider_moves_only_its_coordinate(z, data):
    d = z.shape[1]
    basis = encodings.slider_basis(z)
    i = data.draw(st.integers(0, d - 1))
    value = data.draw(st.floats(-latent_state.SLIDER_LIMIT, latent_state.SLIDER_LIMIT, allow_subnormal=False))
    before = basis.coords(z[0])
    after = basis.coords(basis.set_coord(z[0], i, value))
    assert after[i] == pytest.approx(value, abs=1e-3 * (1 + float(z.abs().max())))
    others = torch.arange(d) != i
    assert torch.allclose(after[others], before[others], atol=1e-3 * (1 + float(z.abs().max())))


@given(
    arrays(np.float32, st.integers(1, 40), elements=st.floats(-1e6, 1e6, width=32, allow_subnormal=False)),
    st.floats(0.5, 10, allow_subnormal=False),
)
def test_slider_values_stay_in_range(coords, limit):
    vals = encodings.slider_values(torch.from_numpy(coords), limit)
    assert len(vals) == len(coords) and all(-limit - 0.01 <= v <= limit + 0.01 for v in vals)


# ---------------------------------------------------------------- URL round trip
SPEC = LatentSpec(z_dim=5, categorical=(10,), continuous=(ContinuousCode("c1"), ContinuousCode("c2")))


@given(
    st.lists(st.floats(-50, 50, allow_subnormal=False), min_size=5, max_size=5),
    st.integers(0, 9),
    st.tuples(st.floats(-1, 1, allow_subnormal=False), st.floats(-1, 1, allow_subnormal=False)),
)
def test_any_state_survives_the_url(z, category, cont):
    s = latent_state.LatentState(tuple(z), None, category, cont)
    r = exchange.parse_query(exchange.to_query("m", s), {"m": SPEC}, "m")
    assert r.notices == [] and r.state.category == category
    assert np.allclose(r.state.z, z, atol=6e-4) and np.allclose(r.state.continuous, cont, atol=6e-4)


@given(
    st.dictionaries(
        st.sampled_from(["model", "seed", "latent", "label", "codes", "x"]),
        st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=3)),
    )
)
def test_any_url_gives_a_usable_state_or_none(params):
    """Whatever a URL holds, parse_query returns a known model and a state the model can decode."""
    r = exchange.parse_query(params, {"m": SPEC}, "m")
    assert r.model == "m"
    if r.state is not None:
        z, _, codes = latent_state.model_inputs(SPEC, [r.state])
        SPEC.check_z(z)
        assert all(abs(v) <= latent_state.LATENT_MAX for v in r.state.z)
        assert 0 <= codes["categorical"][0] < 10 and codes["continuous"].abs().max() <= 1


# ---------------------------------------------------------------- the Draw page's preprocessing
def check_prepared(p: drawing.Prepared):
    assert p.ok != bool(p.message)
    if p.ok:
        assert p.image.shape == (1, 28, 28) and p.image.dtype == torch.float32
        assert torch.isfinite(p.image).all() and p.image.min() >= 0 and p.image.max() <= 1
        assert p.image.max() > 0  # an accepted drawing has ink


@given(arrays(np.uint8, st.tuples(st.integers(1, 120), st.integers(1, 120), st.just(4))))
def test_any_canvas_gives_a_28x28_image_or_a_message(rgba):
    check_prepared(drawing.from_canvas(rgba))


@given(st.integers(4, 200), st.integers(4, 200), st.data())
def test_a_stroke_anywhere_is_centred_like_mnist(h, w, data):
    """One rectangle of ink anywhere on a canvas of any size: 20-px box, centre of mass near (14, 14)."""
    y0, x0 = data.draw(st.integers(0, h - 2)), data.draw(st.integers(0, w - 2))
    y1, x1 = data.draw(st.integers(y0 + 1, h)), data.draw(st.integers(x0 + 1, w))
    ink = np.zeros((h, w))
    ink[y0:y1, x0:x1] = 1.0
    img = drawing.mnist_centre(ink)
    assert img.shape == (1, 28, 28) and img.min() >= 0 and img.max() <= 1
    rows, cols = np.nonzero(img[0].numpy() > drawing.INK)
    box = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    assert drawing.BOX - 2 <= box <= drawing.BOX + 1
    total = img.sum()
    cy = float((img[0].sum(1) * torch.arange(28)).sum() / total)
    cx = float((img[0].sum(0) * torch.arange(28)).sum() / total)
    assert abs(cy - drawing.CENTRE) <= 1 and abs(cx - drawing.CENTRE) <= 1


@given(
    arrays(np.uint8, st.tuples(st.integers(1, 80), st.integers(1, 80))),
    st.sampled_from(["L", "RGB", "RGBA", "P", "1", "LA"]),
    st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]),
)
def test_any_small_image_file_gives_a_28x28_image_or_a_message(pixels, mode, fmt):
    img = Image.fromarray(pixels, "L").convert(mode)
    if fmt == "JPEG" and mode not in ("L", "RGB"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    try:
        img.save(buf, fmt)
    except OSError:  # a mode the format cannot hold (LA as BMP): not an input anyone can upload
        assume(False)
    check_prepared(drawing.from_upload(buf.getvalue()))


@given(st.binary(max_size=2000))
def test_any_bytes_give_an_image_or_a_message(blob):
    check_prepared(drawing.from_upload(blob))
