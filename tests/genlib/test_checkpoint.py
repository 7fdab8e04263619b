"""Checkpoint folders: every refusal names the problem."""

import json
import pickle

import pytest
import torch

import genlib
from genlib import checkpoint
from genlib.checkpoint import CheckpointError
from helpers import tiny


@pytest.fixture
def folder(tmp_path):
    return checkpoint.save(tiny("dcgan"), tmp_path / "dcgan", metrics={"fid": 1.0}, history=[])


def test_files_written(folder):
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["config.json", "history.json", "metrics.json", "model.safetensors"]
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["model"] == "dcgan" and cfg["config"]["width"] == 4 and cfg["genlib_version"] == genlib.__version__
    assert not list(folder.glob(".*tmp"))  # no temp files left behind


def test_missing_folder_says_how_to_train(tmp_path):
    with pytest.raises(CheckpointError, match="train.py --model vae"):
        genlib.load("vae", tmp_path / "nope")


def test_missing_weights(folder):
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        genlib.load("dcgan", folder)


def test_missing_and_corrupt_config(folder):
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        genlib.load("dcgan", folder)
    (folder / "config.json").unlink()
    with pytest.raises(CheckpointError, match="config.json is missing"):
        genlib.load("dcgan", folder)


def test_truncated_or_garbage_weights(folder):
    w = folder / "model.safetensors"
    w.write_bytes(w.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="sha256"):
        genlib.load("dcgan", folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg.pop("weights_sha256")
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        genlib.load("dcgan", folder)


def test_pickle_disguised_as_checkpoint_is_refused_unexecuted(folder, tmp_path):
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "model.safetensors").write_bytes(pickle.dumps(Boom()))
    cfg = json.loads((folder / "config.json").read_text())
    cfg.pop("weights_sha256")
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="pickle"):
        genlib.load("dcgan", folder)
    assert not marker.exists()


def test_config_that_does_not_match_weights(folder):
    cfg = json.loads((folder / "config.json").read_text())
    cfg["config"]["width"] = 8
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="wrong shapes"):
        genlib.load("dcgan", folder)
    cfg["config"]["depth"] = 3
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="unknown settings"):
        genlib.load("dcgan", folder)


def test_wrong_model_name(folder):
    with pytest.raises(CheckpointError, match="not 'gan'"):
        genlib.load("gan", folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["model"] = "bigan"
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="known"):
        genlib.load("dcgan", folder)


def test_save_overwrites_atomically(folder):
    m = tiny("dcgan")
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1)
    checkpoint.save(m, folder)
    m2 = genlib.load("dcgan", folder)
    assert torch.equal(m2.head.weight, m.head.weight)
    assert json.loads((folder / "metrics.json").read_text()) == {"fid": 1.0}  # untouched when not given


def test_half_precision_save_is_what_loads(tmp_path):
    m = tiny("vae").eval()
    checkpoint.save(m, tmp_path / "h", half=True)
    m2 = genlib.load("vae", tmp_path / "h")
    assert m2.mu.weight.dtype == torch.float32
    assert torch.equal(m2.mu.weight, m.mu.weight.half().float())
    assert json.loads((tmp_path / "h" / "config.json").read_text())["weights_dtype"] == "float16"


def test_safetensors_whose_first_byte_looks_like_a_pickle_marker_loads(tmp_path):
    """A safetensors file starts with its header length; when that length's lowest byte is 0x80 the file
    begins like a pickle. It must still load (the pickle refusal looks at the whole layout)."""
    m = genlib.build("dcgan", z_dim=8, width=4).eval()
    checkpoint.save(m, tmp_path, half=True)
    assert (tmp_path / "model.safetensors").read_bytes()[:1] == b"\x80"  # this config hits the case
    loaded = checkpoint.load(tmp_path)
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in checkpoint.half_state(m).items())
