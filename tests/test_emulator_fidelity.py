"""The emulator's behaviours checked against Discourse's own source (issue 9); each test names the
core file it follows. docs/emulator-fidelity.md lists them."""

from __future__ import annotations

from typing import Any

from plugins.emulator import ApiSession

from bridge.emulator import RunningEmulator

BODY = "A body that is long enough to pass the checks."


def _events(emulator: RunningEmulator) -> list[str]:
    seen: list[str] = []
    emulator.state.on_event = lambda event, kind, record: seen.append(event)
    return seen


def _first_post(api: ApiSession, topic_id: int) -> dict[str, Any]:
    return api.get(f"/t/{topic_id}.json", params={"include_raw": "1"}).json()["post_stream"][
        "posts"
    ][0]


# ------------------------------------------------------------------ one request per change


def test_put_posts_changes_body_title_and_category_in_one_revision(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    # core PostsController#update: for a first post, top-level `title` and `post[category_id]`
    # beside post[raw] ("to stay consistent with the create api"), one PostRevisor#revise!.
    cat = api.category()
    other = api.category("Social services")
    post = api.topic(cat["id"])
    emulator.state.ensure_user("moderator_maria", moderator=True)
    maria = ApiSession(emulator, username="moderator_maria")
    events = _events(emulator)
    response = maria.put(
        f"/posts/{post['id']}.json",
        data={
            "title": "a renamed project title.",
            "post[raw]": "The new body of the project, written again.",
            "post[category_id]": other["id"],
            "post[edit_reason]": "catalogue changed",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["post"]["raw"] == "The new body of the project, written again."
    assert body["category"]["id"] == other["id"]  # core: `result[:category]` when it moved
    topic = api.get(f"/t/{post['topic_id']}.json").json()
    assert (topic["title"], topic["category_id"]) == ("A renamed project title", other["id"])
    assert topic["post_stream"]["posts"][0]["version"] == 2  # one revision for all three
    # core 012-web_hook_events.rb: a first-post edit with topic fields is topic_edited only
    assert events == ["topic_edited"]


def test_put_posts_refuses_an_unknown_category_and_ignores_topic_fields_on_replies(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    refused = api.put(
        f"/posts/{post['id']}.json", data={"post[raw]": BODY + " More.", "post[category_id]": 999}
    )
    assert refused.status_code == 422 and refused.json()["errors"] == ["Category not found"]
    emulator.control("reply", topic_id=post["topic_id"], raw="A reply from the forum side.")
    reply_id = emulator.state.topics[post["topic_id"]].posts[-1].id
    api.put(
        f"/posts/{reply_id}.json",
        data={"post[raw]": "A reply edited by its author here.", "title": "Not a topic edit here"},
    )
    assert (
        api.get(f"/t/{post['topic_id']}.json").json()["title"] == "Km0 market for local producers"
    )


# ------------------------------------------------------------------ revisions and events


def test_grace_period_edits_make_no_version_unless_the_diff_is_big_or_the_reason_new(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    # core lib/post_revisor.rb should_create_new_version?: another editor, outside
    # editing_grace_period, a diff over editing_grace_period_max_diff(_high_trust) (400 for
    # staff), or an edit reason present and different from the stored one.
    cat = api.category()
    post = api.topic(cat["id"])
    url = f"/posts/{post['id']}.json"
    api.put(url, data={"post[raw]": BODY + " A small addition."})
    assert _first_post(api, post["topic_id"])["version"] == 1
    api.put(url, data={"post[raw]": BODY + " Another small addition.", "post[edit_reason]": "a"})
    assert _first_post(api, post["topic_id"])["version"] == 2
    api.put(url, data={"post[raw]": BODY + " A third addition.", "post[edit_reason]": "a"})
    assert _first_post(api, post["topic_id"])["version"] == 2  # the same reason again
    api.put(url, data={"post[raw]": BODY + " Long text, many words. " * 30})
    assert _first_post(api, post["topic_id"])["version"] == 3  # diff over 400 characters


def test_a_body_edit_is_post_edited_and_a_delete_is_post_then_topic_destroyed(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    events = _events(emulator)
    api.put(f"/posts/{post['id']}.json", data={"post[raw]": BODY + " Edited."})
    api.put(f"/t/-/{post['topic_id']}.json", data={"title": "A title changed on its own"})
    api.delete(f"/t/{post['topic_id']}.json")
    assert events == ["post_edited", "topic_edited", "post_destroyed", "topic_destroyed"]


def test_raw_is_stored_with_unicode_spaces_normalised_and_trailing_space_stripped(
    api: ApiSession,
) -> None:
    # core lib/post_creator.rb / lib/post_revisor.rb cleanup_whitespaces:
    # TextCleaner.normalize_whitespaces(raw).rstrip
    cat = api.category()
    post = api.topic(cat["id"], raw="A body\u00a0with a no-break space, long enough.  \n\n")
    assert _first_post(api, post["topic_id"])["raw"] == "A body with a no-break space, long enough."
    api.put(
        f"/posts/{post['id']}.json", data={"post[raw]": "Edited\u2003body, long enough to pass. \n"}
    )
    assert _first_post(api, post["topic_id"])["raw"] == "Edited body, long enough to pass."


def test_status_enabled_is_the_string_true_only(api: ApiSession) -> None:
    # core TopicsController#status: params.require(:enabled); enabled = params[:enabled] == "true"
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    api.put(f"/t/{tid}/status.json", json={"status": "closed", "enabled": True})
    assert api.get(f"/t/{tid}.json").json()["closed"] is False  # a JSON boolean is not "true"
    api.put(f"/t/{tid}/status.json", json={"status": "closed", "enabled": "true"})
    assert api.get(f"/t/{tid}.json").json()["closed"] is True
    missing = api.put(f"/t/{tid}/status.json", json={"status": "closed", "enabled": False})
    assert missing.status_code == 400  # false is blank for params.require


# ------------------------------------------------------------------ reads


def test_topic_reads_honour_post_number_and_page(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    # core lib/topic_view.rb filter_posts: post_number → filter_posts_near (5 before, 20 in
    # all); otherwise filter_posts_paged, 20 a page, 1-based.
    cat = api.category()
    tid = api.topic(cat["id"])["topic_id"]
    for n in range(44):
        emulator.control("reply", topic_id=tid, raw=f"Reply number {n:02d} from the forum side.")

    def numbers(**params: Any) -> list[int]:
        body = api.get(f"/t/{tid}.json", params=params).json()
        return [p["post_number"] for p in body["post_stream"]["posts"]]

    assert numbers() == list(range(1, 21))
    assert numbers(page=2) == list(range(21, 41))
    assert numbers(page=3) == list(range(41, 46))
    assert numbers(post_number=30) == list(range(25, 45))
    assert numbers(post_number=44) == list(range(26, 46))  # topped up from before at the end
    slug = api.get(f"/t/{tid}.json").json()["slug"]
    near = api.get(f"/t/{slug}/{tid}/30.json").json()  # the external-id redirect's target
    assert near["post_stream"]["posts"][0]["post_number"] == 25


def test_topic_posts_honour_include_raw(api: ApiSession) -> None:
    # core TopicsController#posts: include_raw: !!params[:include_raw]
    cat = api.category()
    post = api.topic(cat["id"])
    url = f"/t/{post['topic_id']}/posts.json"
    plain = api.get(url, params={"post_ids[]": post["id"]}).json()["post_stream"]["posts"][0]
    raw = api.get(url, params={"post_ids[]": post["id"], "include_raw": "true"}).json()
    assert "raw" not in plain and raw["post_stream"]["posts"][0]["raw"] == BODY


def test_categories_are_all_on_page_one_with_parent_ids_and_their_style(api: ApiSession) -> None:
    # core CategoryList: every category on page 1, later pages empty; BasicCategorySerializer
    # has parent_category_id; CategoriesController#category_params permits style_type, emoji,
    # icon.
    parent = api.category("Planning", style_type="emoji", emoji="house", icon="building")
    assert (parent["style_type"], parent["emoji"], parent["icon"]) == ("emoji", "house", "building")
    child = api.category("Mobility", parent_category_id=parent["id"])
    first = api.get("/categories.json", params={"include_subcategories": "true"}).json()
    items = first["category_list"]["categories"]
    assert [c["id"] for c in items] == [parent["id"]] and items[0]["parent_category_id"] is None
    assert items[0]["subcategory_list"][0]["parent_category_id"] == parent["id"]
    assert items[0]["subcategory_list"][0]["id"] == child["id"]
    second = api.get("/categories.json", params={"page": 2}).json()
    assert second["category_list"]["categories"] == []


# ------------------------------------------------------------------ tags


def test_tags_for_saving_keeps_existing_tags_first_and_only_staff_create_tags(
    api: ApiSession, emulator: RunningEmulator
) -> None:
    # core DiscourseTagging.tags_for_saving: Tag.where_name(tags_arg) first, then new cleaned
    # names for users who can_create_tag?; cut to max_tags_per_topic.
    cat = api.category()
    api.topic(cat["id"], title="A topic that creates the tags", **{"tags[]": ["km0", "pilot"]})
    post = api.topic(
        cat["id"], title="A topic naming new tags first", **{"tags[]": ["R & D", "Pilot", "km0"]}
    )
    tags = api.get(f"/t/{post['topic_id']}.json").json()["tags"]
    assert [t["name"] for t in tags] == ["km0", "pilot", "r-d"]
    emulator.state.ensure_user("anna")  # a regular member
    anna = ApiSession(emulator, username="anna")
    mine = anna.topic(cat["id"], title="A member's topic with tags", **{"tags[]": ["km0", "new"]})
    assert [t["name"] for t in api.get(f"/t/{mine['topic_id']}.json").json()["tags"]] == ["km0"]
    assert "new" not in emulator.state.tags


# ------------------------------------------------------------------ found by schemathesis


def test_other_methods_are_not_found_not_501(api: ApiSession) -> None:
    # Rails routes no TRACE, OPTIONS or other verbs to Discourse's controllers: 404.
    for method in ("TRACE", "OPTIONS", "QUERY"):
        response = api.request(method, "/latest.json")
        assert response.status_code == 404, method
        assert response.json()["error_type"] == "not_found"


def test_category_numbers_are_cast_like_rails(api: ApiSession) -> None:
    # ActiveRecord casts integer attributes with to_i: a permission value or search_priority
    # that is not a number becomes 0 (a 500 in the emulator before).
    created = api.post(
        "/categories.json",
        json={"name": "Cast values", "permissions": {"everyone": "x"}, "search_priority": "high"},
    )
    assert created.status_code == 200, created.text
    category = created.json()["category"]
    assert category["search_priority"] == 0
    assert category["group_permissions"][0]["permission_type"] == 0


def test_ascending_must_be_true_or_false(api: ApiSession) -> None:
    # core TopicQuery validators: ascending: true_or_false → 400 invalid_parameters.
    assert api.get("/latest.json", params={"ascending": "true"}).status_code == 200
    refused = api.get("/latest.json", params={"ascending": "yes"})
    assert refused.status_code == 400 and refused.json()["error_type"] == "invalid_parameters"


def test_category_nesting_is_bounded(api: ApiSession) -> None:
    # core app/models/category.rb parent_category_validator; max_category_nesting default 2.
    parent = api.category("Planning")
    child = api.category("Mobility", parent_category_id=parent["id"])
    deeper = api.post("/categories.json", data={"name": "Bikes", "parent_category_id": child["id"]})
    assert deeper.status_code == 422
    itself = api.put(f"/categories/{parent['id']}.json", data={"parent_category_id": parent["id"]})
    assert itself.status_code == 422


def test_a_body_of_an_unknown_content_type_is_ignored(api: ApiSession) -> None:
    # Rails parses only the MIME types it has a parser for; another body is ignored (no 415).
    response = api.post(
        "/categories.json",
        params={"name": "From the query string"},
        data=b"name=ignored",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["category"]["name"] == "From the query string"


def test_the_create_memo_key_includes_the_client(api: ApiSession) -> None:
    # core PostsController#create_params adds ip_address, user_agent and referrer to the
    # parameters that signature_for hashes: the same create from another client is not
    # answered from the memo (here: the title is then taken).
    cat = api.category()
    data = {"title": "A memoized project title", "raw": BODY, "category": cat["id"]}
    first = api.post("/posts.json", data=data, headers={"User-Agent": "client-a"})
    again = api.post("/posts.json", data=data, headers={"User-Agent": "client-a"})
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = api.post("/posts.json", data=data, headers={"User-Agent": "client-b"})
    assert other.status_code == 422
    assert other.json()["errors"] == ["Title has already been used"]
    referred = api.post(
        "/posts.json", data=data, headers={"User-Agent": "client-a", "Referer": "http://x/"}
    )
    assert referred.status_code == 422


# ------------------------------------------------------------------ links by external id

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_following_an_external_id_link_gets_the_app_not_the_topic(
    api: ApiSession,
) -> None:
    # core TopicsController: `skip_before_action :check_xhr, only: %i[show feed]`, so
    # show_by_external_id keeps ApplicationController#check_xhr, which raises RenderEmpty for a GET
    # that is neither JSON nor XHR: the empty app shell (200), no redirect, found or not. Only the
    # API (.json or an Accept asking for JSON) and XHR get redirect_to_correct_topic's 301.
    cat = api.category()
    post = api.topic(cat["id"], external_id="dc-linked-project")
    topic_path = f"/t/{post['topic_slug']}/{post['topic_id']}"
    for external_id in ("dc-linked-project", "dc-no-such-project"):
        page = api.get(f"/t/external_id/{external_id}", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200 and "Location" not in page.headers
        assert page.headers["Content-Type"].startswith("text/html")
    xhr = api.get(
        "/t/external_id/dc-linked-project",
        headers={"Accept": BROWSER_ACCEPT, "X-Requested-With": "XMLHttpRequest"},
    )
    assert xhr.status_code == 301 and xhr.headers["Location"] == f"{api.url}{topic_path}"
    api_read = api.get("/t/external_id/dc-linked-project.json")
    assert api_read.status_code == 301
    assert api_read.headers["Location"] == f"{api.url}{topic_path}.json"


# ------------------------------------------------------------------ edit grace period


def _shortest_script(a: str, b: str) -> int:
    """Characters inserted and deleted by a shortest edit script (through the LCS)."""
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return len(a) + len(b) - 2 * prev[-1]


def test_the_grace_period_diff_is_the_shortest_edit_script() -> None:
    # core PostRevisor#diff_size: ONPDiff#short_diff, the sizes of the non-common parts of a
    # shortest edit script, compared with editing_grace_period_max_diff.
    import random

    from bridge.emulator.state import diff_within

    rng = random.Random(7)
    for _ in range(400):
        a = "".join(rng.choice("ab |") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("ab |") for _ in range(rng.randint(0, 12)))
        size = _shortest_script(a, b)
        assert [diff_within(a, b, limit) for limit in range(10)] == [
            size <= limit for limit in range(10)
        ]
    # Two index posts of ~28,000 characters, one row inserted near the top and the last one
    # dropped: 190 characters changed (found without difflib's quadratic search).
    rows = [
        f"| [Projecte {i}](/t/-/{i}) | Ajuntament de Poble {i % 50} | pilot | {i % 4} |"
        for i in range(400)
    ]
    before = "\n".join(rows)
    after = "\n".join([*rows[:3], "| [Nou](/t/-/9999) | Ajuntament X | pilot | 0 |", *rows[3:-1]])
    changed = len(rows[-1]) + 1 + len("| [Nou](/t/-/9999) | Ajuntament X | pilot | 0 |") + 1
    assert diff_within(before, after, changed) and not diff_within(before, after, changed - 1)
