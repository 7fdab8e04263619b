"""The model registry: name -> class. The app, the trainers and train.py look models up here; adding a
model is one file in this folder and one entry in the tuple below, or, from another package, an entry point
in the group "genlib.models" (CONTRIBUTING.md)."""

import logging
from importlib.metadata import entry_points

from .base import GenerativeModel
from .cgan import CGAN
from .classifier import Classifier
from .cvae import CVAE
from .dcgan import DCGAN
from .gan import GAN
from .infogan import InfoGAN
from .vae import VAE

MODELS: dict[str, type[GenerativeModel]] = {}
# everything a checkpoint folder may hold: the generative models and the metrics classifier
ARCHITECTURES: dict[str, type] = {Classifier.name: Classifier}
VARIANTS: dict[str, str] = {}  # an extra shipped folder (a model's declared variant) -> its architecture's name


def register(cls: type[GenerativeModel]) -> type[GenerativeModel]:
    """Add a model class to the registry (usable as a class decorator); its `name` and variants must be new."""
    variants = vars(cls).get("variants", {})  # its own: a subclass does not inherit its base's extra folders
    for name in (cls.name, *variants):
        if not name or name in ARCHITECTURES or name in VARIANTS:
            raise ValueError(f"a model needs a unique `name`; {name!r} is empty or taken")
    MODELS[cls.name] = ARCHITECTURES[cls.name] = cls
    VARIANTS.update(dict.fromkeys(variants, cls.name))
    return cls


def unregister(name: str) -> None:
    """Remove a registered model and its variants (tests register temporary ones)."""
    MODELS.pop(name, None)
    ARCHITECTURES.pop(name, None)
    for folder in [f for f, arch in VARIANTS.items() if arch == name]:
        del VARIANTS[folder]


def architecture_of(folder: str) -> str:
    """The registered model a checkpoint folder holds: the folder's own name, or the model it is a variant of."""
    return VARIANTS.get(folder, folder)


for _cls in (VAE, CVAE, GAN, DCGAN, CGAN, InfoGAN):
    register(_cls)


PLUGIN_GROUP = "genlib.models"
# one line per plugin that could not join (the app's sidebar and train.py show them; the rest carry on)
PLUGIN_ERRORS: list[str] = []


def load_plugins() -> None:
    """Register the models other packages declare, e.g. in their pyproject.toml:
    [project.entry-points."genlib.models"] mymodel = "mypkg.models:MyModel". A plugin that fails to import,
    is not a GenerativeModel, or takes a name already registered is skipped with one line in PLUGIN_ERRORS."""
    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, GenerativeModel)):
                raise TypeError(f"{ep.value} is not a subclass of genlib.models.base.GenerativeModel")
            if cls.name != ep.name:
                raise ValueError(f"its entry point is named {ep.name!r} but the class's `name` is {cls.name!r}")
            if cls.Config is None:
                raise ValueError("the class declares no Config dataclass")
            register(cls)
        except Exception as e:  # a broken plugin must not take genlib (the app, train.py) down with it
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            PLUGIN_ERRORS.append(f"model plugin {ep.name!r} ({ep.value}) skipped: {type(e).__name__}: {why}")
            logging.getLogger(__name__).warning(PLUGIN_ERRORS[-1])


load_plugins()
