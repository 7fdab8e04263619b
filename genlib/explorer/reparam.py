"""The reparameterisation trick, made visible for a VAE or CVAE.

For one image X the encoder gives Q(z|X) = N(μ(X), diag σ²(X)). The stochastic unit "draw z ~ Q" blocks
backpropagation; writing z = μ + σ ⊙ ε with ε ~ N(0, I) moves the randomness into an input, so
∂z/∂μ = 1 and ∂z/∂σ = ε. Here: the posterior per dimension, decodings of reparameterised draws and of
prior draws with their log P(X|z), and the two Monte Carlo estimators of ∂/∂μ_j E_Q[log P(X|z)]:
pathwise (through the decoder, by the trick) and score-function (REINFORCE, no gradient of the decoder),
the latter with and without a baseline. The trick needs a continuous Q: a VAE whose latent were one of
10 categories would need a relaxation (Gumbel-softmax) or the score function instead.

Every image is binarised first, as on the ELBO page, so Q(z|X) and its KL are the same on both pages."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .drawing import binarise
from .likelihood import _labels, applies, log_px_given_z


@dataclass(frozen=True)
class Posterior:
    mu: torch.Tensor  # (d,)
    sigma: torch.Tensor  # (d,)
    kl: torch.Tensor  # (d,) KL(Q(z_j|X) ‖ N(0, 1)) per dimension
    order: list  # dimensions by KL, largest first

    def kl_terms(self) -> dict[str, float]:
        """The closed-form KL's four terms, KL = ½ (tr Σ + μᵀμ − k − log det Σ), k the dimension of z."""
        var = self.sigma.double().pow(2)
        return {
            "tr Σ": float(var.sum()),
            "μᵀμ": float(self.mu.double().pow(2).sum()),
            "−k": -float(len(self.mu)),
            "−log det Σ": -float(var.log().sum()),
        }

    @property
    def active(self) -> list:
        """Dimensions carrying more than 0.1 nat: the rest copy the prior (σ ≈ 1, μ ≈ 0)."""
        return [j for j in self.order if float(self.kl[j]) > 0.1]


def _check(model):
    if not applies(model):
        raise ValueError(f"{model.name} has no Gaussian encoder Q(z|X) to reparameterise; use the VAE or the CVAE")


@torch.no_grad()
def posterior(model, image: torch.Tensor, label=None) -> Posterior:
    _check(model)
    x = binarise(torch.as_tensor(image, dtype=torch.float32)).reshape(1, 784)
    mu, logvar = model.posterior(x, _labels(model, label, 1))
    mu, logvar = mu[0], logvar[0]
    kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar)
    return Posterior(mu, (0.5 * logvar).exp(), kl, [int(j) for j in torch.argsort(kl, descending=True)])


@dataclass(frozen=True)
class Draws:
    eps: torch.Tensor | None  # (n, d) the noise, for reparameterised draws; None for prior draws
    z: torch.Tensor  # (n, d)
    images: torch.Tensor  # (n, 1, 28, 28) decoded means
    log_px: torch.Tensor  # (n,) log P(X|z) of the (binarised) image, nats


@torch.no_grad()
def draws(model, image: torch.Tensor, label=None, n: int = 16, seed: int = 0, from_prior: bool = False) -> Draws:
    """n latents, z = μ + σ ⊙ ε (or z ~ N(0, I) when from_prior), their decodings and log P(X|z)."""
    _check(model)
    if n < 1:
        raise ValueError(f"need at least one draw; got {n}")
    post = posterior(model, image, label)
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(n, len(post.mu), generator=g)
    z = eps if from_prior else post.mu + post.sigma * eps
    x = binarise(torch.as_tensor(image, dtype=torch.float32)).reshape(784)
    images = model.decode(z, _labels(model, label, n))
    return Draws(None if from_prior else eps, z, images, log_px_given_z(model, x, z, label).float())


# ---------------------------------------------------------------- two gradient estimators
@dataclass(frozen=True)
class GradientSamples:
    pathwise: torch.Tensor  # (n,) per-draw ∂f/∂z_j at z = μ + σ ⊙ ε
    score: torch.Tensor  # (n,) per-draw f(z) · ∂/∂μ_j log Q(z) = f(z) · ε_j / σ_j
    # (n,) the same with a baseline: (f(z) − b) · ε_j / σ_j, b the mean f of the other draws of its batch (a
    # baseline independent of the draw keeps the estimator unbiased and removes f's offset from the noise)
    baseline: torch.Tensor

    def running(self, which: str) -> torch.Tensor:
        """The estimate after 1, 2, …, n draws (the running mean)."""
        v = getattr(self, which).double()
        return v.cumsum(0) / torch.arange(1, len(v) + 1, dtype=torch.float64)

    def spread(self, which: str, n: int) -> float:
        """Standard deviation of the estimate from n independent draws: per-draw sd / √n."""
        return float(getattr(self, which).double().std() / math.sqrt(n))


def gradient_samples(
    f, mu: torch.Tensor, sigma: torch.Tensor, dim: int, n: int = 1000, seed: int = 0, batch: int = 500
) -> GradientSamples:
    """Per-draw terms of both unbiased estimators of ∂/∂μ_dim E_{z~N(μ, diag σ²)}[f(z)], for a
    differentiable f mapping (b, d) latents to (b,) values. Averaging n of them gives each estimate."""
    mu, sigma = torch.as_tensor(mu, dtype=torch.float32), torch.as_tensor(sigma, dtype=torch.float32)
    if not 0 <= dim < len(mu):
        raise ValueError(f"dimension {dim} is outside 0..{len(mu) - 1}")
    g = torch.Generator().manual_seed(seed)
    path, score, based = [], [], []
    for i in range(0, n, batch):
        eps = torch.randn(min(batch, n - i), len(mu), generator=g)
        z = (mu + sigma * eps).requires_grad_(True)
        with torch.enable_grad():
            values = f(z)
            (grad,) = torch.autograd.grad(values.sum(), [z])  # rows are independent: row i's gradient is its own
        path.append(grad[:, dim].detach())
        f_z = values.detach()
        others = (f_z.sum() - f_z) / (len(f_z) - 1) if len(f_z) > 1 else torch.zeros_like(f_z)
        score.append(f_z * eps[:, dim] / sigma[dim])
        based.append((f_z - others) * eps[:, dim] / sigma[dim])
    return GradientSamples(torch.cat(path), torch.cat(score), torch.cat(based))


def decoder_log_likelihood(model, image: torch.Tensor, label=None):
    """f(z) = log P(X|z) for one binarised image, differentiable in z (the decoder's weights are not trained)."""
    _check(model)
    x = binarise(torch.as_tensor(image, dtype=torch.float32)).reshape(1, 784)

    def f(z: torch.Tensor) -> torch.Tensor:
        logits = model.decode_logits(z, _labels(model, label, len(z)))
        return -F.binary_cross_entropy_with_logits(logits, x.expand(len(z), -1), reduction="none").sum(1)

    return f


def image_gradients(
    model, image: torch.Tensor, label=None, dim: int | None = None, n: int = 1000, seed: int = 0
) -> tuple[int, GradientSamples]:
    """Both estimators for the image's posterior, for `dim` (default: its dimension of largest KL)."""
    post = posterior(model, image, label)
    dim = post.order[0] if dim is None else dim
    f = decoder_log_likelihood(model, image, label)
    return dim, gradient_samples(f, post.mu, post.sigma, dim, n, seed)
