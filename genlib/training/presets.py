"""Training presets: `full` reproduces the shipped checkpoints, `quick` gives recognisable digits in minutes
(about 5 minutes for the generative models on 2 cores: one or two epochs, small batches, narrower conv GANs,
short inverter fits). Each model declares its own recipes (`recipes`, and per variant in `variants`); a model
without one for a preset trains with its Config defaults. Measured outcomes: docs/results.md."""

from ..models import ARCHITECTURES, VARIANTS, architecture_of

PRESETS = ("full", "quick")
# what a model without a recipe gets: its defaults, and for `quick` a single short epoch
DEFAULTS = {"full": ({}, {}), "quick": ({}, dict(epochs=1, inverter_steps=40))}


def recipe(preset: str, name: str) -> tuple[dict, dict]:
    """(model Config overrides, TrainConfig overrides) of the model or variant folder `name` under `preset`."""
    if preset not in PRESETS:
        raise KeyError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    cls = ARCHITECTURES[architecture_of(name)]
    # the class's own declaration: a subclass (another Config, another model) does not inherit a tuned recipe
    recipes = vars(cls).get("variants", {})[name] if name in VARIANTS else vars(cls).get("recipes", {})
    return recipes.get(preset, DEFAULTS[preset])
