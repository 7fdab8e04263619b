"""Inference speed of the shipped checkpoints, at the app's setting (1 torch thread):
decode of one latent and of 100, encode of the 10,000 test digits (the GANs' encode refines on the prior's
shell by default; they are also timed with 30 steps), PCA and t-SNE of 10,000 encodings, and how decode and
encode grow with batch size.

  python bench/inference.py                 # medians of ≥ 5 runs, all models
  python bench/inference.py --quick         # 1-2 runs, vae and dcgan, small batch ladder, t-SNE of 500
  python bench/inference.py --threads 2 --models cgan

Targets: decode one image ≤ 5 ms, encode 10k ≤ 5 s (GANs: ≤ 60 s, once per checkpoint, then cached on disk;
with 30 refinement steps ≤ 30 s),
PCA of 10k ≤ 0.5 s. The encodings here bypass the app's disk cache (that is what fills it)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import common  # noqa: F401  (puts the repo root on sys.path)
import torch
from common import machine_note, median_time, table, verdict

import genlib
from genlib import data
from genlib.explorer import encodings

TARGET_DECODE_MS, TARGET_ENCODE_S, TARGET_REFINE_S, TARGET_PCA_S = 5.0, 5.0, 30.0, 0.5
TARGET_ENCODE_GAN_S = 60.0  # the GANs' default encode refines (genlib GANBase.encode); the app caches it


def inputs(model, n: int, seed: int = 0):
    """Random z, labels and codes for n decodes, from the model's LatentSpec."""
    g = torch.Generator().manual_seed(seed)
    spec = model.latent
    labels = torch.randint(0, spec.n_classes, (n,), generator=g) if spec.n_classes else None
    return spec.sample_z(n, g), labels, spec.sample_codes(n, g)


def is_gan(model) -> bool:
    return model.has_discriminator  # the GANs encode through an inversion encoder


def bench_model(name, model, test, args) -> tuple[list, encodings.Encodings]:
    one, hundred = inputs(model, 1), inputs(model, 100)
    d1 = median_time(lambda: model.decode(*one), args.reps_small, warm=5) * 1e3
    d100 = median_time(lambda: model.decode(*hundred), args.reps, warm=2) * 1e3
    x, y = test.unit_images(slice(args.n)), test.labels[: args.n]
    times = []
    for _ in range(args.reps):  # the first run counts: the app encodes each model once
        t0 = time.perf_counter()
        z = encodings.encode_images(model, x, y)
        times.append(time.perf_counter() - t0)
    enc_s = statistics.median(times)
    enc = encodings.Encodings(z, y)
    pca = median_time(lambda: encodings.project_pca(enc), args.reps, warm=1)
    refine = "—"
    if is_gan(model) and args.refine_steps > 0:
        labels = y if model.latent.n_classes is not None else None

        def refined():  # the encoder's guess then Adam on the pixel error, 1,000 digits at a time
            for i in range(0, len(x), 1000):
                model.encode(
                    x[i : i + 1000], None if labels is None else labels[i : i + 1000], refine_steps=args.refine_steps
                )

        r = median_time(refined, args.refine_reps, warm=0)
        refine = f"{r:.1f} ({verdict(r <= TARGET_REFINE_S * args.n / 10000)})"
    enc_target = (TARGET_ENCODE_GAN_S if is_gan(model) else TARGET_ENCODE_S) * args.n / 10000
    row = [
        name,
        model.latent.z_dim,
        f"{d1:.2f}",
        verdict(d1 <= TARGET_DECODE_MS),
        f"{d100:.1f}",
        f"{enc_s:.2f}",
        verdict(enc_s <= enc_target),
        refine,
        f"{pca * 1e3:.1f}",
        verdict(pca <= TARGET_PCA_S),
    ]
    return row, enc


def scale_rows(name, model, test, args) -> tuple[list, list]:
    """ms per call of decode and encode at each batch size, and µs per image at the largest."""
    dec, enc = [name, "decode"], [name, "encode"]
    x_all, y_all = test.unit_images(), test.labels
    cond = model.latent.n_classes is not None
    for b in args.batches:
        reps = max(3, min(args.reps_small, int(2000 / b)))  # many runs for tiny batches, ≥ 3 for big ones
        z = inputs(model, b)
        dec.append(f"{median_time(lambda z=z: model.decode(*z), reps, warm=1) * 1e3:.2f}")
        x, y = x_all[:b], (y_all[:b] if cond else None)
        enc.append(f"{median_time(lambda x=x, y=y: model.encode(x, y), reps, warm=1) * 1e3:.2f}")
    big = args.batches[-1]
    dec.append(f"{float(dec[-1]) * 1e3 / big:.1f}")
    enc.append(f"{float(enc[-1]) * 1e3 / big:.1f}")
    return dec, enc


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads (the app uses 1)")
    p.add_argument("--reps", type=int, default=5, help="runs per median (encode, PCA, decode of 100)")
    p.add_argument("--reps-small", type=int, default=200, help="runs per median of one-image decodes")
    p.add_argument("--refine-steps", type=int, default=30)
    p.add_argument("--refine-reps", type=int, default=5)
    p.add_argument("--tsne-models", nargs="*", default=["vae"], help="t-SNE is slow (about a minute per model)")
    p.add_argument("--n", type=int, default=10000, help="test digits to encode")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    args.batches = [1, 4, 16, 64, 256, 1024, 4096]
    if args.quick:
        args.models = args.models or ["vae", "dcgan"]
        args.reps, args.reps_small, args.refine_reps, args.refine_steps = 1, 20, 1, 2
        args.n, args.batches = 2000, [1, 64, 1024]
    models = args.models or list(genlib.MODELS)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as the trainers do: denormals made CPU inference up to 100× slower
    print(f"Inference, {args.threads} torch thread(s), shipped checkpoints. {machine_note()}", flush=True)
    test = data.load_split(False)
    rows, scale, encs = [], [], {}
    for name in models:
        model = genlib.load(name)
        row, encs[name] = bench_model(name, model, test, args)
        rows.append(row)
        print(f"  {name}: decode 1 {row[2]} ms, encode {args.n} {row[5]} s", flush=True)
        scale += scale_rows(name, model, test, args)
    print(
        table(
            [
                "model",
                "z_dim",
                "decode 1 ms",
                "≤ 5 ms",
                "decode 100 ms",
                f"encode {args.n:,} s",
                "≤ 5 s (GANs 60 s)",
                f"encode {args.n:,} + {args.refine_steps} refine steps s (≤ 30 s)",
                f"PCA {args.n:,} ms",
                "≤ 0.5 s",
            ],
            rows,
            f"Per model (decode 1: median of {args.reps_small}; others: median of {args.reps}; "
            f"refinement: median of {args.refine_reps})",
        )
    )
    print(
        table(
            ["model", "call", *[f"batch {b:,} ms" for b in args.batches], f"µs/image @ {args.batches[-1]:,}"],
            scale,
            "Scale: ms per call vs batch size",
        )
    )
    tsne = []
    with tempfile.TemporaryDirectory() as tmp:  # an empty cache: t-SNE is computed, not read
        for name in args.tsne_models:
            if name not in encs:
                continue
            enc = encs[name]
            if args.quick:
                enc = encodings.Encodings(enc.z[:500], enc.labels[:500])
            t0 = time.perf_counter()
            encodings.project_tsne(enc, cache=tmp)
            tsne.append([name, f"{len(enc.z):,}", f"{time.perf_counter() - t0:.1f}"])
    if tsne:
        print(
            table(
                ["model", "points", "t-SNE s (1 run, informative)"],
                tsne,
                "t-SNE (genlib.explorer.encodings.project_tsne)",
            )
        )


if __name__ == "__main__":
    main()
