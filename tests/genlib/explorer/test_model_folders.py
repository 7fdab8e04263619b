"""Finding the ONNX model folders the app lists, and unpacking an uploaded one: what is listed, what is refused in
one line, and that an upload writes only its three known files, size-checked, into a folder removed with it."""

import gc
import io
import zipfile

import pytest

from genlib.explorer import model_folders
from genlib.models import onnx_folder

FILES = {onnx_folder.MANIFEST: b"{}", onnx_folder.DECODER: b"graph", onnx_folder.ENCODER: b"graph"}


def folder(path, files=FILES):
    path.mkdir(parents=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


def zipped(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_dir_of_model_folders_and_a_model_folder_itself_are_both_listed(tmp_path):
    a, b = folder(tmp_path / "many" / "a"), folder(tmp_path / "many" / "b")
    (tmp_path / "many" / "notes").mkdir()  # not a model folder: passed over
    single = folder(tmp_path / "single")
    found, problems = model_folders.find([tmp_path / "many", single], taken=set())
    assert found == {"a": a, "b": b, "single": single} and problems == []


def test_what_cannot_be_listed_is_named_and_the_rest_still_is(tmp_path):
    ok = folder(tmp_path / "d" / "mine")
    folder(tmp_path / "d" / "vae")  # the name of a shipped model
    folder(tmp_path / "d" / "bad name!")
    (tmp_path / "empty").mkdir()
    found, problems = model_folders.find([tmp_path / "d", tmp_path / "empty", tmp_path / "gone"], taken={"vae"})
    assert found == {"mine": ok}
    assert len(problems) == 4 and all("\n" not in p for p in problems)
    text = " ".join(problems)
    assert "'vae' is taken" in text and "rename the folder" in text and "no such folder" in text
    assert "no model folder in it" in text


def test_folders_from_the_environment_split_like_path(monkeypatch, tmp_path):
    env = {model_folders.ENV: f"{tmp_path / 'a'}:{tmp_path / 'b'}:"}
    assert model_folders.folders_from_env(env) == [tmp_path / "a", tmp_path / "b"]
    assert model_folders.folders_from_env({}) == []


@pytest.mark.parametrize("prefix", ["", "my-model/"])
def test_an_upload_unpacks_its_three_files_only_into_a_folder_removed_with_it(prefix):
    files = {prefix + k: v for k, v in FILES.items()}
    files |= {prefix + "run_me.py": b"import os", "__MACOSX/" + prefix + "model.json": b"junk"}
    upload = model_folders.unpack(zipped(files), "My Model (v2).zip", taken={"My-Model-v2"})
    assert upload.name == "My-Model-v2-2"  # plain characters, and not a name already taken
    assert sorted(p.name for p in upload.folder.iterdir()) == sorted(FILES)
    assert (upload.folder / onnx_folder.MANIFEST).read_bytes() == b"{}"
    root = upload.folder.parent
    del upload
    gc.collect()
    assert not root.exists()


def test_an_upload_without_a_folder_inside_or_not_a_zip_is_refused():
    with pytest.raises(ValueError, match="holds no model.json: zip the model folder"):
        model_folders.unpack(zipped({"decoder.onnx": b"x"}), "m.zip", set())
    with pytest.raises(ValueError, match="not a zip file"):
        model_folders.unpack(b"PK but not really", "m.zip", set())


def test_sizes_are_checked_before_anything_is_inflated(monkeypatch):
    with pytest.raises(ValueError, match="the zip is 11.0 MB, over the 10.0 MB limit"):
        model_folders.unpack(b"\0" * (model_folders.MAX_ZIP_BYTES + 2**20), "m.zip", set())
    bomb = zipped({**FILES, onnx_folder.DECODER: b"\0" * 5_000_000})  # 5 MB of zeros: a few KB zipped
    monkeypatch.setitem(model_folders.MEMBERS, onnx_folder.DECODER, 2**20)
    with pytest.raises(ValueError, match="decoder.onnx inflates to 4.8 MB, over its limit of 1.0 MB"):
        model_folders.unpack(bomb, "m.zip", set())


def test_a_damaged_or_password_protected_zip_is_refused_in_one_line():
    data = bytearray(zipped(FILES, zipfile.ZIP_STORED))
    at = data.index(b"graph")  # a stored graph's bytes changed: its CRC no longer matches
    data[at : at + 5] = b"GRAPH"
    with pytest.raises(ValueError, match="the zip cannot be read .*zip the folder again"):
        model_folders.unpack(bytes(data), "m.zip", set())
    locked = bytearray(zipped(FILES))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # the encrypted flag, in the local and the central headers
        start = 0
        while (start := locked.find(sig, start)) >= 0:
            flags = start + (6 if sig == b"PK\x03\x04" else 8)
            locked[flags] |= 1
            start += 4
    with pytest.raises(ValueError, match="password-protected in the zip"):
        model_folders.unpack(bytes(locked), "m.zip", set())
