"""A hand-drawn or uploaded digit, made to look like MNIST, and what a model makes of it.

MNIST's recipe (LeCun et al.): the digit's bounding box is scaled, keeping its aspect ratio and
antialiased, so that its longest side is 20 px, then put into a 28×28 field so that its centre of
mass lies at the field's centre. `from_canvas` / `from_upload` do that and return a `Prepared`:
the (1, 28, 28) image, or a message saying why there is none. Nothing here raises on bad input.

`analyse` then encodes, reconstructs and classifies it; `nll` gives a VAE's importance-weighted
negative log-likelihood, and `test_nll_distribution` the same for test digits (cached on disk), so
that a drawing can be placed among real digits: an out-of-distribution score."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..fileio import atomic_write
from .encodings import cache_dir, weights_digest

BOX = 20  # MNIST: the digit's longest side, in px
SIZE = 28  # the field
CENTRE = 14  # where the centre of mass goes (index coordinates, as in the usual MNIST re-creations)
INK = 0.1  # normalised intensity above which a pixel counts as ink (for the bounding box)
MIN_CONTRAST = 0.1  # less than this between background and brightest ink: nothing drawn
MAX_BYTES = 10 * 2**20  # uploads above 10 MiB are refused before decoding
MAX_PIXELS = 25_000_000  # 25 megapixels: a bigger image could be a decompression bomb
WORK_SIDE = 1024  # large uploads are shrunk to this first: the 20-px box needs nothing finer
NLL_K = 100  # importance samples per image for the page's NLL estimates
BINARY_THRESHOLD = 0.5  # the drawing and the test digits are binarised alike for the NLL


@dataclass(frozen=True)
class Prepared:
    image: torch.Tensor | None  # (1, 28, 28) float in [0, 1], ink = 1; None when `message` says why
    message: str | None = None
    notes: tuple[str, ...] = ()  # what was done to an upload (inverted, alpha used as ink, …)
    blank: bool = False  # nothing drawn or given yet: an invitation, not an error

    @property
    def ok(self) -> bool:
        return self.image is not None


# ---------------------------------------------------------------- pixels -> ink
def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3] @ np.array([0.299, 0.587, 0.114])


def _border_level(gray: np.ndarray) -> float:
    """The background's grey level: the median of the outermost pixels."""
    edge = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(edge))


def ink_from_canvas(rgba: np.ndarray) -> np.ndarray:
    """Canvas RGBA (h, w, 4), uint8 or [0, 1] floats, light strokes -> ink in [0, 1]. The canvas's
    transparent parts count as black: it is composited over black, MNIST's background."""
    a = np.asarray(rgba, dtype=np.float64)
    if a.max(initial=0) > 1:
        a = a / 255.0
    if a.ndim == 2:
        return a
    gray = _luminance(a) if a.shape[-1] >= 3 else a[..., 0]
    return gray * a[..., 3] if a.shape[-1] == 4 else gray


def _normalise(ink: np.ndarray) -> np.ndarray | None:
    """Background to 0, the strokes' typical strength to 1 (a photo's grey ink becomes full ink,
    as MNIST's pen strokes are); None if there is no contrast."""
    bg = _border_level(ink)
    peak = float(np.quantile(ink, 0.999))  # robust to a few hot specks ...
    if peak - bg < MIN_CONTRAST:
        peak = float(ink.max())  # ... unless the ink is that small a part of the image
        if peak - bg < MIN_CONTRAST:
            return None
    top = float(np.median(ink[ink >= bg + 0.5 * (peak - bg)]))  # the strokes' cores, not their noise
    return np.clip((ink - bg) / (top - bg), 0.0, 1.0)


# ---------------------------------------------------------------- the MNIST recipe
def mnist_centre(ink: np.ndarray) -> torch.Tensor | None:
    """Ink (h, w) in [0, 1] -> (1, 28, 28): bounding box scaled to 20 px on its longest side, then
    translated (whole pixels, as MNIST) so that the centre of mass is at (14, 14). None if no ink."""
    ys, xs = np.nonzero(ink > INK)
    if len(ys) == 0:
        return None
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    f = BOX / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    # Pillow's bilinear filter widens its support when shrinking: an antialiased, area-weighted result
    small = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.BILINEAR))
    small = np.clip(small, 0.0, 1.0)
    total = small.sum()
    if total <= 0:
        return None
    rows, cols = np.indices(small.shape)
    cy, cx = (rows * small).sum() / total, (cols * small).sum() / total
    # clamped so the whole box stays in the field (only a very lopsided shape needs it)
    top = int(np.clip(round(CENTRE - cy), 0, SIZE - small.shape[0]))
    left = int(np.clip(round(CENTRE - cx), 0, SIZE - small.shape[1]))
    out = torch.zeros(1, SIZE, SIZE)
    out[0, top : top + small.shape[0], left : left + small.shape[1]] = torch.from_numpy(small.copy())
    return out


def _finish(ink: np.ndarray, notes: tuple[str, ...], no_ink: str, blank: bool) -> Prepared:
    norm = _normalise(ink)
    image = None if norm is None else mnist_centre(norm)
    if image is None:
        return Prepared(None, no_ink, notes, blank)
    return Prepared(image, None, notes)


def from_canvas(rgba: np.ndarray | None) -> Prepared:
    """The canvas's RGBA image (light strokes on a dark or transparent background)."""
    if rgba is None or np.asarray(rgba).size == 0:
        return Prepared(None, "Draw a digit on the canvas (or upload an image).", blank=True)
    return _finish(ink_from_canvas(rgba), (), "The canvas is blank: draw a digit on it (or upload an image).", True)


# ---------------------------------------------------------------- uploads
def _open(data: bytes) -> Image.Image | str:
    """A decoded PIL image or a message. Pillow's own decompression-bomb guard is made an error."""
    if len(data) == 0:
        return "The file is empty."
    if len(data) > MAX_BYTES:
        return f"The file is {len(data) / 2**20:.1f} MiB; images up to {MAX_BYTES // 2**20} MiB are accepted."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
            w, h = img.size
            if w * h > MAX_PIXELS:
                return (
                    f"The image is {w:,} × {h:,} px ({w * h / 1e6:.0f} megapixels); images up to "
                    f"{MAX_PIXELS / 1e6:.0f} megapixels are accepted. Shrink it and try again."
                )
            img.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG: decode at a reduced scale, cheaply
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (
            "The image claims an enormous size (a possible decompression bomb); "
            f"up to {MAX_PIXELS / 1e6:.0f} megapixels are accepted."
        )
    except UnidentifiedImageError:
        return "This file is not an image Pillow can read: upload a PNG or JPEG."
    except (OSError, ValueError, SyntaxError) as e:
        return f"The image could not be decoded ({e}). Is the file complete?"
    return img


def _to_array(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """(grey in [0, 1], alpha in [0, 1] or None), photo orientation applied, long side ≤ WORK_SIDE."""
    img = ImageOps.exif_transpose(img)
    img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    alpha = None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0
        return _luminance(rgba), rgba[..., 3]
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float greys: scale by their own range
        a = np.asarray(img.convert("F"), dtype=np.float64)
        span = a.max() - a.min()
        return (a - a.min()) / span if span > 0 else np.zeros_like(a), alpha
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0, alpha


def ink_from_upload(gray: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Ink from an uploaded image's grey levels (and alpha): a transparent image's opacity is its
    ink; otherwise a light background (paper) is inverted so the digit becomes light on dark."""
    if alpha is not None and (alpha < 0.5).mean() > 0.5:  # mostly see-through: the opaque part is the drawing
        return alpha, (
            "The image is transparent: its opacity (alpha channel) was used as the ink, "
            "whatever the colour of the strokes.",
        )
    notes = ()
    if alpha is not None and (alpha < 1).any():  # mostly opaque: composite the see-through bits over white paper
        gray = gray * alpha + (1 - alpha)
        notes += ("Its transparent parts were treated as white paper.",)
    if _border_level(gray) > 0.5:
        return 1.0 - gray, notes + (
            "The background is light, so the image was inverted (MNIST is light ink on black).",
        )
    return gray, notes


def from_upload(data: bytes) -> Prepared:
    """An uploaded PNG/JPEG/… file's bytes."""
    img = _open(data)
    if isinstance(img, str):
        return Prepared(None, img)
    gray, alpha = _to_array(img)
    ink, notes = ink_from_upload(gray, alpha)
    return _finish(ink, notes, "No digit found in the image: it is one flat colour.", False)


# ---------------------------------------------------------------- what a model makes of it
@dataclass
class Analysis:
    probs: torch.Tensor  # (10,) classifier probabilities
    label: int | None  # the label the model was given (label-conditioned models), else None
    z: torch.Tensor  # (1, z_dim)
    codes: dict | None  # InfoGAN: the codes inferred by Q and used for the reconstruction
    reconstruction: torch.Tensor  # (1, 28, 28)
    nll: float | None = None  # nats, VAE family only
    top: list = field(default_factory=list)  # [(digit, probability)] × 3, most likely first

    @property
    def prediction(self) -> int:
        return int(self.probs.argmax())


def binarise(x: torch.Tensor) -> torch.Tensor:
    """Thresholding: the most likely of the Bernoulli images the model was trained on."""
    return (x > BINARY_THRESHOLD).float()


def nll(model, x: torch.Tensor, labels: torch.Tensor | None = None, k: int = NLL_K, seed: int = 0) -> torch.Tensor:
    """(n,) importance-weighted −log p(x) in nats of images x (n, 1, 28, 28), binarised first.
    Seeded in a private RNG so the page's number does not flicker between reruns."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return -model.log_likelihood(binarise(x), labels, k=k)


@torch.no_grad()
def analyse(model, classifier, image: torch.Tensor, label: int | None = None, k: int = NLL_K) -> Analysis:
    """Classify `image` (1, 28, 28), encode it with `model` (a label-conditioned model gets `label`,
    or the classifier's digit when None), decode its z with the same label (InfoGAN: with the codes
    its Q network infers) and, for models with a likelihood, estimate its NLL."""
    x = image.reshape(1, 1, SIZE, SIZE).float()
    probs = classifier(x).softmax(1)[0]
    spec = model.latent
    labels = None
    if spec.n_classes is not None:
        label = int(probs.argmax()) if label is None else int(label)
        labels = torch.tensor([label])
    else:
        label = None
    z = model.encode(x, labels)
    codes = None
    if spec.has_codes:  # the codes encode() refined z for (InfoGAN: Q's reading, checked by reconstruction)
        codes = model.codes_for(x)
    recon = model.decode(z, labels, codes)[0]
    value = float(nll(model, x, labels, k)[0]) if model.has_likelihood else None
    p, d = probs.topk(3)
    return Analysis(probs, label, z, codes, recon, value, [(int(i), float(v)) for v, i in zip(p, d, strict=True)])


def test_nll_distribution(
    model, name: str, split=None, n: int = 1000, k: int = NLL_K, cache: Path | None = None
) -> np.ndarray:
    """NLLs (nats) of the first n test digits, binarised and estimated as `nll` does (true labels
    for label-conditioned models). Cached on disk, keyed by the weights, like the encodings."""
    if split is None:
        from ..data import load_split

        split = load_split(False)
    n = min(n, len(split))
    path = Path(cache or cache_dir()) / f"{name}-nll-{weights_digest(model)[:20]}-{n}-k{k}-t{BINARY_THRESHOLD}.npy"
    if path.is_file():
        try:
            return np.load(path)
        except (OSError, ValueError):
            pass  # a corrupt cache file is recomputed and overwritten
    labels = split.labels[:n] if model.latent.n_classes is not None else None
    with torch.no_grad():
        values = nll(model, split.unit_images(slice(n)), labels, k).numpy()
    buf = io.BytesIO()
    np.save(buf, values)
    try:
        atomic_write(path, buf.getvalue())
    except OSError:
        pass  # a read-only home still works, only slower
    return values


def percentile(value: float, distribution: np.ndarray) -> float:
    """Share (in %) of the distribution at or below `value`: 99.9 = less likely than almost every test digit."""
    return 100.0 * float((np.asarray(distribution) <= value).mean())
