"""The public model API every generative model implements (docs/design.md, "Public API")."""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from ..latent import LatentSpec


def check_images(x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images have shape {tuple(x.shape)}; expected (n, 1, 28, 28) floats in [0, 1]")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    return x.clamp(0, 1)


class GenerativeModel(nn.Module, ABC):
    """Base class: subclasses set `name`, `Config`, build their layers, and implement
    `generate` (differentiable, raw output) and `encode`."""

    name: str = ""
    Config: type = None
    output: str = "tanh"  # what `generate` returns: "tanh" in [-1,1] or "logits" (Bernoulli)

    # Capabilities: what the trainers, metrics and pages may ask of this model. Declared, not probed with
    # hasattr, so a new model says in one place which panels and measurements apply to it.
    trainer: str = "likelihood"  # the key of genlib.training.TRAINER_KINDS that fits it
    has_likelihood: bool = False  # log_likelihood(x): importance-sampled log P(x) in nats
    has_posterior: bool = False  # posterior(x) -> (mu, logvar) and kl_per_dim(x)
    has_discriminator: bool = False  # discriminate(x) and features(x): D's verdict and its last hidden layer
    infers_codes: bool = False  # infer_codes(x): Q's reading of the codes a generated image was made from
    # encode(x) inverts G (no posterior): its encodings are checked against the prior's shell
    inverts_generator: bool = False

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else self.Config()

    # -- what the model is
    @property
    @abstractmethod
    def latent(self) -> LatentSpec:
        """The latent space this model decodes from (the app builds its controls from it)."""

    # -- the generator, differentiable; subclasses implement
    @abstractmethod
    def generate(self, z: torch.Tensor, labels=None, codes=None) -> torch.Tensor:
        """Raw generator output for checked inputs (see `output`)."""

    def to_unit(self, out: torch.Tensor) -> torch.Tensor:
        """Raw generator output -> images in [0, 1]."""
        if self.output == "logits":
            return torch.sigmoid(out).view(-1, 1, 28, 28)
        return ((out + 1) / 2).clamp(0, 1).view(-1, 1, 28, 28)

    # -- public API
    def check_codes(self, codes, n: int):
        return None

    @torch.no_grad()
    def decode(self, z, labels=None, codes=None) -> torch.Tensor:
        z = self.latent.check_z(z)
        labels = self.latent.check_labels(labels, len(z))
        codes = self.check_codes(codes, len(z))
        return self.to_unit(self.generate(z, labels, codes))

    @torch.no_grad()
    def sample(self, n: int, labels=None, codes=None, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images from the prior; labels/codes default to draws from their priors."""
        spec = self.latent
        z = spec.sample_z(n, generator)
        if spec.n_classes is not None and labels is None:
            labels = torch.randint(0, spec.n_classes, (n,), generator=generator)
        if spec.has_codes and codes is None:
            codes = spec.sample_codes(n, generator)
        return self.decode(z, labels, codes)

    @abstractmethod
    def encode(self, x, labels=None) -> torch.Tensor:
        """Images (n,1,28,28) in [0,1] -> latents (n, z_dim)."""

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
