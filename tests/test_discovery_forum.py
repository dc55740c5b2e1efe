"""The observatory in the forum (issue 11), end to end against the emulator over HTTP: each
first post ends with its similar projects (chosen as `similar` chooses, linked to their
topics), adding a record rewrites only the topics whose list it enters, archiving removes it
from every list, and the index and overview topics are pinned, carry their own external ids
and are rewritten only when what they show changes."""

from __future__ import annotations

import re

from plugins.sync import SyncHarness, add_project, add_projects, edit_project

from bridge.catalogue.read_store import Filters, list_records
from bridge.discovery import similar
from bridge.discovery.pages import IndexRow, desired_pages
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
    # One write per rewritten topic (its body), one create, and the pages that changed.
    page_writes = summary.pages["updated"] + summary.pages["created"]
    assert summary.requests == 1 + len(entered) + page_writes
    for ref in entered:
        section = similar_section(harness.topic_of(ref).posts[0].raw, harness)
        assert "rec-new" in linked_refs(section, harness)
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
