"""`digicanvis harvest` (issue 23): two instances on this machine — A publishes its open data
through a local HTTP server, B harvests it and syncs to the emulator — then A changes two records
and archives one, and B's next harvest and sync do exactly that. B's catalogue is the test's
database (SQLite and PostgreSQL); A is a SQLite catalogue of its own."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import make_record

from bridge.catalogue.importer import run_import
from bridge.catalogue.read_store import get_record
from bridge.catalogue.store import set_archived
from bridge.db import make_engine, upgrade
from bridge.harvest.model import Action, SourceOutcome
from bridge.harvest.run import SourceSpec, harvest
from bridge.opendata.config import OpenDataConfig
from bridge.opendata.publish import publish


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server:
    """A directory served over HTTP on 127.0.0.1 (the standard library's file server, which
    answers If-Modified-Since with 304), in a thread."""

    def __init__(self, directory: Path) -> None:
        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_Quiet, directory=str(directory))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    server = Server(root)
    try:
        yield server, root
    finally:
        server.stop()


class Instance:
    """Instance A: its own catalogue, publishing `opendata` under the server's URL."""

    def __init__(self, tmp_path: Path, server: Server, root: Path) -> None:
        self.engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
        upgrade(self.engine)
        self.directory = root / "a"
        self.config = OpenDataConfig(base_url=f"{server.url}/a")
        self.tmp = tmp_path

    def load(self, records: list[dict[str, Any]]) -> None:
        import json

        path = self.tmp / f"a-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        outcome = run_import(self.engine, [path])
        assert not outcome.problems, outcome.problems

    def publish(self) -> None:
        # HTTP dates have a resolution of one second: a republication within the second of the
        # previous one would look unmodified to If-Modified-Since, as it would to any client.
        time.sleep(1.1)
        publish(self.engine, self.directory, self.config, home_region="ES-CT", discourse_url=None)

    @property
    def package_url(self) -> str:
        return f"{self.config.base_url}/datapackage.json"

    @property
    def catalog_url(self) -> str:
        return f"{self.config.base_url}/catalog.jsonld"


def _rows(directory: Path) -> dict[str, dict[str, str]]:
    text = (directory / "projects.csv").read_text(encoding="utf-8")
    return {row["ref"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


def _table(directory: Path, name: str) -> list[dict[str, str]]:
    text = (directory / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _only(outcomes: list[SourceOutcome]) -> SourceOutcome:
    (outcome,) = outcomes
    assert outcome.error is None, outcome.error
    return outcome


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


# Content columns of projects.csv: what A says of a project, that B's open data must say too.
_SAME = (
    "title", "local_body_name", "local_body_country", "local_body_region", "local_body_kind",
    "local_body_municipality_code", "local_body_population", "local_body_latitude",
    "local_body_longitude", "description", "value", "savings", "savings_eur_per_year",
    "analysis_barriers", "analysis_benefits", "analysis_technology", "area", "kind", "phase",
)  # fmt: skip


def test_two_instances_harvest_sync_change_archive(harness, served, tmp_path: Path) -> None:
    server, root = served
    a = Instance(tmp_path, server, root)
    a.load([make_record(i) for i in range(6)])
    a.publish()

    # B harvests A's DCAT-AP catalogue (followed to its data package), then syncs.
    first = _only(harvest(harness.engine, [SourceSpec(a.catalog_url, "a")]))
    assert first.count(Action.add) == 6
    refs = sorted(p.ref for p in first.planned)
    assert refs == [f"a:projecte-{i:05d}" for i in range(6)]
    summary = harness.sync()
    assert summary.created == 6 and summary.failed == 0
    harness.assert_consistent()

    # Provenance on every record; the topic says where it came from and links the original.
    record = get_record(harness.engine, "a:projecte-00001", "ES-CT", None)
    provenance = record["provenance"]
    assert provenance["source"] == a.catalog_url
    assert provenance["source_id"] == "projecte-00001"
    assert provenance["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert provenance["harvested_at"] and provenance["modified"]
    topic = harness.topic_of("a:projecte-00001")
    raw = topic.posts[0].raw
    assert a.catalog_url in raw

    # B's open data describes the same projects, every public field intact, with the source.
    b_dir = tmp_path / "b-open"
    publish(harness.engine, b_dir, OpenDataConfig(), home_region="ES-CT", discourse_url=None)
    a_rows, b_rows = _rows(a.directory), _rows(b_dir)
    assert sorted(b_rows) == [f"a:{ref}" for ref in sorted(a_rows)]
    for ref, row in a_rows.items():
        assert {c: b_rows[f"a:{ref}"][c] for c in _SAME} == {c: row[c] for c in _SAME}
        assert b_rows[f"a:{ref}"]["source"] == a.catalog_url
    for table, columns in (("documents", ("kind", "title", "url")), ("contacts", ("name", "role"))):
        a_side = _table(a.directory, table)
        b_side = _table(b_dir, table)
        assert len(a_side) == len(b_side) > 0
        assert [[r[c] for c in columns] for r in a_side] == [
            [r[c] for c in columns] for r in b_side
        ]
        assert [f"a:{r['ref']}" for r in a_side] == [r["ref"] for r in b_side]
    catalog = (b_dir / "catalog.jsonld").read_text(encoding="utf-8")
    assert '"dct:source"' in catalog and '"prov:wasDerivedFrom"' in catalog

    # Harvesting B's own package is refused, and changes nothing.
    before = _count(harness.engine, "SELECT count(*) FROM project")
    own = harvest(harness.engine, [SourceSpec(str(b_dir / "datapackage.json"), "b")])
    assert own[0].error and "own" in own[0].error
    assert _count(harness.engine, "SELECT count(*) FROM project") == before

    # Nothing changed at A: one conditional request, nothing written, no forum request.
    again = harvest(harness.engine, [SourceSpec(a.catalog_url, "a")])
    assert again[0].not_modified and again[0].error is None
    requests = harness.requests()
    assert harness.sync().updated == 0
    assert harness.requests() == requests

    # A changes two records and archives one; B's next harvest and sync do exactly that.
    a.load(
        [
            make_record(1, title="Projecte renovat núm. 1"),
            make_record(2, description="Una descripció nova."),
        ]
    )
    set_archived(a.engine, "projecte-00004", True)
    a.publish()
    second = _only(harvest(harness.engine, [SourceSpec(a.catalog_url, "a")]))
    changed = {p.ref: p for p in second.planned if p.action is not Action.unchanged}
    assert {ref: p.action for ref, p in changed.items()} == {
        "a:projecte-00001": Action.update,
        "a:projecte-00002": Action.update,
        "a:projecte-00004": Action.archive,
    }
    assert "title" in changed["a:projecte-00001"].fields
    summary = harness.sync()
    assert (summary.updated, summary.archived, summary.created) == (2, 1, 0)
    assert harness.topic_of("a:projecte-00004").closed
    assert harness.topic_of("a:projecte-00001").title.startswith("Projecte renovat")

    # Restored at A: restored at B, its topic reopened.
    set_archived(a.engine, "projecte-00004", False)
    a.publish()
    third = _only(harvest(harness.engine, [SourceSpec(a.catalog_url, "a")]))
    assert [p.ref for p in third.planned if p.action is Action.restore] == ["a:projecte-00004"]
    assert harness.sync().restored == 1
    assert not harness.topic_of("a:projecte-00004").closed
    a.engine.dispose()
