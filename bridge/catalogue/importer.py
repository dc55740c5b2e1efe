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

from bridge.catalogue.formats import read_records
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
    paths: Sequence[str | os.PathLike[str]], reporter: Reporter | None = None
) -> tuple[list[ValidRecord], list[Problem], int]:
    """Every record of every file, validated; and every problem found (warnings among them:
    `Problem.is_warning`). Returns (valid, problems, count)."""
    reporter = reporter or _Silent()
    raws: list[RawRecord] = []
    problems: list[Problem] = []
    advance = reporter.stage("reading", len(paths))
    for path in paths:
        found, file_problems = read_records(path)
        raws.extend(found)
        problems.extend(file_problems)
        advance(1)
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
) -> ImportOutcome:
    """Read, validate, place and write. With `strict`, warnings are errors."""
    reporter = reporter or _Silent()
    files = tuple(str(p) for p in paths)
    distinct, warnings = distinct_files(paths)
    valid, found, count = read_and_validate(distinct, reporter)
    problems = [p for p in found if not p.is_warning]
    warnings += [p for p in found if p.is_warning]
    if not problems:
        resolutions, place_warnings = place(engine, valid, dry_run=dry_run)
        warnings += place_warnings
    if strict:
        problems += [w.as_error() for w in warnings]
        warnings = []
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
