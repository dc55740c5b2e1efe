"""`digicanvis doctor` (issue 26): against the emulator configured rightly, then wrongly in each
of the ways the issue lists; the emulator's admin endpoints (site settings, web hooks, the key's
user) with Discourse's shapes; the pure checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from plugins.sync import add_projects
from typer.testing import CliRunner

from bridge.cli import app
from bridge.db import engine_for, make_engine
from bridge.dbapi import HEAD
from bridge.doctor import checks
from bridge.doctor.checks import Check, Status
from bridge.emulator import RunningEmulator
from bridge.settings import Settings
from bridge.sync.lease import SYNC_LEASE, LeaseHandle

SECRET = "a-webhook-secret-of-some-length"
RECEIVER = "https://bridge.example/webhooks/discourse"


def good_hook(**changes: Any) -> dict[str, Any]:
    return {
        "payload_url": RECEIVER,
        "content_type": "application/json",
        "secret": SECRET,
        "events": list(checks.REQUIRED_EVENTS),
        "active": True,
    } | changes


@pytest.fixture
def doctor_env(
    bridge_env: Settings, sync_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sa.Engine]:
    monkeypatch.setenv("DISCOURSE_URL", sync_emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", sync_emulator.api_key)
    monkeypatch.setenv("BRIDGE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    engine = make_engine(bridge_env.database_url)
    add_projects(engine, 3)
    yield engine
    engine.dispose()
    engine_for(bridge_env.database_url).dispose()


def doctor(*args: str) -> tuple[int, dict[str, Check], str]:
    result = CliRunner().invoke(app, ["doctor", "--json", *args])
    doc = json.loads(result.stdout)
    assert doc["exit_code"] == result.exit_code
    found = {
        c["name"]: Check(c["name"], Status(c["status"]), c["detail"], c["fix"])
        for c in doc["checks"]
    }
    return result.exit_code, found, result.stdout


def problems(found: dict[str, Check]) -> list[str]:
    return sorted(name for name, c in found.items() if c.status is Status.PROBLEM)


# ---------------------------------------------------------------------------- end to end


def test_a_well_configured_forum_passes_every_check(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator
) -> None:
    sync_emulator.control("web_hook", **good_hook())
    code, found, _ = doctor()
    assert code == 0, found
    assert problems(found) == []
    for name in (
        "database",
        "sync lock",
        "catalogue",
        "api key",
        "tagging_enabled",
        "max_tags_per_topic",
        "max_tag_length",
        "min_topic_title_length",
        "max_topic_title_length",
        "min_first_post_length",
        "max_post_length",
        "allow_uncategorized_topics",
        "create_tag_allowed_groups",
        "title_prettify",
        "allow_duplicate_topic_titles",
        "categories",
        "tags",
        "webhook",
    ):
        assert found[name].status is Status.OK, found[name]
    # Discourse does not list this global setting: said, not failed.
    assert found["max_admin_api_reqs_per_minute"].status is Status.NOTE
    assert "3 records" in found["catalogue"].detail
    # Read-only: nothing but GETs reached the forum.
    assert {label.split()[0] for label in sync_emulator.stats()["by_route"]} <= {"GET"}


def test_human_output_marks_each_check_and_names_the_fix(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator
) -> None:
    sync_emulator.control("site_settings", settings={"max_tags_per_topic": 2})
    sync_emulator.control("web_hook", **good_hook())
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "✓ database: reachable" in result.stdout
    assert "✗ max_tags_per_topic: 2, but a record needs up to 3" in result.stdout
    assert (
        "fix: Admin › All site settings: search 'max_tags_per_topic' and set it to at least 3"
        in result.stdout
    )
    assert SECRET not in result.stdout and sync_emulator.api_key not in result.stdout


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("tagging_enabled", False, "the bridge tags every topic"),
        ("max_tags_per_topic", 2, "a record needs up to 3"),
        ("max_tag_length", 3, "the longest tag is"),
        ("min_topic_title_length", 200, "the shortest title is"),
        ("max_topic_title_length", 16, "the longest title is"),
        ("min_first_post_length", 100_000, "the shortest post is"),
        ("max_post_length", 50, "the longest post is"),
        ("create_tag_allowed_groups", "41|42", "admins are in none of these groups"),
        ("title_prettify", False, "false drift"),
    ],
)
def test_each_wrong_setting_is_reported_with_its_fix(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator, setting: str, value: Any, words: str
) -> None:
    sync_emulator.control("web_hook", **good_hook())
    sync_emulator.control("site_settings", settings={setting: value})
    code, found, _ = doctor()
    assert code == 1
    assert setting in problems(found)
    assert words in found[setting].detail
    assert found[setting].fix is not None and f"'{setting}'" in found[setting].fix
    assert "Admin › All site settings" in found[setting].fix


@pytest.mark.parametrize(
    ("hook", "words"),
    [
        (None, "no web hook posts to"),
        (good_hook(payload_url="https://elsewhere.example/hook"), "no web hook posts to"),
        (good_hook(content_type="application/x-www-form-urlencoded"), "content type"),
        (good_hook(events=["post_created", "post_edited"]), "misses the events topic_created"),
        (good_hook(secret=""), "has no secret"),
        (good_hook(secret="another-secret-value"), "differs from BRIDGE_WEBHOOK_SECRET"),
        (good_hook(active=False), "not active"),
    ],
)
def test_each_wrong_web_hook_is_reported(
    doctor_env: sa.Engine,
    sync_emulator: RunningEmulator,
    hook: dict[str, Any] | None,
    words: str,
) -> None:
    if hook is not None:
        sync_emulator.control("web_hook", **hook)
    code, found, out = doctor("--webhook-url", RECEIVER)
    assert code == 1
    assert problems(found) == ["webhook"]
    assert words in found["webhook"].detail
    assert "Admin › API › Webhooks" in (found["webhook"].fix or "")
    assert "another-secret-value" not in out and SECRET not in out


def test_a_wildcard_hook_covers_every_event(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator
) -> None:
    sync_emulator.control("web_hook", **good_hook(events=[], wildcard_web_hook=True))
    code, found, _ = doctor()
    assert (code, found["webhook"].status) == (0, Status.OK)


def test_a_key_whose_user_is_not_an_admin(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_emulator.control("user", username="clerk", admin=False)
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "clerk")
    code, found, _ = doctor()
    assert code == 1
    assert problems(found) == ["api key"]
    assert "clerk is not an admin" in found["api key"].detail
    assert "Admin › API › API keys" in (found["api key"].fix or "")
    # The admin endpoints are not asked: they would answer 403.
    assert "max_tags_per_topic" not in found


def test_a_refused_key_cannot_be_checked(
    doctor_env: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCOURSE_API_KEY", "wrong-key")
    code, found, out = doctor()
    assert code == 2
    assert found["api key"].status is Status.UNCHECKED
    assert "refused" in found["api key"].detail
    # No granular scope allows creating categories (core app/models/api_key_scope.rb).
    assert "global scope" in (found["api key"].fix or "")
    assert "wrong-key" not in out


def test_no_forum_configured_cannot_be_checked(
    doctor_env: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCOURSE_URL")
    code, found, _ = doctor()
    assert code == 2
    assert found["forum"].status is Status.UNCHECKED
    assert found["database"].status is Status.OK


def test_a_database_behind_the_latest_migration(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator
) -> None:
    sync_emulator.control("web_hook", **good_hook())
    with doctor_env.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        code, found, _ = doctor()
    finally:  # the PostgreSQL database is shared by the session's tests
        with doctor_env.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD})
    assert code == 1
    assert "database" in problems(found)
    assert "digicanvis db upgrade" in (found["database"].fix or "")


def test_a_held_sync_lock_names_its_holder(
    doctor_env: sa.Engine, sync_emulator: RunningEmulator
) -> None:
    sync_emulator.control("web_hook", **good_hook())
    with LeaseHandle.acquire(doctor_env, SYNC_LEASE, holder="host-a:4242:cafe"):
        code, found, _ = doctor()
    assert code == 0, problems(found)
    assert found["sync lock"].status is Status.NOTE
    assert "held by host-a:4242:cafe" in found["sync lock"].detail


# ---------------------------------------------------------------------------- the emulator


def _get(emu: RunningEmulator, path: str, username: str = "system", key: str | None = None) -> Any:
    headers = {"Api-Key": key or emu.api_key, "Api-Username": username}
    return requests.get(f"{emu.url}{path}", headers=headers, timeout=10)


def test_emulator_site_settings_have_discourses_shape(emulator: RunningEmulator) -> None:
    emulator.control("site_settings", settings={"max_tags_per_topic": 3, "tagging_enabled": False})
    response = _get(emulator, "/admin/site_settings.json")
    assert response.status_code == 200
    items = {item["setting"]: item for item in response.json()["site_settings"]}
    # SiteSetting.all_settings: values and defaults as strings, the type hash merged in.
    assert items["max_tags_per_topic"]["value"] == "3"
    assert items["max_tags_per_topic"]["default"] == "5"
    assert items["max_tags_per_topic"]["type"] == "integer"
    assert items["tagging_enabled"]["value"] == "false"
    assert items["create_tag_allowed_groups"]["value"] == "1|2|13"
    assert {"setting", "description", "default", "value", "category", "type"} <= set(
        items["title_prettify"]
    )
    assert "max_admin_api_reqs_per_minute" not in items  # a hidden global setting


def test_emulator_web_hooks_have_discourses_shape(emulator: RunningEmulator) -> None:
    emulator.control("web_hook", **good_hook(events=["topic_created", "post_edited"]))
    body = _get(emulator, "/admin/api/web_hooks.json").json()
    assert set(body) == {"web_hooks", "extras", "total_rows_web_hooks", "load_more_web_hooks"}
    (hook,) = body["web_hooks"]
    assert hook["payload_url"] == RECEIVER
    assert hook["content_type"] == 1  # WebHook.content_types["application/json"]
    assert hook["secret"] == SECRET
    assert [e["name"] for e in hook["web_hook_event_types"]] == ["topic_created", "post_edited"]
    assert {"id", "name", "group"} == set(hook["web_hook_event_types"][0])
    assert {
        "id",
        "last_delivery_status",
        "wildcard_web_hook",
        "verify_certificate",
        "active",
        "category_ids",
        "tag_names",
        "group_ids",
    } <= set(hook)
    assert {"id": 1, "name": "application/json"} in body["extras"]["content_types"]


def test_emulator_admin_endpoints_refuse_non_admins_and_session_current_names_the_user(
    emulator: RunningEmulator,
) -> None:
    emulator.control("user", username="clerk", admin=False)
    for path in ("/admin/site_settings.json", "/admin/api/web_hooks.json"):
        response = _get(emulator, path, username="clerk")
        assert response.status_code == 403
        assert response.json()["error_type"] == "invalid_access"
        assert requests.get(f"{emulator.url}{path}", timeout=10).status_code == 403
    me = _get(emulator, "/session/current.json", username="clerk").json()["current_user"]
    assert (me["username"], me["admin"]) == ("clerk", False)
    assert _get(emulator, "/session/current.json").json()["current_user"]["admin"] is True
    # SessionController#current: nobody logged in → 404 with no body.
    anonymous = requests.get(f"{emulator.url}/session/current.json", timeout=10)
    assert anonymous.status_code == 404


def test_emulator_refuses_unknown_settings_and_events(emulator: RunningEmulator) -> None:
    with pytest.raises(RuntimeError, match="400"):
        emulator.control("site_settings", settings={"no_such_setting": 1})
    with pytest.raises(RuntimeError, match="400"):
        emulator.control("web_hook", **good_hook(events=["topic_exploded"]))


# ---------------------------------------------------------------------------- pure


def _topic(title: str, raw: str, tags: tuple[str, ...]) -> Any:
    return SimpleNamespace(stored_title=title, raw=raw, tags=tags)


def test_needs_are_the_catalogues_extremes() -> None:
    needs = checks.needs_of(
        [
            _topic("A fairly long title here", "x" * 40, ("km0", "pilot")),
            _topic("Short title ok", "y" * 900, ("km0", "pilot", "service-longname")),
        ]
    )
    assert needs is not None
    assert (needs.longest_body, needs.shortest_body) == (900, 40)
    assert (needs.shortest_title, needs.longest_title) == (14, 24)
    assert (needs.most_tags, needs.longest_tag) == (3, len("service-longname"))
    assert needs.tags == ("km0", "pilot", "service-longname")
    assert checks.needs_of([]) is None


def test_exit_code_prefers_cannot_check_then_problem() -> None:
    ok = Check("a", Status.OK, "")
    note = Check("b", Status.NOTE, "")
    problem = Check("c", Status.PROBLEM, "")
    unchecked = Check("d", Status.UNCHECKED, "")
    assert checks.exit_code([ok, note]) == 0
    assert checks.exit_code([ok, problem]) == 1
    assert checks.exit_code([problem, unchecked]) == 2


def test_a_readable_admin_rate_limit_below_the_bridges_is_a_problem() -> None:
    values = {"max_admin_api_reqs_per_minute": "30"}
    (check,) = [c for c in checks.site_settings(values, None, 60) if "reqs" in c.name]
    assert check.status is Status.PROBLEM
    assert "BRIDGE_RATE_LIMIT_PER_MINUTE=30" in (check.fix or "")
    (check,) = [c for c in checks.site_settings(values, None, 30) if "reqs" in c.name]
    assert check.status is Status.OK


def test_older_forums_name_events_by_group_and_min_trust_to_create_tag() -> None:
    hook = {
        "id": 4,
        "payload_url": RECEIVER,
        "content_type": 1,
        "secret": SECRET,
        "active": True,
        "web_hook_event_types": [{"id": 1, "name": "topic"}, {"id": 2, "name": "post"}],
    }
    assert checks.web_hook([hook], None, SECRET).status is Status.OK
    found = checks.site_settings({"min_trust_to_create_tag": "3"}, None, 60)
    assert next(c for c in found if c.name == "min_trust_to_create_tag").status is Status.OK
