"""CVAE: the VAE with the digit label given to both q(z|x,y) and p(x|z,y); sampling fixes y."""
from __future__ import annotations

from dataclasses import dataclass

from .vae import VAE


@dataclass
class CVAEConfig:
    # the label carries the class, so z only needs the style; a small z leaves fewer regions of N(0, I)
    # that no digit's posterior covers (samples from there were the misclassified ones). 20 epochs:
    # z 16, (512, 256): 86% conditional accuracy; z 8: 90%; z 8, (1024, 512): 94% (README, "Shipped models")
    z_dim: int = 8
    hidden: tuple[int, ...] = (1024, 512)


class CVAE(VAE):
    name = "cvae"
    Config = CVAEConfig
    n_classes = 10
