"""What the Models page shows of a model's declarations: its card (declared on its class, genlib.models.card) and
its metrics against the bars it is held to. Data and plain functions only (no Streamlit): the page lays them out."""

from __future__ import annotations

import inspect

from ..metrics import BAR_VALUES, BARS  # noqa: F401  (re-exported: the pages read bars with the cards)
from ..models import ARCHITECTURES, architecture_of
from ..models.card import Card


def card_for(name: str) -> Card:
    """The model's card (its class's own `card`); a registered model without one gets a card made from its
    class docstring (a subclass is another model: it does not show its base's card)."""
    cls = ARCHITECTURES[architecture_of(name)]
    if isinstance(vars(cls).get("card"), Card):
        return cls.card
    first, _, rest = (inspect.getdoc(cls) or cls.__name__).partition("\n")
    return Card(title=first.strip(), paper="", what=rest.strip() or first.strip(), objective=())


OUTPUTS = {"probability": "pixel probabilities in [0, 1]", "tanh": "tanh values in [−1, 1]", "logits": "logits"}


def folder_card(model) -> Card:
    """The card of a model from an ONNX folder: its title and what its model.json and graphs declare."""
    spec = model.latent
    given = [f"z ({spec.z_dim}-D, prior N(0, I))"]
    if spec.n_classes is not None:
        given.append(f"a label of {spec.n_classes}")
    if spec.has_codes:
        given.append(f"a categorical code of {spec.categorical[0]} and {len(spec.continuous)} continuous code(s)")
    encoder = (
        "Its encoder maps an image back to z, so the pages that encode test digits work too."
        if model.has_encoder
        else "It has no encoder: the pages that encode digits (the map, Draw, class means) say what they would need."
    )
    return Card(
        title=model.title,
        paper="",
        what=(
            f"A model trained outside latent-lab, opened from the ONNX folder {model.config.folder}. Its decoder "
            f"maps {' and '.join(given)} to a 28 × 28 image ({OUTPUTS[model.output]}), run by onnxruntime here "
            f"and in the browser. {encoder}"
        ),
        objective=(),
        notes=(f"{model.n_params():,} weights in its graphs; latent-lab has no record of how it was trained.",),
    )


# metrics shown without a bar (key -> label)
INFO_METRICS = {
    "fid": "Fréchet distance (classifier features)",
    "fid_floor_train_vs_test": "Fréchet floor: train vs test digits",
    "min_class_share": "Min class share",
    "class_entropy": "Class entropy (max ln 10 = 2.3026)",
    "conditional_accuracy": "Conditional accuracy",
    "test_nll": "Test NLL (nats)",
    "code_accuracy": "Code accuracy",
    "probe_100_per_class_d_features": "Linear probe on D features, 100 labels/class",
}


def metric_rows(metrics: dict, bars: tuple[str, ...]) -> list[dict]:
    """The model's bars first (status met / missed / not measured), then every other known metric
    present in metrics.json (status "—")."""
    rows = []
    for key in bars:
        bar, value = BARS[key], metrics.get(key)
        status = "not measured" if not isinstance(value, (int, float)) else ("met" if bar.met(value) else "missed")
        rows.append(
            {
                "metric": bar.label,
                "value": value,
                "bar": f"{bar.op.replace('>=', '≥').replace('<=', '≤')} {bar.value:g}",
                "status": status,
                "meaning": bar.meaning,
            }
        )
    for key, label in INFO_METRICS.items():
        if key not in bars and isinstance(metrics.get(key), (int, float)):
            rows.append({"metric": label, "value": metrics[key], "bar": "", "status": "—", "meaning": ""})
    return rows


# what every model can be compared on (metrics.compare), in the order the comparison table shows
COMPARED = {
    "fid": "Fréchet distance",
    "min_class_share": "rarest class share",
    "class_entropy": "class entropy",
    "conditional_accuracy": "conditional accuracy",
    "encoding_kept_class": "encode → decode keeps the digit",
}


def peers(own: dict, shipped: dict[str, dict]) -> dict[str, dict]:
    """Of the shipped models (name -> metrics.json), those measured by the same sample metric as `own`: the
    rarest digit's share for models that choose their digits, conditional accuracy for labelled ones."""
    key = next((k for k in ("min_class_share", "conditional_accuracy") if k in own), None)
    return {n: m for n, m in shipped.items() if key is not None and key in m}


def comparison_rows(measured: dict[str, dict]) -> list[dict]:
    """One row per model (name -> its metrics.json or metrics.compare), the COMPARED columns any of them has."""
    keys = [k for k in COMPARED if any(isinstance(m.get(k), (int, float)) for m in measured.values())]
    return [{"model": name, **{COMPARED[k]: m.get(k) for k in keys}} for name, m in measured.items()]
