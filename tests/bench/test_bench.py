"""Smoke test of the benchmarks in bench/: each runs end to end in quick mode (tiny settings) and prints
its table. The measurements themselves are not asserted here (a shared CI machine is too noisy);
docs/results.md holds them. Full runs: `python bench/<script>.py`; quick ones: `make bench`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import shipped

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, timeout: int = 120) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def numbers(row_start: str, out: str) -> list[float]:
    """The numeric cells of the first table row starting with `row_start`."""
    line = next((ln for ln in out.splitlines() if ln.startswith(row_start)), None)
    assert line is not None, f"no row {row_start!r} in:\n{out}"
    return [float(c.strip().rstrip("×")) for c in line.strip("|").split("|") if re.fullmatch(r"\s*[\d.]+×?\s*", c)]


def test_throughput_quick():
    out = run("throughput.py", "--models", "vae")
    assert "| model | batch | shipped img/s | reference img/s | ratio |" in out
    cells = numbers("| vae | 128 |", out)
    assert all(v > 0 for v in cells[1:4]), cells  # shipped, reference images/s and their ratio
    assert "| vae | Adam for-loop |" in out  # the speed-up table


@pytest.mark.skipif(not shipped("vae"), reason="no shipped vae checkpoint (python train.py --model vae)")
def test_inference_quick():
    out = run("inference.py", "--models", "vae", "--tsne-models")
    assert "| model | z_dim | decode 1 ms |" in out
    assert numbers("| vae | 32 |", out)[1] > 0  # decode of one latent, ms
    assert "| vae | decode |" in out and "| vae | encode |" in out  # the batch-size ladder


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="/usr/bin/chromium missing (make chromium)")
@pytest.mark.skipif(not all(shipped(n) for n in ("vae", "cvae")), reason="needs the shipped vae and cvae")
def test_app_latency_quick():
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
    out = run("app_latency.py", "--scale-points", "1000", timeout=240)
    assert "| slider key press → new image (ms) |" in out
    assert numbers("| server peak RSS, VmHWM (MB) |", out)[0] > 100
    assert "| 1,000 | scattergl |" in out


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="/usr/bin/chromium missing (make chromium)")
@pytest.mark.skipif(not all(shipped(n) for n in ("vae", "cvae")), reason="needs the shipped vae and cvae")
def test_app_latency_live_quick():
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
    out = run("app_latency.py", "--live", "--class-sessions", "2", "--class-seconds", "3", timeout=400)
    assert numbers("| vae |", out)[0] > 0  # digits drawn per second during the drag
    assert numbers("| vae | cold |", out)[0] > 0 and numbers("| vae | warm |", out)[0] > 0  # ms to the first digit
    assert "| Latent map hover → preview drawn (ms) |" in out
    assert "| in the browser | 2 |" in out and "| on the server | 2 |" in out


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="/usr/bin/chromium missing (make chromium)")
@pytest.mark.skipif(not shipped("vae"), reason="needs the shipped vae")
def test_app_latency_pages_quick():
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
    out = run("app_latency.py", "--pages", timeout=400)
    for page in ("explore", "collapse", "latent_map"):
        assert numbers(f"| {page} |", out)[0] > 0  # ms to the page drawn after a sidebar click
    assert numbers("| (baseline: a page holding only a title) |", out)[0] > 0


def test_recipe_sweep_quick(tmp_path):
    out = run("recipe_sweep.py", "--only", "vae_b256_e30", "--out", str(tmp_path))
    row = next(ln for ln in out.splitlines() if ln.startswith("| vae_b256_e30 | vae |"))
    assert " at epoch 1: " in row and "test_nll " in row, row  # the per-epoch check and the final NLL
    res = (tmp_path / "results.json").read_text()
    assert '"returncode": 0' in res and '"test_nll"' in res
