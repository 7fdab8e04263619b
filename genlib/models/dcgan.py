"""DCGAN (Radford et al.) at 28×28, following the lecture's rules: strided (transposed)
convolutions instead of pooling, batch norm, ReLU in G and LeakyReLU in D, tanh output."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .adversarial import GANBase
from .layers import DCBody, DCGenerator, Inverter


@dataclass
class DCGANConfig:
    z_dim: int = 64
    width: int = 64
    d_width: int = 0  # the discriminator's width (0: the generator's)
    d_deep: bool = False  # a third strided convolution in D (7×7 -> 4×4)


class DCGAN(GANBase):
    name = "dcgan"
    variants = ("dcgan-collapsed",)  # trained badly on purpose: the Mode collapse page's counter-example
    Config = DCGANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = DCGenerator(c.z_dim, c.width)
        self.body = DCBody(c.d_width or c.width, deep=c.d_deep)
        self.head = nn.Linear(self.body.out_dim, 1)
        self.inverter = Inverter(c.z_dim)
