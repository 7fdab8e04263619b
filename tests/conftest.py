import os

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))

import genlib  # noqa: E402

ALL = sorted(genlib.MODELS)
# tiny configs: each model builds and runs in milliseconds
TINY = {
    "vae": dict(z_dim=4, hidden=(32, 16)),
    "cvae": dict(z_dim=3, hidden=(32, 16)),
    "gan": dict(z_dim=8, g_hidden=(16, 32), d_hidden=(32, 16)),
    "dcgan": dict(z_dim=8, width=4),
    "cgan": dict(z_dim=8, width=4),
    "infogan": dict(z_dim=8, width=4, q_hidden=8, fc=8),
}


def tiny(name: str):
    torch.manual_seed(0)
    return genlib.build(name, **TINY[name])


def inputs(model, n: int, seed: int = 0):
    """z, labels, codes matching the model's latent spec."""
    g = torch.Generator().manual_seed(seed)
    spec = model.latent
    z = spec.sample_z(n, g)
    labels = torch.randint(0, spec.n_classes, (n,), generator=g) if spec.n_classes else None
    return z, labels, spec.sample_codes(n, g)


def shipped(name: str) -> bool:
    return (genlib.CHECKPOINTS / name / "model.safetensors").is_file()


@pytest.fixture(scope="session")
def mnist_test():
    from genlib import data

    return data.load_split(False)


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    """A 200-image MNIST-format data folder taken from the real set (fast training tests)."""
    import numpy as np

    from genlib import data

    root = tmp_path_factory.mktemp("tiny-mnist")
    raw = data.raw_dir(root)
    for split, n in (("train", 192), ("test", 64)):
        s = data.load_split(split == "train")
        data.write_idx(raw / data.IDX_FILES[f"{split}_images"], s.images[:n].numpy())
        data.write_idx(raw / data.IDX_FILES[f"{split}_labels"], s.labels[:n].numpy().astype(np.uint8))
    return root
