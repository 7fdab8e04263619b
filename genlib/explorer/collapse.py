"""Mode collapse, measured: the class histogram of an unconditional GAN's samples as the project's
classifier sees them (a collapsed generator piles its samples onto a few digits), with a confidence band
per share so that sampling noise alone does not flag a digit; the diversity of the samples within each
class (collapse inside a class is invisible to a histogram); and the training recipe of a checkpoint."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import checkpoint, metrics
from ..models.adversarial import GANBase


def train_hint(folder: str) -> str:
    """The command that trains an extra checkpoint folder (train.py accepts variants as --model)."""
    return f"python train.py --model {folder}"


def is_unconditional_gan(model) -> bool:
    """Adversarially trained and free to choose its digits (no label condition): where collapse shows."""
    return isinstance(model, GANBase) and model.latent.n_classes is None


@dataclass
class Histogram:
    counts: list[int]  # samples per predicted digit 0-9
    class_shares: list[float]
    min_class_share: float
    class_entropy: float  # nats; log 10 ≈ 2.303 when every digit is equally frequent
    class_entropy_max: float
    n: int
    samples: torch.Tensor | None  # the first few samples (k, 1, 28, 28), to look at; None: measured at ship time
    diversity: list | None = None  # per digit: within-class spread of the samples / that of real digits

    @property
    def least_frequent(self) -> int:
        return min(range(10), key=lambda d: self.class_shares[d])

    @property
    def intervals(self) -> list[tuple[float, float]]:
        """95% Wilson interval of each digit's share."""
        return [wilson_interval(k, self.n) for k in self.counts]

    @property
    def below_bar(self) -> list[int]:
        """Digits whose share is below the coverage bar (metrics.COVERAGE_BAR) beyond sampling noise: the
        whole 95% interval lies under it."""
        return [d for d, (_, hi) in enumerate(self.intervals) if hi < metrics.COVERAGE_BAR]

    @property
    def undecided(self) -> list[int]:
        """Digits whose share is below the bar in this sample but whose interval still reaches it."""
        return [d for d, s in enumerate(self.class_shares) if s < metrics.COVERAGE_BAR and d not in self.below_bar]

    @property
    def mean_diversity(self) -> float | None:
        values = [v for v in self.diversity or () if v is not None]
        return sum(values) / len(values) if values else None


def wilson_interval(count: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion count / n (95% for z = 1.96)."""
    if n < 1 or not 0 <= count <= n:
        raise ValueError(f"need 0 ≤ count ≤ n and n ≥ 1; got {count} of {n}")
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def spread(images: torch.Tensor, limit: int = 200, seed: int = 0) -> float | None:
    """Mean pixel L2 distance between pairs of (at most `limit`) images; None for fewer than 2."""
    if len(images) < 2:
        return None
    x = torch.as_tensor(images, dtype=torch.float32).reshape(len(images), -1)
    if len(x) > limit:
        x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:limit]]
    d = torch.cdist(x, x)
    return float(d.sum() / (len(x) * (len(x) - 1)))


def within_class_diversity(
    samples: torch.Tensor, pred: torch.Tensor, real: torch.Tensor, real_labels: torch.Tensor
) -> list:
    """Per digit: the spread of the samples classified as it over the spread of real digits of that class
    (1 ≈ as varied as MNIST, near 0 = one image repeated); None where fewer than 2 samples."""
    out = []
    for d in range(10):
        mine = spread(samples[pred == d])
        ref = spread(real[real_labels == d])
        out.append(None if mine is None or not ref else mine / ref)
    return out


def class_histogram(
    model, classifier, n: int = 2000, seed: int = 0, keep: int = 16, reference: tuple | None = None
) -> Histogram:
    """Classify n samples of `model` (drawn with `seed`) and count each digit; with `reference` = (real
    images, their labels), also the within-class diversity."""
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    x = metrics.draw(model, n, seed=seed)
    pred = classifier.predict(x)
    cov = metrics.class_coverage(pred)
    return Histogram(
        counts=torch.bincount(pred, minlength=10).tolist(),
        class_shares=cov["class_shares"],
        min_class_share=cov["min_class_share"],
        class_entropy=cov["class_entropy"],
        class_entropy_max=cov["class_entropy_max"],
        n=n,
        samples=x[:keep].clone(),
        diversity=None if reference is None else within_class_diversity(x, pred, *reference),
    )


def recipe(folder: Path | str) -> dict | None:
    """How a checkpoint was trained, from its config.json: G's and D's learning rates and their ratio,
    epochs, k, the weight average, the R1 penalty, the command. None when not recorded."""
    cfg = checkpoint.read_extra(folder, checkpoint.CONFIG, None)
    train = (cfg or {}).get("train") or {}
    tc = train.get("config") or {}
    if not isinstance(tc.get("lr"), (int, float)):
        return None
    lr_d = tc.get("lr_d") if isinstance(tc.get("lr_d"), (int, float)) else tc["lr"]
    return {
        "lr_g": tc["lr"],
        "lr_d": lr_d,
        "ratio": tc["lr"] / lr_d,
        "epochs": tc.get("epochs"),
        "k": tc.get("k"),
        "ema": tc.get("ema"),
        "r1": tc.get("r1", 0.0),  # recorded since the option exists; earlier runs had none
        "command": train.get("command"),
    }


# the inversion encoder is fitted after G is final, so its settings cannot change the samples
NOT_TRAINING_G = {"inverter_steps", "device", "amp"}
SETTING_NAMES = {
    "lr": "G's learning rate",
    "lr_d": "D's learning rate",
    "ema": "weight average of G (decay; 0 = none)",
    "epochs": "epochs",
    "batch_size": "batch size",
    "k": "k (D steps per G step)",
    "r1": "R1 penalty γ",
    "d_fc": "D's hidden layer width",
}


def declared_settings(folder: str, preset: str = "full") -> dict:
    """Every setting that trains `folder` (a model or a declared variant) under `preset`: its model Config
    and TrainConfig defaults overridden by the declared recipe (what train.py would use)."""
    from dataclasses import asdict

    from ..models import ARCHITECTURES, architecture_of
    from ..training.presets import recipe as declared
    from ..training.trainers import TrainConfig

    model_over, train_over = declared(preset, folder)
    settings = {**asdict(ARCHITECTURES[architecture_of(folder)].Config()), **model_over}
    return {**settings, **asdict(TrainConfig()), **train_over}


def recipe_differences(variant: str, healthy: str, preset: str = "full") -> list[tuple[str, object, object]]:
    """(setting, healthy value, variant value) for each declared setting of G's training in which the two
    recipes differ: every one of them is a candidate cause of what the variant does differently."""
    bad, good = declared_settings(variant, preset), declared_settings(healthy, preset)
    keys = [k for k in {**good, **bad} if k not in NOT_TRAINING_G]
    return [(k, good.get(k), bad.get(k)) for k in keys if good.get(k) != bad.get(k)]


def describe_differences(diffs: list[tuple[str, object, object]]) -> str:
    """ "epochs 26 → 1, G's learning rate 0.001 → 0.01, …" (healthy → variant)."""

    def fmt(v):
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{SETTING_NAMES.get(k, k)} {fmt(a)} → {fmt(b)}" for k, a, b in diffs)


def count_word(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")[n] if n < 10 else str(n)


def shipped_shares(folder: Path | str) -> list[float] | None:
    """The class shares measured at ship time (metrics.json, 10k samples), if recorded."""
    try:
        shares = checkpoint.read_metrics(folder).get("class_shares")
    except checkpoint.CheckpointError:  # a corrupt metrics.json only loses the comparison
        return None
    return shares if isinstance(shares, list) and len(shares) == 10 else None


def shipped_histogram(folder: Path | str) -> Histogram | None:
    """The histogram measured at ship time (metrics.json: class_shares of n_samples samples), so a page can
    show it without sampling; None when the checkpoint recorded none."""
    shares = shipped_shares(folder)
    if shares is None:
        return None
    try:
        n = int((checkpoint.read_extra(folder, checkpoint.METRICS, {}) or {}).get("n_samples", 10000))
    except (checkpoint.CheckpointError, TypeError, ValueError):
        n = 10000
    shares = [float(s) for s in shares]
    entropy = abs(sum(s * math.log(s) for s in shares if s > 0))  # abs: one class alone gives -0.0
    return Histogram(
        counts=[round(s * n) for s in shares],
        class_shares=shares,
        min_class_share=min(shares),
        class_entropy=entropy,
        class_entropy_max=math.log(10),
        n=n,
        samples=None,
    )
