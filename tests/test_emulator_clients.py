"""Issue 28 point 10: the endpoints off-the-shelf clients read, with Discourse's shapes (each cited
in docs/emulator-fidelity.md), then pydiscourse's calls and the `@discourse/mcp` server against
the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plugins.emulator import API_KEY, ApiSession

from bridge.emulator import RunningEmulator

LONG_BODY = "A body that is long enough to pass the checks, number {n}."


@pytest.fixture
def forum(emulator: RunningEmulator, api: ApiSession) -> dict[str, Any]:
    """Two categories (one a child), topics by two users, one with 25 posts, a like and a tag."""
    parent = api.category("Planning")
    child = api.category("Smart lighting", parent_category_id=parent["id"])
    first = api.topic(parent["id"], "Km0 market for local producers", tags=["km0"])
    second = api.topic(child["id"], "Streetlights that dim at night")
    emulator.control(
        "create_topic",
        username="anna",
        category_id=parent["id"],
        title="How do councils share their software?",
        raw="We would like to know how other councils share their municipal software.",
    )
    for n in range(24):
        emulator.control("reply", topic_id=first["topic_id"], raw=LONG_BODY.format(n=n))
    emulator.control("like", topic_id=second["topic_id"], username="anna")
    return {"parent": parent, "child": child, "first": first, "second": second}


def test_about_json(api: ApiSession, forum: dict[str, Any]) -> None:
    about = api.get("/about.json").json()["about"]
    assert {"stats", "description", "title", "locale", "version", "https", "moderators"} <= set(
        about
    )
    assert about["title"] and about["stats"]["topics_count"] == 3
    # AboutController lists human admins only (User#human?: id > 0): not `system`.
    assert about["admins"] == []


def test_site_json(api: ApiSession, forum: dict[str, Any]) -> None:
    site = api.get("/site.json").json()
    assert "hot" in site["filters"] and site["periods"][0] == "all"
    slugs = {c["slug"]: c for c in site["categories"]}
    assert slugs["smart-lighting"]["parent_category_id"] == forum["parent"]["id"]
    assert site["default_archetype"] == "regular"


def test_search_json_subset(api: ApiSession, forum: dict[str, Any]) -> None:
    found = api.get("/search.json", params={"q": "streetlights dim"}).json()
    assert [t["title"] for t in found["topics"]] == ["Streetlights that dim at night"]
    assert found["posts"][0]["topic_id"] == forum["second"]["topic_id"]
    assert found["grouped_search_result"]["term"] == "streetlights dim"
    assert found["grouped_search_result"]["post_ids"] == [found["posts"][0]["id"]]
    # A word in a reply finds the topic, through the reply.
    in_reply = api.get("/search.json", params={"q": "number 17"}).json()
    assert [p["post_number"] for p in in_reply["posts"]] == [19]
    assert api.get("/search.json", params={"q": "number 17 in:title"}).json()["topics"] == []
    tagged = api.get("/search.json", params={"q": "market tag:km0"}).json()
    assert [t["id"] for t in tagged["topics"]] == [forum["first"]["topic_id"]]
    in_category = api.get("/search.json", params={"q": "councils #planning"}).json()
    assert len(in_category["topics"]) == 1
    # SearchController#show: too short a term or too far a page is a bad parameter.
    for params in ({"q": "ab"}, {"q": "market", "page": "11"}):
        response = api.get("/search.json", params=params)
        assert response.status_code == 400, params
        assert response.json()["error_type"] == "invalid_parameters"
    empty = api.get("/search.json").json()
    assert empty["topics"] == [] and empty["posts"] == []


def test_user_json_by_both_routes(api: ApiSession, forum: dict[str, Any]) -> None:
    for path in ("/u/anna.json", "/users/anna.json", "/u/ANNA.json"):
        body = api.get(path).json()
        assert body["user"]["username"] == "anna" and body["user_badges"] == []
        assert body["user"]["topic_count"] == 1 and body["user"]["admin"] is False
    assert api.get("/u/nobody-here.json").status_code == 404


def test_latest_family(api: ApiSession, emulator: RunningEmulator, forum: dict[str, Any]) -> None:
    import requests

    hot = api.get("/hot.json").json()["topic_list"]["topics"]
    assert hot[0]["id"] == forum["first"]["topic_id"]  # 24 replies
    new = api.get("/new.json").json()["topic_list"]["topics"]
    assert len(new) == 3
    # /new is not an anonymous filter: ListController#ensure_logged_in.
    anonymous = requests.get(f"{emulator.url}/new.json", timeout=10)
    assert anonymous.status_code == 403 and anonymous.json()["error_type"] == "not_logged_in"
    assert requests.get(f"{emulator.url}/hot.json", timeout=10).status_code == 200
    top = api.get("/top.json", params={"period": "weekly"}).json()["topic_list"]
    assert top["for_period"] == "weekly" and top["per_page"] == 50
    assert top["topics"][0]["id"] == forum["second"]["topic_id"]  # the liked one
    assert api.get("/top.json").json()["topic_list"]["for_period"] == "yearly"
    assert api.get("/top.json", params={"period": "hourly"}).status_code == 400


def test_topics_created_by(api: ApiSession, forum: dict[str, Any]) -> None:
    mine = api.get("/topics/created-by/anna.json").json()["topic_list"]["topics"]
    assert [t["title"] for t in mine] == ["How do councils share their software?"]
    system = api.get("/topics/created-by/system.json").json()["topic_list"]["topics"]
    assert len(system) == 2  # the categories' definition topics are not listed
    assert api.get("/topics/created-by/nobody-here.json").status_code == 404


def test_topic_posts_without_post_ids_give_the_first_chunk(
    api: ApiSession, forum: dict[str, Any]
) -> None:
    topic_id = forum["first"]["topic_id"]
    posts = api.get(f"/t/{topic_id}/posts.json").json()["post_stream"]["posts"]
    assert [p["post_number"] for p in posts] == list(range(1, 21))
    near = api.get(f"/t/{topic_id}/posts.json", params={"post_number": 20}).json()
    assert [p["post_number"] for p in near["post_stream"]["posts"]] == list(range(6, 26))
    by_id = api.get(f"/t/{topic_id}/posts.json", params={"post_ids[]": posts[2]["id"]}).json()
    assert [p["post_number"] for p in by_id["post_stream"]["posts"]] == [3]


def test_category_topics_by_slug(api: ApiSession, forum: dict[str, Any]) -> None:
    for path in ("/c/planning.json", "/c/planning/l/latest.json"):
        titles = [t["title"] for t in api.get(path).json()["topic_list"]["topics"]]
        assert "Km0 market for local producers" in titles, path
    child = api.get("/c/planning/smart-lighting.json").json()["topic_list"]["topics"]
    assert "Streetlights that dim at night" in [t["title"] for t in child]
    assert api.get("/c/smart-lighting.json").status_code == 404  # a child needs its parent
    assert api.get("/c/no-such-category.json").status_code == 404


# ---------------------------------------------------------------------------- pydiscourse


def test_pydiscourse_calls(pyd: Any, forum: dict[str, Any]) -> None:
    """pydiscourse's read calls: each returns what Discourse would, none raises."""
    topic_id = forum["first"]["topic_id"]
    assert pyd.about()["about"]["title"]
    assert pyd.get_site_info()["categories"]
    assert pyd.search("market")["topics"][0]["id"] == topic_id
    assert pyd.user("anna")["username"] == "anna"
    assert pyd.latest_topics()["topic_list"]["topics"]
    assert pyd.hot_topics()["topic_list"]["topics"][0]["id"] == topic_id
    assert len(pyd.new_topics()["topic_list"]["topics"]) == 3
    assert pyd.top_topics()["topic_list"]["for_period"] == "yearly"
    assert [t["title"] for t in pyd.topics_by("anna")] == ["How do councils share their software?"]
    assert len(pyd.topic_posts(topic_id)["post_stream"]["posts"]) == 20
    assert pyd.category_topics(forum["parent"]["id"])["topic_list"]["topics"]
    assert pyd.category_latest_topics("planning")["topic_list"]["topics"]
    child = pyd.category_latest_topics("smart-lighting", parent="planning")
    assert child["topic_list"]["topics"]
    assert pyd.topic(forum["first"]["topic_slug"], topic_id)["id"] == topic_id
    assert pyd.categories()
    assert pyd.get_site_settings()["site_settings"]


# ---------------------------------------------------------------------------- @discourse/mcp

MCP_VERSION = "0.3.1"


@pytest.fixture(scope="session")
def mcp_entry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`@discourse/mcp` installed with npm into a temporary directory (npm's registry is
    reachable here); skipped, saying why, on a machine without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the @discourse/mcp test needs them")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < 18:
        pytest.skip(f"node {version.stdout.strip()} is older than @discourse/mcp needs (18)")
    where = tmp_path_factory.mktemp("mcp")
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(where),
         f"@discourse/mcp@{MCP_VERSION}"],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"npm install failed: {result.stderr[-2000:]}")
        pytest.skip(f"npm could not install @discourse/mcp: {result.stderr[-300:]}")
    return where / "node_modules" / "@discourse" / "mcp" / "dist" / "index.js"


class McpSession:
    """A JSON-RPC conversation with the MCP server over stdio (one JSON message a line)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.next_id = 0

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "the MCP server closed its output"
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return reply["result"]

    def notify(self, method: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}) + "\n")
        self.proc.stdin.flush()

    def tool(self, name: str, **arguments: Any) -> Any:
        result = self.call("tools/call", {"name": name, "arguments": arguments})
        assert not result.get("isError"), result
        return json.loads(result["content"][0]["text"])


@pytest.fixture
def mcp(mcp_entry: Path, emulator: RunningEmulator) -> Iterator[McpSession]:
    auth = [{"site": emulator.url, "api_key": API_KEY, "api_username": "system"}]
    proc = subprocess.Popen(
        [shutil.which("node") or "node", str(mcp_entry), "--site", emulator.url,
         "--auth_pairs", json.dumps(auth), "--tools_mode", "discourse_api_only",
         "--log_level", "error"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    session = McpSession(proc)
    try:
        session.call(
            "initialize",
            {
                "protocolVersion": "2025-03-26",
                "capabilities": {},
                "clientInfo": {"name": "digicanvis-tests", "version": "1"},
            },
        )
        session.notify("notifications/initialized")
        yield session
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def test_discourse_mcp_reads_the_emulator(
    mcp: McpSession, forum: dict[str, Any], emulator: RunningEmulator
) -> None:
    """The server validated the site through /about.json at start-up (it refuses one without
    it), then its read tools work: search, read a topic, a user."""
    tools = {t["name"] for t in mcp.call("tools/list")["tools"]}
    assert {"discourse_search", "discourse_read_topic", "discourse_get_user"} <= tools
    found = mcp.tool("discourse_search", query="streetlights")
    assert [r["title"] for r in found["results"]] == ["Streetlights that dim at night"]
    topic = mcp.tool("discourse_read_topic", topic_id=forum["first"]["topic_id"], post_limit=3)
    assert topic["title"] == "Km0 market for local producers"
    assert [p["post_number"] for p in topic["posts"]] == [1, 2, 3]
    user = mcp.tool("discourse_get_user", username="anna")
    assert (user["username"], user["admin"]) == ("anna", False)
    assert emulator.stats()["by_route"].get("GET /about", 0) >= 1
