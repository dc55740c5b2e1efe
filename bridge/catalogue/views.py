"""Light, plain stand-ins for the ORM rows, with the same attribute names.

`canonical.record_dict` reads a record through attributes only, so the record an import is about
to write and the record read back from the database go through the very same function: their
fingerprints agree exactly when their content does. Building these is also much cheaper than ORM
objects when 10,000 records are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class BodyView:
    name: str
    country: str
    region: str | None = None
    kind: str | None = None
    municipality_code: str | None = None
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    # Where the gazetteer placed it (not part of the record's content: never in record_dict).
    place_code: str | None = None


@dataclass(slots=True)
class ContactView:
    name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    forum_username: str | None = None
    public: bool = False
    invite: bool = True


@dataclass(slots=True)
class DocumentView:
    kind: Any
    url: str
    title: str | None = None


@dataclass(slots=True)
class ProjectView:
    ref: str
    title: str
    local_body: BodyView
    description: str
    area: Any
    kind: Any
    phase: Any
    value: str | None = None
    savings: str | None = None
    savings_eur_per_year: float | None = None
    savings_hours_per_year: float | None = None
    # The structured evidence in its canonical form (`catalogue.evidence`); None: none given.
    evidence: dict[str, Any] | None = None
    analysis_barriers: str | None = None
    analysis_benefits: str | None = None
    analysis_technology: str | None = None
    proximity: Any = None
    contacts: list[ContactView] = field(default_factory=list)
    documents: list[DocumentView] = field(default_factory=list)
    provenance: dict[str, Any] | None = None  # a harvested record's (contract §4b)
    # Issue 22 point 5: the refs of the projects it built on, sorted (a set: its order says
    # nothing), stored in `project_inspiration`.
    inspired_by: list[str] = field(default_factory=list)
