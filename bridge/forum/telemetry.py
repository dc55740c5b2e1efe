"""What the forum client counts for `GET /metrics` (issue 26): requests by outcome, 429s and
retries, in this process's prometheus-client registry. Outcomes are a closed vocabulary; no path,
key or user ever becomes a label."""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter


class Outcome(StrEnum):
    ok = "ok"  # 2xx (and the 3xx the client follows or reports)
    client_error = "client_error"  # 4xx other than 429: a refusal (validation, not found, auth)
    rate_limited = "rate_limited"  # 429: waited for and retried
    server_error = "server_error"  # 5xx
    connection_error = "connection_error"  # no answer (refused, reset, timed out)


REQUESTS = Counter(
    "digicanvis_forum_requests",
    "HTTP requests sent to the Discourse forum, by outcome.",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "digicanvis_forum_rate_limited", "Answers 429 (rate limited) from the Discourse forum."
)
RETRIES = Counter(
    "digicanvis_forum_retries", "Requests to the Discourse forum attempted again after a failure."
)
for _outcome in Outcome:  # every series present from the start, at 0
    REQUESTS.labels(outcome=_outcome.value)


def outcome_of(status: int) -> Outcome:
    if status == 429:
        return Outcome.rate_limited
    if status >= 500:
        return Outcome.server_error
    if status >= 400:
        return Outcome.client_error
    return Outcome.ok


def count_response(status: int) -> None:
    outcome = outcome_of(status)
    REQUESTS.labels(outcome=outcome.value).inc()
    if outcome is Outcome.rate_limited:
        RATE_LIMITED.inc()


def count_no_answer() -> None:
    REQUESTS.labels(outcome=Outcome.connection_error.value).inc()
