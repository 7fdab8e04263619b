"""LatentSpec: what a model's latent space looks like (the app builds its controls from it),
and the model-independent latent operations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class ContinuousCode:
    name: str
    low: float = -1.0
    high: float = 1.0


@dataclass(frozen=True)
class LatentSpec:
    z_dim: int
    n_classes: int | None = None  # a label condition (CVAE, CGAN)
    categorical: tuple[int, ...] = ()  # InfoGAN categorical code sizes
    continuous: tuple[ContinuousCode, ...] = field(default=())  # InfoGAN continuous codes

    @property
    def has_codes(self) -> bool:
        return bool(self.categorical or self.continuous)

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=generator)

    def sample_codes(self, n: int, generator: torch.Generator | None = None) -> dict | None:
        """Codes from their priors: categorical uniform over values, continuous uniform over the range."""
        if not self.has_codes:
            return None
        cat = torch.randint(0, self.categorical[0], (n,), generator=generator) if self.categorical else None
        lows = torch.tensor([c.low for c in self.continuous])
        highs = torch.tensor([c.high for c in self.continuous])
        cont = lows + (highs - lows) * torch.rand(n, len(self.continuous), generator=generator)
        return {"categorical": cat, "continuous": cont}

    def check_labels(self, labels, n: int) -> torch.Tensor | None:
        """Validate a label argument: required for conditional models (integers 0..n_classes-1, shape (n,),
        or one int for all n) and refused for unconditional ones, which have no use for it."""
        if self.n_classes is None:
            if labels is not None:
                raise ValueError("this model is unconditional: it takes no labels (pass labels=None)")
            return None
        expected = f"a LongTensor of {n} digits 0-{self.n_classes - 1}, shape ({n},)"
        if labels is None:
            raise ValueError(f"this model is conditional: pass labels, {expected}")
        raw = torch.as_tensor(labels)
        if raw.is_floating_point() or raw.is_complex() or raw.dtype == torch.bool:
            raise ValueError(f"labels are {raw.dtype}; expected integers ({expected}): floats are not truncated")
        if raw.ndim > 1:
            hint = " (one-hot? pass labels.argmax(1))" if raw.shape[-1] == self.n_classes else ""
            raise ValueError(f"labels has shape {tuple(raw.shape)}{hint}; expected {expected}")
        labels = raw.to(torch.long).reshape(-1)
        if labels.numel() == 1 and n != 1:
            labels = labels.expand(n)
        if labels.shape != (n,):
            raise ValueError(f"labels has shape {tuple(raw.shape)}; expected {expected}")
        if n and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise ValueError(
                f"labels must be in 0..{self.n_classes - 1}; got {labels.min().item()}..{labels.max().item()}"
            )
        return labels

    def check_z(self, z: torch.Tensor) -> torch.Tensor:
        """z as (n, z_dim) floats (a float64 z stays float64; the model casts to its own dtype)."""
        z = torch.as_tensor(z)
        if not z.is_floating_point():
            z = z.float()
        if z.ndim == 1:
            z = z.unsqueeze(0)
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z has shape {tuple(z.shape)}; expected (n, {self.z_dim})")
        if not torch.isfinite(z).all():
            raise ValueError("z contains NaN or infinite values")
        return z


# ---------------------------------------------------------------- latent operations
def to_shell(z: torch.Tensor) -> torch.Tensor:
    """Rows of z (n, d) scaled to norm √d: the shell where nearly all of N(0, I_d)'s mass lies, so a
    generator trained on prior draws has seen codes there (and not near the origin)."""
    return z * (math.sqrt(z.shape[-1]) / z.norm(dim=-1, keepdim=True).clamp_min(1e-8))


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """(steps, d) points on the straight line from a to b, endpoints exact."""
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (1 - t) * a.reshape(1, -1) + t * b.reshape(1, -1)


def slerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation (between two ends of equal norm every point keeps that norm); falls back to lerp for
    (anti)parallel endpoints where the great circle is undefined."""
    a, b = a.reshape(-1).double(), b.reshape(-1).double()
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-6 or (torch.pi - omega).abs() < 1e-6:
        return lerp(a, b, steps).float()
    t = torch.linspace(0, 1, steps, dtype=torch.float64).unsqueeze(1)
    out = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    out[0], out[-1] = a, b
    return out.float()


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """A − B + C."""
    return a - b + c


def class_means(z: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """(n_classes, d) mean encoding of each label."""
    return torch.stack([z[labels == k].mean(0) for k in range(n_classes)])


def pca_2d(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Project (n, d) to 2-D; returns (coords (n,2), mean (d,), components (d,2)) so new points project alike."""
    mean = z.mean(0)
    if z.shape[1] == 2:
        return z - mean, mean, torch.eye(2)
    _, _, v = torch.linalg.svd(z - mean, full_matrices=False)
    comps = v[:2].T
    return (z - mean) @ comps, mean, comps
