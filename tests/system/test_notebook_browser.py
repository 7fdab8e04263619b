"""genlib.notebook's Explorer in real JupyterLab and Chromium: a cell makes the widget, a mouse drag on a latent
slider redraws the digit in the browser during the drag (no kernel round trip), the value reaches Python on
release (read back by running another cell), and once the kernel is shut down the widget says so in one line
and keeps drawing. JupyterLab runs headless on a free loopback port with a token, temporary HOME and Jupyter
folders, and nothing that reaches the internet; nothing the page requests leaves the server."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from genlib.paths import cache_root
from helpers import need_chromium, shipped
from tools.appserver import BROWSER_ARGS, ROOT, WEBGL, free_port, new_page

CHROMIUM = need_chromium(module_level=True)
pytest.importorskip("jupyterlab", reason="pip install 'latent-lab[notebook]' (pinned in requirements.txt)")
pytest.importorskip("anywidget", reason="pip install 'latent-lab[notebook]' (pinned in requirements.txt)")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
if not (ROOT / "app" / "static" / "ort" / "ort.wasm.min.mjs").is_file():
    pytest.skip("onnxruntime-web is not installed: run `make runtime`", allow_module_level=True)
if not shipped("vae"):
    pytest.skip("checkpoints/vae is not trained yet", allow_module_level=True)

ARTIFACTS = ROOT / "artifacts" / "notebook"  # screenshots, for a look (not compared)
WIDGET = ".latent-lab[data-kind='explorer']"
CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"  # the notebook in front
MAKE = 'from genlib.notebook import Explorer\nw = Explorer("vae", seed=3)\nz0 = list(w.z)\nw'
READ = 'import json\nprint("STATE=" + json.dumps({"z0": z0, "z": w.z, "row0": w._basis[:32]}))'
BROKEN = (  # a decoder the runtime cannot read, as a damaged download would be
    'import gzip\nfrom genlib.notebook import Explorer\nbad = Explorer("vae", directions="axes")\n'
    'bad._decoder, bad._decoder_key = gzip.compress(b"not a model"), "broken"\nbad'
)
MAP = 'from genlib.notebook import LatentMap\nm = LatentMap("vae", n=500)\nm'
PATH = (
    "import genlib, torch\nfrom genlib.notebook import Interpolation\n"
    'a, b = genlib.load("vae").latent.sample_z(2, torch.Generator().manual_seed(1))\n'
    'p = Interpolation("vae", a, b, steps=6)\np'
)
PICKED = 'print("PICKED=" + json.dumps({"selected": m.selected, "t": p.t}))'
# JupyterLab's own calls home, off: the news feed and the update check (user settings in a temporary folder)
QUIET = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False}
}


def notebook(cells: list[str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(url, token, folder) of a JupyterLab serving a temporary folder; stopped (then killed) at the end."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    work = tmp / "work"
    work.mkdir()
    (work / "drag.ipynb").write_text(json.dumps(notebook([MAKE, READ, BROKEN])))
    shutil.copy(ROOT / "examples" / "tour.ipynb", work / "tour.ipynb")
    (work / "map.ipynb").write_text(json.dumps(notebook([MAP, PATH, READ.split("\n")[0] + "\n" + PICKED])))
    settings = tmp / "settings"
    for name, value in QUIET.items():
        (settings / Path(name).parent).mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "HOME": str(tmp / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "PYTHONPATH": str(ROOT),  # the kernel imports this checkout's genlib
        "GENLIB_CACHE": str(cache_root()),  # the exported decoders and encodings already made (a new HOME has none)
        "GENLIB_DATA": os.environ.get("GENLIB_DATA") or str(Path.home() / ".cache" / "genlib"),
    }
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1"]
    cmd += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"]
    cmd += ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    cmd += ["--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
    cmd += ["--allow-root"] if os.geteuid() == 0 else []  # CI containers run as root
    log_path = tmp / "jupyterlab.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}") from None
                    time.sleep(0.2)
            yield url, token, work
        finally:
            proc.send_signal(signal.SIGTERM)  # JupyterLab shuts its kernels down on SIGTERM
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS + WEBGL)
        yield b
        b.close()


# ?reset in the URLs: a fresh workspace, not the tabs an earlier test left open
def run_cell(page, i: int) -> None:
    """Put the cursor in cell i's editor and run it (Shift+Enter), as a user would."""
    page.locator(CELLS).nth(i).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


def drawn(page, widget: str = "explorer") -> list[dict]:
    return page.evaluate(f"(globalThis.__latentLab?.drawn ?? []).filter((d) => d.widget === '{widget}')")


def printed(page, cell: int, tag: str) -> dict:
    out = page.locator(CELLS).nth(cell).locator(".jp-OutputArea-output", has_text=tag)
    return json.loads(out.inner_text().split(tag, 1)[1])


def drag(page, slider, fraction: float, steps: int = 25, ms: float = 60) -> tuple[float, float]:
    """A mouse drag of the slider's thumb from its place to `fraction` of its width; (start, end) page clock."""
    box = slider.bounding_box()
    value, low, high = (float(slider.evaluate(f"e => e.{k}")) for k in ("value", "min", "max"))
    y = box["y"] + box["height"] / 2
    x0 = box["x"] + box["width"] * (value - low) / (high - low)
    x1 = box["x"] + box["width"] * fraction
    page.mouse.move(x0, y)
    page.mouse.down()
    start = page.evaluate("performance.now()")
    for k in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * k / steps, y)
        page.wait_for_timeout(ms)
    end = page.evaluate("performance.now()")
    page.mouse.up()
    return start, end


def open_notebook(lab, browser, name: str):
    """A fresh page on the lab's notebook `name`, once its kernel is idle: (page, the URLs it requested, its
    JavaScript errors)."""
    url, token, _ = lab
    page = new_page(browser, timeout_ms=90_000)
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector("#jp-main-statusbar >> text=Idle")  # the kernel is up
    return page, requests, errors


def test_drag_draws_in_the_browser_and_python_reads_the_value_on_release(lab, browser):
    url = lab[0]
    page, requests, errors = open_notebook(lab, browser, "drag.ipynb")
    page.wait_for_selector(f"{CELLS} .cm-content")  # its code cells' editors (a markdown cell's is hidden)
    run_cell(page, 0)
    page.wait_for_selector(f"{WIDGET}[data-state='ready']")
    slider = page.locator(f"{WIDGET} input[type='range']").first
    page.wait_for_function("(globalThis.__latentLab?.drawn ?? []).length > 0")  # the first frame

    start, end = drag(page, slider, 0.85)
    during = [d for d in drawn(page) if start <= d["t"] <= end]
    assert len(during) >= 10, f"only {len(during)} frames drawn during a 1.5 s drag"
    assert len({d["hash"] for d in during}) >= 5, "the digit did not change while the slider moved"
    page.wait_for_selector(f"{WIDGET}[data-synced]")  # Python answered the sync sent on release
    moved_to = float(slider.evaluate("e => e.value"))

    run_cell(page, 1)
    state = printed(page, 1, "STATE=")
    z0, z, row0 = state["z0"], state["z"], state["row0"]
    coord = sum(a * b for a, b in zip(z, row0, strict=True))
    assert abs(coord - moved_to) < 1e-3, (coord, moved_to)  # Python's z sits where the slider was released
    delta = [b - a for a, b in zip(z0, z, strict=True)]
    along = sum(d * r for d, r in zip(delta, row0, strict=True))
    assert max(abs(d - along * r) for d, r in zip(delta, row0, strict=True)) < 1e-4  # moved along PC1 only

    # nothing left the machine: JupyterLab's own files, the kernel's websocket and blob: URLs only
    outside = [u for u in requests if not u.startswith((url, url.replace("http", "ws"), "blob:", "data:"))]
    assert not outside, outside
    assert not errors, errors
    print(f"\nframes drawn during the drag: {len(during)} in {end - start:.0f} ms; Python read coordinate {coord:.3f}")


def test_a_decoder_that_does_not_load_is_said_in_one_line_not_a_stuck_widget(lab, browser):
    page, _, _ = open_notebook(lab, browser, "drag.ipynb")
    run_cell(page, 2)
    page.wait_for_selector(".latent-lab[data-state='failed']")
    line = page.locator(".latent-lab[data-state='failed'] .status").inner_text()
    assert line.startswith("In-browser decoding is unavailable: ") and "\n" not in line, line


def test_a_shut_down_kernel_is_said_in_one_line_and_the_widget_keeps_drawing(lab, browser):
    url, token, _ = lab
    page, _, _ = open_notebook(lab, browser, "drag.ipynb")
    run_cell(page, 0)
    page.wait_for_selector(f"{WIDGET}[data-state='ready']")
    for kernel in json.load(urllib.request.urlopen(f"{url}/api/kernels?token={token}")):
        req = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(req)
    before = len(drawn(page))
    drag(page, page.locator(f"{WIDGET} input[type='range']").first, 0.2, steps=10, ms=40)
    page.wait_for_selector(f"{WIDGET}[data-kernel='gone']", timeout=15_000)
    line = page.locator(f"{WIDGET} .status").inner_text()
    assert "kernel" in line and "\n" not in line.strip(), line
    assert len(drawn(page)) > before  # still drawing: the widget is not stuck


def test_the_map_previews_on_hover_and_selects_on_click_and_the_scrub_redraws_the_path(lab, browser):
    page, _, errors = open_notebook(lab, browser, "map.ipynb")
    run_cell(page, 0)
    page.wait_for_selector(".latent-lab[data-kind='map'][data-state='ready']")
    box = page.locator(".latent-lab[data-kind='map'] canvas.map").bounding_box()
    caption = page.locator(".latent-lab[data-kind='map'] .caption")
    for k in range(1, 40):  # across the map's middle until a point is under the pointer
        x, y = box["x"] + box["width"] * k / 40, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        if caption.inner_text().startswith("test digit #"):
            break
    page.wait_for_function("(globalThis.__latentLab?.drawn ?? []).some((d) => d.widget === 'map')")  # the preview
    hovered = int(caption.inner_text().split("#")[1].split(",")[0])
    page.mouse.click(x, y)
    page.wait_for_selector(".latent-lab[data-kind='map'][data-synced='1']")
    previews = len(drawn(page, "map"))
    page.locator(".latent-lab[data-kind='map'] canvas.map").press("ArrowRight")  # the keyboard steps on ...
    page.wait_for_function(f"globalThis.__latentLab.drawn.filter((d) => d.widget === 'map').length > {previews}")
    assert caption.inner_text() != f"test digit #{hovered}" and caption.inner_text().startswith("test digit #")
    page.locator(".latent-lab[data-kind='map'] canvas.map").press("ArrowLeft")  # ... and back, and selects
    page.locator(".latent-lab[data-kind='map'] canvas.map").press("Enter")
    page.wait_for_selector(".latent-lab[data-kind='map'][data-synced='2']")

    run_cell(page, 1)
    page.wait_for_selector(".latent-lab[data-kind='interpolation'][data-state='ready']")
    page.wait_for_function(
        "(globalThis.__latentLab?.drawn ?? []).filter((d) => d.widget === 'interpolation').length >= 7"
    )
    scrub = page.locator(".latent-lab[data-kind='interpolation'] input[type='range']")
    start, end = drag(page, scrub, 0.9, steps=15, ms=50)
    during = [d for d in drawn(page, "interpolation") if start <= d["t"] <= end]
    assert len({d["hash"] for d in during}) >= 3, "the digit did not change along the path"
    page.wait_for_selector(".latent-lab[data-kind='interpolation'][data-synced]")
    released = float(scrub.evaluate("e => e.value"))

    run_cell(page, 2)
    picked = printed(page, 2, "PICKED=")
    assert picked == {"selected": hovered, "t": pytest.approx(released)}
    assert not errors, errors


def test_the_tour_runs_in_jupyterlab_and_every_widget_draws(lab, browser):
    page, _, errors = open_notebook(lab, browser, "tour.ipynb")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    kinds = ["explorer", "explorer", "explorer", "interpolation", "map"]
    page.wait_for_function(f"document.querySelectorAll('.latent-lab[data-state=\\'ready\\']').length >= {len(kinds)}")
    shown = page.eval_on_selector_all(".latent-lab", "els => els.map((e) => [e.dataset.kind, e.dataset.state])")
    assert shown == [[k, "ready"] for k in kinds]
    assert page.locator(".latent-lab fieldset legend", has_text="Label").count() == 1  # the cvae's label
    assert page.locator(".latent-lab fieldset legend", has_text="Categorical code").count() == 1  # the infogan's
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, kind in enumerate(kinds):  # each scrolled into view (JupyterLab scrolls inside the notebook)
        page.locator(".latent-lab").nth(i).screenshot(path=ARTIFACTS / f"tour-{i + 1}-{kind}.png")
    assert not errors, errors
