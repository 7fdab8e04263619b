"""The app as a user feels it, in the real browser (playwright driving Debian's /usr/bin/chromium,
the pattern of tests/system/test_e2e_browser.py): server start → Explore interactive, slider key press →
new image, model switch → new image, latent map (10,000 points) interactive, the server's peak
memory; then how a plotly scattergl map behaves at 60,000 points (a standalone page: the app has no
training-set map).

  python bench/app_latency.py            # 5 cold starts, 20 key presses, 2 rounds of model switches
  python bench/app_latency.py --quick    # 1 cold start, 3 presses, 1 switch, 1 map
  python bench/app_latency.py --empty-cache   # cold starts also with an empty encodings cache
  python bench/app_latency.py --pages    # every page's first open on a warm server
  python bench/app_latency.py --live     # in-browser decoding instead (bench/live_decoding.py): drag frame
                                         # rate, input → drawn, server CPU, runtime ready, hover, a class

Targets: cold start ≤ 10 s, key press median ≤ 150 ms, model switch ≤ 500 ms, map ≤ 2 s,
peak RSS ≤ 1.5 GB with all the models loaded and a map open."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import BROWSER_ARGS, CHROMIUM, WEBGL, machine_note, shipped_models, table, verdict

from tools.appserver import MAIN_IMAGE, main_src, new_page, settle, streamlit_server

PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
PICKER = "[data-testid='stSidebar'] [data-testid='stSelectbox'] input[role='combobox']"
# a plotly chart is interactive once it has laid out its traces and the browser has painted twice since
PLOT_READY = (
    '() => { const g = document.querySelector("' + PLOT.replace('"', '\\"') + '");'
    " return !!(g && g._fullLayout && g._fullLayout.xaxis && g.data && g.data.length >= 10); }"
)
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
SRC_CHANGED = "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && !i.src.endsWith(old); }"


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc (VmHWM is the high-water mark)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            fields[k] = int(v.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def cold_start(browser, env: dict | None) -> dict:
    """Seconds from `streamlit run` to healthy and to the Explore page drawn and idle (fresh process)."""
    with streamlit_server(env=env) as (url, proc, t0):
        healthy = time.perf_counter() - t0
        pg = new_page(browser)
        t1 = time.perf_counter()
        pg.goto(f"{url}/?decode=server")  # the server path's image (the in-browser one: --live)
        settle(pg, MAIN_IMAGE)
        done = time.perf_counter()
        pg.context.close()
        return {"health": healthy, "interactive": done - t0, "page": done - t1}


def key_presses(pg, n: int) -> list[float]:
    """ms from an ArrowRight on the first latent slider to the new image's src in the page."""
    slider = pg.locator("[data-testid='stMain'] [data-testid='stSlider'] input[type='range']").first
    times = []
    for i in range(n):
        before = main_src(pg)
        slider.focus()
        t0 = time.perf_counter()
        pg.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")  # stay inside the range
        pg.wait_for_function(SRC_CHANGED, arg=[MAIN_IMAGE, before])
        times.append((time.perf_counter() - t0) * 1e3)
        settle(pg)
    return times


def switch_model(pg, name: str, wait_plot: bool = False) -> float:
    """ms from choosing `name` in the sidebar to its new image (Explore) or map (Latent map) shown."""
    before = None if wait_plot else main_src(pg)
    pg.locator(PICKER).click()
    option = pg.get_by_role("option", name=re.compile(rf"^{name}\b")).first  # "cgan" must not pick "dcgan"
    option.wait_for()
    t0 = time.perf_counter()
    option.click()
    pg.wait_for_selector(f"[data-testid='stMain'] strong:text-is('{name}')")
    if wait_plot:
        settle(pg)
        pg.wait_for_function(PLOT_READY)
        pg.evaluate(TWO_FRAMES)
    else:
        pg.wait_for_function(SRC_CHANGED, arg=[MAIN_IMAGE, before])
    ms = (time.perf_counter() - t0) * 1e3
    settle(pg)
    return ms


def open_page(pg, title: str, plot: bool) -> float:
    """ms from a click on the sidebar link to the page drawn (and for the map: plotted and painted)."""
    t0 = time.perf_counter()
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    pg.wait_for_selector(f"h1:has-text('{title.split()[0]}')")
    settle(pg, PLOT if plot else MAIN_IMAGE)
    if plot:
        pg.wait_for_function(PLOT_READY)
        pg.evaluate(TWO_FRAMES)
    return (time.perf_counter() - t0) * 1e3


# ---------------------------------------------------------------- 60,000 points: a standalone page
STANDALONE = """<!doctype html><html><head><meta charset="utf-8"><script>%s</script></head>
<body style="margin:0"><div id="g" style="width:1000px;height:620px"></div><script>
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}
function gauss(r) { return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()); }
// like the app's map: ten traces (one per digit) of clustered points, markers of size 5
function traces(n, type) {
  const r = rng(1), out = [];
  for (let d = 0; d < 10; d++) {
    const m = Math.floor(n / 10), x = new Float32Array(m), y = new Float32Array(m);
    const cx = 3 * Math.cos(d), cy = 3 * Math.sin(d);
    for (let i = 0; i < m; i++) { x[i] = cx + gauss(r); y[i] = cy + gauss(r); }
    out.push({type: type, mode: "markers", x: x, y: y, name: String(d), marker: {size: 5, opacity: 0.85}});
  }
  return out;
}
const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
async function draw(n, type) {
  const g = document.getElementById("g"), data = traces(n, type);
  Plotly.purge(g); await frames();
  let t0 = performance.now();
  await Plotly.newPlot(g, data, {margin: {l: 10, r: 10, t: 10, b: 10}});
  await frames();
  const plot = performance.now() - t0;
  t0 = performance.now();  // a zoom: what panning / zooming feels like
  await Plotly.relayout(g, {"xaxis.range": [-2, 2], "yaxis.range": [-2, 2]});
  await frames();
  const zoom = performance.now() - t0;
  t0 = performance.now();  // the app's click: Streamlit redraws the figure with a ring on the point
  await Plotly.react(g, data.concat([{type: type, mode: "markers", x: [0], y: [0], marker: {size: 16}}]), g.layout);
  await frames();
  return [plot, zoom, performance.now() - t0];
}
</script></body></html>"""


def scatter_scale(browser, sizes: list[int], reps: int) -> list[list]:
    """Median ms to plot, zoom and redraw n points as WebGL (scattergl) and SVG (scatter) traces; plus
    what the app pays on the server for such a figure (plotly JSON size and serialisation time)."""
    import numpy as np
    import plotly.graph_objects as go
    import plotly.offline

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "scatter.html"
        page_path.write_text(STANDALONE % plotly.offline.get_plotlyjs())
        pg = new_page(browser)
        pg.goto(page_path.as_uri())
        for n in sizes:
            fig = go.Figure(
                [
                    go.Scattergl(
                        x=np.random.randn(n // 10).astype(np.float32),
                        y=np.random.randn(n // 10).astype(np.float32),
                        mode="markers",
                        customdata=np.arange(n // 10),
                    )
                    for _ in range(10)
                ]
            )
            t0 = time.perf_counter()
            size = len(fig.to_json())
            ser = (time.perf_counter() - t0) * 1e3
            for kind in ("scattergl", "scatter"):
                if kind == "scatter" and n > 60000:
                    continue
                runs = [pg.evaluate("([n, t]) => draw(n, t)", [n, kind]) for _ in range(reps)]
                med = [statistics.median(r[i] for r in runs) for i in range(3)]
                rows.append(
                    [
                        f"{n:,}",
                        kind,
                        f"{med[0]:.0f}",
                        f"{med[1]:.0f}",
                        f"{med[2]:.0f}",
                        f"{size / 1e6:.2f}",
                        f"{ser:.0f}",
                    ]
                )
        pg.context.close()
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--starts", type=int, default=5, help="cold server starts (each a new process)")
    p.add_argument("--presses", type=int, default=20)
    p.add_argument("--switch-rounds", type=int, default=2, help="rounds through all the models")
    p.add_argument("--map-opens", type=int, default=5)
    p.add_argument("--empty-cache", action="store_true", help="also time cold starts with no encodings cache")
    p.add_argument(
        "--env",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the servers, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false",
    )
    p.add_argument(
        "--scale-points",
        type=int,
        nargs="*",
        default=None,
        help="map sizes of the standalone plotly test (default 10k 30k 60k 120k; quick: 10k 60k)",
    )
    p.add_argument("--live", action="store_true", help="measure in-browser decoding (bench/live_decoding.py)")
    p.add_argument("--pages", action="store_true", help="every page's first open (bench/page_open.py)")
    p.add_argument("--class-sessions", type=int, default=30, help="--live: browser sessions of the class test")
    p.add_argument("--class-seconds", type=float, default=60, help="--live: how long the class explores")
    p.add_argument(
        "--live-parts", default="drag,release,ready,hover,class", help="--live: which measurements, comma-separated"
    )
    args = p.parse_args(argv)
    if args.live:
        from live_decoding import main as live_main

        return live_main(args, new_page, settle)
    if args.pages:
        from page_open import main as pages_main

        return pages_main(args, new_page)
    if args.quick:
        args.starts, args.presses, args.switch_rounds, args.map_opens = 1, 3, 1, 1
    env = dict(kv.split("=", 1) for kv in args.env)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium (or `make chromium`)")
    from playwright.sync_api import sync_playwright

    print(
        "App latency in Chromium (headless, SwiftShader WebGL)"
        f"{', server env ' + ' '.join(args.env) if args.env else ''}. "
        f"{machine_note()}",
        flush=True,
    )
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=BROWSER_ARGS + WEBGL,
        )
        starts = [cold_start(browser, env) for _ in range(args.starts)]
        rows.append(
            ["server start → healthy (s)", f"{statistics.median(s['health'] for s in starts):.2f}", "", "", args.starts]
        )
        cold = statistics.median(s["interactive"] for s in starts)
        rows.append(
            [
                "server start → Explore interactive, cold process (s)",
                f"{cold:.2f}",
                "≤ 10",
                verdict(cold <= 10),
                args.starts,
            ]
        )
        if args.empty_cache:
            with tempfile.TemporaryDirectory() as tmp:
                empty = [cold_start(browser, {**env, "GENLIB_CACHE": f"{tmp}/{i}"}) for i in range(args.starts)]
            v = statistics.median(s["interactive"] for s in empty)
            rows.append(
                [
                    "… with an empty encodings cache (first run ever) (s)",
                    f"{v:.2f}",
                    "≤ 10",
                    verdict(v <= 10),
                    args.starts,
                ]
            )
        print("  cold starts done", flush=True)

        with streamlit_server(env=env) as (url, proc, _):
            pg = new_page(browser)
            pg.goto(f"{url}/?model=vae&seed=5&decode=server")
            settle(pg, MAIN_IMAGE)
            peaks = [["Explore open (all the models loaded)", *memory_mb(proc.pid)]]
            presses = key_presses(pg, args.presses)
            peaks.append([f"{len(presses)} slider presses", *memory_mb(proc.pid)])
            med = statistics.median(presses)
            rows.append(["slider key press → new image (ms)", f"{med:.0f}", "≤ 150", verdict(med <= 150), len(presses)])
            rows.append(["… slowest press (ms)", f"{max(presses):.0f}", "", "", len(presses)])
            print(f"  key presses: {[round(t) for t in presses]}", flush=True)
            first_sw, warm_sw = [], []
            models = shipped_models()
            order = models[1:2] if args.quick else models[1:] + models[:1]
            for r in range(args.switch_rounds):
                for name in order:
                    (first_sw if r == 0 else warm_sw).append(switch_model(pg, name))
            for label, sw in (
                ("model switch → new image, first visit (ms)", first_sw),
                ("model switch → new image, again (ms)", warm_sw),
            ):
                if sw:
                    med = statistics.median(sw)
                    rows.append([label, f"{med:.0f}", "≤ 500", verdict(med <= 500), len(sw)])
            print(f"  switches: {[round(t) for t in first_sw + warm_sw]}", flush=True)
            peaks.append([f"{len(first_sw + warm_sw)} model switches on Explore", *memory_mb(proc.pid)])
            # the latent map: the first open of a model projects its encodings; later opens are cached
            map_first = open_page(pg, "Latent map", plot=True)
            map_again = []
            for _ in range(args.map_opens - 1):
                open_page(pg, "Explore", plot=False)
                map_again.append(open_page(pg, "Latent map", plot=True))
            peaks.append(["latent map open", *memory_mb(proc.pid)])
            rows.append(
                [
                    "latent map (10,000 points) interactive, first open (ms)",
                    f"{map_first:.0f}",
                    "≤ 2000",
                    verdict(map_first <= 2000),
                    1,
                ]
            )
            if map_again:
                med = statistics.median(map_again)
                rows.append(
                    ["latent map interactive, again (ms)", f"{med:.0f}", "≤ 2000", verdict(med <= 2000), len(map_again)]
                )
            # every model's map (all the models are loaded since the first Explore run): worst-case memory
            map_switch = [switch_model(pg, name, wait_plot=True) for name in (models[1:] if not args.quick else [])]
            if map_switch:
                med = statistics.median(map_switch)
                rows.append(
                    [
                        "model switch on the latent map → map drawn (ms)",
                        f"{med:.0f}",
                        "≤ 2000",
                        verdict(med <= 2000),
                        len(map_switch),
                    ]
                )
                peaks.append(["latent map of every model", *memory_mb(proc.pid)])
            peak = peaks[-1][2]
            rows.append(["server peak RSS, VmHWM (MB)", f"{peak:.0f}", "≤ 1536", verdict(peak <= 1536), 1])
            pg.context.close()
        print(table(["measurement", "median", "target", "met", "n"], rows, "The app in the browser"))
        print(
            table(
                ["after", "server RSS MB", "peak RSS so far MB"],
                [[a, f"{b:.0f}", f"{c:.0f}"] for a, b, c in peaks],
                "Server memory along the way (/proc/PID/status VmRSS, VmHWM)",
            )
        )
        sizes = args.scale_points or ([10000, 60000] if args.quick else [10000, 30000, 60000, 120000])
        scale = scatter_scale(browser, sizes, 1 if args.quick else 5)
        print(
            table(
                ["points", "trace type", "plot ms", "zoom ms", "redraw ms", "figure JSON MB", "to_json ms"],
                scale,
                "Scale: a 10-trace plotly map in a standalone page (median of runs; the app's map is scattergl)",
            )
        )
        browser.close()


if __name__ == "__main__":
    main()
