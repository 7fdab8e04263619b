"""Randomness: evaluation draws from its own generators, so the training noise stream runs on from
epoch to epoch and depends on the seed; the evaluations stay reproducible."""

import torch

from genlib import data, metrics
from genlib.training import TRAINERS, TrainConfig
from helpers import tiny


def first_step_rng_states(seed, out, data_dir, epochs=3):
    """The global RNG state at the first training step of each epoch (the VAE's reparameterisation
    noise is drawn from it), and the trained model."""
    m = tiny("vae")
    trainer = TRAINERS["vae"](m, TrainConfig(epochs=epochs, batch_size=32, seed=seed), out, data_dir)
    real, states, seen = m.elbo_terms, [], {"epoch": None}

    def spy(x, labels=None, eps=None):
        if eps is None and seen["epoch"] != trainer.epoch:  # a training step (test_elbo passes its own eps)
            seen["epoch"] = trainer.epoch
            states.append(torch.get_rng_state())
        return real(x, labels, eps)

    m.elbo_terms = spy
    trainer.fit()
    return states, m


def test_each_epoch_draws_new_noise(tmp_path, tiny_mnist):
    states, _ = first_step_rng_states(0, tmp_path, tiny_mnist)
    assert len(states) == 3
    assert not torch.equal(states[0], states[1]) and not torch.equal(states[1], states[2])
    assert not torch.equal(states[0], states[2])


def test_the_noise_and_the_weights_depend_on_the_seed(tmp_path, tiny_mnist):
    a_states, a = first_step_rng_states(0, tmp_path / "a", tiny_mnist, epochs=2)
    b_states, b = first_step_rng_states(1, tmp_path / "b", tiny_mnist, epochs=2)
    assert not torch.equal(a_states[1], b_states[1])  # epoch 2 as well as epoch 1
    assert any(not torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


def test_evaluations_leave_the_global_generator_alone_and_repeat(tmp_path, tiny_mnist):
    m = tiny("vae")
    trainer = TRAINERS["vae"](m, TrainConfig(epochs=1, batch_size=32), tmp_path, tiny_mnist)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = trainer.test_elbo()
    nll = metrics.test_nll(m, k=4, n=16, data_dir=tiny_mnist)
    split = data.load_split(True, tiny_mnist)
    f, y = split.unit_images(slice(100)).flatten(1), split.labels[:100]
    acc = metrics.fit_probe(f, y, f, y, epochs=3)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(999)  # another global state: the same numbers
    assert trainer.test_elbo() == first
    assert metrics.test_nll(m, k=4, n=16, data_dir=tiny_mnist) == nll
    assert metrics.fit_probe(f, y, f, y, epochs=3) == acc
