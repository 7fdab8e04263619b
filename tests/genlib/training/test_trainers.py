"""Trainers on a 192-image MNIST: history, sample grids, resume, divergence, determinism."""

import json
import time

import pytest
import torch
from PIL import Image

import genlib
from genlib import checkpoint
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
