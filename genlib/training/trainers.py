"""Trainers, apart from the models: the likelihood (ELBO) trainer for the VAE family, the adversarial
trainer (k discriminator steps per generator step on the losses the model declares), the GAN inversion
encoder, and the metrics classifier. All resumable and seeded."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .. import checkpoint, data
from ..fileio import atomic_write, json_bytes, write_json
from ..images import grid, png_bytes
from ..models import ARCHITECTURES, MODELS, architecture_of
from . import distributed

log = logging.getLogger(__name__)
STATE = "training_state.pt"
# TrainConfig fields a resumed run may change: the total epochs, and where/how precisely it computes
RESUMABLE_CHANGES = ("epochs", "device", "amp")
MAX_RESTARTS = 3


class ResumeMismatch(checkpoint.CheckpointError):
    """A saved training state belongs to another run (model, preset, settings or output folder)."""


class TrainingDiverged(RuntimeError):
    """Training went wrong (NaN loss, a discriminator that has won outright); nothing was saved."""


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3  # VAE family; generator for GANs
    lr_d: float = 2e-4  # discriminator (GANs)
    betas: tuple[float, float] = (0.5, 0.999)
    seed: int = 0
    k: int = 1  # discriminator steps per generator step (the lecture's k)
    saturating: bool = False  # True: G minimises log(1 − D(G(z))) as in the minimax game; False: maximises log D(G(z))
    lr_decay: bool = False  # cosine decay of the learning rates to 0 over the run
    inverter_steps: int = 1500  # GANs: steps training the inversion encoder after G
    ema: float = 0.0  # GANs: >0 ships an exponential moving average of G's weights (decay per G step, e.g. 0.999)
    # after this epoch, a run its model calls stalled (GenerativeModel.stalled) starts again from the next seed
    # (at most MAX_RESTARTS times); 0: never
    restart_check: int = 0
    r1: float = 0.0  # GANs: γ of the zero-centred penalty on real digits, γ/2·‖∇ₓ D(x)‖² (Mescheder et al. 2018)
    device: str = "cpu"
    amp: str | None = None  # "bf16" or "fp16": autocast the training steps (CUDA); fp16 adds a GradScaler


def _finite(losses: dict) -> None:
    bad = [k for k, v in losses.items() if not math.isfinite(v)]
    if bad:
        raise TrainingDiverged(
            f"loss {bad} became NaN/inf; lower the learning rate or change the seed. No checkpoint was written."
        )


AMP = {None: None, "bf16": torch.bfloat16, "fp16": torch.float16}


def adam(params, **kw) -> torch.optim.Adam:
    # fused: one kernel per step for all parameters, 10-27% more images/s on this CPU (docs/results.md)
    return torch.optim.Adam(params, fused=True, **kw)


def draw_inputs(spec, n: int, generator: torch.Generator | None = None):
    """Generator inputs (z, labels or None, codes or None) for n samples of a model with LatentSpec `spec`."""
    z = spec.sample_z(n, generator)
    labels = torch.randint(0, spec.n_classes, (n,), generator=generator) if spec.n_classes else None
    return z, labels, spec.sample_codes(n, generator)


def move(obj, device):
    """A tensor, or a dict or tuple of them, or None, on `device`."""
    if isinstance(obj, dict):
        return {k: v.to(device) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return type(obj)(move(v, device) for v in obj)
    return None if obj is None else obj.to(device)


class Trainer(ABC):
    """The epoch loop shared by both trainers: seeding, history, per-epoch sample grids, resumable state.
    Under torchrun each rank trains on its slice of every global batch (see distributed.py); only
    rank 0 writes files, logs and progress bars."""

    partial_steps = False  # True: a step trains only part of the model (the GAN players take turns)

    def __init__(
        self,
        model,
        cfg: TrainConfig,
        out: Path | str,
        data_dir=None,
        monitor=None,
        state_dir=None,
        meta: dict | None = None,
    ):
        self.world = distributed.setup(cfg.device)
        if cfg.batch_size % self.world:
            raise ValueError(f"batch size {cfg.batch_size} must be a multiple of the {self.world} ranks")
        if cfg.amp not in AMP:
            raise ValueError(f"amp={cfg.amp!r}: use one of {[k for k in AMP if k]} or None")
        self.main = distributed.is_main()
        self.model, self.cfg, self.out = model.to(cfg.device), cfg, Path(out)
        # the work folder: the resume state, history.json and the per-epoch grids while training. Given a
        # state_dir, nothing in `out` changes until save() commits (retraining into an existing checkpoint);
        # without one, `out` itself is the work folder (a fresh folder)
        self.work = Path(state_dir or out)
        self.state_path = self.work / STATE
        self.meta = {
            "model": model.name,
            "model_config": json.loads(json_bytes(asdict(model.config))),
            "train": json.loads(
                json_bytes({k: v for k, v in dataclasses.asdict(cfg).items() if k not in RESUMABLE_CHANGES})
            ),
            **json.loads(json_bytes(meta or {})),
        }
        self.data_dir = data_dir
        self.monitor = monitor  # optional: model -> dict of quick quality numbers, logged per epoch
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.optimizers = self.make_optimizers()
        self.net = distributed.wrap(self.model, self.partial_steps)  # net(fn, *args) = fn(model, *args), synced
        self.amp_dtype = AMP[cfg.amp]
        self.scaler = torch.amp.GradScaler(torch.device(cfg.device).type, enabled=cfg.amp == "fp16")
        self.history: list[dict] = []
        self.epoch = 0
        self.restarts: list[dict] = []  # the runs the restart rule abandoned: seed, epoch, why

    # -- subclasses
    @abstractmethod
    def make_optimizers(self) -> dict:
        """name -> optimizer (saved and restored with the training state)."""

    @abstractmethod
    def train_epoch(self, split, bar) -> dict:
        """One pass over `split`, updating `bar` per step; returns the epoch's history row."""

    def finish(self) -> dict:
        """After the last epoch (GANs: the inversion encoder). Returns extra training info."""
        return {}

    # -- one step
    def autocast(self):
        return torch.autocast(
            torch.device(self.cfg.device).type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None
        )

    def local(self, obj):
        """This rank's slice of a global batch (or draw), on the training device."""
        return move(distributed.shard(obj), self.cfg.device)

    def step(self, name: str, loss: torch.Tensor) -> None:
        """Backward (gradients averaged over ranks by DDP) and one step of optimizer `name`."""
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(opt)
        self.scaler.update()

    # -- loop
    def fixed_grid(self) -> torch.Tensor:
        """A sample grid from fixed noise (comparable across epochs); conditional: one row per label."""
        spec, g = self.model.latent, torch.Generator().manual_seed(1234)
        n = 80
        z = spec.sample_z(n, g)
        labels = torch.arange(10).repeat_interleave(8) if spec.n_classes else None
        codes = spec.sample_codes(n, g)
        if codes is not None:
            codes["categorical"] = torch.arange(10).repeat_interleave(8)
        self.model.eval()
        d = self.cfg.device
        imgs = self.model.decode(z.to(d), move(labels, d), move(codes, d)).float().cpu()
        self.model.train()
        return grid(imgs, nrow=8)

    def state(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "epoch": self.epoch,
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in getattr(self, "schedulers", {}).items()},
            "rng": torch.get_rng_state(),
            "data_rng": self.gen.get_state(),
            "scaler": self.scaler.state_dict(),
            # the history travels in the state too (as plain JSON types, which weights_only loads):
            # a kill between this file and history.json must not lose an epoch's row on resume
            "history": json.loads(json_bytes(self.history)),
            "meta": self.meta,
            "restarts": json.loads(json_bytes(self.restarts)),
            **self.extra_state(),
        }

    def extra_state(self) -> dict:
        """Subclasses: more tensors to keep in the resume state (restored by load_extra_state)."""
        return {}

    def load_extra_state(self, s: dict) -> None:  # noqa: B027 - an optional hook: most trainers keep no extra state
        pass

    def save_state(self) -> None:
        if not self.main:  # every rank holds the same state; one writes it
            return
        buf = io.BytesIO()
        torch.save(self.state(), buf)
        atomic_write(self.state_path, buf.getvalue())
        write_json(self.work / checkpoint.HISTORY, self.history)

    def resume(self) -> bool:
        path = self.state_path
        if not path.is_file():
            return False
        # weights_only: the state holds tensors and plain containers only, never arbitrary objects
        try:
            s = torch.load(path, map_location=self.cfg.device, weights_only=True)
        except Exception as e:  # UnpicklingError (foreign objects: refused, not run), a truncated zip, ...
            raise checkpoint.CheckpointError(
                f"{path} is not a training state this project wrote "
                f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                "nothing in it was run. Delete it to train from scratch, or restore it."
            ) from e
        if isinstance(s, dict) and isinstance(s.get("meta"), dict) and (diff := meta_differences(s["meta"], self.meta)):
            raise ResumeMismatch(
                f"{path} was saved by another run: {'; '.join(diff)}. Resume with the same "
                "settings, or train from scratch (without --resume, or delete the state)"
            )
        try:
            self.model.load_state_dict(s["model"])
            for k, o in self.optimizers.items():
                o.load_state_dict(s["optimizers"][k])
            for k, sch in getattr(self, "schedulers", {}).items():
                sch.load_state_dict(s["schedulers"][k])
            torch.set_rng_state(s["rng"])
            self.gen.set_state(s["data_rng"])
            if s.get("scaler"):
                self.scaler.load_state_dict(s["scaler"])
            self.restarts = list(s.get("restarts", []))
            self.cfg = dataclasses.replace(self.cfg, seed=self.cfg.seed + len(self.restarts))
            self.load_extra_state(s)
            self.epoch = int(s["epoch"])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:  # a state without a record of its run
            raise ResumeMismatch(
                f"{path} does not fit this model and its settings ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:200]}); train from scratch, or delete the state"
            ) from e
        self.history = (
            s["history"] if "history" in s else checkpoint.read_extra(self.work, checkpoint.HISTORY, [])[: self.epoch]
        )
        if self.main:
            log.info("resumed %s from epoch %d", self.model.name, self.epoch)
        return True

    def fit(self, resume: bool = False) -> dict:
        torch.set_flush_denormal(True)  # denormal floats made CPU steps up to 100x slower (seen in fit_inverter)
        torch.manual_seed(self.cfg.seed)
        if not (resume and self.resume()):
            self.epoch, self.history = 0, []
            if self.main:  # a fresh run: no grids of an earlier run in the work folder
                for old in (self.work / checkpoint.GRIDS).glob("epoch_*.png"):
                    old.unlink()
        split = data.load_split(True, self.data_dir)
        self.model.train()
        started = time.time()
        while self.epoch < self.cfg.epochs:
            epoch, t0 = self.epoch, time.time()
            steps = len(split) // self.cfg.batch_size
            with tqdm(
                total=steps, desc=f"{self.model.name} {epoch + 1}/{self.cfg.epochs}", leave=False, disable=not self.main
            ) as bar:
                row = self.train_epoch(split, bar)
            for sch in getattr(self, "schedulers", {}).values():
                sch.step()
            row = {
                "epoch": epoch + 1,
                **row,
                "seconds": round(time.time() - t0, 2),
                "images_per_s": round(steps * self.cfg.batch_size / (time.time() - t0), 1),
            }
            if self.monitor is not None and self.main:
                self.model.eval()  # the metrics draw their inputs on the CPU: a CPU copy off the GPU
                row.update(self.monitor(self.model if self.cfg.device == "cpu" else copy.deepcopy(self.model).cpu()))
                self.model.train()
            self.history.append(row)
            if self.main:
                log.info(
                    "%s epoch %d: %s",
                    self.model.name,
                    epoch + 1,
                    ", ".join(f"{k}={v:.4g}" for k, v in row.items() if isinstance(v, float)),
                )
                # the per-epoch history grids in 16 grey levels: they ship with every checkpoint (size budget)
                atomic_write(
                    self.work / checkpoint.GRIDS / f"epoch_{epoch + 1:03d}.png", png_bytes(self.fixed_grid(), levels=16)
                )
            self.epoch = epoch + 1
            if self.epoch == self.cfg.restart_check and len(self.restarts) < MAX_RESTARTS:
                self.model.eval()
                why = self.model.stalled(split.unit_images(slice(2000)).to(self.cfg.device))
                self.model.train()
                if why:
                    self.restart(why)
            self.save_state()
        info = self.finish()
        self.model.eval()
        if self.main:
            atomic_write(self.work / checkpoint.SAMPLES, png_bytes(self.fixed_grid()))
        distributed.barrier()  # the state is on disk before any rank returns (and might resume from it)
        restarts = {"restarts": self.restarts, "seed_used": self.cfg.seed} if self.restarts else {}
        return {"train_seconds": round(time.time() - started, 1), **restarts, **info}

    def restart(self, why: str) -> None:
        """Start again from the next seed: the weights a fresh model built under it gets, new optimizers and
        batches; the same as a run with that seed from the start."""
        self.restarts.append({"seed": self.cfg.seed, "epoch": self.epoch, "why": why})
        self.cfg = dataclasses.replace(self.cfg, seed=self.cfg.seed + 1)
        if self.main:
            log.warning("%s: %s; restarting from seed %d", self.model.name, why, self.cfg.seed)
        torch.manual_seed(self.cfg.seed)
        fresh = type(self.model)(self.model.config)
        self.model.load_state_dict(fresh.state_dict())
        torch.manual_seed(self.cfg.seed)
        self.gen.manual_seed(self.cfg.seed)
        self.optimizers = self.make_optimizers()
        self.epoch, self.history = 0, []

    def checkpoint_files(self) -> dict:
        """What a checkpoint of this run ships besides the weights: checkpoint.save's history,
        sample_grid and epoch_grids (the grids of epochs 1..epoch from the work folder)."""
        grids = {
            p.name: p.read_bytes()
            for p in sorted((self.work / checkpoint.GRIDS).glob("epoch_*.png"))
            if p.stem[6:].isdigit() and int(p.stem[6:]) <= self.epoch
        }
        final = self.work / checkpoint.SAMPLES
        return {
            "history": self.history,
            "epoch_grids": grids,
            "sample_grid": final.read_bytes() if final.is_file() else None,
        }

    def save(self, metrics: dict | None = None, train: dict | None = None, half: bool = True) -> Path:
        """Commit the trained model to `out` in one transaction with its history and grids (rank 0)."""
        return checkpoint.save(self.model, self.out, metrics=metrics, train=train, half=half, **self.checkpoint_files())


def meta_differences(saved: dict, now: dict) -> list[str]:
    """'what: saved vs now' for every recorded setting of a run that differs (nested dicts flattened)."""

    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{k}."))
            else:
                out[prefix + k] = v
        return out

    a, b = flat(saved), flat(now)
    return [
        f"{k.removeprefix('train.')} {a.get(k, 'not recorded')!r} (saved) vs {b.get(k, 'not given')!r} (this run)"
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


# ---------------------------------------------------------------- VAE family
class LikelihoodTrainer(Trainer):
    """Descends the model's objective (−ELBO unless it declares another) on dynamically binarised MNIST (fresh
    Bernoulli draws every epoch); the history's `loss` is −ELBO either way, `objective` the model's own."""

    def make_optimizers(self):
        opt = adam(self.model.parameters(), lr=self.cfg.lr)
        if self.cfg.lr_decay:
            self.schedulers = {
                "model": torch.optim.lr_scheduler.CosineAnnealingLR(opt, self.cfg.epochs, eta_min=self.cfg.lr * 0.05)
            }
        return {"model": opt}

    def train_epoch(self, split, bar):
        own = self.model.objective_text is not None  # the model trains on something other than −ELBO
        sums, n = {"loss": 0.0, "recon": 0.0, "kl": 0.0, **({"objective": 0.0} if own else {})}, 0
        cond = self.model.latent.n_classes is not None
        for x, y in data.batches(split, self.cfg.batch_size, binarize=True, generator=self.gen):
            # several ranks: the global batch's reparameterisation noise, sliced like the batch (the same
            # draws as randn_like in one process); one process: the model draws it, as it always did
            eps = self.local(torch.randn(len(x), self.model.latent.z_dim)) if self.world > 1 else None
            x, y = self.local(x), self.local(y)
            with self.autocast():
                terms = self.net(_elbo, x, y if cond else None, eps)
                terms["objective"] = self.model.objective(terms)
            self.step("model", terms["objective"])
            vals = distributed.mean(terms)
            _finite(vals)
            for k in sums:
                sums[k] += vals[k]
            n += 1
            bar.update(1)
            bar.set_postfix(loss=f"{vals['loss']:.1f}", kl=f"{vals['kl']:.1f}")
        row = {k: v / n for k, v in sums.items()}
        row["test_loss"] = self.test_elbo()
        return row

    @torch.no_grad()
    def test_elbo(self) -> float:
        """Negative ELBO on a fixed binarisation of the first 2,000 test digits (a quick check)."""
        self.model.eval()
        test = data.load_split(False, self.data_dir)
        g = torch.Generator().manual_seed(0)  # its own draws: the training noise stream is left as it was
        x = torch.bernoulli(test.unit_images(slice(2000)), generator=g).to(self.cfg.device)
        y = move(test.labels[:2000], self.cfg.device) if self.model.latent.n_classes is not None else None
        eps = torch.randn(len(x), self.model.latent.z_dim, generator=g).to(self.cfg.device)
        loss = self.model.elbo_terms(x, y, eps=eps)["loss"].item()
        self.model.train()
        return loss


def _elbo(model, x, y, eps):
    return model.elbo_terms(x, y) if eps is None else model.elbo_terms(x, y, eps=eps)


# ---------------------------------------------------------------- GAN family
class AdversarialTrainer(Trainer):
    """The lecture's loop: k discriminator steps, then one generator step, each descending the loss the model
    declares (GANBase.d_loss / g_loss, plus extra_loss in both: InfoGAN's information term). Which parameters
    each player owns is the model's declaration too; this class knows no model by name."""

    partial_steps = True

    def make_optimizers(self):
        m, c = self.model, self.cfg
        g_params = m.generator_parameters()
        opts = {
            "g": adam(g_params, lr=c.lr, betas=c.betas),
            "d": adam(m.discriminator_parameters(), lr=c.lr_d, betas=c.betas),
        }
        # the weight average of G (Yazıcı et al. 2019): smooths G's oscillation around the equilibrium
        self.ema = [p.detach().clone() for p in g_params] if c.ema else None
        if c.lr_decay:
            self.schedulers = {
                k: torch.optim.lr_scheduler.CosineAnnealingLR(o, c.epochs, eta_min=o.defaults["lr"] * 0.05)
                for k, o in opts.items()
            }
        return opts

    def extra_state(self) -> dict:
        return {"ema": self.ema} if self.ema else {}

    def load_extra_state(self, s: dict) -> None:
        if self.ema and "ema" in s:  # a run resumed with ema newly on starts its average from here
            for e, v in zip(self.ema, s["ema"], strict=True):
                e.copy_(v)

    @torch.no_grad()
    def update_ema(self) -> None:
        if self.ema:
            for e, p in zip(self.ema, self.model.generator_parameters(), strict=True):
                e.lerp_(p, 1 - self.cfg.ema)

    @torch.no_grad()
    def use_ema(self, batches: int = 100, batch_size: int = 256) -> None:
        """Put the averaged weights into G, then re-estimate its batch-norm statistics for them
        (the running statistics belong to the live weights): a cumulative mean over `batches` draws."""
        g = self.model.generator
        for p, e in zip(self.model.generator_parameters(), self.ema, strict=True):
            p.copy_(e)
        norms = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        g.train()
        gen = torch.Generator().manual_seed(
            self.cfg.seed + 2
        )  # its own draws: the global RNG stays as training left it
        for _ in range(batches if norms else 0):
            self.model.generate(*move(draw_inputs(self.model.latent, batch_size, gen), self.cfg.device))
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        self.model.eval()

    def fake_inputs(self, n: int):
        """Generator inputs for a global batch of n, on the CPU (every rank draws the same, keeps its slice)."""
        return draw_inputs(self.model.latent, n)

    def d_objective(self, m, x, y, z, labels, codes) -> dict:
        """Discriminator step: the model's d_loss on real and generated images, plus its extra term."""
        with torch.no_grad():
            fake = m.generate(z, labels, codes)
        r1 = self.cfg.r1
        x = x.detach().requires_grad_(r1 > 0)
        real_out = m.discriminate(x, y if labels is not None else None)
        fake_out = m.discriminate(fake, labels)
        loss_d = m.d_loss(real_out, fake_out)
        info = m.extra_loss(fake_out, codes)
        penalty = loss_d.new_zeros(())
        if r1:  # D's slope at the real digits: a D that is steep there pushes G towards the modes it already has
            (grad,) = torch.autograd.grad(real_out["logits"].sum(), x, create_graph=True)
            penalty = r1 / 2 * grad.pow(2).flatten(1).sum(1).mean()
        return {
            "loss": loss_d + info + penalty,
            "loss_d": loss_d,
            "info": info,
            "d_real": m.d_output(real_out).mean(),
            "d_fake": m.d_output(fake_out).mean(),
        }

    def g_objective(self, m, z, labels, codes) -> dict:
        out = m.discriminate(m.generate(z, labels, codes), labels)
        loss_g = m.g_loss(out, saturating=self.cfg.saturating)
        info = m.extra_loss(out, codes)
        return {"loss": loss_g + info, "loss_g": loss_g, "info": info}

    def train_epoch(self, split, bar):
        m, c = self.model, self.cfg
        sums = {"loss_d": 0.0, "loss_g": 0.0, "d_real": 0.0, "d_fake": 0.0, "info": 0.0}
        nd = ng = 0
        for i, (x, y) in enumerate(data.batches(split, c.batch_size, generator=self.gen)):
            n = len(x)  # the global batch; fake_inputs draws for all of it, local() keeps this rank's slice
            x, y = self.local(x) * 2 - 1, self.local(y)
            with self.autocast():
                d = self.net(self.d_objective, x, y, *self.local(self.fake_inputs(n)))
            self.step("d", d["loss"])
            d = distributed.mean({k: d[k] for k in ("loss_d", "info", "d_real", "d_fake")})
            _finite(d)
            for k in ("loss_d", "d_real", "d_fake"):
                sums[k] += d[k]
            nd += 1
            if (i + 1) % c.k == 0:  # generator step after every k discriminator steps
                with self.autocast():
                    g = self.net(self.g_objective, *self.local(self.fake_inputs(n)))
                self.step("g", g["loss"])
                self.update_ema()
                g = distributed.mean({"loss_g": g["loss_g"], "info": g["info"]})
                _finite(g)
                sums["loss_g"] += g["loss_g"]
                sums["info"] += g["info"]
                ng += 1
            bar.update(1)
            bar.set_postfix(d=f"{d['loss_d']:.3f}", dx=f"{sums['d_real'] / nd:.2f}", dgz=f"{sums['d_fake'] / nd:.2f}")
        row = {k: v / (nd if k in ("loss_d", "d_real", "d_fake") else max(ng, 1)) for k, v in sums.items()}
        _finite(row)
        if row["d_real"] > 0.99 and row["d_fake"] < 0.01:
            raise TrainingDiverged(
                f"{m.name}: the discriminator won outright (D(x)={row['d_real']:.3f}, "
                f"D(G(z))={row['d_fake']:.3f}); the generator gets no gradient. Lower lr_d, "
                "raise k's opposite (fewer D steps), or change the seed. No checkpoint was written."
            )
        if m.latent.has_codes is False:
            row.pop("info")
        return row

    def finish(self):
        if self.ema:
            self.use_ema()
        t0 = time.time()
        # every rank trains the same encoder on the same draws (outside DDP): cheaper than waiting for rank 0
        loss = fit_inverter(self.model, self.cfg, data.load_split(True, self.data_dir), progress=self.main)
        return {"inverter_seconds": round(time.time() - t0, 1), "inverter_final_loss": round(loss, 4)}


def fit_inverter(
    model, cfg: TrainConfig, split, batch_size: int = 128, progress: bool = True, real_weight: float = 4.0
) -> float:
    """Train the inversion encoder E with G frozen (eval mode): on fakes, ‖E(G(z)) − z‖² and
    ‖G(E(G(z))) − G(z)‖²; on real digits, real_weight · ‖G(E(x)) − x‖², the term the app's encodings
    of real digits live by. E's outputs lie on the prior's shell (Inverter), as in-domain inversion
    (Zhu et al. 2020): real digits are not mapped near the origin, where G was rarely trained."""
    model.eval()
    enc = model.inverter
    enc.train()
    for p in model.generator.parameters():
        p.requires_grad_(False)
    opt = adam(enc.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(cfg.inverter_steps, 1))
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    spec, dev = model.latent, next(model.parameters()).device
    loss_val = float("nan")
    reals = iter(())
    for _ in tqdm(range(cfg.inverter_steps), desc=f"{model.name} inverter", leave=False, disable=not progress):
        z, labels, codes = move(draw_inputs(spec, batch_size, gen), dev)
        with torch.no_grad():
            fake = model.generate(z, labels, codes)
        zh = enc(fake)
        loss = F.mse_loss(zh, z) + F.mse_loss(model.generate(zh, labels, codes), fake)
        try:
            x, y = next(reals)
        except StopIteration:
            reals = data.batches(split, batch_size, generator=gen)
            x, y = next(reals)
        x, y = x.to(dev) * 2 - 1, y.to(dev)
        real_codes = model.codes_for((x + 1) / 2)
        zr = enc(x)
        loss = loss + real_weight * F.mse_loss(model.generate(zr, y if spec.n_classes else None, real_codes), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        loss_val = loss.item()
    for p in model.generator.parameters():
        p.requires_grad_(True)
    enc.eval()
    return loss_val


# a model's `trainer` attribute names its kind; TRAINERS[name] looks the model up in the registry on each
# access, so a model registered later (a plug-in, a test's) is trained without an entry here
TRAINER_KINDS = {"likelihood": LikelihoodTrainer, "adversarial": AdversarialTrainer}


class _TrainersByModel(Mapping):
    def __getitem__(self, name: str) -> type[Trainer]:
        return TRAINER_KINDS[ARCHITECTURES[architecture_of(name)].trainer]

    def __iter__(self):
        return iter(MODELS)

    def __len__(self) -> int:
        return len(MODELS)


TRAINERS = _TrainersByModel()


# ---------------------------------------------------------------- the metrics classifier
def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small random affine jitter (±2 px shift, ±10° rotation, ±10% scale) for the classifier."""
    n = len(x)
    ang = (torch.rand(n, generator=gen) - 0.5) * (math.pi / 9)
    sc = 1 + (torch.rand(n, generator=gen) - 0.5) * 0.2
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * (4 / 14)
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    return F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), align_corners=False)


def train_classifier(model, cfg: TrainConfig, data_dir=None) -> tuple[list, dict]:
    """Train the metrics classifier; returns (history, metrics) with test accuracy per epoch."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    train, test = data.load_split(True, data_dir), data.load_split(False, data_dir)
    steps = cfg.epochs * (len(train) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    history = []
    for epoch in range(cfg.epochs):
        model.train()
        t0, total, correct = time.time(), 0.0, 0
        for x, y in tqdm(
            data.batches(train, cfg.batch_size, generator=gen),
            total=len(train) // cfg.batch_size,
            desc=f"classifier {epoch + 1}/{cfg.epochs}",
            leave=False,
        ):
            logits = model(_augment(x, gen))
            loss = F.cross_entropy(logits, y, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        model.eval()
        acc = (model.predict(test.unit_images()) == test.labels).float().mean().item()
        history.append(
            {
                "epoch": epoch + 1,
                "loss": total / len(train),
                "train_acc": correct / len(train),
                "test_acc": acc,
                "seconds": round(time.time() - t0, 1),
            }
        )
        log.info("classifier epoch %d: %s", epoch + 1, history[-1])
    return history, {
        "test_accuracy": history[-1]["test_acc"],
        "test_errors": round((1 - history[-1]["test_acc"]) * len(test)),
    }
