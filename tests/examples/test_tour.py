"""examples/tour.ipynb runs top to bottom in a fresh kernel (nbclient) within two minutes, with no error, and
shows its widgets: the notebook the README points lecturers and students to."""

import os
import time

import pytest

from helpers import shipped
from tools.appserver import ROOT

nbformat = pytest.importorskip("nbformat", reason="pip install nbclient (pinned in requirements.txt)")
nbclient = pytest.importorskip("nbclient", reason="pip install nbclient (pinned in requirements.txt)")
pytest.importorskip("anywidget", reason="pip install 'latent-lab[notebook]' (pinned in requirements.txt)")

TOUR = ROOT / "examples" / "tour.ipynb"
BUDGET_S = 120  # what the issue promises on a 2-core CPU
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.skipif(
    not all(shipped(n) for n in ("vae", "cvae", "infogan")), reason="the tour uses the vae, cvae and infogan"
)
def test_the_tour_runs_top_to_bottom_within_two_minutes(monkeypatch):
    # the kernel imports this checkout's genlib, wherever the tests run from
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(TOUR, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the tour without outputs"
    started = time.perf_counter()
    client = nbclient.NotebookClient(
        nb, timeout=BUDGET_S, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    )
    client.execute()
    took = time.perf_counter() - started
    assert took <= BUDGET_S, f"the tour took {took:.0f} s"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    widgets = [o for o in outputs if WIDGET in o.get("data", {})]
    assert len(widgets) == 5  # the explorers of the vae, cvae and infogan, the interpolation and the map
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "ValueError: z has 2 numbers but vae's latent has 32" in printed  # the bad-input cell's one line
    print(f"\nexamples/tour.ipynb executed in {took:.1f} s")
