"""Image grids that make a model's latent structure visible (the app's "Conditional grids" page):
label rows with noise shared per column (CGAN, CVAE), InfoGAN code traversals, per-dimension
traversals ordered by KL (VAE family), and plain random samples. Which grids apply is read from
`model.latent` and the model's methods, never from its name."""

from __future__ import annotations

import io
from dataclasses import dataclass

import torch
from PIL import Image, ImageDraw, ImageFont

from .. import checkpoint, images

LABELS, CODES, TRAVERSAL = "labels", "codes", "traversal"


@dataclass
class Grid:
    images: torch.Tensor  # (rows, cols, 1, 28, 28) in [0, 1]
    z: torch.Tensor  # (rows, cols, z_dim): the latent each cell was decoded from
    row_labels: list[str]
    col_labels: list[str]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.images.shape[:2])

    def tile(self, pad: int = 2) -> torch.Tensor:
        """One (H, W) image of all cells, row by row."""
        return images.grid(self.images.flatten(0, 1), nrow=self.shape[1], pad=pad)

    def png(self, scale: int = 3) -> bytes:
        """The tiled grid upscaled, with its row and column labels written beside it."""
        return labelled_png(self.tile(), self.row_labels, self.col_labels, scale)


def kinds(model) -> list[str]:
    """The structured grids this model supports (empty for a plain GAN)."""
    spec, out = model.latent, []
    if spec.n_classes is not None:
        out.append(LABELS)
    if spec.categorical and spec.continuous:
        out.append(CODES)
    if model.has_posterior:  # an encoder posterior to measure each dimension's use by
        out.append(TRAVERSAL)
    return out


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def seed_z(model, seed: int) -> torch.Tensor:
    """(z_dim,) the prior draw of `seed` (a base point for traversals)."""
    return model.latent.sample_z(1, _generator(seed))[0]


def _num(v: float) -> str:
    """A column heading: signed, at most two decimals, no trailing zeros (-1, -0.75, +0, +0.5)."""
    return f"{v:+.2f}".rstrip("0").rstrip(".")


def _decode(model, z: torch.Tensor, labels=None, codes=None) -> torch.Tensor:
    """Decode a (rows, cols, z_dim) block row-major; labels/codes are flat (rows*cols,)."""
    rows, cols, _ = z.shape
    return model.decode(z.reshape(rows * cols, -1), labels, codes).view(rows, cols, 1, 28, 28)


# ---------------------------------------------------------------- label rows (CGAN, CVAE)
def label_grid(model, n_cols: int = 8, seed: int = 0) -> Grid:
    """One row per label; column j of every row decodes the same z_j (and the same codes, if any),
    so a column holds one "style" across all digits."""
    spec = model.latent
    if spec.n_classes is None:
        raise ValueError("this model has no label condition (latent.n_classes is None)")
    g = _generator(seed)
    z_cols = spec.sample_z(n_cols, g)
    k = spec.n_classes
    z = z_cols.unsqueeze(0).expand(k, -1, -1)
    labels = torch.arange(k).repeat_interleave(n_cols)
    codes = spec.sample_codes(n_cols, g)
    if codes is not None:
        codes = {key: v.repeat(k, *[1] * (v.ndim - 1)) for key, v in codes.items()}
    return Grid(
        _decode(model, z, labels, codes),
        z.clone(),
        [f"label {d}" for d in range(k)],
        [f"z{j + 1}" for j in range(n_cols)],
    )


# ---------------------------------------------------------------- InfoGAN codes
def checkpoint_metrics(folder) -> dict:
    """A checkpoint's metrics.json, or {} when it is absent or unreadable."""
    try:
        return checkpoint.read_metrics(folder)
    except checkpoint.CheckpointError:
        return {}


def code_matching(metrics: dict | None, n_cat: int) -> tuple[list[int] | None, float | None]:
    """(code -> digit list, code accuracy) from a checkpoint's metrics.json, or Nones when absent or
    not one digit per categorical value."""
    metrics = metrics or {}
    mapping, acc = metrics.get("code_to_digit"), metrics.get("code_accuracy")
    ok = isinstance(mapping, list) and len(mapping) == n_cat and all(isinstance(d, int) for d in mapping)
    return (mapping if ok else None), (float(acc) if isinstance(acc, (int, float)) else None)


def code_grid(
    model,
    sweep: int = 0,
    low: float = -1.0,
    high: float = 1.0,
    n_cols: int = 9,
    fixed: float | list[float] = 0.0,
    seed: int = 0,
    code_to_digit: list[int] | None = None,
) -> Grid:
    """Rows = categorical code values, columns = continuous code `sweep` from low to high, the other
    continuous codes at `fixed` (one value for all, or one per code; the swept one is ignored), one z
    (from `seed`) for every cell. With `code_to_digit` the rows
    are sorted by the digit each value was matched to and labelled with it."""
    spec = model.latent
    if not (spec.categorical and spec.continuous):
        raise ValueError("this model has no categorical + continuous codes")
    n_cat, n_cont = spec.categorical[0], len(spec.continuous)
    if not 0 <= sweep < n_cont:
        raise ValueError(f"sweep must be a continuous code index 0..{n_cont - 1}")
    rows = list(range(n_cat))
    if code_to_digit is not None:
        rows.sort(key=lambda c: code_to_digit[c])
    values = torch.linspace(low, high, n_cols)
    fixed = torch.as_tensor(fixed, dtype=torch.float32).reshape(-1).expand(n_cont)
    cont = fixed.repeat(len(rows), n_cols, 1)
    cont[:, :, sweep] = values
    cat = torch.tensor(rows).repeat_interleave(n_cols)
    z = spec.sample_z(1, _generator(seed)).expand(len(rows), n_cols, -1)
    imgs = _decode(model, z, codes={"categorical": cat, "continuous": cont.reshape(-1, n_cont)})
    names = [f"code {c}: digit {code_to_digit[c]}" if code_to_digit else f"code {c}" for c in rows]
    name = spec.continuous[sweep].name
    return Grid(imgs, z.clone(), names, [f"{name}={_num(v)}" for v in values.tolist()])


# ---------------------------------------------------------------- per-dimension traversals (VAE family)
@torch.no_grad()
def dimension_kl(model, x: torch.Tensor, labels=None, batch: int = 1000) -> torch.Tensor:
    """(z_dim,) average KL(q(z_i|x) ‖ N(0,1)) over the images x; ≈ 0 marks an unused dimension."""
    parts = [
        model.kl_per_dim(x[i : i + batch], None if labels is None else labels[i : i + batch]) * len(x[i : i + batch])
        for i in range(0, len(x), batch)
    ]
    return torch.stack(parts).sum(0) / len(x)


def kl_order(kl: torch.Tensor) -> list[int]:
    """Dimensions by decreasing KL (ties keep index order)."""
    return sorted(range(len(kl)), key=lambda i: (-float(kl[i]), i))


def traversal_grid(
    model,
    kl: torch.Tensor,
    n_cols: int = 9,
    span: float = 3.0,
    n_rows: int | None = 12,
    base: torch.Tensor | None = None,
    label: int | None = None,
) -> Grid:
    """Row r sweeps the r-th most used latent dimension (by `kl`) from −span to span, every other
    dimension at `base` (default 0, the prior mean); `label` is required by conditional models."""
    spec = model.latent
    if kl.shape != (spec.z_dim,):
        raise ValueError(f"kl has shape {tuple(kl.shape)}; expected ({spec.z_dim},)")
    dims = kl_order(kl)[:n_rows]
    base = torch.zeros(spec.z_dim) if base is None else spec.check_z(base).reshape(-1)
    values = torch.linspace(-span, span, n_cols)
    z = base.repeat(len(dims), n_cols, 1)
    for r, d in enumerate(dims):
        z[r, :, d] = values
    labels = None
    if spec.n_classes is not None:
        labels = spec.check_labels(torch.tensor([0 if label is None else label]), 1).expand(len(dims) * n_cols)
    return Grid(
        _decode(model, z, labels),
        z,
        [f"z[{d}]  KL {float(kl[d]):.2f}" for d in dims],
        [_num(v) for v in values.tolist()],
    )


# ---------------------------------------------------------------- random samples (any model)
def sample_grid(model, n_rows: int = 4, n_cols: int = 10, seed: int = 0) -> Grid:
    """n_rows × n_cols samples from the prior (labels and codes from theirs too)."""
    g = _generator(seed)
    spec = model.latent
    z = spec.sample_z(n_rows * n_cols, g)
    n = len(z)
    labels = torch.randint(0, spec.n_classes, (n,), generator=g) if spec.n_classes is not None else None
    imgs = model.decode(z, labels, spec.sample_codes(n, g)).view(n_rows, n_cols, 1, 28, 28)
    return Grid(imgs, z.view(n_rows, n_cols, -1), [""] * n_rows, [""] * n_cols)


# ---------------------------------------------------------------- rendering
def labelled_png(
    tile: torch.Tensor, row_labels: list[str], col_labels: list[str], scale: int = 3, cell: int = 28, pad: int = 2
) -> bytes:
    """PNG of a tiled grid (from images.grid, `pad` px between cells) with row labels on the left
    and column labels on top; rows/columns without text get no margin."""
    img = images.to_pil(tile, scale)
    font = ImageFont.load_default(size=max(10, 4 * scale + 1))
    probe = ImageDraw.Draw(img)
    left = int(max((probe.textlength(t, font=font) for t in row_labels), default=0))
    left = left + 8 if left else 0
    top = font.size + 8 if any(col_labels) else 0
    out = Image.new("L", (img.width + left, img.height + top), 255)
    out.paste(img, (left, top))
    draw, step = ImageDraw.Draw(out), (cell + pad) * scale
    for r, text in enumerate(row_labels):
        y = top + pad * scale + r * step + (cell * scale - font.size) // 2
        draw.text((left - 4, y), text, fill=0, font=font, anchor="ra")
    for j, text in enumerate(col_labels):
        x = left + pad * scale + j * step + cell * scale // 2
        draw.text((x, top - 4), text, fill=0, font=font, anchor="md")
    return _png(out)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
