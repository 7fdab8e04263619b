"""Start and stop `streamlit run app/server.py` on a free loopback port (the browser tests)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        time.sleep(0.3)


@contextmanager
def streamlit_server(log_path: Path, timeout: float = 90, env: dict | None = None):
    """Yields (url, process) once /_stcore/health answers; SIGTERM (then SIGKILL) on exit. `env` adds
    environment variables (e.g. LATENT_LAB_RUN_LOG, where the app appends a line per script run)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app" / "server.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout, log_path)
            yield url, proc
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


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"  # the script run has finished
MAIN_IMAGE = "[data-testid='stMain'] [data-testid='stImage'] img"
SLIDER = "[data-testid='stMain'] [data-testid='stSlider'] input[type='range']"


async def settle(page):
    """Wait (playwright's async API) until the page's run has finished and its image is drawn; no exception shown."""
    await page.wait_for_selector(IDLE, state="attached")
    await page.wait_for_selector(MAIN_IMAGE)
    await page.wait_for_selector(IDLE, state="attached")
    exc = page.locator("[data-testid='stException']")
    assert await exc.count() == 0, await exc.first.inner_text()


async def main_src(page) -> str:
    return await page.locator(MAIN_IMAGE).first.get_attribute("src")
