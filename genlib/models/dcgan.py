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
        # D with one hidden layer and the R1 penalty on real digits, and a weight average of G: every digit class
        # in the samples at seeds 0 and 1 (docs/results.md, "DCGAN: covering the digits")
        "full": (
            dict(width=32, d_fc=128),
            dict(epochs=12, batch_size=128, lr=1e-3, lr_d=2e-4, r1=1.0, ema=0.999, inverter_steps=800),
        ),
        "quick": (dict(width=32), dict(epochs=1, batch_size=64, lr=1e-3, lr_d=2e-4, inverter_steps=40)),
    }
    variants = {
        # deliberately bad, the Mode collapse page's counter-example: the full recipe with one setting changed, D's
        # learning rate a hundredth of the healthy one, so D cannot follow G (the other single changes measured did
        # not collapse it: docs/results.md, "dcgan-collapsed: one cause"); the inverter's steps are not G's training
        "dcgan-collapsed": {
            "full": (recipes["full"][0], {**recipes["full"][1], "lr_d": 2e-6, "inverter_steps": 200}),
            "quick": (recipes["quick"][0], {**recipes["quick"][1], "lr_d": 2e-6}),
        }
    }
    tiny = dict(z_dim=8, width=4)
    card = Card(
        title="Deep convolutional GAN (DCGAN)",
        paper="Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional GANs (ICLR 2016)",
        what=(
            "The same game as the GAN, with convolutional networks built by the lecture's rules, which made "
            "GAN training stable enough to produce good images: no pooling — strided convolutions in D and "
            "fractionally strided (transposed) convolutions in G; no hidden fully connected layers (G keeps this "
            "rule; D here breaks it with one layer, see below); batch normalisation in every layer except D's "
            "input layer and G's output layer; ReLU in G and LeakyReLU in D, except the last layers; tanh on G's "
            "output. The discriminator's features turn out useful for classification (see the probe below)."
        ),
        objective=(
            ("The minimax game (unchanged from the GAN)", r"\min_G\max_D\; " + V),
            *GAN_LOOP[:1],
            (
                "and D also descends the R1 penalty on its slope at real digits (γ = 1; ℓ is D's logit)",
                r"\frac{\gamma}{2}\,\frac{1}{m}\sum_{i=1}^{m}\left\|\nabla_x\, \ell\left(x^{(i)}\right)\right\|^2",
            ),
            GAN_LOOP[2],
        ),
        notes=(
            (
                "G: z → linear projection to 7×7 maps → transposed conv to 14×14 → transposed conv to 28×28, tanh. "
                "D: conv 28→14 (LeakyReLU) → conv 14→7 (batch norm, LeakyReLU) → a hidden layer of 128 (batch "
                "norm, LeakyReLU) → linear logit."
            ),
            (
                "Why D has a hidden layer, against the paper's rule: with convolutions alone (33,000 parameters to "
                "G's 247,000) G drew zeros and nines up to three times as often as fours, whatever the learning "
                "rates, widths, a third strided convolution, a minibatch-deviation feature, PacGAN's paired inputs "
                "or spectral normalisation (docs/results.md, section 10). One hidden layer on the same convolutions, "
                "the shape of InfoGAN's D, evens the digits out: it sees a whole digit at once. The paper drops such "
                "layers in deeper networks; this D has two convolutions."
            ),
            (
                "Why R1 (Mescheder et al. 2018): with a hidden layer of 256 and no penalty, D won the first epochs "
                "and G collapsed onto a few digits — for four epochs at seed 0, for good at seed 1. Penalising D's "
                "slope at the real digits keeps it from pushing G off the digits G already draws: with it both "
                "seeds left the first epoch's collapse within an epoch."
            ),
            (
                "The shipped G is the running average of its weights over the training steps (decay 0.999), with "
                "batch-norm statistics re-estimated for it; G learns at 1e-3, D at 2e-4, k = 1. Against the MLP "
                "GAN on the Models page: fewer parameters (1.3 M against 2.7 M, G 247,000 against about 1.5 M), and, "
                "measured at ship time, a lower Fréchet distance and a more even spread of digits (the table below)."
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
