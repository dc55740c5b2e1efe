"""A property test of the sync engine against the emulator (issue 8, item 7), in the spirit of
vdirsyncer's state-machine test of its sync.

Random catalogue edits (create, change each field, archive, restore, delete from the catalogue)
are interleaved with moderator actions in the emulator (move, retag, retitle, edit, close, reopen,
delete) and with syncs and pulls. Then a deep pull (so the bridge sees every moderator action), a
sync, and the properties:

- planning again gives only `unchanged` (or a reported `deleted`) actions: the sync converged;
- no external id has two live topics, and every live record is paired with the live topic that
  carries its external id;
- each paired topic shows what the sync state says was written (title, category, tags, closed),
  and is closed exactly when its record is archived (drift_policy catalogue-wins).

Bounded (BRIDGE_PROPERTY_EXAMPLES, default 30) and reproducible: the seed is printed, and
BRIDGE_PROPERTY_SEED=N replays it.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from plugins.sync import AREAS, KINDS, PHASES, SyncHarness, add_project, edit_project

from bridge.catalogue.store import set_archived
from bridge.db import make_engine, session_scope, upgrade
from bridge.emulator import start_emulator
from bridge.jobs.sync_run import run_sync
from bridge.loop.pull import pull
from bridge.models import Project
from bridge.settings import Settings, load_settings
from bridge.sync.runner import SyncOptions

SEED = int(os.environ.get("BRIDGE_PROPERTY_SEED") or random.SystemRandom().randrange(2**32))
EXAMPLES = int(os.environ.get("BRIDGE_PROPERTY_EXAMPLES") or 30)
CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"

CATALOGUE_OPS = ("create", "edit", "archive", "restore", "forget")
FORUM_OPS = ("move", "retag", "retitle", "edit_post", "close", "open", "delete")
RUN_OPS = ("sync", "pull")
FIELDS = ("title", "description", "area", "phase", "kind", "proximity")

operation = st.tuples(
    st.sampled_from(CATALOGUE_OPS + FORUM_OPS + RUN_OPS),
    st.integers(min_value=0, max_value=7),  # which record
    st.integers(min_value=0, max_value=5),  # which variant (field, category, tag…)
)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite catalogue, copied for each example (migrating costs more than a copy)."""
    path = tmp_path_factory.mktemp("property") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")) and name not in (
            "BRIDGE_PROPERTY_SEED",
            "BRIDGE_PROPERTY_EXAMPLES",
        ):
            monkeypatch.delenv(name)


class World:
    """One example: a fresh catalogue and a fresh emulator, and the operations on both."""

    def __init__(self, harness: SyncHarness) -> None:
        self.h = harness
        self.made = 0
        self.client = harness.client()

    # ------------------------------------------------------------------ helpers

    def refs(self) -> list[str]:
        with self.h.engine.connect() as conn:
            return sorted(conn.execute(sa.select(Project.__table__.c.ref)).scalars())

    def pick(self, index: int) -> str | None:
        refs = self.refs()
        return refs[index % len(refs)] if refs else None

    def live_topic_of(self, index: int) -> int | None:
        ref = self.pick(index)
        state = self.h.states().get(ref) if ref else None
        if state is None or state.topic_id is None:
            return None
        topic = self.h.emulator.state.topics.get(state.topic_id)
        return None if topic is None or topic.deleted_at is not None else state.topic_id

    def create(self, _index: int, variant: int) -> None:
        self.made += 1
        add_project(self.h.engine, f"prop-{self.made:03d}", self.made + variant)

    # ------------------------------------------------------------------ operations

    def apply(self, op: str, index: int, variant: int) -> None:
        if op == "create":
            return self.create(index, variant)
        if op == "sync":
            self.h.sync(self.client)
            return None
        if op == "pull":
            pull(lambda: session_scope(self.h.engine), self.client)
            return None
        if op in CATALOGUE_OPS:
            ref = self.pick(index)
            if ref is not None:
                self.catalogue(op, ref, variant)
            return None
        topic_id = self.live_topic_of(index)
        if topic_id is not None:
            self.moderate(op, topic_id, variant)
        return None

    def catalogue(self, op: str, ref: str, variant: int) -> None:
        if op == "archive":
            set_archived(self.h.engine, ref, True)
        elif op == "restore":
            set_archived(self.h.engine, ref, False)
        elif op == "forget":
            with self.h.engine.begin() as conn:
                conn.execute(sa.delete(Project.__table__).where(Project.__table__.c.ref == ref))
        else:
            field = FIELDS[variant % len(FIELDS)]
            self.made += 1
            value: Any = {
                "title": f"Projecte renovat de participació ciutadana número {self.made}",
                "description": f"Una descripció revisada del projecte, versió {self.made}.",
                "area": AREAS[self.made % len(AREAS)],
                "phase": PHASES[self.made % len(PHASES)],
                "kind": KINDS[self.made % len(KINDS)],
                "proximity": ("km0", "foreign", None)[self.made % 3],
            }[field]
            edit_project(self.h.engine, ref, **{field: value})

    def moderate(self, op: str, topic_id: int, variant: int) -> None:
        em = self.h.emulator
        if op == "move":
            categories = sorted(c for c in em.state.categories if c != 1)
            em.control("move", topic_id=topic_id, category_id=categories[variant % len(categories)])
        elif op == "retag":
            em.control(
                "retag", topic_id=topic_id, tags=[("moderated", "pilot", "R & D")[variant % 3]]
            )
        elif op == "retitle":
            self.made += 1
            em.control(
                "retitle", topic_id=topic_id, title=f"Títol canviat per la moderació {self.made}"
            )
        elif op == "edit_post":
            self.made += 1
            raw = f"Un moderador ha reescrit aquesta fitxa ({self.made}) amb paraules seves."
            em.control("edit_first_post", topic_id=topic_id, raw=raw)
        elif op in ("close", "open", "delete"):
            em.control(op, topic_id=topic_id)

    # ------------------------------------------------------------------ properties

    def converge_and_check(self) -> None:
        pull(lambda: session_scope(self.h.engine), self.client, deep=True)
        self.h.sync(self.client)
        # Planned as harness.sync() syncs: the engine alone, without the observatory (issue 11).
        plan = run_sync(
            self.h.engine,
            self.h.settings,
            self.client,
            SyncOptions(dry_run=True, observatory=False),
        )
        assert plan.plan is not None
        leftovers = [row for row in plan.plan if row["action"] not in ("unchanged", "deleted")]
        assert leftovers == [], "a second plan after a sync still has work"

        states = self.h.states()
        live = [t for t in self.h.live_topics() if t.external_id]
        by_external: dict[str, list[Any]] = {}
        for topic in live:
            by_external.setdefault(topic.external_id.lower(), []).append(topic)
        assert all(len(ts) == 1 for ts in by_external.values()), "a topic exists twice"

        with self.h.engine.connect() as conn:
            projects = conn.execute(sa.select(Project.__table__)).mappings().all()
        for project in projects:
            state = states.get(project["ref"])
            if state is not None and state.remote_deleted:
                continue  # reported as deleted, recreated only on request
            if project["archived"] and (state is None or state.topic_id is None):
                continue  # never synced before it was archived: no topic, none needed
            assert state is not None and state.topic_id is not None, f"{project['ref']} unpaired"
            (topic,) = by_external[state.external_id.lower()]
            assert topic.id == state.topic_id, f"{project['ref']} paired with the wrong topic"
            assert topic.closed == bool(project["archived"]) == bool(state.closed)
            # catalogue-wins: drift is repaired, except an archived record's content, which is
            # left as it is (and reported) until the record is restored.
            drift = set(state.drift or ())
            assert not drift or (project["archived"] and "closed" not in drift), drift
            seen = {
                "title": topic.title == state.title,
                "category": topic.category_id == state.category_id,
                "tags": sorted(topic.tags) == sorted(state.tags or ()),
            }
            assert {k for k, same in seen.items() if not same} <= drift


def _harness(template: Path, tmp: Path, n: int) -> Iterator[SyncHarness]:
    path = tmp / f"example-{n}.db"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    emulator = start_emulator(rate_limit=0, test_control=True, api_key="property-key")
    try:
        cfg: Settings = load_settings(
            CONFIG,
            discourse_url=emulator.url,
            discourse_api_key=emulator.api_key,
            rate_limit_per_minute=0,
            database_url=f"sqlite:///{path}",
        )
        yield SyncHarness(engine, cfg, emulator)
    finally:
        emulator.stop()
        engine.dispose()
        path.unlink(missing_ok=True)


def test_sync_converges_whatever_the_catalogue_and_the_moderators_did(
    template_db: Path, tmp_path: Path, clean_env: None
) -> None:
    print(f"property test seed: {SEED} (replay with BRIDGE_PROPERTY_SEED={SEED})")
    counter = iter(range(10**6))

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # the seed, not a local example database, reproduces a run
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=14))
    def run(ops: list[tuple[str, int, int]]) -> None:
        for harness in _harness(template_db, tmp_path, next(counter)):
            world = World(harness)
            try:
                for i in range(4):
                    world.create(i, i)
                world.apply("sync", 0, 0)
                for op in ops:
                    world.apply(*op)
                world.converge_and_check()
            finally:
                world.client.close()

    run()
