"""genlib.notebook on the Python side: what each widget sends to the browser (the app's own lab.mjs, the runtime,
a decoder that decodes as the model does), its latent read and written from Python, what the page syncs on
release and Python's answer to it, and bad input refused in one line."""

import gzip

import numpy as np
import pytest
import torch

import genlib
from genlib.explorer.encodings import encode_test_set
from helpers import shipped

pytest.importorskip("anywidget", reason="pip install 'latent-lab[notebook]' (pinned in requirements.txt)")
onnxruntime = pytest.importorskip("onnxruntime")
from genlib.notebook import Explorer, Interpolation, LatentMap, assets  # noqa: E402

pytestmark = pytest.mark.skipif(
    not all(shipped(n) for n in ("vae", "cvae", "infogan")), reason="the vae, cvae and infogan checkpoints are needed"
)


def one_line(err) -> str:
    text = str(err.value).strip("'\"")
    assert "\n" not in text, text
    return text


def decode_in_onnxruntime(widget, feeds):
    session = onnxruntime.InferenceSession(gzip.decompress(widget._decoder), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == widget._inputs
    return session.run(["image"], feeds)[0]


def test_the_browser_gets_the_apps_own_module_and_the_runtime():
    w = Explorer("vae", directions="axes")
    live = assets.app_dir() / "live"
    assert w._lab == (live / "lab.mjs").read_text()  # one source: the app's module itself, not a copy
    assert w._esm == (live / "widget.mjs").read_text()
    assert gzip.decompress(w._ort_wasm)[:4] == b"\0asm"  # the WebAssembly binary, from app/static/ort
    assert "onnxruntime" in w._ort_module.lower()
    assert w._runtime_key == Explorer("dcgan", directions="axes")._runtime_key  # one runtime shared per page


def test_the_widgets_decoder_decodes_what_the_model_does():
    w = Explorer("cvae", label=7, seed=5)
    z = torch.tensor([w.z], dtype=torch.float32)
    got = decode_in_onnxruntime(w, {"z": z.numpy(), "labels": np.array([7], dtype=np.int64)})
    np.testing.assert_allclose(got[0], w.image().numpy(), atol=1e-5)


def test_z_starts_at_the_seeds_draw_and_python_moves_it():
    w = Explorer("vae", seed=3)
    expected = genlib.load("vae").latent.sample_z(1, torch.Generator().manual_seed(3))[0]
    assert torch.allclose(torch.tensor(w.z), expected)
    w.z = torch.zeros(32)  # a tensor is taken too
    assert w.z == [0.0] * 32
    assert torch.allclose(w.image(), genlib.load("vae").decode(torch.zeros(1, 32))[0])


def test_sliders_follow_the_principal_directions_of_the_test_encodings_above_twelve_dimensions():
    pca = Explorer("vae")  # 32 dimensions: the app's basis
    basis = torch.tensor(pca._basis).reshape(32, 32)
    assert torch.allclose(basis @ basis.T, torch.eye(32), atol=1e-4)
    assert pca._directions[:2] == ["PC1", "PC2"] and pca._shown == 12
    cvae = Explorer("cvae")  # 8 dimensions: the raw axes
    assert cvae._directions == [f"z{i}" for i in range(1, 9)]


def test_codes_and_labels_are_checked():
    w = Explorer("infogan", category=3, continuous=[0.5, 5.0], directions="axes")
    assert (w.category, w.continuous) == (3, [0.5, 1.0])  # a code beyond its range is clipped to it
    with pytest.raises(ValueError) as err:
        w.category = 10
    assert "0-9" in one_line(err)
    with pytest.raises(ValueError) as err:
        Explorer("vae", label=3)
    assert "takes no label" in one_line(err)
    with pytest.raises(ValueError) as err:
        Explorer("cvae", label=12)
    assert "0-9" in one_line(err)


@pytest.mark.parametrize("value", ["3", 2.5, True])
def test_a_value_of_the_wrong_type_set_from_python_is_refused_in_our_one_line(value):
    w = Explorer("cvae", label=1, directions="axes")
    with pytest.raises(ValueError, match="label must be an integer 0-9 for cvae") as err:
        w.label = value
    assert "\n" not in str(err.value) and w.label == 1
    w.label = np.int64(7)  # a numpy integer is an integer
    assert w.label == 7 and type(w.label) is int
    p = Interpolation("vae", [0.0] * 32, [1.0] * 32)
    with pytest.raises(ValueError, match=r"t must be a number in \[0, 1\]"):
        p.t = value if value != 2.5 else float("nan")


def test_what_the_page_syncs_on_release_reaches_python_and_python_answers(monkeypatch):
    w = Explorer("cvae", label=1)
    answers = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: answers.append(content))
    z = [0.25] * 8
    w.set_state({"z": z, "label": 4, "_sync": 1})  # what ipywidgets does with the page's message
    assert (w.z, w.label) == (z, 4)
    assert answers == [{"synced": 1}]


@pytest.mark.parametrize(
    ("make", "error", "says"),
    [
        (lambda: Explorer("no-such-model"), KeyError, "choose one of"),
        (lambda: Explorer("classifier"), ValueError, "not a generative model"),
        (lambda: Explorer("vae", z=[1.0, 2.0]), ValueError, "has 2 numbers but vae's latent has 32"),
        (lambda: Explorer("vae", z=[float("nan")] * 32), ValueError, "finite"),
        (lambda: Explorer("vae", directions="tsne"), ValueError, "'pca' or 'axes'"),
        (lambda: Explorer(42), TypeError, "model name such as 'vae'"),
        (lambda: LatentMap("vae", projection="umap"), ValueError, "projection must be one of"),
        (lambda: Interpolation("vae", [0.0] * 32, [0.0] * 8), ValueError, "b has 8 numbers"),
        (lambda: Interpolation("vae", [0.0] * 32, [1.0] * 32, method="cubic"), ValueError, "method"),
    ],
)
def test_bad_input_is_refused_in_one_line(make, error, says):
    with pytest.raises(error) as err:
        make()
    assert says in one_line(err)


def test_a_closed_widget_says_so_instead_of_going_quiet():
    w = Explorer("vae", directions="axes")
    w.close()
    with pytest.raises(RuntimeError) as err:
        w.z = [0.0] * 32
    assert "closed" in one_line(err)


def test_the_map_sends_an_even_spread_of_test_digits_and_a_click_selects_one():
    m = LatentMap("vae", n=500)
    enc = encode_test_set(genlib.load("vae"), "vae")
    index = np.frombuffer(m._index, "<i4")
    assert len(index) == 500 and index[0] == 0 and index[-1] == len(enc.z) - 1
    z = np.frombuffer(m._z, "<f4").reshape(500, 32)
    np.testing.assert_array_equal(z[7], enc.z[index[7]].numpy())
    assert len(m._xy) == 500 * 2 * 4 and np.frombuffer(m._labels, np.uint8)[7] == int(enc.labels[index[7]])
    assert m.selected is None and m.selected_z is None
    m.set_state({"selected": int(index[7])})  # a click in the page
    assert torch.equal(m.selected_z, enc.z[index[7]])
    with pytest.raises(ValueError) as err:
        m.selected = len(enc.z)
    assert "index" in one_line(err)


def test_the_interpolation_scrub_is_checked():
    p = Interpolation("cvae", torch.zeros(8), torch.ones(8), label=2, steps=5)
    assert p._cond == {"label": 2, "category": None, "continuous": []} and p.t == 0.5
    p.set_state({"t": 0.25})
    assert p.t == 0.25
    with pytest.raises(ValueError) as err:
        p.t = 1.5
    assert "[0, 1]" in one_line(err)


def test_an_onnx_model_folder_gets_a_widget_that_runs_its_own_decoder(tmp_path):
    import onnx_models

    folder = onnx_models.write(tmp_path / "homework", onnx_models.linear_graph(), {**onnx_models.manifest()})
    model = genlib.load(path=folder)
    w = Explorer(model, directions="axes")
    assert w.model_name == model.name and len(w.z) == onnx_models.Z
    z = np.asarray([w.z], dtype=np.float32)
    got = decode_in_onnxruntime(w, {"z": z})  # the browser runs what the server runs
    np.testing.assert_allclose(got[0], w.image().numpy(), atol=1e-5)


def test_without_an_encoder_the_sliders_are_the_raw_axes(tmp_path):
    import onnx_models

    folder = onnx_models.write(tmp_path / "wide", onnx_models.linear_graph(z_dim=16), onnx_models.manifest(z_dim=16))
    w = Explorer(genlib.load(path=folder))  # "pca" asked for, but there are no encodings to find directions in
    assert w._directions[:2] == ["z1", "z2"] and w._basis == np.eye(16).reshape(-1).tolist()


def test_a_missing_runtime_is_said_in_one_line_with_the_command_that_fetches_it(tmp_path, monkeypatch):
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "widget.mjs").write_text("export default {};")
    monkeypatch.setattr(assets, "app_dir", lambda: tmp_path)  # an app folder without app/static/ort
    monkeypatch.setattr(assets, "runtime", assets.runtime.__wrapped__)  # not the cached copy of the real one
    with pytest.raises(FileNotFoundError) as err:
        Explorer("vae", directions="axes")
    assert "make runtime" in one_line(err)
