"""Issue 28's intake points: the files councils really send. Numbers as the data's locale writes
them (point 3), spreadsheets within bounds (point 4), import mappings and the Catalan template
(point 5), every problem of a file in one run, date cells and drop-downs that refuse (point 11).
Through the CLI where a user would see it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import Run

from bridge.catalogue.numbers import NotANumber, NumberStyle, parse_number

Cli = Callable[..., Run]

CA, EN = NumberStyle.comma_decimal, NumberStyle.point_decimal

HEADER = "ref,title,local_body.name,local_body.country,description,area,kind,phase"


def _csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- point 3: numbers


@pytest.mark.parametrize(
    ("text", "style", "value"),
    [
        ("12.000", CA, 12000), ("12 000", CA, 12000), ("12\u00a0000", CA, 12000),
        ("12\u202f000", CA, 12000), ("1.234.567", CA, 1234567), ("12,5", CA, 12.5),
        ("1.234,56", CA, 1234.56), ("0,125", CA, 0.125), ("1000.5", CA, 1000.5),
        ("12", CA, 12), ("12,000", EN, 12000), ("12 000", EN, 12000), ("12.5", EN, 12.5),
        ("1,234.56", EN, 1234.56), ("0.125", EN, 0.125), ("12.1250", CA, 12.125),
    ],
)  # fmt: skip
def test_numbers_are_read_as_their_locale_writes_them(
    text: str, style: NumberStyle, value: float
) -> None:
    assert parse_number(text, style) == value


@pytest.mark.parametrize(
    ("text", "style", "why"),
    [
        ("12,000", CA, "ambiguous"), ("12.000", EN, "ambiguous"), ("1,234.56", CA, "not a number"),
        ("12,5", EN, "not a number"), ("12.00.0", CA, "not a number"), ("1.2,3.4", CA, "not"),
    ],
)  # fmt: skip
def test_what_no_locale_reading_makes_certain_is_refused(
    text: str, style: NumberStyle, why: str
) -> None:
    with pytest.raises(NotANumber, match=why):
        parse_number(text, style)


def test_coordinates_take_either_decimal_mark() -> None:
    assert parse_number("41,3851", CA, coordinate=True) == 41.3851
    assert parse_number("2.173", CA, coordinate=True) == 2.173  # never 2,173 degrees


def test_a_catalan_population_of_12_000_is_twelve_thousand(cli: Cli, tmp_path: Path) -> None:
    """Issue 28 point 3: "12.000" in a population cell was stored as 12."""
    path = _csv(
        tmp_path / "ca.csv",
        f"{HEADER},local_body.population,savings_eur_per_year,local_body.latitude,"
        "local_body.longitude",
        'vic-1,Tràmits,Ajuntament de Vic,ES,D,citizen-care,service,pilot,"12.000","1.234,5",'
        '"41,93","2,25"',
        'vic-2,Tràmits 2,Ajuntament de Vic,ES,D,citizen-care,service,pilot,12 000,"12,5",,',
    )
    result = cli("import", path)
    assert result.exit_code == 0, result.stderr
    first = cli("projects", "show", "vic-1", "--json").json()
    assert first["local_body"]["population"] == 12000
    assert first["savings_eur_per_year"] == 1234.5
    assert (first["local_body"]["latitude"], first["local_body"]["longitude"]) == (41.93, 2.25)
    second = cli("projects", "show", "vic-2", "--json").json()
    assert second["local_body"]["population"] == 12000 and second["savings_eur_per_year"] == 12.5


def test_an_ambiguous_number_is_an_error_naming_the_cell(cli: Cli, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "mixed.csv",
        f"{HEADER},local_body.population",
        'vic-1,Tràmits,Ajuntament de Vic,ES,D,citizen-care,service,pilot,"12,000"',
        "utrecht-1,Loket,Gemeente Utrecht,NL,D,citizen-care,service,pilot,12.000",
    )
    result = cli("import", path)
    assert result.exit_code == 2
    assert "mixed.csv: record 1 (line 2, ref vic-1): local_body.population: '12,000' is " in (
        result.stderr
    )
    assert "record 2 (line 3, ref utrecht-1): local_body.population: '12.000' is ambiguous" in (
        result.stderr
    )
    assert cli("projects", "list", "--json").json() == []


def test_a_number_with_three_decimals_survives_a_csv_round_trip(cli: Cli, tmp_path: Path) -> None:
    """The export writes 12.125 so that a comma-decimal reader does not take it for 12,125."""
    from plugins.catalogue import make_record, write_records_file

    record = make_record(0, savings_eur_per_year=12.125)
    assert record["local_body"]["country"] == "ES"
    assert cli("import", write_records_file(tmp_path / "a.json", [record])).exit_code == 0
    assert cli("export", tmp_path / "out.csv").exit_code == 0
    again = cli("import", tmp_path / "out.csv")
    assert again.exit_code == 0 and again.stdout.startswith("0 created, 0 updated, 1 unchanged")
    shown = cli("projects", "show", record["ref"], "--json").json()
    assert shown["savings_eur_per_year"] == 12.125


# --------------------------------------------------------------------------- point 5: mappings


def test_the_real_inventories_import_through_the_shipped_mappings(
    cli: Cli, shared_dir: Path
) -> None:
    """Issue 28 point 5: the JRC, Decidim and CONSUL files as published, no converter; the rows
    the product rightly cannot take (no country) are said, one warning each."""
    import csv
    import json

    data = shared_dir / "data"

    def rows(name: str) -> list[dict[str, str]]:
        with open(data / name, encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    jrc, decidim = (
        rows("projects_jrc_ipsx_cases_2022.csv"),
        rows("projects_decidim_installations.csv"),
    )
    consul = rows("projects_consul_organizations_2019.csv")
    consul_json = json.loads((data / "projects_consul_organizations_2019.json").read_text("utf-8"))
    cases = [
        ("jrc", "projects_jrc_ipsx_cases_2022.csv", sum(bool(r["geocoverage_codes"]) for r in jrc)),
        ("decidim", "projects_decidim_installations.csv",
         sum(bool(r["derived_country_code"]) for r in decidim)),
        ("consul", "projects_consul_organizations_2019.csv", len(consul)),
        ("consul", "projects_consul_organizations_2019.json",
         sum(bool(r.get("country")) for r in consul_json)),
    ]  # fmt: skip
    for mapping, name, expected in cases:
        result = cli("import", "--map", mapping, data / name, "--dry-run", "--json")
        assert result.exit_code == 0, result.stderr[:3000]
        summary = result.json()
        assert summary["records"] == expected, (name, summary["records"])
        skipped = [w for w in summary["warnings"] if w["reason"].startswith("row skipped")]
        assert (
            summary["records"] + len(skipped)
            == {
                "projects_jrc_ipsx_cases_2022.csv": len(jrc),
                "projects_decidim_installations.csv": len(decidim),
                "projects_consul_organizations_2019.csv": len(consul),
                "projects_consul_organizations_2019.json": len(consul_json),
            }[name]
        )
    assert cli("import", "--map", "jrc", data / "projects_jrc_ipsx_cases_2022.csv").exit_code == 0
    case = next(r for r in jrc if r["id"] == "10004")
    shown = cli("projects", "show", "jrc-10004", "--json").json()
    assert shown["title"] == " ".join(case["name"].split())
    assert shown["local_body"]["country"] == case["geocoverage_codes"][:2]
    assert shown["analysis"]["technology"] == f"{case['technology']}: {case['type']}"


def test_a_mapping_maps_columns_values_and_constants(cli: Cli, tmp_path: Path) -> None:
    """A council's own spreadsheet: its headers, its labels, one extra column."""
    mapping = tmp_path / "ajuntament.toml"
    mapping.write_text(
        """
name = "Full de l'Ajuntament"
[columns]
"Codi" = "ref"
"Nom del projecte" = "title"
"Ajuntament" = "local_body.name"
"Què és" = "description"
"Habitants" = { field = "local_body.population", locale = "ca" }
"Àmbit" = { field = "area", values = { "Tràmits en línia" = "services-formalities" } }
[constants]
"local_body.country" = "ES"
kind = "service"
phase = "pilot"
""",
        encoding="utf-8",
    )
    source = _csv(
        tmp_path / "full.csv",
        # The extra column is one the fitxa has no field for ("data d'inici", the example,
        # became `dates.started` with issue 25's evidence and is read as such now).
        "Codi,Nom del projecte,Ajuntament,Què és,Habitants,Àmbit,observacions",
        'olot-1,Cita prèvia,Ajuntament d\'Olot,Cites,"35.000",Atenció ciutadana,revisat el 2024',
        "olot-2,Tràmits,Ajuntament d'Olot,Seu,35 000,Tràmits en línia,",
    )
    refused = cli("import", "--map", mapping, source)
    assert refused.exit_code == 2
    assert "line 1: observacions: unknown column 'observacions'" in refused.stderr
    result = cli("import", "--map", mapping, "--ignore-unknown", source)
    assert result.exit_code == 0, result.stderr
    assert "warning: " in result.stderr and "observacions" in result.stderr
    first = cli("projects", "show", "olot-1", "--json").json()
    assert first["area"] == "citizen-care"  # the template's Catalan label, built in
    assert first["local_body"]["population"] == 35000
    assert first["local_body"]["country"] == "ES" and first["kind"] == "service"
    assert cli("projects", "show", "olot-2", "--json").json()["area"] == "services-formalities"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[columns]\nx = 3\n", "columns.'x': expected a field name"),
        ("[fields.title]\nbogus = 1\n", "unknown key(s) bogus"),
        ("[fields.title]\ncolumn = 'a'\nextract = '('\n", "not a valid regular expression"),
        ("nonsense = [", "not valid TOML"),
        ("[wat]\n", "unknown section(s) wat"),
    ],
)
def test_a_bad_mapping_is_a_clear_error(cli: Cli, tmp_path: Path, text: str, says: str) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(text, encoding="utf-8")
    source = _csv(tmp_path / "a.csv", HEADER)
    result = cli("import", "--map", mapping, source)
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    missing = cli("import", "--map", tmp_path / "none.toml", source)
    assert missing.exit_code == 2 and "shipped mappings: jrc, decidim, consul" in missing.stderr


def test_the_catalan_template_headers_and_labels_import(cli: Cli, tmp_path: Path) -> None:
    from bridge.catalogue.spreadsheet import template_headers

    headers = template_headers()
    assert "títol *" in headers and "àmbit *" in headers and "país" in headers
    assert cli("template", tmp_path / "t.csv").exit_code == 0
    assert (tmp_path / "t.csv").read_text("utf-8-sig").splitlines()[0] == ",".join(
        f'"{h}"' if "," in h else h for h in headers
    )
    source = _csv(
        tmp_path / "ca.csv",
        "referència *,títol *,ens local *,descripció *,àmbit *,tipus de canvi *,fase *",
        "tarrega-1,Tràmits,Ajuntament de Tàrrega,Seu electrònica,Atenció ciutadana,Servei,Pilot",
    )
    result = cli("import", source)
    assert result.exit_code == 0, result.stderr
    # No country: BRIDGE_HOME_REGION's (ES-CT), since the gazetteer finds Tàrrega there.
    assert "local_body.country: empty: ES (BRIDGE_HOME_REGION's country)" in result.stderr
    shown = cli("projects", "show", "tarrega-1", "--json").json()
    assert (shown["area"], shown["kind"], shown["phase"]) == ("citizen-care", "service", "pilot")
    assert shown["local_body"]["country"] == "ES" and shown["place"]["code"] == "25217"
    nowhere = _csv(
        tmp_path / "nowhere.csv",
        "ref,title,local_body.name,description,area,kind,phase",
        "enlloc-1,Tràmits,Ajuntament de Enlloc,D,citizen-care,service,pilot",
    )
    refused = cli("import", nowhere)
    assert refused.exit_code == 2 and "local_body.country: required field missing" in refused.stderr


def test_the_template_drop_downs_refuse_other_values(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert cli("template", tmp_path / "t.xlsx").exit_code == 0
    book = load_workbook(tmp_path / "t.xlsx")
    checks = book.worksheets[0].data_validations.dataValidation
    # area, kind, phase, proximity; and issue 25's self-assessment scores and `team.external`
    assert len(checks) == 6
    for check in checks:
        assert check.showErrorMessage is True and check.errorStyle == "stop" and check.error
    lists = book["lists"]
    labels = {c.value for row in lists.iter_rows(min_row=2) for c in row if c.value}
    assert {"Atenció ciutadana", "Servei", "Implantat", "Demostració"} <= labels


# --------------------------------------------------------------------------- point 11: one run


def test_every_problem_of_a_file_is_reported_in_one_run(cli: Cli, tmp_path: Path) -> None:
    source = _csv(
        tmp_path / "all.csv",
        f"{HEADER},observacions,local_body.population",  # a column the fitxa has no field for
        "vic-1,Tràmits,Ajuntament de Vic,ES,D,citizen-care,service,pilot,2024,molts",
        "vic-2,Tràmits 2,Ajuntament de Vic,ES,D,bogus,service,pilot,,",
    )
    result = cli("import", source)
    assert result.exit_code == 2
    assert "line 1: observacions: unknown column" in result.stderr
    assert "record 1 (line 2, ref vic-1): local_body.population: must be a whole number" in (
        result.stderr
    )
    assert "record 2 (line 3, ref vic-2): area: 'bogus' is not a valid area" in result.stderr
    assert "3 problems found" in result.stderr


def _sheet(tmp_path: Path, rows: list[list[Any]], name: str = "s.xlsx", merge: str = "") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    if merge:
        book.active.merge_cells(merge)
    path = tmp_path / name
    book.save(path)
    return path


_COLUMNS = HEADER.split(",")


def _row(ref: str, **cells: Any) -> list[Any]:
    values = {"ref": ref, "title": "Tràmits", "local_body.name": "Ajuntament de Vic",
              "local_body.country": "ES", "description": "D", "area": "citizen-care",
              "kind": "service", "phase": "pilot", **cells}  # fmt: skip
    return [values[c] for c in _COLUMNS]


def test_a_date_cell_in_a_text_field_is_refused_with_the_cell_named(
    cli: Cli, tmp_path: Path
) -> None:
    import datetime

    path = _sheet(tmp_path, [_COLUMNS, _row("vic-1", title=datetime.datetime(2024, 3, 1))])
    result = cli("import", path)
    assert result.exit_code == 2
    assert "title: required field missing" not in result.stderr  # one message for one cell
    assert "record 1 (line 2, ref vic-1): title: a date cell (2024-03-01) where" in (result.stderr)


def test_a_date_cell_in_a_date_field_is_a_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Contract §4b's `dates.*` (issue 25) read from date cells as ISO dates."""
    import datetime

    from bridge.catalogue import formats
    from bridge.catalogue.problems import RawRecord

    monkeypatch.setattr(formats, "DATE_COLUMNS", frozenset({"dates.started"}))
    raw = RawRecord("s.xlsx", 1, {}, 2)
    formats.put_value(raw, "dates.started", datetime.datetime(2024, 3, 1))
    formats.put_value(raw, "title", datetime.date(2024, 3, 1))
    assert raw.data == {"dates": {"started": "2024-03-01"}}
    assert raw.problems and raw.problems[0][0] == "title"


# --------------------------------------------------------------------------- point 4: bounds


def test_merged_cells_are_named(cli: Cli, tmp_path: Path) -> None:
    rows = [_COLUMNS, _row("vic-1"), _row("vic-2", area=None), _row("vic-3", area=None)]
    column = chr(ord("A") + _COLUMNS.index("area"))
    path = _sheet(tmp_path, rows, merge=f"{column}2:{column}4")
    result = cli("import", path)
    assert result.exit_code == 2
    assert f"line 2: cells {column}2:{column}4 are merged (area; rows 2–4)" in result.stderr


def _rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = change(parts.get(member, b""))
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out


def test_a_dtd_in_a_sheet_with_a_formula_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    """Issue 28 point 4: this ended in a defusedxml traceback (exit 1)."""
    path = _sheet(tmp_path, [_COLUMNS, _row("vic-1", title="=1+1")])
    hostile = _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + xml,
    )
    result = cli("import", hostile)
    assert result.exit_code == 2
    assert "xl/worksheets/sheet1.xml declares a DTD" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_workbook_beyond_the_bounds_is_refused_before_it_is_parsed(
    cli: Cli, tmp_path: Path
) -> None:
    """A sheet's shared strings, rows and columns are counted before calamine sees them (it
    would hold them all in memory); scripts/bench_intake.py measures the 100-million case."""
    from bridge.catalogue.spreadsheet import MAX_COLUMNS, MAX_ROWS, MAX_SHARED_STRINGS

    path = _sheet(tmp_path, [_COLUMNS, _row("vic-1")])
    many = _rewrite(
        path,
        "xl/sharedStrings.xml",
        lambda _: b"<sst>" + b"<si/>" * (MAX_SHARED_STRINGS + 1) + b"</sst>",
    )
    result = cli("import", many)
    assert result.exit_code == 2 and f"more than {MAX_SHARED_STRINGS:,} shared strings" in (
        result.stderr
    )
    far = _sheet(tmp_path, [_COLUMNS, _row("vic-1")], name="far.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(far)
    book.active.cell(row=MAX_ROWS + 1, column=1, value="x")
    book.save(far)
    result = cli("import", far)
    assert result.exit_code == 2 and f"reaches row {MAX_ROWS + 1:,}" in result.stderr
    wide = _sheet(tmp_path, [_COLUMNS, _row("vic-1")], name="wide.xlsx")
    book = load_workbook(wide)
    book.active.cell(row=1, column=MAX_COLUMNS + 1, value="x")
    book.save(wide)
    result = cli("import", wide)
    assert result.exit_code == 2 and f"column {MAX_COLUMNS + 1:,}" in result.stderr


def test_one_long_shared_string_named_by_many_cells_is_refused(cli: Cli, tmp_path: Path) -> None:
    """Every cell gets its own copy of the shared string it names: 100 cells naming one 1 MB
    string would be 100 MB in memory from a file of a few kilobytes."""
    path = _sheet(tmp_path, [_COLUMNS, _row("vic-1")])
    strings = _rewrite(
        path, "xl/sharedStrings.xml", lambda _: b"<sst><si><t>" + b"x" * 2**20 + b"</t></si></sst>"
    )
    cells = b"".join(
        b'<row r="%d"><c r="E%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(3, 103)
    )
    many = _rewrite(
        strings,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", cells + b"</sheetData>"),
    )
    result = cli("import", many)
    assert result.exit_code == 2 and "MB of text (each cell its own copy" in result.stderr
