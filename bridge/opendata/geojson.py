"""projects.geojson: the public projects at their councils' positions, a GeoJSON
FeatureCollection (RFC 7946) for map tools (issue 24).

One Point feature per public record whose council has a position (the gazetteer's place, else
the position the record gives: bridge.discovery.places.place_of), `[longitude, latitude]` in
WGS 84 (RFC 7946 §3.1.1, §4), its `id` the record's ref. Its properties are public columns of
projects.csv: never a contact. Records without a position are left out (they are in
projects.csv). The same catalogue gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bridge.opendata.tables import iso_utc

GEOJSON = "projects.geojson"
MEDIA_TYPE = "application/geo+json"  # RFC 7946 §12
DESCRIPTION = {
    "en": "The public projects at their councils' positions (GeoJSON, RFC 7946, WGS 84): one "
    "point per project whose council has a known position, with its ref, title, area, kind, "
    "phase, proximity and council.",
    "ca": "Els projectes públics a la posició del seu ens local (GeoJSON, RFC 7946, WGS 84): un "
    "punt per projecte amb posició coneguda, amb la referència, el títol, l'àmbit, el tipus, la "
    "fase, la proximitat i l'ens.",
}


def _position(record: Mapping[str, Any]) -> tuple[float, float] | None:
    from bridge.discovery.places import place_of, position

    found = position(place_of(record))
    return None if found is None else (round(found[1], 6), round(found[0], 6))


def feature_collection(
    records: Iterable[Mapping[str, Any]],
    modified: Mapping[str, datetime],
    discourse_url: str | None,
) -> dict[str, Any]:
    """The FeatureCollection of `records` (the public ones, as tables.public_records gives
    them, in ref order)."""
    features = []
    for record in records:
        where = _position(record)
        if where is None:
            continue
        body = record.get("local_body") or {}
        place = record.get("place") or {}
        topic = record.get("topic_url")
        properties = {
            "ref": record["ref"],
            "title": record.get("title"),
            "area": record.get("area"),
            "kind": record.get("kind"),
            "phase": record.get("phase"),
            "proximity": record.get("proximity"),
            "local_body": body.get("name"),
            "country": body.get("country"),
            "municipality_code": place.get("code") or body.get("municipality_code"),
            "municipality": place.get("name"),
            "topic_url": topic if topic and discourse_url else None,
            "modified": iso_utc(modified[record["ref"]]),
        }
        features.append(
            {
                "type": "Feature",
                "id": record["ref"],
                "geometry": {"type": "Point", "coordinates": [where[0], where[1]]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}
