"""Data-parallel training: `torchrun --nproc_per_node 2` on the CPU (Gloo) against one process on the same
global batch, on the 192-image MNIST. This file is also the torchrun driver (see `driver`): it calls the
trainers directly, so that tiny model configs can be used instead of train.py's presets.

What is exact and what is not (genlib/training/distributed.py): every rank draws the global batch and noise and
keeps its slice, and DDP averages the gradients, so a model without per-rank computations (no batch
norm, no dropout) must match one process up to float error; the GANs' batch norm normalises over each
rank's 16 images instead of 32, so the shipped GAN architecture only matches approximately.

The GPU path (NCCL, --device cuda, --amp) cannot run here: its device selection, backend choice and the
autocast/GradScaler code are exercised on the CPU below; see deploy/README.md for what remains."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import genlib
from genlib import checkpoint
from genlib.training import TRAINERS, TrainConfig, distributed, trainers

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # helpers, when run as the torchrun driver

HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]


def tiny(name: str, **over):
    torch.manual_seed(0)
    return genlib.build(name, **{**genlib.MODELS[name].tiny, **over})


def exact_gan():
    """The MLP GAN without its per-rank computations: dropout 0, batch norm replaced by identity."""
    m = tiny("gan", dropout=0.0)
    for name, mod in list(m.named_modules()):
        if isinstance(mod, torch.nn.BatchNorm1d):
            parent, _, child = name.rpartition(".")
            setattr(m.get_submodule(parent), child, torch.nn.Identity())
    return m


# folder -> (architecture, model factory, epochs); batch 32 = 16 per rank, 6 global steps per epoch
JOBS = {
    "vae": ("vae", lambda: tiny("vae"), 2),  # the driver trains 1 epoch, then resumes to 2
    "gan-exact": ("gan", exact_gan, 2),
    "gan": ("gan", lambda: tiny("gan"), 1),  # shipped architecture (BN + dropout): approximate; checkpoint
}


def cfg(epochs: int) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=32, inverter_steps=3)


def train(job: str, out: Path, data_dir, epochs=None, resume=False):
    arch, make, n = JOBS[job]
    m = make()
    TRAINERS[arch](m, cfg(epochs or n), out / job, data_dir).fit(resume=resume)
    return m


def driver(out: Path, data_dir: str) -> None:
    """Runs on every rank under torchrun."""
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="rank%(rank)s %(message)s")
    distributed.setup("cpu")
    r = distributed.rank()
    for h in logging.getLogger().handlers:
        h.addFilter(lambda rec: setattr(rec, "rank", r) or True)
    train("vae", out, data_dir, epochs=1)  # an "interrupted" run: its state is written by rank 0 ...
    for job in JOBS:
        m = train(job, out, data_dir, resume=job == "vae")  # ... and every rank resumes from it
        torch.save(m.state_dict(), out / job / f"rank{r}.pt")  # each replica, for the test to compare
        if distributed.is_main() and job != "gan-exact":
            checkpoint.save(m, out / job, history=checkpoint.read_extra(out / job, checkpoint.HISTORY, []))
    distributed.cleanup()


@pytest.fixture(scope="module")
def two_ranks(tiny_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(HERE),
        "--driver",
        str(out),
        str(tiny_mnist),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def one_process(tiny_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    return out, {job: train(job, out, tiny_mnist).state_dict() for job in JOBS}


def replicas(out: Path, job: str) -> list[dict]:
    return [torch.load(out / job / f"rank{r}.pt") for r in (0, 1)]


@pytest.mark.parametrize("job", ["vae", "gan-exact"])
def test_two_ranks_match_one_process(job, two_ranks, one_process):
    """Resumed VAE and BN-free GAN: both replicas equal the single-process weights up to float error."""
    (out, _), (ref_out, ref) = two_ranks, one_process
    for rank, state in enumerate(replicas(out, job)):
        for k, v in ref[job].items():
            if k.startswith("inverter."):  # trained after the epochs, per rank; a conv bias before BN has a
                continue  # zero true gradient, so Adam's first ±lr steps follow float noise there
            assert torch.allclose(state[k], v, atol=2e-5, rtol=1e-4), (
                f"rank {rank}: {k} differs by {(state[k] - v).abs().max():.3g}"
            )
    hist = json.loads((out / job / checkpoint.HISTORY).read_text())
    ref_hist = json.loads((ref_out / job / checkpoint.HISTORY).read_text())
    key = "loss" if job == "vae" else "loss_d"
    assert [h["epoch"] for h in hist] == [1, 2]
    assert [h[key] for h in hist] == pytest.approx([h[key] for h in ref_hist], rel=1e-5)


def test_batch_norm_gan_replicas_agree_and_checkpoints_load(two_ranks, one_process):
    out, _ = two_ranks
    a, b = replicas(out, "gan")
    params = dict(tiny("gan").named_parameters())
    for k in params:  # DDP keeps the weights equal; BN running stats are per rank (buffers), and so is
        if k.startswith("inverter."):  # the encoder trained after the epochs against G's running stats
            continue
        assert torch.equal(a[k], b[k]), k
    d_loss = json.loads((out / "gan" / checkpoint.HISTORY).read_text())[0]["loss_d"]
    ref = json.loads((one_process[0] / "gan" / checkpoint.HISTORY).read_text())[0]["loss_d"]
    assert d_loss == pytest.approx(ref, rel=0.1)  # per-rank BN statistics: close, not equal
    for job, name in (("vae", "vae"), ("gan", "gan")):
        m = genlib.load(name, path=out / job)
        x = m.sample(4, generator=torch.Generator().manual_seed(0))
        assert x.shape == (4, 1, 28, 28) and torch.isfinite(x).all()
    assert (out / "vae" / "samples.png").is_file() and (out / "vae" / trainers.STATE).is_file()


def test_only_rank_zero_logs(two_ranks):
    _, log = two_ranks
    assert log.count("resumed vae from epoch 1") == 1 and "rank0 resumed" in log, log[-2000:]
    assert "rank1 " not in log  # epoch lines, resume lines: rank 0 only


# ---------------------------------------------------------------- without torchrun
def test_backend_and_single_process_defaults(monkeypatch):
    assert distributed.backend_for("cuda") == "nccl" and distributed.backend_for("cuda:1") == "nccl"
    assert distributed.backend_for("cpu") == "gloo"
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.setup("cuda") == 1 and distributed.is_main()  # no torchrun: nothing initialised
    x = torch.arange(6.0)
    assert distributed.shard(x) is x and distributed.mean({"a": x.sum()}) == {"a": 15.0}
    assert isinstance(distributed.wrap(torch.nn.Linear(2, 2)), distributed.Step)


def test_batch_must_split_evenly_and_amp_is_checked(monkeypatch, tmp_path):
    monkeypatch.setattr(distributed, "setup", lambda device: 3)
    with pytest.raises(ValueError, match="multiple of the 3 ranks"):
        TRAINERS["vae"](tiny("vae"), cfg(1), tmp_path)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="amp='fp8'"):
        TRAINERS["vae"](tiny("vae"), TrainConfig(amp="fp8"), tmp_path)


@pytest.mark.parametrize("name,amp", [("vae", "bf16"), ("gan", "fp16")])
def test_mixed_precision_path_runs(name, amp, tmp_path, tiny_mnist):
    """The autocast + GradScaler code that --amp uses on CUDA, exercised on the CPU (train.py allows it
    only with --device cuda)."""
    m = tiny(name)
    TRAINERS[name](m, TrainConfig(epochs=1, batch_size=32, inverter_steps=2, amp=amp), tmp_path, tiny_mnist).fit()
    row = json.loads((tmp_path / checkpoint.HISTORY).read_text())[0]
    assert all(torch.isfinite(torch.tensor(v)) for k, v in row.items() if "loss" in k)
    assert all(p.dtype == torch.float32 for p in m.parameters())  # weights stay float32
    state = torch.load(tmp_path / trainers.STATE, weights_only=True)
    assert bool(state["scaler"]) == (amp == "fp16")  # the loss scale is resumed too


def test_train_py_refuses_amp_on_cpu(capsys):
    sys.path.insert(0, str(ROOT))
    import train

    with pytest.raises(SystemExit):
        train.main(["--model", "vae", "--amp", "bf16"])
    assert "--amp needs --device cuda" in capsys.readouterr().err


if __name__ == "__main__" and sys.argv[1:2] == ["--driver"]:
    driver(Path(sys.argv[2]), sys.argv[3])
