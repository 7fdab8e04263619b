"""Training throughput (images/s) of each model at its shipped configuration (each model's declared `recipes`
["full"], genlib's own trainer, as `train.py` runs it) against a plain reference loop written the
textbook way (pytorch/examples vae/main.py and dcgan/main.py: torchvision MNIST + ToTensor through a
DataLoader, one training loop, default Adam, no speed-ups) on the same architecture, in this process,
back to back. Then what each speed-up buys, on genlib's trainer.

  python bench/throughput.py                    # 5 repeats of 30 steps after 5 warm-up, all models
  python bench/throughput.py --quick            # 1 repeat of 3 steps, vae and dcgan, few variants
  python bench/throughput.py --models cgan --reps 7 --steps 50

Images/s of one repeat = steps × batch / time of the timed steps; tables give the median over repeats.
Repeats rotate over every variant of a model (round-robin), so a load change hits all variants alike."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import common  # noqa: F401  (puts the repo root on sys.path)
import torch
import torch.nn.functional as F
from common import machine_note, table, verdict

import genlib
from genlib import data
from genlib.training import TRAINERS, TrainConfig
from genlib.training.presets import recipe

SHIPPED_THREADS = torch.get_num_threads()  # train.py's default (--threads)


class _Done(Exception):
    """Raised from the progress bar to stop an epoch after the timed steps."""


@dataclass(frozen=True)
class Variant:
    """One way to run genlib's trainer. The defaults are what train.py does."""

    label: str = "shipped"
    threads: int = SHIPPED_THREADS
    batch: int | None = None  # None: the preset's batch size
    channels_last: bool = False
    compile: bool = False  # torch.compile of every top-level submodule
    adam: str = "fused"  # the trainer's; or "for-loop" (torch's default on CPU before), "foreach"
    flush_denormal: bool = True  # Trainer.fit sets it


def _adam(opt: torch.optim.Adam, how: str) -> torch.optim.Adam:
    d = opt.defaults
    flags = {"foreach": dict(foreach=True), "for-loop": dict(foreach=False, fused=False)}[how]
    return torch.optim.Adam(opt.param_groups[0]["params"], lr=d["lr"], betas=d["betas"], **flags)


class GenlibRun:
    """genlib's trainer for `name` at the full preset, changed as `v` says."""

    def __init__(self, name: str, v: Variant, split, out: Path):
        self.v = v
        model_over, train_over = recipe("full", name)
        cfg = TrainConfig(**{**train_over, "epochs": 1, **({"batch_size": v.batch} if v.batch else {})})
        self.batch = cfg.batch_size
        torch.manual_seed(0)
        model = genlib.build(name, **model_over)
        if v.channels_last:
            model = model.to(memory_format=torch.channels_last)  # conv weights; activations follow them
        if v.compile:
            for child in model.children():
                child.compile()
        self.trainer = TRAINERS[name](model, cfg, out / name)
        if v.adam != "fused":
            self.trainer.optimizers = {k: _adam(o, v.adam) for k, o in self.trainer.optimizers.items()}
        model.train()
        self.split = split

    def run(self, warm: int, steps: int) -> tuple[float, float]:
        """(images/s over the timed steps, seconds of the first step)."""
        torch.set_num_threads(self.v.threads)
        torch.set_flush_denormal(self.v.flush_denormal)
        marks = [time.perf_counter()]

        class Bar:  # the trainer reports every step here
            def update(self, _):
                marks.append(time.perf_counter())
                if len(marks) > warm + steps:
                    raise _Done

            def set_postfix(self, **_):
                pass

        n = (warm + steps + 1) * self.batch
        start = int(torch.randint(0, len(self.split) - n, ()))  # a different slice each repeat
        sub = data.Split(self.split.images[start : start + n], self.split.labels[start : start + n])
        try:
            self.trainer.train_epoch(sub, Bar())
        except _Done:
            pass
        return steps * self.batch / (marks[-1] - marks[warm]), marks[1] - marks[0]


# ---------------------------------------------------------------- the textbook reference
def _info_loss(out: dict, codes) -> torch.Tensor:
    """InfoGAN's −L_I (categorical cross-entropy + Gaussian NLL of the continuous codes), weights 1, 0.1."""
    cont = (
        (0.5 * (out["cont_logvar"] + (codes["continuous"] - out["cont_mu"]).pow(2) / out["cont_logvar"].exp()))
        .sum(1)
        .mean()
    )
    return F.cross_entropy(out["cat_logits"], codes["categorical"]) + 0.1 * cont


class ReferenceRun:
    """The same architecture in a minimal pytorch/examples-style loop: torch's default threads, no
    flush-denormal, default Adam, images through a DataLoader with ToTensor (loader="dataloader",
    as vae/main.py does on a CPU: num_workers 0) or from in-memory tensors (loader="memory", which
    isolates the loop from the data pipeline)."""

    def __init__(self, name: str, loader: str, split):
        model_over, train_over = recipe("full", name)
        self.cfg = TrainConfig(**train_over)
        self.batch = self.cfg.batch_size
        torch.manual_seed(0)
        self.m = genlib.build(name, **model_over).train()
        self.vae = self.m.output == "logits"
        self.loader, self.split = loader, split
        if loader == "dataloader":
            from torchvision import datasets, transforms

            t = [transforms.ToTensor()] + ([] if self.vae else [transforms.Normalize((0.5,), (0.5,))])
            ds = datasets.MNIST(str(data.ensure_mnist()), train=True, download=False, transform=transforms.Compose(t))
            self.dl = torch.utils.data.DataLoader(ds, batch_size=self.batch, shuffle=True)
        if self.vae:
            self.opt = torch.optim.Adam(self.m.parameters(), lr=self.cfg.lr)
        else:
            d_params = [p for n, p in self.m.named_parameters() if not n.startswith(("generator.", "inverter."))]
            self.opt_g = torch.optim.Adam(self.m.generator.parameters(), lr=self.cfg.lr, betas=self.cfg.betas)
            self.opt_d = torch.optim.Adam(d_params, lr=self.cfg.lr_d, betas=self.cfg.betas)

    def batches(self):
        if self.loader == "dataloader":
            yield from self.dl
        else:
            for x, y in data.batches(self.split, self.batch):
                yield (x if self.vae else x * 2 - 1), y

    def vae_step(self, x, y):  # vae/main.py
        m = self.m
        y = y if m.latent.n_classes else None
        self.opt.zero_grad()
        mu, logvar = m.posterior(x, y)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = m.decode_logits(z, y)
        bce = F.binary_cross_entropy_with_logits(logits, x.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = bce + kld
        loss.backward()
        self.opt.step()
        return loss.item()

    def gan_step(self, x, y):  # dcgan/main.py: D on real, D on G(z).detach(), then G through the same fake
        m, n, spec = self.m, len(x), self.m.latent
        ones, zeros = torch.ones(n), torch.zeros(n)
        z = torch.randn(n, spec.z_dim)
        labels = torch.randint(0, spec.n_classes, (n,)) if spec.n_classes else None
        codes = spec.sample_codes(n)
        self.opt_d.zero_grad()
        err_real = F.binary_cross_entropy_with_logits(
            m.discriminate(x, y if labels is not None else None)["logits"], ones
        )
        err_real.backward()
        fake = m.generate(z, labels, codes)
        out = m.discriminate(fake.detach(), labels)
        err_fake = F.binary_cross_entropy_with_logits(out["logits"], zeros)
        if codes is not None:
            err_fake = err_fake + _info_loss(out, codes)
        err_fake.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        out = m.discriminate(fake, labels)
        err_g = F.binary_cross_entropy_with_logits(out["logits"], ones)
        if codes is not None:
            err_g = err_g + _info_loss(out, codes)
        err_g.backward()
        self.opt_g.step()
        return err_g.item()

    def run(self, warm: int, steps: int) -> tuple[float, float]:
        torch.set_num_threads(SHIPPED_THREADS)  # torch's default: what a textbook script gets
        torch.set_flush_denormal(False)
        step = self.vae_step if self.vae else self.gan_step
        marks = [time.perf_counter()]
        for x, y in self.batches():
            step(x, y)
            marks.append(time.perf_counter())
            if len(marks) > warm + steps:
                break
        return steps * self.batch / (marks[-1] - marks[warm]), marks[1] - marks[0]


# ---------------------------------------------------------------- the benchmark
CONV = {"dcgan", "cgan", "infogan"}  # models with convolutions (channels_last applies)


def variants(name: str, quick: bool) -> list[Variant]:
    base = Variant()
    other = 1 if base.threads != 1 else 2
    out = [
        base,
        replace(base, label=f"{other} thread{'s' if other > 1 else ''}", threads=other),
        replace(base, label="Adam for-loop", adam="for-loop"),
    ]
    if quick:
        return out
    out += [
        replace(base, label="Adam foreach", adam="foreach"),
        replace(base, label="batch 64", batch=64),
        replace(base, label="batch 256", batch=256),
        replace(base, label="no flush-denormal", flush_denormal=False),
    ]
    if name in CONV:
        out.append(replace(base, label="channels_last", channels_last=True))
    out.append(replace(base, label="torch.compile", compile=True))
    return out


def bench_model(name: str, args, split, out: Path) -> tuple[dict, dict, dict]:
    """Median images/s per runner label, median first-step seconds, and all repeats."""
    runners = {f"ref: {how}": ReferenceRun(name, how, split) for how in ("dataloader", "memory")}
    for v in variants(name, args.quick):  # torch.compile compiles on the first calls: see "first step s"
        runners[v.label] = GenlibRun(name, v, split, out)
    ips: dict[str, list[float]] = {k: [] for k in runners}
    first: dict[str, float] = {}
    for rep in range(args.reps):
        for k, r in runners.items():
            v, f = r.run(args.warmup if rep == 0 else min(args.warmup, 2), args.steps)
            ips[k].append(v)
            first.setdefault(k, f)
    return {k: statistics.median(v) for k, v in ips.items()}, first, ips


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", default=None)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="1 repeat of 3 steps, vae and dcgan, few variants")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.warmup, args.reps = 3, 1, 1
        args.models = args.models or ["vae", "dcgan"]
    models = args.models or list(genlib.MODELS)
    print(
        f"Training throughput, images/s (median of {args.reps} repeats of {args.steps} steps after "
        f"{args.warmup} warm-up). {machine_note()}",
        flush=True,
    )
    split = data.load_split(True)
    main_rows, ablation_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in models:
            med, first, _ = bench_model(name, args, split, Path(tmp))
            shipped, ref, mem = med["shipped"], med["ref: dataloader"], med["ref: memory"]
            main_rows.append(
                [
                    name,
                    recipe("full", name)[1].get("batch_size", 128),
                    f"{shipped:.0f}",
                    f"{ref:.0f}",
                    f"{shipped / ref:.2f}×",
                    verdict(shipped >= ref),
                    f"{mem:.0f}",
                    f"{shipped / mem:.2f}×",
                    f"{60000 / shipped:.0f}",
                ]
            )
            for k, v in med.items():
                if k.startswith("ref"):
                    continue
                ablation_rows.append([name, k, f"{v:.0f}", f"{v / shipped:.2f}×", f"{first[k]:.2f}"])
            print(f"  {name}: shipped {shipped:.0f} img/s, reference {ref:.0f} img/s", flush=True)
    print(
        table(
            [
                "model",
                "batch",
                "shipped img/s",
                "reference img/s",
                "ratio",
                "≥ 1.0×",
                "reference, in-memory data img/s",
                "ratio",
                "s/epoch (shipped)",
            ],
            main_rows,
            "Shipped trainer vs the textbook reference loop (DataLoader + ToTensor)",
        )
    )
    print(
        table(
            ["model", "variant of the shipped trainer", "img/s", "vs shipped", "first step s"],
            ablation_rows,
            "What each speed-up buys (first step s includes torch.compile's compile time)",
        )
    )


if __name__ == "__main__":
    main()
