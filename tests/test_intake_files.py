"""Issue 28's intake points: the files councils really send. Numbers as the data's locale writes
them (point 3), spreadsheets within bounds (point 4), import mappings and the Catalan template
(point 5), every problem of a file in one run, date cells and drop-downs that refuse (point 11).
Through the CLI where a user would see it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
