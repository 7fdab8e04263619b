"""The Models page under AppTest: it runs for every shipped model, the epoch slider changes the shown
sample grid, and a checkpoint without history / samples / metrics shows notices, not exceptions."""

import pytest
from streamlit.testing.v1 import AppTest

import genlib
from genlib import checkpoint
from genlib.explorer import cards, training_record
from helpers import ALL, APP, SHIPPED, need, shipped, tiny

PAGE = "views/models.py"


def open_page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(PAGE)
    at.run()
    if "model" in params and at.session_state["model"] != params["model"]:
        # the URL only opens loadable models; the sidebar also offers broken / untrained ones
        at.selectbox(key="model_picker").set_value(params["model"]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def loadable(name) -> bool:
    try:
        genlib.load(name)
        return True
    except genlib.CheckpointError:
        return False


@pytest.mark.parametrize("name", SHIPPED)
def test_models_page_runs_for_every_model(name):
    need(name)
    at = open_page(model=name)
    assert at.session_state["model"] == name
    assert at.title[0].value == "Models" and cards.card_for(name).title in at.header[0].value
    assert len(at.latex) >= len(cards.card_for(name).objective)
    if not loadable(name):  # e.g. a checkpoint mid-retraining: the card says how to train it
        assert any(f"train.py --model {name}" in w.value for w in at.warning)
        return
    assert not at.error, [e.value for e in at.error]
    subheaders = [h.value for h in at.subheader]
    assert {"Architecture", "Training", "Watch it learn", "Quality"} <= set(subheaders)
    sample = at.session_state["models_sample"]
    assert (
        sample["model"] == name and sample["epoch"] == training_record.sample_epochs(genlib.CHECKPOINTS / name)[-1][0]
    )
    has_d = genlib.MODELS[name].has_discriminator
    assert ("Discriminator features for classification" in subheaders) == has_d


@pytest.mark.parametrize("name", SHIPPED)
def test_epoch_slider_changes_the_sample_grid(name):
    need(name)
    if not loadable(name) or len(training_record.sample_epochs(genlib.CHECKPOINTS / name)) < 2:
        pytest.skip(f"{name}: needs a loadable checkpoint with two epochs of samples")
    at = open_page(model=name)
    last = at.session_state["models_sample"]
    at.select_slider(key=f"models:{name}:epoch").set_value(1).run()
    first = at.session_state["models_sample"]
    assert not at.exception and first["epoch"] == 1 and first["png"] != last["png"]


def test_probe_section_shows_the_cached_table_or_a_notice():
    names = [n for n in ALL if genlib.MODELS[n].has_discriminator and shipped(n) and loadable(n)]
    if not names:
        pytest.skip("no GAN checkpoint is trained yet")
    for name in names:
        at = open_page(model=name)
        probe = at.session_state["models_probe"]
        if probe is None:
            assert any("train.py --probe" in i.value for i in at.info)
        else:
            assert set(probe) == {10, 100, 1000} and all(0 <= v <= 1 for r in probe.values() for v in r.values())


def test_a_checkpoint_without_history_samples_or_metrics_shows_notices(tmp_path, monkeypatch):
    folder = tmp_path / "ckpts"
    checkpoint.save(tiny("gan").eval(), folder / "gan")  # weights and config only
    monkeypatch.setattr(genlib, "CHECKPOINTS", folder)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    at = open_page(model="gan")
    assert not at.error, [e.value for e in at.error]
    notices = " ".join(i.value for i in at.info)
    assert "No training history" in notices and "sample grids" in notices and "metrics.json" in notices
    assert at.session_state["models_sample"] is None
    assert "classifier" in " ".join(c.value for c in at.caption)  # says the classifier is missing


def test_a_corrupt_history_is_a_warning(tmp_path, monkeypatch):
    folder = tmp_path / "ckpts"
    checkpoint.save(tiny("vae").eval(), folder / "vae")
    (folder / "vae" / "history.json").write_text("{oops")
    monkeypatch.setattr(genlib, "CHECKPOINTS", folder)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    at = open_page(model="vae")
    assert any("history" in w.value for w in at.warning)


def test_quality_sits_beside_the_shipped_models_measured_the_same_way():
    """The DCGAN's numbers beside the MLP GAN's (both choose their digits), read from each metrics.json; no
    labelled model among them."""
    need("dcgan")
    need("gan")
    at = open_page(model="dcgan")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "model" in d.value.columns and "gan" in set(d.value["model"]))
    rows = {r["model"]: r for r in table.to_dict("records")}
    assert {"gan", "dcgan"} <= set(rows) and not {"cgan", "cvae"} & set(rows)
    for name in ("gan", "dcgan"):
        recorded = checkpoint.read_metrics(genlib.CHECKPOINTS / name)
        assert rows[name]["Fréchet distance"] == pytest.approx(recorded["fid"])
        assert rows[name]["rarest class share"] == pytest.approx(recorded["min_class_share"])


def test_peers_are_the_models_measured_by_the_same_sample_metric():
    shipped = {"gan": {"min_class_share": 0.07}, "cgan": {"conditional_accuracy": 0.98}, "odd": {}}
    assert set(cards.peers({"min_class_share": 0.09}, shipped)) == {"gan"}
    assert set(cards.peers({"conditional_accuracy": 0.99}, shipped)) == {"cgan"}
    assert cards.peers({}, shipped) == {}
