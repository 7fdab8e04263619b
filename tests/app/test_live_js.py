"""The browser code's shared module (app/live/lab.mjs) under Node: its unit tests (app/live/test/, Node's own test
runner), and its interpolation path against genlib's at interior points, so the scrub shows what the server's strip
shows."""

import json
import os
import shutil
import subprocess

import pytest
import torch

from genlib import latent
from helpers import ROOT

NODE = shutil.which("node")


@pytest.fixture(scope="module")
def node() -> str:
    if NODE:
        return NODE
    why = "node is missing, so the JavaScript unit tests do not run (sudo apt-get install -y nodejs, or sudo make node)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}. CI=true: a missing node is a failure, not a skip", pytrace=False)
    pytest.skip(why)


def test_the_modules_unit_tests_pass(node):
    run = subprocess.run([node, "--test", "app/live/test/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout


def path_in_node(node, a, b, ts, method) -> list[list[float]]:
    script = (
        "import { pathPoint } from './app/live/lab.mjs';"
        "const {a, b, ts, method} = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(ts.map((t) => Array.from(pathPoint(a, b, t, method)))));"
    )
    args = json.dumps({"a": a, "b": b, "ts": ts, "method": method})
    run = subprocess.run([node, "--input-type=module", "-e", script, args], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_the_browsers_path_is_genlibs_at_interior_points(node, method):
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(16, generator=g, dtype=torch.float64), torch.randn(16, generator=g, dtype=torch.float64)
    steps = 11
    ours = getattr(latent, method)(a, b, steps).double()
    ts = [i / (steps - 1) for i in range(1, steps - 1)]
    theirs = torch.tensor(path_in_node(node, a.tolist(), b.tolist(), ts, method), dtype=torch.float64)
    assert torch.allclose(theirs, ours[1:-1], atol=1e-6)  # genlib returns float32
    if method == "slerp":  # and the path is a great circle, not the straight line
        assert (theirs - latent.lerp(a, b, steps).double()[1:-1]).abs().max() > 0.1


def test_parallel_ends_fall_back_to_a_straight_line_in_both(node):
    a = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    b = 2 * a
    ours = latent.slerp(a, b, 5).double()[1:-1]
    theirs = torch.tensor(path_in_node(node, a.tolist(), b.tolist(), [0.25, 0.5, 0.75], "slerp"), dtype=torch.float64)
    assert torch.allclose(theirs, ours, atol=1e-6)
