"""The app as the browser tests, the benchmarks and tools/screenshots.py drive it: `streamlit run app/server.py`
on a free loopback port, Debian's Chromium, and the few things a browser session waits for (one copy of each,
importable as `tools.appserver` from the tests, bench/ and tools/)."""

import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"  # Debian's; CHROMIUM=/path for another build
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
WEBGL = ["--enable-unsafe-swiftshader"]  # WebGL (plotly's scattergl) and WebAssembly in software

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"  # the script run has finished
MAIN_IMAGE = "[data-testid='stMain'] [data-testid='stImage'] img"
SLIDER = "[data-testid='stMain'] [data-testid='stSlider'] input[type='range']"
EXCEPTION = "[data-testid='stException']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float, log_path: Path) -> None:
    """Return once the server at `url` answers /_stcore/health; RuntimeError (with its log's tail) if the
    process ends or `timeout` seconds pass first."""
    deadline = time.time() + timeout
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"streamlit did not become healthy; see {log_path}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.05)


@contextmanager
def streamlit_server(log_path: Path | None = None, timeout: float = 120, env: dict | None = None, script=None):
    """Yields (url, process, perf_counter at launch) once /_stcore/health answers; SIGTERM (then SIGKILL) on exit.
    `env` adds environment variables (e.g. LATENT_LAB_RUN_LOG, where the app appends a line per run); `script`
    runs another Streamlit script instead of the app; without `log_path` the log goes to a temporary file."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app" / "server.py")]
    cmd += ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if log_path is None:
        log_path = Path(tempfile.mkdtemp()) / "streamlit.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout, log_path)
            yield url, proc, started
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def outside(urls: list[str], origin: str) -> list[str]:
    """The requests that left the app's server (the page's own blob: and data: URLs stay inside)."""
    return [u for u in urls if not u.startswith((origin + "/", "blob:" + origin + "/", "data:")) and u != origin]


def settle(pg, selector: str | None = None) -> None:
    """Wait until the page's script run has finished (and `selector` is there); an exception shown fails."""
    pg.wait_for_selector(IDLE, state="attached")
    if selector:
        pg.wait_for_selector(selector)
        pg.wait_for_selector(IDLE, state="attached")
    exc = pg.locator(EXCEPTION)
    if exc.count():
        raise AssertionError(exc.first.inner_text())


def main_src(pg) -> str:
    return pg.locator(MAIN_IMAGE).first.get_attribute("src")


def new_page(browser, timeout_ms: int = 120_000, **context):
    """A page in a new browser context (its own cookies and cache: a new student)."""
    pg = browser.new_context(viewport={"width": 1400, "height": 1000}, **context).new_page()
    pg.set_default_timeout(timeout_ms)
    return pg


# playwright's async API (many sessions at once: the load, serving and class runs)
async def asettle(page):
    """Wait (playwright's async API) until the page's run has finished and its image is drawn; no exception shown."""
    await page.wait_for_selector(IDLE, state="attached")
    await page.wait_for_selector(MAIN_IMAGE)
    await page.wait_for_selector(IDLE, state="attached")
    exc = page.locator(EXCEPTION)
    assert await exc.count() == 0, await exc.first.inner_text()


async def amain_src(page) -> str:
    return await page.locator(MAIN_IMAGE).first.get_attribute("src")


# ---------------------------------------------------------------- live Explore
def open_live(pg, url: str, query: str):
    """Explore at `url` with the URL query `query`, once its live component has drawn its first digit."""
    pg.goto(f"{url}/?{query}")
    pg.wait_for_selector(".live[data-state='ready']")  # runtime loaded and the first digit drawn
    settle(pg)


def drawn(pg) -> list[dict]:
    """What the live component has drawn so far: (time, image hash) of each frame."""
    return pg.evaluate("() => window.__latentLab.drawn.map(d => ({t: d.t, hash: d.hash}))")


def canvas_pixels(pg) -> np.ndarray:
    """The 28×28 grey levels on the main canvas (the centre of each 12×12 block)."""
    flat = pg.locator("canvas.digit").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
    )
    rgba = np.array(flat, dtype=np.int16).reshape(336, 336, 4)
    return rgba[6::12, 6::12, 0]


def download_png(pg) -> np.ndarray:
    """The PNG download (the server's decode of the synced latent, 8× nearest neighbour) as 28×28 levels."""
    with pg.expect_download() as info:
        pg.locator("[data-testid='stDownloadButton'] button", has_text="PNG").first.click()
    img = np.array(Image.open(io.BytesIO(Path(info.value.path()).read_bytes())).convert("L"), dtype=np.int16)
    return img[4::8, 4::8]


def thumb_x(slider, box) -> float:
    """Where a range input's thumb is, to put the mouse on it."""
    v, lo, hi = slider.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
    thumb = 16  # Chromium's range thumb width: the track it travels is the box minus the thumb
    return box["x"] + thumb / 2 + (v - lo) / (hi - lo) * (box["width"] - thumb)
