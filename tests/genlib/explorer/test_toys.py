"""genlib.explorer.toys: the three lecture demonstrations (ring transform, 1-D GAN with D*, shifted digit)."""

import math

import pytest
import torch

import genlib
from genlib.explorer import toys
from helpers import shipped, tiny


# ---------------------------------------------------------------- (a) ring
def test_ring_norm_identity_and_direction():
    r = toys.ring_samples(2000, seed=3)
    zn, xn = r.z.norm(dim=1), r.x.norm(dim=1)
    torch.testing.assert_close(xn, 1 + zn / 10)  # ‖g(z)‖ = 1 + ‖z‖/10 exactly
    torch.testing.assert_close(r.x / xn[:, None], r.z / zn[:, None])  # same direction
    assert xn.min() >= 1 and (xn < 1.4).float().mean() > 0.99  # a thin ring, not a blob


def test_ring_seed_and_count():
    a, b, c = toys.ring_samples(100, 1), toys.ring_samples(100, 1), toys.ring_samples(100, 2)
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x) and a.x.shape == (100, 2)
    with pytest.raises(ValueError, match="at least one"):
        toys.ring_samples(0)


def test_ring_transform_zero_is_finite():
    assert torch.isfinite(toys.ring_transform(torch.zeros(1, 2))).all()


# ---------------------------------------------------------------- (b) 1-D GAN
def test_optimal_discriminator_formula_with_known_densities():
    grid = torch.linspace(-6, 6, 201, dtype=torch.float64)
    p = toys.Mixture((-1.0,), (1.0,), (1.0,)).pdf(grid)
    q = toys.Mixture((1.0,), (1.0,), (1.0,)).pdf(grid)
    d = toys.optimal_discriminator(p, q)
    # for two unit Gaussians at ∓1, p/(p+q) = sigmoid(log p − log q) = sigmoid(−2x)
    torch.testing.assert_close(d, torch.sigmoid(-2 * grid))
    assert d[100] == pytest.approx(0.5)  # at x = 0 the densities are equal
    torch.testing.assert_close(toys.optimal_discriminator(p, p), torch.full_like(p, 0.5))  # p_g = p_data
    assert math.isnan(float(toys.optimal_discriminator(torch.zeros(1), torch.zeros(1))[0]))
    masked = toys.optimal_discriminator(torch.tensor([1e-6, 0.3]), torch.tensor([0.0, 0.1]), floor=1e-4)
    assert math.isnan(float(masked[0])) and float(masked[1]) == pytest.approx(0.75)


def test_mixture_pdf_integrates_to_one_and_samples_match():
    m = toys.mixture(3, std=0.4)
    grid = torch.linspace(-6, 6, 4001, dtype=torch.float64)
    assert float(torch.trapezoid(m.pdf(grid), grid)) == pytest.approx(1.0, abs=1e-6)
    s = m.sample(20000, torch.Generator().manual_seed(0))
    assert float(s.mean()) == pytest.approx(m.mean, abs=0.05)
    with pytest.raises(ValueError):
        toys.Mixture((0.0,), (0.0,), (1.0,))


def test_kde_and_jsd():
    grid = torch.linspace(-8, 8, 801, dtype=torch.float64)
    s = torch.randn(20000, generator=torch.Generator().manual_seed(0))
    p = toys.Mixture((0.0,), (1.0,), (1.0,)).pdf(grid)
    assert float((toys.kde(s, grid) - p).abs().max()) < 0.02
    assert toys.js_divergence(p, p, grid) == pytest.approx(0.0, abs=1e-9)
    wide = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    left, right = (toys.Mixture((m,), (1.0,), (1.0,)).pdf(wide) for m in (-10.0, 10.0))
    assert toys.js_divergence(left, right, wide) == pytest.approx(math.log(2), abs=1e-3)  # disjoint: log 2


def test_toy_gan_is_deterministic_and_leaves_global_rng():
    cfg = toys.ToyGANConfig(steps=30, seed=5)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = toys.train_toy_gan(cfg), toys.train_toy_gan(cfg)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a.samples, b.samples) and a.history == b.history
    c = toys.train_toy_gan(toys.ToyGANConfig(steps=30, seed=6))
    assert not torch.equal(a.samples, c.samples)


def test_toy_gan_result_curves_are_consistent():
    r = toys.train_toy_gan(toys.ToyGANConfig(steps=20, k=2))
    assert len(r.history["loss_d"]) == 20 and len(r.grid) == len(r.d) == len(r.p_g) == len(r.d_star)
    full = toys.optimal_discriminator(r.p_data, r.p_g)
    shown = ~torch.isnan(r.d_star)
    torch.testing.assert_close(r.d_star[shown], full[shown])
    total = r.p_data + r.p_g
    assert shown.float().mean() > 0.5 and (total[~shown] <= 1e-3 * total.max()).all()  # only negligible tails hidden
    assert ((r.d >= 0) & (r.d <= 1)).all() and 0 <= r.jsd <= math.log(2) + 1e-6


@pytest.mark.parametrize("loss", toys.LOSSES)
def test_generator_moves_to_a_single_gaussian(loss):
    data = toys.Mixture((3.0,), (0.5,), (1.0,))
    untrained = toys.train_toy_gan(toys.ToyGANConfig(data=data, steps=1, loss=loss, seed=1))
    trained = toys.train_toy_gan(toys.ToyGANConfig(data=data, steps=400, loss=loss, seed=1))
    gap0, gap = abs(float(untrained.samples.mean()) - 3), abs(float(trained.samples.mean()) - 3)
    assert gap0 > 2 and gap < 0.5, (gap0, gap)
    assert trained.jsd < untrained.jsd


def test_progress_callback_called_every_step():
    calls = []
    toys.train_toy_gan(toys.ToyGANConfig(steps=7, k=3), callback=lambda s, t: calls.append((s, t)))
    assert calls == [(s, 7) for s in range(1, 8)]


@pytest.mark.parametrize("bad", [dict(steps=0), dict(k=0), dict(lr=0.0), dict(loss="wasserstein")])
def test_toy_gan_rejects_bad_config(bad):
    with pytest.raises(ValueError):
        toys.train_toy_gan(toys.ToyGANConfig(**bad))


# ---------------------------------------------------------------- (c) shifted digit
def test_shift_image_moves_without_wrapping():
    img = torch.zeros(1, 28, 28)
    img[0, 5, 27] = 1.0
    assert torch.equal(toys.shift_image(img, 0, 0), img)
    moved = toys.shift_image(img, -2, 3)
    assert moved[0, 8, 25] == 1 and moved.sum() == 1
    assert toys.shift_image(img, 1, 0).sum() == 0  # pushed off the edge, not wrapped to column 0
    assert toys.shift_image(img, 30, 0).sum() == 0


def test_nearest_other_excludes_the_query():
    imgs = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8)
    q = imgs[17].float() / 255
    assert toys.nearest_other(q, imgs) == (17, 0.0)
    idx, dist = toys.nearest_other(q, imgs, exclude=17)
    assert idx != 17 and dist > 0
    # the index maps back past the removed row
    imgs[40] = imgs[17]
    assert toys.nearest_other(q, imgs, exclude=17) == (40, 0.0)


def test_typical_distance():
    z = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    assert toys.typical_distance(z) == pytest.approx(5.0)
    with pytest.raises(ValueError):
        toys.typical_distance(z[:1])


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_compare_shift_zero_shift_is_distance_zero(name, mnist_test):
    model = tiny(name).eval()
    train = mnist_test  # any set works as the search set here; the test split is already in memory
    cmp = toys.compare_shift(
        model, mnist_test.unit_images(0), int(mnist_test.labels[0]), 0, 0, train.images, train.labels, exclude=0
    )
    assert cmp.pixel["shifted"] == 0 and cmp.latent["shifted"] == pytest.approx(0, abs=1e-5)
    assert cmp.neighbour_index != 0 and cmp.pixel["neighbour"] > 0


def test_shifted_digit_is_farther_than_nearest_training_digit(mnist_test):
    from genlib.data import load_split

    train = load_split(True)
    for i in range(5):  # typical test digits
        x = mnist_test.unit_images(i)
        idx, d_nn = toys.nearest_other(x, train.images)
        d_shift = float((toys.shift_image(x, 2, 0) - x).norm())
        assert d_shift > d_nn, (i, d_shift, d_nn)
        assert not torch.equal(train.images[idx].float() / 255, x[0])  # a different image, not the digit itself


def test_compare_shift_on_a_shipped_model(mnist_test):
    if not shipped("vae"):
        pytest.skip("checkpoints/vae is not trained yet (python train.py --model vae)")
    from genlib.data import load_split

    train, model = load_split(True), genlib.load("vae")
    x, label = mnist_test.unit_images(0), int(mnist_test.labels[0])
    a = toys.compare_shift(model, x, label, 2, 0, train.images, train.labels)
    b = toys.compare_shift(model, x, label, 3, 0, train.images, train.labels, neighbour=a.neighbour_index)
    assert a.pixel["shifted"] > a.pixel["neighbour"]
    assert b.pixel["shifted"] > a.pixel["shifted"] and b.latent != a.latent
    assert a.latent["neighbour"] > 0


# ---------------------------------------------------------------- replay and separate learning rates
def test_snapshots_cover_the_run_and_the_criterion_is_minus_log_4_plus_twice_the_jsd():
    r = toys.train_toy_gan(toys.ToyGANConfig(steps=40, snapshots=8))
    steps = [s.step for s in r.snapshots]
    assert steps == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    assert all(len(s.p_g) == len(r.replay_grid) == len(s.d) == len(s.d_star) for s in r.snapshots)
    assert all(len(s.g_of_z) == len(r.z_grid) for s in r.snapshots)
    for s in r.snapshots:
        assert s.criterion == pytest.approx(-math.log(4) + 2 * s.jsd)
        assert -math.log(4) - 1e-9 <= s.criterion <= 0 + 1e-9  # JSD in [0, log 2]
    assert toys.criterion(0.0) == pytest.approx(-math.log(4)) and toys.criterion(math.log(2)) == pytest.approx(0)
    assert r.snapshots[-1].jsd < r.snapshots[0].jsd  # training moved p_g towards p_data


def test_d_has_its_own_learning_rate():
    base = toys.ToyGANConfig(steps=15, lr=2e-3)
    same = toys.train_toy_gan(base)
    explicit = toys.train_toy_gan(toys.ToyGANConfig(steps=15, lr=2e-3, lr_d=2e-3))
    slow_d = toys.train_toy_gan(toys.ToyGANConfig(steps=15, lr=2e-3, lr_d=1e-4))
    assert same.history == explicit.history
    assert slow_d.history["loss_d"] != same.history["loss_d"]
    with pytest.raises(ValueError, match="D's learning rate"):
        toys.train_toy_gan(toys.ToyGANConfig(lr_d=0.0))


def test_a_generator_far_ahead_of_its_discriminator_collapses():
    """G at 1e-2, D at 5e-4: G's samples end in one spike; with D at G's rate they spread over the modes."""
    bad = toys.train_toy_gan(toys.ToyGANConfig(lr=1e-2, lr_d=5e-4, steps=800, snapshots=2))
    fair = toys.train_toy_gan(toys.ToyGANConfig(lr=1e-2, lr_d=1e-2, steps=800, snapshots=2))
    assert float(bad.samples.std()) < 0.2 < 1.0 < float(fair.samples.std())
    assert bad.jsd > 2 * fair.jsd


# ---------------------------------------------------------------- shifted vs erased
def test_erase_piece_removes_ink_at_the_top_of_the_stroke(mnist_test):
    x = mnist_test.unit_images(0)
    cut = toys.erase_piece(x, 6)
    removed = (x - cut).clamp_min(0)
    assert float(removed.sum()) > 0 and (cut <= x).all()
    rows = torch.nonzero(removed[0].sum(1) > 0).reshape(-1)
    top = int(torch.nonzero(x[0].amax(1) > 0.5)[0])
    assert int(rows.min()) >= top and int(rows.max()) < top + 6
    assert torch.equal(toys.erase_piece(torch.zeros(1, 28, 28)), torch.zeros(1, 28, 28))


def test_the_erased_copy_is_closer_in_pixels_and_the_vae_prefers_it(mnist_test):
    """The lecture's figure: the erased digit is nearer in pixel distance, and a per-pixel likelihood agrees."""
    if not shipped("vae"):
        pytest.skip("checkpoints/vae is not trained yet")
    model = genlib.load("vae")
    closer = likelier = 0
    for i in range(10):
        r = toys.shift_vs_erase(model, mnist_test.unit_images(i), None, 2, 0)
        closer += r.pixel["erased"] < r.pixel["shifted"]
        likelier += r.nll["erased"] < r.nll["shifted"]
        assert r.nll["original"] < r.nll["shifted"]
    assert closer == 10 and likelier >= 7
    assert toys.shift_vs_erase(tiny("gan").eval(), mnist_test.unit_images(0), None, 1, 0).nll is None


# ---------------------------------------------------------------- V(D*, G) against −log 4 + 2·JSD
def test_value_at_optimum_matches_the_criterion_for_known_densities():
    """Two Gaussians: V(D*, G) integrated from its definition equals −log 4 + 2·JSD; equal densities give −log 4."""
    grid = torch.linspace(-12, 12, 20001, dtype=torch.float64)
    p, q = toys.Mixture((0.0,), (1.0,), (1.0,)).pdf(grid), toys.Mixture((1.5,), (0.7,), (1.0,)).pdf(grid)
    v = toys.value_at_optimum(p, q, grid)
    assert v == pytest.approx(toys.criterion(toys.js_divergence(p, q, grid)), abs=1e-6)
    assert v > -math.log(4) + 0.1
    assert toys.value_at_optimum(p, p, grid) == pytest.approx(-math.log(4), abs=1e-6)
    # a grid that cuts off half of q's mass breaks the identity: the check can fail
    half = grid[grid < 1.5]
    cut = toys.value_at_optimum(p[: len(half)], q[: len(half)], half)
    assert abs(cut - toys.criterion(toys.js_divergence(p[: len(half)], q[: len(half)], half))) > 0.1


@pytest.mark.parametrize("preset", sorted(toys.PRESETS))
def test_the_identity_holds_over_the_replay_of_each_preset(preset):
    r = toys.train_toy_gan(toys.PRESETS[preset])
    assert r.identity_gap < 0.02
    assert all(abs(s.value_at_optimum - s.criterion) < 0.02 for s in r.snapshots)


def test_the_drop_a_mode_preset_drops_a_mode_and_keeps_another():
    """Mode dropping as the lecture names it: some of p_data's modes covered, at least one left out, and
    JSD > 0 so C(G) > −log 4 (the criterion at D* penalises the missing mode)."""
    r = toys.train_toy_gan(toys.PRESETS["drop a mode"])
    dropped, shares = r.dropped_modes(), r.mode_shares()
    n = len(r.config.data.means)
    assert 1 <= len(dropped) < n
    assert all(shares[j] > 0.1 for j in range(n) if j not in dropped)
    assert r.snapshots[-1].criterion > -math.log(4) + 0.1


def test_collapse_to_a_point_reaches_no_mode_and_a_healthy_run_reaches_all():
    point = toys.train_toy_gan(toys.PRESETS["collapse to a point"])
    assert point.dropped_modes() == list(range(len(point.config.data.means)))
    healthy = toys.train_toy_gan(toys.ToyGANConfig(data=toys.mixture(3, 0.3), steps=800, snapshots=2))
    assert healthy.dropped_modes() == []
    assert toys.mode_shares(torch.tensor([-2.0, -2.0, 2.0, 9.0]), toys.mixture(2)) == [0.5, 0.25]


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (0.3, 1.2), (2.0, 0.05), (0.05, 0.05)])
def test_the_lemma_peak_found_by_search_is_a_over_a_plus_b(a, b):
    lem = toys.lemma(a, b)
    assert lem.best_formula == pytest.approx(a / (a + b))
    assert abs(lem.best_on_grid - lem.best_formula) <= float(lem.y[1] - lem.y[0])
    assert float(lem.values.max()) >= a * math.log(lem.best_formula) + b * math.log(1 - lem.best_formula) - 1e-6
    with pytest.raises(ValueError, match="positive"):
        toys.lemma(0.0, 1.0)


def test_the_width_of_the_toy_networks_is_a_setting():
    narrow = toys.train_toy_gan(toys.ToyGANConfig(steps=5, hidden=2, snapshots=1))
    wide = toys.train_toy_gan(toys.ToyGANConfig(steps=5, hidden=32, snapshots=1))
    assert narrow.config.hidden == 2 and narrow.history != wide.history


@pytest.mark.parametrize("loss", toys.LOSSES)
def test_the_push_on_gs_samples_is_the_slope_of_gs_gain(loss):
    """−∂/∂x of G's loss, by autograd, against a central difference of the same function of D."""
    torch.manual_seed(0)
    D = toys.mlp(8).double()  # double precision: a tiny step, and LeakyReLU's kinks fall between the points
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    push = toys.generator_push(D, x, loss)

    def gain(v):
        logits = D(v.reshape(-1, 1)).reshape(-1)
        return (
            torch.nn.functional.logsigmoid(logits)
            if loss == "non-saturating"
            else -torch.nn.functional.logsigmoid(-logits)
        )

    with torch.no_grad():
        h = 1e-6
        numeric = (gain(x + h) - gain(x - h)) / (2 * h)
    assert torch.allclose(push, numeric, atol=1e-6)


def test_push_arrows_sit_where_gs_samples_are_and_point_as_d_pushes():
    r = toys.train_toy_gan(toys.ToyGANConfig(steps=30, snapshots=3))
    snap = r.snapshots[-1]
    arrows = toys.push_arrows(snap, r.replay_grid)
    assert 1 <= len(arrows) <= 12 and max(abs(dx) for _, dx in arrows) == pytest.approx(0.6)
    for x0, dx in arrows:
        i = int(torch.argmin((r.replay_grid - x0).abs()))
        assert float(snap.p_g[i]) > 0.05 * float(snap.p_g.max())
        assert dx == 0 or math.copysign(1, dx) == math.copysign(1, float(snap.push[i]))
