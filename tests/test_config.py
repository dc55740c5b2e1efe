"""`load_catalogue_settings` (the read commands' settings, without pydantic) gives exactly what
`load_settings` gives for the database, the home region and the forum URL, from the same sources,
and refuses what it refuses, with the same words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import ConfigError, load_catalogue_settings
from bridge.settings import load_settings

FIELDS = ("database_url", "home_region", "discourse_url")
REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BRIDGE_DATABASE_URL", "BRIDGE_HOME_REGION", "DISCOURSE_URL", "BRIDGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("database_url", "home_region", "discourse_url"):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def _both() -> tuple[tuple[object, ...], tuple[object, ...]]:
    full, lean = load_settings(), load_catalogue_settings()
    return tuple(getattr(full, f) for f in FIELDS), tuple(getattr(lean, f) for f in FIELDS)


@pytest.mark.parametrize(
    ("toml", "env"),
    [
        ("", {}),
        ("", {"BRIDGE_HOME_REGION": " es-b ", "DISCOURSE_URL": "https://forum.example.cat/"}),
        ('home_region = "ES-GI"\ndiscourse_url = "http://f.example:8080"\n', {}),
        (
            'home_region = "ES-GI"\ndatabase_url = "sqlite:///x.db"\n',
            {"bridge_home_region": "NL-UT"},
        ),
        ('BRIDGE_HOME_REGION = "ES-T"\n', {"DATABASE_URL": "sqlite:///other.db"}),
        ('discourse_url = "https://a.example"\n', {"DISCOURSE_URL": "  "}),
    ],
)
def test_the_same_values_as_the_full_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, env: dict[str, str]
) -> None:
    config = tmp_path / "bridge.toml"
    # Top-level keys must precede the tables of the file.
    config.write_text(toml + REPO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("BRIDGE_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    full, lean = _both()
    assert lean == full


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("BRIDGE_HOME_REGION", "Catalonia"),
        ("BRIDGE_HOME_REGION", "ES-ZZ"),  # issue 28 point 8: no such subdivision
        ("DISCOURSE_URL", "forum.example.cat"),
    ],
)
def test_the_same_refusals(monkeypatch: pytest.MonkeyPatch, env: str, value: str) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG", str(REPO_CONFIG))
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as full:
        load_settings()
    with pytest.raises(ConfigError) as lean:
        load_catalogue_settings()
    assert str(lean.value) == str(full.value)


def test_a_missing_or_broken_file_is_refused_alike(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_catalogue_settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("home_region = [", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_CONFIG", str(broken))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_catalogue_settings()
