"""The harvest's vocabulary: what a source is, what was read from it, and what a harvest plans.
Plain frozen dataclasses and enums (a dry run prints these)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    dcat = "dcat"  # a DCAT-AP catalogue (JSON-LD, RDF/XML or Turtle)
    datapackage = "datapackage"  # a Frictionless Data Package (DigiCanvis' own layout)
    jrc = "jrc-csv"  # the JRC public-sector inventory CSV, as published


# A source's read is bounded (issue 23): time, bytes, records. Here, not in the fetcher, so the
# `[[harvest]]` settings name them without loading the reader.
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RECORDS = 100_000


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT_S
    max_bytes: int = DEFAULT_MAX_BYTES
    max_records: int = DEFAULT_MAX_RECORDS


@dataclass(frozen=True)
class Validators:
    """What the last successful read of a source answered, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class SourceState:
    """What the catalogue remembers of a source (`harvest_source`)."""

    slug: str
    url: str
    validators: Validators
    digest: str | None


class SourceFailed(Exception):
    """A source that cannot be harvested: unreachable, malformed, of a schema it does not match,
    partial. Nothing of it is written; the message says why."""


@dataclass(frozen=True)
class Item:
    """One record as its source gives it: the fields of contract §4 (no ref, no provenance)."""

    source_id: str
    record: Mapping[str, Any]
    modified: str | None = None
    url: str | None = None  # the original's own page


@dataclass(frozen=True)
class SourceDocument:
    kind: SourceKind
    items: tuple[Item, ...]
    licence: str | None = None
    publisher: str | None = None
    # Rows the source gives that cannot be a record (no country, no body…), each with why.
    skipped: tuple[str, ...] = ()
    # A DigiCanvis package's own identifier (its `id`), to recognise one's own package.
    package_id: str | None = None
    notes: tuple[str, ...] = ()  # how it was read (a delimiter, a followed distribution)


@dataclass(frozen=True)
class Defaults:
    """What a source's records lack and the harvest gives them (a DCAT dataset says nothing of
    the fitxa's area, kind or phase): from `[[harvest]]` or the command's options."""

    area: str | None = None
    kind: str | None = None
    phase: str | None = None
    country: str | None = None

    def fill(self, record: dict[str, Any]) -> dict[str, Any]:
        for name in ("area", "kind", "phase"):
            if not record.get(name) and getattr(self, name):
                record[name] = getattr(self, name)
        body = record.setdefault("local_body", {})
        if not body.get("country") and self.country:
            body["country"] = self.country
        return record


class Action(StrEnum):
    add = "add"
    update = "update"
    archive = "archive"
    restore = "restore"
    merge = "merge"  # the same project as another source's record: kept once, both provenances
    unchanged = "unchanged"


@dataclass(frozen=True)
class Planned:
    action: Action
    ref: str
    source_id: str
    title: str
    fields: tuple[str, ...] = ()  # for an update: what changed
    into: str | None = None  # for a merge: the record kept


@dataclass(frozen=True)
class SourceOutcome:
    """One source's harvest: what was (or, in a dry run, would be) done, or why it failed."""

    source: str
    slug: str
    kind: SourceKind | None = None
    planned: tuple[Planned, ...] = ()
    error: str | None = None
    not_modified: bool = False  # the source answered "unchanged": nothing read, nothing written
    note: str | None = None  # why it is unchanged
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def count(self, action: Action) -> int:
        return sum(1 for p in self.planned if p.action is action)


# What a harvest counts, by the name its summary and its lines give each, in their order.
COUNTED = (
    ("added", Action.add),
    ("updated", Action.update),
    ("archived", Action.archive),
    ("restored", Action.restore),
    ("merged", Action.merge),
    ("unchanged", Action.unchanged),
)


def counts_said(outcome: SourceOutcome, *, unchanged: bool = True) -> str:
    """ "2 added, 1 updated, 0 archived, …": the counts as `harvest` and `schedule` say them."""
    return ", ".join(
        f"{outcome.count(action)} {name}"
        for name, action in COUNTED
        if unchanged or action is not Action.unchanged
    )


def summary(outcome: SourceOutcome) -> dict[str, Any]:
    """One source's outcome as `harvest --json` prints it (contract §4b)."""
    return {
        "source": outcome.source,
        "slug": outcome.slug,
        "kind": outcome.kind.value if outcome.kind else None,
        "not_modified": outcome.not_modified,
        "error": outcome.error,
        "note": outcome.note,
        **{name: outcome.count(action) for name, action in COUNTED},
        "plan": [
            {
                "action": p.action.value,
                "ref": p.ref,
                "source_id": p.source_id,
                "title": p.title,
                "fields": list(p.fields),
                "into": p.into,
            }
            for p in outcome.planned
            if p.action is not Action.unchanged
        ],
        "warnings": list(outcome.warnings),
    }
