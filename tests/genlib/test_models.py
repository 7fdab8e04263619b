"""The public model API, parametrised over every model (tiny configs)."""

import pytest
import torch

import genlib
from genlib import checkpoint
from genlib.training import TRAINERS, TrainConfig
from helpers import ALL, inputs, tiny


def test_registry_holds_the_shipped_models():
    assert {"vae", "cvae", "gan", "dcgan", "cgan", "infogan"} <= set(genlib.MODELS)
    with pytest.raises(KeyError, match="choose one of"):
        genlib.build("wgan")


@pytest.mark.parametrize("name", ALL)
def test_decode_sample_encode_shapes_and_range(name):
    m = tiny(name).eval()
    z, labels, codes = inputs(m, 5)
    x = m.decode(z, labels, codes)
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    s = m.sample(3)
    assert s.shape == (3, 1, 28, 28)
    e = m.encode(x, labels)
    assert e.shape == (5, m.latent.z_dim) and torch.isfinite(e).all()


@pytest.mark.parametrize("name", ALL)
def test_latent_spec_matches_decode(name):
    m = tiny(name).eval()
    spec = m.latent
    z, labels, codes = inputs(m, 2)
    with pytest.raises(ValueError, match="expected"):
        m.decode(torch.zeros(2, spec.z_dim + 1), labels, codes)
    with pytest.raises(ValueError, match="NaN"):
        m.decode(torch.full((2, spec.z_dim), float("nan")), labels, codes)
    if spec.n_classes:
        with pytest.raises(ValueError, match="labels"):
            m.decode(z, None, codes)
        with pytest.raises(ValueError, match="0..9"):
            m.decode(z, torch.tensor([3, 10]), codes)
    if spec.has_codes:
        assert spec.categorical == (10,) and [c.name for c in spec.continuous] == ["c1", "c2"]
        with pytest.raises(ValueError, match="codes"):
            m.decode(z, labels, None)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_samples(name):
    m = tiny(name).eval()
    a = m.sample(4, generator=torch.Generator().manual_seed(3))
    b = m.sample(4, generator=torch.Generator().manual_seed(3))
    c = m.sample(4, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("name", [n for n in ALL if n in ("cvae", "cgan", "infogan")])
def test_conditioning_changes_output(name):
    m = tiny(name).eval()
    z, labels, codes = inputs(m, 1)
    if m.latent.n_classes:
        assert not torch.equal(m.decode(z, torch.tensor([1])), m.decode(z, torch.tensor([7])))
    else:
        other = {"categorical": (codes["categorical"] + 1) % 10, "continuous": codes["continuous"]}
        assert not torch.equal(m.decode(z, None, codes), m.decode(z, None, other))
        moved = {"categorical": codes["categorical"], "continuous": codes["continuous"] + 0.5}
        assert not torch.equal(m.decode(z, None, codes), m.decode(z, None, moved))


@pytest.mark.parametrize("name", ALL)
def test_save_load_roundtrip_identical(name, tmp_path):
    m = tiny(name).eval()
    checkpoint.save(m, tmp_path / name, metrics={"x": 1}, history=[{"epoch": 1}])
    m2 = genlib.load(name, tmp_path / name)
    assert not m2.training
    for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    z, labels, codes = inputs(m, 3)
    assert torch.equal(m.decode(z, labels, codes), m2.decode(z, labels, codes))


@pytest.mark.parametrize("name", ALL)
def test_one_training_step_changes_weights(name, tmp_path, tiny_mnist):
    m = tiny(name)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    cfg = TrainConfig(epochs=1, batch_size=16, inverter_steps=0)
    trainer = TRAINERS[name](m, cfg, tmp_path, data_dir=tiny_mnist)
    from tqdm import tqdm

    from genlib import data

    trainer.cfg.batch_size = 16
    split = data.load_split(True, tiny_mnist)
    split = data.Split(split.images[:16], split.labels[:16])  # exactly one step
    with tqdm(disable=True) as bar:
        trainer.train_epoch(split, bar)
    changed = [k for k, v in m.state_dict().items() if "inverter" not in k and not torch.equal(v, before[k])]
    assert any(k.startswith(("decoder", "generator")) for k in changed)
    assert any(k.startswith(("encoder", "body", "head")) for k in changed)


def test_gan_encode_refinement_lowers_reconstruction_error():
    m = tiny("dcgan").eval()
    z, _, _ = inputs(m, 4)
    x = m.decode(z)
    err0 = ((m.decode(m.encode(x)) - x) ** 2).sum()
    err1 = ((m.decode(m.encode(x, refine_steps=30)) - x) ** 2).sum()
    assert err1 < err0


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan", "infogan"])
def test_gan_encodings_lie_on_the_prior_shell(name):
    """Raw, refined, and unrefined-for-want-of-a-label encodings all have norm √d (the prior's shell)."""
    m = tiny(name).eval()
    z, labels, codes = inputs(m, 6)
    x = m.decode(z, labels, codes) * 0.2  # faint images: an unconstrained inverter maps these near the origin
    d = m.latent.z_dim
    for e in (m.encode(x, labels, refine_steps=0), m.encode(x, labels), m.encode(x, labels, refine_steps=4)):
        assert torch.allclose(e.norm(dim=1), torch.full((6,), d**0.5), atol=1e-4)
    if labels is not None:
        assert torch.allclose(m.encode(x).norm(dim=1), torch.full((6,), d**0.5), atol=1e-4)


def test_to_shell_keeps_direction():
    from genlib.latent import to_shell

    z = torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.1, 0.0]])
    out = to_shell(z)
    assert torch.allclose(out, torch.tensor([[1.2, 1.6, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]]))


def test_dcgan_deep_discriminator_sees_4x4_features_and_trains(tmp_path, tiny_mnist):
    m = genlib.build("dcgan", z_dim=8, width=4, d_width=6, d_deep=True)
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert m.body(x).shape == (3, 4 * 6 * 16) and m.discriminate(x)["logits"].shape == (3,)
    TRAINERS["dcgan"](m, TrainConfig(epochs=1, batch_size=32, inverter_steps=2), tmp_path, tiny_mnist).fit()
    assert torch.isfinite(m.sample(2)).all()


def test_infogan_codes_for_picks_the_category_that_reconstructs_best():
    m = tiny("infogan").eval()
    z, _, codes = inputs(m, 5)
    x = m.decode(z, None, codes)
    one, two = m.codes_for(x, candidates=1), m.codes_for(x, candidates=2)
    q = m.infer_codes(x)["categorical"].topk(2, dim=1).indices
    assert torch.equal(one["categorical"], q[:, 0])
    assert ((two["categorical"] == q[:, 0]) | (two["categorical"] == q[:, 1])).all()
    zi = m.inverter(x * 2 - 1)

    def err(c):
        return (m.decode(zi, None, {"categorical": c, "continuous": one["continuous"]}) - x).pow(2).flatten(1).sum(1)

    assert (err(two["categorical"]) <= err(one["categorical"]) + 1e-6).all()


def test_dcgan_discriminator_options_build_what_they_name(tmp_path, tiny_mnist):
    """d_fc: one hidden layer of that width on top of the convolutions; d_spectral: every layer of D spectrally
    normalised and no batch norm in it. Both train."""
    from torch.nn.utils import parametrize

    fc = genlib.build("dcgan", z_dim=8, width=4, d_fc=16)
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert fc.body(x).shape == (3, 16) and [type(m).__name__ for m in fc.body.fc][0] == "Linear"
    sn = genlib.build("dcgan", z_dim=8, width=4, d_fc=16, d_spectral=True)
    layers = [m for m in (*sn.body.modules(), sn.head) if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 4 and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in sn.body.modules())
    for m in (fc, sn):
        TRAINERS["dcgan"](m, TrainConfig(epochs=1, batch_size=32, inverter_steps=2), tmp_path, tiny_mnist).fit()
        assert torch.isfinite(m.sample(2)).all()


def test_code_usage_reads_how_evenly_and_how_surely_q_assigns_codes(monkeypatch):
    """Label-free: p̂(c) = mean Q(c | x) and Î = H(p̂) − mean H(Q(c | x)); a sure, even Q gives log 10, a sure Q
    that uses one value for everything gives 0, an unsure one gives 0 too."""
    import math

    m = tiny("infogan").eval()
    x = torch.zeros(100, 1, 28, 28)

    def reads(q):
        monkeypatch.setattr(m, "infer_codes", lambda images: {"categorical": q[: len(images)]})
        return m.code_usage(x)

    even = reads(torch.eye(10).repeat(10, 1))
    assert even["code_usage_min"] == pytest.approx(0.1) and even["code_info"] == pytest.approx(math.log(10), abs=1e-3)
    one = reads(torch.eye(10)[[0] * 100])
    assert one["code_usage_min"] == 0 and one["code_info"] == pytest.approx(0, abs=1e-3)
    unsure = reads(torch.full((100, 10), 0.1))
    assert unsure["code_usage_min"] == pytest.approx(0.1) and unsure["code_info"] == pytest.approx(0, abs=1e-3)
    assert m.stalled(x) is not None and "code_info" in m.stalled(x)
    monkeypatch.setattr(m, "infer_codes", lambda images: {"categorical": torch.eye(10).repeat(10, 1)})
    assert m.stalled(x) is None


def test_infogan_infer_codes_shapes():
    m = tiny("infogan").eval()
    q = m.infer_codes(m.sample(6))
    assert q["categorical"].shape == (6, 10) and torch.allclose(q["categorical"].sum(1), torch.ones(6))
    assert q["continuous"].shape == (6, 2)


def test_vae_posterior_and_likelihood():
    m = tiny("vae").eval()
    x = torch.bernoulli(m.sample(3))
    mu, logvar = m.posterior(x)
    assert mu.shape == logvar.shape == (3, 4)
    assert m.decode_logits(mu).shape == (3, 784)
    ll = m.log_likelihood(x, k=50)
    elbo = -m.elbo_terms(x)["loss"]
    assert ll.shape == (3,) and (ll < 0).all()
    assert ll.mean() > elbo - 5  # the importance-weighted bound is at least about as tight as the ELBO


PROMISES = {  # a declared capability -> the methods it promises (docs/design.md, "Public API")
    "has_likelihood": ("log_likelihood", "elbo_terms"),
    "has_posterior": ("posterior", "kl_per_dim"),
    "has_discriminator": ("discriminate", "features"),
    "infers_codes": ("infer_codes",),
    "inverts_generator": ("codes_for",),
}
# what each trainer kind asks of a model (docs/design.md, "What a model declares")
PROTOCOLS = {
    "likelihood": ("elbo_terms", "objective"),
    "adversarial": (
        "generate",
        "discriminate",
        "generator_parameters",
        "discriminator_parameters",
        "d_loss",
        "g_loss",
        "extra_loss",
        "d_output",
        "codes_for",
    ),
}


@pytest.mark.parametrize("name", ALL)
def test_declared_capabilities_are_kept(name):
    """Pages and metrics trust the declarations instead of probing: each promise must hold, and a model
    that has the methods must say so (or a page would hide what it can do)."""
    cls = genlib.MODELS[name]
    from genlib.training import TRAINER_KINDS

    assert cls.trainer in TRAINER_KINDS
    for flag, methods in PROMISES.items():
        assert getattr(cls, flag) == all(callable(getattr(cls, m, None)) for m in methods), (name, flag)
    assert all(callable(getattr(cls, m, None)) for m in PROTOCOLS[cls.trainer]), name


@pytest.mark.parametrize("name", [n for n in ALL if genlib.MODELS[n].trainer == "adversarial"])
def test_the_adversarial_protocol_holds(name):
    """Each player owns its parameters, none twice; the inversion encoder belongs to neither (fitted after);
    the losses are scalars on D's raw outputs."""
    m = tiny(name).eval()
    g, d = {id(p) for p in m.generator_parameters()}, {id(p) for p in m.discriminator_parameters()}
    inv = {id(p) for p in m.inverter.parameters()}
    assert g and d and not g & d and not (g | d) & inv and g | d | inv == {id(p) for p in m.parameters()}
    z, labels, codes = inputs(m, 4)
    codes = codes if m.latent.has_codes else None
    real = m.discriminate(torch.rand(4, 1, 28, 28) * 2 - 1, labels)
    fake = m.discriminate(m.generate(z, labels, codes), labels)
    for loss in (m.d_loss(real, fake), m.g_loss(fake), m.g_loss(fake, saturating=True), m.extra_loss(fake, codes)):
        assert loss.shape == () and torch.isfinite(loss)
    assert m.d_output(real).shape == (4,)
