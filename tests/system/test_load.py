"""Load: many concurrent browser sessions on one `streamlit run` server (localhost only).

Each session is its own browser context (own cookies, own websocket, own Streamlit session) in one
headless chromium. For a bounded time every session switches models and moves a latent slider, with a
student's pauses between actions; then it proves its state is its own. Measured: p95 slider -> new
image latency, the server's peak RSS. Not in the default run (CPU-heavy: 2-3 minutes on 2 cores):

    python -m pytest -m load tests/system/test_load.py -s          # GENLIB_LOAD_SESSIONS=20 GENLIB_LOAD_SECONDS=30
"""

import asyncio
import os
import random
import re
import statistics
import time
from pathlib import Path

import pytest

from helpers import CHROMIUM, SHIPPED, need_chromium
from tools.appserver import MAIN_IMAGE, SLIDER, amain_src, asettle, rss_mb, streamlit_server

pytestmark = pytest.mark.load
ROOT = Path(__file__).resolve().parents[2]
SESSIONS = int(os.environ.get("GENLIB_LOAD_SESSIONS", "20"))
SECONDS = float(os.environ.get("GENLIB_LOAD_SECONDS", "30"))
RSS_LIMIT_MB = 1500  # models and encodings are cached once per server, not per session
SEED_INPUT = "[data-testid='stMain'] [data-testid='stNumberInput'] input"

TRAINED = SHIPPED


@pytest.fixture(autouse=True)
def tools_present():
    need_chromium()
    pytest.importorskip("playwright.async_api")
    if "vae" not in TRAINED or len(TRAINED) < 2:
        pytest.skip("needs the shipped vae and one more model")


@pytest.fixture
def server(tmp_path):
    with streamlit_server(tmp_path / "streamlit.log") as (url, proc, _):
        yield url, proc.pid


async def wait_new_image(page, old: str):
    await page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && !i.src.endsWith(old); }",
        arg=[MAIN_IMAGE, old],
    )


async def pick_model(page, name: str):
    await page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input[role='combobox']").click()
    await page.get_by_role("option", name=re.compile(rf"^{name}\b")).first.click()
    await page.wait_for_selector(f"[data-testid='stMain'] strong:text-is('{name}')")
    await asettle(page)


async def set_seed(page, seed: int):
    old = await amain_src(page)
    box = page.locator(SEED_INPUT).first
    await box.fill(str(seed))
    await box.press("Enter")
    await wait_new_image(page, old)
    await page.wait_for_function("(s) => new URLSearchParams(location.search).get('seed') === s", arg=str(seed))
    await asettle(page)


async def session(browser, url: str, i: int, start: asyncio.Barrier, latencies: list, report: dict):
    """One student: open the app with their own seed, then switch models and move sliders until the
    deadline; at the end their own seed must give back their own first image."""
    seed = 1000 + i
    rng = random.Random(i)
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)  # 20 sessions on 2 busy cores: a rerun can queue for a while
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await page.goto(f"{url}/?model=vae&seed={seed}&decode=server")
        await asettle(page)
        first = await amain_src(page)
        opened = time.time()
        assert await page.locator(SEED_INPUT).first.input_value() == str(seed)
        await start.wait()  # all sessions open: the timed window starts for everyone at once
        deadline = time.time() + SECONDS
        actions = 0
        while time.time() < deadline:
            if rng.random() < 0.25:
                await pick_model(page, rng.choice(TRAINED))
            else:
                slider = page.locator(SLIDER).nth(rng.randrange(2))
                value, low, high = await slider.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
                key = rng.choice(["ArrowRight", "ArrowLeft"])
                if value >= high or value <= low:  # at an end a press moves nothing: go back inwards
                    key = "ArrowLeft" if value >= high else "ArrowRight"
                before = await amain_src(page)
                await slider.focus()
                t0 = time.perf_counter()
                await page.keyboard.press(key)
                await wait_new_image(page, before)
                latencies.append((time.perf_counter() - t0) * 1000)
                await asettle(page)
            actions += 1
            await asyncio.sleep(rng.uniform(0.3, 1.0))  # a student looks at the result
        # isolation: this session's state is its own — its own seed gives back its own first image
        await pick_model(page, "vae")
        await set_seed(page, seed + 100_000)
        assert await amain_src(page) != first
        await set_seed(page, seed)
        assert await amain_src(page) == first, f"session {i}: seed {seed} drew another image"
        assert await page.locator(SEED_INPUT).first.input_value() == str(seed)
        report[i] = {"actions": actions, "first": first, "opened": opened}
        assert not errors, f"session {i}: JavaScript errors {errors}"
    except BaseException:
        start.abort()  # a session that failed before the start must not leave the others waiting
        raise
    finally:
        await ctx.close()


async def watch_rss(pid: int, samples: list, stop: asyncio.Event):
    while not stop.is_set():
        samples.append(rss_mb(pid))
        await asyncio.sleep(0.5)


async def run_load(url: str, pid: int) -> dict:
    from playwright.async_api import async_playwright

    latencies, report, rss = [], {}, []
    async with async_playwright() as p:
        browser = await p.chromium.launch(
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
        # warm the server's caches (models, encodings) once, as a classroom's first student would
        ctx = await browser.new_context()
        page = await ctx.new_page()
        page.set_default_timeout(180_000)
        await page.goto(f"{url}/?model=vae&decode=server")
        await asettle(page)
        await ctx.close()
        rss_one = rss_mb(pid)
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_rss(pid, rss, stop))
        t0 = time.time()
        start = asyncio.Barrier(SESSIONS)
        results = await asyncio.gather(
            *(session(browser, url, i, start, latencies, report) for i in range(SESSIONS)), return_exceptions=True
        )
        stop.set()
        await watcher
        await browser.close()
    failures = [f"session {i}: {r!r}" for i, r in enumerate(results) if isinstance(r, BaseException)]
    opened = max((s["opened"] for s in report.values()), default=t0) - t0
    return {
        "latencies": latencies,
        "report": report,
        "rss": rss,
        "rss_one": rss_one,
        "wall": time.time() - t0,
        "opened": opened,
        "failures": failures,
    }


def test_concurrent_sessions(server):
    url, pid = server
    r = asyncio.run(run_load(url, pid))
    lat = sorted(r["latencies"])
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
    peak = max(r["rss"], default=0.0)
    print(
        f"\n{SESSIONS} sessions opened together in {r['opened']:.0f} s, then {SECONDS:.0f} s of use "
        f"(wall {r['wall']:.0f} s): {len(r['report'])} completed, "
        f"{sum(s['actions'] for s in r['report'].values())} actions, {len(lat)} slider moves; "
        f"slider -> image median {statistics.median(lat) if lat else float('nan'):.0f} ms, p95 {p95:.0f} ms, "
        f"max {max(lat, default=float('nan')):.0f} ms; server RSS after one session {r['rss_one']:.0f} MiB, "
        f"peak {peak:.0f} MiB"
    )
    assert not r["failures"], "\n".join(r["failures"])
    assert len(r["report"]) == SESSIONS
    assert len({s["first"] for s in r["report"].values()}) == SESSIONS  # distinct seeds, distinct images
    assert lat, "no slider move completed"
    assert peak < RSS_LIMIT_MB, f"server RSS peaked at {peak:.0f} MiB"
