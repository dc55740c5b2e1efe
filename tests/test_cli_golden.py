"""The read commands print exactly what they printed before the lean read path (issue 15).

The golden files in tests/golden/cli/ were written by the code as it was before that change,
from the catalogue `golden_catalogue.build` makes (generated and real records, sync state,
activity, runs; every timestamp pinned). They are compared byte for byte, on SQLite and
PostgreSQL. `BRIDGE_WRITE_GOLDEN=1` rewrites them (only ever from a trusted revision).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from golden_catalogue import EXPORTS, FORUM_URL, build, commands
from plugins.catalogue import Run

GOLDEN = Path(__file__).resolve().parent / "golden" / "cli"
WRITE = os.environ.get("BRIDGE_WRITE_GOLDEN") == "1"


def _check(name: str, produced: bytes) -> None:
    path = GOLDEN / f"{name}.gz"
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(produced, mtime=0))
        return
    expected = gzip.decompress(path.read_bytes())
    if produced != expected:
        # Show where they part, not megabytes of JSON.
        at = next(
            (i for i, (a, b) in enumerate(zip(produced, expected, strict=False)) if a != b),
            min(len(produced), len(expected)),
        )
        pytest.fail(
            f"{name}: output differs from the golden file at byte {at} "
            f"(lengths {len(produced)} vs {len(expected)}):\n"
            f"  got:      {produced[max(0, at - 80) : at + 80]!r}\n"
            f"  expected: {expected[max(0, at - 80) : at + 80]!r}"
        )


@pytest.mark.shared
def test_read_commands_print_what_they_printed_before(
    cli: Callable[..., Run],
    engine: sa.Engine,
    shared_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCOURSE_URL", FORUM_URL)
    monkeypatch.setenv("COLUMNS", "120")
    refs = build(engine, shared_dir, tmp_path)
    for name, args in commands(refs).items():
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        _check(name, result.stdout.encode("utf-8"))
    for name in EXPORTS:
        path = tmp_path / name
        result = cli("export", path)
        assert result.exit_code == 0, result.stderr
        _check(name, path.read_bytes())
