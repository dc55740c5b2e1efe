"""A harvest from end to end: for each source, read it, turn its records into catalogue records
(namespaced refs, provenance), find duplicates of other sources' records, place them in the
gazetteer, and write them through the catalogue's own import path, archiving what left the
source and restoring what came back, all in one transaction per source. A source that fails at
any step changes nothing."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bridge.catalogue.canonical import provenance_json
from bridge.catalogue.problems import Problem, RawRecord
from bridge.catalogue.refs import SLUG_RE, harvested_ref, slug_of, source_slug
from bridge.harvest.fetch import is_url
from bridge.harvest.model import (
    Action,
    Defaults,
    Item,
    Planned,
    SourceDocument,
    SourceFailed,
    SourceOutcome,
    SourceState,
)
from bridge.harvest.read import Limits, Read, Unchanged, read_source

if TYPE_CHECKING:  # loaded when a source has changed (an unchanged one needs none of them)
    from sqlalchemy.engine import Connection, Engine

    from bridge.catalogue.schema import ValidRecord
    from bridge.catalogue.store import Harvested, ImportResult
    from bridge.harvest.duplicates import Candidate
    from bridge.settings import Settings


# A source may lose this many records in one harvest whatever its size (a small source losing
# three of five is ordinary); beyond it, losing more than half is refused as probably partial.
SHRINK_FLOOR = 10


@dataclass(frozen=True)
class SourceSpec:
    """A source to harvest: its address, its slug (derived from the address when not given) and
    what its records lack."""

    location: str
    slug: str | None = None
    defaults: Defaults = field(default_factory=Defaults)
    limits: Limits | None = None  # this source's own timeout and size cap

    @property
    def address(self) -> str:
        """As stored: a URL as given, a path made absolute."""
        return self.location if is_url(self.location) else os.path.abspath(self.location)


def harvest(
    engine: Engine | Callable[[], Engine],
    specs: Sequence[SourceSpec],
    *,
    dry_run: bool = False,
    limits: Limits | None = None,
    own_package_id: str | None = None,
    states: Callable[[], dict[str, SourceState]] | None = None,
    allow_shrink: bool = False,
) -> list[SourceOutcome]:
    """Harvest each source in turn. `engine` may be a factory, called only when a source has
    changed, and `states` a reader of the sources' state without it (the CLI reads it through
    the database driver): a re-harvest of unchanged sources then never loads SQLAlchemy.
    A source that would archive more than half of its records (and more than SHRINK_FLOOR) is
    refused as probably partial, unless `allow_shrink`."""
    made: list[Engine] = []

    def engine_of() -> Engine:
        if not made:
            made.append(engine() if callable(engine) else engine)
        return made[0]

    def states_of() -> dict[str, SourceState]:
        if states is not None:
            return states()
        from bridge.harvest import store

        with engine_of().connect() as conn:
            return store.sources(conn)

    return [
        _one(
            engine_of,
            states_of,
            spec,
            dry_run=dry_run,
            limits=spec.limits or limits or Limits(),
            own=own_package_id,
            allow_shrink=allow_shrink,
        )
        for spec in specs
    ]


def derive_slug(location: str) -> str:
    """A source's default slug: its host (and port) for a URL, its file name for a path."""
    if is_url(location):
        parts = urlsplit(location)
        base = (parts.hostname or "source").removeprefix("www.")
        base = f"{base}-{parts.port}" if parts.port else base
    else:
        base = os.path.splitext(os.path.basename(location.rstrip("/")))[0]
    return slug_of(base)[:24].strip("-") or "source"


def _slug(spec: SourceSpec, states: dict[str, SourceState]) -> str:
    if spec.slug is not None:
        if not SLUG_RE.match(spec.slug):
            raise SourceFailed(f"slug {spec.slug!r}: use 1 to 24 lowercase letters, digits and '-'")
        slug = spec.slug
    else:
        known = next((s.slug for s in states.values() if s.url == spec.address), None)
        if known:
            return known
        slug = derive_slug(spec.location)
    taken = states.get(slug)
    if taken is not None and taken.url != spec.address:
        raise SourceFailed(
            f"slug {slug!r} already names another source ({taken.url}); give this one its own "
            "(--slug, or `slug` in [[harvest]])"
        )
    return slug


def _one(
    engine: Callable[[], Engine],
    states_of: Callable[[], dict[str, SourceState]],
    spec: SourceSpec,
    *,
    dry_run: bool,
    limits: Limits,
    own: str | None,
    allow_shrink: bool,
) -> SourceOutcome:
    slug = spec.slug or derive_slug(spec.location)
    try:
        states = states_of()
        slug = _slug(spec, states)
        state = states.get(slug)
        got = read_source(
            spec.location,
            validators=state.validators if state else None,
            known_digest=state.digest if state else None,
            defaults=spec.defaults,
            limits=limits,
        )
        if isinstance(got, Unchanged):
            return SourceOutcome(spec.location, slug, not_modified=True, note=got.why)
        return _apply(
            engine(), spec, slug, got, dry_run=dry_run, own=own, allow_shrink=allow_shrink
        )
    except SourceFailed as exc:
        return SourceOutcome(spec.location, slug, error=str(exc))


def _refuse_own(conn: Connection, document: SourceDocument, own: str | None) -> None:
    from bridge.catalogue.store import titles_of

    if own and document.package_id == own:
        raise SourceFailed(
            "this is this catalogue's own open-data package (its id is ours): harvesting it "
            "would copy every record onto itself; refused"
        )
    titles = titles_of(conn, [item.source_id for item in document.items])
    if document.items and all(
        titles.get(item.source_id) == item.record.get("title") for item in document.items
    ):
        raise SourceFailed(
            "this package describes this catalogue's own records (every ref and title is ours): "
            "it is this instance's open data; refused"
        )


def _apply(
    engine: Engine,
    spec: SourceSpec,
    slug: str,
    got: Read,
    *,
    dry_run: bool,
    own: str | None,
    allow_shrink: bool,
) -> SourceOutcome:
    from bridge.catalogue.importer import place
    from bridge.catalogue.schema import validate_records
    from bridge.catalogue.store import (
        ImportRefused,
        harvested_records,
        import_records,
        set_archived_refs,
    )
    from bridge.harvest.duplicates import Candidate, Index

    document = got.document
    now = datetime.now(UTC).replace(microsecond=0)
    from bridge.harvest import store

    with engine.connect() as conn:
        _refuse_own(conn, document, own)
        existing = harvested_records(conn)
        # Records of this source that other sources publish too (merged into them).
        also_elsewhere = {ref for (s, _), ref in store.links(conn).items() if s != slug}
    mine = {e.ref: e for e in existing if source_slug(e.ref) == slug}
    others = Index(
        Candidate(e.ref, e.title, e.body_name, e.country, e.place_code, e.urls)
        for e in existing
        if source_slug(e.ref) != slug and not e.archived
    )
    warnings = [*document.notes, *(f"skipped: {why}" for why in document.skipped)]
    raws: list[RawRecord] = []
    merged: dict[str, tuple[str, str]] = {}
    planned: list[Planned] = []
    for index, item in enumerate(document.items, start=1):
        ref = harvested_ref(slug, item.source_id)
        old = mine.get(ref)
        kept_at = (old.provenance or {}).get("harvested_at") if old else None
        provenance = _provenance(got, item, kept_at or now.isoformat())
        if old is None:
            into = others.match(_candidate(ref, item))
            if into is not None:
                merged[item.source_id] = (into, provenance_json(provenance) or "")
                title = str(item.record.get("title", ""))
                planned.append(Planned(Action.merge, ref, item.source_id, title, into=into))
                continue
        data = {"ref": ref, **item.record, "provenance": provenance}
        raws.append(RawRecord(got.location, index, data))
    valid, problems = validate_records(raws)
    refused = {p.ref for p in problems if not p.is_warning}
    warnings += [_said(p) for p in problems]
    warnings += [_said(w) for v in valid for w in v.warnings]
    if raws and not valid:  # (every record merged into another source's is not a failure)
        raise SourceFailed(f"no record of the source is valid ({len(refused)} refused)")
    # A record's harvested_at is when its content last came in: an unchanged record keeps its
    # own (so it stays unchanged); the changed ones get this harvest's time.
    changed = _changed(engine, valid)
    if changed:
        valid = _restamped(valid, changed, now.isoformat())
    resolutions, place_warnings = place(engine, valid, dry_run=dry_run)
    warnings += [_said(w) for w in place_warnings]
    incoming = {v.ref for v in valid} | {harvested_ref(slug, i.source_id) for i in document.items}
    gone = sorted(ref for ref, e in mine.items() if ref not in incoming and not e.archived)
    # Gone from this source but still published by another: kept, as the other's.
    kept = [ref for ref in gone if ref in also_elsewhere]
    warnings += [f"{ref}: gone from this source, kept: another source publishes it" for ref in kept]
    gone = [ref for ref in gone if ref not in also_elsewhere]
    back = sorted(ref for ref, e in mine.items() if ref in incoming and e.archived)
    active = sum(1 for e in mine.values() if not e.archived)
    if not allow_shrink and len(gone) > max(SHRINK_FLOOR, active // 2):
        raise SourceFailed(
            f"it now lists {active - len(gone)} of the {active} records harvested from it: "
            "a partial or wrong file? Nothing archived; --allow-shrink if it is meant"
        )
    planned += [_known(Action.archive, mine[ref]) for ref in gone]
    planned += [_known(Action.restore, mine[ref]) for ref in back]

    def after(conn: Connection, _result: ImportResult) -> None:
        from bridge.harvest import store

        set_archived_refs(conn, gone, True)
        set_archived_refs(conn, back, False)
        store.save_links(conn, slug, merged)
        store.save_source(conn, slug, spec.address, got.validators, got.digest, now)

    try:
        result = import_records(
            engine,
            valid,
            dry_run=dry_run,
            places=[r.place.code if r.place else None for r in resolutions],
            after=after,
        )
    except ImportRefused as exc:
        raise SourceFailed("; ".join(str(p) for p in exc.problems)[:500]) from None
    by_ref = {v.ref: v for v in valid}
    planned += [_planned(Action.add, ref, by_ref) for ref in result.created]
    planned += [_planned(Action.update, c.ref, by_ref, c.fields) for c in result.updated]
    planned += [_planned(Action.unchanged, ref, by_ref) for ref in result.unchanged]
    return SourceOutcome(
        spec.location, slug, document.kind, tuple(planned), warnings=tuple(warnings)
    )


def _known(action: Action, record: Harvested) -> Planned:
    source_id = (record.provenance or {}).get("source_id", record.ref.partition(":")[2])
    return Planned(action, record.ref, str(source_id), record.title)


def _planned(
    action: Action, ref: str, by_ref: dict[str, ValidRecord], fields: tuple[str, ...] = ()
) -> Planned:
    record = by_ref[ref].record
    source_id = record.provenance.source_id if record.provenance else ref
    return Planned(action, ref, source_id, record.title, fields)


def _candidate(ref: str, item: Item) -> Candidate:
    from bridge.harvest.duplicates import Candidate

    body = item.record.get("local_body") or {}
    urls = tuple(d.get("url", "") for d in item.record.get("documents") or () if d.get("url"))
    if item.url:
        urls += (item.url,)
    return Candidate(
        ref,
        str(item.record.get("title", "")),
        str(body.get("name", "")),
        str(body.get("country", "")).upper(),
        None,
        urls,
    )


def _provenance(got: Read, item: Item, harvested_at: str) -> dict[str, str]:
    values = {
        "source": got.location,
        "source_id": item.source_id,
        "licence": got.document.licence,
        "publisher": got.document.publisher,
        "harvested_at": harvested_at,
        "modified": item.modified,
        "url": item.url,
    }
    return {k: v for k, v in values.items() if v}


def _changed(engine: Engine, valid: list[ValidRecord]) -> set[str]:
    from bridge.catalogue.store import import_records

    result = import_records(engine, valid, dry_run=True)
    return set(result.created) | {c.ref for c in result.updated}


def _restamped(valid: list[ValidRecord], refs: set[str], when: str) -> list[ValidRecord]:
    from bridge.catalogue.schema import ValidRecord

    out = []
    for v in valid:
        if v.ref in refs and v.record.provenance is not None:
            provenance = v.record.provenance.model_copy(update={"harvested_at": when})
            v = ValidRecord(
                v.file, v.index, v.record.model_copy(update={"provenance": provenance}),
                v.line, v.warnings,
            )  # fmt: skip
        out.append(v)
    return out


def _said(problem: Problem) -> str:
    """A problem without its file name (the report names the source)."""
    return str(problem).removeprefix(f"{problem.file}: ")


def configured(cfg: Settings) -> list[SourceSpec]:
    """The [[harvest]] sources of the TOML file, as the harvest engine takes them."""
    return [SourceSpec(s.source, s.slug, s.defaults(), s.limits()) for s in cfg.harvest]


def own_package_id(cfg: Settings) -> str | None:
    """The `id` this instance's `opendata` writes into its datapackage.json; None while its
    base URL is the built-in example, which every instance that has not set one shares (its own
    package is then recognised by its records alone)."""
    from bridge.opendata.package import DATAPACKAGE

    if cfg.opendata.base_url == type(cfg.opendata).model_fields["base_url"].default:
        return None
    return f"{cfg.opendata.base_url}/{DATAPACKAGE}"
