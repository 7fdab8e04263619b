"""genlib.explorer.codes: slant and stroke width measured on images, and codes named from what they do."""

import math

import pytest
import torch

from genlib.data import load_split
from genlib.explorer import codes
from helpers import need, tiny


def bar(width: int) -> torch.Tensor:
    x = torch.zeros(1, 1, 28, 28)
    x[..., 4:24, 14 - width // 2 : 14 - width // 2 + width] = 1
    return x


@pytest.mark.parametrize("angle", [-25, -10, 10, 20, 30])
def test_the_slant_of_a_sheared_upright_stroke_is_the_shear_angle(angle):
    assert float(codes.slant_degrees(bar(2))) == pytest.approx(0, abs=1e-6)
    assert float(codes.slant_degrees(codes.shear(bar(2), angle))) == pytest.approx(angle, abs=1.0)


def test_the_slant_of_sheared_test_digits_is_measured_within_a_few_degrees():
    """Each digit is first made upright (sheared by minus its own slant), then sheared by a known angle."""
    x = load_split(False).unit_images(slice(40)).reshape(-1, 1, 28, 28)
    upright = torch.stack([codes.shear(img, -float(a))[0] for img, a in zip(x, codes.slant_degrees(x), strict=True)])
    assert codes.slant_degrees(upright).abs().max() < 3
    for angle in (-20, 15, 25):
        measured = codes.slant_degrees(codes.shear(upright, angle))
        assert (measured - angle).abs().max() < 3, measured


def test_stroke_width_grows_with_the_stroke():
    w2, w4, w6 = (float(codes.stroke_width(bar(w))) for w in (2, 4, 6))
    assert 1.5 < w2 < 2.2 and 3.0 < w4 < 4.2 and w2 < w4 < w6
    assert float(codes.stroke_width(torch.zeros(1, 28, 28))) == 0


def test_sweep_and_name_on_a_tiny_model():
    m = tiny("infogan").eval()
    r = codes.sweep(m, "c1", n=20)
    assert r.slant.shape == (9, 20) and r.width.shape == (9, 20) and r.images.shape == (9, 1, 28, 28)
    assert r.values[0] == -2 and r.values[-1] == 2
    mean, lo, hi = r.band("slant")
    assert all(a <= b <= c for a, b, c in zip(lo, mean, hi, strict=True))
    assert r.name().startswith("c1: ")
    with pytest.raises(ValueError, match="no code"):
        codes.sweep(m, "c9")
    v = tiny("vae").eval()
    assert codes.sweep(v, "z1", n=5).code == "z1"
    assert codes.candidate_codes(v, torch.tensor([0.0, 2.0, 0.5, 0.05])) == ["z1", "z2"]
    assert codes.candidate_codes(m) == ["c1", "c2"]


def test_names_follow_the_measurement():
    values = [-1.0, 0.0, 1.0]
    spread = torch.tensor([[-1.0, 1.0]])
    slanted = codes.Response(
        "c1",
        values,
        torch.tensor([[-20.0], [0.0], [20.0]]) + spread,
        torch.full((3, 2), 2.0) + 0.1 * spread,
        torch.zeros(3, 1, 28, 28),
    )
    assert slanted.per_unit("slant") == pytest.approx(20) and slanted.name() == "c1: slant, about +20° per unit"
    flat = codes.Response("c2", values, spread.repeat(3, 1), spread.repeat(3, 1), torch.zeros(3, 1, 28, 28))
    assert "neither" in flat.name()


def test_the_shipped_infogan_has_a_slant_code():
    model = need("infogan")
    named = [codes.sweep(model, c, n=100).name() for c in ("c1", "c2")]
    assert any("slant" in n for n in named), named
    slant = max((codes.sweep(model, c, n=100) for c in ("c1", "c2")), key=lambda r: abs(r.per_unit("slant")))
    assert abs(slant.per_unit("slant")) > 5  # degrees per unit: visible, as in the paper's figure
    assert math.isfinite(slant.effect("width"))


def test_the_slant_is_the_regression_slope_of_x_on_y_not_the_principal_axis():
    """Weighted least squares x = a + b·y over the ink gives the same b; the principal axis of an ink blob
    that is wide across but sheared differs, so the page calls the measure a regression slope."""
    g = torch.Generator().manual_seed(0)
    img = torch.zeros(1, 28, 28)
    img[0, 8:20, 6:22] = torch.rand(12, 16, generator=g)  # wider than tall
    img = codes.shear(img, 15.0)
    w = img[0].double().reshape(-1)
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    y, x = -yy.reshape(-1).double(), xx.reshape(-1).double()
    design = torch.stack([torch.ones_like(y), y], 1) * w.sqrt()[:, None]
    b = torch.linalg.lstsq(design, (x * w.sqrt())[:, None]).solution[1, 0]
    assert float(codes.slant_slope(img)[0]) == pytest.approx(float(b), rel=1e-6)
    mx, my = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    cov = torch.cov(torch.stack([x - mx, y - my]), aweights=w)
    axis = torch.linalg.eigh(cov).eigenvectors[:, -1]
    assert abs(float(axis[0] / axis[1]) - float(b)) > 0.1  # the principal axis leans elsewhere
