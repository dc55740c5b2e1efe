"""Benchmark of the sync engine against the emulator (issue 4's figures). Prints, never asserts.

    python scripts/bench_sync.py                 # 2,000 records, then 400 at 300 requests/min
    python scripts/bench_sync.py --records 500 --skip-paced

1. No rate limit, N records: the first sync's requests per record and its time per request
   against the emulator's own round-trip time (the same create request sent by a bare
   requests.Session to a second emulator); a no-op re-sync (requests, seconds); 1% of the records
   changed (writes).
2. A forum allowing 300 requests a minute (the emulator's limiter, the client pacing itself):
   400 new records, their time against what the sliding window allows, and any 429 received.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import requests
from bench_catalogue import generate

from bridge.catalogue.importer import run_import
from bridge.db import make_engine, upgrade
from bridge.emulator import start_emulator
from bridge.forum.client import ForumClient
from bridge.settings import load_settings
from bridge.sync.runner import run_sync

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"


def catalogue(tmp: Path, items: list[dict], name: str):
    engine = make_engine(f"sqlite:///{tmp / f'{name}.db'}")
    upgrade(engine)
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    outcome = run_import(engine, [path])
    assert not outcome.problems, outcome.problems[:3]
    return engine


def emulator_round_trip(samples: int = 300) -> float:
    """Seconds per create on a bare keep-alive session: the emulator's own cost per request."""
    emu = start_emulator(rate_limit=0, api_key="bench")
    try:
        s = requests.Session()
        s.headers.update(
            {"Api-Key": "bench", "Api-Username": "system", "Accept": "application/json"}
        )
        cat = s.post(
            f"{emu.url}/categories.json",
            data={"name": "Bench", "slug": "bench", "color": "0088CC", "text_color": "FFFFFF"},
        ).json()
        raw = "A body long enough for Discourse's rules, " * 20
        started = time.perf_counter()
        for i in range(samples):
            r = s.post(
                f"{emu.url}/posts.json",
                data={
                    "title": f"Round trip topic number {i} for the benchmark",
                    "raw": raw,
                    "category": cat["category"]["id"],
                    "external_id": f"rt-{i}",
                    "tags[]": ["km0", "pilot", "service"],
                },
            )
            r.raise_for_status()
        return (time.perf_counter() - started) / samples
    finally:
        emu.stop()


def timed_sync(engine, cfg, client, emu):
    """One sync: its summary, its seconds, and the requests the emulator saw meanwhile."""
    before = emu.stats()["total"]
    started = time.perf_counter()
    summary = run_sync(engine, cfg, client)
    return summary, time.perf_counter() - started, emu.stats()["total"] - before


def unlimited(n: int, tmp: Path) -> None:
    rtt = emulator_round_trip()
    print(f"emulator round trip (bare session, create): {rtt * 1000:.2f} ms")
    cfg = load_settings(CONFIG)
    engine = catalogue(tmp, generate(n), "unlimited")
    emu = start_emulator(rate_limit=0, api_key="bench")
    client = ForumClient(emu.url, "bench", rate_limit_per_minute=0)
    cfg = cfg.model_copy(update={"discourse_url": emu.url, "rate_limit_per_minute": 0})
    try:
        started = time.perf_counter()
        first = run_sync(engine, cfg, client)
        elapsed = time.perf_counter() - started
        per_request = elapsed / max(first.requests, 1)
        print(
            f"first sync of {n}: created {first.created}, failed {first.failed}, {first.requests} requests "
            f"= {first.requests / n:.3f} per record (target ≤ 1.05); {elapsed:.1f} s = {per_request * 1000:.2f} ms per request "
            f"= {per_request / rtt:.2f}× the emulator's round trip (target ≤ 3)"
        )
        noop, elapsed, seen = timed_sync(engine, cfg, client, emu)
        print(
            f"no-op re-sync: {noop.requests} requests ({seen} seen by the forum), "
            f"{elapsed:.2f} s (target 0 requests, < 2 s)"
        )
        changed = n // 100
        items = generate(n)
        for item in items[:changed]:
            item["description"] += " Actualitzat."
        path = tmp / "changed.json"
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        run_import(engine, [path])
        one, elapsed, seen = timed_sync(engine, cfg, client, emu)
        print(
            f"1% changed ({changed} records): updated {one.updated}, {one.requests} writes "
            f"({seen} seen by the forum), {elapsed:.2f} s (target {changed} writes)"
        )
    finally:
        client.close()
        emu.stop()
        engine.dispose()


def paced(n: int, limit: int, tmp: Path) -> None:
    cfg = load_settings(CONFIG)
    engine = catalogue(tmp, generate(n, prefix="paced"), "paced")
    emu = start_emulator(rate_limit=limit, api_key="bench")
    client = ForumClient(emu.url, "bench", rate_limit_per_minute=limit)
    cfg = cfg.model_copy(update={"discourse_url": emu.url, "rate_limit_per_minute": limit})
    try:
        started = time.perf_counter()
        summary = run_sync(engine, cfg, client)
        elapsed = time.perf_counter() - started
        statuses = emu.stats()["status"]
        got_429 = statuses.get(429, statuses.get("429", 0))
        # What the sliding window allows: `limit` requests in any 60 s, so request k (0-based)
        # can go at 60·floor(k/limit) s at the earliest; the last one sets the bound.
        allowed = 60.0 * math.floor((summary.requests - 1) / limit)
        over = (elapsed - allowed) / allowed * 100 if allowed else float("nan")
        print(
            f"{n} new records at {limit}/min: created {summary.created}, failed {summary.failed}, "
            f"{summary.requests} requests in {elapsed:.1f} s; the limit allows {allowed:.0f} s "
            f"→ {over:+.1f}% (target within 15%); 429 received: {got_429}; "
            f"client waited {client.pacer.waited:.1f} s for the window"
        )
    finally:
        client.close()
        emu.stop()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--paced-records", type=int, default=400)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--skip-paced", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        unlimited(args.records, Path(tmp))
        if not args.skip_paced:
            paced(args.paced_records, args.limit, Path(tmp))


if __name__ == "__main__":
    main()
