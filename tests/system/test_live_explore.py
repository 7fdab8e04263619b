"""Live Explore in real Chromium: a mouse drag on a latent slider redraws the digit in the browser with no
script rerun, the release syncs the latent (the canvas then equals the server's decode of it), the sliders
work from the keyboard, and the page falls back to server decoding when the runtime cannot load."""

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import genlib
from genlib import latent, metrics
from genlib.explorer import encodings, latent_state, live
from helpers import shipped
from tools.appserver import ROOT, canvas_pixels, download_png, drawn, open_live, settle, streamlit_server, thumb_x

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "live"
RUNTIME = ROOT / "app" / "static" / "ort" / "ort-wasm-simd-threaded.wasm.gz"

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does this)", allow_module_level=True)
if not RUNTIME.is_file():
    pytest.skip("onnxruntime-web is not installed: run `make runtime` (make test does this)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
NAME = next((n for n in ("vae", "dcgan", "gan") if shipped(n)), None)
if NAME is None:
    pytest.skip("no unconditional model is trained yet", allow_module_level=True)
CONDITIONAL = next((n for n in ("cgan", "cvae") if shipped(n)), None)
SHOWN = encodings.SHOWN_DIRECTIONS
INFOGAN = pytest.mark.skipif(not shipped("infogan"), reason="infogan is not trained yet")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs") / "runs.log"


@pytest.fixture(scope="module")
def server(runs):
    with streamlit_server(ARTIFACTS / "streamlit.log", timeout=60, env={"LATENT_LAB_RUN_LOG": str(runs)}) as (
        url,
        _,
        _,
    ):
        yield url


def reruns(runs: Path) -> int:
    """Script runs the server has done so far (the app appends a line per run)."""
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def test_mouse_drag_draws_live_without_reruns_and_release_syncs(server, runs, page):
    open_live(page, server, f"model={NAME}&seed=5")
    slider = page.locator(f"#{NAME}-coord0")
    box = slider.bounding_box()
    x, y = thumb_x(slider, box), box["y"] + box["height"] / 2
    start_runs, start_url = reruns(runs), page.url
    page.mouse.move(x, y)
    page.mouse.down()
    t_down = page.evaluate("() => performance.now()")
    target = box["x"] + box["width"] * 0.95
    for i in range(1, 41):  # ~1.5 s of dragging to the right
        page.mouse.move(x + (target - x) * i / 40, y)
        page.wait_for_timeout(35)
    during = [d for d in drawn(page) if d["t"] > t_down]
    runs_during = reruns(runs) - start_runs
    page.mouse.up()
    assert runs_during == 0, f"{runs_during} script reruns during the drag"
    distinct = len({d["hash"] for d in during})
    assert distinct >= 10, f"only {distinct} distinct images drawn during the drag"
    print(f"\ndrag: {distinct} distinct images drawn in {during[-1]['t'] - t_down:.0f} ms, 0 reruns")
    page.wait_for_function("() => location.search.includes('latent=')")  # the release synced z
    settle(page)
    assert reruns(runs) - start_runs >= 1 and page.url != start_url
    server_image = download_png(page)
    diff = np.abs(canvas_pixels(page) - server_image).max()
    assert diff <= 2, f"canvas differs from the server's decode of the synced latent by {diff}/255"
    assert server_image.max() > 100  # a digit, not a blank
    # the text alternative is the classifier's reading of that image
    alt = page.locator("canvas.digit").get_attribute("aria-label")
    digit, percent = re.fullmatch(r"Decoded digit: looks like a (\d), (\d{1,3})%", alt).groups()
    expected = live.reading(metrics.load_classifier(), torch.tensor(server_image / 255.0))
    want_digit, want_percent = re.fullmatch(r"looks like a (\d), (\d{1,3})%", expected).groups()
    assert digit == want_digit and abs(int(percent) - int(want_percent)) <= 1, (alt, expected)


def test_keyboard_moves_sliders_with_aria_values_and_syncs_once_still(server, runs, page):
    open_live(page, server, f"model={NAME}&seed=3")
    slider = page.locator(f"#{NAME}-coord1")
    assert slider.get_attribute("aria-label").startswith("PC2") or slider.get_attribute("aria-label").startswith("z2")
    slider.focus()
    page.keyboard.press("Home")
    assert float(slider.get_attribute("aria-valuenow")) == -4.0
    before_draws, before_runs = len(drawn(page)), reruns(runs)
    for key, expected in (("ArrowRight", -3.95), ("ArrowUp", -3.9), ("PageUp", -3.4), ("ArrowLeft", -3.45)):
        page.keyboard.press(key)
        assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(expected, abs=1e-6), key
    assert slider.get_attribute("aria-valuetext").endswith("-3.45")
    page.wait_for_function("n => window.__latentLab.drawn.length > n", arg=before_draws)
    page.wait_for_function("() => location.search.includes('latent=')")  # synced after the keys stopped
    settle(page)
    synced = reruns(runs) - before_runs
    assert 1 <= synced < 4, f"{synced} reruns for 4 key presses in a burst"
    page.keyboard.press("End")
    assert float(slider.get_attribute("aria-valuenow")) == 4.0
    page.keyboard.press("PageDown")
    assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(3.5)


@pytest.mark.skipif(CONDITIONAL is None, reason="no conditional model trained yet")
def test_label_picker_is_a_keyboard_radio_group(server, page):
    open_live(page, server, f"model={CONDITIONAL}&seed=1&label=3")
    three = page.locator(f"#{CONDITIONAL}-label-3")
    assert three.is_checked()
    before = drawn(page)[-1]["hash"]
    three.focus()
    page.keyboard.press("ArrowRight")  # native radios: the arrow picks the next label
    assert page.locator(f"#{CONDITIONAL}-label-4").is_checked()
    page.wait_for_function("h => window.__latentLab.drawn.at(-1).hash !== h", arg=before)
    page.wait_for_function("() => new URLSearchParams(location.search).get('label') === '4'")


def test_runtime_that_cannot_load_falls_back_to_server_decoding_once(server, page):
    page.route("**/app/static/ort/**", lambda route: route.abort())
    page.goto(f"{server}/?model={NAME}&seed=5")
    page.wait_for_selector("[data-testid='stAlert']:has-text('In-browser decoding is unavailable')")
    settle(page)
    assert page.locator(".live").count() == 0  # the server-side sliders and image instead
    image = page.locator("[data-testid='stMain'] [data-testid='stImage'] img").first
    before = image.get_attribute("src")
    page.locator("[data-testid='stMain'] [data-testid='stSlider'] input[type='range']").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "old => { const i = document.querySelector(\"[data-testid='stMain'] "
        "[data-testid='stImage'] img\"); return i && !i.src.endsWith(old); }",
        arg=before.rsplit("/", 1)[-1],
    )
    settle(page)
    assert page.locator("[data-testid='stAlert']:has-text('In-browser decoding is unavailable')").count() == 0


def test_a_failed_download_is_retried_and_the_digit_still_decodes_in_the_browser(server, page):
    """One network blip (the decoder's first request and the runtime's first import fail) costs a moment, not
    the session's in-browser decoding."""
    failed = []

    def blip(route):
        url = route.request.url
        if not any(url.split("?")[0] == f for f in failed) and ("/decoders/" in url or "ort.wasm.min.mjs" in url):
            failed.append(url.split("?")[0])
            return route.abort()
        return route.continue_()

    page.route("**/*", blip)
    open_live(page, server, f"model={NAME}&seed=5")
    # each failed once, then loaded (so did the decoders of the same-z strip)
    assert any(f.endswith("ort.wasm.min.mjs") for f in failed) and any(f"/decoders/{NAME}-" in f for f in failed)
    assert page.locator("[data-testid='stAlert']:has-text('In-browser decoding is unavailable')").count() == 0


def test_after_a_failure_the_browser_can_try_again_and_recover(server, page):
    page.route("**/decoders/**", lambda route: route.abort())  # down for good: every retry fails
    page.goto(f"{server}/?model={NAME}&seed=5")
    page.wait_for_selector("[data-testid='stAlert']:has-text('could not run it')")
    settle(page)
    assert page.locator(".live").count() == 0
    page.get_by_role("button", name="Try in-browser decoding again").click()  # still down: said again
    page.wait_for_function("() => (window.__latentLab.failures || []).length >= 2")
    page.get_by_role("button", name="Try in-browser decoding again").wait_for()
    settle(page)
    page.unroute("**/decoders/**")  # the cause is gone
    page.get_by_role("button", name="Try in-browser decoding again").click()
    page.wait_for_selector(".live[data-state='ready']")
    settle(page)
    failures = page.evaluate("() => window.__latentLab.failures")
    assert len(failures) == 2 and all("did not load" in f for f in failures)


def test_decode_server_flag_forces_server_decoding(server, page):
    page.goto(f"{server}/?model={NAME}&seed=5&decode=server")
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stImage'] img")
    settle(page)
    assert page.locator(".live").count() == 0
    d = genlib.load(NAME).latent.z_dim  # Streamlit's own sliders, one per latent direction shown
    assert page.locator(f"[data-testid='stMain'] [class*='st-key-{NAME}-coord']").count() >= min(d, SHOWN)
    assert "decode=server" in page.url  # kept, so a reload stays on the server path


@pytest.mark.parametrize("name", [n for n in ("vae", "cvae", "gan", "dcgan", "cgan", "infogan") if shipped(n)])
def test_every_model_decodes_in_the_browser_as_the_server_does(server, page, name):
    open_live(page, server, f"model={name}&seed=11")
    diff = np.abs(canvas_pixels(page) - download_png(page)).max()
    assert diff <= 2, f"{name}: the browser's digit differs from the server's by {diff}/255"
    strip = page.locator(".strip canvas")
    for i in range(strip.count()):  # the same z through the other models of this z size, decoded here too
        cell = strip.nth(i)
        page.wait_for_function(
            "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, k) => k % 4 === 0 && v > 128)",
            arg=cell.element_handle(),
        )


@pytest.mark.skipif(not shipped("infogan"), reason="infogan is not trained yet")
def test_infogan_codes_move_the_digit(server, page):
    open_live(page, server, "model=infogan&seed=2&codes=4,0,0")
    assert page.locator("#infogan-category-4").is_checked()
    code = page.locator("#infogan-cont0")
    before = drawn(page)[-1]["hash"]
    code.focus()
    page.keyboard.press("End")
    assert float(code.get_attribute("aria-valuenow")) == 1.0
    page.wait_for_function("h => window.__latentLab.drawn.at(-1).hash !== h", arg=before)
    page.wait_for_function("() => (new URLSearchParams(location.search).get('codes') || '').startsWith('4,1.000')")


def goto_page(pg, title: str):
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    pg.wait_for_selector(f"h1:has-text('{title.split()[0]}')")
    settle(pg)


@pytest.mark.parametrize("name", [NAME, pytest.param("infogan", marks=INFOGAN)])
def test_latent_map_hover_decodes_the_point_and_rings_it(server, runs, page, name):
    """InfoGAN: the preview decodes the digit's z with the codes that z was refined for, not the session's."""
    open_live(page, server, f"model={name}&seed=1")
    goto_page(page, "Latent map")
    page.wait_for_selector(".hover[data-state='ready']")
    page.wait_for_function(
        "() => { const g = document.querySelector(\"[data-testid='stPlotlyChart'] "
        '.js-plotly-plot"); return g && g._fullLayout && g._fullLayout.xaxis && g.data '
        "&& g.data.length >= 10; }"
    )
    page.wait_for_timeout(500)  # let WebGL draw before hovering
    x, y, index = page.evaluate("""() => {
        const g = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
        const r = g.getBoundingClientRect(), L = g._fullLayout, t = g._fullData[7];  // digit 7's trace
        return [r.left + L.xaxis._offset + L.xaxis.l2p(t.x[0]), r.top + L.yaxis._offset + L.yaxis.l2p(t.y[0]),
                Number(t.customdata[0])];
    }""")
    before = reruns(runs)
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y)
    page.wait_for_function("() => window.__latentLab.hover.length > 0")
    page.wait_for_timeout(300)  # a second hover event may still be decoding
    # the last logged hover and the canvas, read together: each draw is logged in the same task
    shot = page.locator("canvas.hover-digit").evaluate(
        "c => ({index: window.__latentLab.hover.at(-1).index, "
        "pixels: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})"
    )
    hovered = shot["index"]
    assert reruns(runs) == before  # hovering asks nothing of the server
    assert page.locator(".latent-lab-ring").evaluate("e => e.style.display") == "block"
    caption = page.locator(".hover .caption").inner_text()
    assert caption.startswith(f"test #{hovered} (label ")
    # the preview is the model's decoding of that test digit's encoding (under the cursor: the point or a neighbour)
    model = genlib.load(name)
    enc = encodings.encode_test_set(model, name)
    state = latent_state.test_digit_state(enc, hovered, latent_state.random_state(model.latent, 0), model.latent)
    expected = (latent_state.decode_states(model, [state])[0].reshape(28, 28) * 255).round().numpy()
    shown = np.array(shot["pixels"], dtype=np.int16).reshape(168, 168, 4)[3::6, 3::6, 0]
    assert np.abs(shown - expected).max() <= 2
    assert int(enc.labels[hovered]) == int(caption.split("label ")[1].split(")")[0])
    print(f"\nhovered test #{hovered} (aimed at #{index})")


def test_interpolate_scrub_decodes_along_the_path(server, runs, page):
    open_live(page, server, f"model={NAME}&seed=1")
    goto_page(page, "Interpolate")
    scrub = page.locator(".scrub input[type='range']")
    page.wait_for_function("() => window.__latentLab.drawn.some(d => d.model.endsWith(':scrub'))")
    settle(page)  # the strip and captions above it are laid out: the slider stays where it is measured
    scrub.scroll_into_view_if_needed()  # mouse coordinates are the viewport's: the slider must be inside it
    before_runs, t0 = reruns(runs), page.evaluate("() => performance.now()")
    box = scrub.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, y)
    page.mouse.down()
    for i in range(1, 31):
        page.mouse.move(box["x"] + 8 + (box["width"] - 16) * i / 30, y)
        page.wait_for_timeout(30)
    page.mouse.up()
    page.wait_for_timeout(300)
    hashes = page.evaluate(
        "t => window.__latentLab.drawn.filter(d => d.t > t && d.model.endsWith(':scrub')).map(d => d.hash)", t0
    )
    assert len(set(hashes)) >= 10 and reruns(runs) == before_runs
    scrub.focus()
    page.keyboard.press("End")
    assert scrub.get_attribute("aria-valuetext") == "100% of the way from A to B"
    page.wait_for_timeout(300)
    # the end of the path is B: the last frame of the server's strip
    with page.expect_download() as info:
        page.locator("[data-testid='stDownloadButton'] button", has_text="PNG strip").first.click()
    strip = np.array(Image.open(io.BytesIO(Path(info.value.path()).read_bytes())).convert("L"), dtype=np.int16)
    steps = 10  # the page's default
    left = 2 + (steps - 1) * 30  # images.grid: 2-pixel padding around 28-pixel frames, here at 4×
    last = strip[2 * 4 + 2 :: 4, left * 4 + 2 :: 4][:28, :28]
    assert np.abs(scrub_pixels(page) - last).max() <= 2
    # inside the path: the browser's slerp between test digits 3 and 2 (the page's default ends), t = 0.37
    scrub.focus()  # the download button took the focus
    page.keyboard.press("Home")
    for _ in range(37):
        page.keyboard.press("ArrowRight")
    assert scrub.get_attribute("aria-valuetext") == "37% of the way from A to B"
    page.wait_for_timeout(300)
    model = genlib.load(NAME)
    enc = encodings.encode_test_set(model, NAME)
    z = latent.slerp(enc.z[3], enc.z[2], 101)[37].float()  # linspace(0, 1, 101)[37] = 0.37
    expected = (model.decode(z[None]).reshape(28, 28) * 255).round().numpy()
    assert np.abs(scrub_pixels(page) - expected).max() <= 2


def scrub_pixels(pg) -> np.ndarray:
    """The 28×28 grey levels on the scrub's canvas (the centre of each 8×8 block)."""
    flat = pg.locator("canvas.scrub-digit").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
    )
    return np.array(flat, dtype=np.int16).reshape(224, 224, 4)[4::8, 4::8, 0]
