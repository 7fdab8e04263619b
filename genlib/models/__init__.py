"""The model registry: name -> class. The app and the trainers look models up here."""
from .cgan import CGAN
from .classifier import Classifier
from .cvae import CVAE
from .dcgan import DCGAN
from .gan import GAN
from .infogan import InfoGAN
from .vae import VAE

MODELS = {cls.name: cls for cls in (VAE, CVAE, GAN, DCGAN, CGAN, InfoGAN)}
# everything a checkpoint folder may hold
ARCHITECTURES = {**MODELS, Classifier.name: Classifier}
