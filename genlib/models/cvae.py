"""CVAE: the VAE with the digit label given to both q(z|x,y) and p(x|z,y); sampling fixes y."""
from __future__ import annotations

from dataclasses import dataclass

from .vae import VAE


@dataclass
class CVAEConfig:
    z_dim: int = 16
    hidden: tuple[int, ...] = (512, 256)


class CVAE(VAE):
    name = "cvae"
    Config = CVAEConfig
    n_classes = 10
