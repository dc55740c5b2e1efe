"""The forum loop over real HTTP against the emulator: pull, drift, repair, deep pull.

Each test runs on SQLite and PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import pytest
from plugins.forum import LOOP_RECORDS, PairedCatalogue
from sqlmodel import Session

from bridge.db import session_scope
from bridge.jobs.sync_run import run_sync
from bridge.loop.pull import pull
from bridge.models import Activity, SyncStatus
from bridge.settings import load_settings


def _pull(catalogue: PairedCatalogue, *, deep: bool = False):
    return pull(lambda: session_scope(catalogue.engine), catalogue.client, deep=deep)


def _activity(catalogue: PairedCatalogue, ref: str) -> Activity:
    with Session(catalogue.engine) as session:
        row = session.get(Activity, catalogue.state(ref).project_id)
        assert row is not None
        return row


def test_pull_brings_activity_back_in_bulk(paired_catalogue: PairedCatalogue) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("sant-cugat-xatbot")
    emu.control(
        "reply",
        topic_id=topic,
        raw="Nosaltres també ho fem servir a Terrassa, funciona molt bé.",
        username="anna",
    )
    emu.control(
        "reply",
        topic_id=topic,
        raw="Quin proveïdor vau fer servir per al xatbot municipal?",
        username="pere",
    )
    emu.control("view", topic_id=topic, count=7)
    emu.control("like", topic_id=topic, username="pere")
    before = cat.client.requests_made

    result = _pull(cat)

    # Three records in three categories, each list fits one page: one request per category;
    # plus one read of the observatory's overview topic (issue 11: its category is not an area,
    # the indexes are seen in the area lists).
    assert cat.client.requests_made - before == 3 + 1
    assert (
        result.pages == 3 and result.read_individually == 0 and result.updated == len(LOOP_RECORDS)
    )
    assert result.page_reads == 1 and result.page_drift == {}
    activity = _activity(cat, "sant-cugat-xatbot")
    assert (activity.replies, activity.views, activity.likes, activity.participants) == (2, 7, 1, 3)
    assert activity.last_posted_at is not None and activity.pulled_at is not None
    assert _activity(cat, "girona-dades-obertes").replies == 0
    assert result.drift == {}


def test_pull_reads_a_hundred_topics_a_request(paired_catalogue: PairedCatalogue) -> None:
    cat = paired_catalogue
    category_id = cat.state("sant-cugat-xatbot").category_id
    assert category_id is not None
    for n in range(110):  # other people's topics in the same category
        cat.client._create_topic(
            title=f"Another council's project number {n:03d}",
            raw="A project that is not in the catalogue, opened by someone else.",
            category_id=category_id,
            tags=[],
            external_id=f"other-{n}",
        )
    before = cat.client.requests_made

    result = _pull(cat)

    # citizen-care holds 112 topics (110 + ours + the about topic): two pages of up to 100;
    # the two other categories one page each. At 30 a page it would have been four plus two.
    # One more: the overview topic (issue 11).
    assert cat.client.requests_made - before == 4 + 1 and result.pages == 4
    assert result.read_individually == 0 and result.updated == len(LOOP_RECORDS)


def test_moderator_changes_are_drift_and_catalogue_wins_restores_them(
    paired_catalogue: PairedCatalogue,
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    xatbot, girona = cat.topic_id("sant-cugat-xatbot"), cat.topic_id("girona-dades-obertes")
    other_category = cat.state("antwerp-procurement-nlp").category_id
    emu.control("retitle", topic_id=xatbot, title="Un títol triat per la moderació del fòrum")
    emu.control("retag", topic_id=xatbot, tags=["destacat"])
    emu.control("move", topic_id=girona, category_id=other_category)
    emu.control("close", topic_id=girona)

    result = _pull(cat)

    assert result.drift == {
        "girona-dades-obertes": ["category", "closed"],
        "sant-cugat-xatbot": ["tags", "title"],
    }
    state = cat.state("sant-cugat-xatbot")
    assert state.state == SyncStatus.drift and state.drift == ["tags", "title"]
    assert state.drift_detail["title"]["forum"] == "Un títol triat per la moderació del fòrum"

    summary = cat.sync()  # catalogue-wins (the default policy)
    assert summary.updated == 2 and summary.failed == 0
    assert _pull(cat).drift == {}
    assert cat.state("sant-cugat-xatbot").state == SyncStatus.synced
    assert cat.state("girona-dades-obertes").drift is None
    shown = cat.client.get_topic(girona)
    assert (
        shown["closed"] is False
        and shown["category_id"] == cat.state("girona-dades-obertes").category_id
    )
    restored = cat.client.get_topic(xatbot)
    assert restored["title"] == cat.state("sant-cugat-xatbot").title
    assert sorted(t["name"] if isinstance(t, dict) else t for t in restored["tags"]) == sorted(
        cat.state("sant-cugat-xatbot").tags
    )


def test_discourse_rewriting_is_not_drift(paired_catalogue: PairedCatalogue) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("antwerp-procurement-nlp")
    # A moderator re-saves the same tags in capitals: Discourse lowercases them (API-NOTES §7).
    emu.control("retag", topic_id=topic, tags=["PROTOTYPE", "Foreign", "process"])
    assert _pull(cat).drift == {}


def test_report_only_leaves_the_moderators_version(
    paired_catalogue: PairedCatalogue, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("sant-cugat-xatbot")
    emu.control("retitle", topic_id=topic, title="Un títol triat per la moderació del fòrum")
    _pull(cat)
    config = tmp_path / "report-only.toml"
    from tests_support import repo_config_with

    config.write_text(
        repo_config_with('drift_policy = "catalogue-wins"', 'drift_policy = "report-only"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("BRIDGE_CONFIG", str(config))
    settings = load_settings()
    summary = run_sync(cat.engine, settings, cat.client)
    assert summary.updated == 0
    assert cat.client.get_topic(topic)["title"] == "Un títol triat per la moderació del fòrum"
    assert cat.state("sant-cugat-xatbot").drift == ["title"]


def test_deleted_topic_is_reported_not_recreated_until_asked(
    paired_catalogue: PairedCatalogue,
) -> None:
    from bridge.sync.runner import SyncOptions

    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("girona-dades-obertes")
    old_external_id = cat.state("girona-dades-obertes").external_id
    emu.control("delete", topic_id=topic)
    assert _pull(cat).drift == {"girona-dades-obertes": ["deleted"]}

    summary = cat.sync()
    assert (
        summary.created == 0
        and summary.failed == 0
        and summary.deleted_refs == ("girona-dades-obertes",)
    )

    summary = run_sync(
        cat.engine,
        cat.settings,
        cat.client,
        SyncOptions(recreate_deleted=frozenset({"girona-dades-obertes"})),
    )
    assert summary.created == 1
    state = cat.state("girona-dades-obertes")
    assert (
        state.topic_id != topic
        and state.external_id != old_external_id
        and not state.remote_deleted
    )
    assert cat.client._get_topic_by_external_id(state.external_id)["id"] == state.topic_id
    assert _pull(cat).drift == {}


def test_deep_pull_finds_first_post_edits_and_sync_restores_them(
    paired_catalogue: PairedCatalogue,
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    topic = cat.topic_id("antwerp-procurement-nlp")
    emu.control(
        "edit_first_post",
        topic_id=topic,
        raw="A moderator rewrote this first post in the forum itself.",
    )
    assert _pull(cat).drift == {}  # lists show no body
    assert _pull(cat, deep=True).drift == {"antwerp-procurement-nlp": ["body"]}
    # A later shallow pull must not clear what the deep one found.
    assert cat.state("antwerp-procurement-nlp").drift == ["body"]
    _pull(cat)
    assert cat.state("antwerp-procurement-nlp").drift == ["body"]

    summary = cat.sync()
    assert summary.updated == 1
    post = cat.client.get_post(cat.state("antwerp-procurement-nlp").first_post_id)
    assert "Natural language processing" in post["raw"]
    assert _pull(cat, deep=True).drift == {}


def test_topic_moved_out_of_our_categories_is_read_individually(
    paired_catalogue: PairedCatalogue,
) -> None:
    cat, emu = paired_catalogue, paired_catalogue.emulator
    created = cat.client.create_category(
        name="Off-topic corner", slug="off-topic-corner", color="AAAAAA", text_color="FFFFFF"
    )
    topic = cat.topic_id("antwerp-procurement-nlp")
    emu.control("move", topic_id=topic, category_id=created["id"])
    result = _pull(cat)
    assert result.read_individually == 1
    assert result.drift == {"antwerp-procurement-nlp": ["category"]}
