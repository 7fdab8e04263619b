"""Small live demonstrations of three lecture slides (the app's "Lecture toys" page):

(a) a variable transformation X = g(z) = z/10 + z/‖z‖ that turns N(0, I) into a ring (Doersch's tutorial);
(b) "an optimum exists": a 1-D GAN on a mixture of Gaussians, with the optimal discriminator
    D*(x) = p_data(x) / (p_data(x) + p_g(x)) beside the trained D(x) (Goodfellow et al.);
(c) "the most obvious variation may not be the most likely": a digit shifted by a few pixels is far from
    it in pixel space, farther than a different training digit, although it is "the same" digit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .encodings import nearest_image


# ---------------------------------------------------------------- (a) variable transformation
def ring_transform(z: torch.Tensor) -> torch.Tensor:
    """g(z) = z/10 + z/‖z‖ row-wise, so ‖g(z)‖ = 1 + ‖z‖/10 and the direction of z is kept."""
    norm = z.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # ‖z‖ = 0 has probability zero; avoid 0/0
    return z / 10 + z / norm


@dataclass(frozen=True)
class RingSamples:
    z: torch.Tensor  # (n, 2) ~ N(0, I)
    x: torch.Tensor  # (n, 2) = g(z)
    seed: int


def ring_samples(n: int, seed: int = 0, dim: int = 2) -> RingSamples:
    if n < 1:
        raise ValueError(f"need at least one sample; got n={n}")
    z = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))
    return RingSamples(z, ring_transform(z), seed)


# ---------------------------------------------------------------- (b) a 1-D GAN
@dataclass(frozen=True)
class Mixture:
    """A 1-D mixture of Gaussians: the data distribution p_data of the toy GAN."""

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self):
        if not (len(self.means) == len(self.stds) == len(self.weights) >= 1):
            raise ValueError("a mixture needs equally many means, stds and weights (at least one)")
        if min(self.stds) <= 0 or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError("stds must be positive and weights non-negative with a positive sum")

    def _w(self) -> torch.Tensor:
        w = torch.tensor(self.weights, dtype=torch.float64)
        return w / w.sum()

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, 1)
        mu, sd = torch.tensor(self.means, dtype=torch.float64), torch.tensor(self.stds, dtype=torch.float64)
        comp = torch.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        return comp @ self._w()

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        k = torch.multinomial(self._w(), n, replacement=True, generator=generator)
        mu, sd = torch.tensor(self.means)[k], torch.tensor(self.stds)[k]
        return (mu + sd * torch.randn(n, generator=generator)).unsqueeze(1)

    @property
    def mean(self) -> float:
        return float(self._w() @ torch.tensor(self.means, dtype=torch.float64))


def mixture(n_modes: int, std: float = 0.5, low: float = -2.0, high: float = 2.0) -> Mixture:
    """n equally weighted modes evenly spaced over [low, high] (one mode: at `high`, away from 0, where an
    untrained generator puts its mass, so the generator has to move)."""
    if n_modes < 1:
        raise ValueError(f"need at least one mode; got {n_modes}")
    means = (high,) if n_modes == 1 else tuple(low + (high - low) * i / (n_modes - 1) for i in range(n_modes))
    return Mixture(means, (std,) * n_modes, (1.0,) * n_modes)


LOSSES = ("non-saturating", "minimax")


@dataclass(frozen=True)
class ToyGANConfig:
    data: Mixture = field(default_factory=lambda: mixture(2))
    steps: int = 500  # generator steps (training iterations)
    k: int = 1  # discriminator steps per generator step, as in the lecture's loop
    lr: float = 2e-3  # the generator's learning rate
    lr_d: float | None = None  # the discriminator's (None: the same as G's)
    batch: int = 128
    hidden: int = 16  # both MLPs are 1 -> hidden -> hidden -> 1
    loss: str = "non-saturating"  # generator loss: −log D(G(z)), or the minimax log(1 − D(G(z)))
    seed: int = 0
    snapshots: int = 50  # states kept for the replay, evenly spaced over the steps (plus the start)

    @property
    def d_lr(self) -> float:
        return self.lr if self.lr_d is None else self.lr_d

    def check(self) -> None:
        if self.steps < 1 or self.k < 1 or self.batch < 2 or self.hidden < 1:
            raise ValueError("steps, k and hidden must be ≥ 1 and batch ≥ 2")
        for what, lr in (("G", self.lr), ("D", self.d_lr)):
            if not (0 < lr < 1):
                raise ValueError(f"{what}'s learning rate must be in (0, 1); got {lr}")
        if self.snapshots < 1:
            raise ValueError(f"keep at least one snapshot; got {self.snapshots}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {self.loss!r}")


def mode_shares(samples: torch.Tensor, data: Mixture, width: float = 2.0) -> list[float]:
    """For each mode of `data`, the share of `samples` within `width` standard deviations of its mean."""
    x = torch.as_tensor(samples, dtype=torch.float64).reshape(-1, 1)
    mu, sd = torch.tensor(data.means, dtype=torch.float64), torch.tensor(data.stds, dtype=torch.float64)
    return ((x - mu).abs() < width * sd).double().mean(0).tolist()


def dropped_modes(samples: torch.Tensor, data: Mixture, width: float = 2.0, fraction: float = 0.1) -> list[int]:
    """Modes that `samples` reach less than `fraction` as often as draws from `data` itself would: a dropped
    mode, in the lecture's sense (samples piled between the modes drop them all)."""
    expected = mode_shares(data.sample(20000, torch.Generator().manual_seed(0)), data, width)
    got = mode_shares(samples, data, width)
    return [j for j, (g, e) in enumerate(zip(got, expected, strict=True)) if g < fraction * e]


# named settings of the page's controls: the two failures the lecture names, each reproducible with its seed
PRESETS = {
    "collapse to a point": ToyGANConfig(data=mixture(2), steps=800, lr=1e-2, lr_d=5e-4),
    "drop a mode": ToyGANConfig(data=mixture(3, 0.3), steps=800, lr=5e-3, lr_d=5e-4),
}


def mlp(hidden: int) -> nn.Sequential:
    """1 -> hidden -> hidden -> 1; LeakyReLU keeps a tiny net from dying. D returns logits."""
    return nn.Sequential(
        nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
    )


@dataclass
class ToyGANResult:
    config: ToyGANConfig
    grid: torch.Tensor  # (m,) x values of the curves
    p_data: torch.Tensor  # (m,) true density
    p_g: torch.Tensor  # (m,) kernel density estimate of the generator's samples
    d: torch.Tensor  # (m,) the trained D(x)
    d_star: torch.Tensor  # (m,) p_data / (p_data + p_g); NaN where both densities are negligible
    samples: torch.Tensor  # (n_eval,) generator samples after training
    history: dict  # per generator step: loss_d (mean of its k D steps), loss_g, d_real, d_fake, g_mean
    jsd: float  # Jensen–Shannon divergence between p_data and p_g on the grid (nats; 0 at the optimum)
    seconds: float
    snapshots: list = field(default_factory=list)  # Snapshot at step 0 and every few steps, for the replay
    replay_grid: torch.Tensor | None = None  # (m,) x values shared by every snapshot's curves
    z_grid: torch.Tensor | None = None  # (r,) z values of the snapshots' z -> x maps

    @property
    def identity_gap(self) -> float:
        """The largest |V(D*, G) − (−log 4 + 2·JSD)| over the snapshots: the lecture's identity, checked."""
        return max((abs(s.value_at_optimum - s.criterion) for s in self.snapshots), default=0.0)

    def mode_shares(self, width: float = 2.0) -> list[float]:
        """The share of G's final samples within `width` σ of each mode of p_data."""
        return mode_shares(self.samples, self.config.data, width)

    def dropped_modes(self, width: float = 2.0, fraction: float = 0.1) -> list[int]:
        """Modes (by index) that G's samples reach less than `fraction` as often as p_data's own draws do."""
        return dropped_modes(self.samples, self.config.data, width, fraction)


@dataclass(frozen=True)
class Snapshot:
    step: int  # generator steps done
    p_g: torch.Tensor  # on the replay grid
    d: torch.Tensor  # D(x) on the replay grid
    d_star: torch.Tensor  # p_data / (p_data + p_g) on the replay grid (NaN where both are negligible)
    g_of_z: torch.Tensor  # G(z) on the z grid: the map that pushes N(0, 1) onto p_g
    jsd: float  # JSD(p_data ‖ p_g), nats
    value: float  # V(D, G) of the current D, estimated on fixed draws (≤ C(G))
    value_at_optimum: float  # V(D*, G) integrated from the two densities, without the JSD (= C(G) by the lecture)
    push: torch.Tensor | None = None  # on the replay grid: −∂/∂x of G's loss at a sample x, where D moves G's samples

    @property
    def criterion(self) -> float:
        """C(G) = max_D V(D, G) = −log 4 + 2·JSD(p_data ‖ p_g): −log 4 exactly when p_g = p_data."""
        return criterion(self.jsd)


def criterion(jsd: float) -> float:
    """The generator's criterion at the optimal discriminator, C(G) = −log 4 + 2·JSD."""
    return -math.log(4) + 2 * jsd


@dataclass(frozen=True)
class Lemma:
    y: torch.Tensor  # (m,) points of (0, 1)
    values: torch.Tensor  # (m,) a·log y + b·log(1 − y)
    best_on_grid: float  # the y of the largest value, found by search
    best_formula: float  # a / (a + b), the lemma's answer


def lemma(a: float, b: float, points: int = 9999) -> Lemma:
    """The step behind D*: for a, b > 0, y ↦ a·log y + b·log(1 − y) on (0, 1) peaks at y = a / (a + b). Here the
    peak is found by search on a grid, apart from the formula, so the two can be compared. With a = p_data(x) and
    b = p_g(x) this is V's integrand at one x, and its peak is D*(x)."""
    if a <= 0 or b <= 0:
        raise ValueError(f"a and b must be positive (densities at some x); got a={a}, b={b}")
    y = torch.linspace(0, 1, points + 2, dtype=torch.float64)[1:-1]
    values = a * torch.log(y) + b * torch.log1p(-y)
    return Lemma(y, values, float(y[int(values.argmax())]), a / (a + b))


def value_at_optimum(p_data: torch.Tensor, p_g: torch.Tensor, grid: torch.Tensor) -> float:
    """V(D*, G) = ∫ p_data log D* dx + ∫ p_g log(1 − D*) dx with D* = p_data / (p_data + p_g), by the trapezoid
    rule on `grid`: the definition of V with the best D put in, no divergence involved (0 · log 0 = 0)."""
    p, q = torch.as_tensor(p_data, dtype=torch.float64), torch.as_tensor(p_g, dtype=torch.float64)
    total = (p + q).clamp_min(1e-300)

    def expect_log(density, share):  # ∫ density · log share, where the density has mass
        return torch.where(density > 0, density * torch.log((share / total).clamp_min(1e-300)), torch.zeros_like(p))

    x = torch.as_tensor(grid, dtype=torch.float64)
    return float(torch.trapezoid(expect_log(p, p), x) + torch.trapezoid(expect_log(q, q), x))


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor, floor: float = 0.0) -> torch.Tensor:
    """D*(x) = p_data / (p_data + p_g), the best D for a fixed G; NaN where p_data + p_g ≤ floor (undefined
    at 0, and a ratio of two estimates of almost nothing just above it)."""
    p_data, p_g = torch.as_tensor(p_data, dtype=torch.float64), torch.as_tensor(p_g, dtype=torch.float64)
    total = p_data + p_g
    return torch.where(total > floor, p_data / total.clamp_min(1e-300), torch.full_like(total, float("nan")))


def kde(samples: torch.Tensor, grid: torch.Tensor, bandwidth: float | None = None) -> torch.Tensor:
    """Gaussian kernel density estimate at `grid` (Scott's rule bandwidth by default)."""
    s = torch.as_tensor(samples, dtype=torch.float64).reshape(-1)
    g = torch.as_tensor(grid, dtype=torch.float64).reshape(-1, 1)
    h = bandwidth or max(1.06 * float(s.std()) * len(s) ** -0.2, 1e-3)  # a collapsed G still gets a finite peak
    return torch.exp(-0.5 * ((g - s) / h) ** 2).mean(1) / (h * math.sqrt(2 * math.pi))


def js_divergence(p: torch.Tensor, q: torch.Tensor, grid: torch.Tensor) -> float:
    """JSD(p ‖ q) by the trapezoid rule on `grid`; the GAN criterion at the optimal D is −log 4 + 2·JSD."""
    p, q = torch.as_tensor(p, dtype=torch.float64), torch.as_tensor(q, dtype=torch.float64)
    m = (p + q) / 2

    def kl(a):  # 0 · log 0 = 0
        return torch.where(a > 0, a * torch.log(a / m.clamp_min(1e-300)), torch.zeros_like(a))

    return float(torch.trapezoid(0.5 * kl(p) + 0.5 * kl(q), torch.as_tensor(grid, dtype=torch.float64)))


def _curve_grid(data: Mixture, samples: torch.Tensor, points: int) -> torch.Tensor:
    """Covers the data (±4σ around each mode) and the bulk of the generator's samples."""
    lo = min(m - 4 * s for m, s in zip(data.means, data.stds, strict=True))
    hi = max(m + 4 * s for m, s in zip(data.means, data.stds, strict=True))
    q = torch.quantile(samples.double(), torch.tensor([0.005, 0.995], dtype=torch.float64))
    return torch.linspace(min(lo, float(q[0])), max(hi, float(q[1])), points, dtype=torch.float64)


def train_toy_gan(
    cfg: ToyGANConfig = ToyGANConfig(), callback=None, n_eval: int = 20000, points: int = 400
) -> ToyGANResult:
    """Goodfellow et al.'s Algorithm 1 on a 1-D mixture: per iteration k discriminator steps ascending
    log D(x) + log(1 − D(G(z))), then one generator step. z ~ N(0, 1). Deterministic for a seed (the global
    RNG is left untouched). `callback(step, total)` is called after every generator step."""
    cfg.check()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batches of 128 scalars: extra threads only synchronise (10× slower on a busy CPU)
    try:
        return _train(cfg, callback, n_eval, points)
    finally:
        torch.set_num_threads(threads)


def _train(cfg: ToyGANConfig, callback, n_eval: int, points: int) -> ToyGANResult:
    gen = torch.Generator().manual_seed(cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G, D = mlp(cfg.hidden), mlp(cfg.hidden)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.d_lr, betas=(0.5, 0.999))
    ones, zeros = torch.ones(cfg.batch, 1), torch.zeros(cfg.batch, 1)
    hist = {k: [] for k in ("loss_d", "loss_g", "d_real", "d_fake", "g_mean")}
    replay = _replay_setup(cfg)
    every = max(1, cfg.steps // cfg.snapshots)
    snaps = [_snapshot(0, G, D, cfg, replay)]
    t0 = time.perf_counter()
    for step in range(cfg.steps):
        loss_d_sum = d_real = d_fake = 0.0
        for _ in range(cfg.k):
            x = cfg.data.sample(cfg.batch, gen)
            with torch.no_grad():
                fake = G(torch.randn(cfg.batch, 1, generator=gen))
            real_logits, fake_logits = D(x), D(fake)
            loss_d = F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(
                fake_logits, zeros
            )
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            loss_d_sum += loss_d.item()
            d_real += torch.sigmoid(real_logits).mean().item()
            d_fake += torch.sigmoid(fake_logits).mean().item()
        fake = G(torch.randn(cfg.batch, 1, generator=gen))
        logits = D(fake)
        if cfg.loss == "minimax":
            loss_g = -F.softplus(logits).mean()  # = E log(1 − D(G(z))), descended
        else:
            loss_g = F.binary_cross_entropy_with_logits(logits, ones)  # −E log D(G(z)): strong early gradients
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for key, v in (
            ("loss_d", loss_d_sum / cfg.k),
            ("loss_g", loss_g.item()),
            ("d_real", d_real / cfg.k),
            ("d_fake", d_fake / cfg.k),
            ("g_mean", fake.mean().item()),
        ):
            hist[key].append(v)
        if not math.isfinite(hist["loss_d"][-1]) or not math.isfinite(hist["loss_g"][-1]):
            raise FloatingPointError(f"the loss became NaN/inf at step {step + 1}; lower the learning rate")
        if (step + 1) % every == 0 or step + 1 == cfg.steps:
            snaps.append(_snapshot(step + 1, G, D, cfg, replay))
        if callback is not None:
            callback(step + 1, cfg.steps)
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        samples = G(torch.randn(n_eval, 1, generator=gen)).reshape(-1)
        grid = _curve_grid(cfg.data, samples, points)
        d = torch.sigmoid(D(grid.float().unsqueeze(1))).reshape(-1).double()
    # Scott's rule smooths a multi-modal or collapsed G far too much; its detail matters at the data's scale
    h = min(1.06 * float(samples.std()) * len(samples) ** -0.2, min(cfg.data.stds) / 4)
    p_data, p_g = cfg.data.pdf(grid), kde(samples, grid, bandwidth=max(h, 1e-3))
    d_star = optimal_discriminator(p_data, p_g, floor=1e-3 * float((p_data + p_g).max()))
    return ToyGANResult(
        cfg,
        grid,
        p_data,
        p_g,
        d,
        d_star,
        samples,
        hist,
        js_divergence(p_data, p_g, grid),
        seconds,
        snaps,
        replay["grid"],
        replay["z_grid"],
    )


def _replay_setup(cfg: ToyGANConfig, n: int = 2000, points: int = 300) -> dict:
    """Fixed draws (their own seed: training's stream is untouched) and grids shared by every snapshot."""
    g = torch.Generator().manual_seed(cfg.seed + 1)
    lo = min(m - 4 * s for m, s in zip(cfg.data.means, cfg.data.stds, strict=True)) - 1
    hi = max(m + 4 * s for m, s in zip(cfg.data.means, cfg.data.stds, strict=True)) + 1
    grid = torch.linspace(min(lo, -3.0), max(hi, 3.0), points, dtype=torch.float64)
    return {
        "z": torch.randn(n, 1, generator=g),
        "x": cfg.data.sample(n, g),
        "grid": grid,
        "p_data": cfg.data.pdf(grid),
        "z_grid": torch.linspace(-3, 3, 61),
    }


@torch.no_grad()
def _snapshot(step: int, G, D, cfg: ToyGANConfig, r: dict) -> Snapshot:
    samples = G(r["z"]).reshape(-1)
    h = max(min(1.06 * float(samples.std()) * len(samples) ** -0.2, min(cfg.data.stds) / 4), 1e-3)
    # the JSD needs all of p_g's mass, the replay a fixed window; steps a third of the kernel's width, so
    # that a narrow p_g integrates to 1 (both sides of the lecture's identity assume it does)
    span = _curve_grid(cfg.data, samples, 2)
    points = min(max(400, math.ceil(3 * float(span[-1] - span[0]) / h)), 20000)
    wide = _curve_grid(cfg.data, samples, points)
    wide_data, wide_g = cfg.data.pdf(wide), kde(samples, wide, h)
    jsd = js_divergence(wide_data, wide_g, wide)
    p_g = kde(samples, r["grid"], h)
    d = torch.sigmoid(D(r["grid"].float().unsqueeze(1))).reshape(-1).double()
    d_star = optimal_discriminator(r["p_data"], p_g, floor=1e-3 * float((r["p_data"] + p_g).max()))
    value = float(F.logsigmoid(D(r["x"])).mean() + F.logsigmoid(-D(samples.unsqueeze(1))).mean())
    g_of_z = G(r["z_grid"].unsqueeze(1)).reshape(-1).clone()
    push = generator_push(D, r["grid"], cfg.loss)
    return Snapshot(step, p_g, d, d_star, g_of_z, jsd, value, value_at_optimum(wide_data, wide_g, wide), push)


def push_arrows(snap: Snapshot, grid: torch.Tensor, count: int = 12, longest: float = 0.6) -> list[tuple[float, float]]:
    """(x, dx) arrows for the replay: at `count` points of the grid where G's samples are (p_g above 5% of its
    peak), D's push on a sample there, scaled so that the strongest is `longest` long in x."""
    if snap.push is None:
        return []
    where = torch.nonzero(snap.p_g > 0.05 * float(snap.p_g.max())).reshape(-1)
    if len(where) == 0:
        return []
    picks = where[torch.linspace(0, len(where) - 1, min(count, len(where))).round().long()].unique()
    strongest = float(snap.push[picks].abs().max())
    scale = longest / strongest if strongest > 0 else 0.0
    return [(float(grid[i]), float(snap.push[i]) * scale) for i in picks]


def generator_push(D, x: torch.Tensor, loss: str = "non-saturating") -> torch.Tensor:
    """−∂/∂x of the generator's loss for a sample at x: the direction and strength with which D's gradient
    moves G's samples (∂ log D/∂x for the non-saturating loss, −∂ log(1 − D)/∂x for the minimax one)."""
    dtype = next(D.parameters()).dtype
    xs = torch.as_tensor(x, dtype=dtype).reshape(-1, 1).clone().requires_grad_(True)
    with torch.enable_grad():
        logits = D(xs)
        gain = F.logsigmoid(logits) if loss == "non-saturating" else -F.logsigmoid(-logits)
        (grad,) = torch.autograd.grad(gain.sum(), [xs])
    return grad.reshape(-1).double()


# ---------------------------------------------------------------- (c) shifted digit vs nearest neighbour
def shift_image(image: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """The image moved dx pixels right and dy pixels down; pixels moved in from outside are 0 (no wrap-around)."""
    img = torch.as_tensor(image)
    out = torch.zeros_like(img)
    h, w = img.shape[-2:]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y, dst_y = slice(max(-dy, 0), h - max(dy, 0)), slice(max(dy, 0), h - max(-dy, 0))
    src_x, dst_x = slice(max(-dx, 0), w - max(dx, 0)), slice(max(dx, 0), w - max(-dx, 0))
    out[..., dst_y, dst_x] = img[..., src_y, src_x]
    return out


def nearest_other(image: torch.Tensor, images_uint8: torch.Tensor, exclude: int | None = None) -> tuple[int, float]:
    """encodings.nearest_image, but never the image at index `exclude` (the query itself, when it comes from
    the same set)."""
    idx, dist = nearest_image(image, images_uint8)
    if exclude is None or idx != exclude:
        return idx, dist
    rest = torch.cat([images_uint8[:exclude], images_uint8[exclude + 1 :]])  # rare: a copy only in this case
    idx, dist = nearest_image(image, rest)
    return idx + (idx >= exclude), dist


@dataclass(frozen=True)
class ShiftComparison:
    original: torch.Tensor  # (1, 28, 28) in [0, 1]
    shifted: torch.Tensor
    neighbour: torch.Tensor
    neighbour_index: int  # into the training set
    neighbour_label: int
    shift: tuple[int, int]  # (dx, dy)
    pixel: dict  # "shifted" / "neighbour" -> L2 distance to the original in pixel space ([0, 1] units)
    latent: dict  # same, between the model's encodings


@torch.no_grad()
def compare_shift(
    model,
    image: torch.Tensor,
    label: int,
    dx: int,
    dy: int,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    exclude: int | None = None,
    neighbour: int | None = None,
) -> ShiftComparison:
    """Pixel and latent distances from `image` to its shifted copy and to its nearest training image
    (`neighbour`: its index when already known, the search takes a quarter of a second).
    Each image is encoded with its own true label when the model is conditional."""
    x = torch.as_tensor(image, dtype=torch.float32).reshape(1, 28, 28)
    shifted = shift_image(x, dx, dy)
    idx = neighbour if neighbour is not None else nearest_other(x, train_images, exclude)[0]
    neighbour = train_images[idx].float().div(255.0).reshape(1, 28, 28)
    nb_label = int(train_labels[idx])
    batch = torch.stack([x, shifted, neighbour])
    labels = torch.tensor([label, label, nb_label]) if model.latent.n_classes is not None else None
    z = model.encode(batch, labels).float()
    pixel = {k: float((batch[i] - x).norm()) for i, k in ((1, "shifted"), (2, "neighbour"))}
    latent = {k: float((z[i] - z[0]).norm()) for i, k in ((1, "shifted"), (2, "neighbour"))}
    return ShiftComparison(x, shifted, neighbour, idx, nb_label, (dx, dy), pixel, latent)


def typical_distance(z: torch.Tensor, pairs: int = 2000, seed: int = 0) -> float:
    """Median distance between random pairs of rows of z (n, d): a scale to read other distances against."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(len(z), -1)
    if len(z) < 2:
        raise ValueError("need at least two points")
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randint(0, len(z), (2, pairs), generator=g)
    keep = a != b
    return float((z[a[keep]] - z[b[keep]]).norm(dim=1).median())


# ---------------------------------------------------------------- (c') shifted digit vs a piece erased
def erase_piece(image: torch.Tensor, size: int = 6) -> torch.Tensor:
    """The image with a size × size square of ink removed where its stroke starts at the top (the
    first row with ink, centred on that row's ink)."""
    img = torch.as_tensor(image, dtype=torch.float32).reshape(1, 28, 28).clone()
    rows = torch.nonzero(img[0].amax(1) > 0.5).reshape(-1)
    if len(rows) == 0 or size < 1:
        return img
    top = int(rows[0])
    cols = torch.nonzero(img[0, top] > 0.5).reshape(-1).float()
    cx = int(round(float(cols.mean())))
    x0 = min(max(cx - size // 2, 0), 28 - size)
    img[0, top : top + size, x0 : x0 + size] = 0
    return img


@dataclass(frozen=True)
class ShiftVsErase:
    original: torch.Tensor
    shifted: torch.Tensor
    erased: torch.Tensor
    pixel: dict  # "shifted" / "erased" -> L2 distance to the original ([0, 1] units)
    nll: dict | None  # "original" / "shifted" / "erased" -> −log P(X) in nats (VAE family), else None


def shift_vs_erase(model, image: torch.Tensor, label: int | None, dx: int, dy: int, size: int = 6) -> ShiftVsErase:
    """The lecture's contrast: a copy shifted by (dx, dy) pixels and a copy with a piece erased. Which is
    closer to the original in pixel distance, and which does the model find more likely (its NLL, for
    models with a likelihood)?"""
    from .drawing import nll

    x = torch.as_tensor(image, dtype=torch.float32).reshape(1, 28, 28)
    moved, cut = shift_image(x, dx, dy), erase_piece(x, size)
    pixel = {"shifted": float((moved - x).norm()), "erased": float((cut - x).norm())}
    out = None
    if model.has_likelihood:
        labels = None if model.latent.n_classes is None else torch.full((3,), int(label))
        values = nll(model, torch.stack([x, moved, cut]), labels).tolist()
        out = dict(zip(("original", "shifted", "erased"), values, strict=True))
    return ShiftVsErase(x, moved, cut, pixel, out)
