"""genlib.explorer.reparam: the posterior per dimension, reparameterised and prior draws, and the two
gradient estimators (both unbiased; the score function's spread far larger)."""

import math

import pytest
import torch

from genlib.data import load_split
from genlib.explorer import reparam
from helpers import need, tiny


def quadratic(a):
    return lambda z: -0.5 * (z - a).pow(2).sum(1)


def test_both_estimators_are_unbiased_and_the_score_function_spreads_more():
    """f(z) = −½‖z − a‖² under N(μ, σ²): ∂/∂μ_j E[f] = −(μ_j − a_j) exactly."""
    mu, sigma, a = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([0.3, 1.0, 0.7]), torch.tensor([1.5, 0.0, -1.0])
    for j in range(3):
        g = reparam.gradient_samples(quadratic(a), mu, sigma, j, n=20000, seed=j)
        truth = -(float(mu[j]) - float(a[j]))
        for which in ("pathwise", "score"):
            est, se = float(g.running(which)[-1]), g.spread(which, 20000)
            assert abs(est - truth) < 4 * se, (which, est, truth, se)
        assert g.pathwise.var() < g.score.var()
        assert g.pathwise.std() == pytest.approx(float(sigma[j]), rel=0.05)  # ∂f/∂z_j = −(z_j − a_j): sd σ_j


def test_running_estimate_and_spread():
    g = reparam.GradientSamples(torch.tensor([1.0, 3.0, 5.0]), torch.tensor([0.0, 0.0, 6.0]), torch.zeros(3))
    assert g.running("pathwise").tolist() == [1.0, 2.0, 3.0]
    assert g.spread("pathwise", 4) == pytest.approx(2.0 / 2)
    with pytest.raises(ValueError, match="outside"):
        reparam.gradient_samples(quadratic(torch.zeros(2)), torch.zeros(2), torch.ones(2), 2)


def test_posterior_orders_dimensions_by_kl_and_draws_follow_the_trick():
    m = tiny("vae").eval()
    x = torch.rand(1, 28, 28)
    post = reparam.posterior(m, x)
    kls = post.kl[post.order]
    assert (kls[:-1] >= kls[1:]).all() and sorted(post.order) == list(range(m.latent.z_dim))
    d = reparam.draws(m, x, n=5, seed=1)
    assert torch.allclose(d.z, post.mu + post.sigma * d.eps, atol=1e-6)
    assert d.images.shape == (5, 1, 28, 28) and d.log_px.shape == (5,) and (d.log_px < 0).all()
    prior = reparam.draws(m, x, n=5, seed=1, from_prior=True)
    assert prior.eps is None and torch.equal(prior.z, d.eps)  # the same ε, used as z itself
    with pytest.raises(ValueError, match="VAE or the CVAE"):
        reparam.posterior(tiny("infogan"), x)


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_on_the_shipped_model_prior_draws_are_far_worse_and_the_score_function_far_noisier(name):
    model = need(name)
    test = load_split(False)
    for i in range(4):
        x, y = test.unit_images(i), int(test.labels[i])
        q, prior = reparam.draws(model, x, y, 16, seed=i), reparam.draws(model, x, y, 16, seed=i, from_prior=True)
        assert float(q.log_px.mean()) > float(prior.log_px.mean()) + 100  # hundreds of nats
        dim, g = reparam.image_gradients(model, x, y, n=400, seed=i)
        assert dim == reparam.posterior(model, x, y).order[0]
        assert float(g.score.var()) > 10 * float(g.pathwise.var())
        # both estimate the same number: their difference is within the noise of the two estimates
        gap = abs(float(g.running("score")[-1] - g.running("pathwise")[-1]))
        assert gap < 4 * math.hypot(g.spread("score", 400), g.spread("pathwise", 400))


def test_a_baseline_removes_the_offset_from_the_score_functions_spread():
    """f + c has the same gradient as f. Without a baseline the score function's spread grows with |c| (the
    −55 nats of log P(X|z) act as such an offset); with the batch-mean baseline it does not, and stays unbiased."""
    mu, sigma, a = torch.tensor([0.5, -1.0]), torch.tensor([0.3, 1.0]), torch.tensor([1.5, 0.0])
    truth = -(float(mu[0]) - float(a[0]))

    def shifted(c):
        return lambda z: quadratic(a)(z) + c

    plain, offset = (reparam.gradient_samples(shifted(c), mu, sigma, 0, n=20000, seed=3) for c in (0.0, -55.0))
    assert offset.score.std() > 10 * plain.score.std()
    assert offset.baseline.std() == pytest.approx(float(plain.baseline.std()), rel=1e-3)
    assert offset.baseline.std() < offset.score.std() / 10
    est, se = float(offset.running("baseline")[-1]), offset.spread("baseline", 20000)
    assert abs(est - truth) < 4 * se


def test_the_posterior_is_that_of_the_binarised_image_as_on_the_elbo_page():
    """One digit, one KL: the Reparameterisation page and the ELBO page encode the same (binarised) image."""
    from genlib.explorer import likelihood

    m = tiny("vae").eval()
    grey = torch.rand(1, 28, 28)
    kl = float(reparam.posterior(m, grey).kl.sum())
    assert kl == pytest.approx(likelihood.likelihood(m, grey, pool=10, prior_n=10, ks=(1, 10)).kl, rel=1e-5)
    assert torch.equal(reparam.posterior(m, grey).mu, reparam.posterior(m, (grey > 0.5).float()).mu)


def test_the_kl_splits_into_the_formulas_four_terms():
    """½ (tr Σ + μᵀμ − k − log det Σ) with k = dim z equals the per-dimension KLs summed."""
    post = reparam.posterior(tiny("vae").eval(), torch.rand(1, 28, 28))
    terms = post.kl_terms()
    assert list(terms) == ["tr Σ", "μᵀμ", "−k", "−log det Σ"] and terms["−k"] == -len(post.mu)
    assert 0.5 * sum(terms.values()) == pytest.approx(float(post.kl.double().sum()), rel=1e-5)
