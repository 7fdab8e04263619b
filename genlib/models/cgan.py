"""CGAN (Mirza & Osindero): generator and discriminator both see the digit label y.
G gets [z, onehot(y)]; D gets y as label maps beside its first conv features and as a projection
term ⟨embed(y), h⟩ on its output (Miyato & Koyama), which makes it check the label strictly."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..latent import LatentSpec
from .adversarial import GANBase
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
