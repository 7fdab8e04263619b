"""Models from other frameworks in real Chromium: an ONNX model folder named by $LATENT_LAB_MODELS decodes in the
browser as it does on the server — the homework VAE's digit morphs while a slider is dragged, and after the release
the canvas equals the server's decode within 2/255 — a tanh decoder without an encoder is mapped to [0, 1] alike on
both sides, and a zip uploaded in the sidebar opens and decodes in the browser too."""

import io
import zipfile

import numpy as np
import pytest
from onnx_models import linear_graph, manifest, trained_homework_vae, write

from genlib.explorer import model_folders
from helpers import need_chromium
from tools.appserver import (
    ROOT,
    canvas_pixels,
    download_png,
    drawn,
    open_live,
    settle,
    streamlit_server,
    thumb_x,
)

need_chromium(module_level=True)
if not (ROOT / "app" / "static" / "ort" / "ort-wasm-simd-threaded.wasm.gz").is_file():
    pytest.skip("onnxruntime-web is not installed: run `make runtime` (make test does this)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    trained_homework_vae(root / "homework-vae")
    write(root / "tanh-decoder", decoder=linear_graph(activation="Tanh"), meta=manifest(title="tanh", output="tanh"))
    return root


@pytest.fixture(scope="module")
def server(models_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with streamlit_server(log, timeout=60, env={model_folders.ENV: str(models_dir)}) as (url, _, _):
        yield url


def test_the_homework_vaes_digit_morphs_while_dragging_and_matches_the_server(server, page):
    open_live(page, server, "model=homework-vae&seed=3")
    slider = page.locator("#homework-vae-coord0")
    box = slider.bounding_box()
    x, y = thumb_x(slider, box), box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    t_down = page.evaluate("() => performance.now()")
    for i in range(1, 31):
        page.mouse.move(x + (box["x"] + box["width"] * 0.95 - x) * i / 30, y)
        page.wait_for_timeout(35)
    distinct = len({d["hash"] for d in drawn(page) if d["t"] > t_down})
    page.mouse.up()
    assert distinct >= 8, f"only {distinct} distinct images drawn during the drag"
    page.wait_for_function("() => location.search.includes('latent=')")  # the release synced z
    settle(page)
    server_image = download_png(page)
    diff = np.abs(canvas_pixels(page) - server_image).max()
    assert diff <= 2, f"the browser's digit differs from the server's by {diff}/255"
    assert server_image.max() > 100  # a digit, not a blank


def test_a_tanh_decoder_without_an_encoder_is_mapped_alike_in_the_browser(server, page):
    open_live(page, server, "model=tanh-decoder&seed=4")
    server_image = download_png(page)
    diff = np.abs(canvas_pixels(page) - server_image).max()
    assert diff <= 2, f"the browser's image differs from the server's by {diff}/255"
    assert server_image.min() < 60 and server_image.max() > 200  # both ends of tanh's range reach the image


def test_an_uploaded_zip_opens_and_decodes_in_the_browser(server, page, models_dir):
    open_live(page, server, "model=vae&seed=1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in (models_dir / "homework-vae").iterdir():
            zf.write(f, f"homework-vae/{f.name}")
    page.get_by_text("Open your own model (ONNX)").click()
    page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(
        {"name": "student.zip", "mimeType": "application/zip", "buffer": buf.getvalue()}
    )
    page.wait_for_selector("#student-coord0")  # its sliders: the upload is the model now
    page.wait_for_selector(".live[data-state='ready']")
    settle(page)
    diff = np.abs(canvas_pixels(page) - download_png(page)).max()
    assert diff <= 2, f"the uploaded model's digit differs between browser and server by {diff}/255"
