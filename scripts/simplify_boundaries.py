"""Simplify public boundary files into the map's built-in package data (issue 24).

    python scripts/simplify_boundaries.py comarques  SOURCE.geojson
    python scripts/simplify_boundaries.py europe     SOURCE.geojson

Reads a local copy of a public GeoJSON file (never the network) and writes
bridge/visual/data/<name>.geojson: each feature's rings simplified with the Douglas–Peucker
algorithm, coordinates rounded (5 decimals, about 1 m, is far below the tolerance), rings that
shrink below a few points dropped, and the source, licence and attribution recorded in the
collection's `source` member (RFC 7946 §6.1 allows foreign members) and in
bridge/visual/data/SOURCES.md.

Sources used for the shipped files:
- comarques: the Institut Cartogràfic i Geològic de Catalunya's comarques (Divisions
  administratives), licence CC BY 4.0, as republished in GeoJSON (WGS 84) in
  github:aariste/GeoJSON-Mapas and, at full detail, github:cescFT/data-viz-project
  (static-data/comarques_catalunya.geojson, 41 comarques; properties `comarca`, `nom_comar`).
- europe: Eurostat GISCO NUTS 2021 level 0 at 1:60 million, EPSG:4326
  (NUTS_RG_60M_2021_4326_LEVL_0.geojson as GISCO distributes it), copied unmodified in
  github:BIAKuustom/NUTSMaps. © EuroGeographics for the administrative boundaries.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bridge" / "visual" / "data"

Point = tuple[float, float]


SOURCES: dict[str, dict[str, Any]] = {
    "comarques": {
        "name": "Comarques de Catalunya",
        "publisher": "Institut Cartogràfic i Geològic de Catalunya (ICGC)",
        "licence": "CC BY 4.0",
        "attribution": "Límits comarcals © Institut Cartogràfic i Geològic de Catalunya "
        "(CC BY 4.0)",
        "copy": "github:cescFT/data-viz-project static-data/comarques_catalunya.geojson "
        "(from github:aariste/GeoJSON-Mapas)",
        "tolerance_degrees": 0.004,
        "id": "comarca",
        "label": "nom_comar",
    },
    "europe": {
        "name": "NUTS 2021, level 0 (countries), 1:60 million",
        "publisher": "Eurostat, GISCO",
        "licence": "Eurostat copyright notice: reuse authorised with acknowledgement",
        "attribution": "© EuroGeographics for the administrative boundaries; "
        "source: Eurostat GISCO",
        "copy": "github:BIAKuustom/NUTSMaps NUTS_RG_60M_2021_4326_LEVL_0.geojson",
        "tolerance_degrees": 0.05,
        "id": "NUTS_ID",
        "label": "NAME_LATN",
    },
}


def _distance(point: Point, start: Point, end: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker, iterative (rings of thousands of points would recurse deeply)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index >= 0 and worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep, strict=True) if k]


def _ring(ring: list[list[float]], tolerance: float) -> list[list[float]] | None:
    points = [(float(x), float(y)) for x, y, *_ in ring]
    kept = simplify(points, tolerance)
    if len(kept) < 4:  # a closed ring needs three corners and the closing point
        return None
    return [[round(x, 5), round(y, 5)] for x, y in kept]


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"unexpected geometry {geometry['type']}")


def build(name: str, source: Path) -> dict[str, Any]:
    info = SOURCES[name]
    data = json.loads(source.read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = []
    for feature in data["features"]:
        props = feature["properties"]
        polygons = []
        for polygon in _polygons(feature["geometry"]):
            rings = [_ring(r, info["tolerance_degrees"]) for r in polygon]
            if rings and rings[0] is not None:
                polygons.append([r for r in rings if r is not None])
        if not polygons:
            continue
        feature_out: dict[str, Any] = {
            "type": "Feature",
            "id": str(props[info["id"]]),
            "properties": {"name": str(props[info["label"]])},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        }
        features.append(feature_out)
    features.sort(key=lambda f: str(f["id"]))
    return {
        "type": "FeatureCollection",
        "source": {k: v for k, v in info.items() if k not in ("id", "label")},
        "features": features,
    }


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in SOURCES:
        raise SystemExit(__doc__)
    name, source = argv[0], Path(argv[1])
    collection = build(name, source)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.geojson"
    target.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    points = sum(
        len(ring)
        for f in collection["features"]
        for poly in f["geometry"]["coordinates"]
        for ring in poly
    )
    print(
        f"wrote {len(collection['features'])} features, {points} points, "
        f"{target.stat().st_size // 1024} KiB to {target.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
