"""genlib.explorer.drawing: the MNIST recipe (20-px box, centre of mass at (14, 14)), uploads and their
failure messages, and what the shipped models make of re-drawn test digits and of non-digits."""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import genlib
from genlib.explorer import drawing
from genlib.models.classifier import Classifier
from helpers import ALL, need, tiny


def canvas(paint, size=280, mode="L", bg=0) -> Image.Image:
    img = Image.new(mode, (size, size), bg)
    paint(ImageDraw.Draw(img))
    return img


def png(img: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def centre_of_mass(a: torch.Tensor) -> tuple[float, float]:
    a = a.reshape(28, 28).double()
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return float((rows * a).sum() / a.sum()), float((cols * a).sum() / a.sum())


def bbox(a: torch.Tensor, level=0.0) -> tuple[int, int]:
    ys, xs = torch.nonzero(a.reshape(28, 28) > level, as_tuple=True)
    return int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


def shifted_gap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute pixel difference, allowing a 1-px translation (centring moves whole pixels, so
    a tiny change in the centre of mass can round the other way)."""
    return min(float((torch.roll(a, (dy, dx), (-2, -1)) - b).abs().mean()) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


SEVEN = lambda d: d.line([(70, 60), (210, 60), (120, 240)], fill=255, width=22)  # noqa: E731
BLOB = lambda d: d.ellipse([10, 20, 90, 200], fill=255)  # noqa: E731  tall, far off-centre (top-left)
L_SHAPE = lambda d: (d.rectangle([150, 120, 170, 270], fill=255), d.rectangle([150, 250, 270, 270], fill=255))  # noqa: E731


# ---------------------------------------------------------------- the MNIST recipe
@pytest.mark.parametrize("paint", [BLOB, L_SHAPE, SEVEN], ids=["blob", "L", "seven"])
def test_off_centre_drawing_is_scaled_to_20px_and_centred_by_mass(paint):
    out = drawing.from_canvas(np.asarray(canvas(paint)))
    assert out.ok and out.message is None and out.image.shape == (1, 28, 28)
    assert 0 <= float(out.image.min()) and float(out.image.max()) <= 1
    assert max(bbox(out.image)) == 20
    cy, cx = centre_of_mass(out.image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_aspect_ratio_is_kept():
    wide = drawing.from_canvas(np.asarray(canvas(lambda d: d.rectangle([20, 100, 260, 160], fill=255))))
    h, w = bbox(wide.image)
    assert w == 20 and h == 5  # 240 × 60 -> 20 × 5


def test_rgba_canvas_with_transparent_background_is_read_over_black():
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3][np.asarray(canvas(SEVEN)) > 0] = 255
    rgba[..., :3][np.asarray(canvas(SEVEN)) > 0] = 255
    out = drawing.from_canvas(rgba)
    ref = drawing.from_canvas(np.asarray(canvas(SEVEN)))
    assert out.ok and torch.allclose(out.image, ref.image, atol=1e-3)


@pytest.mark.parametrize(
    "rgba",
    [None, np.zeros((280, 280, 4), np.uint8), np.full((280, 280, 4), 255, np.uint8)],
    ids=["nothing", "black", "white"],
)
def test_blank_canvas_gets_a_message(rgba):
    out = drawing.from_canvas(rgba)
    assert not out.ok and out.blank and "draw" in out.message.lower()


# ---------------------------------------------------------------- uploads
def test_non_image_bytes_get_a_message():
    out = drawing.from_upload(b"%PDF-1.4 certainly not a picture")
    assert not out.ok and not out.blank and "not an image" in out.message
    assert "empty" in drawing.from_upload(b"").message


def test_truncated_image_gets_a_message():
    data = png(canvas(SEVEN))
    out = drawing.from_upload(data[: len(data) // 2])
    assert not out.ok and "decoded" in out.message


def test_too_many_bytes_are_refused_before_decoding():
    out = drawing.from_upload(b"\x89PNG\r\n\x1a\n" + bytes(drawing.MAX_BYTES))
    assert not out.ok and "MiB" in out.message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels but holds almost no data (a decompression bomb's header)."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_header_gets_a_message():
    out = drawing.from_upload(png_header_only(100_000, 100_000))  # 10 gigapixels, ~100 bytes
    assert not out.ok and ("bomb" in out.message or "megapixels" in out.message)


def test_large_solid_image_compressed_tiny_gets_a_message():
    data = png(Image.new("1", (6000, 5000), 0))  # 30 megapixels in a few kB
    assert len(data) < 100_000
    out = drawing.from_upload(data)
    assert not out.ok and "30 megapixels" in out.message


def test_pillows_own_bomb_warning_is_turned_into_a_message(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # Pillow warns above this, raises above twice
    assert "bomb" in drawing.from_upload(png(Image.new("L", (120, 120)))).message  # 14,400 px: the warning
    assert "bomb" in drawing.from_upload(png(Image.new("L", (300, 300)))).message  # 90,000 px: the error


def test_transparent_png_uses_alpha_as_ink():
    """Black strokes on a transparent background: as colour alone it would be all black."""
    mask = np.asarray(canvas(SEVEN))
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = mask
    out = drawing.from_upload(png(Image.fromarray(rgba, "RGBA")))
    assert out.ok and any("alpha" in n for n in out.notes)
    ref = drawing.from_canvas(mask)
    assert float((out.image - ref.image).abs().max()) < 0.05


def test_light_background_upload_is_inverted():
    dark_on_white = canvas(lambda d: d.line([(70, 60), (210, 60), (120, 240)], fill=0, width=22), bg=255)
    out = drawing.from_upload(png(dark_on_white))
    assert out.ok and any("inverted" in n for n in out.notes)
    ref = drawing.from_canvas(np.asarray(canvas(SEVEN)))
    assert float((out.image - ref.image).abs().max()) < 0.05


def test_grey_paper_photo_as_jpeg():
    """A photo-like JPEG: grey paper, dark-grey ink, compression noise."""
    photo = canvas(lambda d: d.line([(70, 60), (210, 60), (120, 240)], fill=60, width=22), size=600, bg=200)
    out = drawing.from_upload(png(photo.convert("RGB"), "JPEG", quality=70))
    assert out.ok and any("inverted" in n for n in out.notes)
    ref = drawing.from_canvas(np.asarray(canvas(SEVEN, size=600)))
    assert shifted_gap(out.image, ref.image) < 0.03
    assert float(out.image.max()) == pytest.approx(1.0, abs=0.05)  # ink stretched to full strength


def test_an_opaque_upload_gets_no_alpha_note():
    out = drawing.from_upload(png(canvas(SEVEN).convert("RGBA")))
    assert out.ok and out.notes == ()


def test_flat_upload_gets_a_message():
    out = drawing.from_upload(png(Image.new("RGB", (64, 64), (120, 30, 200))))
    assert not out.ok and not out.blank and "No digit" in out.message


# ---------------------------------------------------------------- analysis on tiny models
@pytest.mark.parametrize("name", ALL)
def test_analyse_every_model(name):
    torch.manual_seed(0)
    model, clf = tiny(name).eval(), Classifier().eval()
    image = drawing.from_canvas(np.asarray(canvas(SEVEN))).image
    a = drawing.analyse(model, clf, image, k=4)
    spec = model.latent
    assert a.reconstruction.shape == (1, 28, 28) and a.z.shape == (1, spec.z_dim)
    assert a.probs.sum() == pytest.approx(1, abs=1e-5) and len(a.top) == 3
    assert a.top[0][0] == a.prediction and a.top[0][1] >= a.top[1][1] >= a.top[2][1]
    assert (a.label == a.prediction) if spec.n_classes else a.label is None  # default: the classifier's digit
    assert (a.codes is not None) == spec.has_codes
    assert (a.nll is not None) == model.has_likelihood
    if spec.n_classes:
        other = (a.prediction + 1) % 10
        b = drawing.analyse(model, clf, image, label=other, k=4)
        assert b.label == other and not torch.equal(b.reconstruction, a.reconstruction)


def test_nll_is_deterministic_and_leaves_the_global_rng_alone():
    model = tiny("vae").eval()
    x = drawing.from_canvas(np.asarray(canvas(SEVEN))).image[None]
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a, b = drawing.nll(model, x, k=8), drawing.nll(model, x, k=8)
    assert torch.equal(a, b) and a.item() > 0
    assert torch.equal(torch.rand(1), before)


def test_test_nll_distribution_is_cached_on_disk(tmp_path, monkeypatch):
    from genlib.data import Split

    g = torch.Generator().manual_seed(0)
    split = Split((torch.rand(12, 28, 28, generator=g) * 255).to(torch.uint8), torch.arange(12) % 10)
    model = tiny("cvae").eval()
    first = drawing.test_nll_distribution(model, "cvae", split, n=10, k=4, cache=tmp_path)
    assert first.shape == (10,) and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(drawing, "nll", lambda *a, **k: pytest.fail("recomputed despite the cache"))
    assert np.array_equal(drawing.test_nll_distribution(model, "cvae", split, n=10, k=4, cache=tmp_path), first)


def test_percentile():
    dist = np.arange(1, 101, dtype=float)
    assert drawing.percentile(0.5, dist) == 0 and drawing.percentile(50, dist) == 50
    assert drawing.percentile(1000, dist) == 100


# ---------------------------------------------------------------- the shipped models


def redrawn(image_uint8: torch.Tensor, size=280) -> bytes:
    """A test digit as someone might upload it: upscaled 10×, dark ink on white paper."""
    img = Image.fromarray(255 - image_uint8.numpy()).resize((size, size), Image.Resampling.BICUBIC)
    return png(img)


@pytest.fixture(scope="module")
def classifier():
    if not (genlib.CHECKPOINTS / "classifier" / "model.safetensors").is_file():
        pytest.skip("checkpoints/classifier is not trained yet (python train.py --model classifier)")
    from genlib.metrics import load_classifier

    return load_classifier()


def test_redrawn_test_digits_are_classified_correctly(classifier, mnist_test):
    idx = range(0, 2000, 50)  # 40 digits, every class
    preps = [drawing.from_upload(redrawn(mnist_test.images[i])) for i in idx]
    assert all(p.ok for p in preps)
    x = torch.stack([p.image for p in preps])
    correct = (classifier.predict(x) == mnist_test.labels[list(idx)]).float().mean()
    assert correct >= 0.95
    # the recipe reproduces MNIST's own preprocessing closely
    assert float((x - mnist_test.unit_images(list(idx))).abs().mean()) < 0.05


def test_vae_nll_separates_digits_from_non_digits(classifier, mnist_test, tmp_path):
    vae = need("vae")
    dist = drawing.test_nll_distribution(vae, "vae", mnist_test, n=300, cache=tmp_path)
    digit = drawing.analyse(vae, classifier, drawing.from_upload(redrawn(mnist_test.images[3])).image)
    assert digit.prediction == int(mnist_test.labels[3])
    assert drawing.percentile(digit.nll, dist) < 95
    square = lambda d: d.rectangle([60, 60, 220, 220], fill=255)  # noqa: E731
    letter_m = lambda d: d.line([(50, 230), (70, 50), (140, 160), (210, 50), (230, 230)], fill=255, width=22)  # noqa: E731
    for paint in (square, letter_m):
        odd = drawing.analyse(vae, classifier, drawing.from_canvas(np.asarray(canvas(paint))).image)
        assert drawing.percentile(odd.nll, dist) >= 99
        assert odd.nll > 1.5 * float(np.median(dist))
