"""Commands: the gazetteer — `places load FILE…`, `places find NAME`.

Heavy modules are imported inside the commands, so `digicanvis --help` stays fast.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from bridge.catalogue.proximity import effective
from bridge.cli.app import (
    JsonOption,
    catalogue_engine,
    err,
    fail,
    out,
    print_json,
    settings,
    sub_app,
)

places_app = sub_app(
    "places",
    "The gazetteer: official municipalities (Spain) and LAU (Europe) where local bodies are.",
)


@places_app.command("load")
def places_load(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Registries recognised by their columns: the Catalan municipal table "
            "(as cat_municipis_947.csv), IGN's Nomenclátor (as es_municipios_ign_ngmep2024.csv), "
            "Eurostat's LAU centres (as eu_lau_centres_2020_nuts2021.csv).",
            metavar="FILE...",
        ),
    ],
) -> None:
    """Load official registries of municipalities into the gazetteer (safe to repeat: each
    registry's rows replace its own earlier ones). The 947 Catalan municipalities are built in.
    Local bodies already imported are placed again against the enlarged gazetteer."""
    from bridge.places.registries import RegistryError, read_registry

    started = time.monotonic()
    parsed = []
    for file in files:  # every file is read before anything is written
        try:
            parsed.append((file, *read_registry(file)))
        except RegistryError as exc:
            fail(f"{file}: {exc}")
    cfg = settings()
    engine = catalogue_engine(cfg)
    from bridge.places.store import upsert

    with engine.begin() as conn:
        for file, registry, rows in parsed:
            count = upsert(conn, rows)
            out.print(f"{file}: {count} places from the {registry.title}")
    placed = _replace_bodies(engine)
    out.print(f"loaded in {time.monotonic() - started:.1f} s; {placed} local bodies placed")


def _replace_bodies(engine) -> int:
    """Place the stored local bodies that are still unplaced (the gazetteer grew)."""
    from bridge.catalogue.store import set_places, unplaced_bodies
    from bridge.places import store as places_store

    with engine.begin() as conn:
        bodies = unplaced_bodies(conn)
        if not bodies:
            return 0
        gazetteer = places_store.gazetteer(conn, {b.country for b in bodies})
        codes = {}
        for body in bodies:
            found = gazetteer.resolve(body.country, body.name, body.kind, body.municipality_code)
            if found.place:
                codes[body.id] = found.place.code
        set_places(conn, codes)
        return len(codes)


@places_app.command("find")
def places_find(
    name: Annotated[
        str,
        typer.Argument(help='A name ("Olot"), a council\'s name ("Ajuntament d\'Olot") or a code.'),
    ],
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 alpha-2 code of the country to look in.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The places NAME resolves to (case, accents and articles ignored), each with its region
    and whether a body there is Km0 or foreign.

    A body that is not a town's council ("Diputació de Girona", "Consell Comarcal del Bages") is
    never placed; when the table of Catalan public bodies shipped with the bridge knows its
    name, the answer says so and which region makes it Km0."""
    from rich.table import Table
    from rich.text import Text

    from bridge.places import store as places_store

    code = country.strip().upper() if country else None
    if code is not None and (len(code) != 2 or not code.isalpha()):
        fail(f"--country must be an ISO 3166-1 alpha-2 code such as ES, not {country!r}")
    cfg = settings()
    engine = catalogue_engine(cfg)
    with engine.begin() as conn:
        places_store.ensure_builtin(conn)
        gazetteer = places_store.gazetteer(conn, [code] if code else None)
    found: list[dict[str, Any]] = []
    for place in gazetteer.find(name, code):
        row = place.as_dict()
        # What a body placed here is, by the one rule (bridge.catalogue.proximity).
        decided = effective(
            country=place.country, region=None, own=None, home_region=cfg.home_region,
            place_code=place.code,
        )  # fmt: skip
        row["region"] = decided.region
        row["proximity"] = decided.proximity.value
        found.append(row)
    why = _why_not_placed(name, code, cfg.home_region)
    if as_json:
        print_json(found)
        if why:
            err.print(why, markup=False)
        return
    if why:
        out.print(why, markup=False)
    if not found:
        if not why:
            err.print(f"no place matches {name!r}", markup=False)
        raise typer.Exit(0)
    table = Table(header_style="bold")
    columns = ("country", "code", "name", "population", "comarca / province / NUTS 3", "region")
    for column in (*columns, "proximity"):
        table.add_column(column, overflow="fold")
    for shown in found:
        area = " / ".join(str(shown[k]) for k in ("comarca", "province", "nuts3") if k in shown)
        population = "" if shown["population"] is None else f"{shown['population']:,}"
        values = (shown["country"], shown["code"], shown["name"], population, area)
        table.add_row(
            *(Text(str(c)) for c in values),
            Text(shown["region"] or ""),
            Text(shown["proximity"]),
        )
    out.print(table)


def _why_not_placed(name: str, country: str | None, home_region: str) -> str | None:
    """Why a body's name places nowhere, when the name says it is not a town's council."""
    from bridge.places.bodies import COUNTRY, known_body
    from bridge.places.names import is_not_council

    if not is_not_council(name):
        return None
    body = known_body(name, country or COUNTRY)
    if body is None:
        return (
            f"{name!r} is not a town's council (its name says so): it is never placed as the "
            "council of the town it sits in; a record of it is Km0 only if it gives "
            "local_body.region or proximity"
        )
    decided = effective(country=COUNTRY, region=None, own=None, home_region=home_region, name=name)
    return (
        f"{name!r} is a {body.kind} ({body.name}), not a town's council: it is never placed as "
        f"the council of the town it sits in. The table of Catalan public bodies shipped with "
        f"the bridge puts it in {body.region}, so a record of it is {decided.proximity.value} "
        f"(home region {home_region}). Source: {body.source}"
    )
