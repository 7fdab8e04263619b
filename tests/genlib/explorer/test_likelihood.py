"""genlib.explorer.likelihood: the ELBO's terms, importance-weighted bounds and the naive prior estimate."""

import math

import pytest
import torch

from genlib.data import load_split
from genlib.explorer import likelihood
from helpers import need, tiny


def test_effective_sample_size_counts_the_weights_that_matter():
    assert likelihood.effective_sample_size(torch.zeros(500)) == pytest.approx(500)
    one = torch.full((500,), -50.0)
    one[7] = 0.0
    assert likelihood.effective_sample_size(one) == pytest.approx(1.0, abs=1e-6)
    two = torch.tensor([0.0, 0.0, -1e3, -1e3])
    assert likelihood.effective_sample_size(two) == pytest.approx(2.0)


def test_log_mean_exp_is_the_log_of_the_mean():
    a = torch.tensor([[0.0, math.log(3.0)], [1000.0, 1000.0]], dtype=torch.float64)
    assert likelihood.log_mean_exp(a, 1).tolist() == pytest.approx([math.log(2.0), 1000.0])


def test_letters_are_centred_like_mnist_and_unlike_digits():
    for letter in likelihood.LETTERS:
        x = likelihood.letter_image(letter)
        assert x.shape == (1, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1
        ys, xs = torch.nonzero(x[0] > 0.3, as_tuple=True)
        assert ys.max() - ys.min() <= 20 and xs.max() - xs.min() <= 20  # bounding box 20 px, as MNIST
    with pytest.raises(ValueError, match="choose one of"):
        likelihood.letter_image("Q")


def test_a_tiny_vae_gets_every_term_and_a_gan_a_clear_error():
    m = tiny("cvae").eval()
    r = likelihood.likelihood(m, torch.rand(1, 28, 28), label=3, pool=1000, prior_n=200)
    assert r.kl >= 0 and r.recon < 0 and list(r.iwae) == [1, 10, 100, 1000]
    assert r.elbo == pytest.approx(r.recon - r.kl)
    assert 1 <= r.prior_ess <= 200 and 1 <= r.q_ess <= 1000
    with pytest.raises(ValueError, match="divide the pool"):
        likelihood.likelihood(m, torch.rand(1, 28, 28), 3, ks=(1, 300), pool=1000)
    with pytest.raises(ValueError, match="conditional"):
        likelihood.likelihood(m, torch.rand(1, 28, 28))
    with pytest.raises(ValueError, match="VAE or the CVAE"):
        likelihood.likelihood(tiny("gan"), torch.rand(1, 28, 28))


def test_the_same_seed_gives_the_same_numbers_and_leaves_the_global_rng_alone():
    m = tiny("vae").eval()
    x = torch.rand(1, 28, 28)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = likelihood.likelihood(m, x, pool=1000, prior_n=100, seed=2)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert repr(a) == repr(likelihood.likelihood(m, x, pool=1000, prior_n=100, seed=2))  # repr: nan == nan
    assert a.iwae != likelihood.likelihood(m, x, pool=1000, prior_n=100, seed=3).iwae


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_bounds_rise_with_k_on_average_over_test_digits(name):
    """IWAE(1000) ≥ IWAE(1) ≥ ELBO on average. IWAE(1) and the ELBO have the same expectation (one weight is
    the ELBO's integrand), so "≥" there holds up to noise: the mean difference is within 3 standard errors of
    0 or above. IWAE(1000) − IWAE(1) must be above 0 by more than 3 standard errors."""
    model = need(name)
    test = load_split(False)
    n = 24
    rows = [
        likelihood.likelihood(model, test.unit_images(i), int(test.labels[i]), pool=2000, prior_n=500, seed=i)
        for i in range(n)
    ]
    rise = torch.tensor([r.iwae[1000][0] - r.iwae[1][0] for r in rows], dtype=torch.float64)
    same = torch.tensor([r.iwae[1][0] - r.elbo for r in rows], dtype=torch.float64)
    se = lambda d: float(d.std() / math.sqrt(len(d)))  # noqa: E731
    assert float(rise.mean()) > 3 * se(rise) > 0
    assert float(same.mean()) > -3 * se(same)
    assert abs(float(same.mean())) < 0.5  # and no systematic difference either
    # the prior-sampling estimate is far below: almost no z from N(0, I) explains a given digit
    assert sum(r.prior_estimate < r.best for r in rows) == n
    assert sum(r.prior_ess for r in rows) / n < 5


def test_a_shifted_digit_and_a_letter_are_less_likely_than_the_digit():
    model = need("vae")
    test = load_split(False)
    worse_shift = worse_letter = 0
    for i in range(8):
        x = test.unit_images(i)
        best = likelihood.likelihood(model, x, pool=1000, prior_n=10, seed=i).best
        worse_shift += likelihood.likelihood(model, likelihood.shifted(x, 3), pool=1000, prior_n=10, seed=i).best < best
        worse_letter += (
            likelihood.likelihood(model, likelihood.letter_image("AHKX"[i % 4]), pool=1000, prior_n=10, seed=i).best
            < best
        )
    assert worse_shift == 8 and worse_letter >= 7


def test_each_iwae_error_bar_counts_its_groups():
    """4,000 draws give 4 groups for K = 1,000 (a bar, if rough); 1,000 draws give one (no bar)."""
    m = tiny("vae").eval()
    x = torch.rand(1, 28, 28)
    r = likelihood.likelihood(m, x, pool=4000, prior_n=10)
    assert [r.groups(k) for k in r.iwae] == [4000 // k for k in r.iwae] and r.groups(1000) == 4
    assert not math.isnan(r.iwae[1000][1])
    one = likelihood.likelihood(m, x, pool=1000, prior_n=10)
    assert one.groups(1000) == 1 and math.isnan(one.iwae[1000][1])


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_the_two_binarisations_score_the_same_digits_and_dynamic_costs_more(name):
    """The Models card's test NLL (dynamic binarisation, metrics.test_nll) and the pages' (thresholded at 0.5)
    measured on the same digits: thresholding keeps each pixel's likelier value, so its NLL is lower."""
    from genlib import metrics

    model = need(name)
    both = likelihood.binarisations(model, n=100, k=20)
    assert both.n == 100 and both.k == 20
    assert both.dynamic == pytest.approx(metrics.test_nll(model, k=20, n=100)["test_nll"])
    assert both.thresholded < both.dynamic
    with pytest.raises(ValueError, match="VAE or the CVAE"):
        likelihood.binarisations(tiny("gan"), n=2)


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_the_kl_by_sampling_agrees_with_the_closed_form(name):
    """The derivation's D[Q(z|X) ‖ P(z)] = E_Q[log Q − log P(z)], estimated from the draws, against the formula."""
    model = need(name)
    test = load_split(False)
    for i in range(3):
        label = int(test.labels[i]) if model.latent.n_classes is not None else None
        r = likelihood.likelihood(model, test.unit_images(i), label, prior_n=10, seed=i)
        assert abs(r.kl_sampled - r.kl) < 4 * r.kl_se and r.kl_se > 0
        assert r.recon - r.kl_sampled == pytest.approx(r.elbo, abs=8 * r.kl_se)
