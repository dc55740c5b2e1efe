"""Issue 22: contact, visit and collaboration requests, followed to an answer. Against the
emulator over real HTTP, on SQLite and PostgreSQL (the `harness` fixture); invites recorded by
`InviteSpy` (tests/plugins/connections.py says why)."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from plugins.connections import RequestForum
from typer.testing import CliRunner

from bridge.cli import app
from bridge.connections import store
from bridge.forum.errors import ForumUnreachable, ForumValidationError
from bridge.loop.run import run_pull
from bridge.models.enums import InviteState, RequestKind, RequestNote, RequestStatus
from bridge.models.types import utcnow

SENTILO = "bcn-sentilo-sensors"  # Barcelona: Marta (forum user martavidal), an email-only contact
EMAIL = "sentilo@exemple-bcn.cat"


def test_sync_makes_the_category_with_its_template(request_forum: RequestForum) -> None:
    cached = store.load_category(request_forum.engine, "contactes")
    assert cached is not None and cached.template_hash is not None
    state = request_forum.emulator.state
    with state.lock:
        category = state.categories[cached.category_id]
        assert category.name == "Contactes i visites"
        about = state.topics[cached.definition_topic_id]
        raw = about.first_post.raw
    assert "obriu un tema en aquesta categoria" in raw
    assert "`visita-acordada`" in raw and "`contacte`" in raw
    # A no-op sync costs no request for the category (cached, template unchanged).
    before = request_forum.writes()
    request_forum.harness.sync()
    assert request_forum.writes() == before


def test_a_request_is_recorded_its_contacts_invited_and_told_once(
    request_forum: RequestForum,
) -> None:
    topic = request_forum.open()
    run = request_forum.pull()
    row = request_forum.row(topic)
    assert (row["ref"], row["council"], row["asker"]) == (SENTILO, "Barcelona", "anna")
    assert row["kind"] == RequestKind.visit and row["status"] == RequestStatus.open
    # A forum user by a personal message linking the request (Discourse notifies them), the
    # email-only contact by Discourse's own invitation email, landing on the request's topic.
    assert request_forum.who() == ["martavidal", EMAIL]
    assert request_forum.invited[1]["topic_id"] == topic
    state = request_forum.emulator.state
    with state.lock:
        (message,) = [t for t in state.topics.values() if t.private_message]
        assert f"/t/-/{topic})" in message.first_post.raw and "anna" in message.first_post.raw
        marta = state.user_by_name("martavidal")
        assert marta.id in message.allowed_user_ids
        emailed = [e for e in state.outgoing_emails if e.to == EMAIL]
        assert len(emailed) == 1 and emailed[0].topic_id == topic
    posts = request_forum.bridge_posts(topic)
    assert len(posts) == 1
    assert "Marta Vidal i Soler (Cap de l'Oficina de Ciutat Intel·ligent)" in posts[0].raw
    assert "Suport tècnic Sentilo" in posts[0].raw
    assert "@" not in posts[0].raw and "exemple-bcn" not in posts[0].raw  # no mention, no address
    assert run.as_json()["invited"] == 2 and run.as_json()["replied"] == 1
    # The address is nowhere in the bridge's own rows.
    invites = store.invites(request_forum.engine, row["id"])
    assert all(EMAIL not in repr(i) for i in invites)
    assert {i.state for i in invites} == {InviteState.sent}

    # Nothing new: the list read alone, no write, no topic read.
    request_forum.emulator.control("reset_stats")
    again = request_forum.pull()
    assert again.reads == 0 and request_forum.writes() == 0 and again.pages == 1
    assert len(request_forum.invited) == 2


def test_answered_by_an_invited_person_then_agreed_then_closed(
    request_forum: RequestForum,
) -> None:
    topic = request_forum.open()
    request_forum.pull()
    # The asker's own follow-up is no answer.
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="Algú hi és? Encara esperem resposta.", username="anna"
    )
    request_forum.pull()
    assert request_forum.row(topic)["status"] == RequestStatus.open
    # Anyone of the council answers (oriolpuig is listed for another Barcelona record).
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="I tant, us esperem quan vulgueu!", username="oriolpuig"
    )
    run = request_forum.pull()
    row = request_forum.row(topic)
    assert row["status"] == RequestStatus.answered and row["answered_at"] is not None
    assert run.as_json()["answered"] == 1
    request_forum.emulator.control("retag", topic_id=topic, tags=["visita-acordada"])
    request_forum.pull()
    assert request_forum.row(topic)["status"] == RequestStatus.agreed
    request_forum.emulator.control("close", topic_id=topic)
    request_forum.pull()
    assert request_forum.row(topic)["status"] == RequestStatus.closed


def test_stale_after_the_days_reminded_once(request_forum: RequestForum) -> None:
    topic = request_forum.open()
    request_forum.pull()
    request_forum.now = utcnow() + timedelta(days=11)
    run = request_forum.pull()
    row = request_forum.row(topic)
    assert row["status"] == RequestStatus.stale and row["reminded_at"] is not None
    assert run.as_json()["reminded"] == 1
    posts = request_forum.bridge_posts(topic)
    assert len(posts) == 2
    assert "Recordatori" in posts[1].raw
    # The same two people invited a second time, once.
    assert len(request_forum.invited) == 4
    request_forum.now = utcnow() + timedelta(days=30)
    request_forum.pull()
    assert len(request_forum.bridge_posts(topic)) == 2 and len(request_forum.invited) == 4
    # A late answer still counts.
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="Perdó pel retard, parlem-ne aviat.", username="martavidal"
    )
    request_forum.pull()
    assert request_forum.row(topic)["status"] == RequestStatus.answered


def test_a_lost_invite_answer_never_invites_twice(request_forum: RequestForum) -> None:
    topic = request_forum.open()
    # The forum takes the first invite (Marta's personal message), then drops the connection
    # before answering: the emulator's fault injection.
    request_forum.emulator.control("faults", drop_after_create=1)
    request_forum.pull()
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="Hola? Algú ens pot respondre?", username="anna"
    )
    request_forum.pull()
    state = request_forum.emulator.state
    with state.lock:
        messages = [t for t in state.topics.values() if t.private_message]
    assert len(messages) == 1  # never sent again
    row = request_forum.row(topic)
    states = [i.state for i in store.invites(request_forum.engine, row["id"])]
    assert states == [InviteState.intended, InviteState.sent]
    # The intent left by the lost answer counts as invited in the note: it probably arrived.
    (post,) = request_forum.bridge_posts(topic)
    assert "Marta Vidal" in post.raw


def test_an_unreachable_forum_forgets_the_intent_and_a_refusal_is_final(
    request_forum: RequestForum,
) -> None:
    topic = request_forum.open()
    client = request_forum.client()
    client.fail_next = lambda: ForumUnreachable("connection refused")
    with pytest.raises(ForumUnreachable):
        request_forum.pull(client)
    client.close()
    row = request_forum.row(topic)
    assert store.invites(request_forum.engine, row["id"]) == []  # nothing reached the forum
    client = request_forum.client()
    client.fail_next = lambda: ForumValidationError("You can only invite to personal messages.")
    request_forum.pull(client)
    client.close()
    states = [i.state for i in store.invites(request_forum.engine, row["id"])]
    assert states == [InviteState.refused, InviteState.sent]
    # The refused person is not named as invited.
    (post,) = request_forum.bridge_posts(topic)
    assert "Marta" not in post.raw and "Suport tècnic Sentilo" in post.raw


def test_a_lost_reply_is_adopted_not_posted_twice(request_forum: RequestForum) -> None:
    # Sant Just's chatbot has one email-only contact: the first POST /posts is the bridge's note.
    topic = request_forum.open("santjust-xatbot")
    request_forum.emulator.control("faults", drop_after_create=1)  # our reply: taken, then lost
    request_forum.pull()
    # The kernel looked the topic up at once and adopted the note the forum had taken.
    row = request_forum.row(topic)
    assert row["reply_post_id"] is not None and row["reply_started_at"] is None
    request_forum.pull()
    assert len(request_forum.bridge_posts(topic)) == 1
    assert request_forum.row(topic)["reply_post_id"] == request_forum.bridge_posts(topic)[0].id


@pytest.mark.parametrize(
    ("raw", "username", "note"),
    [
        ("Voldria contactar amb algú, però no sé amb qui.", "anna", RequestNote.no_link),
        ("Mireu https://example.org/t/x/12 i /t/-/999999", "anna", RequestNote.not_catalogue),
        (None, "system", RequestNote.own_user),
    ],
)
def test_requests_that_name_no_project_are_ignored_with_a_reason(
    request_forum: RequestForum, raw: str | None, username: str, note: RequestNote
) -> None:
    topic = request_forum.open(raw=raw, username=username)
    run = request_forum.pull()
    row = request_forum.row(topic)
    assert (row["status"], row["note"]) == (RequestStatus.ignored, note)
    assert request_forum.invited == [] and request_forum.bridge_posts(topic) == []
    assert run.as_json()["failed"] == 0


def test_an_archived_project_is_noted_and_an_edit_relinks(request_forum: RequestForum) -> None:
    result = CliRunner().invoke(app, ["projects", "archive", SENTILO], env=_env(request_forum))
    assert result.exit_code == 0, result.output
    topic = request_forum.open()
    request_forum.pull()
    assert request_forum.row(topic)["note"] == RequestNote.archived_project
    assert request_forum.invited == []
    # The asker edits the request to link another project: followed from then on.
    request_forum.emulator.control(
        "edit_post", topic_id=topic, username="anna",
        raw=f"Millor aquest: {request_forum.topic_url('bcn-decidim')}",
    )  # fmt: skip
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="He editat la petició, gràcies.", username="anna"
    )
    request_forum.pull()
    row = request_forum.row(topic)
    assert (row["ref"], row["status"]) == ("bcn-decidim", RequestStatus.open)
    assert request_forum.who() == ["oriolpuig"]


def test_a_deleted_topic_closes_its_request(request_forum: RequestForum) -> None:
    topic = request_forum.open()
    request_forum.pull()
    request_forum.emulator.control("delete", topic_id=topic)
    request_forum.pull()
    row = request_forum.row(topic)
    assert (row["status"], row["note"]) == (RequestStatus.closed, RequestNote.topic_deleted)


def test_a_flood_waits_for_the_next_day(request_forum: RequestForum) -> None:
    request_forum.harness.settings.connections.max_invites_per_project_per_day = 3
    first = request_forum.open(username="anna")
    second = request_forum.open(username="anna", title="Una altra petició de visita")
    request_forum.pull()
    assert len(request_forum.invited) == 3
    held = request_forum.row(second)
    assert held["note"] == RequestNote.flood_limited and held["reply_post_id"] is None
    assert request_forum.row(first)["reply_post_id"] is not None
    # A day later the rest goes, and the held request gets its note.
    with request_forum.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE connection_invite SET intended_at = ?", (utcnow() - timedelta(days=2),)
        ) if request_forum.engine.dialect.name == "sqlite" else conn.exec_driver_sql(
            "UPDATE connection_invite SET intended_at = %s", (utcnow() - timedelta(days=2),)
        )
    request_forum.emulator.control(
        "reply", topic_id=second, raw="Alguna novetat sobre la visita?", username="anna"
    )
    request_forum.pull()
    assert len(request_forum.invited) == 4
    assert request_forum.row(second)["note"] is None
    assert len(request_forum.bridge_posts(second)) == 1


def test_hostile_text_is_never_an_exception(request_forum: RequestForum) -> None:
    raw = (
        "<script>alert(1)</script> @admins [quote]x[/quote] \u202e "
        + "col·laborar " * 500
        + request_forum.topic_url(SENTILO)
    )
    topic = request_forum.open(raw=raw, title="@everyone <b>col·laboració</b> ![x](javascript:1)")
    run = request_forum.pull()
    assert run.as_json()["failed"] == 0
    row = request_forum.row(topic)
    assert row["kind"] == RequestKind.collaboration and row["status"] == RequestStatus.open
    (post,) = request_forum.bridge_posts(topic)
    assert "<script>" not in post.raw and "@admins" not in post.raw


def test_requests_list_and_status_never_show_an_email(request_forum: RequestForum) -> None:
    topic = request_forum.open()
    request_forum.pull()
    env = _env(request_forum)
    result = CliRunner().invoke(app, ["requests", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["topic_id"] == topic and doc["ref"] == SENTILO and doc["status"] == "open"
    assert doc["kind"] == "visit" and doc["asked_at"] and doc["answered_at"] is None
    assert "@" not in result.stdout
    result = CliRunner().invoke(app, ["requests", "list", "--status", "answered"], env=env)
    assert result.exit_code == 0 and "no requests" in result.stdout
    result = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert json.loads(result.stdout)["requests"]["open"] == 1
    result = CliRunner().invoke(app, ["projects", "show", SENTILO, "--json"], env=env)
    shown = json.loads(result.stdout)["requests"]
    assert shown["open"] == 1 and shown["answered"] == 0 and shown["median_days"] is None


def _env(forum: RequestForum) -> dict[str, str]:
    return {
        "BRIDGE_DATABASE_URL": forum.engine.url.render_as_string(hide_password=False),
        "DISCOURSE_URL": forum.harness.settings.discourse_url or "",
    }


def test_the_project_topic_shows_its_figures_rewritten_only_when_they_change(
    request_forum: RequestForum,
) -> None:
    topic = request_forum.open()
    request_forum.pull()
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="I tant, us esperem quan vulgueu!", username="martavidal"
    )
    request_forum.pull()
    summary = request_forum.harness.sync()
    assert summary.updated == 1 and summary.failed == 0
    project_topic = request_forum.harness.topic_of(SENTILO)
    raw = project_topic.first_post.raw
    assert "Sol·licituds de contacte: 1 · respostes 1 · mediana 0 dies" in raw
    assert "anna" not in raw  # never who asked
    # Nothing changed: nothing rewritten.
    assert request_forum.harness.sync().updated == 0
    request_forum.emulator.control("retag", topic_id=topic, tags=["visita-acordada"])
    request_forum.pull()
    assert request_forum.harness.sync().updated == 1
    assert "1 acordades" in request_forum.harness.topic_of(SENTILO).first_post.raw


def test_open_data_has_each_projects_figures_never_who_asked(
    request_forum: RequestForum, tmp_path: Path
) -> None:
    from bridge.opendata.publish import publish

    topic = request_forum.open()
    request_forum.pull()
    request_forum.emulator.control(
        "reply", topic_id=topic, raw="I tant, us esperem quan vulgueu!", username="martavidal"
    )
    request_forum.pull()
    cfg = request_forum.harness.settings
    out = tmp_path / "od"
    publish(
        request_forum.engine, out, cfg.opendata, home_region=cfg.home_region,
        discourse_url=cfg.discourse_url,
    )  # fmt: skip
    with (out / "projects.csv").open(encoding="utf-8") as handle:
        rows = {row["ref"]: row for row in csv.DictReader(handle)}
    row = rows[SENTILO]
    assert (row["requests"], row["requests_answered"], row["requests_median_days"]) == (
        "1", "1", "0",
    )  # fmt: skip
    assert rows["bcn-decidim"]["requests"] == ""
    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file())
    assert "anna" not in everything and EMAIL not in everything


def test_a_contact_can_opt_out_in_every_format(engine: Any, tmp_path: Path) -> None:
    """`contacts[].invite: false` (contract §4b) in JSON, YAML and a CSV's contacts cell: stored,
    exported as written, the default (true) never written out."""
    import yaml

    from bridge.catalogue.importer import run_import
    from bridge.catalogue.read_store import export_records
    from bridge.connections.rules import targets

    contacts = [
        {"name": "Ada", "email": "ada@example.cat", "invite": False},
        {"name": "Bea", "email": "bea@example.cat"},
    ]
    base = {
        "title": "Opt-out", "description": "d", "area": "citizen-care", "kind": "service",
        "phase": "pilot", "local_body": {"name": "Olot", "country": "ES"},
    }  # fmt: skip
    for name, ref, dump in (
        ("a.json", "opt-json", json.dumps),
        ("b.yaml", "opt-yaml", yaml.safe_dump),
    ):
        (tmp_path / name).write_text(dump([{**base, "ref": ref, "contacts": contacts}]))
    with (tmp_path / "c.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "title", "description", "area", "kind", "phase",
                         "local_body.name", "local_body.country", "contacts"])  # fmt: skip
        writer.writerow(["opt-csv", "Opt-out", "d", "citizen-care", "service", "pilot", "Olot",
                         "ES", json.dumps(contacts)])  # fmt: skip
    outcome = run_import(engine, [tmp_path / "a.json", tmp_path / "b.yaml", tmp_path / "c.csv"])
    assert not outcome.problems, outcome.problems
    exported = {r["ref"]: r for r in export_records(engine)}
    for ref in ("opt-json", "opt-yaml", "opt-csv"):
        assert exported[ref]["contacts"] == [{**c, "public": False} for c in contacts]
        assert [t.name for t in targets(exported[ref]["contacts"])] == ["Bea"]
    # Importing the export changes nothing.
    (tmp_path / "again.json").write_text(json.dumps(list(exported.values())))
    again = run_import(engine, [tmp_path / "again.json"])
    assert not again.problems and again.result is not None
    assert again.result.updated == () and len(again.result.unchanged) == 3


def test_a_note_posted_before_a_crash_is_adopted(request_forum: RequestForum) -> None:
    """The run died after the forum took the note and before its id was stored: the next run
    finds the intent, looks the topic up and adopts the note (the kernel's look_first)."""
    topic = request_forum.open("santjust-xatbot")
    client = request_forum.client()
    client.fail_next = lambda: ForumUnreachable("the run dies here")  # before the email invite
    with pytest.raises(ForumUnreachable):
        request_forum.pull(client)
    client.close()
    row = request_forum.row(topic)
    store.save(request_forum.engine, row["id"], reply_started_at=utcnow())
    request_forum.emulator.control(
        "reply",
        topic_id=topic,
        raw="L'observatori ha convidat… (la nota d'abans)",
        username="system",
    )
    request_forum.pull()
    (post,) = request_forum.bridge_posts(topic)
    assert request_forum.row(topic)["reply_post_id"] == post.id


def test_a_request_made_as_a_reply_is_found_by_a_pull(request_forum: RequestForum) -> None:
    """Without any webhook: the pull reads the new posts of the project topics that grew (and
    only those), records the request once, follows it to its answer and its topic's closing."""
    forum = request_forum
    client = forum.client()
    baseline = run_pull(forum.engine, client, settings=forum.harness.settings)
    assert baseline.connection_requests is not None
    assert baseline.connection_requests["reads"] == 0  # first sight: nothing to compare with
    before = client.requests_made
    run_pull(forum.engine, client, settings=forum.harness.settings)
    quiet = client.requests_made - before  # the lists alone (and the overview)
    project_topic = forum.reply_request()

    found = run_pull(forum.engine, client, settings=forum.harness.settings)
    assert found.connection_requests is not None
    # One read of the grown topic: its post ids and first chunk, the new posts among them.
    assert found.connection_requests["reads"] == 1
    assert found.connection_requests["recorded"] == 1
    (row,) = store.requests(forum.engine, "topic_id = ?", (project_topic,))
    assert (row["ref"], row["asker"], row["status"]) == (SENTILO, "anna", RequestStatus.open)
    assert row["kind"] == RequestKind.visit and forum.who() == ["martavidal", EMAIL]
    assert len(forum.bridge_posts(project_topic)) == 1

    # The next pull reads the topic once more (it grew by the bridge's own note) and records
    # nothing: not found twice, no invite again.
    again = run_pull(forum.engine, client, settings=forum.harness.settings)
    assert again.connection_requests is not None
    assert again.connection_requests["reads"] == 1
    assert again.connection_requests["recorded"] == 0 and again.connection_requests["ignored"] == 0
    assert len(store.requests(forum.engine, "topic_id = ?", (project_topic,))) == 1
    assert len(forum.invited) == 2 and len(forum.bridge_posts(project_topic)) == 1

    # Nothing changed: no topic read, no write; the same requests as a quiet pull before the
    # request was made.
    forum.emulator.control("reset_stats")
    before = client.requests_made
    still = run_pull(forum.engine, client, settings=forum.harness.settings)
    assert still.connection_requests is not None and still.connection_requests["reads"] == 0
    assert forum.writes() == 0
    assert client.requests_made - before == quiet

    # The project's contact answers in the project topic: the pull reads it and it is answered.
    forum.emulator.control(
        "reply", topic_id=project_topic, raw="I tant, us esperem quan vulgueu!",
        username="martavidal",
    )  # fmt: skip
    answered = run_pull(forum.engine, client, settings=forum.harness.settings)
    assert answered.connection_requests is not None
    assert answered.connection_requests["answered"] == 1
    assert store.request(forum.engine, row["id"])["status"] == RequestStatus.answered  # type: ignore[index]
    # The project topic closed: so is the request.
    forum.emulator.control("close", topic_id=project_topic)
    run_pull(forum.engine, client, settings=forum.harness.settings)
    assert store.request(forum.engine, row["id"])["status"] == RequestStatus.closed  # type: ignore[index]
    client.close()


def test_a_reply_request_goes_stale_and_is_reminded_once_by_a_pull(
    request_forum: RequestForum,
) -> None:
    forum = request_forum
    client = forum.client()
    run_pull(forum.engine, client, settings=forum.harness.settings)
    project_topic = forum.reply_request()
    run_pull(forum.engine, client, settings=forum.harness.settings)
    (row,) = store.requests(forum.engine, "topic_id = ?", (project_topic,))
    forum.now = utcnow() + timedelta(days=11)
    run = forum.pull(client)
    fresh = store.request(forum.engine, row["id"])
    assert fresh is not None
    assert fresh["status"] == RequestStatus.stale and fresh["reminded_at"] is not None
    assert run.as_json()["reminded"] == 1 and len(forum.invited) == 4
    posts = forum.bridge_posts(project_topic)
    assert len(posts) == 2 and "Recordatori" in posts[1].raw
    forum.now = utcnow() + timedelta(days=30)
    forum.pull(client)
    assert len(forum.bridge_posts(project_topic)) == 2 and len(forum.invited) == 4
    client.close()
