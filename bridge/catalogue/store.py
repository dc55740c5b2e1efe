"""The catalogue's writes: import, archive and restore, places of local bodies. (Its reads are
`bridge.catalogue.read_store`: plain SQL the read commands run without SQLAlchemy.)

Writes take validated records only (`schema.ValidRecord`). One import is one transaction: it
resolves every local body, fingerprints every record, and then writes in bulk (Core statements,
not the ORM unit of work, so 10,000 records import in seconds). What it compares against is read
back through `read_store` inside the same transaction, and fingerprinted by
`canonical.record_dict`, the same function every reader's output goes through.

Local bodies are stored as each record names them, keyed by their content (`body_key`): records
that say the same about a body share its row, records that name a council differently have a row
each and meet at their *place* (`place_code`, resolved by `bridge.places` before the write).
So records never conflict over a body, a body's details change only with its own record, and two
imports writing one body at once upsert a single row (a unique key, INSERT … ON CONFLICT).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bridge.catalogue.canonical import (
    CONTACT_FIELDS,
    DOCUMENT_FIELDS,
    LOCAL_BODY_FIELDS,
    fingerprint,
    listing_json,
    local_body_dict,
    provenance_dict,
    provenance_json,
    record_dict,
)
from bridge.catalogue.evidence import encode as encode_evidence
from bridge.catalogue.inspiration import self_link
from bridge.catalogue.read_store import UnknownRef, load_by_refs
from bridge.catalogue.refs import source_slug
from bridge.catalogue.views import BodyView, ProjectView
from bridge.db import insert_for
from bridge.dbapi import chunks
from bridge.models import read_tables
from bridge.models.columns import utcnow
from bridge.models.enums import LinkSource

if TYPE_CHECKING:
    from bridge.catalogue.schema import Problem, ValidRecord

# Small reads beside the writes use the light tables; writes go through the models' own tables
# (`_models()`), with their constraints and enum checks.
P = read_tables.project
B = read_tables.local_body


def _models() -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """The models' project, local body, contact and document tables (loaded on the first write)."""
    from bridge.models.catalogue import Contact, Document, LocalBody, Project
    from bridge.models.types import table_of

    return table_of(Project), table_of(LocalBody), table_of(Contact), table_of(Document)


_TEXT_COLUMNS = (
    "title", "description", "value", "savings", "savings_eur_per_year", "savings_hours_per_year",
)  # fmt: skip
_ANALYSIS_COLUMNS = ("analysis_barriers", "analysis_benefits", "analysis_technology")

Progress = Callable[[int], None]
# What an import plans for each record: the record, its view, its fingerprint, its body's key and
# its listing form.
_Planned = tuple["ValidRecord", ProjectView, str, str, str]


class ImportRefused(Exception):
    """Problems found only against the stored catalogue."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def name_key(name: str) -> str:
    """How a local body's name is compared: Unicode-normalised, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


# =========================================================================== import


@dataclass(frozen=True)
class Change:
    ref: str
    fields: tuple[str, ...]  # what changed, e.g. ("title", "local_body.population")


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...]
    updated: tuple[Change, ...]
    unchanged: tuple[str, ...]
    # Records not in the import whose content changed because a shared local body did.
    also_updated: tuple[Change, ...]
    dry_run: bool

    def summary(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "also_updated": len(self.also_updated),
            "dry_run": self.dry_run,
            "created_refs": list(self.created),
            "updated_refs": [{"ref": c.ref, "fields": list(c.fields)} for c in self.updated],
            "also_updated_refs": [
                {"ref": c.ref, "fields": list(c.fields)} for c in self.also_updated
            ],
        }


def import_records(
    engine: Engine,
    records: Sequence[ValidRecord],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    places: Sequence[str | None] | None = None,
    after: Callable[[Connection, ImportResult], None] | None = None,
) -> ImportResult:
    """Upsert validated records by ref, all in one transaction; with `dry_run` nothing is written.

    `places` gives each record's place code (parallel to `records`; None: unresolved). Each
    record keeps its local body as it names it: bodies are keyed by their content, so records
    never conflict over a shared body, and a body two imports write at once is one row.
    `after` runs in the same transaction once the records are written (a harvest archives what
    left its source and records the source's state there: all of it or none).
    """
    tick = progress or (lambda _n: None)
    placed = list(places) if places is not None else [None] * len(records)
    with engine.begin() as conn:
        existing = {
            row.ref: row
            for row in conn.execute(
                sa.select(P.c.id, P.c.ref, P.c.content_hash, P.c.revision, P.c.local_body_id)
            )
        }
        planned: list[_Planned] = []
        bodies: dict[str, dict[str, Any]] = {}  # body_key -> row
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for record, place_code in zip(records, placed, strict=True):
            view = record.record.view()
            body = local_body_dict(view.local_body)
            key = fingerprint(body)
            bodies.setdefault(key, _body_row(view.local_body, key, place_code))
            canonical = record_dict(view)
            digest = fingerprint(canonical)
            planned.append((record, view, digest, key, listing_json(canonical)))
            old = existing.get(record.ref)
            if old is None:
                created.append(record.ref)
            elif old.content_hash != digest:
                updated.append(record.ref)
            else:
                unchanged.append(record.ref)
            tick(1)

        refused = _unknown_inspirations(records, set(existing))
        if refused:
            raise ImportRefused(refused)
        new_views = {record.ref: view for record, view, *_ in planned}
        old_views = {item.ref: item.view for item in load_by_refs(conn, updated)}
        result = ImportResult(
            created=tuple(created),
            updated=tuple(Change(ref, _diff(old_views[ref], new_views[ref])) for ref in updated),
            unchanged=tuple(unchanged),
            also_updated=(),  # bodies are per content now: no record changes through another's
            dry_run=dry_run,
        )
        if dry_run:
            return result  # nothing was written: the transaction ends empty
        _write(conn, planned, bodies, existing, set(created), set(updated), tick)
        if after is not None:
            after(conn, result)
        return result


def _upsert_bodies(conn: Connection, bodies: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Insert the bodies not yet stored, refresh the place of those that are; their ids by key.

    INSERT … ON CONFLICT on the unique `body_key`: when another import inserts the same body at
    the same moment, the database makes it one row (PostgreSQL waits for the other transaction,
    SQLite has one writer at a time) instead of two. DO UPDATE (not DO NOTHING) also locks the row
    until this import commits, so no one deletes it as unused in between.
    """
    B = _models()[1]  # writes go through the model's table (constraints, types)
    insert = insert_for(conn)(B)
    statement = insert.on_conflict_do_update(
        index_elements=[B.c.body_key], set_={"place_code": insert.excluded.place_code}
    )
    if bodies:
        # One executemany, in key order: two imports lock shared rows in the same order
        # (PostgreSQL),
        # so they wait for each other instead of deadlocking.
        conn.execute(statement, [bodies[key] for key in sorted(bodies)])
    ids: dict[str, int] = {}
    for chunk in chunks(list(bodies)):
        query = sa.select(B.c.body_key, B.c.id).where(B.c.body_key.in_(chunk))
        ids.update((key, body_id) for key, body_id in conn.execute(query))
    return ids


def _write(
    conn: Connection,
    planned: list[_Planned],
    bodies: dict[str, dict[str, Any]],
    existing: dict[str, Any],
    created: set[str],
    updated: set[str],
    tick: Progress,
) -> None:
    P, B, C, D = _models()  # the same names as the read path's, for the models' tables
    now = utcnow()
    # 1. Bodies, by content.
    body_ids = _upsert_bodies(conn, bodies)

    # 2. Projects: insert the new, rewrite the changed, relink the unchanged that moved body.
    inserts, updates, relinks = [], [], []
    for record, view, digest, key, listed in planned:
        body_id = body_ids[key]
        old = existing.get(record.ref)
        if record.ref in created:
            inserts.append(
                _project_row(view)
                | {
                    "local_body_id": body_id,
                    "listing_json": listed,
                    "content_hash": digest,
                    "revision": 1,
                    "archived": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif record.ref in updated:
            assert old is not None  # an updated record has its row
            updates.append(
                _project_row(view)
                | {
                    "_id": old.id,
                    "local_body_id": body_id,
                    "listing_json": listed,
                    "content_hash": digest,
                    "revision": old.revision + 1,
                    "updated_at": now,
                }
            )
        elif old is not None and old.local_body_id != body_id:  # unchanged: it has its row
            relinks.append({"_id": old.id, "local_body_id": body_id})
    project_ids = {ref: row.id for ref, row in existing.items()}
    if inserts:
        ids = (
            conn.execute(sa.insert(P).returning(P.c.id, sort_by_parameter_order=True), inserts)
            .scalars()
            .all()
        )
        project_ids.update(zip((row["ref"] for row in inserts), ids, strict=True))
    if updates:
        conn.execute(sa.update(P).where(P.c.id == sa.bindparam("_id")), updates)
        for ids in chunks([row["_id"] for row in updates]):
            conn.execute(sa.delete(C).where(C.c.project_id.in_(ids)))
            conn.execute(sa.delete(D).where(D.c.project_id.in_(ids)))
    if relinks:
        conn.execute(sa.update(P).where(P.c.id == sa.bindparam("_id")), relinks)

    # 3. Children of the new and the rewritten.
    contacts, documents = [], []
    for record, view, *_ in planned:
        if record.ref in created or record.ref in updated:
            pid = project_ids[record.ref]
            contacts += [
                {"project_id": pid, "position": n, **_fields(c, CONTACT_FIELDS)}
                for n, c in enumerate(view.contacts)
            ]
            documents += [
                {"project_id": pid, "position": n, **_fields(d, DOCUMENT_FIELDS)}
                for n, d in enumerate(view.documents)
            ]
        tick(1)
    if contacts:
        conn.execute(sa.insert(C), contacts)
    if documents:
        conn.execute(sa.insert(D), documents)
    _write_inspirations(
        conn,
        {
            project_ids[record.ref]: {project_ids[ref] for ref in view.inspired_by}
            for record, view, *_ in planned
            if record.ref in created or record.ref in updated
        },
        now,
    )

    # 4. Bodies no project names any more (a record now names its body differently) are
    # forgotten; the bodies this import uses are locked by the upsert above.
    conn.execute(sa.delete(B).where(~sa.exists().where(P.c.local_body_id == B.c.id)))


def _unknown_inspirations(records: Sequence[ValidRecord], stored: set[str]) -> list[Problem]:
    """Issue 22 point 5: an `inspired_by` ref that names no stored record and no record of this
    import, reported like any ref the catalogue does not know."""
    known = stored | {record.ref for record in records}
    return [
        record.problem(
            f"inspired_by[{n}]",
            f"{ref!r} names no record of the catalogue or of this import (unknown ref)",
        )
        for record in records
        for n, ref in enumerate(record.record.inspired_by)
        if ref not in known
    ]


def _inspiration_table() -> sa.Table:
    from bridge.models.catalogue import ProjectInspiration
    from bridge.models.types import table_of

    return table_of(ProjectInspiration)


def _write_inspirations(conn: Connection, wanted: dict[int, set[int]], now: Any) -> None:
    """Each written record's links become exactly `wanted` (project id → the ids it built on): a
    link it keeps keeps its source and date (a request's stays a request's), a new one is
    declared, one it no longer names goes."""
    if not wanted:
        return
    table = _inspiration_table()
    stored: dict[int, set[int]] = {pid: set() for pid in wanted}
    for chunk in chunks(list(wanted)):
        query = sa.select(table.c.project_id, table.c.inspired_by_id).where(
            table.c.project_id.in_(chunk)
        )
        for pid, target in conn.execute(query):
            stored[pid].add(target)
    gone = [(pid, t) for pid, targets in stored.items() for t in targets - wanted[pid]]
    new = [
        {"project_id": pid, "inspired_by_id": t, "source": LinkSource.declared, "created_at": now}
        for pid, targets in sorted(wanted.items())
        for t in sorted(targets - stored[pid])
    ]
    for pid, target in gone:
        conn.execute(
            sa.delete(table).where(table.c.project_id == pid, table.c.inspired_by_id == target)
        )
    if new:
        conn.execute(sa.insert(table), new)


def _body_row(body: BodyView, key: str, place_code: str | None) -> dict[str, Any]:
    row = {name: getattr(body, name) for name in LOCAL_BODY_FIELDS}
    return row | {"body_key": key, "name_key": name_key(body.name), "place_code": place_code}


def _project_row(view: ProjectView) -> dict[str, Any]:
    row = {
        "ref": view.ref,
        "area": view.area,
        "kind": view.kind,
        "phase": view.phase,
        "proximity": view.proximity,
        "provenance_json": provenance_json(view.provenance),
    }
    row.update({name: getattr(view, name) for name in _TEXT_COLUMNS + _ANALYSIS_COLUMNS})
    row["evidence"] = encode_evidence(view.evidence)
    return row


def _fields(item: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in names}


def _diff(old: ProjectView, new: ProjectView) -> tuple[str, ...]:
    return _diff_dicts(record_dict(old), record_dict(new))


def _diff_dicts(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    changed = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) or isinstance(b, dict):
            a, b = a or {}, b or {}
            changed += [
                f"{key}.{sub}" for sub in dict.fromkeys([*a, *b]) if a.get(sub) != b.get(sub)
            ]
        else:
            changed.append(key)
    return tuple(changed)


def set_archived(engine: Engine, ref: str, archived: bool) -> bool:
    """Archive or restore a record. Returns False when it already was. Content (and so the
    fingerprint) is untouched: archiving is a state the sync engine reads from `archived`."""
    P = _models()[0]
    with engine.begin() as conn:
        row = conn.execute(sa.select(P.c.id, P.c.archived).where(P.c.ref == ref)).first()
        if row is None:
            raise UnknownRef(ref)
        if row.archived == archived:
            return False
        conn.execute(
            sa.update(P).where(P.c.id == row.id).values(archived=archived, updated_at=utcnow())
        )
        return True


def set_archived_refs(conn: Connection, refs: Sequence[str], archived: bool) -> None:
    """Archive (or restore) these records inside the caller's transaction (a harvest's records
    gone from, or back in, their source)."""
    P = _models()[0]
    now = utcnow()
    for chunk in chunks(list(refs)):
        conn.execute(
            sa.update(P)
            .where(P.c.ref.in_(chunk), P.c.archived == (not archived))
            .values(archived=archived, updated_at=now)
        )


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class UnplacedBody:
    id: int
    country: str
    name: str
    kind: str | None
    municipality_code: str | None


def unplaced_bodies(conn: Connection) -> list[UnplacedBody]:
    query = sa.select(B.c.id, B.c.country, B.c.name, B.c.kind, B.c.municipality_code).where(
        B.c.place_code.is_(None)
    )
    return [UnplacedBody(*row) for row in conn.execute(query)]


def set_places(conn: Connection, codes: dict[int, str]) -> None:
    """Record the place of these bodies (a place is derived, not content: no revision changes)."""
    if codes:
        rows = [{"_id": body_id, "place_code": code} for body_id, code in codes.items()]
        body = _models()[1]
        conn.execute(sa.update(body).where(body.c.id == sa.bindparam("_id")), rows)


def fill_listing_json(engine: Engine) -> int:
    """Store the listing form of every record that has none (written before revision 0010);
    how many. `db upgrade` calls it; until then the listing builds those records itself."""
    P = _models()[0]
    with engine.begin() as conn:
        missing = sa.select(P.c.ref).where(P.c.listing_json.is_(None))
        refs = [ref for (ref,) in conn.execute(missing)]
        for chunk in chunks(refs):
            rows = [
                {"_id": item.id, "listing_json": listing_json(record_dict(item.view))}
                for item in load_by_refs(conn, chunk)
            ]
            conn.execute(sa.update(P).where(P.c.id == sa.bindparam("_id")), rows)
    return len(refs)


# --------------------------------------------------------------------------- harvest (issue 23)


@dataclass(frozen=True)
class Harvested:
    """A record already harvested (any source), as planning needs it."""

    ref: str
    archived: bool
    title: str
    body_name: str
    country: str
    place_code: str | None
    urls: tuple[str, ...]
    provenance: dict[str, Any] | None


def harvested_records(conn: Connection) -> list[Harvested]:
    """Every harvested record (a ref with a source namespace), archived ones too."""
    query = sa.text(
        "SELECT p.id, p.ref, p.archived, p.title, b.name, b.country, b.place_code, "
        "p.provenance_json FROM project p JOIN local_body b ON b.id = p.local_body_id "
        "WHERE p.provenance_json IS NOT NULL"
    )
    rows = conn.execute(query).all()
    urls: dict[int, list[str]] = {}
    if rows:
        documents = sa.text(
            "SELECT d.project_id, d.url FROM document d JOIN project p ON p.id = d.project_id "
            "WHERE p.provenance_json IS NOT NULL ORDER BY d.project_id, d.position"
        )
        for project_id, url in conn.execute(documents):
            urls.setdefault(project_id, []).append(url)
    return [
        Harvested(
            ref, bool(archived), title, name, country, place, tuple(urls.get(pid, ())),
            provenance_dict(provenance),
        )
        for pid, ref, archived, title, name, country, place, provenance in rows
    ]  # fmt: skip


def titles_of(conn: Connection, refs: Sequence[str]) -> dict[str, str]:
    """The titles of the records with these refs (a harvest recognises one's own package)."""
    found: dict[str, str] = {}
    for chunk in chunks(list(refs)):
        query = sa.select(P.c.ref, P.c.title).where(P.c.ref.in_(chunk))
        found.update((ref, title) for ref, title in conn.execute(query))
    return found


# --------------------------------------------------------------------------- inspiration (22.5)


class InspirationRefused(ValueError):
    """A link that cannot be: a record building on itself, or declared on a harvested record."""


@dataclass(frozen=True)
class LinkOutcome:
    ref: str
    inspired_by: tuple[str, ...]  # every ref it built on, after the change
    changed: bool  # False: the link already was (or, removing, already was not)


def link_inspiration(
    engine: Engine,
    ref: str,
    inspired_by_ref: str,
    source: LinkSource = LinkSource.declared,
    *,
    remove: bool = False,
) -> LinkOutcome:
    """Record that `ref` built on `inspired_by_ref` (or, with `remove`, that it did not): the
    declaring record's content changes (its `inspired_by`), so its fingerprint, listing form and
    revision are rewritten in the same transaction, and both topics are rewritten by the next
    sync. `projects link` calls it (declared), and so may a collaboration request that ended
    agreed (issue 22 point 3: `LinkSource.request`). UnknownRef for a ref that names no record;
    InspirationRefused for a record that would build on itself. A link already there keeps its
    first source."""
    if ref == inspired_by_ref:
        raise InspirationRefused(self_link(ref))
    if source_slug(ref) is not None:
        # A harvested record's content is its source's: a re-harvest would drop the link.
        raise InspirationRefused(
            f"{ref!r} is a harvested record (its content is its source's): link from a record "
            "of this catalogue's own"
        )
    P = _models()[0]
    table = _inspiration_table()
    with engine.begin() as conn:
        query = sa.select(P.c.ref, P.c.id).where(P.c.ref.in_([ref, inspired_by_ref]))
        ids = {found: pid for found, pid in conn.execute(query)}
        for wanted in (ref, inspired_by_ref):
            if wanted not in ids:
                raise UnknownRef(wanted)
        pair = (table.c.project_id == ids[ref], table.c.inspired_by_id == ids[inspired_by_ref])
        there = conn.execute(sa.select(table.c.source).where(*pair)).first() is not None
        changed = there if remove else not there
        if changed and remove:
            conn.execute(sa.delete(table).where(*pair))
        elif changed:
            conn.execute(
                sa.insert(table).values(
                    project_id=ids[ref],
                    inspired_by_id=ids[inspired_by_ref],
                    source=source,
                    created_at=utcnow(),
                )
            )
        (item,) = load_by_refs(conn, [ref])
        if changed:
            _rewrite_content(conn, item.id, record_dict(item.view))
        return LinkOutcome(ref, tuple(item.view.inspired_by), changed)


def _rewrite_content(conn: Connection, project_id: int, record: dict[str, Any]) -> None:
    """A record whose content changed outside an import: its fingerprint, listing form and
    revision follow, as an import's update would write them."""
    P = _models()[0]
    conn.execute(
        sa.update(P)
        .where(P.c.id == project_id)
        .values(
            content_hash=fingerprint(record),
            listing_json=listing_json(record),
            revision=P.c.revision + 1,
            updated_at=utcnow(),
        )
    )
