"""A model from any framework: ONNX model folders (docs/design.md, "ONNX model folders"). Decoders and encoders
written in plain PyTorch (tests/onnx_models.py: no genlib class) and exported with torch.onnx, and a decoder
built with the onnx helper API alone, load with genlib.load(path=...), agree with onnxruntime run directly, and
publish the file the browser runs; every malformed folder is refused in one line that names the problem."""

import copy

import numpy as np
import pytest
import torch

import genlib
from genlib import checkpoint, export
from genlib.models import onnx_folder
from genlib.models.onnx_folder import OnnxModel
from helpers import tiny

ort = pytest.importorskip("onnxruntime", reason="pip install -r requirements.txt (onnxruntime is a test dependency)")
onnx = pytest.importorskip("onnx")
from onnx_models import BAD, PROB, Decoder, Encoder, Z, coded_graphs, linear_graph, manifest, torch_export, write  # noqa: E402


def run_direct(path, feeds: dict) -> list:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.fixture
def torch_vae(tmp_path):
    """The homework VAE's folder: decoder and encoder exported from PyTorch, logits out."""
    folder = tmp_path / "homework-vae"
    folder.mkdir()
    torch_export(Decoder(), (torch.randn(2, Z),), ["z"], ["logits"], folder / onnx_folder.DECODER)
    torch_export(Encoder(), (torch.rand(2, 1, 28, 28),), ["image"], ["z", "logvar"], folder / onnx_folder.ENCODER)
    return write(folder)


# ---------------------------------------------------------------- they load and agree with onnxruntime
def test_a_pytorch_vae_exported_to_onnx_decodes_samples_and_encodes_as_onnxruntime_does(torch_vae, tmp_path):
    m = genlib.load(path=torch_vae)
    assert isinstance(m, OnnxModel) and m.name == "homework-vae" and m.title == "homework VAE"
    assert m.latent == genlib.LatentSpec(Z) and m.has_encoder
    assert not (m.has_likelihood or m.has_posterior or m.has_discriminator or m.infers_codes or m.inverts_generator)
    z = torch.randn(6, Z, generator=torch.Generator().manual_seed(2))
    (logits,) = run_direct(torch_vae / onnx_folder.DECODER, {"z": z.numpy()})
    images = m.decode(z)
    assert images.shape == (6, 1, 28, 28)
    assert np.abs(images.numpy() - torch.sigmoid(torch.from_numpy(logits)).numpy()).max() < 1e-6
    x = m.sample(5, generator=torch.Generator().manual_seed(3))
    assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    mu, _ = run_direct(torch_vae / onnx_folder.ENCODER, {"image": x.numpy()})
    assert np.abs(m.encode(x).numpy() - mu).max() < 1e-6
    assert m.encode((x * 255).to(torch.uint8)).shape == (5, Z)  # the API's uint8 images are divided by 255
    assert m.n_params() == sum(p.numel() for p in Decoder().parameters()) + sum(
        p.numel() for p in Encoder().parameters()
    )


def test_the_browser_file_computes_what_the_server_shows(torch_vae, tmp_path):
    m = genlib.load(path=torch_vae)
    path = export.decoder_onnx(m, m.name, tmp_path / "cache")
    z = torch.randn(7, Z, generator=torch.Generator().manual_seed(4))
    (browser,) = ort.InferenceSession(str(path)).run([export.OUTPUT], {"z": z.numpy()})
    assert np.abs(browser - m.decode(z).numpy()).max() < 1e-6
    assert [i.name for i in onnx.load(str(path)).graph.input] == ["z"]


def test_a_conditional_pytorch_decoder_takes_its_labels(tmp_path):
    folder = tmp_path / "cvae"
    folder.mkdir()
    args = (torch.randn(2, Z), torch.tensor([1, 2]))
    torch_export(Decoder(n_classes=10), args, ["z", "labels"], ["logits"], folder / onnx_folder.DECODER)
    m = genlib.load(path=write(folder, meta=manifest(n_classes=10)))
    z = torch.randn(3, Z, generator=torch.Generator().manual_seed(5))
    labels = torch.tensor([0, 4, 9])
    (logits,) = run_direct(folder / onnx_folder.DECODER, {"z": z.numpy(), "labels": labels.numpy()})
    assert np.abs(m.decode(z, labels).numpy() - torch.sigmoid(torch.from_numpy(logits)).numpy()).max() < 1e-6
    assert not torch.equal(m.decode(z, 3), m.decode(z, 7))  # the label reaches the graph
    with pytest.raises(ValueError, match="conditional"):
        m.decode(z)
    assert m.sample(4, labels=torch.full((4,), 2)).shape == (4, 1, 28, 28)


def test_a_decoder_built_with_the_onnx_helper_api_runs_byte_for_byte_in_the_browser(tmp_path):
    folder = write(tmp_path / "helper", linear_graph(), manifest(output="probability", title="by hand"))
    m = genlib.load(path=folder)
    z = np.random.default_rng(6).normal(size=(5, Z)).astype(np.float32)
    (direct,) = run_direct(folder / onnx_folder.DECODER, {"z": z})
    assert np.abs(m.decode(torch.from_numpy(z)).numpy() - direct).max() == 0
    assert m.sample(3).shape == (3, 1, 28, 28) and m.sample(0).shape == (0, 1, 28, 28)
    # a probability already named 'image': the browser gets the very file
    assert (
        export.decoder_onnx(m, m.name, tmp_path / "cache").read_bytes() == (folder / onnx_folder.DECODER).read_bytes()
    )
    assert not m.has_encoder
    with pytest.raises(ValueError, match=r"has no encoder: add encoder\.onnx"):
        m.encode(torch.zeros(1, 1, 28, 28))


@pytest.mark.parametrize(("activation", "output"), [("Tanh", "tanh"), (None, "logits"), ("Sigmoid", "probability")])
def test_each_declared_range_is_mapped_alike_on_the_server_and_in_the_browser(tmp_path, activation, output):
    graph = linear_graph(activation=activation, out_name="raw")  # not named 'image': the browser file renames it
    m = genlib.load(path=write(tmp_path / output, graph, manifest(output=output)))
    z = np.random.default_rng(7).normal(size=(6, Z)).astype(np.float32)
    (raw,) = run_direct(tmp_path / output / onnx_folder.DECODER, {"z": z})
    unit = {"tanh": (raw + 1) / 2, "logits": 1 / (1 + np.exp(-raw)), "probability": raw}[output]
    server = m.decode(torch.from_numpy(z)).numpy()
    assert np.abs(server - unit).max() < 1e-6
    (browser,) = ort.InferenceSession(m.onnx_decoder()).run([export.OUTPUT], {"z": z})
    assert np.abs(browser - server).max() < 1e-6


def test_codes_from_the_json_reach_the_decoder_and_come_back_from_the_encoder(tmp_path):
    dec, enc = coded_graphs()
    codes = {
        "categorical": [3],
        "continuous": [{"name": "width", "low": -1, "high": 1}, {"name": "slant", "low": -2, "high": 2}],
    }
    m = genlib.load(path=write(tmp_path / "coded", dec, manifest(codes=codes), enc))
    assert m.latent.categorical == (3,) and [c.name for c in m.latent.continuous] == ["width", "slant"]
    z = torch.randn(4, Z, generator=torch.Generator().manual_seed(8))
    given = {"categorical": torch.tensor([0, 1, 2, 1]), "continuous": torch.rand(4, 2)}
    feeds = {"z": z.numpy(), "category": given["categorical"].numpy(), "continuous": given["continuous"].numpy()}
    (logits,) = run_direct(tmp_path / "coded" / onnx_folder.DECODER, feeds)
    assert np.abs(m.decode(z, codes=given).numpy() - 1 / (1 + np.exp(-logits))).max() < 1e-6
    with pytest.raises(ValueError, match="categorical code must be in 0..2"):
        m.decode(z, codes={"categorical": torch.full((4,), 3), "continuous": torch.zeros(4, 2)})
    x = m.sample(4, generator=torch.Generator().manual_seed(9))
    z_direct, cat, cont = run_direct(tmp_path / "coded" / onnx_folder.ENCODER, {"image": x.numpy()})
    got = m.codes_for(x)
    assert np.abs(m.encode(x).numpy() - z_direct).max() < 1e-6
    assert (
        torch.equal(got["categorical"], torch.from_numpy(cat)) and np.abs(got["continuous"].numpy() - cont).max() == 0
    )
    browser = export.decoder_onnx(m, m.name, tmp_path / "cache")
    assert {i.name for i in onnx.load(str(browser)).graph.input} == set(export.input_names(m.latent))


def test_copies_share_the_sessions_and_the_digest_follows_the_files(torch_vae, tmp_path):
    m = genlib.load(path=torch_vae)
    twin = copy.deepcopy(m)  # the Models page hooks a copy
    assert twin.decoder is m.decoder and torch.equal(twin.decode(torch.zeros(1, Z)), m.decode(torch.zeros(1, Z)))
    other = genlib.load(path=write(tmp_path / "helper", linear_graph(), manifest(output="probability")))
    assert checkpoint.weights_digest(m) != checkpoint.weights_digest(other)
    assert checkpoint.weights_digest(m) == checkpoint.weights_digest(genlib.load(path=torch_vae))


def test_load_by_path_alone_still_loads_a_checkpoint_folder(tmp_path):
    model = tiny("vae").eval()
    checkpoint.save(model, tmp_path / "vae")
    assert type(genlib.load(path=tmp_path / "vae")) is type(model)
    with pytest.raises(TypeError, match="needs a model name or a folder"):
        genlib.load()


# ---------------------------------------------------------------- bad folders (onnx_models.BAD): one line each
@pytest.mark.parametrize("what", list(BAD))
def test_a_bad_folder_is_refused_in_one_line_naming_the_problem(tmp_path, what):
    make, message = BAD[what]
    folder = make(tmp_path / "bad")
    with pytest.raises(genlib.CheckpointError, match=message) as e:
        genlib.load(path=folder)
    assert "\n" not in str(e.value)


def test_a_graph_over_the_size_limit_is_refused_by_its_size(tmp_path):
    folder = write(tmp_path / "big", None, PROB)
    with open(folder / onnx_folder.DECODER, "wb") as f:  # sparse: 101 MB on paper, nothing on disk
        f.truncate(onnx_folder.MAX_BYTES + 2**20)
    with pytest.raises(genlib.CheckpointError, match=r"is 101 MB, over the 100 MB limit: export a smaller decoder"):
        genlib.load(path=folder)


def test_the_explorers_model_independent_code_runs_on_them(torch_vae, tmp_path):
    """What the pages compute for any model (seeds, grids, interpolation, test-set encodings), without the app:
    opening these models in the app's picker is not part of this change."""
    from genlib.data import Split
    from genlib.explorer import encodings, grids, latent_state, operands

    dec, enc = coded_graphs(k=1)
    codes = {"categorical": [3], "continuous": [{"name": "width", "low": -1, "high": 1}]}
    coded = write(tmp_path / "coded", dec, manifest(codes=codes), enc)
    split = Split(torch.randint(0, 256, (12, 28, 28), dtype=torch.uint8), torch.arange(12) % 10)
    for folder in (torch_vae, coded):
        m = genlib.load(path=folder)
        a, b = latent_state.random_state(m.latent, 1), latent_state.random_state(m.latent, 2)
        images = latent_state.decode_states(m, operands.path_states(a, b, 5))
        assert images.shape == (5, 1, 28, 28) and not torch.equal(images[0], images[-1])
        assert grids.sample_grid(m, 2, 3).images.shape[:2] == (2, 3)
        enc_ = encodings.encode_test_set(m, m.name, split, cache=tmp_path / "enc")
        assert enc_.z.shape == (12, Z) and torch.equal(enc_.z, m.encode(split.unit_images()))
        assert (enc_.codes is not None) == m.latent.has_codes
        assert encodings.slider_basis(enc_.z).vectors.shape == (Z, Z)
    assert grids.kinds(genlib.load(path=coded)) == [grids.CODES]
