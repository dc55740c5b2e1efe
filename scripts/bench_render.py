#!/usr/bin/env python3
"""Benchmark of the hardening on hot paths (issue 14): rendering first posts with Discourse's
mention and BBCode rules, scrubbing messages of secrets, escaping terminal output, and writing
an export atomically. Prints the figures; asserts nothing (timings belong here, never in tests).

    python scripts/bench_render.py [--records 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_catalogue import generate

from bridge import redact
from bridge.catalogue.formats import write_records
from bridge.settings import load_settings
from bridge.sync.render import render_post
from bridge.terminal import visible

HOSTILE = (
    "Hola _@admin_ i foo_@staff, [calendar] \\[b]x\\[/b] &#64;moderators\n- ## no és un títol\n"
    "> ## tampoc\n<script>alert(1)</script> escriu a pere@vic.cat. "
)


def _timed(label: str, count: int, unit: str, run: Callable[[], object]) -> None:
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    print(f"{label}: {count} {unit} in {elapsed:.2f} s ({elapsed / count * 1e6:.1f} µs each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    config = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"
    cfg = load_settings(config, discourse_api_key="k" * 64, webhook_secret="w" * 32)
    records = generate(args.records)
    for i, record in enumerate(records):
        record["description"] = HOSTILE * (1 + i % 5) + record["description"]
        record["contacts"] = [{"name": "Pere", "forum_username": "staff", "public": True}]

    _timed(
        "render_post (hostile free text, profile links)",
        len(records),
        "posts",
        lambda: [render_post(r, proximity="km0", settings=cfg) for r in records],
    )
    messages = [
        f"PUT /posts/{i}.json: the forum refused: Api-Key: {'k' * 64}" for i in range(50_000)
    ]
    _timed("redact.scrub", len(messages), "messages", lambda: [redact.scrub(m) for m in messages])
    lines = [f"{r['ref']}  {r['title']}\x1b[31m\u202e" for r in records]
    _timed("terminal.visible", len(lines), "lines", lambda: [visible(line) for line in lines])
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "export.json"
        _timed(
            "export via atomic_write (JSON)",
            1,
            "file",
            lambda: write_records(target, records),
        )
        print(f"  {target.stat().st_size / 1e6:.1f} MB, mode {oct(target.stat().st_mode & 0o777)}")


if __name__ == "__main__":
    main()
