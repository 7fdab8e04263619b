"""Adding a model is one file plus one registry line: a model defined here, registered for the test only,
goes through train.py's own code path, saves, loads, and renders on the pages with no app change."""

from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

import genlib
from genlib import checkpoint
from genlib.models import register, unregister
from genlib.models.vae import VAE
from genlib.training import TRAINERS
from genlib.training.cli import main as train_main
from helpers import APP


@dataclass
class TinyVAEConfig:
    z_dim: int = 3
    hidden: tuple[int, ...] = (24,)


class TinyVAE(VAE):
    """A three-dimensional VAE with one hidden layer.

    Defined by a test to show that the trainers, train.py, the checkpoint format and the pages need no
    entry of their own for a new model."""

    name = "tinyvae"
    Config = TinyVAEConfig


@pytest.fixture
def seventh_model():
    register(TinyVAE)
    yield TinyVAE
    unregister(TinyVAE.name)


def test_register_refuses_a_taken_or_empty_name():
    with pytest.raises(ValueError, match="unique"):
        register(VAE)


def test_a_seventh_model_trains_saves_loads_and_renders(seventh_model, tmp_path, tiny_mnist, monkeypatch):
    out = tmp_path / "ckpts"
    assert TRAINERS["tinyvae"].__name__ == "LikelihoodTrainer"  # from its declared `trainer`, no table entry
    rc = train_main(
        [
            "--model",
            "tinyvae",
            "--preset",
            "quick",
            "--out",
            str(out),
            "--data-dir",
            str(tiny_mnist),
            "--state-dir",
            str(tmp_path / "state"),
            "--metric-samples",
            "200",
            "--nll-images",
            "20",
        ]
    )
    assert rc == 0
    model = genlib.load("tinyvae", path=out / "tinyvae")
    assert isinstance(model, TinyVAE) and model.latent.z_dim == 3
    assert checkpoint.read_extra(out / "tinyvae", checkpoint.CONFIG)["train"]["config"]["epochs"] == 1
    assert "test_nll" in checkpoint.read_extra(out / "tinyvae", checkpoint.METRICS)  # has_likelihood was honoured

    monkeypatch.setattr(genlib, "CHECKPOINTS", out)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    for page in ("views/explore.py", "views/latent_map.py", "views/models.py"):
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["model"] = "tinyvae"
        at.query_params["decode"] = "server"  # Streamlit's own sliders, which AppTest can read
        at.run()
        if page != "views/explore.py":
            at.switch_page(page)
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["model"] == "tinyvae"
        if page == "views/explore.py":
            assert sorted(s.label.split()[0] for s in at.slider) == ["z1", "z2", "z3"]  # built from its latent
        if page == "views/models.py":  # no card written for it: the page falls back to its docstring
            assert any("three-dimensional VAE" in h.value for h in at.header)
