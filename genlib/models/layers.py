"""Building blocks shared by the models (28×28 throughout: cheap on a CPU)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..latent import to_shell


def mlp(sizes: list[int], act=nn.ReLU, out_act: nn.Module | None = None, bn: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if bn:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


class CondMLP(nn.Module):
    """An MLP that sees the condition c at the input of every layer, not just the first, so the
    label cannot be drowned out by z on the way to the output (ReLU between layers)."""

    def __init__(self, sizes: list[int], cond_dim: int):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a + cond_dim, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            h = layer(torch.cat([h, c], 1))
            if i < len(self.layers) - 1:
                h = F.relu(h)
        return h


def one_hot(labels: torch.Tensor, n: int = 10, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return F.one_hot(labels, n).to(dtype)


class DCGenerator(nn.Module):
    """DCGAN generator for 28×28: project to 7×7×2c, then two stride-2 transposed convolutions;
    batch norm and ReLU everywhere but the tanh output; no pooling, no hidden fully connected layer."""

    def __init__(self, in_dim: int, width: int = 64, fc: int = 0):
        super().__init__()
        self.width = width
        # optional hidden fully connected layer first (InfoGAN's generator has one: it lets the
        # codes act on the whole image before it is laid out spatially)
        self.fc = (
            nn.Sequential(nn.Linear(in_dim, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU()) if fc else nn.Identity()
        )
        in_dim = fc or in_dim
        self.project = nn.Sequential(
            nn.Linear(in_dim, 2 * width * 49, bias=False), nn.BatchNorm1d(2 * width * 49), nn.ReLU()
        )
        self.convs = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.convs(self.project(self.fc(h)).view(-1, 2 * self.width, 7, 7))


class DCBody(nn.Module):
    """DCGAN discriminator body: stride-2 convolutions with LeakyReLU (batch norm after the first),
    returning flat features: 7×7×2c after two; `deep` adds a third (3×3, to 4×4×4c), a discriminator
    as deep as its generator. `extra` channels (e.g. label maps) join at 14×14."""

    def __init__(self, width: int = 64, extra: int = 0, fc: int = 0, deep: bool = False, spectral: bool = False):
        super().__init__()
        # spectral: every layer's weight divided by its largest singular value, and no batch norm (D stays
        # 1-Lipschitz per layer, and no batch statistics tie one image's verdict to its batch)
        sn = nn.utils.parametrizations.spectral_norm if spectral else (lambda layer: layer)

        def norm(n: int, two_d: bool = True) -> nn.Module:
            return nn.Identity() if spectral else (nn.BatchNorm2d(n) if two_d else nn.BatchNorm1d(n))

        self.conv1 = nn.Sequential(sn(nn.Conv2d(1, width, 4, 2, 1)), nn.LeakyReLU(0.2))
        self.conv2 = nn.Sequential(
            sn(nn.Conv2d(width + extra, 2 * width, 4, 2, 1, bias=spectral)), norm(2 * width), nn.LeakyReLU(0.2)
        )
        self.conv3 = (
            nn.Sequential(
                sn(nn.Conv2d(2 * width, 4 * width, 3, 2, 1, bias=spectral)), norm(4 * width), nn.LeakyReLU(0.2)
            )
            if deep
            else nn.Identity()
        )
        flat = 4 * width * 16 if deep else 2 * width * 49
        # optional hidden fully connected layer on top (InfoGAN's D and Q share one)
        self.fc = (
            nn.Sequential(sn(nn.Linear(flat, fc, bias=spectral)), norm(fc, two_d=False), nn.LeakyReLU(0.2))
            if fc
            else nn.Identity()
        )
        self.out_dim = fc or flat

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(x)
        if extra is not None:
            h = torch.cat([h, extra[:, :, None, None].expand(-1, -1, 14, 14)], 1)
        return self.fc(self.conv3(self.conv2(h)).flatten(1))


class Inverter(nn.Module):
    """Inversion encoder for the GANs: image in [-1,1] -> z on the prior's shell ‖z‖ = √d (to_shell).
    Trained after G on (G(z), z) pairs and on real digits through the frozen G (training.fit_inverter)."""

    def __init__(self, z_dim: int, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1),
            nn.LeakyReLU(0.2),  # 14
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),  # 7
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1),
            nn.BatchNorm2d(4 * width),
            nn.LeakyReLU(0.2),  # 4
            nn.Flatten(),
            nn.Linear(4 * width * 16, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, z_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return to_shell(self.net(x))
