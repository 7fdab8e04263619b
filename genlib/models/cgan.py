"""CGAN (Mirza & Osindero): generator and discriminator both see the digit label y.
G gets [z, onehot(y)]; D gets y as label maps beside its first conv features and as a projection
term ⟨embed(y), h⟩ on its output (Miyato & Koyama), which makes it check the label strictly."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..latent import LatentSpec
from .adversarial import GANBase
from .card import CGAN_LOOP, Card
from .layers import DCBody, DCGenerator, Inverter, one_hot


@dataclass
class CGANConfig:
    z_dim: int = 64
    width: int = 64
    n_classes: int = 10


class CGAN(GANBase):
    name = "cgan"
    recipes = {
        "full": (dict(width=32), dict(epochs=12, batch_size=128, lr=2e-4, lr_d=2e-4, inverter_steps=800)),
        "quick": (dict(width=32), dict(epochs=1, batch_size=64, lr=2e-4, lr_d=2e-4, inverter_steps=40)),
    }
    tiny = dict(z_dim=8, width=4)
    card = Card(
        title="Conditional GAN (CGAN)",
        paper="Mirza & Osindero, Conditional Generative Adversarial Nets (arXiv 2014)",
        what=(
            "The GAN with an extra variable y — here the digit label — given to both players: G(z|y) must "
            "draw the asked digit, and D(x|y) judges whether x is a real image of digit y. Each row of a "
            "CGAN sample grid is one label; the noise z then holds the style."
        ),
        objective=(
            (
                "The conditional minimax game",
                (
                    r"\min_G\max_D\; \mathbb{E}_{x\sim p_{\mathrm{data}}(x)}\left[\log D(x\mid y)\right] + "
                    r"\mathbb{E}_{z\sim p_z(z)}\left[\log\left(1 - D(G(z\mid y)\mid y)\right)\right]"
                ),
            ),
            *CGAN_LOOP,
        ),
        notes=(
            (
                "G gets [z, onehot(y)]; D gets y as label maps beside its first convolution's features and as a "
                "projection term ⟨embed(y), h⟩ on its logit (Miyato & Koyama), which makes it check the label strictly."
            ),
            (
                "The lecture (Mirza & Osindero) gives y to each player by concatenation only. The projection term is "
                "this project's addition to D; no concatenation-only D was trained here to compare against, so its "
                "benefit is not measured."
            ),
        ),
    )
    Config = CGANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = DCGenerator(c.z_dim + c.n_classes, c.width)
        self.body = DCBody(c.width, extra=c.n_classes)
        self.head = nn.Linear(self.body.out_dim, 1)
        self.embed = nn.Embedding(c.n_classes, self.body.out_dim)
        nn.init.normal_(self.embed.weight, std=0.01)
        self.inverter = Inverter(c.z_dim)

    @property
    def latent(self) -> LatentSpec:
        return LatentSpec(z_dim=self.config.z_dim, n_classes=self.config.n_classes)

    def gen_input(self, z, labels=None, codes=None):
        return torch.cat([z, one_hot(labels, self.config.n_classes, z.dtype)], 1)

    def discriminate(self, x, labels=None):
        h = self.body(x, one_hot(labels, self.config.n_classes, x.dtype))
        return {"logits": self.head(h).squeeze(1) + (self.embed(labels) * h).sum(1)}

    def features(self, x):
        # label-free features: the label maps are zero (no label given)
        return self.body(x * 2 - 1, x.new_zeros(len(x), self.config.n_classes))
