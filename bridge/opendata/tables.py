"""The public catalogue as three tables of text cells, and those tables as CSV bytes. Pure.

What is public is decided here and only here:
- archived records never appear (nor their documents and contacts);
- of the contacts, only those marked `public`, and of them only name, role and forum profile:
  never an email address or a phone number, whatever `public` says (personal data belongs in the
  forum, not in a download). Their positions are counted among the public contacts alone, so a
  gap does not tell that a private contact exists.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bridge.opendata.dictionary import CONTACTS, DOCUMENTS, PROJECTS, Column, FieldType, Table

Row = tuple[str, ...]


@dataclass(frozen=True)
class PublicTables:
    projects: tuple[Row, ...]
    documents: tuple[Row, ...]
    contacts: tuple[Row, ...]

    def rows(self, table: Table) -> tuple[Row, ...]:
        return {"projects": self.projects, "documents": self.documents, "contacts": self.contacts}[
            table.name
        ]


def _dig(source: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = source
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def iso_utc(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # stored timestamps are UTC (bridge.models.types)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(column: Column, value: Any) -> str:
    """One CSV cell: empty for absent, numbers without a spurious `.0`, datetimes in UTC."""
    if value is None or value == "":
        return ""
    if column.type is FieldType.integer:
        return str(int(value))
    if column.type is FieldType.number:
        number = float(value)
        if not math.isfinite(number):
            return ""
        return str(int(number)) if number.is_integer() else repr(number)
    if column.type is FieldType.datetime:
        return iso_utc(value)
    return str(value)


def _row(table: Table, source: Mapping[str, Any]) -> Row:
    return tuple(cell(column, _dig(source, column.source)) for column in table.columns)


def profile_url(discourse_url: str | None, username: str | None) -> str | None:
    # Discourse serves a user's profile at /u/:username (config/routes.rb, `%w{users u}` routes).
    if not discourse_url or not username:
        return None
    return f"{discourse_url.rstrip('/')}/u/{quote(username, safe='')}"


def public_tables(
    records: Iterable[Mapping[str, Any]],
    modified: Mapping[str, datetime],
    discourse_url: str | None,
) -> PublicTables:
    """The three tables, rows in ref order. `records` are dicts as `projects list --json` prints
    them (with `place` where the catalogue resolved one); `modified` maps each public ref to its
    latest change (a record missing there changed while this was read, and is left out)."""
    projects: list[Row] = []
    documents: list[Row] = []
    contacts: list[Row] = []
    for record in sorted(records, key=lambda r: r["ref"]):
        ref = record["ref"]
        if record.get("archived") or ref not in modified:
            continue
        projects.append(_row(PROJECTS, {**record, "modified": modified[ref]}))
        for position, document in enumerate(record.get("documents") or ()):
            documents.append(_row(DOCUMENTS, {**document, "ref": ref, "position": position}))
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
            contacts.append(_row(CONTACTS, allowed))
    return PublicTables(tuple(projects), tuple(documents), tuple(contacts))


def csv_bytes(table: Table, rows: Iterable[Row]) -> bytes:
    """RFC 4180 CSV (comma, double quotes, CRLF), UTF-8 without BOM, a header of column names."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in table.columns])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
