"""The installed `latent-lab` command: what it starts, and one-line refusals."""

import importlib.util
import os

import pytest

from genlib import cli, paths
from genlib.explorer import model_folders


def test_app_starts_the_server_entry_with_the_checkout_settings(monkeypatch):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env: calls.append(cmd) or 0)
    assert cli.main(["app", "--server.port", "9999"]) == 0
    cmd = calls[0]
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(paths.app_server())
    assert cmd[4].endswith("server.py") and cmd[-2:] == ["--server.port", "9999"]
    assert cmd[cmd.index("--server.enableStaticServing") + 1] == "true"


def test_app_without_the_app_extra_says_how_to_install_it(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda m: None if m == "plotly" else real(m))
    assert cli.main(["app"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "plotly" in err and "pip install 'latent-lab[app]'" in err


def test_models_folders_reach_the_app_in_its_environment_after_those_already_named(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env: calls.append((cmd, env)) or 0)
    monkeypatch.setenv(model_folders.ENV, "/already")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    args = ["app", "--models", str(tmp_path / "a"), "--server.port", "9999", f"--models={tmp_path / 'b'}"]
    assert cli.main(args) == 0
    cmd, env = calls[0]
    assert "--models" not in " ".join(cmd) and cmd[-2:] == ["--server.port", "9999"]  # streamlit never sees them
    assert env[model_folders.ENV].split(os.pathsep) == ["/already", str(tmp_path / "a"), str(tmp_path / "b")]


@pytest.mark.parametrize("args", [["--models"], ["--models", "/no/such/folder"], ["--models="]])
def test_a_missing_models_folder_is_refused_in_one_line(monkeypatch, capsys, args):
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env: pytest.fail("started anyway"))
    assert cli.main(["app", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--models" in err
