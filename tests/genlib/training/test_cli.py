"""train.py as a new user meets it: bad numbers, an output folder that cannot be written, Ctrl-C and
--resume, file errors, --help, and what a run prints. Trains the real VAE on a 192-image MNIST."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import genlib
from genlib import checkpoint
from genlib.explorer import encodings
from genlib.training import STATE
from genlib.training.cli import main

ROOT = Path(__file__).resolve().parents[3]
FAST = ["--metric-samples", "100", "--nll-images", "16"]  # a quick quality measurement


def quick(tmp_path, data, *extra):
    return [
        "--model",
        "vae",
        "--preset",
        "quick",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "out"),
        "--state-dir",
        str(tmp_path / "runs"),
        "--data-dir",
        str(data),
        *FAST,
        *extra,
    ]


def one_line_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "option,value",
    [
        ("--epochs", "-1"),
        ("--epochs", "0"),
        ("--batch-size", "0"),
        ("--batch-size", "-5"),
        ("--threads", "0"),
        ("--metric-samples", "0"),
        ("--epochs", "2.5"),
        ("--seed", "-3"),
    ],
)
def test_numbers_that_make_no_sense_are_refused_in_one_line(capsys, tmp_path, option, value):
    err = one_line_error(capsys, ["--model", "vae", "--out", str(tmp_path), option, value])
    assert f"argument {option}" in err and repr(value) in err
    assert not (tmp_path / "vae").exists()


def test_a_batch_larger_than_the_training_set_is_refused_before_training(capsys, tmp_path, tiny_mnist):
    assert main(quick(tmp_path, tiny_mnist, "--batch-size", "100000")) == 2
    err = capsys.readouterr().err
    assert "--batch-size 100000 (vae) is more than the 192 training images" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "vae").exists()


def test_an_out_below_a_file_is_refused_before_training(capsys, tmp_path):
    (tmp_path / "a-file").write_text("x")
    err = one_line_error(capsys, ["--model", "vae", "--out", str(tmp_path / "a-file" / "sub")])
    assert f"{tmp_path / 'a-file'} is a file, not a folder" in err


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nothing can be written in: a read-only tmpfs as root (chmod does not stop root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode:
        pytest.skip("root, but cannot mount a read-only tmpfs here")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_out_is_refused_before_training(capsys, read_only_folder):
    err = one_line_error(capsys, ["--model", "vae", "--out", str(read_only_folder)])
    assert f"cannot write in {read_only_folder}" in err


def test_report_of_a_missing_folder_says_so(capsys, tmp_path):
    err = one_line_error(capsys, ["--report", "--out", str(tmp_path / "missing")])
    assert f"--out {tmp_path / 'missing'}: no such folder" in err


def test_help_gives_every_option_a_text_with_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    options = text[text.index("options:") :]
    entries = re.split(r"\n  (?=--)", options)[1:]  # one per option, -h excepted
    assert len(entries) >= 18
    for entry in entries:
        assert "default" in " ".join(entry.split()), entry
    flat = " ".join(text.split())
    assert "with --resume the total" in flat and "shipped checkpoints" in flat


def test_a_run_shows_progress_and_ends_with_a_readable_summary(capsys, tmp_path, tiny_mnist):
    assert main(quick(tmp_path, tiny_mnist, "--resume")) == 0
    out, err = capsys.readouterr()
    assert "--resume: no saved state for vae in" in out and "training from scratch" in out
    assert "measuring vae" in err  # the quality measurement's progress bar
    summary = out[out.index("Summary:") :]
    assert f"vae -> {tmp_path / 'out' / 'vae'}" in summary
    assert re.search(r"Test NLL \(nats\): [\d.]+ {2}\(bar ≤ 92: (met|MISSED)\)", summary), summary
    assert "{" not in summary  # no raw dict
    assert checkpoint.load(tmp_path / "out" / "vae").name == "vae"


def test_resume_with_other_settings_is_refused_naming_what_differs(capsys, tmp_path, tiny_mnist):
    assert main(quick(tmp_path, tiny_mnist)) == 0  # leaves its state at epoch 1
    capsys.readouterr()
    argv = quick(tmp_path, tiny_mnist, "--resume")
    argv[argv.index("quick")] = "full"
    argv[argv.index("--epochs") + 1] = "2"
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "was saved by another run" in err and "preset 'quick' (saved) vs 'full' (this run)" in err
    assert "lr_decay False (saved) vs True (this run)" in err and "seed" not in err


def test_the_resume_state_belongs_to_its_output_folder(capsys, tmp_path, tiny_mnist):
    assert main(quick(tmp_path, tiny_mnist)) == 0
    capsys.readouterr()
    argv = quick(tmp_path, tiny_mnist, "--resume")
    argv[argv.index("--out") + 1] = str(tmp_path / "elsewhere")
    assert main(argv) == 0
    assert "no saved state for vae" in capsys.readouterr().out
    assert len(list((tmp_path / "runs").glob(f"vae-*/{STATE}"))) == 2


def test_the_default_resume_state_lies_beside_the_output_and_a_finished_model_is_skipped(
    capsys, tmp_path, tiny_mnist, monkeypatch
):
    argv = quick(tmp_path, tiny_mnist)
    del argv[argv.index("--state-dir") : argv.index("--state-dir") + 2]
    assert main(argv) == 0
    state = tmp_path / "out" / ".resume" / "vae"
    assert (state / STATE).is_file() and (state / "finished.json").is_file()
    weights = (tmp_path / "out" / "vae" / "model.safetensors").read_bytes()
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "out")  # another current folder finds the same state
    assert main([*argv, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "vae finished earlier with these settings" in out and "skipped" in out and "measuring" not in out
    assert (tmp_path / "out" / "vae" / "model.safetensors").read_bytes() == weights  # not re-measured or saved
    longer = [*argv, "--resume"]
    longer[longer.index("--epochs") + 1] = "2"  # more epochs: the run continues instead
    assert main(longer) == 0
    history = checkpoint.read_extra(tmp_path / "out" / "vae", checkpoint.HISTORY)
    assert [row["epoch"] for row in history] == [1, 2]  # epoch 1 kept from the state, epoch 2 trained


def test_file_errors_end_in_one_line_naming_the_file(capsys, tmp_path):
    folder = tmp_path / "vae"
    folder.mkdir()
    (folder / "config.json").write_text("{ not json")
    argv = ["--model", "vae", "--evaluate-only", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(folder / "config.json") in err and "Traceback" not in err, err
    assert main([*argv, "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_corrupt_resume_state_is_one_line(capsys, tmp_path, tiny_mnist):
    assert main(quick(tmp_path, tiny_mnist)) == 0
    (state,) = (tmp_path / "runs").glob(f"vae-*/{STATE}")
    state.write_bytes(b"garbage")
    (state.parent / "finished.json").unlink()  # as after an interrupted run (a finished one is skipped)
    capsys.readouterr()
    assert main(quick(tmp_path, tiny_mnist, "--resume")) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(state) in err and "Traceback" not in err, err


def test_ctrl_c_keeps_the_last_epoch_and_says_how_to_continue(tmp_path, tiny_mnist):
    argv = quick(tmp_path, tiny_mnist)
    argv[argv.index("--epochs") + 1] = "3"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "train.py", *argv],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a shell's background job (`make test &`) ignores SIGINT, and so would train.py: give it Ctrl-C back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while not list((tmp_path / "runs").glob(f"vae-*/{STATE}")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    last = err.strip().splitlines()[-1]
    m = re.fullmatch(r"interrupted after epoch (\d+) of 3 \(vae\); continue with: (python train\.py .* --resume)", last)
    assert m, last
    (state,) = (tmp_path / "runs").glob(f"vae-*/{STATE}")
    assert int(torch.load(state, weights_only=True)["epoch"]) == int(m.group(1))
    assert not (tmp_path / "out" / "vae" / "model.safetensors").exists()  # nothing committed yet
    resumed = subprocess.run(
        [sys.executable, *shlex.split(m.group(2))[1:]], cwd=ROOT, env=env, text=True, capture_output=True, timeout=300
    )  # the printed command, as given
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resumed vae from epoch {m.group(1)}" in resumed.stderr
    assert [r["epoch"] for r in checkpoint.read_extra(tmp_path / "out" / "vae", "history.json")] == [1, 2, 3]


def test_refit_inverter_retrains_only_the_encoder_and_records_its_encodings(tmp_path, tiny_mnist):
    torch.manual_seed(0)
    m = genlib.build("dcgan", z_dim=8, width=6).eval()
    checkpoint.save(m, tmp_path / "dcgan", metrics={"fid": 1.0}, history=[{"epoch": 1}], half=True)
    before = checkpoint.load(tmp_path / "dcgan").state_dict()
    args = ["--model", "dcgan", "--refit-inverter", "--preset", "quick", "--out", str(tmp_path)]
    assert main([*args, "--data-dir", str(tiny_mnist), "--metric-samples", "16"]) == 0
    after = checkpoint.load(tmp_path / "dcgan").state_dict()
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"inverter"}
    m = checkpoint.read_extra(tmp_path / "dcgan", checkpoint.METRICS)
    assert m["fid"] == 1.0 and m["encoding_images"] == 16 and m["encoding_shell_share"] == 1.0
    train = checkpoint.read_extra(tmp_path / "dcgan", checkpoint.CONFIG)["train"]
    assert train["inverter_refit_seconds"] > 0 and "--refit-inverter" in train["inverter_refit_command"]


def test_tsne_writes_the_latent_maps_coordinates_beside_the_checkpoint(tmp_path, tiny_mnist, monkeypatch, capsys):
    monkeypatch.setenv("GENLIB_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    checkpoint.save(genlib.build("vae", z_dim=4, hidden=(16,)).eval(), tmp_path / "vae", half=True)
    assert main(["--model", "vae", "--tsne", "--out", str(tmp_path), "--data-dir", str(tiny_mnist)]) == 0
    xy = encodings.shipped_tsne(tmp_path / "vae")
    assert xy is not None and xy.shape == (64, 2)  # tiny_mnist's test split
    assert "t-SNE map of the test encodings" in capsys.readouterr().out
