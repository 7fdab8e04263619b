"""A model's card on the Models page: what it is, in the lecture's words and notation. Each model class declares
its own (`card`); the LaTeX the cards of several models share is defined here once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    title: str
    paper: str
    what: str  # a paragraph of markdown
    objective: tuple[tuple[str, str], ...]  # (caption, LaTeX) pairs, in the lecture's notation
    notes: tuple[str, ...] = ()


V = r"V(D,G) = \mathbb{E}_{x\sim p_{\mathrm{data}}(x)}\left[\log D(x)\right] + \mathbb{E}_{z\sim p_z(z)}\left[\log\left(1 - D(G(z))\right)\right]"
GAN_LOOP = (
    (
        "The k-step loop (k: discriminator steps per generator step): k times, update D by ascending",
        r"\nabla_{\theta_d}\,\frac{1}{m}\sum_{i=1}^{m}\left[\log D\left(x^{(i)}\right) + \log\left(1 - D\left(G\left(z^{(i)}\right)\right)\right)\right]",
    ),
    (
        "then update G by descending (the lecture's minimax step; its gradient vanishes while D rejects the fakes)",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m}\log\left(1 - D\left(G\left(z^{(i)}\right)\right)\right)",
    ),
    (
        "Generator step as trained here: descend the non-saturating loss (G maximises log D(G(z)) rather than "
        "minimising the lecture's log(1 − D(G(z))); same fixed point, strong gradients while D still wins)",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m} -\log D\left(G\left(z^{(i)}\right)\right)",
    ),
    (
        "For a fixed G the optimal discriminator is",
        r"D^*_G(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}",
    ),
)
CGAN_LOOP = (
    (
        "Discriminator step: ascend, with each real digit's own label y and the label the fake was drawn for",
        r"\nabla_{\theta_d}\,\frac{1}{m}\sum_{i=1}^{m}\left[\log D\left(x^{(i)}\mid y^{(i)}\right) + "
        r"\log\left(1 - D\left(G\left(z^{(i)}\mid y'^{(i)}\right)\mid y'^{(i)}\right)\right)\right]",
    ),
    (
        "Generator step as trained here (non-saturating): descend",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m} -\log D\left(G\left(z^{(i)}\mid y'^{(i)}\right)\mid y'^{(i)}\right)",
    ),
)
ELBO = (
    r"\log P(X) - \mathcal{D}\left[Q(z\mid X)\,\|\,P(z\mid X)\right] = "
    r"\mathbb{E}_{z\sim Q}\left[\log P(X\mid z)\right] - \mathcal{D}\left[Q(z\mid X)\,\|\,P(z)\right]"
)
KL = (
    r"\mathcal{D}\left[\mathcal{N}(\mu(X),\Sigma(X))\,\|\,\mathcal{N}(0,I)\right] = "
    r"\tfrac{1}{2}\left(\operatorname{tr}\Sigma(X) + \mu(X)^{\top}\mu(X) - k - \log\det\Sigma(X)\right)"
)
REPARAM = r"z = \mu(X) + \Sigma^{1/2}(X)\,\epsilon,\qquad \epsilon\sim\mathcal{N}(0, I)"
# the index is i: k is the dimension of z in KL, and K counts the importance samples
IWAE = r"\log P(X) \approx \log \frac{1}{K}\sum_{i=1}^{K} \frac{P(X\mid z_i)\,P(z_i)}{Q(z_i\mid X)},\qquad z_i\sim Q(z\mid X)"
# how every shipped GAN gets an encoder for the latent map and the Draw page (training.fit_inverter, encode)
INVERTER = (
    "GANs have no encoder. For the latent map and the Draw page an inversion encoder E is fitted after training, "
    "with G frozen, on three squared errors: ‖E(G(z)) − z‖² and ‖G(E(G(z))) − G(z)‖² on generated digits, and "
    "4·‖G(E(x)) − x‖² on real digits x, the term real encodings depend on. E's output is projected onto the "
    "prior's shell ‖z‖ = √d, where nearly all prior draws (and so G's training inputs) lie; encoding a digit then "
    "refines z by a few gradient steps on the pixel error, each projected back onto that shell."
)
