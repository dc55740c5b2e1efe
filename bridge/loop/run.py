"""One pull as a logged run: the same wrapper as a sync (bridge.sync.runs: lease, run row, how
it ended), so `status` lists pulls beside syncs and two never overlap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bridge.db import session_scope
from bridge.forum.errors import ForumAuthError, ForumUnreachable
from bridge.loop.pull import ListingClient, PullResult
from bridge.loop.pull import pull as pull_activity
from bridge.settings import Settings
from bridge.sync.runs import RunKind, RunStatus, logged_run


class CountingClient(ListingClient, Protocol):
    requests_made: int


def run_pull(
    engine: Engine,
    client: CountingClient,
    *,
    deep: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    settings: Settings | None = None,
) -> PullResult:
    """One pull under the catalogue's lease, logged as a run of kind "pull". Raises LeaseHeld,
    ForumAuthError, ForumUnreachable (values already pulled are kept; the rest keep their last).
    With `settings`, the pull also answers challenges (issue 12, bridge.challenges.runner)."""
    before = client.requests_made
    result = PullResult()
    with logged_run(engine, RunKind.pull) as run:
        run.tally = lambda: (
            {"updated": result.updated, "requests": client.requests_made - before},
            [],
        )
        try:
            result = pull_activity(
                lambda: session_scope(engine),
                client,
                deep=deep,
                should_stop=should_stop,
                observatory=settings.observatory.enabled if settings is not None else True,
            )
            if settings is not None:
                from bridge.challenges.runner import pull_challenges

                # The client answers challenges too (a ForumClient); its protocol here is narrower.
                answering: Any = client
                result.challenges = pull_challenges(
                    engine, settings, answering, should_stop=should_stop
                ).as_json()
                from bridge.connections.step import pull_requests

                # Issue 22: contact, visit and collaboration requests.
                # The project topics that grew are read for requests made as replies there.
                result.connection_requests = pull_requests(
                    engine, settings, answering, should_stop=should_stop, topics=result.topics
                ).as_json()
        except (ForumAuthError, ForumUnreachable) as exc:
            run.end(RunStatus.failed, f"{exc}; activity not reached keeps its last pulled values")
            raise
        run.key_accepted = client.requests_made > before
        run.end(RunStatus.interrupted if result.stopped else RunStatus.ok)
        return result
