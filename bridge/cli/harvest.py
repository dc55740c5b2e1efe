"""Command: `harvest SOURCE…` — other observatories' open data as records, with provenance
(contract §4b, issue 23)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.cli.app import app, catalogue_engine, err, fail, out, print_json, settings
from bridge.models.enums import Area, Kind, Phase

if TYPE_CHECKING:
    from bridge.harvest.model import SourceOutcome
    from bridge.settings import Settings


@app.command("harvest")
def harvest(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="http(s) URLs or paths of DCAT-AP catalogues (catalog.jsonld, RDF/XML, Turtle), "
            "Frictionless datapackage.json files or JRC inventory CSVs (default: the [[harvest]] "
            "list of the TOML file).",
            metavar="SOURCE…",
            show_default=False,
        ),
    ] = None,
    slug: Annotated[
        str | None,
        typer.Option(
            "--slug", help="Namespace of the source's refs (<slug>:<id>); one source only."
        ),
    ] = None,
    area: Annotated[
        Area | None, typer.Option("--area", help="Area of records whose source gives none.")
    ] = None,
    kind: Annotated[
        Kind | None, typer.Option("--kind", help="Kind of records whose source gives none.")
    ] = None,
    phase: Annotated[
        Phase | None, typer.Option("--phase", help="Phase of records whose source gives none.")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option("--country", help="ISO country code of bodies whose source gives none."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, max=600, help="Seconds to wait for a source's answer."),
    ] = 30.0,
    max_mb: Annotated[
        int, typer.Option("--max-mb", min=1, max=1024, help="Largest file read, in MB.")
    ] = 64,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show what would be added, updated, archived and merged; write nothing.",
        ),
    ] = False,
    allow_shrink: Annotated[
        bool,
        typer.Option(
            "--allow-shrink",
            help="Archive even when a source now lists fewer than half of its records (refused "
            "otherwise, as a probably partial file).",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Add or update records from other observatories' open data.

    Each harvested record's ref is <source-slug>:<id> (never a local record's), and it carries
    its provenance: source, the source's identifier, licence, publisher, when it was harvested
    and when the source last changed it. A record gone from its source is archived (its topic
    closed at the next sync), and restored when it comes back; the same project published by
    two sources is kept once, with both provenances. An unchanged source (HTTP 304, or the
    same bytes) writes nothing. A source that fails changes nothing and says why: exit 1 when
    some sources failed, 2 when none could be read.
    """
    from bridge.harvest.model import Defaults
    from bridge.harvest.run import SourceSpec, configured, own_package_id
    from bridge.harvest.run import harvest as run

    cfg = settings()
    if sources:
        if slug is not None and len(sources) > 1:
            fail("--slug names one source; give one SOURCE with it")
        defaults = Defaults(
            area.value if area else None,
            kind.value if kind else None,
            phase.value if phase else None,
            country.strip().upper() if country else None,
        )
        from bridge.harvest.read import Limits

        limits = Limits(timeout=timeout, max_bytes=max_mb * 1024 * 1024)
        specs = [SourceSpec(s, slug, defaults, limits) for s in sources]
    else:
        specs = configured(cfg)
        if not specs:
            fail("no SOURCE given and no [[harvest]] source in the configuration")
    outcomes = run(
        lambda: catalogue_engine(cfg),
        specs,
        dry_run=dry_run,
        own_package_id=own_package_id(cfg),
        states=lambda: _states(cfg),
        allow_shrink=allow_shrink,
    )
    report(outcomes, dry_run=dry_run, json_out=json_out)
    failed = sum(1 for o in outcomes if o.error)
    if failed:
        raise typer.Exit(2 if failed == len(outcomes) else 1)


def _states(cfg: Settings) -> dict[str, Any]:
    """The sources' state through the database driver alone (no SQLAlchemy: an unchanged
    source then costs start-up, one conditional request and this read)."""
    from bridge.cli.app import catalogue_rows
    from bridge.harvest.read_store import source_states

    with catalogue_rows(cfg) as rows:
        return source_states(rows)


def report(outcomes: list[SourceOutcome], *, dry_run: bool, json_out: bool) -> None:
    from bridge.harvest.model import Action, counts_said, summary

    for outcome in outcomes:
        for warning in outcome.warnings:
            err.print(f"warning: {outcome.source}: {warning}", markup=False)
        if outcome.error:
            err.print(f"error: {outcome.source}: {outcome.error}", markup=False)
    if json_out:
        print_json({"dry_run": dry_run, "sources": [summary(o) for o in outcomes]})
        return
    for outcome in outcomes:
        if outcome.error:
            continue
        head = f"{outcome.source} ({outcome.slug})"
        if outcome.not_modified:
            out.print(f"{head}: unchanged ({outcome.note}), nothing written", markup=False)
            continue
        verb = "would be " if dry_run else ""
        out.print(
            f"{head}: {verb}{counts_said(outcome)}",
            markup=False,
        )
        if dry_run:
            for p in outcome.planned:
                if p.action is Action.unchanged:
                    continue
                extra = f" ({', '.join(p.fields)})" if p.fields else ""
                extra += f" into {p.into}" if p.into else ""
                out.print(f"  {p.action.value:8} {p.ref}  {p.title}{extra}", markup=False)
