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
    app,
    catalogue_engine,
    catalogue_rows,
    catalogue_settings,
    fail,
    out,
    print_json,
)
from bridge.models.enums import Area, Proximity

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.dbapi import Rows
    from bridge.discovery import Match
    from bridge.discovery.text import TextIndex

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (for scripts).")
]


def _records(source: Rows | Engine, cfg: Any) -> list[dict[str, Any]]:
    """Every record, archived ones included (they are never results, but may be asked about),
    as `projects list --json` lists them."""
    from bridge.catalogue import read_store

    return read_store.list_records(
        source, cfg.home_region, cfg.discourse_url, read_store.Filters(archived="include")
    )


def _records_and_index(rows: Rows, cfg: Any) -> tuple[list[dict[str, Any]], TextIndex]:
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
    source: Rows | Engine, records: Sequence[Mapping[str, Any]], name: str, cfg: Any
) -> dict[str, Any]:
    """A place from a name, a council's name or an official code: the gazetteer (bridge.places)
    first, then the places the catalogue's records carry (a foreign town no registry loaded).
    Exit 2 when none or several answer."""
    from bridge.discovery.places import PlaceNotFound, resolve_from_records
    from bridge.places.read_store import builtin_missing, gazetteer_for

    if builtin_missing(source):  # the built-in table is loaded on first use (a write)
        from bridge.places.store import ensure_builtin

        with catalogue_engine(cfg).begin() as conn:
            ensure_builtin(conn)
    found = gazetteer_for(source, name).find(name)
    if len(found) == 1:
        return found[0].as_dict()
    if found:
        listed = ", ".join(sorted(f"{p.name} ({p.country} {p.code})" for p in found))
        fail(f"{name!r} names several places: {listed}; give the official code")
    try:
        return resolve_from_records(records, name)
    except PlaceNotFound as exc:
        fail(str(exc))


def _print_matches(matches: list[Match], as_json: bool, empty: str) -> None:
    from bridge.discovery import match_json

    _print_json_matches([match_json(m) for m in matches], as_json, empty)


def _print_json_matches(matches: list[dict[str, Any]], as_json: bool, empty: str) -> None:
    """Matches as contract §3 shapes them: the JSON list, or a table for people."""
    if as_json:
        print_json(matches)
        return
    from rich.table import Table
    from rich.text import Text

    from bridge.discovery import population_band

    if not matches:
        out.print(empty)
        return
    table = Table(header_style="bold")
    for column in ("#", "ref", "title", "council", "score", "reasons", "forum"):
        table.add_column(column, overflow="fold", no_wrap=column == "ref")
    for rank, m in enumerate(matches, 1):
        place = m["place"] or {}
        council = str(place.get("name") or "")
        band = population_band(place.get("population"))
        if band:
            council += f" ({band})"
        cells = (
            str(rank),
            m["ref"],
            m["title"],
            council,
            f"{m['score']:.2f}",
            "; ".join(m["reasons"]),
            m["topic_url"] or "—",
        )
        table.add_row(*(Text(c) for c in cells))  # people's words are never rich markup
    out.print(table)


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


def place_filters(
    engine: Engine,
    records: list[dict[str, Any]],
    *,
    near: str | None,
    within: float | None,
    population: str | None,
) -> list[dict[str, Any]]:
    """`projects list --near PLACE [--within KM] --population MIN-MAX`: records kept by place,
    nearest first with `distance_km` added when --near is given. Exit 2 on bad input."""
    from bridge.discovery.bands import parse_range
    from bridge.discovery.filters import by_population
    from bridge.discovery.filters import near as near_to

    if within is not None and near is None:
        fail("--within needs --near PLACE (the distance is measured from that place)")
    if population:
        try:
            low, high = parse_range(population)
        except ValueError as exc:
            fail(f"--population: {exc}")
        records = [dict(r) for r in by_population(records, low, high)]
    if near:
        # The place is looked up among every record (archived ones too), not just those listed.
        cfg = catalogue_settings()
        everyone = _records(engine, cfg)
        origin = resolve_place(engine, everyone, near, cfg)
        try:
            kept = near_to(records, origin, within)
        except ValueError as exc:
            fail(f"--near: {exc}")
        records = [dict(r) | {"distance_km": round(km, 1)} for r, km in kept]
    return records


# --------------------------------------------------------------------------- the demo

DEMO_SIMILAR_REF = "santjust-xatbot"  # a small council's chatbot: its peers are worth showing
DEMO_LIKE = "Olot"  # a mid-sized Catalan town of the sample


def demo_showcase(engine: Engine, cfg: Any, forum_url: str) -> dict[str, Any]:
    """What `digicanvis demo` shows of issue 11: `similar` on a sample record, `find --like` a
    sample town, and the index and overview topics the sync made."""
    from bridge.discovery import find as find_projects
    from bridge.discovery import match_json
    from bridge.discovery import similar as find_similar
    from bridge.discovery.places import PlaceNotFound, resolve_from_records
    from bridge.observatory import store as pages_store

    records = _records(engine, cfg)
    refs = {r["ref"] for r in records}
    ref = DEMO_SIMILAR_REF if DEMO_SIMILAR_REF in refs else min(refs)
    doc: dict[str, Any] = {
        "similar": {"ref": ref, "matches": [match_json(m) for m in find_similar(records, ref)]}
    }
    try:
        place = resolve_from_records(records, DEMO_LIKE)
    except PlaceNotFound:
        place = None
    if place:
        matches = find_projects(records, like=place, limit=5)
        doc["find"] = {"like": DEMO_LIKE, "matches": [match_json(m) for m in matches]}
    doc["pages"] = [
        {
            "page": key,
            "title": row.title,
            "url": forum_url + pages_store.topic_path(row.topic_id, row.topic_slug),
            "pinned": row.pinned,
        }
        for key, row in sorted(pages_store.load_pages(engine).items())
        if row.topic_id is not None
    ]
    return doc


def print_showcase(doc: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    out.print(f"similar {doc['similar']['ref']}: the projects most like it", markup=False)
    _print_json_matches(doc["similar"]["matches"], False, "nothing similar")
    if "find" in doc:
        out.print(f"find --like {doc['find']['like']}: councils like it first", markup=False)
        _print_json_matches(doc["find"]["matches"], False, "no project matches")
    table = Table(title="observatory topics (pinned index per area, overview)")
    table.add_column("page", overflow="fold")
    table.add_column("title", overflow="fold")
    table.add_column("topic", overflow="fold")
    for page in doc["pages"]:
        table.add_row(Text(page["page"]), Text(page["title"] or ""), Text(page["url"]))
    out.print(table)
