"""Putting the package's files into DIR so that a half-written package never replaces a good one.

The files are written (and flushed to disk) into a fresh directory beside DIR, then swapped in by
renaming: the old DIR is renamed aside, the new one renamed to DIR, the old one removed. A crash
or an error while writing leaves DIR as it was; readers see the old package or the new one, never
a mixture. When DIR already holds exactly these bytes nothing is written at all, so a refresh of
an unchanged catalogue touches nothing.

DIR is replaced as a whole, so it must hold the package and nothing else: a directory with other
files (a home directory given by mistake) is refused rather than swept away.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


class TargetRefused(Exception):
    """DIR cannot be replaced by the package (it is a file, or holds other things)."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def resolved(target: Path) -> Path:
    """DIR itself, or the directory a symbolic link DIR points to (issue 28 point 8: a served
    directory is often a link): the package is written there, the link left as it is. Raises
    TargetRefused, saying what the link points to, when that is not a directory."""
    if not target.is_symlink():
        return target
    real = target.resolve()
    if not real.exists():
        raise TargetRefused(f"{target} is a symbolic link to {real}, which does not exist")
    if not real.is_dir():
        raise TargetRefused(f"{target} is a symbolic link to {real}, which is not a directory")
    return real


def check_replaceable(target: Path, names: Iterable[str]) -> None:
    """Raise TargetRefused unless `target` (or the directory it links to) is absent, or a
    directory holding only files named in `names` (a package this module wrote)."""
    target = resolved(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise TargetRefused(f"{target} exists and is not a directory")
    allowed = set(names)
    foreign = sorted(
        entry.name
        for entry in target.iterdir()
        if entry.name not in allowed or entry.is_symlink() or not entry.is_file()
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise TargetRefused(
            f"{target} holds things that are not part of the package ({shown}): "
            "refusing to replace it; give a new or empty directory, or one this command wrote"
        )


def _holds(target: Path, files: Mapping[str, bytes]) -> bool:
    """True when `target` already holds exactly `files` (checked replaceable first)."""
    check_replaceable(target, files)
    if not target.exists():
        return False
    present = {entry.name: entry for entry in target.iterdir()}
    return present.keys() == files.keys() and all(
        present[name].read_bytes() == data for name, data in files.items()
    )


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (the parent of DIR): two writers of one DIR, say the
    scheduler and an administrator, take turns instead of renaming under each other. A lock on
    the directory itself leaves no lock file behind."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_directory(target: Path, files: Mapping[str, bytes]) -> bool:
    """Make `target` hold exactly `files` (name -> bytes). Returns False when it already did.
    A symbolic link is followed: the directory it points to is replaced, the link kept."""
    target = resolved(Path(os.path.abspath(target)))
    check_replaceable(target, files)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent):
        if _holds(target, files):
            return False
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".new", dir=parent))
        try:
            for name in sorted(files):
                with open(staging / name, "wb") as handle:
                    handle.write(files[name])
                    handle.flush()
                    os.fsync(handle.fileno())
            # mkdtemp makes a private directory; the package is meant to be served.
            os.chmod(staging, target.stat().st_mode & 0o7777 if target.exists() else 0o755)
            _fsync_dir(staging)
            _swap(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return True


def _swap(staging: Path, target: Path) -> None:
    parent = target.parent
    if not target.exists():
        os.rename(staging, target)
        _fsync_dir(parent)
        return
    # rename(2) replaces an empty directory atomically, so the old package goes onto a fresh one.
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)  # put the good package back
        raise
    _fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)
