"""Each table has one owner (issue 19 point 3; docs/DESIGN.md, "Tables and their owners").

Outside a table's owner modules, no SQL names the table (`FROM`, `JOIN`, `INTO`, `UPDATE`) and
no query is built on its model class (`select(Model`, `table_of(Model)`, `session.get(Model`…).
The owners listed here are the table in DESIGN.md; a read module beside its owner
(`*_read.py`, `read_store.py`) runs the driver-only reads the owner's engine-based reads call.
"""

from __future__ import annotations

import re
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent.parent / "bridge"

# table: (model class, modules that read or write it)
OWNERS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Another table's read that joins one of these takes the JOIN from the owner's package
    # (`sync/state_sql.py`, `loop/activity_sql.py`): the listing of `projects list` reads each
    # record's state and activity in its one query (issue 15).
    "sync_state": ("SyncState", ("sync/state.py", "sync/state_read.py", "sync/state_sql.py")),
    "activity": ("Activity", ("loop/store.py", "loop/activity_sql.py")),
    "forum_category": ("ForumCategory", ("sync/store.py", "sync/categories.py", "sync/state.py")),
    "sync_run": ("SyncRun", ("sync/runs.py", "sync/runs_read.py")),
    "catalogue_revision": ("CatalogueRevision", ("sync/revision.py",)),
    "lease": ("Lease", ("sync/lease.py", "sync/lease_read.py")),
    "webhook_delivery": ("WebhookDelivery", ("loop/store.py",)),
    "challenge": ("Challenge", ("challenges/store.py", "challenges/read_store.py")),
    "challenge_category": ("ChallengeCategory", ("challenges/store.py",)),
    "forum_page": ("ForumPage", ("observatory/store.py", "sync/pages_read.py")),
    "discovery_cache": (
        "DiscoveryCache",
        ("observatory/store.py", "discovery/index_store.py", "sync/pages_read.py"),
    ),
    "harvest_source": ("HarvestSource", ("harvest/store.py", "harvest/read_store.py")),
    "harvest_link": ("HarvestLink", ("harvest/store.py", "harvest/read_store.py")),
    "connection_request": (
        "ConnectionRequest",
        ("connections/store.py", "connections/read_store.py"),
    ),
    "connection_invite": (
        "ConnectionInvite",
        ("connections/store.py", "connections/read_store.py"),
    ),
    "connection_category": ("ConnectionCategory", ("connections/store.py",)),
    "project_inspiration": (
        "ProjectInspiration",
        ("catalogue/store.py", "catalogue/read_store.py"),
    ),
}
# Files allowed to query a table they do not own for a while; empty since the kernel (issue 19
# point 1) was merged: nothing may be added here.
KNOWN_UNTIL_KERNEL: set[tuple[str, str]] = set()

_QUERY = r"(select|table_of|get|query|insert|update|delete|exec)\(\s*{}\b"


def uses(table: str, model: str, text: str) -> bool:
    sql = re.search(rf"\b(FROM|JOIN|INTO|UPDATE)\s+{table}\b", text)
    return bool(sql or re.search(_QUERY.format(model), text))


def test_each_table_is_read_and_written_by_its_owner_only() -> None:
    strays = []
    for path in sorted(BRIDGE.rglob("*.py")):
        rel = path.relative_to(BRIDGE).as_posix()
        if rel.startswith(("migrations/", "models/")):
            continue
        text = path.read_text(encoding="utf-8")
        for table, (model, owners) in OWNERS.items():
            if rel in owners or (table, rel) in KNOWN_UNTIL_KERNEL:
                continue
            if uses(table, model, text):
                strays.append(f"{rel} reads or writes {table}")
    assert not strays, "\n".join(strays)


def test_the_check_finds_sql_and_queries() -> None:
    assert uses("sync_state", "SyncState", "SELECT 1 FROM sync_state s")
    assert uses("sync_state", "SyncState", "LEFT JOIN sync_state s ON")
    assert uses("lease", "Lease", "conn.execute(sa.select(Lease).where(x))")
    assert uses("lease", "Lease", "_t = table_of(Lease)")
    assert not uses("sync_state", "SyncState", "def plan(state: SyncState) -> None: ...")
    assert not uses("lease", "Lease", "from bridge.sync.lease import LeaseHeld")


def test_every_table_has_an_owner() -> None:
    import bridge.models

    bridge.models.load_all()
    from sqlmodel import SQLModel

    tables = set(SQLModel.metadata.tables) - {
        "place",
        "local_body",
        "project",
        "contact",
        "document",
    }
    assert tables == set(OWNERS)
