"""genlib.collapse: which models can collapse, the class histogram of their samples, shipped shares."""
import json

import pytest
import torch

import genlib
from helpers import ALL, shipped, tiny
from genlib import metrics
from genlib.training.presets import VARIANTS
from genlib.explorer import collapse


class FixedClassifier:
    """Predicts digit 3 for the first half of any batch and 7 for the rest (a collapsed generator)."""

    def predict(self, x):
        out = torch.full((len(x),), 7)
        out[: len(x) // 2] = 3
        return out


@pytest.mark.parametrize("name", ALL)
def test_unconditional_gans_are_the_candidates(name):
    assert collapse.is_unconditional_gan(tiny(name)) == (name in {"gan", "dcgan", "infogan"})


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
