"""The emulated Discourse API: routes and their handlers, independent of the HTTP server.

Each handler takes the parsed request and returns a `Response`; refusals raise `ApiError`.
Routes match with or without `.json` (notes §2); the server decides JSON vs HTML.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from bridge.emulator import admin, browse, errors, serializers
from bridge.emulator.models import Topic, User
from bridge.emulator.state import ForumState
from bridge.rules import discourse as rules


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without a trailing ".json"
    params: dict[str, Any]  # query and body parameters merged (body wins), Rails-style
    viewer: User | None  # None: anonymous
    json_suffix: bool  # the path ended in .json (kept on redirects, notes §3)
    base_url: str = ""  # scheme and Host of the request (Rails makes redirect Locations absolute)
    # What core PostsController#create_params adds to the create's parameters (and so to the
    # memo key): request.remote_ip, request.user_agent, request.referrer.
    client: tuple[str, str | None, str | None] = ("", None, None)
    # Rails' `request.format.json?` (a .json path or an Accept asking for JSON) and
    # `request.xhr?` (X-Requested-With: XMLHttpRequest): what core's `check_xhr` looks at.
    wants_json: bool = True
    xhr: bool = False


@dataclass(frozen=True)
class Response:
    status: int
    body: Any = None  # dict → JSON; None → empty body
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Api", Request, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    label: str  # for stats: "POST /posts"
    handler: Handler
    needs_user: bool = False  # writes need an authenticated user (notes §1)


class CreateMemo:
    """notes §3: API create responses memoized for 120 s, keyed by all params + user. core
    PostsController: `signature_for(manager_params)`, and create_params adds ip_address,
    user_agent and referrer, so a retry from another address or client is not memoized."""

    def __init__(
        self, ttl: float = rules.CREATE_MEMO_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, int, Any]] = {}

    @staticmethod
    def signature(
        params: dict[str, Any],
        username: str,
        client: tuple[str, str | None, str | None] = ("", None, None),
    ) -> str:
        ip_address, user_agent, referrer = client
        canonical = json.dumps(
            {
                "params": params,
                "user": username.lower(),
                "ip_address": ip_address,
                "user_agent": user_agent,
                "referrer": referrer,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def get(self, key: str) -> tuple[int, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[0] >= self._ttl:
                del self._entries[key]
                return None
            return entry[1], entry[2]

    def put(self, key: str, status: int, body: Any) -> None:
        with self._lock:
            now = self._clock()
            if len(self._entries) > 10_000:  # drop expired entries now and then
                self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self._ttl}
            self._entries[key] = (now, status, body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _int(value: Any, name: str) -> int:
    text = str(value)
    if not re.fullmatch(r"\d+", text):
        raise errors.invalid_parameters(name)
    return int(text)


class Api:
    def __init__(self, state: ForumState):
        self.state = state
        self.memo = CreateMemo()
        self.routes: list[Route] = []
        self._build_routes()

    # ------------------------------------------------------------------ routing

    def _add(
        self, method: str, pattern: str, label: str, handler: Handler, needs_user: bool = False
    ) -> None:
        self.routes.append(
            Route(method, re.compile(f"^{pattern}$"), f"{method} {label}", handler, needs_user)
        )

    def _build_routes(self) -> None:
        add = self._add
        add("GET", r"/categories", "/categories", Api.list_categories)
        add("POST", r"/categories", "/categories", Api.create_category, True)
        add("PUT", r"/categories/(?P<id>\d+)", "/categories/{id}", Api.update_category, True)
        add("GET", r"/c/(?P<id>\d+)/show", "/c/{id}/show", Api.show_category)
        add(
            "GET",
            r"/c/(?P<slug>[^/]+)/(?P<id>\d+)(?:/l/latest)?",
            "/c/{slug}/{id}",
            Api.category_topics,
        )
        add("GET", r"/c/(?P<id>\d+)/l/latest", "/c/{id}/l/latest", Api.category_topics)
        add("GET", r"/c/(?P<id>\d+)", "/c/{id}", Api.category_redirect)
        add("POST", r"/posts", "/posts", Api.create_post, True)
        add("GET", r"/posts/(?P<id>\d+)", "/posts/{id}", Api.show_post)
        add("PUT", r"/posts/(?P<id>\d+)", "/posts/{id}", Api.update_post, True)
        add(
            "GET",
            r"/t/external_id/(?P<external_id>[\w-]+)",
            "/t/external_id/{external_id}",
            Api.topic_by_external_id,
        )
        add("GET", r"/t/(?P<id>\d+)/posts", "/t/{id}/posts", Api.topic_posts)
        add("GET", r"/t/(?P<id>\d+)", "/t/{id}", Api.show_topic)
        add("GET", r"/t/(?P<slug>[^/]+)/(?P<id>\d+)", "/t/{slug}/{id}", Api.show_topic)
        add(  # core config/routes.rb: t/:slug/:topic_id/:post_number → topics#show
            "GET",
            r"/t/(?P<slug>[^/]+)/(?P<id>\d+)/(?P<post_number>\d+)",
            "/t/{slug}/{id}/{post_number}",
            Api.show_topic,
        )
        add("PUT", r"/t/(?P<id>\d+)/status", "/t/{id}/status", Api.topic_status, True)
        add("PUT", r"/t/(?P<id>\d+)/tags", "/t/{id}/tags", Api.update_topic_tags, True)
        add("PUT", r"/t/(?P<slug>[^/]+)/(?P<id>\d+)", "/t/{slug}/{id}", Api.update_topic, True)
        add("PUT", r"/t/(?P<id>\d+)", "/t/{id}", Api.update_topic, True)
        add("DELETE", r"/t/(?P<id>\d+)", "/t/{id}", Api.delete_topic, True)
        add("POST", r"/t/(?P<id>\d+)/invite", "/t/{id}/invite", Api.invite_to_topic, True)
        add("POST", r"/invites", "/invites", Api.create_invite, True)
        # discourse-solved (config/routes.rb: engine mounted at "solution").
        add("POST", r"/solution/accept", "/solution/accept", Api.accept_solution, True)
        add("POST", r"/solution/unaccept", "/solution/unaccept", Api.unaccept_solution, True)
        add("GET", r"/latest", "/latest", Api.latest)
        add("GET", r"/tag/(?P<name>[^/]+)", "/tag/{name}", Api.tag_topics)
        add("GET", r"/tags", "/tags", Api.list_tags)
        # Issue 28 point 10: what off-the-shelf clients read (bridge.emulator.browse).
        add("GET", r"/about", "/about", browse.about)
        add("GET", r"/site", "/site", browse.site)
        add("GET", r"/search", "/search", browse.search)
        add("GET", r"/(?:u|users)/(?P<username>[^/]+)", "/u/{username}", browse.user)
        add("GET", r"/hot", "/hot", browse.hot)
        add("GET", r"/new", "/new", browse.new)
        add("GET", r"/top", "/top", browse.top)
        add(
            "GET",
            r"/topics/created-by/(?P<username>[^/]+)",
            "/topics/created-by/{username}",
            browse.topics_by,
        )
        add(  # after /c/{slug}/{id}: a slug path without an id (ListController#set_category)
            "GET",
            r"/c/(?P<slugs>[^/]*[^/\d][^/]*(?:/[^/]*[^/\d][^/]*)?)(?:/l/latest)?",
            "/c/{slug}",
            browse.category_by_slug,
        )
        # Issue 26: what `digicanvis doctor` reads (bridge.emulator.admin).
        add("GET", r"/session/current", "/session/current", Api.session_current)
        add("GET", r"/admin/site_settings", "/admin/site_settings", Api.admin_site_settings)
        add("GET", r"/admin/api/web_hooks", "/admin/api/web_hooks", Api.admin_web_hooks)
        # Issue 24: uploads (core UploadsController#create; bridge.emulator.uploads).
        add("POST", r"/uploads", "/uploads", Api.create_upload, True)

    def match(self, method: str, path: str) -> tuple[Route, re.Match[str]] | None:
        for route in self.routes:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found
        return None

    def dispatch(self, route: Route, found: re.Match[str], request: Request) -> Response:
        if route.needs_user and request.viewer is None:
            raise errors.not_logged_in()
        return route.handler(self, request, found)

    # ------------------------------------------------------------------ categories (notes §6)

    def list_categories(self, req: Request, m: re.Match[str]) -> Response:
        include_sub = str(req.params.get("include_subcategories", "")).lower() == "true"
        # core CategoryList: without lazy-loaded categories every category is on page 1
        # (`page` is `[params[:page].to_i, 1].max`) and later pages are empty.
        page = max(_int(req.params.get("page") or 1, "page"), 1)
        with self.state.lock:
            cats = sorted(self.state.categories.values(), key=lambda c: c.position)
            top = [c for c in cats if c.parent_category_id is None] if page == 1 else []
            items = [
                serializers.category_list_item(self.state, c, req.viewer, include_sub) for c in top
            ]
        body = {
            "category_list": {
                "can_create_category": bool(req.viewer and req.viewer.staff),
                "can_create_topic": req.viewer is not None,
                "categories": items,
            }
        }
        return Response(200, body)

    def create_category(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            cat = self.state.create_category(req.params, req.viewer)  # type: ignore[arg-type]
            return Response(200, {"category": serializers.category(self.state, cat, req.viewer)})

    def update_category(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            cat = self.state.update_category(int(m["id"]), req.params)
            return Response(
                200,
                {"success": "OK", "category": serializers.category(self.state, cat, req.viewer)},
            )

    def show_category(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            cat = self.state.category(int(m["id"]))
            return Response(200, {"category": serializers.category(self.state, cat, req.viewer)})

    # ------------------------------------------------------------------ lists (notes §11)

    def _page(self, req: Request) -> tuple[int, int]:
        # core TopicQuery validators: `ascending` must be true or false (else 400).
        if "ascending" in req.params and req.params["ascending"] not in (
            True,
            False,
            "true",
            "false",
        ):
            raise errors.invalid_parameters("ascending")
        page = _int(req.params.get("page") or 0, "page")
        per_page = _int(req.params.get("per_page") or rules.TOPIC_LIST_PER_PAGE, "per_page")
        if not 1 <= per_page <= 100:  # notes §11: per_page 1–100 per docs
            raise errors.invalid_parameters("per_page")
        return page, per_page

    def _list_response(
        self,
        req: Request,
        topics: list[Topic],
        base: str,
        extra: dict[str, Any] | None = None,
        flavor: str = "latest",
    ) -> Response:
        page, per_page = self._page(req)
        start = page * per_page
        chunk = topics[start : start + per_page]
        more = None
        if len(chunk) == per_page:
            # core app/serializers/topic_list_serializer.rb `include_more_topics_url?`:
            # `topics.size == per_page`, so an exactly full last page has it too (notes §11 say
            # "only when another page exists": wrong). Pagination URLs lack .json.
            query = {"page": page + 1}
            if "per_page" in req.params:
                query["per_page"] = per_page
            more = f"{base}?{urlencode(query)}"
        with self.state.lock:
            body = serializers.topic_list(
                self.state, chunk, req.viewer, per_page, more, extra, flavor
            )
        return Response(200, body)

    def latest(self, req: Request, m: re.Match[str]) -> Response:
        # core list_controller.rb: /latest without a category sets no_definitions
        # (show_category_definitions_in_topic_lists defaults to false).
        topics = [t for t in self.state.listable(req.viewer) if not t.is_definition]
        topics = _pinned_first(topics, globally=True)
        return self._list_response(req, topics, "/latest")

    def category_topics(self, req: Request, m: re.Match[str]) -> Response:
        return self.category_topics_of(req, int(m["id"]))

    def category_topics_of(self, req: Request, category_id: int) -> Response:
        with self.state.lock:
            cat = self.state.category(category_id)
            ids = set(self.state.subcategory_ids(cat.id))
            # core lib/topic_query.rb: subcategories' definition topics are hidden, the
            # category's own is shown (samples/discourse_api/category_topics.json), pinned first.
            topics = [
                t
                for t in self.state.listable(req.viewer)
                if t.category_id in ids and (not t.is_definition or t.category_id == cat.id)
            ]
            base = f"/c/{cat.url_slug}/{cat.id}/l/latest"
        return self._list_response(
            req, _pinned_first(topics, globally=False), base, flavor="category"
        )

    def category_redirect(self, req: Request, m: re.Match[str]) -> Response:
        """/c/{id} → 301 to the canonical /c/{slug}/{id} (what pydiscourse.category_topics calls,
        following redirects)."""
        with self.state.lock:
            cat = self.state.category(int(m["id"]))
            location = f"/c/{cat.url_slug}/{cat.id}" + (".json" if req.json_suffix else "")
        return Response(301, None, {"Location": location})

    def tag_topics(self, req: Request, m: re.Match[str]) -> Response:
        name = m["name"].lower()
        with self.state.lock:
            tag = self.state.tags.get(name)
            if tag is None:
                raise errors.not_found()
            topics = [t for t in self.state.listable(req.viewer) if name in t.tags]
            extra = {
                "tags": [
                    {
                        "id": tag.id,
                        "name": tag.name,
                        "topic_count": self.state.tag_topic_count(name),
                        "staff": False,
                    }
                ]
            }
        return self._list_response(req, topics, f"/tag/{quote(name)}", extra, flavor="tag")

    def list_tags(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            tags = [
                {
                    "id": t.id,
                    "text": t.name,
                    "name": t.name,
                    "count": self.state.tag_topic_count(t.name),
                    "pm_count": 0,
                    "target_tag": None,
                }
                for t in sorted(self.state.tags.values(), key=lambda t: t.name)
            ]
        return Response(200, {"tags": tags, "extras": {"categories": []}})

    # ------------------------------------------------------------------ admin (issue 26)

    def session_current(self, req: Request, m: re.Match[str]) -> Response:
        if req.viewer is None:  # SessionController#current: `render body: nil, status: 404`
            return Response(404)
        return Response(200, admin.current_user(req.viewer))

    def admin_site_settings(self, req: Request, m: re.Match[str]) -> Response:
        admin.require_admin(req.viewer)
        return Response(200, {"site_settings": self.state.admin.site_settings()})

    def admin_web_hooks(self, req: Request, m: re.Match[str]) -> Response:
        admin.require_admin(req.viewer)
        return Response(200, self.state.admin.web_hooks_index())

    # ------------------------------------------------------------------ topics (notes §3–§5, §10)

    def create_post(self, req: Request, m: re.Match[str]) -> Response:
        viewer = req.viewer
        assert viewer is not None
        key = CreateMemo.signature(req.params, viewer.username, req.client)
        # Under the state lock, so two identical requests racing each other still make one topic.
        with self.state.lock:
            cached = self.memo.get(key)
            if cached is not None:
                return Response(cached[0], cached[1])
            response = self._create_post_uncached(req, viewer)
            self.memo.put(key, response.status, response.body)
            return response

    def _create_post_uncached(self, req: Request, viewer: User) -> Response:
        try:
            with self.state.lock:
                if req.params.get("topic_id") not in (None, ""):
                    post = self.state.reply(
                        _int(req.params["topic_id"], "topic_id"),
                        str(req.params.get("raw") or ""),
                        viewer,
                        _int(req.params["reply_to_post_number"], "reply_to_post_number")
                        if req.params.get("reply_to_post_number") not in (None, "")
                        else None,
                    )
                else:
                    post = self.state.create_topic(req.params, viewer)
                body = serializers.post_created(self.state, post, viewer)
            response = Response(200, body)
        except errors.ApiError as exc:
            # Only the post pipeline's results are memoized (a 400 is raised before it runs).
            if exc.status != 422:
                raise
            response = Response(exc.status, exc.body)
        return response

    def show_topic(self, req: Request, m: re.Match[str]) -> Response:
        # core TopicsController#show: `include_raw: !!params[:include_raw]` (any value given);
        # TopicView reads post_number (the posts around it) and page (20 a page).
        include_raw = req.params.get("include_raw") is not None
        given = m.groupdict().get("post_number") or req.params.get("post_number")
        post_number = _int(given, "post_number") if given not in (None, "") else None
        page = _int(req.params.get("page") or 1, "page")
        with self.state.lock:
            topic = self.state.topic(int(m["id"]), req.viewer)
            body = serializers.topic_view(
                self.state, topic, req.viewer, include_raw, post_number=post_number, page=page
            )
            return Response(200, body)

    def topic_posts(self, req: Request, m: re.Match[str]) -> Response:
        """GET /t/{id}/posts.json?post_ids[]=… (notes §10); core TopicsController#posts passes
        `include_raw: !!params[:include_raw]` to TopicViewPostsSerializer."""
        include_raw = req.params.get("include_raw") is not None
        wanted = req.params.get("post_ids")
        if wanted is not None and not isinstance(wanted, list):
            wanted = [wanted]
        ids = {_int(x, "post_ids") for x in wanted or []}
        with self.state.lock:
            topic = self.state.topic(int(m["id"]), req.viewer)
            visible = [
                p for p in topic.posts if p.deleted_at is None or (req.viewer and req.viewer.staff)
            ]
            if wanted is None:
                # Issue 28 point 10: without post_ids, core TopicsController#posts builds the
                # TopicView with `filter_post_number: params[:post_number]`, so the answer is
                # the first chunk (or the chunk around post_number), as on GET /t/{id}.
                number = req.params.get("post_number")
                posts = serializers.topic_view_window(
                    visible, _int(number, "post_number") if number is not None else None, 1
                )
            else:
                posts = [p for p in visible if p.id in ids]
            body = {
                "post_stream": {
                    "posts": [
                        serializers.stream_post(self.state, p, req.viewer, include_raw)
                        for p in posts
                    ]
                },
                "id": topic.id,
            }
        return Response(200, body)

    def topic_by_external_id(self, req: Request, m: re.Match[str]) -> Response:
        """core TopicsController#redirect_to_correct_topic: 301 to
        /t/{slug}/{id}[/{post_number}](.json)?page=…&print=…; Rails' redirect_to makes the
        Location absolute (scheme and host of the request).

        Only for API and XHR requests: core TopicsController skips ApplicationController's
        `check_xhr` for `show` and `feed` alone, so a browser's plain GET (neither JSON nor XHR)
        raises RenderEmpty before the action runs and gets the app's empty shell (200, no
        redirect, found or not); the Ember app then reads the path as `/t/:slug/:id` (slug
        "external_id") and asks for `/t/{external_id}.json`, which is not a topic. A link to
        `/t/external_id/…` therefore does not take a reader to the topic."""
        if not req.wants_json and not req.xhr:
            return Response(200, {})  # the HTML page stands for the app shell
        with self.state.lock:
            topic = self.state.topic_by_external_id(m["external_id"])
            location = f"{req.base_url}/t/{topic.slug}/{topic.id}"
        post_number = str(req.params.get("post_number") or "")
        if post_number.isdigit() and int(post_number) > 0:
            location += f"/{int(post_number)}"
        if req.json_suffix:
            location += ".json"
        forwarded: dict[str, Any] = {k: req.params[k] for k in ("page", "print") if k in req.params}
        if forwarded:
            location += "?" + urlencode(forwarded)
        return Response(301, None, {"Location": location})

    def update_topic(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            topic = self.state.update_topic(int(m["id"]), req.params, req.viewer)  # type: ignore[arg-type]
            return Response(200, serializers.basic_topic(topic))

    def update_topic_tags(self, req: Request, m: re.Match[str]) -> Response:
        params = {"tags": req.params.get("tags", [])}
        with self.state.lock:
            topic = self.state.update_topic(int(m["id"]), params, req.viewer)  # type: ignore[arg-type]
            return Response(200, serializers.basic_topic(topic))

    def topic_status(self, req: Request, m: re.Match[str]) -> Response:
        status = req.params.get("status")
        if status in (None, ""):
            raise errors.param_missing("status")
        self.state.set_status(int(m["id"]), str(status), req.params.get("enabled"), req.viewer)  # type: ignore[arg-type]
        return Response(200, {"success": "OK", "topic_status_update": None})

    def delete_topic(self, req: Request, m: re.Match[str]) -> Response:
        assert req.viewer is not None
        if not req.viewer.staff:
            raise errors.invalid_access("You are not permitted to view the requested resource.")
        self.state.delete_topic(int(m["id"]), req.viewer)
        return Response(200, None)  # notes §2/§5: 200 with an empty body

    # ------------------------------------------------------------------ posts (notes §4, §10)

    def invite_to_topic(self, req: Request, m: re.Match[str]) -> Response:
        """POST /t/{id}/invite.json (core TopicsController#invite @0045e7d; the rules are in
        ForumState.invite). `params[:user] ? fetch_username : fetch_email`: a `user` key, even
        empty, makes it a username invite; `params.require` refuses a blank value with 400."""
        assert req.viewer is not None  # needs_user
        if req.params.get("user") is not None:
            value, name = req.params["user"], "user"
        else:
            value, name = req.params.get("email"), "email"
        custom = req.params.get("custom_message")
        with self.state.lock:
            invited = self.state.invite(
                int(m["id"]),
                req.viewer,
                (name, value if isinstance(value, str) else None),
                custom if isinstance(custom, str) else None,
            )
            if invited is None:  # an email invite to someone without an account
                return Response(200, {"success": "OK"})
            # BasicUserSerializer, root "user"
            return Response(200, {"user": serializers.basic_user(invited)})

    def create_invite(self, req: Request, m: re.Match[str]) -> Response:
        """POST /invites.json, email invites only (a link invite, without `email`, is not
        emulated: 400). Answer: InviteSerializer with show_emails (the request named an email)."""
        assert req.viewer is not None  # needs_user
        email = req.params.get("email")
        if not isinstance(email, str) or not email.strip():
            raise errors.param_missing("email")
        topic_param = req.params.get("topic_id")
        topic_id = _int(topic_param, "topic_id") if topic_param not in (None, "") else None
        custom = req.params.get("custom_message")
        with self.state.lock:
            invite = self.state.create_invite(
                req.viewer,
                email,
                topic_id,
                custom if isinstance(custom, str) else None,
                str(req.params.get("skip_email", "false")).lower() == "true",
            )
            return Response(200, serializers.invite(self.state, invite, req.base_url))

    def accept_solution(self, req: Request, m: re.Match[str]) -> Response:
        return self._solution(req, accept=True)

    def unaccept_solution(self, req: Request, m: re.Match[str]) -> Response:
        return self._solution(req, accept=False)

    def _solution(self, req: Request, accept: bool) -> Response:
        """discourse-solved AnswerController: `Post.find(params[:id].to_i)` (Ruby's to_i: a
        missing or non-numeric id is 0, no such post → 404), then `render json: success_json`."""
        assert req.viewer is not None  # needs_user
        found = re.match(r"\s*(\d+)", str(req.params.get("id") or ""))
        post_id = int(found.group(1)) if found else 0
        self.state.accept_answer(post_id, req.viewer, accept=accept)
        return Response(200, {"success": "OK"})

    def show_post(self, req: Request, m: re.Match[str]) -> Response:
        with self.state.lock:
            post = self.state.post(int(m["id"]), req.viewer)
            return Response(200, serializers.post_show(self.state, post, req.viewer))

    def update_post(self, req: Request, m: re.Match[str]) -> Response:
        post_params = req.params.get("post")
        if not isinstance(post_params, dict):
            raise errors.param_missing("post")
        assert req.viewer is not None
        with self.state.lock:
            post, category_changed = self.state.update_post(
                int(m["id"]),
                post_params.get("raw"),
                post_params.get("edit_reason"),
                req.viewer,
                title=req.params.get("title"),
                category_id=post_params.get("category_id"),
            )
            body = serializers.post_updated(self.state, post, req.viewer)
            if category_changed:  # core PostsController#update: `result[:category]`
                topic = self.state.topics[post.topic_id]
                category = self.state.category(topic.category_id)
                body["category"] = serializers.category(self.state, category, req.viewer)
            return Response(200, body)

    # ------------------------------------------------------------------ uploads (issue 24)

    def create_upload(self, req: Request, m: re.Match[str]) -> Response:
        """core UploadsController#create: `type` (or `upload_type`) required, `params[:file]`;
        200 with the upload (the existing one for the same SHA-1), 422 with its errors."""
        from bridge.emulator import uploads

        if not req.params.get("type") and not req.params.get("upload_type"):
            raise errors.invalid_parameters("type")
        file = req.params.get("file")
        if not isinstance(file, uploads.UploadedFile):
            return Response(422, {"errors": [uploads.FILE_MISSING]})
        assert req.viewer is not None
        with self.state.lock:
            try:
                upload = self.state.create_upload(req.viewer.id, file)
            except uploads.UploadRefused as exc:
                return Response(422, {"errors": exc.errors})
            return Response(200, uploads.serialize(upload))


def _pinned_first(topics: list[Topic], globally: bool) -> list[Topic]:
    """core lib/topic_query.rb prioritize_pinned_topics: pinned topics lead the first page
    (globally pinned ones in /latest; category pins in the category's list)."""
    pinned = [t for t in topics if t.pinned and (t.pinned_globally or not globally)]
    pinned_ids = {t.id for t in pinned}
    return pinned + [t for t in topics if t.id not in pinned_ids]
