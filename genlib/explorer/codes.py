"""What a latent code does to a digit, measured rather than eyeballed: the slant (from second image moments)
and the stroke width of decoded digits as one code is swept, mean and band over many z, and a name for the
code taken from the measurement ("c1: slant, about 20° per unit").

Slant: with x to the right and y upwards, the ink's moments give the regression slope dx/dy = cov(x, y) / var(y)
of x on y (the least-squares line x = a + b·y through the ink, weighted by intensity); the angle is atan of
that, in degrees from vertical, positive when the top leans right. It is not the principal axis of the ink.
A shear x' = x + t·y adds exactly t to that slope. Stroke width: a stroke of length L and width w has ink
area ≈ w·L and outline ≈ 2·L, so w ≈ 2 · area / perimeter, counted on the ink pixels (> 0.5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

INK = 0.5


def slant_slope(images: torch.Tensor) -> torch.Tensor:
    """(n,) dx/dy of each image's ink, y upwards: the intensity-weighted least-squares slope of x on y (0 for an
    upright stroke)."""
    x = torch.as_tensor(images, dtype=torch.float64).reshape(-1, 28, 28)
    h, w = x.shape[1:]
    rows = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float64).view(1, 1, w)
    mass = x.sum((1, 2)).clamp_min(1e-12)
    cy = (x * rows).sum((1, 2)) / mass
    cx = (x * cols).sum((1, 2)) / mass
    dy = -(rows - cy.view(-1, 1, 1))  # upwards
    dx = cols - cx.view(-1, 1, 1)
    cov = (x * dx * dy).sum((1, 2)) / mass
    var = (x * dy * dy).sum((1, 2)) / mass
    return cov / var.clamp_min(1e-12)


def slant_degrees(images: torch.Tensor) -> torch.Tensor:
    return torch.rad2deg(torch.atan(slant_slope(images)))


def stroke_width(images: torch.Tensor) -> torch.Tensor:
    """(n,) 2 · ink area / ink outline length, in pixels."""
    ink = (torch.as_tensor(images, dtype=torch.float32).reshape(-1, 28, 28) > INK).float()
    padded = F.pad(ink, (1, 1, 1, 1))
    edges = (padded[:, 1:, :] != padded[:, :-1, :]).sum((1, 2)) + (padded[:, :, 1:] != padded[:, :, :-1]).sum((1, 2))
    return 2 * ink.sum((1, 2)) / edges.clamp_min(1).float()


def shear(images: torch.Tensor, degrees: float) -> torch.Tensor:
    """Images sheared about their centre so that a vertical line leans `degrees` to the right at the top
    (x' = x + tan(angle) · y, y upwards), bilinear."""
    x = torch.as_tensor(images, dtype=torch.float32).reshape(-1, 1, 28, 28)
    t = math.tan(math.radians(degrees))
    # the grid maps output to input coordinates (normalised, y downwards): x_in = x_out + t · y_out
    theta = torch.tensor([[1.0, t, 0.0], [0.0, 1.0, 0.0]]).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)


# ---------------------------------------------------------------- sweeping a code
@dataclass(frozen=True)
class Response:
    code: str  # "c1", "z3", …
    values: list  # the swept code values
    slant: torch.Tensor  # (len(values), n) degrees
    width: torch.Tensor  # (len(values), n) pixels
    images: torch.Tensor  # (len(values), 1, 28, 28): the first z at each value, to look at

    def band(self, what: str, q: float = 0.1) -> tuple[list, list, list]:
        """(mean, lower, upper) per value: the mean and the q / 1 − q quantiles over z."""
        m = getattr(self, what).double()
        return (m.mean(1).tolist(), torch.quantile(m, q, dim=1).tolist(), torch.quantile(m, 1 - q, dim=1).tolist())

    def per_unit(self, what: str) -> float:
        """Least-squares slope of the mean against the code value: change per unit of the code."""
        v = torch.tensor(self.values, dtype=torch.float64)
        m = getattr(self, what).double().mean(1)
        return float(((v - v.mean()) * (m - m.mean())).sum() / ((v - v.mean()) ** 2).sum())

    def effect(self, what: str) -> float:
        """Change of the mean across the sweep, in units of the spread over z: comparable across measures."""
        m = getattr(self, what).double()
        span = self.per_unit(what) * (max(self.values) - min(self.values))
        return abs(span) / float(m.std(1).mean().clamp_min(1e-9))

    def name(self) -> str:
        """What the code controls, by whichever measure it moves more (in spread units), if either moves
        by more than one spread across the sweep."""
        slant, width = self.effect("slant"), self.effect("width")
        if max(slant, width) < 1.0:
            return f"{self.code}: neither slant nor stroke width (moves each by under one spread)"
        if min(slant, width) >= 0.6 * max(slant, width):
            return (
                f"{self.code}: slant and stroke width together, about {self.per_unit('slant'):+.0f}° and "
                f"{self.per_unit('width'):+.2f} px per unit"
            )
        if slant >= width:
            return f"{self.code}: slant, about {self.per_unit('slant'):+.0f}° per unit"
        return f"{self.code}: stroke width, about {self.per_unit('width'):+.2f} px per unit"


def _draw(model, n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    spec = model.latent
    z = spec.sample_z(n, g)
    labels = torch.randint(0, spec.n_classes, (n,), generator=g) if spec.n_classes else None
    return z, labels, spec.sample_codes(n, g)


@torch.no_grad()
def sweep(model, code: str, values=None, n: int = 200, seed: int = 0) -> Response:
    """Decode n random latents (fixed across values) with one code set to each value: an InfoGAN
    continuous code ("c1", "c2"; the other codes and the category as drawn) or a latent dimension
    ("z0", "z1", …; the other dimensions as drawn)."""
    spec = model.latent
    names = [cc.name for cc in spec.continuous]
    if code in names:
        j, lo, hi = names.index(code), spec.continuous[names.index(code)].low, spec.continuous[names.index(code)].high
        values = list(values) if values is not None else torch.linspace(2 * lo, 2 * hi, 9).tolist()
    elif code.startswith("z") and code[1:].isdigit() and int(code[1:]) < spec.z_dim:
        j = int(code[1:])
        values = list(values) if values is not None else torch.linspace(-2.5, 2.5, 11).tolist()
    else:
        choices = ", ".join(names + [f"z0…z{spec.z_dim - 1}"])
        raise ValueError(f"{model.name} has no code {code!r}; choose one of {choices}")
    z, labels, codes = _draw(model, n, seed)
    slants, widths, firsts = [], [], []
    for v in values:
        zz, cc = z.clone(), None if codes is None else {k: t.clone() for k, t in codes.items()}
        if code in names:
            cc["continuous"][:, j] = v
        else:
            zz[:, j] = v
        x = model.decode(zz, labels, cc)
        slants.append(slant_degrees(x))
        widths.append(stroke_width(x))
        firsts.append(x[0])
    return Response(
        code, [float(v) for v in values], torch.stack(slants).float(), torch.stack(widths), torch.stack(firsts)
    )


def candidate_codes(model, kl_per_dim: torch.Tensor | None = None, limit: int = 8) -> list[str]:
    """The codes worth sweeping: InfoGAN's continuous codes; for a VAE the active dimensions (average KL over
    the test set > 0.1 nat), largest KL first, at most `limit`."""
    spec = model.latent
    if spec.continuous:
        return [cc.name for cc in spec.continuous]
    if kl_per_dim is None:
        return []
    order = torch.argsort(kl_per_dim, descending=True).tolist()
    return [f"z{j}" for j in order if float(kl_per_dim[j]) > 0.1][:limit]
