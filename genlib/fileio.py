"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` via a temp file and a rename. An OSError (a full disk, a read-only or
    missing folder) names the file and leaves any previous version of it unchanged."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            # f.write's ENOSPC names no file; OSError(errno, ...) keeps the subclass (PermissionError, ...)
            raise OSError(
                e.errno,
                f"{e.strerror or e}: cannot write {path} (is the disk full or the folder "
                "read-only?); its previous version, if any, is unchanged",
            ) from e
        raise


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1) + "\n").encode()


def write_json(path: Path | str, obj) -> None:
    atomic_write(path, json_bytes(obj))
