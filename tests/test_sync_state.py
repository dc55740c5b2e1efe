"""bridge.sync.state: the one rule for a record's sync state, and the sync engine's layering."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.models import SyncStatus
from bridge.sync.state import StateSummary, effective_status, is_pending, needs_bookkeeping, settled


@dataclass(frozen=True)
class Rec:
    archived: bool = False
    content_hash: str = "h1"


def synced(**changes: object) -> StateSummary:
    values: dict[str, object] = {
        "state": SyncStatus.synced,
        "topic_id": 7,
        "content_hash": "h1",
        "closed": False,
    }
    values.update(changes)
    return StateSummary(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "state", "expected"),
    [
        (Rec(), None, SyncStatus.never),
        (Rec(), synced(topic_id=None, state=SyncStatus.pending), SyncStatus.never),
        (Rec(), synced(topic_id=None, state=SyncStatus.failed), SyncStatus.failed),
        (Rec(), synced(), SyncStatus.synced),
        (Rec(content_hash="h2"), synced(), SyncStatus.pending),
        (Rec(archived=True), synced(), SyncStatus.pending),  # topic still to be closed
        (Rec(archived=True), synced(closed=True), SyncStatus.synced),
        # Issue 8's repro: archived, closed, content edited since: it waits for its restore.
        (Rec(archived=True, content_hash="h2"), synced(closed=True), SyncStatus.synced),
        (Rec(content_hash="h2"), synced(closed=True), SyncStatus.pending),  # restored, edited
        (Rec(content_hash="h2"), synced(state=SyncStatus.failed), SyncStatus.failed),
        (Rec(), synced(state=SyncStatus.drift), SyncStatus.drift),
    ],
)
def test_effective_status_table(record: Rec, state: StateSummary | None, expected: str) -> None:
    assert effective_status(record, state) is expected


def test_bookkeeping_follows_pending_and_unsettled_rows() -> None:
    assert not needs_bookkeeping(Rec(), synced())
    assert needs_bookkeeping(Rec(content_hash="h2"), synced())
    assert needs_bookkeeping(Rec(), synced(state=SyncStatus.failed))
    assert not needs_bookkeeping(Rec(archived=True, content_hash="h2"), synced(closed=True))
    assert not is_pending(Rec(content_hash="h2"), None)


def test_settled_is_drift_while_any_drift_is_left() -> None:
    assert settled(["title"]) is SyncStatus.drift
    assert settled([]) is settled(None) is SyncStatus.synced


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_sync_engine_does_not_import_the_loop() -> None:
    """Issue 8: Discourse facts both need live in bridge.rules.discourse, not in bridge.loop."""
    package = Path(__file__).resolve().parents[1] / "bridge" / "sync"
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.startswith("bridge.loop"))
        for path in package.glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_only_bridge_sync_state_writes_the_sync_state_table() -> None:
    """One owner: no other module names SyncState's table for an insert, update or delete."""
    root = Path(__file__).resolve().parents[1] / "bridge"
    writers = []
    for path in root.rglob("*.py"):
        if path.name == "state.py" and path.parent.name == "sync":
            continue
        if "migrations" in path.parts or "emulator" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for verb in ("insert", "update", "delete"):
            for alias in ("SyncState.__table__", "SyncState)", "_state"):
                if f"sa.{verb}({alias}" in text:
                    writers.append(f"{path.relative_to(root)}: {verb}")
        if "session.get(SyncState" in text:
            writers.append(f"{path.relative_to(root)}: ORM")
    assert writers == []
