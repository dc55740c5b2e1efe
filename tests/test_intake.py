"""Issue 10 (places, gazetteer, spreadsheets) and the intake parts of issue 14 (hostile files),
through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_record, make_records, write_records_file

from bridge.db import make_engine

Cli = Callable[..., Run]


def _body(name: str, country: str = "ES", **more: Any) -> dict[str, Any]:
    return {"name": name, "country": country, **more}


# --------------------------------------------------------------------------- places (issue 10)


def test_a_council_named_many_ways_lands_in_one_place(cli: Cli, tmp_path: Path) -> None:
    names = [
        "City of Barcelona",
        "Barcelona City Council",
        "Municipality of Barcelona",
        "Barcelona",
        "Ajuntament de Barcelona",
    ]
    records = [make_record(i, local_body=_body(n)) for i, n in enumerate(names)]
    records.append(make_record(10, local_body=_body("Ajuntament de l'Hospitalet de Llobregat")))
    records.append(make_record(11, local_body=_body("Hospitalet de Llobregat, l'")))
    result = cli("import", write_records_file(tmp_path / "a.json", records))
    assert result.exit_code == 0, result.stderr
    listed = {r["ref"]: r for r in cli("projects", "list", "--json").json()}
    places = {listed[r["ref"]]["place"]["code"] for r in records[:5]}
    assert places == {"08019"}
    # each record keeps its body's name as written
    assert {listed[r["ref"]]["local_body"]["name"] for r in records[:5]} == set(names)
    barcelona = listed[records[0]["ref"]]["place"]
    assert barcelona["comarca"] == "Barcelonès" and barcelona["population"] > 1_000_000
    assert set(barcelona) >= {
        "code",
        "name",
        "country",
        "population",
        "latitude",
        "longitude",
        "area_km2",
    }
    assert (
        listed[records[5]["ref"]]["place"]["code"]
        == listed[records[6]["ref"]]["place"]["code"]
        == "08101"
    )


def test_bodies_that_are_not_councils_are_not_placed_unless_a_code_says_where(
    cli: Cli, tmp_path: Path
) -> None:
    records = [
        make_record(1, local_body=_body("Diputació de Barcelona")),
        make_record(2, local_body=_body("Consell Comarcal del Baix Llobregat")),
        make_record(3, local_body=_body("Area Metropolitana de Barcelona")),
        make_record(4, local_body=_body("Generalitat de Catalunya")),
        make_record(5, local_body=_body("Barcelona", kind="Empresa")),
        # an official code decides: a blockchain centre given Girona's code is in Girona
        make_record(
            6, local_body=_body("Centre Blockchain de Catalunya", municipality_code="17079")
        ),
    ]
    assert cli("import", write_records_file(tmp_path / "a.json", records)).exit_code == 0
    listed = {r["ref"]: r["place"] for r in cli("projects", "list", "--json").json()}
    assert [listed[r["ref"]] for r in records[:5]] == [None] * 5
    assert listed[records[5]["ref"]]["name"] == "Girona"


def test_places_load_and_find_and_ambiguous_names(
    cli: Cli, tmp_path: Path, shared_dir: Path
) -> None:
    data = shared_dir / "data"
    first = cli("places", "load", data / "es_municipios_ign_ngmep2024.csv")
    assert first.exit_code == 0, first.stderr
    again = cli("places", "load", data / "es_municipios_ign_ngmep2024.csv")
    assert again.exit_code == 0 and "8132 places" in again.stdout
    found = cli("places", "find", "Ajuntament d'Olot", "--json").json()
    assert [p["code"] for p in found] == ["17114"]
    assert [p["name"] for p in cli("places", "find", "08019", "--json").json()] == ["Barcelona"]
    assert (
        cli("places", "find", "Ayuntamiento de Zaragoza", "--country", "ES", "--json").json()[0][
            "code"
        ]
        == "50297"
    )
    # two towns called so in one country: unresolved, with a warning naming the candidates
    result = cli(
        "import",
        write_records_file(tmp_path / "a.json", [make_record(1, local_body=_body("Cabanes"))]),
    )
    assert result.exit_code == 0
    assert "local_body.name: 2 municipalities are called so in ES" in result.stderr
    assert (
        "Cabanes (Girona, 17030)" in result.stderr
        and "Cabanes (Castelló/Castellón, 12033)" in result.stderr
    )
    assert cli("projects", "show", "projecte-00001", "--json").json()["place"] is None
    unknown = tmp_path / "towns.csv"
    unknown.write_text("town,people\nVic,1\n", encoding="utf-8")
    refused = cli("places", "load", unknown)
    assert refused.exit_code == 2 and "unknown columns" in refused.stderr


# --------------------------------------------------------------------------- spreadsheets


def test_csv_with_semicolons_in_windows_1252_is_read_with_a_warning(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    text = (
        "ref;title;local_body.name;local_body.country;description;area;kind;phase\r\n"
        "tarrega-1;Tràmits;Ajuntament de Tàrrega;ES;Descripció;citizen-care;service;pilot\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = cli("import", path)
    assert result.exit_code == 0, result.stderr
    assert "Windows-1252" in result.stderr
    shown = cli("projects", "show", "tarrega-1", "--json").json()
    assert shown["title"] == "Tràmits" and shown["place"]["code"] == "25217"
    other = tmp_path / "utf16.csv"
    other.write_bytes(text.encode("utf-16"))
    assert cli("import", other).exit_code == 2


def test_xlsx_round_trip_and_formulas_stay_text(cli: Cli, tmp_path: Path) -> None:
    records = make_records(6)
    hostile = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    for record, text in zip(records, hostile, strict=False):
        record["description"] = text
    assert cli("import", write_records_file(tmp_path / "a.json", records)).exit_code == 0
    for suffix in (".xlsx", ".csv"):
        out = tmp_path / f"out{suffix}"
        assert cli("export", out).exit_code == 0
        again = cli("import", out)
        assert again.exit_code == 0, again.stderr
        assert again.stdout.startswith("0 created, 0 updated, 6 unchanged")
    csv_text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    for text in hostile:
        assert f"'{text}" in csv_text.replace('""', '"')
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_xlsx_formula_cell_is_read_as_its_value_with_a_warning(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from bridge.catalogue.formats import CSV_COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.append(list(CSV_COLUMNS))
    values = {
        "ref": "formula-1",
        "title": "T",
        "local_body.name": "Abrera",
        "local_body.country": "ES",
        "description": "D",
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
    }
    sheet.append([values.get(c) for c in CSV_COLUMNS])
    sheet.cell(row=2, column=CSV_COLUMNS.index("local_body.population") + 1, value="=1000+1")
    path = tmp_path / "f.xlsx"
    book.save(path)
    result = cli("import", path)
    assert result.exit_code == 0, result.stderr
    assert "local_body.population: a formula" in result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda: b"ref,title\nabc,T\n", "not an Excel workbook"),
        (lambda: _zip({"[Content_Types].xml": b"", "xl/s.xml": b"0" * (600 << 20)}), "inflates"),
        (lambda: _xlsx([["name", "country"], ["Vic", "ES"]]), "unknown column 'name'"),
    ],
)  # fmt: skip
def test_bad_workbooks_are_refused(cli: Cli, tmp_path: Path, content, reason: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content())
    result = cli("import", path)
    assert result.exit_code == 2 and reason in result.stderr, result.stderr


def _zip(files: dict[str, bytes]) -> bytes:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bomb-{os.getpid()}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    try:
        return path.read_bytes()
    finally:
        path.unlink()


def _xlsx(rows: list[list[Any]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_template(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from bridge.catalogue.formats import CSV_COLUMNS

    assert cli("template", tmp_path / "t.xlsx").exit_code == 0
    book = load_workbook(tmp_path / "t.xlsx")
    # Issue 28: the headers are Catalan (required ones marked " *"); each names its contract
    # column, in the contract's order.
    from bridge.catalogue.catalan import column_for

    headers = [c.value for c in book.worksheets[0][1]]
    assert [column_for(h) or h for h in headers] == list(CSV_COLUMNS)
    assert "help" in book.sheetnames
    validated = {
        str(v.sqref).split(":")[0][:-1]
        for v in book.worksheets[0].data_validations.dataValidation
        if (v.formula1 or "").startswith("lists!")  # the vocabularies' drop-downs
    }
    assert len(validated) == 4  # area, kind, phase, proximity (document kinds on the lists sheet)
    # (issue 25 adds the 1-5 scores and team.external: tests/test_evidence.py)
    assert cli("template", tmp_path / "t.csv").exit_code == 0
    assert cli("import", tmp_path / "t.csv").exit_code == 0  # an empty template imports nothing
    assert cli("template", tmp_path / "t.pdf").exit_code == 2


# ------------------------------------------------------------------ hostile files (issue 14)


def test_only_regular_files_within_the_size_limit_are_read(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    for path, reason in (
        (fifo, "not a regular file"),
        (zero, "not a regular file"),
        (big, "refused"),
    ):
        result = cli("import", path)
        assert result.exit_code == 2 and reason in result.stderr, result.stderr


def test_yaml_alias_bomb_is_refused(cli: Cli, tmp_path: Path) -> None:
    # ~600 bytes that expand to 10**10 values when walked: nine levels of ten aliases each.
    anchors = ["    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    anchors += [f"    a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "- ref: bomb-1\n  title: T\n  description: D\n  area: citizen-care\n  kind: service\n"
        "  phase: pilot\n  local_body:\n    name: Abrera\n    country: ES\n  analysis:\n"
        + "\n".join(anchors).replace("    a9:", "    barriers:")
        + "\n",
        encoding="utf-8",
    )
    assert path.stat().st_size < 1000
    result = cli("import", path)
    assert result.exit_code == 2
    assert "expands to more than" in result.stderr and len(result.stderr) < 2000


def test_deep_nesting_and_huge_numbers_are_clear_errors(cli: Cli, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = cli("import", deep)
    assert result.exit_code == 2 and "nested too deeply" in result.stderr
    cell = tmp_path / "deep.csv"
    cell.write_text(
        "ref,title,local_body.name,local_body.country,description,area,kind,phase,contacts\n"
        f"abc,T,Vic,ES,D,citizen-care,service,pilot,{'[' * 100_000}\n",
        encoding="utf-8",
    )
    result = cli("import", cell)
    assert result.exit_code == 2 and "nested too deeply" in result.stderr
    nines = make_record(1)
    nines["local_body"]["population"] = int("9" * 30)
    result = cli("import", write_records_file(tmp_path / "n.json", [nines]))
    assert result.exit_code == 2 and "local_body.population: " in result.stderr
    assert "too large" in result.stderr


def test_a_long_description_round_trips_through_csv(cli: Cli, tmp_path: Path) -> None:
    record = make_record(1, description="Molt llarg. " * 12_000)  # 144,000 characters
    assert cli("import", write_records_file(tmp_path / "a.json", [record])).exit_code == 0
    assert cli("export", tmp_path / "out.csv").exit_code == 0
    again = cli("import", tmp_path / "out.csv")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("0 created, 0 updated, 1 unchanged")


def test_the_same_file_named_twice_is_read_once(cli: Cli, tmp_path: Path) -> None:
    path = write_records_file(tmp_path / "a.json", make_records(3))
    result = cli("import", path, path)
    assert result.exit_code == 0, result.stderr
    assert "duplicate ref" not in result.stderr and "named twice" in result.stderr
    assert result.stdout.startswith("3 created")


def test_two_imports_at_once_share_their_councils(database_url: str, tmp_path: Path) -> None:
    # Issue 14 item 2: two processes, different records, councils in common.
    alpha = write_records_file(tmp_path / "alpha.json", make_records(1000))
    beta = write_records_file(tmp_path / "beta.json", make_records(1000, start=1000))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "DISCOURSE_"))}
    env["BRIDGE_DATABASE_URL"] = database_url
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bridge", "import", str(f)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for f in (alpha, beta)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT body_key, count(*) FROM local_body GROUP BY body_key")
        ).all()
        projects = conn.execute(sa.text("SELECT count(*) FROM project")).scalar_one()
    engine.dispose()
    assert projects == 2000
    assert rows and all(count == 1 for _, count in rows)
    assert len(rows) == len(
        {
            json.dumps(r["local_body"], sort_keys=True)
            for r in make_records(1000) + make_records(1000, start=1000)
        }
    )
