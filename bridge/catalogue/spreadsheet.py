"""Records as an Excel workbook (.xlsx): the first sheet, one record a row, the CSV's columns.

Read with python-calamine (Rust's calamine: 10,000 rows in about a second, where openpyxl takes
twenty) after checking that the file is a zip whose contents stay within a stated size (a zip bomb
is refused before it is inflated). A formula cell is read as the value Excel last computed for it,
with a warning (openpyxl, through defusedxml, finds which cells: only when the sheet has any).
Written with openpyxl: text is always a text cell, never a formula.
"""

from __future__ import annotations

import io
import zipfile
from enum import Enum
from typing import Any

from bridge.catalogue.formats import (
    CSV_COLUMNS,
    FormatError,
    check_header,
    flat_values,
    put_value,
)
from bridge.catalogue.schema import Problem, RawRecord, Severity

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
SHEET = "projects"


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


def read_xlsx(name: str, data: bytes) -> tuple[list[RawRecord], list[Problem]]:
    problem = _inflated_size_problem(name, data)
    if problem:
        return [], [problem]
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            return [], [Problem(name, "the workbook has no sheet")]
        rows = book.get_sheet_by_index(0).iter_rows()
        first = next(rows, None)
    except Exception as exc:  # a parser of hostile input: any failure means "not a workbook"
        return [], [Problem(name, f"not an Excel workbook (.xlsx): {type(exc).__name__}")]
    header = [str(c).strip() if c is not None else "" for c in first or ()]
    while header and not header[-1]:
        header.pop()  # empty columns right of the table
    if not header:
        return [], [Problem(name, "the first sheet is empty")]
    problems = check_header(name, header)
    if problems:
        return [], problems
    records: list[RawRecord] = []
    for line, row in enumerate(rows, start=2):
        if not any(v is not None and str(v).strip() for v in row):
            continue
        raw = RawRecord(name, len(records) + 1, {}, line)
        if any(v is not None and str(v).strip() for v in row[len(header) :]):
            raw.problems.append(
                (None, f"the row has cells beyond the header's {len(header)} columns")
            )
        for column, value in zip(header, row, strict=False):
            put_value(raw, column, value)
        records.append(raw)
    warnings = [
        Problem(
            name,
            "a formula; its last computed value was read",
            field=header[col],
            line=line,
            severity=Severity.warning,
        )
        for line, col in (sorted(_formula_cells(data)) if _has_formula(data) else [])
        if line > 1 and col < len(header)
    ]
    return records, warnings


def _has_formula(data: bytes) -> bool:
    """Formulas live in the (compressed) sheet XML as <f> elements."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and b"<f" in archive.read(info):
                return True
    return False


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
    sheet.append(list(CSV_COLUMNS))
    for record in records:
        flat = flat_values(record)
        row = []
        for column in CSV_COLUMNS:
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
    "local_body.country": ("País, ISO 3166-1 (ES)", "Country, ISO 3166-1 (ES)"),
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
        'Contactes, JSON: [{"name": …, "email": …, "public": true}]',
        'Contacts, JSON: [{"name": …, "email": …, "public": true}]',
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
    "proximity": (
        "Proximitat, si no la dedueix la regió (llista)",
        "Proximity, when the region does not say (list)",
    ),
}


def template_xlsx() -> bytes:
    """The empty template an administrator sends to councils: the columns, a sheet explaining
    each (ca and en), and drop-down lists for area, kind, phase, proximity and document kind."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from bridge.models.enums import Area, DocumentKind, Kind, Phase, Proximity

    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = SHEET
    sheet.append(list(CSV_COLUMNS))
    lists = book.create_sheet("lists")
    vocabularies: dict[str, type[Enum]] = {
        "area": Area, "kind": Kind, "phase": Phase, "proximity": Proximity,
        "document kind": DocumentKind,
    }  # fmt: skip
    for n, (title, enum) in enumerate(vocabularies.items(), start=1):
        letter = chr(ord("A") + n - 1)
        lists.cell(row=1, column=n, value=title)
        values = [str(member.value) for member in enum]
        for r, value in enumerate(values, start=2):
            lists.cell(row=r, column=n, value=value)
        source = f"lists!${letter}$2:${letter}${len(values) + 1}"
        if title in CSV_COLUMNS:
            col = CSV_COLUMNS.index(title) + 1
            column = get_column_letter(col)
            check = DataValidation(type="list", formula1=source, allow_blank=True)
            check.add(f"{column}2:{column}10000")
            sheet.add_data_validation(check)
        else:  # documents are JSON in one cell: the help sheet offers the kinds to copy
            check = DataValidation(type="list", formula1=source, allow_blank=True)
            help_cell = "D2"
            check.add(help_cell)
            lists.add_data_validation(check)
    helper = book.create_sheet("help", 1)
    helper.append(["column", "català", "English"])
    for column in CSV_COLUMNS:
        ca, en = HELP.get(column, ("", ""))
        helper.append([column, ca, en])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
