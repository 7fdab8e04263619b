"""The ELBO and the likelihood of one image under a VAE or CVAE, term by term.

log P(X) − D[Q(z|X) ‖ P(z|X)] = E_{z~Q}[log P(X|z)] − D[Q(z|X) ‖ P(z)]: the right side (the ELBO) is
computed as a reconstruction term and a closed-form KL; importance weighting with k samples from Q
(Burda et al.) gives bounds that rise towards log P(X) as k grows, so their distance above the ELBO
is a lower bound on the encoder's error D[Q(z|X) ‖ P(z|X)]. The naive estimate draws z from the
prior instead of Q, and its effective sample size shows why Q(z|X) is needed.

Images are binarised (drawing.binarise) so that P(X) is the probability of a binary image, as the
Bernoulli decoder defines it. Every draw comes from a local generator: results are reproducible and
the global RNG is left alone."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from .drawing import binarise, mnist_centre
from .toys import shift_image

KS = (1, 10, 100, 1000)
POOL = 4000  # samples from Q per image: IWAE(k) is averaged over POOL / k disjoint groups
PRIOR_N = 5000


def applies(model) -> bool:
    """The VAE family: an encoder Q(z|X) and a decoder that defines P(X|z)."""
    return model.has_posterior and model.has_likelihood


def log_mean_exp(a: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return torch.logsumexp(a, dim) - math.log(a.shape[dim])


def effective_sample_size(log_w: torch.Tensor) -> float:
    """(Σ w)² / Σ w² of importance weights given as logs: n for equal weights, 1 when one dominates."""
    log_w = torch.as_tensor(log_w, dtype=torch.float64).reshape(-1)
    return float(torch.exp(2 * torch.logsumexp(log_w, 0) - torch.logsumexp(2 * log_w, 0)))


def _labels(model, label, n: int):
    if model.latent.n_classes is None:
        return None
    if label is None:
        raise ValueError("this model is conditional: pass the digit's label")
    return torch.full((n,), int(label), dtype=torch.long)


@torch.no_grad()
def log_px_given_z(model, x: torch.Tensor, z: torch.Tensor, label=None, batch: int = 1000) -> torch.Tensor:
    """log P(X|z) (nats) of one binary image x (784,) for each row of z, under the Bernoulli decoder."""
    out = []
    for i in range(0, len(z), batch):
        zi = z[i : i + batch]
        logits = model.decode_logits(zi, _labels(model, label, len(zi)))
        out.append(-F.binary_cross_entropy_with_logits(logits, x.expand(len(zi), -1), reduction="none").sum(1))
    return torch.cat(out).double()


@dataclass(frozen=True)
class Likelihood:
    recon: float  # E_Q[log P(X|z)], nats (negative)
    kl: float  # D[Q(z|X) ‖ P(z)], closed form
    iwae: dict  # k -> (estimate, standard error over its disjoint groups)
    prior_estimate: float  # log of the mean of P(X|z) over z ~ P(z)
    prior_ess: float  # effective sample size of those prior draws
    prior_n: int
    q_ess: float  # effective sample size of the POOL importance weights under Q
    pool: int
    e_log_q: float = float("nan")  # E_Q[log Q(z|X)] over the pool (the derivation's terms, by sampling)
    e_log_pz: float = float("nan")  # E_Q[log P(z)] over the pool
    kl_se: float = float("nan")  # standard error of kl_sampled

    @property
    def kl_sampled(self) -> float:
        """D[Q(z|X) ‖ P(z)] = E_Q[log Q(z|X) − log P(z)] estimated from the draws, beside the closed form."""
        return self.e_log_q - self.e_log_pz

    @property
    def elbo(self) -> float:
        return self.recon - self.kl

    @property
    def best(self) -> float:
        """The largest k's estimate: the closest of these lower bounds to log P(X)."""
        return self.iwae[max(self.iwae)][0]

    def groups(self, k: int) -> int:
        """How many disjoint groups of k draws IWAE(k) averages (its error bar needs at least 2)."""
        return self.pool // k

    @property
    def gap(self) -> float:
        """best − ELBO: at most D[Q(z|X) ‖ P(z|X)] in expectation, and rising towards it as k grows."""
        return self.best - self.elbo


@torch.no_grad()
def likelihood(
    model, image: torch.Tensor, label=None, ks=KS, pool: int = POOL, prior_n: int = PRIOR_N, seed: int = 0
) -> Likelihood:
    """The ELBO's two terms, IWAE(k) for each k in ks and the prior-sampling estimate of log P(X) for one
    image (1, 28, 28) in [0, 1] (binarised here)."""
    if not applies(model):
        raise ValueError(f"{model.name} has no encoder Q(z|X) and no likelihood P(X|z); use the VAE or the CVAE")
    ks = tuple(sorted(int(k) for k in ks))
    if ks[0] < 1 or pool % ks[-1]:
        raise ValueError(f"every k must be ≥ 1 and divide the pool of {pool} samples; got {ks}")
    x = binarise(torch.as_tensor(image, dtype=torch.float32)).reshape(1, 784)
    g = torch.Generator().manual_seed(seed)
    mu, logvar = model.posterior(x, _labels(model, label, 1))
    mu, logvar = mu[0].double(), logvar[0].double()
    sigma = (0.5 * logvar).exp()
    eps = torch.randn(pool, len(mu), generator=g, dtype=torch.float64)
    z = mu + sigma * eps
    log_px = log_px_given_z(model, x, z.float(), label)
    log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)
    log_qz = -0.5 * (eps.pow(2) + math.log(2 * math.pi) + logvar).sum(1)
    log_w = log_px + log_pz - log_qz
    kl = float(0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum())
    iwae = {}
    for k in ks:
        groups = log_mean_exp(log_w.reshape(pool // k, k), 1)
        se = float(groups.std() / math.sqrt(len(groups))) if len(groups) > 1 else float("nan")
        iwae[k] = (float(groups.mean()), se)
    z0 = torch.randn(prior_n, len(mu), generator=g)
    prior_log_px = log_px_given_z(model, x, z0, label)
    return Likelihood(
        recon=float(log_px.mean()),
        kl=kl,
        iwae=iwae,
        prior_estimate=float(log_mean_exp(prior_log_px, 0)),
        prior_ess=effective_sample_size(prior_log_px),
        prior_n=prior_n,
        q_ess=effective_sample_size(log_w),
        pool=pool,
        e_log_q=float(log_qz.mean()),
        e_log_pz=float(log_pz.mean()),
        kl_se=float((log_qz - log_pz).std() / math.sqrt(pool)),
    )


# ---------------------------------------------------------------- two ways to binarise the test digits
@dataclass(frozen=True)
class Binarisations:
    thresholded: float  # mean −log P(X), nats, of the digits thresholded at 0.5 (the ELBO and Draw pages)
    dynamic: float  # the same digits, each pixel drawn once as a Bernoulli of its grey level (the Models card)
    n: int  # the first n test digits
    k: int  # importance samples per digit


def binarisations(model, n: int = 500, k: int = 100, seed: int = 0) -> Binarisations:
    """The mean test NLL of the same n test digits under both binarisations the app uses: thresholding, as
    the pages that score one image do, and one Bernoulli draw per pixel, as metrics.test_nll (the Models
    card's figure) does. Thresholding keeps each pixel's likelier value, so its NLL is the lower."""
    from .. import data, metrics
    from .drawing import nll

    if not applies(model):
        raise ValueError(f"{model.name} has no likelihood P(X|z); use the VAE or the CVAE")
    test = data.load_split(False)
    x = test.unit_images(slice(n))
    labels = test.labels[: len(x)] if model.latent.n_classes is not None else None
    thresholded = float(nll(model, x, labels, k=k, seed=seed).mean())
    dynamic = metrics.test_nll(model, k=k, n=len(x), seed=seed)["test_nll"]
    return Binarisations(thresholded, float(dynamic), len(x), k)


# ---------------------------------------------------------------- images to ask about
def letter_image(letter: str = "A") -> torch.Tensor:
    """A capital letter drawn with straight pen strokes and centred like an MNIST digit: an image no
    digit model has seen. (1, 28, 28) in [0, 1]."""
    strokes = LETTERS.get(letter.upper())
    if strokes is None:
        raise ValueError(f"no strokes for {letter!r}; choose one of {', '.join(LETTERS)}")
    canvas = Image.new("F", (100, 100), 0.0)
    pen = ImageDraw.Draw(canvas)
    for line in strokes:
        pen.line([(10 + 80 * x, 10 + 80 * y) for x, y in line], fill=1.0, width=11)
    return mnist_centre(np.asarray(canvas))


# each stroke a polyline in the unit square (x right, y down)
LETTERS = {
    "A": (((0.0, 1.0), (0.5, 0.0), (1.0, 1.0)), ((0.22, 0.6), (0.78, 0.6))),
    "H": (((0.1, 0.0), (0.1, 1.0)), ((0.9, 0.0), (0.9, 1.0)), ((0.1, 0.5), (0.9, 0.5))),
    "K": (((0.15, 0.0), (0.15, 1.0)), ((0.9, 0.0), (0.15, 0.6)), ((0.4, 0.4), (0.9, 1.0))),
    "X": (((0.05, 0.0), (0.95, 1.0)), ((0.95, 0.0), (0.05, 1.0))),
}


def shifted(image: torch.Tensor, dx: int = 3, dy: int = 0) -> torch.Tensor:
    return shift_image(torch.as_tensor(image, dtype=torch.float32).reshape(1, 28, 28), dx, dy)
