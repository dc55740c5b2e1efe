"""Records as an Excel workbook (.xlsx): the first sheet, one record a row, the CSV's columns.

Read with python-calamine (Rust's calamine: 10,000 rows in about a second, where openpyxl takes
twenty) after checking that the file is a zip whose contents stay within a stated size (a zip bomb
is refused before it is inflated). A formula cell is read as the value Excel last computed for it,
with a warning (openpyxl, through defusedxml, finds which cells: only when the sheet has any).
Written with openpyxl: text is always a text cell, never a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bridge.catalogue.evidence import CRITERIA
from bridge.catalogue.evidence import HELP as EVIDENCE_HELP
from bridge.catalogue.formats import (
    CSV_COLUMNS,
    FormatError,
    IntakeOptions,
    columns_for,
    flat_values,
    records_from_table,
)
from bridge.catalogue.schema import Problem, RawRecord, Severity

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
SHEET = "projects"

# What a workbook may hold (issue 28): calamine keeps every shared string and a dense grid of the
# first sheet (its rows × columns, empty cells included) in memory, so these, not the file's size,
# decide the memory an import of it takes; within them it stays under 300 MB
# (scripts/bench_intake.py prints the figure). Checked by one streaming pass over the XML before
# any parser sees it, so a refused file costs seconds, not gigabytes.
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
# Each cell gets its own copy of the shared string it names: one long string named by every
# cell would multiply. The sheet's own text and the shared text its cells name, summed, are
# bounded together.
MAX_REFERENCED_BYTES = 64 * 1024 * 1024
MAX_ROWS = 10_001  # 10,000 records and the header (20,000 took 336 MB)
MAX_COLUMNS = 200
MAX_CELLS = 2_000_000
MAX_SHEET_BYTES = 64 * 1024 * 1024


class WorkbookRefused(Exception):
    """The workbook is refused before any parser reads it (the message is meant for a person)."""


@dataclass(frozen=True)
class SheetScan:
    """What one streaming pass over the first sheet found."""

    rows: int
    columns: int
    cells: int
    merged: tuple[str, ...]  # ranges such as "A2:A4"
    formulas: bool


def _inflated_size_problem(name: str, data: bytes) -> Problem | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return Problem(name, "not an Excel workbook (.xlsx): the file is not a zip archive")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return Problem(name, "not an Excel workbook (.xlsx): a zip archive without a workbook")
    if total > MAX_UNZIPPED_BYTES:
        return Problem(
            name,
            f"the workbook inflates to {total / 2**20:,.0f} MB (at most "
            f"{MAX_UNZIPPED_BYTES // 2**20} MB); refused",
        )
    return None


_TAG = {
    "si": re.compile(rb"<(?:\w+:)?si[\s/>]"),
    "row": re.compile(rb"<(?:\w+:)?row[\s/>]"),
    "c": re.compile(rb"<(?:\w+:)?c[\s/>]"),
    "f": re.compile(rb"<(?:\w+:)?f[\s/>]"),
}
_REF_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_ROW_NUMBER_RE = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,7})"')
_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([A-Z]{1,3}\d{1,7}(?::[A-Z]{1,3}\d{1,7})?)"'
)
_SHARED_REF_RE = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\bt="s"[^>]*>\s*(?:<(?:\w+:)?f[^<]*(?:</(?:\w+:)?f>)?\s*)?'
    rb"<(?:\w+:)?v>\s*(\d{1,9})\s*<"
)
_DOCTYPE = b"<!DOCTYPE"


def _stream(
    archive: zipfile.ZipFile, member: str, limit: int, boundary: re.Pattern[bytes] | None = None
) -> Iterator[bytes]:
    """The member's XML in pieces that end just before a '<' (or before the last match of
    `boundary`: a whole element per piece), so that no tag is cut; refused beyond `limit`
    inflated bytes (counted as inflated, whatever the zip's header claims)."""
    carry, total = b"", 0
    with archive.open(member) as handle:
        while chunk := handle.read(1 << 20):
            total += len(chunk)
            if total > limit:
                raise WorkbookRefused(
                    f"{member} inflates to more than {limit // 2**20} MB; refused"
                )
            buffer = carry + chunk
            if boundary is None:
                cut = buffer.rfind(b"<")
            else:
                cut = max((m.start() for m in boundary.finditer(buffer)), default=0)
            if cut <= 0:
                carry = buffer
                continue
            carry = buffer[cut:]
            yield buffer[:cut]
            if _DOCTYPE in buffer[:cut]:
                raise WorkbookRefused(f"{member} declares a DTD (Excel never writes one); refused")
    if carry:
        if _DOCTYPE in carry:
            raise WorkbookRefused(f"{member} declares a DTD (Excel never writes one); refused")
        yield carry


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The first sheet's part, as a reader finds it: the workbook's first <sheet>, through its
    relationship (read only when small: a workbook part is a few kilobytes)."""
    names = set(archive.namelist())
    try:
        book = b"".join(_stream(archive, "xl/workbook.xml", 1 << 20))
        rels = b"".join(_stream(archive, "xl/_rels/workbook.xml.rels", 1 << 20))
    except KeyError:
        return None
    first = re.search(rb"<(?:\w+:)?sheet\s[^>]*?\br:id=\"([^\"]+)\"", book)
    if not first:
        return None
    target = re.search(
        rb"<Relationship\s[^>]*?\bId=\"" + re.escape(first.group(1)) + rb"\"[^>]*>", rels
    )
    where = re.search(rb'Target="([^"]+)"', target.group(0)) if target else None
    if not where:
        return None
    part = where.group(1).decode("utf-8", "replace").lstrip("/")
    part = part if part.startswith("xl/") else f"xl/{part}"
    return part if part in names else None


def scan_workbook(data: bytes) -> SheetScan:
    """One streaming pass over the shared strings and the first sheet: their counts checked
    against the bounds, merged ranges and formulas noted; any DTD refused (none is needed,
    and an entity can hide a bomb from a parser that expands it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():  # a DTD must come before the root element
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as handle:
                    if _DOCTYPE in handle.read(4096):
                        raise WorkbookRefused(
                            f"{info.filename} declares a DTD (Excel never writes one); refused"
                        )
        # Every part that may be a table of shared strings, whatever its case or name; the
        # size of each string (its element's bytes: an upper bound of its text).
        sizes: list[int] = []
        for table in [n for n in archive.namelist() if "sharedstrings" in n.lower()]:
            for piece in _stream(archive, table, MAX_SHARED_STRINGS_BYTES, _TAG["si"]):
                starts = [m.start() for m in _TAG["si"].finditer(piece)]
                ends = [*starts[1:], len(piece)] if starts else []
                sizes += [end - start for start, end in zip(starts, ends, strict=True)]
                if len(sizes) > MAX_SHARED_STRINGS:
                    raise WorkbookRefused(
                        f"the workbook holds more than {MAX_SHARED_STRINGS:,} shared strings "
                        "(a spreadsheet of records needs far fewer); refused"
                    )
        sheet = _first_sheet(archive)
        if sheet is None:
            raise WorkbookRefused("not an Excel workbook (.xlsx): no first sheet found")
        rows = columns = cells = row_tags = 0
        merged: list[str] = []
        formulas = False
        referenced = 0
        for piece in _stream(archive, sheet, MAX_SHEET_BYTES, _TAG["c"]):
            cells += len(_TAG["c"].findall(piece))
            referenced += len(piece)  # its own text (inline strings), and what it names:
            for index in _SHARED_REF_RE.findall(piece):
                referenced += sizes[int(index)] if int(index) < len(sizes) else 0
            if referenced > MAX_REFERENCED_BYTES:
                raise WorkbookRefused(
                    f"the first sheet's cells hold or name more than "
                    f"{MAX_REFERENCED_BYTES // 2**20} MB of text (each cell its own copy of the "
                    "shared text it names); refused"
                )
            rows = max([rows, *(int(n) for n in _ROW_NUMBER_RE.findall(piece))])
            for letters, number in _REF_RE.findall(piece):
                columns = max(columns, _column_number(letters))
                rows = max(rows, int(number))
            row_tags += len(_TAG["row"].findall(piece))
            rows = max(rows, row_tags)  # rows without numbers count one each
            merged += [m.decode() for m in _MERGE_RE.findall(piece)]
            formulas = formulas or bool(_TAG["f"].search(piece))
            if rows > MAX_ROWS or columns > MAX_COLUMNS or cells > MAX_CELLS:
                raise WorkbookRefused(
                    f"the first sheet reaches row {rows:,}, column {columns:,} and holds "
                    f"{cells:,} cells or more (at most {MAX_ROWS - 1:,} records, "
                    f"{MAX_COLUMNS} columns, {MAX_CELLS:,} cells); refused"
                )
    return SheetScan(rows, columns, cells, tuple(merged), formulas)


def _formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row, column) of the first sheet's formula cells, read only when the sheet has any."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        return {
            (r, c)
            for r, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            for c, value in enumerate(row)
            if isinstance(value, str) and value.startswith("=")
        }
    finally:
        book.close()


def _merge_problems(name: str, merged: tuple[str, ...], header: list[str]) -> list[Problem]:
    """A merged range keeps its value in its first cell only: every other row it covers would
    read as empty. Named, with the columns it covers, rather than "required field missing"."""
    from openpyxl.utils.cell import range_boundaries

    problems = []
    for ref in merged:
        low_col, low_row, high_col, high_row = (n or 0 for n in range_boundaries(ref))
        columns = [
            header[c - 1] or f"column {c}" for c in range(low_col, high_col + 1) if c <= len(header)
        ]
        what = ", ".join(columns) or "columns beyond the header"
        problems.append(
            Problem(
                name,
                f"cells {ref} are merged ({what}; rows {low_row}–{high_row}): a merged range "
                "keeps its value in its first cell only; unmerge it and fill every cell",
                line=low_row,
            )
        )
    return problems


def read_xlsx(
    name: str, data: bytes, options: IntakeOptions | None = None
) -> tuple[list[RawRecord], list[Problem]]:
    problem = _inflated_size_problem(name, data)
    if problem:
        return [], [problem]
    options = options or IntakeOptions()
    import python_calamine

    # Every parser of hostile input inside one handler: whatever fails means "not a workbook"
    # (a clear message, exit 2), never a traceback.
    try:
        scan = scan_workbook(data)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            return [], [Problem(name, "the workbook has no sheet")]
        rows = book.get_sheet_by_index(0).iter_rows()
        first = next(rows, None)
        header = [str(c).strip() if c is not None else "" for c in first or ()]
        while header and not header[-1]:
            header.pop()  # empty columns right of the table
        if not header:
            return [], [Problem(name, "the first sheet is empty")]
        records, problems = records_from_table(
            name, header, enumerate(rows, start=2), options, typed=True
        )
        problems += _merge_problems(name, scan.merged, header)
        formulas = sorted(_formula_cells(data)) if scan.formulas else []
    except WorkbookRefused as exc:
        return [], [Problem(name, str(exc))]
    except Exception as exc:
        return [], [Problem(name, f"not an Excel workbook (.xlsx): {type(exc).__name__}")]
    warnings = [
        Problem(
            name,
            "a formula; its last computed value was read",
            field=header[col],
            line=line,
            severity=Severity.warning,
        )
        for line, col in formulas
        if line > 1 and col < len(header)
    ]
    return records, problems + warnings


# Excel's limit on a cell's text; openpyxl cuts longer text there without a word (issue 20: a
# 150,000-character description came back 32,767 long), so the export refuses instead.
MAX_CELL_CHARS = 32_767


def write_xlsx(records: list[dict[str, Any]]) -> bytes:
    """One sheet, the CSV's columns; numbers as numbers, every text as a text cell. Raises
    FormatError when a text is longer than a cell holds: export then import changes nothing."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    # Checked before the workbook is begun: a half-written one is never left behind.
    for record in records:
        for column, value in flat_values(record).items():
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise FormatError(
                    f"{record.get('ref')}: {column} is {len(value):,} characters and an Excel "
                    f"cell holds at most {MAX_CELL_CHARS:,}: export to .csv, .json or .yaml, "
                    "which keep it whole"
                )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    columns = columns_for(records)
    sheet.append(list(columns))
    for record in records:
        flat = flat_values(record)
        row = []
        for column in columns:
            value = flat.get(column)
            if isinstance(value, bool):
                value = "true" if value else "false"
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=…" would otherwise become a live formula
            elif isinstance(value, float):
                # openpyxl writes 16 significant digits; a double needs up to 17 to read back
                # the same (Excel itself writes them), so the shortest exact form goes in.
                cell._value = repr(value)  # type: ignore[attr-defined]
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# What each column means, in Catalan and English (the template's second sheet).
HELP: dict[str, tuple[str, str]] = {
    "ref": (
        "Clau estable: minúscules, xifres i '-', de 3 a 64",
        "Stable key: lowercase, digits, '-', 3-64",
    ),
    "title": ("1. Títol del projecte", "1. Title of the project"),
    "local_body.name": (
        "2. Ens local que el va fer (com l'escriviu)",
        "2. Local body that did it (as you write it)",
    ),
    "local_body.country": (
        "País, ISO 3166-1 (ES); buit: el de BRIDGE_HOME_REGION si el nomenclàtor hi troba l'ens",
        "Country, ISO 3166-1 (ES); empty: BRIDGE_HOME_REGION's if the gazetteer places the body",
    ),
    "local_body.region": ("Regió, ISO 3166-2 (ES-CT, ES-B)", "Region, ISO 3166-2 (ES-CT, ES-B)"),
    "local_body.kind": (
        "Tipus d'ens (Ajuntament, Consell Comarcal…)",
        "Kind of body (council, county council…)",
    ),
    "local_body.municipality_code": (
        "Codi oficial del municipi (INE, 5 xifres)",
        "Official municipality code (INE, 5 digits)",
    ),
    "local_body.population": (
        "Habitants (si es deixa buit, el nomenclàtor)",
        "Inhabitants (empty: the gazetteer's)",
    ),
    "local_body.latitude": ("Latitud (-90 a 90)", "Latitude (-90 to 90)"),
    "local_body.longitude": ("Longitud (-180 a 180)", "Longitude (-180 to 180)"),
    "contacts": (
        'Contactes, JSON: [{"name": …, "email": …, "public": true, "invite": false}]'
        " (invite: false = mai convidat a una sol·licitud de contacte)",
        'Contacts, JSON: [{"name": …, "email": …, "public": true, "invite": false}]'
        " (invite: false = never invited to a contact request)",
    ),
    "description": ("3. Què és", "3. What it is"),
    "value": (
        "3. Valor per a la ciutadania i l'administració",
        "3. Value for people and the administration",
    ),
    "savings": ("3. Estalvis, en paraules", "3. Savings, in words"),
    "savings_eur_per_year": ("3. Estalvi en euros l'any", "3. Savings in euros a year"),
    "analysis.barriers": ("4. Barreres i dificultats", "4. Barriers and difficulties"),
    "analysis.benefits": ("4. Beneficis i oportunitats", "4. Benefits and opportunities"),
    "analysis.technology": (
        "4. Tecnologia, metodologia i eines",
        "4. Technology, methodology and tools",
    ),
    "area": ("Àmbit (llista)", "Area (list)"),
    "kind": ("Tipus de canvi (llista)", "Kind of change (list)"),
    "phase": ("5. Fase (llista)", "5. Phase (list)"),
    "documents": (
        '6. Documents, JSON: [{"kind": …, "title": …, "url": "https://…"}]',
        '6. Documents, JSON: [{"kind": …, "title": …, "url": "https://…"}]',
    ),
    "inspired_by": (
        "Projectes en què es basa: referències separades per comes",
        "Projects it built on: refs separated by commas",
    ),
    "proximity": (
        "Proximitat, si no la dedueix la regió (llista)",
        "Proximity, when the region does not say (list)",
    ),
}


HELP.update(EVIDENCE_HELP)  # issue 25's columns, described beside their rules


def _evidence_checks(sheet: Any, lists: Any) -> None:
    """Issue 25: the self-assessments take a whole number 1 to 5, `team.external` true or false;
    anything else is refused by the spreadsheet with a message in Catalan and English. The
    funding sources (JSON in their cell) are listed on the lists sheet to copy from."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from bridge.models.enums import FundingSource

    at = lists.max_column + 1
    lists.cell(row=1, column=at, value="funding source")
    for r, source in enumerate(FundingSource, start=2):
        lists.cell(row=r, column=at, value=source.value)

    def column(name: str) -> str:
        letter = get_column_letter(CSV_COLUMNS.index(name) + 1)
        return f"{letter}2:{letter}10000"

    score = DataValidation(
        type="whole", operator="between", formula1="1", formula2="5", allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle="1-5",
        error="Un nombre enter de l'1 al 5 / A whole number from 1 to 5",
    )  # fmt: skip
    for name in CRITERIA:
        score.add(column(f"criteria.{name}"))
    flag = DataValidation(
        type="list", formula1='"true,false"', allow_blank=True, showErrorMessage=True,
        errorStyle="stop",
        error="true o false / true or false",
    )  # fmt: skip
    flag.add(column("team.external"))
    sheet.add_data_validation(score)
    sheet.add_data_validation(flag)


def required_columns() -> frozenset[str]:
    """The columns a record cannot do without (contract §4), from the validation models; the
    country is not among them for the template: it defaults to BRIDGE_HOME_REGION's when the
    gazetteer places the body there."""
    from bridge.catalogue.schema import LocalBodyIn, RecordIn

    required = {name for name, f in RecordIn.model_fields.items() if f.is_required()}
    required |= {
        f"local_body.{name}" for name, f in LocalBodyIn.model_fields.items() if f.is_required()
    }
    return frozenset(c for c in CSV_COLUMNS if c in required and c != "local_body.country")


def template_headers() -> list[str]:
    """The template's headers: Catalan where the column has a Catalan name (the contract's name
    otherwise), required ones marked with " *"; an import takes these and the contract's."""
    from bridge.catalogue.catalan import HEADERS, REQUIRED_MARK

    required = required_columns()
    return [HEADERS.get(c, c) + (REQUIRED_MARK if c in required else "") for c in CSV_COLUMNS]


def template_xlsx() -> bytes:
    """The empty template an administrator sends to councils: Catalan headers (required ones
    marked), a sheet explaining each column (ca and en), and drop-down lists of Catalan labels
    for area, kind, phase and proximity that refuse any other value (document kinds, which go
    inside the documents' JSON, are listed to copy from)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from bridge.catalogue.catalan import HEADERS, LABELS

    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = SHEET
    sheet.append(template_headers())
    lists = book.create_sheet("lists")
    for n, (title, labels) in enumerate(LABELS.items(), start=1):
        letter = get_column_letter(n)
        lists.cell(row=1, column=n, value=HEADERS.get(title, title))
        for r, label in enumerate(labels, start=2):
            lists.cell(row=r, column=n, value=label)
        source = f"lists!${letter}$2:${letter}${len(labels) + 1}"
        check = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Valor no vàlid / Invalid value",
            error="Trieu un valor de la llista. / Choose a value from the list.",
        )
        if title in CSV_COLUMNS:
            column = get_column_letter(CSV_COLUMNS.index(title) + 1)
            check.add(f"{column}2:{column}10000")
            sheet.add_data_validation(check)
        else:  # documents are JSON in one cell: the lists sheet offers the kinds to copy
            check.add(f"{letter}{len(labels) + 3}")
            lists.add_data_validation(check)
    _evidence_checks(sheet, lists)
    helper = book.create_sheet("help", 1)
    helper.append(["columna / column", "camp / field", "català", "English"])
    for header, column in zip(template_headers(), CSV_COLUMNS, strict=True):
        ca, en = HELP.get(column, ("", ""))
        helper.append([header, column, ca, en])
    helper.append([])
    helper.append(
        [
            "*",
            "",
            "Obligatori. Els codis del contracte (citizen-care…) també s'accepten.",
            "Required. The contract's column names and codes are accepted too.",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
