"""The observatory in the forum (issue 11), end to end against the emulator over HTTP: each
first post ends with its similar projects (chosen as `similar` chooses, linked to their
topics), adding a record rewrites only the topics whose list it enters, archiving removes it
from every list, and the index and overview topics are pinned, carry their own external ids
and are rewritten only when what they show changes."""

from __future__ import annotations

import re
from typing import Any

from plugins.emulator import ApiSession
from plugins.sync import SyncHarness, add_project, add_projects, edit_project

from bridge.catalogue.read_store import Filters, list_records
from bridge.db import session_scope
from bridge.discovery import rank, similar
from bridge.loop.pull import pull
from bridge.observatory import store
from bridge.observatory.pages import OVERVIEW, IndexRow, desired_pages
from bridge.observatory.sections import keep_order
from bridge.sync.drift import body_fingerprint
from bridge.sync.render import render_index

LINK = re.compile(r"\]\((/t/[^)]+/(\d+))\)")


def observatory_sync(harness: SyncHarness, **options):
    return harness.sync(observatory=True, **options)


def similar_section(raw: str, harness: SyncHarness) -> str:
    heading = f"## {harness.settings.label('similar_projects')}"
    assert raw.count(heading) == 1
    section = raw.split(heading, 1)[1]
    assert "\n## " not in section, "the similar projects section ends the post"
    return section


def linked_refs(section: str, harness: SyncHarness) -> list[str]:
    by_topic = {s.topic_id: ref for ref, s in harness.states().items()}
    return [by_topic[int(topic_id)] for _, topic_id in LINK.findall(section)]


def chosen(harness: SyncHarness, ref: str) -> list[str]:
    records = list_records(
        harness.engine, harness.settings.home_region, None, Filters(archived="include")
    )
    return [m.ref for m in similar(records, ref)]


def pages(harness: SyncHarness) -> dict[str, object]:
    with harness.emulator.state.lock:
        return {
            t.external_id: t
            for t in harness.emulator.state.topics.values()
            if (t.external_id or "").startswith("dc_") and t.deleted_at is None
        }


def test_first_posts_end_with_the_similar_projects_chosen_as_similar_chooses(
    harness: SyncHarness,
) -> None:
    add_projects(harness.engine, 10)
    first = observatory_sync(harness)
    assert (first.created, first.failed) == (10, 0)
    harness.assert_consistent()
    for ref in harness.states():
        section = similar_section(harness.topic_of(ref).posts[0].raw, harness)
        refs = linked_refs(section, harness)
        # Every entry linked to its topic (none waits after the run), at most 5, as `similar`.
        assert refs == chosen(harness, ref) and 0 < len(refs) <= 5
        assert section.count("\n- ") == len(refs)
        assert "Ajuntament de Poble" in section and "habitants" in section
    before = harness.requests()
    again = observatory_sync(harness)
    assert (again.created, again.updated, again.requests) == (0, 0, 0)
    assert harness.requests() == before, "a no-op sync must not send a single request"


def test_adding_a_record_rewrites_only_the_topics_whose_list_it_enters(
    harness: SyncHarness,
) -> None:
    add_projects(harness.engine, 12)
    observatory_sync(harness)
    lists = {ref: chosen(harness, ref) for ref in harness.states()}
    uploads_before = set(harness.emulator.state.uploads)
    add_project(harness.engine, "rec-new", 3, title="Plataforma de participació ciutadana nova")
    summary = observatory_sync(harness)
    entered = {ref for ref in lists if "rec-new" in chosen(harness, ref)}
    changed = {ref for ref in lists if chosen(harness, ref) != lists[ref]}
    assert entered, "the new record should enter some lists for this test to mean anything"
    assert changed == entered
    written = {o.ref for o in summary.outcomes if o.result == "updated"}
    assert written == entered
    created = [o.ref for o in summary.outcomes if o.result == "created"]
    assert created == ["rec-new"]
    # One write per rewritten topic (its body), one create, the pages that changed, and one
    # upload per picture of theirs that changed (issue 24; tests/test_pages_pictures.py).
    page_writes = summary.pages["updated"] + summary.pages["created"]
    uploads = set(harness.emulator.state.uploads) - uploads_before
    assert summary.pages.get("uploaded", 0) == len(uploads)
    assert summary.requests == 1 + len(entered) + page_writes + len(uploads)
    for ref in entered:
        section = similar_section(harness.topic_of(ref).posts[0].raw, harness)
        assert "rec-new" in linked_refs(section, harness)
    assert observatory_sync(harness).requests == 0


def test_a_list_naming_the_same_projects_keeps_its_order() -> None:
    previous = {"a": ["b", "c", "d"], "b": ["a", "c"], "c": ["a", "b"]}
    fresh = {"a": ["d", "b", "c"], "b": ["c", "e"], "c": ["b", "a"], "e": ["a"]}
    assert keep_order(fresh, previous) == {
        "a": ["b", "c", "d"],  # same projects, new ranking: the order shown stays
        "b": ["c", "e"],  # another project entered: the new list, best first
        "c": ["a", "b"],
        "e": ["a"],  # new record
    }


def test_a_change_that_only_reorders_lists_rewrites_no_other_topic(
    harness: SyncHarness, monkeypatch
) -> None:
    add_projects(harness.engine, 10)
    observatory_sync(harness)
    real = rank.similar_all

    def reordered(*args, **kwargs):
        # What a change elsewhere does to term weights: the same projects, ranked otherwise.
        return {ref: list(reversed(matches)) for ref, matches in real(*args, **kwargs).items()}

    before = {ref: set(chosen(harness, ref)) for ref in harness.states()}
    monkeypatch.setattr(rank, "similar_all", reordered)
    edit_project(harness.engine, "rec-0003", analysis_barriers="Cap barrera important.")
    moved = {ref for ref in before if set(chosen(harness, ref)) != before[ref]}
    summary = observatory_sync(harness)
    # Every list came back in another order; only the edited record and the lists whose
    # projects changed are written.
    assert {o.ref for o in summary.outcomes if o.result == "updated"} == moved | {"rec-0003"}
    assert len(moved) < len(before) - 1
    for ref in harness.states():
        refs = linked_refs(similar_section(harness.topic_of(ref).posts[0].raw, harness), harness)
        assert set(refs) == set(chosen(harness, ref))
    assert observatory_sync(harness).requests == 0


def test_archiving_a_record_removes_it_from_every_list_and_index(harness: SyncHarness) -> None:
    add_projects(harness.engine, 8)
    observatory_sync(harness)
    listed_in = [ref for ref in harness.states() if "rec-0001" in chosen(harness, ref)]
    assert listed_in
    topic_id = harness.states()["rec-0001"].topic_id
    edit_project(harness.engine, "rec-0001", archived=True)
    summary = observatory_sync(harness)
    assert summary.archived == 1
    for ref in harness.states():
        if ref == "rec-0001":
            continue
        raw = harness.topic_of(ref).posts[0].raw
        assert f"/{topic_id})" not in raw, f"{ref} still lists the archived record"
    for page in pages(harness).values():
        assert f"/{topic_id})" not in page.posts[0].raw
    assert observatory_sync(harness).requests == 0


def test_index_and_overview_topics_are_pinned_with_their_own_external_ids(
    harness: SyncHarness,
) -> None:
    add_projects(harness.engine, 8)
    summary = observatory_sync(harness)
    found = pages(harness)
    areas = {harness.topic_of(ref).category_id for ref in harness.states()}
    index = {eid: t for eid, t in found.items() if eid.startswith("dc_index_")}
    assert {t.category_id for t in index.values()} == areas
    assert all(t.pinned and not t.pinned_globally for t in index.values())
    overview = found["dc_overview"]
    assert harness.category_slug(overview.category_id) == "observatori"
    assert overview.pinned
    assert summary.pages["created"] == len(index) + 1 and summary.pages["failed"] == 0
    # Every record appears, linked, in its area's index.
    for ref, state in harness.states().items():
        topic = harness.topic_of(ref)
        (own,) = [t for t in index.values() if t.category_id == topic.category_id]
        assert f"/{state.topic_id})" in own.posts[0].raw
    shown = {eid: t.posts[0].raw for eid, t in found.items()}
    raw = overview.posts[0].raw
    assert "8 projectes" in raw and "Encara sense respostes" in raw
    # What an index shows changes: that index alone is rewritten (the overview names titles in
    # its lists, so it may follow); nothing else.
    edit_project(harness.engine, "rec-0002", title="Un títol nou per al projecte dos")
    again = observatory_sync(harness)
    area_topic = harness.topic_of("rec-0002").category_id
    rewritten = {eid for eid, t in pages(harness).items() if t.posts[0].raw != shown[eid]}
    assert f"dc_index_{harness.category_slug(area_topic)}" in rewritten
    assert rewritten <= {f"dc_index_{harness.category_slug(area_topic)}", "dc_overview"}
    assert again.pages["updated"] == len(rewritten)
    assert observatory_sync(harness).requests == 0


def test_a_dry_run_shows_the_pages_it_would_write_and_writes_nothing(
    harness: SyncHarness,
) -> None:
    add_projects(harness.engine, 4)
    observatory_sync(harness)
    edit_project(harness.engine, "rec-0001", title="Un altre títol, ben diferent del primer")
    before = harness.requests()
    summary = observatory_sync(harness, dry_run=True)
    assert harness.requests() == before
    planned = {p["page"] for p in summary.pages["plan"]}
    assert any(p.startswith("index:") for p in planned)


def test_an_index_that_outgrows_a_post_is_capped_and_says_how_many_more(harness) -> None:
    rows = [
        IndexRow(
            f"Projecte número {i} amb un títol força llarg",
            f"/t/p/{i}",
            "Ajuntament",
            5000,
            "km0",
            "pilot",
            i,
        )
        for i in range(2000)
    ]
    raw = render_index("Atenció ciutadana", rows, harness.settings, limit=31_000)
    assert len(raw) <= 31_000
    shown = raw.count("\n| [")
    assert 0 < shown < 2000
    assert f"{2000 - shown} projectes més" in raw


def test_pages_list_only_live_records(harness) -> None:
    records = [
        {
            "ref": "a",
            "title": "A",
            "area": "citizen-care",
            "proximity": "km0",
            "phase": "pilot",
            "local_body": {"name": "X"},
            "archived": False,
            "topic_id": 5,
            "topic_url": "/t/a/5",
            "activity": {"replies": 2},
        },
        {
            "ref": "b",
            "title": "B",
            "area": "citizen-care",
            "proximity": "foreign",
            "phase": "implemented",
            "local_body": {"name": "Y"},
            "archived": True,
            "topic_id": 6,
            "topic_url": "/t/b/6",
            "activity": {"replies": 0},
        },
    ]
    found = {p.key: p for p in desired_pages(records, harness.settings)}
    assert set(found) == {"index:citizen-care", "overview"}
    assert (
        "/t/a/5" in found["index:citizen-care"].raw
        and "/t/b/6" not in found["index:citizen-care"].raw
    )
    assert "Els més comentats" in found["overview"].raw


def test_a_page_whose_create_answer_was_lost_is_adopted_not_duplicated(
    harness: SyncHarness,
) -> None:
    import sqlalchemy as sa

    from bridge.models import ForumPage
    from bridge.models.types import utcnow

    add_projects(harness.engine, 4)
    observatory_sync(harness)
    before = set(pages(harness))
    table = ForumPage.__table__
    with harness.engine.begin() as conn:
        # The overview: created in the forum, but the answer never stored (intent only).
        conn.execute(
            sa.update(table)
            .where(table.c.key == "overview")
            .values(topic_id=None, first_post_id=None, create_started_at=utcnow())
        )
        # An index: the whole row lost; creating again meets the taken external id.
        key = next(k for (k,) in conn.execute(sa.select(table.c.key)) if k.startswith("index:"))
        conn.execute(sa.delete(table).where(table.c.key == key))
    summary = observatory_sync(harness)
    assert summary.pages["failed"] == 0 and summary.pages["created"] == 2
    assert set(pages(harness)) == before, "no page topic was created twice"
    assert all(t.pinned for t in pages(harness).values())
    assert observatory_sync(harness).requests == 0


def test_observatory_off_writes_bare_topics_and_no_pages(harness: SyncHarness) -> None:
    add_projects(harness.engine, 3)
    summary = harness.sync(observatory=False)
    assert summary.pages is None and not pages(harness)
    heading = f"## {harness.settings.label('similar_projects')}"
    assert all(heading not in harness.topic_of(ref).posts[0].raw for ref in harness.states())


def test_an_observatory_category_that_cannot_be_made_fails_the_overview_alone(
    harness: SyncHarness,
) -> None:
    from bridge.settings import ObservatoryConfig

    add_projects(harness.engine, 3)
    harness.settings = harness.settings.model_copy(
        update={"observatory": ObservatoryConfig(parent="no-such-parent")}
    )
    summary = observatory_sync(harness)
    assert summary.failed == 0 and summary.created == 3
    (failure,) = summary.pages["failures"]
    assert failure["page"] == "overview" and "no-such-parent" in failure["error"]
    assert "dc_overview" not in pages(harness)
    assert any(eid.startswith("dc_index_") for eid in pages(harness))


# --------------------------------------------------------------------------- page drift


def page_rows(harness: SyncHarness) -> dict[str, Any]:
    return store.load_pages(harness.engine)


def pull_pages(harness: SyncHarness, *, deep: bool = False):
    client = harness.client()
    try:
        return pull(lambda: session_scope(harness.engine), client, deep=deep)
    finally:
        client.close()


def store_categories(harness: SyncHarness) -> list[Any]:
    from bridge.sync.store import load_categories

    return list(load_categories(harness.engine))


def moderator(harness: SyncHarness) -> ApiSession:
    harness.emulator.state.ensure_user("moderator_maria", moderator=True)
    return ApiSession(harness.emulator, username="moderator_maria", key=harness.emulator.api_key)


def test_a_moderators_changes_to_pages_are_found_by_the_pull_and_restored(
    harness: SyncHarness,
) -> None:
    add_projects(harness.engine, 8)
    observatory_sync(harness)
    rows = page_rows(harness)
    first, second = sorted(k for k in rows if k.startswith("index:"))[:2]
    written_title = harness.emulator.state.topics[rows[first].topic_id].title
    overview = rows[OVERVIEW]
    harness.emulator.control(
        "retitle", topic_id=rows[first].topic_id, title="Un índex retitulat per la moderació"
    )
    harness.emulator.control(
        "edit_first_post", topic_id=overview.topic_id, raw="La moderació ha reescrit el resum."
    )
    unpin = moderator(harness).put(
        f"/t/{rows[second].topic_id}/status.json", data={"status": "pinned", "enabled": "false"}
    )
    assert unpin.status_code == 200, unpin.text

    before = harness.requests()
    result = pull_pages(harness)
    assert result.page_drift == {first: ["title"], second: ["pinned"], OVERVIEW: ["body"]}
    # The area lists (read anyway for the records' activity) show the indexes; the overview,
    # whose category is not an area, is one read with its raw.
    areas = len(store_categories(harness))
    assert harness.requests() - before == areas + 1

    summary = observatory_sync(harness)
    assert summary.pages["repaired"] == {
        first: ["title"],
        second: ["pinned"],
        OVERVIEW: ["body"],
    }
    with harness.emulator.state.lock:
        topics = harness.emulator.state.topics
        assert topics[rows[first].topic_id].title == written_title
        assert topics[rows[second].topic_id].pinned
        post = topics[overview.topic_id].posts[0]
        assert body_fingerprint(post.raw) == overview.body_hash
        assert post.edit_reason == harness.settings.label("edit_reason_drift")
    assert pull_pages(harness).page_drift == {}
    assert store.page_drift_report(harness.engine) == []
    assert observatory_sync(harness).requests == 0


def test_a_deep_pull_finds_an_index_body_edit(harness: SyncHarness) -> None:
    add_projects(harness.engine, 6)
    observatory_sync(harness)
    index = page_rows(harness)[next(k for k in page_rows(harness) if k.startswith("index:"))]
    harness.emulator.control(
        "edit_first_post", topic_id=index.topic_id, raw="Un índex reescrit a mà al fòrum."
    )
    assert pull_pages(harness).page_drift == {}  # a list item shows no body
    assert pull_pages(harness, deep=True).page_drift == {index.key: ["body"]}
    assert pull_pages(harness).page_drift == {index.key: ["body"]}  # kept by a shallow pull
    assert observatory_sync(harness).pages["repaired"] == {index.key: ["body"]}
    assert "Un índex reescrit" not in harness.emulator.state.topics[index.topic_id].posts[0].raw
    assert observatory_sync(harness).requests == 0


def test_a_deleted_page_is_created_again_under_a_new_external_id(harness: SyncHarness) -> None:
    add_projects(harness.engine, 6)
    observatory_sync(harness)
    old = page_rows(harness)[OVERVIEW]
    harness.emulator.control("delete", topic_id=old.topic_id)
    assert pull_pages(harness).page_drift == {OVERVIEW: ["deleted"]}
    summary = observatory_sync(harness)
    assert summary.pages["created"] == 1 and summary.pages["repaired"] == {OVERVIEW: ["deleted"]}
    new = page_rows(harness)[OVERVIEW]
    assert new.external_id == f"{old.external_id}_r2" and new.topic_id != old.topic_id
    topic = pages(harness)[new.external_id]
    assert topic.pinned and topic.category_id == old.category_id
    assert pull_pages(harness).page_drift == {}
    assert observatory_sync(harness).requests == 0


def test_report_only_reports_page_drift_and_leaves_it(harness: SyncHarness) -> None:
    add_projects(harness.engine, 6)
    observatory_sync(harness)
    rows = page_rows(harness)
    index = next(k for k in rows if k.startswith("index:"))
    harness.emulator.control(
        "retitle", topic_id=rows[index].topic_id, title="Un índex retitulat per la moderació"
    )
    harness.emulator.control("delete", topic_id=rows[OVERVIEW].topic_id)
    pull_pages(harness)
    policy = harness.settings.sync.model_copy(update={"drift_policy": "report-only"})
    harness.settings = harness.settings.model_copy(update={"sync": policy})
    summary = observatory_sync(harness)
    assert summary.requests == 0
    assert summary.pages["drift"] == {index: ["title"], OVERVIEW: ["deleted"]}
    with harness.emulator.state.lock:
        topic = harness.emulator.state.topics[rows[index].topic_id]
        assert topic.title == "Un índex retitulat per la moderació"
    assert page_rows(harness)[OVERVIEW].external_id == rows[OVERVIEW].external_id
    # `status` lists it, beside the records' drift.
    assert store.page_drift_report(harness.engine) == [
        {"page": index, "what": ["title"]},
        {"page": OVERVIEW, "what": ["deleted"]},
    ]
    # What the pages show changes: the deleted overview is left alone (no failure), the retitled
    # index gets its new body under the moderator's title.
    add_project(harness.engine, "rec-late", 7, title="Una plataforma més arribada tard")
    later = observatory_sync(harness)
    assert later.failed == 0 and later.pages["failed"] == 0
    with harness.emulator.state.lock:
        assert harness.emulator.state.topics[rows[OVERVIEW].topic_id].deleted_at is not None
        assert topic.title == "Un índex retitulat per la moderació"
