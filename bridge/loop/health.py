"""`GET /healthz` and `GET /metrics` (issue 26): a small WSGI app, composed in front of the webhook
receiver (`with_health`) and served on its own by `schedule --metrics-port` (`serve_health`).

- /healthz: 200 `{"status": "ok", "database": "reachable", "last_run": {kind, status, start,
  end, age_seconds}}` when the catalogue database answers; 503 `{"status": "unavailable",
  "database": "unreachable"}` when it does not (the driver's message stays in the log: it may
  name a host).
- /metrics: Prometheus' text format (prometheus-client). Read from the database at each scrape:
  runs by kind and status, records by sync status, the last successful run of each kind,
  challenges by status and open. Counted in this process: requests sent to the forum by outcome,
  429s and retries (bridge.forum.telemetry), webhook deliveries by result. Only counts, times and
  closed vocabularies: no ref, title, URL, user, key or secret.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, exposition, generate_latest
from prometheus_client.core import GaugeMetricFamily

from bridge.forum import telemetry  # noqa: F401  (the forum's counters exist from the start)
from bridge.models.enums import ChallengeStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
WSGIApp = Callable[..., Iterable[bytes]]
# Counted as open by the metric: not closed, not ignored (and, as it always was here, not one
# whose reply a moderator deleted; `status` counts those as open).
_OPEN_CHALLENGES = frozenset(
    (ChallengeStatus.pending, ChallengeStatus.answered, ChallengeStatus.no_match)
)
# Text format 0.0.4, which every Prometheus reads (prometheus-client ≥ 0.22 announces 1.0.0 by
# default, which Prometheus 2 does not know; the body is the same).
METRICS_TYPE = getattr(exposition, "CONTENT_TYPE_PLAIN_0_0_4", exposition.CONTENT_TYPE_LATEST)


class Delivery(StrEnum):
    """What became of one webhook delivery, by the receiver's HTTP answer."""

    processed = "processed"  # 200
    unsigned = "unsigned"  # 401: no signature
    bad_signature = "bad_signature"  # 403
    malformed = "malformed"  # 400, 411, 413
    not_routed = "not_routed"  # 404, 405
    failed = "failed"  # 500


def delivery_of(status: int) -> Delivery:
    return {
        200: Delivery.processed,
        401: Delivery.unsigned,
        403: Delivery.bad_signature,
        404: Delivery.not_routed,
        405: Delivery.not_routed,
    }.get(status, Delivery.failed if status >= 500 else Delivery.malformed)


# ---------------------------------------------------------------------------- health


def health(engine: Engine, now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    from bridge.dbapi import rows_of
    from bridge.sync.runs_read import RunKind, last_runs

    try:
        with rows_of(engine) as rows:
            rows.all("SELECT 1")
            runs = [run for kind in RunKind for run in last_runs(rows, limit=1, kind=kind)]
    except Exception as exc:  # any driver's error: the database cannot be used
        log.warning("healthz: the catalogue database cannot be read: %s", exc)
        return 503, {"status": "unavailable", "database": "unreachable"}
    doc: dict[str, Any] = {"status": "ok", "database": "reachable", "last_run": None}
    if runs:
        last = max(runs, key=lambda run: run["start"] or "")
        moment = datetime.fromisoformat((last["end"] or last["start"]).replace("Z", "+00:00"))
        age = ((now or datetime.now(UTC)) - moment).total_seconds()
        doc["last_run"] = {
            "kind": last["kind"],
            "status": last["status"],
            "start": last["start"],
            "end": last["end"],
            "age_seconds": round(max(age, 0.0), 1),
        }
    return 200, doc


# ---------------------------------------------------------------------------- metrics


class CatalogueCollector:
    """Gauges read from the catalogue database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from bridge.challenges.read_store import rows as challenge_rows
        from bridge.dbapi import rows_of
        from bridge.sync.runs_read import last_success, run_counts
        from bridge.sync.state_read import records_by_status

        up = GaugeMetricFamily(
            "digicanvis_database_up", "1 when the catalogue database answered this scrape."
        )
        try:
            with rows_of(self.engine) as rows:
                runs = run_counts(rows)
                records = records_by_status(rows)
                success = last_success(rows)
                challenges = [row["status"].value for row in challenge_rows(rows)]
        except Exception as exc:
            log.warning("metrics: the catalogue database cannot be read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        family = GaugeMetricFamily(
            "digicanvis_runs", "Runs in the run log, by kind and status.", labels=["kind", "status"]
        )
        for (kind, status), count in sorted(runs.items()):
            family.add_metric([kind, status], count)
        yield family
        family = GaugeMetricFamily(
            "digicanvis_records", "Catalogue records by sync status.", labels=["status"]
        )
        for status, count in records.items():
            family.add_metric([status.value], count)
        yield family
        family = GaugeMetricFamily(
            "digicanvis_last_success_timestamp_seconds",
            "End of the newest run that finished ok, by kind (Unix time).",
            labels=["kind"],
        )
        for kind, end in sorted(success.items()):
            family.add_metric([kind], end.timestamp())
        yield family
        family = GaugeMetricFamily(
            "digicanvis_challenges", "Challenges seen in the forum, by status.", labels=["status"]
        )
        for status in sorted(set(challenges)):
            family.add_metric([status], challenges.count(status))
        yield family
        family = GaugeMetricFamily(
            "digicanvis_challenges_open", "Challenges neither closed nor ignored."
        )
        family.add_metric([], sum(1 for s in challenges if s in _OPEN_CHALLENGES))
        yield family


class HealthApp:
    """The WSGI app of /healthz and /metrics for one catalogue."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(CatalogueCollector(engine))
        self.deliveries = Counter(
            "digicanvis_webhook_deliveries",
            "Webhook deliveries received, by result.",
            ["result"],
            registry=self.registry,
        )
        for result in Delivery:
            self.deliveries.labels(result=result.value)

    def metrics_text(self) -> bytes:
        # The process-wide registry holds the forum client's counters (and Python's own).
        return generate_latest(REGISTRY) + generate_latest(self.registry)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b'{"error": "use GET"}')
        if path == HEALTH_PATH:
            status, doc = health(self.engine)
            line = "200 OK" if status == 200 else "503 Service Unavailable"
            return _answer(start_response, line, json.dumps(doc).encode("utf-8"))
        if path == METRICS_PATH:
            return _answer(start_response, "200 OK", self.metrics_text(), METRICS_TYPE)
        return _answer(start_response, "404 Not Found", b'{"error": "not found"}')


def _answer(
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    content_type: str = "application/json; charset=utf-8",
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


# ---------------------------------------------------------------------------- composition


def with_health(receiver: WSGIApp, health_app: HealthApp) -> WSGIApp:
    """The receiver with GET /healthz and GET /metrics beside it; every delivery to the receiver
    is counted by result and logged as one structured line (event `webhook.delivery`)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in (HEALTH_PATH, METRICS_PATH):
            return health_app(environ, start_response)
        started = time.perf_counter()
        seen: list[int] = []
        tee = _Tee(environ.get("wsgi.input"))
        environ = {**environ, "wsgi.input": tee}

        def observe(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        body = receiver(environ, observe)
        result = delivery_of(seen[0] if seen else 500)
        health_app.deliveries.labels(result=result.value).inc()
        # Only a processed delivery passed the signature check: its topic id can be trusted.
        topic_id = _topic_id(tee.seen()) if result is Delivery.processed else None
        log.info(
            "webhook delivery %s: %s",
            environ.get("HTTP_X_DISCOURSE_EVENT_ID", "-"),
            result.value,
            extra={
                "event": "webhook.delivery",
                "outcome": result.value,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "delivery": environ.get("HTTP_X_DISCOURSE_EVENT_ID"),
                "discourse_event": environ.get("HTTP_X_DISCOURSE_EVENT"),
                "topic_id": topic_id,
            },
        )
        return body

    return app


class _Tee:
    """The request body as the receiver reads it (it bounds the size itself), kept for the log
    line: the delivery's topic id."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._chunks: list[bytes] = []

    def read(self, *args: Any) -> bytes:
        data = self._stream.read(*args) if self._stream is not None else b""
        self._chunks.append(data)
        return data

    def seen(self) -> bytes:
        return b"".join(self._chunks)


def _topic_id(body: bytes) -> int | None:
    """The topic a (verified) delivery is about: `topic.id`, or `post.topic_id`."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for key, field in (("topic", "id"), ("post", "topic_id")):
        value = payload.get(key, {}).get(field) if isinstance(payload.get(key), dict) else None
        if type(value) is int:
            return value
    return None


def serve_health(health_app: HealthApp, *, host: str, port: int) -> Any:
    """Serve /healthz and /metrics on a daemon thread (for `schedule --metrics-port`); returns the
    waitress server (`.effective_port`, `.close()`)."""
    from bridge.loop.webhook import make_server

    server = make_server(health_app, host=host, port=port, threads=2)
    threading.Thread(target=server.run, name="health", daemon=True).start()
    return server
