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
    recipes = {
        # a discriminator slower than G and a weight average of G keep every digit class in the samples
        "full": (dict(width=32), dict(epochs=26, batch_size=128, lr=1e-3, lr_d=1e-4, ema=0.999, inverter_steps=800)),
        "quick": (dict(width=32), dict(epochs=1, batch_size=64, lr=1e-3, lr_d=2e-4, inverter_steps=40)),
    }
    variants = {
        # deliberately bad, the Mode collapse page's counter-example: the generator's learning rate is 200x the
        # discriminator's, so G outruns D and maps every z to the one image D currently likes best
        "dcgan-collapsed": {
            "full": (dict(width=32), dict(epochs=1, batch_size=128, lr=1e-2, lr_d=5e-5, inverter_steps=200)),
            "quick": (dict(width=32), dict(epochs=1, lr=1e-2, lr_d=5e-5, inverter_steps=40)),
        }
    }
    tiny = dict(z_dim=8, width=4)
    Config = DCGANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = DCGenerator(c.z_dim, c.width)
        self.body = DCBody(c.d_width or c.width, deep=c.d_deep)
        self.head = nn.Linear(self.body.out_dim, 1)
        self.inverter = Inverter(c.z_dim)
