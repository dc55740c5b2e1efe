"""Commands: `similar REF` and `find` — councils like us (issue 11).

The discovery engine (scikit-learn) is imported inside the commands, so other commands do not
pay for loading it. Human output is a table on stdout; `--json` prints contract §3's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.catalogue.evidence import EvidenceSort
from bridge.cli.app import (
    JsonOption,
    app,
    catalogue_engine,
    catalogue_rows,
    catalogue_settings,
    fail,
    print_matches,
)
from bridge.models.enums import Area, Proximity

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.config import CatalogueSettings
    from bridge.dbapi import Rows
    from bridge.discovery import Match
    from bridge.discovery.text import TextIndex


def _records(source: Rows | Engine, cfg: CatalogueSettings) -> list[dict[str, Any]]:
    """Every record, archived ones included (they are never results, but may be asked about),
    as `projects list --json` lists them."""
    from bridge.catalogue import read_store

    return read_store.list_records(
        source, cfg.home_region, cfg.discourse_url, read_store.Filters(archived="include")
    )


def _records_and_index(
    rows: Rows, cfg: CatalogueSettings
) -> tuple[list[dict[str, Any]], TextIndex]:
    """The records and the catalogue's text index: read back from the database when the
    catalogue did not change, else built once (scikit-learn) and stored, saying so on stderr."""
    import sys

    from bridge.discovery.index import catalogue_index, catalogue_key

    key = catalogue_key(rows)  # before the records (see catalogue_key)
    records = _records(rows, cfg)

    def notify(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    index = catalogue_index(rows, key, records, notify=notify, save=lambda: catalogue_engine(cfg))
    return records, index


def resolve_place(
    source: Rows | Engine, records: Sequence[Mapping[str, Any]], name: str, cfg: CatalogueSettings
) -> dict[str, Any]:
    """`bridge.discovery.locate.resolve_place`; exit 2 when none or several places answer."""
    from bridge.discovery.locate import PlaceProblem
    from bridge.discovery.locate import resolve_place as resolve

    try:
        return resolve(source, records, name, lambda: catalogue_engine(cfg))
    except PlaceProblem as exc:
        fail(str(exc))


def _print_matches(matches: list[Match], as_json: bool, empty: str) -> None:
    from bridge.discovery import match_json

    print_matches([match_json(m) for m in matches], as_json, empty)


@app.command()
def similar(
    ref: Annotated[str, typer.Argument(help="The record's ref.")],
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100, help="How many (default 5).")
    ] = 5,
    as_json: JsonOption = False,
) -> None:
    """The projects most like REF, best first, each with the reasons: what they do (their words,
    across Catalan, Spanish and English), the same area, kind and phase, councils of the same
    size. Archived records are never shown. The forum's "similar projects" sections are chosen
    the same way."""

    from bridge.discovery import UnknownRef
    from bridge.discovery import similar as find_similar

    cfg = catalogue_settings()  # a read command: no pydantic settings
    with catalogue_rows(cfg) as rows:
        records, index = _records_and_index(rows, cfg)
    try:
        matches = find_similar(records, ref, limit=limit, index=index)
    except UnknownRef as exc:
        fail(str(exc))
    _print_matches(matches, as_json, f"no project is like {ref} yet")


@app.command()
def find(
    like: Annotated[
        str | None,
        typer.Option(
            "--like",
            metavar="PLACE",
            help="A council's name or official code: projects of councils of its population "
            "band first, then nearer ones (same comarca or NUTS 3, kilometres).",
        ),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="What you are looking for, in your words.")
    ] = None,
    area: Annotated[Area | None, typer.Option(help="Only this area.")] = None,
    proximity: Annotated[Proximity | None, typer.Option(help="km0 or foreign.")] = None,
    within: Annotated[
        float | None,
        typer.Option("--within", metavar="KM", min=0, help="Only councils within KM of --like."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="How many (default 10).")
    ] = 10,
    sort: Annotated[
        EvidenceSort | None,
        typer.Option(
            "--sort",
            help="Order the projects found by evidence (issue 25): cost-per-inhabitant "
            "(cheapest first), savings-per-inhabitant (most first) or time-to-implement "
            "(quickest first); those without the figure last. Default: best match first.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Projects for a council looking for experience, best first, each with its reasons
    ("population band 10,001–50,000", "38 km away", "same comarca", "shared words: …").
    The council's own projects are left out; archived records are never shown."""
    from bridge.discovery import FindError
    from bridge.discovery import find as find_projects

    if within is not None and like is None:
        fail("--within needs --like PLACE (the distance is measured from that place)")

    cfg = catalogue_settings()  # a read command: no pydantic settings
    index = None
    with catalogue_rows(cfg) as rows:
        if text and text.strip():  # only the text needs the index
            records, index = _records_and_index(rows, cfg)
        else:
            records = _records(rows, cfg)
        place = resolve_place(rows, records, like, cfg) if like else None
    try:
        matches = find_projects(
            records,
            index=index,
            text=text,
            like=place,
            area=area.value if area else None,
            proximity=proximity.value if proximity else None,
            within_km=within,
            limit=limit,
        )
    except FindError as exc:
        fail(str(exc))
    if sort is not None:  # the best matches, ordered by the figure
        by_ref = {r["ref"]: r for r in records}
        from bridge.catalogue.evidence import sort_key

        key = sort_key(sort.value)
        matches = sorted(matches, key=lambda m: key(by_ref[m.ref]))
    _print_matches(matches, as_json, "no project matches")
