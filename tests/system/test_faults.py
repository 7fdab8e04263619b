"""Faults: processes SIGKILLed mid-epoch and mid-checkpoint-write, a crash at every step of a save, a
full disk, a read-only folder, and the app with one checkpoint broken.

The kill tests run a driver in a subprocess that imports torch once and then forks a child per try
(a fresh interpreter per kill would cost seconds each): the child trains or saves, the driver
SIGKILLs it at a random moment and checks what is on disk. GENLIB_FAULT_KILLS raises the number of
kills (default: a few, so the file runs in seconds)."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import genlib
from genlib import checkpoint, fileio
from genlib.training import TRAINERS, TrainConfig, trainers
from helpers import APP, shipped, tiny

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("GENLIB_FAULT_KILLS", "0"))
EPOCHS = 4

DRIVER = r'''
import json, os, random, shutil, signal, sys, time, traceback
from pathlib import Path
sys.path[:0] = [sys.argv[1], os.path.join(sys.argv[1], "tests")]
import torch
torch.set_num_threads(1)  # before any op: no OpenMP pool exists when we fork
import genlib
from helpers import tiny
from genlib import checkpoint, data
from genlib.training import trainers
torch.set_num_threads(1)

def run_child(fn):
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fn()
        except BaseException:
            traceback.print_exc()
            code = 3
        os._exit(code)
    return pid

def kill_at(pid, delay):
    """SIGKILL pid after `delay` s unless it exits first; True if it was killed."""
    end = time.time() + delay
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0, "child failed"
            return False
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return True
'''

TRAIN_DRIVER = (
    DRIVER
    + r"""
name, work, data_dir, kills, epochs = sys.argv[2], Path(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
orig = data.batches
def slow_batches(*a, **k):  # stretches an epoch so that random kills land inside it; same numbers
    for b in orig(*a, **k):
        time.sleep(0.03)
        yield b
data.batches = slow_batches
data.load_split(True, data_dir), data.load_split(False, data_dir)  # children inherit it: kills land in training

def train(out, state, resume):
    def fn():
        m = tiny(name)  # a fresh process starts from scratch: resume must restore everything
        cfg = trainers.TrainConfig(epochs=epochs, batch_size=32, inverter_steps=3)
        trainer = trainers.TRAINERS[name](m, cfg, out / "final", data_dir, state_dir=state)
        trainer.fit(resume=resume)
        trainer.save(half=False)  # as train.py: the checkpoint with its history and grids, one transaction
    return fn

t0 = time.time()
pid = run_child(train(work / "ref", work / "ref-state", False))
assert not kill_at(pid, 600)
t_ref = time.time() - t0  # how long an uninterrupted run takes: kills are drawn inside what is left
ref = checkpoint.load(work / "ref" / "final")
ref_rows = [{k: v for k, v in r.items() if k not in ("seconds", "images_per_s")}
            for r in json.loads((work / "ref" / "final" / "history.json").read_text())]
rng = random.Random(name)
points, campaigns = [], 0
while len(points) < kills:  # campaigns: kill one run until it completes, check it, start another
    campaigns += 1
    out, state = work / "run", work / "run-state"
    shutil.rmtree(out, ignore_errors=True), shutil.rmtree(state, ignore_errors=True)
    last_epoch, resume, here = 0, False, 0
    while True:
        pid = run_child(train(out, state, resume))
        left = t_ref * (epochs - last_epoch + 1) / (epochs + 1)  # the last share: inverter + final save
        if len(points) >= kills or here >= 5:  # a few kills per run, so that runs spread them over all phases
            assert not kill_at(pid, 600)
            break
        if not kill_at(pid, rng.uniform(0.0, left)):
            break
        here += 1
        epoch = 0
        if (state / trainers.STATE).is_file():  # what a kill leaves is a complete state, never a torn one
            epoch = int(torch.load(state / trainers.STATE, weights_only=True)["epoch"])
            assert epoch >= last_epoch, (epoch, last_epoch)
        points.append(epoch)
        last_epoch, resume = epoch, True
    got = checkpoint.load(out / "final")  # the same model and history as the uninterrupted run
    for k, v in ref.state_dict().items():
        assert torch.allclose(v.float(), got.state_dict()[k].float(), atol=1e-5), (campaigns, k)
    rows = [{k: v for k, v in r.items() if k not in ("seconds", "images_per_s")}
            for r in json.loads((out / "final" / "history.json").read_text())]
    assert [r["epoch"] for r in rows] == list(range(1, epochs + 1)), rows
    close = all(abs(a[k] - b[k]) <= 1e-4 * max(1, abs(a[k])) for a, b in zip(ref_rows, rows) for k in a)
    assert close, (ref_rows, rows)
print("RESULT", json.dumps({"kills": len(points), "campaigns": campaigns, "state_epoch_at_kill": points,
                            "uninterrupted_s": round(t_ref, 2)}), flush=True)
"""
)

SAVE_DRIVER = (
    DRIVER
    + r"""
folder, kills = Path(sys.argv[2]), int(sys.argv[3])
models = {}
for tag, seed in (("A", 1), ("B", 2)):  # two big enough models that one save takes tens of ms
    torch.manual_seed(seed)
    models[tag] = genlib.build("vae", z_dim=16, hidden=(1024, 512))
checkpoint.save(models["A"], folder, metrics={"which": "A"}, history=[{"which": "A"}])

def writer():
    i = 0
    while True:
        tag = "AB"[i % 2]
        checkpoint.save(models[tag], folder, metrics={"which": tag}, history=[{"which": tag}])
        i += 1

rng = random.Random(0)
seen = {"A": 0, "B": 0}
staged_left = 0
for _ in range(kills):
    staged_left += (folder / "model.safetensors.next").is_file()
    assert kill_at(run_child(writer), rng.uniform(0.05, 1.5))
    staged_left += (folder / "model.safetensors.next").is_file()
    m = checkpoint.load(folder, expect="vae")  # never raises: the folder always holds a committed save
    state = m.state_dict()
    tag = next(t for t, ref in models.items() if all(torch.equal(v, state[k]) for k, v in ref.state_dict().items()))
    # the extras belong to the same save as the weights
    assert checkpoint.read_extra(folder, "metrics.json") == {"which": tag}, tag
    assert checkpoint.read_extra(folder, "history.json") == [{"which": tag}], tag
    seen[tag] += 1
print("RESULT", json.dumps({"kills": kills, "loaded": seen, "staged_files_seen": staged_left}), flush=True)
"""
)


RETRAIN_DRIVER = (
    DRIVER
    + r'''
shipped, work, data_dir, kills = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
orig_batches = data.batches
def slow_batches(*a, **k):  # stretches the epochs so that kills spread over training and the save
    for b in orig_batches(*a, **k):
        time.sleep(0.02)
        yield b
data.batches = slow_batches
data.load_split(True, data_dir), data.load_split(False, data_dir)

def snapshot(folder):
    """relative path -> bytes of every file, leaving out what a killed save left unfinished: its staged
    files (*.next) and the temp file of an interrupted atomic write (.NAME.*.tmp)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not unfinished(p.relative_to(folder))}

def unfinished(rel):
    return any(part.endswith(".next") for part in rel.parts) or (rel.name.startswith(".") and rel.name.endswith(".tmp"))

def timeless(snap):
    out = dict(snap)
    out["history.json"] = [{k: v for k, v in r.items() if k not in ("seconds", "images_per_s")}
                           for r in json.loads(snap["history.json"])]
    return out

def retrain(folder, state):
    def fn():
        torch.manual_seed(0)
        m = genlib.build("vae")  # the shipped architecture, retrained for 3 epochs into the copied folder
        cfg = trainers.TrainConfig(epochs=3, batch_size=32)
        t = trainers.TRAINERS["vae"](m, cfg, folder, data_dir, state_dir=state)
        t.fit()
        t.save(metrics={"run": "new"})
    return fn

orig = work / "orig"
shutil.copytree(shipped, orig)
before = snapshot(orig)
t0 = time.time()
shutil.copytree(orig, work / "ref")
assert not kill_at(run_child(retrain(work / "ref", work / "ref-state")), 600)
t_ref = time.time() - t0
after = timeless(snapshot(work / "ref"))
assert sorted(k for k in after if k.startswith("samples/")) == [f"samples/epoch_00{i}.png" for i in (1, 2, 3)]
rng = random.Random(0)
outcomes, leftovers = [], 0
for i in range(kills):
    victim, state = work / "victim", work / "victim-state"
    shutil.rmtree(victim, ignore_errors=True), shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(orig, victim)
    # half the kills anywhere, half in the last fifth of the run (the save: tens of ms)
    delay = rng.uniform(0, t_ref) if i % 2 == 0 else rng.uniform(0.8 * t_ref, 1.1 * t_ref)
    killed = kill_at(run_child(retrain(victim, state)), delay)
    checkpoint.load(victim, expect="vae")  # always loads (and finishes a committed save's promotion)
    leftovers += any(unfinished(p.relative_to(victim)) for p in victim.rglob("*"))
    got = snapshot(victim)
    if got == before:
        assert killed, "a finished retrain left the old checkpoint"
        outcomes.append("old")
    else:
        ref = snapshot(work / "ref")
        assert timeless(got) == after, sorted(set(got) ^ set(ref)) or [k for k in got if got[k] != ref[k]]
        outcomes.append("new" if killed else "finished")
print("RESULT", json.dumps({"kills": kills, "outcomes": outcomes, "uncommitted_leftovers": leftovers,
                            "retrain_s": round(t_ref, 2)}), flush=True)
'''
)


def run_driver(code: str, tmp_path: Path, *args, timeout=600) -> dict:
    script = tmp_path / "driver.py"
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, str(script), str(ROOT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def strip_timing(history):
    return [{k: v for k, v in row.items() if k not in ("seconds", "images_per_s")} for row in history]


# ---------------------------------------------------------------- SIGKILL during training
@pytest.mark.parametrize("name", ["vae", "dcgan"])
def test_training_killed_at_random_points_resumes_to_the_same_model(name, tmp_path, tiny_mnist):
    kills = KILLS or 4
    result = run_driver(TRAIN_DRIVER, tmp_path, name, tmp_path, tiny_mnist, kills, EPOCHS)
    print(f"\n{name}: {result}")
    assert result["kills"] >= 1
    ref = checkpoint.load(tmp_path / "ref" / "final")
    got = checkpoint.load(tmp_path / "run" / "final")
    for k, v in ref.state_dict().items():
        assert torch.allclose(v.float(), got.state_dict()[k].float(), atol=1e-5), k
    # nothing lost: every epoch's row is there once, with the uninterrupted run's numbers
    ref_h = strip_timing(checkpoint.read_extra(tmp_path / "ref" / "final", "history.json"))
    got_h = strip_timing(checkpoint.read_extra(tmp_path / "run" / "final", "history.json"))
    assert [r["epoch"] for r in got_h] == list(range(1, EPOCHS + 1))
    for a, b in zip(ref_h, got_h, strict=True):
        assert a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-4 * max(1, abs(a[k])) for k in a), (a, b)


def test_a_kill_between_state_and_history_loses_no_epoch(tmp_path, tiny_mnist, monkeypatch):
    """The state file and history.json are two writes; a crash right after the state's must not drop
    that epoch's history row on resume (the state carries the history)."""
    real = trainers.write_json
    calls = {"n": 0}

    def crash_on_second_history(path, obj):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed after the epoch-2 state was written")
        real(path, obj)

    monkeypatch.setattr(trainers, "write_json", crash_on_second_history)
    cfg = TrainConfig(epochs=3, batch_size=32)
    with pytest.raises(KeyboardInterrupt):
        TRAINERS["vae"](tiny("vae"), cfg, tmp_path, tiny_mnist).fit()
    assert len(json.loads((tmp_path / "history.json").read_text())) == 1  # on disk: only epoch 1
    monkeypatch.setattr(trainers, "write_json", real)
    TRAINERS["vae"](tiny("vae"), cfg, tmp_path, tiny_mnist).fit(resume=True)
    assert [r["epoch"] for r in json.loads((tmp_path / "history.json").read_text())] == [1, 2, 3]


# ---------------------------------------------------------------- SIGKILL during a checkpoint write
def test_checkpoint_write_killed_at_random_points_leaves_old_or_new(tmp_path):
    kills = KILLS or 12
    result = run_driver(SAVE_DRIVER, tmp_path, tmp_path / "ckpt", kills)
    print(f"\ncheckpoint writes: {result}")
    assert result["kills"] == kills and sum(result["loaded"].values()) == kills


@pytest.mark.skipif(not shipped("vae"), reason="needs the shipped checkpoints/vae")
def test_retrain_into_a_shipped_folder_killed_at_random_points_leaves_it_old_or_new(tmp_path, tiny_mnist):
    """A retrain into a copy of checkpoints/vae (50 epochs of grids) killed at random moments: the folder
    is byte for byte the shipped one, or the complete new 3-epoch checkpoint (3 grids, its history), never a
    mix. What an uncommitted save staged (*.next) is ignored by load and replaced by the next save."""
    kills = KILLS or 8
    result = run_driver(RETRAIN_DRIVER, tmp_path, genlib.CHECKPOINTS / "vae", tmp_path, tiny_mnist, kills)
    print(f"\nretrain into a shipped folder: {result}")
    assert len(result["outcomes"]) == kills and "old" in result["outcomes"]


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so no handler in genlib swallows it."""


def pair(tmp_path):
    a, b = tiny("vae"), tiny("vae")
    with torch.no_grad():
        for p in b.parameters():
            p.add_(1)
    folder = checkpoint.save(a, tmp_path / "ck", metrics={"which": "A"}, history=[1])
    return a, b, folder


def test_a_crash_at_every_step_of_a_save_leaves_old_or_new(tmp_path, monkeypatch):
    """Deterministic companion of the random kills: stop a save at each rename it makes, in turn."""
    a, b, folder = pair(tmp_path)
    real = os.replace
    steps = 0
    outcomes = []
    while True:
        count = {"n": 0}

        def replace(src, dst, _stop=steps, count=count):
            if count["n"] == _stop:
                raise Crash(f"died before rename {_stop}")
            count["n"] += 1
            real(src, dst)

        monkeypatch.setattr(os, "replace", replace)
        try:
            checkpoint.save(b, folder, metrics={"which": "B"}, history=[2])
            finished = True
        except Crash:
            finished = False
        monkeypatch.setattr(os, "replace", real)
        m = checkpoint.load(folder, expect="vae")
        new = torch.equal(m.mu.weight, b.mu.weight)
        assert new or torch.equal(m.mu.weight, a.mu.weight)
        assert checkpoint.read_extra(folder, "metrics.json") == {"which": "B" if new else "A"}
        outcomes.append("new" if new else "old")
        if finished:
            break
        checkpoint.save(a, folder, metrics={"which": "A"}, history=[1])  # back to the old one
        steps += 1
    # 3 staged writes, the commit, 3 promotions: before the commit the old save stands, after it the new
    assert outcomes == ["old"] * 4 + ["new"] * 4, outcomes
    assert not list(folder.glob("*.next"))


def test_a_crash_at_every_step_of_a_save_with_grids_leaves_old_or_new(tmp_path, monkeypatch):
    """The same with sample grids: the old run's 3 grids stay until the commit, then the new run's 2
    replace them all (no stale epoch_003.png), wherever the save stops."""
    a, b = tiny("vae"), tiny("vae")
    with torch.no_grad():
        b.mu.weight.add_(1)
    old = {"history": [1, 2, 3], "sample_grid": b"A", "epoch_grids": {f"epoch_00{i}.png": b"A" for i in (1, 2, 3)}}
    new = {"history": [1, 2], "sample_grid": b"B", "epoch_grids": {f"epoch_00{i}.png": b"B" for i in (1, 2)}}
    folder = tmp_path / "ck"
    real = os.replace
    outcomes, steps = [], 0
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        checkpoint.save(a, folder, **old)
        count = {"n": 0}

        def replace(src, dst, _stop=steps, count=count):
            if count["n"] == _stop:
                raise Crash(f"died before rename {_stop}")
            count["n"] += 1
            real(src, dst)

        monkeypatch.setattr(os, "replace", replace)
        try:
            checkpoint.save(b, folder, **new)
            finished = True
        except Crash:
            finished = False
        monkeypatch.setattr(os, "replace", real)
        is_new = torch.equal(checkpoint.load(folder, expect="vae").mu.weight, b.mu.weight)
        want = new if is_new else old
        assert checkpoint.read_extra(folder, "history.json") == want["history"]
        assert (folder / "samples.png").read_bytes() == want["sample_grid"]
        grids = {p.name: p.read_bytes() for p in (folder / "samples").iterdir()}
        assert grids == want["epoch_grids"], (steps, grids)
        outcomes.append("new" if is_new else "old")
        if finished:
            break
        steps += 1
    assert outcomes.count("old") >= 6 and outcomes[-1] == "new" and outcomes == sorted(outcomes, reverse=True)
    assert not [p for p in folder.iterdir() if p.name.endswith((".next", ".old"))]


# ---------------------------------------------------------------- full disk, read-only folder
@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MiB tmpfs (needs root, as in the CI container); skipped where mounting is not allowed."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here (needs root); the simulated ENOSPC test covers the message")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path):
    try:
        with open(folder / "filler", "wb", buffering=0) as f:
            while True:
                f.write(b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC


def test_full_disk_gives_a_clear_error_and_keeps_the_old_checkpoint(tmpfs):
    a, b = tiny("vae"), tiny("vae")
    with torch.no_grad():
        b.mu.weight.add_(1)
    folder = checkpoint.save(a, tmpfs / "vae", metrics={"which": "A"})
    fill(tmpfs)
    with pytest.raises(OSError) as e:
        checkpoint.save(b, folder, metrics={"which": "B"})
    assert e.value.errno == errno.ENOSPC
    assert "cannot write" in str(e.value) and str(folder) in str(e.value) and "disk full" in str(e.value)
    m = checkpoint.load(folder)
    assert torch.equal(m.mu.weight, a.mu.weight) and checkpoint.read_extra(folder, "metrics.json") == {"which": "A"}
    assert not list(folder.glob(".*.tmp"))  # the failed write cleaned up after itself


def test_full_disk_during_training_names_the_file_in_the_work_folder(tmpfs, tmp_path, tiny_mnist):
    fill(tmpfs)  # the first write of an epoch there: its sample grid (then the state)
    with pytest.raises(OSError, match=r"cannot write .*/state/(samples/epoch_001.png|training_state.pt).*disk full"):
        TRAINERS["vae"](
            tiny("vae"), TrainConfig(epochs=1, batch_size=32), tmp_path / "out", tiny_mnist, state_dir=tmpfs / "state"
        ).fit()


def test_simulated_full_disk_message(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: the same path, with the write failing as a full disk does."""
    a, b, folder = pair(tmp_path)

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left on device: cannot write .*model.safetensors"):
        checkpoint.save(b, folder, metrics={"which": "B"})
    monkeypatch.undo()
    assert torch.equal(checkpoint.load(folder).mu.weight, a.mu.weight)


def test_read_only_folder_gives_a_clear_error(tmp_path, tmpfs_ro):
    folder, previous = tmpfs_ro
    with pytest.raises(OSError, match="cannot write .*read-only") as e:
        checkpoint.save(tiny("vae"), folder)
    assert e.value.errno in (errno.EROFS, errno.EACCES)
    assert torch.equal(checkpoint.load(folder).mu.weight, previous.mu.weight)


@pytest.fixture
def tmpfs_ro(tmp_path):
    """A folder holding a checkpoint that cannot be written: a read-only tmpfs as root (chmod does
    not stop root), chmod 0o500 otherwise."""
    model = tiny("vae")
    if os.geteuid() == 0:
        mnt = tmp_path / "ro"
        mnt.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
            pytest.skip("root, but cannot mount a tmpfs: no way to make a folder read-only")
        checkpoint.save(model, mnt / "vae")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield mnt / "vae", model
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    else:
        folder = checkpoint.save(model, tmp_path / "vae")
        folder.chmod(0o500)
        yield folder, model
        folder.chmod(0o700)


def test_a_path_below_a_file_gives_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OSError, match="cannot write .*a-file/vae"):
        checkpoint.save(tiny("vae"), tmp_path / "a-file" / "vae")


def test_a_committed_save_in_a_read_only_folder_still_loads_the_new_model(tmp_path, monkeypatch):
    """Killed after the commit, then the folder became read-only (copied off a full disk, a read-only
    mount): load reads the staged weights where they are."""
    a, b, folder = pair(tmp_path)
    real = os.replace
    count = {"n": 0}

    def die_after_commit(src, dst):
        if count["n"] == 4:  # 3 staged files + config.json done
            raise Crash("died after the commit")
        count["n"] += 1
        real(src, dst)

    monkeypatch.setattr(os, "replace", die_after_commit)
    with pytest.raises(Crash):
        checkpoint.save(b, folder, metrics={"which": "B"}, history=[2])

    def read_only(src, dst):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    assert torch.equal(checkpoint.load(folder).mu.weight, b.mu.weight)
    assert (folder / "model.safetensors.next").is_file()  # nothing could be renamed, and nothing broke


# ---------------------------------------------------------------- the app with one checkpoint broken
GOOD, VICTIM = "vae", "dcgan"


def _delete(f: Path):
    shutil.rmtree(f)


def _truncate(f: Path):
    w = f / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])


def _garbage_weights(f: Path):
    (f / "model.safetensors").write_bytes(os.urandom(4096))


def _garbage_config(f: Path):
    (f / "config.json").write_bytes(os.urandom(300))


def _wrong_typed_setting(f: Path):  # used to escape as a TypeError and take every page down
    cfg = json.loads((f / "config.json").read_text())
    cfg["config"]["z_dim"] = "eight"
    (f / "config.json").write_text(json.dumps(cfg))


def _pickle_weights(f: Path):
    import pickle

    (f / "model.safetensors").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


@pytest.mark.parametrize(
    "damage, expect",
    [
        (_delete, "no checkpoint folder"),
        (_truncate, "sha256"),
        (_garbage_weights, "sha256"),
        (_garbage_config, "not valid JSON"),
        (_wrong_typed_setting, "cannot be built"),
        (_pickle_weights, "pickle"),
    ],
)
def test_app_serves_the_others_and_explains_the_broken_one(damage, expect, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    for n in (GOOD, VICTIM):
        if not shipped(n):
            pytest.skip(f"checkpoints/{n} is not trained yet")
    folder = tmp_path / "ckpts"
    for n in (GOOD, VICTIM):  # two models keep it fast; the copies share the on-disk encodings cache
        shutil.copytree(genlib.CHECKPOINTS / n, folder / n, ignore=shutil.ignore_patterns("samples"))
    damage(folder / VICTIM)
    monkeypatch.setattr(genlib, "CHECKPOINTS", folder)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = GOOD
    at.query_params["decode"] = "server"  # Streamlit's own sliders, which AppTest can see
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["model"] == GOOD and not at.error and at.slider
    assert VICTIM in " ".join(c.value for c in at.sidebar.caption)  # marked as not available
    at.selectbox(key="model_picker").set_value(VICTIM).run()
    assert not at.exception, [e.value for e in at.exception]
    assert expect in at.error[0].value and VICTIM in at.error[0].value
    at.selectbox(key="model_picker").set_value(GOOD).run()
    assert not at.exception and not at.error and at.slider  # the good one still works
