"""Categories, topic lists and tag lists in the emulator (notes §6, §7, §11), through plain
requests and pydiscourse."""

from __future__ import annotations

from bridge.emulator import RunningEmulator


def test_create_category_through_pydiscourse_makes_its_about_topic(
    emulator: RunningEmulator, pyd, api
) -> None:
    cat = pyd.create_category("Citizen care", "0088CC")[
        "category"
    ]  # form body, permissions[everyone]=1
    assert cat["slug"] == "citizen-care"
    assert (
        cat["topic_count"] == 0
    )  # samples/discourse_api/categories.json: the definition topic is not counted
    about = api.get(cat["topic_url"] + ".json").json()
    # notes §6: "About the … category"; samples/discourse_api_docs/topic_response.json: pinned
    assert about["title"] == "About the Citizen care category"
    assert about["pinned"] is True and about["category_id"] == cat["id"]
    assert pyd.category(cat["id"])["category"]["name"] == "Citizen care"  # GET /c/{id}/show


def test_category_name_unique_within_parent_and_required(api) -> None:
    parent = api.category("Planning")
    api.category("Mobility", parent_category_id=parent["id"])
    dup = api.post(
        "/categories.json", data={"name": "mobility", "parent_category_id": parent["id"]}
    )
    assert (
        dup.status_code == 422 and len(dup.json()["errors"]) == 1
    )  # notes §6: one entry, no error_type
    assert "error_type" not in dup.json()
    assert (
        api.post("/categories.json", data={"name": "Mobility"}).status_code == 200
    )  # other parent: fine
    assert (
        api.post("/categories.json", data={"color": "FF0000"}).status_code == 400
    )  # name is required


def test_auto_slug_collision_leaves_the_slug_empty(api) -> None:
    first = api.category("Open data")
    second = api.category("Open-Data")  # different name, same auto slug
    assert first["slug"] == "open-data" and second["slug"] == ""  # notes §6
    listed = api.get(f"/c/{second['id']}-category/{second['id']}.json")
    assert listed.status_code == 200


def test_update_category_through_pydiscourse_json(pyd, api) -> None:
    cat = api.category("Citizen care")
    result = pyd.update_category(cat["id"], name="Citizen services", color="FF0000")
    assert result["success"] == "OK"
    assert (
        result["category"]["name"] == "Citizen services" and result["category"]["color"] == "FF0000"
    )


def test_categories_list_with_subcategories(pyd, api) -> None:
    parent = api.category("Planning")
    child = api.category("Mobility", parent_category_id=parent["id"])
    plain = api.get("/categories.json").json()["category_list"]["categories"]
    assert [c["id"] for c in plain] == [parent["id"]]
    assert plain[0]["subcategory_ids"] == [child["id"]] and "subcategory_list" not in plain[0]
    nested = pyd.categories(include_subcategories="true")
    assert nested[0]["subcategory_list"][0]["name"] == "Mobility"  # notes §6


def test_latest_hides_definition_topics_and_pages_by_30(api) -> None:
    cat = api.category()
    ids = [
        api.topic(cat["id"], title=f"Project number {n:03d} in the list")["topic_id"]
        for n in range(31)
    ]
    first = api.get("/latest.json").json()["topic_list"]
    # core list_controller.rb: /latest without a category has no_definitions
    assert len(first["topics"]) == 30 and first["per_page"] == 30
    assert first["topics"][0]["id"] == ids[-1]  # newest bump first
    assert first["more_topics_url"] == "/latest?page=1"  # notes §11: without .json
    last = api.get("/latest.json", params={"page": 1}).json()["topic_list"]
    assert [t["id"] for t in last["topics"]] == [ids[0]]
    assert "more_topics_url" not in last  # notes §11: absent on the last page


def test_an_exactly_full_last_page_still_has_more_topics_url(api) -> None:
    # core app/serializers/topic_list_serializer.rb `include_more_topics_url?`:
    # `object.more_topics_url.present? && (object.topics.size == object.per_page)`.
    cat = api.category()
    for n in range(30):
        api.topic(cat["id"], title=f"Project number {n:03d} in the list")
    full = api.get("/latest.json").json()["topic_list"]
    assert len(full["topics"]) == 30 and full["more_topics_url"] == "/latest?page=1"
    empty = api.get("/latest.json", params={"page": 1}).json()["topic_list"]
    assert empty["topics"] == [] and "more_topics_url" not in empty


def test_category_lists_honour_per_page_up_to_100(api) -> None:
    # core lib/topic_query_params.rb passes `per_page` through TopicQuery's validators
    # (`per_page: one_up_to_one_hundred`) into category lists as into /latest.
    cat = api.category("Citizen care")
    for n in range(100):
        api.topic(cat["id"], title=f"Project number {n:03d} in the list")
    url = f"/c/citizen-care/{cat['id']}.json"
    first = api.get(url, params={"per_page": 100}).json()["topic_list"]
    assert len(first["topics"]) == 100 and first["per_page"] == 100
    assert first["more_topics_url"] == f"/c/citizen-care/{cat['id']}/l/latest?page=1&per_page=100"
    second = api.get(url, params={"per_page": 100, "page": 1}).json()["topic_list"]
    assert len(second["topics"]) == 1 and "more_topics_url" not in second  # the about topic
    assert api.get(url, params={"per_page": 101}).status_code == 400


def test_category_list_shows_its_own_definition_pinned_first_and_subcategory_topics(
    api, pyd
) -> None:
    parent = api.category("Planning")
    child = api.category("Mobility", parent_category_id=parent["id"])
    in_parent = api.topic(parent["id"], title="Urban planning viewer online")["topic_id"]
    in_child = api.topic(child["id"], title="Bike lanes planning tool here")["topic_id"]
    body = api.get(f"/c/{parent['slug']}/{parent['id']}.json").json()
    titles = [t["title"] for t in body["topic_list"]["topics"]]
    # samples/discourse_api/category_topics.json: the category's about topic leads, pinned;
    # core topic_query.rb hides the subcategories' definition topics
    assert titles[0] == "About the Planning category"
    assert "About the Mobility category" not in titles
    assert {in_parent, in_child} <= {t["id"] for t in body["topic_list"]["topics"]}
    via_pydiscourse = pyd.category_topics(parent["id"])  # /c/{id}.json → 301 → /c/{slug}/{id}.json
    assert via_pydiscourse["topic_list"]["topics"][0]["title"] == "About the Planning category"


def test_category_list_pagination_url(api) -> None:
    cat = api.category("Citizen care")
    for n in range(30):
        api.topic(cat["id"], title=f"Project number {n:03d} in the list")
    body = api.get(f"/c/citizen-care/{cat['id']}.json").json()["topic_list"]
    assert len(body["topics"]) == 30  # 30 topics + the about topic = 31
    assert body["more_topics_url"] == f"/c/citizen-care/{cat['id']}/l/latest?page=1"
    second = api.get(
        body["more_topics_url"] + "&per_page=30", headers={"Accept": "application/json"}
    ).json()
    assert len(second["topic_list"]["topics"]) == 1


def test_tag_list_and_tags_index(api) -> None:
    cat = api.category()
    a = api.topic(cat["id"], title="First tagged project here", **{"tags[]": ["km0", "pilot"]})
    api.topic(cat["id"], title="Second tagged project here", **{"tags[]": ["foreign"]})
    tagged = api.get("/tag/km0.json").json()
    assert [t["id"] for t in tagged["topic_list"]["topics"]] == [a["topic_id"]]
    assert tagged["topic_list"]["topics"][0]["tags"][0]["name"] == "km0"
    assert (
        api.get("/tag/KM0.json").status_code == 200
    )  # tag names match case-insensitively (notes §7)
    assert api.get("/tag/nothing.json").status_code == 404
    tags = {t["name"]: t for t in api.get("/tags.json").json()["tags"]}
    assert tags["km0"]["count"] == 1 and tags["km0"]["text"] == "km0"
    assert api.get("/tags.json").json()["extras"] == {"categories": []}


def test_list_items_carry_engagement(emulator: RunningEmulator, api) -> None:
    cat = api.category()
    post = api.topic(cat["id"])
    emulator.control(
        "reply",
        topic_id=post["topic_id"],
        raw="A reply from a practitioner, thanks!",
        username="anna",
        reply_to_post_number=1,
    )
    emulator.control("view", topic_id=post["topic_id"], count=3)
    emulator.control("like", topic_id=post["topic_id"], username="anna")
    item = next(
        t
        for t in api.get("/latest.json").json()["topic_list"]["topics"]
        if t["id"] == post["topic_id"]
    )
    assert (item["posts_count"], item["reply_count"], item["views"], item["like_count"]) == (
        2,
        1,
        3,
        1,
    )
    assert item["last_poster_username"] == "anna"


def test_bad_page_parameters_are_400(api) -> None:
    assert api.get("/latest.json", params={"page": "x"}).status_code == 400
    assert api.get("/latest.json", params={"per_page": 0}).status_code == 400
