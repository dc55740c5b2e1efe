"""Command: `map FILE` — the map of the projects as a picture (contract §4b, issue 24)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bridge.cli.app import app, catalogue_engine, fail, out, settings
from bridge.models.enums import Area


class MapProximity(StrEnum):
    km0 = "km0"
    foreign = "foreign"


@app.command("map")
def map_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="The picture to write: FILE.png or FILE.svg (replaced if it exists).",
            metavar="FILE",
            show_default=False,
        ),
    ],
    area: Annotated[
        Area | None,
        typer.Option("--area", help="Only this area's projects.", case_sensitive=False),
    ] = None,
    proximity: Annotated[
        MapProximity,
        typer.Option(
            "--proximity",
            help="km0: Catalonia's comarques and its councils; foreign: Europe's countries.",
            case_sensitive=False,
        ),
    ] = MapProximity.km0,
) -> None:
    """Write the map of the projects (not archived) to FILE, as the forum's overview shows it.

    Each council with projects is a mark coloured by area and sized by its number of projects;
    comarques (or countries) without any are grey, and every Catalan municipality is a small
    grey dot, so councils without projects show as empty. Positions are the gazetteer's (else
    the record's own). The same catalogue gives the same bytes. Text in the forum's language
    (`language` in the TOML file); boundaries © ICGC (comarques) and © EuroGeographics / Eurostat
    GISCO (Europe), credited on the map.
    """
    import sqlalchemy as sa

    from bridge.catalogue.read_store import list_records
    from bridge.db import DatabaseError
    from bridge.files import UnsafeTarget, atomic_write
    from bridge.visual.pictures import map_picture

    fmt = file.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        fail(f"{file}: the map is written as .png or .svg, not {file.suffix or 'no extension'!r}")
    cfg = settings()
    engine = catalogue_engine(cfg)
    try:
        records = list_records(engine, cfg.home_region, None)
    except DatabaseError as exc:
        fail(str(exc))
    except sa.exc.OperationalError as exc:
        fail(f"cannot read the catalogue database: {exc.orig}")
    picture = map_picture(records, cfg, proximity.value, area=area.value if area else None, fmt=fmt)
    try:
        atomic_write(file, picture.data, private=False)
    except UnsafeTarget as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{file}: cannot write: {exc.strerror or exc}")
    out.print(f"{file}: {picture.alt}", markup=False)
