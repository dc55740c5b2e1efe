"""Issue 25: evidence a council can compare (contract §4b). The fields in every format and the
template, validation naming the field, storage, the derived per-inhabitant figures with their
basis and caveats, `projects show`, free-text savings left as written with advice."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from plugins.catalogue import Run, make_record, write_records_file

from bridge.catalogue import evidence as ev
from bridge.catalogue.schema import RawRecord, Severity, validate_records

EVIDENCE: dict[str, Any] = {
    "savings_eur_per_year": 24000,
    "savings_hours_per_year": 1500.5,
    "cost": {"one_off_eur": 25696, "yearly_eur": 3212.5, "year": 2023},
    "funding": [{"source": "ngeu", "share": 0.6}, {"source": "own", "share": 0.4}],
    "dates": {"started": "2022-03", "piloted": "2022-09-15", "implemented": "2023-06-01"},
    "team": {"people": 4, "external": True},
    "kpis": [
        {
            "name": "Trucades al mes",
            "unit": "trucades",
            "before": 4200,
            "after": 2600,
            "period": "2023",
            "source": "https://exemple.cat/memoria-2023",
        },
        {"name": "Temps d'espera", "unit": "min", "before": 12.5, "after": 3},
    ],
    "criteria": {
        "innovation": 4,
        "results": 3,
        "transferability": 5,
        "sustainability": 4,
        "participation": 2,
        "justification": "Replicable amb programari lliure.\nSegona línia.",
    },
}


def _with_evidence(i: int = 0, **overrides: Any) -> dict[str, Any]:
    """make_record(0) is Abrera (INE 08001), placed by the gazetteer."""
    return make_record(i, **{**EVIDENCE, **overrides})


def _problems(record: dict[str, Any]) -> list[tuple[str | None, str]]:
    _, problems = validate_records([RawRecord("t.json", 1, record)])
    return [(p.field, p.reason) for p in problems]


# --------------------------------------------------------------------------- validation


def test_a_record_with_every_evidence_field_is_valid_and_keeps_them_in_order() -> None:
    valid, problems = validate_records([RawRecord("t.json", 1, _with_evidence())])
    assert problems == []
    from bridge.catalogue.canonical import record_dict

    record = record_dict(valid[0].record.view())
    keys = list(record)
    assert keys[keys.index("documents") + 1 :] == [*ev.EVIDENCE_KEYS, "proximity"]
    for key in (*ev.EVIDENCE_KEYS, "savings_hours_per_year"):
        assert record[key] == EVIDENCE[key], key


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"cost": {"one_off_eur": -5}}, "cost.one_off_eur", "out of range"),
        ({"cost": {"yearly_eur": "12,5"}}, "cost.yearly_eur", "decimal separator"),
        ({"cost": {"year": 1850}}, "cost.year", "out of range"),
        (
            {"dates": {"started": "2024-03", "implemented": "2023-12-31"}},
            "dates.implemented",
            "2023-12-31 is before dates.started (2024-03)",
        ),
        (
            {"dates": {"started": "2024-01-10", "piloted": "2023-05"}},
            "dates.piloted",
            "is before dates.started",
        ),
        ({"dates": {"started": "2024-02-30"}}, "dates.started", "not a date of the calendar"),
        ({"dates": {"started": "March 2024"}}, "dates.started", "YYYY-MM-DD or YYYY-MM"),
        ({"funding": [{"source": "ngeu", "share": 1.2}]}, "funding[0].share", "out of range"),
        (
            {"funding": [{"source": "ngeu", "share": 0.7}, {"source": "own", "share": 0.5}]},
            "funding",
            "the shares sum to 1.2; at most 1",
        ),
        ({"funding": [{"source": "banc", "share": 0.5}]}, "funding[0].source", "ngeu"),
        ({"criteria": {"innovation": 6}}, "criteria.innovation", "out of range (1 to 5)"),
        ({"criteria": {"results": 0}}, "criteria.results", "out of range (1 to 5)"),
        ({"criteria": {"results": 3.5}}, "criteria.results", "whole number"),
        ({"team": {"people": -1}}, "team.people", "out of range"),
        ({"team": {"external": "sí"}}, "team.external", "true or false"),
        ({"kpis": [{"unit": "h"}]}, "kpis[0].name", "required"),
        ({"savings_hours_per_year": -3}, "savings_hours_per_year", "out of range"),
        ({"cost": {"one_off": 3}}, "cost.one_off", "did you mean 'one_off_eur'"),
    ],
)
def test_impossible_evidence_is_refused_with_the_field_named(
    change: dict[str, Any], field: str, reason: str
) -> None:
    problems = _problems(make_record(1, **change))
    assert any(f == field and reason in r for f, r in problems), problems


def test_dates_compare_at_the_precision_both_have() -> None:
    dates = {"started": "2024-03", "piloted": "2024-03-15", "implemented": "2024-03"}
    assert _problems(make_record(1, dates=dates)) == []
    assert ev.months_between("2022-03", "2023-06-01") == 15.0
    assert ev.months_between("2024-01-15", "2024-03-15") == 2.0


def test_dates_read_as_dates_by_yaml_or_a_spreadsheet_are_the_same_date() -> None:
    import datetime as dt

    record = make_record(1, dates={"started": dt.date(2024, 3, 1), "implemented": "2024-09"})
    valid, problems = validate_records([RawRecord("t.yaml", 1, record)])
    assert problems == [] and valid[0].record.evidence()["dates"] == {
        "started": "2024-03-01",
        "implemented": "2024-09",
    }
    cell = make_record(1, dates={"started": "2024-03-01T00:00:00"})
    assert validate_records([RawRecord("t.xlsx", 1, cell)])[0][0].record.evidence()["dates"] == {
        "started": "2024-03-01"
    }


# --------------------------------------------------------------------------- storage, formats


def _import(cli: Callable[..., Run], path: Path, *extra: str) -> Run:
    result = cli("import", path, "--json", *extra)
    assert result.exit_code == 0, result.stderr[:2000]
    return result


@pytest.mark.parametrize("kind", ["json", "yaml", "csv", "xlsx"])
def test_export_then_import_changes_nothing_in_every_format(
    cli: Callable[..., Run], tmp_path: Path, kind: str
) -> None:
    records = [_with_evidence(0), make_record(1), _with_evidence(2, criteria={"results": 1})]
    _import(cli, write_records_file(tmp_path / "in.json", records))
    exported = tmp_path / f"out.{kind}"
    assert cli("export", exported).exit_code == 0
    again = _import(cli, exported).json()
    assert again["updated"] == 0 and again["created"] == 0, again
    # And the content is the records': export to JSON reads them back equal.
    back = tmp_path / "back.json"
    assert cli("export", back).exit_code == 0
    by_ref = {r["ref"]: r for r in json.loads(back.read_text())}
    for record in records:
        for key in (*ev.EVIDENCE_KEYS, "savings_hours_per_year"):
            assert by_ref[record["ref"]].get(key) == record.get(key), (kind, key)


def test_csv_carries_evidence_as_dotted_columns_and_json_cells(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    import csv

    _import(cli, write_records_file(tmp_path / "in.json", [_with_evidence(0)]))
    out = tmp_path / "out.csv"
    assert cli("export", out).exit_code == 0
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["cost.one_off_eur"] == "25696" and row["cost.year"] == "2023"
    assert row["dates.started"] == "2022-03" and row["team.external"] == "true"
    assert row["criteria.transferability"] == "5"
    assert json.loads(row["funding"]) == EVIDENCE["funding"]
    assert json.loads(row["kpis"]) == EVIDENCE["kpis"]


def test_yaml_with_unquoted_dates_imports(cli: Callable[..., Run], tmp_path: Path) -> None:
    record = _with_evidence(0)
    text = yaml.safe_dump([record], allow_unicode=True).replace("'2022-09-15'", "2022-09-15")
    assert "piloted: 2022-09-15\n" in text
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    _import(cli, path)
    shown = cli("projects", "show", record["ref"], "--json").json()
    assert shown["dates"]["piloted"] == "2022-09-15"


# --------------------------------------------------------------------------- derived, show


def test_show_derives_per_inhabitant_figures_from_the_official_population(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    record = _with_evidence(0)
    record["local_body"]["population"] = 13000  # the record's own figure, not the one used
    _import(cli, write_records_file(tmp_path / "in.json", [record]))
    shown = cli("projects", "show", "projecte-00000", "--json").json()
    population = shown["place"]["population"]
    assert population and population != 13000  # the official one
    derived = shown["evidence"]
    assert derived["cost_per_inhabitant_eur"] == round(25696 / population, 2)
    assert derived["yearly_cost_per_inhabitant_eur"] == round(3212.5 / population, 2)
    assert derived["savings_per_inhabitant_eur"] == round(24000 / population, 2)
    assert derived["months_to_implement"] == 15.0
    assert derived["population_basis"] == {
        "population": population,
        "source": "gazetteer",
        "year": None,
        "caveats": ["year_unstated"],
    }
    assert derived["prices"] == "nominal" and derived["euros_of_year"] == 2023


def test_a_figure_from_an_unresolved_or_missing_population_says_so(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    # make_record(2): a foreign body the gazetteer does not place, without a population.
    foreign = _with_evidence(2)
    with_own = _with_evidence(5, ref="amb-poblacio-propia")
    with_own["local_body"] = {"name": "Gemeente X", "country": "NL", "population": 20000}
    _import(cli, write_records_file(tmp_path / "in.json", [foreign, with_own]))
    missing = cli("projects", "show", foreign["ref"], "--json").json()["evidence"]
    assert missing["cost_per_inhabitant_eur"] is None
    assert missing["savings_per_inhabitant_eur"] is None
    assert missing["months_to_implement"] == 15.0  # needs no population
    assert missing["population_basis"]["caveats"] == ["missing"]
    own = cli("projects", "show", "amb-poblacio-propia", "--json").json()["evidence"]
    assert own["cost_per_inhabitant_eur"] == round(25696 / 20000, 2)
    assert own["population_basis"]["source"] == "record"
    assert own["population_basis"]["caveats"] == ["unresolved", "year_unstated"]


def test_a_record_without_evidence_derives_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    _import(cli, write_records_file(tmp_path / "in.json", [make_record(1)]))
    derived = cli("projects", "show", "projecte-00001", "--json").json()["evidence"]
    assert [derived[k] for k in ("cost_per_inhabitant_eur", "months_to_implement")] == [None, None]


def test_show_prints_the_evidence_block_with_its_basis(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    _import(cli, write_records_file(tmp_path / "in.json", [_with_evidence(0)]))
    text = cli("projects", "show", "projecte-00000").stdout
    for expected in (
        "€25,696 one-off (euros of 2023, nominal); €",
        "ngeu 60%",
        "months to implement  15.0",
        "Trucades al mes: 4,200 → 2,600 trucades (2023; https://exemple.cat/memoria-2023)",
        "innovation 4/5, results 3/5, transferability 5/5",
        "official (gazetteer) — the registry does not state the population's year",
    ):
        # Off a terminal the layout is plain (tabs between label and value, issue 28): compare
        # the words, whatever separates them.
        assert " ".join(expected.split()) in " ".join(text.split()), expected
    plain = cli("projects", "show", "projecte-00001")
    assert "population basis" not in plain.stdout, "only what is filled in"


# --------------------------------------------------------------------------- free-text savings


def test_free_text_savings_stay_and_a_readable_figure_is_advice_even_with_strict(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    record = make_record(1, savings="Uns 12.000 € l'any i 300 hores de feina administrativa")
    path = write_records_file(tmp_path / "in.json", [record])
    result = cli("import", path, "--strict")
    assert result.exit_code == 0, result.stderr
    assert "savings: reads as 12000 € ('12.000 €')" in result.stderr
    assert "reads as 300 hours ('300 hores')" in result.stderr
    shown = cli("projects", "show", record["ref"], "--json").json()
    assert shown["savings"] == record["savings"] and "savings_eur_per_year" not in shown


def test_readable_savings_only_when_unambiguous() -> None:
    assert [(s.field, s.value) for s in ev.readable_savings("estalvi de 1.250,50 euros")] == [
        ("savings_eur_per_year", 1250.5)
    ]
    assert ev.readable_savings("entre 2.000 € i 5.000 €") == []  # two amounts: not one figure
    assert ev.readable_savings("Hores de personal") == []
    problems = validate_records(
        [RawRecord("t.json", 1, make_record(1, savings="10.000 €", savings_eur_per_year=10000))]
    )
    assert problems[1] == [] and problems[0][0].warnings == ()  # already structured: no advice
    advice = validate_records([RawRecord("t.json", 1, make_record(1, savings="10.000 €"))])[0]
    assert [w.severity for w in advice[0].warnings] == [Severity.advice]


# --------------------------------------------------------------------------- template


def test_the_template_has_the_evidence_columns_help_and_checks(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "t.xlsx"
    assert cli("template", path).exit_code == 0
    book = load_workbook(path)
    # The headers are the template's Catalan ones (issue 28); the help sheet names each header's
    # contract field beside it: read the columns through it.
    helped = {
        row[1]: (row[0], *row[2:])
        for row in book["help"].iter_rows(min_row=2, values_only=True)
        if row and row[1]
    }
    header = [
        next((field for field, (shown, *_) in helped.items() if shown == c.value), c.value)
        for c in book["projects"][1]
    ]
    assert set(ev.CSV_COLUMNS) <= set(header)
    for column in ev.CSV_COLUMNS:
        _, ca, en = helped[column]
        assert ca and en, column
    checks = book["projects"].data_validations.dataValidation
    scores = next(c for c in checks if c.type == "whole")
    assert (scores.formula1, scores.formula2, scores.showErrorMessage) == ("1", "5", True)
    from openpyxl.utils import get_column_letter

    for name in ev.CRITERIA:
        letter = get_column_letter(header.index(f"criteria.{name}") + 1)
        assert f"{letter}2:{letter}10000" in {str(r) for r in scores.sqref.ranges}, name
    lists = book["lists"]
    sources = [c.value for c in lists[1]]
    column = sources.index("funding source") + 1
    values = [lists.cell(row=r, column=column).value for r in range(2, 9)]
    assert values == ["own", "ngeu", "feder", "diputacio", "generalitat", "state", "other"]


# --------------------------------------------------------------------------- the topic


def _settings(language: str = "ca") -> Any:
    from bridge.settings import load_settings

    cfg = load_settings(Path(__file__).resolve().parents[1] / "config" / "bridge.toml")
    return cfg.model_copy(update={"language": language})


def test_the_topic_block_shows_only_what_is_filled_in_in_the_forums_language() -> None:
    from bridge.sync.render import render_post

    record = _with_evidence(0)
    place = {"code": "08001", "population": 12848}
    raw = render_post(record, proximity="km0", settings=_settings("ca"), place=place)
    section = raw.split("## Evidències\n\n", 1)[1].split("\n## ", 1)[0]
    for expected in (
        "**Cost:** 25.696 € inversió · 3.212,50 € l'any · (euros de 2023, sense actualitzar) · "
        "2 € per habitant · 0,25 € per habitant l'any",
        "**Estalvi:** 24.000 € l'any (1,87 € per habitant) · 1.500,50 hores de personal l'any",
        "**Finançament:** Next Generation EU / PRTR 60 % · pressupost propi 40 %",
        "**Calendari:** inici 2022-03 · prova pilot 2022-09-15 · implantació 2023-06-01 · "
        "15 mesos de l'inici a la implantació",
        "**Equip:** 4 persones · amb proveïdor extern",
        "- Trucades al mes: 4.200 → 2.600 trucades (2023 · "
        "[Documentació](https://exemple.cat/memoria-2023))",
        "- Temps d'espera: 12,50 → 3 min",
        "**Autoavaluació (1 a 5):** innovació 4 · resultats 3 · transferibilitat 5",
        "Replicable amb programari lliure.",
        "*Xifres per habitant sobre: 12.848 habitants (població oficial del nomenclàtor); "
        "el registre no indica l'any de la població*",
    ):
        assert expected in section, expected
    headings = [line for line in raw.splitlines() if line.startswith("## ")]
    assert headings.index("## Evidències") == headings.index("## Fase") - 1

    english = render_post(  # make_record(2): a foreign council without a population
        make_record(2, cost={"one_off_eur": 5000}), proximity="km0", settings=_settings("en")
    )
    block = english.split("## Evidence\n\n", 1)[1].split("\n## ", 1)[0]
    assert block.splitlines()[0] == "**Cost:** €5,000 one-off"
    assert "no population known: no per-inhabitant figures" in block, "the gap is said"
    for absent in ("Funding", "Timeline", "Team", "Results", "Self-assessment"):
        assert absent not in block
    plain = render_post(make_record(1), proximity="km0", settings=_settings("es"))
    assert "## Evidencias" not in plain, "no evidence, no block"


def test_a_synced_topic_carries_the_evidence_over_the_official_population(
    harness: Any, tmp_path: Path
) -> None:
    from bridge.catalogue.importer import run_import

    record = _with_evidence(0)
    outcome = run_import(harness.engine, [write_records_file(tmp_path / "in.json", [record])])
    assert not outcome.problems
    harness.sync()
    raw = harness.topic_of(record["ref"]).posts[0].raw
    assert "## Evidències" in raw
    assert "habitants (població oficial del nomenclàtor)" in raw
    assert "· 2 € per habitant ·" in raw  # 25,696 € over Abrera's 12,848 inhabitants


# --------------------------------------------------------------------------- sorting


def test_projects_list_sorts_by_a_derived_figure_records_without_it_last(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make_record(0), (3): Abrera, Tàrrega (placed); (1): Girona; (4): L'Hospitalet.
    records = [
        _with_evidence(0, cost={"one_off_eur": 50000}, savings_eur_per_year=1000,
                       dates={"started": "2020-01", "implemented": "2022-01"}),
        _with_evidence(3, cost={"one_off_eur": 5000}, savings_eur_per_year=90000,
                       dates={"started": "2021-01", "implemented": "2021-04"}),
        make_record(1),  # no evidence
        _with_evidence(4, cost={"yearly_eur": 100}, savings_eur_per_year=None, dates={}),
    ]  # fmt: skip
    _import(cli, write_records_file(tmp_path / "in.json", records))

    def order(sort: str) -> list[str]:
        listed = cli("projects", "list", "--json", "--sort", sort)
        assert listed.exit_code == 0, listed.stderr
        return [r["ref"] for r in listed.json()]

    assert order("cost-per-inhabitant") == [
        "projecte-00003", "projecte-00000", "projecte-00001", "projecte-00004",
    ]  # fmt: skip
    assert order("savings-per-inhabitant") == [
        "projecte-00003", "projecte-00000", "projecte-00001", "projecte-00004",
    ]  # fmt: skip
    assert order("time-to-implement") == [
        "projecte-00003", "projecte-00000", "projecte-00001", "projecte-00004",
    ]  # fmt: skip
    # Without asking, records with evidence are not ranked above the others.
    assert order("ref") == sorted(r["ref"] for r in records)
    # The stored listing form and the rows agree whatever the sort.
    assert cli("projects", "list", "--json", "--sort", "time-to-implement").json() == [
        r
        for ref in order("time-to-implement")
        for r in cli("projects", "list", "--json").json()
        if r["ref"] == ref
    ]
    monkeypatch.setenv("COLUMNS", "250")
    text = cli("projects", "list", "--sort", "time-to-implement").stdout
    last_cell = {  # each record's first table line: its ref, and the sorted-by figure last
        ref: re.split(r"│|\t", line.rstrip(" │┃"))[-1].strip()  # a box or the plain layout
        for line in text.splitlines()
        for ref in ("projecte-00000", "projecte-00001", "projecte-00003")
        if ref in line
    }
    assert last_cell == {"projecte-00003": "3", "projecte-00000": "24", "projecte-00001": "—"}


# --------------------------------------------------------------------------- open data


def test_open_data_carries_every_evidence_field_with_its_unit(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    import csv

    import frictionless

    records = [_with_evidence(0), make_record(1), _with_evidence(2)]
    _import(cli, write_records_file(tmp_path / "in.json", records))
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    package = json.loads((out / "datapackage.json").read_text())
    fields = {
        f["name"]: f
        for resource in package["resources"]
        if resource["name"] == "projects"
        for f in resource["schema"]["fields"]
    }
    units = {
        "cost_one_off_eur": "EUR",
        "cost_yearly_eur": "EUR/year",
        "savings_eur_per_year": "EUR/year",
        "savings_hours_per_year": "hours/year",
        "cost_per_inhabitant_eur": "EUR/inhabitant",
        "months_to_implement": "months",
        "criteria_results": "score (1-5)",
        "funding_ngeu_share": "share (0-1)",
    }
    for name, unit in units.items():
        assert fields[name]["unit"] == unit, name
    rows = {
        r["ref"]: r
        for r in csv.DictReader(io.StringIO((out / "projects.csv").read_text(encoding="utf-8")))
    }
    abrera = rows["projecte-00000"]
    assert (abrera["cost_one_off_eur"], abrera["cost_year"], abrera["date_started"]) == (
        "25696",
        "2023",
        "2022-03",
    )
    assert (abrera["funding_ngeu_share"], abrera["funding_own_share"]) == ("0.6", "0.4")
    assert abrera["team_external"] == "true" and abrera["criteria_transferability"] == "5"
    assert abrera["evidence_population_source"] == "gazetteer"
    assert abrera["cost_per_inhabitant_eur"] == "2" and abrera["months_to_implement"] == "15"
    assert rows["projecte-00002"]["evidence_caveats"] == "missing"
    assert rows["projecte-00001"]["cost_one_off_eur"] == ""
    kpis = list(csv.DictReader(io.StringIO((out / "kpis.csv").read_text(encoding="utf-8"))))
    assert [(k["ref"], k["position"], k["name"], k["before"], k["after"]) for k in kpis][:2] == [
        ("projecte-00000", "0", "Trucades al mes", "4200", "2600"),
        ("projecte-00000", "1", "Temps d'espera", "12.5", "3"),
    ]
    catalog = json.loads((out / "catalog.jsonld").read_text())
    assert any(node.get("@id", "").endswith("#kpis.csv") for node in catalog["@graph"])


# --------------------------------------------------------------------------- the overview


def _live(ref: str, area: str, population: int | None, **evidence: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": ref,
        "area": area,
        "proximity": "km0",
        "phase": "implemented",
        "topic_id": None,
        "local_body": {"name": "Ajuntament", "country": "ES"},
        "place": {"population": population} if population else None,
        **evidence,
    }


def test_the_overview_shows_medians_by_area_and_population_band() -> None:
    from bridge.observatory.pages import overview
    from bridge.sync.render import render_overview

    cfg = _settings("ca")
    live = [
        _live("a", "citizen-care", 12000, cost={"one_off_eur": 12000}),  # 1 €/inhabitant
        _live("b", "citizen-care", 20000, cost={"one_off_eur": 60000},  # 3 €/inhabitant
              dates={"started": "2023-01", "implemented": "2023-07"}),
        _live("c", "citizen-care", 30000, savings_eur_per_year=3000, cost={"yearly_eur": 1}),
        _live("d", "citizen-care", 1500, cost={"one_off_eur": 300}),  # another band
        _live("e", "social-services", None, cost={"one_off_eur": 5}),  # no population: out
        _live("f", "social-services", 8000),  # no evidence: out
    ]  # fmt: skip
    shown = overview(live, cfg)
    rows = [(m.area, m.band, m.records, m.cost_per_inhabitant, m.savings_per_inhabitant,
             m.months_to_implement) for m in shown.medians]  # fmt: skip
    assert rows == [
        ("Atenció ciutadana", 1, 1, 0.2, None, None),
        ("Atenció ciutadana", 4, 3, 2.0, 0.1, 6.0),
    ]
    raw = render_overview(shown, cfg)
    assert "## Evidències: medianes per àmbit i població" in raw
    assert "| Atenció ciutadana | 10.001–50.000 | 3 | 2 € | 0,10 € | 6 |" in raw
    assert "| Atenció ciutadana | 501–2.000 | 1 | 0,20 € | — | — |" in raw
    without = overview([_live("f", "social-services", 8000)], cfg)
    assert without.medians == () and "medianes" not in render_overview(without, cfg)


def test_the_demo_catalogue_carries_only_published_evidence(cli: Callable[..., Run]) -> None:
    """Issue 25: evidence in the sample only where a real source publishes it, each with its
    source named (in the record's KPI and the file's comments); nothing else is filled in."""
    from bridge.samples import demo_catalogue_path

    path = demo_catalogue_path()
    assert cli("import", path).exit_code == 0
    records = cli("projects", "list", "--json").json()
    with_evidence = {r["ref"]: r for r in records if ev.has_evidence(r)}
    assert not [r["ref"] for r in records if "savings_eur_per_year" in r], "none is published"
    assert set(with_evidence) == {"bcn-decidim", "amsterdam-algoritmeregister"}
    text = path.read_text(encoding="utf-8")
    for record in with_evidence.values():
        assert set(record) & set(ev.EVIDENCE_KEYS) == {"dates", "kpis"}  # no cost invented
        for kpi in record["kpis"]:
            assert kpi["source"].startswith("https://") and kpi["source"] in text


def test_a_challenge_reply_says_what_a_project_saved_per_inhabitant() -> None:
    from bridge.challenges.matching import suggest
    from bridge.sync.render import render_challenge_reply

    saver = make_record(0, title="Cita prèvia amb xatbot", savings_eur_per_year=24000)
    saver.update(place={"population": 12848}, archived=False, topic_url=None, proximity="km0")
    other = make_record(3, title="Cita prèvia en línia")
    other.pop("savings_eur_per_year", None)
    other.update(place={"population": 18268}, archived=False, topic_url=None, proximity="km0")
    # Both are about the need asked (issue 21 lists only projects about it: a question about a
    # chatbot would rightly leave the other out).
    found = suggest([saver, other], "Cita prèvia", "Volem cita prèvia en línia", limit=5)
    by_ref = {s.ref: s for s in found}
    assert by_ref[saver["ref"]].reasons[0].value == "1.87"
    assert all(r.kind != "saved_per_inhabitant" for r in by_ref[other["ref"]].reasons)
    reply = render_challenge_reply(found, settings=_settings("ca"))
    assert "estalvia 1,87 € per habitant l'any" in reply
    english = render_challenge_reply(found, settings=_settings("en"))
    assert "saved 1.87 € per inhabitant a year" in english


def test_find_like_orders_the_councils_like_us_by_a_figure(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    records = [
        _with_evidence(0, savings_eur_per_year=1000),  # Abrera
        _with_evidence(3, savings_eur_per_year=90000),  # Tàrrega
        make_record(6),  # Abrera again: no savings figure (removed below)
    ]
    del records[2]["savings_eur_per_year"]
    _import(cli, write_records_file(tmp_path / "in.json", records))
    best = cli("find", "--like", "Olot", "--json")
    assert best.exit_code == 0, best.stderr
    found = [m["ref"] for m in best.json()]
    assert set(found) == {r["ref"] for r in records}
    saved = cli("find", "--like", "Olot", "--sort", "savings-per-inhabitant", "--json").json()
    assert [m["ref"] for m in saved] == ["projecte-00003", "projecte-00000", "projecte-00006"]
    assert cli("find", "--like", "Olot", "--sort", "cheapest").exit_code == 2


def test_the_listing_fast_path_carries_the_evidence_byte_for_byte(engine: Any) -> None:
    from bridge.catalogue import read_store
    from bridge.catalogue.canonical import encode_listed
    from bridge.catalogue.store import import_records

    raws = (RawRecord("t.json", i, r) for i, r in enumerate([_with_evidence(0), make_record(1)]))
    valid, problems = validate_records(raws)
    assert problems == []
    import_records(engine, valid)
    lines = list(read_store.iter_listing(engine, "ES-CT"))
    assert lines == [encode_listed(r) for r in read_store.iter_records(engine, "ES-CT")]
    assert json.loads(lines[0])["cost"] == EVIDENCE["cost"]


# ----------------------------------------- the saving as a reason in `similar`, `find`, sections


def _chatbots(savings: bool) -> list[dict[str, Any]]:
    """Five councils' chatbots (all about one need, so each lists the others); with `savings`
    two of them state what they saved a year."""
    records = []
    for i, saved in zip(range(5), (24000, None, 9000, None, None), strict=True):
        record = make_record(i, title=f"Xatbot de cita prèvia {i}")
        record.pop("savings_eur_per_year", None)
        if savings and saved is not None:
            record["savings_eur_per_year"] = saved
        record.update(archived=False, topic_url=None, proximity="km0")
        if i % 3 != 2:  # the gazetteer's population of the Catalan councils
            record["place"] = {"population": record["local_body"]["population"]}
        records.append(record)
    return records


def test_similar_and_find_name_the_saving_and_list_the_same_in_the_same_order() -> None:
    from bridge.discovery.rank import find, match_json, similar, similar_all

    with_, without = _chatbots(True), _chatbots(False)
    saver = with_[0]
    per = f"{24000 / saver['place']['population']:.2f}"
    listed = similar(with_, "projecte-00001", limit=5)
    by_ref = {m.ref: match_json(m) for m in listed}
    assert f"saved {per} € per inhabitant a year" in by_ref["projecte-00000"]["reasons"]
    assert not any("saved" in r for r in by_ref["projecte-00003"]["reasons"])
    found = find(with_, text="xatbot cita prèvia", limit=5)
    assert any(f"saved {per} €" in r for m in found if m.ref == saver["ref"] for r in m.reasons)
    # Evidence never decides: every list, its order and its scores are those without it.
    for ref in (r["ref"] for r in with_):
        a, b = similar(with_, ref, limit=5), similar(without, ref, limit=5)
        assert [(m.ref, m.score) for m in a] == [(m.ref, m.score) for m in b]
    a_all, b_all = similar_all(with_, limit=5), similar_all(without, limit=5)
    assert {k: [m.ref for m in v] for k, v in a_all.items()} == {
        k: [m.ref for m in v] for k, v in b_all.items()
    }
    for like in (None, {"population": 12000}):
        a, b = find(with_, text="xatbot", like=like), find(without, text="xatbot", like=like)
        assert [(m.ref, m.score) for m in a] == [(m.ref, m.score) for m in b]


def test_a_similar_section_names_the_saving_in_the_forums_language() -> None:
    from bridge.observatory.sections import build_sections

    records = {r["ref"]: r for r in _chatbots(True)}
    places = {ref: r.pop("place") for ref, r in records.items() if "place" in r}
    choice = {"projecte-00001": ["projecte-00000", "projecte-00003"]}
    links = {"projecte-00000": "/t/a/1", "projecte-00003": "/t/b/2"}
    per = 24000 / places["projecte-00000"]["population"]
    catalan = build_sections(choice, records, links, _settings("ca"), places=places)
    text = catalan.text["projecte-00001"]
    assert f"estalvia {per:.2f} € per habitant l'any".replace(".", ",") in text
    lines = text.splitlines()
    assert "estalvia" not in next(line for line in lines if "/t/b/2" in line)
    english = build_sections(choice, records, links, _settings("en"), places=places)
    assert f"saved {per:.2f} € per inhabitant a year" in english.text["projecte-00001"]
    # The line changes only with the figure: the same inputs give the same section, and a
    # record without the figure gives the line it always had.
    again = build_sections(choice, records, links, _settings("ca"), places=places)
    assert again.text == catalan.text
    plain = {
        ref: {k: v for k, v in r.items() if k != "savings_eur_per_year"}
        for ref, r in records.items()
    }
    before = build_sections(choice, plain, links, _settings("ca"), places=places)
    unchanged = [line for line in before.text["projecte-00001"].splitlines() if "/t/b/" in line]
    assert unchanged == [line for line in lines if "/t/b/" in line]
    assert "estalvia" not in before.text["projecte-00001"]


def test_similar_json_reasons_include_the_saving(cli: Callable[..., Run], tmp_path: Path) -> None:
    records = _chatbots(True)
    for record in records:
        for key in ("archived", "topic_url", "proximity", "place"):
            record.pop(key, None)
    _import(cli, write_records_file(tmp_path / "in.json", records))
    shown = cli("projects", "show", "projecte-00000", "--json")
    assert shown.exit_code == 0, shown.stderr
    per = shown.json()["evidence"]["savings_per_inhabitant_eur"]
    run = cli("similar", "projecte-00001", "--json")
    assert run.exit_code == 0, run.stderr
    by_ref = {m["ref"]: m["reasons"] for m in run.json()}
    assert f"saved {per:.2f} € per inhabitant a year" in by_ref["projecte-00000"]
    assert not any("saved" in r for r in by_ref["projecte-00003"])


def test_a_synced_similar_section_names_the_saving_once(harness: Any, tmp_path: Path) -> None:
    """Over real HTTP: the section of a topic that lists a saver says what it saved, over the
    official population (Abrera's 12,848, as the saver's own topic shows); a second sync
    rewrites nothing."""
    from bridge.catalogue.importer import run_import

    records = _chatbots(True)
    for record in records:
        for key in ("archived", "topic_url", "proximity", "place"):
            record.pop(key, None)
    outcome = run_import(harness.engine, [write_records_file(tmp_path / "in.json", records)])
    assert not outcome.problems
    first = harness.sync(observatory=True)
    assert first.failed == 0
    raw = harness.topic_of("projecte-00001").posts[0].raw
    section = raw[raw.index("## Projectes similars") :]
    assert "estalvia 1,87 € per habitant l'any" in section  # 24,000 € / 12,848
    second = harness.sync(observatory=True)
    assert (second.created, second.updated) == (0, 0)


def test_a_saving_over_the_records_own_population_is_no_bare_reason() -> None:
    """Issue 25 point 4: a figure derived from a population the gazetteer does not vouch for is
    shown with its caveat (show, the topic's Evidence block), never as a bare reason."""
    from bridge.discovery.reasons import ReasonKind, evidence_reasons

    placed = make_record(0, title="Cita prèvia amb xatbot", savings_eur_per_year=24000)
    placed.update(place={"population": 12848})
    unplaced = dict(placed, place=None)
    unplaced["local_body"] = dict(placed["local_body"], population=12848)
    assert [r.kind for r in evidence_reasons(placed)] == [ReasonKind.SAVED_PER_INHABITANT]
    assert evidence_reasons(unplaced) == ()
    from bridge.catalogue.evidence import derived

    basis = derived(unplaced)["population_basis"]
    assert derived(unplaced)["savings_per_inhabitant_eur"] is not None  # still shown, with:
    assert "unresolved" in basis["caveats"] and basis["source"] == "record"
