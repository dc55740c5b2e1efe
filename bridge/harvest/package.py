"""A Frictionless Data Package in DigiCanvis' open-data layout (what `digicanvis opendata`
writes) read back as records. The columns are mapped through the data dictionary that wrote them
(`bridge.opendata.dictionary`: each column's source path into the record), so every public field
of the fitxa comes back as it went out, and a column added there is harvested without a change
here. What is derived on the publishing side (place, proximity, the forum's activity, the topic)
is left to this catalogue to derive again; the topic's address becomes the original's link.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

from bridge.catalogue.schema import RecordIn
from bridge.harvest.model import Item, SourceDocument, SourceFailed, SourceKind
from bridge.opendata.dictionary import CONTACTS, DOCUMENTS, PROJECTS, Column, FieldType, Table

# A record field the package carries but the harvesting side decides: its ref (namespaced),
# proximity (derived from the body's region against *this* catalogue's home region) and
# provenance (this harvest's).
_NOT_CONTENT = {"ref", "proximity", "provenance"}
_RECORD_FIELDS = set(RecordIn.model_fields) - _NOT_CONTENT

Get = Callable[[str], bytes]  # a resource's bytes, by its path relative to the package


def looks_like(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("resources"), list)


def read(descriptor: dict[str, Any], get: Get) -> SourceDocument:
    resources = {r.get("name"): r for r in descriptor["resources"] if isinstance(r, dict)}
    if "projects" not in resources:
        names = ", ".join(str(n) for n in resources) or "none"
        raise SourceFailed(
            f"a data package without a 'projects' resource (resources: {names}): not the "
            "DigiCanvis open-data layout"
        )
    projects = _rows(resources["projects"], PROJECTS, get)
    documents = _rows(resources["documents"], DOCUMENTS, get) if "documents" in resources else []
    contacts = _rows(resources["contacts"], CONTACTS, get) if "contacts" in resources else []
    by_ref: dict[str, dict[str, Any]] = {}
    items: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for cells in projects:
        ref = cells.get("ref", "")
        if not ref:
            raise SourceFailed("projects.csv: a row without a ref")
        if ref in by_ref:
            raise SourceFailed(f"projects.csv: ref {ref} appears twice")
        record = _record(PROJECTS, cells)
        by_ref[ref] = record
        items.append((ref, record, cells))
    for cells in sorted(documents, key=lambda c: (c.get("ref", ""), _position(c))):
        owner = _owner(by_ref, cells, "documents.csv")
        owner.setdefault("documents", []).append(
            {k: v for k in ("kind", "title", "url") if (v := cells.get(k))}
        )
    for cells in sorted(contacts, key=lambda c: (c.get("ref", ""), _position(c))):
        owner = _owner(by_ref, cells, "contacts.csv")
        # Only the name and role: a forum user name is the publishing forum's, not ours.
        contact = {k: v for k in ("name", "role") if (v := cells.get(k))}
        if contact.get("name"):
            owner.setdefault("contacts", []).append(contact | {"public": True})
    licences = descriptor.get("licenses") or []
    licence = None
    if licences and isinstance(licences[0], dict):
        licence = licences[0].get("path") or licences[0].get("name")
    publisher = next(
        (
            c.get("title")
            for c in descriptor.get("contributors") or []
            if isinstance(c, dict) and c.get("role") == "publisher"
        ),
        None,
    )
    return SourceDocument(
        SourceKind.datapackage,
        tuple(
            Item(ref, record, cells.get("modified") or None, cells.get("topic_url") or None)
            for ref, record, cells in items
        ),
        licence=str(licence) if licence else None,
        publisher=str(publisher) if publisher else None,
        package_id=str(descriptor["id"]) if descriptor.get("id") else None,
    )


def _position(cells: dict[str, str]) -> int:
    try:
        return int(cells.get("position") or 0)
    except ValueError:
        raise SourceFailed(f"position {cells.get('position')!r} is not a number") from None


def _owner(by_ref: dict[str, dict[str, Any]], cells: dict[str, str], name: str) -> dict[str, Any]:
    owner = by_ref.get(cells.get("ref", ""))
    if owner is None:
        raise SourceFailed(f"{name}: ref {cells.get('ref')!r} is not in projects.csv")
    return owner


def _rows(resource: dict[str, Any], table: Table, get: Get) -> list[dict[str, str]]:
    path = resource.get("path")
    if not isinstance(path, str):
        raise SourceFailed(f"resource {table.name!r} has no single path")
    data = get(path)
    declared = resource.get("bytes")
    if isinstance(declared, int) and declared != len(data):
        raise SourceFailed(f"{path}: {len(data)} bytes, the package says {declared}: partial?")
    digest = resource.get("hash")
    if (
        isinstance(digest, str)
        and digest.startswith("sha256:")
        and hashlib.sha256(data).hexdigest() != digest.removeprefix("sha256:")
    ):
        raise SourceFailed(f"{path}: its sha256 is not the package's: partial or changed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceFailed(f"{path}: not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    known = {column.name for column in table.columns}
    header = reader.fieldnames or []
    if "ref" not in header or (table is PROJECTS and "title" not in header):
        raise SourceFailed(f"{path}: not the DigiCanvis layout (no 'ref' or 'title' column)")
    unknown = [name for name in header if name not in known]
    if unknown and table is PROJECTS and not known & set(header):
        raise SourceFailed(f"{path}: none of its columns is DigiCanvis'")
    try:
        rows = []
        for row in reader:
            if None in row:
                raise SourceFailed(f"{path}: line {reader.line_num} has more cells than columns")
            rows.append({k: v for k, v in row.items() if k in known and v})
        return rows
    except csv.Error as exc:
        raise SourceFailed(f"{path}: not valid CSV: {exc}") from None


def _record(table: Table, cells: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in table.columns:
        path = column.source
        if path[0] not in _RECORD_FIELDS or column.name not in cells:
            continue
        value = _typed(column, cells[column.name])
        if len(path) == 1:
            record[path[0]] = value
        else:
            record.setdefault(path[0], {})[path[1]] = value
    return record


def _typed(column: Column, cell: str) -> Any:
    try:
        if column.type is FieldType.integer:
            return int(cell)
        if column.type is FieldType.number:
            number = float(cell)
            return int(number) if number.is_integer() else number
    except ValueError:
        return cell  # validation says why it is not a number
    return cell


def descriptor_of(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
