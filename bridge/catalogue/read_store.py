"""The catalogue's reads: records with their body, contacts, documents, sync state and activity,
as `projects list/show`, `export` and the sync engine's snapshot need them.

Plain SQL run by a `bridge.dbapi.Rows` (issue 15): the read commands pass the driver's own
connection and never load SQLAlchemy; code holding an engine passes it and the same SQL runs on
one of its connections. Writes (import, archive, places) stay in `bridge.catalogue.store`.

Two shapes come out of the same rows, each built once per record:
- `_Loaded` with plain views (`bridge.catalogue.views`): what import compares and the sync
  engine renders;
- the output dicts of contract §3 (`iter_records`, `get_record`, `export_records`), built straight
  from the rows through the canonical builders of `bridge.catalogue.canonical`, the one place
  that says what a record looks like.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from bridge.catalogue.canonical import (
    CONTACT_FIELDS,
    LOCAL_BODY_FIELDS,
    body_dict,
    canonical_record,
    contact_dict,
    document_dict,
    encode_listed,
    iso,
    provenance_dict,
)
from bridge.catalogue.evidence import SORTS, sort_key
from bridge.catalogue.evidence import decode as decode_evidence
from bridge.catalogue.evidence import derived as derived_evidence
from bridge.catalogue.inspiration import End, Relations, council_key, spread_of
from bridge.catalogue.inspiration import relations as find_relations
from bridge.catalogue.proximity import Effective, effective
from bridge.catalogue.views import BodyView, ContactView, DocumentView, ProjectView
from bridge.dbapi import Rows, as_bool, as_utc, chunks, placeholders, rows_of
from bridge.loop import activity_sql
from bridge.models.enums import Area, Kind, Phase, Proximity, Sort
from bridge.rules.status import RecordSummary, StateSummary, effective_status
from bridge.sync import state_sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


class UnknownRef(LookupError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no record with ref {ref!r}")
        self.ref = ref


# --------------------------------------------------------------------------- the rows

# Column positions of `_PROJECT_SQL`'s rows, unpacked by position below (this runs for every
# record of `projects list`).
_COLUMNS = (
    "p.id", "p.ref", "p.title", "p.description", "p.area", "p.kind", "p.phase", "p.value",
    "p.savings", "p.savings_eur_per_year", "p.analysis_barriers", "p.analysis_benefits",
    "p.analysis_technology", "p.proximity", "p.local_body_id", "p.archived", "p.content_hash",
    "p.revision", "p.created_at", "p.updated_at",
    "s.project_id", "s.topic_id", "s.topic_slug", "s.state", "s.content_hash", "s.closed",
    "s.last_error", "s.last_synced_at",
    "a.replies", "a.views", "a.likes", "a.participants", "a.last_posted_at",
    "p.savings_hours_per_year", "p.evidence",  # issue 25, at the end: the positions above stand
    "p.provenance_json",
)  # fmt: skip
_EVIDENCE = _COLUMNS.index("p.savings_hours_per_year")  # then p.evidence
# Each column's position by name (rows are tuples: this runs for every record).
_ID = _COLUMNS.index("p.id")
_REF = _COLUMNS.index("p.ref")
_TITLE = _COLUMNS.index("p.title")
_DESCRIPTION = _COLUMNS.index("p.description")
_AREA = _COLUMNS.index("p.area")
_KIND = _COLUMNS.index("p.kind")
_PHASE = _COLUMNS.index("p.phase")
_VALUE = _COLUMNS.index("p.value")
_SAVINGS = _COLUMNS.index("p.savings")
_SAVINGS_EUR = _COLUMNS.index("p.savings_eur_per_year")
_BARRIERS = _COLUMNS.index("p.analysis_barriers")
_BENEFITS = _COLUMNS.index("p.analysis_benefits")
_TECHNOLOGY = _COLUMNS.index("p.analysis_technology")
_PROXIMITY = _COLUMNS.index("p.proximity")
_BODY = _COLUMNS.index("p.local_body_id")
_ARCHIVED = _COLUMNS.index("p.archived")
_HASH = _COLUMNS.index("p.content_hash")
_REVISION = _COLUMNS.index("p.revision")
_CREATED = _COLUMNS.index("p.created_at")
_UPDATED = _COLUMNS.index("p.updated_at")
_REPLIES = _COLUMNS.index("a.replies")
_VIEWS = _COLUMNS.index("a.views")
_PARTICIPANTS = _COLUMNS.index("a.participants")
_LAST_POSTED = _COLUMNS.index("a.last_posted_at")
_STATE = slice(_COLUMNS.index("s.project_id"), _COLUMNS.index("s.last_synced_at") + 1)
_ACTIVITY = slice(_REPLIES, _LAST_POSTED + 1)
_FROM = f"""
FROM project p
{state_sql.JOIN_ON_PROJECT}
{activity_sql.JOIN_ON_PROJECT}
"""
_PROVENANCE = _COLUMNS.index("p.provenance_json")
_PROJECT_SQL = f"SELECT {', '.join(_COLUMNS)} {_FROM}"
# The listing's query: the same positions, the content the stored listing form already holds left
# out (NULL), and that form last (position `_LISTING`). Contacts and documents are not read for it.
_STORED = frozenset(
    ("p.description", "p.value", "p.savings", "p.savings_eur_per_year", "p.analysis_barriers",
     "p.analysis_benefits", "p.analysis_technology", "p.savings_hours_per_year", "p.evidence")
)  # fmt: skip
_LISTING_SQL = (
    f"SELECT {', '.join('NULL' if c in _STORED else c for c in _COLUMNS)}, p.listing_json {_FROM}"
)
_LISTING = len(_COLUMNS)
_BODY_SQL = (
    "SELECT id, " + ", ".join(LOCAL_BODY_FIELDS) + ", place_code FROM local_body WHERE id IN "
)
_CONTACT_SQL = (
    "SELECT c.project_id, "
    + ", ".join(f"c.{name}" for name in CONTACT_FIELDS)
    + " FROM contact c JOIN project p ON p.id = c.project_id"
)
_DOCUMENT_SQL = (
    "SELECT d.project_id, d.kind, d.title, d.url FROM document d JOIN project p ON p.id = "
    "d.project_id"
)

# Issue 22 point 5: the refs each record built on (sorted in Python: a collation must not decide).
_INSPIRATION_SQL = (
    "SELECT i.project_id, t.ref FROM project_inspiration i JOIN project p ON p.id = i.project_id "
    "JOIN project t ON t.id = i.inspired_by_id"
)


@dataclass(frozen=True)
class Where:
    """A condition on `project p` with its parameters (`?` placeholders)."""

    sql: str = ""
    params: tuple[Any, ...] = ()

    def clause(self) -> str:
        return f" WHERE {self.sql}" if self.sql else ""


@dataclass
class _Fetched:
    """The rows of one read: projects, and by id their bodies, contacts and documents."""

    projects: list[tuple[Any, ...]]
    bodies: dict[int, tuple[Any, ...]]  # id → LOCAL_BODY_FIELDS values + place_code
    contacts: dict[int, list[tuple[Any, ...]]]  # project id → CONTACT_FIELDS values, in order
    documents: dict[int, list[tuple[Any, Any, Any]]]  # project id → (kind, title, url), in order
    inspired_by: dict[int, list[str]] = field(default_factory=dict)  # project id → refs, sorted


def _by_ref(row: tuple[Any, ...]) -> str:
    return row[_REF]


def _fetch(rows: Rows, where: Where) -> _Fetched:
    """Four queries whatever the number of records."""
    # By ref, sorted here: the database's collation (PostgreSQL's follows the locale) must not
    # decide the order people and the golden outputs see.
    projects = sorted(rows.all(_PROJECT_SQL + where.clause(), where.params), key=_by_ref)
    if not projects:
        return _Fetched([], {}, {}, {})
    return _Fetched(
        projects, _bodies(rows, projects), *_children(rows, where), _inspirations(rows, where)
    )


def _inspirations(rows: Rows, where: Where) -> dict[int, list[str]]:
    """The refs each record `where` selects built on, by project id, sorted."""
    found: dict[int, list[str]] = defaultdict(list)
    for project_id, ref in rows.all(_INSPIRATION_SQL + where.clause(), where.params):
        found[project_id].append(ref)
    return {pid: sorted(refs) for pid, refs in found.items()}


def _bodies(rows: Rows, projects: Sequence[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    body_ids = sorted({row[_BODY] for row in projects})
    return {
        row[0]: row[1:]
        for chunk in chunks(body_ids)
        for row in rows.all(_BODY_SQL + f"({placeholders(len(chunk))})", chunk)
    }


def _children(
    rows: Rows, where: Where
) -> tuple[dict[int, list[tuple[Any, ...]]], dict[int, list[tuple[Any, Any, Any]]]]:
    """Contacts and documents of the records `where` selects, by project id, in order."""
    contacts: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for project_id, *values in rows.all(
        _CONTACT_SQL + where.clause() + " ORDER BY c.project_id, c.position", where.params
    ):
        values[-2] = as_bool(values[-2])  # public
        values[-1] = as_bool(values[-1])  # invite (issue 22)
        contacts[project_id].append(tuple(values))
    documents: dict[int, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for project_id, kind, title, url in rows.all(
        _DOCUMENT_SQL + where.clause() + " ORDER BY d.project_id, d.position", where.params
    ):
        documents[project_id].append((kind, title, url))
    return contacts, documents


def _refs(refs: Sequence[str]) -> Iterator[Where]:
    for chunk in chunks(list(refs)):
        yield Where(f"p.ref IN ({placeholders(len(chunk))})", tuple(chunk))


# --------------------------------------------------------------------------- views


@dataclass
class _Loaded:
    """A stored record as import compares it and the sync engine renders it: its view, with the
    few columns around it they read."""

    id: int
    ref: str
    view: ProjectView
    archived: bool
    content_hash: str
    # Where its council is (contract §3's `place`), read by `load_all` for the sync engine: the
    # topic's evidence block divides by its official population (issue 25).
    place: dict[str, Any] | None = None
    # Issue 22 point 5: what it built on and where it was taken up (`load_all` reads them).
    relations: Relations | None = None


def _loaded(
    fetched: _Fetched, places: dict[int, dict[str, Any] | None] | None = None
) -> list[_Loaded]:
    views: dict[int, BodyView] = {}  # one view per shared body
    loaded = []
    for row in fetched.projects:
        (pid, ref, title, description, area, kind, phase, value, savings, savings_eur, barriers,
         benefits, technology, proximity, body_id, archived, content_hash) = row[:17]  # fmt: skip
        body = views.get(body_id)
        if body is None:
            values = fetched.bodies[body_id]
            body = views[body_id] = BodyView(*values)  # LOCAL_BODY_FIELDS, then place_code
        view = ProjectView(
            ref, title, body, description, area, kind, phase, value, savings, savings_eur,
            row[_EVIDENCE], decode_evidence(row[_EVIDENCE + 1]) or None,
            barriers, benefits, technology, proximity,
            [ContactView(*c) for c in fetched.contacts.get(pid, ())],
            [DocumentView(kind=k, title=t, url=u) for k, t, u in fetched.documents.get(pid, ())],
            provenance_dict(row[_PROVENANCE]),
            fetched.inspired_by.get(pid, []),
        )  # fmt: skip
        place = places.get(body_id) if places else None
        loaded.append(_Loaded(pid, ref, view, as_bool(archived), content_hash, place))
    return loaded


def load_all(source: Rows | Engine | Connection) -> list[_Loaded]:
    """Every stored record, archived ones too (the sync engine's snapshot reads them this way)."""
    with rows_of(source) as rows:
        fetched = _fetch(rows, Where())
        loaded = _loaded(fetched, _places(rows, fetched))
        found = relations(rows)
    for item in loaded:
        item.relations = found.get(item.ref)
    return loaded


# Issue 22 point 5: every record at either end of a link, with its council.
_ENDS_SQL = (
    "SELECT p.id, p.ref, p.title, p.archived, b.country, b.place_code, b.name_key, b.name "
    "FROM project p JOIN local_body b ON b.id = p.local_body_id WHERE p.id IN "
    "(SELECT project_id FROM project_inspiration UNION SELECT inspired_by_id FROM "
    "project_inspiration)"
)


def relations(source: Rows | Engine | Connection) -> dict[str, Relations]:
    """Each linked record's relations (`catalogue.inspiration`: what it built on, the councils
    that took it up), by ref; three queries whatever the number of links."""
    from bridge.places.read_store import places_by_code

    with rows_of(source) as rows:
        links = rows.all("SELECT project_id, inspired_by_id FROM project_inspiration")
        if not links:
            return {}
        ends = rows.all(_ENDS_SQL)
        placed = {(row[4], row[5]) for row in ends if row[5] is not None}
        names = {key: place["name"] for key, place in places_by_code(rows, placed).items()}
    by_id = {
        pid: End(ref, title, council_key(country, code, key), names.get((country, code)) or name,
                 as_bool(archived))
        for pid, ref, title, archived, country, code, key, name in ends
    }  # fmt: skip
    return find_relations((by_id[a], by_id[b]) for a, b in links)


def load_by_refs(source: Rows | Engine | Connection, refs: Sequence[str]) -> list[_Loaded]:
    with rows_of(source) as rows:
        return [item for where in _refs(refs) for item in _loaded(_fetch(rows, where))]


def topic_url(discourse_url: str | None, topic_id: int | None, slug: str | None) -> str | None:
    if topic_id is None:
        return None
    return f"{discourse_url or ''}/t/{slug or '-'}/{topic_id}"


# --------------------------------------------------------------------------- output


class _Output:
    """Turns fetched rows into contract §3's records, each built once, straight from its row."""

    def __init__(
        self, fetched: _Fetched, places: dict[int, dict[str, Any] | None], home_region: str,
        discourse_url: str | None, *, private: bool = False,
    ) -> None:  # fmt: skip
        self.fetched = fetched
        self.private = private  # contacts' email and phone shown (export, `--with-private`)
        self.places = places
        self.home_region = home_region
        self.discourse_url = discourse_url
        self.bodies: dict[int, dict[str, Any]] = {}
        self.proximity: dict[int, str] = {}  # by body, for records that do not set their own

    def body(self, body_id: int) -> dict[str, Any]:
        body = self.bodies.get(body_id)
        if body is None:
            body = self.bodies[body_id] = body_dict(self.fetched.bodies[body_id][:-1])
        return dict(body)  # each record its own: callers may add to it

    def canonical(self, row: tuple[Any, ...], *, with_proximity: bool) -> dict[str, Any]:
        """The record alone (export's form; list/show add their fields after it)."""
        pid = row[_ID]
        return canonical_record(
            row[_REF], row[_TITLE], self.body(row[_BODY]),
            [contact_dict(c, private=self.private) for c in self.fetched.contacts.get(pid, ())],
            row[_DESCRIPTION], row[_VALUE], row[_SAVINGS], row[_SAVINGS_EUR],
            (row[_BARRIERS], row[_BENEFITS], row[_TECHNOLOGY]), row[_AREA], row[_KIND], row[_PHASE],
            [document_dict(*d) for d in self.fetched.documents.get(pid, ())],
            row[_PROXIMITY] if with_proximity else None,
            row[_EVIDENCE], decode_evidence(row[_EVIDENCE + 1]),
            provenance_dict(row[_PROVENANCE]),
            self.fetched.inspired_by.get(pid, ()),
        )  # fmt: skip

    def derived_proximity(self, body_id: int, own: str | None) -> str:
        if own:
            return Proximity(own).value
        found = self.proximity.get(body_id)
        if found is None:
            found = self.proximity[body_id] = self.body_proximity(body_id).proximity.value
        return found

    def body_proximity(self, body_id: int, own: str | None = None) -> Effective:
        """The one rule (bridge.catalogue.proximity), from the body's stored values."""
        values = self.fetched.bodies[body_id]
        return effective(
            country=values[1], region=values[2], own=own, home_region=self.home_region,
            place_code=values[-1], name=values[0],
        )  # fmt: skip

    def listed(self, row: tuple[Any, ...], *, detail: bool) -> dict[str, Any]:
        """The record as list (detail=False) and show (detail=True) print it."""
        record = self.canonical(row, with_proximity=False)
        record.update(self.derived(row, detail=detail))
        if detail:  # contract §4b: show's derived evidence, never imported
            record["evidence"] = derived_evidence(record)
        return record

    def derived(self, row: tuple[Any, ...], *, detail: bool = False) -> dict[str, Any]:
        """What list and show add after the record's canonical form: its place, proximity,
        state in the forum and activity (and, for show, the bookkeeping)."""
        body_id, own, archived = row[_BODY], row[_PROXIMITY], as_bool(row[_ARCHIVED])
        synced, topic_id, slug, state, synced_hash, closed, last_error, last_synced = row[_STATE]
        summary = (
            None if synced is None else StateSummary(state, topic_id, synced_hash, as_bool(closed))
        )
        replies, seen, likes, participants, last_posted_at = row[_ACTIVITY]
        derived = {
            "place": self.places.get(body_id),
            "proximity": self.derived_proximity(body_id, own),
            "archived": archived,
            "topic_id": topic_id,
            "topic_url": None
            if topic_id is None
            else topic_url(self.discourse_url, topic_id, slug),
            "sync_state": effective_status(RecordSummary(archived, row[_HASH]), summary).value,
            "activity": {
                "replies": replies or 0,
                "views": seen or 0,
                "likes": likes or 0,
                "participants": participants or 0,
                "last_posted_at": None if last_posted_at is None else iso(as_utc(last_posted_at)),
            },
        }
        if detail:
            derived["proximity_set_by_record"] = own is not None
            derived["proximity_basis"] = self.body_proximity(body_id, own).basis.value
            derived["last_error"] = last_error
            derived["last_synced_at"] = iso(as_utc(last_synced))
            derived["revision"] = row[_REVISION]
            derived["content_hash"] = row[_HASH]
            derived["created_at"] = iso(as_utc(row[_CREATED]))
            derived["updated_at"] = iso(as_utc(row[_UPDATED]))
        return derived


def _places(rows: Rows, fetched: _Fetched) -> dict[int, dict[str, Any] | None]:
    """Each fetched body's place (contract §3), by body id; absent where unresolved."""
    from bridge.places.read_store import places_by_code

    wanted = {
        body_id: (values[1], values[-1])  # (country, place_code)
        for body_id, values in fetched.bodies.items()
        if values[-1] is not None
    }
    if not wanted:
        return {}
    found = places_by_code(rows, set(wanted.values()))
    return {body_id: found.get(key) for body_id, key in wanted.items()}


# --------------------------------------------------------------------------- queries


ArchivedFilter = Literal["exclude", "include", "only"]


@dataclass(frozen=True)
class Filters:
    area: Area | None = None
    proximity: Proximity | None = None
    phase: Phase | None = None
    kind: Kind | None = None
    search: str | None = None
    archived: ArchivedFilter = "exclude"

    def where(self) -> Where:
        conditions: list[str] = []
        params: list[Any] = []
        if self.archived != "include":
            conditions.append("p.archived = ?")
            params.append(self.archived == "only")
        for column, value in (("area", self.area), ("phase", self.phase), ("kind", self.kind)):
            if value is not None:
                conditions.append(f"p.{column} = ?")
                params.append(value.value)
        return Where(" AND ".join(conditions), tuple(params))


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for search: "Participació" matches "participacio"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _haystack(row: tuple[Any, ...], body_name: str) -> str:
    # ref, title, local body, description, technology
    return _fold(
        "\n".join((row[_REF], row[_TITLE], body_name, row[_DESCRIPTION], row[_TECHNOLOGY] or ""))
    )


def _ts(value: Any) -> float:
    stamp = as_utc(value)
    return stamp.timestamp() if stamp is not None else 0.0


_SORTS: dict[str, Callable[[tuple[Any, ...]], Any]] = {
    "ref": lambda row: row[_REF],
    "title": lambda row: (_fold(row[_TITLE]), row[_REF]),
    # Most discussed first (replies, participants, views).
    "activity": lambda row: (
        -(row[_REPLIES] or 0),
        -(row[_PARTICIPANTS] or 0),
        -(row[_VIEWS] or 0),
        row[_REF],
    ),
    # Latest forum post first; records without one after, most recently changed in the catalogue
    # first.
    "recent": lambda row: (
        row[_LAST_POSTED] is None,
        -_ts(row[_LAST_POSTED]),
        -_ts(row[_UPDATED]),
        row[_REF],
    ),
}


def iter_records(
    source: Rows | Engine | Connection,
    home_region: str,
    discourse_url: str | None = None,
    filters: Filters = Filters(),
    sort: Sort = Sort.ref,
    *,
    private: bool = False,
) -> Iterator[dict[str, Any]]:
    """Records as `projects list --json` prints them (contract §3), filtered and sorted, each
    made when it is asked for. Every read is done before the first record is made. Contacts'
    emails and phones only when `private`."""
    with rows_of(source) as rows:
        fetched = _fetch(rows, filters.where())
        places = _places(rows, fetched)
        found = relations(rows) if sort == "spread" else {}
    output = _Output(fetched, places, home_region, discourse_url, private=private)
    if sort == "spread":  # over the whole catalogue, whatever the filters keep
        chosen = sorted(_chosen(fetched, output, filters), key=lambda r: -spread_of(found, r[1]))
        yield from (output.listed(row, detail=False) for row in chosen)
        return
    if sort in SORTS:  # by a figure derived from the whole record: the records first
        records = [output.listed(row, detail=False) for row in _chosen(fetched, output, filters)]
        yield from sorted(records, key=sort_key(sort))
        return
    for row in _chosen(fetched, output, filters, sort):
        yield output.listed(row, detail=False)


def iter_listing(
    source: Rows | Engine | Connection,
    home_region: str,
    discourse_url: str | None = None,
    filters: Filters = Filters(),
    sort: Sort = Sort.ref,
    *,
    private: bool = False,
) -> Iterator[str]:
    """`projects list --json`'s records as the lines it writes: byte for byte `encode_listed` of
    `iter_records`' dicts, made without building them. Each record's stored listing form
    (`project.listing_json`, its canonical part) gets the derived fields spliced in before its
    closing brace; a record with none stored yet is built from its columns. A text search reads
    the records' words, and the stored form has its contacts masked (`canonical.listing_json`),
    so a search, `private` (emails and phones shown) and a sort by a derived figure go through
    `iter_records`."""
    if private or sort in SORTS or sort == "spread" or (filters.search and filters.search.strip()):
        yield from map(
            encode_listed,
            iter_records(source, home_region, discourse_url, filters, sort, private=private),
        )
        return
    full: dict[int, tuple[Any, ...]] = {}  # records without a stored form, read whole
    with rows_of(source) as rows:
        where = filters.where()
        projects = sorted(rows.all(_LISTING_SQL + where.clause(), where.params), key=_by_ref)
        fetched = _Fetched(projects, _bodies(rows, projects) if projects else {}, {}, {})
        places = _places(rows, fetched)
        missing = [row[_ID] for row in projects if row[_LISTING] is None]
        for chunk in chunks(missing):
            by_id = Where(f"p.id IN ({placeholders(len(chunk))})", tuple(chunk))
            full.update((row[_ID], row) for row in rows.all(_PROJECT_SQL + by_id.clause(), chunk))
            contacts, documents = _children(rows, by_id)
            fetched.contacts.update(contacts)
            fetched.documents.update(documents)
            fetched.inspired_by.update(_inspirations(rows, by_id))
    output = _Output(fetched, places, home_region, discourse_url)
    for row in _chosen(fetched, output, filters, sort):
        stored = row[_LISTING]
        if stored is None:
            yield encode_listed(output.listed(full[row[_ID]], detail=False))
        else:
            yield stored[:-1] + ", " + encode_listed(output.derived(row))[1:]


def _chosen(
    fetched: _Fetched, output: _Output, filters: Filters, sort: Sort = Sort.ref
) -> Iterator[tuple[Any, ...]]:
    """The fetched rows the filters keep (text search, proximity), in the asked order."""
    projects = fetched.projects
    if filters.search and filters.search.strip():
        needle = _fold(filters.search.strip())
        projects = [
            row for row in projects if needle in _haystack(row, fetched.bodies[row[_BODY]][0])
        ]
    if sort != "ref":  # fetched in ref order
        projects = sorted(projects, key=_SORTS[sort])
    wanted = filters.proximity.value if filters.proximity is not None else None
    for row in projects:
        if wanted is None or output.derived_proximity(row[_BODY], row[_PROXIMITY]) == wanted:
            yield row


def list_records(
    source: Rows | Engine | Connection,
    home_region: str,
    discourse_url: str | None = None,
    filters: Filters = Filters(),
    sort: Sort = Sort.ref,
    *,
    private: bool = False,
) -> list[dict[str, Any]]:
    """Records as `projects list --json` prints them (contract §3), filtered and sorted; contacts'
    emails and phones only when `private`."""
    return list(iter_records(source, home_region, discourse_url, filters, sort, private=private))


def get_record(
    source: Rows | Engine | Connection,
    ref: str,
    home_region: str,
    discourse_url: str | None = None,
    *,
    private: bool = False,
) -> dict[str, Any]:
    """The record as `projects show --json` prints it; UnknownRef when there is none. Contacts'
    emails and phones only when `private`."""
    with rows_of(source) as rows:
        fetched = _fetch(rows, Where("p.ref = ?", (ref,)))
        places = _places(rows, fetched)
        taken_up = [found for (found,) in rows.all(_REPLICATED_SQL, (ref,))]
    if not fetched.projects:
        raise UnknownRef(ref)
    output = _Output(fetched, places, home_region, discourse_url, private=private)
    record = output.listed(fetched.projects[0], detail=True)
    record["replicated_in"] = sorted(taken_up)  # contract §4b: refs whose inspired_by names it
    return record


# Issue 22 point 5: the records that built on one (`projects show`'s `replicated_in`).
_REPLICATED_SQL = (
    "SELECT a.ref FROM project_inspiration i JOIN project a ON a.id = i.project_id "
    "JOIN project b ON b.id = i.inspired_by_id WHERE b.ref = ?"
)


def export_records(source: Rows | Engine | Connection) -> list[dict[str, Any]]:
    """Every record (archived ones too) in its canonical form, by ref: what `export` writes."""
    with rows_of(source) as rows:
        fetched = _fetch(rows, Where())
    output = _Output(fetched, {}, "", None, private=True)  # the round-trip file keeps everything
    return [output.canonical(row, with_proximity=True) for row in fetched.projects]


def count_records(source: Rows | Engine | Connection) -> int:
    with rows_of(source) as rows:
        return int(rows.all("SELECT count(*) FROM project")[0][0])


def created_dates(source: Rows | Engine | Connection) -> list[date]:
    """The day each record still in the observatory (not archived) entered the catalogue: the
    catalogue's growth, as the overview's chart draws it (issue 24). Sorted."""
    with rows_of(source) as rows:
        found = rows.all("SELECT created_at FROM project WHERE archived = ?", (False,))
    return sorted(d.date() for (value,) in found if (d := as_utc(value)) is not None)
