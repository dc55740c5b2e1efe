"""How the long-running commands (`schedule`, `webhook`) log: human lines by default, or one JSON
object a line with `--log-format json` / `BRIDGE_LOG_FORMAT=json` (issue 26), for journald or a
log shipper.

A JSON line holds `time` (UTC, ISO 8601), `level`, `logger`, `event` (a short dotted name given
as `extra={"event": …}`, else "log"), `message`, and whichever of `run_id`, `ref`, `topic_id`,
`outcome`, `duration_ms`, `delivery`, `discourse_event` the record carries, plus `exception`
when there is one. Secrets are already gone: bridge.redact scrubs every LogRecord when it is
made (message, arguments and traceback), before any handler formats it (secrets are registered,
and the scrubber installed, when the configuration is read); the `extra` fields are scrubbed
here.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

from bridge.redact import scrub

FIELDS = ("run_id", "ref", "topic_id", "outcome", "duration_ms", "delivery", "discourse_event")


class LogFormat(StrEnum):
    human = "human"
    json = "json"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "log",
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                # `extra` values are set after the record factory scrubbed the message.
                doc[name] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


class _OneLinePerDelivery(logging.Filter):
    """The receiver's own INFO line per delivery (bridge.loop.webhook) says what the structured
    `webhook.delivery` line of bridge.loop.health says, without its fields: shown once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "bridge.loop.webhook" and record.levelno == logging.INFO)


def configure(fmt: LogFormat, *, stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """One handler on the root logger (replacing any earlier one of ours), writing to stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name("digicanvis")
    handler.addFilter(_OneLinePerDelivery())
    handler.setFormatter(
        JsonFormatter() if fmt is LogFormat.json else logging.Formatter("%(message)s")
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "digicanvis"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # waitress logs each queue warning; keep it, but not its per-connection chatter.
    logging.getLogger("waitress.queue").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
