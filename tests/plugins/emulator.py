"""Fixtures for the emulator tests (registered in tests/conftest.py).

`emulator`: a fresh Discourse emulator per test on a free 127.0.0.1 port, rate limit off, the
control API on; stopped afterwards. `emulator_factory` starts others with custom settings.
`discourse_spec`: the OpenAPI document from ../shared (skipped with a reason where absent,
failing under CI=true), read at test time and never copied into the project.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.emulator import RunningEmulator, start_emulator

API_KEY = "test-key"


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    started: list[RunningEmulator] = []

    def make(**settings: Any) -> RunningEmulator:
        options: dict[str, Any] = {"api_key": API_KEY, "rate_limit": 0, "test_control": True}
        options.update(settings)
        emu = start_emulator(host="127.0.0.1", port=0, **options)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    return emulator_factory()


@pytest.fixture(scope="session")
def discourse_spec(shared_dir: Path) -> dict[str, Any]:
    return json.loads((shared_dir / "discourse" / "openapi.json").read_text(encoding="utf-8"))
