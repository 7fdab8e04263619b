"""Training recipes side by side: every recipe trains in its own process (1 torch thread each, on CUDA
when there is one), logs the trainer's per-epoch quality check, then is measured on 10,000 samples.
Made for a borrowed many-core GPU machine, where 16 recipes fit in a few minutes; on this 2-core CPU
run one or two at a time. It answers "how many epochs, which seed, which learning rate" before the long
CPU run; a GPU run is a different draw from a CPU run of the same seed (GAN outcomes depend on it).

  python bench/recipe_sweep.py --list
  python bench/recipe_sweep.py --quick --only vae_b256_e30             # a smoke run: 1 epoch
  python bench/recipe_sweep.py --only ig_base_s0,ig_base_s1 --deadline 480 --out /tmp/sweep
  python bench/recipe_sweep.py --report /tmp/sweep/results.json        # the markdown table again
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, table

IG = dict(width=32, z_dim=32, fc=256)  # the shipped InfoGAN and DCGAN architectures (genlib/training/presets.py)
IGT = dict(batch_size=128, lr=1e-3, lr_d=2e-4)
DCT = dict(batch_size=128, lr=1e-3, lr_d=1e-4, ema=0.999)
G = dict(batch_size=128, lr=2e-4, lr_d=2e-4)
# name -> (architecture, model Config overrides, TrainConfig overrides)
RECIPES = {
    **{f"ig_base_s{s}": ("infogan", IG, dict(IGT, epochs=60, seed=s)) for s in range(3)},
    **{f"ig_lcat2_s{s}": ("infogan", IG, dict(IGT, epochs=60, seed=s, lambda_cat=2.0)) for s in range(2)},
    "ig_lcat3_s0": ("infogan", IG, dict(IGT, epochs=60, seed=0, lambda_cat=3.0)),
    "ig_lrd4_s0": ("infogan", IG, dict(IGT, epochs=60, seed=0, lr_d=4e-4)),
    "ig_cos20_s0": ("infogan", IG, dict(IGT, epochs=20, seed=0, lr_decay=True)),
    "ig_lcat2_cos15_s0": ("infogan", IG, dict(IGT, epochs=15, seed=0, lambda_cat=2.0, lr_decay=True)),
    "dc_base_s1": ("dcgan", dict(width=32), dict(DCT, epochs=26, seed=1)),
    "dc_cos16_s0": ("dcgan", dict(width=32), dict(DCT, epochs=16, seed=0, lr_decay=True)),
    "gan_base_s0": ("gan", {}, dict(G, epochs=25, seed=0)),
    "gan_b256_s0": ("gan", {}, dict(G, epochs=25, seed=0, batch_size=256)),
    "cgan_cos8_s0": ("cgan", dict(width=32), dict(G, epochs=8, seed=0, lr_decay=True)),
    "cvae_b256_e35": ("cvae", {}, dict(batch_size=256, lr=2e-3, lr_decay=True, epochs=35, seed=0)),
    "vae_b256_e30": ("vae", {}, dict(batch_size=256, lr=2e-3, lr_decay=True, epochs=30, seed=0)),
}
CHECKS = ("code_acc", "min_class_share", "cond_acc", "test_loss")  # the trainers' per-epoch quality check
FINAL = ("code_accuracy", "min_class_share", "conditional_accuracy", "test_nll", "fid")


def worker(name: str, runs: Path, a) -> None:
    import torch

    from genlib import metrics
    from genlib.models import ARCHITECTURES
    from genlib.training import TRAINERS, TrainConfig

    arch, model_over, train_over = RECIPES[name]
    torch.set_num_threads(1)
    cfg = TrainConfig(**{"inverter_steps": 0, **train_over, "device": "cuda" if torch.cuda.is_available() else "cpu"})
    if a.max_epochs:
        cfg.epochs = min(cfg.epochs, a.max_epochs)
    torch.manual_seed(cfg.seed)
    cls = ARCHITECTURES[arch]
    model = cls(cls.Config(**model_over))
    clf = metrics.load_classifier()
    t0 = time.time()
    TRAINERS[arch](model, cfg, runs / name, monitor=metrics.monitor(clf, n=a.monitor_n), state_dir=runs / name).fit()
    train_s = time.time() - t0
    model.cpu().eval()
    m = metrics.evaluate(model, n=a.eval_n, classifier=clf, nll_images=500, probe=False)
    m.update(train_seconds=round(train_s, 1), eval_seconds=round(time.time() - t0 - train_s, 1))
    (runs / name / "eval.json").write_text(json.dumps(m))


def collect(names, procs, runs: Path, t0: float) -> dict:
    res = {"elapsed_s": round(time.time() - t0, 1)}
    for name in names:
        r = {"recipe": RECIPES[name], "returncode": procs[name].poll()}
        for f in ("history", "eval"):
            try:
                r[f] = json.loads((runs / name / f"{f}.json").read_text())
            except (OSError, ValueError):
                pass
        if r["returncode"] not in (None, 0):
            r["log_tail"] = (runs / name / "log.txt").read_text()[-1500:]
        res[name] = r
    return res


def report(res: dict) -> str:
    rows = []
    for name, r in res.items():
        if not isinstance(r, dict):
            continue
        hist, final = r.get("history", []), r.get("eval", {})
        check = next((k for k in CHECKS if hist and hist[0].get(k) is not None), None)
        at = sorted(set(range(4, len(hist), 5)) | {len(hist) - 1})  # every 5th epoch and the last
        curve = ", ".join(f"{i + 1}: {hist[i][check]:.3g}" for i in at) if check else ""
        settings = " ".join(f"{k}={v}" for k, v in {**r["recipe"][1], **r["recipe"][2]}.items())
        rows.append(
            [
                name,
                r["recipe"][0],
                settings,
                len(hist),
                f"{check} at epoch {curve}" if check else "–",
                ", ".join(f"{k} {final[k]}" for k in FINAL if final.get(k) is not None) or "(not finished)",
            ]
        )
    return table(["recipe", "model", "settings", "epochs", "per-epoch check", "final, 10,000 samples"], rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated recipe names (default: all)")
    p.add_argument("--deadline", type=float, default=480, help="seconds; then every run still training is stopped")
    p.add_argument("--max-epochs", type=int, help="cap every recipe's epochs (a smoke run)")
    p.add_argument("--monitor-n", type=int, default=5000, help="samples of the per-epoch check")
    p.add_argument("--eval-n", type=int, default=10000, help="samples of the final measurement")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or ROOT / "runs" / "sweep"))
    p.add_argument("--quick", action="store_true", help="1 epoch, checks on 200 samples, final on 500 (a smoke run)")
    p.add_argument("--list", action="store_true")
    p.add_argument("--report", type=Path, help="print the table of a results.json")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.quick:
        a.max_epochs, a.monitor_n, a.eval_n = 1, 200, 500
    runs = a.out / "runs"
    if a.worker:
        worker(a.worker, runs, a)
        return 0
    if a.list:
        for name, (arch, mo, to) in RECIPES.items():
            print(name, arch, mo, to)
        return 0
    if a.report:
        print(report(json.loads(a.report.read_text())))
        return 0
    names = a.only.split(",") if a.only else list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        p.error(f"unknown recipes {unknown}; see --list")
    t0, procs = time.time(), {}
    for name in names:
        (runs / name).mkdir(parents=True, exist_ok=True)
        with open(runs / name / "log.txt", "w") as log:
            procs[name] = subprocess.Popen(
                [sys.executable, __file__, "--worker", name, *sys.argv[1:]],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
    while time.time() - t0 < a.deadline and any(pr.poll() is None for pr in procs.values()):
        time.sleep(10)
        res = collect(names, procs, runs, t0)
        (a.out / "results.json").write_text(json.dumps(res))  # partial results survive a kill
        print(
            f"{res['elapsed_s']:.0f} s: " + " ".join(f"{n} {len(res[n].get('history', []))} ep" for n in names),
            flush=True,
        )
    for pr in procs.values():
        if pr.poll() is None:
            pr.terminate()
    for pr in procs.values():
        pr.wait()
    res = collect(names, procs, runs, t0)
    (a.out / "results.json").write_text(json.dumps(res))
    print(report(res))
    return 0 if all(r.get("returncode") in (0, -15) for n, r in res.items() if n in names) else 1


if __name__ == "__main__":
    sys.exit(main())
