"""DCGAN (Radford et al.) at 28×28, following the lecture's rules: strided (transposed)
convolutions instead of pooling, batch norm, ReLU in G and LeakyReLU in D, tanh output."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .adversarial import GANBase
from .card import GAN_LOOP, Card, V
from .layers import DCBody, DCGenerator, Inverter


@dataclass
class DCGANConfig:
    z_dim: int = 64
    width: int = 64
    d_width: int = 0  # the discriminator's width (0: the generator's)
    d_deep: bool = False  # a third strided convolution in D (7×7 -> 4×4)
    d_fc: int = 0  # a hidden fully connected layer of this width on top of D's convolutions (InfoGAN's D has 256)
    d_spectral: bool = False  # spectral normalisation of D's layers in place of its batch norm (Miyato et al. 2018)


class DCGAN(GANBase):
    name = "dcgan"
    recipes = {
        # a discriminator slower than G and a weight average of G keep every digit class in the samples
        "full": (dict(width=32), dict(epochs=26, batch_size=128, lr=1e-3, lr_d=1e-4, ema=0.999, inverter_steps=800)),
        "quick": (dict(width=32), dict(epochs=1, batch_size=64, lr=1e-3, lr_d=2e-4, inverter_steps=40)),
    }
    variants = {
        # deliberately bad, the Mode collapse page's counter-example. It differs from the full recipe in several
        # settings (explorer.collapse.recipe_differences lists them on the page), so no one of them is the cause
        "dcgan-collapsed": {
            "full": (dict(width=32), dict(epochs=1, batch_size=128, lr=1e-2, lr_d=5e-5, inverter_steps=200)),
            "quick": (dict(width=32), dict(epochs=1, lr=1e-2, lr_d=5e-5, inverter_steps=40)),
        }
    }
    tiny = dict(z_dim=8, width=4)
    card = Card(
        title="Deep convolutional GAN (DCGAN)",
        paper="Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional GANs (ICLR 2016)",
        what=(
            "The same game as the GAN, with convolutional networks built by the lecture's rules, which made "
            "GAN training stable enough to produce good images: no pooling — strided convolutions in D and "
            "fractionally strided (transposed) convolutions in G; no hidden fully connected layers; batch "
            "normalisation in every layer except D's input layer and G's output layer; ReLU in G and LeakyReLU in D, except the last layers; tanh on G's "
            "output. The discriminator's features turn out useful for classification (see the probe below)."
        ),
        objective=(
            ("The minimax game (unchanged from the GAN)", r"\min_G\max_D\; " + V),
            *GAN_LOOP[:1],
            GAN_LOOP[2],
        ),
        notes=(
            (
                "G: z → linear projection to 7×7 maps → transposed conv to 14×14 → transposed conv to 28×28, tanh. "
                "D: conv 28→14 (LeakyReLU) → conv 14→7 (batch norm, LeakyReLU) → linear logit. The projection "
                "and the logit are the only linear layers, as in the paper."
            ),
            (
                "The shipped G is the running average of its weights over the training steps (decay 0.999), "
                "with batch-norm statistics re-estimated for it. Rather than letting D catch up (k = 1 here), D learns "
                "at a tenth of G's rate (1e-4 vs 1e-3). "
                "Both even out the digit classes: with D at 2e-4 and no average, G drew 17% zeros and 4% fours."
            ),
        ),
    )
    Config = DCGANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = DCGenerator(c.z_dim, c.width)
        self.body = DCBody(c.d_width or c.width, deep=c.d_deep, fc=c.d_fc, spectral=c.d_spectral)
        self.head = nn.Linear(self.body.out_dim, 1)
        if c.d_spectral:
            self.head = nn.utils.parametrizations.spectral_norm(self.head)
        self.inverter = Inverter(c.z_dim)
