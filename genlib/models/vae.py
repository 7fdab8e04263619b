"""VAE (Kingma & Welling): Gaussian q(z|x), Bernoulli p(x|z), N(0, I) prior, trained on the ELBO
E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) with the reparameterisation trick (the lecture's objective)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..latent import LatentSpec
from .base import GenerativeModel, check_images
from .card import ELBO, IWAE, KL, REPARAM, Card
from .layers import CondMLP, mlp, one_hot


@dataclass
class VAEConfig:
    z_dim: int = 32
    hidden: tuple[int, ...] = (512, 256)


class VAE(GenerativeModel):
    name = "vae"
    recipes = {"full": ({}, dict(epochs=50, batch_size=128, lr=1e-3, lr_decay=True)), "quick": ({}, dict(epochs=2))}
    tiny = dict(z_dim=4, hidden=(32, 16))
    card = Card(
        title="Variational autoencoder (VAE)",
        paper="Kingma & Welling, Auto-Encoding Variational Bayes (2014); Doersch, Tutorial on VAEs (2016)",
        what=(
            "A decoder P(X|z) turns a latent z ~ N(0, I) into a digit. Sampling z from the prior rarely gives a z "
            "that explains a particular X, so an encoder Q(z|X) proposes plausible z for each image. Training "
            "maximises the evidence lower bound (ELBO): reconstruct X from z ~ Q(z|X), while keeping Q(z|X) close to "
            "the prior in KL divergence. With a Gaussian Q the KL term has a closed form, and the "
            "reparameterisation trick moves the sampling noise outside the network so the whole model "
            "trains end to end by backpropagation. At test time the encoder is dropped: sample z ~ N(0, I) and "
            "decode; the encoder returns to estimate the likelihood of a test digit by importance sampling."
        ),
        objective=(
            ("The ELBO (maximised): log-likelihood minus the encoder's error", ELBO),
            ("KL between the Gaussian posterior and the N(0, I) prior, in closed form; k is the dimension of z", KL),
            ("Reparameterisation trick: backpropagate through z", REPARAM),
            (
                "Test NLL: importance-weighted estimate with K = 500 importance samples, on dynamically binarised "
                "test digits (each pixel drawn once as a Bernoulli of its grey level; the ELBO and Draw pages "
                "threshold at 0.5 instead, which gives a lower NLL — the ELBO page shows both)",
                IWAE,
            ),
        ),
        notes=(
            (
                "Q(z|X) and P(X|z) are MLPs; P(X|z) is a Bernoulli over the 784 pixels (binary cross-entropy "
                "is −log P(X|z)), trained on dynamically binarised digits."
            ),
            (
                "The curves below show both ELBO terms: the reconstruction falls while the KL rises as the "
                "latent dimensions start to carry information."
            ),
        ),
    )
    Config = VAEConfig
    output = "logits"
    has_likelihood = True
    has_posterior = True
    n_classes: int | None = None  # CVAE sets 10: the label joins the encoder input and every decoder layer

    def __init__(self, config=None):
        super().__init__(config)
        c, k = self.config, self.n_classes or 0
        h = list(c.hidden)
        self.encoder = mlp([784 + k, *h], out_act=torch.nn.ReLU())
        self.mu = torch.nn.Linear(h[-1], c.z_dim)
        self.logvar = torch.nn.Linear(h[-1], c.z_dim)
        if k:  # CVAE: the label enters every decoder layer (see CondMLP)
            self.decoder = CondMLP([c.z_dim, *reversed(h), 784], k)
        else:
            self.decoder = mlp([c.z_dim, *reversed(h), 784])

    @property
    def latent(self) -> LatentSpec:
        return LatentSpec(z_dim=self.config.z_dim, n_classes=self.n_classes)

    def _cond(self, t: torch.Tensor, labels) -> torch.Tensor:
        return t if labels is None else torch.cat([t, one_hot(labels, self.n_classes, t.dtype)], 1)

    def posterior(self, x, labels=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Parameters (mu, logvar) of q(z|x[,y])."""
        labels = self.latent.check_labels(labels, len(x))
        labels = None if labels is None else labels.to(x.device)
        h = self.encoder(self._cond(x.reshape(len(x), 784), labels))
        return self.mu(h), self.logvar(h).clamp(-12, 8)

    def decode_logits(self, z, labels=None) -> torch.Tensor:
        if self.n_classes is None:
            return self.decoder(z)
        labels = self.latent.check_labels(labels, len(z)).to(z.device)
        return self.decoder(z, one_hot(labels, self.n_classes, z.dtype))

    def generate(self, z, labels=None, codes=None):
        return self.decode_logits(z, labels)

    @torch.no_grad()
    def encode(self, x, labels=None) -> torch.Tensor:
        device, dtype = self.placement()
        return self.posterior(check_images(x, dtype, device), labels)[0]

    def elbo_terms(self, x, labels=None, eps=None) -> dict[str, torch.Tensor]:
        """Per-batch means of the reconstruction NLL and the closed-form KL, in nats per image.
        eps: the reparameterisation noise, when the caller draws it (data-parallel ranks take slices)."""
        mu, logvar = self.posterior(x, labels)
        eps = torch.randn_like(mu) if eps is None else eps
        z = mu + eps * (0.5 * logvar).exp()  # reparameterisation trick
        logits = self.decode_logits(z, labels)
        recon = F.binary_cross_entropy_with_logits(logits, x.reshape(len(x), 784), reduction="sum") / len(x)
        kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum(1).mean()
        return {"loss": recon + kl, "recon": recon, "kl": kl}

    # what training descends, apart from the −ELBO the pages report: None means −ELBO itself; a model that
    # trains on something else (a β-VAE: recon + β·KL) overrides `objective` and names it here
    objective_text: str | None = None

    def objective(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """The training loss from elbo_terms: −ELBO = recon + KL."""
        return terms["loss"]

    @torch.no_grad()
    def kl_per_dim(self, x, labels=None) -> torch.Tensor:
        """Average KL(q(z_i|x) ‖ N(0,1)) of each latent dimension; ~0 marks an inactive unit."""
        mu, logvar = self.posterior(x, labels)
        return (0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar)).mean(0)

    @torch.no_grad()
    def log_likelihood(
        self, x, labels=None, k: int = 500, rows: int = 10000, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Importance-weighted estimate of log p(x) (Burda et al.) with k samples from q, per image:
        log (1/k) Σ p(x|z_i) p(z_i) / q(z_i|x). Binary x expected. `rows` bounds images×samples per pass.
        The samples are drawn on the CPU from `generator` (default: the global generator)."""
        device, dtype = self.placement()
        x = torch.as_tensor(x).to(device, dtype).reshape(len(x), 784)
        labels = self.latent.check_labels(labels, len(x))
        mu, logvar = self.posterior(x, labels)
        b = max(1, rows // k)
        out = []
        for i in range(0, len(x), b):
            xi, mi, lv = x[i : i + b], mu[i : i + b], logvar[i : i + b]
            n = len(xi)
            eps = torch.randn(n, k, mi.shape[1], generator=generator).to(device, dtype)
            z = mi[:, None] + (0.5 * lv).exp()[:, None] * eps
            lab = None if labels is None else labels[i : i + b, None].expand(n, k).reshape(-1)
            logits = self.decode_logits(z.reshape(n * k, -1), lab).view(n, k, 784)
            log_px = -F.binary_cross_entropy_with_logits(logits, xi[:, None].expand(n, k, 784), reduction="none").sum(2)
            log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(2)
            log_qz = -0.5 * (eps.pow(2) + math.log(2 * math.pi) + lv[:, None]).sum(2)
            out.append(torch.logsumexp(log_px + log_pz - log_qz, 1) - math.log(k))
        return torch.cat(out)
