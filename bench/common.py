"""Shared helpers of the benchmarks: timing by medians, markdown tables, a note on the machine."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # genlib importable when a script runs as `python bench/x.py`
    sys.path.insert(0, str(ROOT))


# the browser benchmarks: Debian's Chromium, headless, driven by playwright, as the tests drive it
from tools.appserver import BROWSER_ARGS, CHROMIUM, IDLE, WEBGL  # noqa: E402, F401  (the bench scripts import them here)

# every session is a student's visible window: no throttling of the pages that are not in front
UNTHROTTLED = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def shipped_models() -> list[str]:
    """The registered models that have a checkpoint, in the registry's order (the app's model picker's)."""
    import genlib  # not at the top: the other helpers here need no torch

    return [n for n in genlib.MODELS if (genlib.CHECKPOINTS / n / "model.safetensors").is_file()]


def median_time(fn, reps: int, warm: int = 1) -> float:
    """Median wall time of fn() in seconds over `reps` calls, after `warm` untimed calls."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(max(reps, 1)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    """A markdown table; floats keep the precision the caller formatted them with (pass strings)."""
    lines = [] if title is None else [f"\n**{title}**\n"]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "|".join("---:" if i else "---" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def machine_note() -> str:
    """CPU model, cores and the load average, so a table says what it was measured on (and how busy)."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    import torch

    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, load average (1/5/15 min) {load} at the start"
