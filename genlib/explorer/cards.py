"""Model cards for the Models page: what each model is (text and objective from the lecture), the
quality bars it is held to, and readers that turn a checkpoint folder into what the page
shows: architecture and parameter counts, training curves, per-epoch sample grids, training time.
Data and plain functions only (no Streamlit): the page lays them out."""

from __future__ import annotations

import copy
import inspect
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import checkpoint
from ..metrics import BAR_VALUES, BARS  # noqa: F401  (re-exported: the pages read bars with the cards)
from ..models import ARCHITECTURES, architecture_of


# ---------------------------------------------------------------- what each model is
@dataclass(frozen=True)
class Card:
    title: str
    paper: str
    what: str  # a paragraph of markdown
    objective: tuple[tuple[str, str], ...]  # (caption, LaTeX) pairs, in the lecture's notation
    notes: tuple[str, ...] = ()  # how this implementation realises it


_V = r"V(D,G) = \mathbb{E}_{x\sim p_{\mathrm{data}}(x)}\left[\log D(x)\right] + \mathbb{E}_{z\sim p_z(z)}\left[\log\left(1 - D(G(z))\right)\right]"
_GAN_LOOP = (
    (
        "The k-step loop: k times, update D by ascending",
        r"\nabla_{\theta_d}\,\frac{1}{m}\sum_{i=1}^{m}\left[\log D\left(x^{(i)}\right) + \log\left(1 - D\left(G\left(z^{(i)}\right)\right)\right)\right]",
    ),
    (
        "then update G by descending (the lecture's minimax step; its gradient vanishes while D rejects the fakes)",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m}\log\left(1 - D\left(G\left(z^{(i)}\right)\right)\right)",
    ),
    (
        "Generator step as trained here: descend the non-saturating loss (G maximises log D(G(z)) rather than "
        "minimising the lecture's log(1 − D(G(z))); same fixed point, strong gradients while D still wins)",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m} -\log D\left(G\left(z^{(i)}\right)\right)",
    ),
    (
        "For a fixed G the optimal discriminator is",
        r"D^*_G(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}",
    ),
)
_CGAN_LOOP = (
    (
        "Discriminator step: ascend, with each real digit's own label y and the label the fake was drawn for",
        r"\nabla_{\theta_d}\,\frac{1}{m}\sum_{i=1}^{m}\left[\log D\left(x^{(i)}\mid y^{(i)}\right) + "
        r"\log\left(1 - D\left(G\left(z^{(i)}\mid y'^{(i)}\right)\mid y'^{(i)}\right)\right)\right]",
    ),
    (
        "Generator step as trained here (non-saturating): descend",
        r"\nabla_{\theta_g}\,\frac{1}{m}\sum_{i=1}^{m} -\log D\left(G\left(z^{(i)}\mid y'^{(i)}\right)\mid y'^{(i)}\right)",
    ),
)
_ELBO = (
    r"\log P(X) - \mathcal{D}\left[Q(z\mid X)\,\|\,P(z\mid X)\right] = "
    r"\mathbb{E}_{z\sim Q}\left[\log P(X\mid z)\right] - \mathcal{D}\left[Q(z\mid X)\,\|\,P(z)\right]"
)
_KL = (
    r"\mathcal{D}\left[\mathcal{N}(\mu(X),\Sigma(X))\,\|\,\mathcal{N}(0,I)\right] = "
    r"\tfrac{1}{2}\left(\operatorname{tr}\Sigma(X) + \mu(X)^{\top}\mu(X) - k - \log\det\Sigma(X)\right)"
)
_REPARAM = r"z = \mu(X) + \Sigma^{1/2}(X)\,\epsilon,\qquad \epsilon\sim\mathcal{N}(0, I)"
_IWAE = r"\log P(X) \approx \log \frac{1}{K}\sum_{k=1}^{K} \frac{P(X\mid z_k)\,P(z_k)}{Q(z_k\mid X)},\qquad z_k\sim Q(z\mid X)"

CARDS: dict[str, Card] = {
    "vae": Card(
        title="Variational autoencoder (VAE)",
        paper="Kingma & Welling, Auto-Encoding Variational Bayes (2014); Doersch, Tutorial on VAEs (2016)",
        what=(
            "A decoder P(X|z) turns a latent z ~ N(0, I) into a digit. Sampling z from the prior rarely gives a z "
            "that explains a particular X, so an encoder Q(z|X) proposes plausible z for each image. Training "
            "maximises the evidence lower bound (ELBO): reconstruct X from z ~ Q(z|X), while keeping Q(z|X) close to "
            "the prior in KL divergence. With a Gaussian Q the KL term has a closed form, and the "
            "reparameterisation trick moves the sampling noise outside the network so the whole model "
            "trains end to end by backpropagation. At test time the encoder is dropped: sample z ~ N(0, I) and "
            "decode; the encoder returns to estimate the likelihood of a test digit by importance sampling."
        ),
        objective=(
            ("The ELBO (maximised): log-likelihood minus the encoder's error", _ELBO),
            ("KL between the Gaussian posterior and the N(0, I) prior, in closed form", _KL),
            ("Reparameterisation trick: backpropagate through z", _REPARAM),
            ("Test NLL: importance-weighted estimate (K = 500 here)", _IWAE),
        ),
        notes=(
            (
                "Q(z|X) and P(X|z) are MLPs; P(X|z) is a Bernoulli over the 784 pixels (binary cross-entropy "
                "is −log P(X|z)), trained on dynamically binarised digits."
            ),
            (
                "The curves below show both ELBO terms: the reconstruction falls while the KL rises as the "
                "latent dimensions start to carry information."
            ),
        ),
    ),
    "cvae": Card(
        title="Conditional VAE (CVAE)",
        paper="Sohn, Lee & Yan, Learning Structured Output Representation using Deep Conditional Generative Models (2015)",
        what=(
            "The VAE with the digit label y given to both the encoder Q(z|X, y) and the decoder P(X|z, y). The "
            "label carries the class, so z is free to hold only style: slant, thickness, width. To draw a "
            "chosen digit, fix y and sample z ~ N(0, I); the same z decoded under every y gives the same style "
            "across digits."
        ),
        objective=(
            (
                "The conditioned ELBO (maximised)",
                (
                    r"\log P(X\mid y) \geq \mathbb{E}_{z\sim Q(z\mid X,y)}\left[\log P(X\mid z,y)\right] - "
                    r"\mathcal{D}\left[Q(z\mid X,y)\,\|\,P(z)\right]"
                ),
            ),
            ("Same closed-form KL and reparameterisation as the VAE", _REPARAM),
            ("Sampling a chosen digit y", r"z\sim\mathcal{N}(0,I),\qquad x\sim P(X\mid z, y)"),
        ),
        notes=(
            ("The one-hot label joins the encoder's input and every decoder layer, so the decoder cannot ignore it."),
            (
                "z has only 8 dimensions (the VAE's 32): with the class given, z holds style alone, and a small z "
                "leaves fewer regions of N(0, I) that no training digit's posterior covers — samples drawn from "
                "such regions were the ones the classifier got wrong."
            ),
        ),
    ),
    "gan": Card(
        title="Generative adversarial network (GAN)",
        paper="Goodfellow et al., Generative Adversarial Nets (NeurIPS 2014)",
        what=(
            "Two networks play a game. The generator G turns noise z into an image; the discriminator D "
            "outputs the probability that an image is real. D is trained to tell real digits from G's, G to "
            "fool D. No likelihood and no encoder are needed: at the game's optimum the distribution of G(z) "
            "equals the data's and D(x) = ½ everywhere. The lecture's loop lets D catch up with k steps before "
            "each generator step, so that D stays near its optimum for the current G. Both networks here are "
            "multilayer perceptrons, as in the original paper."
        ),
        objective=(("The minimax game", r"\min_G\max_D\; " + _V), *_GAN_LOOP),
        notes=(
            (
                "Every GAN shipped here trains with k = 1, one D step per G step (Goodfellow et al. also used "
                "k = 1 in their experiments); D and G are kept in step by their learning rates instead, the "
                "values used are under Training below."
            ),
            (
                "D's real/fake probabilities D(x) and D(G(z)) are plotted per epoch below: a healthy game keeps "
                "both away from 1 and 0."
            ),
            "GANs have no encoder; for the latent map an inversion encoder is fitted on (G(z), z) pairs after training.",
        ),
    ),
    "dcgan": Card(
        title="Deep convolutional GAN (DCGAN)",
        paper="Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional GANs (ICLR 2016)",
        what=(
            "The same game as the GAN, with convolutional networks built by the lecture's rules, which made "
            "GAN training stable enough to produce good images: no pooling — strided convolutions in D and "
            "fractionally strided (transposed) convolutions in G; no hidden fully connected layers; batch "
            "normalisation in every layer except D's input layer and G's output layer; ReLU in G and LeakyReLU in D, except the last layers; tanh on G's "
            "output. The discriminator's features turn out useful for classification (see the probe below)."
        ),
        objective=(
            ("The minimax game (unchanged from the GAN)", r"\min_G\max_D\; " + _V),
            *_GAN_LOOP[:1],
            _GAN_LOOP[2],
        ),
        notes=(
            (
                "G: z → linear projection to 7×7 maps → transposed conv to 14×14 → transposed conv to 28×28, tanh. "
                "D: conv 28→14 (LeakyReLU) → conv 14→7 (batch norm, LeakyReLU) → linear logit. The projection "
                "and the logit are the only linear layers, as in the paper."
            ),
            (
                "The shipped G is the running average of its weights over the training steps (decay 0.999), "
                "with batch-norm statistics re-estimated for it. Rather than letting D catch up (k = 1 here), D learns "
                "at a tenth of G's rate (1e-4 vs 1e-3). "
                "Both even out the digit classes: with D at 2e-4 and no average, G drew 17% zeros and 4% fours."
            ),
        ),
    ),
    "cgan": Card(
        title="Conditional GAN (CGAN)",
        paper="Mirza & Osindero, Conditional Generative Adversarial Nets (arXiv 2014)",
        what=(
            "The GAN with an extra variable y — here the digit label — given to both players: G(z|y) must "
            "draw the asked digit, and D(x|y) judges whether x is a real image of digit y. Each row of a "
            "CGAN sample grid is one label; the noise z then holds the style."
        ),
        objective=(
            (
                "The conditional minimax game",
                (
                    r"\min_G\max_D\; \mathbb{E}_{x\sim p_{\mathrm{data}}(x)}\left[\log D(x\mid y)\right] + "
                    r"\mathbb{E}_{z\sim p_z(z)}\left[\log\left(1 - D(G(z\mid y)\mid y)\right)\right]"
                ),
            ),
            *_CGAN_LOOP,
        ),
        notes=(
            (
                "G gets [z, onehot(y)]; D gets y as label maps beside its first convolution's features and as a "
                "projection term ⟨embed(y), h⟩ on its logit (Miyato & Koyama), which makes it check the label strictly."
            ),
        ),
    ),
    "infogan": Card(
        title="InfoGAN",
        paper="Chen et al., InfoGAN: Interpretable Representation Learning by Information Maximizing GANs (NeurIPS 2016)",
        what=(
            "A GAN whose input is split into noise z and a code c (here one 10-way categorical and two "
            "continuous codes in [−1, 1]). Without labels, InfoGAN asks that c stay readable from the image: it "
            "maximises the mutual information I(c; G(z, c)). That is intractable, so an auxiliary network Q(c|x), "
            "a head sharing D's body, gives a variational lower bound L_I. Trained this way the categorical "
            "code tends to pick the digit and the continuous codes style such as slant and width."
        ),
        objective=(
            (
                "The InfoGAN game: the GAN value minus λ times the mutual information",
                r"\min_G\max_D\; V_I(D,G) = V(D,G) - \lambda\, I\left(c;\, G(z,c)\right)",
            ),
            ("Mutual information", r"I\left(c;\, G(z,c)\right) = H(c) - H\left(c \mid G(z,c)\right)"),
            (
                "Variational lower bound with Q(c|x)",
                r"I\left(c;\, G(z,c)\right) \geq L_I(G,Q) = \mathbb{E}_{c\sim P(c),\, x\sim G(z,c)}\left[\log Q(c\mid x)\right] + H(c)",
            ),
            ("Overall", r"\min_{G,Q}\max_D\; V_{\mathrm{InfoGAN}}(D,G,Q) = V(D,G) - \lambda\, L_I(G,Q)"),
        ),
        notes=(
            (
                "With Q a softmax over the categorical code and a Gaussian per continuous code, −L_I = "
                "cross-entropy + Gaussian negative log-likelihood − H(c). The 'information loss' curve below is what "
                "training minimises: λ_cat · cross-entropy + λ_cont · Gaussian NLL without its constant ½ log 2π, "
                "that is −L_I + H(c) + a constant, with the two terms weighted differently (λ_cat, λ_cont under "
                "Training). It can go below zero: the continuous codes' NLL is a density, negative once Q's σ is small."
            ),
            (
                "Code accuracy: each categorical value is matched to a different digit, one-to-one, by the "
                "Hungarian algorithm on the code-versus-classifier confusion matrix (so two codes can never claim "
                "the same digit); the paper reports 5 % error."
            ),
        ),
    ),
}


def card_for(name: str) -> Card:
    """The model's card; a registered model without one gets a card made from its class docstring."""
    if name in CARDS:
        return CARDS[name]
    cls = ARCHITECTURES[architecture_of(name)]
    first, _, rest = (inspect.getdoc(cls) or cls.__name__).partition("\n")
    return Card(title=first.strip(), paper="", what=rest.strip() or first.strip(), objective=())


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


# ---------------------------------------------------------------- architecture
# what each top-level submodule is, by the attribute names the model files use
ROLES = {
    "encoder": "encoder",
    "mu": "encoder",
    "logvar": "encoder",
    "decoder": "decoder",
    "generator": "G",
    "body": "D",
    "head": "D",
    "embed": "D",
    "q": "Q",
    "inverter": "inverter",
}


def _shape(out) -> str:
    t = (
        out
        if torch.is_tensor(out)
        else next((o for o in out if torch.is_tensor(o)), None)
        if isinstance(out, (tuple, list))
        else None
    )
    return "×".join(str(d) for d in t.shape[1:]) if t is not None else "–"


def _layer(mod) -> str:
    """A leaf layer in a few characters: Linear 784→512, Conv 1→32 k4 s2, BN, LeakyReLU…"""
    from torch import nn

    if isinstance(mod, nn.Linear):
        return f"Linear {mod.in_features}→{mod.out_features}"
    if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
        kind = "ConvT" if isinstance(mod, nn.ConvTranspose2d) else "Conv"
        return f"{kind} {mod.in_channels}→{mod.out_channels} k{mod.kernel_size[0]} s{mod.stride[0]}"
    if isinstance(mod, nn.Embedding):
        return f"Embedding {mod.num_embeddings}×{mod.embedding_dim}"
    return {"BatchNorm1d": "BN", "BatchNorm2d": "BN"}.get(type(mod).__name__, type(mod).__name__)


def layers(module) -> str:
    """The leaf layers of a module in order, e.g. "Linear 784→512 · ReLU · Linear 512→256"."""
    leaves = [m for m in module.modules() if not any(True for _ in m.children())]
    return " · ".join(_layer(m) for m in leaves if type(m).__name__ != "Identity")


@torch.no_grad()
def architecture(model) -> list[dict]:
    """One row per top-level submodule: name, role (ROLES), type, output shape per image, its leaf
    layers, parameters.
    Shapes come from running a copy of the model on two inputs through every public path it has
    (decode, encode, and the discriminator where there is one)."""
    m = copy.deepcopy(model).eval()  # hooks go on a copy: the app's cached model is shared
    shapes: dict[str, str] = {}

    def hook(name):
        def record(mod, inp, out):  # returns None: a hook that returns a value replaces the output
            shapes.setdefault(name, _shape(out))

        return record

    for name, child in m.named_children():
        child.register_forward_hook(hook(name))
    spec, g = m.latent, torch.Generator().manual_seed(0)
    labels = torch.arange(2) % spec.n_classes if spec.n_classes else None
    x = m.decode(spec.sample_z(2, g), labels, spec.sample_codes(2, g))
    m.encode(x, labels)
    if m.has_discriminator:
        m.discriminate(x * 2 - 1, labels)
    return [
        {
            "part": name,
            "role": ROLES.get(name, name),
            "type": type(child).__name__,
            "output": shapes.get(name, "–"),
            "layers": layers(child),
            "params": sum(p.numel() for p in child.parameters()),
        }
        for name, child in m.named_children()
    ]


def params_by_role(rows: list[dict]) -> dict[str, int]:
    """Parameter counts summed per role (encoder/decoder, G/D/Q/inverter), in first-seen order."""
    out: dict[str, int] = {}
    for r in rows:
        out[r["role"]] = out.get(r["role"], 0) + r["params"]
    return out


# ---------------------------------------------------------------- training history and samples
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
