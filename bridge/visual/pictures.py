"""The pictures the forum shows: the overview's maps and charts, and each area's map, with
alt text in the forum's language; and `digicanvis map`'s single map.

Records are those of `projects list --json`; `created` gives each record's first import date
(the catalogue's growth). Everything here is deterministic: the same catalogue and settings
give the same bytes, hence the same SHA-1.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from bridge.discovery.bands import BAND_LABELS
from bridge.settings import Settings
from bridge.visual import figures

OVERVIEW_PICTURES = ("map-km0", "map-foreign", "chart-area-phase", "chart-bands", "chart-growth")


@dataclass(frozen=True)
class Picture:
    key: str  # map-km0 | map-foreign | chart-… | map-km0-<area>
    data: bytes
    alt: str
    fmt: str = "png"

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.data).hexdigest()

    @property
    def filename(self) -> str:
        return f"digicanvis-{self.key}.{self.fmt}"

    @property
    def content_type(self) -> str:
        return "image/png" if self.fmt == "png" else "image/svg+xml"

    @property
    def size(self) -> tuple[int, int]:
        """Pixel width and height (a PNG's IHDR chunk)."""
        if self.fmt != "png" or self.data[12:16] != b"IHDR":
            return (0, 0)
        width, height = struct.unpack(">II", self.data[16:24])
        return int(width), int(height)

    @property
    def display_size(self) -> tuple[int, int]:
        """The size a post shows it at: drawn at twice the forum's width for sharp screens."""
        width, height = self.size
        return width // 2, height // 2


@cache
def _councils() -> tuple[tuple[float, float], ...]:
    """Every Catalan municipality's position (the built-in gazetteer): the map's grey dots, so
    councils without projects are visibly empty."""
    from bridge.places.registries import builtin_rows

    return tuple(
        (row.longitude, row.latitude)
        for row in builtin_rows()
        if row.longitude is not None and row.latitude is not None
    )


def _area_names(settings: Settings) -> dict[str, str]:
    names = {}
    for area in figures.AREAS:
        names[area] = settings.area(area).label(settings.language) if settings.areas else area
    return names


def _map_text(settings: Settings, proximity: str, title: str) -> Any:
    from bridge.visual.boundaries import load
    from bridge.visual.draw import MapText

    label = settings.label
    boundaries = load("comarques" if proximity == "km0" else "europe")
    return MapText(
        title=title,
        areas=_area_names(settings),
        empty_region=label("map_empty_comarca" if proximity == "km0" else "map_empty_country"),
        empty_council=label("map_empty_council"),
        projects=label("map_projects"),
        unplaced=label("map_unplaced"),
        attribution=boundaries.attribution,
    )


def map_picture(
    records: Sequence[Mapping[str, Any]],
    settings: Settings,
    proximity: str,
    *,
    area: str | None = None,
    fmt: str = "png",
    key: str | None = None,
) -> Picture:
    """The map of one proximity's projects (Catalonia's comarques for km0, Europe's countries
    for foreign), of one area or of all."""
    from bridge.visual.boundaries import load
    from bridge.visual.draw import draw_map

    label = settings.label
    data = figures.map_data(records, proximity, area)
    names = _area_names(settings)
    if area and proximity == "km0":
        title = label("map_area_title").replace("{area}", names.get(area, area))
        alt = label("alt_map_area").replace("{area}", names.get(area, area))
    elif area:
        title = f"{label('map_foreign_title')}: {names.get(area, area)}"
        alt = f"{label('alt_map_foreign')} ({names.get(area, area)})"
    else:
        title = label(f"map_{proximity}_title")
        alt = label(f"alt_map_{proximity}")
    alt = alt.replace("{count}", str(data.placed))
    boundaries = load("comarques" if proximity == "km0" else "europe")
    text = _map_text(settings, proximity, title)
    councils = _councils() if proximity == "km0" else ()
    data_bytes = draw_map(data, boundaries, text, councils=councils, fmt=fmt)
    default_key = f"map-{proximity}" + (f"-{area}" if area else "")
    return Picture(key or default_key, data_bytes, alt, fmt)


def _summary(pairs: Sequence[tuple[str, int]]) -> str:
    return "; ".join(f"{name}: {count}" for name, count in pairs)


def chart_pictures(
    records: Sequence[Mapping[str, Any]], created: Sequence[date], settings: Settings
) -> list[Picture]:
    from bridge.visual.draw import draw_area_phase, draw_bands, draw_growth

    label = settings.label
    names = _area_names(settings)
    table = figures.area_phase(records)
    phases = {p: label(p) for p in figures.PHASES}
    area_phase = draw_area_phase(table, label("chart_area_phase"), names, phases)
    area_alt = label("alt_area_phase").replace(
        "{summary}",
        _summary([(names[a], sum(table[a].values())) for a in figures.AREAS]),
    )
    counts, unknown = figures.band_counts(records)
    bands = draw_bands(
        counts,
        unknown,
        label("chart_bands"),
        BAND_LABELS,
        label("chart_bands_unknown"),
        label("chart_bands_axis"),
    )
    band_pairs = list(zip(BAND_LABELS, counts, strict=True))
    if unknown:
        band_pairs.append((label("chart_bands_unknown"), unknown))
    bands_alt = label("alt_bands").replace("{summary}", _summary(band_pairs))
    points = figures.growth(created)
    growth = draw_growth(points, label("chart_growth"))
    if points:
        growth_alt = (
            label("alt_growth")
            .replace("{first}", str(points[0][1]))
            .replace("{start}", points[0][0].strftime("%Y-%m"))
            .replace("{last}", str(points[-1][1]))
            .replace("{end}", points[-1][0].strftime("%Y-%m"))
        )
    else:
        growth_alt = label("chart_growth")
    return [
        Picture("chart-area-phase", area_phase, area_alt),
        Picture("chart-bands", bands, bands_alt),
        Picture("chart-growth", growth, growth_alt),
    ]


def overview_pictures(
    records: Sequence[Mapping[str, Any]], created: Sequence[date], settings: Settings
) -> list[Picture]:
    """The overview topic's pictures, in the order it shows them (OVERVIEW_PICTURES)."""
    return [
        map_picture(records, settings, "km0"),
        map_picture(records, settings, "foreign"),
        *chart_pictures(records, created, settings),
    ]


def area_picture(records: Sequence[Mapping[str, Any]], settings: Settings, area: str) -> Picture:
    """An area's index topic picture: its Km0 projects on the map of Catalonia."""
    return map_picture(records, settings, "km0", area=area)
