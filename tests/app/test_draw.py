"""The Draw page under AppTest: it runs for every shipped model with a blank canvas, and an uploaded
image (a real MNIST test digit, or a bad file) ends up in st.session_state["draw_result"]."""

import io

import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import genlib
from helpers import APP, SHIPPED, need

PAGE = "views/draw.py"
TIMEOUT = 300  # a first run encodes the 10k test digits (GANs refine: ~1 min idle) / estimates NLLs; cached


def open_draw(name) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["model"] = name
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at, name, data, mime="image/png") -> AppTest:
    at.button_group(key="draw:source").set_value("Upload an image").run()
    at.file_uploader(key="draw:upload").set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def mnist_png(image_uint8) -> bytes:
    """A test digit as a person might upload it: 10× larger, dark ink on white."""
    buf = io.BytesIO()
    Image.fromarray(255 - image_uint8.numpy()).resize((280, 280), Image.Resampling.BICUBIC).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name", SHIPPED)
def test_blank_canvas_invites_a_drawing(name):
    need(name, "classifier")
    at = open_draw(name)
    assert at.session_state["model"] == name
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Draw a digit"
    result = at.session_state["draw_result"]
    assert result["model"] == name and result["analysis"] is None and result["prepared"].blank
    assert any("Draw a digit" in i.value for i in at.info)
    assert ("draw:label" in {r.key for r in at.radio}) == (genlib.load(name).latent.n_classes is not None)


@pytest.mark.parametrize("name", SHIPPED)
def test_uploaded_mnist_digit_is_classified_encoded_and_reconstructed(name, mnist_test):
    need(name, "classifier")
    at = upload(open_draw(name), "digit.png", mnist_png(mnist_test.images[0]))
    assert not at.error, [e.value for e in at.error]
    result = at.session_state["draw_result"]
    a, truth = result["analysis"], int(mnist_test.labels[0])
    assert result["source"] == "Upload an image" and result["prepared"].ok
    assert any("inverted" in n for n in result["prepared"].notes)
    assert a.prediction == truth and a.top[0][0] == truth
    assert a.reconstruction.shape == (1, 28, 28)
    model = genlib.load(name)
    assert (a.nll is not None) == model.has_likelihood
    if model.latent.n_classes is not None:
        assert a.label == truth  # by default the classifier's digit
        at.radio(key="draw:label").set_value((truth + 1) % 10).run()
        b = at.session_state["draw_result"]["analysis"]
        assert b.label == (truth + 1) % 10 and not torch.equal(b.reconstruction, a.reconstruction)
    if a.nll is None:
        assert any("no likelihood" in i.value for i in at.info)
    else:  # a real digit sits inside the test distribution
        assert any("within the test distribution" in s.value for s in at.success)


def test_a_non_image_and_a_square_get_messages(mnist_test):
    name = "vae"
    need(name, "classifier")
    at = upload(open_draw(name), "notes.png", b"definitely not a PNG")
    assert any("not an image" in e.value for e in at.error)
    assert at.session_state["draw_result"]["analysis"] is None
    buf = io.BytesIO()
    square = Image.new("L", (280, 280), 0)
    square.paste(255, (60, 60, 220, 220))
    square.save(buf, format="PNG")
    at.file_uploader(key="draw:upload").set_value(("square.png", buf.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert at.session_state["draw_result"]["analysis"].nll is not None
    assert any("out of distribution" in w.value for w in at.warning)
