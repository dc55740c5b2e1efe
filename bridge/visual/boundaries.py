"""The boundaries the maps are drawn on, shipped in bridge/visual/data (see SOURCES.md there,
made by scripts/simplify_boundaries.py from the publishers' files)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points, closed


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: its outer ring, then any holes


@dataclass(frozen=True)
class Boundaries:
    name: str
    attribution: str
    regions: tuple[Region, ...]


@cache
def load(name: str) -> Boundaries:
    """`comarques` (Catalonia) or `europe` (NUTS 0 countries)."""
    text = resources.files("bridge.visual").joinpath(f"data/{name}.geojson").read_text("utf-8")
    data = json.loads(text)
    regions = tuple(
        Region(
            id=feature["id"],
            name=feature["properties"]["name"],
            polygons=tuple(
                tuple(tuple((float(x), float(y)) for x, y in ring) for ring in polygon)
                for polygon in feature["geometry"]["coordinates"]
            ),
        )
        for feature in data["features"]
    )
    return Boundaries(name=name, attribution=data["source"]["attribution"], regions=regions)
