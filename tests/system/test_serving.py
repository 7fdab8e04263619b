"""Serving a room: deploy/serve.sh (two `streamlit run` replicas behind nginx, sticky by cookie) driven by
real browser sessions. Each replica gets its sessions; every request of a session (page, media,
websocket) reaches one replica; then one replica is killed mid-run: the sessions on the other keep
working and new sessions all go to the survivor. Prints slider -> image latency per replica and each
replica's memory. CPU-heavy (about a minute and a half), so it runs only when asked:

    python -m pytest -m serving tests/system/test_serving.py -s     # GENLIB_SERVE_SESSIONS=3 sessions per replica

The browser helpers (settle, selectors) are shared with test_load.py in tools/appserver.py.
"""

import asyncio
import hashlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import CHROMIUM, need_chromium, shipped
from tools.appserver import MAIN_IMAGE, SLIDER, amain_src, asettle, rss_mb

pytestmark = pytest.mark.serving
ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PER_REPLICA = int(os.environ.get("GENLIB_SERVE_SESSIONS", "3"))
SECONDS = float(os.environ.get("GENLIB_SERVE_SECONDS", "12"))
COOKIE = "latentlab_lb"  # deploy/nginx.conf.template


@pytest.fixture(autouse=True)
def tools_present():
    if not os.path.exists(NGINX):
        pytest.skip(f"{NGINX} is missing: apt-get install -y nginx")
    need_chromium()
    pytest.importorskip("playwright.async_api")
    if not shipped("vae"):
        pytest.skip("needs the shipped vae")


def free_ports(n: int) -> int:
    """A base port with n consecutive free loopback ports (nginx on the first, replicas after it)."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        try:
            socks = []
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


@pytest.fixture
def deployment(tmp_path):
    port = free_ports(3)
    prefix = tmp_path / "serve"
    env = {**os.environ, "PORT": str(port), "REPLICAS": "2", "PREFIX": str(prefix)}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        ["bash", str(ROOT / "deploy" / "serve.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 150
        while "serving http" not in (tmp_path / "serve.log").read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("serve.sh did not start:\n" + (tmp_path / "serve.log").read_text()[-3000:])
            time.sleep(0.5)
        replicas = {
            f"127.0.0.1:{p}": int(pid)
            for p, pid in (line.split() for line in (prefix / "replicas").read_text().splitlines())
        }
        yield url, replicas, prefix
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # serve.sh stops nginx and the replicas itself
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def replica_of(url: str, key: str | None) -> str:
    """Which replica nginx sends a request with this stickiness cookie (None: a first visit) to."""
    req = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"{COOKIE}={key}"} if key else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers["X-Replica"]


def keys_per_replica(url: str, replicas, n: int) -> dict[str, list[str]]:
    """n cookie values that hash to each replica: a deterministic spread of sessions for the test."""
    keys = {r: [] for r in replicas}
    for i in range(1000):
        r = replica_of(url, f"k{i}")
        if len(keys[r]) < n:
            keys[r].append(f"k{i}")
        if all(len(v) == n for v in keys.values()):
            return keys
    raise AssertionError(f"the hash sends (almost) everything to one replica: {keys}")


class Session:
    """One student in their own browser context; records which replica answered each HTTP request."""

    def __init__(self, name: str):
        self.name, self.replicas, self.latencies, self.errors = name, [], [], []

    async def open(self, browser, url: str, key: str | None, seed: int):
        self.ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
        if key:
            await self.ctx.add_cookies([{"name": COOKIE, "value": key, "url": url}])
        self.page = await self.ctx.new_page()
        self.page.set_default_timeout(60_000)
        self.page.on("response", lambda r: self.replicas.append(r.headers.get("x-replica")))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        await self.page.goto(f"{url}/?model=vae&seed={seed}&decode=server")
        await asettle(self.page)
        return self

    async def move(self, timeout_ms: float = 60_000) -> float:
        """One slider key press until the new image is shown; ms."""
        page = self.page
        slider = page.locator(SLIDER).first
        value, high = await slider.evaluate("e => [Number(e.value), Number(e.max)]")
        before = await amain_src(page)
        await slider.focus()
        t0 = time.perf_counter()
        await page.keyboard.press("ArrowLeft" if value >= high else "ArrowRight")
        await page.wait_for_function(
            "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && !i.src.endsWith(old); }",
            arg=[MAIN_IMAGE, before],
            timeout=timeout_ms,
        )
        ms = (time.perf_counter() - t0) * 1000
        await asettle(page)
        return ms

    async def work(self, seconds: float):
        end = time.time() + seconds
        while time.time() < end:
            self.latencies.append(await self.move())
            await asyncio.sleep(random.uniform(0.3, 0.8))  # a student looks at the result

    def home(self) -> set:
        """The replicas that answered (X-Replica lists every one nginx tried; the last one answered)."""
        return {r.split(", ")[-1] for r in self.replicas if r}


async def scenario(url: str, replicas: dict, keys: dict) -> dict:
    from playwright.async_api import async_playwright

    victim, survivor = sorted(replicas)
    out = {"rss_start": {r: rss_mb(pid) for r, pid in replicas.items()}, "rss_peak": dict.fromkeys(replicas, 0.0)}
    stop = asyncio.Event()

    async def watch():
        while not stop.is_set():
            for r, pid in replicas.items():
                out["rss_peak"][r] = max(out["rss_peak"][r], rss_mb(pid))
            await asyncio.sleep(0.5)

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
        watcher = asyncio.create_task(watch())
        # each replica's first session loads the models: open one per replica first, then the rest
        sessions = {r: [Session(f"{r}#{i}") for i in range(len(k))] for r, k in keys.items()}
        await asyncio.gather(*(sessions[r][0].open(browser, url, keys[r][0], 1) for r in keys))
        await asyncio.gather(
            *(s.open(browser, url, keys[r][i], 10 + i) for r in keys for i, s in enumerate(sessions[r]) if i)
        )
        out["rss_warm"] = {r: rss_mb(pid) for r, pid in replicas.items()}
        # phase 1: everyone moves sliders
        await asyncio.gather(*(s.work(SECONDS) for ss in sessions.values() for s in ss))
        out["phase1"] = {r: [ms for s in ss for ms in s.latencies] for r, ss in sessions.items()}
        out["homes"] = {s.name: s.home() for ss in sessions.values() for s in ss}
        # phase 2: kill one replica while the survivor's sessions keep working; newcomers arrive meanwhile
        for s in sessions[survivor]:
            s.latencies = []
        os.kill(replicas[victim], signal.SIGKILL)
        t_kill = time.time()
        newcomers = [Session(f"new#{i}") for i in range(3)]
        new_keys = [None, None, keys[victim][0]]  # two first visits; one reload of a victim's session

        async def arrive(s, key, seed):
            await s.open(browser, url, key, seed)
            s.latencies.append(await s.move())

        results = await asyncio.gather(
            *(s.work(SECONDS) for s in sessions[survivor]),
            *(arrive(s, k, 50 + i) for i, (s, k) in enumerate(zip(newcomers, new_keys, strict=True))),
            return_exceptions=True,
        )
        out["phase2_failures"] = [repr(r) for r in results if isinstance(r, BaseException)]
        out["phase2"] = [ms for s in sessions[survivor] for ms in s.latencies]
        out["newcomer_homes"] = [s.home() for s in newcomers]

        # the victim's sessions: their websocket dropped; does the page come back on the survivor?
        async def recovered(s):
            try:
                await s.move(timeout_ms=15_000)
                return round(time.time() - t_kill, 1)
            except Exception:
                return None

        out["victim_recovered_after_s"] = await asyncio.gather(*(recovered(s) for s in sessions[victim]))
        out["victim_sessions_new_home"] = [{r for r in s.replicas[-3:] if r} for s in sessions[victim]]
        out["retried"] = sum(", " in r for s in [*newcomers, *sessions[survivor]] for r in s.replicas if r)
        out["errors"] = {s.name: s.errors for ss in sessions.values() for s in ss}
        stop.set()
        await watcher
        await browser.close()
    out["victim"], out["survivor"] = victim, survivor
    return out


def test_two_replicas_sticky_sessions_and_failover(deployment):
    url, replicas, prefix = deployment
    assert len(replicas) == 2
    snapshot = tree_digest(prefix / "checkpoints")
    keys = keys_per_replica(url, replicas, PER_REPLICA)
    t0 = time.time()
    r = asyncio.run(scenario(url, replicas, keys))
    victim, survivor = r["victim"], r["survivor"]
    med = {k: statistics.median(v) for k, v in r["phase1"].items()}
    print(
        f"\n{PER_REPLICA} sessions per replica, {SECONDS:.0f} s of slider moves: median slider -> image "
        + ", ".join(
            f"{k} {med[k]:.0f} ms ({len(r['phase1'][k])} moves, p90 "
            f"{sorted(r['phase1'][k])[int(0.9 * len(r['phase1'][k]))]:.0f} ms)"
            for k in sorted(med)
        )
    )
    print(
        "replica RSS MiB: started "
        + ", ".join(f"{v:.0f}" for v in r["rss_start"].values())
        + "; sessions open "
        + ", ".join(f"{v:.0f}" for v in r["rss_warm"].values())
        + "; peak "
        + ", ".join(f"{v:.0f}" for v in r["rss_peak"].values())
    )
    print(
        f"killed {victim}: survivor's sessions made {len(r['phase2'])} moves after it, median "
        f"{statistics.median(r['phase2']) if r['phase2'] else float('nan'):.0f} ms; newcomers went to "
        f"{r['newcomer_homes']}; victim's sessions answered again after {r['victim_recovered_after_s']} s "
        f"(served by {r['victim_sessions_new_home']}); {r['retried']} requests tried the dead replica first "
        f"(nginx re-probes it every fail_timeout); total {time.time() - t0:.0f} s"
    )
    # sticky: every HTTP response of a session (page, static files, media) came from its own replica
    for name, home in r["homes"].items():
        assert home == {name.split("#")[0]}, f"{name} was served by {home}"
    # failover: the survivor's sessions kept working, newcomers (with or without a cookie) went to it
    assert not r["phase2_failures"], r["phase2_failures"]
    assert r["phase2"], "the survivor's sessions made no slider move after the kill"
    assert all(home == {survivor} for home in r["newcomer_homes"]), r["newcomer_homes"]
    assert not any(r["errors"].values()), r["errors"]
    # the replicas only read the shipped checkpoints
    assert tree_digest(prefix / "checkpoints") == snapshot
    assert not any(f.stat().st_mode & 0o222 for f in (prefix / "checkpoints").rglob("*"))  # mode a-w
