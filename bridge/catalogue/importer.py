"""An import from end to end: read the files, validate every record, upsert them in one go.

Used by `digicanvis import` and by scripts/bench_catalogue.py, so the benchmark measures the
code path an administrator runs. Nothing is written unless every record of every file is valid.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine

from bridge.catalogue.formats import read_records
from bridge.catalogue.schema import Problem, RawRecord, ValidRecord, validate_records
from bridge.catalogue.store import ImportRefused, ImportResult, import_records


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


def read_and_validate(
    paths: Sequence[str | os.PathLike[str]], reporter: Reporter | None = None
) -> tuple[list[ValidRecord], list[Problem], int]:
    """Every record of every file, validated; and every problem found. Returns (valid, problems, count)."""
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
) -> ImportOutcome:
    reporter = reporter or _Silent()
    files = tuple(str(p) for p in paths)
    valid, problems, count = read_and_validate(paths, reporter)
    if problems:
        return ImportOutcome(files, count, tuple(problems), None)
    # Planning then writing: one unit per record for each.
    advance = reporter.stage(
        "dry run" if dry_run else "importing", len(valid) * (1 if dry_run else 2)
    )
    try:
        result = import_records(engine, valid, dry_run=dry_run, progress=advance)
    except ImportRefused as exc:
        return ImportOutcome(files, count, tuple(exc.problems), None)
    return ImportOutcome(files, count, (), result)
