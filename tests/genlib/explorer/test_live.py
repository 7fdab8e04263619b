"""genlib.live: what the in-browser explorer is given (controls from the LatentSpec and basis, decoder files)
and the check on the latent it sends back."""

import gzip
import math

import pytest
import torch

from genlib import export
from genlib.explorer import encodings, latent_state, live
from genlib.explorer.latent_state import LatentState
from helpers import need, tiny


def basis_of(model):
    return encodings.slider_basis(model.latent.sample_z(200, torch.Generator().manual_seed(0)))


@pytest.mark.parametrize("name", ["vae", "cgan", "infogan"])
def test_component_data_follows_the_latent_spec_and_basis(name):
    model = tiny(name).eval()
    spec = model.latent
    state = latent_state.random_state(spec, 4)
    url = "/latent-lab/decoders/x.onnx.gz"
    data = live.component_data(name, model, state, basis_of(model), url, "looks like a 1, 50%")
    assert len(data["sliders"]) == spec.z_dim and len(data["basis"]) == spec.z_dim**2
    assert data["shown"] == min(spec.z_dim, encodings.SHOWN_DIRECTIONS)
    assert data["z"] == list(state.z) and data["limit"] == latent_state.SLIDER_LIMIT
    assert ("labels" in data) == (spec.n_classes is not None)
    assert ("categories" in data) == bool(spec.categorical)
    assert [c["name"] for c in data["codes"]] == [c.name for c in spec.continuous]
    assert data["continuous"] == list(state.continuous)
    assert data["inputs"][0] == "z" and ("labels" in data["inputs"]) == (spec.n_classes is not None)


def test_strip_holds_only_models_with_the_same_z_size():
    vae, cvae, infogan = tiny("vae").eval(), tiny("cvae").eval(), tiny("infogan").eval()
    assert vae.latent.z_dim != infogan.latent.z_dim  # tiny configs: 4 vs 8
    state = latent_state.random_state(infogan.latent, 1)
    strip = [("infogan", infogan, "/a.onnx"), ("vae", vae, "/b.onnx"), ("cvae", cvae, "/c.onnx")]
    data = live.component_data("infogan", infogan, state, basis_of(infogan), "/a.onnx", None, strip)
    assert [s["name"] for s in data["strip"]] == ["infogan"] and data["strip"][0]["current"]


def payload(state, **changes):
    p = {"z": list(state.z), "label": state.label, "category": state.category, "continuous": list(state.continuous)}
    p.update(changes)
    return p


def test_synced_state_takes_the_browsers_latent_and_keeps_the_seed_only_for_the_same_z():
    spec = tiny("infogan").latent
    current = latent_state.random_state(spec, 9)
    same = live.synced_state(payload(current, category=(current.category + 1) % 10), spec, current)
    assert same.seed == 9 and same.z == current.z and same.category != current.category
    moved = live.synced_state(payload(current, z=[0.5] * spec.z_dim, continuous=[2.0, -0.25]), spec, current)
    assert moved.seed is None and moved.z == (0.5,) * spec.z_dim
    assert moved.continuous == (1.0, -0.25)  # clamped into the code's range


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (None, "no latent"),
        ({"z": [0.0] * 3}, "wrong size"),
        ({"z": ["a"] * 8}, "not all numbers"),
        ({"z": [math.inf] * 8}, "outside"),
        ({"z": [0.0] * 8, "label": 10}, "label 10"),
        ({"z": [0.0] * 8, "label": True}, "label True"),
    ],
)
def test_synced_state_refuses_what_does_not_fit(bad, fragment):
    spec = tiny("cgan").latent
    current = LatentState((0.0,) * spec.z_dim, label=1)
    with pytest.raises(ValueError, match=fragment):
        live.synced_state(bad, spec, current)


def test_publish_decoder_gzips_into_the_web_folder_and_drops_only_older_weights(tmp_path):
    model = tiny("dcgan").eval()
    static = tmp_path / "web"
    other = static / "decoders" / f"dcgan-collapsed-{'0' * 20}.onnx.gz"  # another model whose name starts alike
    other.parent.mkdir(parents=True)
    other.write_bytes(b"kept")
    rel = live.publish_decoder(model, "dcgan", static, cache=tmp_path / "cache")
    assert rel.startswith("decoders/dcgan-") and rel.endswith(".onnx.gz")
    # served as application/gzip, which Streamlit does not compress again; the browser inflates it to the export
    assert (
        gzip.decompress((static / rel).read_bytes())
        == export.decoder_onnx(model, "dcgan", tmp_path / "cache").read_bytes()
    )
    assert live.publish_decoder(model, "dcgan", static, cache=tmp_path / "cache") == rel
    with torch.no_grad():
        model.generator.convs[-2].bias.add_(1.0)
    newer = live.publish_decoder(model, "dcgan", static, cache=tmp_path / "cache")
    assert newer != rel
    assert sorted(p.name for p in (static / "decoders").iterdir()) == sorted([newer.split("/")[1], other.name])


def test_reading_is_what_the_classifier_sees(mnist_test):
    clf = need("classifier")
    idx = int((mnist_test.labels == 7).nonzero()[0])
    text = live.reading(clf, mnist_test.images[idx].float() / 255)
    assert text.startswith("looks like a 7, ") and text.endswith("%")
    assert 50 <= int(text.split(", ")[1][:-1]) <= 100


def test_published_files_go_to_the_per_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    enc = encodings.Encodings(z=torch.zeros(3, 2), labels=torch.tensor([1, 2, 3]))
    rel = live.publish_encodings(enc, "vae")
    path = tmp_path / "cache" / "web" / rel
    assert live.web_dir() == tmp_path / "cache" / "web" and path.is_file()
    data = gzip.decompress(path.read_bytes())
    assert len(data) == 3 * 2 * 4 + 3 and data[-3:] == bytes([1, 2, 3])


def test_published_encodings_of_a_model_with_codes_carry_each_digits_codes(tmp_path):
    """The layout app/live/hover.js reads: z, continuous codes, labels, categories."""
    import numpy as np

    z, cont = torch.arange(6.0).reshape(3, 2), torch.tensor([[0.5, -0.5], [1.0, 0.0], [0.25, 0.75]])
    codes = {"categorical": torch.tensor([7, 0, 9]), "continuous": cont}
    enc = encodings.Encodings(z=z, labels=torch.tensor([1, 2, 3]), codes=codes)
    data = gzip.decompress((tmp_path / live.publish_encodings(enc, "infogan", tmp_path)).read_bytes())
    n, d, k = 3, 2, 2
    assert len(data) == n * (d + k) * 4 + 2 * n
    floats = np.frombuffer(data[: n * (d + k) * 4], "<f4")
    assert floats[: n * d].tolist() == z.reshape(-1).tolist() and floats[n * d :].tolist() == cont.reshape(-1).tolist()
    assert list(data[-2 * n :]) == [1, 2, 3, 7, 0, 9]


def test_a_health_report_gives_the_reason_of_a_failure_only():
    why = live.health_report({"component": "hover", "ok": False, "why": "GET http://10.0.0.1/x failed [a](b)"})
    assert "a file" in why and "10.0.0.1" not in why and "\\[" in why  # no URL, Markdown escaped
    assert live.health_report({"component": "explore", "ok": False, "why": ""}).endswith("'no reason given'")
    assert len(live.health_report({"component": "scrub", "ok": False, "why": "x" * 1000})) < 200
    for fine_or_foreign in (
        {"component": "explore", "ok": True, "why": ""},
        {"component": "someone-else", "ok": False, "why": "x"},
        {"component": "explore", "ok": "false", "why": "x"},
        "explore failed",
        None,
    ):
        assert live.health_report(fine_or_foreign) is None
