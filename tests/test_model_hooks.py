"""A model changes what it is trained on by declaring it: a β-VAE with a 2-D latent (recon + β·KL, while the
pages still report −ELBO) and a least-squares GAN (Mao et al. 2017: its own D and G losses on D's raw
outputs), both defined in declared_models.py. Each trains through train.py, minimised its own loss, saves,
loads, exports its decoder with ONNX parity and opens on all 13 pages. The LSGAN also joins from another
package, through the "genlib.models" entry point, and broken plugins are named in one line and skipped."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from declared_models import LSGAN, LSGAN_SOURCE, BetaVAE
from streamlit.testing.v1 import AppTest

import genlib
from genlib import checkpoint, export
from genlib.training import TrainConfig
from genlib.training.cli import main as train_main
from genlib.training.trainers import AdversarialTrainer
from helpers import APP, ROOT

PAGES = [
    "views/explore.py",
    "views/latent_map.py",
    "views/arithmetic.py",
    "views/interpolate.py",
    "views/grids.py",
    "views/draw.py",
    "views/models.py",
    "views/likelihood.py",
    "views/reparam.py",
    "views/collapse.py",
    "views/information.py",
    "views/codes.py",
    "views/toys.py",
]


def train(name: str, out, data, tmp_path) -> int:
    args = ["--model", name, "--preset", "quick", "--out", str(out), "--data-dir", str(data)]
    args += ["--state-dir", str(tmp_path / "state"), "--metric-samples", "200", "--nll-images", "20"]
    return train_main(args)


def test_the_lsgan_trainer_step_descends_the_models_own_losses():
    torch.manual_seed(0)
    m = LSGAN().eval()  # no dropout: the same outputs on every call
    trainer = AdversarialTrainer.__new__(AdversarialTrainer)  # the objectives need only its settings
    trainer.cfg = TrainConfig()
    x, z = torch.rand(16, 1, 28, 28) * 2 - 1, torch.randn(16, 8)
    d, g = trainer.d_objective(m, x, None, z, None, None), trainer.g_objective(m, z, None, None)
    with torch.no_grad():
        real, fake = m.discriminate(x)["logits"], m.discriminate(m.generate(z))["logits"]
    assert torch.allclose(d["loss_d"], 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean())
    assert torch.allclose(d["d_real"], real.mean()) and torch.allclose(d["d_fake"], fake.mean())  # raw, no sigmoid
    assert torch.allclose(g["loss_g"], 0.5 * (fake - 1).pow(2).mean())


def test_each_player_owns_its_parameters_by_declaration():
    m = LSGAN()
    g = {id(p) for p in m.generator_parameters()}
    d = {id(p) for p in m.discriminator_parameters()}
    inv = {id(p) for p in m.inverter.parameters()}
    assert g and d and not g & d and not (g | d) & inv and g | d | inv == {id(p) for p in m.parameters()}


def test_beta_vae_and_lsgan_train_save_load_export_and_open_every_page(tmp_path, tiny_mnist, monkeypatch):
    out = tmp_path / "ckpts"
    for name in ("betavae", "lsgan"):
        assert train(name, out, tiny_mnist, tmp_path) == 0
    history = checkpoint.read_extra(out / "betavae", checkpoint.HISTORY)
    for row in history:  # trained on recon + 4·KL; the loss the pages call −ELBO is still recon + KL
        assert row["objective"] == pytest.approx(row["recon"] + 4 * row["kl"], rel=1e-5)
        assert row["loss"] == pytest.approx(row["recon"] + row["kl"], rel=1e-5)
    assert all(row["loss_d"] == row["loss_d"] for row in checkpoint.read_extra(out / "lsgan", checkpoint.HISTORY))

    import onnxruntime as ort

    for name, cls in (("betavae", BetaVAE), ("lsgan", LSGAN)):
        model = genlib.load(name, path=out / name)
        assert type(model) is cls
        z = model.latent.sample_z(16, torch.Generator().manual_seed(1))
        session = ort.InferenceSession(str(export.decoder_onnx(model, name, tmp_path / "onnx")))
        onnx_out = session.run(None, {"z": z.numpy()})[0]
        assert abs(onnx_out - model.decode(z).numpy()).max() < 1e-4

    monkeypatch.setattr(genlib, "CHECKPOINTS", out)
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    for name in ("betavae", "lsgan"):
        at = AppTest.from_file(APP, default_timeout=240)
        at.query_params["model"] = name
        at.query_params["decode"] = "server"
        at.run()
        for page in PAGES:
            if page != PAGES[0]:
                at.switch_page(page).run()
            assert not at.exception, (name, page, [e.value for e in at.exception])
            assert at.session_state["model"] == name
        if name == "lsgan":  # the Models page words the loss from the declaration
            at.switch_page("views/models.py").run()
            assert any("least squares" in c.value for c in at.caption), [c.value for c in at.caption]


def write_plugin(site, package: str, source: str, entry: str) -> None:
    """A package installed the way pip leaves it: the module and a dist-info with its entry point."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(source)
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[genlib.models]\n{entry}\n")


def test_a_model_from_another_package_joins_and_broken_ones_are_named(tmp_path, tiny_mnist):
    site = tmp_path / "site"
    write_plugin(site, "lsgan_plugin", textwrap.dedent(LSGAN_SOURCE), "lsgan = lsgan_plugin:LSGAN")
    write_plugin(site, "broken_plugin", "raise ImportError('no such thing')\n", "broken = broken_plugin:X")
    write_plugin(site, "taken_plugin", "from genlib.models.vae import VAE\n", "vae = taken_plugin:VAE")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    show = "import genlib, genlib.models as m; print(sorted(genlib.MODELS)); print(m.PLUGIN_ERRORS)"
    probe = subprocess.run(
        [sys.executable, "-c", show],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    models, errors = probe.stdout.splitlines()
    assert "'lsgan'" in models and "'vae'" in models and "'broken'" not in models
    assert "model plugin 'broken'" in errors and "no such thing" in errors
    assert "model plugin 'vae'" in errors and "taken" in errors
    assert probe.stderr.count("skipped") == 2  # one line each, no traceback
    assert "Traceback" not in probe.stderr

    out = tmp_path / "ckpts"
    args = ["--model", "lsgan", "--preset", "quick", "--out", str(out), "--data-dir", str(tiny_mnist)]
    args += ["--metric-samples", "200"]
    run = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = subprocess.run(
        [sys.executable, "-c", f"import genlib; m = genlib.load('lsgan', path={str(out / 'lsgan')!r}); print(m.name)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert loaded.stdout.strip() == "lsgan", loaded.stderr
