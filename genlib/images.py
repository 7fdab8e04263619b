"""Image helpers: tensors in [0, 1] -> grids, PNG bytes, nearest-neighbour upscaling."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

# one colour per digit, the same on every map: the app's and the notebook's (plotly's qualitative palette)
DIGIT_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def grid(images: torch.Tensor, nrow: int = 8, pad: int = 2) -> torch.Tensor:
    """(n,1,h,w) in [0,1] -> one (H, W) image with `nrow` images per row, padding dark grey."""
    n, _, h, w = images.shape
    rows = (n + nrow - 1) // nrow
    out = torch.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), 0.25)
    for i in range(n):
        r, c = divmod(i, nrow)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = images[i, 0]
    return out


def to_pil(image: torch.Tensor, scale: int = 1) -> Image.Image:
    """(h, w) or (1,h,w) or (1,1,h,w) in [0,1] -> greyscale PIL image, upscaled by nearest neighbour."""
    a = (image.detach().reshape(image.shape[-2:]).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    img = Image.fromarray(np.ascontiguousarray(a), mode="L")
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale > 1 else img


def png_bytes(image: torch.Tensor, scale: int = 1, levels: int = 256) -> bytes:
    """PNG of an image in [0, 1]; levels < 256 rounds to that many grey levels (16: half the bytes)."""
    if levels < 256:
        image = (image.clamp(0, 1) * (levels - 1)).round() / (levels - 1)
    buf = io.BytesIO()
    to_pil(image, scale).save(buf, format="PNG", optimize=levels < 256)
    return buf.getvalue()


def gif_bytes(frames: torch.Tensor, scale: int = 4, ms_per_frame: int = 80, bounce: bool = True) -> bytes:
    """(n,1,h,w) in [0,1] -> an endlessly looping animated GIF; bounce plays it forward then back
    so an interpolation returns smoothly to its start."""
    imgs = [to_pil(f, scale) for f in frames]
    if bounce and len(imgs) > 2:
        imgs = imgs + imgs[-2:0:-1]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()
