"""A latent point of the explorer (z with its label and codes), made from a seed, the prior's mean or a test
digit, moved to another model's latent, decoded; and the check of how familiar its length is to the decoder.
No Streamlit here; everything is generic over `LatentSpec`: no function looks at a model's name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch

from ..latent import LatentSpec

SLIDER_LIMIT = 4.0  # latent sliders span ±4 prior standard deviations
LATENT_DECIMALS = 3  # precision of latents in URLs and JSON
LATENT_MAX = 1e3  # |z_i| above this (1,000 prior σ) is refused from URLs and files: 1e300 overflows float32


@dataclass(frozen=True)
class LatentState:
    """One point the app shows: z plus whatever condition the model takes (tuples keep it hashable)."""

    z: tuple[float, ...]
    label: int | None = None  # for models with spec.n_classes
    category: int | None = None  # InfoGAN categorical code
    continuous: tuple[float, ...] = field(default=())  # InfoGAN continuous codes
    seed: int | None = None  # the seed z was drawn with, if it was

    def z_tensor(self) -> torch.Tensor:
        return torch.tensor(self.z, dtype=torch.float32)


def _conditions(spec: LatentSpec, generator: torch.Generator | None, keep: LatentState | None):
    """label/category/continuous for spec: kept from `keep` when it has them, else drawn (or centred)."""
    label = category = None
    continuous: tuple[float, ...] = ()
    if spec.n_classes is not None:
        if keep is not None and keep.label is not None and 0 <= keep.label < spec.n_classes:
            label = keep.label
        else:
            label = int(torch.randint(0, spec.n_classes, (1,), generator=generator)) if generator else 0
    if spec.categorical:
        if keep is not None and keep.category is not None and 0 <= keep.category < spec.categorical[0]:
            category = keep.category
        else:
            category = int(torch.randint(0, spec.categorical[0], (1,), generator=generator)) if generator else 0
    if spec.continuous:
        if keep is not None and len(keep.continuous) == len(spec.continuous):
            continuous = keep.continuous
        else:
            continuous = tuple((c.low + c.high) / 2 for c in spec.continuous)
    return label, category, continuous


def random_state(spec: LatentSpec, seed: int, keep: LatentState | None = None) -> LatentState:
    """z ~ prior from `seed`; the condition is kept from `keep` when given, else drawn from the same seed."""
    g = torch.Generator().manual_seed(int(seed))
    z = spec.sample_z(1, g)[0]
    label, category, continuous = _conditions(spec, g, keep)
    return LatentState(tuple(z.tolist()), label, category, continuous, int(seed))


def prior_mean_state(spec: LatentSpec, keep: LatentState | None = None) -> LatentState:
    """z = 0 (the prior's mean) and centred continuous codes; label and category are kept."""
    label, category, _ = _conditions(spec, None, keep)
    continuous = tuple((c.low + c.high) / 2 for c in spec.continuous)
    return LatentState((0.0,) * spec.z_dim, label, category, continuous)


def with_z(state: LatentState, z) -> LatentState:
    """The same condition at another z (no longer drawn from a seed)."""
    return replace(state, z=tuple(float(v) for v in torch.as_tensor(z).reshape(-1).tolist()), seed=None)


def adapt(state: LatentState, spec: LatentSpec) -> LatentState | None:
    """`state` for a model with `spec` (the "same z through all models" view): None when z_dim
    differs; a missing label/code is filled with the first label / centred codes."""
    if len(state.z) != spec.z_dim:
        return None
    label, category, continuous = _conditions(spec, None, state)
    return LatentState(state.z, label, category, continuous, state.seed)


def test_digit_state(enc, i: int, state: LatentState, spec: LatentSpec) -> LatentState:
    """Test digit i's encoding as a state to decode: its z, its label for a label-conditioned model, and the
    codes its z was refined for (enc.codes) for a model with codes; otherwise `state`'s condition."""
    point = with_z(adapt(state, spec), enc.z[i])
    if spec.n_classes is not None:
        point = replace(point, label=int(enc.labels[i]))
    if enc.codes is not None:
        cont = tuple(float(v) for v in enc.codes["continuous"][i].tolist())
        point = replace(point, category=int(enc.codes["categorical"][i]), continuous=cont)
    return point


def model_inputs(spec: LatentSpec, states: list[LatentState]) -> tuple[torch.Tensor, torch.Tensor | None, dict | None]:
    """(z, labels, codes) for decode(), for a batch of states of one model."""
    z = torch.tensor([s.z for s in states], dtype=torch.float32).reshape(len(states), spec.z_dim)
    labels = torch.tensor([s.label for s in states], dtype=torch.long) if spec.n_classes is not None else None
    codes = None
    if spec.has_codes:
        codes = {
            "categorical": torch.tensor([s.category or 0 for s in states], dtype=torch.long),
            "continuous": torch.tensor([s.continuous for s in states], dtype=torch.float32).reshape(len(states), -1),
        }
    return z, labels, codes


def decode_states(model, states: list[LatentState]) -> torch.Tensor:
    """(n,1,28,28) images of the states through `model`."""
    return model.decode(*model_inputs(model.latent, states))


# ---------------------------------------------------------------- how familiar a length is
@dataclass(frozen=True)
class TypicalCheck:
    norms: tuple[float, ...]
    expected: float  # E‖z‖ for z ~ N(0, I_d), ≈ √(d − ½)
    tolerance: float  # how far from `expected` a prior draw still lies (n_sigma standard deviations of ‖z‖)
    outside: tuple[int, ...]  # indices of points outside both ranges below
    encoded: tuple[float, float] | None = None  # the range of ‖z‖ over the model's encodings of real digits

    @property
    def prior_range(self) -> tuple[float, float]:
        return max(self.expected - self.tolerance, 0.0), self.expected + self.tolerance

    def describe(self) -> str:
        lo, hi = self.prior_range
        text = f"prior draws have ‖z‖ ≈ √(d − ½) ≈ {self.expected:.1f}, within {lo:.1f}–{hi:.1f}"
        if self.encoded is not None:
            text += f"; this model's encodings of real test digits, {self.encoded[0]:.1f}–{self.encoded[1]:.1f}"
        return text


def norm_range(reference: torch.Tensor, share: float = 0.001) -> tuple[float, float]:
    """The `share` and 1 − `share` quantiles of the norms of `reference` (n, d)."""
    ref = torch.as_tensor(reference, dtype=torch.float32)
    norms = ref.reshape(-1, ref.shape[-1]).norm(dim=1)
    lo, hi = (float(v) for v in torch.quantile(norms, torch.tensor([share, 1 - share])))
    return lo, hi


def typical_set(
    z: torch.Tensor,
    n_sigma: float = 4.0,
    reference: torch.Tensor | None = None,
    share: float = 0.001,
    familiar: tuple[float, float] | None = None,
) -> TypicalCheck:
    """Which rows of z (n, d) have a norm the decoder has rarely been given: ‖z‖ of N(0, I_d) is chi-distributed,
    mean ≈ √(d − ½), standard deviation ≈ 1/√2, and outside n_sigma of that a prior draw is rare. With `reference`
    (the model's encodings of real digits: a VAE's posterior means are much shorter than prior draws and still
    decode well), norms between its `share` and 1 − `share` quantiles count as familiar too; `familiar` gives
    those bounds ready-made (norm_range), so a caller that checks often computes them once."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, z.shape[-1])
    d = z.shape[1]
    expected = math.sqrt(max(d - 0.5, 0.5))
    tol = n_sigma / math.sqrt(2)
    norms = z.norm(dim=1)
    far = (norms - expected).abs() > tol
    if familiar is None and reference is not None and len(reference):
        familiar = norm_range(torch.as_tensor(reference).reshape(-1, d), share)
    if familiar is not None:
        lo, hi = familiar
        far &= (norms < lo) | (norms > hi)
    outside = tuple(int(i) for i in torch.nonzero(far).reshape(-1))
    return TypicalCheck(tuple(norms.tolist()), expected, tol, outside, familiar)
