import pytest
import torch

from genlib import latent
from genlib.latent import ContinuousCode, LatentSpec


def test_lerp_slerp_endpoints_exact():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(16, generator=g), torch.randn(16, generator=g)
    for f in (latent.lerp, latent.slerp):
        path = f(a, b, 7)
        assert path.shape == (7, 16)
        assert torch.allclose(path[0], a, atol=1e-6) and torch.allclose(path[-1], b, atol=1e-6)


def test_slerp_keeps_norm_between_equal_norm_points():
    a = torch.tensor([3.0, 0.0])
    b = torch.tensor([0.0, 3.0])
    assert torch.allclose(latent.slerp(a, b, 5).norm(dim=1), torch.full((5,), 3.0), atol=1e-5)
    assert latent.lerp(a, b, 3)[1].norm() < 3  # the straight line cuts inside


def test_slerp_parallel_falls_back():
    a = torch.ones(4)
    assert torch.isfinite(latent.slerp(a, 2 * a, 4)).all()


def test_arithmetic_and_class_means():
    z = torch.tensor([[0.0, 0], [2, 0], [0, 4], [0, 6]])
    y = torch.tensor([0, 0, 1, 1])
    m = latent.class_means(z, y, 2)
    assert torch.equal(m, torch.tensor([[1.0, 0], [0, 5]]))
    assert torch.equal(latent.arithmetic(m[0], m[1], m[1]), m[0])


def test_pca_projects_new_points_alike():
    z = torch.randn(100, 5) * torch.tensor([5.0, 1, 0.1, 0.1, 0.1])
    coords, mean, comps = latent.pca_2d(z)
    assert coords.shape == (100, 2)
    assert torch.allclose((z[:3] - mean) @ comps, coords[:3], atol=1e-5)
    assert coords[:, 0].var() > coords[:, 1].var()


def test_spec_validation():
    spec = LatentSpec(z_dim=3, n_classes=10)
    assert spec.check_labels(torch.tensor(4), 3).tolist() == [4, 4, 4]
    with pytest.raises(ValueError, match="shape"):
        spec.check_labels(torch.tensor([1, 2]), 3)
    codes = LatentSpec(
        z_dim=2, categorical=(10,), continuous=(ContinuousCode("c1"), ContinuousCode("c2"))
    ).sample_codes(500)
    assert codes["categorical"].unique().numel() == 10
    assert codes["continuous"].min() >= -1 and codes["continuous"].max() <= 1
