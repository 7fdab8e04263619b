"""metrics.py on synthetic inputs where the right answer is known."""

import math

import pytest
import torch

import genlib
from genlib import metrics
from helpers import shipped, tiny


def test_frechet_distance_zero_for_same_and_grows_with_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2000, 8, generator=g)
    assert abs(metrics.frechet_distance(a, a)) < 1e-6
    assert abs(metrics.frechet_distance(a, a + 2) - 4 * 8) < 0.5  # ‖μ1 − μ2‖² = 8 · 2²


def test_class_coverage():
    uniform = metrics.class_coverage(torch.arange(10).repeat(10))
    assert uniform["min_class_share"] == 0.1 and abs(uniform["class_entropy"] - math.log(10)) < 1e-3
    collapsed = metrics.class_coverage(torch.full((50,), 3))
    assert collapsed["min_class_share"] == 0 and collapsed["class_entropy"] == 0


class PermutedOracle:
    """A 'classifier' that reads the categorical code back, permuted: matching must undo the permutation."""

    def __init__(self, perm):
        self.perm = perm
        self.last = None

    def predict(self, x):
        return self.perm[self.last]


def test_infogan_matching_undoes_a_permutation(monkeypatch):
    perm = torch.tensor([3, 1, 4, 0, 5, 9, 2, 6, 8, 7])
    oracle = PermutedOracle(perm)
    m = tiny("infogan").eval()

    def fake_draw(model, n, labels=None, codes=None, seed=0, batch=1000):
        oracle.last = codes["categorical"]
        return torch.zeros(n, 1, 28, 28)

    monkeypatch.setattr(metrics, "draw", fake_draw)
    out = metrics.infogan_code_accuracy(m, oracle, n=200)
    assert out["code_accuracy"] == 1.0 and out["code_to_digit"] == perm.tolist()


def test_conditional_accuracy_of_a_label_ignoring_model_is_chance(monkeypatch):
    m = tiny("cgan").eval()

    class Constant:
        def predict(self, x):
            return torch.zeros(len(x), dtype=torch.long)

    assert abs(metrics.conditional_accuracy(m, Constant(), n=100) - 0.1) < 1e-6


def test_untrained_twin_has_the_architecture_but_not_the_weights():
    m = tiny("dcgan").eval()
    twin = metrics.untrained_twin(m, seed=3)
    assert type(twin) is type(m) and twin.config == m.config and not twin.training
    assert [k for k in twin.state_dict()] == [k for k in m.state_dict()]
    assert any(not torch.equal(a, b) for a, b in zip(twin.state_dict().values(), m.state_dict().values(), strict=True))
    again = metrics.untrained_twin(m, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(twin.state_dict().values(), again.state_dict().values(), strict=True))


def test_probe_spaces_are_checked():
    with pytest.raises(ValueError, match="spaces"):
        metrics.probe_table(tiny("dcgan"), counts=(10,), spaces=("weights",))


def test_a_trained_discriminator_beats_an_untrained_one_of_the_same_architecture():
    """The lecture's "GAN features can directly be used for classification": only the gain over random
    weights of the same architecture is learned. At 100 labels per class the shipped DCGAN's D must win."""
    if not shipped("dcgan"):
        pytest.skip("checkpoints/dcgan is not trained yet")
    table = metrics.probe_table(genlib.load("dcgan"), counts=(100,), spaces=("d_features", "d_untrained"))
    assert table[100]["d_untrained"] + 0.01 < table[100]["d_features"], table


@pytest.mark.skipif(not shipped("gan"), reason="checkpoints/gan is not trained yet")
def test_a_shipped_models_decoder_as_an_onnx_folder_compares_as_the_model_itself(tmp_path):
    """metrics.compare puts a model from another framework on the shipped models' numbers: the shipped GAN's own
    decoder, exported and opened as an ONNX model folder, measures as the GAN does."""
    import json

    pytest.importorskip("onnxruntime")
    from genlib import export

    gan = genlib.load("gan")
    folder = tmp_path / "gan-as-onnx"
    folder.mkdir()
    (folder / "decoder.onnx").write_bytes(export.export_bytes(gan))
    (folder / "model.json").write_text(json.dumps({"z_dim": gan.latent.z_dim, "output": "probability"}))
    clf = metrics.load_classifier()
    theirs = metrics.compare(genlib.load(path=folder), clf, n=1000)
    ours = metrics.compare(gan, clf, n=1000, encoding_images=0)
    assert "encoding_kept_class" not in theirs  # no encoder.onnx: nothing to encode with
    assert theirs["fid"] == pytest.approx(ours["fid"], abs=0.01)
    assert theirs["class_shares"] == pytest.approx(ours["class_shares"], abs=0.002)
