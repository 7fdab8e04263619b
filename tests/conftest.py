import os

import declared_models  # noqa: F401  (registers the tests' own models before any test module is collected)
import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def served_like_the_app(monkeypatch):
    """AppTest runs streamlit_app.py in the test process as app/server.py would serve it (with the route for the
    cache's files); a test of the script served alone removes this."""
    from genlib.explorer import live

    monkeypatch.setenv(live.SERVED, "1")


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """The app sets torch to one thread and AppTest runs it in the test process: put back the suite's."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def mnist_test():
    from genlib import data

    return data.load_split(False)


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory):
    """A 200-image MNIST-format data folder taken from the real set (fast training tests)."""
    import numpy as np

    from genlib import data

    root = tmp_path_factory.mktemp("tiny-mnist")
    raw = data.raw_dir(root)
    for split, n in (("train", 192), ("test", 64)):
        s = data.load_split(split == "train")
        data.write_idx(raw / data.IDX_FILES[f"{split}_images"], s.images[:n].numpy())
        data.write_idx(raw / data.IDX_FILES[f"{split}_labels"], s.labels[:n].numpy().astype(np.uint8))
    return root
