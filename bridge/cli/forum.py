"""Commands of the forum loop: pull, schedule, webhook (see bridge.cli.app for what they share)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bridge.cli.app import (
    EXIT_OK,
    EXIT_PARTIAL,
    app,
    catalogue_engine,
    err,
    fail,
    forum_client,
    out,
    print_json,
    settings,
)
from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.loop.durations import parse_duration

# The loop and the sync engine are imported inside the commands, so that other commands do not
# pay for loading them.
if TYPE_CHECKING:
    from bridge.loop.pull import PullResult

log = logging.getLogger("bridge.loop")


def _pull_document(result: PullResult, requests: int) -> dict:
    return {
        "paired": result.paired,
        "updated": result.updated,
        "seen": result.seen,
        "pages": result.pages,
        "read_individually": result.read_individually,
        "requests": requests,
        "drift": [{"ref": ref, "what": what} for ref, what in sorted(result.drift.items())],
        # Issue 11: the observatory's index and overview topics (the overview read on its own).
        "page_reads": result.page_reads,
        "page_drift": [
            {"page": key, "what": what} for key, what in sorted(result.page_drift.items())
        ],
        "stopped": result.stopped,
        "challenges": result.challenges,
        "connection_requests": result.connection_requests,  # issue 22
    }


@app.command()
def pull(
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also read each paired topic's first post to find edits made in the forum (one "
            "request per topic, paced).",
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary on stdout.")
    ] = False,
) -> None:
    """Bring the forum's activity (replies, views, likes, participants, last post time) into the
    catalogue.

    Reads each area category's topic list in bulk (100 topics a request) and only reads a topic on
    its own when no list showed it (moved or deleted by a moderator), plus the observatory's
    overview topic. Also detects drift: what a moderator changed that the catalogue owns
    (category, tags, title, closed, deleted; the body with --deep), on record topics and on the
    index and overview topics. When the forum is unreachable, the last pulled values are kept
    (exit 2).

    Then answers challenges: new and edited topics of the [challenges] category get one reply
    listing the catalogue projects that match (see `digicanvis challenges list`); a reply the
    forum refused is retried next time (exit 1). And follows contact, visit and collaboration
    requests of the [connections] category: the linked project's contacts are invited, the
    request followed to an answer (see `digicanvis requests list`).
    """
    from bridge.loop.run import run_pull
    from bridge.sync.lease import LeaseHeld

    cfg = settings()
    engine = catalogue_engine(cfg)
    with forum_client(cfg) as client:
        try:
            result = run_pull(engine, client, deep=deep, settings=cfg)
        except LeaseHeld as exc:
            fail(str(exc))
        except (ForumAuthError, ForumUnreachable) as exc:
            fail(f"{exc}; the last pulled activity is kept")
        document = _pull_document(result, client.requests_made)
    challenge_failures = (result.challenges or {}).get("failures") or []
    challenge_failures += (result.connection_requests or {}).get("failures") or []
    if json_out:
        print_json(document)
    else:
        out.print(
            f"pulled {result.seen} of {result.paired} paired topics, {result.updated} changed: "
            f"{result.pages} list pages, "
            f"{result.read_individually} read individually, {document['requests']} requests"
        )
        for ref, what in sorted(result.drift.items()):
            out.print(f"drift  {ref}: {', '.join(what)}")
        for key, what in sorted(result.page_drift.items()):
            out.print(f"drift  page {key}: {', '.join(what)}")
        if result.challenges:
            _print_challenges(result.challenges)
        if result.connection_requests:
            _print_requests(result.connection_requests)
    if challenge_failures:
        raise typer.Exit(EXIT_PARTIAL)


def _print_challenges(doc: dict) -> None:
    if doc.get("skipped"):
        out.print(f"challenges: skipped ({doc['skipped']})", markup=False)
        return
    from bridge.challenges.answer import Result

    said = (
        *(Result.posted, Result.adopted, Result.edited, Result.no_match),
        *(Result.reply_deleted, Result.closed, Result.failed),
    )  # in this order (not the enum's): the summary line's golden order
    counts = ", ".join(f"{doc[k]} {k.replace('_', ' ')}" for k in said if doc.get(k))
    out.print(f"challenges: {doc['listed']} listed, {counts or 'nothing to answer'}", markup=False)
    for failure in doc.get("failures") or []:
        out.print(f"challenge {failure['topic_id']} failed: {failure['error']}", markup=False)


def _print_requests(doc: dict) -> None:
    if doc.get("skipped"):
        out.print(f"requests: skipped ({doc['skipped']})", markup=False)
        return
    keys = ("recorded", "ignored", "invited", "replied", "reminded", "answered", "agreed",
            "stale", "closed", "failed")  # fmt: skip
    counts = ", ".join(f"{doc[k]} {k}" for k in keys if doc.get(k))
    out.print(f"requests: {doc['listed']} listed, {counts or 'nothing new'}", markup=False)
    for failure in doc.get("failures") or []:
        out.print(f"request {failure['topic_id']}: {failure['error']}", markup=False)


LogFormatOption = Annotated[
    str,
    typer.Option(
        "--log-format",
        envvar="BRIDGE_LOG_FORMAT",
        help="human (default) or json: one JSON object a line (time, level, event, run_id, ref, "
        "topic_id, outcome, duration_ms), for journald or a log shipper. Env: BRIDGE_LOG_FORMAT.",
    ),
]


def _configure_logs(value: str) -> None:
    from bridge.logs import LogFormat, configure

    try:
        fmt = LogFormat(value.lower())
    except ValueError:
        fail(f"--log-format: {value!r} is neither 'human' nor 'json'")
    configure(fmt)


@app.command()
def schedule(
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Interval, e.g. 30s, 15m, 1h (default: [schedule].every in the TOML file).",
        ),
    ] = None,
    opendata: Annotated[
        Path | None,
        typer.Option(
            "--opendata",
            help="After each run, refresh the open data in this directory (as `digicanvis "
            "opendata DIR`) when the public catalogue changed.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Serve GET /healthz and GET /metrics (Prometheus) on this port, on 127.0.0.1 "
            "unless --metrics-host says otherwise.",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option("--metrics-host", help="Address for --metrics-port.")
    ] = "127.0.0.1",
    log_format: LogFormatOption = "human",
    harvest: Annotated[
        bool,
        typer.Option(
            "--harvest/--no-harvest",
            help="Before each sync, harvest the [[harvest]] sources of the TOML file (default: "
            "when there are any).",
        ),
    ] = True,
) -> None:
    """Run sync then pull now and periodically, until stopped.

    With [[harvest]] sources in the TOML file, each run first harvests them (an unchanged source
    costs one conditional request and writes nothing), so the sync carries what changed.

    Missed runs are coalesced, runs never overlap, and several schedulers against one catalogue
    never sync at the same time (they share the database lease: a run that finds it held is
    skipped). SIGTERM or Ctrl-C lets the current request finish, records progress and exits 0.
    Each run appears in `digicanvis status`.
    """
    from bridge.jobs.schedule import scheduled_run
    from bridge.loop.scheduler import run_until_stopped

    cfg = settings()
    _configure_logs(log_format)
    try:
        seconds = parse_duration(every or cfg.schedule.every)
    except ValueError as exc:
        fail(f"--every: {exc}")
    engine = catalogue_engine(cfg)
    forum_client(cfg).close()  # refuse at once when the forum is not configured
    if opendata is not None:
        from bridge.opendata.publish import check_target
        from bridge.opendata.writer import TargetRefused

        try:  # refused at once, not at the first run's end
            check_target(opendata)
        except TargetRefused as exc:
            fail(f"--opendata: {exc}")
    stop = threading.Event()

    def job() -> None:
        scheduled_run(
            engine,
            cfg,
            stop,
            connect=lambda: forum_client(cfg),
            harvest=harvest,
            opendata=opendata,
            report=lambda message: err.print(message, markup=False),
        )

    health_server = None
    if metrics_port is not None:
        from bridge.loop.health import HealthApp, serve_health

        try:
            health_server = serve_health(HealthApp(engine), host=metrics_host, port=metrics_port)
        except OSError as exc:
            fail(f"cannot listen on {metrics_host}:{metrics_port}: {exc.strerror}")
        log.info(
            "serving /healthz and /metrics at http://"
            f"{health_server.effective_host}:{health_server.effective_port}",
            extra={"event": "metrics.listening"},
        )
    log.info(
        f"scheduling sync then pull every {seconds} s; SIGTERM or Ctrl-C stops",
        extra={"event": "schedule.started"},
    )
    try:
        run_until_stopped(seconds, job, stop)
    finally:
        if health_server is not None:
            health_server.close()
    log.info("stopped", extra={"event": "schedule.stopped"})
    raise typer.Exit(EXIT_OK)


@app.command()
def webhook(
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on (default: [webhook].host, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port to listen on (default: [webhook].port, 8090)."),
    ] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Worker threads.")] = 4,
    log_format: LogFormatOption = "human",
) -> None:
    """Receive Discourse webhooks at POST /webhooks/discourse and update activity and drift at once.

    Every request must carry X-Discourse-Event-Signature, the HMAC-SHA256 of its body with
    BRIDGE_WEBHOOK_SECRET (missing: 401; wrong: 403). Events are deduplicated on
    X-Discourse-Event-Id; unknown events are acknowledged and ignored; malformed JSON gets 400;
    a topic or post event whose payload is not what Discourse sends (an id that is not a whole
    number within the database's range…) gets 422, one log line, and is recorded as delivered.
    With DISCOURSE_URL and DISCOURSE_API_KEY set, a challenge opened or edited in the
    [challenges] category is answered at once (topic_created, post_edited).
    GET /healthz (database reachable, last run's outcome and age) and GET /metrics (Prometheus)
    are served beside it. Serve it behind your HTTPS reverse proxy; SIGTERM or Ctrl-C stops it.
    """
    from bridge.jobs.webhook import receiver
    from bridge.loop.webhook import PATH, make_server

    cfg = settings()
    _configure_logs(log_format)
    if cfg.webhook_secret is None or not cfg.webhook_secret.get_secret_value():
        fail(
            "BRIDGE_WEBHOOK_SECRET is not set: the receiver refuses to run without a secret to "
            "verify signatures"
        )
    engine = catalogue_engine(cfg)
    # Challenges are answered at once (issue 12): that needs the forum's API.
    client = forum_client(cfg) if cfg.forum_configured else None
    if client is None:
        log.info(
            "challenges: DISCOURSE_URL/DISCOURSE_API_KEY not set; `pull` answers them",
            extra={"event": "webhook.challenges_off"},
        )
    application = receiver(engine, cfg, client, cfg.webhook_secret.get_secret_value())
    host = host or cfg.webhook.host
    port = cfg.webhook.port if port is None else port
    try:
        server = make_server(
            application,
            host=host,
            port=port,
            threads=threads,
        )
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")

    def _stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    log.info(
        f"receiving webhooks at http://{server.effective_host}:{server.effective_port}{PATH}",
        extra={"event": "webhook.listening"},
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    log.info("stopped", extra={"event": "webhook.stopped"})
