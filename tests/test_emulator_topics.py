"""Topics and posts in the emulator, driven over HTTP with plain requests and with pydiscourse.
Each test names the API-NOTES section (notes §N) the behaviour comes from."""

from __future__ import annotations

import pytest
from plugins.emulator import ApiSession
from pydiscourse.exceptions import DiscourseClientError

from bridge.emulator import RunningEmulator

BODY = "A body that is long enough to pass the checks."


# --------------------------------------------------------------------------- create (notes §3)


def test_create_returns_the_first_post_at_the_root(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"], title="km0 market for local producers!!")
    # notes §3: the body is the serialized post: id = post id, topic_id, topic_slug, post_number 1
    assert post["post_number"] == 1
    assert post["topic_slug"] == "km0-market-for-local-producers"
    topic = api.get(f"/t/{post['topic_id']}.json").json()
    assert topic["post_stream"]["posts"][0]["id"] == post["id"]
    # notes §8: prettified (first word capitalised, !! collapsed)
    assert topic["title"] == "Km0 market for local producers!"


def test_create_through_pydiscourse_with_tags_and_external_id(
    emulator: RunningEmulator, pyd, api
) -> None:
    cat = api.category()
    post = pyd.create_post(
        BODY,
        category_id=cat["id"],
        title="Digital citizen desk in Vic",
        tags=["Km0", "Pilot"],
        external_id="dc-vic-desk",
    )
    topic = pyd.topic(
        "-", post["topic_id"]
    )  # pydiscourse GET /t/-/{id} with Accept: application/json
    assert [t["name"] for t in topic["tags"]] == ["km0", "pilot"]
    assert topic["external_id"] == "dc-vic-desk"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"title": "Too short"},
            [
                "Title is too short (minimum is 15 characters)",
                "Title seems unclear, is it a complete sentence?",
            ],
        ),
        (
            {"title": "aaaaaaaaaaaaaaaaaaaaaaaa"},
            ["Title seems unclear, is it a complete sentence?"],
        ),
        ({"raw": "Too short body"}, ["Body is too short (minimum is 20 characters)"]),
        (
            {"raw": "x" * 32001},
            [
                "Body is limited to 32000 characters; you entered 32001.",
                "Body seems unclear, is it a complete sentence?",
            ],
        ),
    ],
)
def test_validation_failures_are_422_with_action_create_post(
    api, fields: dict, errors: list[str]
) -> None:
    cat = api.category()
    data = {"title": "A valid title for a project", "raw": BODY, "category": cat["id"], **fields}
    response = api.post("/posts.json", data=data)
    assert response.status_code == 422
    # notes §3: {"action":"create_post","errors":[...]} with no error_type
    assert response.json() == {"action": "create_post", "errors": errors}


def test_duplicate_titles_are_refused_case_insensitively_among_live_topics(api) -> None:
    cat = api.category()
    first = api.topic(cat["id"], title="Open data portal for towns")
    response = api.post(
        "/posts.json",
        data={"title": "OPEN DATA PORTAL FOR TOWNS", "raw": BODY + " again", "category": cat["id"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == ["Title has already been used"]  # notes §3/§8
    # once the first is deleted the title is free again (uniqueness among non-deleted topics)
    assert api.delete(f"/t/{first['topic_id']}.json").status_code == 200
    assert (
        api.post(
            "/posts.json",
            data={
                "title": "Open data portal for towns",
                "raw": BODY + " again",
                "category": cat["id"],
            },
        ).status_code
        == 200
    )


def test_category_is_required_and_must_be_a_numeric_id(api) -> None:
    cat = api.category()
    base = {"title": "Participatory budgets online", "raw": BODY}
    missing = api.post("/posts.json", data=base)
    assert missing.status_code == 422
    assert "Category can't be blank" in missing.json()["errors"]  # notes §3
    by_name = api.post("/posts.json", data={**base, "category": cat["name"]})
    # notes §3 / §13.9: a name → 400 invalid_parameters for "category"
    assert by_name.status_code == 400
    assert by_name.json() == {
        "errors": ["You supplied invalid parameters to the request: category"],
        "error_type": "invalid_parameters",
    }
    assert api.post("/posts.json", data={**base, "category": 9999}).status_code == 400


def test_raw_is_required(api) -> None:
    cat = api.category()
    response = api.post(
        "/posts.json", data={"title": "Participatory budgets online", "category": cat["id"]}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["param is missing or the value is empty: raw"]


def test_identical_create_within_120_seconds_returns_the_first_result(
    emulator: RunningEmulator, api
) -> None:
    cat = api.category()
    data = {
        "title": "Electronic office for the county",
        "raw": BODY,
        "category": cat["id"],
        "external_id": "dc-office",
    }
    first = api.post("/posts.json", data=data)
    second = api.post("/posts.json", data=data)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()  # notes §3: memoized for 120 s
    assert sum(1 for t in emulator.state.topics.values() if not t.is_definition) == 1
    # a different parameter set is a different request
    changed = api.post("/posts.json", data={**data, "raw": BODY + " Changed."})
    assert changed.status_code == 422  # same title and external_id, both now taken
    assert changed.json()["errors"] == [
        "Title has already been used",
        "External has already been taken",
    ]


# --------------------------------------------------------------------------- tags (notes §7)


def test_tags_are_cleaned_cut_to_five_and_returned_as_objects(api) -> None:
    cat = api.category()
    names = ["Km0", "Àrea pública", "x" * 25, "pilot", "service", "process", "extra"]
    post = api.topic(cat["id"], **{"tags[]": names})
    tags = api.get(f"/t/{post['topic_id']}.json").json()["tags"]
    assert [t["name"] for t in tags] == ["km0", "àrea-pública", "x" * 20, "pilot", "service"]
    assert all(set(t) == {"id", "name", "slug"} for t in tags)


def test_update_with_an_empty_tag_clears_and_omitting_tags_keeps_them(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"], **{"tags[]": ["km0", "pilot"]})
    tid = post["topic_id"]
    assert (
        api.put(
            f"/t/-/{tid}.json", data={"title": "Km0 market for local producers, revised"}
        ).status_code
        == 200
    )
    assert [t["name"] for t in api.get(f"/t/{tid}.json").json()["tags"]] == [
        "km0",
        "pilot",
    ]  # omitted: kept
    assert api.put(f"/t/-/{tid}.json", json={"tags": ["Foreign", "Implemented"]}).status_code == 200
    assert [t["name"] for t in api.get(f"/t/{tid}.json").json()["tags"]] == [
        "foreign",
        "implemented",
    ]
    assert (
        api.put(f"/t/-/{tid}.json", data={"tags[]": ""}).status_code == 200
    )  # notes §4: one empty value clears
    assert api.get(f"/t/{tid}.json").json()["tags"] == []


# --------------------------------------------------------------------------- external_id (notes §3)


def test_lookup_by_external_id_is_an_exact_match_and_an_absolute_301(api) -> None:
    # core TopicsController#show_by_external_id: `Topic.find_by(external_id:)` (exact case;
    # only uniqueness ignores case); redirect_to_correct_topic: 301, Location made absolute by
    # Rails, post_number appended to the path.
    cat = api.category()
    post = api.topic(cat["id"], external_id="DC-Office_1")
    topic_path = f"/t/{post['topic_slug']}/{post['topic_id']}"
    response = api.get("/t/external_id/DC-Office_1.json")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{api.url}{topic_path}.json"
    without_suffix = api.get("/t/external_id/DC-Office_1", headers={"Accept": "application/json"})
    assert without_suffix.headers["Location"] == f"{api.url}{topic_path}"
    near = api.get("/t/external_id/DC-Office_1.json", params={"post_number": 3, "print": "true"})
    assert near.headers["Location"] == f"{api.url}{topic_path}/3.json?print=true"
    followed = api.get("/t/external_id/DC-Office_1.json", allow_redirects=True)
    assert followed.status_code == 200 and followed.json()["external_id"] == "DC-Office_1"
    assert api.get("/t/external_id/dc-office_1.json").status_code == 404  # another case
    assert api.get("/t/external_id/unknown.json").status_code == 404


@pytest.mark.parametrize(
    ("external_id", "error"),
    [
        ("x" * 51, "External is too long (maximum is 50 characters)"),
        ("has space", "External is invalid"),
        ("àccent", "External is invalid"),
    ],
)
def test_external_id_format_is_validated(api, external_id: str, error: str) -> None:
    cat = api.category()
    response = api.post(
        "/posts.json",
        data={
            "title": "Electronic office for the county",
            "raw": BODY,
            "category": cat["id"],
            "external_id": external_id,
        },
    )
    assert response.status_code == 422
    assert error in response.json()["errors"]


def test_external_id_is_unique_ignoring_case_and_stays_reserved_after_delete(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"], external_id="dc-ref-1")
    clash = api.post(
        "/posts.json",
        data={
            "title": "Another project with an id",
            "raw": BODY,
            "category": cat["id"],
            "external_id": "DC-REF-1",
        },
    )
    assert clash.status_code == 422
    assert clash.json() == {"action": "create_post", "errors": ["External has already been taken"]}
    assert api.delete(f"/t/{post['topic_id']}.json").status_code == 200
    # notes §5: the lookup no longer finds it…
    assert api.get("/t/external_id/dc-ref-1.json").status_code == 404
    # …but the id stays taken (core topic.rb uniqueness validation runs unscoped, deleted rows
    # included)
    again = api.post(
        "/posts.json",
        data={
            "title": "Recreated project topic here",
            "raw": BODY,
            "category": cat["id"],
            "external_id": "dc-ref-1",
        },
    )
    assert again.status_code == 422
    assert again.json()["errors"] == ["External has already been taken"]


# --------------------------------------------------------------------------- show (notes §10)


def test_show_by_id_and_by_slug_with_raw_only_on_request(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    tid, slug = post["topic_id"], post["topic_slug"]
    plain = api.get(f"/t/{tid}.json").json()
    assert "raw" not in plain["post_stream"]["posts"][0]
    with_raw = api.get(f"/t/{slug}/{tid}.json", params={"include_raw": "true"}).json()
    assert with_raw["post_stream"]["posts"][0]["raw"] == BODY
    assert "external_id" not in plain  # notes §3: only when set
    single = api.get(f"/posts/{post['id']}.json").json()
    assert single["raw"] == BODY  # notes §10: GET /posts/{id} always has raw


def test_engagement_fields_start_from_one_post(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    topic = api.get(f"/t/{post['topic_id']}.json").json()
    assert (
        topic["posts_count"],
        topic["reply_count"],
        topic["views"],
        topic["like_count"],
        topic["participant_count"],
    ) == (1, 0, 0, 0, 1)
    assert topic["last_posted_at"] == topic["created_at"]
    # notes §10: API reads are not views
    api.get(f"/t/{post['topic_id']}.json")
    assert api.get(f"/t/{post['topic_id']}.json").json()["views"] == 0


# --------------------------------------------------------------------------- update (notes §4)


def test_update_topic_with_top_level_fields(api, pyd, emulator) -> None:
    cat = api.category()
    other = api.category("Social services")
    post = api.topic(cat["id"])
    tid = post["topic_id"]
    response = api.put(
        f"/t/-/{tid}.json", data={"title": "new title for the market.", "category_id": other["id"]}
    )
    assert response.status_code == 200
    assert response.json()["basic_topic"]["title"] == "New title for the market"  # prettified
    topic = api.get(f"/t/{tid}.json").json()
    assert topic["category_id"] == other["id"]
    # core lib/post_revisor.rb: a topic edit is a revision of post #1, but the creator editing
    # again within editing_grace_period (no edit reason) makes no new version...
    assert topic["post_stream"]["posts"][0]["version"] == 1
    # ...and another editor does.
    emulator.state.ensure_user("moderator_maria", moderator=True)
    as_maria = ApiSession(emulator, username="moderator_maria")
    as_maria.put(f"/t/-/{tid}.json", data={"title": "Title changed by a moderator now"})
    assert api.get(f"/t/{tid}.json").json()["post_stream"]["posts"][0]["version"] == 2
    # pydiscourse.update_topic sends form fields at the top level
    pyd.update_topic(f"/t/-/{tid}", title="Title changed through pydiscourse")
    assert api.get(f"/t/{tid}.json").json()["title"] == "Title changed through pydiscourse"


def test_update_topic_refusals(api) -> None:
    cat = api.category()
    a = api.topic(cat["id"], title="First project on the list")
    b = api.topic(cat["id"], title="Second project on the list")
    taken = api.put(f"/t/-/{b['topic_id']}.json", data={"title": "first project on the list"})
    assert taken.status_code == 422 and taken.json()["errors"] == ["Title has already been used"]
    assert (
        api.put(f"/t/-/{a['topic_id']}.json", data={"category_id": "Citizen care"}).status_code
        == 400
    )
    assert (
        api.put("/t/-/999999.json", data={"title": "Whatever title it may be"}).status_code == 404
    )


def test_unchanged_update_creates_no_revision(api) -> None:
    cat = api.category()
    post = api.topic(cat["id"], **{"tags[]": ["km0"]})
    tid = post["topic_id"]
    api.put(
        f"/t/-/{tid}.json",
        json={"title": "Km0 market for local producers", "tags": ["km0"], "category_id": cat["id"]},
    )
    assert api.get(f"/t/{tid}.json").json()["post_stream"]["posts"][0]["version"] == 1


def test_update_post_raw_with_edit_reason(api, pyd) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    new_raw = "An updated body, still long enough to pass."
    response = api.put(
        f"/posts/{post['id']}.json", data={"post[raw]": new_raw, "post[edit_reason]": "sync"}
    )
    assert response.status_code == 200
    body = response.json()["post"]
    assert (body["raw"], body["edit_reason"], body["version"]) == (new_raw, "sync", 2)
    pyd.update_post(post["id"], "Edited again through pydiscourse client.", edit_reason="second")
    assert api.get(f"/posts/{post['id']}.json").json()["version"] == 3
    short = api.put(f"/posts/{post['id']}.json", json={"post": {"raw": "short"}})
    assert short.status_code == 422
    assert "Body is too short (minimum is 20 characters)" in short.json()["errors"]


def test_edit_by_same_user_in_grace_period_without_reason_keeps_the_version(api) -> None:
    # notes §13.7: no edit_reason, same editor, within 5 minutes → no new revision
    cat = api.category()
    post = api.topic(cat["id"])
    api.put(
        f"/posts/{post['id']}.json", data={"post[raw]": "A quick fix of the body, same author."}
    )
    assert api.get(f"/posts/{post['id']}.json").json()["version"] == 1


# --------------------------------------------------------------------------- status and delete
# (notes §5)


@pytest.mark.parametrize(
    ("status", "field"), [("closed", "closed"), ("archived", "archived"), ("visible", "visible")]
)
def test_status_updates(api, status: str, field: str) -> None:
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    enabled = "false" if status == "visible" else "true"
    response = api.put(f"/t/{tid}/status.json", data={"status": status, "enabled": enabled})
    assert response.status_code == 200
    assert response.json() == {"success": "OK", "topic_status_update": None}
    assert api.get(f"/t/{tid}.json").json()[field] is (status != "visible")


def test_status_through_pydiscourse_and_bad_status(api, pyd) -> None:
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    pyd.update_topic_status(tid, "closed", True)
    assert api.get(f"/t/{tid}.json").json()["closed"] is True
    # pydiscourse 1.7 sends enabled=bool(enabled): pass a bool, never the string "false" (truthy).
    pyd.update_topic_status(tid, "closed", False)
    assert api.get(f"/t/{tid}.json").json()["closed"] is False
    assert (
        api.put(f"/t/{tid}/status.json", data={"status": "frozen", "enabled": "true"}).status_code
        == 400
    )


def test_delete_is_soft_and_staff_still_read_the_topic(emulator: RunningEmulator, api, pyd) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    tid = post["topic_id"]
    assert pyd.delete_topic(tid) is None  # notes §5: 200 with an empty body
    staff_view = api.get(f"/t/{tid}.json").json()
    assert staff_view["deleted_at"] is not None and staff_view["deleted_by"] == "system"
    emulator.state.ensure_user("reader")
    member = api.__class__(emulator, username="reader")
    assert member.get(f"/t/{tid}.json").status_code == 404  # notes §5: others get 404
    assert api.delete(f"/t/{tid}.json").status_code == 404  # already gone for the default scope
    assert tid not in [t["id"] for t in api.get("/latest.json").json()["topic_list"]["topics"]]


def test_pydiscourse_client_errors_surface_as_exceptions(pyd, api) -> None:
    cat = api.category()
    with pytest.raises(DiscourseClientError, match="Title is too short"):
        pyd.create_post(BODY, category_id=cat["id"], title="Too short")
    with pytest.raises(DiscourseClientError):
        pyd.topic("-", 424242)


def test_update_reads_top_level_fields_not_the_specs_nested_topic_object(api) -> None:
    # notes §4: openapi.json shows {"topic": {...}} but the controller reads top-level keys
    cat = api.category()
    post = api.topic(cat["id"])
    tid = post["topic_id"]
    response = api.put(
        f"/t/-/{tid}.json", json={"topic": {"title": "Nested title is ignored here"}}
    )
    assert response.status_code == 200
    assert api.get(f"/t/{tid}.json").json()["title"] == "Km0 market for local producers"
