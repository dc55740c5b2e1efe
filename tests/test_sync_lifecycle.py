"""The sync engine end to end over real HTTP against the emulator (issue 4): lifecycle, each kind
of change, archive/restore, dry run, --project, title collisions, drift hooks. Every test ends
with `assert_consistent`: no duplicate topic, no lost record, all records paired."""

from __future__ import annotations

import pytest
from plugins.sync import SyncHarness, add_project, add_projects, edit_project

from bridge.rules.discourse import prettify_title
from bridge.sync.plan import PlanError


def test_first_sync_creates_one_topic_per_record_then_a_rerun_is_free(harness: SyncHarness) -> None:
    add_projects(harness.engine, 12)
    first = harness.sync()
    assert (first.created, first.updated, first.failed) == (12, 0, 0)
    # One request per record plus the categories: one list and one create per area (six), then
    # the challenges category of issue 12: one list and one create, then the connections category
    # of issue 22: one list, one create, and its definition topic read and its first post written
    # with the request template.
    assert first.requests == 12 + 1 + 6 + 1 + 1 + 4
    harness.assert_consistent()
    before = harness.requests()
    again = harness.sync()
    assert (again.created, again.updated, again.unchanged, again.requests) == (0, 0, 12, 0)
    assert harness.requests() == before, "a no-op sync must not send a single request"


def test_topic_carries_what_the_contract_says(harness: SyncHarness) -> None:
    add_project(
        harness.engine,
        "vic-wifi",
        1,
        title="Wifi",
        body={"name": "Ajuntament de Vic", "country": "ES", "region": "ES-B", "population": 46000},
        phase="pilot",
        kind="service",
        area="citizen-care",
        contacts=[
            {
                "name": "Pere",
                "role": "TIC",
                "email": "pere@vic.cat",
                "forum_username": "pere",
                "public": True,
            },
            {"name": "Secreta", "email": "secret@vic.cat", "public": False},
        ],
        documents=[{"kind": "article", "title": "Memòria", "url": "https://vic.cat/memoria.pdf"}],
    )
    harness.sync()
    harness.assert_consistent()
    topic = harness.topic_of("vic-wifi")
    state = harness.states()["vic-wifi"]
    # Short title completed with the local body; stored as Discourse prettified it.
    assert topic.title == "Wifi — Ajuntament de Vic"
    assert state.title == topic.title
    assert sorted(topic.tags) == ["km0", "pilot", "service"]  # ES-B lies inside ES-CT
    assert harness.category_slug(topic.category_id) == "citizen-care"
    raw = topic.posts[0].raw
    assert "## Ens local" in raw and "## Descripció" in raw and "## Documentació" in raw
    assert "[Memòria](https://vic.cat/memoria.pdf)" in raw
    # The contact's forum account as a profile link, never a mention (issue 14 item 4).
    assert "[pere](/u/pere)" in raw and "@pere" not in raw and "secret@vic.cat" not in raw
    assert "pere@vic.cat" not in raw, "a public contact's email never reaches the topic (issue 28)"
    assert "Fitxa vic-wifi del catàleg DigiCanvis" in raw
    assert topic.external_id == state.external_id == "dc-vic-wifi"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"title": "Un títol completament nou per al projecte"}, ["title"]),
        ({"description": "Una descripció nova, més llarga i més clara que l'anterior."}, ["body"]),
        ({"area": "social-services"}, ["body", "category"]),  # the post names the area too
        ({"phase": "implemented"}, ["body", "tags"]),
        ({"kind": "organisation"}, ["body", "tags"]),
        ({"proximity": "foreign"}, ["body", "tags"]),
    ],
)
def test_each_kind_of_change_writes_only_what_changed(
    harness: SyncHarness, change: dict, fields: list[str]
) -> None:
    add_project(harness.engine, "rec-a", 1, area="citizen-care", phase="pilot", kind="service")
    add_project(harness.engine, "rec-b", 2)
    harness.sync()
    edit_project(harness.engine, "rec-a", **change)
    before = harness.requests()
    summary = harness.sync()
    assert (summary.updated, summary.unchanged, summary.created) == (1, 1, 0)
    (outcome,) = [o for o in summary.outcomes if o.ref == "rec-a"]
    assert list(outcome.fields) == fields
    # One PUT /posts for the body with its title and category (issue 9: one request, one
    # revision); PUT /t/-/{id} only for tags, or for title/category when the body is unchanged.
    body = "body" in fields
    expected = body + ("tags" in fields or (not body and bool(fields)))
    assert summary.requests == harness.requests() - before == expected
    topic = harness.topic_of("rec-a")
    state = harness.states()["rec-a"]
    assert (state.title, state.category_id, sorted(state.tags)) == (
        topic.title,
        topic.category_id,
        sorted(topic.tags),
    )
    if "body" in fields:
        assert topic.posts[0].edit_reason == harness.settings.label("edit_reason_update")
    if "category" in fields:
        assert harness.category_slug(topic.category_id) == "social-services"
    if "tags" in fields:
        assert {"implemented", "organisation", "foreign"} & set(topic.tags)
    assert harness.sync().requests == 0
    harness.assert_consistent()


def test_a_change_that_does_not_show_in_the_forum_costs_nothing(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    edit_project(harness.engine, "rec-a", body={"latitude": 41.9})  # not rendered in the post
    summary = harness.sync()
    assert (summary.unchanged, summary.requests) == (1, 0)
    assert harness.states()["rec-a"].content_hash == harness.projects()[0].content_hash


def test_archive_closes_and_restore_reopens_never_deletes(harness: SyncHarness) -> None:
    add_projects(harness.engine, 3)
    harness.sync()
    topic_id = harness.states()["rec-0001"].topic_id
    harness.emulator.control(
        "reply", topic_id=topic_id, raw="Una resposta d'algú del fòrum, que no es toca."
    )
    edit_project(
        harness.engine,
        "rec-0001",
        archived=True,
        description="Canviat mentre estava arxivat, i prou llarg.",
    )
    summary = harness.sync()
    assert (summary.archived, summary.updated, summary.requests) == (1, 0, 1)
    topic = harness.topic_of("rec-0001")
    assert topic.closed and topic.deleted_at is None and len(topic.posts) == 2
    assert harness.sync().requests == 0
    edit_project(harness.engine, "rec-0001", archived=False)
    summary = harness.sync()
    assert summary.restored == 1
    (outcome,) = [o for o in summary.outcomes if o.ref == "rec-0001"]
    assert outcome.fields == ("body",)  # the content changed while archived is written now
    topic = harness.topic_of("rec-0001")
    assert not topic.closed and "Canviat mentre estava arxivat" in topic.posts[0].raw
    assert topic.posts[1].raw.startswith("Una resposta")  # replies untouched
    assert harness.sync().requests == 0
    harness.assert_consistent()


def test_an_archived_record_never_synced_gets_no_topic(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1, archived=True)
    summary = harness.sync()
    assert (summary.created, summary.unchanged) == (0, 1)
    assert harness.live_topics() == []


def test_identical_titles_are_made_distinct_by_the_local_body(harness: SyncHarness) -> None:
    for i, town in enumerate(["Vic", "Olot", "Reus"]):
        add_project(
            harness.engine,
            f"plat-{town.lower()}",
            i,
            title="Una plataforma de participació",
            body={"name": f"Ajuntament de {town}", "country": "ES", "region": "ES-CT"},
        )
    summary = harness.sync()
    assert summary.created == 3 and summary.failed == 0
    titles = sorted(harness.topic_of(f"plat-{t}").title for t in ("vic", "olot", "reus"))
    assert titles == [
        f"Una plataforma de participació — Ajuntament de {t}" for t in ("Olot", "Reus", "Vic")
    ]
    harness.assert_consistent()


def test_a_title_already_used_by_a_human_topic_falls_back_once(harness: SyncHarness) -> None:
    add_project(
        harness.engine,
        "rec-a",
        1,
        title="Una plataforma de participació",
        body={"name": "Ajuntament de Vic", "country": "ES"},
    )
    harness.sync()  # creates the categories
    category_id = harness.topic_of("rec-a").category_id
    with harness.client() as human:
        human._create_topic(
            title="Pressupostos participatius oberts",
            raw="Un tema d'una persona, no del pont.",
            category_id=category_id,
            tags=[],
            external_id="human-1",
        )
    add_project(
        harness.engine,
        "rec-b",
        2,
        title="Pressupostos participatius oberts",
        body={"name": "Ajuntament de Reus", "country": "ES"},
    )
    summary = harness.sync()
    assert (summary.created, summary.failed) == (1, 0), summary.failures
    topic = harness.topic_of("rec-b")
    assert topic.title == "Pressupostos participatius oberts — Ajuntament de Reus (rec-b)"
    assert harness.sync().requests == 0, (
        "the fallback title is what we meant: not rewritten every run"
    )
    harness.assert_consistent()


def test_forum_validation_failure_is_recorded_and_retried(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    category_id = harness.topic_of("rec-a").category_id
    title = "Pressupostos participatius oberts"
    with harness.client() as human:
        for n, t in enumerate([title, f"{title} — Ajuntament de Reus (rec-b)"]):
            human._create_topic(
                title=t,
                raw="Un tema d'una persona, no del pont.",
                category_id=category_id,
                tags=[],
                external_id=f"human-{n}",
            )
    add_project(
        harness.engine,
        "rec-b",
        2,
        title=title,
        body={"name": "Ajuntament de Reus", "country": "ES"},
    )
    add_project(harness.engine, "rec-c", 3)
    summary = harness.sync()
    assert (summary.created, summary.failed) == (1, 1)
    assert summary.failures[0]["ref"] == "rec-b"
    assert "Title has already been used" in summary.failures[0]["error"]
    state = harness.states()["rec-b"]
    assert state.state == "failed" and state.attempts == 1 and state.topic_id is None
    assert state.create_started_at is None, (
        "a 422 is a definite refusal: no lookup needed next time"
    )
    # The human renames their topic: the next run retries the record and succeeds.
    human_topic = next(t for t in harness.live_topics() if t.external_id == "human-0")
    harness.emulator.control(
        "retitle", topic_id=human_topic.id, title="Un altre títol per al tema humà"
    )
    # The next run comes later than Discourse's 120 s memo of identical creates (API-NOTES §3),
    # which would otherwise answer the same request with the same 422.
    from bridge.emulator.api import CreateMemo

    harness.emulator.app.api.memo = CreateMemo()
    summary = harness.sync()
    assert (summary.created, summary.failed) == (1, 0), summary.failures
    assert harness.states()["rec-b"].state == "synced"
    harness.assert_consistent()


def test_a_record_too_long_for_a_post_fails_clearly_without_a_request(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1, description="Molt llarg. " * 3000)
    add_project(harness.engine, "rec-b", 2)
    summary = harness.sync()
    assert (summary.created, summary.failed) == (1, 1)
    error = summary.failures[0]["error"]
    assert "32,000" in error and "shorten" in error
    # list + two areas' categories, the challenges category (list + create), rec-b:
    # nothing for rec-a; the connections category (list, create, template read and written)
    assert harness.requests() == 1 + 2 + 2 + 1 + 4
    assert harness.states()["rec-a"].state == "failed"


def test_dry_run_prints_the_plan_and_writes_nothing(harness: SyncHarness) -> None:
    add_projects(harness.engine, 3)
    harness.sync()
    edit_project(harness.engine, "rec-0000", title="Un títol nou, diferent de tots els altres")
    edit_project(harness.engine, "rec-0001", archived=True)
    add_project(harness.engine, "rec-new", 7)
    states_before = harness.states()
    before = harness.requests()
    summary = harness.sync(dry_run=True)
    assert harness.requests() == before
    assert harness.states().keys() == states_before.keys()
    assert {(p["ref"], p["action"], tuple(p["fields"])) for p in summary.plan} == {
        ("rec-0000", "update", ("title",)),
        ("rec-0001", "close", ()),
        ("rec-0002", "unchanged", ()),
        ("rec-new", "create", ("title", "body", "category", "tags")),
    }
    assert (summary.created, summary.updated, summary.archived, summary.unchanged) == (1, 1, 1, 1)


def test_project_option_limits_the_run_and_refuses_unknown_refs(harness: SyncHarness) -> None:
    add_projects(harness.engine, 3)
    summary = harness.sync(only=frozenset({"rec-0001"}))
    assert summary.created == 1 and set(harness.states()) == {"rec-0001"}
    with pytest.raises(PlanError, match="unknown ref: nope"):
        harness.sync(only=frozenset({"nope"}))


def test_drift_is_repaired_with_the_drift_edit_reason(harness: SyncHarness) -> None:
    from sqlalchemy import update

    from bridge.models import SyncState
    from bridge.sync import store as sync_store
    from bridge.sync.drift import Written, detect, observe_topic

    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    topic = harness.topic_of("rec-a")
    state = harness.states()["rec-a"]
    harness.emulator.control(
        "retitle", topic_id=topic.id, title="Un títol posat per un moderador del fòrum"
    )
    harness.emulator.control("close", topic_id=topic.id)
    # What issue 5's pull records (bridge.sync.drift's shape), written here directly.
    with harness.client() as client:
        observed = observe_topic(client.get_topic(topic.id))
    drift = detect(
        Written(state.title, state.category_id, tuple(state.tags), state.closed, state.body_hash),
        observed,
    )
    assert drift.what == ("title", "closed")
    with harness.engine.begin() as conn:
        conn.execute(
            update(SyncState.__table__)
            .where(SyncState.__table__.c.project_id == state.project_id)
            .values(drift=list(drift.what), drift_detail=drift.detail, state="drift")
        )
    plan = harness.sync(dry_run=True).plan
    # Reopening what a moderator closed is a repair (an update), not a restore from the archive.
    assert plan == ({"ref": "rec-a", "action": "update", "fields": ["title", "closed"]},)
    summary = harness.sync()
    assert summary.updated == 1 and summary.restored == 0 and summary.requests == 2
    topic = harness.topic_of("rec-a")
    assert topic.title == state.title and not topic.closed
    after = harness.states()["rec-a"]
    assert after.state == "synced" and after.drift is None
    assert sync_store.status_report(harness.engine)["drift"] == []


def test_a_deleted_topic_is_reported_and_recreated_only_on_request(harness: SyncHarness) -> None:
    add_projects(harness.engine, 2)
    harness.sync()
    old = harness.states()["rec-0000"]
    harness.emulator.control("delete", topic_id=old.topic_id)
    # A catalogue change makes the sync touch the topic and find it gone (404 on the post).
    edit_project(
        harness.engine, "rec-0000", description="Una descripció nova que el fòrum ja no veurà."
    )
    summary = harness.sync()
    assert (summary.failed, summary.created, summary.deleted) == (0, 0, 1)
    assert summary.as_json()["deleted"] == [{"ref": "rec-0000", "what": ["deleted"]}]
    state = harness.states()["rec-0000"]
    assert state.remote_deleted and state.drift == ["deleted"]
    assert harness.sync().created == 0, "never recreated silently"
    summary = harness.sync(recreate_deleted=frozenset({"rec-0000"}))
    assert summary.created == 1
    new = harness.states()["rec-0000"]
    assert (
        new.external_id == "dc-rec-0000_r2"
        and new.topic_id != old.topic_id
        and not new.remote_deleted
    )
    harness.assert_consistent()
    with pytest.raises(PlanError, match="not known to be deleted"):
        harness.sync(recreate_deleted=frozenset({"rec-0001"}))


def test_stored_title_is_the_prettified_one(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1, title="PLATAFORMA DE PARTICIPACIÓ CIUTADANA!!!")
    harness.sync()
    topic = harness.topic_of("rec-a")
    assert (
        topic.title
        == prettify_title("PLATAFORMA DE PARTICIPACIÓ CIUTADANA!!!")
        == harness.states()["rec-a"].title
    )
    assert harness.sync().requests == 0


def test_a_category_deleted_in_the_forum_is_found_or_created_again(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    add_project(
        harness.engine, "rec-b", 1, title="Un altre projecte del mateix àmbit i municipi"
    )  # same area as rec-a
    area_category = harness.states()["rec-a"].category_id
    with harness.emulator.state.lock:  # an administrator deletes the category in the forum
        del harness.emulator.state.categories[area_category]
    first = harness.sync()
    assert (
        first.failed == 1
        and "found or created again at the next sync" in first.failures[0]["error"]
    )
    second = harness.sync()
    assert second.created == 1 and second.failed == 0
    recreated = harness.states()["rec-b"].category_id
    assert recreated != area_category and recreated in harness.emulator.state.categories
