"""Issue 9, one request per change: what an update sends, field by field."""

from __future__ import annotations

from typing import Any

from plugins.sync import SyncHarness, add_project, edit_project

from bridge.rules.discourse import prettify_title


def _recording(harness: SyncHarness) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    client = harness.client()
    sent: list[tuple[str, dict[str, Any]]] = []
    put = client._put

    def recording_put(path: str, json: bool = False, **data: Any) -> Any:
        sent.append((path, dict(data)))
        return put(path, json=json, **data)

    client._put = recording_put  # type: ignore[method-assign]
    return client, sent


def test_title_and_body_go_in_one_request_and_one_revision(harness: SyncHarness) -> None:
    add_project(harness.engine, "rec-a", 1)
    harness.sync()
    version = harness.topic_of("rec-a").first_post.version
    # A title Discourse prettifies (first letter capitalised): sent as it will be stored.
    edit_project(
        harness.engine,
        "rec-a",
        title="un projecte nou de participació per a tothom",
        description="Una descripció nova del projecte, escrita per a aquesta prova.",
    )
    client, sent = _recording(harness)
    with client:
        summary = harness.sync(client)
    assert (summary.updated, summary.requests) == (1, 1)
    ((path, data),) = sent
    assert path.startswith("/posts/")
    title = data.pop("title")
    assert title == prettify_title(title) and title.startswith("Un projecte nou")
    assert set(data) == {"post[raw]", "post[edit_reason]"}  # no category, no tags: unchanged
    topic = harness.topic_of("rec-a")
    assert topic.title == harness.states()["rec-a"].title
    assert topic.first_post.version == version + 1  # one revision for both


def test_area_sends_the_category_with_the_body_and_phase_adds_one_tags_request(
    harness: SyncHarness,
) -> None:
    add_project(harness.engine, "rec-a", 1, area="citizen-care", phase="pilot")
    add_project(harness.engine, "rec-b", 2, area="social-services")  # its category exists
    harness.sync()
    edit_project(harness.engine, "rec-a", area="social-services")
    client, sent = _recording(harness)
    with client:
        assert harness.sync(client).requests == 1
    ((path, data),) = sent
    assert path.startswith("/posts/") and "post[category_id]" in data and "title" not in data
    assert harness.topic_of("rec-a").category_id == harness.states()["rec-a"].category_id

    edit_project(harness.engine, "rec-a", phase="implemented")
    client, sent = _recording(harness)
    with client:
        assert harness.sync(client).requests == 2
    (post_path, post_data), (topic_path, topic_data) = sent
    assert post_path.startswith("/posts/") and set(post_data) == {"post[raw]", "post[edit_reason]"}
    assert topic_path.startswith("/t/-/") and set(topic_data) == {"tags[]"}
