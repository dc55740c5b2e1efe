"""Benchmark of the challenges (issue 12's figures). Prints, never asserts.

    python scripts/bench_challenges.py                 # 50 open challenges
    python scripts/bench_challenges.py --challenges 200

On the bundled sample catalogue synced to a local emulator (no rate limit), practitioners open N
challenges; then:
1. the first pull: every challenge answered (requests, writes, seconds);
2. a pull with nothing new: requests (all reads), forum writes and database writes (both 0);
3. a pull after one challenge was edited: what that edit costs on top.
At the default 60 requests a minute, a pull's requests are also its minimum duration in seconds.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bridge.catalogue.importer import run_import
from bridge.challenges import store
from bridge.challenges.runner import pull_challenges
from bridge.db import make_engine, upgrade
from bridge.emulator import start_emulator
from bridge.forum.client import ForumClient
from bridge.jobs.sync_run import run_sync
from bridge.models.challenges import Challenge
from bridge.models.types import table_of
from bridge.samples import demo_catalogue_path
from bridge.settings import load_settings
from bridge.sync.category_topics import PAGE_SIZE

CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"
TOPICS = (
    "padró i certificats d'empadronament",
    "cita prèvia a l'oficina d'atenció ciutadana",
    "dades obertes de mobilitat",
    "participació ciutadana als pressupostos",
    "serveis socials i atenció domiciliària",
)


def _writes(emu: Any) -> int:
    return sum(n for r, n in emu.stats()["by_route"].items() if not r.startswith("GET "))


def _rows(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table_of(Challenge))).mappings()]


def _pull(label: str, engine: sa.Engine, cfg: Any, client: ForumClient, emu: Any) -> None:
    requests_before, writes_before, rows_before = client.requests_made, _writes(emu), _rows(engine)
    started = time.perf_counter()
    run = pull_challenges(engine, cfg, client)
    elapsed = time.perf_counter() - started
    doc = run.as_json()
    counts = ", ".join(
        f"{doc[k]} {k}" for k in ("posted", "edited", "unchanged", "no_match", "failed") if doc[k]
    )
    db_writes = sum(1 for a, b in zip(_rows(engine), rows_before, strict=False) if a != b) + abs(
        len(_rows(engine)) - len(rows_before)
    )
    print(
        f"{label}: {client.requests_made - requests_before} requests "
        f"({doc['pages']} list pages), {_writes(emu) - writes_before} forum writes, "
        f"{db_writes} challenge rows written, {elapsed:.2f} s; {counts or 'nothing to do'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=50)
    n = parser.parse_args().challenges
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        assert not run_import(engine, [demo_catalogue_path()]).problems
        emu = start_emulator(rate_limit=0, api_key="bench", test_control=True)
        cfg = load_settings(CONFIG).model_copy(
            update={"discourse_url": emu.url, "rate_limit_per_minute": 0}
        )
        client = ForumClient(emu.url, "bench", rate_limit_per_minute=0)
        try:
            assert run_sync(engine, cfg, client).failed == 0
            category = store.load_category(engine, cfg.challenges.slug)
            assert category is not None
            author = emu.state.ensure_user("practicant")
            topic_ids = []
            for i in range(n):
                subject = TOPICS[i % len(TOPICS)]
                first = emu.state.create_topic(
                    {
                        "category": category.category_id,
                        "title": f"Repte {i + 1}: qui ens ajuda amb {subject}?",
                        "raw": f"Som un ajuntament de {5_000 + 1_000 * i} habitants i busquem "
                        f"experiències amb {subject}: qui té un xatbot o una eina semblant?",
                    },
                    author,
                )
                topic_ids.append(first.topic_id)
            print(f"{n} open challenges: {math.ceil(n / PAGE_SIZE)} list pages of {PAGE_SIZE}")
            _pull("first pull (answers them all)", engine, cfg, client, emu)
            _pull("a pull with nothing new", engine, cfg, client, emu)
            first = emu.state.topics[topic_ids[0]].first_post
            emu.state.update_post(
                first.id,
                "Ara busquem sensors per a la recollida de residus i la neteja dels carrers.",
                "nou repte",
                author,
            )
            _pull("a pull after one challenge was edited", engine, cfg, client, emu)
        finally:
            client.close()
            emu.stop()
            engine.dispose()


if __name__ == "__main__":
    main()
