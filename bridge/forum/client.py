"""The only module that does HTTP to Discourse.

pydiscourse is the project's chosen client and `ForumClient` keeps its endpoint vocabulary by
subclassing `pydiscourse.DiscourseClient`, but replaces its transport (`_request`), which does not
fit a sync worker (API-NOTES §14): it has no session, sleeps blindly on 429, reads a 301 as None,
compares the Content-Type exactly and cannot clear tags. Ours:

- one `requests.Session` (connection reuse), timeouts, `Accept: application/json` and `.json` paths;
- pacing under the forum's sliding window (`bridge.forum.pacing`), using the whole budget;
- 429 honoured through `Retry-After` / `extras.wait_seconds` and retried (a 429 was not handled,
  so this is safe for POST too);
- idempotent requests (GET, PUT, DELETE) retried on 5xx and connection errors with capped,
  jittered exponential backoff (tenacity); a POST is retried only when nothing was sent
  (connection refused, connect timeout) and otherwise ends in `AmbiguousWrite`;
- redirects followed only where asked (the external-id lookup answers 301, notes §3), only on the
  forum's own host (the key is never sent elsewhere), each hop paced and counted;
- errors mapped to `bridge.forum.errors`, with messages a person can read and never the key.

A ForumClient is meant for one thread at a time (the pacer serialises requests anyway).
"""

from __future__ import annotations

import email.utils
import html
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack, cast
from urllib.parse import urljoin, urlsplit

import requests
import tenacity
from pydantic import SecretStr
from pydiscourse import DiscourseClient
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bridge import redact
from bridge.forum import telemetry
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
from bridge.forum.pacing import DISCOURSE_GRANULARITY_SECONDS, Pacer
from bridge.rules.discourse import is_valid_external_id, tag_names

if TYPE_CHECKING:
    from bridge.settings import Settings

log = logging.getLogger("bridge.forum")

USER_AGENT = "digicanvis-bridge (+https://github.com/digicanvis)"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
TOPIC_STATUSES = frozenset(
    {"closed", "archived", "visible", "pinned", "pinned_globally"}
)  # notes §5
# The exact Rails message for a taken external id (see ExternalIdTaken's docstring for the source).
EXTERNAL_ID_TAKEN_MESSAGE = "External has already been taken"
# Without a Retry-After, wait like pydiscourse does for a non-JSON 429 (notes §14: 10 s + 1).
DEFAULT_RATE_LIMIT_WAIT = 10.0
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class Topic:
    """What the sync engine reads of a topic view (GET /t/{id}.json or the external-id lookup)."""

    id: int
    slug: str | None
    title: str | None
    category_id: int | None
    tags: tuple[str, ...]
    closed: bool
    deleted: bool  # staff see deleted topics, with `deleted_at` (notes §5)
    first_post_id: int | None  # post #1 of the post stream, when the view shows it

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> Topic:
        posts = (body.get("post_stream") or {}).get("posts") or []
        first = next((p for p in posts if p.get("post_number") == 1), posts[0] if posts else None)
        return cls(
            id=int(body["id"]),
            slug=body.get("slug"),
            title=body.get("title"),
            category_id=body.get("category_id"),
            tags=tag_names(body.get("tags")) or (),
            closed=bool(body.get("closed")),
            deleted=bool(body.get("deleted_at")),
            first_post_id=int(first["id"]) if first else None,
        )


class NewCategory(TypedDict):
    """A category to create (POST /categories.json, notes §6); the optional ones are sent empty."""

    name: str
    slug: str
    color: str
    text_color: str
    description: NotRequired[str | None]
    parent_category_id: NotRequired[int | None]


class PostEdit(TypedDict):
    """An edit of a post (PUT /posts/{id}.json, notes §4); a first post's edit may change the
    topic's title and category in the same revision."""

    raw: str
    edit_reason: str
    title: NotRequired[str | None]
    category_id: NotRequired[int | None]


@dataclass(frozen=True)
class Category:
    """What the sync engine reads of a category (GET /categories.json items, the create's
    answer)."""

    id: int
    slug: str | None
    name: str | None
    parent_category_id: int | None
    # The category's own "About the … category" topic (`topic_url`, /t/{slug}/{id}).
    topic_url: str | None = None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> Category:
        return cls(
            id=int(body["id"]),
            slug=body.get("slug"),
            name=body.get("name"),
            # Core omits it from list items (notes §6): a missing parent is no parent.
            parent_category_id=body.get("parent_category_id") or None,
            topic_url=body.get("topic_url"),
        )


@dataclass(frozen=True)
class NewTopic:
    """A created topic, from the first post POST /posts.json answers with (notes §3)."""

    topic_id: int
    post_id: int
    slug: str | None


class _Retry(Exception):
    """Internal: this attempt failed in a way another attempt may fix. `wait` is the forum's
    hint."""

    def __init__(
        self, error: ForumError, wait: float | None = None, *, no_connection: bool = False
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait
        self.no_connection = (
            no_connection  # nothing reached the forum: refused, DNS, connect timeout
        )

    def __str__(self) -> str:
        return str(self.error)


class _BackoffOrHint(tenacity.wait.wait_base):
    """Sleep what the forum asked for on a 429, else capped, jittered exponential backoff:
    initial * 2**(n-1), capped at `cap`, plus up to `jitter` seconds so that several workers
    hit by the same outage do not come back in step. (Written out rather than taken from
    tenacity.wait_exponential_jitter, whose parameters changed between tenacity 8 and 9.)"""

    def __init__(self, initial: float, cap: float, jitter: float) -> None:
        self.initial, self.cap, self.jitter = initial, cap, jitter

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Retry) and exc.wait is not None:
            return exc.wait
        exponential = self.initial * 2 ** (retry_state.attempt_number - 1)
        return min(self.cap, exponential + random.uniform(0, self.jitter))


def _enqueued(what: str) -> ForumValidationError:
    """notes §3: a post held for approval answers 200 with `pending_post`; nothing is published
    until a moderator approves it, which only a non-staff API user triggers."""
    return ForumValidationError(
        f"the forum queued {what} for moderator approval instead of publishing it; "
        "the API user must be staff",
        status=200,
        errors=["enqueued"],
        error_type="enqueued",
        method="POST",
        path="/posts.json",
    )


class ForumClient(DiscourseClient):
    """A Discourse API client for the sync worker. See the module docstring for the behaviour."""

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        api_username: str = "system",
        *,
        rate_limit_per_minute: int = 60,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_connect_retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_backoff: float = 30.0,
        max_rate_limit_wait: float = 300.0,
        session: requests.Session | None = None,
    ) -> None:
        if not base_url or not urlsplit(base_url).scheme.startswith("http"):
            raise ValueError("base_url must be an http(s) URL such as https://forum.example.cat")
        secret = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        # pydiscourse keeps `api_key` as an attribute; ours is a SecretStr so it never prints.
        super().__init__(base_url.rstrip("/"), api_username, secret, timeout=timeout)
        self._api_key: SecretStr = secret
        # Whatever echoes the key or the URL's password (requests on a bad header value, a proxy's
        # error page) is scrubbed where messages leave the process.
        redact.register(secret)
        redact.register_url(base_url)
        self.max_retries = max_retries
        # A forum that refuses connections (down, wrong URL) is not a blip like a 502: give up
        # after a couple of seconds so a run stops "at once" with a clear message (issue 4).
        self.max_connect_retries = min(max_connect_retries, max_retries)
        self.max_rate_limit_wait = max_rate_limit_wait
        self.requests_made = 0
        self._sleep = sleep
        # Issue 28: told of every pause of a second or more (seconds, why) before it starts, so a
        # long sync can say it is waiting for the rate limit rather than fall silent.
        self.on_wait: Callable[[float, str], None] | None = None
        self._pacer = Pacer(
            rate_limit_per_minute, clock=clock, sleep=lambda s: self._pause(s, "the rate limit")
        )
        self._backoff = _BackoffOrHint(initial=0.5, cap=max_backoff, jitter=0.5)
        self._session = session or requests.Session()
        if session is None:
            # Proxies and the CA bundle from the environment, read once: with trust_env requests
            # reads them (and ~/.netrc) again for every request, a cost as large as the forum
            # stand-in's whole answer (issue 9's profile). The API key is the only credential.
            env = self._session.merge_environment_settings(base_url, {}, None, None, None)
            self._session.proxies.update(env["proxies"])
            self._session.verify = env["verify"]
            self._session.trust_env = False
        self._origin = _origin(self.host)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> ForumClient:
        """Build from `bridge.settings.Settings`; ConfigError when DISCOURSE_URL/KEY are missing."""
        settings.require_forum()
        assert settings.discourse_url is not None and settings.discourse_api_key is not None
        return cls(
            settings.discourse_url,
            settings.discourse_api_key,
            settings.discourse_api_username,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            **kwargs,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ForumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ForumClient({self.host!r}, api_username={self.api_username!r})"

    @property
    def pacer(self) -> Pacer:
        """The sliding-window pacer (`pacer.waited` is the time spent waiting for the window)."""
        return self._pacer

    # ------------------------------------------------------------------ categories

    def list_categories(self) -> list[dict[str, Any]]:
        """Every category, subcategories included and flattened (GET /categories.json, notes §6)."""
        top = self.categories(include_subcategories="true")
        flat: list[dict[str, Any]] = []
        seen: set[Any] = set()

        def walk(items: list[dict[str, Any]]) -> None:
            for cat in items:
                if cat.get("id") not in seen:
                    seen.add(cat.get("id"))
                    flat.append(cat)
                walk(cat.get("subcategory_list") or [])

        walk(top or [])
        return flat

    def categories_found(self) -> list[Category]:
        """`list_categories`, parsed."""
        return [Category.parse(c) for c in self.list_categories()]

    def new_category(self, **fields: Unpack[NewCategory]) -> Category:
        """`create_category`, parsed."""
        return Category.parse(self.create_category(**fields))

    def get_category(self, category_id: int) -> dict[str, Any]:
        return self.category(category_id)["category"]

    def create_category(self, **fields: Unpack[NewCategory]) -> dict[str, Any]:
        """POST /categories.json (notes §6), keyword-only unlike pydiscourse's. A POST: an
        unknown outcome raises AmbiguousWrite; look the category up by slug then."""
        given: dict[str, Any] = dict(fields)
        body = self._post(
            "/categories.json",
            **{name: given.get(name) for name in NewCategory.__annotations__},
            # pydiscourse's default: the category is open to everyone (1 = create/reply/see).
            **{"permissions[everyone]": "1"},
        )
        return body["category"]

    def update_category(self, category_id: int, **fields: Any) -> dict[str, Any]:
        """PUT /categories/{id}.json with a JSON body (as pydiscourse does) → the category."""
        body = self._put(f"/categories/{category_id}.json", json=True, **fields)
        return body.get("category", body)

    # ------------------------------------------------------------------ topics and posts

    def _create_topic(
        self, *, title: str, raw: str, category_id: int, tags: list[str], external_id: str
    ) -> dict[str, Any]:
        """POST /posts.json → the new first post (`id`, `topic_id`, `topic_slug`, …; notes §3).

        Raises ExternalIdTaken when the id is taken (adopt by lookup), ForumValidationError for
        other refusals, AmbiguousWrite when the outcome is unknown (look up before anything else).
        """
        if not is_valid_external_id(external_id):
            raise ValueError(f"external id {external_id!r} is not ≤50 characters of [A-Za-z0-9_-]")
        try:
            body = self.create_post(
                raw, category_id=category_id, title=title, tags=tags, external_id=external_id
            )
        except ForumValidationError as exc:
            if _is_external_id_taken(exc.errors):
                raise ExternalIdTaken(
                    f"the forum already has a topic with external id {external_id!r} "
                    f"({'; '.join(exc.errors)})",
                    external_id=external_id,
                    status=exc.status,
                    errors=exc.errors,
                    error_type=exc.error_type,
                    method=exc.method,
                    path=exc.path,
                ) from None
            raise
        if body.get("action") == "enqueued":
            # notes §3: a post held for approval answers 200 with `pending_post`; no topic exists
            # yet.
            raise _enqueued(f"topic {title!r}")
        if "topic_id" not in body:
            raise AmbiguousWrite(
                "POST /posts.json: the forum answered without a topic id; look the record up by "
                "external id",
                status=200,
                method="POST",
                path="/posts.json",
            )
        return body

    def open_topic(
        self, *, title: str, raw: str, category_id: int, tags: list[str], external_id: str
    ) -> NewTopic:
        """POST /posts.json for a new topic (`_create_topic`), parsed: the one way to create a
        topic (through the forum-object kernel, bridge.sync.kernel)."""
        body = self._create_topic(
            title=title, raw=raw, category_id=category_id, tags=tags, external_id=external_id
        )
        return NewTopic(int(body["topic_id"]), int(body["id"]), body.get("topic_slug"))

    def find_topic(self, external_id: str) -> Topic | None:
        """The topic with this external id (`_get_topic_by_external_id`), parsed; None when none."""
        body = self._get_topic_by_external_id(external_id)
        return None if body is None else Topic.parse(body)

    def read_topic(self, topic_id: int) -> Topic:
        """`get_topic`, parsed."""
        return Topic.parse(self.get_topic(topic_id))

    def post_raw(self, post_id: int) -> str | None:
        """The raw of a post as Discourse stored it (GET /posts/{id}.json)."""
        return self.get_post(post_id).get("raw")

    def get_topic(self, topic_id: int, *, include_raw: bool = False) -> dict[str, Any]:
        """GET /t/{id}.json (staff see deleted topics, with `deleted_at`; notes §5)."""
        params = {"include_raw": "true"} if include_raw else {}
        return self._get(f"/t/{topic_id}.json", **params)

    def _get_topic_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        """GET /t/external_id/{id}.json, following its 301 to the topic (notes §3); None on 404."""
        if not is_valid_external_id(external_id):
            raise ValueError(f"external id {external_id!r} is not ≤50 characters of [A-Za-z0-9_-]")
        try:
            return self._get(
                f"/t/external_id/{external_id}.json",
                override_request_kwargs={"allow_redirects": True},
            )
        except ForumNotFound:
            return None

    def update_topic(  # keyword fields, unlike pydiscourse's
        self,
        topic_id: int,
        *,
        title: str | None = None,
        category_id: int | None = None,
        tags: list[str] | None = None,
    ) -> dict[str, Any]:
        """PUT /t/-/{id}.json with top-level fields (notes §4); None leaves a field unchanged and
        `tags=[]` removes every tag (sent as one empty `tags[]=`, as core's spec does)."""
        data: dict[str, Any] = {}
        if title is not None:
            data["title"] = title
        if category_id is not None:
            data["category_id"] = category_id
        if tags is not None:
            data["tags[]"] = list(tags) if tags else [""]
        if not data:
            raise ValueError("update_topic needs at least one of title, category_id, tags")
        body = self._put(f"/t/-/{topic_id}.json", **data)
        return body.get("basic_topic", body)

    def set_topic_status(self, topic_id: int, status: str, enabled: bool) -> dict[str, Any]:
        """PUT /t/{id}/status.json: close/reopen, archive, list/unlist, pin (notes §5)."""
        if status not in TOPIC_STATUSES:
            raise ValueError(f"status must be one of {sorted(TOPIC_STATUSES)}")
        return self.update_topic_status(topic_id, status, enabled)

    def get_post(self, post_id: int) -> dict[str, Any]:
        """GET /posts/{id}.json (includes `raw`; notes §10)."""
        return self.post_by_id(post_id)

    def update_post(self, post_id: int, **edit: Unpack[PostEdit]) -> dict[str, Any]:
        """PUT /posts/{id}.json with post[raw], post[edit_reason] (notes §4) → the post. For a
        first post, a top-level `title` and `post[category_id]` change the topic in the same
        request and the same revision (core PostsController#update: "to stay consistent with the
        create api, we allow for title & category changes here"). None leaves them out."""
        data: dict[str, Any] = {"post[raw]": edit["raw"], "post[edit_reason]": edit["edit_reason"]}
        if edit.get("title") is not None:
            data["title"] = edit.get("title")
        if edit.get("category_id") is not None:
            data["post[category_id]"] = edit.get("category_id")
        body = self._put(f"/posts/{post_id}.json", **data)
        return body.get("post", body)

    def reply_to_topic(self, topic_id: int, raw: str) -> dict[str, Any]:
        """POST /posts.json with `topic_id` and `raw` → the new reply (notes §3: the post at the
        root). A POST: an unknown outcome raises AmbiguousWrite; look the topic's posts up then."""
        body = self.create_post(raw, topic_id=topic_id)
        if body.get("action") == "enqueued":
            raise _enqueued(f"the reply to topic {topic_id}")
        if "id" not in body:
            raise AmbiguousWrite(
                "POST /posts.json: the forum answered without a post id; look the topic's posts up",
                status=200,
                method="POST",
                path="/posts.json",
            )
        return body

    def upload_image(self, data: bytes, filename: str, content_type: str) -> dict[str, Any]:
        """POST /uploads.json, multipart, `type=composer` (core UploadsController#create) → the
        upload (`url`, `short_url`, `sha1`, `width`, `height`…). Safe to repeat: core
        UploadCreator returns the existing upload of the same SHA-1 (`Upload.find_by(sha1:)`,
        unless secure uploads are on), so an upload whose answer was lost (AmbiguousWrite) is
        looked up by sending it once more (the kernel's lookup, bridge.observatory.step)."""
        files = {"file": (filename, data, content_type)}
        form = {"type": "composer", "synchronous": "true"}
        body = self._request("POST", "/uploads.json", data=form, files=files)
        if not isinstance(body, dict) or not body.get("short_url"):
            raise ForumError(
                "POST /uploads.json: the forum answered without the upload's short_url",
                method="POST",
                path="/uploads.json",
            )
        return body

    def get_topic_posts(
        self, topic_id: int, post_ids: list[int], *, include_raw: bool = False
    ) -> list[dict[str, Any]]:
        """GET /t/{id}/posts.json?post_ids[]=…[&include_raw=true] → those posts of the topic
        (notes §10; core TopicsController#posts passes `include_raw`)."""
        params: dict[str, Any] = {"post_ids[]": list(post_ids)}
        if include_raw:
            params["include_raw"] = "true"
        body = self._get(f"/t/{topic_id}/posts.json", **params)
        return list((body.get("post_stream") or {}).get("posts") or [])

    def list_category_topics(
        self, slug: str, category_id: int, page: int = 0, per_page: int | None = None
    ) -> dict[str, Any]:
        """GET /c/{slug}/{id}.json?page=N[&per_page=M] → the whole body (`topic_list.topics`,
        `more_topics_url`). `per_page` 1–100 (core TopicQuery validators)."""
        if per_page is None:
            return self._get(f"/c/{slug}/{category_id}.json", page=page)
        return self._get(f"/c/{slug}/{category_id}.json", page=page, per_page=per_page)

    def latest_topics(self, page: int = 0) -> dict[str, Any]:
        """GET /latest.json?page=N → the whole body (notes §11)."""
        return self._get("/latest.json", page=page)

    def list_tags(self) -> list[dict[str, Any]]:
        """GET /tags.json → the `tags` list (notes §7)."""
        return self._get("/tags.json").get("tags", [])

    # ------------------------------------------------------------------ admin reads (doctor)

    def current_user(self) -> dict[str, Any]:
        """GET /session/current.json → `current_user` (who the key acts as; `admin`)."""
        return dict(self._get("/session/current.json").get("current_user") or {})

    def site_settings(self) -> dict[str, str]:
        """GET /admin/site_settings.json → {name: value}, every value a string as Discourse
        sends it (SiteSetting.all_settings: `value.to_s`). Admin only."""
        items = self._get("/admin/site_settings.json").get("site_settings") or []
        return {
            str(item["setting"]): str(item.get("value"))
            for item in items
            if isinstance(item, dict) and "setting" in item
        }

    def web_hooks(self) -> list[dict[str, Any]]:
        """GET /admin/api/web_hooks.json → the `web_hooks` list (AdminWebHookSerializer).
        Admin only."""
        return list(self._get("/admin/api/web_hooks.json").get("web_hooks") or [])

    # ------------------------------------------------------------------ transport

    def _request(
        self,
        verb: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        override_request_kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        """Every request of every pydiscourse method comes through here. Returns the decoded JSON
        body ({} for an empty one) or raises a ForumError."""
        method = verb.upper()
        follow = (
            bool((override_request_kwargs or {}).get("allow_redirects", False)) and method == "GET"
        )
        url = self.host + _json_path(path)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._with_retries(
                method, url, params=params, data=data, json=json, files=files
            )
            if not response.is_redirect:
                return self._decode(method, response)
            target = self._redirect_target(method, response)
            if not follow:
                raise ForumMisconfigured(
                    f"{method} {_path_of(url)}: the forum answered with a redirect to {target!r}; "
                    "check DISCOURSE_URL (http vs https, a missing sub-folder?)",
                    status=response.status_code,
                    method=method,
                    path=_path_of(url),
                )
            log.debug(
                "following %s redirect %s -> %s",
                response.status_code,
                _path_of(url),
                _path_of(target),
            )
            url, params = target, None
        raise ForumError(
            f"GET {_path_of(url)}: too many redirects", method=method, path=_path_of(url)
        )

    def _with_retries(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        def no_connection_budget_spent(state: tenacity.RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            return (
                isinstance(exc, _Retry)
                and exc.no_connection
                and state.attempt_number > self.max_connect_retries
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(self.max_retries + 1),
                # stop_any calls any predicate of the retry state; its stubs name only stop_base
                cast(tenacity.stop.stop_base, no_connection_budget_spent),
            ),
            wait=self._backoff,
            retry=tenacity.retry_if_exception_type(_Retry),
            sleep=lambda s: self._pause(s, "a retry"),
            reraise=True,
            before_sleep=lambda state: self._before_retry(state, method, url),
        )
        try:
            return retrying(self._attempt, method, url, **kwargs)
        except _Retry as exhausted:
            error = exhausted.error
            error.message += f" (after {self._attempts_for(exhausted)} attempts)"
            raise error from None

    def _before_retry(self, state: tenacity.RetryCallState, method: str, url: str) -> None:
        telemetry.RETRIES.inc()
        log.warning(
            "%s %s: %s; attempt %d of %d, retrying",
            method,
            _path_of(url),
            state.outcome.exception() if state.outcome else "?",
            state.attempt_number,
            self._attempts_for(state.outcome.exception() if state.outcome else None),
        )

    def _pause(self, seconds: float, why: str) -> None:
        if self.on_wait is not None and seconds >= 1:
            self.on_wait(seconds, why)
        self._sleep(seconds)

    def _attempts_for(self, exc: BaseException | None) -> int:
        """How many attempts a failure of this kind gets in all."""
        no_connection = isinstance(exc, _Retry) and exc.no_connection
        return (self.max_connect_retries if no_connection else self.max_retries) + 1

    def _attempt(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One paced HTTP exchange. Raises _Retry when another attempt is safe and may help."""
        path = _path_of(url)
        idempotent = method in IDEMPOTENT
        with self._pacer.slot():
            self.requests_made += 1
            started = time.monotonic()
            try:
                response = self._session.request(
                    method,
                    url,
                    headers=self._headers(),
                    timeout=self.timeout,
                    allow_redirects=False,
                    **kwargs,
                )
            except requests.exceptions.SSLError as exc:
                telemetry.count_no_answer()
                raise ForumUnreachable(
                    f"{method} {path}: TLS with the forum failed ({_short(exc)})",
                    method=method,
                    path=path,
                ) from None
            except requests.RequestException as exc:
                if _nothing_sent(exc):
                    self.requests_made -= 1  # the request never left this machine
                    raise _Retry(
                        ForumUnreachable(
                            f"cannot connect to the forum at {self._origin} ({_short(exc)})",
                            method=method,
                            path=path,
                        ),
                        no_connection=True,
                    ) from None
                telemetry.count_no_answer()  # sent, and no answer came back
                if isinstance(
                    exc,
                    (
                        requests.ConnectionError,
                        requests.Timeout,
                        requests.exceptions.ChunkedEncodingError,
                    ),
                ):
                    cause = (
                        "timed out waiting for the answer"
                        if isinstance(exc, requests.Timeout)
                        else "connection lost"
                    )
                    if not idempotent:
                        raise AmbiguousWrite(
                            f"{method} {path}: {cause} after the request was sent; the forum may "
                            "or may not "
                            "have applied it: look the record up before retrying",
                            method=method,
                            path=path,
                        ) from None
                    raise _Retry(
                        ForumUnreachable(
                            f"{method} {path}: {cause} ({_short(exc)})", method=method, path=path
                        )
                    ) from None
                raise ForumError(
                    f"{method} {path}: {_short(exc)}", method=method, path=path
                ) from None
        telemetry.count_response(response.status_code)
        log.debug(
            "%s %s -> %d in %.0f ms",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        status = response.status_code
        if status == 429:
            raise self._rate_limited(method, path, response)
        if status >= 500:
            error = _error_from(response, method, path, self.api_username)
            if not idempotent:
                raise AmbiguousWrite(
                    f"{method} {path}: the forum failed with HTTP {status} ({_reason(response)}); "
                    "it may or may "
                    "not have applied the request: look the record up before retrying",
                    status=status,
                    errors=error.errors,
                    error_type=error.error_type,
                    method=method,
                    path=path,
                ) from None
            raise _Retry(error)
        if status >= 400:
            raise _error_from(response, method, path, self.api_username)
        return response

    def _rate_limited(self, method: str, path: str, response: requests.Response) -> Exception:
        """A 429 was not handled, so retrying is safe even for POST (notes §9)."""
        body = _json_body(response)
        hint = _retry_after(response.headers.get("Retry-After"))
        extras = body.get("extras") if isinstance(body, dict) else None
        if isinstance(extras, dict) and isinstance(extras.get("wait_seconds"), (int, float)):
            hint = (
                float(extras["wait_seconds"])
                if hint is None
                else max(hint, float(extras["wait_seconds"]))
            )
        code = response.headers.get("Discourse-Rate-Limit-Error-Code", "unknown limit")
        error = ForumRateLimited(
            f"{method} {path}: the forum is rate limiting this client ({code}, wait "
            f"{hint if hint is not None else '?'} s)",
            status=429,
            errors=_errors_of(body),
            error_type=body.get("error_type") if isinstance(body, dict) else None,
            wait_seconds=hint,
            method=method,
            path=path,
        )
        if hint is not None and hint > self.max_rate_limit_wait:
            error.message += f"; longer than the {self.max_rate_limit_wait:.0f} s this client waits"
            return error
        # Core stamps in whole seconds and admits only when strictly older than the window
        # (lib/rate_limiter.rb), so waiting exactly `wait_seconds` can be one second short.
        wait = (DEFAULT_RATE_LIMIT_WAIT if hint is None else hint) + DISCOURSE_GRANULARITY_SECONDS
        log.info("%s %s: rate limited (%s); waiting %.1f s", method, path, code, wait)
        return _Retry(error, wait=wait)

    def _decode(self, method: str, response: requests.Response) -> Any:
        path = _path_of(response.url or "")
        if not response.content.strip():
            return {}  # e.g. DELETE answers 200 with an empty body (notes §2)
        content_type = response.headers.get("Content-Type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        looks_json = (
            mime == "application/json"
            or mime.endswith("+json")
            or response.content.lstrip()[:1] in (b"{", b"[")
        )
        try:
            if not looks_json:
                raise ValueError(mime)
            return response.json()
        except ValueError:
            message = (
                f"{method} {path}: the forum answered "
                f"{content_type or 'without a content type'}, not JSON"
            )
            if mime == "text/html":
                # Discourse answers .json requests in JSON, errors included: an HTML page is a
                # login wall, a proxy or another site. A create stopped here is safe: its intent
                # is committed, so the next sync looks it up by external id before anything else.
                raise ForumMisconfigured(
                    message
                    + "; is DISCOURSE_URL the forum's address?"
                    + (
                        "" if method in IDEMPOTENT else " (the next sync looks the record up first)"
                    ),
                    status=response.status_code,
                    method=method,
                    path=path,
                ) from None
            if method not in IDEMPOTENT:
                raise AmbiguousWrite(
                    message
                    + "; it may have applied the request: look the record up before retrying",
                    status=response.status_code,
                    method=method,
                    path=path,
                ) from None
            raise ForumError(
                message + "; is DISCOURSE_URL the forum's address?",
                status=response.status_code,
                method=method,
                path=path,
            ) from None

    def _redirect_target(self, method: str, response: requests.Response) -> str:
        location = response.headers.get("Location", "")
        target = urljoin(response.url or self.host, location)
        if _origin(target) != self._origin:
            # Following would send the API key to another host.
            raise ForumMisconfigured(
                f"{method} {_path_of(response.url or '')}: the forum redirected to another address "
                f"({_origin(target)}); not following it with the API key. Check DISCOURSE_URL",
                status=response.status_code,
                method=method,
            )
        return target

    def _headers(self) -> dict[str, str]:
        # Built per request from the SecretStr so no long-lived structure holds the plain key.
        return {
            "Accept": "application/json",
            "Api-Key": self._api_key.get_secret_value(),
            "Api-Username": self.api_username,
            "User-Agent": USER_AGENT,
        }

    # ------------------------------------------------------------------ topic invites (issue 22.6)

    def invite_to_topic(
        self,
        topic_id: int,
        *,
        user: str | None = None,
        email: str | None = None,
        custom_message: str | None = None,
    ) -> InviteResult:
        """POST /t/{id}/invite.json with `user` (a username) or `email` (docs/emulator-fidelity.md,
        "Topic invites"). Discourse notifies an invited user (invited_to_private_message); for an
        address with no account it sends the invite email itself.

        Core accepts it only for a personal message: a regular topic is refused with 422 "You can
        only invite to personal messages." (TopicsController#invite @0045e7d). Refusals raise
        ForumValidationError (Discourse's message: the user is already invited, an unknown
        username, a malformed address), ForumAuthError (403: the API user may not invite there),
        ForumNotFound (no such topic, or deleted); a lost answer raises AmbiguousWrite.

        The address goes in the request body only: it is masked in every exception raised here
        (Discourse quotes it in some messages) and never logged."""
        if (user is None) == (email is None):
            raise ValueError("invite_to_topic takes exactly one of user= or email=")
        form: dict[str, str] = {"user": user} if user is not None else {"email": str(email)}
        if custom_message:
            form["custom_message"] = custom_message
        path = f"/t/{int(topic_id)}/invite.json"
        try:
            body = self._request("POST", path, data=form)
        except ForumError as exc:
            if email:
                _mask_address(exc, email)
                raise exc from None
            raise
        result = InviteResult.parse(int(topic_id), body)
        if result is None:
            raise AmbiguousWrite(
                f"POST {path}: the forum answered without the invited user or success; look the "
                "topic's allowed users up before inviting again",
                status=200,
                method="POST",
                path=path,
            )
        return result

    def read_topic_people(self, topic_id: int) -> TopicPeople:
        """GET /t/{id}.json, read for who is in the topic: `details.participants` (who posted,
        with their post counts), `details.allowed_users` (a personal message's members), the
        creator, the tags, whether it is closed or a message, and its accepted answer
        (discourse-solved)."""
        return TopicPeople.parse(self.get_topic(topic_id))

    def send_private_message(self, usernames: list[str], *, title: str, raw: str) -> NewTopic:
        """POST /posts.json with archetype=private_message and `target_recipients` (comma-separated
        usernames): a personal message from the API user, which Discourse notifies to each
        recipient (`private_message`) — the kind of topic `invite_to_topic` accepts. Refusals
        (no recipient, an unknown username, title/body rules) raise ForumValidationError; a lost
        answer raises AmbiguousWrite (look the messages up before sending again)."""
        if not usernames:
            raise ValueError("a personal message needs at least one recipient")
        path = "/posts.json"
        body = self._request(
            "POST",
            path,
            data={
                "title": title,
                "raw": raw,
                "archetype": "private_message",
                "target_recipients": ",".join(usernames),
            },
        )
        if body.get("action") == "enqueued":
            raise _enqueued(f"the message {title!r}")
        if "topic_id" not in body or "id" not in body:
            raise AmbiguousWrite(
                f"POST {path}: the forum answered without a topic id; look the messages up",
                status=200,
                method="POST",
                path=path,
            )
        return NewTopic(int(body["topic_id"]), int(body["id"]), body.get("topic_slug"))

    def invite_by_email(
        self, email: str, *, topic_id: int | None = None, custom_message: str | None = None
    ) -> EmailInvite:
        """POST /invites.json with `email` (and `topic_id`): Discourse emails an invitation to
        join the forum that lands on the topic — a regular topic too, unlike
        `invite_to_topic`. An address that already has an account is refused (422, Discourse's
        message quoting the address, masked here: invite that user by username instead).
        Refusals raise ForumValidationError, 403 ForumAuthError; a lost answer AmbiguousWrite
        (re-sending re-sends the email: core reuses the inviter's live invite for the address).
        The address goes in the request body only and is masked in every exception."""
        form: dict[str, str] = {"email": email}
        if topic_id is not None:
            form["topic_id"] = str(int(topic_id))
        if custom_message:
            form["custom_message"] = custom_message
        try:
            body = self._request("POST", "/invites.json", data=form)
        except ForumError as exc:
            _mask_address(exc, email)
            raise exc from None
        if not isinstance(body, Mapping) or not isinstance(body.get("id"), int):
            raise AmbiguousWrite(
                "POST /invites.json: the forum answered without an invite id; the invite may "
                "have been sent",
                status=200,
                method="POST",
                path="/invites.json",
            )
        return EmailInvite.parse(body)


# ---------------------------------------------------------------------- helpers (pure)


def _json_path(path: str) -> str:
    """pydiscourse often omits `.json` (`/posts`, `/t/1/status`); we always send it (notes §2)."""
    bare, sep, query = path.partition("?")
    if not bare.endswith(".json"):
        bare += ".json"
    return bare + sep + query


def _path_of(url: str) -> str:
    return urlsplit(url).path or url


def _origin(url: str) -> str:
    """scheme://host[:port], without the user-info (a password in DISCOURSE_URL is never shown)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _short(exc: BaseException) -> str:
    """The innermost cause of a requests error, short; it holds a URL at most, never headers."""
    reason: BaseException = exc
    while True:
        inner = (
            reason.args[0] if reason.args and isinstance(reason.args[0], BaseException) else None
        )
        if isinstance(reason, MaxRetryError) and reason.reason is not None:
            inner = reason.reason
        if inner is None:
            break
        reason = inner
    text = str(reason) or type(reason).__name__
    # urllib3 prefixes connection errors with the connection object's repr: noise for a person.
    text = re.sub(r"^<[^>]*object at 0x[0-9a-f]+>: ", "", text)
    return text if len(text) <= 200 else text[:197] + "..."


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never established, so the request cannot have been handled:
    connect timeout, connection refused, DNS failure (urllib3's NewConnectionError and its
    subclass NameResolutionError). Anything else (read timeout, reset, remote closed, broken
    chunked body) may have happened after the forum received the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)
    return False


def _json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _errors_of(body: Any) -> list[str]:
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            return [str(e) for e in errors]
        if isinstance(errors, str):
            return [errors]
    return []


def _reason(response: requests.Response) -> str:
    """Discourse's `errors`, else the first line of a short text body, else the status phrase."""
    errors = _errors_of(_json_body(response))
    if errors:
        return "; ".join(errors)
    mime = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if mime == "text/plain" and response.text.strip():
        line = response.text.strip().splitlines()[0]
        return line[:200]
    return response.reason or f"HTTP {response.status_code}"


def _error_from(
    response: requests.Response, method: str, path: str, api_username: str
) -> ForumError:
    body = _json_body(response)
    status = response.status_code
    common: dict[str, Any] = {
        "status": status,
        "errors": _errors_of(body),
        "error_type": body.get("error_type") if isinstance(body, dict) else None,
        "method": method,
        "path": path,
    }
    reason = _reason(response)
    mime = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if mime == "text/html" and status in (400, 404, 405, 409, 410, 422):
        # Discourse's own 4xx answers to .json requests are JSON (notes §2): an HTML 404 is the
        # wrong site or path, not a deleted topic (which would be recorded as drift).
        return ForumMisconfigured(
            f"{method} {path}: HTTP {status} with an HTML page, not the forum's JSON; "
            "is DISCOURSE_URL the forum's address?",
            **common,
        )
    if status in (401, 403):
        return ForumAuthError(
            f"the forum refused the API key for user {api_username!r} ({reason})", **common
        )
    if status in (404, 410):
        return ForumNotFound(f"{method} {path}: not found on the forum ({reason})", **common)
    if status in (400, 409, 422):
        return ForumValidationError(f"the forum refused {method} {path}: {reason}", **common)
    if status >= 500:
        return ForumServerError(
            f"the forum failed with HTTP {status} on {method} {path} ({reason})", **common
        )
    return ForumError(f"{method} {path}: HTTP {status} ({reason})", **common)


def _retry_after(value: str | None) -> float | None:
    """Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_external_id_taken(errors: list[str]) -> bool:
    """Rails' uniqueness message for `external_id` (see ExternalIdTaken). Under another site locale
    the verb changes but the attribute stays "External" (Discourse defines no label for it), and a
    valid id can only fail uniqueness, so any error naming the attribute counts."""
    for message in errors:
        text = message.strip()
        if text.lower().startswith(
            ("external has already been taken", "external id has already been taken")
        ):
            return True
        if text.startswith("External ") and not any(w in text for w in ("invalid", "too long")):
            return True
    return False


# ---------------------------------------------------------------------- topic invites (issue 22.6)


@dataclass(frozen=True)
class InviteResult:
    """What POST /t/{id}/invite.json answered: the invited user (`{"user": {…}}`, core
    BasicUserSerializer, also when an address belongs to an account) or, for an address with no
    account, `{"success": "OK"}` after Discourse emailed an invite."""

    topic_id: int
    user_id: int | None
    username: str | None
    emailed: bool  # True: Discourse sent an invite email (no account had that address)

    @classmethod
    def parse(cls, topic_id: int, body: Any) -> InviteResult | None:
        if not isinstance(body, Mapping):
            return None
        found = body.get("user")
        if isinstance(found, Mapping) and found.get("username"):
            raw_id = found.get("id")
            return cls(
                topic_id, int(raw_id) if raw_id is not None else None, str(found["username"]), False
            )
        if body.get("success") == "OK":
            return cls(topic_id, None, None, True)
        return None


@dataclass(frozen=True)
class Participant:
    username: str
    post_count: int


@dataclass(frozen=True)
class TopicPeople:
    """Who is in a topic, from its view (GET /t/{id}.json `details`)."""

    topic_id: int
    private_message: bool  # archetype "private_message": the only kind core invites to
    created_by: str | None
    participants: tuple[Participant, ...]  # details.participants: the users who posted
    allowed_users: tuple[str, ...]  # details.allowed_users (personal messages only)
    tags: tuple[str, ...]
    closed: bool
    deleted: bool
    # discourse-solved's `accepted_answer` (absent when unsolved or without the plugin).
    solved_post_number: int | None = None
    solved_by: str | None = None  # the answer's author

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> TopicPeople:
        details = body.get("details") or {}
        creator = details.get("created_by") or {}
        solved = body.get("accepted_answer") or {}
        return cls(
            topic_id=int(body["id"]),
            private_message=body.get("archetype") == "private_message",
            created_by=creator.get("username"),
            participants=tuple(
                Participant(str(p["username"]), int(p.get("post_count") or 0))
                for p in details.get("participants") or []
                if p.get("username")
            ),
            allowed_users=tuple(
                str(u["username"]) for u in details.get("allowed_users") or [] if u.get("username")
            ),
            tags=tag_names(body.get("tags")) or (),
            closed=bool(body.get("closed")),
            deleted=bool(body.get("deleted_at")),
            solved_post_number=int(solved["post_number"]) if solved.get("post_number") else None,
            solved_by=solved.get("username"),
        )


@dataclass(frozen=True)
class EmailInvite:
    """What POST /invites.json answered (core InviteSerializer), without the address it holds."""

    id: int
    topic_ids: tuple[int, ...]
    emailed: bool
    expires_at: str | None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> EmailInvite:
        return cls(
            id=int(body["id"]),
            topic_ids=tuple(
                int(t["id"]) for t in body.get("topics") or [] if isinstance(t, Mapping)
            ),
            emailed=bool(body.get("emailed")),
            expires_at=body.get("expires_at"),
        )


def _mask_address(exc: ForumError, address: str) -> None:
    """Mask an email address wherever an exception could show it (message, args, errors)."""
    forms = {address.strip(), html.escape(address.strip())}  # core HTML-escapes it in messages
    pattern = re.compile("|".join(map(re.escape, sorted(forms, key=len, reverse=True))), re.I)
    exc.message = pattern.sub(redact.MASK, exc.message)
    exc.errors = [pattern.sub(redact.MASK, e) for e in exc.errors]
    exc.args = (exc.message,)


__all__ = [
    "EXTERNAL_ID_TAKEN_MESSAGE",
    "Category",
    "EmailInvite",
    "ForumClient",
    "InviteResult",
    "NewTopic",
    "Participant",
    "Topic",
    "TopicPeople",
]
