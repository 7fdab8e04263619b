"""Data-parallel training under torchrun: one process per device, DistributedDataParallel averaging the
gradients, and every rank taking its slice of each global batch.

All ranks walk the same global batch order (same seed) and draw the same global noise, then keep
their slice: N ranks with B/N images each compute the same mean gradient as one process with B, so
the updates match a single-process run up to float error — except for what is computed per rank:
batch-norm statistics (over B/N images, as DDP does by default; the GANs' BN layers) and dropout
masks (the MLP GAN's discriminator). Without torchrun (no WORLD_SIZE > 1) everything here is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

# rank 0 measures a finished model (minutes) while the others wait at the next collective call
TIMEOUT = timedelta(hours=2)


def backend_for(device: str) -> str:
    """NCCL between GPUs, Gloo between CPU processes."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def world() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if world() > 1 else 0


def is_main() -> bool:
    """Rank 0 (or the only process): the one that writes checkpoints, samples, history, logs and bars."""
    return rank() == 0


def setup(device: str = "cpu") -> int:
    """Join the process group torchrun describes in RANK/WORLD_SIZE/LOCAL_RANK (once); the world size."""
    if world() > 1 or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return world()
    if torch.device(device).type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))  # plain "cuda" is now this rank's GPU
    dist.init_process_group(backend_for(device), timeout=TIMEOUT)
    return world()


def cleanup() -> None:
    if world() > 1:
        dist.destroy_process_group()


def barrier() -> None:
    if world() > 1:
        dist.barrier()


@contextlib.contextmanager
def main_first():
    """Rank 0 runs the block first (e.g. fetching MNIST into a shared folder), then the others."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


def shard(obj):
    """This rank's slice (along dim 0) of a global batch: a tensor, a dict or tuple of them, or None."""
    if world() == 1 or obj is None:
        return obj
    if isinstance(obj, dict):
        return {k: shard(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return type(obj)(shard(v) for v in obj)
    return obj.tensor_split(world())[rank()]


def mean(values: dict) -> dict[str, float]:
    """Scalars (0-dim tensors) averaged over ranks, as floats: the global batch's means, since shards are
    equal. Every rank gets the same numbers, so a NaN stops all of them, not just one."""
    t = torch.stack([v.detach().float().reshape(()) for v in values.values()])
    if world() > 1:
        dist.all_reduce(t)
        t /= world()
    return dict(zip(values, t.tolist(), strict=True))


class Step(nn.Module):
    """Runs a loss function `fn(model, *args)` as this module's forward. DDP synchronises the gradients
    of what happens inside forward(), and our models are driven through several methods (elbo_terms,
    generate, discriminate), so each training step's whole loss goes through one forward call."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, fn, *args):
        return fn(self.model, *args)


def wrap(model: nn.Module, partial: bool = False) -> nn.Module:
    """Step(model), inside DistributedDataParallel when there are several ranks (which also broadcasts
    rank 0's initial weights to all). partial: steps leave some parameters out of the graph (a GAN's
    discriminator step: G and the inversion encoder), which DDP must then look for every step."""
    step = Step(model)
    if world() == 1:
        return step
    return nn.parallel.DistributedDataParallel(step, find_unused_parameters=partial)
