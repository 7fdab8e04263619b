"""What a checkpoint folder recorded of its training, as the Models page shows it: the history's curves, the sample
grid of each epoch, the training time and machine, the classifier's summary, and the linear probe's recorded time."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import checkpoint
from ..metrics import BARS


@dataclass
class Panel:
    title: str
    series: dict[str, str]  # history key -> legend label
    reference: float | None = None  # a horizontal line (D's equilibrium ½)
    bars: dict[str, str] = field(default_factory=dict)  # history key -> BARS key drawn as a dotted line


PANELS = (
    Panel("Loss (−ELBO, nats per image)", {"loss": "train", "test_loss": "test"}),
    Panel("ELBO terms (nats per image)", {"recon": "reconstruction −log P(X|z)", "kl": "KL(Q(z|X) ‖ P(z))"}),
    Panel("Training objective, when it is not −ELBO (nats per image)", {"objective": "what training descended"}),
    Panel(
        "Losses",
        {"loss_d": "D loss", "loss_g": "G loss", "info": "information loss λ_cat·CE + λ_cont·NLL (can be < 0)"},
    ),
    # on the scale the model's d_output declares (a probability for the shipped GANs): ½ at equilibrium
    Panel("Discriminator outputs (mean)", {"d_real": "D(x)", "d_fake": "D(G(z))"}, reference=0.5),
    Panel(
        "Quality per epoch (1,000 samples)",
        {"cond_acc": "conditional accuracy", "min_class_share": "min class share", "code_acc": "code accuracy"},
        bars={"cond_acc": "conditional_accuracy", "min_class_share": "min_class_share", "code_acc": "code_accuracy"},
    ),
)


def read_history(folder: Path | str) -> list[dict]:
    """history.json rows (one per epoch), [] when the file is missing; a corrupt file raises
    CheckpointError with the path in its message."""
    rows = checkpoint.read_extra(folder, checkpoint.HISTORY, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise checkpoint.CheckpointError(f"{Path(folder) / checkpoint.HISTORY} is not a list of per-epoch rows")
    return rows


def curve_panels(history: list[dict]) -> list[dict]:
    """The PANELS that this history has data for: {"title", "epochs", "series": {label: values (None
    where an epoch lacks the key)}, "reference", "bars": {label: bar value}}."""
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(history)]
    out = []
    for p in PANELS:
        series = {
            label: [r.get(k) for r in history]
            for k, label in p.series.items()
            if any(isinstance(r.get(k), (int, float)) for r in history)
        }
        if series:
            bars = {p.series[k]: BARS[b].value for k, b in p.bars.items() if p.series[k] in series}
            out.append({"title": p.title, "epochs": epochs, "series": series, "reference": p.reference, "bars": bars})
    return out


_EPOCH_PNG = re.compile(r"epoch_(\d+)\.png$")


def sample_epochs(folder: Path | str) -> list[tuple[int, Path]]:
    """(epoch, path) of the per-epoch sample grids in folder/samples, by epoch; [] when none."""
    d = Path(folder) / "samples"
    found = (
        [(int(m.group(1)), p) for p in d.glob("epoch_*.png") if (m := _EPOCH_PNG.search(p.name))] if d.is_dir() else []
    )
    return sorted(found)


def upscaled_png(path: Path | str, scale: int = 2) -> bytes:
    """A sample grid PNG enlarged by nearest neighbour (pixels stay sharp in the browser)."""
    from PIL import Image

    img = Image.open(path)
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def training_summary(folder: Path | str, history: list[dict] | None = None) -> dict | None:
    """How the checkpoint was trained, from config.json "train" and history.json: the command (the
    last one, for a resumed run), epochs, training time summed over every run incl. the GANs'
    inversion encoder, and the trainer settings the objective mentions (k, saturating, λ)."""
    cfg = checkpoint.read_extra(folder, checkpoint.CONFIG)
    if not isinstance(cfg, dict):
        return None
    train = cfg.get("train") or {}
    history = read_history(folder) if history is None else history
    seconds = sum(float(r.get("seconds", 0)) for r in history) + float(train.get("inverter_seconds", 0))
    tc = train.get("config") or {}
    return {
        "command": train.get("command"),
        "epochs": len(history),
        "seconds": round(seconds, 1),
        "resumed": "--resume" in (train.get("command") or ""),
        "preset": train.get("preset"),
        "threads": train.get("threads"),
        "torch": train.get("torch"),
        "batch_size": tc.get("batch_size"),
        "lr": tc.get("lr"),
        "lr_d": tc.get("lr_d"),
        "k": tc.get("k"),
        "saturating": tc.get("saturating"),
        # InfoGAN's weights: in its Config since 0.3.0, in the trainer's settings before
        "lambda_cat": (cfg.get("config") or {}).get("lambda_cat", tc.get("lambda_cat")),
        "lambda_cont": (cfg.get("config") or {}).get("lambda_cont", tc.get("lambda_cont")),
        "n_params_stored": cfg.get("n_params"),
        "weights_dtype": cfg.get("weights_dtype"),
        "config": cfg.get("config"),
    }


def classifier_summary(folder: Path | str) -> dict | None:
    """The metrics classifier's test accuracy and errors (checkpoints/classifier), None when absent;
    CheckpointError (naming the file) when its metrics.json or config.json is corrupt."""
    if not (Path(folder) / checkpoint.METRICS).is_file():
        return None
    m = checkpoint.read_metrics(folder)
    cfg = checkpoint.read_extra(folder, checkpoint.CONFIG, {})
    if not isinstance(cfg, dict):
        raise checkpoint.CheckpointError(f"{Path(folder) / checkpoint.CONFIG} is not an object of settings")
    return {
        "test_accuracy": m.get("test_accuracy"),
        "test_errors": m.get("test_errors"),
        "epochs": ((cfg.get("train") or {}).get("config") or {}).get("epochs"),
    }


def recorded_probe_seconds(root: Path | str) -> dict[str, float]:
    """{checkpoint folder name: seconds} of every linear probe recorded under root (metrics.json
    "probe_seconds", written by `train.py --probe`), so a page quotes measured times, not a guess."""
    out = {}
    for folder in sorted(Path(root).iterdir()) if Path(root).is_dir() else ():
        try:
            m = checkpoint.read_extra(folder, checkpoint.METRICS, {})
        except checkpoint.CheckpointError:  # a corrupt metrics.json only loses its time
            continue
        seconds = m.get("probe_seconds") if isinstance(m, dict) else None
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            out[folder.name] = float(seconds)
    return out


def probe_time_note(recorded: dict[str, float], architecture: str, folders: dict[str, str]) -> str:
    """How long the recorded probes took: those of `architecture` (folders maps folder -> architecture) when
    any were recorded, else the range over all; an empty string when none were."""
    same = {f: s for f, s in recorded.items() if folders.get(f, f) == architecture}
    shown = same or recorded
    if not shown:
        return ""
    parts = ", ".join(f"{f} {s:,.0f} s" for f, s in sorted(shown.items(), key=lambda kv: kv[1]))
    scope = f"for the {architecture} architecture" if same else "of the shipped checkpoints"
    return f"recorded probe times {scope}: {parts}"
