"""Km0 follows the place (issue 27 point 1): a record with no region and no proximity override
takes its region from where the gazetteer placed its council, or, for a public body that is not
a council, from the table of Catalan public bodies; the one rule feeds the listing, show, the
filters, open data, `find` and the topics' tags."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plugins.catalogue import Run, make_record, write_records_file
from plugins.sync import SyncHarness

from bridge.catalogue.importer import run_import
from bridge.catalogue.proximity import Basis, effective
from bridge.catalogue.regions import PARENT, place_region
from bridge.models.enums import Proximity
from bridge.places.bodies import all_bodies, known_body


@pytest.mark.parametrize(
    ("kwargs", "expected", "basis"),
    [
        ({"country": "ES", "place_code": "08298"}, "km0", Basis.place),  # Vic, Osona
        ({"country": "ES", "place_code": "43161"}, "km0", Basis.place),  # Valls, Alt Camp
        ({"country": "ES", "place_code": "28079"}, "foreign", Basis.place),  # Madrid
        ({"country": "ES", "region": "ES-M", "place_code": "08298"}, "foreign", Basis.region),
        ({"country": "ES", "own": "foreign", "place_code": "08298"}, "foreign", Basis.record),
        ({"country": "ES", "name": "Diputació de Girona"}, "km0", Basis.known_body),
        ({"country": "ES", "name": "Consell Comarcal Bages"}, "km0", Basis.known_body),
        ({"country": "ES", "name": "Generalitat de Catalunya"}, "km0", Basis.known_body),
        ({"country": "ES", "name": "Area Metropolitana de Barcelona"}, "km0", Basis.known_body),
        ({"country": "FR", "name": "Diputació de Girona"}, "foreign", Basis.unknown),
        ({"country": "ES", "name": "Diputación de Valencia"}, "foreign", Basis.unknown),
        ({"country": "NL", "place_code": "GM0363"}, "foreign", Basis.unknown),
        ({"country": "ES"}, "foreign", Basis.unknown),
    ],
)
def test_the_one_rule(kwargs: dict[str, Any], expected: str, basis: Basis) -> None:
    args: dict[str, Any] = {"region": None, "own": None, "home_region": "ES-CT"} | kwargs
    decided = effective(**args)
    assert (decided.proximity.value, decided.basis) == (expected, basis)


def test_the_home_region_decides_what_a_place_is() -> None:
    vic = {"country": "ES", "region": None, "own": None, "place_code": "08298"}
    assert effective(home_region="ES-B", **vic).proximity is Proximity.km0
    assert effective(home_region="ES-GI", **vic).proximity is Proximity.foreign


def test_every_spanish_municipality_has_a_province_region(shared_dir: Path) -> None:
    """Every INE province prefix of IGN's Nomenclátor maps to an ISO 3166-2:ES province (or
    autonomous city) of pycountry's table, and the four Catalan ones lie in ES-CT."""
    data = shared_dir / "data"
    with open(data / "eu_iso3166_2_subdivisions_pycountry.csv", encoding="utf-8") as f:
        iso = {row["code"]: row for row in csv.DictReader(f)}
    with open(data / "es_municipios_ign_ngmep2024.csv", encoding="utf-8") as f:
        codes = {row["COD_INE"][:5] for row in csv.DictReader(f)}
    assert len(codes) > 8000
    for code in codes:
        region = place_region("ES", code)
        assert region is not None and region in iso, code
        assert iso[region]["type"] in ("Province", "Autonomous city in north africa"), region
    for prefix in ("08", "17", "25", "43"):
        assert PARENT[place_region("ES", prefix + "001") or ""] == "ES-CT"


def test_the_table_of_public_bodies_names_each_once_with_its_source() -> None:
    bodies = all_bodies()
    assert len(bodies) >= 100
    assert all(b.source and b.region.startswith("ES-") for b in bodies)
    assert known_body("Diputació de Barcelona (Barcelona Provincial Council)", "ES") is not None
    assert known_body("Ajuntament de Vic", "ES") is None


VIC = {"name": "Ajuntament de Vic", "country": "ES"}


def _vic_record(**body: Any) -> dict[str, Any]:
    record = make_record(0, local_body=VIC | body)
    record.pop("proximity", None)
    return record


def test_a_council_placed_in_catalonia_is_km0_everywhere(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    records = [
        _vic_record() | {"ref": "vic-padro"},
        make_record(1, local_body={"name": "Diputació de Girona", "country": "ES"})
        | {"ref": "dipgi-dades"},
        make_record(2, local_body={"name": "Ayuntamiento de Madrid", "country": "ES"})
        | {"ref": "madrid-cita"},
    ]
    for record in records:
        record.pop("proximity", None)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    listed = {r["ref"]: r for r in cli("projects", "list", "--json").json()}
    assert listed["vic-padro"]["place"]["code"] == "08298"
    assert {ref: r["proximity"] for ref, r in listed.items()} == {
        "vic-padro": "km0",
        "dipgi-dades": "km0",
        "madrid-cita": "foreign",
    }
    km0 = {r["ref"] for r in cli("projects", "list", "--proximity", "km0", "--json").json()}
    assert km0 == {"vic-padro", "dipgi-dades"}
    shown = cli("projects", "show", "vic-padro", "--json").json()
    assert (shown["proximity"], shown["proximity_basis"]) == ("km0", "from the place")
    text = cli("projects", "show", "dipgi-dades").stdout
    assert "km0 (from the body's name)" in text
    found = cli("find", "--proximity", "km0", "--json").json()
    assert {r["ref"] for r in found} == {"vic-padro", "dipgi-dades"}
    out = tmp_path / "od"
    assert cli("opendata", out).exit_code == 0
    with open(out / "projects.csv", encoding="utf-8") as handle:
        published = {row["ref"]: row["proximity"] for row in csv.DictReader(handle)}
    assert published == {"vic-padro": "km0", "dipgi-dades": "km0", "madrid-cita": "foreign"}
    # Export keeps the record as written: no proximity, no region was added.
    exported = tmp_path / "out.json"
    cli("export", exported)
    assert all("proximity" not in r for r in json.loads(exported.read_text(encoding="utf-8")))


def test_a_region_that_disagrees_with_the_place_is_a_warning(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    record = _vic_record(region="ES-M") | {"ref": "vic-madrid"}
    result = cli("import", write_records_file(tmp_path / "r.json", [record]))
    assert result.exit_code == 0
    assert "local_body.region: ES-M disagrees with the place, Vic (Barcelona, 08298)" in (
        result.stderr.replace("\n", " ")
    )
    # The record's region is kept and decides.
    assert cli("projects", "show", "vic-madrid", "--json").json()["proximity"] == "foreign"
    agreeing = _vic_record(region="ES-CT") | {"ref": "vic-ct"}
    again = cli("import", write_records_file(tmp_path / "s.json", [agreeing]))
    assert "disagrees" not in again.stderr


def test_places_find_says_why(cli: Callable[..., Run]) -> None:
    result = cli("places", "find", "Consell Comarcal del Bages")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "is a county council" in text and "km0" in text and "Source:" in text
    vic = cli("places", "find", "Vic", "--json").json()
    assert [(p["code"], p["region"], p["proximity"]) for p in vic] == [("08298", "ES-B", "km0")]


def test_the_next_sync_retags_what_the_place_makes_km0(
    harness: SyncHarness, tmp_path: Path
) -> None:
    """A record synced as foreign (the home region elsewhere) is retagged Km0 at the next sync
    once the rule says so; nothing else is rewritten."""
    from dataclasses import replace

    path = write_records_file(tmp_path / "vic.json", [_vic_record() | {"ref": "vic-padro"}])
    assert not run_import(harness.engine, [path]).problems
    other_home = harness.settings.model_copy(update={"home_region": "ES-MD"})
    elsewhere = replace(harness, settings=other_home)
    assert elsewhere.sync().created == 1
    assert "foreign" in harness.topic_of("vic-padro").tags
    summary = harness.sync()
    assert summary.updated == 1
    tags = harness.topic_of("vic-padro").tags
    assert "km0" in tags and "foreign" not in tags
    assert harness.sync().updated == 0
