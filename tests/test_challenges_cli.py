"""`digicanvis challenges list`, and challenges in `pull` and `status` (issue 12 points 4 and 6)."""

from __future__ import annotations

import json

import pytest
from plugins.challenges import ChallengeForum
from tests_support import REPO_CONFIG
from typer.testing import CliRunner

from bridge.cli import app
from bridge.settings import Settings

runner = CliRunner()


@pytest.fixture
def cli_forum(
    bridge_env: Settings,
    database_url: str,
    challenge_forum: ChallengeForum,
    monkeypatch: pytest.MonkeyPatch,
) -> ChallengeForum:
    emulator = challenge_forum.emulator
    # The harness cleared BRIDGE_* and DISCOURSE_*: point the CLI at the same catalogue again.
    monkeypatch.setenv("BRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(REPO_CONFIG))
    monkeypatch.setenv("DISCOURSE_URL", emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", emulator.api_key)
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    return challenge_forum


def test_pull_answers_and_challenges_list_shows_it(cli_forum: ChallengeForum) -> None:
    forum = cli_forum
    topic_id = forum.open()
    forum.emulator.control("reply", topic_id=topic_id, raw="Nosaltres també ho necessitem!")
    pulled = runner.invoke(app, ["pull", "--json"])
    assert pulled.exit_code == 0, pulled.output
    doc = json.loads(pulled.stdout)
    assert doc["challenges"]["posted"] == 1 and doc["challenges"]["listed"] == 1
    listed = runner.invoke(app, ["challenges", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (item,) = json.loads(listed.stdout)
    (reply,) = forum.bridge_replies(topic_id)
    assert item["topic_id"] == topic_id and item["answered"] and item["open"]
    assert item["reply_post_id"] == reply.id and item["author"] == "marta"
    assert item["matched_refs"] == list(forum.row(topic_id).matched_refs)
    assert item["replies"] == 2  # the practitioner's and the bridge's
    human = runner.invoke(app, ["challenges", "list"])
    assert human.exit_code == 0 and "answered" in human.stdout and str(topic_id) in human.stdout


def test_status_says_a_moderator_deleted_the_reply(cli_forum: ChallengeForum) -> None:
    forum = cli_forum
    topic_id = forum.open()
    assert runner.invoke(app, ["pull"]).exit_code == 0
    (reply,) = forum.bridge_replies(topic_id)
    forum.emulator.control("delete_post", post_id=reply.id, username="moderadora")
    pulled = runner.invoke(app, ["pull"])
    assert pulled.exit_code == 0 and "1 reply deleted" in pulled.stdout
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert status["challenges"]["reply_deleted"] == [
        {"topic_id": topic_id, "title": forum.row(topic_id).title}
    ]
    human = runner.invoke(app, ["status"]).stdout
    assert f"challenge {topic_id}: a moderator deleted the bridge's reply" in human
    (item,) = json.loads(runner.invoke(app, ["challenges", "list", "--json"]).stdout)
    assert item["reply_deleted"] and not item["answered"]


def test_challenges_list_before_any_challenge(bridge_env: Settings) -> None:
    result = runner.invoke(app, ["challenges", "list", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert runner.invoke(app, ["challenges", "list"]).stdout.strip() == "no challenges yet"
    assert "--json" in runner.invoke(app, ["challenges", "list", "--help"]).stdout


def test_the_demo_opens_a_sample_challenge_and_shows_the_answer(bridge_env: Settings) -> None:
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    challenge = json.loads(result.stdout)["challenge"]
    assert challenge["status"] == "answered" and challenge["failures"] == []
    assert set(challenge["matched_refs"]) & {"santjust-xatbot", "helsinki-chatbot"}
    # Issue 21: only the chatbots, the foreign one included, each for the need it shares.
    assert set(challenge["matched_refs"]) == {"santjust-xatbot", "helsinki-chatbot"}
    assert "mateixa necessitat: assistent virtual" in challenge["reply"]
    assert challenge["reply"].startswith("Projectes del catàleg DigiCanvis")
    human = runner.invoke(app, ["demo"])
    assert human.exit_code == 0
    assert "a practitioner opens a challenge" in human.stdout and "/t/" in human.stdout


def test_pull_exits_1_when_a_reply_was_refused_and_status_lists_it(
    cli_forum: ChallengeForum, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge.forum.client import ForumClient
    from bridge.forum.errors import ForumValidationError

    def refuse(self: ForumClient, topic_id: int, raw: str) -> dict:
        raise ForumValidationError("the forum refused POST /posts.json: Body is too similar")

    topic_id = cli_forum.open()
    monkeypatch.setattr(ForumClient, "reply_to_topic", refuse)
    pulled = runner.invoke(app, ["pull"])
    assert pulled.exit_code == 1, pulled.output
    assert f"challenge {topic_id} failed: the forum refused" in pulled.stdout
    status = runner.invoke(app, ["status"]).stdout
    assert f"challenge {topic_id}: reply failed, retried next pull" in status
