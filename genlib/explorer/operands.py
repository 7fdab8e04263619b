"""Arithmetic and interpolation operands (a class mean, a test digit, a seed, the Explore latent) and the path
between two latents. No Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..latent import LatentSpec, class_means, lerp, slerp
from .latent_state import LatentState

# ---------------------------------------------------------------- arithmetic / interpolation operands
OPERAND_KINDS = ("class mean", "test digit", "seed", "explore latent")
ENCODED_KINDS = ("class mean", "test digit")  # these encode test digits: only a model with an encoder has them


def kinds_for(model) -> tuple[str, ...]:
    """The operand kinds `model` can resolve."""
    return OPERAND_KINDS if model.has_encoder else tuple(k for k in OPERAND_KINDS if k not in ENCODED_KINDS)


@dataclass(frozen=True)
class Operand:
    kind: str  # one of OPERAND_KINDS
    value: int = 0  # the digit, the test index or the seed; unused for "explore latent"

    def describe(self) -> str:
        return {
            "class mean": f"mean of {self.value}s",
            "test digit": f"test #{self.value}",
            "seed": f"seed {self.value}",
            "explore latent": "Explore latent",
        }[self.kind]


def resolve_operand(op: Operand, spec: LatentSpec, enc, explore: LatentState) -> tuple[torch.Tensor, int | None]:
    """(z (d,), its natural label or None) of an operand; `enc` holds the test encodings (None: a model without an
    encoder, which has seeds and the Explore latent only)."""
    if op.kind in ENCODED_KINDS and enc is None:
        raise ValueError(f"a {op.kind} needs the model's encodings of the test digits, and this model has no encoder")
    if op.kind == "class mean":
        return class_means(enc.z, enc.labels)[op.value], op.value
    if op.kind == "test digit":
        if not 0 <= op.value < len(enc.z):
            raise ValueError(f"test index must be in 0..{len(enc.z) - 1}")
        return enc.z[op.value], int(enc.labels[op.value])
    if op.kind == "seed":
        return spec.sample_z(1, torch.Generator().manual_seed(int(op.value)))[0], None
    if op.kind == "explore latent":
        return explore.z_tensor(), explore.label
    raise ValueError(f"unknown operand kind {op.kind!r}; choose one of {OPERAND_KINDS}")


def path_states(a: LatentState, b: LatentState, steps: int, method: str = "slerp") -> list[LatentState]:
    """`steps` states from a to b: z by lerp or slerp, continuous codes by lerp; label and category
    switch from a's to b's half way."""
    if not 2 <= steps <= 256:
        raise ValueError("steps must be in 2..256")
    fn = {"lerp": lerp, "slerp": slerp}[method]
    zs = fn(a.z_tensor(), b.z_tensor(), steps)
    ts = torch.linspace(0, 1, steps)
    out = []
    for i, t in enumerate(ts.tolist()):
        near = a if t < 0.5 else b
        cont = (
            tuple((1 - t) * x + t * y for x, y in zip(a.continuous, b.continuous, strict=False)) if a.continuous else ()
        )
        out.append(LatentState(tuple(zs[i].tolist()), near.label, near.category, cont))
    return out
