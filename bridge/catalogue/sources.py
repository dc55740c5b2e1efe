"""Reading an input file safely: only a regular file, within a stated size, decoded as stated.

Every file the product reads from an administrator (records, registries of places) comes through
here, so a FIFO cannot hang an import, a symlink to /dev/zero cannot exhaust memory and a 200 MB
file is refused before it is read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_FILE_MB = 100
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024


class SourceError(Exception):
    """The file cannot be read as input (its message is meant for a person, without the path)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting forever; it
    # is then refused below like any other file that is not a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise SourceError("file not found") from None
    except IsADirectoryError:
        raise SourceError("is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError("is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("is not a regular file (a device, a pipe or a socket); not read")
        if info.st_size > limit:
            raise SourceError(
                f"is {info.st_size / 2**20:.0f} MB; "
                f"files of more than {limit // 2**20} MB are refused"
            )
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while it was read
                raise SourceError(f"more than {limit // 2**20} MB; refused")
        return b"".join(chunks)
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Decoded:
    text: str
    note: str | None = None  # said in a warning: the file was not UTF-8


def decode(data: bytes, *, windows_1252: bool) -> Decoded:
    """UTF-8 (a byte-order mark, as spreadsheets write it, is skipped); with `windows_1252`, a
    file that is not UTF-8 is read as Windows-1252, as Catalan and Spanish Excel saves CSV.
    Anything else is refused: a NUL byte is never text (UTF-16, a binary file), and the five
    bytes Windows-1252 leaves undefined mean another encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise SourceError("is not UTF-8 text (UTF-16 or a binary file); save it as UTF-8")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        if windows_1252:
            try:
                return Decoded(
                    data.decode("cp1252"), "read as Windows-1252 (the file is not UTF-8)"
                )
            except UnicodeDecodeError:
                pass
        line = data[: exc.start].count(b"\n") + 1
        hint = "UTF-8 or Windows-1252" if windows_1252 else "UTF-8"
        raise SourceError(
            f"not {hint} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            line=line,
        ) from None
