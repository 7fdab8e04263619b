"""Train latent-lab's models: arguments -> configs -> genlib trainer -> metrics -> checkpoint folder.

python train.py --model vae                 # one model, the full preset, into checkpoints/vae
python train.py --all --preset quick --out /tmp/quick
python train.py --model dcgan --resume      # continue an interrupted run (or Ctrl-C) from its last epoch
python train.py --model dcgan --device cuda --amp bf16               # one GPU, mixed precision
torchrun --nproc_per_node 4 train.py --model dcgan --device cuda     # 4 GPUs (DDP); on CPU: Gloo
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

import genlib
from genlib import checkpoint, data, metrics
from genlib.explorer import cards, encodings
from genlib.fileio import write_json
from genlib.models import ARCHITECTURES, MODELS, VARIANTS, GenerativeModel, architecture_of
from genlib.training import STATE, TRAINERS, TrainConfig, TrainingDiverged, distributed, fit_inverter, train_classifier
from genlib.training.presets import PRESETS, recipe


def order() -> list[str]:
    """Every trainable folder: the metrics classifier first (the others are measured with it), the registry's
    models, then the teaching variants."""
    return ["classifier", *MODELS, *VARIANTS]


def classifier_for(args):
    own = args.out / "classifier"  # the run's own classifier, else the shipped one
    return metrics.load_classifier(own if own.is_dir() else None)


def measure(name: str, model, args) -> dict:
    """Quality numbers of the weights as shipped (rounded to float16 first)."""
    model.load_state_dict(checkpoint.half_state(model))
    model.eval()
    if name == "classifier":
        test = data.load_split(False, args.data_dir)
        acc = float((model.predict(test.unit_images()) == test.labels).float().mean())
        return {"test_accuracy": round(acc, 4), "test_errors": round((1 - acc) * len(test))}
    quick = args.preset == "quick"
    return metrics.evaluate(
        model,
        n=args.metric_samples or (1000 if quick else 10000),
        classifier=classifier_for(args),
        data_dir=args.data_dir,
        nll_images=args.nll_images or (200 if quick else None),
        probe=not quick,
        progress=True,
        encoding_images=200 if quick else 2000,
    )


def probe(name: str, args) -> None:
    """Cache the GAN-features probe table of OUT/NAME in its metrics.json (models without D: skipped)."""
    try:
        model = checkpoint.load(args.out / name)  # a variant folder holds its architecture's name
    except checkpoint.CheckpointError as e:
        print(f"   {name}: {e}")
        return
    if not getattr(model, "has_discriminator", False):  # the classifier is no GenerativeModel
        print(f"   {name}: no discriminator, no probe")
        return
    t0 = time.time()
    table = metrics.probe_table(model, data_dir=args.data_dir)
    metrics.cache_probe(args.out / name, table, time.time() - t0)
    print(f"   {name}: probe {table} in {time.time() - t0:.0f} s")


def refit_inverter(name: str, args, command: str) -> None:
    """Retrain the inversion encoder of OUT/NAME as training's last step does (the preset's steps, the
    seed given), then record its encodings' quality; the generator and discriminator stay bit-identical."""
    folder = args.out / name
    model = checkpoint.load(folder, expect=architecture_of(name))
    if not getattr(model, "inverts_generator", False):  # the classifier is no GenerativeModel
        print(f"   {name}: no inversion encoder (only the GANs have one)")
        return
    cfg = checkpoint.read_extra(folder, checkpoint.CONFIG)
    train = cfg.get("train", {})
    tc = TrainConfig(**{**recipe(args.preset, name)[1], "seed": args.seed})
    t0 = time.time()
    loss = fit_inverter(model, tc, data.load_split(True, args.data_dir))
    # apart from the training run's own inverter_seconds: the table's train time stays the run's
    train.update(
        inverter_refit_seconds=round(time.time() - t0, 1),
        inverter_refit_final_loss=round(loss, 4),
        inverter_refit_command=command,
    )
    model.load_state_dict(checkpoint.half_state(model))  # measure what ships
    model.eval()
    m = checkpoint.read_extra(folder, checkpoint.METRICS, {})
    n = args.metric_samples or 10000
    m.update(metrics.encoding_quality(model, classifier_for(args), n=n, data_dir=args.data_dir))
    history = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
    checkpoint.save(model, folder, metrics=m, history=history, train=train, half=True)
    print(f"   {name}: inverter refitted in {train['inverter_refit_seconds']:.0f} s; {m}")


def ship_tsne(name: str, args) -> None:
    """The Latent map's t-SNE of OUT/NAME's test encodings, made now so that no visitor waits a minute for it."""
    folder = args.out / name
    model = checkpoint.load(folder, expect=architecture_of(name))
    if not isinstance(model, GenerativeModel):  # the classifier
        print(f"   {name}: no latent space, no map")
        return
    t0 = time.time()
    encodings.ship_tsne(model, folder, data.load_split(False, args.data_dir))
    print(f"   {name}: t-SNE map of the test encodings in {time.time() - t0:.0f} s -> {folder / encodings.TSNE_FILE}")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `train.py: error: argument --epochs: ... (see --help)`, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def seed_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not {text!r}")
    return value


RESUME = ".resume"  # OUT/.resume/NAME: the resume state of OUT/NAME, found from any current folder
FINISHED = "finished.json"  # in a state folder: the run it belongs to saved its checkpoint (what --resume skips)


def state_dir_for(args, name: str) -> Path:
    """The resume state of OUT/NAME: beside the output folder by default; under --state-dir, one folder per
    output folder, so two runs into different folders never pick up each other's state."""
    if args.state_dir is None:
        return args.out / RESUME / name
    key = hashlib.sha256(str((args.out / name).resolve()).encode()).hexdigest()[:10]
    return args.state_dir / f"{name}-{key}"


def finished_earlier(state: Path, out: Path, record: dict) -> bool:
    """Whether the run with these settings (`record`) already finished and saved OUT/NAME."""
    try:
        saved = json.loads((state / FINISHED).read_text())
        return saved == json.loads(json.dumps(record)) and (out / checkpoint.WEIGHTS).is_file()  # tuples: lists
    except (OSError, ValueError):
        return False


def unwritable(folder: Path) -> str | None:
    """Why nothing can be written at `folder` (created if missing), or None: tried with a temp file in
    the deepest folder that exists, before any training time is spent."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, not a folder"
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".write-test-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        return f"cannot write in {probe} ({e.strerror or e})"
    return None


def main(argv=None, prog: str = "train.py") -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    shipped = genlib.CHECKPOINTS
    p = Parser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--model", choices=order(), help="the one model to train (no default: give --model, --all or --report)"
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="the classifier, then every registered model and the variants (--preset quick: the "
        "models only, measured with the shipped classifier) (default: off)",
    )
    which.add_argument(
        "--report", action="store_true", help="print the metrics table of the checkpoints in --out (default: off)"
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="full",
        help="training recipe: full reproduces the shipped checkpoints, quick gives recognisable digits in "
        "minutes (default: full)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help="epochs to train; with --resume the total, counting the epochs already done "
        "(default: the preset's, e.g. full vae 50)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        help="images per step, over all processes under torchrun (default: the preset's, e.g. 128)",
    )
    p.add_argument(
        "--seed", type=seed_int, default=0, metavar="N", help="seed of the weights, batches and noise (default: 0)"
    )
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to train (default: cpu)")
    p.add_argument(
        "--amp",
        choices=["bf16", "fp16"],
        help="mixed precision on --device cuda (fp16 adds loss scaling); under torchrun too (default: off)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=shipped,
        metavar="OUT",
        help=f"parent folder; each model goes to OUT/NAME (default: the shipped checkpoints, {shipped}: "
        "training there replaces a shipped model)",
    )
    p.add_argument("--data-dir", type=Path, help="MNIST root (default: $GENLIB_DATA or ~/.cache/genlib)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from the last finished epoch of the run into the same OUT/NAME with the same "
        "settings (default: off; without a saved state it says so and trains from scratch)",
    )
    p.add_argument(
        "--state-dir",
        type=Path,
        help="where the resume states are kept, one folder per output folder, STATE_DIR/NAME-<hash of OUT/NAME> "
        f"(default: OUT/{RESUME}/NAME, beside the output folder)",
    )
    p.add_argument(
        "--evaluate-only",
        action="store_true",
        help="re-measure the metrics of the checkpoint in OUT/NAME (default: off)",
    )
    p.add_argument(
        "--refit-inverter",
        action="store_true",
        help="GANs: retrain only the inversion encoder of the checkpoint in OUT/NAME (G and D untouched) "
        "and re-measure its encodings (default: off)",
    )
    p.add_argument(
        "--metric-samples",
        type=positive_int,
        metavar="N",
        help="samples per quality metric (default: full 10000, quick 1000)",
    )
    p.add_argument(
        "--nll-images",
        type=positive_int,
        metavar="N",
        help="test images in the NLL estimate (default: full all 10000, quick 200)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        default=torch.get_num_threads(),
        metavar="N",
        help="CPU threads for torch (default: %(default)s, this machine's)",
    )
    p.add_argument(
        "--probe",
        action="store_true",
        help="linear probes on D features vs an untrained D vs pixels (10/100/1000 labels per class) -> "
        "OUT/NAME/metrics.json "
        "(default: off)",
    )
    p.add_argument(
        "--tsne",
        action="store_true",
        help="write the t-SNE map of the test encodings beside the checkpoint in OUT/NAME, for the Latent map page "
        "(a full-preset training does this itself; default: off)",
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of a file error (default: off)")
    args = p.parse_args(argv)
    args.rerun = f"{'python train.py' if prog == 'train.py' else prog} {shlex.join(argv)}".strip()
    torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available here")
    if args.amp and args.device != "cuda":
        p.error("--amp needs --device cuda (autocast on the CPU is slower here, not faster)")
    if args.report and not args.out.is_dir():
        p.error(f"--out {args.out}: no such folder, so no checkpoints to report")
    if not args.report:
        for name in names_of(args):
            for what, folder in (("--out", args.out / name), ("--state-dir", state_dir_for(args, name))):
                if why := unwritable(folder):
                    p.error(f"{what}: cannot write {folder}: {why}")
    # under torchrun (WORLD_SIZE > 1): join the process group; rank 0 alone logs, prints and writes
    distributed.setup(args.device)
    main_rank = distributed.is_main()
    logging.basicConfig(
        level=logging.INFO if main_rank else logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    try:
        return run(args, main_rank)
    except (OSError, checkpoint.CheckpointError) as e:  # a file that cannot be read or written: one line
        if args.debug:
            traceback.print_exc()
        print(f"{prog}: error: {e}" + ("" if args.debug else " (--debug shows the traceback)"), file=sys.stderr)
        return 1
    finally:
        distributed.cleanup()


def names_of(args) -> list[str]:
    if args.model:
        return [args.model]
    # --all with quick: the generative models only (their metrics use the shipped classifier)
    return order() if args.preset == "full" else list(MODELS)


def config_of(name: str, args) -> TrainConfig:
    model_over, train_over = recipe(args.preset, name)
    cfg = TrainConfig(**{**train_over, "seed": args.seed, "device": args.device, "amp": args.amp})
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.batch_size is not None:
        cfg.batch_size = args.batch_size
    return cfg


def interrupted(name: str, trainer, cfg: TrainConfig, args) -> str:
    """The one line printed on Ctrl-C: how far the run got and the command that continues it."""
    if trainer is None:
        return (
            f"interrupted while training {name}, which keeps no resume state; nothing was saved. "
            f"Start again with: {args.rerun}"
        )
    if trainer.epoch == 0:
        return (
            f"interrupted in epoch 1 of {cfg.epochs} ({name}), before any state was saved; "
            f"start again with: {args.rerun}"
        )
    again = args.rerun if args.resume else f"{args.rerun} --resume"
    return f"interrupted after epoch {trainer.epoch} of {cfg.epochs} ({name}); continue with: {again}"


def summary(done: list[tuple[str, Path, dict, float, torch.nn.Module]]) -> str:
    """What the run made: per model its folder, time and the quality numbers against their bars."""
    lines = ["", "Summary:"]
    for name, out, m, seconds, model in done:
        lines.append(f"  {name} -> {out} ({seconds / 60:.1f} min)")
        if "test_accuracy" in m:
            lines.append(f"      test accuracy {m['test_accuracy']:.2%} ({m['test_errors']} errors)")
            continue
        for row in cards.metric_rows(m, metrics.bars_for(model)):
            status = {"met": "met", "missed": "MISSED", "not measured": "not measured"}.get(row["status"], "")
            bar = f"  (bar {row['bar']}: {status})" if row["bar"] else ""
            value = f"{row['value']:.4g}" if isinstance(row["value"], (int, float)) else "–"
            lines.append(f"      {row['metric']}: {value}{bar}")
    return "\n".join(lines)


def run(args, main_rank: bool) -> int:
    say = print if main_rank else (lambda *a, **k: None)

    if args.report:
        say(metrics.table(args.out))
        say("\nLinear probe, test accuracy with N labels per class:\n" + metrics.probe_report(args.out))
        return 0
    names = names_of(args)
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    with distributed.main_first():  # one rank fetches MNIST; the others then find it
        data_hash = data.data_hash(args.data_dir)
        n_train = len(data.load_split(True, args.data_dir))
    for name in names:
        if not (args.probe or args.evaluate_only or args.refit_inverter or args.tsne) and (
            config_of(name, args).batch_size > n_train
        ):
            print(
                f"train.py: error: --batch-size {config_of(name, args).batch_size} ({name}) is more than the "
                f"{n_train} training images; choose at most {n_train}",
                file=sys.stderr,
            )
            return 2
    done = []
    for name in names:
        if (
            args.probe or args.evaluate_only or args.refit_inverter or args.tsne or name == "classifier"
        ) and not main_rank:
            continue  # single-process work: rank 0 does it, the others go on to the next model
        if args.probe:
            probe(name, args)
            continue
        if args.refit_inverter:
            refit_inverter(name, args, args.rerun)
            continue
        if args.tsne:
            ship_tsne(name, args)
            continue
        if args.evaluate_only:
            folder = args.out / name
            model = checkpoint.load(folder, expect=architecture_of(name))
            cfg = checkpoint.read_extra(folder, checkpoint.CONFIG)
            history = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
            m = measure(name, model, args)
            checkpoint.save(model, folder, metrics=m, history=history, train=cfg.get("train"), half=True)
            print(summary([(name, folder, m, 0.0, model)]))
            continue
        model_over, _ = recipe(args.preset, name)
        cfg = config_of(name, args)
        arch = architecture_of(name)
        cls = ARCHITECTURES[arch]
        torch.manual_seed(args.seed)
        model = cls(cls.Config(**model_over))
        out = args.out / name
        t0 = time.time()
        say(f"== {name}: {sum(p.numel() for p in model.parameters()):,} parameters -> {out}")
        train_info = {
            "command": command,
            "preset": args.preset,
            "seed": args.seed,
            "data_hash": data_hash,
            "torch": torch.__version__,
            "threads": args.threads,
            "config": dataclasses.asdict(cfg),
        }
        trainer = None
        try:
            if name == "classifier":
                history, _ = train_classifier(model, cfg, args.data_dir)
                files = {"history": history}
            else:
                state = state_dir_for(args, name)
                record = {"epochs": cfg.epochs, "preset": args.preset, "config": train_info["config"]}
                if args.resume and finished_earlier(state, out, record):
                    say(f"   --resume: {name} finished earlier with these settings ({out}); skipped")
                    continue
                (state / FINISHED).unlink(missing_ok=True)
                monitor = metrics.monitor(classifier_for(args))
                try:
                    trainer = TRAINERS[arch](
                        model,
                        cfg,
                        out,
                        args.data_dir,
                        monitor=monitor,
                        state_dir=state,
                        meta={"preset": args.preset, "out": str(out.resolve())},
                    )
                except ValueError as e:  # settings the trainer refuses (a batch that does not split over the ranks)
                    say(f"train.py: error: {name}: {e}", file=sys.stderr)
                    return 2
                if args.resume and not (state / STATE).is_file():
                    say(f"   --resume: no saved state for {name} in {state}; training from scratch")
                say(f"   resume state: {state / STATE} (Ctrl-C keeps the last finished epoch)")
                train_info.update(trainer.fit(resume=args.resume))
            model.cpu()  # the metrics and the checkpoint work on the CPU
            if not main_rank:
                continue
            if distributed.world() > 1:
                train_info["world_size"] = distributed.world()  # ranks under torchrun (batch size is the global one)
            train_info["train_seconds"] = round(time.time() - t0, 1)
            print(f"   trained in {time.time() - t0:.0f} s; measuring quality ...")
            m = measure(name, model, args)
            train_info["total_seconds"] = round(time.time() - t0, 1)
            if trainer is not None:
                files = trainer.checkpoint_files()
            checkpoint.save(model, out, metrics=m, train=train_info, half=True, **files)
            if trainer is not None:
                write_json(state / FINISHED, record)
            if args.preset != "quick" and name != "classifier":  # a quick run stays quick: the app maps on request
                ship_tsne(name, args)
        except TrainingDiverged as e:
            say(f"!! {name}: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            say(interrupted(name, trainer, cfg, args), file=sys.stderr)
            return 130
        done.append((name, out, m, time.time() - t0, model))
        print(f"   {name} done in {time.time() - t0:.0f} s")
    if done:
        print(summary(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
