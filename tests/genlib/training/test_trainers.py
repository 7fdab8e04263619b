"""Trainers on a 192-image MNIST: history, sample grids, resume, divergence, determinism."""

import json
import time

import pytest
import torch
from PIL import Image

import genlib
from genlib import checkpoint, data
from genlib.training import TRAINERS, TrainConfig, TrainingDiverged, trainers
from helpers import ALL, tiny


def run(name, out, data_dir, epochs=2, resume=False, **kw):
    m = tiny(name)
    cfg = TrainConfig(epochs=epochs, batch_size=32, inverter_steps=3, **kw)
    info = TRAINERS[name](m, cfg, out, data_dir).fit(resume=resume)
    return m, info


@pytest.mark.parametrize("name", ALL)
def test_fit_writes_history_grids_and_state(name, tmp_path, tiny_mnist):
    t0 = time.time()
    m, info = run(name, tmp_path, tiny_mnist)
    elapsed = time.time() - t0
    hist = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2]
    key = "loss" if genlib.MODELS[name].trainer == "likelihood" else "loss_d"
    assert all(torch.isfinite(torch.tensor(h[key])) for h in hist)
    assert (tmp_path / "samples" / "epoch_002.png").is_file() and (tmp_path / "samples.png").is_file()
    assert len(Image.open(tmp_path / "samples" / "epoch_002.png").getcolors()) <= 16  # 16 grey levels: size budget
    # recorded to 0.1 s: the tiny β-VAE trains in less than 0.05 s
    assert (tmp_path / trainers.STATE).is_file() and 0 <= info["train_seconds"] <= elapsed + 0.05


@pytest.mark.parametrize("name", ["vae", "dcgan"])
def test_same_seed_same_model_and_resume_matches(name, tmp_path, tiny_mnist):
    a, _ = run(name, tmp_path / "a", tiny_mnist, epochs=2)
    b, _ = run(name, tmp_path / "b", tiny_mnist, epochs=2)
    c1 = tiny(name)
    TRAINERS[name](c1, TrainConfig(epochs=1, batch_size=32, inverter_steps=3), tmp_path / "c", tiny_mnist).fit()
    c = tiny(name)  # a fresh process would start from scratch: resume must restore everything
    TRAINERS[name](c, TrainConfig(epochs=2, batch_size=32, inverter_steps=3), tmp_path / "c", tiny_mnist).fit(
        resume=True
    )
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
        if "inverter" not in k:
            assert torch.allclose(v.float(), c.state_dict()[k].float(), atol=1e-5), k


def test_nan_loss_stops_without_checkpoint(tmp_path, tiny_mnist, monkeypatch):
    m = tiny("vae")
    orig = m.elbo_terms

    def poisoned(x, labels=None):
        t = orig(x, labels)
        t["loss"] = t["loss"] * float("nan")
        return t

    monkeypatch.setattr(m, "elbo_terms", poisoned)
    with pytest.raises(TrainingDiverged, match="NaN"):
        TRAINERS["vae"](m, TrainConfig(epochs=1, batch_size=32), tmp_path, tiny_mnist).fit()
    assert not (tmp_path / checkpoint.WEIGHTS).exists()


def test_winning_discriminator_is_reported(tmp_path, tiny_mnist, monkeypatch):
    m = tiny("gan")
    monkeypatch.setattr(
        m,
        "discriminate",
        lambda x, labels=None: {"logits": torch.where(x.mean((1, 2, 3)) > -0.9, 20.0, -20.0) + 0 * m.head.bias.sum()},
    )
    monkeypatch.setattr(
        m, "generate", lambda z, labels=None, codes=None: torch.full((len(z), 1, 28, 28), -1.0) + 0 * m.generator(z)
    )
    with pytest.raises(TrainingDiverged, match="won outright"):
        TRAINERS["gan"](m, TrainConfig(epochs=1, batch_size=32), tmp_path, tiny_mnist).fit()


def test_saturating_and_k_steps(tmp_path, tiny_mnist):
    m, _ = run("gan", tmp_path, tiny_mnist, epochs=1, k=3, saturating=True)
    hist = json.loads((tmp_path / "history.json").read_text())
    assert hist[0]["loss_g"] < 0  # log(1 − D(G(z))) is negative


def test_classifier_training_improves(tiny_mnist):
    from genlib.models.classifier import Classifier

    m = Classifier(Classifier.Config(width=4, features=16))
    hist, metrics = trainers.train_classifier(m, TrainConfig(epochs=2, batch_size=32, lr=1e-2), tiny_mnist)
    assert len(hist) == 2 and 0 <= metrics["test_accuracy"] <= 1
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_ema_ships_the_weight_average_with_fresh_batchnorm_stats(tmp_path, tiny_mnist):
    m = tiny("dcgan")
    trainer = TRAINERS["dcgan"](
        m, TrainConfig(epochs=2, batch_size=32, inverter_steps=3, ema=0.9), tmp_path, tiny_mnist
    )
    trainer.fit()
    live = torch.load(tmp_path / trainers.STATE, weights_only=True)["model"]  # the resume state keeps the live G
    params = dict(m.generator.named_parameters())
    assert all(torch.equal(p, e) for p, e in zip(params.values(), trainer.ema, strict=True))
    assert any(not torch.equal(p, live[f"generator.{k}"]) for k, p in params.items())
    bn = next(x for x in m.generator.modules() if isinstance(x, torch.nn.BatchNorm1d))
    assert int(bn.num_batches_tracked) == 100 and bn.momentum == 0.1  # re-estimated for the averaged weights


def test_ema_resumes_exactly(tmp_path, tiny_mnist):
    a, _ = run("gan", tmp_path / "a", tiny_mnist, epochs=2, ema=0.9)
    run("gan", tmp_path / "b", tiny_mnist, epochs=1, ema=0.9)
    b, _ = run("gan", tmp_path / "b", tiny_mnist, epochs=2, ema=0.9, resume=True)
    for (k, v), w in zip(a.generator.state_dict().items(), b.generator.state_dict().values(), strict=True):
        assert torch.allclose(v.float(), w.float(), atol=1e-5), k


def test_restart_rule_gives_the_run_of_the_next_seed(tmp_path, tiny_mnist, monkeypatch):
    """A run its model calls stalled starts again from the next seed, at most MAX_RESTARTS times, and ends as a
    run started with that seed would."""
    monkeypatch.setattr(trainers, "MAX_RESTARTS", 2)
    m = tiny("infogan")
    monkeypatch.setattr(m, "stalled", lambda real: "stuck")
    cfg = TrainConfig(epochs=2, batch_size=32, inverter_steps=3, restart_check=1)
    info = TRAINERS["infogan"](m, cfg, tmp_path / "a", tiny_mnist).fit()
    assert [(r["seed"], r["epoch"], r["why"]) for r in info["restarts"]] == [(0, 1, "stuck"), (1, 1, "stuck")]
    assert info["seed_used"] == 2
    assert [h["epoch"] for h in json.loads((tmp_path / "a" / "history.json").read_text())] == [1, 2]
    torch.manual_seed(2)  # what train.py --seed 2 does before building the model
    b = genlib.build("infogan", **genlib.MODELS["infogan"].tiny)
    cfg = TrainConfig(epochs=2, batch_size=32, inverter_steps=3, seed=2)
    TRAINERS["infogan"](b, cfg, tmp_path / "b", tiny_mnist).fit()
    for k, v in m.state_dict().items():
        assert torch.allclose(v.float(), b.state_dict()[k].float(), atol=1e-5), k


def stalled_once():
    calls = []

    def stalled(real):
        calls.append(1)
        return "stuck" if len(calls) == 1 else None

    return stalled


def test_restart_rule_resumes_on_the_restarted_run(tmp_path, tiny_mnist, monkeypatch):
    def train(out, epochs, stalled, resume=False):
        model = tiny("infogan")
        monkeypatch.setattr(model, "stalled", stalled)
        cfg = TrainConfig(epochs=epochs, batch_size=32, inverter_steps=3, restart_check=1)
        return model, TRAINERS["infogan"](model, cfg, out, tiny_mnist).fit(resume=resume)

    a, info = train(tmp_path / "a", 3, stalled_once())
    assert info["seed_used"] == 1
    train(tmp_path / "b", 2, stalled_once())  # stopped after the restarted run's second epoch
    b, info = train(tmp_path / "b", 3, lambda real: None, resume=True)
    assert info["seed_used"] == 1 and [r["seed"] for r in info["restarts"]] == [0]
    for k, v in a.state_dict().items():
        if "inverter" not in k:
            assert torch.allclose(v.float(), b.state_dict()[k].float(), atol=1e-5), k


def test_restart_rule_leaves_a_healthy_run_alone(tmp_path, tiny_mnist):
    _, info = run("dcgan", tmp_path, tiny_mnist, epochs=2, restart_check=1)
    assert "restarts" not in info


def test_r1_penalty_is_half_gamma_times_the_squared_slope_at_real_digits(tmp_path, tiny_mnist):
    m = tiny("dcgan")
    x = data.load_split(True, tiny_mnist).unit_images(slice(32)) * 2 - 1
    z, labels, codes = trainers.draw_inputs(m.latent, 32, torch.Generator().manual_seed(0))

    def d_loss(r1):
        trainer = TRAINERS["dcgan"](m, TrainConfig(batch_size=32, r1=r1), tmp_path / str(r1), tiny_mnist)
        return trainer.d_objective(m, x, None, z, labels, codes)["loss"]

    penalty = d_loss(10.0) - d_loss(0.0)
    xr = x.clone().requires_grad_(True)
    (slope,) = torch.autograd.grad(m.discriminate(xr)["logits"].sum(), xr)
    assert torch.allclose(penalty, 5.0 * slope.pow(2).flatten(1).sum(1).mean(), rtol=1e-4)
    (g,) = torch.autograd.grad(penalty, m.head.weight)  # D learns from it: the gradient is kept in the graph
    assert g.abs().sum() > 0
