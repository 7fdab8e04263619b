"""Quality metrics, all measured with the project's own classifier (docs/design.md, "Quality")."""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from scipy.optimize import linear_sum_assignment
from tqdm.auto import tqdm

from . import checkpoint, data
from .models import MODELS, VARIANTS

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- quality bars: the one definition
@dataclass(frozen=True)
class Bar:
    label: str
    op: str  # ">=" or "<="
    value: float
    meaning: str

    def met(self, x: float) -> bool:
        return x >= self.value if self.op == ">=" else x <= self.value


BARS: dict[str, Bar] = {
    "conditional_accuracy": Bar("Conditional accuracy", ">=", 0.97, "the classifier agrees with the asked label"),
    "min_class_share": Bar("Min class share", ">=", 0.06, "the rarest digit's share of unconditional samples"),
    "code_accuracy": Bar("Code accuracy", ">=", 0.95, "categorical code as a digit classifier, after matching"),
    "test_nll": Bar("Test NLL (nats)", "<=", 92.0, "importance-weighted, dynamically binarised test set"),
    "encoding_shell_share": Bar(
        "Encodings in the prior's shell",
        ">=",
        0.80,
        "test digits encoded within 2.5 of √d, the norm of the prior's draws",
    ),
    "encoding_kept_class": Bar(
        "Encode → decode keeps the digit",
        ">=",
        0.96,
        "test digits whose decoded encoding the classifier reads as the same digit",
    ),
}


def bars_for(model) -> tuple[str, ...]:
    """The BARS keys a model is held to, from what it declares: a label-conditioned model must draw the asked
    digit, an unconditional GAN every digit, Q must read InfoGAN's codes, a likelihood model has a test NLL, and
    an inverted generator's encodings must stay in the prior and keep the digit."""
    conditional = model.latent.n_classes is not None
    wanted = {
        "conditional_accuracy": conditional,
        "min_class_share": model.has_discriminator and not conditional,
        "code_accuracy": model.infers_codes,
        "test_nll": model.has_likelihood,
        "encoding_shell_share": model.inverts_generator,
        "encoding_kept_class": model.inverts_generator,
    }
    return tuple(k for k, applies in wanted.items() if applies)


BAR_VALUES = {k: b.value for k, b in BARS.items()}  # plain numbers (tests/genlib/test_shipped.py re-measures them)
COVERAGE_BAR = BARS["min_class_share"].value  # every digit class must get at least this share of samples


def load_classifier(path: Path | str | None = None):
    """The metrics classifier of `path`, else of the checkpoints folder (genlib.CHECKPOINTS), else the shipped
    one (a folder of quick runs has none). It carries `folder` (where it came from), `test_accuracy` (None
    when unknown) and `metrics_error` (why its metrics.json could not be read, else None): a corrupt
    metrics.json loses the accuracy, not the classifier."""
    from . import CHECKPOINTS
    from .paths import shipped_dir

    folder = Path(path) if path else CHECKPOINTS / "classifier"
    if path is None and not folder.is_dir() and (shipped := shipped_dir()) and (shipped / "classifier").is_dir():
        folder = shipped / "classifier"
    clf = checkpoint.load(folder, expect="classifier")
    clf.folder, clf.metrics_error = folder, None
    try:
        acc = checkpoint.read_metrics(folder).get("test_accuracy")
    except checkpoint.CheckpointError as e:
        acc, clf.metrics_error = None, str(e)
    clf.test_accuracy = acc if isinstance(acc, (int, float)) else None
    return clf


@torch.no_grad()
def _batched(fn, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[i : i + batch]) for i in range(0, len(x), batch)])


@torch.no_grad()
def draw(model, n: int, labels=None, codes=None, seed: int = 0, batch: int = 1000) -> torch.Tensor:
    """n samples in batches (labels/codes, when given, are full-length and sliced alongside)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch):
        sl = slice(i, min(i + batch, n))
        lab = None if labels is None else labels[sl]
        cod = None if codes is None else {k: v[sl] for k, v in codes.items()}
        out.append(model.sample(sl.stop - sl.start, labels=lab, codes=cod, generator=g))
    return torch.cat(out)


# ---------------------------------------------------------------- individual metrics
def frechet_distance(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½) between two feature sets."""
    a, b = f1.double().numpy(), f2.double().numpy()
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(linalg.sqrtm(s1 @ s2))
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


@lru_cache(maxsize=4)
def _test_features(classifier, data_dir) -> torch.Tensor:
    return _batched(classifier.features, data.load_split(False, data_dir).unit_images())


@lru_cache(maxsize=4)
def fid_floor(classifier, n: int = 10000, data_dir=None) -> float:
    """Fréchet distance between n MNIST training digits and the test set: the best a model can hope for."""
    train = data.load_split(True, data_dir).unit_images(slice(n))
    return frechet_distance(_batched(classifier.features, train), _test_features(classifier, data_dir))


def class_coverage(pred: torch.Tensor) -> dict:
    shares = torch.bincount(pred, minlength=10).double() / len(pred)
    nz = shares[shares > 0]
    entropy = abs(float((nz * nz.log()).sum()))  # abs: one class alone gives -0.0
    return {
        "class_shares": [round(float(s), 4) for s in shares],
        "min_class_share": round(float(shares.min()), 4),
        "class_entropy": round(entropy, 4),
        "class_entropy_max": round(math.log(10), 4),
    }


def conditional_accuracy(model, classifier, n: int = 10000, seed: int = 0) -> float:
    labels = torch.arange(10).repeat_interleave(n // 10)
    x = draw(model, len(labels), labels=labels, seed=seed)
    return float((classifier.predict(x) == labels).float().mean())


def code_confusion(model, classifier, n: int = 10000, seed: int = 0) -> dict:
    """Generate n/10 samples per categorical value and classify them: {"confusion": (10, 10) counts,
    code value x predicted digit; "code_to_digit": the one-to-one matching (Hungarian algorithm) that
    maximises the matched count; "code_accuracy": that count's share}."""
    cat = torch.arange(10).repeat_interleave(n // 10)
    g = torch.Generator().manual_seed(seed + 7)
    codes = model.latent.continuous
    lows, highs = torch.tensor([c.low for c in codes]), torch.tensor([c.high for c in codes])
    cont = lows + (highs - lows) * torch.rand(len(cat), len(codes), generator=g)
    x = draw(model, len(cat), codes={"categorical": cat, "continuous": cont}, seed=seed)
    pred = classifier.predict(x)
    conf = torch.zeros(10, 10, dtype=torch.long)
    conf.index_put_((cat, pred), torch.ones_like(cat), accumulate=True)
    rows, cols = linear_sum_assignment(-conf.numpy())
    return {
        "confusion": conf,
        "code_to_digit": [int(c) for c in cols],
        "code_accuracy": round(float(conf[rows, cols].sum()) / len(cat), 4),
    }


def infogan_code_accuracy(model, classifier, n: int = 10000, seed: int = 0) -> dict:
    """The categorical code as a digit classifier after a one-to-one matching of values to digits."""
    out = code_confusion(model, classifier, n, seed)
    return {"code_accuracy": out["code_accuracy"], "code_to_digit": out["code_to_digit"]}


SHELL_TOLERANCE = 2.5  # an encoding is "in the prior's shell" when | ‖z‖ − √d | is at most this


def encoding_quality(model, classifier, n: int = 10000, data_dir=None, batch: int = 1000) -> dict:
    """How the model's encodings of the first n test digits sit in its prior: the share within
    SHELL_TOLERANCE of √d, and the share whose decoding the classifier still reads as the true digit
    (conditional models: encoded and decoded with the true label; InfoGAN: with Q's codes)."""
    test = data.load_split(False, data_dir)
    x, y = test.unit_images(slice(0, n)), test.labels[:n]
    cond = model.latent.n_classes is not None
    shell = kept = 0
    for i in range(0, len(x), batch):
        xb, yb = x[i : i + batch], y[i : i + batch]
        z = model.encode(xb, yb if cond else None)
        shell += int(((z.norm(dim=1) - math.sqrt(z.shape[1])).abs() <= SHELL_TOLERANCE).sum())
        codes = model.codes_for(xb) if model.latent.has_codes else None
        kept += int((classifier.predict(model.decode(z, yb if cond else None, codes)) == yb).sum())
    return {
        "encoding_shell_share": round(shell / len(x), 4),
        "encoding_kept_class": round(kept / len(x), 4),
        "encoding_images": len(x),
    }


def test_nll(model, k: int = 500, n: int | None = None, seed: int = 0, data_dir=None) -> dict:
    """Importance-weighted NLL (nats) of the dynamically binarised test set (one Bernoulli draw per image)."""
    test = data.load_split(False, data_dir)
    g = torch.Generator().manual_seed(seed)
    x = torch.bernoulli(test.unit_images(slice(n)), generator=g)
    labels = test.labels[: len(x)] if model.latent.n_classes is not None else None
    ll = model.log_likelihood(x, labels, k=k, generator=g)  # a private generator: the global one is left alone
    return {"test_nll": round(float(-ll.mean()), 3), "test_nll_k": k, "test_nll_images": len(x)}


def monitor(classifier, n: int = 1000):
    """A cheap per-epoch quality check for the trainers' history (what "watch it learn" plots)."""

    def check(model) -> dict:
        spec = model.latent
        if spec.n_classes:
            return {"cond_acc": round(conditional_accuracy(model, classifier, n, seed=1), 4)}
        x = draw(model, n, seed=1)
        # the Fréchet distance on n samples: biased upward against the 10,000-sample figure, but it shows the trend
        fid = frechet_distance(_batched(classifier.features, x), _test_features(classifier, None))
        out = {"min_class_share": class_coverage(classifier.predict(x))["min_class_share"], "fid_check": round(fid, 3)}
        if spec.has_codes:
            out["code_acc"] = infogan_code_accuracy(model, classifier, n, seed=1)["code_accuracy"]
        if model.infers_codes:  # label-free: what the restart rule of a coded model reads
            out.update(model.code_usage(data.load_split(True).unit_images(slice(2 * n))))
        return out

    return check


# ---------------------------------------------------------------- all metrics of a model
def evaluate(
    model,
    n: int = 10000,
    classifier=None,
    data_dir=None,
    nll_k: int = 500,
    nll_images: int | None = None,
    probe: bool = True,
    progress: bool = False,
    encoding_images: int = 2000,
) -> dict:
    """Every metric that applies to `model` (docs/design.md), as a JSON-able dict (probe=False skips the
    linear probes of the GANs' discriminator features, the slowest part; the GANs' encodings are
    checked on the first `encoding_images` test digits). progress: a bar over the measurements (they
    take up to minutes on a CPU)."""
    classifier = classifier or load_classifier()
    model.eval()
    spec = model.latent
    steps = ["samples", "Fréchet distance", "Fréchet floor", "classes"]
    steps += ["test NLL"] * model.has_likelihood + ["code accuracy"] * model.infers_codes
    steps += ["encodings"] * bool(model.inverts_generator and encoding_images)
    steps += ["linear probes"] * (probe and model.has_discriminator)
    bar = tqdm(total=len(steps), desc=f"measuring {model.name}", leave=False, disable=not progress)

    def step(what: str):
        bar.set_postfix_str(what)

    out: dict = {"n_samples": n, "classifier_test_accuracy": getattr(classifier, "test_accuracy", None)}
    labels = torch.arange(10).repeat_interleave(n // 10) if spec.n_classes else None
    with bar:
        step(f"drawing {n:,} samples")
        x = draw(model, n if labels is None else len(labels), labels=labels)
        pred = classifier.predict(x)
        bar.update()
        step("Fréchet distance")
        out["fid"] = round(frechet_distance(_batched(classifier.features, x), _test_features(classifier, data_dir)), 3)
        bar.update()
        step("Fréchet floor")
        out["fid_floor_train_vs_test"] = round(fid_floor(classifier, n, data_dir), 3)
        bar.update()
        if spec.n_classes:
            out["conditional_accuracy"] = round(float((pred == labels).float().mean()), 4)
        else:
            out.update(class_coverage(pred))
        bar.update()
        if model.has_likelihood:
            step(f"test NLL, k = {nll_k}")
            out.update(test_nll(model, k=nll_k, n=nll_images, data_dir=data_dir))
            bar.update()
        if model.infers_codes:
            step("code accuracy")
            out.update(infogan_code_accuracy(model, classifier, n))
            bar.update()
        if model.inverts_generator and encoding_images:
            step("encodings")
            out.update(encoding_quality(model, classifier, min(encoding_images, n), data_dir))
            bar.update()
        if probe and model.has_discriminator:
            step("linear probes")
            t0 = time.time()
            probes = probe_table(model, data_dir=data_dir)
            out["probe"] = {str(k): v for k, v in probes.items()}
            out["probe_seconds"] = round(time.time() - t0, 1)
            out["probe_100_per_class_d_features"] = probes[100]["d_features"]
            bar.update()
    return out


COMPARE_SAMPLES = 10_000  # as many as the shipped models' metrics.json were measured on
COMPARE_ENCODINGS = 2_000  # test digits encoded and decoded, as for the shipped GANs


def compare(model, classifier=None, n: int | None = None, encoding_images: int | None = None) -> dict:
    """The numbers every model can be put side by side on (a model from an ONNX folder beside the shipped ones):
    `evaluate`'s sample metrics on n samples, and encode -> decode agreement on `encoding_images` test digits when
    the model has an encoder (defaults: COMPARE_SAMPLES and COMPARE_ENCODINGS, read at call time)."""
    n = n or COMPARE_SAMPLES
    encoding_images = COMPARE_ENCODINGS if encoding_images is None else encoding_images
    classifier = classifier or load_classifier()
    out = evaluate(model, n, classifier, probe=False, encoding_images=0)
    if model.has_encoder and encoding_images:
        out.update(encoding_quality(model, classifier, min(encoding_images, n)))
    return out


# ---------------------------------------------------------------- the README table
def table(root: Path | str) -> str:
    """A markdown table of the metrics.json and training times of every checkpoint under root."""
    cols = [(k, f"{BARS[k].label} ({BARS[k].op} {BARS[k].value:g})") for k in BARS] + [
        ("fid", "Fréchet dist."),
        ("fid_floor_train_vs_test", "floor"),
        ("probe_100_per_class_d_features", "D-feature probe, 100/class"),
    ]
    lines = ["| model | " + " | ".join(c[1] for c in cols) + " | train time | params |", "|---" * (len(cols) + 3) + "|"]
    for name in [*MODELS, *VARIANTS]:
        folder = Path(root) / name
        try:
            m = checkpoint.read_metrics(folder) if (folder / checkpoint.METRICS).is_file() else None
        except checkpoint.CheckpointError:
            lines.append(f"| {name} | " + " | ".join(f"unreadable {checkpoint.METRICS}" for _ in cols) + " | | |")
            continue
        if m is None and name in VARIANTS:
            continue  # an optional extra
        if m is None:
            lines.append(f"| {name} | " + " | ".join("not trained" for _ in cols) + " | | |")
            continue
        cfg = checkpoint.read_extra(folder, checkpoint.CONFIG, {})
        cells = [f"{m[k]:.4g}" if isinstance(m.get(k), (int, float)) else "–" for k, _ in cols]
        # epochs (summed over resumed runs) + the inversion encoder; metrics time not included
        history = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
        secs = sum(h.get("seconds", 0) for h in history) + cfg.get("train", {}).get("inverter_seconds", 0)
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {len(history)} ep, {secs / 60:.1f} min | {cfg.get('n_params', 0):,} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- GAN features for classification
PROBE_COUNTS = (10, 100, 1000)


def probe_indices(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """per_class indices of each digit, drawn with one seed: the sets are nested
    (the 10 are among the 100)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in range(10):
        pool = torch.nonzero(labels == c).flatten()
        if len(pool) < per_class:
            raise ValueError(f"only {len(pool)} training images of digit {c}; cannot take {per_class} per class")
        out.append(pool[torch.randperm(len(pool), generator=g)[:per_class]])
    return torch.cat(out)


def fit_probe(
    ftr: torch.Tensor, ytr: torch.Tensor, fte: torch.Tensor, yte: torch.Tensor, seed: int = 0, epochs: int = 300
) -> float:
    """Test accuracy of a logistic regression fitted on standardised features ."""
    mu, sd = ftr.mean(0), ftr.std(0) + 1e-6
    ftr, fte = (ftr - mu) / sd, (fte - mu) / sd
    with torch.random.fork_rng(devices=[]):  # a seeded init that leaves the caller's global RNG as it was
        torch.manual_seed(seed)
        lin = torch.nn.Linear(ftr.shape[1], 10)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(epochs):
        opt.zero_grad()
        F.cross_entropy(lin(ftr), ytr).backward()
        opt.step()
    with torch.no_grad():
        return float((lin(fte).argmax(1) == yte).float().mean())


def untrained_twin(model, seed: int = 0):
    """A freshly initialised model of the same architecture and configuration (eval mode): what the
    architecture alone gives, before any training."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        twin = type(model)(copy.deepcopy(model.config))
    return twin.eval()


PROBE_SPACES = ("d_features", "d_untrained", "pixels")


def probe_table(
    model, counts=PROBE_COUNTS, seed: int = 0, data_dir=None, epochs: int = 300, spaces=PROBE_SPACES
) -> dict:
    """{count: {"d_features": acc, "d_untrained": acc, "pixels": acc}}: a linear probe with `count` labels per
    class on the discriminator's features, against the same probe on an untrained discriminator of the same
    architecture and on raw pixels (the lecture's "GAN features can directly be used for classification":
    only the gain over the untrained D is learned). Features are computed once for the largest count;
    `spaces` picks which of the three to fit."""
    if not model.has_discriminator:
        raise ValueError(f"{model.name} has no discriminator features to probe")
    model.eval()
    train, test = data.load_split(True, data_dir), data.load_split(False, data_dir)
    idx = probe_indices(train.labels, max(counts), seed)
    x_tr, x_te = train.unit_images(idx), test.unit_images()
    if not spaces or set(spaces) - set(PROBE_SPACES):
        raise ValueError(f"spaces must be among {PROBE_SPACES}; got {spaces}")
    nets = {"d_features": model, "d_untrained": untrained_twin(model, seed) if "d_untrained" in spaces else None}
    spaces = {
        s: (_batched(nets[s].features, x_tr), _batched(nets[s].features, x_te))
        if s in nets
        else (x_tr.flatten(1), x_te.flatten(1))
        for s in spaces
    }
    table = {}
    for n in sorted(counts):
        # the first n of each class's draw: the same images probe_indices(…, n, seed) gives
        pick = torch.cat([torch.arange(c * max(counts), c * max(counts) + n) for c in range(10)])
        table[n] = {
            space: round(fit_probe(ftr[pick], train.labels[idx][pick], fte, test.labels, seed, epochs), 4)
            for space, (ftr, fte) in spaces.items()
        }
    return table


def cache_probe(folder: Path | str, table: dict, seconds: float | None = None) -> dict:
    """Store a probe table in the checkpoint's metrics.json under "probe" (JSON keys are strings)."""
    from .fileio import write_json

    folder = Path(folder)
    m = checkpoint.read_extra(folder, checkpoint.METRICS, {})
    m["probe"] = {str(k): v for k, v in table.items()}
    if seconds is not None:
        m["probe_seconds"] = round(seconds, 1)
    write_json(folder / checkpoint.METRICS, m)
    return m


def read_probe(metrics_json: dict | None) -> dict | None:
    """The cached probe table of a metrics.json dict, keys back to ints, sorted; None when absent."""
    raw = (metrics_json or {}).get("probe")
    if not isinstance(raw, dict):
        return None
    return {int(k): v for k, v in sorted(raw.items(), key=lambda kv: int(kv[0]))}


def probe_report(root: Path | str) -> str:
    """A markdown table of the cached probe tables (D features vs raw pixels) under root."""
    lines = [
        "| model | " + " | ".join(f"{n}/class: D features vs untrained D vs pixels" for n in PROBE_COUNTS) + " |",
        "|---" * (len(PROBE_COUNTS) + 1) + "|",
    ]
    for name in [*MODELS, *VARIANTS]:
        try:
            probe = read_probe(checkpoint.read_metrics(Path(root) / name))
        except checkpoint.CheckpointError:
            continue  # the metrics table above marks it unreadable
        if probe:
            cells = [
                " vs ".join(f"{probe[n][k]:.3f}" for k in PROBE_SPACES if k in probe[n]) if n in probe else "–"
                for n in PROBE_COUNTS
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
