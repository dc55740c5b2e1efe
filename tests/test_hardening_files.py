"""Issue 14 item 10: `export` writes atomically, keeps the target's mode (private by default when
the export holds private contacts) and never follows or replaces a symlink, device or FIFO."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from plugins.catalogue import Run, make_records, write_records_file

from bridge.files import UnsafeTarget, atomic_write

Cli = Callable[..., Run]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def imported(cli: Cli, tmp_path: Path) -> Cli:
    # make_record(0) holds a contact with public: false (the private case of contract §4).
    result = cli("import", write_records_file(tmp_path / "in.json", make_records(3)))
    assert result.exit_code == 0, result.stderr
    return cli


def test_export_over_a_0600_file_keeps_0600(imported: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    target.chmod(0o600)
    assert imported("export", target).exit_code == 0
    assert _mode(target) == 0o600
    assert "old" not in target.read_text()


def test_export_over_a_0644_file_keeps_0644(imported: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("[]\n")
    target.chmod(0o644)
    assert imported("export", target).exit_code == 0
    assert _mode(target) == 0o644


def test_new_export_with_private_contacts_is_0600(imported: Cli, tmp_path: Path) -> None:
    target = tmp_path / "new.csv"
    assert imported("export", target).exit_code == 0
    assert _mode(target) == 0o600


def test_new_export_without_private_contacts_follows_the_umask(cli: Cli, tmp_path: Path) -> None:
    records = make_records(2, start=1)  # odd records have no contacts
    assert cli("import", write_records_file(tmp_path / "in.json", records[:1])).exit_code == 0
    target = tmp_path / "public.json"
    old = os.umask(0o022)
    try:
        assert cli("export", target).exit_code == 0
    finally:
        os.umask(old)
    assert _mode(target) == 0o644


def test_export_refuses_a_symlink_and_leaves_both_alone(imported: Cli, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    result = imported("export", link)
    assert result.exit_code == 2
    assert "symbolic link" in result.stderr
    assert link.is_symlink() and victim.read_text() == "keep me\n"


def test_export_refuses_a_fifo_without_hanging(imported: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = imported("export", fifo)
    assert result.exit_code == 2
    assert "FIFO" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_atomic_write_refuses_a_device_node() -> None:
    # /dev/null is a character device on every POSIX system; it must stay one.
    with pytest.raises(UnsafeTarget, match="character device"):
        atomic_write("/dev/null", b"x", private=False)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_atomic_write_leaves_no_temporary_file_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"good")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write(target, b"new", private=True)
    assert target.read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
