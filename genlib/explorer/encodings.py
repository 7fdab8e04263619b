"""Encodings of the MNIST test set and what the explorer derives from them: a slider basis
ordered by variance, a 2-D projection, the nearest training image, a decoded 2-D manifold.

Encoding 10,000 images takes seconds, so encodings are cached on disk under
~/.cache/genlib/encodings (or $GENLIB_CACHE/encodings), keyed by a digest of the model's weights:
a retrained model gets fresh encodings, an unchanged one never pays twice."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

from .. import checkpoint
from ..checkpoint import weights_digest  # noqa: F401 - drawing and tests use it from here
from ..fileio import atomic_write
from ..latent import pca_2d
from ..paths import cache_root

SHOWN_DIRECTIONS = 12  # sliders shown before the expander
TSNE_FILE = "tsne.safetensors"  # beside a checkpoint: the t-SNE map of its test encodings


@dataclass(frozen=True)
class Encodings:
    z: torch.Tensor  # float32 (n, d)
    labels: torch.Tensor  # int64 (n,)
    # models with InfoGAN-style codes: the codes each z was refined for ({"categorical": int64 (n,),
    # "continuous": float32 (n, k)}); a digit's encoding decodes to that digit only with its own codes
    codes: dict | None = None


def cache_dir() -> Path:
    return cache_root() / "encodings"


@torch.no_grad()
def encode_images(model, x: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """(n, d) encodings; labels are passed to models that condition on them."""
    conditional = model.latent.n_classes is not None
    out = [
        model.encode(x[i : i + batch], labels[i : i + batch] if conditional else None) for i in range(0, len(x), batch)
    ]
    return torch.cat(out).float()


@torch.no_grad()
def codes_of(model, x: torch.Tensor, batch: int = 1000) -> dict | None:
    """The codes `encode` refines each image's z for (model.codes_for), or None for a model without codes."""
    if not model.latent.has_codes:
        return None
    parts = [model.codes_for(x[i : i + batch]) for i in range(0, len(x), batch)]
    return {
        "categorical": torch.cat([p["categorical"] for p in parts]).long(),
        "continuous": torch.cat([p["continuous"] for p in parts]).float(),
    }


def encode_test_set(model, name: str, split=None, cache: Path | None = None) -> Encodings:
    """The encodings of the MNIST test split (or `split`), from the disk cache when present."""
    if split is None:
        from ..data import load_split

        split = load_split(False)
    cache = Path(cache) if cache else cache_dir()
    digest = hashlib.sha256(weights_digest(model).encode() + split.images.numpy().tobytes()).hexdigest()
    path = cache / f"{name}-{digest[:20]}-{len(split)}.npz"
    if path.is_file():
        try:
            with np.load(path) as f:
                codes = None
                if model.latent.has_codes:  # a file written before codes were kept lacks them: recomputed
                    codes = {k: torch.from_numpy(f[k]) for k in ("categorical", "continuous")}
                return Encodings(torch.from_numpy(f["z"]), torch.from_numpy(f["labels"]), codes)
        except (OSError, ValueError, KeyError):
            pass  # a corrupt cache file is recomputed and overwritten
    x = split.unit_images()
    z, codes = encode_images(model, x, split.labels), codes_of(model, x)
    buf = io.BytesIO()
    np.savez(buf, z=z.numpy(), labels=split.labels.numpy(), **{k: v.numpy() for k, v in (codes or {}).items()})
    try:
        atomic_write(path, buf.getvalue())
    except OSError:
        pass  # a read-only home still works, only slower
    return Encodings(z, split.labels.clone(), codes)


# ---------------------------------------------------------------- slider basis
@dataclass(frozen=True)
class Basis:
    """Orthonormal directions of the latent space (rows), largest encoded variance first.
    Slider i shows the coordinate of z along row i: coords = V z, z = Vᵀ coords. Rotating an
    isotropic prior keeps it N(0, I), so every slider has the prior's scale."""

    vectors: torch.Tensor  # (d, d)
    std: torch.Tensor  # (d,) spread of the encodings along each direction
    names: tuple[str, ...]
    spread_of: str = "test-set"  # what `std` was measured on, for the sliders' labels

    def coords(self, z: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(z, dtype=torch.float32) @ self.vectors.T

    def latent(self, coords: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(coords, dtype=torch.float32) @ self.vectors

    def set_coord(self, z: torch.Tensor, i: int, value: float) -> torch.Tensor:
        """z moved along direction i so that its coordinate there is `value`."""
        c = self.coords(z)
        c[..., i] = value
        return self.latent(c)


def slider_basis(z: torch.Tensor, shown: int = SHOWN_DIRECTIONS) -> Basis:
    """Up to `shown` dimensions: the raw axes. Above: principal directions of the encodings z (n, d),
    so the first sliders move along what the data varies along most."""
    z = torch.as_tensor(z, dtype=torch.float64)
    d = z.shape[1]
    if d <= shown:
        return Basis(torch.eye(d), z.std(0).float(), tuple(f"z{i + 1}" for i in range(d)))
    centred = z - z.mean(0)
    # the thin SVD gives all d directions when n ≥ d; the full one also built an n×n U (10k test digits:
    # 800 MB and seconds of CPU per model, the app's slowest step, docs/results.md)
    _, s, vt = torch.linalg.svd(centred, full_matrices=len(z) < d)
    # a deterministic sign: the largest component of each direction is positive
    flip = torch.sign(vt.gather(1, vt.abs().argmax(1, keepdim=True)))
    vt = vt * flip
    std = (centred @ vt.T).std(0)
    return Basis(vt.float(), std.float(), tuple(f"PC{i + 1}" for i in range(d)))


def axes_basis(d: int) -> Basis:
    """The raw axes at the prior's scale: the sliders of a model without an encoder (no encodings to analyse)."""
    return Basis(torch.eye(d), torch.ones(d), tuple(f"z{i + 1}" for i in range(d)), "prior")


def slider_hint(basis: Basis, shown: int, rest: str = "below") -> str:
    """What the sliders move z along, when there are more directions than the `shown` sliders; else ""."""
    d = len(basis.names)
    if d <= shown:
        return ""
    along = (
        f"the {shown} directions in which the encoded test digits vary most (PC1 most)"
        if basis.spread_of == "test-set"
        else f"its first {shown} axes (without an encoder there are no encodings to find the digits' directions in)"
    )
    return f"z has {d} dimensions. The sliders move z along {along}; the rest are {rest}."


def slider_values(coords: torch.Tensor, limit: float) -> list[float]:
    """Coordinates clipped into the sliders' range and rounded to their step."""
    return [round(float(v), 2) for v in torch.as_tensor(coords).clamp(-limit, limit).reshape(-1)]


# ---------------------------------------------------------------- map
PROJECTIONS = ("PCA", "t-SNE")


@dataclass(frozen=True)
class Projection:
    """2-D coordinates of the encodings (xy) and a way to place any other latent on the same map."""

    xy: torch.Tensor  # (n, 2)
    mean: torch.Tensor
    components: torch.Tensor  # (d, 2)
    method: str = "PCA"
    z: torch.Tensor | None = None  # t-SNE: the encodings the map was fitted on (new points go by neighbours)

    def project(self, z: torch.Tensor, k: int = 10) -> torch.Tensor:
        z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, self.mean.shape[0])
        if self.z is None:
            return (z - self.mean) @ self.components
        # t-SNE has no map for new points: put each at the inverse-distance-weighted mean of the map
        # positions of its k nearest encodings (exact for a point that is one of them)
        d, idx = torch.cdist(z, self.z).topk(min(k, len(self.z)), largest=False)
        w = 1.0 / (d + 1e-6)
        return (self.xy[idx] * w[..., None]).sum(1) / w.sum(1, keepdim=True)


def project_pca(enc: Encodings) -> Projection:
    xy, mean, comps = pca_2d(enc.z)
    return Projection(xy, mean, comps)


def project_tsne(
    enc: Encodings, cache: Path | None = None, seed: int = 0, shipped: torch.Tensor | None = None
) -> Projection:
    """t-SNE of the encodings (openTSNE, PCA initialisation): under a minute for 10k points on this 2-core CPU,
    so the coordinates come from `shipped` (made at train time: shipped_tsne) when given, else from a disk
    cache keyed by the encodings themselves, else are computed and cached."""
    z = enc.z.float()
    xy = shipped if shipped is not None and shipped.shape == (len(z), 2) else None
    key = hashlib.sha256(z.numpy().tobytes() + str(seed).encode()).hexdigest()[:20]
    path = (Path(cache) if cache else cache_dir()) / f"tsne-{key}-{len(z)}.npy"
    if xy is None and path.is_file():
        try:
            xy = torch.from_numpy(np.load(path))
        except (OSError, ValueError):
            xy = None  # a corrupt cache file is recomputed
    if xy is None or xy.shape != (len(z), 2):
        from openTSNE import TSNE

        # openTSNE's FFT-accelerated gradients: ~3× faster than scikit-learn's Barnes-Hut here. One
        # thread: with two, a busy CPU made a 1-second fit take a minute (spinning OpenMP threads).
        perplexity = min(30.0, max(1.0, (len(z) - 1) / 3))
        xy = np.asarray(TSNE(perplexity=perplexity, n_jobs=1, random_state=seed).fit(z.numpy().astype(np.float64)))
        xy = torch.from_numpy(xy.astype(np.float32))
        buf = io.BytesIO()
        np.save(buf, xy.numpy())
        try:
            atomic_write(path, buf.getvalue())
        except OSError:
            pass  # read-only cache: recompute next time
    return Projection(xy.float(), z.mean(0), torch.zeros(z.shape[1], 2), method="t-SNE", z=z)


def ship_tsne(model, folder: Path | str, split=None, cache: Path | None = None) -> Path:
    """Write the t-SNE map of `model`'s test encodings beside its checkpoint in `folder` (train.py does, so that no
    visitor waits a minute for it), tagged with the checkpoint's weights digest: a retrain makes it stale."""
    folder = Path(folder)
    xy = project_tsne(encode_test_set(model, folder.name, split, cache), cache).xy
    digest = checkpoint.read_extra(folder, checkpoint.CONFIG)["weights_sha256"]
    atomic_write(folder / TSNE_FILE, st_save({"xy": xy.contiguous()}, metadata={"weights_sha256": digest}))
    return folder / TSNE_FILE


def shipped_tsne(folder: Path | str) -> torch.Tensor | None:
    """The t-SNE map shipped beside the checkpoint in `folder`, if it was made from its current weights."""
    try:
        digest = checkpoint.read_extra(folder, checkpoint.CONFIG, {}).get("weights_sha256")
        with safe_open(str(Path(folder) / TSNE_FILE), framework="pt") as f:
            if digest is None or (f.metadata() or {}).get("weights_sha256") != digest:
                return None
            return f.get_tensor("xy").float()
    except (OSError, ValueError, SafetensorError, checkpoint.CheckpointError):
        return None  # none shipped, or unreadable: the map is computed as for any retrained model


@torch.no_grad()
def manifold_grid(
    model, n: int = 15, extent: float = 2.5, label: int | None = None, codes: dict | None = None
) -> torch.Tensor:
    """(n*n, 1, 28, 28): decodings of an n×n grid over [-extent, extent]² of a 2-D latent, rows from
    top (high z2) to bottom, as in Kingma & Welling's figure."""
    spec = model.latent
    if spec.z_dim != 2:
        raise ValueError(f"a manifold grid needs a 2-D latent; this one has {spec.z_dim}")
    t = torch.linspace(-extent, extent, n)
    z = torch.stack([torch.stack([x, y]) for y in t.flip(0) for x in t])
    labels = torch.full((len(z),), label or 0, dtype=torch.long) if spec.n_classes is not None else None
    if spec.has_codes and codes is None:
        codes = {
            "categorical": torch.zeros(len(z), dtype=torch.long),
            "continuous": torch.zeros(len(z), len(spec.continuous)),
        }
    return model.decode(z, labels, codes)


# ---------------------------------------------------------------- nearest neighbour
def nearest_image(image: torch.Tensor, images_uint8: torch.Tensor, chunk: int = 10000) -> tuple[int, float]:
    """(index, Euclidean pixel distance in [0,1] units) of the image in `images_uint8` (N, 28, 28)
    closest to `image` (28×28 in [0, 1]); chunked so the 60k training set needs no float copy."""
    q = torch.as_tensor(image, dtype=torch.float32).reshape(1, -1)
    best_i, best_d = -1, float("inf")
    for start in range(0, len(images_uint8), chunk):
        x = images_uint8[start : start + chunk].reshape(-1, q.shape[1]).float().div_(255.0)
        d2 = (x * x).sum(1) - 2 * (x @ q.T).squeeze(1) + (q * q).sum()
        i = int(d2.argmin())
        if float(d2[i]) < best_d:
            best_i, best_d = start + i, float(d2[i])
    return best_i, max(best_d, 0.0) ** 0.5
