"""In-browser decoding in real Chromium (`python bench/app_latency.py --live`): per model, a 2-second mouse drag
on Explore's first latent slider (digits drawn per second, input → drawn p95, server CPU during the drag and
for the release's sync); runtime + decoder ready with a cold and a warm browser cache and the MB downloaded;
Latent-map hover → preview; and a class: N sessions exploring at once, decoding in the browser vs on the server.

Targets: ≥ 30 digits/s while dragging, input → drawn p95 ≤ 33 ms, server CPU during a 2-s drag ≤ 50 ms, ready
≤ 2 s cold / ≤ 300 ms warm, hover → preview ≤ 50 ms."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import BROWSER_ARGS, CHROMIUM, UNTHROTTLED, WEBGL, machine_note, shipped_models, table, verdict

from tools.appserver import streamlit_server

READY = ".live[data-state='ready']"
PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
PLOT_READY = (
    '() => { const g = document.querySelector("' + PLOT.replace('"', '\\"') + '");'
    " return !!(g && g._fullLayout && g._fullLayout.xaxis && g.data && g.data.length >= 10); }"
)
TICK = os.sysconf("SC_CLK_TCK")
RELEASES_PER_S = 0.5  # a student exploring lets go of a control about every 2 s: one script run each


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def thumb(pg, selector: str) -> tuple[float, float, dict]:
    slider = pg.locator(selector)
    box = slider.bounding_box()
    v, lo, hi = slider.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
    return box["x"] + 8 + (v - lo) / (hi - lo) * (box["width"] - 16), box["y"] + box["height"] / 2, box


def downloaded_mb(pg) -> tuple[float, float]:
    """(all, the runtime under /app/static/ and the decoders under /latent-lab/) MB the page transferred
    (Resource Timing transferSize: 0 when from the browser's HTTP cache; the runtime and decoders inflated into
    Cache Storage on an earlier visit are not fetched at all)."""
    return pg.evaluate("""() => {
        const e = performance.getEntriesByType('resource'), nav = performance.getEntriesByType('navigation');
        const sum = xs => xs.reduce((s, x) => s + (x.transferSize || 0), 0) / 1e6;
        const ours = x => x.name.includes('/app/static/') || x.name.includes('/latent-lab/');
        return [sum(e) + sum(nav), sum(e.filter(ours))];
    }""")


def ready(browser, url: str, model: str, new_page, settle) -> dict:
    """A fresh browser context (cold cache), then a reload (warm cache): ms to the first live digit."""
    pg = new_page(browser)
    out = {}
    for phase in ("cold", "warm"):
        if phase == "cold":
            pg.goto(f"{url}/?model={model}&seed=5")
        else:
            pg.reload()
        pg.wait_for_selector(READY)
        r = pg.evaluate("() => window.__latentLab.ready.at(-1)")
        total, static = downloaded_mb(pg)
        out[phase] = {
            "mount": r["ms"],
            "navigation": r["at"],
            "runtime": r["runtime"],
            "session": r["session"],
            "decode": r["decode"],
            "mb": total,
            "static_mb": static,
        }
        settle(pg)
    pg.context.close()
    return out


def idle_cpu_ms(pid: int, seconds: float) -> float:
    """Server CPU while nobody interacts (the baseline of the drag's figure)."""
    cpu0 = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu0) * 1e3


def runs_so_far(log: Path) -> int:
    """Script runs the server has done (the app appends a line per run to $LATENT_LAB_RUN_LOG)."""
    return len(log.read_text().splitlines()) if log.exists() else 0


def drag(pg, pid: int, model: str, seconds: float, settle, log: Path) -> dict:
    """A mouse drag of `seconds` on the first latent slider, pointer moves every ~16 ms."""
    x, y, box = thumb(pg, f"#{model}-coord0")
    lat_before = pg.evaluate("() => window.__latentLab.latency.length")
    pg.mouse.move(x, y)
    cpu0, runs_before = cpu_seconds(pid), runs_so_far(log)
    pg.mouse.down()
    t_down = pg.evaluate("() => performance.now()")
    t0 = time.perf_counter()
    moves = 0
    left, width = box["x"] + 8, box["width"] - 16
    start = (x - left) / width
    end = 0.25 if start > 0.5 else 0.75  # ends elsewhere than it started, so the release syncs a new latent
    while (elapsed := time.perf_counter() - t0) < seconds:
        phase = (elapsed / seconds) * 2  # out to the right end, then back to `end`
        frac = start + (0.95 - start) * phase if phase < 1 else 0.95 + (end - 0.95) * (phase - 1)
        pg.mouse.move(left + width * frac, y)
        moves += 1
        time.sleep(max(0.0, 0.016 - (time.perf_counter() - t0 - elapsed)))
    t_end = pg.evaluate("() => performance.now()")
    cpu1 = cpu_seconds(pid)
    drawn = pg.evaluate("t => window.__latentLab.drawn.filter(d => d.t > t)", t_down)
    latency = pg.evaluate("n => window.__latentLab.latency.slice(n)", lat_before)
    runs = runs_so_far(log)
    pg.mouse.up()
    deadline = time.perf_counter() + 10
    while runs_so_far(log) == runs and time.perf_counter() < deadline:  # the release's sync rerun
        time.sleep(0.02)
    settle(pg)
    cpu2 = cpu_seconds(pid)
    ms = t_end - t_down
    return {
        "reruns_during_drag": runs - runs_before,
        "fps": len(drawn) / ms * 1e3,
        "distinct": len({d["hash"] for d in drawn}),
        "moves_per_s": moves / ms * 1e3,
        "p50": statistics.median(latency) if latency else float("nan"),
        "p95": p95(latency) if latency else float("nan"),
        "cpu_drag_ms": (cpu1 - cpu0) * 1e3,
        "cpu_release_ms": (cpu2 - cpu1) * 1e3,
    }


def releases(pg, pid: int, model: str, settle, log: Path, n: int = 20) -> dict:
    """n short drags of the first latent slider, each let go: server CPU per release (total less the idle rate
    over the same time; n releases average out the 10-ms clock ticks) and release → URL updated."""
    idle_rate = idle_cpu_ms(pid, 3.0) / 3.0
    cpu0, t0, waits, runs0 = cpu_seconds(pid), time.perf_counter(), [], runs_so_far(log)
    for i in range(n):
        x, y, _ = thumb(pg, f"#{model}-coord0")
        before = pg.evaluate("() => location.search")
        pg.mouse.move(x, y)
        pg.mouse.down()
        pg.mouse.move(x + (12 if i % 2 == 0 else -12), y, steps=3)
        pg.mouse.up()
        t_up = time.perf_counter()
        pg.wait_for_function("old => location.search !== old", arg=before)
        waits.append((time.perf_counter() - t_up) * 1e3)
        settle(pg)
    wall_ms = (time.perf_counter() - t0) * 1e3
    cpu_ms = (cpu_seconds(pid) - cpu0) * 1e3 - idle_rate * wall_ms / 1e3
    return {
        "cpu_ms": cpu_ms / n,
        "url_p50": statistics.median(waits),
        "url_p95": p95(waits),
        "n": n,
        "runs": runs_so_far(log) - runs0,
    }


IN_PAGE = """async (el) => {
    const G = window.__latentLab, n0 = G.drawn.length, l0 = G.latency.length, t0 = performance.now();
    let i = 0;
    await new Promise(done => {
        const step = () => {
            if (performance.now() - t0 > 2000) return done();
            el.value = String(-3 + 6 * ((i++ % 120) / 120));
            el.dispatchEvent(new Event("input", {bubbles: true}));
            requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
    });
    const s = (performance.now() - t0) / 1000;
    return {fps: (G.drawn.length - n0) / s, inputs: i / s, latency: G.latency.slice(l0)};
}"""


def in_page_drag(pg, model: str, settle) -> dict:
    """2 s of input events fired inside the page at every animation frame (what the browser can draw when
    the pointer moves at display rate; the mouse driven from Python delivers fewer moves on a busy CPU)."""
    r = pg.locator(f"#{model}-coord0").evaluate(IN_PAGE)
    pg.wait_for_timeout(500)
    settle(pg)
    lat = r["latency"]
    return {"fps": r["fps"], "inputs": r["inputs"], "p95": p95(lat) if lat else float("nan")}


def hovers(pg, settle, n: int = 20) -> list[float]:
    """ms from the pointer reaching a map point to its decoded preview drawn (n points, two per digit)."""
    pg.locator("[data-testid='stSidebarNav'] a", has_text="Latent map").first.click()
    pg.wait_for_selector(".hover[data-state='ready']")
    pg.wait_for_function(PLOT_READY)
    settle(pg)
    pg.wait_for_timeout(500)
    points = pg.evaluate(
        """n => {
        const g = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
        const r = g.getBoundingClientRect(), L = g._fullLayout, out = [];
        for (let i = 0; i < n; i++) {
            const t = g._fullData[i % 10], k = Math.floor(i / 10) * 37;
            out.push([r.left + L.xaxis._offset + L.xaxis.l2p(t.x[k]), r.top + L.yaxis._offset + L.yaxis.l2p(t.y[k])]);
        }
        return out;
    }""",
        n,
    )
    times = []
    for x, y in points:
        before = pg.evaluate("() => window.__latentLab.hover.length")
        pg.mouse.move(x - 30, y - 30)
        pg.wait_for_timeout(120)
        pg.mouse.move(x, y)
        try:
            pg.wait_for_function("n => window.__latentLab.hover.length > n", arg=before, timeout=5000)
        except Exception:  # noqa: BLE001 - the pointer may land between points; count it as missed
            continue
        times.append(pg.evaluate("() => window.__latentLab.hover.at(-1).ms"))
    return times


def main(args, new_page, settle) -> None:
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "runs.log"
    env = {**dict(kv.split("=", 1) for kv in args.env), "LATENT_LAB_RUN_LOG": str(log)}
    models = shipped_models()[:2] if args.quick else shipped_models()
    print(f"In-browser decoding in Chromium (headless). {machine_note()}", flush=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=BROWSER_ARGS + WEBGL + UNTHROTTLED,
        )
        with streamlit_server(env=env) as (url, proc, _):
            warmup = new_page(browser)  # the server's first visit of each model (encodings, decoder export)
            for m in models:
                warmup.goto(f"{url}/?model={m}&seed=5")
                warmup.wait_for_selector(READY)
                settle(warmup)
            warmup.context.close()
            rows = []
            reps = 1 if args.quick else 3
            parts = set(args.live_parts.split(","))
            for m in models if "drag" in parts else []:
                pg = new_page(browser)
                pg.goto(f"{url}/?model={m}&seed=5")
                pg.wait_for_selector(READY)
                settle(pg)
                runs = [drag(pg, proc.pid, m, 2.0, settle, log) for _ in range(reps)]
                for r in runs:
                    r["cpu_idle_ms"] = idle_cpu_ms(proc.pid, 2.0)
                    fast = in_page_drag(pg, m, settle)
                    r.update(fast_fps=fast["fps"], fast_inputs=fast["inputs"], fast_p95=fast["p95"])
                pg.context.close()
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                rows.append(
                    [
                        m,
                        f"{med['fps']:.0f}",
                        f"{med['distinct']:.0f}",
                        f"{med['moves_per_s']:.0f}",
                        f"{med['p50']:.1f}",
                        f"{med['p95']:.1f}",
                        f"{med['fast_fps']:.0f} / {med['fast_inputs']:.0f}",
                        f"{med['fast_p95']:.1f}",
                        f"{med['cpu_drag_ms']:.0f}",
                        f"{med['cpu_idle_ms']:.0f}",
                        f"{med['cpu_release_ms']:.0f}",
                        f"{max(r['reruns_during_drag'] for r in runs)}",
                        verdict(
                            max(med["fps"], med["fast_fps"]) >= 30
                            and max(med["p95"], med["fast_p95"]) <= 33
                            and med["cpu_drag_ms"] <= 50
                        ),
                        reps,
                    ]
                )
                print(f"  {m}: {runs}", flush=True)
            if rows:
                print(
                    table(
                        [
                            "model",
                            "digits drawn/s",
                            "distinct",
                            "pointer moves/s",
                            "input→drawn p50 ms",
                            "p95 ms",
                            "in-page input every frame: drawn/s / inputs/s",
                            "… input→drawn p95 ms",
                            "server CPU in 2-s drag ms",
                            "… idle 2 s ms",
                            "server CPU of the release ms",
                            "reruns during drags",
                            "targets met",
                            "n",
                        ],
                        rows,
                        "Explore, a 2-second mouse drag on the first latent slider (median of n drags)",
                    ),
                    flush=True,
                )
            release_rows = []
            for m in models if "release" in parts else []:
                pg = new_page(browser)
                pg.goto(f"{url}/?model={m}&seed=5")
                pg.wait_for_selector(READY)
                settle(pg)
                r = releases(pg, proc.pid, m, settle, log, n=5 if args.quick else 20)
                pg.context.close()
                ok = r["cpu_ms"] <= 15 and r["url_p95"] <= 300
                # one core (the GIL) at 80 %, each student letting go every 2 s
                holds = 0.8 * 1000 / (0.5 * max(r["cpu_ms"], 0.1))
                release_rows.append(
                    [m, f"{r['cpu_ms']:.1f}", f"{r['url_p50']:.0f}", f"{r['url_p95']:.0f}", r["runs"], f"{holds:.0f}"]
                    + [verdict(ok), r["n"]]
                )
                print(f"  {m} releases: {r}", flush=True)
            if release_rows:
                print(
                    table(
                        [
                            "model",
                            "server CPU per release ms",
                            "release → URL updated p50 ms",
                            "p95 ms",
                            "runs",
                            "students a server process holds (80 % of a core, a release every 2 s each)",
                            "≤ 15 ms and ≤ 300 ms",
                            "n",
                        ],
                        release_rows,
                        "Explore, short drags let go (server CPU beyond idle, averaged over n releases)",
                    ),
                    flush=True,
                )
            ready_rows = []
            for m in models if "ready" in parts else []:
                runs = [ready(browser, url, m, new_page, settle) for _ in range(reps)]
                for phase, limit in (("cold", 2000), ("warm", 300)):
                    med = {k: statistics.median(r[phase][k] for r in runs) for k in runs[0][phase]}
                    ready_rows.append(
                        [
                            m,
                            phase,
                            f"{med['mount']:.0f}",
                            f"{med['runtime']:.0f} / {med['session']:.0f} / {med['decode']:.0f}",
                            f"{med['navigation']:.0f}",
                            f"{med['mb']:.1f}",
                            f"{med['static_mb']:.1f}",
                            verdict(med["mount"] <= limit),
                            reps,
                        ]
                    )
            if ready_rows:
                print(
                    table(
                        [
                            "model",
                            "browser cache",
                            "component mounted → digit ms",
                            "of it: runtime / decoder session / first decode ms",
                            "page opened → digit ms",
                            "MB downloaded",
                            "of it runtime + decoder MB",
                            "≤ 2000 / 300 ms",
                            "n",
                        ],
                        ready_rows,
                        "Runtime and decoder ready (a new browser context, then a reload)",
                    ),
                    flush=True,
                )
            if "hover" in parts:
                pg = new_page(browser)
                pg.goto(f"{url}/?model=vae&seed=5")
                pg.wait_for_selector(READY)
                settle(pg)
                hv = hovers(pg, settle, 10 if args.quick else 20)
                pg.context.close()
                if hv:
                    print(
                        table(
                            ["measurement", "median", "p95", "target", "met", "n"],
                            [
                                [
                                    "Latent map hover → preview drawn (ms)",
                                    f"{statistics.median(hv):.0f}",
                                    f"{p95(hv):.0f}",
                                    "≤ 50",
                                    verdict(statistics.median(hv) <= 50),
                                    len(hv),
                                ]
                            ],
                            "Latent map (vae)",
                        ),
                        flush=True,
                    )
        browser.close()
    # after the sync browser is closed: the class runs on playwright's async API
    if args.class_sessions > 0 and "class" in args.live_parts.split(","):
        import live_class

        crow = []
        for live in (True, False):
            with streamlit_server(env=env) as (url, proc, _):
                r = live_class.run(url, proc.pid, log, args.class_sessions, args.class_seconds, live)
            per_run = r["cpu"] / max(r["reruns"], 1)
            own = f"{sum(r['own'])}/{len(r['own'])}" if r["own"] else "n/a"
            crow.append(
                [
                    "in the browser" if live else "on the server",
                    args.class_sessions,
                    f"{r['seconds']:.0f}",
                    f"{r['cpu']:.1f}",
                    f"{r['cpu'] / r['seconds']:.2f}",
                    r["reruns"],
                    f"{per_run * 1e3:.0f}",
                    f"{r['per_session']:.1f}",
                    f"{r['cpu'] / max(r['updates'], 1) * 1e3:.1f}",
                    f"{r['rss']:.0f}",
                    r["errors"],
                    own,
                    # a Streamlit process runs scripts one at a time under the GIL: about one core
                    f"{0.8 / (RELEASES_PER_S * per_run):.0f}",
                ]
            )
            print(f"  class ({'live' if live else 'server'}): {r}", flush=True)
        print(
            table(
                [
                    "decoding",
                    "sessions",
                    "s",
                    "server CPU s",
                    "server cores busy",
                    "script runs",
                    "server CPU ms per run",
                    "digits/s per student",
                    "server CPU ms per digit seen",
                    "peak RSS MB",
                    "errors",
                    "URL holds its own latent",
                    f"students one server process holds (80 % of a core, {RELEASES_PER_S:g} runs/s each)",
                ],
                crow,
                "A class exploring Explore at once (one Chromium, one context per student, async driver)",
            ),
            flush=True,
        )
