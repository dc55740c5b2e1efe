"""Fixtures for the challenges tests (registered in tests/conftest.py).

`challenge_forum`: the bundled sample catalogue (30 realistic records) synced to a fresh emulator
through the real client and sync engine, so the challenges category exists; helpers to open and
edit challenges as a practitioner (the emulator's control API, never the API user) and to pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.catalogue.importer import run_import
from bridge.challenges import store
from bridge.challenges.runner import ChallengeRun, pull_challenges
from bridge.forum.client import ForumClient
from plugins.sync import SyncHarness

SAMPLE = Path(__file__).resolve().parents[2] / "bridge" / "samples" / "demo_catalogue.yaml"

CENSUS_TITLE = "Massa trucades sobre el padró: qui té un xatbot?"
CENSUS_BODY = (
    "Som un ajuntament de 18.000 habitants i l'oficina d'atenció ciutadana s'ofega en trucades "
    "sobre el padró i els certificats d'empadronament. Qui ha posat en marxa un xatbot o un "
    "assistent conversacional per respondre-les?"
)


@dataclass
class ChallengeForum:
    harness: SyncHarness
    category_id: int

    @property
    def emulator(self) -> Any:
        return self.harness.emulator

    def client(self, **kwargs: Any) -> ForumClient:
        return self.harness.client(**kwargs)

    def open(
        self,
        title: str = CENSUS_TITLE,
        raw: str = CENSUS_BODY,
        *,
        username: str = "marta",
        category_id: int | None = None,
    ) -> int:
        done = self.emulator.control(
            "create_topic",
            category_id=category_id or self.category_id,
            title=title,
            raw=raw,
            username=username,
        )
        return int(done["topic_id"])

    def pull(self, client: ForumClient | None = None) -> ChallengeRun:
        own = client is None
        client = client or self.client()
        try:
            return pull_challenges(self.harness.engine, self.harness.settings, client)
        finally:
            if own:
                client.close()

    def bridge_replies(self, topic_id: int) -> list[Any]:
        """Live replies of the API user in a topic (what the bridge posted)."""
        state = self.emulator.state
        with state.lock:
            api_user = state.user_by_name(self.emulator.api_username)
            return [
                p
                for p in state.topics[topic_id].posts
                if p.post_number > 1 and p.deleted_at is None and p.user_id == api_user.id
            ]

    def row(self, topic_id: int) -> store.Known:
        found = store.load_one(self.harness.engine, topic_id)
        assert found is not None
        return found

    def topic_url(self, ref: str) -> str:
        state = self.harness.states()[ref]
        return f"/t/{state.topic_slug}/{state.topic_id}"

    def writes(self) -> int:
        routes = self.emulator.stats()["by_route"]
        return sum(n for route, n in routes.items() if not route.startswith("GET "))


@pytest.fixture
def challenge_forum(harness: SyncHarness) -> ChallengeForum:
    outcome = run_import(harness.engine, [SAMPLE])
    assert not outcome.problems, outcome.problems
    summary = harness.sync()
    assert summary.failed == 0
    category = store.load_category(harness.engine, harness.settings.challenges.slug)
    assert category is not None
    return ChallengeForum(harness, category.category_id)
