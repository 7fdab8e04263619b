"""CVAE: the VAE with the digit label given to both q(z|x,y) and p(x|z,y); sampling fixes y."""

from __future__ import annotations

from dataclasses import dataclass

from .vae import VAE


@dataclass
class CVAEConfig:
    # the label carries the class, so z only needs the style; a small z leaves fewer regions of N(0, I)
    # that no digit's posterior covers, where samples come out as the wrong digit (docs/results.md)
    z_dim: int = 8
    hidden: tuple[int, ...] = (1024, 512)


class CVAE(VAE):
    name = "cvae"
    recipes = {"full": ({}, dict(epochs=50, batch_size=128, lr=1e-3, lr_decay=True)), "quick": ({}, dict(epochs=2))}
    tiny = dict(z_dim=3, hidden=(32, 16))
    Config = CVAEConfig
    n_classes = 10
