"""The catalogue: project records ("fitxes"), the local bodies that carried them out, contacts,
documents.

Six levels of a fitxa: 1 title; 2 local body and contacts; 3 description, value and savings;
4 analysis; 5 phase; 6 documentation.
"""

from datetime import (
    datetime,
)  # no `from __future__ import annotations`: SQLModel must resolve relationship types

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from bridge.models.enums import Area, DocumentKind, Kind, LinkSource, Phase, Proximity
from bridge.models.types import UTCDateTime, enum_column, utcnow


class LocalBody(SQLModel, table=True):
    """Who carried a project out, exactly as its record names it (a council, a county council, a
    company…). Where it is, is its *place* (`place_code`, a municipality or LAU of the gazetteer
    in the body's country), resolved at import from the official code or the name.

    A row is keyed by its content (`body_key`, the fingerprint of the record's local-body fields):
    records that say the same about a body share one row, records that name one council in
    different ways ("Barcelona City Council", "Ajuntament de Barcelona") have a row each and meet
    at their place, so no spelling conflicts with another. The unique key is what lets two imports
    running at once upsert a shared body without duplicating it. (It is nullable only because rows
    written before revision 0004 have none; every import writes it.)
    """

    __tablename__ = "local_body"
    __table_args__ = (
        sa.UniqueConstraint("body_key", name="uq_local_body_body_key"),
        sa.Index("ix_local_body_country_name_key", "country", "name_key"),
        sa.Index("ix_local_body_country_place_code", "country", "place_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    body_key: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=500)  # a consortium may be named at length (revision 0026)
    name_key: str = Field(max_length=500)
    country: str = Field(max_length=2)
    region: str | None = Field(default=None, max_length=6)
    kind: str | None = Field(default=None, max_length=100)
    municipality_code: str | None = Field(default=None, max_length=20)
    population: int | None = Field(default=None, sa_type=sa.BigInteger)
    latitude: float | None = None
    longitude: float | None = None
    # The gazetteer's code of the place (with `country`); None while unresolved.
    place_code: str | None = Field(default=None, max_length=20)

    projects: list["Project"] = Relationship(back_populates="local_body")


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=64, sa_column_kwargs={"unique": True}, index=False)
    # 1. title
    title: str = Field(sa_type=sa.Text)
    # 2. local body (contacts are child rows)
    local_body_id: int = Field(foreign_key="local_body.id", index=True, ondelete="RESTRICT")
    # 3. description, value, savings
    description: str = Field(sa_type=sa.Text)
    value: str | None = Field(default=None, sa_type=sa.Text)
    savings: str | None = Field(default=None, sa_type=sa.Text)
    savings_eur_per_year: float | None = None
    # Issue 25: staff hours saved a year, and the structured evidence (cost, funding, dates, team,
    # KPIs, criteria) as its canonical JSON (`catalogue.evidence.encode`); NULL: none given.
    savings_hours_per_year: float | None = None
    evidence: str | None = Field(default=None, sa_type=sa.Text)
    # 4. analysis
    analysis_barriers: str | None = Field(default=None, sa_type=sa.Text)
    analysis_benefits: str | None = Field(default=None, sa_type=sa.Text)
    analysis_technology: str | None = Field(default=None, sa_type=sa.Text)
    # classification
    area: Area = Field(sa_type=enum_column(Area), index=True)
    kind: Kind = Field(sa_type=enum_column(Kind), index=True)
    # 5. phase
    phase: Phase = Field(sa_type=enum_column(Phase), index=True)
    # the record's own proximity; None means "derived from the local body's region"
    proximity: Proximity | None = Field(default=None, sa_type=enum_column(Proximity))
    archived: bool = Field(default=False, index=True)
    # Fingerprint of the record's content (sha256 of its canonical export form, local body
    # included, `archived` excluded); `revision` counts content changes. Both change exactly
    # when the content changes: the sync engine relies on it.
    content_hash: str = Field(max_length=64)
    revision: int = Field(default=1)
    # The record's listing form (`canonical.listing_json`), encoded when its content is written,
    # so that `projects list --json` copies it rather than rebuilding it; NULL: not stored yet
    # (the listing then builds it from the columns). Derived from the columns above, never edited.
    listing_json: str | None = Field(default=None, sa_type=sa.Text)
    # Where a harvested record came from (contract §4b `provenance`, JSON); NULL for a record of
    # this catalogue's own. Content: part of the fingerprint.
    provenance_json: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    local_body: LocalBody = Relationship(back_populates="projects")
    contacts: list["Contact"] = Relationship(
        back_populates="project",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Contact.position"},
    )
    # 6. documentation
    documents: list["Document"] = Relationship(
        back_populates="project",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Document.position"},
    )


class Contact(SQLModel, table=True):
    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    position: int = 0
    name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    forum_username: str | None = Field(default=None, max_length=60)
    public: bool = False
    # Issue 22: false = never invited to a connection request (contract §4b `contacts[].invite`).
    invite: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})

    project: Project = Relationship(back_populates="contacts")


class Document(SQLModel, table=True):
    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    position: int = 0
    kind: DocumentKind = Field(sa_type=enum_column(DocumentKind))
    title: str | None = Field(default=None, sa_type=sa.Text)
    url: str = Field(sa_type=sa.Text)

    project: Project = Relationship(back_populates="documents")


class ProjectInspiration(SQLModel, table=True):
    """Issue 22 point 5: project `project_id` built on project `inspired_by_id` (who took up whose
    project). Part of the record's content (`inspired_by`, its refs), so export and import carry
    it; `source` says who said so. Owned by `bridge.catalogue.store`."""

    __tablename__ = "project_inspiration"
    __table_args__ = (sa.CheckConstraint("project_id <> inspired_by_id", name="not_itself"),)

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    inspired_by_id: int = Field(
        foreign_key="project.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    source: LinkSource = Field(sa_type=enum_column(LinkSource))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(timezone=True))
