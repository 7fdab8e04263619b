"""CVAE: the VAE with the digit label given to both q(z|x,y) and p(x|z,y); sampling fixes y."""

from __future__ import annotations

from dataclasses import dataclass

from .card import REPARAM, Card
from .vae import VAE


@dataclass
class CVAEConfig:
    # the label carries the class, so z only needs the style; a small z leaves fewer regions of N(0, I)
    # that no digit's posterior covers, where samples come out as the wrong digit (docs/results.md)
    z_dim: int = 8
    hidden: tuple[int, ...] = (1024, 512)


class CVAE(VAE):
    name = "cvae"
    recipes = VAE.recipes  # the VAE's recipe suits it too (recipes are declared per class, not inherited)
    tiny = dict(z_dim=3, hidden=(32, 16))
    card = Card(
        title="Conditional VAE (CVAE)",
        paper="Sohn, Lee & Yan, Learning Structured Output Representation using Deep Conditional Generative Models (2015)",
        what=(
            "The VAE with the digit label y given to both the encoder Q(z|X, y) and the decoder P(X|z, y). The "
            "label carries the class, so z is free to hold only style: slant, thickness, width. To draw a "
            "chosen digit, fix y and sample z ~ N(0, I); the same z decoded under every y gives the same style "
            "across digits."
        ),
        objective=(
            (
                "The conditioned ELBO (maximised)",
                (
                    r"\log P(X\mid y) \geq \mathbb{E}_{z\sim Q(z\mid X,y)}\left[\log P(X\mid z,y)\right] - "
                    r"\mathcal{D}\left[Q(z\mid X,y)\,\|\,P(z)\right]"
                ),
            ),
            ("Same closed-form KL and reparameterisation as the VAE", REPARAM),
            ("Sampling a chosen digit y", r"z\sim\mathcal{N}(0,I),\qquad x\sim P(X\mid z, y)"),
        ),
        notes=(
            ("The one-hot label joins the encoder's input and every decoder layer, so the decoder cannot ignore it."),
            (
                "z has only 8 dimensions (the VAE's 32): with the class given, z holds style alone, and a small z "
                "leaves fewer regions of N(0, I) that no training digit's posterior covers — samples drawn from "
                "such regions were the ones the classifier got wrong."
            ),
        ),
    )
    Config = CVAEConfig
    n_classes = 10
