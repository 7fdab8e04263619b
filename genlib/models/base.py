"""The public model API every generative model implements (docs/design.md, "Public API")."""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod

import torch
from torch import nn

from ..latent import LatentSpec

RANGE_SLACK = 1e-4  # float rounding (e.g. a resize) may step this far outside [0, 1]: clamped, not refused


def check_images(x, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """Images as (n, 1, 28, 28) in [0, 1] of `dtype` on `device`. Floats must already lie in [0, 1]
    (values in 0..255 are refused, not clamped to white); uint8 images are divided by 255."""
    x = torch.as_tensor(x)
    if x.dtype == torch.uint8:
        x = x.to(dtype) / 255
    elif not (x.is_floating_point() or x.dtype == torch.bool):
        raise ValueError(f"images are {x.dtype}; expected floats in [0, 1] (or uint8 in 0..255, divided by 255)")
    x = x.to(device=device, dtype=dtype)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images have shape {tuple(x.shape)}; expected (n, 1, 28, 28) floats in [0, 1]")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    if x.numel() and (x.min() < -RANGE_SLACK or x.max() > 1 + RANGE_SLACK):
        raise ValueError(
            f"image values span {x.min().item():g}..{x.max().item():g}; expected floats in [0, 1] "
            "(divide 0..255 images by 255, or pass them as uint8)"
        )
    return x.clamp(0, 1)


def check_count(n) -> int:
    """A sample count: a whole number >= 0 (numpy integers too; 2.5, -1 and True are refused)."""
    if isinstance(n, bool):
        raise ValueError(f"n must be a whole number of samples >= 0, not {n!r}")
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"n must be a whole number of samples >= 0, not {n!r}") from None
    if n < 0:
        raise ValueError(f"n must be a whole number of samples >= 0, not {n}")
    return n


class GenerativeModel(nn.Module, ABC):
    """Base class: subclasses set `name`, `Config`, build their layers, and implement
    `generate` (differentiable, raw output) and `encode`."""

    name: str = ""
    Config: type = None
    output: str = "tanh"  # what `generate` returns: "tanh" in [-1,1] or "logits" (Bernoulli)

    # Capabilities: what the trainers, metrics and pages may ask of this model. Declared, not probed with
    # hasattr, so a new model says in one place which panels and measurements apply to it.
    trainer: str = "likelihood"  # the key of genlib.training.TRAINER_KINDS that fits it
    has_likelihood: bool = False  # log_likelihood(x): importance-sampled log P(x) in nats
    has_posterior: bool = False  # posterior(x) -> (mu, logvar) and kl_per_dim(x)
    has_discriminator: bool = False  # discriminate(x) and features(x): D's verdict and its last hidden layer
    infers_codes: bool = False  # infer_codes(x): Q's reading of the codes a generated image was made from
    # encode(x) inverts G (no posterior): its encodings are checked against the prior's shell
    inverts_generator: bool = False
    has_encoder: bool = True  # encode(x) works: every genlib model's does; an ONNX folder's needs an encoder.onnx
    # how train.py trains it: preset ("full", "quick") -> (Config overrides, TrainConfig overrides); a preset
    # left out gets the Config defaults (genlib.training.presets.DEFAULTS). Measured outcomes: docs/results.md.
    # Not inherited: a subclass is another model, which a tuned recipe may not suit
    recipes: dict[str, tuple[dict, dict]] = {}
    # extra checkpoint folders of this architecture, each trained by its own recipes (a counter-example the
    # lecture shows): folder -> recipes; the registry maps each folder to this class (not to subclasses)
    variants: dict[str, dict[str, tuple[dict, dict]]] = {}
    tiny: dict = {}  # Config overrides that build it in milliseconds: the tests' parametrised models
    # its card on the Models page (genlib.models.card.Card: title, paper, text, objective in the lecture's
    # notation, notes); not inherited, and without one the page shows the class docstring
    card = None

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else self.Config()

    # -- what the model is
    @property
    @abstractmethod
    def latent(self) -> LatentSpec:
        """The latent space this model decodes from (the app builds its controls from it)."""

    # -- the generator, differentiable; subclasses implement
    @abstractmethod
    def generate(self, z: torch.Tensor, labels=None, codes=None) -> torch.Tensor:
        """Raw generator output for checked inputs (see `output`)."""

    def to_unit(self, out: torch.Tensor) -> torch.Tensor:
        """Raw generator output -> images in [0, 1]."""
        if self.output == "logits":
            return torch.sigmoid(out).view(-1, 1, 28, 28)
        return ((out + 1) / 2).clamp(0, 1).view(-1, 1, 28, 28)

    # -- public API: inputs may come on any device and float type; they are moved to the model's
    def placement(self) -> tuple[torch.device, torch.dtype]:
        """(device, floating dtype) of the model's parameters: where inputs are moved before use."""
        p = next((t for t in self.parameters() if t.is_floating_point()), None)
        return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)

    def check_codes(self, codes, n: int):
        """Models without codes take none: codes given to them are refused (a ValueError)."""
        if codes is not None:
            raise ValueError(f"{self.name} has no latent codes (only InfoGAN has): pass codes=None")
        return None

    @torch.no_grad()
    def decode(self, z, labels=None, codes=None) -> torch.Tensor:
        """Images (n, 1, 28, 28) in [0, 1], in the model's dtype on its device, for latents z (n, z_dim).
        labels: a LongTensor (n,) of digits for conditional models (one int is repeated); refused
        (ValueError) by unconditional ones. codes: InfoGAN's {"categorical": (n,), "continuous": (n, 2)}."""
        device, dtype = self.placement()
        z = self.latent.check_z(z).to(device=device, dtype=dtype)
        labels = self.latent.check_labels(labels, len(z))
        labels = None if labels is None else labels.to(device)
        codes = self.check_codes(codes, len(z))
        if codes is not None:
            codes = {
                "categorical": codes["categorical"].to(device),
                "continuous": codes["continuous"].to(device, dtype),
            }
        return self.to_unit(self.generate(z, labels, codes))

    @torch.no_grad()
    def sample(self, n: int, labels=None, codes=None, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images from the prior; labels/codes default to draws from their priors (for the
        arguments see `decode`). The draws use `generator` on the CPU, then move to the model's device."""
        n = check_count(n)
        spec = self.latent
        z = spec.sample_z(n, generator)
        if spec.n_classes is not None and labels is None:
            labels = torch.randint(0, spec.n_classes, (n,), generator=generator)
        if spec.has_codes and codes is None:
            codes = spec.sample_codes(n, generator)
        return self.decode(z, labels, codes)

    @abstractmethod
    def encode(self, x, labels=None) -> torch.Tensor:
        """Images (n,1,28,28) floats in [0,1] (uint8: divided by 255; other ranges: ValueError) -> latents
        (n, z_dim) in the model's dtype on its device. labels as in `decode`."""

    @torch.no_grad()
    def code_usage(self, x) -> dict:
        """How infer_codes reads real digits x in [0, 1], labels unused (models that infer codes): the share
        p̂(c) = mean Q(c | x) of the rarest categorical value, and the information estimate
        Î = H(p̂) − mean H(Q(c | x)), at most log n_cat. A value two digits share takes about twice its share of
        real digits, another one almost none, and Î drops."""
        q = torch.cat([self.infer_codes(x[i : i + 1000])["categorical"] for i in range(0, len(x), 1000)])
        usage = q.mean(0)

        def entropy(p):
            return -(p * p.clamp_min(1e-12).log()).sum(-1)

        return {
            "code_usage_min": round(float(usage.min()), 4),
            "code_info": round(float(entropy(usage) - entropy(q).mean()), 4),
        }

    def stalled(self, real: torch.Tensor) -> str | None:
        """Why a run trained this far should start again from the next seed (TrainConfig.restart_check), judged
        on real training digits in [0, 1] without their labels; None: it is on its way (the default)."""
        return None

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def onnx_decoder(self) -> bytes | None:
        """The browser's ONNX decoder when the model brings its own (an ONNX model folder); None: genlib.export
        exports `decode` with torch."""
        return None
