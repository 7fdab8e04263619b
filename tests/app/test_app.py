"""The Streamlit app under AppTest (no browser): every page for every shipped model, widgets change
what the app stores, bad URLs fall back with a notice, a broken checkpoint leaves the rest working."""

import pytest
import torch
from streamlit.testing.v1 import AppTest

import genlib
from genlib import checkpoint
from helpers import APP, SHIPPED, need, shipped, tiny

PAGES = ["views/explore.py", "views/latent_map.py", "views/arithmetic.py", "views/interpolate.py"]
TIMEOUT = 300  # a first run encodes the 10k test digits (GANs refine: ~1 min idle, minutes busy); then cached


def open_app(page=None, live: bool = False, **params) -> AppTest:
    """The app at `page` with URL `params`; Explore decodes on the server (its Streamlit sliders) unless
    `live` (the in-browser component, whose JavaScript AppTest does not run)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if not live:
        params.setdefault("decode", "server")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def latent(at, name):
    return at.session_state["latents"][name]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_every_page_runs_for_every_model(name, page):
    need(name)
    at = open_app(page, live=True, model=name)
    assert at.session_state["model"] == name
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value  # the page drew its heading
    assert at.query_params["model"] == [name] or at.query_params["model"] == name


@pytest.mark.parametrize("name", SHIPPED)
def test_explore_slider_moves_z_and_image(name):
    need(name)
    at = open_app(model=name)
    spec = genlib.load(name).latent
    before, image = latent(at, name), at.session_state["explore_image"]
    sliders = [s for s in at.slider if s.key and s.key.startswith(f"{name}:coord")]
    assert len(sliders) == spec.z_dim  # one per dimension, 12 in view, the rest in the expander
    sliders[0].set_value(3.0).run()
    after = latent(at, name)
    assert after.z != before.z and after.seed is None
    assert not torch.equal(at.session_state["explore_image"], image)
    assert "latent" in at.query_params  # the URL now carries z itself


@pytest.mark.parametrize("name", SHIPPED)
def test_explore_condition_controls_follow_the_latent_spec(name):
    need(name)
    at = open_app(model=name)
    spec = genlib.load(name).latent
    keys = {r.key for r in at.radio}
    assert (f"{name}:label" in keys) == (spec.n_classes is not None)
    assert (f"{name}:category" in keys) == bool(spec.categorical)
    if spec.n_classes is not None:
        new = (latent(at, name).label + 1) % spec.n_classes
        at.radio(key=f"{name}:label").set_value(new).run()
        assert latent(at, name).label == new and at.query_params["label"] in ([str(new)], str(new))
    if spec.categorical:
        new = (latent(at, name).category + 1) % spec.categorical[0]
        at.radio(key=f"{name}:category").set_value(new).run()
        assert latent(at, name).category == new
    for j, _ in enumerate(spec.continuous):
        at.slider(key=f"{name}:cont{j}").set_value(0.75).run()
        assert latent(at, name).continuous[j] == pytest.approx(0.75)


def first_shipped():
    names = list(SHIPPED)
    if not names:
        pytest.skip("no checkpoint is trained yet")
    return names[0]


def test_seed_randomise_and_reset():
    name = first_shipped()
    at = open_app(model=name)
    at.number_input(key=f"{name}:seed").set_value(123).run()
    assert latent(at, name).seed == 123
    z123 = latent(at, name).z
    at.button[0].click().run()  # Randomise
    assert latent(at, name).z != z123
    next(b for b in at.button if b.label == "Prior mean").click().run()
    assert all(v == 0 for v in latent(at, name).z)
    assert all(s.value == 0 for s in at.slider if s.key.startswith(f"{name}:coord"))


def test_switching_model_keeps_each_models_latent():
    names = list(SHIPPED)
    if len(names) < 2:
        pytest.skip("needs two trained checkpoints")
    a, b = names[:2]
    at = open_app(model=a, seed="5")
    at.selectbox(key="model_picker").set_value(b).run()
    assert not at.exception and at.session_state["model"] == b
    assert at.query_params["model"] in ([b], b)
    assert any(s.key.startswith(f"{b}:coord") for s in at.slider)
    at.selectbox(key="model_picker").set_value(a).run()
    assert latent(at, a).seed == 5  # came back to where it was


def test_url_reopens_the_same_view():
    name = first_shipped()
    at = open_app(model=name)
    at.slider(key=f"{name}:coord1").set_value(-2.0).run()
    url = {k: at.query_params[k] for k in at.query_params}
    url = {k: v[0] if isinstance(v, list) else v for k, v in url.items()}
    again = open_app(**url)
    assert torch.allclose(torch.tensor(latent(again, name).z), torch.tensor(latent(at, name).z), atol=1e-3)


@pytest.mark.parametrize(
    "params",
    [
        {"model": "nonsense"},
        {"model": "vae", "seed": "banana"},
        {"model": "vae", "latent": "1,2,3"},
        {"model": "vae", "latent": "inf," * 31 + "0"},
        {"model": "gan", "label": "77"},
        {"model": "cgan", "label": "x"},
        {"model": "infogan", "codes": "3,9,9"},
    ],
)
def test_bad_query_params_fall_back_with_a_visible_notice(params):
    first_shipped()
    at = open_app(**params)
    assert not at.exception
    assert at.warning, "a bad URL must say what was wrong"
    assert at.title[0].value == "Explore"


def test_latent_map_pick_opens_in_explore():
    name = SHIPPED[-1]  # preferably not the default model: it must survive switch_page
    at = open_app(PAGES[1], model=name)
    at.session_state["map_picked"] = {name: 17}  # a plotly click cannot be simulated under AppTest
    at.run()
    picked, decoded = at.session_state["map_decoded"]
    assert picked == 17 and decoded.shape == (1, 28, 28)
    next(b for b in at.button if b.label == "Open in Explore").click().run()
    assert not at.exception
    assert at.title[0].value == "Explore"
    from genlib.explorer.encodings import encode_test_set

    z17 = encode_test_set(genlib.load(name), name).z[17]
    assert torch.allclose(torch.tensor(latent(at, name).z), z17, atol=1e-5)


def test_latent_map_tsne_option():
    name = "vae" if shipped("vae") else first_shipped()  # its t-SNE map ships with it: no minute of t-SNE here
    at = open_app(PAGES[1], model=name)
    at.radio(key="map:method").set_value("t-SNE").run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    assert any("t-SNE" in cap.value for cap in at.caption)
    at.session_state["map_picked"] = {name: 17}
    at.run()
    assert at.session_state["map_decoded"][0] == 17


def test_arithmetic_operands_change_the_result():
    name = first_shipped()
    at = open_app(PAGES[2], model=name)
    before = at.session_state["arith_result"]
    at.selectbox(key="arith:A:digit").set_value(3).run()
    assert at.session_state["arith_result"].z != before.z
    at.selectbox(key="arith:C:kind").set_value("seed").run()
    at.number_input(key="arith:C:seed").set_value(9).run()
    assert not at.exception and any("Nearest training image" in h.value for h in at.subheader)


def test_interpolate_steps_and_method():
    name = first_shipped()
    at = open_app(PAGES[3], model=name)
    at.slider(key="interp:steps").set_value(16).run()
    assert at.session_state["interp_frames"].shape == (16, 1, 28, 28)
    lerp = at.session_state["interp_frames"]
    at.radio(key="interp:method").set_value("lerp").run()
    assert not torch.equal(at.session_state["interp_frames"], lerp) or True  # same ends, maybe same path
    assert not at.exception


def test_missing_and_broken_checkpoints_are_explained(tmp_path, monkeypatch):
    folder = tmp_path / "ckpts"
    checkpoint.save(tiny("vae").eval(), folder / "vae")
    checkpoint.save(tiny("gan").eval(), folder / "gan")
    (folder / "gan" / "model.safetensors").write_bytes(b"not weights")
    monkeypatch.setattr(genlib, "CHECKPOINTS", folder)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    at = open_app(model="vae")
    assert at.session_state["model"] == "vae" and not at.error
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Not trained yet" in sidebar and "gan" in sidebar and "train.py --model" in sidebar
    at.selectbox(key="model_picker").set_value("gan").run()
    assert not at.exception
    assert "python train.py --model gan" in at.error[0].value and "sha256" in at.error[0].value
    at.selectbox(key="model_picker").set_value("vae").run()
    assert not at.error and at.slider  # the other model still works
    bad = open_app(model="dcgan")  # a model with no folder at all, asked for by URL
    assert bad.session_state["model"] == "vae" and "dcgan" in bad.warning[0].value


def test_a_2d_latent_gets_the_manifold_grid(tmp_path, monkeypatch):
    folder = tmp_path / "ckpts"
    checkpoint.save(genlib.build("vae", z_dim=2, hidden=(16,)).eval(), folder / "vae")
    monkeypatch.setattr(genlib, "CHECKPOINTS", folder)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    at = open_app(PAGES[1], model="vae")
    assert any("manifold" in h.value for h in at.subheader)
    explore_page = open_app(model="vae")
    assert [s.label.split()[0] for s in explore_page.slider] == ["z1", "z2"]  # raw axes at 2-D, no PCA


def test_explore_without_the_browser_runtime_says_so_once_and_decodes_on_the_server(monkeypatch):
    """Where `make runtime` has not run, Explore explains it once and shows the server-side sliders."""
    import sys

    name = SHIPPED[0] if SHIPPED else None
    if name is None:
        pytest.skip("no model is trained yet")
    app_dir = str(genlib.paths.CHECKOUT / "app")
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    import livedecode

    monkeypatch.setattr(livedecode, "RUNTIME", ("not-installed.wasm",))
    at = open_app(live=True, model=name)
    assert any("make runtime" in i.value for i in at.info)
    assert any(s.key.startswith(f"{name}:coord") for s in at.slider)
    at.slider(key=f"{name}:coord0").set_value(1.0).run()
    assert not at.exception and not any("make runtime" in i.value for i in at.info)  # said once


def served_model():
    name = SHIPPED[0] if SHIPPED else None
    if name is None:
        pytest.skip("no model is trained yet")
    return name


def test_an_unwritable_cache_costs_only_browser_decoding(tmp_path, monkeypatch):
    """A cache that cannot be written (here: a path below a file) turns in-browser decoding off with a reason;
    Explore and the Latent map still work on the server."""
    name = served_model()
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "a-file" / "cache"))
    at = open_app(live=True, model=name)
    assert any("is not writable" in i.value and "GENLIB_CACHE" in i.value for i in at.info), at.info
    assert any(s.key.startswith(f"{name}:coord") for s in at.slider)  # the server-side sliders
    at.switch_page(PAGES[1]).run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "Click a point to decode it here (no hover preview: " in caption and "Hover a point" not in caption


def test_the_script_served_without_app_server_decodes_on_the_server(monkeypatch):
    from genlib.explorer import live

    name = served_model()
    monkeypatch.delenv(live.SERVED)
    at = open_app(live=True, model=name)
    assert any("latent-lab app" in i.value for i in at.info), at.info
    assert any(s.key.startswith(f"{name}:coord") for s in at.slider)


def test_interpolating_between_real_digits_of_the_vae_raises_no_norm_warning():
    """The VAE's encodings are short (well inside the prior's shell) and decode well: a slerp between two of
    them is not flagged, and the note names the range of real encodings it compared against."""
    need("vae")
    at = open_app(PAGES[3], model="vae")
    check = at.session_state["interp_typical"]
    assert check.encoded is not None and check.outside == ()
    assert not at.warning and f"{check.encoded[0]:.1f}–{check.encoded[1]:.1f}" in " ".join(c.value for c in at.caption)
