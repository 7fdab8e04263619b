"""genlib.explorer.information: InfoGAN's L_I against H(c) = log 10, and the controls that destroy it."""

import math

import pytest
import torch

from genlib.explorer import information
from helpers import need, tiny


def test_the_refitted_bound_is_zero_for_logits_unrelated_to_the_code():
    g = torch.Generator().manual_seed(0)
    logits, target = 5 * torch.randn(4000, 10, generator=g), torch.randint(0, 10, (4000,), generator=g)
    t, nll = information._best_temperature(logits, target)
    assert t > 20 and nll == pytest.approx(math.log(10), abs=0.01)
    exact = torch.nn.functional.one_hot(target, 10).float() * 8
    t, nll = information._best_temperature(exact, target)
    assert nll < 0.01  # a correct, sharpened Q: the bound reaches the ceiling


def test_a_tiny_infogan_runs_and_the_refit_only_tightens():
    m = tiny("infogan").eval()
    r = information.information(m, n=64, seed=1)
    assert r.ceiling == pytest.approx(math.log(10)) and r.n == 64 and len(r.continuous) == 2
    assert r.calibrated >= r.bound - 1e-3 and r.calibrated <= r.ceiling + 1e-9
    rb = information.read_back(m, torch.zeros(m.latent.z_dim), 4, [0.2, -0.3])
    assert rb.image.shape == (1, 28, 28) and rb.category.sum() == pytest.approx(1.0, abs=1e-5)
    assert (rb.sigma > 0).all()
    with pytest.raises(ValueError, match="InfoGAN"):
        information.information(tiny("dcgan"))
    with pytest.raises(ValueError, match="noise"):
        information.information(m, noise=-1)


def test_shuffling_c_drops_the_information_to_about_zero():
    model = need("infogan")
    kept = information.information(model, n=1000, seed=0)
    assert kept.calibrated > 2.0 and kept.accuracy > 0.9  # near H(c) = log 10 ≈ 2.303
    gone = information.information(model, n=1000, seed=0, shuffle=True)
    assert abs(gone.calibrated) < 0.05 and gone.accuracy < 0.2
    assert gone.bound < 0  # the trained Q, confidently wrong, bounds the information far below 0
    noisy = information.information(model, n=1000, seed=0, noise=1.0)
    assert noisy.calibrated < 0.5 * kept.calibrated
