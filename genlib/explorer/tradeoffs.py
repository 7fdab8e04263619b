"""The lecture's list of what a GAN gains and pays (after Goodfellow et al. 2014), each item tied to the page of
this app that shows it, and the one cost the list turns on measured on the models themselves: a GAN's sample is a
single pass of G (no Markov chain, no inference), while a likelihood needs a model with an encoder and K decoder
passes per digit, and a GAN has none to give. No Streamlit here."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from . import likelihood

# (what the lecture says, gain or cost, the page that shows it, what that page shows)
ITEMS = (
    ("No Markov chain is needed", "gain", "Mode collapse", "a sample is one pass of G: measured below"),
    ("No inference is needed", "gain", "ELBO and likelihood", "a likelihood needs Q(z|X) and K decodes"),
    ("Only backpropagation is used", "gain", "Lecture toys", "both players step by gradients; ∇ₓD drawn"),
    ("G may be any differentiable function", "gain", "Models", "an MLP (GAN) and convolutions (DCGAN, CGAN, InfoGAN)"),
    ("No explicit density P(X)", "cost", "ELBO and likelihood", "the page needs a VAE; it has no number for a GAN"),
    ("D must be kept in step with G", "cost", "Lecture toys", "the k control and the learning rates of the toy GAN"),
    ("Mode collapse", "cost", "Mode collapse", "class shares of samples, a deliberately collapsed DCGAN"),
)


@dataclass(frozen=True)
class Costs:
    n: int  # samples drawn in one call
    sample_ms: float  # median wall time of that call
    g_passes: int  # forward passes of the generator it took
    k: int  # importance samples of the likelihood estimate
    likelihood_ms: float  # median wall time of one digit's estimate
    decoded: int  # images the decoder produced for it: k, and the one prior draw the estimate also makes

    @property
    def per_sample_ms(self) -> float:
        return self.sample_ms / self.n


def _counting(module: torch.nn.Module, counter: list) -> torch.utils.hooks.RemovableHandle:
    return module.register_forward_hook(lambda _m, _i, out: counter.append(len(out)))


def measure(gan, vae, image: torch.Tensor, n: int = 1000, k: int = 1000, reps: int = 3) -> Costs:
    """Times `n` samples of `gan` (one call) and `vae`'s IWAE(k) estimate of log P(X) for one image, counting the
    generator's passes and the images the VAE's decoder made (median of `reps` runs, after one untimed run)."""
    passes, decoded = [], []
    g = torch.Generator().manual_seed(0)
    hook = _counting(gan.generator, passes)
    try:
        with torch.no_grad():
            sample_ms = _median_ms(lambda: gan.sample(n, generator=g), reps)
    finally:
        hook.remove()
    hook = _counting(vae.decoder, decoded)
    try:
        with torch.no_grad():
            lik_ms = _median_ms(lambda: likelihood.likelihood(vae, image, ks=(k,), pool=k, prior_n=1), reps)
    finally:
        hook.remove()
    runs = reps + 1
    return Costs(n, sample_ms, len(passes) // runs, k, lik_ms, sum(decoded) // runs)


def _median_ms(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
