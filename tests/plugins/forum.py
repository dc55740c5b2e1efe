"""Fixtures for the forum-loop tests (registered in tests/conftest.py).

`paired_catalogue`: a catalogue of a few real-looking records, imported through the catalogue's
import code and synced to a fresh emulator through the real client and sync engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import Session, select

from bridge.catalogue.importer import run_import
from bridge.emulator import RunningEmulator
from bridge.forum.client import ForumClient
from bridge.jobs.sync_run import run_sync
from bridge.models import Project, SyncState
from bridge.settings import Settings

LOOP_RECORDS: list[dict[str, Any]] = [
    {
        "ref": "sant-cugat-xatbot",
        "title": "Xatbot d'atenció ciutadana a la seu electrònica",
        "local_body": {
            "name": "Ajuntament de Sant Cugat del Vallès",
            "country": "ES",
            "region": "ES-CT",
            "municipality_code": "08205",
        },
        "description": "Un assistent conversacional respon les preguntes més freqüents de la "
        "ciutadania les 24 hores.",
        "area": "citizen-care",
        "kind": "service",
        "phase": "implemented",
    },
    {
        "ref": "girona-dades-obertes",
        "title": "Portal de dades obertes de Girona",
        "local_body": {
            "name": "Ajuntament de Girona",
            "country": "ES",
            "region": "ES-CT",
            "municipality_code": "17079",
        },
        "description": "Publicació de conjunts de dades municipals amb API i visualitzacions.",
        "area": "participation-open-government",
        "kind": "process",
        "phase": "pilot",
    },
    {
        "ref": "antwerp-procurement-nlp",
        "title": "Technical procurement documents comparison with NLP",
        "local_body": {"name": "Stad Antwerpen", "country": "BE"},
        "description": "Natural language processing compares procurement requirements with "
        "existing IT components.",
        "area": "planning-management",
        "kind": "process",
        "phase": "prototype",
    },
]


@dataclass
class PairedCatalogue:
    engine: sa.Engine
    settings: Settings
    emulator: RunningEmulator
    client: ForumClient

    def state(self, ref: str) -> SyncState:
        with Session(self.engine) as session:
            return session.exec(
                select(SyncState)
                .join(Project, Project.id == SyncState.project_id)
                .where(Project.ref == ref)
            ).one()

    def topic_id(self, ref: str) -> int:
        topic_id = self.state(ref).topic_id
        assert topic_id is not None
        return topic_id

    def sync(self):
        return run_sync(self.engine, self.settings, self.client)


def write_records(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def pair_catalogue(
    engine: sa.Engine, emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PairedCatalogue]:
    """Import LOOP_RECORDS and sync them to `emulator` (the environment must come from
    `bridge_env`)."""
    monkeypatch.setenv("DISCOURSE_URL", emulator.url)
    monkeypatch.setenv("DISCOURSE_API_KEY", emulator.api_key)
    monkeypatch.setenv("BRIDGE_RATE_LIMIT_PER_MINUTE", "0")
    from bridge.settings import load_settings

    settings = load_settings()
    outcome = run_import(engine, [write_records(tmp_path / "records.yaml", LOOP_RECORDS)])
    assert not outcome.problems, outcome.problems
    with ForumClient.from_settings(settings) as client:
        catalogue = PairedCatalogue(engine, settings, emulator, client)
        summary = catalogue.sync()
        assert summary.created == len(LOOP_RECORDS) and summary.failed == 0
        yield catalogue


@pytest.fixture
def paired_catalogue(
    bridge_env: Settings,
    engine: sa.Engine,
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[PairedCatalogue]:
    yield from pair_catalogue(engine, emulator, tmp_path, monkeypatch)
