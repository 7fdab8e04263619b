"""Models from elsewhere, as ONNX model folders (docs/design.md, "ONNX model folders"): a homework VAE's decoder
and encoder in plain PyTorch, exported with torch.onnx (no genlib class), and decoders built with the onnx helper
API alone (no torch). The library's tests and the app's open them."""

import json
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from genlib.models import onnx_folder

Z = 4


# ---------------------------------------------------------------- models from elsewhere
class Decoder(nn.Module):
    """A homework VAE's decoder in plain PyTorch: z (and a digit, when conditional) -> Bernoulli logits."""

    def __init__(self, z_dim=Z, n_classes=None, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes else None
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def forward(self, z, labels=None):
        if self.embed is not None:
            z = z + self.embed(labels)
        return self.net(z).view(-1, 1, 28, 28)


class Encoder(nn.Module):
    """Its encoder: images -> the posterior's mean and log-variance (two outputs; genlib reads 'z')."""

    def __init__(self, z_dim=Z, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * z_dim))

    def forward(self, x):
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


def torch_export(module, args, inputs, outputs, path, dynamic=True):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module.eval(),
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamo=False,
            opset_version=18,
            dynamic_axes={k: {0: "batch"} for k in inputs + outputs} if dynamic else None,
        )


def linear_graph(
    z_dim=Z,
    activation="Sigmoid",
    z_name="z",
    batch="N",
    out_name="image",
    image_shape=(1, 28, 28),
    declare_shape=True,
    weight=None,
    domain="",
    z_type=TensorProto.FLOAT,
):
    """A decoder written with the onnx helper API alone: reshape(activation(z @ W)), no torch involved."""
    w = np.random.default_rng(0).normal(0, 0.5, (z_dim, 784)).astype(np.float32) if weight is None else weight
    nodes = [helper.make_node("MatMul", [z_name, "w"], ["h"], domain=domain)]
    last = "h"
    if activation:
        nodes.append(helper.make_node(activation, ["h"], ["a"]))
        last = "a"
    nodes.append(helper.make_node("Reshape", [last, "shape"], [out_name]))
    out_dims = [batch, *image_shape] if declare_shape else [batch, "c", "h", "w"]  # the graph may claim anything
    graph = helper.make_graph(
        nodes,
        "decoder",
        [helper.make_tensor_value_info(z_name, z_type, [batch, z_dim])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_dims)],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array([-1, *image_shape]), "shape")],
    )
    opsets = [helper.make_opsetid("", 18)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def coded_graphs(z_dim=Z, n_cat=3, k=2):
    """A decoder of z, a category and continuous codes, and an encoder returning all three, by the helper API."""
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.3, (z_dim + 1 + k, 784)).astype(np.float32)
    dec = helper.make_graph(
        [
            helper.make_node("Cast", ["category"], ["cat_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["cat_f", "axis1"], ["cat_col"]),
            helper.make_node("Concat", ["z", "cat_col", "continuous"], ["zc"], axis=1),
            helper.make_node("MatMul", ["zc", "w"], ["h"]),
            helper.make_node("Reshape", ["h", "shape"], ["logits"]),
        ],
        "decoder",
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", z_dim]),
            helper.make_tensor_value_info("category", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("continuous", TensorProto.FLOAT, ["N", k]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1, 28, 28])],
        initializer=[
            numpy_helper.from_array(w, "w"),
            numpy_helper.from_array(np.array([-1, 1, 28, 28]), "shape"),
            numpy_helper.from_array(np.array([1]), "axis1"),
        ],
    )
    heads = {"wz": z_dim, "wc": n_cat, "wk": k}
    enc = helper.make_graph(
        [
            helper.make_node("Flatten", ["image"], ["flat"]),
            helper.make_node("MatMul", ["flat", "wz"], ["z"]),
            helper.make_node("MatMul", ["flat", "wc"], ["scores"]),
            helper.make_node("ArgMax", ["scores"], ["category"], axis=1, keepdims=0),
            helper.make_node("MatMul", ["flat", "wk"], ["continuous"]),
        ],
        "encoder",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", z_dim]),
            helper.make_tensor_value_info("category", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("continuous", TensorProto.FLOAT, ["N", k]),
        ],
        initializer=[
            numpy_helper.from_array(rng.normal(0, 0.1, (784, n)).astype(np.float32), name) for name, n in heads.items()
        ],
    )
    opsets = [helper.make_opsetid("", 18)]
    return helper.make_model(dec, opset_imports=opsets, ir_version=10), helper.make_model(
        enc, opset_imports=opsets, ir_version=10
    )


def manifest(**over):
    return {"title": "homework VAE", "z_dim": Z, "prior": "normal", "n_classes": None, "output": "logits", **over}


def write(folder, decoder=None, meta=None, encoder=None):
    """An ONNX model folder: each graph a ModelProto, raw bytes, or None (left out); meta the model.json."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, graph in ((onnx_folder.DECODER, decoder), (onnx_folder.ENCODER, encoder)):
        if isinstance(graph, bytes):
            (folder / name).write_bytes(graph)
        elif graph is not None:
            onnx.save_model(graph, str(folder / name))
    (folder / onnx_folder.MANIFEST).write_text(meta if isinstance(meta, str) else json.dumps(meta or manifest()))
    return folder


def trained_homework_vae(folder, z_dim: int = 8, steps: int = 400, seed: int = 0):
    """A homework VAE (the plain PyTorch Decoder and Encoder above, wider) trained for `steps` minibatches of
    MNIST (seconds on a CPU: its digits are blurry but recognisable), exported to `folder` with its model.json."""
    from genlib.data import load_split

    torch.manual_seed(seed)
    dec, enc = Decoder(z_dim, hidden=256), Encoder(z_dim, hidden=256)
    opt = torch.optim.Adam([*dec.parameters(), *enc.parameters()], lr=2e-3)
    x_all = load_split(True).unit_images(slice(0, 20000))
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = x_all[torch.randint(len(x_all), (128,), generator=g)]
        mu, logvar = enc(x)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
        rec = nn.functional.binary_cross_entropy_with_logits(dec(z), x, reduction="sum")
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
        opt.zero_grad()
        ((rec + kl) / len(x)).backward()
        opt.step()
    folder.mkdir(parents=True, exist_ok=True)
    torch_export(dec, (torch.randn(2, z_dim),), ["z"], ["logits"], folder / onnx_folder.DECODER)
    torch_export(enc, (torch.rand(2, 1, 28, 28),), ["image"], ["z", "logvar"], folder / onnx_folder.ENCODER)
    return write(folder, meta=manifest(title="homework VAE (trained in the test)", z_dim=z_dim))


# ---------------------------------------------------------------- folders that must be refused
def nan_weights():
    w = np.zeros((Z, 784), np.float32)
    w[0, 0] = np.nan
    return w


def external_data(folder):
    graph = linear_graph()
    folder.mkdir(parents=True)
    onnx.save_model(graph, str(folder / onnx_folder.DECODER), save_as_external_data=True, size_threshold=0)
    return write(folder, meta=manifest(output="probability"))


def fixed_batch_from_torch(folder):
    folder.mkdir(parents=True)
    torch_export(Decoder(), (torch.randn(2, Z),), ["z"], ["logits"], folder / onnx_folder.DECODER, dynamic=False)
    return write(folder)


def encoder_of_the_wrong_size(folder):
    folder.mkdir(parents=True)
    torch_export(Encoder(z_dim=Z + 1), (torch.rand(2, 1, 28, 28),), ["image"], ["z", "logvar"], folder / "encoder.onnx")
    return write(folder, linear_graph(), manifest(output="probability"))


def encoder_named(folder, inputs):
    folder.mkdir(parents=True)
    torch_export(Encoder(), (torch.rand(2, 1, 28, 28),), inputs, ["z", "logvar"], folder / onnx_folder.ENCODER)
    return write(folder, linear_graph(), manifest(output="probability"))


PROB = manifest(output="probability")
WIDTH = {"name": "width", "low": -1, "high": 1}
BAD = {  # what is wrong -> (how to make the folder, what the message says)
    "not ONNX": (lambda f: write(f, b"GIF89a, not a graph", PROB), "is not an ONNX file"),
    "an empty file": (lambda f: write(f, b"", PROB), "is not an ONNX file"),
    "wrong input name": (lambda f: write(f, linear_graph(z_name="latent"), PROB), r"name them \['z'\]"),
    "wrong input type": (
        lambda f: write(f, linear_graph(z_type=TensorProto.INT64), PROB),
        r"input 'z' is int64 of rank 2; expected float32 \(N, 4\)",
    ),
    "z_dim disagrees with the graph": (
        lambda f: write(f, linear_graph(), {**PROB, "z_dim": Z + 2}),
        f"says z_dim {Z + 2} but .*'z' has {Z} columns",
    ),
    "fixed batch (helper API)": (lambda f: write(f, linear_graph(batch=1), PROB), "fixed batch size 1 on input 'z'"),
    "fixed batch (torch)": (fixed_batch_from_torch, r"fixed batch size 2 on input 'z'.*dynamic_axes"),
    "wrong output rank": (
        lambda f: write(f, linear_graph(image_shape=(784,)), PROB),
        r"output 'image' is float32 of rank 2; expected float32 \(N, 1, 28, 28\)",
    ),
    "wrong output shape at run time": (
        lambda f: write(f, linear_graph(image_shape=(784,), declare_shape=False), PROB),
        r"returns shape \(5, 784\) for a batch of 5; expected \(5, 1, 28, 28\)",
    ),
    "output outside the declared range": (
        lambda f: write(f, linear_graph(activation=None), PROB),
        "outside \\[0, 1\\] of the output 'probability'.*declare 'logits'",
    ),
    "NaN output": (lambda f: write(f, linear_graph(activation=None, weight=nan_weights())), "NaN or infinite"),
    "custom operator": (
        lambda f: write(f, linear_graph(domain="com.example"), PROB),
        r"operators outside the standard ONNX set \(domains \['com.example'\]\)",
    ),
    "external data": (external_data, "keeps weights in external data files"),
    "labels declared, none in the graph": (
        lambda f: write(f, linear_graph(), {**PROB, "n_classes": 10}),
        "declares n_classes but .* has no 'labels' input",
    ),
    "labels in the graph, none declared": (
        lambda f: write(f, linear_graph(z_name="labels"), PROB),
        "takes 'labels' but model.json declares no n_classes",
    ),
    "codes declared, none in the graph": (
        lambda f: write(
            f,
            linear_graph(),
            {**PROB, "codes": {"categorical": [3], "continuous": [{"name": "w", "low": -1, "high": 1}]}},
        ),
        "declares codes but .* has no 'category' input",
    ),
    "continuous codes that disagree with the graph": (
        lambda f: write(f, coded_graphs(k=2)[0], manifest(codes={"categorical": [3], "continuous": [WIDTH]})),
        r"input 'continuous' has shape \['N', 2\]; model.json implies float32 \(N, 1\)",
    ),
    "JSON that is not JSON": (lambda f: write(f, linear_graph(), "{z_dim: 4"), "is not valid JSON"),
    "unknown key": (lambda f: write(f, linear_graph(), {**PROB, "zdim": 4}), r"unknown keys \['zdim'\].*typo"),
    "no z_dim": (lambda f: write(f, linear_graph(), {"output": "probability"}), "'z_dim' must be a whole number"),
    "unknown output range": (lambda f: write(f, linear_graph(), {**PROB, "output": "sigmoid"}), "'output' must be"),
    "another prior": (lambda f: write(f, linear_graph(), {**PROB, "prior": "uniform"}), "'prior' must be 'normal'"),
    "encoder input of another name": (
        lambda f: encoder_named(f, ["x"]),
        r"encoder.onnx has inputs \['x'\]; an encoder takes 'image' \(N, 1, 28, 28\) in \[0, 1\]",
    ),
    "encoder of another size": (encoder_of_the_wrong_size, f"encoder.onnx's output 'z' has shape .*{Z + 1}"),
}
