"""The public model API with inputs a user gets wrong: images in 0..255, counts that are not counts,
labels and codes of the wrong form, and models moved to another dtype or device."""

import pytest
import torch

from helpers import ALL, tiny

CONDITIONAL = ["cvae", "cgan"]
UNCONDITIONAL = [n for n in ALL if n not in CONDITIONAL]


def labels_for(model, n):
    return torch.arange(n) % 10 if model.latent.n_classes else None


@pytest.mark.parametrize("name", ALL)
def test_images_in_0_to_255_are_refused_naming_the_range(name):
    m = tiny(name)
    x = m.sample(2, labels_for(m, 2), generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"expected floats in \[0, 1\]"):
        m.encode(x * 255, labels_for(m, 2))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        m.encode(x - 0.5, labels_for(m, 2))


@pytest.mark.parametrize("name", ["vae", "dcgan"])
def test_uint8_images_are_divided_by_255(name):
    m = tiny(name)
    x = m.sample(3, generator=torch.Generator().manual_seed(1))
    as_bytes = (x * 255).round().to(torch.uint8)
    assert torch.allclose(m.encode(as_bytes), m.encode(as_bytes.float() / 255))


@pytest.mark.parametrize("n", [-1, 2.5, "3", True, None])
def test_sample_counts_that_are_not_counts_are_a_value_error(n):
    with pytest.raises(ValueError, match="whole number of samples"):
        tiny("vae").sample(n)


def test_numpy_integer_counts_are_fine():
    np = pytest.importorskip("numpy")
    assert tiny("gan").sample(np.int64(3)).shape == (3, 1, 28, 28)


@pytest.mark.parametrize("name", ALL)
def test_float64_model_samples_encodes_and_decodes_in_float64(name):
    m = tiny(name).double()
    g = torch.Generator().manual_seed(0)
    x = m.sample(3, labels_for(m, 3), generator=g)
    assert x.dtype == torch.float64 and torch.isfinite(x).all()
    z = m.encode(x, labels_for(m, 3))
    assert z.dtype == torch.float64
    codes = m.latent.sample_codes(3, g)
    assert m.decode(z, labels_for(m, 3), codes).dtype == torch.float64
    if hasattr(m, "log_likelihood"):
        assert m.log_likelihood((x > 0.5).double(), labels_for(m, 3), k=4).dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
@pytest.mark.parametrize("name", ALL)
def test_cuda_model_takes_cpu_inputs(name):
    m = tiny(name).cuda()
    g = torch.Generator().manual_seed(0)
    x = m.sample(3, labels_for(m, 3), generator=g)
    assert x.device.type == "cuda"
    z = m.encode(x.cpu(), labels_for(m, 3))
    assert z.device.type == "cuda"
    assert m.decode(z.cpu(), labels_for(m, 3), m.latent.sample_codes(3, g)).device.type == "cuda"
    if hasattr(m, "log_likelihood"):
        assert torch.isfinite(m.log_likelihood((x > 0.5).float(), labels_for(m, 3), k=4)).all()


@pytest.mark.parametrize("name", UNCONDITIONAL)
def test_labels_given_to_an_unconditional_model_are_refused(name):
    m = tiny(name)
    z = m.latent.sample_z(2)
    codes = m.latent.sample_codes(2)
    with pytest.raises(ValueError, match="unconditional: it takes no labels"):
        m.decode(z, torch.tensor([1, 2]), codes)
    with pytest.raises(ValueError, match="unconditional"):
        m.sample(2, labels=3)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_float_labels_are_refused_not_truncated(name):
    m = tiny(name)
    with pytest.raises(ValueError, match="float32; expected integers"):
        m.sample(2, labels=torch.tensor([1.7, 2.2]))
    with pytest.raises(ValueError, match="expected integers"):
        m.decode(m.latent.sample_z(1), labels=3.9)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_one_hot_labels_report_their_own_shape(name):
    m = tiny(name)
    one_hot = torch.nn.functional.one_hot(torch.tensor([1, 2, 3]), 10)
    with pytest.raises(ValueError, match=r"labels has shape \(3, 10\) \(one-hot\? pass labels.argmax\(1\)\)"):
        m.sample(3, labels=one_hot)


@pytest.mark.parametrize(
    "codes,fragment",
    [
        ({"categorical": torch.tensor([1, 2])}, r"keys \['categorical'\]"),
        ({"cat": torch.tensor([1, 2]), "continuous": torch.zeros(2, 2)}, "keys"),
        (torch.zeros(2, 3), "codes is a Tensor; expected a dict"),
        ({"categorical": torch.tensor([1, 2, 3]), "continuous": torch.zeros(2, 2)}, r"shapes \(3,\) and \(2, 2\)"),
        ({"categorical": torch.tensor([1, 2]), "continuous": torch.zeros(4)}, r"shapes \(2,\) and \(4,\)"),
        ({"categorical": torch.tensor([1.0, 2.0]), "continuous": torch.zeros(2, 2)}, "float32; expected integers"),
    ],
)
def test_infogan_codes_of_the_wrong_form_name_the_expected_form(codes, fragment):
    m = tiny("infogan")
    with pytest.raises(ValueError, match=fragment) as e:
        m.decode(m.latent.sample_z(2), codes=codes)
    assert '"categorical": LongTensor (2,)' in str(e.value) and '"continuous": FloatTensor (2, 2)' in str(e.value)


def test_infogan_codes_broadcast_one_value():
    m = tiny("infogan")
    x = m.decode(m.latent.sample_z(3), codes={"categorical": 4, "continuous": [0.5, -0.5]})
    assert x.shape == (3, 1, 28, 28)


def test_codes_given_to_a_model_without_codes_are_refused():
    m = tiny("dcgan")
    with pytest.raises(ValueError, match="no latent codes"):
        m.decode(m.latent.sample_z(2), codes={"categorical": torch.tensor([1, 2]), "continuous": torch.zeros(2, 2)})
