"""The installed `latent-lab` command: what it starts, and one-line refusals."""

import importlib.util

from genlib import cli, paths


def test_app_starts_the_server_entry_with_the_checkout_settings(monkeypatch):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
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
