"""Shared machinery of the four GANs: a generator G, a discriminator D returning logits, and an
inversion encoder E (GANs have no encoder of their own; E gives `encode` for the latent map)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..latent import LatentSpec, to_shell
from .base import GenerativeModel, check_images


class GANBase(GenerativeModel):
    """The adversarial protocol, all that genlib.training's AdversarialTrainer asks of a model: `generator` and
    `inverter` (modules), `discriminate`, who owns which parameters, the two players' losses on D's raw outputs
    and any extra term (InfoGAN's information loss). A subclass changes the game by overriding the hooks."""

    output = "tanh"
    trainer = "adversarial"
    has_discriminator = True
    inverts_generator = True
    # subclasses build: self.generator, self.body + self.head (the discriminator), self.inverter
    # the generator's loss in words (the Models page), and what D's mean output on real / fake images is
    g_loss_text = "non-saturating −log D(G(z))"
    d_output_text = "probability D(x) = σ(logit)"

    # -- the game
    def generator_parameters(self) -> list:
        return list(self.generator.parameters())

    def discriminator_parameters(self) -> list:
        """Everything but G and the inversion encoder (fitted after training): D and heads trained with it."""
        skip = {id(p) for module in (self.generator, self.inverter) for p in module.parameters()}
        return [p for p in self.parameters() if id(p) not in skip]

    def d_loss(self, real_out: dict, fake_out: dict) -> torch.Tensor:
        """D's loss on its raw outputs for real and generated images: −log D(x) − log(1 − D(G(z)))."""
        real, fake = real_out["logits"], fake_out["logits"]
        return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
            fake, torch.zeros_like(fake)
        )

    def g_loss(self, fake_out: dict, saturating: bool = False) -> torch.Tensor:
        """G's loss: −log D(G(z)) (non-saturating), or the minimax game's log(1 − D(G(z))) when `saturating`."""
        logits = fake_out["logits"]
        if saturating:
            return -F.softplus(logits).mean()  # = E log(1 − D(G(z))), minimised
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    def extra_loss(self, fake_out: dict, codes) -> torch.Tensor:
        """A term both players add to their loss (InfoGAN: −λ·L_I); none here."""
        return fake_out["logits"].new_zeros(())

    def d_output(self, out: dict) -> torch.Tensor:
        """D's verdict per image on the scale d_output_text names: ½ at equilibrium, 1 = sure it is real."""
        return torch.sigmoid(out["logits"])

    @property
    def latent(self) -> LatentSpec:
        return LatentSpec(z_dim=self.config.z_dim)

    def gen_input(self, z, labels=None, codes=None) -> torch.Tensor:
        return z

    def generate(self, z, labels=None, codes=None) -> torch.Tensor:
        return self.generator(self.gen_input(z, labels, codes))

    def discriminate(self, x: torch.Tensor, labels=None) -> dict[str, torch.Tensor]:
        """x in [-1, 1] -> {"logits": (n,)} (InfoGAN adds its Q head's outputs)."""
        return {"logits": self.head(self.body(x)).squeeze(1)}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator body features of images in [0, 1] (used for the linear-probe metric)."""
        return self.body(x * 2 - 1)

    def codes_for(self, x: torch.Tensor):
        """Codes to decode an encoded image with (InfoGAN: its Q head's estimate)."""
        return None

    # Adam steps on the pixel error after the inversion encoder's guess (see `encode`)
    refine_steps: int = 5

    def encode(self, x, labels=None, refine_steps: int | None = None, lr: float = 0.05) -> torch.Tensor:
        """z on the prior's shell ‖z‖ = √d with G(z) ≈ x: the inversion encoder's guess, then `refine_steps`
        (default: the class's) Adam steps on the pixel error, each followed by a projection back onto the
        shell, so encodings stay where G was trained (conditional models refine only when labels are given)."""
        device, dtype = self.placement()
        x = check_images(x, dtype, device)
        with torch.no_grad():
            z0 = self.inverter(x * 2 - 1)
        labels = None if labels is None else self.latent.check_labels(labels, len(x)).to(device)
        steps = self.refine_steps if refine_steps is None else refine_steps
        if steps <= 0 or (self.latent.n_classes is not None and labels is None):
            return z0
        codes = self.codes_for(x)
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        with torch.enable_grad():
            for _ in range(steps):
                err = F.mse_loss(self.to_unit(self.generate(z, labels, codes)), x, reduction="sum")
                # the gradient for z only: G's weights need none (backward() would also fill theirs)
                (z.grad,) = torch.autograd.grad(err, [z])
                opt.step()
                with torch.no_grad():
                    z.copy_(to_shell(z))
        return z.detach()
