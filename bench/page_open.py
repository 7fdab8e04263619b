"""Every page's first open (`python bench/app_latency.py --pages`), on a server started with an empty encodings
cache (a fresh machine) and warmed by one visit of Explore (the models loaded). Two ways in, each page's first
visitor on that server: a student clicking through the sidebar (one browser tab: Streamlit's own code is loaded
once) and a new browser opening the page's URL (an empty browser cache: Streamlit's code loads again). Measured:
ms from the click or navigation to the page's title drawn and its script finished (no spinner left). Baseline in
the same run: a Streamlit page holding only a title, opened by a new browser.

Target: every page interactive within 2 s for its first visitor."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from common import BROWSER_ARGS, CHROMIUM, IDLE, ROOT, machine_note, table, verdict

from tools.appserver import streamlit_server

TITLE = "[data-testid='stMain'] h1"
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
# Streamlit's URL path of a page is its file's name (app/streamlit_app.py lists them)
VIEWS = sorted(p.stem for p in (ROOT / "app" / "views").glob("*.py"))
PAGES = [("explore", ""), *[(v, v) for v in VIEWS if v != "explore"]]
QUICK = ("explore", "collapse", "latent_map")  # --quick: the start page and the two that did work on open
BASELINE = 'import streamlit as st\nst.title("Baseline")\n'


def ready(pg, before: str | None = None) -> None:
    """Wait for the page's title (another than `before`), its script finished and no spinner left."""
    pg.wait_for_function(
        "t => { const h = document.querySelector(\"[data-testid='stMain'] h1\"); return h && h.textContent !== t; }",
        arg=before,
    )
    pg.wait_for_selector(IDLE, state="attached")
    pg.wait_for_function("() => !document.querySelector(\"[data-testid='stSpinner']\")")
    pg.evaluate(TWO_FRAMES)
    if pg.locator("[data-testid='stException']").count():
        raise RuntimeError(pg.locator("[data-testid='stException']").first.inner_text())


def open_ms(browser, new_page, url: str, path: str) -> float:
    """A new browser (empty cache) opens the page's URL."""
    pg = new_page(browser)
    t0 = time.perf_counter()
    pg.goto(f"{url}/{path}?model=vae&seed=5")
    ready(pg)
    pg.context.close()
    return (time.perf_counter() - t0) * 1e3


def click_through(browser, new_page, url: str, pages: list) -> dict[str, float]:
    """One tab opens Explore, then clicks each other page in the sidebar, then Explore again."""
    pg = new_page(browser)
    pg.goto(f"{url}/?model=vae&seed=5")
    ready(pg)
    out = {}
    for name, path in pages[1:] + pages[:1]:
        title = pg.locator(TITLE).first.text_content()
        link = pg.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']").first
        t0 = time.perf_counter()
        link.click()
        ready(pg, title)
        out[name] = (time.perf_counter() - t0) * 1e3
    pg.context.close()
    return out


def main(args, new_page) -> None:
    from playwright.sync_api import sync_playwright

    reps = 1 if args.quick else 3
    pages = [p for p in PAGES if p[0] in QUICK] if args.quick else PAGES
    print(f"Every page's first open in Chromium (headless). {machine_note()}", flush=True)
    rows = []
    clicks: dict[str, list[float]] = {name: [] for name, _ in pages}
    direct: dict[str, list[float]] = {name: [] for name, _ in pages}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=BROWSER_ARGS,
        )
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "baseline.py"
            script.write_text(BASELINE)
            with streamlit_server(script=script) as (url, _, _):
                open_ms(browser, new_page, url, "")  # the server's first run
                base = [open_ms(browser, new_page, url, "") for _ in range(reps)]
            for r in range(reps):  # each round: a new server with an empty cache, each page's first visitor
                with streamlit_server(env={"GENLIB_CACHE": f"{tmp}/cache{r}"}) as (url, _, _):
                    open_ms(browser, new_page, url, "")  # warm: the models loaded
                    for name, ms in click_through(browser, new_page, url, pages).items():
                        clicks[name].append(ms)
                with streamlit_server(env={"GENLIB_CACHE": f"{tmp}/direct{r}"}) as (url, _, _):
                    open_ms(browser, new_page, url, "")
                    for name, path in pages:
                        direct[name].append(open_ms(browser, new_page, url, path))
                print(
                    f"  round {r + 1}: clicks {[round(clicks[n][-1]) for n, _ in pages]}, "
                    f"new browser {[round(direct[n][-1]) for n, _ in pages]}",
                    flush=True,
                )
        browser.close()
    b = statistics.median(base)
    for name, _ in pages:
        click, new = statistics.median(clicks[name]), statistics.median(direct[name])
        rows.append([name, f"{click:.0f}", verdict(click <= 2000), f"{new:.0f}", f"{new / b:.1f}", reps])
    rows.append(["(baseline: a page holding only a title)", "", "", f"{b:.0f}", "1.0", reps])
    print(
        table(
            ["page", "sidebar click ms", "≤ 2000 ms", "new browser ms", "÷ baseline", "n"],
            rows,
            "Each page's first visitor on a warm server (empty encodings cache at its start), median of n rounds",
        ),
        flush=True,
    )
