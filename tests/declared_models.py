"""Two models the tests define and register for the whole session, so that every test parametrised over
genlib.MODELS covers them with no entry of their own: a β-VAE with a 2-D latent (Higgins et al. 2017: trained
on recon + β·KL while the pages still report −ELBO) and a least-squares GAN (Mao et al. 2017: its own D and G
losses on D's raw outputs). Neither is shipped, so the tests of shipped checkpoints leave them out."""

from dataclasses import dataclass

from genlib.models import register
from genlib.models.vae import VAE, VAEConfig


@dataclass
class BetaVAEConfig(VAEConfig):
    z_dim: int = 2
    hidden: tuple[int, ...] = (32,)
    beta: float = 4.0


class BetaVAE(VAE):
    """A β-VAE with a 2-D latent: the KL weighted by β in training."""

    name = "betavae"
    Config = BetaVAEConfig
    tiny = dict(hidden=(16,))
    objective_text = "recon + β·KL"

    def objective(self, terms):
        return terms["recon"] + self.config.beta * terms["kl"]


# the LSGAN's source, so that the plugin test can install the very same class as another package
LSGAN_SOURCE = '''
from dataclasses import dataclass

from genlib.models.gan import GAN, GANConfig


@dataclass
class LSGANConfig(GANConfig):
    z_dim: int = 8
    g_hidden: tuple = (32, 64)
    d_hidden: tuple = (64, 32)


class LSGAN(GAN):
    """A least-squares GAN: D regresses real images to 1 and generated ones to 0."""

    name = "lsgan"
    Config = LSGANConfig
    tiny = dict(g_hidden=(16, 32), d_hidden=(32, 16))
    g_loss_text = "least squares ½(D(G(z)) − 1)²"
    d_output_text = "a raw score (1 = real, 0 = generated)"

    def d_loss(self, real_out, fake_out):
        return 0.5 * (real_out["logits"] - 1).pow(2).mean() + 0.5 * fake_out["logits"].pow(2).mean()

    def g_loss(self, fake_out, saturating=False):
        return 0.5 * (fake_out["logits"] - 1).pow(2).mean()

    def d_output(self, out):
        return out["logits"]
'''
namespace: dict = {}
exec(compile(LSGAN_SOURCE, "lsgan_source", "exec"), namespace)  # our own source, above
LSGAN = namespace["LSGAN"]

DECLARED = (BetaVAE, LSGAN)
for cls in DECLARED:
    register(cls)
