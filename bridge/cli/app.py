"""The Typer application and what every command shares: settings, exit codes, output helpers.

Exit status (contract §3): 0 success; 1 the work ran but some items failed; 2 bad input, bad
usage, bad configuration, an unknown ref, a refused API key or an unreachable forum.

Start-up is kept to Typer and the command tree (issue 15): every module a command needs beyond
them (the database, pydantic settings, rich, the secret scrubber, the sync engine, the HTTP
client) is imported when that command runs. tests/test_cli_imports.py holds every command to it.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from bridge.config import CatalogueSettings
    from bridge.dbapi import Rows
    from bridge.settings import Settings

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2


class _Group(typer.core.TyperGroup):
    """Every command runs inside `invoke`: a database that fails mid-command (a file corrupted
    past its first page reads fine until a query reaches the damage) ends as a clear exit 2 for
    every command, present and future, rather than a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from bridge.dbapi import driver_errors, unusable

            # The read commands' own connections (bridge.dbapi) raise the driver's errors.
            if isinstance(exc, driver_errors()) and type(exc).__name__ != "IntegrityError":
                fail(str(unusable(exc)))
            # SQLAlchemy is looked up, not imported: commands that never load it stay light,
            # and an exception from it means it is loaded.
            sa = sys.modules.get("sqlalchemy")
            if (
                sa is not None
                and isinstance(exc, sa.exc.DatabaseError)  # OperationalError included
                and not isinstance(exc, sa.exc.IntegrityError)  # a conflict: commands explain it
            ):
                fail(str(unusable(exc.orig)))
            raise


app = typer.Typer(
    name="digicanvis",
    cls=_Group,
    help=(
        "DigiCanvis: the observatory of local digital-transformation projects.\n\n"
        "A catalogue of project records (fitxes) paired with a Discourse forum: one topic per "
        "record, "
        "kept in sync, with the forum's activity pulled back into the catalogue.\n\n"
        "Configuration: environment variables (BRIDGE_DATABASE_URL, DISCOURSE_URL, "
        "DISCOURSE_API_KEY, "
        "DISCOURSE_API_USERNAME, BRIDGE_RATE_LIMIT_PER_MINUTE, BRIDGE_HOME_REGION, BRIDGE_CONFIG) "
        "override "
        "config/bridge.toml, which overrides built-in defaults."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


# The `--json` option of the read commands, one spelling for all.
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (for scripts).")
]


def sub_app(name: str, help: str) -> typer.Typer:
    """A command group (`digicanvis NAME …`) on the main app; bare, it prints its help."""
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


@functools.cache
def _safe_console_class() -> type[Console]:
    """SafeConsole, defined on first use so that commands printing no rich output never load
    rich (issue 15)."""
    from rich.console import Console
    from rich.segment import Segment
    from rich.table import Table

    class SafeConsole(Console):
        """A rich Console whose text can neither carry a secret nor drive the terminal: every
        text segment goes through bridge.redact.scrub and bridge.terminal.visible just before it
        is written (styles and the progress bar's cursor controls are rich's own, left alone).
        `_render_buffer` is where rich turns segments into output (stable since rich 10)."""

        def print(self, *objects: Any, **kwargs: Any) -> None:
            # Issue 28: off a terminal a table is printed plain (bridge.cli.tables).
            if not self.is_terminal and any(isinstance(o, Table) for o in objects):
                from bridge.cli.tables import plain_lines

                # Written as they are: rich would expand the tabs that separate the cells.
                for o in objects:
                    lines = plain_lines(o) if isinstance(o, Table) else [str(o)]
                    self.file.write("".join(_shown(line) + "\n" for line in lines))
                self.file.flush()
                return
            super().print(*objects, **kwargs)

        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            return super()._render_buffer(
                segment if segment.control else Segment(_shown(segment.text), *segment[1:])
                for segment in buffer
            )

    return SafeConsole


def _shown(text: str) -> str:
    from bridge.redact import scrub
    from bridge.terminal import visible

    return visible(scrub(text))


class _LazyConsole:
    """A SafeConsole made on first use: commands that print no rich output never load rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            self._console = _safe_console_class()(**self._options)
        return getattr(self._console, name)


# Human output goes to stderr when --json owns stdout, and to stdout otherwise.
out: Console = _LazyConsole(highlight=False, soft_wrap=True)  # type: ignore[assignment]
err: Console = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)  # type: ignore[assignment]


@app.callback()
def _root(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            help="TOML configuration file (default: $BRIDGE_CONFIG or config/bridge.toml).",
        ),
    ] = None,
) -> None:
    if config:
        os.environ["BRIDGE_CONFIG"] = config


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a one-line error for a person and exit. The message is scrubbed of secrets and of
    terminal controls (the console does it again per segment; doing it on the whole line first
    also catches a secret that rich would split across styled segments)."""
    err.print(f"error: {_shown(message)}", markup=False)
    raise typer.Exit(code)


def settings() -> Settings:
    """The whole configuration, validated (pydantic): for commands that work with the forum."""
    from bridge.settings import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc))


def catalogue_settings() -> CatalogueSettings:
    """What the catalogue's read commands need of the configuration, read without pydantic."""
    from bridge import redact
    from bridge.config import ConfigError, load_catalogue_settings

    try:
        cfg = load_catalogue_settings()
    except ConfigError as exc:
        fail(str(exc))
    # As `load_settings` does: every message that leaves the process is scrubbed of these.
    redact.register(*cfg.secrets)
    redact.register_url(cfg.discourse_url)
    redact.register_url(cfg.database_url)
    return cfg


def catalogue_engine(cfg: Settings | CatalogueSettings, *, check_schema: bool = True) -> Engine:
    """The catalogue's engine; refuses (exit 2) when the database is unreachable or not migrated."""
    from bridge.db import DatabaseError, engine_for, require_current_schema

    try:
        engine = engine_for(cfg.database_url)
        if check_schema:
            require_current_schema(engine)
        return engine
    except DatabaseError as exc:
        fail(str(exc))


@contextmanager
def catalogue_rows(cfg: Settings | CatalogueSettings) -> Iterator[Rows]:
    """The catalogue through its driver alone, for the read commands (bridge.dbapi: no
    SQLAlchemy to load); refuses (exit 2) when the database is unreachable or not migrated."""
    from bridge.dbapi import DatabaseError, connect

    try:
        with connect(cfg.database_url) as rows:
            yield rows
    except DatabaseError as exc:
        fail(str(exc))


def catalogue_documents(
    read: Callable[[Rows, str | None], Iterable[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """What a read command lists, read through the driver alone (`read` is given the rows and
    the forum's URL, for the topics' links)."""
    cfg = catalogue_settings()
    with catalogue_rows(cfg) as rows:
        return list(read(rows, cfg.discourse_url))


def forum_client(cfg: Settings):
    """The forum client; refuses (exit 2) when DISCOURSE_URL or DISCOURSE_API_KEY is missing.
    Imported here, not at the top, so commands that never talk to the forum start faster."""
    from bridge.config import ConfigError
    from bridge.forum.client import ForumClient

    try:
        return ForumClient.from_settings(cfg)
    except ConfigError as exc:
        fail(str(exc))


def print_json(document: Any) -> None:
    """One JSON document on stdout, nothing else there (contract §3)."""
    import json

    from bridge.redact import scrub
    from bridge.terminal import json_safe

    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(json_safe(scrub(text)))
    sys.stdout.write("\n")
    sys.stdout.flush()


def printed_plainly(documents: list[Any], as_json: bool, empty: str) -> bool:
    """The JSON list when asked for, else `empty` when there is nothing: True when that was
    all there was to print (the caller prints its own lines otherwise)."""
    if as_json:
        print_json(documents)
        return True
    if not documents:
        out.print(empty, markup=False)
        return True
    return False


def print_matches(matches: list[dict[str, Any]], as_json: bool, empty: str) -> None:
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
