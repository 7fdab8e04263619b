"""ONNX model folders the app lists beside the shipped models: every one in the folders named by
`latent-lab app --models DIR` (passed on as $LATENT_LAB_MODELS), and one uploaded as a zip, kept for that browser
session only. Finding and unpacking them, no Streamlit; loading is genlib.load(path=...)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from ..models import onnx_folder

ENV = "LATENT_LAB_MODELS"  # folders, separated by os.pathsep as in PATH
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # the name is the picker's entry, the URL's ?model= and a key
MAX_ZIP_BYTES = 10 * 2**20  # the app's upload limit (server.maxUploadSize, genlib/cli.py and .streamlit/config.toml)
READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
MEMBERS = {  # what an upload may contribute, and the most each may inflate to (a zip bomb stops at the limit)
    onnx_folder.MANIFEST: onnx_folder.MAX_MANIFEST_BYTES,
    onnx_folder.DECODER: onnx_folder.MAX_BYTES,
    onnx_folder.ENCODER: onnx_folder.MAX_BYTES,
}


def folders_from_env(environ=os.environ) -> list[Path]:
    return [Path(p).expanduser() for p in environ.get(ENV, "").split(os.pathsep) if p.strip()]


def find(dirs: list[Path], taken: set[str]) -> tuple[dict[str, Path], list[str]]:
    """(name -> folder, one line per problem). Each DIR is a model folder itself or holds model folders one level
    down; a folder's name is its picker entry, so one that clashes with a `taken` name (or an earlier folder) or
    is not a plain name is skipped with a line saying how to fix it."""
    found: dict[str, Path] = {}
    problems: list[str] = []
    for d in dirs:
        if not d.is_dir():
            problems.append(f"--models {d}: no such folder")
            continue
        candidates = [d] if onnx_folder.is_folder(d) else sorted(p for p in d.iterdir() if onnx_folder.is_folder(p))
        if not candidates:
            problems.append(
                f"--models {d}: no model folder in it (one holds {onnx_folder.MANIFEST} and {onnx_folder.DECODER})"
            )
        for folder in candidates:
            name = folder.resolve().name
            if not NAME.fullmatch(name):
                problems.append(f"{folder}: rename the folder to letters, digits, '-', '_' or '.' to list it")
            elif name in taken or name in found:
                problems.append(f"{folder}: the name {name!r} is taken by another model; rename the folder to list it")
            else:
                found[name] = folder
    return found, problems


@dataclass(frozen=True)
class Upload:
    """A model folder unpacked from an uploaded zip into a private temporary folder, which is removed when this
    object is (when its browser session ends)."""

    name: str
    folder: Path


def upload_name(file_name: str, taken: set[str]) -> str:
    """A picker name from the zip's file name: plain characters only, and not one already taken."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(file_name).stem).strip("-.") or "uploaded"
    stem = stem[:48]
    name, i = stem, 2
    while name in taken:
        name, i = f"{stem}-{i}", i + 1
    return name


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The known files of the folder the zip holds: at its root, or inside its single top folder."""
    files = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    for prefix in {"", *(i.filename.split("/")[0] + "/" for i in files if "/" in i.filename)}:
        found = {i.filename[len(prefix) :]: i for i in files if i.filename.startswith(prefix)}
        found = {k: v for k, v in found.items() if k in MEMBERS}
        if onnx_folder.MANIFEST in found:
            return found
    raise ValueError(
        f"the zip holds no {onnx_folder.MANIFEST}: zip the model folder ({onnx_folder.MANIFEST}, "
        f"{onnx_folder.DECODER}, optionally {onnx_folder.ENCODER})"
    )


def unpack(data: bytes, file_name: str, taken: set[str]) -> Upload:
    """An uploaded zip of a model folder, unpacked (its three known files only, each size-checked before it is
    inflated; nothing in it is run) into a new temporary folder. ValueError, one line, when it cannot be."""
    if len(data) > MAX_ZIP_BYTES:
        raise ValueError(
            f"the zip is {_size(len(data))}, over the {_size(MAX_ZIP_BYTES)} limit: zip the model folder's files only"
        )
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("not a zip file: zip the model folder and upload the .zip") from None
    with zf:
        members = _members(zf)
        for member, info in members.items():
            if info.flag_bits & 0x1:  # zipfile reads an encrypted member only with its password
                raise ValueError(f"{member} is password-protected in the zip: zip the folder again without one")
            if info.compress_type not in READABLE:
                raise ValueError(f"{member} is compressed in a way Python cannot read: zip it again with the default")
            if info.file_size > MEMBERS[member]:
                raise ValueError(
                    f"{member} inflates to {_size(info.file_size)}, over its limit of {_size(MEMBERS[member])}"
                )
        name = upload_name(file_name, taken)
        root = Path(tempfile.mkdtemp(prefix="latent-lab-upload-"))
        try:
            (root / name).mkdir()
            for member, info in members.items():
                (root / name / member).write_bytes(zf.read(info))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:  # damaged: a CRC or a stream that fails
            shutil.rmtree(root, ignore_errors=True)
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ValueError(f"the zip cannot be read ({why}); zip the folder again") from None
    upload = Upload(name, root / name)
    weakref.finalize(upload, shutil.rmtree, root, True)
    return upload


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"
