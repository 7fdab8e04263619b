"""The GANs' encodings of the MNIST test set against their bars, at the app's setting (1 torch thread):
the share within 2.5 of √d (the prior's shell), the share whose decoding keeps the digit (project
classifier), the time to encode all of them, and the time to encode one drawing.

  python bench/encodings.py                         # the four GANs, 10,000 test digits
  python bench/encodings.py --models infogan --record   # also write the numbers into its metrics.json

Bars: ≥ 80% in the shell, ≥ 96% kept; encoding 10,000 ≤ 60 s (once per checkpoint, then cached on
disk), one drawing ≤ 100 ms. Times are CPU seconds of this one-thread process (on a busy machine the
wall time also counts other processes' turns) and wall seconds."""

from __future__ import annotations

import argparse
import time

import common  # noqa: F401  (puts the repo root on sys.path)
import torch
from common import table, verdict

import genlib
from genlib import checkpoint, data, metrics
from genlib.fileio import write_json

GANS = [n for n, cls in genlib.MODELS.items() if cls.inverts_generator]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", default=GANS)
    p.add_argument("--n", type=int, default=10000, help="test digits")
    p.add_argument("--record", action="store_true", help="store the shares in each checkpoint's metrics.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    clf = metrics.load_classifier()
    test = data.load_split(False)
    rows = []
    for name in args.models:
        model = genlib.load(name)
        cond = model.latent.n_classes is not None
        one, label = test.unit_images(slice(0, 1)), (test.labels[:1] if cond else None)
        model.encode(one, label)  # warm-up
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(5):
            model.encode(one, label)
        one_ms = (time.process_time() - c0) / 5 * 1e3
        c0, w0 = time.process_time(), time.perf_counter()
        q = metrics.encoding_quality(model, clf, n=args.n)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        # encoding_quality also decodes and classifies; time the encoding alone on the first 1,000
        x, y = test.unit_images(slice(0, 1000)), test.labels[:1000]
        c0 = time.process_time()
        model.encode(x, y if cond else None)
        enc_10k = (time.process_time() - c0) * 10
        rows.append(
            [
                name,
                f"{q['encoding_shell_share']:.4f}",
                verdict(q["encoding_shell_share"] >= 0.80),
                f"{q['encoding_kept_class']:.4f}",
                verdict(q["encoding_kept_class"] >= 0.96),
                f"{enc_10k:.0f}",
                verdict(enc_10k <= 60),
                f"{one_ms:.1f}",
                verdict(one_ms <= 100),
                f"{cpu:.0f} / {wall:.0f}",
            ]
        )
        print(f"  {name}: {q}", flush=True)
        if args.record:
            folder = genlib.CHECKPOINTS / name
            write_json(folder / checkpoint.METRICS, {**checkpoint.read_extra(folder, checkpoint.METRICS, {}), **q})
    print(
        table(
            [
                "model",
                "in shell",
                "≥ 0.80",
                "keeps digit",
                "≥ 0.96",
                "encode 10,000: CPU s (from 1,000)",
                "≤ 60 s",
                "encode 1 drawing: CPU ms",
                "≤ 100 ms",
                f"whole check of {args.n:,}: CPU / wall s",
            ],
            rows,
            f"GAN encodings of {args.n:,} MNIST test digits, 1 torch thread",
        )
    )


if __name__ == "__main__":
    main()
