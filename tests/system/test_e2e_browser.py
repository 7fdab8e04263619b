"""End to end in a real browser: `streamlit run` on a free port, Debian's /usr/bin/chromium driven by
playwright (never `playwright install`). Screenshots go to artifacts/e2e/.
Selectors: the page's data-testid attributes; images are compared by their /media URL."""

import re
import statistics
import time
from pathlib import Path

import pytest

from helpers import SHIPPED, need_chromium, shipped
from tools.appserver import MAIN_IMAGE, main_src, outside, settle, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"

CHROMIUM = need_chromium(module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
TRAINED = SHIPPED
if not TRAINED:
    pytest.skip("no checkpoint is trained yet", allow_module_level=True)
DEMO = "vae" if "vae" in TRAINED else TRAINED[0]  # the screenshots show the VAE when there is one


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit.log", timeout=60) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--enable-unsafe-swiftshader",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = []
    ctx.on("request", lambda r: requests.append(r.url))  # the browser's own too (a favicon)
    pg = ctx.new_page()
    pg.set_default_timeout(90_000)  # a model's first visit encodes the test set
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside(requests, server), f"requests outside the app's server: {outside(requests, server)}"


def screenshot(pg, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    pg.set_viewport_size({"width": 1400, "height": max(int(height), 800)})
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    pg.set_viewport_size({"width": 1400, "height": 1000})


def goto_page(pg, title: str, wait_for: str):
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    # the new page's heading first: right after the click the old page still looks idle and finished
    pg.locator("h1", has_text=title.split()[0]).first.wait_for(timeout=60_000)
    settle(pg, wait_for)


def pick_model(pg, name: str):
    pg.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input[role='combobox']").click()
    pg.get_by_role("option", name=re.compile(rf"^{name}\b")).first.click()  # "cgan" must not pick "dcgan"
    # both the page caption and a "cannot be loaded" error start with the model name in bold
    pg.wait_for_selector(f"[data-testid='stMain'] strong:text-is('{name}')")
    settle(pg)


def test_slider_key_changes_image(server, page):
    name = DEMO
    page.goto(f"{server}/?model={name}&seed=5&decode=server")  # seed 5: a clean 7 from the shipped VAE
    settle(page, MAIN_IMAGE)
    screenshot(page, "explore")
    slider = page.locator(
        f"[data-testid='stMain'] .st-key-{name}-coord0 input[type='range'], "
        "[data-testid='stMain'] [data-testid='stSlider'] input[type='range']"
    ).first
    times = []
    for _ in range(6):
        before = main_src(page)
        slider.focus()
        t0 = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && !i.src.endsWith(old); }",
            arg=[MAIN_IMAGE, before],
        )
        times.append((time.perf_counter() - t0) * 1000)
        settle(page)
    print(f"\nkey press -> new image: median {statistics.median(times):.0f} ms, all {[round(t) for t in times]}")
    assert "latent=" in page.url  # the URL follows the moved latent


def test_switch_model_and_pick_label(server, page):
    page.goto(f"{server}/?model={DEMO}&decode=server")
    settle(page, MAIN_IMAGE)
    other = next(n for n in SHIPPED if n != DEMO)
    pick_model(page, other)
    if shipped(other):
        page.wait_for_selector(MAIN_IMAGE)
    else:  # an untrained model is explained, not a crash
        assert "train.py --model" in page.locator("[data-testid='stAlert']").first.inner_text()
    conditional = next((n for n in TRAINED if n in ("cvae", "cgan")), None)  # which have labels: their LatentSpec
    if conditional is None:
        pytest.skip("no conditional model trained yet to pick a label on")
    pick_model(page, conditional)
    page.wait_for_selector(MAIN_IMAGE)
    before = main_src(page)
    page.locator("[data-testid='stMain'] [data-testid='stRadio']").first.get_by_text("7", exact=True).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('label') === '7'")
    settle(page)
    assert main_src(page) != before
    screenshot(page, f"explore-{conditional}-label7")


def test_every_page_and_a_latent_map_click(server, page):
    name = DEMO
    page.goto(f"{server}/?model={name}&seed=1&decode=server")
    settle(page, MAIN_IMAGE)
    goto_page(page, "Arithmetic", MAIN_IMAGE)
    screenshot(page, "arithmetic")
    goto_page(page, "Interpolate", MAIN_IMAGE)
    screenshot(page, "interpolate")
    goto_page(page, "Latent map", ".js-plotly-plot")
    page.wait_for_function(
        "() => { const g = document.querySelector(\"[data-testid='stPlotlyChart'] .js-plotly-plot\");"
        " return g && g._fullLayout && g._fullLayout.xaxis && g.data && g.data.length >= 10; }"
    )
    page.wait_for_timeout(500)  # let WebGL draw before hovering
    screenshot(page, "latent_map")
    # click the first point of digit 3's trace at its pixel, computed from plotly's own axes
    x, y = page.evaluate("""() => {
        const g = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
        const r = g.getBoundingClientRect(), L = g._fullLayout, t = g._fullData[3];  // decoded typed arrays
        return [r.left + L.xaxis._offset + L.xaxis.l2p(t.x[0]), r.top + L.yaxis._offset + L.yaxis.l2p(t.y[0])];
    }""")
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_selector("text=decoded from its z")
    settle(page)
    shown = captions(page)
    assert "decoded from its z" in shown and any(re.fullmatch(r"test #\d+ \(label \d\)", c) for c in shown), shown
    screenshot(page, "latent_map-picked")
    print("before open:", page.url)
    page.get_by_role("button", name="Open in Explore").click()
    page.wait_for_selector("h1:has-text('Explore')")
    settle(page, MAIN_IMAGE)
    print("after open:", page.url)
    page.wait_for_function("() => location.search.includes('latent=')")  # the picked z, not a seed


def test_teaching_pages(server, page):
    name = DEMO
    page.goto(f"{server}/?model={name}&seed=1&decode=server")
    settle(page, MAIN_IMAGE)
    goto_page(page, "Conditional grids", MAIN_IMAGE)
    screenshot(page, "grids")
    goto_page(page, "Models", ".js-plotly-plot")
    screenshot(page, "models")
    goto_page(page, "Mode collapse", ".js-plotly-plot")
    screenshot(page, "collapse")
    cut = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetric'] *")]
        .filter(e => e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent)""")
    assert page.locator("[data-testid='stMetric']").count() >= 2 and not cut, f"metric text cut short: {cut}"
    goto_page(page, "Lecture toys", ".js-plotly-plot")
    screenshot(page, "toys")

    # Draw: a stroke on the canvas is classified and reconstructed. The canvas component renders in a
    # shadow root (no iframe); playwright's CSS selectors pierce open shadow roots.
    goto_page(page, "Draw", "[data-testid='stMain'] canvas")
    canvas = page.locator("[data-testid='stMain'] canvas").last  # fabric.js: the upper canvas takes input
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.25
    page.mouse.move(x0 - 30, y0)
    page.mouse.down()
    for i in range(1, 21):  # a "7": a bar, then a long diagonal down to the left
        page.mouse.move(x0 - 30 + 3.5 * i, y0, steps=2)
    for i in range(1, 31):
        page.mouse.move(x0 + 40 - 2.5 * i, y0 + 5 * i, steps=2)
    page.mouse.up()
    page.wait_for_selector("text=The classifier says 7", timeout=30_000)  # the stroke above is a 7
    settle(page)
    shown = captions(page)
    assert "your digit, MNIST-style (28 × 28)" in shown and any("reconstruction" in c for c in shown), shown
    screenshot(page, "draw")


def captions(pg) -> list[str]:
    """The captions of the images on the page, as shown."""
    return [t.strip() for t in pg.locator("[data-testid='stMain'] [data-testid='stImageCaption']").all_inner_texts()]


def select_option(pg, key: str, option: str):
    """key: the widget's key as its CSS class spells it (Streamlit turns ':' and other symbols into '-')."""
    pg.locator(f".st-key-{key} input[role='combobox']").click()
    pg.get_by_role("option", name=option).first.click()
    settle(pg)


def test_lecture_panels(server, page):
    """The lecture's live panels: ELBO and likelihood and Reparameterisation (VAE), InfoGAN information
    and Codes measured (InfoGAN), and the toy GAN's replay."""
    if not {"vae", "infogan"} <= set(TRAINED):
        pytest.skip("needs the shipped vae and infogan")
    page.goto(f"{server}/?model=vae&seed=1&decode=server")
    settle(page, MAIN_IMAGE)
    goto_page(page, "ELBO and likelihood", ".js-plotly-plot")
    page.wait_for_selector("text=a lower bound on D[Q(z|X) ‖ P(z|X)]")
    screenshot(page, "likelihood")
    select_option(page, "lik-kind", "a letter")
    page.wait_for_selector("text=the letter A")
    goto_page(page, "Reparameterisation", ".js-plotly-plot")
    page.wait_for_selector("text=Spread over pathwise")
    shown = captions(page)  # the strip from Q and the strip from the prior
    assert any(c.startswith("16 decodings of z ~ Q(z|X)") for c in shown), shown
    assert any(c.startswith("z from the prior N(0, I) instead") for c in shown), shown
    screenshot(page, "reparam")

    goto_page(page, "Explore", MAIN_IMAGE)
    pick_model(page, "infogan")
    goto_page(page, "InfoGAN information", ".js-plotly-plot")
    page.get_by_role("button", name="Measure").click()
    page.wait_for_selector("text=H(c) = log 10", timeout=120_000)
    settle(page)
    page.locator(".st-key-info-shuffle label").click()
    settle(page)
    page.get_by_role("button", name="Measure").click()
    page.wait_for_selector("text=c shuffled", timeout=120_000)
    settle(page)
    screenshot(page, "information")
    goto_page(page, "Codes measured", "[data-testid='stMain'] button")
    page.get_by_role("button", name="Measure").click()
    page.wait_for_selector("h3:has-text('c1:')", timeout=120_000)
    page.wait_for_selector("h3:has-text('c2:')", timeout=120_000)
    settle(page)
    screenshot(page, "codes")

    goto_page(page, "Lecture toys", ".js-plotly-plot")
    page.get_by_role("tab", name=re.compile("optimum exists")).click()
    page.get_by_role("button", name="Train").click()
    page.wait_for_selector("text=Replay.", timeout=180_000)
    settle(page)
    assert page.locator(".st-key-toys-replay").count() == 1
    screenshot(page, "toys-replay")
