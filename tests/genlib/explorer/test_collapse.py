"""genlib.explorer.collapse: which models can collapse, the class histogram of their samples, shipped shares."""

import json
import math

import pytest
import torch

import genlib
from genlib import metrics
from genlib.explorer import collapse
from genlib.models import VARIANTS
from helpers import ALL, shipped, tiny


class FixedClassifier:
    """Predicts digit 3 for the first half of any batch and 7 for the rest (a collapsed generator)."""

    def predict(self, x):
        out = torch.full((len(x),), 7)
        out[: len(x) // 2] = 3
        return out


@pytest.mark.parametrize("name", ALL)
def test_unconditional_gans_are_the_candidates(name):
    assert collapse.is_unconditional_gan(tiny(name)) == (name in {"gan", "dcgan", "infogan", "lsgan"})


def test_histogram_counts_and_coverage_numbers():
    h = collapse.class_histogram(tiny("gan").eval(), FixedClassifier(), n=100, keep=5)
    assert h.n == 100 and sum(h.counts) == 100
    assert h.counts[3] == 50 and h.counts[7] == 50
    assert h.class_shares[3] == 0.5 and h.min_class_share == 0.0
    assert h.class_entropy == pytest.approx(0.6931, abs=1e-4)  # two equal classes: log 2
    assert h.below_bar == [0, 1, 2, 4, 5, 6, 8, 9] and h.least_frequent == 0
    assert h.samples.shape == (5, 1, 28, 28)


def test_histogram_is_seeded_and_checks_n():
    m, clf = tiny("dcgan").eval(), FixedClassifier()
    a, b, c = (collapse.class_histogram(m, clf, n=20, seed=s) for s in (1, 1, 2))
    assert torch.equal(a.samples, b.samples) and not torch.equal(a.samples, c.samples)
    with pytest.raises(ValueError, match="at least 1"):
        collapse.class_histogram(m, clf, n=0)


def test_shipped_shares_reads_metrics(tmp_path):
    assert collapse.shipped_shares(tmp_path) is None  # no metrics.json
    (tmp_path / "metrics.json").write_text("{broken")
    assert collapse.shipped_shares(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"class_shares": [0.1] * 10}))
    assert collapse.shipped_shares(tmp_path) == [0.1] * 10


def test_extra_checkpoints_name_a_known_architecture():
    assert set(VARIANTS.values()) <= set(genlib.MODELS)
    assert "dcgan-collapsed" in VARIANTS
    assert collapse.train_hint("dcgan-collapsed") == "python train.py --model dcgan-collapsed"


@pytest.mark.parametrize("name", ["gan", "infogan"])
def test_shipped_healthy_gans_cover_every_digit(name):
    """The shipped GAN and InfoGAN met the 6% bar on 10k samples; 2,000 samples agree within noise."""
    if not (shipped(name) and shipped("classifier")):
        pytest.skip(f"checkpoints/{name} or the classifier is not trained yet")
    h = collapse.class_histogram(genlib.load(name), metrics.load_classifier(), n=2000)
    assert h.min_class_share > 0.05, h.class_shares
    assert h.class_entropy > 0.97 * h.class_entropy_max


def test_shipped_histogram_is_the_ship_time_measurement(tmp_path):
    assert collapse.shipped_histogram(tmp_path) is None  # nothing recorded: the page samples instead
    shares = [0.2, 0.05] + [0.0938] * 8
    (tmp_path / "metrics.json").write_text(json.dumps({"class_shares": shares, "n_samples": 5000}))
    h = collapse.shipped_histogram(tmp_path)
    assert h.n == 5000 and h.class_shares == shares and h.samples is None
    assert h.counts[:2] == [1000, 250] and h.least_frequent == 1 and h.min_class_share == 0.05
    assert 0 < h.class_entropy < math.log(10) and h.below_bar == [1]


def test_wilson_interval_brackets_the_share_and_narrows_with_n():
    lo, hi = collapse.wilson_interval(110, 2000)
    assert lo < 0.055 < hi and hi - lo == pytest.approx(2 * 1.96 * (0.055 * 0.945 / 2000) ** 0.5, rel=0.05)
    lo2, hi2 = collapse.wilson_interval(550, 10000)
    assert hi2 - lo2 < (hi - lo) / 2
    assert collapse.wilson_interval(0, 100)[0] == 0 and 0 < collapse.wilson_interval(0, 100)[1] < 0.04
    with pytest.raises(ValueError):
        collapse.wilson_interval(5, 0)


def histogram(counts):
    n = sum(counts)
    return collapse.Histogram(counts, [k / n for k in counts], min(counts) / n, 0.0, 0.0, n, torch.zeros(0, 1, 28, 28))


def test_only_shares_below_the_bar_beyond_noise_are_flagged():
    h = histogram([110, 40, 206, 206, 206, 206, 206, 206, 206, 408])
    assert h.n == 2000
    assert h.below_bar == [1]  # 2%: its whole band is under 6%
    assert h.undecided == [0]  # 5.5% of 2,000: below 6% here, but the band reaches it


def test_within_class_diversity_is_zero_for_a_repeated_image_and_one_for_real_digits(mnist_test):
    real, labels = mnist_test.unit_images(), mnist_test.labels
    same = real[labels == 3][:1].repeat(50, 1, 1, 1)
    pred = torch.full((50,), 3)
    div = collapse.within_class_diversity(same, pred, real, labels)
    assert div[3] == pytest.approx(0, abs=1e-3) and all(v is None for d, v in enumerate(div) if d != 3)
    own = collapse.within_class_diversity(real[:3000], labels[:3000], real, labels)
    assert all(0.85 < v < 1.15 for v in own)


def test_the_collapsed_recipe_is_read_from_its_config():
    if not shipped("dcgan-collapsed"):
        pytest.skip("checkpoints/dcgan-collapsed is not trained yet")
    r = collapse.recipe(genlib.CHECKPOINTS / "dcgan-collapsed")
    healthy = collapse.recipe(genlib.CHECKPOINTS / "dcgan")
    assert r["ratio"] == pytest.approx(500) and r["lr_d"] == pytest.approx(healthy["lr_d"] / 100)
    assert {k: v for k, v in r.items() if k not in ("lr_d", "ratio", "command")} == {
        k: v for k, v in healthy.items() if k not in ("lr_d", "ratio", "command")
    }
    assert collapse.recipe(genlib.CHECKPOINTS / "no-such-folder") is None


def test_the_shipped_dcgan_is_not_flagged_by_sampling_noise_at_the_default_size():
    """The DCGAN met the 6% bar at ship time (10,000 samples, rarest digit 6.21%): 2,000 samples, several
    seeds, never flag it; the collapsed variant is flagged and has almost no within-class diversity."""
    if not (shipped("dcgan") and shipped("classifier")):
        pytest.skip("checkpoints/dcgan or the classifier is not trained yet")
    clf = metrics.load_classifier()
    from genlib.data import load_split

    test = load_split(False)
    real = (test.unit_images(), test.labels)
    for seed in range(3):
        h = collapse.class_histogram(genlib.load("dcgan"), clf, n=2000, seed=seed, reference=real)
        assert h.below_bar == [], (seed, h.class_shares)
        assert h.mean_diversity > 0.6
    if shipped("dcgan-collapsed"):
        bad = collapse.class_histogram(genlib.load("dcgan-collapsed"), clf, n=2000, reference=real)
        assert len(bad.below_bar) >= 8 and bad.mean_diversity < 0.1


def test_recipe_differences_are_read_from_the_declarations():
    """The page's sentence lists every declared setting of G's training in which the collapsed and the healthy
    DCGAN differ, each with both values; settings of the inverter (fitted after G) are not among them. The
    collapsed DCGAN differs in exactly one, under both presets: D's learning rate."""
    for preset in ("full", "quick"):
        assert [k for k, _, _ in collapse.recipe_differences("dcgan-collapsed", "dcgan", preset)] == ["lr_d"]
    diffs = collapse.recipe_differences("dcgan-collapsed", "dcgan")
    good, bad = collapse.declared_settings("dcgan"), collapse.declared_settings("dcgan-collapsed")
    expected = {k for k in good if good[k] != bad[k]} - collapse.NOT_TRAINING_G
    assert {k for k, _, _ in diffs} == expected and expected
    assert all((a, b) == (good[k], bad[k]) for k, a, b in diffs)
    text = collapse.describe_differences(diffs)
    assert text.count("→") == len(diffs) and "inverter" not in text
    assert collapse.recipe_differences("dcgan", "dcgan") == []


@pytest.mark.parametrize("folder", ["dcgan", "dcgan-collapsed"])
def test_declared_recipe_is_what_the_checkpoint_recorded(folder):
    """The declared settings the sentence names are those the shipped checkpoint was trained with."""
    recorded = collapse.recipe(genlib.CHECKPOINTS / folder)
    if recorded is None:
        pytest.skip(f"checkpoints/{folder} records no training settings")
    declared = collapse.declared_settings(folder)
    assert (declared["lr"], declared["lr_d"], declared["epochs"], declared["ema"], declared["r1"]) == (
        recorded["lr_g"],
        recorded["lr_d"],
        recorded["epochs"],
        recorded["ema"],
        recorded["r1"],
    )
