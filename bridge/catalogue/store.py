"""The catalogue's storage: all of its SQL lives here.

Writes take validated records only (`schema.ValidRecord`). One import is one transaction: it
resolves every local body, fingerprints every record, and then writes in bulk (Core statements,
not the ORM unit of work, so 10,000 records import in seconds). Reads build the light views of
`bridge.catalogue.views` from one joined query plus one query each for contacts and documents,
and hand them to `canonical.record_dict`, the same function that fingerprints an import.

Local bodies are stored as each record names them, keyed by their content (`body_key`): records
that say the same about a body share its row, records that name a council differently have a row
each and meet at their *place* (`place_code`, resolved by `bridge.places` before the write).
So records never conflict over a body, a body's details change only with its own record, and two
imports writing one body at once upsert a single row (a unique key, INSERT … ON CONFLICT).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bridge.catalogue.canonical import (
    CONTACT_FIELDS,
    DOCUMENT_FIELDS,
    LOCAL_BODY_FIELDS,
    fingerprint,
    local_body_dict,
    proximity_for,
    record_dict,
)
from bridge.catalogue.canonical import (
    iso as _iso,
)
from bridge.catalogue.views import BodyView, ContactView, DocumentView, ProjectView
from bridge.models import read_tables
from bridge.models.columns import utcnow
from bridge.models.enums import Area, Kind, Phase, Proximity, SyncStatus
from bridge.sync.effective import StateSummary, effective_status

if TYPE_CHECKING:
    from bridge.catalogue.schema import Problem, ValidRecord

# Reads go through the light tables (no SQLModel, pydantic or ORM to load: issue 15); writes
# through the models' own tables (`_models()`), with their constraints and enum checks.
P = read_tables.project
B = read_tables.local_body
C = read_tables.contact
D = read_tables.document
S = read_tables.sync_state
A = read_tables.activity


def _models() -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """The models' project, local body, contact and document tables (loaded on the first write)."""
    from bridge.models.catalogue import Contact, Document, LocalBody, Project
    from bridge.models.types import table_of

    return table_of(Project), table_of(LocalBody), table_of(Contact), table_of(Document)


_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
_TEXT_COLUMNS = ("title", "description", "value", "savings", "savings_eur_per_year")
_ANALYSIS_COLUMNS = ("analysis_barriers", "analysis_benefits", "analysis_technology")

Progress = Callable[[int], None]


class UnknownRef(LookupError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no record with ref {ref!r}")
        self.ref = ref


class ImportRefused(Exception):
    """Problems found only against the stored catalogue."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def name_key(name: str) -> str:
    """How a local body's name is compared: Unicode-normalised, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
) -> ImportResult:
    """Upsert validated records by ref, all in one transaction; with `dry_run` nothing is written.

    `places` gives each record's place code (parallel to `records`; None: unresolved). Each
    record keeps its local body as it names it: bodies are keyed by their content, so records
    never conflict over a shared body, and a body two imports write at once is one row.
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
        planned: list[tuple[ValidRecord, ProjectView, str, str]] = []  # record, view, hash, body
        bodies: dict[str, dict[str, Any]] = {}  # body_key -> row
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for record, place_code in zip(records, placed, strict=True):
            view = record.record.view()
            body = local_body_dict(view.local_body)
            key = fingerprint(body)
            bodies.setdefault(key, _body_row(view.local_body, key, place_code))
            digest = fingerprint(record_dict(view))
            planned.append((record, view, digest, key))
            old = existing.get(record.ref)
            if old is None:
                created.append(record.ref)
            elif old.content_hash != digest:
                updated.append(record.ref)
            else:
                unchanged.append(record.ref)
            tick(1)

        new_views = {record.ref: view for record, view, _, _ in planned}
        old_views = {item.ref: item.view for item in _load_by_refs(conn, updated)}
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
        return result


def _upsert_bodies(conn: Connection, bodies: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Insert the bodies not yet stored, refresh the place of those that are; their ids by key.

    INSERT … ON CONFLICT on the unique `body_key`: when another import inserts the same body at
    the same moment, the database makes it one row (PostgreSQL waits for the other transaction,
    SQLite has one writer at a time) instead of two. DO UPDATE (not DO NOTHING) also locks the row
    until this import commits, so no one deletes it as unused in between.
    """
    B = _models()[1]  # writes go through the model's table (constraints, types)
    insert = sa_insert_for(conn)(B)
    statement = insert.on_conflict_do_update(
        index_elements=[B.c.body_key], set_={"place_code": insert.excluded.place_code}
    )
    if bodies:
        # One executemany, in key order: two imports lock shared rows in the same order
        # (PostgreSQL),
        # so they wait for each other instead of deadlocking.
        conn.execute(statement, [bodies[key] for key in sorted(bodies)])
    ids: dict[str, int] = {}
    for chunk in _chunks(list(bodies)):
        query = sa.select(B.c.body_key, B.c.id).where(B.c.body_key.in_(chunk))
        ids.update((key, body_id) for key, body_id in conn.execute(query))
    return ids


def sa_insert_for(conn: Connection) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _write(
    conn: Connection,
    planned: list[tuple[ValidRecord, ProjectView, str, str]],
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
    for record, view, digest, key in planned:
        body_id = body_ids[key]
        old = existing.get(record.ref)
        if record.ref in created:
            inserts.append(
                _project_row(view)
                | {
                    "local_body_id": body_id,
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
        for ids in _chunks([row["_id"] for row in updates]):
            conn.execute(sa.delete(C).where(C.c.project_id.in_(ids)))
            conn.execute(sa.delete(D).where(D.c.project_id.in_(ids)))
    if relinks:
        conn.execute(sa.update(P).where(P.c.id == sa.bindparam("_id")), relinks)

    # 3. Children of the new and the rewritten.
    contacts, documents = [], []
    for record, view, _, _ in planned:
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

    # 4. Bodies no project names any more (a record now names its body differently) are
    # forgotten; the bodies this import uses are locked by the upsert above.
    conn.execute(sa.delete(B).where(~sa.exists().where(P.c.local_body_id == B.c.id)))


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
    }
    row.update({name: getattr(view, name) for name in _TEXT_COLUMNS + _ANALYSIS_COLUMNS})
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


# =========================================================================== reading


@dataclass
class _Loaded:
    """A stored record with what the catalogue knows around it (state, sync, activity)."""

    id: int
    ref: str
    view: ProjectView
    view_body_id: int
    archived: bool
    content_hash: str
    revision: int
    created_at: datetime
    updated_at: datetime
    sync: dict[str, Any]
    activity: dict[str, Any]


_PROJECT_COLUMNS = (
    P.c.id, P.c.ref, P.c.title, P.c.description, P.c.area, P.c.kind, P.c.phase, P.c.value,
    P.c.savings, P.c.savings_eur_per_year, P.c.analysis_barriers, P.c.analysis_benefits,
    P.c.analysis_technology, P.c.proximity, P.c.local_body_id, P.c.archived, P.c.content_hash,
    P.c.revision, P.c.created_at, P.c.updated_at,
)  # fmt: skip
_SYNC_COLUMNS = (
    S.c.project_id,
    S.c.topic_id,
    S.c.topic_slug,
    S.c.state,
    S.c.content_hash,
    S.c.closed,
    S.c.last_error,
    S.c.last_synced_at,
)
_ACTIVITY_COLUMNS = (A.c.replies, A.c.views, A.c.likes, A.c.participants, A.c.last_posted_at)
_SYNC_KEYS = (
    "sync_row",
    "topic_id",
    "topic_slug",
    "sync_status",
    "synced_hash",
    "synced_closed",
    "last_error",
    "last_synced_at",
)


def _project_query(conditions: Sequence[Any]) -> sa.Select:
    # One query: the record, its body, and left joins to its sync state and activity.
    return (
        sa.select(
            *_PROJECT_COLUMNS,
            *(B.c[name] for name in LOCAL_BODY_FIELDS),
            *_SYNC_COLUMNS,
            *_ACTIVITY_COLUMNS,
        )
        .select_from(
            P.join(B, B.c.id == P.c.local_body_id)
            .outerjoin(S, S.c.project_id == P.c.id)
            .outerjoin(A, A.c.project_id == P.c.id)
        )
        .where(*conditions)
    )


def _load(conn: Connection, conditions: Sequence[Any]) -> list[_Loaded]:
    """Stored records matching `conditions`, with their body, contacts, documents, sync state and
    activity: three queries whatever the number of records. Rows are unpacked by position (the
    column order above) because this runs for every record of `projects list`."""
    rows = conn.execute(_project_query(conditions)).all()
    if not rows:
        return []
    ids = sa.select(P.c.id).where(*conditions)
    contacts: dict[int, list[ContactView]] = defaultdict(list)
    query = sa.select(C.c.project_id, *(C.c[name] for name in CONTACT_FIELDS)).where(
        C.c.project_id.in_(ids)
    )
    for project_id, *values in conn.execute(query.order_by(C.c.project_id, C.c.position)):
        contacts[project_id].append(ContactView(*values))
    documents: dict[int, list[DocumentView]] = defaultdict(list)
    query = sa.select(D.c.project_id, *(D.c[name] for name in DOCUMENT_FIELDS)).where(
        D.c.project_id.in_(ids)
    )
    for project_id, kind, title, url in conn.execute(query.order_by(D.c.project_id, D.c.position)):
        documents[project_id].append(DocumentView(kind=kind, title=title, url=url))
    bodies: dict[int, BodyView] = {}  # one view per shared body
    n_project, n_body, n_sync = len(_PROJECT_COLUMNS), len(LOCAL_BODY_FIELDS), len(_SYNC_COLUMNS)
    loaded = []
    for row in rows:
        (pid, ref, title, description, area, kind, phase, value, savings, savings_eur, barriers,
         benefits, technology, proximity, body_id, archived, content_hash, revision, created_at,
         updated_at) = row[:n_project]  # fmt: skip
        body = bodies.get(body_id)
        if body is None:
            body = bodies[body_id] = BodyView(*row[n_project : n_project + n_body])
        sync = row[n_project + n_body : n_project + n_body + n_sync]
        replies, views, likes, participants, last_posted_at = row[n_project + n_body + n_sync :]
        view = ProjectView(
            ref, title, body, description, area, kind, phase, value, savings, savings_eur,
            barriers, benefits, technology, proximity, contacts.get(pid, []),
            documents.get(pid, []),
        )  # fmt: skip
        loaded.append(
            _Loaded(
                id=pid,
                ref=ref,
                view=view,
                view_body_id=body_id,
                archived=archived,
                content_hash=content_hash,
                revision=revision,
                created_at=created_at,
                updated_at=updated_at,
                sync=dict(zip(_SYNC_KEYS, sync, strict=True)),
                activity={
                    "replies": replies or 0,
                    "views": views or 0,
                    "likes": likes or 0,
                    "participants": participants or 0,
                    "last_posted_at": last_posted_at,
                },
            )
        )
    return loaded


def _load_by_refs(conn: Connection, refs: Sequence[str]) -> list[_Loaded]:
    return [item for chunk in _chunks(list(refs)) for item in _load(conn, [P.c.ref.in_(chunk)])]


# --------------------------------------------------------------------------- output


def sync_state(item: _Loaded) -> SyncStatus:
    """The record's sync state, by the sync engine's one rule (bridge.sync.state)."""
    sync = item.sync
    if sync["sync_row"] is None:
        return effective_status(item, None)
    summary = StateSummary(
        sync["sync_status"], sync["topic_id"], sync["synced_hash"], bool(sync["synced_closed"])
    )
    return effective_status(item, summary)


def topic_url(discourse_url: str | None, topic_id: int | None, slug: str | None) -> str | None:
    if topic_id is None:
        return None
    return f"{discourse_url or ''}/t/{slug or '-'}/{topic_id}"


def _places_of(conn: Connection, items: Sequence[_Loaded]) -> dict[int, dict[str, Any] | None]:
    """Each listed body's place (contract §3), by body id; None where unresolved."""
    from bridge.places.store import places_by_code

    body_ids = sorted({item.view_body_id for item in items})
    rows = [
        row
        for chunk in _chunks(body_ids)
        for row in conn.execute(
            sa.select(B.c.id, B.c.country, B.c.place_code).where(
                B.c.id.in_(chunk), B.c.place_code.is_not(None)
            )
        )
    ]
    found = places_by_code(conn, {(country, code) for _, country, code in rows})
    placed = {body_id: found.get((country, code)) for body_id, country, code in rows}
    return {item.view_body_id: placed.get(item.view_body_id) for item in items}


def _output(
    item: _Loaded,
    home_region: str,
    discourse_url: str | None,
    *,
    detail: bool,
    place: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The record as list (detail=False) and show (detail=True) print it: the one function
    from a stored record to its output."""
    record = record_dict(item.view)
    record["place"] = place
    own = record.pop("proximity", None)
    body = item.view.local_body
    record["proximity"] = proximity_for(body.country, body.region, own, home_region).value
    record["archived"] = item.archived
    record["topic_id"] = item.sync["topic_id"]
    record["topic_url"] = topic_url(discourse_url, item.sync["topic_id"], item.sync["topic_slug"])
    record["sync_state"] = sync_state(item).value
    record["activity"] = item.activity | {"last_posted_at": _iso(item.activity["last_posted_at"])}
    if detail:
        record["proximity_set_by_record"] = own is not None
        record["last_error"] = item.sync["last_error"]
        record["last_synced_at"] = _iso(item.sync["last_synced_at"])
        record["revision"] = item.revision
        record["content_hash"] = item.content_hash
        record["created_at"] = _iso(item.created_at)
        record["updated_at"] = _iso(item.updated_at)
    return record


# --------------------------------------------------------------------------- queries


Sort = Literal["ref", "title", "activity", "recent"]
ArchivedFilter = Literal["exclude", "include", "only"]


@dataclass(frozen=True)
class Filters:
    area: Area | None = None
    proximity: Proximity | None = None
    phase: Phase | None = None
    kind: Kind | None = None
    search: str | None = None
    archived: ArchivedFilter = "exclude"


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for search: "Participació" matches "participacio"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _haystack(view: ProjectView) -> str:
    parts = [
        view.ref,
        view.title,
        view.local_body.name,
        view.description,
        view.analysis_technology or "",
    ]
    return _fold("\n".join(parts))


_SORTS: dict[str, Callable[[_Loaded], Any]] = {
    "ref": lambda item: item.ref,
    "title": lambda item: (_fold(item.view.title), item.ref),
    # Most discussed first.
    "activity": lambda item: (
        -item.activity["replies"],
        -item.activity["participants"],
        -item.activity["views"],
        item.ref,
    ),
    # Latest forum post first; records without one after, most recently changed in the catalogue
    # first.
    "recent": lambda item: (
        item.activity["last_posted_at"] is None,
        -(item.activity["last_posted_at"].timestamp() if item.activity["last_posted_at"] else 0),
        -item.updated_at.timestamp(),
        item.ref,
    ),
}


def iter_records(
    engine: Engine,
    home_region: str,
    discourse_url: str | None = None,
    filters: Filters = Filters(),
    sort: Sort = "ref",
) -> Iterator[dict[str, Any]]:
    """Records as `projects list --json` prints them (contract §3), filtered and sorted, each
    made when it is asked for (the listing writes each as it comes)."""
    conditions: list[Any] = []
    if filters.archived == "exclude":
        conditions.append(P.c.archived.is_(False))
    elif filters.archived == "only":
        conditions.append(P.c.archived.is_(True))
    for column, value in (
        (P.c.area, filters.area),
        (P.c.phase, filters.phase),
        (P.c.kind, filters.kind),
    ):
        if value is not None:
            conditions.append(column == value)
    with engine.connect() as conn:
        items = _load(conn, conditions)
        places = _places_of(conn, items)
    needle = _fold(filters.search.strip()) if filters.search and filters.search.strip() else None
    if needle:
        items = [item for item in items if needle in _haystack(item.view)]
    items.sort(key=_SORTS[sort])
    wanted = filters.proximity.value if filters.proximity is not None else None
    for item in items:
        record = _output(
            item, home_region, discourse_url, detail=False, place=places[item.view_body_id]
        )
        if wanted is None or record["proximity"] == wanted:
            yield record


def list_records(
    engine: Engine,
    home_region: str,
    discourse_url: str | None = None,
    filters: Filters = Filters(),
    sort: Sort = "ref",
) -> list[dict[str, Any]]:
    """Records as `projects list --json` prints them (contract §3), filtered and sorted."""
    return list(iter_records(engine, home_region, discourse_url, filters, sort))


def get_record(
    engine: Engine, ref: str, home_region: str, discourse_url: str | None = None
) -> dict[str, Any]:
    """The record as `projects show --json` prints it; UnknownRef when there is none."""
    with engine.connect() as conn:
        items = _load(conn, [P.c.ref == ref])
        places = _places_of(conn, items)
    if not items:
        raise UnknownRef(ref)
    place = places[items[0].view_body_id]
    return _output(items[0], home_region, discourse_url, detail=True, place=place)


def load_all(engine: Engine) -> list[_Loaded]:
    """Every stored record, archived ones too (the sync engine's snapshot reads them this way)."""
    with engine.connect() as conn:
        return _load(conn, [])


def export_records(engine: Engine) -> list[dict[str, Any]]:
    """Every record (archived ones too) in its canonical form, by ref: what `export` writes."""
    items = load_all(engine)
    items.sort(key=lambda item: item.ref)
    return [record_dict(item.view) for item in items]


def count_records(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(P)).scalar_one()


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
