"""Issue 28 point 6 and the open-data item of point 11: the package validates with or without
DISCOURSE_URL (forum addresses absolute, or empty and the dictionary saying so); catalog.jsonld
conforms to DCAT-AP 3.0.0's official SHACL shapes (tests/data/dcat-ap-3.0.0-SHACL.ttl, its source
in tests/data/SOURCES.md), checked with pyshacl; `opendata` warns when the base URL is the
example one."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import frictionless
import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_records, write_records_file
from pyshacl import validate
from rdflib import Graph, Literal
from rdflib.namespace import DCAT, XSD

from bridge.models import SyncState

SHAPES = Path(__file__).resolve().parent / "data" / "dcat-ap-3.0.0-SHACL.ttl"
FORUM = "https://forum.exemple.cat"


def _import(cli: Callable[..., Run], tmp_path: Path, records: list[dict[str, Any]]) -> None:
    result = cli("import", write_records_file(tmp_path / "records.json", records))
    assert result.exit_code == 0, result.stderr[:2000]


def _pair_every_record(engine: sa.Engine) -> int:
    """Each record paired with a topic, as a sync leaves it: its topic URL is then `/t/…` when
    no forum address is configured."""
    state = SyncState.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        ids = [pid for (pid,) in conn.execute(sa.text("SELECT id FROM project ORDER BY ref"))]
        for n, project_id in enumerate(ids, 1):
            conn.execute(
                sa.insert(state).values(
                    project_id=project_id, external_id=f"dc-{n}", topic_id=100 + n,
                    topic_slug=f"tema-{n}", state="synced", closed=False, attempts=0,
                    remote_deleted=False, updated_at=datetime(2026, 11, 28, tzinfo=UTC),
                )
            )  # fmt: skip
    return len(ids)


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    text = (directory / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _valid(directory: Path) -> None:
    report = frictionless.validate(str(directory / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_the_package_validates_with_and_without_a_forum_address(
    cli: Callable[..., Run],
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's finding: without DISCOURSE_URL (a cron job on a web server) topic URLs were
    `/t/…` while the schema says `format: uri`: 704 errors from `frictionless validate`."""
    records = make_records(8)
    _import(cli, tmp_path, records)
    paired = _pair_every_record(engine)
    monkeypatch.delenv("DISCOURSE_URL", raising=False)
    bare = tmp_path / "bare"
    assert cli("opendata", bare).exit_code == 0
    _valid(bare)
    assert [row["topic_url"] for row in _rows(bare, "projects")] == [""] * paired
    assert {row["forum_profile"] for row in _rows(bare, "contacts")} == {""}

    monkeypatch.setenv("DISCOURSE_URL", FORUM)
    served = tmp_path / "served"
    assert cli("opendata", served).exit_code == 0
    _valid(served)
    urls = [row["topic_url"] for row in _rows(served, "projects")]
    assert len(urls) == paired and all(u.startswith(f"{FORUM}/t/tema-") for u in urls)
    profiles = [row["forum_profile"] for row in _rows(served, "contacts")]
    assert profiles and all(p.startswith(f"{FORUM}/u/") for p in profiles)

    # The dictionary says when the field is empty.
    import json

    fields = json.loads((bare / "datapackage.json").read_text())["resources"][0]["schema"]
    topic = next(f for f in fields["fields"] if f["name"] == "topic_url")
    assert "DISCOURSE_URL" in topic["description"] and "DISCOURSE_URL" in topic["description_ca"]


def _conforms(directory: Path) -> tuple[bool, str, Graph]:
    data = Graph().parse(directory / "catalog.jsonld", format="json-ld")
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none")
    return bool(conforms), str(text), data


@pytest.mark.shared
def test_the_dcat_description_conforms_to_the_dcat_ap_3_shapes(
    cli: Callable[..., Run],
    tmp_path: Path,
    real_world_records: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real inventories, published with and without a forum address, against the official
    shapes (as a portal's validator runs them: no inference)."""
    _import(cli, tmp_path, real_world_records)
    for forum in (None, FORUM):
        if forum:
            monkeypatch.setenv("DISCOURSE_URL", forum)
        else:
            monkeypatch.delenv("DISCOURSE_URL", raising=False)
        out = tmp_path / f"open-{bool(forum)}"
        assert cli("opendata", out).exit_code == 0
        conforms, text, data = _conforms(out)
        assert conforms, text[:3000]
        sizes = list(data.objects(None, DCAT.byteSize))
        assert sizes and all(
            isinstance(s, Literal) and s.datatype == XSD.nonNegativeInteger for s in sizes
        )


def test_opendata_warns_when_the_base_url_is_the_example_one(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    _import(cli, tmp_path, make_records(2))
    example = cli("opendata", tmp_path / "a")
    assert example.exit_code == 0
    assert "warning: the open data's base URL is the example one" in example.stderr
    assert "observatori.digicanvis.example" in example.stderr
    own = cli("opendata", tmp_path / "b", "--base-url", "https://dades.consorci.cat/digicanvis")
    assert own.exit_code == 0 and "warning" not in own.stderr
