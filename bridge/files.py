"""Writing files the operator names: atomically, keeping permissions, never through a special file.

Every command that writes a file (export, open data, templates) goes through `atomic_write`:

- the data goes to a temporary file in the target's directory, is flushed to disk, then renamed
  over the target, so a crash or a full disk never leaves a half-written file behind;
- an existing target keeps its permission bits (an operator who made an export `0600` keeps it
  `0600`); a new one is `0600` when `private` (it holds contacts not meant to be public), else
  what the umask allows an ordinary file;
- a target that is a symlink, a device, a FIFO, a socket or a directory is refused: following a
  symlink would write somewhere the operator did not name, and replacing a device node or a FIFO
  by a regular file breaks whatever relied on it. The rename itself never follows a symlink.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_MODE = 0o600


class UnsafeTarget(Exception):
    """The target cannot be written safely. The message names the path and says why."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the message; None for a regular file."""
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def target_mode(path: str | os.PathLike[str], *, private: bool) -> int:
    """The permission bits `atomic_write` gives `path`; UnsafeTarget when it must not be written."""
    target = Path(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return PRIVATE_MODE if private else 0o666 & ~_umask()
    kind = _kind(info.st_mode)
    if kind is not None:
        raise UnsafeTarget(f"{target}: is {kind}; name a regular file (nothing was written)")
    return stat.S_IMODE(info.st_mode)


def atomic_write(path: str | os.PathLike[str], data: bytes, *, private: bool) -> None:
    """Replace `path` with `data` atomically (see the module docstring). Raises UnsafeTarget for a
    special file or a missing directory, OSError when the disk refuses."""
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise UnsafeTarget(f"{target}: directory {directory} does not exist (nothing was written)")
    mode = target_mode(target, private=private)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp creates the file 0600, so private data is never readable by others, even briefly.
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        # Checked again just before the rename: a special file may have appeared meanwhile.
        target_mode(target, private=private)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable; some systems (and Windows) cannot open a directory: skip there."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


__all__ = ["PRIVATE_MODE", "UnsafeTarget", "atomic_write", "target_mode"]
