"""Mode collapse, measured: the class histogram of an unconditional GAN's samples as the project's
classifier sees them (a collapsed generator piles its samples onto a few digits)."""
from __future__ import annotations

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
    samples: torch.Tensor  # the first few samples (k, 1, 28, 28), to look at

    @property
    def least_frequent(self) -> int:
        return min(range(10), key=lambda d: self.class_shares[d])

    @property
    def below_bar(self) -> list[int]:
        """Digits produced less often than the coverage bar (metrics.COVERAGE_BAR)."""
        return [d for d, s in enumerate(self.class_shares) if s < metrics.COVERAGE_BAR]


def class_histogram(model, classifier, n: int = 2000, seed: int = 0, keep: int = 16) -> Histogram:
    """Classify n samples of `model` (drawn with `seed`) and count each digit."""
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    x = metrics.draw(model, n, seed=seed)
    pred = classifier.predict(x)
    cov = metrics.class_coverage(pred)
    return Histogram(counts=torch.bincount(pred, minlength=10).tolist(), class_shares=cov["class_shares"],
                     min_class_share=cov["min_class_share"], class_entropy=cov["class_entropy"],
                     class_entropy_max=cov["class_entropy_max"], n=n, samples=x[:keep].clone())


def shipped_shares(folder: Path | str) -> list[float] | None:
    """The class shares measured at ship time (metrics.json, 10k samples), if recorded."""
    try:
        shares = (checkpoint.read_extra(folder, checkpoint.METRICS, {}) or {}).get("class_shares")
    except checkpoint.CheckpointError:  # a corrupt metrics.json only loses the comparison
        return None
    return shares if isinstance(shares, list) and len(shares) == 10 else None
