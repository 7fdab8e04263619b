"""Regression tests of the speed fixes the benchmarks led to (docs/results.md, "Fixes")."""

import torch

from genlib.explorer.encodings import slider_basis
from helpers import tiny


def test_slider_basis_thin_svd_is_the_full_basis():
    """genlib.explorer.encodings.slider_basis uses the thin SVD when n ≥ d (bench found the full one built a
    10,000×10,000 U per model: 800 MB and seconds); the basis must stay the full, ordered d×d one."""
    for n in (5, 300):  # fewer encodings than dimensions, and more
        z = torch.randn(n, 16, generator=torch.Generator().manual_seed(n)) * torch.linspace(3, 0.1, 16)
        b = slider_basis(z, shown=4)
        assert b.vectors.shape == (16, 16)
        assert torch.allclose(b.vectors @ b.vectors.T, torch.eye(16), atol=1e-5)
        _, _, vt = torch.linalg.svd((z - z.mean(0)).double(), full_matrices=True)
        k = min(n - 1, 16)  # directions with nonzero variance are unique up to sign
        assert torch.allclose(
            (b.vectors[:k].double() * vt[:k]).sum(1).abs(), torch.ones(k, dtype=torch.float64), atol=1e-4
        )


def test_gan_refinement_leaves_no_gradients_on_the_model():
    """GANBase.encode(refine_steps=...) differentiates with respect to z only: the generator's weights
    get no .grad (backward() used to fill them: wasted work and a side effect on a shared model)."""
    for name in ("gan", "dcgan", "cgan", "infogan"):
        m = tiny(name).eval()
        x = torch.rand(4, 1, 28, 28)
        labels = torch.arange(4) if m.latent.n_classes else None
        z0 = m.encode(x, labels, refine_steps=0)
        z = m.encode(x, labels, refine_steps=3)
        assert not torch.equal(z, z0)  # refinement ran
        assert all(p.grad is None for p in m.parameters()), name


def test_infogan_encodings_keep_the_codes_each_z_was_refined_for(tmp_path):
    from genlib.data import Split
    from genlib.explorer import encodings, latent_state

    model = tiny("infogan").eval()
    g = torch.Generator().manual_seed(0)
    split = Split(torch.randint(0, 256, (12, 28, 28), generator=g, dtype=torch.uint8), torch.arange(12) % 10)
    enc = encodings.encode_test_set(model, "infogan", split, cache=tmp_path)
    want = model.codes_for(split.unit_images())
    assert torch.equal(enc.codes["categorical"], want["categorical"])
    assert torch.allclose(enc.codes["continuous"], want["continuous"])
    again = encodings.encode_test_set(model, "infogan", split, cache=tmp_path)  # from the disk cache
    assert torch.equal(again.codes["categorical"], enc.codes["categorical"]) and torch.equal(again.z, enc.z)
    # a test digit's state decodes with its own codes, whatever the session's are
    other = latent_state.LatentState(tuple([0.0] * model.latent.z_dim), None, 9, (1.0, -1.0))
    state = latent_state.test_digit_state(enc, 3, other, model.latent)
    assert state.category == int(want["categorical"][3]) and state.z == tuple(enc.z[3].tolist())
    codes = {"categorical": want["categorical"][3:4], "continuous": want["continuous"][3:4]}
    assert torch.allclose(latent_state.decode_states(model, [state]), model.decode(enc.z[3:4], codes=codes), atol=1e-6)


def test_models_without_codes_keep_none():
    from genlib.explorer import encodings

    model = tiny("vae").eval()
    assert encodings.codes_of(model, torch.rand(3, 1, 28, 28)) is None
