"""The app over checkpoint folders that are not as shipped: a corrupt metrics.json (garbage, or a JSON
list) in a model or the classifier, a folder of quick runs without a classifier, an empty folder.
Every page keeps working and names the bad file or the folder."""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

import genlib
from genlib import checkpoint, paths
from helpers import APP, tiny

BAD = {"garbage": "{ this is not json", "list": "[1, 2, 3]"}


def need_shipped_classifier():
    if paths.shipped_dir() is None or not (paths.shipped_dir() / "classifier" / "model.safetensors").is_file():
        pytest.skip("needs the shipped checkpoints/classifier")


def open_page(page, model):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = model
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return " ".join(e.value for kind in (at.error, at.warning, at.info, at.caption) for e in kind)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A checkpoints folder of quick-run-like models (a tiny VAE and GAN), no classifier."""
    root = tmp_path / "ckpts"
    checkpoint.save(tiny("vae").eval(), root / "vae", metrics={"test_nll": 99.0}, history=[])
    checkpoint.save(tiny("gan").eval(), root / "gan", metrics={"min_class_share": 0.05}, history=[])
    monkeypatch.setattr(genlib, "CHECKPOINTS", root)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    return root


@pytest.mark.parametrize("kind", BAD)
def test_a_corrupt_model_metrics_json_is_named_on_the_models_page(folder, kind):
    (folder / "vae" / "metrics.json").write_text(BAD[kind])
    at = open_page("views/models.py", "vae")
    assert "The quality numbers cannot be read" in texts(at) and str(folder / "vae" / "metrics.json") in texts(at)
    assert {"Architecture", "Training", "Quality"} <= {h.value for h in at.subheader}
    gan = open_page("views/collapse.py", "gan")  # its own metrics.json is fine; the page draws
    assert "gan" in gan.session_state["collapse"]


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("page", ["views/draw.py", "views/collapse.py", "views/models.py"])
def test_a_corrupt_classifier_metrics_json_is_named_and_the_page_works(folder, kind, page):
    need_shipped_classifier()
    shutil.copytree(paths.shipped_dir() / "classifier", folder / "classifier")
    bad = folder / "classifier" / "metrics.json"
    bad.write_text(BAD[kind])
    at = open_page(page, "gan")
    assert str(bad) in texts(at), texts(at)
    assert not at.error, [e.value for e in at.error]
    if page == "views/collapse.py":
        assert at.session_state["collapse"]["gan"].n == 2000  # sampled and classified all the same


@pytest.mark.parametrize("page", ["views/draw.py", "views/collapse.py"])
def test_a_folder_without_classifier_falls_back_to_the_shipped_one(folder, page):
    need_shipped_classifier()
    at = open_page(page, "gan")
    assert not at.error, [e.value for e in at.error]
    assert f"`{folder}` has no classifier: using the shipped one" in texts(at)


@pytest.mark.parametrize("page", ["views/draw.py", "views/collapse.py"])
def test_no_classifier_anywhere_gives_the_hint_once(folder, page, monkeypatch):
    monkeypatch.setattr(paths, "shipped_dir", lambda: None)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = "gan"
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.count("train.py --model classifier") == 1, at.error[0].value


def test_an_empty_folder_is_named(tmp_path, monkeypatch):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    monkeypatch.setattr(genlib, "CHECKPOINTS", empty)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception and f"No trained model found in `{empty}`" in at.error[0].value
