"""Models from other frameworks in the app (AppTest, no browser): ONNX model folders named by $LATENT_LAB_MODELS
(`latent-lab app --models DIR`) join the picker; every page opens on them, and the pages that need an encoder say
so in one line; a zip uploaded in the sidebar opens for that session; a folder that cannot load is named and
nothing else is affected."""

import io
import re
import zipfile

import pytest
import torch
from onnx_models import BAD, coded_graphs, linear_graph, manifest, trained_homework_vae, write
from streamlit.testing.v1 import AppTest

import genlib
from genlib import metrics
from genlib.explorer import model_folders
from genlib.models import onnx_folder
from helpers import APP, live, ok

pytest.importorskip("onnxruntime")

PAGES = [
    "explore",
    "latent_map",
    "arithmetic",
    "interpolate",
    "grids",
    "draw",
    "models",
    "likelihood",
    "reparam",
    "collapse",
    "information",
    "codes",
    "toys",
]
NEEDS_ENCODER = {"latent_map", "draw", "toys"}  # the pages that say "has no encoder" and stop (Toys: its last tab)
FOLDERS = {"homework-vae": True, "helper-api": False, "coded": True}  # name -> has an encoder


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """A homework VAE trained for seconds in plain PyTorch (decoder + encoder), a decoder built with the onnx
    helper API (no encoder), and a decoder + encoder with InfoGAN-style codes, side by side in one folder."""
    root = tmp_path_factory.mktemp("models")
    trained_homework_vae(root / "homework-vae")
    write(root / "helper-api", decoder=linear_graph(), meta=manifest(title="by the helper API", output="probability"))
    dec, enc = coded_graphs()
    codes = {
        "categorical": [3],
        "continuous": [{"name": "width", "low": -1, "high": 1}, {"name": "slant", "low": -2, "high": 2}],
    }
    write(root / "coded", decoder=dec, encoder=enc, meta=manifest(title="coded", codes=codes))
    return root


@pytest.fixture
def listed(models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv(model_folders.ENV, str(models_dir))
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    return models_dir


def open_app(page="explore", **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in {"decode": "server", **params}.items():
        at.query_params[k] = v
    at.run()
    if page != "explore":
        at.switch_page(f"views/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_picker_lists_the_folders_after_the_registered_models(listed):
    at = open_app()
    options = [o.split("  (")[0] for o in at.selectbox(key="model_picker").options]  # "betavae  (not trained)"
    assert options == [*genlib.MODELS, *sorted(FOLDERS)]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", FOLDERS)
def test_every_page_opens_and_those_needing_an_encoder_say_so(listed, name, page):
    at = open_app(page, model=name)
    ok(at)
    assert at.session_state["model"] == name and at.title[0].value
    said = " ".join(i.value for i in at.info)
    assert ("has no encoder" in said) == (page in NEEDS_ENCODER and not FOLDERS[name]), said


@pytest.mark.parametrize("name", FOLDERS)
def test_explore_sliders_move_the_folder_models_digit(listed, name):
    at = open_app(model=name)
    before = at.session_state["explore_image"]
    sliders = [s for s in at.slider if s.key.startswith(f"{name}:coord")]
    assert sliders and all(("test-set σ" in s.label) == FOLDERS[name] for s in sliders)
    sliders[0].set_value(2.5).run()
    ok(at)
    after = at.session_state["explore_image"]
    assert after.shape == (1, 28, 28) and not torch.equal(after, before)
    state, model = at.session_state["latents"][name], genlib.load(path=listed / name)
    codes = None
    if model.latent.has_codes:
        codes = {"categorical": torch.tensor([state.category]), "continuous": torch.tensor([state.continuous])}
    expected = model.decode(torch.tensor([state.z]), codes=codes)[0]
    assert torch.allclose(after, expected, atol=1e-6)  # the page shows what genlib decodes


def test_arithmetic_and_interpolation_without_an_encoder_work_from_seeds(listed):
    at = open_app("arithmetic", model="helper-api")
    ok(at)
    assert at.selectbox(key="arith:A:kind").options == ["seed", "explore latent"]
    before = at.session_state["arith_result"]
    at.number_input(key="arith:A:seed").set_value(11).run()
    ok(at)
    assert at.session_state["arith_result"].z != before.z
    at = open_app("interpolate", model="helper-api")
    ok(at)
    assert len(at.session_state["interp_frames"]) == 10


def test_switching_from_a_shipped_model_keeps_the_operands_valid(listed):
    at = open_app("arithmetic", model="vae")
    assert at.selectbox(key="arith:A:kind").value == "class mean"
    at.selectbox(key="model_picker").set_value("helper-api").run()
    ok(at)
    assert at.selectbox(key="arith:A:kind").value == "seed"


def test_the_models_page_measures_a_folder_model_beside_the_shipped_ones(listed, monkeypatch):
    # fewer samples than the app's 10,000: the numbers are the same computation (tests/genlib/test_metrics.py)
    monkeypatch.setattr(metrics, "COMPARE_SAMPLES", 1000)
    monkeypatch.setattr(metrics, "COMPARE_ENCODINGS", 300)
    at = open_app("models", model="homework-vae")
    ok(at)
    assert "homework VAE (trained in the test)" in at.header[0].value.replace("\\", "")  # escaped: the user's text
    assert at.session_state["models_compared"] is None  # measured on request only: it takes seconds
    at.button(key="models:compare").click().run()
    ok(at)
    rows = {r["model"]: r for r in at.session_state["models_compared"]}
    mine = rows["homework-vae (measured now)"]
    assert 0 < mine["Fréchet distance"] and 0 <= mine["rarest class share"] <= 0.1
    assert 0 <= mine["encode → decode keeps the digit"] <= 1
    assert {"vae", "gan"} <= set(rows)  # the shipped models' recorded numbers, on the same columns


def zipped(folder, prefix="") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, prefix + f.name)
    return buf.getvalue()


def test_an_uploaded_zip_opens_for_this_session_and_is_measured_like_the_others(models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))  # no --models: the upload alone
    at = open_app()
    data = zipped(models_dir / "homework-vae", prefix="homework-vae/")
    at.file_uploader(key="model_upload").upload("my vae.zip", data, "application/zip").run()
    ok(at)
    assert at.session_state["model"] == "my-vae" and at.selectbox(key="model_picker").value == "my-vae"
    assert [s for s in at.slider if s.key.startswith("my-vae:coord")]
    at.switch_page("views/latent_map.py")
    at.run()
    ok(at)
    other = open_app()  # another browser session does not see it
    assert not any(o.startswith("my-vae") for o in other.selectbox(key="model_picker").options)


BAD_UPLOADS = {
    **BAD,  # every folder the library refuses, zipped
    "a zip without model.json": (lambda f: (f.mkdir(), (f / "notes.txt").write_text("hi"), f)[-1], "holds no model"),
}


@pytest.mark.parametrize("what", list(BAD_UPLOADS))
def test_a_bad_upload_is_one_line_and_the_session_carries_on(listed, tmp_path, what):
    make, says = BAD_UPLOADS[what]
    at = open_app(model="vae")
    before, listed_before = at.session_state["explore_image"], at.selectbox(key="model_picker").options
    data = zipped(make(tmp_path / "bad"))
    at.file_uploader(key="model_upload").upload("[x](https://evil.example).zip", data, "application/zip").run()
    assert not at.exception
    (err,) = [e.value for e in at.sidebar.error]
    assert re.search(says, err.replace("\\", "")) and "\n" not in err and not live(err), err
    assert "latent-lab-upload" not in err  # the temporary folder means nothing to the user
    assert at.session_state["model"] == "vae" and torch.equal(at.session_state["explore_image"], before)
    assert at.selectbox(key="model_picker").options == listed_before  # nothing listed


def test_a_folder_that_cannot_load_is_marked_and_the_others_work(listed, tmp_path, monkeypatch):
    broken = write(tmp_path / "more" / "broken", decoder=b"garbage", meta=manifest())
    monkeypatch.setenv(model_folders.ENV, f"{listed}:{broken.parent}:{tmp_path / 'missing'}")
    at = open_app()
    assert "broken  (cannot load)" in at.selectbox(key="model_picker").options
    assert "no such folder" in " ".join(w.value for w in at.sidebar.warning)
    at.selectbox(key="model_picker").set_value("broken").run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    reason, hint = err.split("\n\n")
    assert f"{onnx_folder.DECODER} is not" in reason.replace("\\", "") and not live(reason)
    assert hint.startswith("Fix the folder") and "train.py" not in hint
    at.selectbox(key="model_picker").set_value("homework-vae").run()
    ok(at)
