"""Issue 28 point 9: a pull counts only what changed; issue 20 defect 4: with the observatory
off, the overview topic is not read. Over HTTP against the emulator, both databases."""

from __future__ import annotations

from plugins.forum import LOOP_RECORDS, PairedCatalogue

from bridge.loop.run import run_pull


def test_a_pull_with_nothing_new_counts_nothing_updated(paired_catalogue: PairedCatalogue) -> None:
    cat = paired_catalogue
    first = run_pull(cat.engine, cat.client, settings=cat.settings)
    assert first.seen == len(LOOP_RECORDS) and first.updated == len(LOOP_RECORDS)  # new rows
    again = run_pull(cat.engine, cat.client, settings=cat.settings)
    assert again.seen == len(LOOP_RECORDS) and again.updated == 0
    assert again.connection_requests is not None and again.connection_requests["reads"] == 0
    cat.emulator.control(
        "reply",
        topic_id=cat.topic_id("sant-cugat-xatbot"),
        raw="Una resposta nova al fil del projecte.",
        username="anna",
    )
    before = cat.client.requests_made
    third = run_pull(cat.engine, cat.client, settings=cat.settings)
    assert third.updated == 1
    # Issue 22: the one topic that grew is read once for requests made as replies in it (this
    # reply is none); the others cost nothing beyond the pull before.
    assert third.connection_requests is not None and third.connection_requests["reads"] == 1
    assert third.connection_requests["recorded"] == 0
    quiet = cat.client.requests_made
    run_pull(cat.engine, cat.client, settings=cat.settings)
    assert (quiet - before) - (cat.client.requests_made - quiet) == 1


def test_with_the_observatory_off_the_overview_is_not_read(
    paired_catalogue: PairedCatalogue,
) -> None:
    cat = paired_catalogue
    on = run_pull(cat.engine, cat.client, settings=cat.settings)
    assert on.page_reads == 1  # the overview: its category is not an area
    off = cat.settings.model_copy(
        update={"observatory": cat.settings.observatory.model_copy(update={"enabled": False})}
    )
    before = cat.client.requests_made
    result = run_pull(cat.engine, cat.client, settings=off)
    assert result.page_reads == 0 and result.page_drift == {}
    # Three area lists, the challenges category's list and the connections category's list
    # (issue 22); no read of the overview.
    assert cat.client.requests_made - before == 3 + 1 + 1
