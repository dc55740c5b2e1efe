"""Benchmark of the forum loop (issue 5's figures). Prints, never asserts.

    python scripts/bench_loop.py                # 2,000 paired topics
    python scripts/bench_loop.py --records 300

1. Pull of N paired topics: requests made, against the bound ceil(N/30) + one per category.
2. Webhooks: server time per event (the receiver's Server-Timing header) over 500 signed
   topic_edited and post_created events, on a SQLite catalogue of N records.
3. Scheduler idle: CPU seconds a `digicanvis schedule --every 1h` process uses in 10 s between runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalogue import generate
from bench_sync import CONFIG, catalogue

from bridge.db import session_scope
from bridge.emulator import start_emulator
from bridge.forum.client import ForumClient
from bridge.jobs.sync_run import run_sync
from bridge.loop.events import make_processor
from bridge.loop.pull import pull
from bridge.loop.signature import sign
from bridge.loop.webhook import PATH, make_app, make_server
from bridge.settings import load_settings
from bridge.sync.category_topics import PAGE_SIZE


def bench_pull(n: int, tmp: Path):
    cfg = load_settings(CONFIG)
    engine = catalogue(tmp, generate(n, prefix="loop"), "loop")
    emu = start_emulator(rate_limit=0, api_key="bench", test_control=True)
    cfg = cfg.model_copy(update={"discourse_url": emu.url, "rate_limit_per_minute": 0})
    client = ForumClient(emu.url, "bench", rate_limit_per_minute=0)
    summary = run_sync(engine, cfg, client)
    assert summary.failed == 0, summary.failures[:3]
    categories = 6
    before = client.requests_made
    started = time.perf_counter()
    result = pull(lambda: session_scope(engine), client)
    elapsed = time.perf_counter() - started
    used = client.requests_made - before
    bound = math.ceil(n / PAGE_SIZE) + categories
    print(
        f"pull of {result.paired} paired topics: {used} requests ({result.pages} list pages, "
        f"{result.read_individually} read individually) in {elapsed:.2f} s; bound "
        f"ceil({n}/{PAGE_SIZE}) + {categories} = {bound}"
    )
    return engine, emu, client


def bench_webhooks(engine, emu, client, events: int = 500) -> None:
    secret = "bench-secret"
    app = make_app(secret, make_processor(lambda: session_scope(engine)))
    server = make_server(app, host="127.0.0.1", port=0, threads=4)  # as `digicanvis webhook`
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}{PATH}"
    topic = client.get_topic(next(iter(emu.state.topics)))
    session = requests.Session()
    timings: list[float] = []
    for i in range(events):
        if i % 2:
            name, kind = "post_created", "post"
            payload = {
                "post": {
                    "id": 10_000 + i,
                    "topic_id": topic["id"],
                    "post_number": 2 + i,
                    "topic_posts_count": 2 + i,
                    "created_at": "2026-11-23T06:00:00Z",
                    "raw": "reply",
                }
            }
        else:
            name, kind = "topic_edited", "topic"
            payload = {
                "topic": {
                    k: topic[k]
                    for k in (
                        "id",
                        "title",
                        "category_id",
                        "tags",
                        "closed",
                        "posts_count",
                        "views",
                        "like_count",
                        "last_posted_at",
                    )
                    if k in topic
                }
                | {"participant_count": 3}
            }
        body = json.dumps(payload).encode()
        response = session.post(
            url,
            data=body,
            headers={
                "X-Discourse-Event": name,
                "X-Discourse-Event-Type": kind,
                "X-Discourse-Event-Id": f"bench-{i}",
                "X-Discourse-Event-Signature": sign(body, secret),
                "Content-Type": "application/json",
            },
        )
        response.raise_for_status()
        timings.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    server.close()
    timings.sort()
    print(
        f"webhooks: {events} events, server time median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(0.95 * len(timings)) - 1]:.2f} ms, max {timings[-1]:.2f} ms (target < "
        "10 ms)"
    )


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_idle(tmp: Path, emu) -> None:
    db = tmp / "idle.db"
    engine = catalogue(tmp, generate(20, prefix="idle"), "idle")
    engine.dispose()
    env = dict(
        os.environ,
        BRIDGE_DATABASE_URL=f"sqlite:///{tmp / 'idle.db'}",
        DISCOURSE_URL=emu.url,
        DISCOURSE_API_KEY="bench",
        BRIDGE_RATE_LIMIT_PER_MINUTE="0",
        BRIDGE_CONFIG=str(CONFIG),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "schedule", "--every", "1h"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        line = ""
        while "pull:" not in line:  # the first run (sync then pull) is done
            line = proc.stderr.readline()
            if not line:
                raise RuntimeError("scheduler exited early")
        time.sleep(1)
        before = _cpu_seconds(proc.pid)
        time.sleep(10)
        used = _cpu_seconds(proc.pid) - before
        print(
            f"scheduler idle between runs: {used:.3f} CPU seconds in 10 s (clock tick "
            f"{1 / os.sysconf('SC_CLK_TCK'):.2f} s)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    del db


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        engine, emu, client = bench_pull(args.records, tmp)
        bench_webhooks(engine, emu, client)
        bench_idle(tmp, emu)
        emu.stop()


if __name__ == "__main__":
    main()
