"""ONNX export of each model's decoding path: parity with model.decode in onnxruntime, the weights-keyed
cache, and the check that the graph takes every input the model's LatentSpec declares."""

import numpy as np
import pytest
import torch

from genlib import export
from genlib.explorer import encodings
from genlib.models.vae import VAE
from helpers import ALL, SHIPPED, need, tiny

ort = pytest.importorskip("onnxruntime", reason="pip install -r requirements.txt (onnxruntime is a test dependency)")


def run_onnx(path, inputs: dict) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(inputs)
    return session.run([export.OUTPUT], {k: v.numpy() for k, v in inputs.items()})[0]


def reference(model, inputs: dict) -> np.ndarray:
    codes = None
    if model.latent.has_codes:
        codes = {"categorical": inputs["category"], "continuous": inputs["continuous"]}
    return model.decode(inputs["z"], inputs.get("labels"), codes).numpy()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_decoder_matches_decode_on_256_inputs(name, tmp_path):
    model = need(name)
    path = export.decoder_onnx(model, name, cache=tmp_path)
    inputs = export.example_inputs(model.latent, 256, torch.Generator().manual_seed(7))
    out = run_onnx(path, inputs)
    assert out.shape == (256, 1, 28, 28)
    assert np.abs(out - reference(model, inputs)).max() <= 1e-4
    assert 0.0 <= out.min() and out.max() <= 1.0


@pytest.mark.parametrize("name", ALL)
def test_tiny_decoder_takes_the_declared_inputs_and_any_batch(name, tmp_path):
    model = tiny(name).eval()
    path = export.decoder_onnx(model, name, cache=tmp_path)
    for n in (1, 5):  # the batch axis is dynamic
        inputs = export.example_inputs(model.latent, n, torch.Generator().manual_seed(n))
        assert list(inputs) == export.input_names(model.latent)
        assert np.abs(run_onnx(path, inputs) - reference(model, inputs)).max() <= 1e-4


def test_cache_is_keyed_by_the_weights(tmp_path):
    model = tiny("dcgan").eval()
    first = export.decoder_onnx(model, "dcgan", cache=tmp_path)
    stamp = first.stat().st_mtime_ns
    assert export.decoder_onnx(model, "dcgan", cache=tmp_path) == first
    assert first.stat().st_mtime_ns == stamp  # reused, not rewritten
    with torch.no_grad():
        model.generator.convs[-2].bias.add_(0.5)  # "retrained": the output changes
    second = export.decoder_onnx(model, "dcgan", cache=tmp_path)
    assert second != first and second.is_file()
    inputs = export.example_inputs(model.latent, 3, torch.Generator().manual_seed(0))
    assert np.abs(run_onnx(second, inputs) - reference(model, inputs)).max() <= 1e-4
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_an_input_the_decoder_ignores_is_refused(tmp_path):
    class LabelBlindVAE(VAE):  # declares a label (LatentSpec) but its decoder never reads it
        n_classes = 10

        def generate(self, z, labels=None, codes=None):
            return self.decoder(z, torch.zeros(len(z), 10))

    torch.manual_seed(0)
    model = LabelBlindVAE(VAE.Config(z_dim=3, hidden=(8,))).eval()
    with pytest.raises(export.ExportError, match="labels"):
        export.decoder_onnx(model, "blind", cache=tmp_path)
    assert not list(tmp_path.glob("*.onnx"))


def test_default_cache_lives_beside_the_encodings(monkeypatch, tmp_path):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path))
    model = tiny("vae").eval()
    path = export.decoder_onnx(model, "vae")
    assert path.parent == tmp_path / "onnx" and path.name.startswith("vae-")
    assert encodings.cache_dir().parent == path.parent.parent


def test_without_onnx_the_error_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    with pytest.raises(export.ExportError, match=r"pip install 'latent-lab\[app\]'"):
        export.export_bytes(tiny("vae").eval())
