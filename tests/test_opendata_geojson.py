"""Issue 24: the open data's projects.geojson is GeoJSON (RFC 7946), valid against the official
GeoJSON JSON Schema (tests/data/geojson, with its source), described in datapackage.json and
catalog.jsonld, public records only, the same bytes for the same catalogue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
from plugins.catalogue import make_records, write_records_file

from bridge.opendata.config import OpenDataConfig
from bridge.opendata.geojson import GEOJSON
from bridge.opendata.publish import build

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "geojson" / "FeatureCollection.json").read_text("utf-8")
)


def _records() -> list[dict]:
    olot = {"code": "17114", "name": "Olot", "population": 37975,
            "latitude": 42.18318266, "longitude": 2.484354623}  # fmt: skip
    base = {"title": "T", "area": "citizen-care", "kind": "service", "phase": "pilot",
            "archived": False, "topic_url": None}  # fmt: skip
    return [
        {**base, "ref": "olot", "proximity": "km0", "place": olot,
         "local_body": {"name": "Ajuntament d'Olot", "country": "ES"}},
        {**base, "ref": "gent", "proximity": "foreign", "place": None,
         "local_body": {"name": "Stad Gent", "country": "BE", "latitude": 51.05,
                        "longitude": 3.72}},
        {**base, "ref": "nowhere", "proximity": "foreign", "place": None,
         "local_body": {"name": "Somewhere", "country": "FR"}},
        {**base, "ref": "gone", "proximity": "km0", "place": olot, "archived": True,
         "local_body": {"name": "Ajuntament d'Olot", "country": "ES"}},
    ]  # fmt: skip


def test_geojson_is_valid_against_the_official_schema_and_rfc7946_order():
    records = _records()
    modified = {r["ref"]: datetime(2026, 1, 1, tzinfo=UTC) for r in records}
    package = build(records, modified, OpenDataConfig(), None)
    document = json.loads(package.files[GEOJSON])
    jsonschema.validate(document, SCHEMA)
    assert document["type"] == "FeatureCollection"
    features = {f["id"]: f for f in document["features"]}
    # Public and placed only; [longitude, latitude] (RFC 7946 §3.1.1).
    assert set(features) == {"olot", "gent"}
    assert features["olot"]["geometry"] == {"type": "Point", "coordinates": [2.484355, 42.183183]}
    assert features["gent"]["geometry"]["coordinates"] == [3.72, 51.05]
    olot = features["olot"]["properties"]
    assert olot["municipality_code"] == "17114" and olot["local_body"] == "Ajuntament d'Olot"
    assert not {"contacts", "email", "phone"} & set(olot)
    # A broken document is caught by the same schema (the test can fail).
    broken = {**document, "features": [{"type": "Feature", "geometry": {"type": "Point"}}]}
    try:
        jsonschema.validate(broken, SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema should refuse a point without coordinates")


def test_geojson_described_in_both_descriptors(cli, tmp_path):
    assert cli("import", write_records_file(tmp_path / "r.json", make_records(12))).exit_code == 0
    out = tmp_path / "open"
    assert cli("opendata", out).exit_code == 0
    data = (out / GEOJSON).read_bytes()
    jsonschema.validate(json.loads(data), SCHEMA)
    descriptor = json.loads((out / "datapackage.json").read_text("utf-8"))
    (resource,) = [r for r in descriptor["resources"] if r["path"] == GEOJSON]
    assert resource["mediatype"] == "application/geo+json" and resource["bytes"] == len(data)
    catalog = (out / "catalog.jsonld").read_text("utf-8")
    assert f"catalog.jsonld#{GEOJSON}" in catalog and "application/geo+json" in catalog
    assert "file-type/GEOJSON" in catalog
    assert cli("opendata", out).exit_code == 0 and (out / GEOJSON).read_bytes() == data
