"""The "Lecture toys" page under AppTest: runs for every shipped model, and each of its three
demonstrations stores what it shows in st.session_state ("toys_ring", "toys_gan", "toys_shift")."""

import pytest
import torch
from streamlit.testing.v1 import AppTest

import genlib
from genlib.explorer import toys
from helpers import ALL, APP, SHIPPED, need, ok, shipped

PAGE = "views/toys.py"
TIMEOUT = 300  # a first run encodes the 10k test digits (GANs refine: ~1 min idle, minutes busy); then cached


def loads(name) -> bool:
    try:
        genlib.load(name)
        return True
    except genlib.CheckpointError:
        return False


def first_shipped():
    names = [n for n in ALL if shipped(n) and loads(n)]
    if not names:
        pytest.skip("no checkpoint is trained yet")
    return names[0]


def open_toys(name) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["model"] = name
    at.switch_page(PAGE)  # straight to this page: the default page's first run decodes through every model
    at.run()
    ok(at)
    return at


@pytest.mark.parametrize("name", SHIPPED)
def test_toys_page_runs_for_every_model(name):
    need(name)
    at = open_toys(name)
    assert at.session_state["model"] == name
    assert at.title[0].value == "Lecture toys"
    assert "toys_gan" not in at.session_state  # nothing is trained until the button is pressed
    shift = at.session_state["toys_shift"]
    assert shift.shift == (2, 0) and shift.pixel["shifted"] > shift.pixel["neighbour"]


def test_sample_count_changes_the_ring():
    at = open_toys(first_shipped())
    before = at.session_state["toys_ring"]
    at.slider(key="toys:ring_n").set_value(300).run()
    ok(at)
    after = at.session_state["toys_ring"]
    assert before.x.shape[0] == 1000 and after.x.shape == (300, 2)
    at.number_input(key="toys:ring_seed").set_value(9).run()
    assert not torch.equal(at.session_state["toys_ring"].x, after.x)


def test_train_button_stores_a_result_kept_across_reruns():
    at = open_toys(first_shipped())
    at.number_input(key="toys:steps").set_value(20).run()
    at.slider(key="toys:k").set_value(2).run()
    at.button(key="toys:train").click().run()
    ok(at)
    result = at.session_state["toys_gan"]
    assert result.config.steps == 20 and result.config.k == 2 and len(result.history["loss_g"]) == 20
    at.slider(key="toys:ring_n").set_value(200).run()  # another widget: no retraining
    assert at.session_state["toys_gan"] is result
    assert any("controls changed" in i.value for i in at.info) is False
    at.slider(key="toys:modes").set_value(3).run()  # stale result is kept, with a note
    assert at.session_state["toys_gan"] is result and any("controls changed" in i.value for i in at.info)


def test_shift_changes_stored_distances():
    at = open_toys(first_shipped())
    first = at.session_state["toys_shift"]
    at.slider(key="toys:dx").set_value(0).run()
    ok(at)
    zero = at.session_state["toys_shift"]
    assert zero.pixel["shifted"] == 0 and zero.latent["shifted"] == pytest.approx(0, abs=1e-5)
    assert zero.neighbour_index == first.neighbour_index  # the neighbour depends on the digit only
    at.slider(key="toys:dy").set_value(-3).run()
    assert at.session_state["toys_shift"].pixel["shifted"] > 0
    at.number_input(key="toys:index").set_value(1).run()
    assert at.session_state["toys_shift"].neighbour_index != first.neighbour_index


def test_replay_slider_shows_a_snapshot_and_d_gets_its_own_rate():
    at = open_toys(first_shipped())
    at.number_input(key="toys:steps").set_value(40).run()
    at.select_slider(key="toys:lr_d").set_value(5e-4).run()
    at.button(key="toys:train").click().run()
    ok(at)
    result = at.session_state["toys_gan"]
    assert result.config.lr_d == 5e-4 and result.config.lr == 2e-3
    last = at.session_state["toys_frame"]
    assert last.step == 40 and last is result.snapshots[-1]
    at.select_slider(key="toys:replay").set_value(result.snapshots[2].step).run()
    ok(at)
    assert at.session_state["toys_frame"].step == result.snapshots[2].step


@pytest.mark.parametrize("name", ["vae", "gan"])
def test_shifted_against_erased(name):
    need(name)
    at = open_toys(name)
    contrast = at.session_state["toys_erase"]
    assert contrast.pixel["erased"] < contrast.pixel["shifted"]
    assert (contrast.nll is not None) == (name == "vae")
    at.slider(key="toys:erase").set_value(10).run()
    ok(at)
    assert at.session_state["toys_erase"].pixel["erased"] > contrast.pixel["erased"]


def test_a_preset_sets_the_controls_and_the_identity_is_shown_checked():
    at = open_toys(first_shipped())
    at.selectbox(key="toys:preset").set_value("drop a mode").run()
    ok(at)
    preset = toys.PRESETS["drop a mode"]
    assert at.slider(key="toys:modes").value == len(preset.data.means)
    assert at.select_slider(key="toys:lr").value == preset.lr and at.select_slider(key="toys:lr_d").value == preset.d_lr
    at.number_input(key="toys:steps").set_value(40).run()
    at.button(key="toys:train").click().run()
    ok(at)
    result = at.session_state["toys_gan"]
    assert result.config.data == preset.data and result.config.steps == 40
    text = " ".join(cap.value for cap in at.caption)
    assert f"at most **{result.identity_gap:.3f} nats**" in text and "within 2σ of each mode" in text


def test_the_lemma_and_the_width_control():
    at = open_toys(first_shipped())
    at.slider(key="toys:lemma_a").set_value(1.5).run()
    at.slider(key="toys:lemma_b").set_value(0.5).run()
    ok(at)
    lem = at.session_state["toys_lemma"]
    assert lem.best_formula == pytest.approx(0.75) and abs(lem.best_on_grid - 0.75) < 1e-3
    at.select_slider(key="toys:hidden").set_value(4).run()
    at.number_input(key="toys:steps").set_value(10).run()
    at.button(key="toys:train").click().run()
    ok(at)
    assert at.session_state["toys_gan"].config.hidden == 4
