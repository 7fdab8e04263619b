"""A model's architecture as the Models page lists it: each top-level submodule, its role (encoder, decoder, G, D,
Q, inverter), its layers, output shape and parameter count, found by running the model's public paths once."""

from __future__ import annotations

import copy

import torch

# what each top-level submodule is, by the attribute names the model files use
ROLES = {
    "encoder": "encoder",
    "mu": "encoder",
    "logvar": "encoder",
    "decoder": "decoder",
    "generator": "G",
    "body": "D",
    "head": "D",
    "embed": "D",
    "q": "Q",
    "inverter": "inverter",
}


def _shape(out) -> str:
    t = (
        out
        if torch.is_tensor(out)
        else next((o for o in out if torch.is_tensor(o)), None)
        if isinstance(out, (tuple, list))
        else None
    )
    return "×".join(str(d) for d in t.shape[1:]) if t is not None else "–"


def _layer(mod) -> str:
    """A leaf layer in a few characters: Linear 784→512, Conv 1→32 k4 s2, BN, LeakyReLU…"""
    from torch import nn

    if isinstance(mod, nn.Linear):
        return f"Linear {mod.in_features}→{mod.out_features}"
    if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
        kind = "ConvT" if isinstance(mod, nn.ConvTranspose2d) else "Conv"
        return f"{kind} {mod.in_channels}→{mod.out_channels} k{mod.kernel_size[0]} s{mod.stride[0]}"
    if isinstance(mod, nn.Embedding):
        return f"Embedding {mod.num_embeddings}×{mod.embedding_dim}"
    return {"BatchNorm1d": "BN", "BatchNorm2d": "BN"}.get(type(mod).__name__, type(mod).__name__)


def layers(module) -> str:
    """The leaf layers of a module in order, e.g. "Linear 784→512 · ReLU · Linear 512→256"."""
    leaves = [m for m in module.modules() if not any(True for _ in m.children())]
    return " · ".join(_layer(m) for m in leaves if type(m).__name__ != "Identity")


@torch.no_grad()
def architecture(model) -> list[dict]:
    """One row per top-level submodule: name, role (ROLES), type, output shape per image, its leaf
    layers, parameters.
    Shapes come from running a copy of the model on two inputs through every public path it has
    (decode, encode, and the discriminator where there is one)."""
    m = copy.deepcopy(model).eval()  # hooks go on a copy: the app's cached model is shared
    shapes: dict[str, str] = {}

    def hook(name):
        def record(mod, inp, out):  # returns None: a hook that returns a value replaces the output
            shapes.setdefault(name, _shape(out))

        return record

    for name, child in m.named_children():
        child.register_forward_hook(hook(name))
    spec, g = m.latent, torch.Generator().manual_seed(0)
    labels = torch.arange(2) % spec.n_classes if spec.n_classes else None
    x = m.decode(spec.sample_z(2, g), labels, spec.sample_codes(2, g))
    m.encode(x, labels)
    if m.has_discriminator:
        m.discriminate(x * 2 - 1, labels)
    return [
        {
            "part": name,
            "role": ROLES.get(name, name),
            "type": type(child).__name__,
            "output": shapes.get(name, "–"),
            "layers": layers(child),
            "params": sum(p.numel() for p in child.parameters()),
        }
        for name, child in m.named_children()
    ]


def params_by_role(rows: list[dict]) -> dict[str, int]:
    """Parameter counts summed per role (encoder/decoder, G/D/Q/inverter), in first-seen order."""
    out: dict[str, int] = {}
    for r in rows:
        out[r["role"]] = out.get(r["role"], 0) + r["params"]
    return out
