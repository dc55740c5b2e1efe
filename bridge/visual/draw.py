"""Drawing the maps and charts with matplotlib (Agg, no pyplot: no global figure state, no
display), and their bytes.

The same data gives the same bytes: one font (DejaVu Sans, shipped with matplotlib), PNG
without the `Software` text chunk, SVG without its date and with a fixed `svg.hashsalt` (the
ids matplotlib writes into an SVG are random otherwise), text drawn as paths. That is what lets
the sync upload a picture and rewrite a topic only when what the picture shows changed.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: nothing here may open a window

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from bridge.visual.boundaries import Boundaries
from bridge.visual.figures import AREAS, PHASES, MapData, Mark

# Discourse shows a post's images at most `max_image_width` (690) px wide (core
# config/site_settings.yml, files:); drawn at twice that for sharp screens.
FORUM_WIDTH_PX = 690
DPI = 200
WIDTH_IN = FORUM_WIDTH_PX * 2 / DPI

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), one per area.
AREA_COLOURS = dict(
    zip(AREAS, ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"), strict=True)
)
PHASE_COLOURS = dict(zip(PHASES, ("#c6dbef", "#6baed6", "#08519c"), strict=True))
EMPTY_FILL = "#e6e6e6"  # a comarca with no project
USED_FILL = "#ffffff"
EDGE = "#8c8c8c"
COUNCIL_DOT = "#b0b0b0"
MAX_LABELS = 40  # counts written on a map

STYLE: Any = {  # typed loosely: matplotlib's stubs list every rc key as a Literal
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "svg.hashsalt": "digicanvis",
    "svg.fonttype": "path",
    "path.simplify": True,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}

# Catalonia and Europe as the maps frame them (longitude, latitude).
CATALONIA_EXTENT = (0.1, 3.4, 40.45, 42.9)
EUROPE_EXTENT = (-11.0, 31.0, 35.0, 66.0)
MAP_HEIGHT_IN = WIDTH_IN * 500 / 690  # the forum shows images up to 690 × 500 px


@dataclass(frozen=True)
class MapText:
    title: str
    areas: Mapping[str, str]  # area → its name in the forum's language
    empty_region: str  # legend: a comarca (or country) without projects
    empty_council: str  # legend: a council without projects
    projects: str  # "{count} projects" for the size legend
    unplaced: str  # "{count} projects without a position" ("" to leave out)
    attribution: str


def _new_figure(height_in: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def to_bytes(figure: Figure, fmt: str) -> bytes:
    """PNG or SVG bytes of a figure, the same for the same drawing."""
    buffer = io.BytesIO()
    with rc_context(STYLE):
        if fmt == "png":
            figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        elif fmt == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        else:
            raise ValueError(f"unknown picture format {fmt!r} (png or svg)")
    return buffer.getvalue()


def _size(count: int) -> float:
    """A mark's area in points², growing with its projects but less than linearly, so one
    city with a hundred projects does not cover its comarca."""
    return min(14.0 * count**0.75, 1100.0)


def _spread(marks: Sequence[Mark], step: float) -> list[tuple[Mark, float, float]]:
    """Marks of several areas at one council, set around it (fixed angles by area) so none
    hides another; a council's single mark stays where it is."""
    at: dict[tuple[float, float], list[Mark]] = defaultdict(list)
    for mark in marks:
        at[(mark.longitude, mark.latitude)].append(mark)
    placed = []
    for (lon, lat), group in at.items():
        if len(group) == 1:
            placed.append((group[0], lon, lat))
            continue
        for mark in group:
            angle = 2 * math.pi * AREAS.index(mark.area) / len(AREAS)
            radius = step * (1 + math.sqrt(max(m.count for m in group)) / 6)
            placed.append((mark, lon + radius * math.cos(angle), lat + radius * math.sin(angle)))
    # Large marks first: the small ones stay visible on top.
    placed.sort(key=lambda item: (-item[0].count, AREAS.index(item[0].area), item[1], item[2]))
    return placed


def _regions(axes: Any, boundaries: Boundaries, used: set[str]) -> None:
    polygons, colours = [], []
    for region in boundaries.regions:
        for polygon in region.polygons:
            polygons.append(polygon[0])
            colours.append(USED_FILL if region.id in used else EMPTY_FILL)
    axes.add_collection(
        PolyCollection(polygons, facecolors=colours, edgecolors=EDGE, linewidths=0.4, zorder=1)
    )


# A point no simplified outline holds (a coastal town the simplification left at sea: Helsinki,
# Tallinn) belongs to the region with the nearest outline vertex, when one is this close (degrees).
COAST_TOLERANCE = 0.5


def _distance_to_outline(ring: Any, point: Any) -> float:
    """The shortest distance from `point` to the ring's edges (not only its vertices: a
    simplified outline has few, far apart)."""
    import numpy as np

    start, end = ring, np.roll(ring, -1, axis=0)
    edge = end - start
    length = np.einsum("ij,ij->i", edge, edge)
    along = np.clip(
        np.einsum("ij,ij->i", point - start, edge) / np.where(length == 0, 1, length), 0, 1
    )
    nearest = start + along[:, None] * edge
    return float(np.min(np.hypot(*(nearest - point).T)))


def _regions_used(boundaries: Boundaries, points: Sequence[tuple[float, float]]) -> set[str]:
    """Regions holding at least one of the points (by their outer rings, or the nearest outline
    within COAST_TOLERANCE for a point that none holds)."""
    import numpy as np

    used: set[str] = set()
    if not points:
        return used
    at = np.asarray(points, dtype=float)
    held = np.zeros(len(at), dtype=bool)
    for region in boundaries.regions:
        for polygon in region.polygons:
            inside = MplPath(polygon[0]).contains_points(at)
            if inside.any():
                used.add(region.id)
                held |= inside
    for point in at[~held]:
        nearest, best = None, COAST_TOLERANCE
        for region in boundaries.regions:
            for polygon in region.polygons:
                distance = _distance_to_outline(np.asarray(polygon[0], dtype=float), point)
                if distance < best:
                    nearest, best = region.id, distance
        if nearest is not None:
            used.add(nearest)
    return used


def _extent(data: MapData, catalonia: bool) -> tuple[float, float, float, float]:
    """The frame: Catalonia, or Europe widened to any mark outside it (the Canaries, say)."""
    if catalonia:
        return CATALONIA_EXTENT
    west, east, south, north = EUROPE_EXTENT
    for mark in data.marks:
        west, east = min(west, mark.longitude - 2), max(east, mark.longitude + 2)
        south, north = min(south, mark.latitude - 2), max(north, mark.latitude + 2)
    return west, east, south, north


def draw_map(
    data: MapData,
    boundaries: Boundaries,
    text: MapText,
    *,
    councils: Sequence[tuple[float, float]] = (),
    fmt: str = "png",
) -> bytes:
    """A map of one proximity's projects: regions without projects shaded, every known
    council a small grey dot, each council's projects a mark coloured by area and sized by
    count (the count written in marks of five or more). Landscape, the legend on the right,
    so the forum shows it whole at its width (max_image_width × max_image_height, 690 × 500)."""
    catalonia = data.proximity == "km0"
    west, east, south, north = _extent(data, catalonia)
    middle = math.radians((south + north) / 2)
    with rc_context(STYLE):
        figure = _new_figure(MAP_HEIGHT_IN)
        box = (0.0, 0.03, 0.7, 0.88)
        axes = figure.add_axes(box)
        # Equirectangular at the frame's middle latitude, the frame widened to fill the box.
        aspect = 1 / math.cos(middle)
        box_ratio = (box[3] * MAP_HEIGHT_IN) / (box[2] * WIDTH_IN)  # height / width
        if (north - south) * aspect / (east - west) < box_ratio:
            grow = ((east - west) * box_ratio / aspect - (north - south)) / 2
            south, north = south - grow, north + grow
        else:
            grow = ((north - south) * aspect / box_ratio - (east - west)) / 2
            west, east = west - grow, east + grow
        axes.set_xlim(west, east)
        axes.set_ylim(south, north)
        axes.set_aspect(aspect)
        axes.set_axis_off()
        points = [(m.longitude, m.latitude) for m in data.marks]
        _regions(axes, boundaries, _regions_used(boundaries, points))
        if councils:
            xs, ys = zip(*councils, strict=True)
            axes.scatter(xs, ys, s=1.0, c=COUNCIL_DOT, linewidths=0, zorder=2)
        step = 0.04 if catalonia else 0.5
        placed = _spread(data.marks, step)
        if placed:
            # One collection for every mark: hundreds of scatter calls cost seconds.
            axes.scatter(
                [x for _m, x, _y in placed],
                [y for _m, _x, y in placed],
                s=[_size(m.count) for m, _x, _y in placed],
                c=[AREA_COLOURS[m.area] for m, _x, _y in placed],
                edgecolors="white",
                linewidths=0.5,
                alpha=0.9,
                zorder=3,
            )
        # The counts of the largest marks only: more labels would hide one another (and each
        # costs a text layout: hundreds took most of a 10,000-record map's time).
        labelled: list[tuple[Mark, float, float]] = []
        room = step * 3  # labels closer than this would overlap at the forum's width
        for item in sorted(
            (item for item in placed if item[0].count >= 5),
            key=lambda item: (-item[0].count, item[1], item[2]),
        ):
            if len(labelled) < MAX_LABELS and all(
                abs(item[1] - x) > room or abs(item[2] - y) > room / 2 for _m, x, y in labelled
            ):
                labelled.append(item)
        for mark, x, y in labelled:
            if mark.count >= 5:
                axes.annotate(
                    str(mark.count),
                    (x, y),
                    ha="center",
                    va="center",
                    fontsize=6 if mark.count < 100 else 5,
                    color="white",
                    fontweight="bold",
                    zorder=4,
                )
        figure.text(0.015, 0.955, text.title, fontsize=10, fontweight="bold", va="center")
        _map_legend(figure, data, text, catalonia)
    return to_bytes(figure, fmt)


def _map_legend(figure: Figure, data: MapData, text: MapText, catalonia: bool) -> None:
    per_area: dict[str, int] = defaultdict(int)
    for mark in data.marks:
        per_area[mark.area] += mark.count
    handles: list[Any] = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=6,
            markerfacecolor=AREA_COLOURS[a],
            markeredgecolor="white",
            label=f"{_wrap(text.areas.get(a, a), 20)} ({per_area.get(a, 0)})",
        )
        for a in AREAS
    ]
    handles.append(Patch(facecolor=EMPTY_FILL, edgecolor=EDGE, label=_wrap(text.empty_region, 20)))
    if catalonia:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=2,
                markerfacecolor=COUNCIL_DOT,
                markeredgewidth=0,
                label=_wrap(text.empty_council, 20),
            )
        )
    biggest = max((m.count for m in data.marks), default=1)
    sizes = [n for n in (1, 5, 20, 100) if n <= biggest] or [1]
    # The size scale under its caption ("projects per council"), one mark per step.
    handles.append(Line2D([], [], linestyle="", label=_wrap(text.projects, 22)))
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=math.sqrt(_size(n)),
            markerfacecolor="#999999",
            markeredgecolor="white",
            label=str(n),
        )
        for n in sizes
    ]
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.7, 0.9),
        fontsize=6.5,
        frameon=False,
        handletextpad=0.4,
        labelspacing=0.9,
        borderaxespad=0.0,
    )
    notes = [text.attribution]
    if data.unplaced and text.unplaced:
        notes.insert(0, text.unplaced.replace("{count}", str(data.unplaced)))
    figure.text(
        0.99, 0.012, "\n".join(_wrap(n, 52) for n in notes), ha="right", va="bottom",
        fontsize=5, color="#555",
    )  # fmt: skip


# --------------------------------------------------------------------------- charts


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def draw_area_phase(
    table: Mapping[str, Mapping[str, int]],
    title: str,
    areas: Mapping[str, str],
    phases: Mapping[str, str],
    *,
    fmt: str = "png",
) -> bytes:
    """Projects by area (one bar each) and phase (the bar's segments), counts written in."""
    with rc_context(STYLE):
        figure = _new_figure(3.6)
        axes = figure.add_axes((0.3, 0.17, 0.66, 0.72))
        rows = list(reversed(AREAS))  # the first area on top
        left = [0] * len(rows)
        for phase in PHASES:
            values = [table[a][phase] for a in rows]
            bars = axes.barh(
                [_wrap(areas.get(a, a)) for a in rows],
                values,
                left=left,
                color=PHASE_COLOURS[phase],
                label=phases.get(phase, phase),
                height=0.7,
            )
            widest = max((sum(table[a].values()) for a in rows), default=0) or 1
            for bar, value in zip(bars, values, strict=True):
                if value and value / widest >= 0.04:
                    axes.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if phase == PHASES[-1] else "#1a1a1a",
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(axis="y", labelsize=7)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        figure.legend(loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.6, 0.0))
        figure.suptitle(title, y=0.98, fontsize=10, fontweight="bold")
    return to_bytes(figure, fmt)


def draw_bands(
    counts: Sequence[int],
    unknown: int,
    title: str,
    labels: Sequence[str],
    unknown_label: str,
    axis_label: str,
    *,
    fmt: str = "png",
) -> bytes:
    """Projects by the population band of their council."""
    with rc_context(STYLE):
        figure = _new_figure(2.9)
        axes = figure.add_axes((0.09, 0.2, 0.88, 0.66))
        names = [*labels, unknown_label] if unknown else list(labels)
        values = [*counts, unknown] if unknown else list(counts)
        colours = ["#0072B2"] * len(counts) + (["#bdbdbd"] if unknown else [])
        bars = axes.bar(names, values, color=colours, width=0.7)
        axes.bar_label(bars, fontsize=7, padding=1)
        axes.set_xlabel(axis_label, fontsize=7)
        axes.tick_params(axis="x", labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(values, default=0) * 1.15 + 1)
        figure.suptitle(title, y=0.97, fontsize=10, fontweight="bold")
    return to_bytes(figure, fmt)


def draw_growth(points: Sequence[tuple[date, int]], title: str, *, fmt: str = "png") -> bytes:
    """The catalogue's size month by month."""
    with rc_context(STYLE):
        figure = _new_figure(2.6)
        axes = figure.add_axes((0.09, 0.16, 0.87, 0.68))
        if points:
            xs = [float(date2num(p[0])) for p in points]
            ys = [p[1] for p in points]
            axes.step(xs, ys, where="post", color="#0072B2", linewidth=1.6)
            axes.fill_between(xs, ys, step="post", color="#0072B2", alpha=0.12)
            axes.plot(xs[-1:], ys[-1:], "o", color="#0072B2", markersize=4)
            axes.annotate(
                str(ys[-1]), (xs[-1], ys[-1]), textcoords="offset points", xytext=(-4, 6),
                ha="right", fontsize=7,
            )  # fmt: skip
            axes.set_ylim(0, ys[-1] * 1.2 + 1)
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=7)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.xaxis_date()
        figure.autofmt_xdate(rotation=0, ha="center")
        figure.suptitle(title, y=0.97, fontsize=10, fontweight="bold")
    return to_bytes(figure, fmt)
