"""genlib.explorer.latent_state, exchange and operands, genlib.explorer.encodings and images.gif_bytes: the
computations behind the app."""

import io
import json
import math

import pytest
import torch
from PIL import Image

from genlib import checkpoint, images
from genlib.data import Split, load_split
from genlib.explorer import encodings, exchange, latent_state, operands
from genlib.explorer.latent_state import LatentState
from genlib.explorer.operands import Operand
from genlib.latent import ContinuousCode, LatentSpec
from helpers import ALL, need, tiny

PLAIN = LatentSpec(z_dim=4)
LABELLED = LatentSpec(z_dim=3, n_classes=10)
CODED = LatentSpec(z_dim=5, categorical=(10,), continuous=(ContinuousCode("c1"), ContinuousCode("c2")))


def small_split(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8), torch.arange(n) % 10)


# ---------------------------------------------------------------- states
@pytest.mark.parametrize("spec", [PLAIN, LABELLED, CODED])
def test_random_state_is_seeded_and_fits_spec(spec):
    a, b = latent_state.random_state(spec, 7), latent_state.random_state(spec, 7)
    assert a == b and len(a.z) == spec.z_dim and a.seed == 7
    assert latent_state.random_state(spec, 8).z != a.z
    assert (a.label is not None) == (spec.n_classes is not None)
    assert (a.category is not None) == bool(spec.categorical)
    assert len(a.continuous) == len(spec.continuous)


def test_random_state_keeps_condition_and_prior_mean_zeroes_z():
    s = latent_state.random_state(LABELLED, 1, keep=LatentState((0.0,) * 3, label=6))
    assert s.label == 6
    m = latent_state.prior_mean_state(CODED, keep=LatentState((1.0,) * 5, category=4, continuous=(0.5, -0.5)))
    assert m.z == (0.0,) * 5 and m.category == 4 and m.continuous == (0.0, 0.0) and m.seed is None


def test_adapt_matches_z_dim_and_fills_conditions():
    s = LatentState((0.1,) * 5)
    assert latent_state.adapt(s, PLAIN) is None
    coded = latent_state.adapt(s, CODED)
    assert coded.category == 0 and coded.continuous == (0.0, 0.0)
    assert latent_state.adapt(LatentState((0.1,) * 3, label=4), LABELLED).label == 4


@pytest.mark.parametrize("name", ALL)
def test_decode_states_runs_every_model(name):
    m = tiny(name)
    states = [latent_state.random_state(m.latent, s) for s in range(3)]
    out = latent_state.decode_states(m, states)
    assert out.shape == (3, 1, 28, 28) and 0 <= out.min() and out.max() <= 1


# ---------------------------------------------------------------- URL
SPECS = {"plain": PLAIN, "labelled": LABELLED, "coded": CODED}


@pytest.mark.parametrize("name", list(SPECS))
def test_query_round_trip(name):
    spec = SPECS[name]
    seeded = latent_state.random_state(spec, 42)
    moved = latent_state.with_z(seeded, torch.linspace(-1, 1, spec.z_dim))
    for state in (seeded, moved):
        q = exchange.to_query(name, state)
        assert all(isinstance(v, str) for v in q.values())
        r = exchange.parse_query(q, SPECS, "plain")
        assert r.model == name and not r.notices
        assert r.state.label == state.label and r.state.category == state.category
        assert torch.allclose(r.state.z_tensor(), state.z_tensor(), atol=1e-3)


def test_empty_query_gives_default_without_notice():
    r = exchange.parse_query({}, SPECS, "plain")
    assert r.model == "plain" and r.state is None and r.notices == []


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"model": "nope"}, "is not a model"),
        ({"model": "cgan"}, "no trained checkpoint"),
        ({"model": "plain", "seed": "abc"}, "seed"),
        ({"model": "plain", "seed": "-3"}, "seed"),
        ({"model": "plain", "latent": "1,2"}, "latent"),
        ({"model": "plain", "latent": "1,2,x,4"}, "latent"),
        ({"model": "plain", "latent": "1,2,nan,4"}, "latent"),
        ({"model": "plain", "label": "3"}, "takes no label"),
        ({"model": "labelled", "label": "12"}, "label"),
        ({"model": "labelled", "label": "1.5"}, "label"),
        ({"model": "coded", "codes": "11,0,0"}, "codes"),
        ({"model": "coded", "codes": "1,5,0"}, "codes"),
        ({"model": "coded", "codes": "1,0"}, "codes"),
    ],
)
def test_bad_query_values_fall_back_with_a_notice(params, fragment):
    r = exchange.parse_query(params, SPECS, "plain")
    assert r.model in SPECS
    assert len(r.notices) == 1 and fragment in r.notices[0]
    if r.state is not None:
        assert latent_state.adapt(r.state, SPECS[r.model]) is not None


def test_query_lists_take_the_last_value_and_label_alone_applies():
    r = exchange.parse_query({"model": ["plain", "labelled"], "label": "5"}, SPECS, "plain")
    assert r.model == "labelled" and r.state.label == 5 and len(r.state.z) == 3


# ---------------------------------------------------------------- JSON
def test_latent_json_round_trip_and_refusals():
    s = latent_state.random_state(CODED, 3)
    text = exchange.latent_json("coded", s)
    d = json.loads(text)
    assert d["model"] == "coded" and d["z_dim"] == 5 and d["category"] == s.category
    back = exchange.parse_latent_json(text, CODED)
    assert torch.allclose(back.z_tensor(), s.z_tensor(), atol=1e-5) and back.continuous == s.continuous
    with pytest.raises(ValueError, match="needs 4"):
        exchange.parse_latent_json(text, PLAIN)
    with pytest.raises(ValueError, match="not a latent JSON"):
        exchange.parse_latent_json("{", PLAIN)


# ---------------------------------------------------------------- operands, paths, typical set
def test_resolve_operands():
    enc = encodings.Encodings(torch.arange(40.0).reshape(10, 4) % 7, torch.arange(10) % 2)
    explore_state = LatentState((9.0,) * 4, label=None)
    z, lab = operands.resolve_operand(Operand("class mean", 1), PLAIN, enc, explore_state)
    assert lab == 1 and torch.allclose(z, enc.z[1::2].mean(0))
    z, lab = operands.resolve_operand(Operand("test digit", 3), PLAIN, enc, explore_state)
    assert lab == 1 and torch.equal(z, enc.z[3])
    z1, _ = operands.resolve_operand(Operand("seed", 5), PLAIN, enc, explore_state)
    z2, _ = operands.resolve_operand(Operand("seed", 5), PLAIN, enc, explore_state)
    assert torch.equal(z1, z2)
    z, _ = operands.resolve_operand(Operand("explore latent"), PLAIN, enc, explore_state)
    assert torch.equal(z, torch.full((4,), 9.0))
    with pytest.raises(ValueError):
        operands.resolve_operand(Operand("test digit", 99), PLAIN, enc, explore_state)
    assert Operand("class mean", 7).describe() == "mean of 7s"


def test_a_model_without_an_encoder_has_seeds_and_the_explore_latent_only():
    class NoEncoder:
        has_encoder = False

    assert operands.kinds_for(NoEncoder()) == ("seed", "explore latent")
    assert operands.kinds_for(tiny("vae")) == operands.OPERAND_KINDS
    explore_state = LatentState((1.0,) * 4, label=None)
    z, _ = operands.resolve_operand(Operand("seed", 2), PLAIN, None, explore_state)
    assert z.shape == (4,)
    with pytest.raises(ValueError, match="this model has no encoder"):
        operands.resolve_operand(Operand("class mean", 1), PLAIN, None, explore_state)


@pytest.mark.parametrize("method", ["lerp", "slerp"])
def test_path_states(method):
    a = LatentState((1.0, 0.0, 0.0, 0.0, 0.0), category=1, continuous=(-1.0, 0.0))
    b = LatentState((0.0, 1.0, 0.0, 0.0, 0.0), category=2, continuous=(1.0, 0.0))
    path = operands.path_states(a, b, 5, method)
    assert len(path) == 5 and path[0].z == a.z and path[-1].z == b.z
    assert [p.category for p in path] == [1, 1, 2, 2, 2]
    assert path[2].continuous == (0.0, 0.0)
    with pytest.raises(ValueError):
        operands.path_states(a, b, 1)


def test_typical_set_flags_small_and_large_norms():
    g = torch.Generator().manual_seed(0)
    d = 64
    z = torch.cat([torch.randn(50, d, generator=g), torch.zeros(1, d), 3 * torch.randn(1, d, generator=g)])
    check = latent_state.typical_set(z)
    assert math.isclose(check.expected, math.sqrt(d - 0.5))
    assert set(check.outside) == {50, 51}
    assert f"√(d − ½) ≈ {math.sqrt(d - 0.5):.1f}" in check.describe()  # what is computed


def test_selected_row_reads_every_customdata_form():
    assert exchange.selected_row([{"customdata": [873]}]) == 873
    assert exchange.selected_row([{"customdata": {"0": 12}}]) == 12
    assert exchange.selected_row([{"customdata": 4}]) == 4
    assert exchange.selected_row([{"x": 1}, {"customdata": [5]}]) == 5
    assert exchange.selected_row([]) is None and exchange.selected_row(None) is None


def test_checkpoint_stamp_changes_when_files_appear(tmp_path):
    empty = checkpoint.stamp(tmp_path)
    assert empty == (None, None)
    (tmp_path / "config.json").write_text("{}")
    assert checkpoint.stamp(tmp_path) != empty


# ---------------------------------------------------------------- encodings
@pytest.mark.parametrize("name", ALL)
def test_encode_test_set_caches_on_disk(name, tmp_path):
    m = tiny(name).eval()  # as genlib.load returns it: train-mode BatchNorm would change its buffers
    split = small_split()
    enc = encodings.encode_test_set(m, name, split, cache=tmp_path)
    assert enc.z.shape == (60, m.latent.z_dim) and torch.equal(enc.labels, split.labels)
    files = list(tmp_path.glob(f"{name}-*.npz"))
    assert len(files) == 1
    again = encodings.encode_test_set(m, name, split, cache=tmp_path)
    assert torch.equal(again.z, enc.z)
    with torch.no_grad():  # other weights: another cache entry
        next(m.parameters()).add_(1.0)
    encodings.encode_test_set(m, name, split, cache=tmp_path)
    assert len(list(tmp_path.glob(f"{name}-*.npz"))) == 2


def test_corrupt_encoding_cache_is_recomputed(tmp_path):
    m, split = tiny("vae").eval(), small_split()
    enc = encodings.encode_test_set(m, "vae", split, cache=tmp_path)
    path = next(tmp_path.glob("*.npz"))
    path.write_bytes(b"garbage")
    assert torch.allclose(encodings.encode_test_set(m, "vae", split, cache=tmp_path).z, enc.z)


def test_slider_basis_small_is_identity_large_is_pca():
    g = torch.Generator().manual_seed(0)
    small = encodings.slider_basis(torch.randn(100, 4, generator=g))
    assert torch.equal(small.vectors, torch.eye(4)) and small.names[0] == "z1"
    scales = torch.ones(20)
    scales[7] = 10.0  # dimension 7 varies most: PC1 must point along it
    big = encodings.slider_basis(torch.randn(500, 20, generator=g) * scales)
    assert big.vectors.shape == (20, 20) and big.names[0] == "PC1"
    assert torch.allclose(big.vectors @ big.vectors.T, torch.eye(20), atol=1e-5)
    assert big.vectors[0].abs().argmax() == 7 and big.vectors[0, 7] > 0
    assert (big.std[:-1] >= big.std[1:] - 1e-6).all()


def test_without_encodings_the_sliders_are_the_axes_at_the_priors_scale_and_say_so():
    basis = encodings.axes_basis(20)
    assert torch.equal(basis.vectors, torch.eye(20)) and torch.equal(basis.std, torch.ones(20))
    assert basis.names[0] == "z1" and basis.spread_of == "prior"
    hint = encodings.slider_hint(basis, 10)
    assert "first 10 axes" in hint and "without an encoder" in hint
    pca = encodings.slider_basis(torch.randn(300, 20, generator=torch.Generator().manual_seed(0)))
    assert "vary most" in encodings.slider_hint(pca, 10, "under More") and encodings.slider_hint(pca, 20) == ""


def test_basis_set_coord_moves_one_coordinate_only():
    g = torch.Generator().manual_seed(1)
    basis = encodings.slider_basis(torch.randn(300, 16, generator=g) * torch.linspace(0.5, 3, 16))
    z = torch.randn(16, generator=g)
    moved = basis.set_coord(z, 2, 1.5)
    before, after = basis.coords(z), basis.coords(moved)
    assert math.isclose(float(after[2]), 1.5, abs_tol=1e-5)
    keep = torch.ones(16, dtype=torch.bool)
    keep[2] = False
    assert torch.allclose(before[keep], after[keep], atol=1e-5)
    assert torch.allclose(basis.latent(basis.coords(z)), z, atol=1e-5)


def test_slider_values_clip_and_round():
    assert encodings.slider_values(torch.tensor([5.0, -0.123456, -9.0]), 4.0) == [4.0, -0.12, -4.0]


def test_projection_of_new_points_matches_the_map():
    g = torch.Generator().manual_seed(2)
    enc = encodings.Encodings(torch.randn(200, 6, generator=g), torch.zeros(200, dtype=torch.long))
    proj = encodings.project_pca(enc)
    assert proj.xy.shape == (200, 2)
    assert torch.allclose(proj.project(enc.z[5]), proj.xy[5:6], atol=1e-5)


def test_tsne_separates_clusters_caches_on_disk_and_places_new_points(tmp_path):
    g = torch.Generator().manual_seed(3)
    centres = torch.randn(3, 8, generator=g) * 10
    labels = torch.arange(3).repeat_interleave(40)
    enc = encodings.Encodings(centres[labels] + torch.randn(120, 8, generator=g), labels)
    proj = encodings.project_tsne(enc, cache=tmp_path)
    assert proj.method == "t-SNE" and proj.xy.shape == (120, 2)
    # each point's nearest map neighbour is from its own cluster
    d = torch.cdist(proj.xy, proj.xy).fill_diagonal_(float("inf"))
    assert (labels[d.argmin(1)] == labels).float().mean() > 0.95
    # a second call reads the cached coordinates instead of recomputing
    assert len(list(tmp_path.glob("tsne-*.npy"))) == 1
    again = encodings.project_tsne(enc, cache=tmp_path)
    assert torch.equal(again.xy, proj.xy)
    # an encoding on the map lands on its own point; a new point lands among its cluster
    assert torch.allclose(proj.project(enc.z[7]), proj.xy[7:8], atol=1e-3)
    new = proj.project(centres[2])[0]
    assert labels[(proj.xy - new).norm(dim=1).argmin()] == 2


def test_tsne_shipped_beside_a_checkpoint_is_used_until_the_weights_change(tmp_path, monkeypatch):
    from genlib import checkpoint

    g = torch.Generator().manual_seed(4)
    split = Split(torch.randint(0, 256, (90, 28, 28), generator=g, dtype=torch.uint8), torch.arange(90) % 10)
    model, folder = tiny("vae").eval(), tmp_path / "vae"
    checkpoint.save(model, folder)
    assert encodings.shipped_tsne(folder) is None  # none shipped yet
    encodings.ship_tsne(model, folder, split, cache=tmp_path / "cache")
    shipped = encodings.shipped_tsne(folder)
    enc = encodings.encode_test_set(model, "vae", split, cache=tmp_path / "cache")
    assert shipped.shape == (90, 2)
    assert torch.equal(shipped, encodings.project_tsne(enc, cache=tmp_path / "cache").xy)

    # given the shipped map, nothing is computed (a fresh cache stays empty and openTSNE is not called)
    monkeypatch.setattr("openTSNE.TSNE.fit", lambda *a, **k: pytest.fail("t-SNE recomputed"))
    proj = encodings.project_tsne(enc, cache=tmp_path / "fresh", shipped=shipped)
    assert torch.equal(proj.xy, shipped) and not (tmp_path / "fresh").exists()
    monkeypatch.undo()

    with torch.no_grad():  # a retrain: the shipped map no longer describes these weights
        next(model.parameters()).add_(0.5)
    checkpoint.save(model, folder)
    assert encodings.shipped_tsne(folder) is None
    (folder / encodings.TSNE_FILE).write_bytes(b"\x80\x04 not safetensors")  # corrupt: ignored, not raised
    assert encodings.shipped_tsne(folder) is None


def test_manifold_grid_needs_2d_and_decodes_a_grid():
    m = tiny("vae")
    with pytest.raises(ValueError, match="2-D"):
        encodings.manifold_grid(m)
    from genlib import build

    m2 = build("cvae", z_dim=2, hidden=(16,))
    out = encodings.manifold_grid(m2, n=4, label=3)
    assert out.shape == (16, 1, 28, 28)


def test_nearest_image_finds_an_exact_copy_across_chunks():
    split = small_split(50)
    target = split.images[37].float() / 255
    idx, dist = encodings.nearest_image(target, split.images, chunk=16)
    assert idx == 37 and dist < 1e-3


def test_weights_digest_changes_with_weights():
    m = tiny("gan")
    d = encodings.weights_digest(m)
    assert d == encodings.weights_digest(m)
    with torch.no_grad():
        next(m.parameters()).mul_(2)
    assert encodings.weights_digest(m) != d


# ---------------------------------------------------------------- GIF
def test_gif_bytes_animates_and_bounces():
    frames = torch.linspace(0, 1, 4).reshape(4, 1, 1, 1).expand(4, 1, 28, 28)
    gif = images.gif_bytes(frames, scale=2)
    img = Image.open(io.BytesIO(gif))
    assert img.format == "GIF" and img.size == (56, 56)
    assert img.n_frames == 6  # 4 forward + 2 back
    assert img.info.get("loop") == 0


def test_typical_set_with_reference_accepts_its_range_and_flags_what_neither_covers():
    g = torch.Generator().manual_seed(1)
    d = 32
    short = 0.3 * torch.randn(2000, d, generator=g)  # like a VAE's posterior means: well inside the prior's shell
    z = torch.cat([short[:5], torch.zeros(1, d), 3 * torch.randn(1, d, generator=g)])
    assert set(latent_state.typical_set(z).outside) >= {0, 1, 2, 3, 4, 5}  # the prior alone flags the short ones
    check = latent_state.typical_set(z, reference=short)
    assert set(check.outside) == {5, 6} and check.encoded is not None
    assert f"{check.encoded[0]:.1f}–{check.encoded[1]:.1f}" in check.describe()


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_the_norm_warning_does_not_misfire_for_encodings_of_real_digits(name):
    """Encodings of training digits (held out from the reference, which is the test set's, as on the pages)
    are flagged rarely once the check knows where real encodings lie; by the prior alone, the VAE's are not."""
    model = need(name)
    train, test = load_split(True), load_split(False)
    reference = encodings.encode_images(model, test.unit_images(slice(3000)), test.labels[:3000])
    held_out = encodings.encode_images(model, train.unit_images(slice(2000)), train.labels[:2000])
    with_ref = len(latent_state.typical_set(held_out, reference=reference).outside) / len(held_out)
    prior_only = len(latent_state.typical_set(held_out).outside) / len(held_out)
    assert with_ref < 0.01, with_ref
    if name == "vae":  # its posterior means: median norm well under √d, many outside the prior's range
        assert prior_only > 0.05, prior_only
