"""The model registry: name -> class. The app, the trainers and train.py look models up here; adding a
model is one file in this folder and one entry in the tuple below (CONTRIBUTING.md)."""

from .base import GenerativeModel
from .cgan import CGAN
from .classifier import Classifier
from .cvae import CVAE
from .dcgan import DCGAN
from .gan import GAN
from .infogan import InfoGAN
from .vae import VAE

MODELS: dict[str, type[GenerativeModel]] = {cls.name: cls for cls in (VAE, CVAE, GAN, DCGAN, CGAN, InfoGAN)}
# everything a checkpoint folder may hold: the generative models and the metrics classifier
ARCHITECTURES: dict[str, type] = {**MODELS, Classifier.name: Classifier}


def register(cls: type[GenerativeModel]) -> type[GenerativeModel]:
    """Add a model class to the registry (usable as a class decorator); its `name` must be new."""
    if not cls.name or cls.name in ARCHITECTURES:
        raise ValueError(f"a model needs a unique `name`; {cls.name!r} is empty or taken")
    MODELS[cls.name] = ARCHITECTURES[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a registered model (tests register temporary ones)."""
    MODELS.pop(name, None)
    ARCHITECTURES.pop(name, None)
