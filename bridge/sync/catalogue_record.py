"""One project as the sync engine sees it: the data the store reads and the planner renders,
a plain type at the bottom so that the store (which builds it) need not import the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.catalogue.inspiration import Relations


@dataclass(frozen=True)
class CatalogueRecord:
    """One project as the sync engine sees it (built by bridge.sync.store from the database)."""

    project_id: int
    ref: str
    archived: bool
    content_hash: str
    record: dict[str, Any]  # bridge.catalogue.canonical.record_dict
    proximity: str  # effective: km0 | foreign
    place: Mapping[str, Any] | None = None  # contract §3's place: the evidence's population
    requests: Any = None  # issue 22: bridge.connections.rules.Stats, shown in the post
    relations: Relations | None = None  # issue 22 point 5: built on / replicated in
