"""InfoGAN's information term, measured on the trained model.

I(c; G(z, c)) = H(c) − H(c | G(z, c)) ≥ L_I = E_{c~P(c), x~G(z,c)}[log Q(c|x)] + H(c): any Q gives a lower
bound, the true posterior the exact value. For the 10-way categorical code H(c) = log 10 is the ceiling.
Controls that destroy the information (pair Q's reading with shuffled codes; bury G's image in pixel
noise) show the bound falling. A bound computed with the trained Q can fall below 0 (a confident Q that
is wrong pays heavily); the same Q with its confidence refitted — one temperature, the family includes
the uniform Q whose bound is exactly 0 — gives a tighter bound that stays near 0 once the information is gone."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar


def applies(model) -> bool:
    """An InfoGAN: a categorical code and a Q head that reads it back."""
    return bool(model.latent.categorical) and model.infers_codes


def _check(model):
    if not applies(model):
        raise ValueError(f"{model.name} has no code c and no Q(c|x); the information term is InfoGAN's")


@dataclass(frozen=True)
class ReadBack:
    image: torch.Tensor  # (1, 28, 28)
    category: torch.Tensor  # (n_cat,) Q's probabilities
    mu: torch.Tensor  # (n_cont,) Q's means for the continuous codes
    sigma: torch.Tensor  # (n_cont,) and standard deviations


@torch.no_grad()
def read_back(model, z: torch.Tensor, category: int, continuous) -> ReadBack:
    """G(z, c) for one z and code, and what Q reads back from the image."""
    _check(model)
    codes = {
        "categorical": torch.tensor([int(category)]),
        "continuous": torch.as_tensor(continuous, dtype=torch.float32).reshape(1, -1),
    }
    x = model.decode(torch.as_tensor(z, dtype=torch.float32).reshape(1, -1), codes=codes)
    out = model.discriminate(x * 2 - 1)
    return ReadBack(x[0], out["cat_logits"][0].softmax(0), out["cont_mu"][0], (0.5 * out["cont_logvar"][0]).exp())


@dataclass(frozen=True)
class Information:
    n: int
    ceiling: float  # H(c) = log n_cat
    bound: float  # L_I of the categorical code with the trained Q, nats
    calibrated: float  # the same with Q's logits divided by the best temperature (≥ bound, ≤ the information)
    temperature: float
    accuracy: float  # Q's most likely category is the code's
    continuous: tuple  # per continuous code: E[log Q(c_j|x)] + h(c_j), h = log(high − low) for a uniform code
    shuffled: bool
    noise: float


def _best_temperature(logits: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """(T, mean NLL of softmax(logits / T)) minimising the NLL over log T in [−4, 12] (T = e^12 is uniform)."""
    logits = logits.double()

    def nll(log_t: float) -> float:
        return float(F.cross_entropy(logits / math.exp(log_t), target))

    res = minimize_scalar(nll, bounds=(-4.0, 12.0), method="bounded", options={"xatol": 1e-3})
    return math.exp(res.x), float(res.fun)


@torch.no_grad()
def information(
    model, n: int = 2000, seed: int = 0, shuffle: bool = False, noise: float = 0.0, batch: int = 500
) -> Information:
    """L_I over n draws c ~ P(c), z ~ N(0, I), x = G(z, c) (plus Gaussian pixel noise of sd `noise`, clamped
    to [0, 1]); with shuffle, Q's reading of each image is scored against another draw's code."""
    _check(model)
    if n < 2:
        raise ValueError(f"need at least 2 draws; got {n}")
    if noise < 0:
        raise ValueError(f"pixel noise must be ≥ 0; got {noise}")
    spec = model.latent
    g = torch.Generator().manual_seed(seed)
    z, codes = spec.sample_z(n, g), spec.sample_codes(n, g)
    cat_logits, mu, logvar = [], [], []
    for i in range(0, n, batch):
        sl = slice(i, i + batch)
        x = model.decode(z[sl], codes={k: v[sl] for k, v in codes.items()})
        if noise:
            x = (x + noise * torch.randn(x.shape, generator=g)).clamp(0, 1)
        out = model.discriminate(x * 2 - 1)
        cat_logits.append(out["cat_logits"])
        mu.append(out["cont_mu"])
        logvar.append(out["cont_logvar"])
    cat_logits, mu, logvar = torch.cat(cat_logits), torch.cat(mu), torch.cat(logvar)
    cat, cont = codes["categorical"], codes["continuous"]
    if shuffle:
        perm = torch.randperm(n, generator=g)
        cat, cont = cat[perm], cont[perm]
    ceiling = math.log(spec.categorical[0])
    bound = ceiling - float(F.cross_entropy(cat_logits.double(), cat))
    t, nll = _best_temperature(cat_logits, cat)
    log_q = -0.5 * (math.log(2 * math.pi) + logvar + (cont - mu).pow(2) / logvar.exp())
    widths = [code.high - code.low for code in spec.continuous]
    cont_bounds = tuple(float(log_q[:, j].mean()) + math.log(w) for j, w in enumerate(widths))
    return Information(
        n,
        ceiling,
        bound,
        ceiling - nll,
        t,
        float((cat_logits.argmax(1) == cat).float().mean()),
        cont_bounds,
        shuffle,
        noise,
    )
