"""An import from end to end: read the files, validate every record, upsert them in one go.

Used by `digicanvis import` and by scripts/bench_catalogue.py, so the benchmark measures the
code path an administrator runs. Nothing is written unless every record of every file is valid.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.catalogue.formats import IntakeOptions, read_records
from bridge.catalogue.schema import Problem, RawRecord, Severity, ValidRecord, validate_records
from bridge.catalogue.store import ImportRefused, ImportResult, import_records
from bridge.places import store as places_store
from bridge.places.gazetteer import Resolution
from bridge.places.placing import place_records


class Reporter(Protocol):
    """Where progress goes: `stage` announces a step of `total` units and returns its advance."""

    def stage(self, description: str, total: int) -> Callable[[int], None]: ...


class _Silent:
    def stage(self, description: str, total: int) -> Callable[[int], None]:
        return lambda _n: None


@dataclass(frozen=True)
class ImportOutcome:
    files: tuple[str, ...]
    records: int
    problems: tuple[Problem, ...]  # when not empty, nothing was written
    result: ImportResult | None
    warnings: tuple[Problem, ...] = ()  # normalised or disagreeing; written all the same


def distinct_files(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[list[str | os.PathLike[str]], list[Problem]]:
    """Each file once: the same file named twice (or by two paths) is read once, with a warning,
    rather than reporting every one of its records as a duplicate ref."""
    seen: dict[Any, str] = {}
    kept: list[str | os.PathLike[str]] = []
    warnings: list[Problem] = []
    for path in paths:
        try:
            info = os.stat(path)
            identity: Any = (info.st_dev, info.st_ino)
        except OSError:
            identity = os.path.abspath(path)  # the reader reports why it cannot be read
        if identity in seen:
            warnings.append(
                Problem(
                    str(path),
                    f"the same file as {seen[identity]} (named twice); read once",
                    severity=Severity.warning,
                )
            )
            continue
        seen[identity] = str(path)
        kept.append(path)
    return kept, warnings


def read_and_validate(
    paths: Sequence[str | os.PathLike[str]],
    reporter: Reporter | None = None,
    options: IntakeOptions | None = None,
    prepare: Callable[[list[RawRecord]], None] | None = None,
) -> tuple[list[ValidRecord], list[Problem], int]:
    """Every record of every file, validated; and every problem found (warnings among them:
    `Problem.is_warning`). Returns (valid, problems, count)."""
    reporter = reporter or _Silent()
    raws: list[RawRecord] = []
    problems: list[Problem] = []
    advance = reporter.stage("reading", len(paths))
    for path in paths:
        found, file_problems = read_records(path, options)
        raws.extend(found)
        problems.extend(file_problems)
        advance(1)
    if prepare is not None:
        prepare(raws)
    advance = reporter.stage("validating", len(raws))
    valid, record_problems = validate_records(_counted(raws, advance))
    problems.extend(record_problems)
    problems.extend(w for record in valid for w in record.warnings)
    return valid, problems, len(raws)


def _counted(raws: list[RawRecord], advance: Callable[[int], None]):
    for raw in raws:
        yield raw
        advance(1)


def run_import(
    engine: Engine,
    paths: Sequence[str | os.PathLike[str]],
    *,
    dry_run: bool = False,
    reporter: Reporter | None = None,
    strict: bool = False,
    options: IntakeOptions | None = None,
    home_region: str | None = None,
) -> ImportOutcome:
    """Read, validate, place and write. With `strict`, warnings are errors; `options` name an
    import mapping and whether unknown columns are only warnings."""
    reporter = reporter or _Silent()
    files = tuple(str(p) for p in paths)
    distinct, warnings = distinct_files(paths)
    prepare = (lambda raws: _home_country(engine, raws, home_region)) if home_region else None
    valid, found, count = read_and_validate(distinct, reporter, options, prepare)
    problems = [p for p in found if not p.is_warning]
    warnings += [p for p in found if p.is_warning]
    if not problems:
        resolutions, place_warnings = place(engine, valid, dry_run=dry_run)
        warnings += place_warnings
    if strict:  # advice stays advice (Severity.advice)
        problems += [w.as_error() for w in warnings if w.severity is Severity.warning]
        warnings = [w for w in warnings if w.severity is Severity.advice]
    if problems:
        return ImportOutcome(files, count, tuple(problems), None, tuple(warnings))
    # Planning then writing: one unit per record for each.
    advance = reporter.stage(
        "dry run" if dry_run else "importing", len(valid) * (1 if dry_run else 2)
    )
    try:
        result = import_records(
            engine,
            valid,
            dry_run=dry_run,
            progress=advance,
            places=[r.place.code if r.place else None for r in resolutions],
        )
    except ImportRefused as exc:
        return ImportOutcome(files, count, tuple(exc.problems), None, tuple(warnings))
    return ImportOutcome(files, count, (), result, tuple(warnings))


def place(
    engine: Engine, valid: Sequence[ValidRecord], *, dry_run: bool
) -> tuple[list[Resolution], list[Problem]]:
    """Where each record's local body is, from the gazetteer of the countries the import names.
    (A dry run loads the built-in places for itself and writes nothing.)"""
    with engine.connect() as conn:
        places_store.ensure_builtin(conn)
        gazetteer = places_store.gazetteer(conn, {v.record.local_body.country for v in valid})
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    return place_records(gazetteer, valid)


def _home_country(engine: Engine, raws: list[RawRecord], home_region: str) -> None:
    """A record without `local_body.country` gets the home region's country when the gazetteer
    places its body there (issue 28: "Ajuntament de Tàrrega" needs no "ES"), said in a warning;
    otherwise it stays without one, and validation says the field is required."""
    bodies = [
        raw.data["local_body"]
        for raw in raws
        if isinstance(raw.data, dict)
        and isinstance(raw.data.get("local_body"), dict)
        and not str(raw.data["local_body"].get("country") or "").strip()
        and isinstance(raw.data["local_body"].get("name"), str)
    ]
    if not bodies:
        return
    country = home_region.split("-", 1)[0].upper()
    with engine.connect() as conn:
        places_store.ensure_builtin(conn)
        gazetteer = places_store.gazetteer(conn, {country})
        conn.rollback()  # read only: the built-in places are written by the import itself
    by_body = {id(raw.data.get("local_body")): raw for raw in raws if isinstance(raw.data, dict)}
    for body in bodies:
        kind, code = body.get("kind"), body.get("municipality_code")
        found = gazetteer.resolve(
            country,
            body["name"],
            kind if isinstance(kind, str) else None,
            code if isinstance(code, str) else None,
        )
        if found.place is not None:
            body["country"] = country
            by_body[id(body)].warnings.append(
                (
                    "local_body.country",
                    f"empty: {country} (BRIDGE_HOME_REGION's country), where the gazetteer "
                    f"places this body ({found.place.name})",
                )
            )
