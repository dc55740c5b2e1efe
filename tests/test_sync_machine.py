"""The sync, the pull and the forum's moderators as a Hypothesis state machine (issue 19.5), in the
spirit of vdirsyncer's `SyncMachine` (tests/unit/sync/test_sync.py): rules change either side
or run a job, and the contract's promises are checked after every step, not only at the end.

Each example starts a fresh catalogue (SQLite; PostgreSQL in the `postgres` run) and a fresh
emulator over real HTTP, with its test control API for moderators and faults. Rules:

- the catalogue: import a record, edit one field of it (both through the importer's upsert),
  archive and restore it (the store's `set_archived`, as `projects archive` does), forget it;
- the jobs: `sync` (`run_sync`), alone or with a fault: a create whose answer is lost, a 429
  storm, a crash mid-run (the process dies between two writes, before the first, or the moment
  the forum has answered a create, before the bridge could record it);
  `pull` (`run_pull`), plain or `--deep`;
- the forum: a moderator moves, retags, retitles, rewrites, closes, reopens or deletes a topic,
  or recovers a deleted one, or edits only its similar-projects section; the bridge's own API
  user edits a first post.

Invariants (contract §5, README "The forum loop"):

- never two live topics with one external id, and one live topic per record whatever its
  external id (no duplicate after a lost answer or a crash); every topic the sync state names
  exists in the forum with the state's external id;
- after every sync, even one that crashed: the topics show what the state says was written
  (no write claimed that the forum doesn't hold), except what someone in the forum changed
  since the last deep pull or what the state reports as drift; after one that ran to its end,
  drift reported before it is repaired (catalogue-wins) or left exactly as the forum had it
  (report-only), and a second sync at once sends no write;
- a pull reports as drift only what someone in the forum changed, never the bridge's own writes;
- no API key, contact email or private phone in the forum, in the sync state or the run log;
- at the end (and in the `converge` rule): a deep pull and a sync converge (the assertions of
  tests/test_sync_property.py, which this replaces: planning again finds no work, one live topic
  per live record, closed exactly when archived, and under catalogue-wins no drift left but an
  archived record's).

Bounded: `BRIDGE_MACHINE_EXAMPLES` (default 10) examples of at most `BRIDGE_MACHINE_STEPS`
(default 12) steps on SQLite, one of 6 with the observatory (`BRIDGE_MACHINE_OBSERVATORY_EXAMPLES`),
three on PostgreSQL (`BRIDGE_MACHINE_POSTGRES_EXAMPLES`). Reproducible: derandomized (the same
examples every run) under CI=true or BRIDGE_MACHINE_DERANDOMIZE=1; a failure prints its steps
and a `@reproduce_failure` blob; no local example database.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from plugins.catalogue import make_record

# run_sync, the sync job's entry point, as the sync tests' plugin imports it (one place to follow
# it should the jobs move).
from plugins.sync import SyncHarness, run_sync

from bridge.catalogue.schema import RawRecord, validate_records
from bridge.catalogue.store import import_records, set_archived
from bridge.db import make_engine, upgrade
from bridge.emulator import start_emulator
from bridge.forum.client import ForumClient
from bridge.loop.run import run_pull
from bridge.models import Project
from bridge.rules.discourse import body_fingerprint, clean_tag, prettify_title
from bridge.settings import Settings, load_settings
from bridge.sync.runner import SyncOptions, SyncSummary

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"
API_KEY = "machine-secret-key-0123456789"
EXAMPLES = int(os.environ.get("BRIDGE_MACHINE_EXAMPLES") or 10)
OBSERVATORY_EXAMPLES = int(os.environ.get("BRIDGE_MACHINE_OBSERVATORY_EXAMPLES") or 1)
POSTGRES_EXAMPLES = int(os.environ.get("BRIDGE_MACHINE_POSTGRES_EXAMPLES") or 3)
STEPS = int(os.environ.get("BRIDGE_MACHINE_STEPS") or 12)
DERANDOMIZE = os.environ.get("CI", "").lower() == "true" or bool(
    os.environ.get("BRIDGE_MACHINE_DERANDOMIZE")
)
POLICIES = ("catalogue-wins", "report-only")
FIELDS = ("title", "description", "area", "phase", "kind", "proximity", "value")
ASPECTS = ("title", "category", "tags", "closed", "body")
FAULTS = (None, None, "lost_answer", "storm_429", "crash", "crash_after_create")
# Parts of the records (plugins.catalogue.make_record) that must never reach the forum: private
# contacts' phones and every contact's email.
PRIVATE = ("+34 900 000 000", "@exemple.cat")


class Crash(BaseException):
    """The process dies mid-run: not an Exception, so nothing in the run catches it."""


class _Collect(logging.Handler):
    """Every log record, formatted with its arguments, into a list."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))


def _template(tmp: Path) -> Path:
    path = tmp / "machine-template.db"
    if not path.exists():
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
    return path


class SyncMachine(RuleBasedStateMachine):
    """One example: a catalogue, an emulator, the model of what the test did to both."""

    # Set by the test: a function giving the URL of a fresh, migrated, empty catalogue, and
    # whether the observatory (similar sections, index and overview topics) is on.
    fresh_database: Callable[[], str]
    observatory: bool = False

    def __init__(self) -> None:
        super().__init__()
        url = type(self).fresh_database()
        self.emulator = start_emulator(rate_limit=0, test_control=True, api_key=API_KEY)
        self.engine = make_engine(url)
        self.url = url
        self.h: SyncHarness | None = None
        self.client: ForumClient | None = None
        self.made = 0
        self.records: dict[str, dict[str, Any]] = {}  # the catalogue as the test wrote it
        # Topics a moderator (or anyone in the forum) changed since the last deep pull, by aspect:
        # the bridge cannot know of those yet, so its state may rightly disagree with them.
        self.unseen: dict[int, set[str]] = {}
        self.policy = POLICIES[0]
        self.crash_armed = False
        self.options = SyncOptions(observatory=False)
        # What the jobs said: their summaries and every log record, checked for secrets.
        self.said: list[str] = []
        self.log = _Collect(self.said)
        self.bridge_log = logging.getLogger("bridge")
        self.log_level = self.bridge_log.level
        self.bridge_log.setLevel(logging.INFO)
        logging.getLogger().addHandler(self.log)

    # ------------------------------------------------------------------ set-up, tear-down

    @initialize(
        policy=st.sampled_from(POLICIES),
        n=st.integers(min_value=1, max_value=3),
        fault=st.sampled_from(FAULTS),
        at=st.integers(0, 2),
    )
    def start(self, policy: str, n: int, fault: str | None, at: int) -> None:
        """A catalogue of n records and its first sync, whose creates a fault may hit."""
        base: Settings = load_settings(
            CONFIG,
            discourse_url=self.emulator.url,
            discourse_api_key=self.emulator.api_key,
            rate_limit_per_minute=0,
            database_url=self.url,
        )
        self.policy = policy
        # With the observatory each first post ends with its similar projects, and the index and
        # overview topics are kept too (issue 11); without it, the engine alone.
        self.options = SyncOptions(observatory=type(self).observatory)
        # Validated, so the policy takes the settings' own type (a Literal now, an enum later).
        sync = type(base.sync).model_validate(base.sync.model_dump() | {"drift_policy": policy})
        cfg = base.model_copy(update={"sync": sync})
        self.h = SyncHarness(self.engine, cfg, self.emulator)
        # The client's own HTTP session, with a hook that can end the process the moment the
        # forum has answered a create: the topic exists, the bridge never heard of it.
        session = requests.Session()
        session.hooks["response"].append(self._crash_after_create)
        self.client = self.h.client(session=session)
        observatory = type(self).observatory
        for _ in range(n + observatory):  # with the observatory, records with similar ones
            self.import_new()
        self.sync(fault, at)
        if observatory:
            # Its one example is short: a similar-projects section is rewritten in every run.
            self.moderator_edits_similar_section(0)

    def teardown(self) -> None:
        try:
            # The last word: a deep pull and a sync converge, unless a step already failed (its
            # error must not be hidden behind this one's).
            if self.h is not None and sys.exc_info()[0] is None:
                self.converge()
        finally:
            logging.getLogger().removeHandler(self.log)
            self.bridge_log.setLevel(self.log_level)
            if self.client is not None:
                self.client.close()
            self.emulator.stop()
            self.engine.dispose()

    # ------------------------------------------------------------------ helpers

    @property
    def harness(self) -> SyncHarness:
        assert self.h is not None
        return self.h

    @property
    def forum(self) -> ForumClient:
        assert self.client is not None
        return self.client

    def _import(self, record: dict[str, Any]) -> None:
        valid, problems = validate_records([RawRecord("machine.json", 1, record)])
        assert problems == [], problems
        import_records(self.engine, valid)
        self.records[record["ref"]] = record

    def _pick(self, index: int) -> str | None:
        refs = sorted(self.records)
        return refs[index % len(refs)] if refs else None

    def _archived(self) -> dict[str, bool]:
        P = Project.__table__
        with self.engine.connect() as conn:
            return {ref: bool(a) for ref, a in conn.execute(sa.select(P.c.ref, P.c.archived))}

    def _topic(self, topic_id: int) -> Any:
        with self.emulator.state.lock:
            return self.emulator.state.topics.get(topic_id)

    def _live_topic(self, index: int) -> int | None:
        """A live topic paired with a record, chosen by index."""
        states = self.harness.states()
        ids = sorted(
            s.topic_id
            for s in states.values()
            if s.topic_id is not None and (t := self._topic(s.topic_id)) and t.deleted_at is None
        )
        return ids[index % len(ids)] if ids else None

    def _crash_after_create(self, response: requests.Response, *_: Any, **__: Any) -> None:
        request = response.request
        if (
            self.crash_armed
            and request.method == "POST"
            and (request.path_url or "").startswith("/posts")
            and response.status_code == 200
        ):
            self.crash_armed = False
            raise Crash

    def _moderated(self, topic_id: int, *aspects: str) -> None:
        self.unseen.setdefault(topic_id, set()).update(aspects)

    def _writes(self) -> int:
        """Write requests the emulator has served (stats by route label)."""
        by_route: dict[str, int] = self.emulator.stats()["by_route"]
        return sum(
            n
            for label, n in by_route.items()
            if label.split(" ", 1)[0] in ("POST", "PUT", "DELETE")
        )

    def _forum_view(self, topic: Any) -> dict[str, Any]:
        return {
            "title": prettify_title(topic.title).casefold(),
            "category": topic.category_id,
            "tags": frozenset(t.lower() for t in topic.tags),
            "closed": topic.closed,
            "body": body_fingerprint(topic.first_post.raw),
        }

    def _written_view(self, state: Any) -> dict[str, Any]:
        return {
            "title": prettify_title(state.title or "").casefold(),
            "category": state.category_id,
            "tags": frozenset(t for t in (clean_tag(x) for x in (state.tags or ())) if t),
            "closed": bool(state.closed),
            "body": state.body_hash,
        }

    def _snapshot(self) -> dict[str, tuple[Any, dict[str, Any] | None]]:
        """ref → (state, what its topic shows now)."""
        out: dict[str, tuple[Any, dict[str, Any] | None]] = {}
        for ref, state in self.harness.states().items():
            topic = self._topic(state.topic_id) if state.topic_id is not None else None
            alive = topic is not None and topic.deleted_at is None
            out[ref] = (state, self._forum_view(topic) if alive else None)
        return out

    # ------------------------------------------------------------------ the catalogue

    @rule()
    def import_new(self) -> None:
        self.made += 1
        self._import(make_record(self.made, ref=f"maquina-{self.made:03d}"))

    @rule(index=st.integers(0, 7), field=st.sampled_from(FIELDS))
    def edit_record(self, index: int, field: str) -> None:
        ref = self._pick(index)
        if ref is None:
            return
        self.made += 1
        record = dict(self.records[ref])
        record[field] = {
            "title": f"Projecte renovat de participació ciutadana número {self.made}",
            "description": f"Una descripció revisada del projecte, versió {self.made}.",
            "value": f"Menys cues a l'oficina, versió {self.made}.",
            "area": make_record(self.made)["area"],
            "phase": make_record(self.made * 2)["phase"],
            "kind": make_record(self.made)["kind"],
            "proximity": ("km0", "foreign")[self.made % 2],
        }[field]
        self._import(record)

    @rule(index=st.integers(0, 7), archived=st.booleans())
    def archive_or_restore(self, index: int, archived: bool) -> None:
        ref = self._pick(index)
        if ref is not None:
            set_archived(self.engine, ref, archived)

    @rule(index=st.integers(0, 7))
    def forget(self, index: int) -> None:
        """The record leaves the catalogue (no command does this; an administrator's SQL)."""
        ref = self._pick(index)
        if ref is None:
            return
        P = Project.__table__
        with self.engine.begin() as conn:
            conn.execute(sa.delete(P).where(P.c.ref == ref))
        del self.records[ref]

    # ------------------------------------------------------------------ the jobs

    @rule(fault=st.sampled_from(FAULTS), at=st.integers(0, 3))
    def sync(self, fault: str | None, at: int) -> None:
        before = self._snapshot()
        progress = None
        if fault == "lost_answer":
            self.emulator.faults(drop_after_create=1)
        elif fault == "storm_429":
            self.emulator.faults(storm_429=1)  # each costs the wait the forum asks (1 s+)
        elif fault == "crash_after_create":
            self.crash_armed = True
        elif fault == "crash":
            done = [0]

            def progress(event: str, _value: Any) -> None:
                if event == "done":
                    done[0] += 1
                if done[0] >= at:
                    raise Crash

        summary: SyncSummary | None = None
        try:
            summary = run_sync(
                self.engine,
                self.harness.settings,
                self.forum,
                self.options,
                progress=progress,
            )
        except Crash:
            pass
        finally:
            self.emulator.faults(reset=True)
            self.crash_armed = False
        self.said.append(repr(summary))
        finished = summary is not None and not summary.failed and not summary.stopped
        self._check_written(before, finished)
        if not finished:
            return
        # A second sync at once: nothing to write.
        writes = self._writes()
        again = run_sync(self.engine, self.harness.settings, self.forum, self.options)
        assert self._writes() == writes, f"a second sync wrote: {again}"
        assert (again.created, again.updated, again.archived, again.restored, again.failed) == (
            0,
            0,
            0,
            0,
            0,
        ), again

    @rule(deep=st.booleans())
    def pull(self, deep: bool) -> None:
        """A pull reports as drift only what someone in the forum changed: never the bridge's
        own writes."""
        before = {ref: set(s.drift or ()) for ref, s in self.harness.states().items()}
        result = run_pull(self.engine, self.forum, deep=deep, settings=self.harness.settings)
        self.said.append(repr(result))
        for ref, state in self.harness.states().items():
            if state.topic_id is None:
                continue
            changed = self.unseen.get(state.topic_id, set())
            new = set(state.drift or ()) - before.get(ref, set())
            if "deleted" in new:
                new.discard("deleted")
                assert changed, f"{ref}: reported deleted, yet nobody deleted it"
            assert new <= changed, (
                f"{ref}: reported {sorted(new)} as drift; the forum changed {sorted(changed)}"
            )
        if deep:
            self.unseen.clear()

    # ------------------------------------------------------------------ the forum

    def _moderate(self, index: int, action: str, aspects: tuple[str, ...], **params: Any) -> None:
        """Someone in the forum does `action` (a control API call) to a live paired topic."""
        topic_id = self._live_topic(index)
        if topic_id is not None:
            self.emulator.control(action, topic_id=topic_id, **params)
            self._moderated(topic_id, *aspects)

    @rule(index=st.integers(0, 7), variant=st.integers(0, 5))
    def moderator_moves(self, index: int, variant: int) -> None:
        categories = sorted(c for c in self.emulator.state.categories if c != 1)
        category_id = categories[variant % len(categories)]
        self._moderate(index, "move", ("category",), category_id=category_id)

    @rule(index=st.integers(0, 7), tag=st.sampled_from(("moderated", "pilot", "R & D")))
    def moderator_retags(self, index: int, tag: str) -> None:
        self._moderate(index, "retag", ("tags",), tags=[tag])

    @rule(index=st.integers(0, 7))
    def moderator_retitles(self, index: int) -> None:
        self.made += 1
        title = f"Títol canviat per la moderació {self.made}"
        self._moderate(index, "retitle", ("title",), title=title)

    @rule(index=st.integers(0, 7), own=st.booleans())
    def first_post_rewritten(self, index: int, own: bool) -> None:
        """A moderator rewrites a first post, or someone with the bridge's own API user does:
        either way the forum no longer shows what the bridge wrote."""
        self.made += 1
        raw = f"Aquesta fitxa ({self.made}) s'ha reescrit al fòrum amb paraules d'algú altre."
        if own:
            self._moderate(
                index, "edit_post", ("body",), raw=raw, username=self.emulator.api_username
            )
        else:
            self._moderate(index, "edit_first_post", ("body",), raw=raw)

    @rule(index=st.integers(0, 7))
    def moderator_edits_similar_section(self, index: int) -> None:
        """A moderator rewrites only the similar-projects section that ends a first post."""
        topic_id = self._live_topic(index)
        if topic_id is None:
            return
        heading = f"## {self.harness.settings.label('similar_projects')}"
        raw = self._topic(topic_id).first_post.raw
        if heading not in raw:
            return  # the observatory is off, or the record has no similar project yet
        self.made += 1
        raw = raw[: raw.index(heading)] + f"{heading}\n\n- Un projecte afegit a mà ({self.made})."
        self.emulator.control("edit_first_post", topic_id=topic_id, raw=raw)
        self._moderated(topic_id, "body")

    @rule(index=st.integers(0, 7), action=st.sampled_from(("close", "open", "delete")))
    def moderator_sets_status(self, index: int, action: str) -> None:
        self._moderate(index, action, ASPECTS if action == "delete" else ("closed",))

    @rule(index=st.integers(0, 7))
    def moderator_recovers(self, index: int) -> None:
        """A moderator undoes a deletion (PUT /t/{id}/recover)."""
        states = self.harness.states()
        ids = sorted(
            s.topic_id
            for s in states.values()
            if s.topic_id is not None and (t := self._topic(s.topic_id)) and t.deleted_at
        )
        if ids:
            topic_id = ids[index % len(ids)]
            self.emulator.control("recover", topic_id=topic_id)
            self._moderated(topic_id, *ASPECTS)

    # ------------------------------------------------------------------ checks

    def _check_written(
        self, before: dict[str, tuple[Any, dict[str, Any] | None]], finished: bool
    ) -> None:
        """After a sync, even one that crashed: what the state says was written is in the forum
        (but for what the bridge could not know yet). After one that ran to its end: drift
        reported before it was repaired or kept, as the policy says."""
        archived = self._archived()
        for ref, (state, _view) in self._snapshot().items():
            if state.topic_id is None or state.remote_deleted:
                continue
            topic = self._topic(state.topic_id)
            assert topic is not None, f"{ref}: the state names topic {state.topic_id}, not there"
            if topic.deleted_at is not None:
                continue  # deleted since the last pull: the bridge learns of it there
            shown, written = self._forum_view(topic), self._written_view(state)
            skip = set(state.drift or ()) | self.unseen.get(state.topic_id, set())
            if archived.get(ref):
                # An archived record's topic is closed; its content is left as it was.
                skip |= {"title", "category", "tags", "body"}
            wrong = [a for a in ASPECTS if a not in skip and shown[a] != written[a]]
            assert not wrong, f"{ref}: the state claims {wrong} the forum does not show"
            old_state, old_view = before.get(ref, (None, None))
            reported = set(old_state.drift or ()) - {"deleted"} if old_state else set()
            if (
                not finished
                or not reported
                or old_view is None
                or old_state.topic_id != state.topic_id
            ):
                continue
            if self.policy == "report-only":
                changed = [a for a in reported if shown[a] != old_view[a]]
                assert not changed, f"{ref}: report-only, yet the sync overwrote {changed}"
            elif not archived.get(ref):
                assert not (set(state.drift or ()) & reported), (
                    f"{ref}: catalogue-wins left drift {state.drift} unrepaired"
                )

    @invariant()
    def one_topic_per_external_id(self) -> None:
        if self.h is None:
            return
        live = [t for t in self.harness.live_topics() if t.external_id]
        ids = [t.external_id.lower() for t in live]
        assert len(ids) == len(set(ids)), "two live topics carry one external id"
        for ref, state in self.harness.states().items():
            if state.topic_id is None:
                continue
            topic = self._topic(state.topic_id)
            assert topic is not None, f"{ref}: paired with topic {state.topic_id}, not in the forum"
            assert (topic.external_id or "").lower() == state.external_id.lower(), ref
        # One live topic per record, whatever its external id became: a topic made again for a
        # record after a lost answer, under an id of its own, is a duplicate all the same.
        prefix = f"{self.harness.settings.sync.external_id_prefix}-".lower()
        states = self.harness.states()
        for ref in self.records:
            mine = [t for t in live if t.external_id.lower().startswith(prefix + ref)]
            assert len(mine) <= 1, f"{ref} has {len(mine)} live topics"
            state = states.get(ref)
            if mine and state is not None and state.topic_id is not None:
                assert mine[0].id == state.topic_id, f"{ref}: its live topic is not its pair"

    @invariant()
    def no_secret_anywhere(self) -> None:
        if self.h is None:
            return
        with self.emulator.state.lock:
            texts = [
                text
                for topic in self.emulator.state.topics.values()
                for text in (topic.title, *(p.raw for p in topic.posts))
            ]
        with self.engine.connect() as conn:
            texts += [
                str(v)
                for v in conn.execute(sa.text("SELECT last_error FROM sync_state")).scalars()
                if v
            ]
            texts += [
                str(v) for v in conn.execute(sa.text("SELECT message FROM sync_run")).scalars() if v
            ]
        for text in texts:
            assert API_KEY not in text, "the API key reached the forum or the database"
            for private in PRIVATE:
                assert private not in text, f"{private!r} reached the forum or the state"
        for text in self.said:
            assert API_KEY not in text, "the API key reached a summary or a log record"

    @rule()
    def converge(self) -> None:
        """A deep pull (the bridge sees every change made in the forum) and a sync; then the
        assertions of the property test it replaces (tests/test_sync_property.py, issue 8)."""
        run_pull(self.engine, self.forum, deep=True, settings=self.harness.settings)
        self.unseen.clear()
        h = self.harness
        summary = run_sync(self.engine, h.settings, self.forum, self.options)
        assert summary.failed == 0, summary.failures
        plan = run_sync(self.engine, h.settings, self.forum, replace(self.options, dry_run=True))
        assert plan.plan is not None
        leftovers = [row for row in plan.plan if row["action"] not in ("unchanged", "deleted")]
        assert leftovers == [], "a second plan after a sync still has work"

        states = h.states()
        live = [t for t in h.live_topics() if t.external_id]
        by_external: dict[str, list[Any]] = {}
        for topic in live:
            by_external.setdefault(topic.external_id.lower(), []).append(topic)
        assert all(len(ts) == 1 for ts in by_external.values()), "a topic exists twice"
        with self.engine.connect() as conn:
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
            drift = set(state.drift or ())
            if self.policy == "catalogue-wins":
                assert topic.closed == bool(project["archived"]) == bool(state.closed)
                # catalogue-wins: drift is repaired, except an archived record's content,
                # which is left as it is (and reported) until the record is restored.
                assert not drift or (project["archived"] and "closed" not in drift), drift
            seen = {
                "title": topic.title == state.title,
                "category": topic.category_id == state.category_id,
                "tags": sorted(topic.tags) == sorted(state.tags or ()),
            }
            assert {k for k, same in seen.items() if not same} <= drift


def _run(
    fresh_database: Callable[[], str], observatory: bool, examples: int, steps: int = STEPS
) -> None:
    machine = type(
        "Machine",
        (SyncMachine,),
        {"fresh_database": staticmethod(fresh_database), "observatory": observatory},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,  # the printed blob reproduces a failure, not a local file
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=True,
        ),
    )


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "DISCOURSE_")) and not name.startswith(
            ("BRIDGE_MACHINE_", "BRIDGE_TEST_POSTGRES")
        ):
            monkeypatch.delenv(name)


@pytest.fixture
def sqlite_catalogues(tmp_path: Path) -> Callable[[], str]:
    """A fresh copy of a migrated SQLite catalogue for each example."""
    template = _template(tmp_path)
    counter = iter(range(10**6))

    def fresh() -> str:
        path = tmp_path / f"example-{next(counter)}.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"

    return fresh


def test_sync_pull_and_moderators_sqlite(
    sqlite_catalogues: Callable[[], str], clean_env: None
) -> None:
    _run(sqlite_catalogues, observatory=False, examples=EXAMPLES)


def test_sync_pull_and_moderators_with_the_observatory_sqlite(
    sqlite_catalogues: Callable[[], str], clean_env: None
) -> None:
    """Similar sections, index and overview topics too: each sync that changes something draws
    the pages' maps and charts (seconds), hence fewer examples."""
    _run(sqlite_catalogues, observatory=True, examples=OBSERVATORY_EXAMPLES, steps=6)


@pytest.mark.postgres
def test_sync_pull_and_moderators_postgresql(
    request: pytest.FixtureRequest, clean_env: None
) -> None:
    from conftest import _truncate_all

    url: str = request.getfixturevalue("postgres_url")

    def fresh() -> str:
        engine = make_engine(url)
        _truncate_all(engine)
        engine.dispose()
        return url

    _run(fresh, observatory=False, examples=POSTGRES_EXAMPLES)
