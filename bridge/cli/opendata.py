"""Command: `opendata DIR` — the public catalogue as open data (contract §3, issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bridge.cli.app import app, catalogue_engine, err, fail, out, print_json, settings

if TYPE_CHECKING:  # pydantic settings are loaded by the command, not by every --help (issue 15)
    pass


@app.command("opendata")
def opendata(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Directory to write (created if missing; replaced as a whole, so it must hold "
            "nothing but a package this command wrote).",
            metavar="DIR",
            show_default=False,
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Where DIR's files are served, for the download URLs of catalog.jsonld "
            "(default: [opendata].base_url in the TOML file).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary on stdout (for scripts).")
    ] = False,
) -> None:
    """Write the public catalogue as open data into DIR.

    DIR gets a Frictionless Data Package — datapackage.json (every field described in Catalan and
    English, with types, allowed values, keys, licence and sources), projects.csv, documents.csv
    and contacts.csv — and catalog.jsonld, a DCAT-AP description for portals to harvest.
    Archived records never appear; of the contacts only public ones, and only their name, role
    and forum profile (never an email or a phone). The same catalogue gives the same bytes; the
    files are swapped in at once, so DIR never holds a half-written package, and when nothing
    changed nothing is written. Publisher, licence (CC BY 4.0 by default), contact and base URL
    come from the [opendata] section of the TOML file.
    """
    import sqlalchemy as sa
    from pydantic import ValidationError

    from bridge.db import DatabaseError
    from bridge.opendata.publish import publish
    from bridge.opendata.writer import TargetRefused

    cfg = settings()
    config = cfg.opendata
    if base_url is not None:
        try:  # the TOML file's own rule for base_url
            config = type(config).model_validate(config.model_dump() | {"base_url": base_url})
        except ValidationError:
            fail(f"--base-url: {base_url!r} is not an http(s) URL")
    if config.base_url_is_an_example():
        err.print(
            f"warning: the open data's base URL is the example one ({config.base_url}): the "
            "download URLs in catalog.jsonld and datapackage.json lead nowhere; set base_url in "
            "the [opendata] section of the TOML file, or pass --base-url",
            markup=False,
        )
    engine = catalogue_engine(cfg)
    try:
        result = publish(
            engine,
            directory,
            config,
            home_region=cfg.home_region,
            discourse_url=cfg.discourse_url,
        )
    except TargetRefused as exc:
        fail(str(exc))
    except DatabaseError as exc:
        fail(str(exc))
    except sa.exc.OperationalError as exc:
        fail(f"cannot read the catalogue database: {exc.orig}")
    except OSError as exc:
        fail(f"{directory}: cannot write: {exc.strerror or exc}")
    if json_out:
        print_json(result.summary())
        return
    package = result.package
    what = "written" if result.changed else "unchanged (already up to date)"
    out.print(
        f"{directory}: {what}: {package.projects} projects, {package.documents} documents, "
        f"{package.contacts} public contacts",
        markup=False,
    )
