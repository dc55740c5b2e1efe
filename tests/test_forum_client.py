"""The forum client against canned HTTP answers (`responses`): requests it sends, how it reads
answers, retries, 429s, ambiguous creates, error mapping. Sleeps go to a fake clock."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
import requests
import responses
from pydantic import SecretStr
from tests_support import FakeTime
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from bridge.forum.client import EXTERNAL_ID_TAKEN_MESSAGE, ForumClient
from bridge.forum.errors import (
    AmbiguousWrite,
    ExternalIdTaken,
    ForumAuthError,
    ForumError,
    ForumMisconfigured,
    ForumNotFound,
    ForumRateLimited,
    ForumServerError,
    ForumUnreachable,
    ForumValidationError,
)
from bridge.settings import ConfigError, load_settings

BASE = "https://forum.example.cat"
KEY = "key-SECRET-4f1c9e7d2b"
JSON_UTF8 = "application/json; charset=utf-8"


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeTime) -> Iterator[ForumClient]:
    with ForumClient(
        BASE, KEY, "bridge-bot", rate_limit_per_minute=0, sleep=fake.sleep, clock=fake.clock
    ) as c:
        yield c


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def add_json(
    mock: responses.RequestsMock,
    method: str,
    path: str,
    body: object,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = JSON_UTF8,
) -> None:
    mock.add(
        method,
        BASE + path,
        body=json.dumps(body),
        status=status,
        content_type=content_type,
        headers=headers,
    )


def form(call: responses.Call) -> dict[str, list[str]]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else (body or "")
    return parse_qs(text, keep_blank_values=True)


POST_BODY = {
    "id": 11,
    "topic_id": 7,
    "topic_slug": "a-participation-platform",
    "post_number": 1,
    "raw": "x",
}
TOPIC = {
    "id": 7,
    "title": "A participation platform",
    "external_id": "dc-abc",
    "post_stream": {"posts": [{"id": 11}]},
}


# ---------------------------------------------------------------------- requests as sent


def test_headers_accept_json_and_carry_the_key_only_in_headers(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "GET", "/t/7.json", TOPIC)
    assert client.get_topic(7)["id"] == 7
    sent = mock.calls[0].request
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Api-Key"] == KEY
    assert sent.headers["Api-Username"] == "bridge-bot"
    assert KEY not in sent.url
    assert client.requests_made == 1


def test_pydiscourse_paths_get_a_json_suffix(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "PUT", "/t/7/status.json", {"success": "OK", "topic_status_update": None})
    add_json(mock, "GET", "/posts/11.json", {"id": 11, "raw": "body"})
    client.set_topic_status(7, "closed", True)
    assert client.get_post(11)["raw"] == "body"
    assert form(mock.calls[0]) == {"status": ["closed"], "enabled": ["true"]}
    assert [c.request.path_url for c in mock.calls] == ["/t/7/status.json", "/posts/11.json"]


def test_create_topic_sends_form_fields_and_returns_the_post(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "POST", "/posts.json", POST_BODY)
    post = client._create_topic(
        title="A participation platform",
        raw="Body of the topic.",
        category_id=5,
        tags=["km0", "pilot"],
        external_id="dc-abc",
    )
    assert post["topic_id"] == 7 and post["id"] == 11
    assert form(mock.calls[0]) == {
        "title": ["A participation platform"],
        "raw": ["Body of the topic."],
        "category": ["5"],
        "tags[]": ["km0", "pilot"],
        "external_id": ["dc-abc"],
    }


def test_create_topic_refuses_an_invalid_external_id_without_a_request(client: ForumClient) -> None:
    with pytest.raises(ValueError):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="has space"
        )
    assert client.requests_made == 0


def test_update_topic_sends_top_level_fields(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "PUT", "/t/-/7.json", {"basic_topic": {"id": 7, "title": "New title here"}})
    assert (
        client.update_topic(7, title="New title here", category_id=9, tags=["km0", "implemented"])[
            "id"
        ]
        == 7
    )
    assert form(mock.calls[0]) == {
        "title": ["New title here"],
        "category_id": ["9"],
        "tags[]": ["km0", "implemented"],
    }


def test_update_topic_with_no_tags_clears_them_with_one_empty_value(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    """notes §4: core's spec removes all tags with `tags: [""]`, i.e. form `tags[]=`."""
    add_json(mock, "PUT", "/t/-/7.json", {"basic_topic": {"id": 7}})
    client.update_topic(7, tags=[])
    assert mock.calls[0].request.body in ("tags%5B%5D=", b"tags%5B%5D=")
    assert form(mock.calls[0]) == {"tags[]": [""]}


def test_update_topic_none_leaves_fields_out(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "PUT", "/t/-/7.json", {"basic_topic": {"id": 7}})
    client.update_topic(7, category_id=3)
    assert form(mock.calls[0]) == {"category_id": ["3"]}
    with pytest.raises(ValueError):
        client.update_topic(7)


def test_update_post_sends_raw_and_edit_reason(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "PUT", "/posts/11.json", {"post": {"id": 11, "raw": "new body", "version": 2}})
    assert client.update_post(11, raw="new body", edit_reason="catalogue changed")["version"] == 2
    assert form(mock.calls[0]) == {
        "post[raw]": ["new body"],
        "post[edit_reason]": ["catalogue changed"],
    }


def test_include_raw_and_pages_are_query_parameters(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "GET", "/t/7.json", TOPIC)
    add_json(
        mock,
        "GET",
        "/c/citizen-care/4.json",
        {"topic_list": {"topics": [], "more_topics_url": None}},
    )
    add_json(mock, "GET", "/latest.json", {"topic_list": {"topics": []}})
    client.get_topic(7, include_raw=True)
    assert "topic_list" in client.list_category_topics("citizen-care", 4, page=2)
    client.latest_topics(page=1)
    assert [c.request.path_url for c in mock.calls] == [
        "/t/7.json?include_raw=true",
        "/c/citizen-care/4.json?page=2",
        "/latest.json?page=1",
    ]


def test_categories_are_flattened_with_subcategories(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    body = {
        "category_list": {
            "categories": [
                {
                    "id": 1,
                    "slug": "parent",
                    "subcategory_list": [{"id": 2, "slug": "child", "parent_category_id": 1}],
                },
                {"id": 3, "slug": "other"},
            ]
        }
    }
    add_json(mock, "GET", "/categories.json", body)
    assert [c["id"] for c in client.list_categories()] == [1, 2, 3]
    assert mock.calls[0].request.path_url == "/categories.json?include_subcategories=true"


def test_create_and_update_category(client: ForumClient, mock: responses.RequestsMock) -> None:
    add_json(mock, "POST", "/categories.json", {"category": {"id": 9, "slug": "citizen-care"}})
    add_json(
        mock,
        "PUT",
        "/categories/9.json",
        {"success": "OK", "category": {"id": 9, "name": "Atenció"}},
    )
    add_json(mock, "GET", "/c/9/show.json", {"category": {"id": 9}})
    add_json(
        mock,
        "GET",
        "/tags.json",
        {"tags": [{"id": "km0", "name": "km0", "count": 3}], "extras": {}},
    )
    created = client.create_category(
        name="Atenció",
        slug="citizen-care",
        color="0088CC",
        text_color="FFFFFF",
        parent_category_id=2,
    )
    assert created["id"] == 9
    assert form(mock.calls[0]) == {
        "name": ["Atenció"],
        "slug": ["citizen-care"],
        "color": ["0088CC"],
        "text_color": ["FFFFFF"],
        "parent_category_id": ["2"],
        "permissions[everyone]": ["1"],
    }
    assert client.update_category(9, name="Atenció")["name"] == "Atenció"
    assert json.loads(mock.calls[1].request.body) == {"name": "Atenció"}
    assert client.get_category(9) == {"id": 9}
    assert client.list_tags()[0]["name"] == "km0"


# ---------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    "content_type",
    [JSON_UTF8, "application/json", "Application/JSON;charset=UTF-8", "application/vnd.api+json"],
)
def test_json_content_type_variations_are_accepted(
    client: ForumClient, mock: responses.RequestsMock, content_type: str
) -> None:
    add_json(mock, "GET", "/t/7.json", TOPIC, content_type=content_type)
    assert client.get_topic(7)["id"] == 7


def test_an_empty_body_is_an_empty_dict(client: ForumClient, mock: responses.RequestsMock) -> None:
    mock.add("DELETE", BASE + "/t/7.json", body="", status=200, content_type="text/html")
    assert client.delete_topic(7) == {}


def test_an_html_answer_is_a_clear_error(client: ForumClient, mock: responses.RequestsMock) -> None:
    mock.add(
        "GET", BASE + "/t/7.json", body="<html>login</html>", status=200, content_type="text/html"
    )
    with pytest.raises(ForumError, match="not JSON"):
        client.get_topic(7)


def test_external_id_lookup_follows_the_301(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    """notes §3: GET /t/external_id/{id}.json answers 301 to /t/{slug}/{id}.json."""
    mock.add(
        "GET",
        BASE + "/t/external_id/dc-abc.json",
        status=301,
        headers={"Location": BASE + "/t/a-participation-platform/7.json"},
    )
    add_json(mock, "GET", "/t/a-participation-platform/7.json", TOPIC)
    assert client._get_topic_by_external_id("dc-abc") == TOPIC
    assert client.requests_made == 2  # each hop counts against the forum's limit
    assert mock.calls[1].request.headers["Api-Key"] == KEY


def test_external_id_lookup_follows_a_relative_location(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    mock.add(
        "GET",
        BASE + "/t/external_id/dc-abc.json",
        status=301,
        headers={"Location": "/t/slug/7.json"},
    )
    add_json(mock, "GET", "/t/slug/7.json", TOPIC)
    assert client._get_topic_by_external_id("dc-abc")["id"] == 7


def test_external_id_lookup_returns_none_on_404(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(
        mock,
        "GET",
        "/t/external_id/dc-missing.json",
        {"errors": ["not found"], "error_type": "not_found"},
        404,
    )
    assert client._get_topic_by_external_id("dc-missing") is None


def test_a_redirect_to_another_host_is_not_followed_with_the_key(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    mock.add(
        "GET",
        BASE + "/t/external_id/dc-abc.json",
        status=301,
        headers={"Location": "https://evil.example/t/1.json"},
    )
    with pytest.raises(ForumError, match="another address"):
        client._get_topic_by_external_id("dc-abc")
    assert len(mock.calls) == 1


def test_an_unexpected_redirect_says_check_the_url(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    mock.add("POST", BASE + "/posts.json", status=301, headers={"Location": BASE + "/login"})
    with pytest.raises(ForumError, match="DISCOURSE_URL"):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )


# ---------------------------------------------------------------------- error mapping


def test_403_invalid_access_is_an_auth_error(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(
        mock,
        "GET",
        "/t/7.json",
        {
            "errors": [
                "You are not permitted to view the requested resource. "
                "The API username or key is invalid."
            ],
            "error_type": "invalid_access",
        },
        403,
    )
    with pytest.raises(ForumAuthError) as info:
        client.get_topic(7)
    assert "refused the API key for user 'bridge-bot'" in str(info.value)
    assert info.value.status == 403 and info.value.error_type == "invalid_access"
    assert client.requests_made == 1  # never retried


def test_422_is_a_validation_error_with_discourses_reasons(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(
        mock,
        "POST",
        "/posts.json",
        {"action": "create_post", "errors": ["Title has already been used", "Body is too short"]},
        422,
    )
    with pytest.raises(ForumValidationError) as info:
        client._create_topic(title="t" * 20, raw="r", category_id=1, tags=[], external_id="dc-1")
    assert not isinstance(info.value, ExternalIdTaken)
    assert info.value.errors == ["Title has already been used", "Body is too short"]
    assert "Title has already been used" in str(info.value)


@pytest.mark.parametrize("message", [EXTERNAL_ID_TAKEN_MESSAGE, "External ja està en ús"])
def test_a_taken_external_id_is_its_own_error(
    client: ForumClient, mock: responses.RequestsMock, message: str
) -> None:
    """core app/models/topic.rb: `validates :external_id, uniqueness: {case_sensitive: false}`;
    Rails
    humanises external_id as "External" → "External has already been taken" (also what
    umbraco/OurUmbraco's Discourse integration matches). Another site locale changes the verb
    only."""
    add_json(mock, "POST", "/posts.json", {"action": "create_post", "errors": [message]}, 422)
    with pytest.raises(ExternalIdTaken) as info:
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-abc"
        )
    assert info.value.external_id == "dc-abc"
    assert isinstance(info.value, ForumValidationError)
    assert client.requests_made == 1


def test_400_bad_parameter_is_a_validation_error(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(
        mock,
        "POST",
        "/posts.json",
        {"errors": ["param is invalid: category"], "error_type": "invalid_parameters"},
        400,
    )
    with pytest.raises(ForumValidationError, match="category"):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )


def test_404_is_not_found(client: ForumClient, mock: responses.RequestsMock) -> None:
    add_json(
        mock,
        "GET",
        "/posts/99.json",
        {
            "errors": ["The requested URL or resource could not be found."],
            "error_type": "not_found",
        },
        404,
    )
    with pytest.raises(ForumNotFound) as info:
        client.get_post(99)
    assert info.value.status == 404 and client.requests_made == 1


def test_an_enqueued_post_is_refused_clearly(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "POST", "/posts.json", {"action": "enqueued", "pending_post": {"id": 3}})
    with pytest.raises(ForumValidationError, match="approval"):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )


# ---------------------------------------------------------------------- 429


def test_json_429_waits_for_wait_seconds_then_retries_a_post(
    client: ForumClient, mock: responses.RequestsMock, fake: FakeTime
) -> None:
    """notes §9 app-level 429 body; a 429 was not handled, so even a create is retried."""
    add_json(
        mock,
        "POST",
        "/posts.json",
        {
            "errors": [
                "You’ve performed this action too many times. Please wait 7 seconds before trying "
                "again."
            ],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 7, "time_left": "7 seconds"},
        },
        429,
        headers={"Retry-After": "7", "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"},
    )
    add_json(mock, "POST", "/posts.json", POST_BODY)
    assert (
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )["id"]
        == 11
    )
    assert fake.sleeps == [
        8.0
    ]  # wait_seconds + 1: core admits only when strictly older than the window
    assert client.requests_made == 2


def test_plain_text_per_ip_429_honours_retry_after(
    client: ForumClient, mock: responses.RequestsMock, fake: FakeTime
) -> None:
    mock.add(
        "GET",
        BASE + "/t/7.json",
        body="Slow down, too many requests from this IP address",
        status=429,
        content_type="text/plain",
        headers={"Retry-After": "4", "Discourse-Rate-Limit-Error-Code": "ip_10_secs_limit"},
    )
    add_json(mock, "GET", "/t/7.json", TOPIC)
    assert client.get_topic(7)["id"] == 7
    assert fake.sleeps == [5.0]


def test_429_without_a_hint_waits_a_default(
    client: ForumClient, mock: responses.RequestsMock, fake: FakeTime
) -> None:
    mock.add("GET", BASE + "/t/7.json", body="busy", status=429, content_type="text/plain")
    add_json(mock, "GET", "/t/7.json", TOPIC)
    client.get_topic(7)
    assert fake.sleeps == [11.0]


def test_429_storm_ends_in_rate_limited_after_bounded_attempts(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(
        BASE, KEY, rate_limit_per_minute=0, max_retries=3, sleep=fake.sleep, clock=fake.clock
    )
    add_json(
        mock,
        "GET",
        "/t/7.json",
        {"errors": ["slow down"], "error_type": "rate_limit", "extras": {"wait_seconds": 2}},
        429,
    )
    with pytest.raises(ForumRateLimited) as info:
        client.get_topic(7)
    assert len(mock.calls) == 4 and fake.sleeps == [3.0, 3.0, 3.0]
    assert info.value.wait_seconds == 2 and "after 4 attempts" in str(info.value)


def test_429_asking_for_too_long_a_wait_is_not_slept(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(
        BASE,
        KEY,
        rate_limit_per_minute=0,
        max_rate_limit_wait=60,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    add_json(
        mock,
        "GET",
        "/t/7.json",
        {"errors": ["daily limit"], "error_type": "rate_limit", "extras": {"wait_seconds": 3600}},
        429,
    )
    with pytest.raises(ForumRateLimited, match="longer than"):
        client.get_topic(7)
    assert fake.sleeps == [] and len(mock.calls) == 1


# ---------------------------------------------------------------------- 5xx and connections


def test_5xx_burst_on_get_is_retried_with_capped_jittered_backoff(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(
        BASE,
        KEY,
        rate_limit_per_minute=0,
        max_retries=5,
        max_backoff=4.0,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    for status in (502, 503, 500, 504):
        mock.add(
            "GET",
            BASE + "/t/7.json",
            body="<html>bad gateway</html>",
            status=status,
            content_type="text/html",
        )
    add_json(mock, "GET", "/t/7.json", TOPIC)
    assert client.get_topic(7)["id"] == 7
    assert len(fake.sleeps) == 4
    assert all(0 < s <= 4.0 for s in fake.sleeps)  # capped
    assert fake.sleeps[0] < 1.5  # starts near 0.5 s (+ up to 0.5 s jitter)


def test_5xx_on_put_is_retried(client: ForumClient, mock: responses.RequestsMock) -> None:
    add_json(mock, "PUT", "/posts/11.json", {"errors": ["boom"]}, 500)
    add_json(mock, "PUT", "/posts/11.json", {"post": {"id": 11}})
    assert client.update_post(11, raw="r" * 20, edit_reason="why")["id"] == 11
    assert client.requests_made == 2


def test_5xx_that_persists_is_a_server_error(fake: FakeTime, mock: responses.RequestsMock) -> None:
    client = ForumClient(
        BASE, KEY, rate_limit_per_minute=0, max_retries=2, sleep=fake.sleep, clock=fake.clock
    )
    add_json(
        mock,
        "GET",
        "/t/7.json",
        {"errors": ["The site is in read only mode."], "error_type": "read_only"},
        503,
    )
    with pytest.raises(ForumServerError, match="read only") as info:
        client.get_topic(7)
    assert info.value.status == 503 and len(mock.calls) == 3


def test_5xx_on_create_is_ambiguous_and_not_retried(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    add_json(mock, "POST", "/posts.json", {"errors": ["boom"]}, 500)
    with pytest.raises(AmbiguousWrite, match="look the record up") as info:
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert info.value.status == 500 and len(mock.calls) == 1


@pytest.mark.parametrize(
    "exc",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(
            ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed"))
        ),
        requests.exceptions.ChunkedEncodingError("broken chunk"),
    ],
    ids=["read-timeout", "remote-disconnected", "chunked"],
)
def test_a_create_lost_after_sending_is_ambiguous_and_not_retried(
    client: ForumClient, mock: responses.RequestsMock, exc: Exception
) -> None:
    mock.add("POST", BASE + "/posts.json", body=exc)
    with pytest.raises(AmbiguousWrite):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    "exc",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(
            ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
        ),
    ],
    ids=["read-timeout", "reset"],
)
def test_an_idempotent_request_lost_after_sending_is_retried(
    client: ForumClient, mock: responses.RequestsMock, exc: Exception
) -> None:
    mock.add("PUT", BASE + "/t/-/7.json", body=exc)
    add_json(mock, "PUT", "/t/-/7.json", {"basic_topic": {"id": 7}})
    assert client.update_topic(7, title="A better title here")["id"] == 7
    assert len(mock.calls) == 2


def _refused() -> requests.ConnectionError:
    """What requests raises when the TCP connection is refused: nothing was sent."""
    cause = NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused"
    )  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/posts.json", cause))  # type: ignore[arg-type]


def test_a_create_refused_before_sending_is_retried(
    client: ForumClient, mock: responses.RequestsMock
) -> None:
    mock.add("POST", BASE + "/posts.json", body=_refused())
    mock.add("POST", BASE + "/posts.json", body=requests.ConnectTimeout("connect timed out"))
    add_json(mock, "POST", "/posts.json", POST_BODY)
    assert (
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )["id"]
        == 11
    )
    assert len(mock.calls) == 3
    assert client.requests_made == 1  # the two that never connected were never sent


def test_a_forum_that_refuses_every_connection_is_unreachable(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(
        BASE, KEY, rate_limit_per_minute=0, max_retries=2, sleep=fake.sleep, clock=fake.clock
    )
    mock.add("POST", BASE + "/posts.json", body=_refused())
    with pytest.raises(
        ForumUnreachable, match=r"cannot connect to the forum at https://forum\.example\.cat"
    ):
        client._create_topic(
            title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
        )
    assert len(mock.calls) == 3 and client.requests_made == 0


# ---------------------------------------------------------------------- pacing in the client


def test_the_client_paces_itself_with_the_sliding_window(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(BASE, KEY, rate_limit_per_minute=5, sleep=fake.sleep, clock=fake.clock)
    add_json(mock, "GET", "/t/7.json", TOPIC)
    for _ in range(6):
        client.get_topic(7)
    assert fake.sleeps == [
        pytest.approx(61.0)
    ]  # 5 back to back, the 6th waits for the window (+1 s)
    assert client.pacer.waited == pytest.approx(61.0)


# ---------------------------------------------------------------------- construction


def test_from_settings_requires_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DISCOURSE_URL",
        "DISCOURSE_API_KEY",
        "DISCOURSE_API_USERNAME",
        "BRIDGE_RATE_LIMIT_PER_MINUTE",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="DISCOURSE_URL"):
        ForumClient.from_settings(load_settings())
    settings = load_settings(
        discourse_url=BASE,
        discourse_api_key=KEY,
        discourse_api_username="bot",
        rate_limit_per_minute=120,
    )
    with ForumClient.from_settings(settings) as client:
        assert client.host == BASE and client.api_username == "bot" and client.pacer.limit == 120


def test_a_secretstr_key_is_accepted_and_never_shown(
    fake: FakeTime, mock: responses.RequestsMock
) -> None:
    client = ForumClient(BASE, SecretStr(KEY), sleep=fake.sleep, clock=fake.clock)
    add_json(mock, "GET", "/t/7.json", TOPIC)
    client.get_topic(7)
    assert mock.calls[0].request.headers["Api-Key"] == KEY
    assert KEY not in repr(client) and KEY not in str(vars(client))


# ---------------------------------------------------------------------- the key never leaks


def _provoke_every_error(fake: FakeTime, mock: responses.RequestsMock) -> list[ForumError]:
    client = ForumClient(
        BASE, KEY, rate_limit_per_minute=0, max_retries=1, sleep=fake.sleep, clock=fake.clock
    )
    add_json(
        mock,
        "GET",
        "/t/1.json",
        {"errors": ["The API username or key is invalid."], "error_type": "invalid_access"},
        403,
    )
    add_json(mock, "GET", "/t/2.json", {"errors": ["not found"], "error_type": "not_found"}, 404)
    add_json(mock, "GET", "/t/3.json", {"errors": ["slow"], "extras": {"wait_seconds": 1}}, 429)
    add_json(mock, "GET", "/t/4.json", {"errors": ["boom"]}, 500)
    mock.add("GET", BASE + "/t/5.json", body=_refused())
    mock.add("GET", BASE + "/t/6.json", body="<html/>", content_type="text/html")
    add_json(mock, "POST", "/posts.json", {"errors": ["Title has already been used"]}, 422)
    add_json(mock, "POST", "/posts.json", {"errors": [EXTERNAL_ID_TAKEN_MESSAGE]}, 422)
    mock.add("POST", BASE + "/posts.json", body=requests.ReadTimeout("timed out"))
    caught: list[ForumError] = []
    for topic_id in range(1, 7):
        with pytest.raises(ForumError) as info:
            client.get_topic(topic_id)
        caught.append(info.value)
    for _ in range(3):
        with pytest.raises(ForumError) as info:
            client._create_topic(
                title="t" * 20, raw="r" * 20, category_id=1, tags=[], external_id="dc-1"
            )
        caught.append(info.value)
    return caught


def test_the_key_never_appears_in_errors_or_logs(
    fake: FakeTime, mock: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caught = _provoke_every_error(fake, mock)
    kinds = {type(e) for e in caught}
    assert kinds == {
        ForumAuthError,
        ForumNotFound,
        ForumRateLimited,
        ForumServerError,
        ForumUnreachable,
        ForumMisconfigured,  # the HTML answer (issue 14 item 12)
        ForumValidationError,
        ExternalIdTaken,
        AmbiguousWrite,
    }
    for exc in caught:
        for text in (str(exc), repr(exc), str(exc.__cause__ or ""), str(exc.__context__ or "")):
            assert KEY not in text
    assert caplog.records, "the client logs at DEBUG"
    for record in caplog.records:
        assert KEY not in record.getMessage()
    assert KEY not in caplog.text
