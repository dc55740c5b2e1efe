"""`digicanvis opendata DIR` (issue 13): the public catalogue as a Frictionless Data Package and a
DCAT-AP description. Checked with the `frictionless` library (every row of every resource against
its schema, keys included) and `rdflib` (the mandatory DCAT-AP properties), on SQLite and
PostgreSQL, with the real inventories of ../shared/data."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from subprocess import PIPE
from typing import Any

import frictionless
import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_record, make_records, write_records_file
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from sqlmodel import Session, select
from tests_support import repo_config_with, terminate, wait_for

from bridge.catalogue.canonical import record_dict
from bridge.catalogue.importer import run_import
from bridge.catalogue.schema import RecordIn
from bridge.catalogue.store import set_archived
from bridge.models import SyncRun
from bridge.models.enums import Area, DocumentKind, Kind, Phase, Proximity, values
from bridge.opendata import writer
from bridge.opendata.config import OpenDataConfig
from bridge.opendata.dictionary import TABLES
from bridge.opendata.package import Publisher, datapackage, json_bytes
from bridge.opendata.publish import FILE_NAMES, build
from bridge.opendata.writer import write_directory

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority"


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _validate(directory: Path) -> frictionless.Report:
    report = frictionless.validate(str(directory / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    return report


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    text = (directory / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _import(cli: Callable[..., Run], tmp_path: Path, records: list[dict[str, Any]]) -> None:
    result = cli("import", write_records_file(tmp_path / "records.json", records))
    assert result.exit_code == 0, result.stderr[:2000]


# --------------------------------------------------------------------------- the package


@pytest.mark.shared
def test_the_real_catalogue_is_a_valid_data_package_row_by_row(
    cli: Callable[..., Run], tmp_path: Path, real_world_records: list[dict[str, Any]]
) -> None:
    _import(cli, tmp_path, real_world_records)
    out = tmp_path / "open"
    result = cli("opendata", out, "--json")
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert summary["changed"] is True and summary["projects"] == len(real_world_records)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES)
    report = _validate(out)
    # The issue's own check: `frictionless validate DIR/datapackage.json` says valid.
    command = [sys.executable, "-m", "frictionless", "validate", "--json"]
    said = subprocess.run([*command, str(out / "datapackage.json")], capture_output=True)
    assert said.returncode == 0 and json.loads(said.stdout)["valid"] is True
    # Every row was read and checked, keys and foreign keys included.
    # (The GeoJSON of issue 24 is no table: tests/test_opendata_geojson.py reads it.)
    rows = {
        task.name: task.stats.get("rows", 0)
        for task in report.tasks
        if task.name != "projects-geojson"
    }
    documents = sum(len(r.get("documents", [])) for r in real_world_records)
    assert rows == {
        "projects": len(real_world_records),
        "documents": documents,
        "contacts": 0,
        "kpis": 0,
        "inspirations": 0,  # issue 22 point 5: the real records declare no relation
    }
    # The rows are the records, as the publisher gave them (multi-line text, accents, long text),
    # except what the import normalises with a warning (contract §4: one-line fields such as a
    # title or a name lose line breaks and runs of spaces; every text its surrounding spaces).
    by_ref = {row["ref"]: row for row in _rows(out, "projects")}
    for record in real_world_records:
        row = by_ref[record["ref"]]
        assert row["title"] == " ".join(record["title"].split())
        assert row["description"] == record["description"].strip()
        assert row["local_body_name"] == " ".join(record["local_body"]["name"].split())
        assert row["area"] == record["area"] and row["phase"] == record["phase"]


def _place_for(shared: Path) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """Places as the intake branch resolves them, built from the real registries."""
    catalan: dict[str, dict[str, str]] = {}
    with open(shared / "data" / "cat_municipis_947.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            catalan[row["codi_ine"]] = row
    utrecht = None
    with open(shared / "data" / "eu_lau_centres_2020_nuts2021.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["country"] == "NL" and row["lau_name"] == "Utrecht":
                utrecht = row
                break
    assert utrecht is not None

    def place(record: dict[str, Any]) -> dict[str, Any] | None:
        code = record["local_body"].get("municipality_code")
        if code in catalan:
            row = catalan[code]
            return {
                "code": row["codi_ine"],
                "name": row["nom"],
                "country": "ES",
                "population": int(row["poblacio"]),
                "latitude": float(row["latitud"]),
                "longitude": float(row["longitud"]),
                "area_km2": float(row["superficie_ha_ign"]) / 100,
                "comarca": row["nom_comarca"],
                "province": row["provincia"],
            }
        if record["local_body"]["name"] == "Gemeente Utrecht" and utrecht:
            return {
                "code": utrecht["lau_id"],
                "name": utrecht["lau_name"],
                "country": "NL",
                "population": int(utrecht["population"]),
                "latitude": float(utrecht["latitude"]),
                "longitude": float(utrecht["longitude"]),
                "area_km2": float(utrecht["area_km2"]),
                "nuts3": utrecht["nuts_3"],
            }
        return None

    return place


def _listed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records shaped as `projects list --json` prints them (the inputs of `build`)."""
    listed = []
    for n, record in enumerate(records):
        listed.append(
            {
                **record,
                "proximity": record.get("proximity", "km0" if n % 2 else "foreign"),
                "archived": False,
                "topic_id": n + 1,
                "topic_url": f"https://forum.example.cat/t/topic-{n}/{n + 1}",
                "activity": {
                    "replies": n % 5,
                    "views": 10 * n,
                    "likes": n % 3,
                    "participants": n % 4,
                    "last_posted_at": f"2026-03-{1 + n % 28:02d}T10:15:30.123456+01:00",
                },
            }
        )
    return listed


@pytest.mark.shared
def test_places_are_columns_of_their_own_and_validate(shared_dir: Path, tmp_path: Path) -> None:
    place = _place_for(shared_dir)
    records = _listed(make_records(60))
    for record in records:
        record["place"] = place(record)
    assert any(r["place"] and "nuts3" in r["place"] for r in records)
    assert any(r["place"] is None for r in records)
    modified = {r["ref"]: datetime(2026, 5, 1, 12, 0, n, tzinfo=UTC) for n, r in enumerate(records)}
    package = build(records, modified, OpenDataConfig(), "https://forum.example.cat")
    write_directory(tmp_path / "open", package.files)
    _validate(tmp_path / "open")
    rows = {row["ref"]: row for row in _rows(tmp_path / "open", "projects")}
    for record in records:
        row, where = rows[record["ref"]], record["place"]
        if where is None:
            assert all(row[f"place_{k}"] == "" for k in ("code", "name", "population"))
            continue
        assert row["place_code"] == where["code"] and row["place_name"] == where["name"]
        assert int(row["place_population"]) == where["population"]
        assert float(row["place_latitude"]) == where["latitude"]
        assert row["place_comarca"] == where.get("comarca", "")
        assert row["place_nuts3"] == where.get("nuts3", "")
    # Activity times are written in UTC.
    first = rows[records[0]["ref"]]
    assert first["forum_last_posted_at"] == "2026-03-01T09:15:30Z"
    assert first["modified"] == "2026-05-01T12:00:00Z"


def test_the_data_dictionary_describes_every_field(tmp_path: Path) -> None:
    records = _listed(make_records(8))
    modified = {r["ref"]: datetime(2026, 1, 1, tzinfo=UTC) for r in records}
    package = build(records, modified, OpenDataConfig(), None)
    descriptor = json.loads(package.files["datapackage.json"])
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["sources"] and all(s["title"] for s in descriptor["sources"])
    resources = {r["name"]: r for r in descriptor["resources"]}
    # The GeoJSON of issue 24 is a resource without a table schema (test_opendata_geojson.py).
    assert resources.pop("projects-geojson")["path"] == "projects.geojson"
    # kpis: issue 25; inspirations: issue 22 point 5
    assert set(resources) == {"projects", "documents", "contacts", "kpis", "inspirations"}
    for resource in resources.values():
        for field in resource["schema"]["fields"]:
            assert field["type"] in ("string", "integer", "number", "datetime")
            assert field["description"].strip() and field["description_ca"].strip()
            assert field["description"] != field["description_ca"]
    fields = {name: {f["name"]: f for f in r["schema"]["fields"]} for name, r in resources.items()}
    enums = {name: f["constraints"]["enum"] for name, f in fields["projects"].items()
             if "enum" in f.get("constraints", {})}  # fmt: skip
    assert enums == {
        "area": values(Area),
        "kind": values(Kind),
        "phase": values(Phase),
        "proximity": values(Proximity),
        # issue 25's evidence
        "team_external": ["true", "false"],
        "evidence_population_source": ["gazetteer", "record"],
    }
    assert fields["documents"]["kind"]["constraints"]["enum"] == values(DocumentKind)
    assert resources["projects"]["schema"]["primaryKey"] == ["ref"]
    for name in ("documents", "contacts"):
        schema = resources[name]["schema"]
        assert schema["primaryKey"] == ["ref", "position"]
        assert schema["foreignKeys"] == [
            {"fields": ["ref"], "reference": {"resource": "projects", "fields": ["ref"]}}
        ]
    # Every public field of a full record (contract §4) has its column.
    full = RecordIn.model_validate(make_record(0, proximity="km0"))
    record = record_dict(full.view())  # type: ignore[arg-type]
    sources = {c.source for t in TABLES for c in t.columns}
    for key, value in record.items():
        if key in ("contacts", "documents"):
            continue
        paths = [(key, sub) for sub in value] if isinstance(value, dict) else [(key,)]
        for path in paths:
            assert path in sources, f"{'.'.join(path)} has no column"


@pytest.mark.parametrize(
    ("table", "old", "new", "error"),
    [
        ("documents.csv", b"projecte-00000,", b"no-such-ref,", "foreign-key"),
        ("projects.csv", b",citizen-care,", b",citizen-cares,", "constraint-error"),
        ("projects.csv", b",12848,", b",12848.5,", "type-error"),
    ],
    ids=["dangling-ref", "not-an-area", "not-an-integer"],
)
def test_a_broken_row_is_caught_by_the_schema(
    tmp_path: Path, table: str, old: bytes, new: bytes, error: str
) -> None:
    """The validation has teeth: a row that breaks the dictionary makes the package invalid."""
    records = _listed(make_records(4))
    modified = {r["ref"]: datetime(2026, 1, 1, tzinfo=UTC) for r in records}
    config = OpenDataConfig()
    files = dict(build(records, modified, config, None).files)
    assert old in files[table]
    files[table] = files[table].replace(old, new)
    # A descriptor that matches the tampered bytes, so only the row itself can be at fault.
    files["datapackage.json"] = json_bytes(datapackage(Publisher.from_config(config, None), files))
    write_directory(tmp_path / "open", files)
    report = frictionless.validate(str(tmp_path / "open" / "datapackage.json"))
    assert not report.valid
    assert {row[0] for row in report.flatten(["type"])} == {error}


def test_an_empty_catalogue_is_a_valid_empty_package(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    out = tmp_path / "open"
    result = cli("opendata", out, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["projects"] == 0 and result.json()["modified"] is None
    _validate(out)
    assert all(_rows(out, table.name) == [] for table in TABLES)
    graph = _graph(out)
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert list(graph.objects(dataset, DCTERMS.modified)) == []  # no public record, no change
    # The five tables (kpis: issue 25; inspirations: issue 22 point 5), the GeoJSON (issue 24)
    # and datapackage.json.
    assert len(list(graph.objects(dataset, DCAT.distribution))) == 7


# --------------------------------------------------------------------------- privacy


def test_no_email_or_phone_and_no_private_contact_appears_anywhere(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials in the forum's URL stay out of the open data too.
    monkeypatch.setenv("DISCOURSE_URL", "https://bridge-bot:s3cr3t-pw@forum.example.cat")
    records = make_records(6)
    records[0]["contacts"] = [
        {
            "name": "Núria Privada",
            "role": "Secretària",
            "email": "nuria.privada@ajuntament.cat",
            "phone": "+34 972 111 222",
            "forum_username": "nuriaprivada",
            "public": False,
        },
        {
            "name": "Pere Públic",
            "role": "Cap de projecte",
            "email": "pere.public@ajuntament.cat",
            "phone": "+34 972 333 444",
            "forum_username": "pere.public",
            "public": True,
        },
    ]
    _import(cli, tmp_path, records)
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    _validate(out)
    everything = b"".join(_files(out).values()).decode("utf-8")
    for secret in (
        "s3cr3t-pw",
        "bridge-bot",
        "nuria.privada@ajuntament.cat",
        "+34 972 111 222",
        "Núria Privada",
        "nuriaprivada",
        "pere.public@ajuntament.cat",
        "+34 972 333 444",
    ):
        assert secret not in everything
    for record in records:  # the generated records' own contacts too
        for contact in record.get("contacts", []):
            for key in ("email", "phone"):
                if contact.get(key):
                    assert contact[key] not in everything
    contacts = [row for row in _rows(out, "contacts") if row["ref"] == records[0]["ref"]]
    assert contacts == [
        {
            "ref": records[0]["ref"],
            "position": "0",
            "name": "Pere Públic",
            "role": "Cap de projecte",
            "forum_username": "pere.public",
            "forum_profile": "https://forum.example.cat/u/pere.public",
        }
    ]


def test_archived_records_never_appear(cli: Callable[..., Run], tmp_path: Path) -> None:
    records = make_records(12)
    _import(cli, tmp_path, records)
    gone = records[4]  # it has documents and contacts
    assert gone.get("documents") and gone.get("contacts")
    assert cli("projects", "archive", gone["ref"]).exit_code == 0
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    _validate(out)
    for name, data in _files(out).items():
        assert gone["ref"].encode() not in data, name
        assert gone["documents"][0]["url"].encode() not in data, name
    assert len(_rows(out, "projects")) == 11
    # Restored, it is back.
    assert cli("projects", "restore", gone["ref"]).exit_code == 0
    assert cli("opendata", out).exit_code == 0
    assert gone["ref"] in {row["ref"] for row in _rows(out, "projects")}


# --------------------------------------------------------------------------- DCAT-AP


def _graph(directory: Path) -> Graph:
    graph = Graph()
    graph.parse(directory / "catalog.jsonld", format="json-ld")
    return graph


def _one(graph: Graph, subject: Any, predicate: Any) -> Any:
    objects = list(graph.objects(subject, predicate))
    assert len(objects) == 1, (subject, predicate, objects)
    return objects[0]


def _languages(graph: Graph, subject: Any, predicate: Any) -> set[str]:
    return {str(o.language) for o in graph.objects(subject, predicate) if isinstance(o, Literal)}


def test_the_dcat_description_carries_the_mandatory_dcat_ap_properties(
    cli: Callable[..., Run], tmp_path: Path, engine: sa.Engine
) -> None:
    records = make_records(9)
    _import(cli, tmp_path, records)
    # The latest change of a public record is "modified"; a later archive does not count.
    changed = dict(records[3], title="Títol canviat més tard")
    result = cli("import", write_records_file(tmp_path / "change.json", [changed]))
    assert result.exit_code == 0
    assert cli("projects", "archive", records[5]["ref"]).exit_code == 0
    out = tmp_path / "open"
    base = "https://dades.example.cat/digicanvis"
    assert cli("opendata", out, "--base-url", base + "/").exit_code == 0
    graph = _graph(out)

    # DCAT-AP 3.0.0 SHACL (releases/3.0.0/html/shacl/shapes.ttl): Catalog title, description,
    # publisher (exactly one); Dataset title, description; Distribution accessURL; Agent name.
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    catalogue = catalogues[0]
    assert _languages(graph, catalogue, DCTERMS.title) == {"ca", "es", "en"}
    assert _languages(graph, catalogue, DCTERMS.description) == {"ca", "es", "en"}
    publisher = _one(graph, catalogue, DCTERMS.publisher)
    assert str(_one(graph, publisher, FOAF.name)) == "DigiCanvis"
    assert _one(graph, catalogue, FOAF.homepage)
    dataset = _one(graph, catalogue, DCAT.dataset)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert _languages(graph, dataset, DCTERMS.title) == {"ca", "es", "en"}
    assert _languages(graph, dataset, DCTERMS.description) == {"ca", "es", "en"}
    assert _languages(graph, dataset, DCAT.keyword) == {"ca", "es", "en"}
    themes = set(graph.objects(dataset, DCAT.theme))
    assert URIRef(f"{EU}/data-theme/GOVE") in themes
    for theme in themes:  # DCAT-AP: a concept has a preferred label
        assert (theme, RDF.type, SKOS.Concept) in graph and _one(graph, theme, SKOS.prefLabel)
    spatial = set(graph.objects(dataset, DCTERMS.spatial))
    # The public records' local bodies are in Spain and the Netherlands; Italy's (Bologna) was
    # archived.
    countries = {str(s) for s in spatial if str(s).startswith(f"{EU}/country/")}
    assert countries == {f"{EU}/country/ESP", f"{EU}/country/NLD"}
    assert any((s, DCAT.bbox, None) in graph for s in spatial)
    contact = _one(graph, dataset, DCAT.contactPoint)
    assert _one(graph, contact, VCARD.fn) and _one(graph, contact, VCARD.hasURL)
    licence = URIRef(f"{EU}/licence/CC_BY_4_0")
    assert _one(graph, dataset, DCTERMS.license) == licence

    modified = _one(graph, dataset, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    shown = cli("projects", "show", changed["ref"], "--json").json()
    latest = datetime.fromisoformat(shown["updated_at"]).replace(microsecond=0)
    assert modified.toPython() == latest
    archived_at = datetime.fromisoformat(
        cli("projects", "show", records[5]["ref"], "--json").json()["updated_at"]
    )
    assert archived_at > datetime.fromisoformat(shown["updated_at"])

    # One distribution per file of the package, each under the base URL and of its real size.
    distributions = set(graph.objects(dataset, DCAT.distribution))
    urls = {}
    for distribution in distributions:
        access = str(_one(graph, distribution, DCAT.accessURL))
        assert access == str(_one(graph, distribution, DCAT.downloadURL))
        assert access.startswith(base + "/")
        urls[access.removeprefix(base + "/")] = distribution
        assert _one(graph, distribution, DCAT.mediaType)
        assert str(_one(graph, distribution, DCTERMS["format"])).startswith(f"{EU}/file-type/")
        assert _one(graph, distribution, DCTERMS.license) == licence
    assert set(urls) == set(FILE_NAMES) - {"catalog.jsonld"}
    for name, distribution in urls.items():
        size = _one(graph, distribution, DCAT.byteSize).toPython()
        assert size == (out / name).stat().st_size


def test_licence_publisher_and_base_url_come_from_the_toml_file(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = repo_config_with(
        """[opendata.licence]
id = "CC-BY-4.0"
title = "Creative Commons Attribution 4.0 International"
url = "https://creativecommons.org/licenses/by/4.0/"
# The same licence in the EU's licence table, which DCAT-AP portals expect.
dcat_uri = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
""",
        """[opendata.licence]
id = "CC0-1.0"
title = "Creative Commons Zero 1.0"
url = "https://creativecommons.org/publicdomain/zero/1.0/"
dcat_uri = "http://publications.europa.eu/resource/authority/licence/CC0"
""",
    )
    text = text.replace(
        'base_url = "https://observatori.digicanvis.example/opendata"',
        'base_url = "https://dades.consorci.example/observatori/"\n'
        'contact_email = "dades@consorci.example"',
    ).replace('publisher = "DigiCanvis"', 'publisher = "Consorci Exemple"')
    config = tmp_path / "bridge.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("BRIDGE_CONFIG", str(config))
    _import(cli, tmp_path, make_records(3))
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    descriptor = json.loads((out / "datapackage.json").read_bytes())
    assert descriptor["licenses"] == [
        {
            "name": "CC0-1.0",
            "path": "https://creativecommons.org/publicdomain/zero/1.0/",
            "title": "Creative Commons Zero 1.0",
        }
    ]
    assert descriptor["contributors"] == [{"title": "Consorci Exemple", "role": "publisher"}]
    graph = _graph(out)
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert _one(graph, dataset, DCTERMS.license) == URIRef(f"{EU}/licence/CC0")
    publisher = _one(graph, dataset, DCTERMS.publisher)
    assert str(_one(graph, publisher, FOAF.name)) == "Consorci Exemple"
    contact = _one(graph, dataset, DCAT.contactPoint)
    assert _one(graph, contact, VCARD.hasEmail) == URIRef("mailto:dades@consorci.example")
    for distribution in graph.objects(dataset, DCAT.distribution):
        assert _one(graph, distribution, DCTERMS.license) == URIRef(f"{EU}/licence/CC0")
        url = str(_one(graph, distribution, DCAT.downloadURL))
        assert url.startswith("https://dades.consorci.example/observatori/")
        assert "//" not in url.removeprefix("https://")


# --------------------------------------------------------------------------- determinism


def test_the_same_catalogue_gives_the_same_bytes(cli: Callable[..., Run], tmp_path: Path) -> None:
    _import(cli, tmp_path, make_records(25))
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("opendata", first).exit_code == 0
    assert cli("opendata", second).exit_code == 0
    assert _files(first) == _files(second)
    # Again into the same directory: nothing is written (not even the same bytes).
    inode = first.stat().st_ino
    stamps = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
    again = cli("opendata", first, "--json")
    assert again.exit_code == 0 and again.json()["changed"] is False
    assert first.stat().st_ino == inode
    assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == stamps


def test_input_order_does_not_change_the_bytes() -> None:
    records = _listed(make_records(30))
    modified = {r["ref"]: datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC) for r in records}
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    config = OpenDataConfig()
    assert (
        build(records, modified, config, None).files
        == build(shuffled, dict(reversed(list(modified.items()))), config, None).files
    )


# --------------------------------------------------------------------------- atomicity


def _fail_on_nth(monkeypatch: pytest.MonkeyPatch, name: str, n: int) -> None:
    real = getattr(os, name)
    calls = {"n": 0}

    def flaky(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(writer.os, name, flaky)


@pytest.mark.parametrize(
    ("call", "n"),
    [("fsync", 3), ("rename", 2)],  # disk full mid-write; the swap's second rename refused
    ids=["while-writing", "while-swapping"],
)
def test_a_failed_write_leaves_the_good_package_in_place(
    cli: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    call: str,
    n: int,
) -> None:
    records = make_records(10)
    _import(cli, tmp_path, records)
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    good = _files(out)
    _import(cli, tmp_path, [*records, make_record(99)])
    with monkeypatch.context() as patch:
        _fail_on_nth(patch, call, n)
        failed = cli("opendata", out)
    assert failed.exit_code == 2 and "No space left on device" in failed.stderr
    assert _files(out) == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".open")) == []
    _validate(out)
    assert cli("opendata", out).exit_code == 0
    assert make_record(99)["ref"] in {row["ref"] for row in _rows(out, "projects")}


def test_two_writers_of_one_directory_take_turns(tmp_path: Path) -> None:
    """The scheduler and an administrator may refresh one DIR at the same moment: each write
    lands whole, none fails, nothing is left beside DIR."""
    config = OpenDataConfig()
    packages = []
    for start in (0, 50):
        records = _listed(make_records(40, start=start))
        modified = {r["ref"]: datetime(2026, 1, 1, tzinfo=UTC) for r in records}
        packages.append(build(records, modified, config, None).files)
    out = tmp_path / "open"
    errors: list[BaseException] = []

    def write(files: dict[str, bytes]) -> None:
        try:
            for _ in range(15):
                write_directory(out, files)
                write_directory(out, packages[0] if files is packages[1] else packages[1])
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(files,)) for files in packages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _files(out) in packages
    assert [p.name for p in tmp_path.iterdir()] == ["open"]


def test_a_directory_holding_other_things_is_refused(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    _import(cli, tmp_path, make_records(3))
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.odt").write_bytes(b"years of work")
    result = cli("opendata", mine)
    assert result.exit_code == 2 and "thesis.odt" in result.stderr
    assert _files(mine) == {"thesis.odt": b"years of work"}
    bad = cli("opendata", tmp_path / "x", "--base-url", "ftp://nope")
    assert bad.exit_code == 2 and "--base-url" in bad.stderr


# --------------------------------------------------------------------------- schedule --opendata


def _finished_pulls(engine: sa.Engine) -> int:
    with Session(engine) as session:
        runs = session.exec(select(SyncRun).where(SyncRun.kind == "pull")).all()
        return sum(1 for run in runs if run.finished_at is not None)


def _refs_published(directory: Path) -> set[str] | None:
    try:
        return {row["ref"] for row in _rows(directory, "projects")}
    except FileNotFoundError:  # between the two renames of a swap
        return None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_schedule_refreshes_the_open_data_only_when_the_public_catalogue_changed(
    bridge_env: Any, engine: sa.Engine, emulator: Any, tmp_path: Path
) -> None:
    records = make_records(6)
    outcome = run_import(engine, [write_records_file(tmp_path / "records.json", records)])
    assert not outcome.problems
    env = dict(
        os.environ,
        DISCOURSE_URL=emulator.url,
        DISCOURSE_API_KEY=emulator.api_key,
        BRIDGE_RATE_LIMIT_PER_MINUTE="0",
    )
    out = tmp_path / "open"
    command = [sys.executable, "-m", "bridge", "schedule", "--every", "1s", "--opendata", str(out)]
    proc = subprocess.Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        wait_for(lambda: _refs_published(out) == {r["ref"] for r in records}, timeout=60)
        # Written after the first sync: every record already has its topic's URL.
        assert all(row["topic_url"].startswith(emulator.url) for row in _rows(out, "projects"))
        inode, pulls = out.stat().st_ino, _finished_pulls(engine)
        wait_for(lambda: _finished_pulls(engine) >= pulls + 2, timeout=60)
        assert out.stat().st_ino == inode  # unchanged catalogue: DIR was not rewritten
        set_archived(engine, records[1]["ref"], True)
        wait_for(lambda: records[1]["ref"] not in (_refs_published(out) or {records[1]["ref"]}))
        _validate(out)
    finally:
        _, stderr = terminate(proc)
    assert proc.returncode == 0, stderr
    assert "opendata:" in stderr and emulator.api_key not in stderr


def test_schedule_refuses_a_directory_it_may_not_replace(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCOURSE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DISCOURSE_API_KEY", "k" * 64)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("schedule", "--every", "1h", "--opendata", mine)
    assert result.exit_code == 2 and "--opendata" in result.stderr and "notes.txt" in result.stderr
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_bad_opendata_section_is_a_clear_configuration_error(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(
        repo_config_with('themes = ["GOVE", "REGI", "TECH"]', 'themes = ["GOVE", "CULTURE"]'),
        encoding="utf-8",
    )
    monkeypatch.setenv("BRIDGE_CONFIG", str(config))
    result = cli("opendata", tmp_path / "open")
    assert result.exit_code == 2 and "opendata.themes" in result.stderr
    assert not (tmp_path / "open").exists()
