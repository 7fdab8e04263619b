"""The project's own MNIST classifier: the yardstick for every quality metric (metrics.py)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


def _block(a: int, b: int) -> list[nn.Module]:
    return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]


@dataclass
class ClassifierConfig:
    width: int = 32
    features: int = 128
    dropout: float = 0.3


class Classifier(nn.Module):
    name = "classifier"
    recipes = {
        "full": ({}, dict(epochs=3, batch_size=128, lr=4e-3)),
        "quick": ({}, dict(epochs=1, batch_size=128, lr=4e-3)),
    }
    Config = ClassifierConfig

    def __init__(self, config=None):
        super().__init__()
        self.config = c = config if config is not None else ClassifierConfig()
        w = c.width
        self.body = nn.Sequential(
            *_block(1, w),
            *_block(w, w),
            nn.MaxPool2d(2),  # 14
            *_block(w, 2 * w),
            *_block(2 * w, 2 * w),
            nn.MaxPool2d(2),  # 7
            nn.Flatten(),
            nn.Linear(2 * w * 49, c.features),
            nn.BatchNorm1d(c.features),
            nn.ReLU(),
        )
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.features, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] -> logits (n, 10)."""
        return self.out(self.drop(self.body((x - 0.1307) / 0.3081)))

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (n, 128): the space of the Fréchet distance."""
        return self.body((x - 0.1307) / 0.3081)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
        return torch.cat([self(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])
