"""Train latent-lab's models: arguments -> configs -> genlib trainer -> metrics -> checkpoint folder.

  python train.py --model vae                 # one model, the full preset, into checkpoints/vae
  python train.py --all --preset quick --out /tmp/quick
  python train.py --model dcgan --resume      # continue an interrupted run from its last epoch
  python train.py --model dcgan --device cuda --amp bf16               # one GPU, mixed precision
  torchrun --nproc_per_node 4 train.py --model dcgan --device cuda     # 4 GPUs (DDP); on CPU: Gloo
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import sys
import time
from pathlib import Path

import torch

import genlib
from genlib import checkpoint, data, metrics
from genlib.training import distributed
from genlib.models import ARCHITECTURES, MODELS
from genlib.training.presets import PRESETS, VARIANTS, recipe
from genlib.training import TRAINERS, TrainConfig, TrainingDiverged, fit_inverter, train_classifier



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
    return metrics.evaluate(model, n=args.metric_samples or (1000 if quick else 10000), classifier=classifier_for(args),
                            data_dir=args.data_dir, nll_images=args.nll_images or (200 if quick else None), probe=not quick,
                            encoding_images=200 if quick else 2000)


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
    model = checkpoint.load(folder, expect=VARIANTS.get(name, name))
    if not getattr(model, "inverts_generator", False):  # the classifier is no GenerativeModel
        print(f"   {name}: no inversion encoder (only the GANs have one)")
        return
    cfg = checkpoint.read_extra(folder, checkpoint.CONFIG)
    train = cfg.get("train", {})
    tc = TrainConfig(**{**recipe(args.preset, name)[1], "seed": args.seed})
    t0 = time.time()
    loss = fit_inverter(model, tc, data.load_split(True, args.data_dir))
    # apart from the training run's own inverter_seconds: the table's train time stays the run's
    train.update(inverter_refit_seconds=round(time.time() - t0, 1), inverter_refit_final_loss=round(loss, 4),
                 inverter_refit_command=command)
    model.load_state_dict(checkpoint.half_state(model))  # measure what ships
    model.eval()
    m = checkpoint.read_extra(folder, checkpoint.METRICS, {})
    n = args.metric_samples or 10000
    m.update(metrics.encoding_quality(model, classifier_for(args), n=n, data_dir=args.data_dir))
    history = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
    checkpoint.save(model, folder, metrics=m, history=history, train=train, half=True)
    print(f"   {name}: inverter refitted in {train['inverter_refit_seconds']:.0f} s; {m}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", choices=order())
    which.add_argument("--all", action="store_true",
                       help="the classifier, then every registered model and the variants (--preset quick: the models "
                            "only, measured with the shipped classifier)")
    which.add_argument("--report", action="store_true", help="print the metrics table of the checkpoints in --out")
    p.add_argument("--preset", choices=sorted(PRESETS), default="full")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--amp", choices=["bf16", "fp16"],
                   help="mixed precision on --device cuda (fp16 adds loss scaling); under torchrun too")
    p.add_argument("--out", type=Path, default=genlib.CHECKPOINTS, help="parent folder; each model goes to OUT/NAME")
    p.add_argument("--data-dir", type=Path, help="MNIST root (default: $GENLIB_DATA or ~/.cache/genlib)")
    p.add_argument("--resume", action="store_true", help="continue from STATE_DIR/NAME/training_state.pt")
    p.add_argument("--state-dir", type=Path, default=Path("runs"),
                   help="where the resume state of each model is kept (default: runs/, git-ignored)")
    p.add_argument("--evaluate-only", action="store_true", help="re-measure the metrics of the checkpoint in OUT/NAME")
    p.add_argument("--refit-inverter", action="store_true",
                   help="GANs: retrain only the inversion encoder of the checkpoint in OUT/NAME (G and D untouched) "
                        "and re-measure its encodings")
    p.add_argument("--metric-samples", type=int, help="samples per quality metric (full: 10000, quick: 1000)")
    p.add_argument("--nll-images", type=int, help="test images in the NLL estimate (full: all 10000, quick: 200)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--probe", action="store_true",
                   help="linear probes on D features vs pixels (10/100/1000 labels per class) -> OUT/NAME/metrics.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available here")
    if args.amp and args.device != "cuda":
        p.error("--amp needs --device cuda (autocast on the CPU is slower here, not faster)")
    # under torchrun (WORLD_SIZE > 1): join the process group; rank 0 alone logs, prints and writes
    distributed.setup(args.device)
    main_rank = distributed.is_main()
    logging.basicConfig(level=logging.INFO if main_rank else logging.WARNING,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        return run(args, main_rank)
    finally:
        distributed.cleanup()


def run(args, main_rank: bool) -> int:
    say = print if main_rank else (lambda *a, **k: None)

    if args.report:
        say(metrics.table(args.out))
        say("\nLinear probe, test accuracy with N labels per class:\n" + metrics.probe_report(args.out))
        return 0
    names = [args.model]
    if args.all:  # quick: the generative models only (their metrics use the shipped classifier)
        names = order() if args.preset == "full" else list(MODELS)
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    with distributed.main_first():  # one rank fetches MNIST; the others then find it
        data_hash = data.data_hash(args.data_dir)
    for name in names:
        if (args.probe or args.evaluate_only or args.refit_inverter or name == "classifier") and not main_rank:
            continue  # single-process work: rank 0 does it, the others go on to the next model
        if args.probe:
            probe(name, args)
            continue
        if args.refit_inverter:
            refit_inverter(name, args, command)
            continue
        if args.evaluate_only:
            folder = args.out / name
            model = checkpoint.load(folder, expect=VARIANTS.get(name, name))
            cfg = checkpoint.read_extra(folder, checkpoint.CONFIG)
            history = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
            m = measure(name, model, args)
            checkpoint.save(model, folder, metrics=m, history=history, train=cfg.get("train"), half=True)
            print(f"   {name}: {m}")
            continue
        model_over, train_over = recipe(args.preset, name)
        cfg = TrainConfig(**{**train_over, "seed": args.seed, "device": args.device, "amp": args.amp})
        if args.epochs:
            cfg.epochs = args.epochs
        if args.batch_size:
            cfg.batch_size = args.batch_size
        arch = VARIANTS.get(name, name)
        cls = ARCHITECTURES[arch]
        torch.manual_seed(args.seed)
        model = cls(cls.Config(**model_over))
        out = args.out / name
        t0 = time.time()
        say(f"== {name}: {sum(p.numel() for p in model.parameters()):,} parameters -> {out}")
        train_info = {"command": command, "preset": args.preset, "seed": args.seed, "data_hash": data_hash,
                      "torch": torch.__version__, "threads": args.threads, "config": dataclasses.asdict(cfg)}
        try:
            if name == "classifier":
                history, _ = train_classifier(model, cfg, args.data_dir)
            else:
                monitor = metrics.monitor(classifier_for(args))
                train_info.update(TRAINERS[arch](model, cfg, out, args.data_dir, monitor=monitor,
                                                  state_dir=args.state_dir / name).fit(resume=args.resume))
                history = checkpoint.read_extra(out, checkpoint.HISTORY, [])
        except TrainingDiverged as e:
            say(f"!! {name}: {e}", file=sys.stderr)
            return 1
        model.cpu()  # the metrics and the checkpoint work on the CPU
        if not main_rank:
            continue
        if distributed.world() > 1:
            train_info["world_size"] = distributed.world()  # ranks under torchrun (batch size is the global one)
        train_info["train_seconds"] = round(time.time() - t0, 1)
        print(f"   trained in {time.time() - t0:.0f} s; measuring quality ...")
        m = measure(name, model, args)
        train_info["total_seconds"] = round(time.time() - t0, 1)
        checkpoint.save(model, out, metrics=m, history=history, train=train_info, half=True)
        print(f"   {name} done in {time.time() - t0:.0f} s: {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
