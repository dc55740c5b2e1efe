"""Fixtures for the connection requests tests (issue 22), registered in tests/conftest.py.

`request_forum`: the bundled sample catalogue synced to a fresh emulator (so the connections
category exists), with helpers to open a request as a practitioner, pull, and read what the
bridge wrote. `InviteSpy` is the forum client with `invite_to_topic` answered in the test: the
emulator (like Discourse core's `TopicsController#invite`) invites only to personal messages, so
the requests' invites are recorded here, and a lost answer can be played exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bridge.catalogue.importer import run_import
from bridge.connections import store
from bridge.connections.step import RequestRun, pull_requests
from bridge.forum.client import ForumClient
from bridge.models.types import utcnow
from plugins.challenges import SAMPLE
from plugins.sync import SyncHarness


class InviteSpy(ForumClient):
    """The real client over real HTTP, the invites it sends recorded (`invited`: who, by which
    way) and, on demand, refused before anything is sent (`fail_next`)."""

    invited: list[dict[str, Any]]
    fail_next: Callable[[], Exception | None] | None = None

    def _fail(self) -> None:
        failure = self.fail_next() if self.fail_next else None
        self.fail_next = None
        if failure is not None:
            raise failure

    def send_private_message(self, usernames: list[str], *, title: str, raw: str) -> Any:
        self.invited.append({"user": usernames[0], "email": None, "raw": raw})
        self._fail()
        return super().send_private_message(usernames, title=title, raw=raw)

    def invite_by_email(
        self, email: str, *, topic_id: int | None = None, custom_message: str | None = None
    ) -> Any:
        self.invited.append({"user": None, "email": email, "topic_id": topic_id})
        self._fail()
        return super().invite_by_email(email, topic_id=topic_id, custom_message=custom_message)


@dataclass
class RequestForum:
    harness: SyncHarness
    category_id: int
    invited: list[dict[str, Any]] = field(default_factory=list)
    now: datetime | None = None

    @property
    def emulator(self) -> Any:
        return self.harness.emulator

    @property
    def engine(self) -> Any:
        return self.harness.engine

    def client(self, **kwargs: Any) -> InviteSpy:
        kwargs.setdefault("rate_limit_per_minute", 0)
        kwargs.setdefault("max_backoff", 0.05)
        spy = InviteSpy(
            self.emulator.url, self.emulator.api_key, self.emulator.api_username, **kwargs
        )
        spy.invited = self.invited
        return spy

    def topic_url(self, ref: str) -> str:
        state = self.harness.states()[ref]
        return f"{self.harness.settings.discourse_url}/t/{state.topic_slug}/{state.topic_id}"

    def open(
        self, ref: str | None = "bcn-sentilo-sensors", *, raw: str | None = None,
        title: str = "Voldríem visitar-vos per veure com funciona", username: str = "anna",
        tags: list[str] | None = None,
    ) -> int:  # fmt: skip
        body = (
            raw
            if raw is not None
            else f"Hola! Ens agradaria fer una visita: {self.topic_url(ref or '')}"
        )
        done = self.emulator.control(
            "create_topic", category_id=self.category_id, title=title, raw=body,
            username=username, tags=tags,
        )  # fmt: skip
        return int(done["topic_id"])

    def reply_request(self, ref: str = "bcn-sentilo-sensors") -> int:
        """A practitioner's ordinary reply, then a request as a reply with a kind's hashtag,
        both in the project's own topic. The project topic's id."""
        project_topic = self.harness.states()[ref].topic_id
        assert project_topic is not None
        self.emulator.control(
            "reply", topic_id=project_topic, raw="Molt interessant, gràcies per compartir-ho!",
            username="anna",
        )  # fmt: skip
        self.emulator.control(
            "reply", topic_id=project_topic, username="anna",
            raw="#visita Som de Manlleu: podríem venir a veure-ho en directe?",
        )  # fmt: skip
        return project_topic

    def pull(self, client: InviteSpy | None = None) -> RequestRun:
        own = client is None
        client = client or self.client()
        try:
            return pull_requests(
                self.engine, self.harness.settings, client, now=lambda: self.now or utcnow()
            )
        finally:
            if own:
                client.close()

    def row(self, topic_id: int) -> dict[str, Any]:
        found = store.by_topic(self.engine, [topic_id]).get(topic_id)
        assert found is not None
        return found

    def who(self) -> list[str | None]:
        """Who was invited, in order: a username, or the address."""
        return [i["user"] or i["email"] for i in self.invited]

    def bridge_posts(self, topic_id: int) -> list[Any]:
        state = self.emulator.state
        with state.lock:
            api_user = state.user_by_name(self.emulator.api_username)
            return [
                p
                for p in state.topics[topic_id].posts
                if p.post_number > 1 and p.deleted_at is None and p.user_id == api_user.id
            ]

    def writes(self) -> int:
        routes = self.emulator.stats()["by_route"]
        return sum(n for route, n in routes.items() if not route.startswith("GET "))


@pytest.fixture
def request_forum(harness: SyncHarness) -> RequestForum:
    outcome = run_import(harness.engine, [SAMPLE])
    assert not outcome.problems, outcome.problems
    for user in ("martavidal", "oriolpuig", "jcasals"):  # the sample's contacts, forum users
        harness.emulator.control("user", username=user)
    summary = harness.sync()
    assert summary.failed == 0
    category = store.load_category(harness.engine, harness.settings.connections.slug)
    assert category is not None
    return RequestForum(harness, category.category_id)
