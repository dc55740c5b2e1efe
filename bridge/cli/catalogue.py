"""Commands: the catalogue — `db upgrade`, `import`, `export`,
`projects list|show|archive|restore|link`.

Human output is rich tables on stdout; `--json` puts one JSON document on stdout and nothing else
there. Errors go to stderr as `error: …`; bad input, an unknown ref or an unusable database exit
with 2 and change nothing (contract §3).

What a command needs beyond Typer is imported inside it (see bridge.cli.app): the read commands
load neither pydantic nor the ORM nor rich for `--json`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.cli.app import (
    JsonOption,
    app,
    catalogue_engine,
    catalogue_rows,
    catalogue_settings,
    err,
    fail,
    out,
    print_json,
    settings,
    sub_app,
)
from bridge.models.enums import Area, Kind, Phase, Proximity, Sort

if TYPE_CHECKING:
    from rich.progress import Progress

    from bridge.catalogue.importer import ImportOutcome

db_app = sub_app("db", "The catalogue database.")
projects_app = sub_app("projects", "Read, archive and restore project records.")

# A progress bar appears only on a terminal and only for imports big enough to take a moment.
_PROGRESS_MIN_RECORDS = 500


@contextmanager
def _database_errors() -> Iterator[None]:
    """The database failing mid-command is a clear exit 2, not a traceback."""
    import sqlalchemy as sa

    from bridge.db import DatabaseError

    try:
        yield
    except DatabaseError as exc:
        fail(str(exc))
    except sa.exc.IntegrityError as exc:
        fail(
            "the catalogue changed while this command ran (another import?); nothing was written: "
            f"{exc.orig}"
        )
    except sa.exc.OperationalError as exc:
        fail(f"cannot use the catalogue database: {exc.orig}")


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the catalogue schema (safe to repeat); then store the listing form of
    records written before it was kept (revision 0010)."""
    from bridge.catalogue.store import fill_listing_json
    from bridge.db import upgrade

    cfg = settings()
    engine = catalogue_engine(cfg, check_schema=False)
    with _database_errors():
        before, after = upgrade(engine)
        filled = fill_listing_json(engine)
    if before == after:
        out.print(f"catalogue schema already up to date (revision {after})")
    else:
        out.print(f"catalogue schema upgraded from {before or 'empty'} to revision {after}")
    if filled:
        out.print(f"stored the listing form of {filled} record(s)")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (a new file).")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace FILE if it exists.")
    ] = False,
) -> None:
    """Copy a SQLite catalogue to FILE with SQLite's online backup: consistent, and safe while a
    sync or the webhook receiver is writing. Restore by stopping the services and putting the copy
    in place of the catalogue file. On PostgreSQL, use pg_dump (the message says how)."""
    from bridge.backup import BackupRefused, backup_sqlite

    cfg = settings()
    engine = catalogue_engine(cfg)
    try:
        with _database_errors():
            size = backup_sqlite(engine, file, overwrite=overwrite)
    except BackupRefused as exc:
        fail(str(exc))
    out.print(f"backed up the catalogue to {file} ({size:,} bytes)", markup=False)


# --------------------------------------------------------------------------- import / export


class _RichReporter:
    """Progress on stderr; shown only on a terminal, and only once there are many records."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def stage(self, description: str, total: int) -> Callable[[int], None]:
        if description in ("reading",) or total < _PROGRESS_MIN_RECORDS:
            return lambda _n: None
        task = self.progress.add_task(description, total=total)
        return lambda n: self.progress.advance(task, n)


@contextmanager
def _reporter() -> Iterator[_RichReporter | None]:
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        yield _RichReporter(progress)


@app.command("import")
def import_(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Files to import: .json, .yaml/.yml, .csv (`,` or `;`, UTF-8 or Windows-1252) "
            "or .xlsx (first sheet).",
            metavar="FILE...",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Treat warnings (normalised or disagreeing values) as errors."
        ),
    ] = False,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="An import mapping (TOML: the file's columns → fields, value maps, constants), "
            "or a shipped one: jrc (JRC Innovative Public Services Explorer cases), decidim "
            "(decidim.org installations), consul (CONSUL Democracy organisations).",
            metavar="MAPPING.toml|NAME",
        ),
    ] = None,
    ignore_unknown: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown",
            help="Columns that are no field (nor mapped) are skipped with a warning each, "
            "instead of refusing the file.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Validate, place and upsert records by ref. All files are one transaction: one invalid
    record and nothing is written; every problem is listed as file, record (index and ref), field,
    reason. What was normalised (a line break in a name) or disagrees with the gazetteer is a
    warning on stderr, and the import goes on (exit 0) unless --strict."""
    from bridge.catalogue.formats import IntakeOptions
    from bridge.catalogue.importer import run_import
    from bridge.catalogue.mapping import MappingError, load_mapping

    try:
        options = IntakeOptions(load_mapping(mapping) if mapping else None, ignore_unknown)
    except MappingError as exc:
        fail(f"--map {exc}")
    cfg = settings()
    engine = catalogue_engine(cfg)
    started = time.monotonic()
    with _database_errors(), _reporter() as reporter:
        outcome = run_import(
            engine,
            files,
            dry_run=dry_run,
            reporter=reporter,
            strict=strict,
            options=options,
            home_region=cfg.home_region,
        )
    for warning in outcome.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if outcome.problems:
        _report_problems(outcome, as_json)
    result = outcome.result
    assert result is not None
    summary = {
        "files": list(outcome.files),
        "records": outcome.records,
        **result.summary(),
        "warnings": [w.as_dict() for w in outcome.warnings],
    }
    if as_json:
        print_json(summary)
        return
    counts = (
        f"{len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged"
    )
    if dry_run:
        out.print(f"dry run, nothing written: {counts}")
        for ref in result.created:
            out.print(f"  would create {ref}")
        for change in result.updated:
            out.print(f"  would update {change.ref}: {', '.join(change.fields)}")
        for change in result.also_updated:
            out.print(
                f"  would update {change.ref} (shared local body): {', '.join(change.fields)}"
            )
    else:
        seconds = time.monotonic() - started
        out.print(
            f"{counts} ({outcome.records} records from {len(outcome.files)} file(s) in "
            f"{seconds:.1f} s)"
        )
        if result.also_updated:
            refs = ", ".join(c.ref for c in result.also_updated)
            out.print(f"also updated through their shared local body: {refs}")


def _report_problems(outcome: ImportOutcome, as_json: bool) -> None:
    for problem in outcome.problems:
        err.print(f"error: {problem}", markup=False, soft_wrap=True)
    if as_json:
        print_json(
            {
                "files": list(outcome.files),
                "records": outcome.records,
                "problems": [p.as_dict() for p in outcome.problems],
            }
        )
    count = len(outcome.problems)
    fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported")


@app.command("export")
def export(
    file: Annotated[
        str,
        typer.Argument(
            help="Where to write: the extension (.json, .yaml/.yml, .csv) picks the format."
        ),
    ],
) -> None:
    """Write every record (archived ones too) to FILE; importing that file again changes nothing."""
    from bridge.catalogue.formats import FormatError, format_of, write_records
    from bridge.catalogue.read_store import export_records

    try:
        format_of(file)
    except FormatError as exc:
        fail(str(exc))
    cfg = catalogue_settings()
    with catalogue_rows(cfg) as rows:
        records = export_records(rows)
    try:
        write_records(file, records)
    except FormatError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{file}: cannot write: {exc.strerror}")
    # Plain text: loading rich would cost more than writing a small catalogue.
    print(f"exported {len(records)} record(s) to {file}", file=sys.stderr)


@app.command("template")
def template(
    file: Annotated[
        str,
        typer.Argument(help="Where to write the empty template: .xlsx (with help sheet) or .csv."),
    ],
) -> None:
    """Write the empty import template an administrator sends to councils: every column, with
    Catalan headers (required ones marked *); the .xlsx has a sheet explaining each field (ca,
    en) and drop-down lists of Catalan labels for area, kind, phase and proximity that refuse
    other values. An import takes the Catalan headers and labels and the contract's alike."""

    kind = Path(file).suffix.lower()
    if kind not in (".xlsx", ".csv"):
        fail(f"{file}: the template is .xlsx or .csv, not {kind or '(no extension)'!r}")
    if kind == ".xlsx":
        from bridge.catalogue.spreadsheet import template_xlsx

        data = template_xlsx()
    else:
        import csv
        import io

        from bridge.catalogue.spreadsheet import template_headers

        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerow(template_headers())
        data = buffer.getvalue().encode("utf-8-sig")  # as the export: spreadsheets read accents
    try:
        Path(file).write_bytes(data)
    except OSError as exc:
        fail(f"{file}: cannot write: {exc.strerror}")
    err.print(f"wrote the import template to {file}")


# --------------------------------------------------------------------------- projects


WithPrivateOption = Annotated[
    bool,
    typer.Option(
        "--with-private",
        help="Show contacts' emails and phones (personal data: masked unless asked for; export "
        "always keeps them).",
    ),
]


@projects_app.command("list")
def projects_list(
    area: Annotated[Area | None, typer.Option(help="Only this area.")] = None,
    proximity: Annotated[
        Proximity | None, typer.Option(help="km0 or foreign (as derived from BRIDGE_HOME_REGION).")
    ] = None,
    phase: Annotated[Phase | None, typer.Option(help="Only this phase.")] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only this kind.")] = None,
    search: Annotated[
        str | None,
        typer.Option(
            help="Text in ref, title, local body, description or technology (accents and case "
            "ignored)."
        ),
    ] = None,
    sort: Annotated[
        Sort,
        typer.Option(
            help="ref, title, activity (most replies first), recent (latest forum post first), "
            "or by evidence: cost-per-inhabitant (cheapest first), savings-per-inhabitant (most "
            "first), time-to-implement (quickest first); records without the figure come last; "
            "spread (taken up by the most councils first)."
        ),
    ] = Sort.ref,
    archived: Annotated[bool, typer.Option("--archived", help="Only archived records.")] = False,
    include_archived: Annotated[
        bool, typer.Option("--include-archived", help="Archived records too.")
    ] = False,
    near: Annotated[
        str | None,
        typer.Option(
            "--near",
            metavar="PLACE",
            help="Nearest to this place (name or official code) first; adds distance_km.",
        ),
    ] = None,
    within: Annotated[
        float | None,
        typer.Option("--within", metavar="KM", min=0, help="With --near: only within KM."),
    ] = None,
    population: Annotated[
        str | None,
        typer.Option(
            "--population",
            metavar="MIN-MAX",
            help="Councils of MIN to MAX inhabitants (e.g. 5000-20000, 5000- or -2000).",
        ),
    ] = None,
    as_json: JsonOption = False,
    with_private: WithPrivateOption = False,
) -> None:
    """List records with their forum link and activity. Contacts' emails and phones are masked
    unless --with-private is given."""
    from bridge.catalogue import read_store

    if archived and include_archived:
        fail("--archived and --include-archived exclude each other")
    cfg = catalogue_settings()
    filters = read_store.Filters(
        area=area,
        proximity=proximity,
        phase=phase,
        kind=kind,
        search=search,
        archived="only" if archived else "include" if include_archived else "exclude",
    )
    by_place = bool(near or within is not None or population)
    with catalogue_rows(cfg) as rows:
        if as_json and not by_place:
            # Each record is written as it is made; every read is done before the first.
            _print_json_list(
                read_store.iter_listing(
                    rows,
                    cfg.home_region,
                    cfg.discourse_url,
                    filters,
                    sort,
                    private=with_private,
                )
            )
            return
        records = read_store.list_records(
            rows, cfg.home_region, cfg.discourse_url, filters, sort, private=with_private
        )
        # The figure --sort spread orders by, shown beside each record (the table only).
        spread = read_store.relations(rows) if sort is Sort.spread and not as_json else None
    if by_place:
        from bridge.catalogue import read_store
        from bridge.discovery.locate import PlaceProblem, place_filters

        engine = catalogue_engine(cfg)
        try:
            records = place_filters(
                engine,
                records,
                lambda: read_store.list_records(
                    engine,
                    cfg.home_region,
                    cfg.discourse_url,
                    read_store.Filters(archived="include"),
                ),
                near=near,
                within=within,
                population=population,
            )
        except PlaceProblem as exc:
            fail(str(exc))
    if as_json:
        from bridge.catalogue.canonical import encode_listed

        _print_json_list(map(encode_listed, records))
        return
    if not records:
        out.print("no records match")
        return
    from rich.table import Table
    from rich.text import Text

    from bridge.catalogue.evidence import SORTS, sort_figure

    by_figure = sort in SORTS
    table = Table(show_lines=False, header_style="bold")
    for column in (
        "ref",
        "title",
        "local body",
        "area",
        "phase",
        "kind",
        "proximity",
        "forum",
        "replies",
        "views",
    ):
        # The ref is what people copy into `projects show`: never broken across lines.
        table.add_column(
            column,
            overflow="fold",
            no_wrap=column == "ref",
            justify="right" if column in ("replies", "views") else "left",
        )
    if by_figure or spread is not None:
        table.add_column(sort.value, justify="right")
    for record in records:
        title = record["title"] + (" [archived]" if record["archived"] else "")
        cells: tuple[str, ...] = (
            record["ref"],
            title,
            record["local_body"]["name"],
            record["area"],
            record["phase"],
            record["kind"],
            record["proximity"],
            record["topic_url"] or "—",
            str(record["activity"]["replies"]),
            str(record["activity"]["views"]),
        )
        if by_figure:  # the figure it is sorted by, "—" where the record has none
            figure = sort_figure(sort, record)
            cells += ("—" if figure is None else f"{figure:g}",)
        elif spread is not None:  # how many councils took it up
            from bridge.catalogue.inspiration import spread_of

            cells += (str(spread_of(spread, record["ref"])),)
        table.add_row(*(Text(cell) for cell in cells))  # Text: people's words are never rich markup
    out.print(table)
    out.print(f"{len(records)} record(s)")


def _print_json_list(lines: Iterable[str]) -> None:
    """One JSON document on stdout, one record a line (each already encoded), written a few
    hundred records at a time as they come: no giant string, few writes."""
    from itertools import islice

    write = sys.stdout.write
    lines = iter(lines)
    first = True
    while batch := list(islice(lines, 500)):
        write(("[\n" if first else ",\n") + ",\n".join(batch))
        first = False
    write("[]\n" if first else "\n]\n")
    sys.stdout.flush()


@projects_app.command("show")
def projects_show(
    ref: Annotated[str, typer.Argument(help="The record's ref.")],
    as_json: JsonOption = False,
    with_private: WithPrivateOption = False,
) -> None:
    """The whole record, its topic URL, sync state and activity. Contacts' emails and phones are
    masked unless --with-private is given."""
    from bridge.catalogue.read_store import UnknownRef, get_record
    from bridge.harvest.read_store import also_harvested_from

    cfg = catalogue_settings()
    with catalogue_rows(cfg) as rows:
        try:
            record = get_record(rows, ref, cfg.home_region, cfg.discourse_url, private=with_private)
        except UnknownRef as exc:
            fail(str(exc))
        if "provenance" in record:  # issue 23: the same project from other sources too
            record["also_harvested_from"] = also_harvested_from(rows, ref)
        from bridge.connections.read_store import project_requests

        record["requests"] = project_requests(rows, ref)  # issue 22, contract §4b
    if as_json:
        print_json(record)
        return
    _print_record(record)


def evidence_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The "Evidence" block of `projects show` (issue 25): only what is filled in, with the
    per-inhabitant figures and their basis (caveats said, never silent)."""
    from bridge.catalogue.evidence import CAVEAT_TEXT, CRITERIA, PopulationCaveat

    lines: list[tuple[str, str]] = []
    cost = record.get("cost") or {}
    year = f" (euros of {cost['year']}, nominal)" if "year" in cost else " (nominal)"
    derived = record.get("evidence") or {}
    basis = derived.get("population_basis") or {}
    for field, label, what, per_key in (
        ("one_off_eur", "cost", " one-off", "cost_per_inhabitant_eur"),
        ("yearly_eur", "cost a year", "", "yearly_cost_per_inhabitant_eur"),
    ):
        if field in cost:
            per = derived.get(per_key)
            per_text = f"; €{per}/inhabitant" if per is not None else ""
            lines.append((label, f"€{cost[field]:,}{what}{year}{per_text}"))
    if derived.get("savings_per_inhabitant_eur") is not None:
        lines.append(("savings/inhabitant", f"€{derived['savings_per_inhabitant_eur']} a year"))
    for item in record.get("funding") or []:
        share = f" {item['share']:.0%}" if "share" in item else ""
        lines.append(("funding", f"{item['source']}{share}"))
    dates = record.get("dates") or {}
    for key in ("started", "piloted", "implemented"):
        if key in dates:
            lines.append((key, dates[key]))
    if derived.get("months_to_implement") is not None:
        lines.append(("months to implement", str(derived["months_to_implement"])))
    team = record.get("team") or {}
    if team:
        bits = [f"{team['people']} people"] if "people" in team else []
        if "external" in team:
            bits.append("with an external provider" if team["external"] else "in-house")
        lines.append(("team", ", ".join(bits)))
    for kpi in record.get("kpis") or []:
        change = " → ".join(f"{kpi[k]:,}" for k in ("before", "after") if k in kpi)
        unit = f" {kpi['unit']}" if "unit" in kpi else ""
        extra = "; ".join(kpi[k] for k in ("period", "source") if k in kpi)
        text = f"{kpi['name']}: {change}{unit}" + (f" ({extra})" if extra else "")
        lines.append(("result", text))
    criteria = record.get("criteria") or {}
    scores = [f"{k} {criteria[k]}/5" for k in CRITERIA if k in criteria]
    if scores:
        lines.append(("criteria", ", ".join(scores)))
    if "justification" in criteria:
        lines.append(("  why", criteria["justification"]))
    if lines and basis:
        shown = f"{basis['population']:,} inhabitants" if basis.get("population") else "unknown"
        source = {"gazetteer": "official (gazetteer)", "record": "the record's own figure"}.get(
            basis.get("source") or "", ""
        )
        caveats = "; ".join(CAVEAT_TEXT[PopulationCaveat(c)] for c in basis.get("caveats", []))
        text = ", ".join(x for x in (shown, source) if x) + (f" — {caveats}" if caveats else "")
        lines.append(("population basis", text))
    return lines


def _print_record(record: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    def row(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            grid.add_row(Text(label), Text(str(value)))

    body = record["local_body"]
    row("ref", record["ref"])
    row("title", record["title"])
    place = ", ".join(str(body[k]) for k in ("region", "country") if body.get(k))
    row("local body", f"{body['name']} ({place})")
    for key in ("kind", "municipality_code", "population"):
        row(f"  {key.replace('_', ' ')}", body.get(key))
    if "latitude" in body:
        row("  position", f"{body['latitude']}, {body['longitude']}")
    located = record.get("place")
    if located:
        where = ", ".join(str(located[k]) for k in ("comarca", "province", "nuts3") if k in located)
        people = f"{located['population']:,} inhabitants" if located["population"] else ""
        named = f"{located['name']} ({located['code']})"
        row("place", "; ".join(x for x in (named, where, people) if x))
    else:
        row("place", "unplaced")
    for contact in record.get("contacts", []):
        who = " · ".join(
            str(contact[k]) for k in ("name", "role", "email", "phone") if contact.get(k)
        )
        if contact.get("forum_username"):
            who += f" · @{contact['forum_username']}"
        row("contact", f"{who} ({'public' if contact.get('public') else 'private'})")
    row("description", record["description"])
    row("value", record.get("value"))
    row("savings", record.get("savings"))
    row("savings €/year", record.get("savings_eur_per_year"))
    row("savings hours/year", record.get("savings_hours_per_year"))
    for key, text in record.get("analysis", {}).items():
        row(key, text)
    for label, text in evidence_lines(record):
        row(label, text)
    row("area", record["area"])
    row("kind", record["kind"])
    row("phase", record["phase"])
    for document in record.get("documents", []):
        row(
            f"document ({document['kind']})",
            f"{document.get('title', '')} {document['url']}".strip(),
        )
    row("built on", ", ".join(record.get("inspired_by", [])))
    row("replicated in", ", ".join(record.get("replicated_in", [])))
    row("proximity", f"{record['proximity']} ({record['proximity_basis']})")
    row("archived", "yes" if record["archived"] else "no")
    row("forum topic", record["topic_url"] or "not paired")
    row("sync state", record["sync_state"])
    row("last error", record["last_error"])
    activity = record["activity"]
    row(
        "activity",
        f"{activity['replies']} replies, {activity['views']} views, {activity['likes']} likes, "
        f"{activity['participants']} participants, last post "
        f"{activity['last_posted_at'] or 'never'}",
    )
    row("revision", record["revision"])
    for provenance in [record.get("provenance"), *record.get("also_harvested_from", ())]:
        if provenance:  # a harvested record: where it came from, and the original's link
            row("harvested from", f"{provenance.get('publisher', '?')} {provenance['source']}")
            row("  source id", provenance["source_id"])
            row("  licence", provenance.get("licence") or "not given")
            row("  harvested at", provenance["harvested_at"])
            row("  modified there", provenance.get("modified"))
            row("  original", provenance.get("url"))
    out.print(grid)


def _set_archived(ref: str, archived: bool) -> None:
    from bridge.catalogue import store

    cfg = settings()
    engine = catalogue_engine(cfg)
    with _database_errors():
        try:
            changed = store.set_archived(engine, ref, archived)
        except store.UnknownRef as exc:
            fail(str(exc))
    word = "archived" if archived else "restored"
    if changed:
        follow = "closed" if archived else "reopened"
        out.print(f"{ref} {word}; its forum topic will be {follow} at the next sync")
    else:
        out.print(f"{ref} was already {word if archived else 'active'}; nothing changed")


@projects_app.command("archive")
def projects_archive(ref: Annotated[str, typer.Argument(help="The record's ref.")]) -> None:
    """Withdraw a record from the observatory (its topic is closed at the next sync, never
    deleted)."""
    _set_archived(ref, True)


@projects_app.command("restore")
def projects_restore(ref: Annotated[str, typer.Argument(help="The record's ref.")]) -> None:
    """Bring an archived record back (its topic is reopened at the next sync)."""
    _set_archived(ref, False)


@projects_app.command("link")
def projects_link(
    ref: Annotated[str, typer.Argument(help="The record that built on another.")],
    inspired_by: Annotated[
        str, typer.Option("--inspired-by", metavar="REF", help="The project it built on.")
    ],
    remove: Annotated[
        bool, typer.Option("--remove", help="Forget the link instead of recording it.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Record that a project built on another (who took up whose project): both topics show it
    at the next sync. With --remove, forget it."""
    from bridge.catalogue import store

    cfg = settings()
    engine = catalogue_engine(cfg)
    with _database_errors():
        try:
            done = store.link_inspiration(engine, ref, inspired_by, remove=remove)
        except store.UnknownRef as exc:
            fail(str(exc))
        except store.InspirationRefused as exc:
            fail(str(exc))
    if as_json:
        print_json(
            {
                "ref": done.ref,
                "inspired_by": list(done.inspired_by),
                "changed": done.changed,
                "removed": remove,
            }
        )
        return
    if not done.changed:
        state = "does not name" if remove else "already names"
        out.print(f"{ref} {state} {inspired_by} as built on; nothing changed")
        return
    verb = "no longer built on" if remove else "built on"
    out.print(f"{ref} {verb} {inspired_by}; both topics follow at the next sync")
