"""The serving and test tooling without a server: serve.sh without curl, `make chromium` without root,
the browser tests without a browser (skipped with a how-to, failed under CI=true), the served settings."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_serve_sh_without_curl_stops_at_once_naming_it(tmp_path):
    bin_dir = tmp_path / "bin"  # every tool serve.sh might reach for, except curl
    bin_dir.mkdir()
    for tool in ("dirname", "mktemp", "mkdir", "cp", "chmod", "cat", "kill", "sleep", "nginx", "python3"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    t0 = time.time()
    proc = subprocess.run(
        ["/bin/bash", str(ROOT / "deploy" / "serve.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir), "PREFIX": str(tmp_path / "prefix"), "HOME": str(tmp_path)},
        timeout=60,
    )
    assert proc.returncode == 2 and "curl not found" in proc.stderr and "apt-get install -y curl" in proc.stderr
    assert time.time() - t0 < 10 and not (tmp_path / "prefix").exists()  # nothing was started


def test_make_chromium_without_root_never_runs_apt_get():
    """As an unprivileged user with no browser: a message that says how to enable the browser tests,
    success, and apt-get not called (a stand-in apt-get on PATH records any call)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    work = Path(tempfile.mkdtemp())
    try:
        work.chmod(0o777)
        shutil.copy(ROOT / "Makefile", work / "Makefile")
        fake = work / "bin"
        fake.mkdir(mode=0o755)
        (fake / "apt-get").write_text(f"#!/bin/sh\ntouch {work}/apt-get-was-called\nexit 1\n")
        (fake / "apt-get").chmod(0o755)
        cmd = ["make", "-s", "-f", str(work / "Makefile"), "chromium", "CHROMIUM=/nonexistent/chromium"]
        if os.geteuid() == 0:  # the test itself runs as root (the CI container): drop to nobody
            if shutil.which("setpriv") is None:
                pytest.skip("root, and no setpriv to run make unprivileged")
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        proc = subprocess.run(
            cmd,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not (work / "apt-get-was-called").exists()
        assert "the browser tests will be skipped" in proc.stdout and "sudo apt-get install -y chromium" in proc.stdout
    finally:
        shutil.rmtree(work)


def run_browser_tests(ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CHROMIUM"] = "/nonexistent/chromium"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests/system/test_e2e_browser.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_browser_tests_without_a_browser_skip_with_a_how_to():
    proc = run_browser_tests(None)
    assert proc.returncode in (0, 5), proc.stdout[-2000:]  # 5: everything skipped, nothing failed
    assert "skipped" in proc.stdout and "sudo apt-get install -y chromium" in proc.stdout, proc.stdout[-2000:]


def test_browser_tests_without_a_browser_fail_under_ci():
    proc = run_browser_tests("true")
    assert proc.returncode not in (0, 5), proc.stdout[-2000:]
    assert "CI=true: a missing browser is a failure" in proc.stdout + proc.stderr


def test_every_served_configuration_hides_tracebacks_from_students():
    """serve.sh's replicas and the systemd unit in deploy/README.md set client.showErrorDetails to none
    (the running replicas are checked in test_serve_address.py)."""
    serve = (ROOT / "deploy" / "serve.sh").read_text()
    assert "--client.showErrorDetails none" in serve
    readme = (ROOT / "deploy" / "README.md").read_text().splitlines()
    unit = next(line for line in readme if line.startswith("ExecStart="))
    assert "--client.showErrorDetails none" in unit
