"""deploy/serve.sh with ADDRESS: nginx answers on the address asked for (here 127.0.0.2, another local
address) and not on 127.0.0.1; the replica behind it runs with client.showErrorDetails none. One replica,
no browser (about 20 s); runs with the serving tests: `make serve-test`."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import shipped
from tools.appserver import free_port

pytestmark = pytest.mark.serving
ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode()


def test_served_app_answers_on_the_address_asked_for(tmp_path):
    if not os.path.exists(NGINX):
        pytest.skip(f"{NGINX} is missing: apt-get install -y nginx")
    if not shipped("vae"):
        pytest.skip("needs the shipped vae")
    port, base = free_port(), free_port()
    prefix = tmp_path / "serve"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "ADDRESS": "127.0.0.2",
        "PORT": str(port),
        "BASE_PORT": str(base),
        "REPLICAS": "1",
        "PREFIX": str(prefix),
    }
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "serve.sh")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.time() + 150
            while "serving http" not in log_path.read_text():
                assert proc.poll() is None and time.time() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
            assert f"serving http://127.0.0.2:{port}" in log_path.read_text()
            assert get(f"http://127.0.0.2:{port}/_stcore/health") == (200, "ok")
            status, page = get(f"http://127.0.0.2:{port}/")
            assert status == 200 and "<title>Streamlit</title>" in page
            with pytest.raises(urllib.error.URLError):  # nginx listens on 127.0.0.2 only
                get(f"http://127.0.0.1:{port}/_stcore/health")
            (pid,) = [int(line.split()[1]) for line in (prefix / "replicas").read_text().splitlines()]
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert argv[argv.index(b"--client.showErrorDetails") + 1] == b"none"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # serve.sh stops nginx and the replica itself
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
