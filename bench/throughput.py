"""Training throughput (images/s) of each model at its shipped configuration, on real MNIST.

  python bench/throughput.py [--steps 20] [--models vae gan ...]
Prints a table; median over timed steps after 3 warm-up steps."""
import argparse
import statistics
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import genlib  # noqa: E402
from genlib import data  # noqa: E402
from genlib.presets import PRESETS  # noqa: E402
from genlib.training import TRAINERS, TrainConfig  # noqa: E402


def measure(name: str, steps: int) -> float:
    model_over, train_over = PRESETS["full"][name]
    cfg = TrainConfig(**{**train_over, "epochs": 1})
    model = genlib.build(name, **model_over)
    trainer = TRAINERS[name](model, cfg, Path("/tmp/bench-throughput") / name)
    split = data.load_split(True)
    times = []

    class Bar:  # times each step through the trainer's progress callback
        last = time.perf_counter()

        def update(self, _):
            now = time.perf_counter()
            times.append(now - Bar.last)
            Bar.last = now
            if len(times) >= steps + 3:
                raise StopIteration

        def set_postfix(self, **_):
            pass

    model.train()
    sub = data.Split(split.images[: (steps + 4) * cfg.batch_size], split.labels[: (steps + 4) * cfg.batch_size])
    try:
        trainer.train_epoch(sub, Bar())
    except (StopIteration, RuntimeError):
        pass
    return cfg.batch_size / statistics.median(times[3:])


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--models", nargs="*", default=sorted(genlib.MODELS))
    a = p.parse_args()
    print(f"{'model':8} {'images/s':>9} {'s/epoch':>8}")
    for n in a.models:
        ips = measure(n, a.steps)
        print(f"{n:8} {ips:9.0f} {60000 / ips:8.1f}", flush=True)
