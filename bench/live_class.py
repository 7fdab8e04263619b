"""A class on one server (`python bench/app_latency.py --live`, last table): N browser sessions (contexts in one
Chromium, driven concurrently with playwright's async API) explore Explore for S seconds, once decoding in
the browser and once on the server. In the browser a student drags a slider for about a second (pointer moves
at ~60 Hz), lets go (one sync rerun) and pauses half a second; on the server a student steps a slider with the
arrow key as soon as the previous image has arrived (each step one rerun: the most feedback that path gives).
Measured: server CPU seconds and peak RSS, script runs, digits each student saw per second, errors, and whether
each session's URL still holds its own latent at the end."""

from __future__ import annotations

import asyncio
import statistics
import time

from common import BROWSER_ARGS, CHROMIUM, IDLE, UNTHROTTLED
from live_decoding import READY, cpu_seconds, peak_rss_mb, runs_so_far
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tools.appserver import MAIN_IMAGE, SLIDER

FAILED = ".live[data-state='failed']"
SRC_CHANGED = "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && !i.src.endsWith(old); }"
OWN_LATENT = """() => {  // the URL's latent is what this page's component synced last (3 decimals in the URL)
    const box = document.querySelector("[data-testid='stMain']");
    const host = [...document.querySelectorAll('*')].find(e => e.shadowRoot && e.shadowRoot.querySelector('.live'));
    const synced = host && host.shadowRoot.querySelector('.live').dataset.synced;
    const url = new URLSearchParams(location.search).get('latent');
    if (!synced || !url) return null;
    const z = JSON.parse(synced).z, u = url.split(',').map(Number);
    return box !== null && z.length === u.length && z.every((v, i) => Math.abs(v - u[i]) < 1e-3 + 1e-9);
}"""


async def student(
    browser,
    url: str,
    i: int,
    live: bool,
    opened: asyncio.Semaphore,
    start: asyncio.Event,
    stop: list,
    waiting: list,
    out: list,
) -> None:
    ctx = await browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = await ctx.new_page()
    pg.set_default_timeout(180_000)  # a page stuck this long is an error, said as one
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    async with opened:  # a few pages load at a time: opening 30 at once is not what is measured
        await pg.goto(f"{url}/?model=vae&seed={100 + i}" + ("" if live else "&decode=server"))
        await pg.wait_for_selector(f"{READY}, {FAILED}" if live else MAIN_IMAGE)
        if live and await pg.locator(FAILED).count():  # say why instead of waiting for a digit that never comes
            raise RuntimeError(f"student {i}: " + await pg.evaluate("() => window.__latentLab.failures.join('; ')"))
        await pg.wait_for_selector(IDLE, state="attached")
    waiting[0] += 1
    await start.wait()
    seen = 0
    if live:
        n0 = await pg.evaluate("() => window.__latentLab.drawn.length")
        slider = pg.locator("#vae-coord0")
        k = 0
        while time.perf_counter() < stop[0]:
            box = await slider.bounding_box()
            v, lo, hi = await slider.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
            x, y = box["x"] + 8 + (v - lo) / (hi - lo) * (box["width"] - 16), box["y"] + box["height"] / 2
            await pg.mouse.move(x, y)
            await pg.mouse.down()
            target = box["x"] + 8 + (box["width"] - 16) * (0.25 if k % 2 else 0.75)
            for j in range(1, 61):
                await pg.mouse.move(x + (target - x) * j / 60, y)
                await asyncio.sleep(0.016)
            await pg.mouse.up()
            k += 1
            await asyncio.sleep(0.5)
        seen = await pg.evaluate("n => window.__latentLab.drawn.length - n", n0)
        active = time.perf_counter() - stop[1]
        await pg.wait_for_timeout(1500)
        await pg.wait_for_selector(IDLE, state="attached")
        own = await pg.evaluate(OWN_LATENT)
    else:
        slider, presses = pg.locator(SLIDER).first, 0
        while time.perf_counter() < stop[0]:
            before = (await pg.locator(MAIN_IMAGE).first.get_attribute("src")).rsplit("/", 1)[-1]
            await slider.focus()
            await pg.keyboard.press("ArrowRight" if (presses // 20) % 2 == 0 else "ArrowLeft")
            presses += 1
            try:  # a press can change nothing (the slider at its end, a key lost in a rerun): no new image then
                await pg.wait_for_function(SRC_CHANGED, arg=[MAIN_IMAGE, before], polling=20, timeout=10_000)
                seen += 1
            except PlaywrightTimeout:
                presses = (presses // 20 + 1) * 20  # and turn round
        active = time.perf_counter() - stop[1]
        own = None
    exceptions = await pg.locator("[data-testid='stException']").count()
    out.append({"seen": seen, "active": active, "errors": len(errors) + exceptions, "own": own})
    await ctx.close()


async def _class(url: str, pid: int, log, sessions: int, seconds: float, live: bool) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=BROWSER_ARGS + UNTHROTTLED,
        )
        opened, start, stop, waiting, out = asyncio.Semaphore(3), asyncio.Event(), [float("inf"), 0.0], [0], []
        tasks = [
            asyncio.create_task(student(browser, url, i, live, opened, start, stop, waiting, out))
            for i in range(sessions)
        ]
        while waiting[0] < sessions:  # every page open before the clock starts
            if failed := [t for t in tasks if t.done() and t.exception()]:
                raise failed[0].exception()
            await asyncio.sleep(0.2)
        cpu0, runs0, t0 = cpu_seconds(pid), runs_so_far(log), time.perf_counter()
        stop[0], stop[1] = t0 + seconds, t0
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
        cpu, reruns = cpu_seconds(pid) - cpu0, runs_so_far(log) - runs0
        await browser.close()
    seen = [r["seen"] / r["active"] for r in out]
    return {
        "cpu": cpu,
        "seconds": elapsed,
        "rss": peak_rss_mb(pid),
        "per_session": statistics.median(seen),
        "updates": sum(r["seen"] for r in out),
        "reruns": reruns,
        "errors": sum(r["errors"] for r in out),
        "own": [r["own"] for r in out if r["own"] is not None],
    }


def run(url: str, pid: int, log, sessions: int, seconds: float, live: bool) -> dict:
    """The class on the server at `url` (process `pid`, writing a line per script run to `log`)."""
    return asyncio.run(_class(url, pid, log, sessions, seconds, live))
