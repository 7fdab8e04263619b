"""genlib.explorer.grids: which grids apply, their shapes, shared noise per column, code and dimension sweeps,
KL ordering, the labelled PNG; and on the shipped CGAN, rows that really are their labels."""

import io
import json

import pytest
import torch
from PIL import Image

import genlib
from genlib.explorer import grids
from helpers import ALL, shipped
from helpers import tiny as _tiny


def tiny(name):
    """Eval mode: batch norm must not mix the cells of a grid (as in the shipped models)."""
    return _tiny(name).eval()


EXPECTED_KINDS = {
    "vae": [grids.TRAVERSAL],
    "cvae": [grids.LABELS, grids.TRAVERSAL],
    "gan": [],
    "dcgan": [],
    "cgan": [grids.LABELS],
    "infogan": [grids.CODES],
    "betavae": [grids.TRAVERSAL],  # the tests' own models (declared_models.py)
    "lsgan": [],
}


@pytest.mark.parametrize("name", ALL)
def test_kinds_follow_the_latent_spec(name):
    assert grids.kinds(tiny(name)) == EXPECTED_KINDS[name]


@pytest.mark.parametrize("name", ["cgan", "cvae"])
def test_label_grid_rows_are_labels_and_columns_share_z(name):
    m = tiny(name)
    g = grids.label_grid(m, n_cols=5, seed=3)
    assert g.images.shape == (10, 5, 1, 28, 28) and g.z.shape == (10, 5, m.latent.z_dim)
    assert g.row_labels == [f"label {d}" for d in range(10)] and len(g.col_labels) == 5
    assert all(torch.equal(g.z[k], g.z[0]) for k in range(10))  # one z per column, every row
    assert not torch.equal(g.z[0, 0], g.z[0, 1])
    for k in (0, 7):  # each cell is decode(z_j, label k)
        again = m.decode(g.z[0], torch.full((5,), k))
        assert torch.allclose(g.images[k], again, atol=1e-6)
    assert not torch.allclose(g.images[0], g.images[7])  # rows differ by label
    assert g.images.min() >= 0 and g.images.max() <= 1


def test_label_grid_seed_changes_columns_and_repeats():
    m = tiny("cgan")
    a, b, c = (grids.label_grid(m, 4, seed=s) for s in (1, 1, 2))
    assert torch.equal(a.images, b.images) and not torch.equal(a.z, c.z)


def test_label_grid_refuses_unconditional_models():
    with pytest.raises(ValueError, match="no label"):
        grids.label_grid(tiny("gan"))


def test_code_grid_sweeps_one_code_and_fixes_the_rest():
    m = tiny("infogan")
    g = grids.code_grid(m, sweep=1, low=-2, high=2, n_cols=5, fixed=0.5, seed=4)
    assert g.images.shape == (10, 5, 1, 28, 28)
    assert g.col_labels == ["c2=-2", "c2=-1", "c2=+0", "c2=+1", "c2=+2"]
    assert g.row_labels[3] == "code 3"
    assert torch.equal(g.z, g.z[:1, :1].expand_as(g.z))  # one z for all cells
    # cell (r, j) = decode(z, category r, c1 = fixed, c2 = j-th value)
    r, j = 6, 4
    again = m.decode(g.z[0, :1], codes={"categorical": torch.tensor([r]), "continuous": torch.tensor([[0.5, 2.0]])})
    assert torch.allclose(g.images[r, j], again[0], atol=1e-6)
    assert not torch.allclose(g.images[0], g.images[6])  # rows differ by code
    assert not torch.allclose(g.images[:, 0], g.images[:, -1])  # the sweep changes the image


def test_code_grid_fixed_per_code():
    m = tiny("infogan")
    g = grids.code_grid(m, sweep=0, low=-1, high=1, n_cols=3, fixed=[9.0, -0.3], seed=1)
    again = m.decode(g.z[0, :1], codes={"categorical": torch.tensor([2]), "continuous": torch.tensor([[1.0, -0.3]])})
    assert torch.allclose(g.images[2, 2], again[0], atol=1e-6)  # the swept code ignores its "fixed" value


def test_seed_z_is_the_seeds_prior_draw():
    m = tiny("vae")
    assert torch.equal(grids.seed_z(m, 3), grids.seed_z(m, 3)) and grids.seed_z(m, 3).shape == (4,)
    assert not torch.equal(grids.seed_z(m, 3), grids.seed_z(m, 4))


def test_code_grid_sorts_rows_by_matched_digit():
    m = tiny("infogan")
    mapping = [3, 8, 7, 4, 2, 0, 9, 5, 6, 1]
    g = grids.code_grid(m, n_cols=3, code_to_digit=mapping)
    assert g.row_labels[0] == "code 5: digit 0" and g.row_labels[9] == "code 6: digit 9"
    plain = grids.code_grid(m, n_cols=3)
    assert torch.allclose(g.images[0], plain.images[5]) and torch.allclose(g.images[9], plain.images[6])


def test_code_grid_bad_sweep_and_model():
    with pytest.raises(ValueError, match="sweep"):
        grids.code_grid(tiny("infogan"), sweep=2)
    with pytest.raises(ValueError, match="codes"):
        grids.code_grid(tiny("vae"))


def test_code_matching_reads_metrics_or_gives_none(tmp_path):
    assert grids.code_matching({"code_to_digit": list(range(10)), "code_accuracy": 0.9}, 10) == (list(range(10)), 0.9)
    assert grids.code_matching({"code_to_digit": [1, 2]}, 10) == (None, None)
    assert grids.code_matching(None, 10) == (None, None)
    (tmp_path / "metrics.json").write_text("{not json")
    assert grids.checkpoint_metrics(tmp_path) == {}
    (tmp_path / "metrics.json").write_text(json.dumps({"code_accuracy": 0.5}))
    assert grids.checkpoint_metrics(tmp_path) == {"code_accuracy": 0.5}


def test_kl_order_and_traversal_rows():
    m = tiny("vae")  # z_dim 4
    kl = torch.tensor([0.1, 2.0, 0.0, 0.5])
    assert grids.kl_order(kl) == [1, 3, 0, 2]
    g = grids.traversal_grid(m, kl, n_cols=7, span=3.0, n_rows=3)
    assert g.images.shape == (3, 7, 1, 28, 28)
    assert g.row_labels == ["z[1]  KL 2.00", "z[3]  KL 0.50", "z[0]  KL 0.10"]
    assert g.col_labels == ["-3", "-2", "-1", "+0", "+1", "+2", "+3"]
    # row 0 moves only dimension 1, from −3 to 3, the others at 0
    assert torch.equal(g.z[0, :, 1], torch.linspace(-3, 3, 7))
    assert torch.count_nonzero(g.z[0][:, [0, 2, 3]]) == 0
    assert torch.allclose(g.images[1, 2], m.decode(g.z[1, 2:3])[0], atol=1e-6)
    assert len(grids.traversal_grid(m, kl, n_cols=3, n_rows=None).row_labels) == 4  # all dims


def test_traversal_around_a_base_and_with_a_label():
    m = tiny("cvae")  # z_dim 3
    base = torch.tensor([0.3, -0.2, 1.0])
    kl = torch.tensor([1.0, 0.5, 0.2])
    g = grids.traversal_grid(m, kl, n_cols=5, base=base, label=4)
    assert torch.equal(g.z[0, :, 1:], base[1:].expand(5, 2))  # others stay at the base
    assert torch.allclose(g.images[0, 0], m.decode(g.z[0, :1], torch.tensor([4]))[0], atol=1e-6)
    other = grids.traversal_grid(m, kl, n_cols=5, base=base, label=9)
    assert not torch.allclose(g.images, other.images)
    with pytest.raises(ValueError, match="kl has shape"):
        grids.traversal_grid(m, torch.ones(5))


def test_dimension_kl_matches_the_models_own_in_batches(mnist_test):
    m = tiny("cvae")
    x, y = mnist_test.unit_images(slice(250)), mnist_test.labels[:250]
    kl = grids.dimension_kl(m, x, y, batch=100)
    assert kl.shape == (3,) and (kl >= 0).all()
    assert torch.allclose(kl, m.kl_per_dim(x, y), atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_sample_grid_any_model(name):
    a = grids.sample_grid(tiny(name), 2, 3, seed=5)
    assert a.images.shape == (2, 3, 1, 28, 28)
    assert torch.equal(a.images, grids.sample_grid(tiny(name), 2, 3, seed=5).images)
    assert not torch.equal(a.images, grids.sample_grid(tiny(name), 2, 3, seed=6).images)


def test_png_has_margins_for_labels():
    g = grids.label_grid(tiny("cgan"), n_cols=4)
    tile = g.tile()
    assert tile.shape == (10 * 30 + 2, 4 * 30 + 2)
    with_labels = Image.open(io.BytesIO(g.png(scale=2)))
    bare = Image.open(io.BytesIO(grids.labelled_png(tile, [""] * 10, [""] * 4, scale=2)))
    assert bare.size == (tile.shape[1] * 2, tile.shape[0] * 2)
    assert with_labels.width > bare.width and with_labels.height > bare.height


# ---------------------------------------------------------------- shipped checkpoints
def load_or_skip(name):
    if not shipped(name):
        pytest.skip(f"checkpoints/{name} is not trained yet (python train.py --model {name})")
    try:
        return genlib.load(name)
    except genlib.CheckpointError as e:
        pytest.skip(f"checkpoints/{name} does not load with the current code ({e})")


@pytest.fixture(scope="module")
def classifier():
    if not shipped("classifier"):
        pytest.skip("checkpoints/classifier is not trained yet")
    from genlib.metrics import load_classifier

    return load_classifier()


def test_shipped_cgan_rows_are_their_labels(classifier):
    g = grids.label_grid(load_or_skip("cgan"), n_cols=30, seed=0)
    pred = classifier.predict(g.images.flatten(0, 1)).view(10, 30)
    hits = pred == torch.arange(10).unsqueeze(1)
    assert hits.float().mean() >= 0.9, hits.float().mean(1)
    assert hits.float().mean(1).min() >= 0.8, hits.float().mean(1)  # no row is mostly another digit


def test_shipped_infogan_rows_are_their_matched_digits(classifier):
    m = load_or_skip("infogan")
    mapping, _ = grids.code_matching(grids.checkpoint_metrics(genlib.CHECKPOINTS / "infogan"), 10)
    if mapping is None:
        pytest.skip("checkpoints/infogan/metrics.json has no code_to_digit")
    g = grids.code_grid(m, n_cols=11, code_to_digit=mapping, seed=0)
    digits = torch.tensor(sorted(mapping)).unsqueeze(1)  # rows sorted by matched digit: 0..9
    hits = classifier.predict(g.images.flatten(0, 1)).view(10, 11) == digits
    assert hits.float().mean() >= 0.75, hits.float().mean(1)


def test_shipped_vae_traversal_shows_inactive_dims(mnist_test):
    m = load_or_skip("vae")
    kl = grids.dimension_kl(m, mnist_test.unit_images(slice(2000)))
    order = grids.kl_order(kl)
    assert kl[order[0]] > 0.5  # the model uses some dimensions
    g = grids.traversal_grid(m, kl, n_rows=None)
    active = [kl[d] > 0.05 for d in order]
    assert active == sorted(active, reverse=True)  # used dimensions first
    # sweeping a used dimension changes the image; an unused (KL ≈ 0) one barely does
    change = (g.images[:, 0] - g.images[:, -1]).abs().mean(dim=(1, 2, 3))
    if not all(active):
        assert change[0] > 5 * change[-1]
