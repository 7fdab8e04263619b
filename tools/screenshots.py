"""Remake the README's pictures from the app as it is now: docs/explore.png (Explore, decoding in the browser)
and docs/latent_map.png (the map with a hovered digit's preview). Run it after a change to what those pages
show (CONTRIBUTING.md); about a minute.

    python tools/screenshots.py            # needs Debian's chromium (make chromium) and the runtime (make runtime)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools.appserver: the app launcher and browser settings the tests use too

from tools.appserver import BROWSER_ARGS, CHROMIUM, IDLE, WEBGL, streamlit_server  # noqa: E402

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1400, "height": 900}


def idle(pg) -> None:
    pg.wait_for_selector(IDLE, state="attached")
    pg.wait_for_timeout(800)  # fonts and plotly's WebGL draw after the run ends


def main() -> int:
    from playwright.sync_api import sync_playwright

    with streamlit_server() as (url, _, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS + WEBGL)
        pg = browser.new_page(viewport=VIEWPORT)
        pg.set_default_timeout(300_000)  # a first visit encodes the test set
        pg.goto(f"{url}/?model=vae&seed=5")
        pg.wait_for_selector(".live[data-state='ready']")
        idle(pg)
        pg.screenshot(path=DOCS / "explore.png")
        pg.locator("[data-testid='stSidebarNav'] a", has_text="Latent map").first.click()
        pg.wait_for_selector(".hover[data-state='ready']")
        idle(pg)
        area = pg.locator("[data-testid='stPlotlyChart'] .nsewdrag").first.bounding_box()
        for f in (0.5, 0.45, 0.55, 0.4, 0.6):  # until a point is under the cursor
            pg.mouse.move(area["x"] + f * area["width"], area["y"] + f * area["height"])
            pg.wait_for_timeout(400)
            if pg.evaluate("() => window.__latentLab.hover.length > 0"):
                break
        pg.screenshot(path=DOCS / "latent_map.png")
        browser.close()
    print(f"wrote {DOCS / 'explore.png'} and {DOCS / 'latent_map.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
