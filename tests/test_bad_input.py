"""Bad input, each refused with a message and nothing run: hand-edited checkpoints, pickles in disguise,
a corrupt MNIST cache, NaN / inf / huge latents in URLs and JSON files, labels out of range, odd
uploads, sliders at their ends.

Already covered elsewhere (not repeated here): config/weights shape mismatch and unknown settings,
truncated/garbage weights, a pickle as model.safetensors (test_checkpoint.py); a tampered wheel and
IDX cache, the restricted unpickler (test_data.py); NaN and malformed URL values (test_explore.py,
test_app.py); non-images, truncated images, oversized files and decompression bombs (test_drawing.py)."""

import gzip
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import genlib
from genlib import checkpoint, data
from genlib.checkpoint import CheckpointError
from genlib.explorer import drawing, encodings, exchange, latent_state
from genlib.latent import ContinuousCode, LatentSpec
from genlib.training import trainers
from helpers import ALL, APP, SHIPPED, live, shipped, tiny


class Payload:
    """Unpickling this runs `touch MARKER`: the proof that a refusal happened before execution."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def marker(tmp_path):
    m = tmp_path / "code-was-run"
    assert not m.exists()
    yield m
    assert not m.exists(), "the pickle's payload ran"


@pytest.fixture
def folder(tmp_path):
    return checkpoint.save(tiny("vae"), tmp_path / "vae")


def edit_config(folder, **changes):
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(changes)
    (folder / "config.json").write_text(json.dumps(cfg))
    return cfg


# ---------------------------------------------------------------- checkpoints
@pytest.mark.parametrize(
    "settings",
    [
        {"z_dim": "4"},
        {"z_dim": -1},
        {"z_dim": 4.5},
        {"z_dim": None},
        {"hidden": 5},
        {"hidden": [32, "x"]},
    ],
)
def test_config_values_of_the_wrong_type_or_range_are_refused(folder, settings):
    cfg = json.loads((folder / "config.json").read_text())
    edit_config(folder, config={**cfg["config"], **settings})
    with pytest.raises(CheckpointError, match="config.json"):
        genlib.load("vae", folder)


@pytest.mark.parametrize(
    "cfg", [[1, 2], {"model": ["vae"]}, {"model": "vae", "config": [1]}, {"model": "vae", "config": "x"}]
)
def test_config_of_the_wrong_shape_is_refused(folder, cfg):
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError):
        genlib.load("vae", folder)


def test_weights_of_another_model_under_a_matching_sha(folder, tmp_path):
    """config.json says vae with hidden (32, 16) but the weights are a dcgan's, and an attacker fixed
    up the sha256: the architecture check still refuses, naming the mismatch."""
    other = checkpoint.save(tiny("dcgan"), tmp_path / "dcgan")
    (folder / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes())
    edit_config(folder, weights_sha256=json.loads((other / "config.json").read_text())["weights_sha256"])
    with pytest.raises(CheckpointError, match="does not match the vae architecture"):
        genlib.load("vae", folder)


@pytest.mark.parametrize("fix_sha", [False, True])
def test_os_system_pickle_as_weights_is_refused_unrun(folder, marker, fix_sha):
    import hashlib

    blob = pickle.dumps(Payload(marker))
    (folder / "model.safetensors").write_bytes(blob)
    if fix_sha:  # even with config.json agreeing with the pickle
        edit_config(folder, weights_sha256=hashlib.sha256(blob).hexdigest())
    with pytest.raises(CheckpointError, match="pickle|sha256"):
        genlib.load("vae", folder)


def test_torch_save_file_as_weights_is_refused(folder, marker):
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2), "evil": Payload(marker)}, buf)
    (folder / "model.safetensors").write_bytes(buf.getvalue())
    edit_config(folder, weights_sha256=None)
    with pytest.raises(CheckpointError, match="pickle / torch.save"):
        genlib.load("vae", folder)


def test_pickle_as_config_json_is_refused_unrun(folder, marker):
    for proto in (0, 2, 5):  # protocol 0 is ASCII text, the others binary
        (folder / "config.json").write_bytes(pickle.dumps(Payload(marker), protocol=proto))
        with pytest.raises(CheckpointError, match="not valid JSON"):
            genlib.load("vae", folder)


def test_safetensors_header_claiming_huge_size_is_refused(folder):
    (folder / "model.safetensors").write_bytes((2**62).to_bytes(8, "little") + b"{}")
    edit_config(folder, weights_sha256=None)
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        genlib.load("vae", folder)


@pytest.mark.parametrize("content", ["pickle", "truncated", "garbage"])
def test_foreign_training_state_is_refused_unrun(tmp_path, tiny_mnist, marker, content):
    cfg = trainers.TrainConfig(epochs=1, batch_size=32)
    trainers.TRAINERS["vae"](tiny("vae"), cfg, tmp_path, tiny_mnist).fit()
    state = tmp_path / trainers.STATE
    if content == "pickle":
        state.write_bytes(pickle.dumps({"model": Payload(marker)}))
    elif content == "truncated":
        state.write_bytes(state.read_bytes()[:1000])
    else:
        state.write_bytes(os.urandom(2000))
    with pytest.raises(CheckpointError, match="not a training state this project wrote"):
        trainers.TRAINERS["vae"](tiny("vae"), cfg, tmp_path, tiny_mnist).fit(resume=True)


# ---------------------------------------------------------------- the MNIST cache
def mnist_folder(tmp_path):
    rng = np.random.default_rng(0)
    sets = tuple(
        (rng.integers(0, 256, size=(k, 784)).astype(np.float32) / 256, rng.integers(0, 10, size=k))
        for k in (20, 10, 10)
    )
    data.idx_from_pickle(gzip.compress(pickle.dumps(sets)), tmp_path)
    return data.raw_dir(tmp_path)


@pytest.mark.parametrize("manifest", [b"{garbage", b"\xff\xfe", b"[1, 2]", b'{"other": "x"}'])
def test_corrupt_manifest_is_a_clear_error(tmp_path, manifest):
    raw = mnist_folder(tmp_path)
    (raw / data.MANIFEST).write_bytes(manifest)
    with pytest.raises(data.MNISTIntegrityError, match="Delete"):
        data.ensure_mnist(tmp_path)


def test_truncated_idx_file_in_a_foreign_folder_is_a_clear_error(tmp_path):
    """A folder someone copied in (no manifest of ours): a truncated file is named, not a torch
    reshape error from deep inside torchvision."""
    raw = mnist_folder(tmp_path)
    (raw / data.MANIFEST).unlink()
    f = raw / data.IDX_FILES["train_images"]
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(data.MNISTIntegrityError, match="train-images-idx3-ubyte is not a complete"):
        data.load_split(True, tmp_path)


def test_tampered_cache_never_loads_silently(tmp_path):
    raw = mnist_folder(tmp_path)
    f = raw / data.IDX_FILES["train_images"]
    b = bytearray(f.read_bytes())
    b[100] ^= 0xFF  # one pixel, same size: only the hash can tell
    f.write_bytes(bytes(b))
    with pytest.raises(data.MNISTIntegrityError, match="does not match the hash"):
        data.load_split(True, tmp_path)


# ---------------------------------------------------------------- latents in URLs and JSON files
CODED = LatentSpec(z_dim=4, categorical=(10,), continuous=(ContinuousCode("c1"), ContinuousCode("c2")))
LABELLED = LatentSpec(z_dim=4, n_classes=10)
SPECS = {"coded": CODED, "labelled": LABELLED}


@pytest.mark.parametrize(
    "latent",
    [
        "1e300,0,0,0",
        "-1e300,0,0,0",
        "3e38,0,0,0",
        "1e4,0,0,0",
        "1e999,0,0,0",
        "-inf,0,0,0",
        "inf,0,0,0",
        "nan,0,0,0",
        "NaN,0,0,0",
        "0x10,0,0,0",
        "1_0,0,0,0",
        "",
        ",,,",
        "1" * 5000,
    ],
)
def test_url_latent_that_is_not_a_usable_point_falls_back(latent):
    r = exchange.parse_query({"model": "labelled", "latent": latent}, SPECS, "coded")
    if r.state is not None:  # "1_0" is Python's 10: fine, if finite and small
        assert all(abs(v) <= latent_state.LATENT_MAX for v in r.state.z)
    else:
        assert any("latent" in n for n in r.notices)


@pytest.mark.parametrize("codes", ["1,nan,0", "1,inf,0", "1,1e300,0", "nan,0,0", "1e300,0,0", "-1,0,0", "10,0,0"])
def test_url_codes_out_of_range_fall_back(codes):
    r = exchange.parse_query({"model": "coded", "codes": codes}, SPECS, "coded")
    assert r.state is None and "codes" in r.notices[0]


def test_url_with_huge_values_still_decodes_something():
    """What parse_query accepts, the model can draw: the largest allowed |z| gives a finite image."""
    m = tiny("cvae")
    big = ",".join([str(latent_state.LATENT_MAX)] * m.latent.z_dim)
    r = exchange.parse_query({"model": "cvae", "latent": big, "label": "3"}, {"cvae": m.latent}, "cvae")
    x = latent_state.decode_states(m, [r.state])
    assert torch.isfinite(x).all() and 0 <= x.min() and x.max() <= 1


def latent_doc(**changes):
    d = {
        "model": "coded",
        "z_dim": 4,
        "z": [0.1, 0.2, 0.3, 0.4],
        "label": None,
        "category": 3,
        "continuous": [0.5, -0.5],
        "seed": None,
    }
    d.update(changes)
    return json.dumps(d)


@pytest.mark.parametrize(
    "text, fragment",
    [
        (latent_doc(z=[float("nan"), 0, 0, 0]), "finite"),  # json.dumps writes NaN, json.loads reads it
        (latent_doc(z=[float("inf"), 0, 0, 0]), "finite"),
        ('{"z": [1e999, 0, 0, 0]}', "finite"),
        (latent_doc(z=[1e300, 0, 0, 0]), "finite"),
        (latent_doc(z=[3e38, 0, 0, 0]), "finite"),
        (latent_doc(z=["a", 0, 0, 0]), "not a latent JSON"),
        (latent_doc(z=[[0, 0], 0, 0, 0]), "not a latent JSON"),
        (latent_doc(z=None), "not a latent JSON"),
        (latent_doc(z=[0] * 10_000), "needs 4"),
        (latent_doc(category=10), "category"),
        (latent_doc(category=-1), "category"),
        (latent_doc(category="3"), "category"),
        (latent_doc(category=2.5), "category"),
        (latent_doc(category=True), "category"),
        (latent_doc(continuous=[float("nan"), 0]), "continuous"),
        (latent_doc(continuous=[5, 0]), "continuous"),
        (latent_doc(continuous=["x", 0]), "continuous"),
        (latent_doc(continuous=5), "continuous"),
        ("[1, 2, 3]", "not a latent JSON"),
        ('"z"', "not a latent JSON"),
        ("\x00\x01", "not a latent JSON"),
    ],
)
def test_latent_json_that_does_not_fit_is_refused(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        exchange.parse_latent_json(text, CODED)


@pytest.mark.parametrize("label", [10, -1, "3", 2.5, True, [3]])
def test_latent_json_label_out_of_range_is_refused(label):
    with pytest.raises(ValueError, match="label"):
        exchange.parse_latent_json(latent_doc(label=label, category=None, continuous=[]), LABELLED)


def test_latent_json_seed_that_is_not_the_z_s_seed_is_dropped():
    """The URL of a seeded state holds only the seed: a file claiming a seed for another z would
    reopen as a different point, so such a seed is dropped (an honest one is kept)."""
    honest = latent_state.random_state(LABELLED, 7)
    back = exchange.parse_latent_json(exchange.latent_json("labelled", honest), LABELLED)
    assert back.seed == 7
    for seed in (8, -1, "7", 2**70, 7.0):
        s = exchange.parse_latent_json(latent_doc(z=list(honest.z), seed=seed, category=None, continuous=[]), LABELLED)
        assert s.seed is None and s.z == honest.z


# ---------------------------------------------------------------- labels and codes out of range
@pytest.mark.parametrize("name", ALL)
def test_labels_and_codes_out_of_range_raise_a_clear_value_error(name):
    m = tiny(name).eval()
    spec, z = m.latent, torch.zeros(2, m.latent.z_dim)
    codes = spec.sample_codes(2)
    if spec.n_classes is not None:
        for bad in ([10, 0], [-1, 0], [0, 99]):
            with pytest.raises(ValueError, match="labels must be in 0..9"):
                m.decode(z, torch.tensor(bad), codes)
        with pytest.raises(ValueError, match="conditional"):
            m.decode(z, None, codes)
    if spec.categorical:
        for bad in (10, -1):
            with pytest.raises(ValueError, match="categorical"):
                m.decode(z, None, {**codes, "categorical": torch.tensor([bad, 0])})
    with pytest.raises(ValueError, match="NaN"):
        m.decode(torch.full_like(z, float("nan")), torch.zeros(2, dtype=torch.long) if spec.n_classes else None, codes)
    with pytest.raises(ValueError, match="shape"):
        m.decode(torch.zeros(2, spec.z_dim + 1), torch.zeros(2, dtype=torch.long) if spec.n_classes else None, codes)


# ---------------------------------------------------------------- odd uploads on the Draw page
def png(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def digit(mode: str, size=(60, 60)) -> Image.Image:
    img = Image.new("L", size, 0)
    from PIL import ImageDraw

    ImageDraw.Draw(img).line([(size[0] // 3, 5), (size[0] // 3, size[1] - 5)], fill=255, width=4)
    return img.convert(mode)


UPLOADS = {
    "1-bit": png(digit("1")),
    "palette": png(digit("P")),
    "CMYK jpeg": png(digit("CMYK"), "JPEG"),
    "16-bit grey": png(digit("I;16")),
    "32-bit int": png(digit("I"), "TIFF"),
    "float tiff": png(digit("F"), "TIFF"),
    "RGBA": png(digit("RGBA")),
    "LA": png(digit("LA")),
    "1x1": png(Image.new("L", (1, 1), 255)),
    "1x5000 strip": png(Image.new("L", (1, 5000), 128)),
    "5000x1 strip": png(digit("L", (5000, 3))),
    "animated gif": png(digit("P"), "GIF", save_all=True, append_images=[digit("P", (60, 60))]),
    "bmp": png(digit("RGB"), "BMP"),
    "webp": png(digit("RGB"), "WEBP"),
    "ico": png(digit("RGB"), "ICO"),
    "svg text": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<html><body>7</body></html>",
    "zip": b"PK\x03\x04" + b"\0" * 100,
    "pickle": pickle.dumps(Payload(Path("/nonexistent/never"))),
    "png header only": png(digit("L"))[:40],
    "random bytes": bytes(range(256)) * 4,
}


# the uploads that are refused, and what the one-line message must say; every other kind becomes a digit
REFUSED = {
    "1x1": "it is one flat colour",
    "1x5000 strip": "it is one flat colour",
    **dict.fromkeys(
        ["svg text", "html", "zip", "pickle", "png header only", "random bytes"],
        "not an image Pillow can read: upload a PNG or JPEG",
    ),
}


@pytest.mark.parametrize("kind", list(UPLOADS))
def test_odd_uploads_give_an_image_or_a_message_never_an_exception(kind):
    p = drawing.from_upload(UPLOADS[kind])
    assert p.ok != bool(p.message), (p.ok, p.message)
    if kind in REFUSED:
        assert REFUSED[kind] in p.message and "\n" not in p.message, p.message
    else:
        assert p.ok, p.message
        assert p.image.shape == (1, 28, 28) and torch.isfinite(p.image).all()
        assert 0 <= p.image.min() and p.image.max() <= 1


@pytest.mark.parametrize(
    "rgba",
    [
        np.full((0, 0, 4), 255, np.uint8),
        np.full((1, 1, 4), 255, np.uint8),
        np.full((400, 400, 4), np.nan),
        np.full((50, 50, 4), np.inf),
        np.full((50, 50, 4), -5.0),
        np.full((50, 50), 1e30),
        np.zeros((3, 3, 3, 4)),
    ],
)
def test_odd_canvases_give_an_image_or_a_message(rgba):
    with np.errstate(all="ignore"):
        try:
            p = drawing.from_canvas(rgba)
        except ValueError as e:  # a 4-D "canvas" is not what the component sends; a clear refusal is fine
            assert rgba.ndim > 3, e
            return
    if p.ok:
        assert torch.isfinite(p.image).all() and p.image.shape == (1, 28, 28)
    else:
        assert p.message


# ---------------------------------------------------------------- sliders at their ends
def trained(name):
    if not shipped(name):
        pytest.skip(f"checkpoints/{name} is not trained yet")
    try:
        return genlib.load(name)
    except CheckpointError as e:
        pytest.skip(f"checkpoints/{name} does not load with this genlib: {e}")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_slider_at_its_ends_draws_a_finite_image(name):
    """Each basis slider at ±SLIDER_LIMIT, and all of them at once; continuous codes at their ends."""
    m = trained(name)
    spec = m.latent
    basis = encodings.slider_basis(encodings.encode_test_set(m, name).z)
    lim = latent_state.SLIDER_LIMIT
    coords = torch.cat(
        [
            torch.eye(spec.z_dim) * lim,
            -torch.eye(spec.z_dim) * lim,
            torch.full((1, spec.z_dim), lim),
            torch.full((1, spec.z_dim), -lim),
        ]
    )
    z = basis.latent(coords)
    n = len(z)
    labels = torch.arange(n) % spec.n_classes if spec.n_classes else None
    codes = None
    if spec.has_codes:
        ends = torch.tensor([[c.low if i % 2 else c.high for c in spec.continuous] for i in range(n)])
        codes = {"categorical": torch.arange(n) % spec.categorical[0], "continuous": ends}
    x = m.decode(z, labels, codes)
    assert x.shape == (n, 1, 28, 28) and torch.isfinite(x).all() and 0 <= x.min() and x.max() <= 1


# ---------------------------------------------------------------- the same, through the app


def app(**params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    params.setdefault("decode", "server")  # the Streamlit sliders (the in-browser ones need a browser)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("latent", ["1e300", "3e38", "-1e5"])
def test_app_url_with_huge_latent_warns_and_draws(latent):
    """Was an exception (1e300 overflows float32 to inf in decode) or a NaN image (3e38)."""
    trained("vae")
    m = genlib.load("vae")
    at = app(model="vae", latent=",".join([latent] * m.latent.z_dim))
    assert any("latent" in w.value for w in at.warning)
    assert torch.isfinite(at.session_state["explore_image"]).all()


@pytest.mark.parametrize(
    "doc, fragment",
    [
        ({"z": [float("nan")] * 32}, "finite"),
        ({"z": [1e300] * 32}, "finite"),
        ({"z": [0.0] * 32, "label": "x"}, None),  # the VAE takes no label: ignored, not an error
        ({"z": [0.0] * 3}, "needs 32"),
    ],
)
def test_app_json_upload_refused_with_a_message(doc, fragment):
    m = trained("vae")
    if m.latent.z_dim != 32:
        pytest.skip("the cases are written for the shipped VAE's 32-D z")
    at = app(model="vae", seed="3")
    before = at.session_state["latents"]["vae"]
    at.file_uploader(key="vae:upload").upload("latent.json", json.dumps(doc).encode(), "application/json").run()
    assert not at.exception, [e.value for e in at.exception]
    if fragment is None:
        assert not at.error and at.session_state["latents"]["vae"].z == (0.0,) * 32
    else:
        assert fragment in at.error[0].value and at.session_state["latents"]["vae"] == before


@pytest.mark.parametrize("name", SHIPPED)
def test_app_sliders_at_their_ends(name):
    trained(name)
    at = app(model=name)
    for s in at.slider:
        s.set_value(s.max)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for s in at.slider:
        s.set_value(s.min)
    at.run()
    assert not at.exception and torch.isfinite(at.session_state["explore_image"]).all()


# ---------------------------------------------------------------- user text echoed as Markdown
# what makes Markdown live: link/image brackets, HTML, code, LaTeX, bare autolinks (parentheses alone are inert)
ATTACKS = [
    "[click me](https://evil.example/phish)",
    "![](https://evil.example/track.png)",
    "<img src=x onerror=alert(1)>",
    "$\\href{https://evil.example}{x}$",
    "**boss**: `rm -rf`",
    "www.evil.example",
    "x" * 5000,
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("key", ["model", "seed", "label", "codes"])
def test_url_values_echoed_in_notices_are_inert_markdown(key, attack):
    """A link shared in class must not put a link, an image or HTML into another student's page."""
    params = {"model": "coded" if key == "codes" else "labelled", key: attack}
    r = exchange.parse_query(params, SPECS, "coded")
    assert r.notices
    for n in r.notices:
        assert not live(n), (n, live(n))
        assert len(n) < 300  # a 5,000-character value is cut short


@pytest.mark.parametrize("attack", ATTACKS)
def test_latent_json_errors_echo_inert_markdown(attack):
    for doc in (attack, latent_doc(category=attack), latent_doc(continuous=[attack, 0])):
        with pytest.raises(ValueError) as e:
            exchange.parse_latent_json(doc, CODED)
        assert not live(str(e.value)), (str(e.value), live(str(e.value)))


def test_app_upload_name_is_escaped():
    trained("vae")
    at = app(model="vae")
    at.file_uploader(key="vae:upload").upload("[x](https://evil.example).json", b"{", "application/json").run()
    assert not at.exception
    msg = at.error[0].value
    assert "not a latent JSON" in msg and not live(msg), msg
