"""The canonical form of a record (contract §4) and its content fingerprint.

One function turns a stored `Project` into the plain dict that export writes, `projects show`
prints and the sync engine renders; the fingerprint is the sha256 of that dict serialised with
sorted keys, so it changes exactly when the record's content changes (local body included,
`archived` excluded: archiving is a state, not content).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bridge.catalogue.evidence import decode as decode_evidence
from bridge.models.enums import Proximity

if TYPE_CHECKING:  # the ORM rows are only named here: the read path must not load the ORM
    from bridge.catalogue.views import BodyView, ProjectView
    from bridge.models.catalogue import LocalBody, Project

LOCAL_BODY_FIELDS = (
    "name",
    "country",
    "region",
    "kind",
    "municipality_code",
    "population",
    "latitude",
    "longitude",
)
CONTACT_FIELDS = ("name", "role", "email", "phone", "forum_username", "public", "invite")
# A contact's personal data (issue 28): never in the forum or any public output whatever `public`
# says, masked in the admin outputs unless `--with-private` asks for it, kept by export (the
# catalogue's round-trip file). A public contact is shown by name, role and forum profile.
PRIVATE_CONTACT_FIELDS = frozenset(("email", "phone"))
DOCUMENT_FIELDS = ("kind", "title", "url")
ANALYSIS_FIELDS = ("barriers", "benefits", "technology")
# Contract §4b; `url` (the original's own page) is ours, beside the contract's fields.
PROVENANCE_FIELDS = (
    "source",
    "source_id",
    "licence",
    "publisher",
    "harvested_at",
    "modified",
    "url",
)


def _number(value: float | int | None) -> float | int | None:
    """Whole numbers come out as integers, so 12000 does not round-trip as 12000.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain(value: Any) -> Any:
    """An enum member as its stored value; anything else as it is."""
    return value.value if hasattr(value, "value") else value


def iso(value: datetime | None) -> str | None:
    """A timestamp as ISO 8601 for JSON output, None kept."""
    return value.isoformat() if value is not None else None


# Falsy values that are content, not absence: false, 0, 0.0.
_FALSY_CONTENT = (bool, int, float)


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: an empty field and a missing field are the same thing (contract §4).
    (None, "", [] and {} are dropped; false and 0 are kept. Written for speed: listing 10,000
    records calls this 50,000 times.)"""
    return {k: v for k, v in mapping.items() if v or type(v) in _FALSY_CONTENT}


def body_dict(values: Sequence[Any]) -> dict[str, Any]:
    """A local body as the contract shows it, from its values in LOCAL_BODY_FIELDS order."""
    return {
        name: int(value) if type(value) is float and value.is_integer() else value
        for name, value in zip(LOCAL_BODY_FIELDS, values, strict=True)
        if value or type(value) in _FALSY_CONTENT
    }


def contact_dict(values: Sequence[Any], *, private: bool = True) -> dict[str, Any]:
    """A contact, from its values in CONTACT_FIELDS order (`public` a bool); without its email
    and phone unless `private`."""
    return {
        name: value
        for name, value in zip(CONTACT_FIELDS, values, strict=True)
        if (value or type(value) in _FALSY_CONTENT)
        and (private or name not in PRIVATE_CONTACT_FIELDS)
        # `invite` (issue 22) is said only when false: the default leaves every record's form,
        # and so its fingerprint and stored listing, as they were.
        and not (name == "invite" and value is not False)
    }


def masked_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """A contact dict without its personal data (PRIVATE_CONTACT_FIELDS)."""
    return {k: v for k, v in contact.items() if k not in PRIVATE_CONTACT_FIELDS}


def masked(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict whose contacts carry no email and no phone (the record itself unchanged)."""
    if not record.get("contacts"):
        return record
    return {**record, "contacts": [masked_contact(c) for c in record["contacts"]]}


def document_dict(kind: Any, title: str | None, url: str) -> dict[str, Any]:
    return _compact({"kind": plain(kind), "title": title, "url": url})


def canonical_record(
    ref: str,
    title: str,
    local_body: dict[str, Any],
    contacts: list[dict[str, Any]],
    description: str,
    value: str | None,
    savings: str | None,
    savings_eur_per_year: float | None,
    analysis: tuple[str | None, str | None, str | None],
    area: Any,
    kind: Any,
    phase: Any,
    documents: list[dict[str, Any]],
    proximity: Any,
    savings_hours_per_year: float | None = None,
    evidence: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    inspired_by: Sequence[str] = (),
) -> dict[str, Any]:
    """The record as the contract shows it, from its parts: keys in the contract's order, absent
    values omitted (`_compact`'s rule, written out: listing 10,000 records calls this 10,000
    times, and every reader of a record goes through it)."""
    record: dict[str, Any] = {"ref": ref, "title": title, "local_body": local_body}
    if contacts:
        record["contacts"] = contacts
    if description:
        record["description"] = description
    if value:
        record["value"] = value
    if savings:
        record["savings"] = savings
    if savings_eur_per_year is not None:
        record["savings_eur_per_year"] = _number(savings_eur_per_year)
    if savings_hours_per_year is not None:
        record["savings_hours_per_year"] = _number(savings_hours_per_year)
    parts = {k: v for k, v in zip(ANALYSIS_FIELDS, analysis, strict=True) if v}
    if parts:
        record["analysis"] = parts
    record["area"] = plain(area)
    record["kind"] = plain(kind)
    record["phase"] = plain(phase)
    if documents:
        record["documents"] = documents
    if inspired_by:  # issue 22 point 5: a set of refs, written sorted (one form, one fingerprint)
        record["inspired_by"] = sorted(inspired_by)
    if evidence:  # issue 25: already canonical (`evidence.evidence_dict`), in its keys' order
        record.update(evidence)
    if provenance:
        record["provenance"] = provenance
    if proximity:
        record["proximity"] = plain(proximity)
    return record


# `record_dict` and `local_body_dict` read attributes only: they accept the ORM rows and the plain
# stand-ins of `bridge.catalogue.views` alike (import fingerprints a record before writing it).


def local_body_dict(body: LocalBody | BodyView) -> dict[str, Any]:
    return body_dict([getattr(body, name) for name in LOCAL_BODY_FIELDS])


def record_dict(project: Project | ProjectView) -> dict[str, Any]:
    """The record as the contract shows it. Keys in the contract's order; absent values omitted."""
    return canonical_record(
        project.ref,
        project.title,
        local_body_dict(project.local_body),
        [contact_dict([getattr(c, f) for f in CONTACT_FIELDS]) for c in project.contacts],
        project.description,
        project.value,
        project.savings,
        project.savings_eur_per_year,
        (project.analysis_barriers, project.analysis_benefits, project.analysis_technology),
        project.area,
        project.kind,
        project.phase,
        [document_dict(d.kind, d.title, d.url) for d in project.documents],
        project.proximity,
        project.savings_hours_per_year,
        decode_evidence(project.evidence),
        provenance_of(project),
        getattr(project, "inspired_by", ()),  # the view's; an ORM row's links are not loaded
    )


def provenance_of(project: Project | ProjectView) -> dict[str, Any] | None:
    """A record's provenance as a dict: the view holds it so, the ORM row as its JSON text."""
    if hasattr(project, "provenance_json"):
        return provenance_dict(project.provenance_json)
    return project.provenance


def provenance_dict(stored: str | None) -> dict[str, Any] | None:
    return json.loads(stored) if stored else None


def provenance_json(provenance: dict[str, Any] | None) -> str | None:
    """How a provenance is stored (`project.provenance_json`): keys sorted, so equal content is
    equal text."""
    return json.dumps(provenance, sort_keys=True, ensure_ascii=False) if provenance else None


# How `projects list --json` encodes each record (one line each, json's own separators: the output
# is relied on byte for byte, which is why it is not orjson). The C encoder: no indent.
encode_listed = json.JSONEncoder(ensure_ascii=False, default=str).encode


def listing_json(record: dict[str, Any]) -> str:
    """A record's listing form, stored beside it when it is written (`project.listing_json`): its
    canonical form without `proximity` (which the listing derives and writes after `place`) and
    with its contacts masked (`masked`: the listing's default; `--with-private` reads the rows),
    encoded as the listing encodes. The listing then writes it with the derived fields spliced
    in before its closing brace (`read_store.iter_listing`), byte for byte what encoding the
    whole masked record would give."""
    listed = masked(record)
    return encode_listed({key: value for key, value in listed.items() if key != "proximity"})


def fingerprint(record: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a record dict (the same for equal content, whatever key
    order)."""
    encoded = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def effective_proximity(project: Project, home_region: str) -> Proximity:
    """The record's effective proximity (bridge.catalogue.proximity: the one rule)."""
    from bridge.catalogue.proximity import of_body

    return of_body(project.local_body, project.proximity, home_region).proximity
