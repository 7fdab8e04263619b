"""metrics.py on synthetic inputs where the right answer is known."""
import math

import torch

from genlib import metrics
from helpers import tiny


def test_frechet_distance_zero_for_same_and_grows_with_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2000, 8, generator=g)
    assert abs(metrics.frechet_distance(a, a)) < 1e-6
    assert abs(metrics.frechet_distance(a, a + 2) - 4 * 8) < 0.5  # ‖μ1 − μ2‖² = 8 · 2²


def test_class_coverage():
    uniform = metrics.class_coverage(torch.arange(10).repeat(10))
    assert uniform["min_class_share"] == 0.1 and abs(uniform["class_entropy"] - math.log(10)) < 1e-3
    collapsed = metrics.class_coverage(torch.full((50,), 3))
    assert collapsed["min_class_share"] == 0 and collapsed["class_entropy"] == 0


class PermutedOracle:
    """A 'classifier' that reads the categorical code back, permuted: matching must undo the permutation."""

    def __init__(self, perm):
        self.perm = perm
        self.last = None

    def predict(self, x):
        return self.perm[self.last]


def test_infogan_matching_undoes_a_permutation(monkeypatch):
    perm = torch.tensor([3, 1, 4, 0, 5, 9, 2, 6, 8, 7])
    oracle = PermutedOracle(perm)
    m = tiny("infogan").eval()

    def fake_draw(model, n, labels=None, codes=None, seed=0, batch=1000):
        oracle.last = codes["categorical"]
        return torch.zeros(n, 1, 28, 28)

    monkeypatch.setattr(metrics, "draw", fake_draw)
    out = metrics.infogan_code_accuracy(m, oracle, n=200)
    assert out["code_accuracy"] == 1.0 and out["code_to_digit"] == perm.tolist()


def test_conditional_accuracy_of_a_label_ignoring_model_is_chance(monkeypatch):
    m = tiny("cgan").eval()

    class Constant:
        def predict(self, x):
            return torch.zeros(len(x), dtype=torch.long)

    assert abs(metrics.conditional_accuracy(m, Constant(), n=100) - 0.1) < 1e-6
