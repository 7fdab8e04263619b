"""The "Conditional grids" and "Mode collapse" pages under AppTest, for every shipped model: they run
without errors, their controls change what they store (st.session_state["grids"] = {kind: Grid},
st.session_state["collapse"] = {checkpoint folder: Histogram}), and each unconditional GAN gets a chart."""

import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

import genlib
from genlib.explorer import collapse, grids, tradeoffs
from genlib.models import VARIANTS
from helpers import ALL, APP, SHIPPED, need, ok, shipped

GRIDS, COLLAPSE = "views/grids.py", "views/collapse.py"


def open_page(page, name) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["model"] = name
    at.run()
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def stored(at, kind) -> grids.Grid:
    return at.session_state["grids"][kind]


def changes(at, kind, widget_key, value):
    """Set a widget and return (grid before, grid after)."""
    before = stored(at, kind)
    widget = next(
        w for w in [*at.number_input, *at.slider, *at.selectbox, *at.radio, *at.toggle] if w.key == widget_key
    )
    widget.set_value(value).run()
    ok(at)
    return before, stored(at, kind)


# ---------------------------------------------------------------- Conditional grids
@pytest.mark.parametrize("name", SHIPPED)
def test_grids_page_shows_the_grids_the_model_has(name):
    model = need(name)
    at = open_page(GRIDS, name)
    assert at.title[0].value == "Conditional grids"
    assert list(at.session_state["grids"]) == (grids.kinds(model) or ["samples"])
    for g in at.session_state["grids"].values():
        assert g.images.ndim == 5 and g.images.shape[2:] == (1, 28, 28)
    if not grids.kinds(model):  # a plain GAN: a note saying which models have grids
        assert any("Label rows" in i.value and "InfoGAN" in i.value for i in at.info)


@pytest.mark.parametrize("name", SHIPPED)
def test_grids_seed_changes_the_stored_grid(name):
    model = need(name)
    at = open_page(GRIDS, name)
    for kind in at.session_state["grids"]:
        if kind == grids.TRAVERSAL:  # the seed appears once the others sit at a seed's z
            before, after = changes(at, kind, f"grids:{name}:traversal:base", "a seed's z")
            assert not torch.equal(before.z, after.z)
        before, after = changes(at, kind, f"grids:{name}:{kind}:seed", 7)
        assert not torch.equal(before.images, after.images), kind
        if kind == grids.LABELS:  # still one z per column
            assert all(torch.equal(after.z[k], after.z[0]) for k in range(model.latent.n_classes))


@pytest.mark.parametrize("name", SHIPPED)
def test_grids_condition_controls_change_the_grid(name):
    model = need(name)
    spec = model.latent
    at = open_page(GRIDS, name)
    kinds = grids.kinds(model)
    if grids.LABELS in kinds:
        before, after = changes(at, grids.LABELS, f"grids:{name}:labels:cols", 5)
        assert after.images.shape[:2] == (spec.n_classes, 5) != before.images.shape[:2]
    if grids.CODES in kinds:
        second = spec.continuous[1].name
        before, after = changes(at, grids.CODES, f"grids:{name}:codes:sweep", second)
        assert after.col_labels[0].startswith(second) and not torch.equal(before.images, after.images)
        _, wide = changes(
            at,
            grids.CODES,
            f"grids:{name}:codes:range",
            next(k for k in at.radio(key=f"grids:{name}:codes:range").options if "2" in k),
        )
        assert wide.col_labels[0] == f"{second}=-2" and wide.col_labels[-1] == f"{second}=+2"
        assert wide.row_labels[0].endswith("digit 0")  # rows matched to digits from metrics.json
        assert any("%" in m.value for m in at.metric)  # the code accuracy
    if grids.TRAVERSAL in kinds:
        g = stored(at, grids.TRAVERSAL)
        assert len(g.row_labels) == min(spec.z_dim, 12) and g.col_labels[0] == "-3" and g.col_labels[-1] == "+3"
        assert all("KL" in r for r in g.row_labels)
        if spec.z_dim > 12:
            _, everything = changes(at, grids.TRAVERSAL, f"grids:{name}:traversal:all", True)
            assert len(everything.row_labels) == spec.z_dim
        if spec.n_classes is not None:
            before, after = changes(at, grids.TRAVERSAL, f"grids:{name}:traversal:label", 6)
            assert not torch.equal(before.images, after.images)


# ---------------------------------------------------------------- Mode collapse
def unconditional_gans() -> list[str]:
    out = []
    for name in ALL:
        if shipped(name):
            try:
                if collapse.is_unconditional_gan(genlib.load(name)):
                    out.append(name)
            except genlib.CheckpointError:
                pass
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_collapse_page_charts_every_unconditional_gan(name):
    need(name)
    if not shipped("classifier"):
        pytest.skip("checkpoints/classifier is not trained yet")
    at = open_page(COLLAPSE, name)
    expected = unconditional_gans()
    extra = [f for f in VARIANTS if (genlib.CHECKPOINTS / f).is_dir()]
    assert sorted(at.session_state["collapse"]) == sorted(expected + extra)
    assert len(at.get("plotly_chart")) == len(expected) + len(extra)
    for folder, h in at.session_state["collapse"].items():  # at once: the histograms measured at ship time
        assert h.samples is None and h.class_shares == collapse.shipped_shares(genlib.CHECKPOINTS / folder)
        assert abs(sum(h.counts) - h.n) <= 10
    if not extra:  # until the collapsed DCGAN exists, the page says how to train it
        assert any("dcgan-collapsed" in i.value for i in at.info)


def test_collapse_sample_count_and_seed_change_the_histograms():
    names = unconditional_gans()
    if not names or not shipped("classifier"):
        pytest.skip("needs a trained unconditional GAN and the classifier")
    at = open_page(COLLAPSE, names[0])
    at.toggle(key="collapse:sample").set_value(True).run()  # sampling is on request
    ok(at)
    first = at.session_state["collapse"][names[0]]
    assert first.n == 2000 and sum(first.counts) == 2000
    at.select_slider(key="collapse:n").set_value(500).run()
    ok(at)
    assert at.session_state["collapse"][names[0]].n == 500
    at.number_input(key="collapse:seed").set_value(3).run()
    ok(at)
    assert not torch.equal(at.session_state["collapse"][names[0]].samples, first.samples)


def test_collapse_page_names_the_one_difference_and_charts_both_histograms():
    """The caption under the collapsed DCGAN names the one declared difference of its recipe as the cause, and
    its chart shows the healthy DCGAN's histogram beside its own."""
    if not ((genlib.CHECKPOINTS / "dcgan-collapsed").is_dir() and shipped("dcgan") and shipped("classifier")):
        pytest.skip("needs checkpoints/dcgan-collapsed, the DCGAN and the classifier")
    at = open_page(COLLAPSE, "dcgan")
    diffs = collapse.recipe_differences("dcgan-collapsed", "dcgan")
    text = " ".join(cap.value for cap in at.caption)
    assert len(diffs) == 1 and collapse.describe_differences(diffs) in text
    assert "differ in one setting" in text and "this one change is the cause" in text
    assert "only rewarded for fooling" not in " ".join(m.value for m in at.markdown)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [[trace.get("name", "") for trace in chart["data"]] for chart in charts]
    last = list(at.session_state["collapse"]).index("dcgan-collapsed")
    assert any(n.startswith("dcgan, 10,000 samples") for n in names[last])
    healthy = next(t for t in charts[last]["data"] if t.get("name", "").startswith("dcgan,"))
    assert healthy["y"] == pytest.approx(collapse.shipped_shares(genlib.CHECKPOINTS / "dcgan"))
    assert not any(n.startswith("dcgan,") for chart in names[:last] for n in chart)


# ---------------------------------------------------------------- pages on stand-in checkpoints
@pytest.fixture
def stand_in_checkpoints(tmp_path, monkeypatch):
    """A checkpoints folder with an untrained tiny CVAE and a tiny DCGAN as "dcgan-collapsed" (and the
    shipped classifier): covers the pages' CVAE and extra-checkpoint paths whatever is shipped now."""
    from genlib import checkpoint
    from helpers import tiny

    if not shipped("classifier"):
        pytest.skip("checkpoints/classifier is not trained yet")
    checkpoint.save(tiny("cvae").eval(), tmp_path / "cvae")
    checkpoint.save(tiny("dcgan").eval(), tmp_path / "dcgan-collapsed", metrics={"class_shares": [0.1] * 10})
    (tmp_path / "classifier").symlink_to(genlib.CHECKPOINTS / "classifier")
    monkeypatch.setattr(genlib, "CHECKPOINTS", tmp_path)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_grids_page_on_a_cvae(stand_in_checkpoints):
    at = open_page(GRIDS, "cvae")
    assert list(at.session_state["grids"]) == [grids.LABELS, grids.TRAVERSAL]
    assert len(at.tabs) == 2
    before, after = changes(at, grids.TRAVERSAL, "grids:cvae:traversal:label", 6)
    assert not torch.equal(before.images, after.images)
    before, after = changes(at, grids.LABELS, "grids:cvae:labels:seed", 9)
    assert not torch.equal(before.z, after.z)


def test_collapse_page_shows_the_extra_checkpoint(stand_in_checkpoints):
    at = open_page(COLLAPSE, "cvae")
    assert list(at.session_state["collapse"]) == ["dcgan-collapsed"]
    assert len(at.get("plotly_chart")) == 1
    assert not any("dcgan-collapsed" in i.value for i in at.info)  # no "train it" note once it exists


def test_collapse_page_measures_a_gan_sample_against_a_vae_likelihood():
    if not (shipped("gan") and shipped("vae")):
        pytest.skip("needs the shipped gan and vae")
    at = open_page(COLLAPSE, "gan")
    assert "tradeoffs" not in at.session_state  # nothing timed before the button
    assert len(at.table[-1].value) == len(tradeoffs.ITEMS)
    at.button(key="collapse:tradeoffs").click().run()
    ok(at)
    t = at.session_state["tradeoffs"]
    assert t.g_passes == 1 and t.decoded == t.k + 1
    assert any(f"{t.n:,} digits in 1 pass of G" in cap.value for cap in at.caption)
