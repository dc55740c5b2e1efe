"""What one pull of connection requests costs (issue 22). Prints, never asserts.

    python scripts/bench_requests.py                # 50 open requests
    python scripts/bench_requests.py --requests 200

On the bundled sample catalogue synced to a local emulator (no rate limit), practitioners open R
requests, each linking a project's topic; then:
1. the first pull: every request recorded, its contacts invited, one note each;
2. a pull with nothing new: requests made (the category's list reads only), forum writes (0)
   and request rows written (0);
3. a pull after one request got an answer: one topic read on top, no write;
4. a pull 11 days later: every open request reminded once (a second invite each, one post each);
5. a request made as a reply (`#visita`) in a project's own topic, no webhook: the activity pull
   hands on the project topics it saw, and only the one that grew is read (then once more for
   the bridge's own note in it, then nothing).
Target: no request per unchanged request beyond the list reads; one write per invite or post.
An invite is one write: a personal message to a forum user, or Discourse's invitation email
(POST /invites.json) to an email-only contact.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bridge.catalogue.importer import run_import
from bridge.catalogue.read_store import list_records
from bridge.connections import store
from bridge.connections.step import pull_requests
from bridge.db import make_engine, session_scope, upgrade
from bridge.emulator import start_emulator
from bridge.forum.client import ForumClient
from bridge.jobs.sync_run import run_sync
from bridge.loop.activity import TopicSeen
from bridge.loop.pull import pull as pull_activity
from bridge.models.connections import ConnectionInvite, ConnectionRequest
from bridge.models.types import table_of, utcnow
from bridge.samples import demo_catalogue_path
from bridge.settings import load_settings
from bridge.sync.category_topics import PAGE_SIZE

CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


def _writes(emu: Any) -> int:
    return sum(n for r, n in emu.stats()["by_route"].items() if not r.startswith("GET "))


def _rows(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        found = [dict(r) for r in conn.execute(sa.select(table_of(ConnectionRequest))).mappings()]
        found += [dict(r) for r in conn.execute(sa.select(table_of(ConnectionInvite))).mappings()]
    return found


def _pull(
    label: str,
    engine: sa.Engine,
    cfg: Any,
    client: ForumClient,
    emu: Any,
    now: Any,
    topics: dict[int, TopicSeen] | None = None,
) -> None:
    requests_before, writes_before, rows_before = client.requests_made, _writes(emu), _rows(engine)
    started = time.perf_counter()
    run = pull_requests(engine, cfg, client, now=now, topics=topics)
    elapsed = time.perf_counter() - started
    doc = run.as_json()
    keys = ("recorded", "invited", "replied", "reminded", "answered", "stale", "failed")
    counts = ", ".join(f"{doc[k]} {k}" for k in keys if doc[k])
    after = _rows(engine)
    db_writes = sum(1 for a, b in zip(after, rows_before, strict=False) if a != b) + abs(
        len(after) - len(rows_before)
    )
    print(
        f"{label}: {client.requests_made - requests_before} requests ({doc['pages']} list "
        f"pages, {doc['reads']} topic reads), {_writes(emu) - writes_before} forum writes "
        f"(+{doc['invited']} invites), {db_writes} rows written, {elapsed:.2f} s; "
        f"{counts or 'nothing to do'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    n = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        assert not run_import(engine, [demo_catalogue_path()]).problems
        emu = start_emulator(rate_limit=0, api_key="bench", test_control=True)
        cfg = load_settings(CONFIG).model_copy(
            update={"discourse_url": emu.url, "rate_limit_per_minute": 0}
        )
        cfg.connections.max_invites_per_project_per_day = 10 * n
        client = ForumClient(emu.url, "bench", rate_limit_per_minute=0)
        try:
            assert run_sync(engine, cfg, client).failed == 0
            category = store.load_category(engine, cfg.connections.slug)
            assert category is not None
            paired = [r for r in list_records(engine, cfg.home_region, emu.url) if r["topic_id"]]
            author = emu.state.ensure_user("practicant")
            for record in paired:
                for contact in record.get("contacts") or ():
                    if contact.get("forum_username"):
                        emu.state.ensure_user(contact["forum_username"])
            topic_ids = []
            for i in range(n):
                record = paired[i % len(paired)]
                first = emu.state.create_topic(
                    {
                        "category": category.category_id,
                        "title": f"Petició {i + 1}: podem visitar-vos?",
                        "raw": f"Ens agradaria fer una visita per veure {record['title']}: "
                        f"{emu.url}/t/-/{record['topic_id']}",
                    },
                    author,
                )
                topic_ids.append(first.topic_id)
            print(f"{n} open requests: {math.ceil(n / PAGE_SIZE)} list pages of {PAGE_SIZE}")
            _pull("first pull (records, invites, notes)", engine, cfg, client, emu, utcnow)
            _pull("a pull with nothing new", engine, cfg, client, emu, utcnow)
            emu.state.reply(topic_ids[0], "Us hi esperem, escriviu-nos quan vulgueu.", author)
            _pull("a pull after one request got a reply", engine, cfg, client, emu, utcnow)
            later = lambda: utcnow() + timedelta(days=11)  # noqa: E731
            _pull("a pull 11 days later (reminders)", engine, cfg, client, emu, later)
            _pull("then a pull with nothing new", engine, cfg, client, emu, later)
            sessions = lambda: session_scope(engine)  # noqa: E731
            pull_activity(sessions, client)  # the project topics' counts, to compare with
            emu.state.reply(
                paired[0]["topic_id"], "#visita Podríem venir a veure-ho en directe?", author
            )
            for label in (
                "a pull after a request made as a reply in a project topic",
                "the next pull (the bridge's note grew that topic)",
                "then a pull with nothing new (project topics seen)",
            ):
                seen = pull_activity(sessions, client).topics
                _pull(label, engine, cfg, client, emu, utcnow, seen)
        finally:
            client.close()
            emu.stop()
            engine.dispose()


if __name__ == "__main__":
    main()
