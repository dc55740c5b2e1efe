"""Reading and writing records as JSON, YAML, CSV and .xlsx (contract §4; .xlsx in `spreadsheet`).

Readers turn a file into `RawRecord`s (plain dicts, not yet validated) or into `Problem`s about
the file as a whole; they never decide what a valid record is (that is `schema`'s job). Writers
take the canonical record dicts of `canonical.record_dict`, so export then import is a no-op.

- Files come through `sources` (only regular files, within a stated size). Encoding: UTF-8; a
  byte-order mark (as spreadsheets write it) is tolerated; a CSV may also be Windows-1252 (said
  in a warning). A YAML document that aliases expand beyond its text's size is refused.
- Export neutralises text a spreadsheet would take for a formula (`neutralise`); import restores
  it (`restore`), so export then import stays a no-op.
- JSON/YAML: a list of records or an object `{"projects": [...]}`; duplicate keys are errors
  (the standard parsers would silently keep the last one).
- CSV: one record a row; nested fields as dotted columns (`local_body.name`, `analysis.barriers`);
  `contacts`, `documents` and `inspired_by` as JSON in their cell (`inspired_by` also as refs
  separated by commas); numbers as numbers; an empty cell is an
  absent field. The reader knows which columns are numbers, so a code such as `08019` stays text.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.catalogue.canonical import ANALYSIS_FIELDS, LOCAL_BODY_FIELDS, PROVENANCE_FIELDS
from bridge.catalogue.evidence import CSV_COLUMNS as EVIDENCE_COLUMNS
from bridge.catalogue.evidence import JSON_COLUMNS as EVIDENCE_JSON
from bridge.catalogue.evidence import NUMBER_COLUMNS as EVIDENCE_NUMBERS
from bridge.catalogue.numbers import NumberStyle, NumberText
from bridge.catalogue.problems import Problem, RawRecord, Severity
from bridge.catalogue.sources import MAX_FILE_BYTES, SourceError, decode, read_bytes

if TYPE_CHECKING:
    from bridge.catalogue.mapping import ImportMapping

FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}

CSV_COLUMNS: tuple[str, ...] = (
    "ref",
    "title",
    *(f"local_body.{name}" for name in LOCAL_BODY_FIELDS),
    "contacts",
    "description",
    "value",
    "savings",
    "savings_eur_per_year",
    *(f"analysis.{name}" for name in ANALYSIS_FIELDS),
    "area",
    "kind",
    "phase",
    "documents",
    "inspired_by",
    *EVIDENCE_COLUMNS,
    "proximity",
)
# A harvested record's provenance (contract §4b, set by `harvest` only): read wherever it is given,
# written by export only when some record has one, so a catalogue of its own exports as before.
PROVENANCE_COLUMNS: tuple[str, ...] = tuple(f"provenance.{name}" for name in PROVENANCE_FIELDS)
READ_COLUMNS = (*CSV_COLUMNS, *PROVENANCE_COLUMNS)


def columns_for(records: list[dict[str, Any]]) -> tuple[str, ...]:
    """The columns an export of these records writes: the provenance's only when one has it."""
    return READ_COLUMNS if any("provenance" in record for record in records) else CSV_COLUMNS


NUMBER_COLUMNS = (
    frozenset(
        {
            "local_body.population",
            "local_body.latitude",
            "local_body.longitude",
            "savings_eur_per_year",
        }
    )
    | EVIDENCE_NUMBERS
)
JSON_COLUMNS = frozenset({"contacts", "documents", "inspired_by"}) | EVIDENCE_JSON
# Fields whose values are dates (contract §4b's `dates.*`).
DATE_COLUMNS = frozenset(c for c in CSV_COLUMNS if c.startswith("dates."))
# Fields the template offers as drop-downs of Catalan labels (bridge.catalogue.catalan).
LABELLED_COLUMNS = frozenset({"area", "kind", "phase", "proximity"})
_INT_RE = re.compile(r"^[+-]?\d+$")
_POINT_DECIMAL_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


_TOO_DEEP = "nested too deeply (more than Python's recursion limit)"
# A cell may hold a whole description: the csv module's default limit (128 KiB) would refuse a
# long one that our own export wrote. Files are bounded by sources.MAX_FILE_BYTES anyway.
csv.field_size_limit(MAX_FILE_BYTES)

# Text beginning with one of these is a formula to a spreadsheet (OWASP "CSV injection"); a
# leading tab or carriage return is stripped by some before they evaluate the rest.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    return text.startswith(_FORMULA_START) or (text.startswith("'") and _needs_quote(text[1:]))


def neutralise(text: str) -> str:
    """The usual convention: a leading apostrophe makes a spreadsheet show the text as text.
    (An apostrophe already there before such text gets another, so `restore` is exact.)"""
    return "'" + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """Undo `neutralise`: export then import is a no-op."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


class FormatError(Exception):
    """A file name this module cannot read or write (its message is meant for a person)."""


def format_of(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        valid = ", ".join(FORMATS)
        raise FormatError(
            f"{path}: unknown file extension {suffix or '(none)'!r}; use one of {valid}"
        )
    return FORMATS[suffix]


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class IntakeOptions:
    """How an import reads its files: an import mapping (`--map`), and whether columns that are
    neither the contract's, the template's Catalan ones nor the mapping's are warnings
    (`--ignore-unknown`) rather than errors."""

    mapping: ImportMapping | None = None
    ignore_unknown: bool = False


def read_records(
    path: str | os.PathLike[str], options: IntakeOptions | None = None
) -> tuple[list[RawRecord], list[Problem]]:
    """The records of one file, or the problems that keep it from being read at all."""
    options = options or IntakeOptions()
    name = str(path)
    try:
        kind = format_of(path)
    except FormatError as exc:
        return [], [Problem(name, str(exc).removeprefix(f"{name}: "))]
    try:
        data = read_bytes(path)
        if kind == "xlsx":
            from bridge.catalogue.spreadsheet import read_xlsx

            return read_xlsx(name, data, options)
        decoded = decode(data, windows_1252=kind == "csv")
    except SourceError as exc:
        return [], [Problem(name, exc.reason, line=exc.line)]
    text = decoded.text
    notes = [Problem(name, decoded.note, severity=Severity.warning)] if decoded.note else []
    if not text.strip():
        return [], [Problem(name, "the file is empty")]
    reader: Callable[[str, str], tuple[list[RawRecord], list[Problem]]] = {
        "json": _read_json,
        "yaml": _read_yaml,
    }.get(kind, _read_json)
    if kind == "csv":
        records, problems = _read_csv(name, text, options)
    else:
        records, problems = reader(name, text)
        if options.mapping and not problems:
            records, problems = _mapped_documents(name, records, options)
    return records, notes + problems


def _too_big(name: str, document: Any, source_length: int) -> Problem | None:
    """A document that expands to more values than its text could hold without aliases (a YAML
    "billion laughs") is refused before anything walks it. Counted without recursion, stopping at
    the bound, so the check itself costs no more than the file's size."""
    budget = source_length + 10_000
    stack, seen = [document], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return Problem(
                name,
                f"the document expands to more than {budget:,} values (YAML aliases?); refused",
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _records_from(
    name: str, document: Any, lines: list[int | None] | None = None
) -> tuple[list[RawRecord], list[Problem]]:
    if isinstance(document, dict):
        extra = sorted(str(k) for k in document if k != "projects")
        if extra or "projects" not in document:
            return [], [
                Problem(
                    name,
                    f'the top level must be a list of records or {{"projects": [...]}}; unknown '
                    f"keys: {', '.join(extra) or '(none)'}",
                )
            ]
        document = document["projects"]
    if document is None:
        document = []
    if not isinstance(document, list):
        return [], [
            Problem(
                name,
                f'the top level must be a list of records or {{"projects": [...]}}, not '
                f"{type(document).__name__}",
            )
        ]
    lines = lines if lines is not None and len(lines) == len(document) else [None] * len(document)
    return [RawRecord(name, i, item, lines[i - 1]) for i, item in enumerate(document, start=1)], []


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(value: str) -> Any:
    raise ValueError(f"{value} is not a number JSON allows")


def _read_json(name: str, text: str) -> tuple[list[RawRecord], list[Problem]]:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        return [], [
            Problem(name, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
        ]
    except ValueError as exc:
        return [], [Problem(name, f"not valid JSON: {exc}")]
    except RecursionError:
        return [], [Problem(name, f"not valid JSON: {_TOO_DEEP}")]
    return _records_from(name, document)


def _read_yaml(name: str, text: str) -> tuple[list[RawRecord], list[Problem]]:
    # PyYAML costs more to import than a JSON export takes (issue 20): loaded for YAML only.
    from bridge.catalogue.yaml_io import read_yaml

    return read_yaml(name, text)


def _csv_number(text: str) -> Any:
    """A whole number at once; anything else is read by the record's locale once validation
    knows the record's country (bridge.catalogue.numbers): "12.000" is 12,000 in Catalan."""
    if _INT_RE.match(text):
        return int(text)
    if _POINT_DECIMAL_RE.match(text) and not _GROUP_LIKE_RE.match(text):
        value = float(text)  # a point decimal that no locale reads otherwise ("41.3851")
        if math.isfinite(value):
            return value
    return NumberText(text)


# A point then three digits ("12.125") reads as thousands in a comma-decimal locale: the export
# writes such a number with a fourth decimal ("12.1250", the same float) so that export then
# import stays a no-op whatever the record's country.
_GROUP_LIKE_RE = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")


def _number_cell(column: str, text: str) -> str:
    if column.endswith(("latitude", "longitude")):
        return text  # degrees are never read as grouped (bridge.catalogue.numbers)
    return text + "0" if _GROUP_LIKE_RE.match(text) else text


def _read_csv(
    name: str, text: str, options: IntakeOptions
) -> tuple[list[RawRecord], list[Problem]]:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in Catalan or Spanish locales save CSV with ";": the header tells which.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1

    def rows() -> Iterator[tuple[int, list[Any]]]:
        nonlocal start
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            yield line, [cell.strip() for cell in row]

    try:
        header = [cell.strip() for cell in next(reader)]
        return records_from_table(name, header, rows(), options, typed=False)
    except csv.Error as exc:
        hint = " (a quoted cell is never closed)" if "end of data" in str(exc) else ""
        return [], [Problem(name, f"not valid CSV: {exc}{hint}", line=start)]


_MAPPED = ""  # a source column that the mapping reads (kept for it, not placed as a field)


def plan_header(
    name: str, header: list[str], options: IntakeOptions
) -> tuple[list[str | None], list[Problem]]:
    """What each column of a file's header fills: a contract column (named as the contract or
    the template's Catalan header), `_MAPPED` for a column the mapping reads, None when nothing
    is read from it; and every problem the header has, reported with the values' (issue 28)."""
    from bridge.catalogue import catalan

    mapping = options.mapping
    used = mapping.used_columns() if mapping else set()
    targets: list[str | None] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    severity = Severity.warning if options.ignore_unknown else Severity.error
    ignored = "; ignored (--ignore-unknown)" if options.ignore_unknown else ""
    for position, column in enumerate(header, start=1):
        target: str | None = None
        if column in used:
            target = _MAPPED
        elif not column:
            problems.append(
                Problem(name, f"column {position} of the header has no name{ignored}",
                        line=1, severity=severity)
            )  # fmt: skip
        else:
            contract = column if column in READ_COLUMNS else catalan.column_for(column)
            if contract is None:
                close = get_close_matches(column, CSV_COLUMNS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    Problem(
                        name,
                        f"unknown column {column!r} ({hint}valid columns: "
                        f"{', '.join(CSV_COLUMNS)}; or map it with --map){ignored}",
                        field=column,
                        line=1,
                        severity=severity,
                    )
                )
            elif contract in seen:
                problems.append(
                    Problem(
                        name, f"column {column!r} appears twice in the header", field=column, line=1
                    )
                )
            else:
                target = contract
                seen.add(contract)
        targets.append(target)
    if "ref" not in targets and not (mapping and "ref" in mapping.fields):
        problems.append(
            Problem(name, "the header has no 'ref' column: is this a catalogue CSV?", line=1)
        )
    return targets, problems


def check_header(name: str, header: list[str]) -> list[Problem]:
    """The problems of a header read without a mapping."""
    return plan_header(name, header, IntakeOptions())[1]


def records_from_table(
    name: str,
    header: list[str],
    rows: Iterable[tuple[int, Sequence[Any]]],
    options: IntakeOptions,
    *,
    typed: bool,
) -> tuple[list[RawRecord], list[Problem]]:
    """A table's rows as records: header problems and value problems found in one pass (a file
    is fixed in one go), the mapping's fields made and its skipped rows said."""
    targets, problems = plan_header(name, header, options)
    if all(
        t is None for t in targets
    ):  # nothing of a catalogue: its rows would only repeat the header's news
        return [], problems or [Problem(name, "the header names no column of a record", line=1)]
    records: list[RawRecord] = []
    made: dict[str, set[str]] = {}  # values of the mapping's `unique` fields so far
    for line, row in rows:
        if not any(v is not None and str(v).strip() for v in row):
            continue  # blank rows at the end of a sheet
        raw = RawRecord(name, len(records) + 1, {}, line)
        if any(v is not None and str(v).strip() for v in row[len(header) :]):
            raw.problems.append(
                (None, f"the row has {len(row)} cells but the header has {len(header)} columns")
            )
        source: dict[str, Any] = {}
        for column, target, value in zip(header, targets, row, strict=False):
            if target == _MAPPED:
                source[column] = value
            elif target:
                put_value(raw, target, value) if typed else _put(raw, target, value)
        if options.mapping and not _apply_mapping(raw, options.mapping, source, made, problems):
            continue
        records.append(raw)
    return records, problems


def _apply_mapping(
    raw: RawRecord,
    mapping: ImportMapping,
    source: dict[str, Any],
    seen: dict[str, set[str]],
    problems: list[Problem],
) -> bool:
    """The mapping's fields, list items and constants put into `raw`, where the file's own
    columns did not give them; False when the mapping skips the row (said in a warning)."""
    from bridge.catalogue.mapping import derived, skip_reason

    made = derived(mapping, source, seen)
    reason = skip_reason(mapping, source, made)
    if reason:
        problems.append(Problem(raw.file, reason, line=raw.line, severity=Severity.warning))
        return False
    for column, value in made.fields.items():
        if not _has(raw.data, column):
            rule = mapping.fields[column]
            put_value(raw, column, value, style=rule.locale or mapping.locale)
    for column, items in made.lists.items():
        raw.data.setdefault(column, items)
    for column, value in mapping.constants.items():
        if not _has(raw.data, column):
            _place(raw, column, value)
    raw.warnings.extend(made.notes)
    return True


def _has(data: dict[str, Any], column: str) -> bool:
    *parents, leaf = column.split(".")
    for part in parents:
        inner = data.get(part)
        data = inner if isinstance(inner, dict) else {}
    return leaf in data


def _flat(document: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(document, dict):
        return {}
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _mapped_documents(
    name: str, records: list[RawRecord], options: IntakeOptions
) -> tuple[list[RawRecord], list[Problem]]:
    """A JSON or YAML file read through a mapping: each object is a row, its keys the columns."""
    rows = [(raw.line or raw.index, _flat(raw.data)) for raw in records]
    header = list(dict.fromkeys(key for _, row in rows for key in row))
    table = [(line, [row.get(key) for key in header]) for line, row in rows]
    found, problems = records_from_table(name, header, table, options, typed=True)
    for raw in found:
        raw.line = None  # a JSON record is named by its index
    return found, problems


def put_value(raw: RawRecord, column: str, value: Any, *, style: NumberStyle | None = None) -> None:
    """A spreadsheet cell's value as Excel stores it: numbers stay numbers in number columns,
    anything else becomes the text Excel shows (a whole number without ".0"). A date cell is a
    date only where the field is one: elsewhere it is refused, the cell named (a date typed
    into a title is not what anyone meant; issue 28)."""
    if value is None:
        return
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        if column in NUMBER_COLUMNS:
            _place(raw, column, value)
            return
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    elif isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        if column in DATE_COLUMNS and isinstance(value, datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            _place(raw, column, day.isoformat())
        else:
            shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
            raw.problems.append(
                (
                    column,
                    f"a date cell ({shown}) where {column} is not a date; format the cell as "
                    "text and type what you mean",
                )
            )
        return
    else:
        text = str(value)
    _put(raw, column, text.strip(), restoring=False, style=style)


def _put(
    raw: RawRecord,
    column: str,
    cell: str,
    *,
    restoring: bool = True,
    style: NumberStyle | None = None,
) -> None:
    if not cell:
        return  # an empty cell is an absent field
    value: Any = cell
    if column in NUMBER_COLUMNS:
        value = _csv_number(cell)
        if style is not None and isinstance(value, (NumberText, float)):
            value = NumberText(cell, style)  # the column's stated locale decides
    elif column in LABELLED_COLUMNS:
        from bridge.catalogue.catalan import code_for

        value = code_for(column, cell) or cell
    elif column == "inspired_by" and not cell.startswith("["):
        # Refs hold no comma: a list typed in a spreadsheet cell as `vic-chatbot, olot-app` is
        # read as what export writes (a JSON list).
        value = [ref.strip() for ref in cell.split(",") if ref.strip()]
    elif column in JSON_COLUMNS:
        try:
            value = json.loads(cell, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raw.problems.append(
                (column, f"the cell is not valid JSON: {exc.msg} (column {exc.colno})")
            )
            return
        except ValueError as exc:
            raw.problems.append((column, f"the cell is not valid JSON: {exc}"))
            return
        except RecursionError:
            raw.problems.append((column, f"the cell is not valid JSON: {_TOO_DEEP}"))
            return
    elif restoring:
        value = restore(value)
    _place(raw, column, value)


def _place(raw: RawRecord, column: str, value: Any) -> None:
    target = raw.data
    *parents, leaf = column.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


# --------------------------------------------------------------------------- writing


def dumps(records: list[dict[str, Any]], kind: str) -> str:
    if kind == "json":
        from bridge.jsontext import indented  # json.dumps(indent=2), at the C encoder's speed

        return indented(records) + "\n"
    if kind == "yaml":
        from bridge.catalogue.yaml_io import dump_yaml

        return dump_yaml(records)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = columns_for(records)
    writer.writerow(columns)
    for record in records:
        flat = _flatten(record)
        writer.writerow(
            [
                _number_cell(column, flat.get(column, ""))
                if column in NUMBER_COLUMNS
                else neutralise(flat.get(column, ""))
                for column in columns
            ]
        )
    return buffer.getvalue()


def _flatten(record: dict[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                flat[f"{key}.{sub}"] = _cell(inner)
        elif isinstance(value, list):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = _cell(value)
    return flat


def flat_values(record: dict[str, Any]) -> dict[str, Any]:
    """The record's cells by CSV column, numbers as numbers (what the .xlsx writer puts)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": inner for sub, inner in value.items()})
        elif isinstance(value, list):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = value
    return flat


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return (
        "" if value is None else str(value)
    )  # str(float) is the shortest text that reads back the same


def encode(records: list[dict[str, Any]], kind: str) -> bytes:
    """The bytes of an export in `kind` (what a writer puts on disk)."""
    if kind == "xlsx":
        from bridge.catalogue.spreadsheet import write_xlsx

        return write_xlsx(records)
    # CSV gets a byte-order mark so spreadsheets open accents correctly; the reader skips it.
    return dumps(records, kind).encode("utf-8-sig" if kind == "csv" else "utf-8")


def write_records(
    path: str | os.PathLike[str], records: list[dict[str, Any]], *, private: bool | None = None
) -> None:
    """Write atomically through bridge.files.atomic_write: a half-written export never replaces
    a good file, an existing file keeps its mode, and a new one is private (0600) when the
    records hold contacts that are not public (`private=None` decides from the records)."""
    from bridge.files import UnsafeTarget, atomic_write

    data = encode(records, format_of(path))
    if private is None:
        private = holds_private_contacts(records)
    try:
        atomic_write(path, data, private=private)
    except UnsafeTarget as exc:
        raise FormatError(str(exc)) from None


def holds_private_contacts(records: list[dict[str, Any]]) -> bool:
    """True when some record has a contact not marked public (contract §4: only public contacts
    are shown in the forum, so the others must not be readable by everyone on the machine)."""
    return any(
        not contact.get("public") for record in records for contact in record.get("contacts") or []
    )
