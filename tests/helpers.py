"""Helpers shared by the tests: tiny model configs, shipped-checkpoint checks, the app path, the browser."""

import os
import re
from pathlib import Path

import pytest
import torch

import genlib
from tools.appserver import CHROMIUM  # Debian's; `make test CHROMIUM=...` for another

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
ALL = sorted(genlib.MODELS)  # with the tests' own models (declared_models.py, registered by conftest.py)
BUILT_IN = [n for n in ALL if genlib.MODELS[n].__module__.startswith("genlib.")]


def tiny(name: str):
    """The model built from its declared `tiny` settings: milliseconds per step."""
    torch.manual_seed(0)
    return genlib.build(name, **genlib.MODELS[name].tiny)


def inputs(model, n: int, seed: int = 0):
    """z, labels, codes matching the model's latent spec."""
    g = torch.Generator().manual_seed(seed)
    spec = model.latent
    z = spec.sample_z(n, g)
    labels = torch.randint(0, spec.n_classes, (n,), generator=g) if spec.n_classes else None
    return z, labels, spec.sample_codes(n, g)


def shipped(name: str) -> bool:
    return (genlib.CHECKPOINTS / name / "model.safetensors").is_file()


# the models with a checkpoint in CHECKPOINTS: what the tests of shipped files, metrics and pages run on
SHIPPED = [n for n in ALL if shipped(n)]


def need(*names: str):
    """The shipped model of names[0] (the others must be shipped too), or a skip that says why not."""
    for n in names:
        if not shipped(n):
            pytest.skip(f"checkpoints/{n} is not trained yet (python train.py --model {n})")
    try:
        return genlib.load(names[0])
    except genlib.CheckpointError as e:  # e.g. the architecture changed and the model awaits retraining
        pytest.skip(f"checkpoints/{names[0]} does not load: {e}")


def ok(at):
    """An AppTest run raised nothing and showed no st.error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def need_chromium(module_level: bool = False) -> str:
    """The Chromium the browser tests drive, or a skip that says how to enable them; under CI=true a
    missing browser fails the tests instead (CI must not pass by skipping them)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    why = (
        f"{CHROMIUM} is missing, so the browser tests do not run. Enable them with: sudo apt-get install -y "
        "chromium (or `sudo make chromium`; another build: CHROMIUM=/path/to/chromium)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}. CI=true: a missing browser is a failure, not a skip", pytrace=False)
    pytest.skip(why, allow_module_level=module_level)


LIVE_MARKDOWN = re.compile(r"(?<!\\)[\[\]<>`$]|https?:|www\.")  # what Markdown could turn into a link, image or HTML


def live(text: str) -> list:
    """The unescaped Markdown in a message the app shows (should be none where it echoes a user's text)."""
    return LIVE_MARKDOWN.findall(text)
