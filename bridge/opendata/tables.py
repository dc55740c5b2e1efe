"""The public catalogue as three tables of text cells, and those tables as CSV bytes. Pure.

What is public is decided here and only here:
- archived records never appear (nor their documents and contacts);
- a harvested record appears only where its source's licence allows re-publishing it;
- of the contacts, only those marked `public`, and of them only name, role and forum profile:
  never an email address or a phone number, whatever `public` says (personal data belongs in the
  forum, not in a download). Their positions are counted among the public contacts alone, so a
  gap does not tell that a private contact exists;
- forum addresses are absolute or absent: without a configured forum (DISCOURSE_URL unset, as a
  cron job on a web server often runs it) a topic's path alone would fail the schema's `format:
  uri` and lead nowhere, so the cell is left empty (the data dictionary says so).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bridge.catalogue.evidence import derived
from bridge.harvest.licences import allows_republishing
from bridge.opendata.dictionary import (
    CONTACTS,
    DOCUMENTS,
    INSPIRATIONS,
    KPIS,
    PROJECTS,
    FieldType,
    Table,
)

Row = tuple[str, ...]


@dataclass(frozen=True)
class PublicTables:
    projects: tuple[Row, ...]
    documents: tuple[Row, ...]
    contacts: tuple[Row, ...]
    kpis: tuple[Row, ...] = ()
    inspirations: tuple[Row, ...] = ()

    def rows(self, table: Table) -> tuple[Row, ...]:
        return {
            "projects": self.projects,
            "documents": self.documents,
            "contacts": self.contacts,
            "kpis": self.kpis,
            "inspirations": self.inspirations,
        }[table.name]


def iso_utc(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # stored timestamps are UTC (bridge.models.types)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Any) -> str:
    number = float(value)
    if not math.isfinite(number):
        return ""
    return str(int(number)) if number.is_integer() else repr(number)


# How a value becomes a cell: numbers without a spurious `.0`, times in UTC (absent: empty).
_FORMATS: dict[FieldType, Callable[[Any], str]] = {
    FieldType.string: str,
    FieldType.integer: lambda value: str(int(value)),
    FieldType.number: _number,
    FieldType.datetime: iso_utc,
}


def _getter(path: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Any]:
    # Paths are one key or two (record -> local_body -> name). Compiled once per column: this
    # runs for every cell of 10,000 records.
    if len(path) == 1:
        (key,) = path
        return lambda source: source.get(key)
    first, second = path

    def get(source: Mapping[str, Any]) -> Any:
        inner = source.get(first)
        return inner.get(second) if inner else None

    return get


def _row_maker(table: Table) -> Callable[[Mapping[str, Any]], Row]:
    readers = [(_getter(column.source), _FORMATS[column.type]) for column in table.columns]

    def make(source: Mapping[str, Any]) -> Row:
        cells = []
        for get, fmt in readers:
            value = get(source)
            cells.append("" if value is None or value == "" else fmt(value))
        return tuple(cells)

    return make


def absolute_url(url: str | None) -> str | None:
    """An http(s) URL as it is; anything else (a topic's `/t/…` path when no forum is configured)
    as absent."""
    if url and url.startswith(("https://", "http://")):
        return url
    return None


def profile_url(discourse_url: str | None, username: str | None) -> str | None:
    # Discourse serves a user's profile at /u/:username (config/routes.rb, `%w{users u}` routes).
    if not discourse_url or not username:
        return None
    return f"{discourse_url.rstrip('/')}/u/{quote(username, safe='')}"


def public_records(
    records: Iterable[Mapping[str, Any]], modified: Mapping[str, datetime]
) -> list[Mapping[str, Any]]:
    """The records that appear, in ref order: not archived, and in `modified` (the refs public
    when their changes were read; one missing there changed while this was read, and is left out
    until the next refresh)."""
    public = [
        r
        for r in records
        if not r.get("archived") and r["ref"] in modified and _republishable(r.get("provenance"))
    ]
    return sorted(public, key=lambda r: r["ref"])


def _republishable(provenance: Mapping[str, Any] | None) -> bool:
    """A record of this catalogue's own, or one harvested under a licence that allows it
    (issue 23)."""
    return provenance is None or allows_republishing(provenance.get("licence"))


def public_tables(
    records: Iterable[Mapping[str, Any]],
    modified: Mapping[str, datetime],
    discourse_url: str | None,
    requests: Mapping[str, Any] | None = None,
) -> PublicTables:
    """The three tables, rows in ref order. `records` are dicts as `projects list --json` prints
    them (with `place` where the catalogue resolved one); `modified` maps each public ref to its
    latest change; `requests` each ref's request figures (bridge.connections.rules.Stats)."""
    requests = requests or {}
    project_row, document_row, contact_row, kpi_row, inspiration_row = map(
        _row_maker, (PROJECTS, DOCUMENTS, CONTACTS, KPIS, INSPIRATIONS)
    )
    chosen = public_records(records, modified)
    # Issue 22 point 5: a link shows only where both ends are public (no dangling ref).
    published = {record["ref"] for record in chosen}
    inspirations: list[Row] = []
    kpis: list[Row] = []
    projects: list[Row] = []
    documents: list[Row] = []
    contacts: list[Row] = []
    for record in chosen:
        ref = record["ref"]
        topic = absolute_url(record.get("topic_url"))
        built_on = [r for r in record.get("inspired_by") or () if r in published]
        projects.append(
            project_row(
                {
                    **record,
                    "modified": modified[ref],
                    "topic_url": topic,
                    **_evidence(record),
                    "requests": requests[ref].as_json() if ref in requests else None,
                    "inspired_by": " ".join(built_on),
                }
            )
        )
        inspirations += [inspiration_row({"ref": ref, "inspired_by": r}) for r in built_on]
        for position, kpi in enumerate(record.get("kpis") or ()):
            kpis.append(kpi_row({**kpi, "ref": ref, "position": position}))
        for position, document in enumerate(record.get("documents") or ()):
            documents.append(document_row({**document, "ref": ref, "position": position}))
        public = [c for c in record.get("contacts") or () if c.get("public") is True]
        for position, contact in enumerate(public):
            # Built from the allowed keys only: email and phone are never read.
            allowed = {
                "ref": ref,
                "position": position,
                "name": contact.get("name"),
                "role": contact.get("role"),
                "forum_username": contact.get("forum_username"),
                "forum_profile": profile_url(discourse_url, contact.get("forum_username")),
            }
            contacts.append(contact_row(allowed))
    return PublicTables(
        tuple(projects), tuple(documents), tuple(contacts), tuple(kpis), tuple(inspirations)
    )


def _evidence(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the projects table reads of a record's evidence beyond its own fields (issue 25):
    each funding source's share, and the derived figures with their basis."""
    figures = derived(record)
    basis = figures["population_basis"]
    team = record.get("team") or {}
    shares: dict[str, float] = {}
    for item in record.get("funding") or ():
        if "share" in item:
            shares[item["source"]] = shares.get(item["source"], 0) + item["share"]
    return {
        "funding_share": shares,
        "team": {
            **team,
            "external": None if "external" not in team else str(team["external"]).lower(),
        },
        "evidence": {
            **figures,
            "population": basis["population"],
            "population_source": basis["source"],
            "caveats": " ".join(basis["caveats"]),
        },
    }


def csv_bytes(table: Table, rows: Iterable[Row]) -> bytes:
    """RFC 4180 CSV (comma, double quotes, CRLF), UTF-8 without BOM, a header of column names."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in table.columns])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
