"""GAN (Goodfellow et al.): multilayer-perceptron generator and discriminator, trained on the
minimax game min_G max_D E[log D(x)] + E[log(1 − D(G(z)))] (see training.AdversarialTrainer)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .adversarial import GANBase
from .card import GAN_LOOP, INVERTER, Card, V
from .layers import Inverter, mlp


@dataclass
class GANConfig:
    z_dim: int = 64
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    dropout: float = 0.3


class GAN(GANBase):
    name = "gan"
    recipes = {
        "full": ({}, dict(epochs=25, batch_size=128, lr=2e-4, lr_d=2e-4)),
        "quick": ({}, dict(epochs=2, batch_size=64, lr=5e-4, lr_d=5e-4, inverter_steps=40)),
    }
    tiny = dict(z_dim=8, g_hidden=(16, 32), d_hidden=(32, 16))
    card = Card(
        title="Generative adversarial network (GAN)",
        paper="Goodfellow et al., Generative Adversarial Nets (NeurIPS 2014)",
        what=(
            "Two networks play a game. The generator G turns noise z into an image; the discriminator D "
            "outputs the probability that an image is real. D is trained to tell real digits from G's, G to "
            "fool D. No likelihood and no encoder are needed: at the game's optimum the distribution of G(z) "
            "equals the data's and D(x) = ½ everywhere. The lecture's loop lets D catch up with k steps before "
            "each generator step, so that D stays near its optimum for the current G. Both networks here are "
            "multilayer perceptrons, as in the original paper."
        ),
        objective=(("The minimax game", r"\min_G\max_D\; " + V), *GAN_LOOP),
        notes=(
            (
                "Every GAN shipped here trains with k = 1, one D step per G step (Goodfellow et al. also used "
                "k = 1 in their experiments); D and G are kept in step by their learning rates instead, the "
                "values used are under Training below."
            ),
            (
                "D's real/fake probabilities D(x) and D(G(z)) are plotted per epoch below: a healthy game keeps "
                "both away from 1 and 0."
            ),
            INVERTER,
        ),
    )
    Config = GANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = nn.Sequential(
            mlp([c.z_dim, *c.g_hidden, 784], act=lambda: nn.LeakyReLU(0.2), bn=True),
            nn.Tanh(),
            nn.Unflatten(1, (1, 28, 28)),
        )
        layers: list[nn.Module] = [nn.Flatten()]
        for a, b in zip([784, *c.d_hidden[:-1]], c.d_hidden, strict=True):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(c.dropout)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c.d_hidden[-1], 1)
        self.inverter = Inverter(c.z_dim)
