"""An installed copy is the whole app. The wheel is built from the tracked files and installed with [app] into a
fresh venv (Debian's python, real dependency resolution), which is then made read-only; `latent-lab app` runs from
the home folder of a user who cannot write to it (an unprivileged account when the test runs as root). In real
Chromium every page opens without an exception, a mouse drag on Explore redraws the digit in the browser, and
the Latent map previews a hovered point: once with the default cache (~/.cache/genlib), once with GENLIB_CACHE
pointing at a fresh folder. About three minutes, most of it pip."""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

import genlib
from helpers import ROOT, need_chromium
from tools.appserver import BROWSER_ARGS, free_port, outside, settle, wait_healthy

SYSTEM_PYTHON = "/usr/bin/python3"  # any user can run it (the default python3 here lives under /root)
USER = "latentlab-test"
PAGES = 13


def run(*cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def base():
    """A folder every user can enter (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="latent-lab-install-"))
    folder.chmod(0o755)
    yield folder
    run("chmod", "-R", "u+w", str(folder))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def wheel(base) -> Path:
    src = base / "src"  # the tracked files only: no runtime, decoders or caches a checkout may hold
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"), str(src))
    return next((base / "dist").glob("latent_lab-*.whl"))


def test_the_wheel_holds_the_runtime_and_nothing_made_at_run_time(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    static = sorted(n for n in names if "/static/" in n)
    assert static == [
        f"genlib/app/static/ort/{f}"
        for f in ("LICENSE", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm.gz", "ort.wasm.min.mjs")
    ]
    assert "genlib/app/server.py" in names and "genlib/shipped/vae/model.safetensors" in names
    assert not [n for n in names if any(k in n for k in ("decoders/", "encodings/", "node_modules", ".onnx"))]


@pytest.fixture(scope="module")
def venv(base, wheel) -> Path:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip(f"{SYSTEM_PYTHON} is missing (apt-get install -y python3-venv)")
    env = base / "venv"
    run(SYSTEM_PYTHON, "-m", "venv", str(env))
    run(str(env / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"{wheel}[app]")
    run("chmod", "-R", "a+rX,a-w", str(env))
    return env


@pytest.fixture(scope="module")
def user() -> tuple[list[str], Path]:
    """(command prefix that runs as a user who cannot write to the venv, that user's home)."""
    if os.geteuid() != 0:  # the venv is read-only to its owner too
        return [], Path(tempfile.mkdtemp(prefix="latent-lab-home-"))
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", USER], capture_output=True)
    try:
        home = Path(pwd.getpwnam(USER).pw_dir)
    except KeyError:
        pytest.skip(f"cannot create the unprivileged user {USER} (useradd)")
    shutil.rmtree(home / ".cache", ignore_errors=True)  # a first visit, as a new user's
    return ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--init-groups"], home


def start_app(venv: Path, user, env: dict, args: tuple = ()) -> tuple[str, subprocess.Popen, Path]:
    prefix, home = user
    port, log = free_port(), Path(tempfile.mkstemp(prefix="latent-lab-app-", suffix=".log")[1])
    keep = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k in ("LANG", "http_proxy", "https_proxy")}
    env = {**keep, "PATH": "/usr/bin:/bin", "HOME": str(home), **env}
    cmd = [*prefix, str(venv / "bin" / "latent-lab"), "app", *args, "--server.headless", "true"]
    cmd += ["--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, 90, log)
    return url, proc, log


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # the process group we started: latent-lab and its streamlit
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tour(url: str) -> dict:
    """Every page opened from the sidebar, a drag on Explore and a hover on the map; what the browser saw."""
    from playwright.sync_api import sync_playwright

    seen: dict = {"errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=need_chromium(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-unsafe-swiftshader"],
        )
        ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
        seen["requests"] = requests = []
        ctx.on("request", lambda r: requests.append(r.url))
        pg = ctx.new_page()
        pg.set_default_timeout(240_000)  # a new user's first visit fetches MNIST and encodes the test set
        pg.on("pageerror", lambda e: seen["errors"].append(str(e)))
        pg.goto(f"{url}/?model=vae&seed=1")
        pg.wait_for_selector(".live[data-state='ready']")  # the runtime loaded and the first digit drawn
        settle(pg)
        slider = pg.locator("#vae-coord0")
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        before = pg.evaluate("() => window.__latentLab.drawn.length")
        pg.mouse.move(box["x"] + box["width"] / 2, y)
        pg.mouse.down()
        for i in range(1, 21):
            pg.mouse.move(box["x"] + box["width"] / 2 + (box["width"] / 2 - 10) * i / 20, y)
            pg.wait_for_timeout(40)
        frames = "n => new Set(window.__latentLab.drawn.slice(n).map(d => d.hash)).size"  # distinct digits drawn
        seen["drag_frames"] = pg.evaluate(frames, before)
        pg.mouse.up()
        settle(pg)
        links = pg.locator("[data-testid='stSidebarNav'] a")
        seen["titles"] = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]  # no icon
        for i, title in enumerate(seen["titles"]):
            links.nth(i).click()
            pg.wait_for_selector(f"h1:has-text('{title.split()[0]}')")
            settle(pg)
            if title == "Latent map":
                pg.wait_for_selector(".hover[data-state='ready']")
                area = pg.locator("[data-testid='stPlotlyChart'] .nsewdrag").first.bounding_box()
                for fx, fy in ((0.5, 0.5), (0.4, 0.6), (0.6, 0.4), (0.3, 0.3), (0.7, 0.7), (0.5, 0.3), (0.3, 0.5)):
                    pg.mouse.move(area["x"] + fx * area["width"], area["y"] + fy * area["height"])
                    pg.wait_for_timeout(400)
                seen["hovers"] = pg.evaluate("() => window.__latentLab.hover.length")
                seen["hover_caption"] = pg.locator(".hover .caption").inner_text()
        browser.close()
    return seen


@pytest.mark.parametrize("cache", ["default", "GENLIB_CACHE"])
def test_installed_app_as_another_user(venv, user, base, cache):
    need_chromium()
    home = user[1]
    env, where = {}, home / ".cache" / "genlib"
    if cache == "GENLIB_CACHE":
        where = base / "fresh-cache"
        where.mkdir(mode=0o777)
        where.chmod(0o777)
        env["GENLIB_CACHE"] = str(where)
    before = sorted(str(p) for p in venv.rglob("*"))
    url, proc, log = start_app(venv, user, env)
    try:
        seen = tour(url)
    finally:
        stop(proc)
    assert not seen["errors"], seen["errors"]
    assert not outside(seen["requests"], url), f"requests outside the app's server: {outside(seen['requests'], url)}"
    assert len(seen["titles"]) == PAGES, seen["titles"]
    assert seen["drag_frames"] >= 5, f"the digit was redrawn {seen['drag_frames']} times during the drag"
    assert seen["hovers"] >= 1 and seen["hover_caption"].startswith("test #"), seen
    assert list((where / "web" / "decoders").glob("vae-*.onnx.gz")), "no decoder was published into the cache"
    assert sorted(str(p) for p in venv.rglob("*")) == before  # nothing written into the installation
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    log.unlink()
    assert genlib.__version__ in run(str(venv / "bin" / "latent-lab"), "--version", cwd=home)


def test_installed_app_opens_a_model_folder_named_on_the_command_line(venv, user, base):
    """`latent-lab app --models DIR` from the installed copy, as the other user: the folder's model is in the
    picker and decodes in the browser."""
    need_chromium()
    from onnx_models import linear_graph, manifest, write
    from playwright.sync_api import sync_playwright

    write(base / "models" / "helper-api", decoder=linear_graph(), meta=manifest(output="probability"))
    run("chmod", "-R", "a+rX", str(base / "models"))
    url, proc, log = start_app(venv, user, {}, ("--models", str(base / "models")))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=need_chromium(), headless=True, args=BROWSER_ARGS)
            pg = browser.new_page()
            pg.set_default_timeout(120_000)
            pg.goto(f"{url}/?model=helper-api&seed=2")
            pg.wait_for_selector(".live[data-state='ready']")  # its decoder published and run in the browser
            settle(pg)
            drawn = pg.evaluate("() => window.__latentLab.drawn.map(d => d.model)")
            browser.close()
    finally:
        stop(proc)
    assert "helper-api" in drawn
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
