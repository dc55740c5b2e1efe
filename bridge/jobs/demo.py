"""The demo (`digicanvis demo`): the whole thing on embedded defaults. The bundled sample
catalogue imported, a local forum emulator in this process, a first sync, the topics it made
and what discovery shows of them (issue 11, the overview's pictures of issue 24), a second sync
that writes nothing, and a challenge answered (issue 12)."""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.emulator import RunningEmulator
    from bridge.settings import Settings
    from bridge.sync.runner import SyncSummary

DEMO_CATALOGUE = Path(__file__).resolve().parent.parent / "samples" / "demo_catalogue.yaml"
DEMO_SIMILAR_REF = "santjust-xatbot"  # a small council's chatbot: its peers are worth showing
DEMO_LIKE = "Olot"  # a mid-sized Catalan town of the sample


class Topic(TypedDict):
    """A record's topic as the demo lists it."""

    ref: str
    title: str
    url: str | None
    category: str | None
    tags: list[str]
    closed: bool


class Picture(TypedDict, total=False):
    """One of the overview topic's pictures in the demo's forum (`file` when written)."""

    alt: str
    short_url: str
    url: str | None
    topic_url: str
    file: str


class Page(TypedDict):
    page: str
    title: str | None
    url: str
    pinned: bool


class Showcase(TypedDict, total=False):
    """What the demo shows of discovery (issue 11) and of the overview's pictures (issue 24)."""

    similar: dict[str, Any]  # {"ref", "matches"}
    find: dict[str, Any]  # {"like", "matches"}, when the sample town is known
    pages: list[Page]
    pictures: list[Picture]


class Progress(Protocol):
    """The first sync's progress hook (`run_sync(progress=)`), closed when that sync ends."""

    def __call__(self, event: str, value: Any) -> None: ...
    def close(self) -> None: ...


class DemoFailed(Exception):
    """What stopped the demo, said as the error the CLI prints."""


@dataclass(frozen=True)
class DemoRun:
    first: SyncSummary
    second: SyncSummary
    topics: list[Topic]  # the record topics, as `status --json` lists them
    showcase: Showcase
    challenge: dict[str, Any]  # the sample challenge and the bridge's reply
    # issue 22: a visit request from asked to answered (None: the catalogue lacks the sample)
    request: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "first_sync": self.first.as_json(),
            "topics": self.topics,
            "second_sync": self.second.as_json(),
            "observatory": self.showcase,
            "challenge": self.challenge,
            "request": self.request,
        }


def run_demo(
    cfg: Settings,
    *,
    database: str | None,
    pictures: Path | None,
    say: Callable[[str], None],
    progress: Progress | None = None,
) -> DemoRun:
    """Run the demo. `say` tells what each step set up; `progress` is the first sync's
    progress hook (`run_sync(progress=)`), closed (`.close()`) once that sync ends. The
    catalogue is kept in `database` when given, else in a temporary SQLite file."""
    from bridge.catalogue.importer import run_import
    from bridge.challenges import store as challenge_store
    from bridge.challenges.demo import run_demo_challenge
    from bridge.connections import store as request_store
    from bridge.connections.demo import run_demo_request
    from bridge.db import DatabaseError, make_engine, upgrade
    from bridge.emulator import start_emulator
    from bridge.forum.client import ForumClient
    from bridge.jobs.sync_run import run_sync
    from bridge.observatory import store as pages_store
    from bridge.sync import store
    from bridge.sync.lease import LeaseHeld
    from bridge.sync.plan import PlanError
    from bridge.sync.runner import SyncStopped

    if not DEMO_CATALOGUE.is_file():
        raise DemoFailed(
            f"the bundled sample catalogue is missing ({DEMO_CATALOGUE}): reinstall the package"
        )
    with tempfile.TemporaryDirectory(prefix="digicanvis-demo-") as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'demo.db'}"
        try:
            engine = make_engine(url)
            upgrade(engine)
        except DatabaseError as exc:
            raise DemoFailed(str(exc)) from exc
        outcome = run_import(engine, [DEMO_CATALOGUE])
        if outcome.problems:
            raise DemoFailed(f"the sample catalogue did not import: {outcome.problems[0]}")
        say(
            f"catalogue: {outcome.records} records imported into "
            f"{url if database else 'a temporary SQLite file'}"
        )
        # The forum: an emulator in this process, on a free port, with no rate limit.
        emulator = start_emulator(rate_limit=0, api_key=secrets.token_hex(16), test_control=False)
        demo_cfg = cfg.model_copy(
            update={"discourse_url": emulator.url, "rate_limit_per_minute": 0, "database_url": url}
        )
        say(f"forum: a local Discourse emulator at {emulator.url}")
        # A fresh emulator knows none of a kept catalogue's topics, pages or replies.
        store.forget_forum(engine)
        challenge_store.forget_forum(engine)
        request_store.forget_forum(engine)
        pages_store.forget_pages(engine)
        client = ForumClient(
            emulator.url, emulator.api_key, emulator.api_username, rate_limit_per_minute=0
        )
        try:
            first = run_sync(engine, demo_cfg, client, progress=progress)
            if progress is not None:
                progress.close()
            topics = _topics(engine, emulator.url)
            showcase = showcase_of(engine, demo_cfg, emulator.url)
            showcase["pictures"] = _pictures(engine, demo_cfg, emulator, pictures)
            second = run_sync(engine, demo_cfg, client)
            challenge = run_demo_challenge(emulator, engine, demo_cfg, client)  # issue 12
            request = run_demo_request(emulator, engine, demo_cfg, client)  # issue 22
        except (SyncStopped, LeaseHeld, PlanError) as exc:
            raise DemoFailed(f"demo sync stopped: {exc}") from exc
        finally:
            if progress is not None:
                progress.close()
            client.close()
            emulator.stop()
            engine.dispose()
    return DemoRun(first, second, topics, showcase, challenge, request)


def _topics(engine: Engine, forum_url: str) -> list[Topic]:
    from bridge.catalogue.read_store import topic_url
    from bridge.sync import state

    return [
        {
            "ref": row["ref"],
            "title": row["title"],
            "url": topic_url(forum_url, row["topic_id"], row["topic_slug"]),
            "category": row["category"],
            "tags": sorted(row["tags"] or []),
            "closed": bool(row["closed"]),
        }
        for row in state.topics_table(engine)
    ]


def showcase_of(engine: Engine, cfg: Settings, forum_url: str) -> Showcase:
    """What the demo shows of issue 11: `similar` on a sample record, `find --like` a sample
    town, and the index and overview topics the sync made."""
    from bridge.catalogue import read_store
    from bridge.discovery import find as find_projects
    from bridge.discovery import match_json
    from bridge.discovery import similar as find_similar
    from bridge.discovery.places import PlaceNotFound, resolve_from_records
    from bridge.observatory import store as pages_store

    records = read_store.list_records(
        engine, cfg.home_region, cfg.discourse_url, read_store.Filters(archived="include")
    )
    refs = {r["ref"] for r in records}
    ref = DEMO_SIMILAR_REF if DEMO_SIMILAR_REF in refs else min(refs)
    doc: Showcase = {
        "similar": {"ref": ref, "matches": [match_json(m) for m in find_similar(records, ref)]}
    }
    try:
        place = resolve_from_records(records, DEMO_LIKE)
    except PlaceNotFound:
        place = None
    if place:
        matches = find_projects(records, like=place, limit=5)
        doc["find"] = {"like": DEMO_LIKE, "matches": [match_json(m) for m in matches]}
    doc["pages"] = [
        {
            "page": key,
            "title": row.title,
            "url": forum_url + pages_store.topic_path(row.topic_id, row.topic_slug),
            "pinned": row.pinned,
        }
        for key, row in sorted(pages_store.load_pages(engine).items())
        if row.topic_id is not None
    ]
    return doc


def _pictures(
    engine: Engine, cfg: Settings, emulator: RunningEmulator, directory: Path | None
) -> list[Picture]:
    """The overview topic's pictures (issue 24) as the demo's forum shows them: each one's alt
    text, `upload://` short URL and the forum's URL of the file; written into `directory` too
    when one is given."""
    from bridge.files import atomic_write
    from bridge.observatory import store as pages_store

    row = pages_store.load_pages(engine).get("overview")
    if row is None or row.topic_id is None:
        return []
    raw = emulator.state.topics[row.topic_id].posts[0].raw
    by_short = {u.short_url: u for u in emulator.state.uploads.values()}
    found: list[Picture] = []
    for alt, short in re.findall(r"!\[([^\]|]*)\|\d+x\d+\]\((upload://[^)]+)\)", raw):
        upload = by_short.get(short)
        found.append(
            {
                "alt": alt,
                "short_url": short,
                "url": emulator.url + upload.url if upload else None,
                "topic_url": emulator.url + pages_store.topic_path(row.topic_id, row.topic_slug),
            }
        )
    if directory is not None:
        from bridge.catalogue.read_store import created_dates, list_records
        from bridge.visual.pictures import overview_pictures

        directory.mkdir(parents=True, exist_ok=True)
        records = list_records(engine, cfg.home_region, None)
        for picture, entry in zip(
            overview_pictures(records, created_dates(engine), cfg), found, strict=False
        ):
            path = directory / picture.filename
            atomic_write(path, picture.data, private=False)
            entry["file"] = str(path)
    return found
