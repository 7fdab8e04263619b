"""`pip install .` gives a working library and command outside the checkout: the shipped checkpoints and
the app travel inside the package. The new environment borrows this one's packages (torch and friends,
through a .pth file) so the test checks our packaging, not a 5 GB download."""

import shutil
import site
import subprocess
import sys
import venv

from helpers import ROOT


def run(*cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_pip_install_works_from_another_folder(tmp_path):
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    packages = next(p for p in (env / "lib").glob("python3*/site-packages"))
    (packages / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    src = tmp_path / "src"  # a copy of the tracked files: pip's build leaves build/ and *.egg-info behind
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    run(str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(src), cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run(
        str(py),
        "-c",
        "import genlib; print(genlib.CHECKPOINTS); print(tuple(genlib.load('vae').sample(4).shape))",
        cwd=elsewhere,
    )
    where, shape = out.strip().splitlines()
    assert shape == "(4, 1, 28, 28)"
    assert where.startswith(str(packages)) and where.endswith("shipped")  # the installed copy, not the checkout's
    assert (packages / "genlib" / "app" / "streamlit_app.py").is_file()
    assert run(str(env / "bin" / "latent-lab"), "--version", cwd=elsewhere).strip() == sys.modules["genlib"].__version__
