"""InfoGAN (Chen et al.): G(z, c) with c = one 10-way categorical + two Uniform(−1, 1) codes; a Q
head on the discriminator body estimates c from G's output, and training maximises the variational
lower bound L_I = E[log Q(c | G(z, c))] + H(c) on I(c; G(z, c)): min_G,Q max_D V(D, G) − λ L_I."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..latent import ContinuousCode, LatentSpec
from .adversarial import GANBase
from .card import Card
from .layers import DCBody, DCGenerator, Inverter, one_hot


@dataclass
class InfoGANConfig:
    z_dim: int = 62
    n_cat: int = 10
    n_cont: int = 2
    width: int = 64
    q_hidden: int = 128
    fc: int = 0  # hidden fully connected layer in G and D (the paper's 1024; 0 = none)
    lambda_cat: float = 1.0  # weights of the categorical and continuous information terms in both losses
    lambda_cont: float = 0.1


class InfoGAN(GANBase):
    name = "infogan"
    recipes = {
        # the code-accuracy bar depends on the seed with this recipe: a run whose Q reads real digits unevenly
        # after epoch 5 starts again from the next seed (`stalled`)
        "full": (
            dict(width=32, z_dim=32, fc=256),
            dict(epochs=20, batch_size=128, lr=1e-3, lr_d=2e-4, inverter_steps=800, restart_check=5),
        ),
        "quick": (
            dict(width=32, z_dim=32, fc=256),
            dict(epochs=1, batch_size=64, lr=1e-3, lr_d=2e-4, inverter_steps=40),
        ),
    }
    tiny = dict(z_dim=8, width=4, q_hidden=8, fc=8)
    card = Card(
        title="InfoGAN",
        paper="Chen et al., InfoGAN: Interpretable Representation Learning by Information Maximizing GANs (NeurIPS 2016)",
        what=(
            "A GAN whose input is split into noise z and a code c (here one 10-way categorical and two "
            "continuous codes in [−1, 1]). Without labels, InfoGAN asks that c stay readable from the image: it "
            "maximises the mutual information I(c; G(z, c)). That is intractable, so an auxiliary network Q(c|x), "
            "a head sharing D's body, gives a variational lower bound L_I. Trained this way the categorical "
            "code tends to pick the digit and the continuous codes style such as slant and width."
        ),
        objective=(
            (
                "The InfoGAN game: the GAN value minus λ times the mutual information",
                r"\min_G\max_D\; V_I(D,G) = V(D,G) - \lambda\, I\left(c;\, G(z,c)\right)",
            ),
            ("Mutual information", r"I\left(c;\, G(z,c)\right) = H(c) - H\left(c \mid G(z,c)\right)"),
            (
                "Variational lower bound with Q(c|x)",
                r"I\left(c;\, G(z,c)\right) \geq L_I(G,Q) = \mathbb{E}_{c\sim P(c),\, x\sim G(z,c)}\left[\log Q(c\mid x)\right] + H(c)",
            ),
            ("Overall", r"\min_{G,Q}\max_D\; V_{\mathrm{InfoGAN}}(D,G,Q) = V(D,G) - \lambda\, L_I(G,Q)"),
        ),
        notes=(
            (
                "With Q a softmax over the categorical code and a Gaussian per continuous code, −L_I = "
                "cross-entropy + Gaussian negative log-likelihood − H(c). The 'information loss' curve below is what "
                "training minimises: λ_cat · cross-entropy + λ_cont · Gaussian NLL without its constant ½ log 2π, "
                "that is −L_I + H(c) + a constant, with the two terms weighted differently (λ_cat, λ_cont under "
                "Training). It can go below zero: the continuous codes' NLL is a density, negative once Q's σ is small."
            ),
            (
                "Code accuracy: each categorical value is matched to a different digit, one-to-one, by the "
                "Hungarian algorithm on the code-versus-classifier confusion matrix (so two codes can never claim "
                "the same digit); the paper reports 5 % error."
            ),
            (
                "Code accuracy depends on the seed with this recipe. The full recipe checks after epoch 5, without "
                "labels, that Q uses every categorical value on real digits and reads it surely, and starts again "
                "from the next seed if not. That catches a value left unused; it cannot catch values that are used "
                "evenly but split the digits another way, which is how seed 1 stalls (docs/results.md)."
            ),
        ),
    )
    infers_codes = True
    Config = InfoGANConfig

    def __init__(self, config=None):
        super().__init__(config)
        c = self.config
        self.generator = DCGenerator(c.z_dim + c.n_cat + c.n_cont, c.width, c.fc)
        self.body = DCBody(c.width, fc=c.fc)
        self.head = nn.Linear(self.body.out_dim, 1)
        # Q outputs raw logits for the categorical code (cross-entropy applies log-softmax itself)
        # and a mean and log-variance per continuous code (a factored Gaussian).
        self.q = nn.Sequential(
            nn.Linear(self.body.out_dim, c.q_hidden),
            nn.BatchNorm1d(c.q_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(c.q_hidden, c.n_cat + 2 * c.n_cont),
        )
        self.inverter = Inverter(c.z_dim)

    @property
    def latent(self) -> LatentSpec:
        c = self.config
        return LatentSpec(
            z_dim=c.z_dim,
            categorical=(c.n_cat,),
            continuous=tuple(ContinuousCode(f"c{i + 1}", -1.0, 1.0) for i in range(c.n_cont)),
        )

    def check_codes(self, codes, n):
        """codes = {"categorical": integers (n,) in 0..n_cat-1, "continuous": floats (n, n_cont)}; one value
        (a scalar / a (n_cont,) row) is repeated for all n. Anything else: a ValueError naming this form."""
        c = self.config
        form = (
            f'codes = {{"categorical": LongTensor ({n},) of 0..{c.n_cat - 1}, '
            f'"continuous": FloatTensor ({n}, {c.n_cont})}}'
        )
        if codes is None:
            raise ValueError(f"InfoGAN needs codes: {form}")
        if not isinstance(codes, Mapping):
            raise ValueError(f"codes is a {type(codes).__name__}; expected a dict: {form}")
        if set(codes) != {"categorical", "continuous"}:
            raise ValueError(f"codes has keys {sorted(map(str, codes))}; expected exactly {form}")
        try:
            cat, cont = torch.as_tensor(codes["categorical"]), torch.as_tensor(codes["continuous"])
            given = (tuple(cat.shape), tuple(cont.shape))
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"codes are not tensors ({e}); expected {form}") from None
        if cat.is_floating_point() or cat.is_complex() or cat.dtype == torch.bool:
            raise ValueError(f"codes['categorical'] is {cat.dtype}; expected integers: {form}")
        if not cont.is_floating_point():
            cont = cont.float()
        cat = cat.to(torch.long)
        if cat.numel() == 1 and cat.ndim <= 1:
            cat = cat.reshape(1).expand(n)
        if cont.shape in ((c.n_cont,), (1, c.n_cont)):
            cont = cont.reshape(1, c.n_cont).expand(n, -1)
        if cat.shape != (n,) or cont.shape != (n, c.n_cont):
            raise ValueError(f"codes have shapes {given[0]} and {given[1]}; expected {form}")
        if n and (cat.min() < 0 or cat.max() >= c.n_cat):
            raise ValueError(f"categorical code must be in 0..{c.n_cat - 1}")
        if not torch.isfinite(cont).all():
            raise ValueError("continuous codes contain NaN or infinite values")
        return {"categorical": cat, "continuous": cont}

    def gen_input(self, z, labels=None, codes=None):
        return torch.cat([z, one_hot(codes["categorical"], self.config.n_cat, z.dtype), codes["continuous"]], 1)

    def discriminate(self, x, labels=None):
        h = self.body(x)
        q = self.q(h)
        k, m = self.config.n_cat, self.config.n_cont
        return {
            "logits": self.head(h).squeeze(1),
            "cat_logits": q[:, :k],
            "cont_mu": q[:, k : k + m],
            "cont_logvar": q[:, k + m :].clamp(-6, 4),
        }

    def extra_loss(self, fake_out: dict, codes) -> torch.Tensor:
        """−L_I up to the constant H(c), weighted: cross-entropy of the categorical code (on Q's raw logits) plus
        the Gaussian negative log-likelihood of the continuous codes. Q trains with D (discriminator_parameters)."""
        c = self.config
        cat = F.cross_entropy(fake_out["cat_logits"], codes["categorical"])
        mu, logvar = fake_out["cont_mu"], fake_out["cont_logvar"]
        cont = (0.5 * (logvar + (codes["continuous"] - mu).pow(2) / logvar.exp())).sum(1).mean()
        return c.lambda_cat * cat + c.lambda_cont * cont

    # the restart rule (TrainConfig.restart_check): a run whose Q leaves a value almost unused on real digits (two
    # digits share another) or reads values unsurely starts again. Set under seeds 0-2's logged epoch-5 values
    # (rarest 8.0-8.5%, 1.99-2.09 nats); it cannot see values that split the digits some other way
    # (docs/results.md, "InfoGAN on any seed")
    restart_below = {"code_usage_min": 0.04, "code_info": 1.8}

    def stalled(self, real):
        usage = self.code_usage(real)
        low = [f"{k} = {usage[k]:.3f} < {v}" for k, v in self.restart_below.items() if usage[k] < v]
        return f"Q reads real digits unevenly ({', '.join(low)})" if low else None

    @torch.no_grad()
    def infer_codes(self, x) -> dict[str, torch.Tensor]:
        """Q's estimate of the codes behind images x in [0, 1]."""
        out = self.discriminate(x * 2 - 1)
        return {"categorical": out["cat_logits"].softmax(1), "continuous": out["cont_mu"]}

    # Q's likeliest categories that codes_for tries: Q learnt on G's samples only, and on the first 2,000 test
    # digits its first choice is another digit's code for 7% of them; two candidates and 8 refinement steps
    # keep 96% of the digits where one and 5 kept 95.96% (docs/results.md, "Training runs")
    code_candidates: int = 2
    refine_steps: int = 8

    @torch.no_grad()
    def codes_for(self, x, candidates: int | None = None):
        """Codes to decode the encoding of x (in [0, 1]) with: Q's continuous estimate, and of Q's likeliest
        `candidates` categories the one whose decoding of the inversion encoder's z is closest to x."""
        q = self.infer_codes(x)
        k = min(candidates or self.code_candidates, self.config.n_cat)
        top = q["categorical"].topk(k, dim=1).indices
        if k == 1:
            return {"categorical": top[:, 0], "continuous": q["continuous"]}
        z, cont = self.inverter(x * 2 - 1), q["continuous"]
        errs = torch.stack(
            [
                (self.to_unit(self.generate(z, None, {"categorical": top[:, j], "continuous": cont})) - x)
                .pow(2)
                .flatten(1)
                .sum(1)
                for j in range(k)
            ],
            1,
        )
        return {"categorical": top.gather(1, errs.argmin(1, keepdim=True)).squeeze(1), "continuous": cont}
